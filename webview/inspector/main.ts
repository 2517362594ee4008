// The Rollout Inspector webview. Three views of one log:
//   Overview — curves over steps (uPlot), histograms of the current step; click a point to jump there.
//   Inspect  — one group: the selected completion's image(s) on a canvas with GT / predicted boxes coloured by
//              match status at a draggable IoU threshold, its reasoning with box mentions linked to the image,
//              rewards logged vs recomputed; the group's completions as cards sorted by advantage.
//   Samples  — every completion in a virtualized table with a filter expression and text search.
// Every string from a log goes into the DOM as text (textContent), never as HTML.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import type {
  FieldInfo, GroupView, ImageView, InitPayload, IssueView, RolloutView, SummaryView, UpdatePayload, VerdictsView, ZeroVarianceKind,
} from '../../extension/protocol/inspector';
import { InspectorClient } from './rpc';
import { segmentCompletion } from '../../extension/core/segments';
import { SampleCanvas } from './canvasView';
import { OverviewPane } from './overview';
import { SampleList, type ListState } from './sampleList';
import { el } from './dom';
import { lightMention, segmentNode } from './trace';
import { VerdictsCard, verdictBadge, verdictRow } from './verdicts';

/** Verdict pushes (judge progress) come often: refetch at most this often, and this long after the last one. */
const VERDICTS_DEBOUNCE_MS = 250;
const VERDICTS_MAX_WAIT_MS = 1500;

type Similarity = { model: string; scores: Array<number | null> } | null;

type Tab = 'overview' | 'inspect' | 'samples';

interface SavedState {
  file: string;
  groupIndex: number;
  completion: number;
  showGt: boolean;
  showPred: boolean;
  tab?: Tab;
  threshold?: number;
  list?: ListState;
  /** Jump to the newest step whenever the log grows (a running job's log). */
  follow?: boolean;
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

const ZERO_KIND_TEXT: Record<ZeroVarianceKind, string> = {
  'all-fail': 'every completion failed',
  'all-pass': 'every completion passed',
  identical: 'every completion is the same text',
  'same-reward': 'every completion got the same reward',
};

const FRAMES = ['original', 'model-input', 'norm1000', 'norm1', 'bins1000', 'bins1024'];

/** Keyboard map, shown by `?` (keep in step with onKey). */
const KEYS: Array<[string, string]> = [
  ['j / k', 'next / previous completion (in the order of the cards)'],
  ['J / K', 'next / previous group'],
  ['] / [', 'next / previous step'],
  ['r', 'the same prompt at another step'],
  ['t', 'toggle ground-truth boxes'],
  ['p', 'toggle predicted boxes'],
  ['/', 'filter the sample list'],
  ['1 / 2 / 3', 'Overview / Inspect / Samples'],
  ['Home / End', 'first / last group'],
  ['f', 'follow the newest step as the log grows (a running job)'],
  ['+ − 0, drag, wheel', 'zoom / pan / reset the image (when it has focus)'],
  ['?', 'this help'],
];

class Inspector {
  private readonly client: InspectorClient;
  private init: InitPayload | undefined;
  private group: GroupView | undefined;
  private groupIndex = 0;
  /** Index into group.rollouts (not the display order). */
  private completion = 0;
  private follow = false;
  private showGt = true;
  private showPred = true;
  private threshold = 0.5;
  private tab: Tab = 'inspect';
  private readonly cache = new Map<number, Promise<GroupView>>();
  private readonly root: HTMLElement;
  private loadSeq = 0;
  private canvas: SampleCanvas | undefined;
  private overview: OverviewPane | undefined;
  private list: SampleList | undefined;
  private fields: FieldInfo[] = [];
  private overviewLoaded = false;
  private overviewPendingProgress = -1;
  private verdictsCard: VerdictsCard | undefined;
  private verdicts: VerdictsView | null = null;
  private verdictsTimer: ReturnType<typeof setTimeout> | undefined;
  private verdictsFirst = 0;
  /** CLIP similarity of generated images, asked once per record. */
  private readonly clip = new Map<number, Promise<Similarity>>();
  /** The host said no CLIP model is configured: ask again only when the verdicts say one is. */
  private clipOff = false;

  constructor(root: HTMLElement) {
    this.root = root;
    this.client = new InspectorClient(
      (init) => this.onInit(init),
      (u) => this.onUpdate(u),
      (sv) => this.onSummary(sv),
      (p) => void this.goGroup(p.groupIndex, p.completion, true),
      (p) => this.onScan(p.progress, p.fields),
      (v) => this.onVerdicts(v),
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
    const s: SavedState = {
      file: this.init.file, groupIndex: this.groupIndex, completion: this.completion, showGt: this.showGt, showPred: this.showPred,
      tab: this.tab, threshold: this.threshold, follow: this.follow,
    };
    const ls = this.list?.getState() ?? this.saved()?.list;
    if (ls) s.list = ls;
    this.client.api.setState(s);
  }

  private onInit(init: InitPayload): void {
    this.init = init;
    this.cache.clear();
    this.clip.clear();
    this.clipOff = false;
    const s = this.saved();
    const same = s && s.file === init.file;
    this.showGt = same ? s.showGt : true;
    this.showPred = same ? s.showPred : true;
    this.threshold = same && typeof s.threshold === 'number' ? s.threshold : 0.5;
    this.tab = same && s.tab ? s.tab : 'inspect';
    this.follow = same ? s.follow === true : false;
    const gi = same ? s.groupIndex : init.groupIndex;
    this.overviewLoaded = false;
    this.renderShell();
    if (same && s.list) this.list?.setState(s.list);
    this.setTab(this.tab, false);
    if (init.groups === 0) {
      this.renderEmpty();
      return;
    }
    // a panel restored in follow mode (a reload while a job runs) goes on following: the newest step, not the saved group
    if (this.follow) void this.followNewest();
    else void this.goGroup(Math.min(Math.max(0, gi), init.groups - 1), same ? s.completion : 'first');
  }

  private summary: SummaryView | undefined;

  /** Whole-log statistics from the host's summary worker. */
  private onSummary(sv: SummaryView): void {
    this.summary = sv;
    const el0 = this.root.querySelector('#summary');
    if (el0) el0.textContent = summaryText(sv);
  }

  /** The background scan (length, IoU, truncation, mismatch …) advanced. */
  private onScan(progress: number, fields: FieldInfo[]): void {
    this.fields = fields;
    this.list?.setFields(fields);
    const scan = this.root.querySelector('#scan-progress');
    if (scan) scan.textContent = progress >= 1 ? '' : `reading every completion for length, IoU, truncation… ${Math.round(progress * 100)}%`;
    // refresh the overview when series it was waiting for are done (and now and then while it runs)
    if (this.overviewLoaded && (progress >= 1 || progress - this.overviewPendingProgress >= 0.25)) {
      this.overviewPendingProgress = progress;
      if (this.tab === 'overview') void this.loadOverview();
      else this.overviewLoaded = false;
    }
    if (progress >= 1) this.list?.refresh();
  }

  /** The log grew (indexing finished, lines appended, new step files): new counts, fresh groups. */
  private onUpdate(u: UpdatePayload): void {
    if (!this.init) return;
    const wasEmpty = this.init.groups === 0;
    Object.assign(this.init, { records: u.records, groups: u.groups, steps: u.steps, issueCount: u.issueCount, complete: u.complete });
    if (typeof u.fileCount === 'number') this.init.fileCount = u.fileCount;
    this.cache.clear();
    if (!u.complete || u.records < this.clip.size) this.clip.clear();
    this.q('#meta').textContent = metaText(this.init);
    this.overviewLoaded = false;
    if (this.tab === 'overview') void this.loadOverview();
    this.list?.refresh();
    if (wasEmpty && u.groups > 0) {
      this.renderShell();
      this.setTab(this.tab, false);
      if (this.follow) void this.followNewest();
      else void this.goGroup(0, 'first');
    } else if (this.follow) void this.followNewest();
    else if (this.group) void this.goGroup(this.groupIndex, this.completion);
  }

  /** Follow mode: the first group of the newest step (the log's steps, largest value). */
  private async followNewest(): Promise<void> {
    const init = this.init;
    if (!init || init.groups === 0) return;
    let newest = -Infinity;
    for (const v of init.steps) if (v > newest) newest = v;
    if (!Number.isFinite(newest)) return void this.goGroup(init.groups - 1, 'first');
    if (this.group && this.group.step === newest) return void this.goGroup(this.groupIndex, this.completion);
    await this.goStepValue(newest, false);
  }

  private setFollow(on: boolean): void {
    this.follow = on;
    const b = this.root.querySelector<HTMLElement>('#follow');
    if (b) {
      b.setAttribute('aria-pressed', String(on));
      b.toggleAttribute('secondary', !on);
      b.textContent = on ? '● Following newest' : '○ Follow newest';
    }
    this.save();
    if (on) void this.followNewest();
  }

  /** Verdicts changed (judge progress or finish, another source): the card at once, curves and badges debounced. */
  private onVerdicts(v: VerdictsView): void {
    this.setVerdicts(v);
    this.scheduleVerdictsRefresh();
  }

  private setVerdicts(v: VerdictsView | null): void {
    this.verdicts = v;
    this.verdictsCard?.setData(v);
    if (v?.judges.clip && this.clipOff) {
      // a CLIP model was configured since the host said none: ask again
      this.clipOff = false;
      this.clip.clear();
    }
  }

  private scheduleVerdictsRefresh(): void {
    const now = Date.now();
    if (this.verdictsTimer === undefined) this.verdictsFirst = now;
    else clearTimeout(this.verdictsTimer);
    const wait = Math.max(0, Math.min(VERDICTS_DEBOUNCE_MS, this.verdictsFirst + VERDICTS_MAX_WAIT_MS - now));
    this.verdictsTimer = setTimeout(() => {
      this.verdictsTimer = undefined;
      void this.refreshVerdicts();
    }, wait);
  }

  /** Fetch again what shows verdicts: the overview (rates) when shown, the current group's badges and chips. */
  private async refreshVerdicts(): Promise<void> {
    this.cache.clear();
    if (this.tab === 'overview') void this.loadOverview();
    else this.overviewLoaded = false;
    if (this.tab === 'samples') this.list?.refresh();
    if (!this.group || !this.init || this.init.groups === 0) return;
    const gi = this.groupIndex;
    const seq = this.loadSeq;
    try {
      const g = await this.fetchGroup(gi);
      if (seq !== this.loadSeq || gi !== this.groupIndex || !this.group || this.group.groupIndex !== g.groupIndex) return;
      // only the verdict parts: the image keeps its zoom, the text its scroll
      this.group = g;
      this.renderStrip(g);
      const r = g.rollouts[this.completion];
      if (r) this.renderVerdicts(r);
    } catch (e) {
      this.client.logError(`verdicts refresh: ${e instanceof Error ? e.message : String(e)}`);
    }
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

  private async goGroup(i: number, completion: number | 'first' | 'last' = 0, show = false): Promise<void> {
    if (!this.init || this.init.groups === 0) return;
    const idx = Math.min(Math.max(0, i), this.init.groups - 1);
    const seq = ++this.loadSeq;
    this.groupIndex = idx;
    if (show) this.setTab('inspect');
    // Saved before the request: if the host widens localResourceRoots for this group's images, the
    // webview reloads and must come back here, not to the previous group.
    this.completion = typeof completion === 'number' ? completion : 0;
    this.save();
    this.setBusy(true);
    try {
      const g = await this.fetchGroup(idx);
      if (seq !== this.loadSeq) return;
      this.group = g;
      const n = g.rollouts.length;
      const order = displayOrder(g);
      this.completion = completion === 'last' ? (order[order.length - 1] ?? 0) : completion === 'first' ? (order[0] ?? 0) : Math.min(Math.max(0, completion), Math.max(0, n - 1));
      this.save();
      this.renderGroup();
      this.overview?.setStep(g.step);
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
      await this.goGroup(g.groupIndex, 'first');
    } catch (e) {
      this.showError(`Could not load step: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** The first group of a step: from the overview (`show`: switch to the Inspect view), or following the newest step. */
  private async goStepValue(step: number, show = true): Promise<void> {
    const seq = ++this.loadSeq;
    try {
      const g = await this.client.request('getStepByValue', { step });
      if (seq !== this.loadSeq) return;
      this.cache.set(g.groupIndex, Promise.resolve(g));
      await this.goGroup(g.groupIndex, 'first', show);
    } catch (e) {
      this.showError(`Could not load step ${step}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** From the sample list: the group of a record, with that record selected. */
  private async openRecord(recordIndex: number): Promise<void> {
    const seq = ++this.loadSeq;
    try {
      const { group, completion } = await this.client.request('getRecord', { recordIndex });
      if (seq !== this.loadSeq) return;
      this.cache.set(group.groupIndex, Promise.resolve(group));
      await this.goGroup(group.groupIndex, completion, true);
    } catch (e) {
      this.showError(`Could not open record ${recordIndex}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private moveCompletion(delta: number): void {
    if (!this.group) return;
    const order = displayOrder(this.group);
    const pos = order.indexOf(this.completion) + delta;
    if (pos >= 0 && pos < order.length) {
      this.completion = order[pos]!;
      this.save();
      this.renderGroup();
    } else if (pos >= order.length) {
      void this.goGroup(this.groupIndex + 1, 'first');
    } else {
      void this.goGroup(this.groupIndex - 1, 'last');
    }
  }

  private goRecurrence(): void {
    const g = this.group;
    if (!g || g.recurrences.length === 0) return;
    const others = g.recurrences.filter((r) => r.groupIndex !== g.groupIndex);
    if (others.length === 0) return;
    // the next occurrence after this step, wrapping around
    const next = others.find((r) => r.step > g.step) ?? others[0]!;
    void this.goGroup(next.groupIndex, 0);
  }

  private onKey(e: KeyboardEvent): void {
    const t = e.target as HTMLElement | null;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key;
    const help = this.root.querySelector<HTMLElement>('#help');
    if (help && !help.hidden) {
      if (k === 'Escape' || k === '?') {
        help.hidden = true;
        e.preventDefault();
      }
      return;
    }
    let handled = true;
    if (k === '?') this.showHelp();
    else if (k === '1') this.setTab('overview');
    else if (k === '2') this.setTab('inspect');
    else if (k === '3') this.setTab('samples');
    else if (k === '/') {
      this.setTab('samples');
      this.list?.focusFilter();
    } else if (this.tab === 'samples') handled = false; // the list handles its own keys
    else if (k === 'j' || k === 'ArrowRight') this.moveCompletion(1);
    else if (k === 'k' || k === 'ArrowLeft') this.moveCompletion(-1);
    else if (k === 'J' || k === 'n' || k === 'PageDown') void this.goGroup(this.groupIndex + 1, 'first', true);
    else if (k === 'K' || k === 'PageUp') void this.goGroup(this.groupIndex - 1, 'first', true);
    else if (k === ']') void this.goStep(1);
    else if (k === '[') void this.goStep(-1);
    else if (k === 'Home') void this.goGroup(0);
    else if (k === 'End' && this.init) void this.goGroup(this.init.groups - 1);
    else if (k === 'f') this.setFollow(!this.follow);
    else if (k === 't' || k === 'g') this.toggle('gt');
    else if (k === 'p' || k === 'b') this.toggle('pred');
    else if (k === 'r') this.goRecurrence();
    else handled = false;
    if (handled) e.preventDefault();
  }

  private toggle(set: 'gt' | 'pred'): void {
    if (set === 'gt') this.showGt = !this.showGt;
    else this.showPred = !this.showPred;
    this.save();
    (this.q('#toggle-gt') as HTMLElement & { checked: boolean }).checked = this.showGt;
    (this.q('#toggle-pred') as HTMLElement & { checked: boolean }).checked = this.showPred;
    this.canvas?.setToggles(this.showGt, this.showPred);
  }

  private setTab(tab: Tab, save = true): void {
    this.tab = tab;
    for (const t of ['overview', 'inspect', 'samples'] as const) {
      const panel = this.root.querySelector<HTMLElement>(`#view-${t}`);
      const button = this.root.querySelector<HTMLElement>(`#tab-${t}`);
      if (panel) panel.hidden = t !== tab;
      if (button) {
        button.setAttribute('aria-selected', String(t === tab));
        button.classList.toggle('active', t === tab);
      }
    }
    this.root.querySelector<HTMLElement>('#nav')?.classList.toggle('hidden', tab !== 'inspect');
    if (tab === 'overview' && !this.overviewLoaded) void this.loadOverview();
    if (tab === 'samples') this.list?.refresh();
    if (save) this.save();
  }

  private async loadOverview(): Promise<void> {
    if (!this.overview) return;
    this.overviewLoaded = true;
    try {
      const o = await this.client.request('getOverview', {});
      this.overview.setData(o);
      if (o.verdicts) this.setVerdicts(o.verdicts);
      const step = this.group?.step ?? this.init?.steps[0];
      if (step !== undefined) this.overview.setStep(step); // asks for the step's statistics itself
    } catch (e) {
      this.overviewLoaded = false;
      this.showError(`Could not compute the overview: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async loadStats(step: number): Promise<void> {
    try {
      this.overview?.setStats(await this.client.request('getStepStats', { step }));
    } catch (e) {
      this.overview?.setStats(null);
      this.client.logError(`step stats: ${e instanceof Error ? e.message : String(e)}`);
    }
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

  private showInfo(message: string): void {
    const box = this.q('#status');
    box.textContent = message;
    box.className = 'status info';
  }

  private showHelp(): void {
    const help = this.q('#help');
    help.hidden = false;
    help.focus();
  }

  private renderShell(): void {
    const init = this.init!;
    this.canvas?.dispose();
    this.verdictsCard?.dispose();
    this.overview?.dispose();
    this.list?.dispose();
    this.root.replaceChildren();
    const header = el('header', 'toolbar');
    const title = el('div', 'title');
    title.append(el('span', 'file', init.fileName, { title: init.file }));
    title.append(el('span', 'meta', metaText(init), { id: 'meta', title: init.format }));
    title.append(el('span', 'summary', this.summary ? summaryText(this.summary) : '', { id: 'summary', 'aria-live': 'polite' }));
    title.append(el('span', 'scan-progress', '', { id: 'scan-progress' }));
    header.append(title);

    const tabs = el('div', 'tabs', undefined, { role: 'tablist', 'aria-label': 'Views' });
    const tabButton = (t: Tab, label: string, key: string) => {
      const b = el('button', 'tab', label, { id: `tab-${t}`, role: 'tab', 'aria-controls': `view-${t}`, title: `${label} (${key})` });
      b.addEventListener('click', () => this.setTab(t));
      return b;
    };
    tabs.append(tabButton('overview', 'Overview', '1'), tabButton('inspect', 'Inspect', '2'), tabButton('samples', 'Samples', '3'));
    const helpButton = el('button', 'tab help-button', '?', { id: 'help-button', title: 'Keyboard shortcuts (?)', 'aria-label': 'Keyboard shortcuts' });
    helpButton.addEventListener('click', () => this.showHelp());
    tabs.append(helpButton);
    header.append(tabs);

    const nav = el('nav', 'nav', undefined, { id: 'nav', 'aria-label': 'Navigate' });
    const button = (id: string, label: string, tip: string, fn: () => void) => {
      const b = el('vscode-button', 'navbtn', label, { id, title: tip, secondary: '' });
      b.addEventListener('click', fn);
      return b;
    };
    nav.append(
      button('prev-step', '⇤ Step', 'Previous step ([)', () => void this.goStep(-1)),
      button('prev-group', '◀ Group', 'Previous group (K or PageUp)', () => void this.goGroup(this.groupIndex - 1, 'first')),
      button('prev-completion', '◀', 'Previous completion (k or ←)', () => this.moveCompletion(-1)),
      el('span', 'position', '', { id: 'position', 'aria-live': 'polite' }),
      button('next-completion', '▶', 'Next completion (j or →)', () => this.moveCompletion(1)),
      button('next-group', 'Group ▶', 'Next group (J or PageDown)', () => void this.goGroup(this.groupIndex + 1, 'first')),
      button('next-step', 'Step ⇥', 'Next step (])', () => void this.goStep(1)),
    );
    const follow = button('follow', this.follow ? '● Following newest' : '○ Follow newest', 'Follow the newest step as the log grows, e.g. while a job runs (f)', () => this.setFollow(!this.follow));
    follow.setAttribute('aria-pressed', String(this.follow));
    if (this.follow) follow.removeAttribute('secondary');
    nav.append(follow);
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
      for (const i of init.issues) {
        const li = el('li', `issue ${i.severity}`, issueText(i), { title: 'Click to open the log at this line' });
        li.addEventListener('click', () => void this.client.request('revealLine', { line: i.line, file: i.file }).catch(() => undefined));
        ul.append(li);
      }
      if (init.issueCount > init.issues.length) ul.append(el('li', 'issue', `… and ${init.issueCount - init.issues.length} more (rollout-lens summary lists all)`));
      det.append(ul);
      this.root.append(det);
    }

    // ---- Overview
    const overviewView = el('section', 'view view-overview', undefined, { id: 'view-overview', role: 'tabpanel', 'aria-labelledby': 'tab-overview' });
    this.overview = new OverviewPane(overviewView, {
      onStep: (step) => void this.goStepValue(step),
      onRequestStats: (step) => void this.loadStats(step),
    });
    this.verdictsCard = new VerdictsCard(this.overview.slot, {
      setSource: (source) => this.client.request('setVerdictSource', { source }),
      runJudge: async (kind) => {
        await this.client.request('runJudge', { kind });
      },
      changed: (v) => {
        this.verdicts = v;
        this.scheduleVerdictsRefresh();
      },
    });
    this.verdictsCard.setData(this.verdicts);

    // ---- Inspect
    const inspectView = el('section', 'view view-inspect', undefined, { id: 'view-inspect', role: 'tabpanel', 'aria-labelledby': 'tab-inspect' });
    const body = el('main', 'body');
    const imagePane = el('section', 'image-pane', undefined, { 'aria-label': 'Image' });
    const imgBar = el('div', 'image-toolbar');
    const cb = (id: string, label: string, cls: string) => {
      const c = el('vscode-checkbox', cls, undefined, { id, label });
      c.addEventListener('change', () => this.toggle(id === 'toggle-gt' ? 'gt' : 'pred'));
      return c;
    };
    const frameSel = el('select', 'frame-select', undefined, { id: 'frame-select', title: 'The frame the predicted boxes are read in (for this run, in this window)', 'aria-label': 'Box frame' });
    frameSel.append(el('option', undefined, 'frame: as read', { value: '' }));
    for (const f of FRAMES) frameSel.append(el('option', undefined, `frame: ${f}`, { value: f }));
    frameSel.addEventListener('change', () => void this.setFrame(frameSel.value || null));
    const actions = el('span', 'actions');
    const act = (id: string, label: string, tip: string, fn: () => void) => {
      const b = el('button', 'link-button', label, { id, title: tip });
      b.addEventListener('click', fn);
      return b;
    };
    actions.append(
      act('export-md', 'Markdown', 'Save this group as a Markdown table', () => void this.exportGroup('markdown')),
      act('export-csv', 'CSV', 'Save this group as CSV', () => void this.exportGroup('csv')),
      act('export-png', 'PNG', 'Save the image with its boxes as PNG', () => void this.exportPng()),
      act('copy-link', 'Copy link', 'Copy a link that opens this completion', () => void this.copyLink()),
    );
    imgBar.append(cb('toggle-gt', 'Ground truth (t)', 'legend-gt'), cb('toggle-pred', 'Predicted (p)', 'legend-pred'), frameSel, actions);
    const canvasHost = el('div', 'canvas-host', undefined, { id: 'images' });
    imagePane.append(imgBar, el('div', 'frame-note', '', { id: 'frame-note' }), canvasHost);
    this.canvas = new SampleCanvas(canvasHost, {
      onHoverBox: (set, index) => lightMention(this.root, set, index),
      onThreshold: (t) => {
        this.threshold = t;
        this.save();
      },
    });
    const textPane = el('section', 'text-pane', undefined, { 'aria-label': 'Completion' });
    textPane.append(
      el('div', 'rewards', undefined, { id: 'rewards' }),
      el('div', 'verdicts', undefined, { id: 'verdicts' }),
      el('div', 'answers', undefined, { id: 'answers' }),
      el('div', 'record-issues', undefined, { id: 'record-issues' }),
      el('h3', 'section-title', 'Completion', { id: 'completion-title' }),
      el('pre', 'completion', '', { id: 'completion', tabindex: '0' }),
      el('div', 'generated', undefined, { id: 'generated' }),
    );
    const prompt = el('details', 'prompt', undefined, { id: 'prompt' });
    prompt.append(el('summary', undefined, 'Prompt'), el('pre', 'prompt-text', '', { id: 'prompt-text' }));
    textPane.append(prompt);
    body.append(imagePane, textPane);
    const strip = el('footer', 'strip', undefined, { 'aria-label': 'Completions of this group' });
    strip.append(el('div', 'strip-head', '', { id: 'strip-head' }), el('div', 'cards', undefined, { id: 'cards', role: 'listbox', 'aria-label': 'Completions sorted by advantage' }));
    inspectView.append(body, strip);

    // ---- Samples
    const samplesView = el('section', 'view view-samples', undefined, { id: 'view-samples', role: 'tabpanel', 'aria-labelledby': 'tab-samples' });
    const listBar = el('div', 'list-actions');
    const lact = (id: string, label: string, format: 'markdown' | 'csv') => {
      const b = el('button', 'link-button', label, { id, title: `Save the filtered list as ${label}` });
      b.addEventListener('click', () => void this.exportList(format));
      return b;
    };
    listBar.append(el('span', 'muted', 'Export the filtered list:'), lact('export-list-md', 'Markdown', 'markdown'), lact('export-list-csv', 'CSV', 'csv'));
    const listHost = el('div', 'list-host');
    samplesView.append(listBar, listHost);
    this.list = new SampleList(listHost, {
      query: (p) => this.client.request('query', p),
      open: (ri) => void this.openRecord(ri),
    });
    if (this.fields.length) this.list.setFields(this.fields);
    listHost.addEventListener('input', () => this.save());

    const help = el('div', 'help', undefined, { id: 'help', role: 'dialog', 'aria-label': 'Keyboard shortcuts', tabindex: '-1' });
    help.hidden = true;
    help.append(el('h3', undefined, 'Keyboard'));
    const dl = el('dl');
    for (const [k, d] of KEYS) dl.append(el('dt', undefined, k), el('dd', undefined, d));
    help.append(dl, el('p', 'muted', 'Esc closes.'));
    help.addEventListener('click', () => (help.hidden = true));

    this.root.append(overviewView, inspectView, samplesView, help);
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
    const order = displayOrder(g);
    this.q('#position').textContent =
      `step ${g.step} (${g.stepIndex + 1}/${g.stepCount}) · group ${g.groupIndex + 1}/${g.groupCount} · completion ${r ? order.indexOf(this.completion) + 1 : 0}/${g.rollouts.length}`;
    const status = this.q('#status');
    if (!status.classList.contains('info')) {
      status.className = 'status';
      status.textContent = '';
    }
    (this.q('#toggle-gt') as HTMLElement & { checked: boolean }).checked = this.showGt;
    (this.q('#toggle-pred') as HTMLElement & { checked: boolean }).checked = this.showPred;
    this.q<HTMLSelectElement>('#frame-select').value = g.frameOverride ?? '';
    this.renderStrip(g);
    if (!r) {
      this.canvas?.show({ images: [], gt: [], pred: [] }, { showGt: this.showGt, showPred: this.showPred, threshold: this.threshold });
      this.q('#completion').textContent = '';
      this.q('#rewards').replaceChildren();
      this.q('#verdicts').replaceChildren();
      this.q('#answers').replaceChildren();
      this.q('#generated').replaceChildren();
      this.renderIssues(g.issues);
      return;
    }
    this.renderImages(r);
    this.renderRewards(r);
    this.renderVerdicts(r);
    this.renderAnswers(r);
    this.renderIssues([...g.issues, ...r.issues]);
    this.renderCompletion(r);
    this.q('#prompt-text').textContent = r.promptText;
  }

  private renderStrip(g: GroupView): void {
    const head = this.q('#strip-head');
    head.replaceChildren(el('span', 'strip-title', `Group ${g.groupId} · ${g.rollouts.length} completions, sorted by advantage`));
    const known = g.rollouts.filter((r) => r.correct !== null);
    if (known.length) {
      const k = known.filter((r) => r.correct).length;
      head.append(el('span', 'k-of-g', `${k} of ${known.length} correct`, { id: 'k-of-g' }));
    }
    if (g.zeroVariance) {
      const r0 = g.rollouts[0]?.reward ?? null;
      const why = g.zeroVarianceKind ? ZERO_KIND_TEXT[g.zeroVarianceKind] : `every completion has reward ${fmt(r0)}`;
      head.append(el('span', `flag zero-variance zero-${g.zeroVarianceKind ?? 'same-reward'}`, `no learning signal: ${why} (reward ${fmt(r0)})`, { id: 'zero-variance' }));
    }
    const others = g.recurrences.filter((x) => x.groupIndex !== g.groupIndex);
    if (others.length) {
      const rec = el('span', 'recurrences', undefined, { id: 'recurrences' });
      rec.append(el('span', 'muted', 'same prompt at'));
      for (const o of others.slice(0, 12)) {
        const b = el('button', 'link-button', `step ${o.step} (${fmt(o.meanReward)})`, { title: `Group ${o.groupIndex + 1}: mean reward ${fmt(o.meanReward)} (r cycles)` });
        b.addEventListener('click', () => void this.goGroup(o.groupIndex, 0));
        rec.append(b);
      }
      if (others.length > 12) rec.append(el('span', 'muted', `+${others.length - 12} more`));
      head.append(rec);
    }
    const cards = this.q('#cards');
    cards.replaceChildren();
    for (const i of displayOrder(g)) {
      const r = g.rollouts[i]!;
      const selected = i === this.completion;
      const c = el('button', 'card' + (selected ? ' selected' : '') + (r.correct === false ? ' wrong' : r.correct ? ' right' : ''), undefined, {
        role: 'option',
        'aria-selected': String(selected),
        'data-index': String(i),
        title: `completion ${r.indexInGroup} (${r.unit === 'row' ? 'row' : 'line'} ${r.line} of ${r.file.split(/[\\/]/).pop() ?? r.file})`,
      });
      const top = el('span', 'card-top');
      top.append(el('span', 'card-index', `#${r.indexInGroup}`), el('span', 'card-adv ' + advClass(r.advantage), `A ${signed(r.advantage)}`));
      c.append(top, el('span', 'card-reward', `R ${fmt(r.reward)}`));
      const chips = el('span', 'card-chips');
      for (const rw of r.rewards) {
        chips.append(el('span', 'mini' + (rw.mismatch ? ' mismatch' : ''), `${shortName(rw.name)} ${fmt(rw.value, 1)}`, { title: `${rw.name}: ${fmt(rw.value)}${rw.mismatch ? ` (recomputed ${fmt(rw.recomputed ?? null)})` : ''}` }));
      }
      c.append(chips);
      const badges = el('span', 'card-badges');
      if (r.correct !== null) badges.append(el('span', r.correct ? 'badge ok' : 'badge bad', r.correct ? '✓ correct' : '✗ wrong'));
      if (r.formatOk === false) badges.append(el('span', 'badge bad', 'format ✗'));
      if (r.truncated) badges.append(el('span', 'badge warn', '✂ cut', { title: r.truncatedWhy ?? 'cut at the maximum length' }));
      const degenerate = r.pred.filter((b) => b.flags && b.flags.length).length;
      if (degenerate) badges.append(el('span', 'badge warn', `⚠ ${degenerate} box${degenerate === 1 ? '' : 'es'}`, { title: [...new Set(r.pred.flatMap((b) => b.flags ?? []))].join(', ') }));
      const vb = verdictBadge(r);
      if (vb) badges.append(vb);
      badges.append(el('span', 'card-len', `${r.length} ${r.lengthUnit === 'tokens' ? 'tok' : 'ch'}`));
      c.append(badges);
      if (r.issues.length) c.append(el('span', 'card-issue', '⚠', { title: r.issues.map(issueText).join('\n') }));
      c.addEventListener('click', () => {
        this.completion = i;
        this.save();
        this.renderGroup();
      });
      cards.append(c);
    }
    cards.querySelector('.card.selected')?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
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
    if (r.truncated) {
      box.append(el('span', 'chip flagchip', `✂ truncated${r.truncatedWhy ? `: ${r.truncatedWhy}` : ''}`, { id: 'truncated' }));
    }
  }

  /** The sample view's "Verdicts" row: every source's verdict, the chosen one marked. */
  private renderVerdicts(r: RolloutView): void {
    const box = this.q('#verdicts');
    const row = verdictRow(r);
    box.replaceChildren(...(row ? [row] : []));
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
    box.append(row('length', `${r.length} ${r.lengthUnit === 'tokens' ? 'tokens' : 'characters'}`, 'length'));
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
    const frames = new Set(r.pred.map((b) => b.frame + (b.frameAssumed ? ' (assumed)' : '')));
    const withCands = r.pred.find((b) => b.candidates && b.candidates.length > 1);
    const alt = withCands
      ? ` · frame ambiguous, IoU with the ground truth under each: ${withCands.candidates!.map((c) => `${c.frame} ${c.iou === null ? '—' : c.iou.toFixed(2)}`).join(', ')} (pick one above, or set boxFrame in rollout-lens.json)`
      : '';
    const override = this.group?.frameOverride ? ` · overridden for this run: ${this.group.frameOverride}` : '';
    this.q('#frame-note').textContent = r.pred.length
      ? `predicted boxes read in frame: ${[...frames].join(', ')} → drawn in original pixels${override}${alt}`
      : 'no predicted boxes parsed';
    if (r.images.length === 0) {
      this.canvas?.show({ images: [], gt: r.gt, pred: r.pred }, { showGt: this.showGt, showPred: this.showPred, threshold: this.threshold });
      return;
    }
    for (const im of r.images) {
      if (im.orientation !== null && im.orientation !== 1) {
        this.showInfo(`EXIF orientation ${im.orientation} on ${im.path}: shown as stored (as the model saw it), not rotated`);
      }
    }
    this.canvas?.show({ images: r.images, gt: r.gt, pred: r.pred }, { showGt: this.showGt, showPred: this.showPred, threshold: this.threshold });
  }


  private renderCompletion(r: RolloutView): void {
    const pre = this.q('#completion');
    pre.replaceChildren();
    const gens = r.generatedImages.filter((g) => g.at !== null).sort((a, b) => a.at! - b.at!);
    let gi = 0;
    let offset = 0;
    const genFigure = (im: ImageView, n: number): HTMLElement => {
      const f = el('span', 'gen-image', undefined, { title: `generated image ${n} of ${r.generatedImages.length}: ${im.path}`, 'data-gen': String(n - 1) });
      if (im.url) {
        const img = el('img', 'gen-img', undefined, { alt: `generated image ${n}` });
        img.src = im.url;
        f.append(img);
      } else f.append(el('span', 'missing-image small', `generated image ${n} not found: ${im.path}`));
      f.append(el('span', 'gen-label', `generated image ${n}/${r.generatedImages.length}`));
      return f;
    };
    for (const seg of segmentCompletion(r.completion, r.pred.map((b) => b.span))) {
      // generated images at their placeholder offsets
      while (gi < gens.length && gens[gi]!.at! <= offset) {
        pre.append(genFigure(gens[gi]!, r.generatedImages.indexOf(gens[gi]!) + 1));
        gi++;
      }
      offset += seg.text.length;
      pre.append(segmentNode(seg, (box) => this.canvas?.light('pred', box)));
    }
    while (gi < gens.length) {
      pre.append(genFigure(gens[gi]!, r.generatedImages.indexOf(gens[gi]!) + 1));
      gi++;
    }
    const rest = r.generatedImages.filter((g) => g.at === null);
    const gen = this.q('#generated');
    gen.replaceChildren();
    this.q('#completion-title').textContent = r.generatedImages.length
      ? `Completion · ${r.generatedImages.length} generated image${r.generatedImages.length === 1 ? '' : 's'}`
      : 'Completion';
    if (rest.length) {
      gen.append(el('h4', 'section-title', `Generated images without a placeholder in the text (${rest.length})`));
      rest.forEach((im) => gen.append(genFigure(im, r.generatedImages.indexOf(im) + 1)));
    }
    if (r.generatedImages.length) void this.showClip(r);
  }

  /** CLIP image-text similarity next to each generated image (asked once per record; nothing without a CLIP model). */
  private async showClip(r: RolloutView): Promise<void> {
    if (this.clipOff) return;
    const ri = r.recordIndex;
    let p = this.clip.get(ri);
    if (!p) {
      p = this.client.request('getImageSimilarity', { recordIndex: ri });
      this.clip.set(ri, p);
    }
    let res: Similarity;
    try {
      res = await p;
    } catch (e) {
      this.clip.delete(ri);
      this.client.logError(`image similarity: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (!res) {
      this.clipOff = true;
      return;
    }
    if (this.group?.rollouts[this.completion]?.recordIndex !== ri) return; // the user moved on
    for (const f of this.root.querySelectorAll<HTMLElement>('.gen-image[data-gen]')) {
      f.querySelector('.clip-score')?.remove();
      const n = Number(f.dataset.gen);
      const v = res.scores[n];
      if (v === null || v === undefined || !Number.isFinite(v)) continue;
      f.append(el('span', 'clip-score', `CLIP ${v.toFixed(2)}`, {
        title: `Image-text similarity of generated image ${n + 1} with the completion text (${res.model}, cosine)`,
      }));
    }
  }

  // ---------------- actions ----------------

  private async setFrame(frame: string | null): Promise<void> {
    try {
      await this.client.request('setFrame', { frame });
      this.cache.clear();
      this.showInfo(frame ? `Predicted boxes now read as ${frame} for this run (in this window).` : 'Predicted boxes read in the frames the log implies.');
      await this.goGroup(this.groupIndex, this.completion);
    } catch (e) {
      this.showError(`Could not change the frame: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async exportGroup(format: 'markdown' | 'csv'): Promise<void> {
    try {
      const p = await this.client.request('export', { what: 'group', format, groupIndex: this.groupIndex });
      if (p) this.showInfo(`Saved ${p}`);
    } catch (e) {
      this.showError(`Export failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async exportList(format: 'markdown' | 'csv'): Promise<void> {
    const s = this.list?.getState();
    try {
      const p = await this.client.request('export', {
        what: 'list', format,
        query: { filter: s?.filter ?? '', search: s?.search ?? '', sort: s?.sort ?? null, desc: s?.desc ?? false, offset: 0, limit: 5000 },
      });
      if (p) this.showInfo(`Saved ${p}`);
    } catch (e) {
      this.showError(`Export failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async exportPng(): Promise<void> {
    if (!this.canvas || !this.group) return;
    try {
      const dataUrl = await this.canvas.toPng(0);
      const r = this.group.rollouts[this.completion];
      const p = await this.client.request('savePng', { dataUrl, name: `step${this.group.step}-group${this.groupIndex + 1}-completion${(r?.indexInGroup ?? 0)}.png` });
      if (p) this.showInfo(`Saved ${p}`);
    } catch (e) {
      this.showError(`PNG export failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async copyLink(): Promise<void> {
    try {
      const link = await this.client.request('copyLink', { groupIndex: this.groupIndex, completion: this.completion });
      this.showInfo(`Link copied: ${link}`);
    } catch (e) {
      this.showError(`Could not copy a link: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/** Completions of a group in display order: by advantage (highest first), nulls last, then by index. */
function displayOrder(g: GroupView): number[] {
  const idx = g.rollouts.map((_, i) => i);
  const key = (i: number): number => {
    const a = g.rollouts[i]!.advantage;
    return a === null || !Number.isFinite(a) ? -Infinity : a;
  };
  return idx.sort((a, b) => key(b) - key(a) || g.rollouts[a]!.indexInGroup - g.rollouts[b]!.indexInGroup);
}

function shortName(name: string): string {
  const s = name.replace(/^rewards?[/.]/, '').replace(/_?reward$/i, '').replace(/_?func$/i, '');
  return s.length > 10 ? s.slice(0, 9) + '…' : s || name;
}

function advClass(a: number | null): string {
  if (a === null || !Number.isFinite(a) || Math.abs(a) < 1e-6) return 'adv-zero';
  return a > 0 ? 'adv-pos' : 'adv-neg';
}

const root = document.getElementById('app');
if (root) new Inspector(root);
