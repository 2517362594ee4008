// The Rollout Inspector webview: one group at a time, the selected completion's image with its
// ground-truth and predicted boxes, its reasoning with box mentions linked to the image, its rewards.
// Every string from a log goes into the DOM as text (textContent), never as HTML.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import type { BoxView, GroupView, ImageView, InitPayload, IssueView, RolloutView, SummaryView, UpdatePayload } from '../../extension/protocol/inspector';
import { InspectorClient } from './rpc';
import { segmentCompletion } from '../../extension/core/segments';

interface SavedState {
  file: string;
  groupIndex: number;
  completion: number;
  showGt: boolean;
  showPred: boolean;
}

type Attrs = Record<string, string>;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string, attrs?: Attrs): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  if (attrs) for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function fmt(v: number | null, digits = 2): string {
  if (v === null || !Number.isFinite(v)) return '—';
  return v.toFixed(digits);
}

function signed(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '—';
  return (v > 0 ? '+' : '') + v.toFixed(2);
}

function issueText(i: IssueView): string {
  const name = i.file.split(/[\\/]/).pop() ?? i.file;
  if (i.line <= 0) return `${name}: ${i.message}`;
  return i.unit === 'row' ? `${name} row ${i.line}: ${i.message}` : `${name}:${i.line}: ${i.message}`;
}

function summaryText(s: SummaryView): string {
  if (s.state === 'running') return `summarising the whole log… ${s.progress !== undefined ? `${Math.round(s.progress * 100)}%` : ''}`;
  if (s.state === 'failed') return `summary failed: ${s.message ?? ''}`;
  const f = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : x.toFixed(2));
  const parts: string[] = [];
  if (s.meanReward !== undefined) parts.push(`mean reward ${f(s.meanReward)}`);
  if (s.firstStep && s.lastStep && s.firstStep.step !== s.lastStep.step) {
    parts.push(`step ${s.firstStep.step} ${f(s.firstStep.meanReward)} → step ${s.lastStep.step} ${f(s.lastStep.meanReward)}`);
  }
  for (const r of s.rewards ?? []) parts.push(`${r.name} ${f(r.mean)}`);
  if (s.groups) {
    const z = s.zeroVarianceGroups ?? 0;
    parts.push(`${z} of ${s.groups} groups with no learning signal (${((100 * z) / s.groups).toFixed(0)}%)`);
  }
  return parts.join(' · ');
}

function metaText(init: InitPayload): string {
  const steps = init.steps;
  const stepRange = steps.length === 0 || init.format === 'unknown'
    ? ''
    : ` · ${steps.length === 1 ? `step ${steps[0]}` : `steps ${steps[0]}–${steps[steps.length - 1]}`}`;
  const files = init.fileCount > 1 ? ` · ${init.fileCount} files` : '';
  return `${init.formatLabel} · ${init.records} completions · ${init.groups} groups${stepRange}${files}${init.complete ? '' : ' · indexing…'}`;
}

class Inspector {
  private readonly client: InspectorClient;
  private init: InitPayload | undefined;
  private group: GroupView | undefined;
  private groupIndex = 0;
  private completion = 0;
  private showGt = true;
  private showPred = true;
  private readonly cache = new Map<number, Promise<GroupView>>();
  private readonly root: HTMLElement;
  private loadSeq = 0;

  constructor(root: HTMLElement) {
    this.root = root;
    this.client = new InspectorClient(
      (init) => this.onInit(init),
      (u) => this.onUpdate(u),
      (sv) => this.onSummary(sv),
    );
    document.addEventListener('keydown', (e) => this.onKey(e));
    window.addEventListener('error', (e) => this.client.logError(String(e.message)));
    this.client.ready();
  }

  private saved(): SavedState | undefined {
    const s = this.client.api.getState() as Partial<SavedState> | undefined;
    return s && typeof s.groupIndex === 'number' ? (s as SavedState) : undefined;
  }

  private save(): void {
    if (!this.init) return;
    const s: SavedState = { file: this.init.file, groupIndex: this.groupIndex, completion: this.completion, showGt: this.showGt, showPred: this.showPred };
    this.client.api.setState(s);
  }

  private onInit(init: InitPayload): void {
    this.init = init;
    this.cache.clear();
    const s = this.saved();
    const same = s && s.file === init.file;
    this.showGt = same ? s.showGt : true;
    this.showPred = same ? s.showPred : true;
    const gi = same ? s.groupIndex : init.groupIndex;
    this.renderShell();
    if (init.groups === 0) {
      this.renderEmpty();
      return;
    }
    void this.goGroup(Math.min(Math.max(0, gi), init.groups - 1), same ? s.completion : 0);
  }

  private summary: SummaryView | undefined;

  /** Whole-log statistics from the host's summary worker. */
  private onSummary(sv: SummaryView): void {
    this.summary = sv;
    const el0 = this.root.querySelector('#summary');
    if (el0) el0.textContent = summaryText(sv);
  }

  /** The log grew (indexing finished, lines appended, new step files): new counts, fresh groups. */
  private onUpdate(u: UpdatePayload): void {
    if (!this.init) return;
    const wasEmpty = this.init.groups === 0;
    Object.assign(this.init, { records: u.records, groups: u.groups, steps: u.steps, issueCount: u.issueCount, complete: u.complete });
    this.cache.clear();
    this.q('#meta').textContent = metaText(this.init);
    if (wasEmpty && u.groups > 0) {
      this.renderShell();
      void this.goGroup(0);
    } else if (this.group) void this.goGroup(this.groupIndex, this.completion);
  }

  private fetchGroup(i: number): Promise<GroupView> {
    let p = this.cache.get(i);
    if (!p) {
      p = this.client.request('getGroup', { groupIndex: i });
      p.catch(() => this.cache.delete(i));
      this.cache.set(i, p);
      if (this.cache.size > 64) {
        const first = this.cache.keys().next().value;
        if (first !== undefined && first !== i) this.cache.delete(first);
      }
    }
    return p;
  }

  private async goGroup(i: number, completion: number | 'last' = 0): Promise<void> {
    if (!this.init || this.init.groups === 0) return;
    const idx = Math.min(Math.max(0, i), this.init.groups - 1);
    const seq = ++this.loadSeq;
    this.groupIndex = idx;
    // Saved before the request: if the host widens localResourceRoots for this group's images, the
    // webview reloads and must come back here, not to the previous group.
    this.completion = completion === 'last' ? 0 : completion;
    this.save();
    this.setBusy(true);
    try {
      const g = await this.fetchGroup(idx);
      if (seq !== this.loadSeq) return;
      this.group = g;
      const n = g.rollouts.length;
      this.completion = completion === 'last' ? Math.max(0, n - 1) : Math.min(Math.max(0, completion), Math.max(0, n - 1));
      this.save();
      this.renderGroup();
      // prefetch the neighbours (latency between webview and host)
      if (idx + 1 < this.init.groups) void this.fetchGroup(idx + 1).catch(() => undefined);
      if (idx > 0) void this.fetchGroup(idx - 1).catch(() => undefined);
    } catch (e) {
      if (seq !== this.loadSeq) return;
      this.showError(`Could not load group ${idx + 1}: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      if (seq === this.loadSeq) this.setBusy(false);
    }
  }

  private async goStep(delta: number): Promise<void> {
    if (!this.group || !this.init) return;
    const si = this.group.stepIndex + delta;
    if (si < 0 || si >= this.group.stepCount) return;
    const seq = ++this.loadSeq;
    try {
      const g = await this.client.request('getStepGroup', { stepIndex: si });
      if (seq !== this.loadSeq) return;
      this.cache.set(g.groupIndex, Promise.resolve(g));
      await this.goGroup(g.groupIndex, 0);
    } catch (e) {
      this.showError(`Could not load step: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private moveCompletion(delta: number): void {
    if (!this.group) return;
    const n = this.group.rollouts.length;
    const c = this.completion + delta;
    if (c >= 0 && c < n) {
      this.completion = c;
      this.save();
      this.renderGroup();
    } else if (c >= n) {
      void this.goGroup(this.groupIndex + 1, 0);
    } else {
      void this.goGroup(this.groupIndex - 1, 'last');
    }
  }

  private onKey(e: KeyboardEvent): void {
    const t = e.target as HTMLElement | null;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable)) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key;
    let handled = true;
    if (k === 'ArrowRight' || k === 'j') this.moveCompletion(1);
    else if (k === 'ArrowLeft' || k === 'k') this.moveCompletion(-1);
    else if (k === 'n' || k === 'PageDown') void this.goGroup(this.groupIndex + 1);
    else if (k === 'p' || k === 'PageUp') void this.goGroup(this.groupIndex - 1);
    else if (k === ']' || k === 'N') void this.goStep(1);
    else if (k === '[' || k === 'P') void this.goStep(-1);
    else if (k === 'Home') void this.goGroup(0);
    else if (k === 'End' && this.init) void this.goGroup(this.init.groups - 1);
    else if (k === 'g') this.toggle('gt');
    else if (k === 'b') this.toggle('pred');
    else handled = false;
    if (handled) e.preventDefault();
  }

  private toggle(set: 'gt' | 'pred'): void {
    if (set === 'gt') this.showGt = !this.showGt;
    else this.showPred = !this.showPred;
    this.save();
    this.renderGroup();
  }

  // ---------------- rendering ----------------

  private q<T extends HTMLElement>(sel: string): T {
    const e = this.root.querySelector<T>(sel);
    if (!e) throw new Error(`missing ${sel}`);
    return e;
  }

  private setBusy(b: boolean): void {
    this.root.classList.toggle('busy', b);
  }

  private showError(message: string): void {
    const box = this.q('#status');
    box.textContent = message;
    box.className = 'status error';
  }

  private renderShell(): void {
    const init = this.init!;
    this.root.replaceChildren();
    const header = el('header', 'toolbar');
    const title = el('div', 'title');
    title.append(el('span', 'file', init.fileName, { title: init.file }));
    title.append(el('span', 'meta', metaText(init), { id: 'meta', title: init.format }));
    title.append(el('span', 'summary', this.summary ? summaryText(this.summary) : '', { id: 'summary', 'aria-live': 'polite' }));
    header.append(title);

    const nav = el('nav', 'nav', undefined, { 'aria-label': 'Navigate' });
    const button = (id: string, label: string, tip: string, fn: () => void) => {
      const b = el('vscode-button', 'navbtn', label, { id, title: tip, secondary: '' });
      b.addEventListener('click', fn);
      return b;
    };
    nav.append(
      button('prev-step', '⇤ Step', 'Previous step ([ or Shift+P)', () => void this.goStep(-1)),
      button('prev-group', '◀ Group', 'Previous group (p or PageUp)', () => void this.goGroup(this.groupIndex - 1)),
      button('prev-completion', '◀', 'Previous completion (k or ←)', () => this.moveCompletion(-1)),
      el('span', 'position', '', { id: 'position', 'aria-live': 'polite' }),
      button('next-completion', '▶', 'Next completion (j or →)', () => this.moveCompletion(1)),
      button('next-group', 'Group ▶', 'Next group (n or PageDown)', () => void this.goGroup(this.groupIndex + 1)),
      button('next-step', 'Step ⇥', 'Next step (] or Shift+N)', () => void this.goStep(1)),
    );
    header.append(nav);
    this.root.append(header);

    const status = el('div', 'status', '', { id: 'status', role: 'status' });
    this.root.append(status);

    if (init.notes.length > 0 || init.context.length > 0) {
      const det = el('details', 'log-notes', undefined, { id: 'log-notes' });
      const assumed = init.context.filter((c) => c.assumed).length;
      const parts: string[] = [];
      if (init.notes.length) parts.push(`${init.notes.length} note${init.notes.length === 1 ? '' : 's'}`);
      if (init.context.length) parts.push(`run context (${init.context.length - assumed} read, ${assumed} assumed)`);
      det.append(el('summary', undefined, `How this log was read: ${parts.join(', ')}`));
      if (init.notes.length) {
        const ul = el('ul', 'notes');
        for (const n of init.notes) ul.append(el('li', undefined, n));
        det.append(ul);
      }
      if (init.context.length) {
        const table = el('table', 'context');
        for (const c of init.context) {
          const tr = el('tr', c.assumed ? 'assumed' : 'read');
          tr.append(el('th', undefined, c.label), el('td', 'value', c.value), el('td', 'source', c.assumed ? `assumed — ${c.source}` : `read from ${c.source}`));
          table.append(tr);
        }
        det.append(table);
      }
      this.root.append(det);
    }

    if (init.issueCount > 0) {
      const det = el('details', 'log-issues', undefined, { id: 'log-issues' });
      det.append(el('summary', undefined, `${init.issueCount} problem${init.issueCount === 1 ? '' : 's'} in this log — the other records are shown`));
      const ul = el('ul');
      for (const i of init.issues) ul.append(el('li', `issue ${i.severity}`, issueText(i)));
      if (init.issueCount > init.issues.length) ul.append(el('li', 'issue', `… and ${init.issueCount - init.issues.length} more (rollout-lens summary lists all)`));
      det.append(ul);
      this.root.append(det);
    }

    const body = el('main', 'body');
    const imagePane = el('section', 'image-pane', undefined, { 'aria-label': 'Image' });
    const imgBar = el('div', 'image-toolbar');
    const cb = (id: string, label: string, cls: string) => {
      const c = el('vscode-checkbox', cls, undefined, { id, label });
      c.addEventListener('change', () => this.toggle(id === 'toggle-gt' ? 'gt' : 'pred'));
      return c;
    };
    imgBar.append(cb('toggle-gt', 'Ground truth (g)', 'legend-gt'), cb('toggle-pred', 'Predicted (b)', 'legend-pred'), el('span', 'frame-note', '', { id: 'frame-note' }));
    imagePane.append(imgBar, el('div', 'images', undefined, { id: 'images' }));
    const textPane = el('section', 'text-pane', undefined, { 'aria-label': 'Completion' });
    textPane.append(
      el('div', 'rewards', undefined, { id: 'rewards' }),
      el('div', 'answers', undefined, { id: 'answers' }),
      el('div', 'record-issues', undefined, { id: 'record-issues' }),
      el('h3', 'section-title', 'Completion'),
      el('pre', 'completion', '', { id: 'completion', tabindex: '0' }),
    );
    const prompt = el('details', 'prompt', undefined, { id: 'prompt' });
    prompt.append(el('summary', undefined, 'Prompt'), el('pre', 'prompt-text', '', { id: 'prompt-text' }));
    textPane.append(prompt);
    body.append(imagePane, textPane);
    this.root.append(body);

    const strip = el('footer', 'strip', undefined, { 'aria-label': 'Completions of this group' });
    strip.append(el('div', 'strip-head', '', { id: 'strip-head' }), el('div', 'cards', undefined, { id: 'cards', role: 'listbox' }));
    this.root.append(strip);
  }

  private renderEmpty(): void {
    const s = this.q('#status');
    s.className = 'status error';
    s.textContent = this.init && this.init.issueCount > 0
      ? 'No readable completions in this log. See the problems listed above.'
      : 'This log holds no completions.';
  }

  private renderGroup(): void {
    const g = this.group;
    if (!g || !this.init) return;
    const r = g.rollouts[this.completion];
    this.q('#position').textContent =
      `step ${g.step} (${g.stepIndex + 1}/${g.stepCount}) · group ${g.groupIndex + 1}/${g.groupCount} · completion ${r ? this.completion + 1 : 0}/${g.rollouts.length}`;
    const status = this.q('#status');
    status.className = 'status';
    status.textContent = '';
    (this.q('#toggle-gt') as HTMLElement & { checked: boolean }).checked = this.showGt;
    (this.q('#toggle-pred') as HTMLElement & { checked: boolean }).checked = this.showPred;
    this.renderStrip(g);
    if (!r) {
      this.q('#images').replaceChildren(el('p', 'empty', 'No readable completion in this group.'));
      this.q('#completion').textContent = '';
      this.q('#rewards').replaceChildren();
      this.q('#answers').replaceChildren();
      this.renderIssues(g.issues);
      return;
    }
    this.renderImages(r);
    this.renderRewards(r);
    this.renderAnswers(r);
    this.renderIssues([...g.issues, ...r.issues]);
    this.renderCompletion(r);
    this.q('#prompt-text').textContent = r.promptText;
  }

  private renderStrip(g: GroupView): void {
    const head = this.q('#strip-head');
    head.replaceChildren(el('span', undefined, `Group ${g.groupId} · ${g.rollouts.length} completions`));
    if (g.zeroVariance) {
      const r0 = g.rollouts[0]?.reward ?? null;
      head.append(el('span', 'flag zero-variance', `no learning signal: every completion has reward ${fmt(r0)}`, { id: 'zero-variance' }));
    }
    const cards = this.q('#cards');
    cards.replaceChildren();
    g.rollouts.forEach((r, i) => {
      const c = el('button', 'card' + (i === this.completion ? ' selected' : ''), undefined, {
        role: 'option',
        'aria-selected': String(i === this.completion),
        title: `completion ${r.indexInGroup} (${r.unit === "row" ? "row" : "line"} ${r.line} of ${r.file.split(/[\\/]/).pop() ?? r.file})`,
      });
      c.append(el('span', 'card-index', `#${r.indexInGroup}`), el('span', 'card-reward', `R ${fmt(r.reward)}`), el('span', 'card-adv ' + advClass(r.advantage), `A ${signed(r.advantage)}`));
      if (r.issues.length) c.append(el('span', 'card-issue', '⚠', { title: r.issues.map(issueText).join('\n') }));
      c.addEventListener('click', () => {
        this.completion = i;
        this.save();
        this.renderGroup();
      });
      cards.append(c);
    });
  }

  private renderRewards(r: RolloutView): void {
    const box = this.q('#rewards');
    box.replaceChildren();
    for (const rw of r.rewards) {
      const { name, value } = rw;
      const checked = rw.recomputed !== undefined;
      const cls = 'chip reward-chip' + (rw.mismatch ? ' mismatch' : checked && rw.recomputed !== null ? ' verified' : '');
      const tip = !checked
        ? 'Logged value (this reward function is not one Rollout Lens can recompute)'
        : [
            rw.mismatch ? `MISMATCH: logged ${fmt(value)}, recomputed ${fmt(rw.recomputed ?? null)}` : rw.recomputed === null ? 'Recognised, but not computable for this completion' : `Recomputed ${fmt(rw.recomputed ?? null)}: matches the log`,
            ...(rw.explain ?? []),
          ].join('\n');
      const chip = el('span', cls, undefined, { 'data-reward': name, title: tip });
      chip.append(el('span', 'chip-name', name), el('span', 'chip-value', fmt(value)));
      if (rw.mismatch) chip.append(el('span', 'chip-recomputed', `≠ ${fmt(rw.recomputed ?? null)}`));
      else if (checked && rw.recomputed !== null) chip.append(el('span', 'chip-check', '✓'));
      box.append(chip);
    }
    const total = el('span', 'chip total', undefined, { id: 'reward-total' });
    total.append(el('span', 'chip-name', 'reward'), el('span', 'chip-value', fmt(r.reward)));
    const adv = el('span', 'chip advantage ' + advClass(r.advantage), undefined, { id: 'advantage' });
    adv.append(el('span', 'chip-name', r.advantageSource === 'recomputed' ? 'advantage (recomputed)' : 'advantage'), el('span', 'chip-value', signed(r.advantage)));
    box.append(total, adv);
    if (r.verdict) {
      const v = el('span', `chip verdict verdict-${r.verdict.label}`, undefined, { title: r.verdict.rationale ?? '' });
      v.append(el('span', 'chip-name', `verdict (${r.verdict.source})`), el('span', 'chip-value', r.verdict.label));
      box.append(v);
    }
  }

  private renderAnswers(r: RolloutView): void {
    const box = this.q('#answers');
    box.replaceChildren();
    const row = (name: string, value: string | null, id: string) => {
      const d = el('div', 'answer-row');
      d.append(el('span', 'answer-name', name), el('code', 'answer-value', value ?? '—', { id }));
      return d;
    };
    box.append(row('answer', r.answer, 'answer'), row('reference', r.referenceAnswer, 'reference'));
    if (r.sampleId) box.append(row('sample', r.sampleId, 'sample-id'));
  }

  private renderIssues(issues: IssueView[]): void {
    const box = this.q('#record-issues');
    box.replaceChildren();
    for (const i of issues) {
      const d = el('div', `issue ${i.severity}`, issueText(i), { title: 'Click to open the log at this line' });
      d.addEventListener('click', () => void this.client.request('revealLine', { line: i.line, file: i.file }).catch(() => undefined));
      box.append(d);
    }
  }

  private renderImages(r: RolloutView): void {
    const wrap = this.q('#images');
    wrap.replaceChildren();
    const frames = new Set(r.pred.map((b) => b.frame + (b.frameAssumed ? ' (assumed)' : '')));
    const withCands = r.pred.find((b) => b.candidates && b.candidates.length > 1);
    const alt = withCands
      ? ` · frame ambiguous, IoU with the ground truth under each: ${withCands.candidates!.map((c) => `${c.frame} ${c.iou === null ? '—' : c.iou.toFixed(2)}`).join(', ')} (set boxFrame in rollout-lens.json to fix it)`
      : '';
    this.q('#frame-note').textContent = r.pred.length
      ? `predicted boxes read in frame: ${[...frames].join(', ')} → drawn in original pixels${alt}`
      : 'no predicted boxes parsed';
    if (r.images.length === 0) {
      wrap.append(el('p', 'empty', 'This completion has no image.'));
      return;
    }
    r.images.forEach((im, idx) => wrap.append(this.renderImage(r, im, idx)));
  }

  private renderImage(r: RolloutView, im: ImageView, idx: number): HTMLElement {
    const fig = el('figure', 'figure');
    const cap = el('figcaption', 'image-meta');
    cap.append(el('span', 'image-path', im.path, { title: im.path }));
    if (im.width && im.height) cap.append(el('span', 'image-size', `${im.width}×${im.height}`));
    if (im.orientation !== null && im.orientation !== 1) {
      cap.append(el('span', 'flag orientation', `EXIF orientation ${im.orientation}: shown as stored (as the model saw it), not rotated`, { id: 'orientation-flag' }));
    }
    if (!im.url) {
      fig.append(el('div', 'missing-image', `Image not found: ${im.path}`), cap);
      return fig;
    }
    const stage = el('div', 'stage');
    const img = el('img', 'image', undefined, { alt: `image ${idx + 1} of the prompt`, draggable: 'false' });
    img.src = im.url;
    stage.append(img);
    const layer = el('div', 'box-layer', undefined, { 'aria-hidden': 'false' });
    stage.append(layer);
    const place = (w: number, h: number) => {
      layer.replaceChildren();
      if (idx !== 0) return; // boxes refer to the first image in this format
      if (this.showGt) r.gt.forEach((b, i) => layer.append(this.boxEl(b, 'gt', i, w, h)));
      if (this.showPred) r.pred.forEach((b, i) => layer.append(this.boxEl(b, 'pred', i, w, h)));
    };
    const w0 = im.width ?? 0;
    const h0 = im.height ?? 0;
    if (w0 > 0 && h0 > 0) place(w0, h0);
    img.addEventListener('load', () => {
      if (!(w0 > 0 && h0 > 0)) place(img.naturalWidth, img.naturalHeight);
      else if (img.naturalWidth !== w0 || img.naturalHeight !== h0) {
        cap.append(el('span', 'flag', `file is ${img.naturalWidth}×${img.naturalHeight}, log says ${w0}×${h0}: boxes use the logged size`));
      }
      stage.classList.add('loaded');
    });
    img.addEventListener('error', () => {
      stage.replaceChildren(el('div', 'missing-image', `Image could not be loaded: ${im.path}`));
    });
    fig.append(stage, cap);
    return fig;
  }

  private boxEl(b: BoxView, set: 'gt' | 'pred', i: number, w: number, h: number): HTMLElement {
    const [x1, y1, x2, y2] = b.box;
    const d = el('div', `box box-${set}` + (b.part ? ` part-${b.part}` : ''), undefined, { 'data-set': set, 'data-index': String(i) });
    d.style.left = `${(100 * Math.min(x1, x2)) / w}%`;
    d.style.top = `${(100 * Math.min(y1, y2)) / h}%`;
    d.style.width = `${(100 * Math.abs(x2 - x1)) / w}%`;
    d.style.height = `${(100 * Math.abs(y2 - y1)) / h}%`;
    const label = `${set === 'gt' ? 'GT' : b.part === 'think' ? 'think' : 'pred'}${b.label ? ' ' + b.label : ''} · IoU ${b.iou.toFixed(2)}`;
    d.append(el('span', 'box-label', label));
    d.title = `${label}\n[${b.box.map((v) => Math.round(v)).join(', ')}] original px (written in ${b.frame}${b.frameAssumed ? ', assumed' : ''})`;
    if (set === 'pred') {
      d.addEventListener('mouseenter', () => this.light(i, true, true));
      d.addEventListener('mouseleave', () => this.light(i, false, false));
    }
    return d;
  }

  /** Light predicted box `i` and its mention in the text; optionally scroll the mention into view. */
  private light(i: number, on: boolean, scroll: boolean): void {
    for (const e of this.root.querySelectorAll<HTMLElement>(`.box-pred[data-index="${i}"], .mention[data-box="${i}"]`)) {
      e.classList.toggle('lit', on);
    }
    if (on && scroll) this.root.querySelector<HTMLElement>(`.mention[data-box="${i}"]`)?.scrollIntoView({ block: 'nearest' });
  }

  private renderCompletion(r: RolloutView): void {
    const pre = this.q('#completion');
    pre.replaceChildren();
    for (const seg of segmentCompletion(r.completion, r.pred.map((b) => b.span))) {
      const cls = [seg.part !== 'other' ? `part-${seg.part}` : '', seg.tag ? 'tag' : '', seg.box !== null ? 'mention' : ''].filter(Boolean).join(' ');
      if (!cls) {
        pre.append(document.createTextNode(seg.text));
        continue;
      }
      const s = el('span', cls, seg.text);
      if (seg.box !== null) {
        const bi = seg.box;
        s.setAttribute('data-box', String(bi));
        s.addEventListener('mouseenter', () => this.light(bi, true, false));
        s.addEventListener('mouseleave', () => this.light(bi, false, false));
      }
      pre.append(s);
    }
  }
}

function advClass(a: number | null): string {
  if (a === null || !Number.isFinite(a) || Math.abs(a) < 1e-6) return 'adv-zero';
  return a > 0 ? 'adv-pos' : 'adv-neg';
}

const root = document.getElementById('app');
if (root) new Inspector(root);
