// Alignment verdicts in the inspector: the badge on a group-strip card, the row of per-source chips in the
// sample view, and the verdicts card of the run overview (source choice, counts, agreement, judge runs).
// Labels, source names and rationales come from logs, judge files and judge endpoints: always text, never HTML.
import type { AgreementView, RolloutView, VerdictSourceStats, VerdictView, VerdictsView } from '../../extension/protocol/inspector';
import { el } from './dom';

/** One-letter marker per source kind: Log, File, HTTP judge, local Model (onnx), Rules. */
export const SOURCE_MARKER: Record<string, string> = { log: 'L', file: 'F', http: 'H', onnx: 'M', rules: 'R' };

const KIND_WORDS: Record<string, string> = {
  log: 'from the log',
  file: 'judge file',
  http: 'judge endpoint',
  onnx: 'local model',
  rules: 'consistency rules',
};

/** The three labels that count towards the alignment rate, in table order. */
const LABELS = ['supported', 'unsupported', 'contradicted'] as const;

export function marker(kind: string): string {
  return SOURCE_MARKER[kind] ?? (kind.slice(0, 1).toUpperCase() || '?');
}

/** A class name from a label: `verdict-contradicted`; anything odd in the label is dropped. */
export function labelClass(label: string): string {
  const s = label.toLowerCase().replace(/[^a-z-]/g, '').slice(0, 24);
  return `verdict-${s || 'other'}`;
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

function conf(c: number | null): string {
  return c === null || !Number.isFinite(c) ? '' : c.toFixed(2);
}

/** "contradicted — rules: [final-answer-mismatch] … (0.91)": one source's verdict on one line. */
export function verdictLine(v: VerdictView, max = 240): string {
  const c = conf(v.confidence);
  const why = v.rationale ? `: ${clip(v.rationale.replace(/\s+/g, ' ').trim(), max)}` : '';
  return `${v.label} — ${v.source}${why}${c ? ` (confidence ${c})` : ''}`;
}

/** Every source's verdict of a rollout, with the chosen one included even when a backend sends only it. */
export function allVerdicts(r: RolloutView): VerdictView[] {
  const list = Array.isArray(r.verdicts) ? r.verdicts : [];
  if (r.verdict && !list.some((v) => sameVerdict(v, r.verdict!))) return [r.verdict, ...list];
  return list;
}

function sameVerdict(a: VerdictView, b: VerdictView): boolean {
  return a.kind === b.kind && a.source === b.source && a.label === b.label;
}

/** Do the sources that judged this completion give different labels (unknown excluded)? */
function disagree(vs: VerdictView[]): boolean {
  return new Set(vs.map((v) => v.label).filter((l) => l !== 'unknown')).size > 1;
}

/** The group-strip badge: the chosen verdict's label and its source marker; the title lists every source. */
export function verdictBadge(r: RolloutView): HTMLElement | null {
  const v = r.verdict;
  if (!v) return null;
  const all = allVerdicts(r);
  const split = disagree(all);
  // the chosen source's first, then the others in source order
  const lines = [v, ...all.filter((x) => !sameVerdict(x, v))].map((x) => verdictLine(x));
  const b = el('span', `badge verdict ${labelClass(v.label)}${split ? ' disagree' : ''}`, undefined, {
    'data-kind': v.kind,
    title: lines.join('\n') + (split ? '\n(the sources disagree)' : ''),
  });
  b.append(el('span', 'verdict-label', v.label), el('span', 'verdict-marker', marker(v.kind), { 'aria-label': `source: ${v.source}` }));
  if (split) b.append(el('span', 'verdict-split', '≠', { 'aria-label': 'sources disagree' }));
  return b;
}

/**
 * The sample view's "Verdicts" row: one focusable chip per source (the chosen one marked and carrying the
 * id `verdict`), and below it the rationale of the chip under the mouse or focus (the chosen one otherwise).
 */
export function verdictRow(r: RolloutView): HTMLElement | null {
  const all = allVerdicts(r);
  if (all.length === 0) return null;
  const row = el('div', 'verdicts-row', undefined, { role: 'group', 'aria-label': 'Verdicts of every source' });
  const head = el('div', 'verdicts-head');
  head.append(el('span', 'verdicts-title', 'Verdicts'));
  if (disagree(all)) head.append(el('span', 'verdicts-disagree', 'sources disagree'));
  const chips = el('div', 'verdict-chips');
  const why = el('div', 'verdict-rationale', undefined, { 'aria-live': 'polite' });
  const chosenIdx = r.verdict ? all.findIndex((v) => sameVerdict(v, r.verdict!)) : -1;
  const showWhy = (v: VerdictView | undefined, chip: HTMLElement | undefined): void => {
    for (const c of chips.children) c.classList.toggle('shown', c === chip);
    if (!v) {
      why.replaceChildren();
      return;
    }
    why.replaceChildren(el('span', 'verdict-rationale-source', `${v.source}: `), el('span', 'verdict-rationale-text', v.rationale ?? 'no rationale given'));
  };
  const chipEls: HTMLElement[] = [];
  all.forEach((v, i) => {
    const chosen = i === chosenIdx;
    const attrs: Record<string, string> = {
      tabindex: '0',
      'data-kind': v.kind,
      title: verdictLine(v, 2000) + (chosen ? '\n(the chosen source: shown in the group strip and the alignment rate)' : ''),
      'aria-label': `${v.source}: ${v.label}${conf(v.confidence) ? `, confidence ${conf(v.confidence)}` : ''}${chosen ? ' (chosen source)' : ''}`,
    };
    if (chosen) attrs.id = 'verdict';
    const chip = el('span', `chip verdict ${labelClass(v.label)}${chosen ? ' chosen' : ''}`, undefined, attrs);
    const name = el('span', 'chip-name');
    name.append(el('span', 'verdict-marker', marker(v.kind)), document.createTextNode(` ${v.source}`));
    chip.append(name, el('span', 'chip-value', v.label));
    const c = conf(v.confidence);
    if (c) chip.append(el('span', 'chip-conf', c));
    const show = () => showWhy(v, chip);
    chip.addEventListener('mouseenter', show);
    chip.addEventListener('focus', show);
    chipEls.push(chip);
    chips.append(chip);
  });
  const rest = () => showWhy(all[Math.max(0, chosenIdx)], chipEls[Math.max(0, chosenIdx)]);
  chips.addEventListener('mouseleave', () => {
    if (!chips.contains(document.activeElement)) rest();
  });
  chips.addEventListener('focusout', (e) => {
    if (!chips.contains(e.relatedTarget as Node | null)) rest();
  });
  chips.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const at = chipEls.indexOf(document.activeElement as HTMLElement);
    if (at < 0) return;
    const next = chipEls[at + (e.key === 'ArrowRight' ? 1 : -1)];
    e.preventDefault();
    e.stopPropagation(); // not the inspector's ←/→ (completion) keys
    next?.focus();
  });
  rest();
  row.append(head, chips, why);
  return row;
}

// ---------------- the overview card ----------------

export interface VerdictsCardCallbacks {
  /** Change the source; resolves with the new overview verdicts. */
  setSource(source: string): Promise<VerdictsView>;
  /** Start a judge run (the host shows progress and pushes `verdicts` messages). */
  runJudge(kind: 'onnx' | 'http' | 'file'): Promise<void>;
  /** After a change made here (the source): refresh curves and badges. */
  changed(v: VerdictsView): void;
}

function pct(n: number, d: number): string {
  return d > 0 ? `${((100 * n) / d).toFixed(1)} %` : '—';
}

function count(n: number): string {
  return n.toLocaleString('en-US').replace(/,/g, '\u00a0');
}

const JUDGES: Array<{ kind: 'onnx' | 'http' | 'file'; label: string; setting: string | null; what: string }> = [
  { kind: 'onnx', label: 'Judge with local model', setting: 'rolloutLens.judge.modelPath', what: 'a local NLI model (ONNX)' },
  { kind: 'http', label: 'Judge with endpoint', setting: 'rolloutLens.judge.endpoint', what: 'an OpenAI-compatible judge endpoint' },
  { kind: 'file', label: 'Import verdict file…', setting: null, what: 'a judge output file (JSONL)' },
];

export class VerdictsCard {
  readonly root: HTMLElement;
  private readonly select: HTMLSelectElement;
  private readonly buttons = new Map<string, HTMLButtonElement>();
  private readonly hint: HTMLElement;
  private readonly status: HTMLElement;
  private readonly body: HTMLElement;
  private data: VerdictsView | null = null;
  private busy = false;
  /** A failure of a request made from this card (shown until the next data). */
  private note: string | null = null;

  constructor(container: HTMLElement, private readonly cb: VerdictsCardCallbacks) {
    this.root = el('section', 'verdicts-card', undefined, { 'aria-label': 'Alignment verdicts: does the reasoning support the answer?' });
    const head = el('div', 'vc-head');
    const title = el('div', 'vc-titles');
    title.append(el('h3', 'vc-title', 'Alignment verdicts'), el('span', 'vc-sub', 'does the reasoning support the answer?'));
    const pick = el('label', 'vc-pick');
    this.select = el('select', 'verdict-source-select frame-select', undefined, {
      title: 'Which source the badges, the verdict filter and the alignment rate use. auto: the first source with verdicts, in the order log, file, endpoint, local model, rules',
    });
    this.select.addEventListener('change', () => void this.pickSource(this.select.value));
    pick.append(el('span', 'vc-pick-label', 'source'), this.select);
    const actions = el('div', 'vc-actions');
    for (const j of JUDGES) {
      const b = el('button', 'judge-run', j.label, { type: 'button', 'data-kind': j.kind });
      b.addEventListener('click', () => void this.run(j.kind));
      this.buttons.set(j.kind, b);
      actions.append(b);
    }
    head.append(title, pick, actions);
    this.hint = el('div', 'vc-hint');
    this.status = el('div', 'vc-status', undefined, { role: 'status', 'aria-live': 'polite' });
    this.body = el('div', 'vc-body');
    this.root.append(head, this.hint, this.status, this.body);
    container.append(this.root);
    this.render();
  }

  setData(v: VerdictsView | null): void {
    this.data = v;
    this.note = null;
    this.render();
  }

  dispose(): void {
    this.root.remove();
  }

  private nameOf(kind: string): string {
    const s = this.data?.sources.find((x) => x.kind === kind);
    if (s) return s.name;
    if (kind === 'onnx' && this.data?.judges.onnx) return `${this.data.judges.onnx} (local model)`;
    if (kind === 'http' && this.data?.judges.http) return `${this.data.judges.http} (endpoint)`;
    return KIND_WORDS[kind] ?? kind;
  }

  private render(): void {
    const v = this.data;
    this.root.hidden = false;
    // the source choice: auto, every source with verdicts, and the configured judges not run yet
    const auto = v ? this.chosenKind({ ...v, choice: 'auto' }) : null;
    const opts: Array<[string, string]> = [['auto', auto ? `auto (now ${marker(auto)} · ${this.nameOf(auto)})` : 'auto']];
    const kinds: string[] = [];
    for (const s of v?.sources ?? []) if (!kinds.includes(s.kind)) kinds.push(s.kind);
    if (v?.judges.http && !kinds.includes('http')) kinds.push('http');
    if (v?.judges.onnx && !kinds.includes('onnx')) kinds.push('onnx');
    if (v && v.choice !== 'auto' && !kinds.includes(v.choice)) kinds.push(v.choice);
    for (const k of kinds) {
      const s = v?.sources.find((x) => x.kind === k);
      opts.push([k, `${marker(k)} · ${this.nameOf(k)}${s ? '' : ' (not run yet)'}`]);
    }
    this.select.replaceChildren(...opts.map(([value, text]) => el('option', undefined, text, { value })));
    this.select.value = v?.choice ?? 'auto';
    this.select.disabled = !v || this.busy;

    // judge buttons: disabled (with the setting to set) when the judge is not configured, and while one runs
    const unset: string[] = [];
    for (const j of JUDGES) {
      const b = this.buttons.get(j.kind)!;
      const configured = j.kind === 'file' ? true : !!(j.kind === 'onnx' ? v?.judges.onnx : v?.judges.http);
      const running = !!v?.running;
      b.disabled = !v || !configured || running;
      if (!configured && j.setting) {
        b.title = `Set ${j.setting} in the settings to judge every completion with ${j.what}.`;
        unset.push(j.setting);
      } else if (running) b.title = `A judge run is in progress (${v!.running!.kind}).`;
      else if (j.kind === 'file') b.title = 'Read the verdicts of a judge output file (JSONL keyed by record) as the "file" source.';
      else b.title = `Judge every completion with ${j.kind === 'onnx' ? v!.judges.onnx : v!.judges.http} (cached; cancel from the notification).`;
    }
    this.hint.textContent = unset.length ? `To judge here, set ${unset.join(' or ')}.` : '';

    // progress and the last run
    this.status.replaceChildren();
    this.status.className = 'vc-status';
    if (v?.running) {
      const r = v.running;
      const line = el('div', 'vc-progress');
      line.append(el('span', 'vc-progress-text', `judging ${count(r.done)} / ${count(r.total)} (${r.kind})`));
      const bar = el('div', 'ov-progress');
      const fill = el('div', 'ov-progress-fill');
      fill.style.width = `${r.total > 0 ? Math.min(100, Math.round((100 * r.done) / r.total)) : 0}%`;
      bar.append(fill);
      line.append(bar);
      this.status.append(line);
    }
    if (v?.last) {
      this.status.append(el('div', `vc-last${v.last.error ? ' error' : ''}`, `${v.last.kind}: ${v.last.message}`));
    }
    if (this.note) this.status.append(el('div', 'vc-last error', this.note));

    this.body.replaceChildren();
    if (!v) {
      this.body.append(el('p', 'ov-empty', 'loading verdicts…'));
      return;
    }
    if (v.sources.length === 0) {
      this.body.append(el('p', 'ov-empty', 'No verdicts yet: this log carries none, and no judge has run.'));
      return;
    }
    this.body.append(this.counts(v));
    if (v.agreement.length) {
      const ag = el('div', 'vc-agreement');
      ag.append(el('h4', 'vc-subtitle', 'Agreement between sources (completions both judged, unknown left out)'));
      const list = el('div', 'vc-agreement-list');
      for (const a of v.agreement) list.append(this.agreement(a));
      ag.append(list);
      this.body.append(ag);
    }
  }

  private counts(v: VerdictsView): HTMLElement {
    const t = el('table', 'verdict-counts');
    const cap = el('caption', 'vc-caption', 'Verdicts per source · alignment rate = supported / (supported + unsupported + contradicted)');
    const hr = el('tr');
    hr.append(el('th', 'vc-src', 'source', { scope: 'col' }));
    for (const l of [...LABELS, 'unknown']) hr.append(el('th', `num ${labelClass(l)}`, l, { scope: 'col' }));
    hr.append(el('th', 'num', 'alignment rate', { scope: 'col' }));
    const thead = el('thead');
    thead.append(hr);
    const tbody = el('tbody');
    const chosen = this.chosenKind(v);
    for (const s of v.sources) tbody.append(this.countRow(s, s.kind === chosen));
    t.append(cap, thead, tbody);
    return t;
  }

  /** The kind the rates use: the choice, or under auto the first source in order. */
  private chosenKind(v: VerdictsView): string | null {
    if (v.choice !== 'auto') return v.choice;
    const order = ['log', 'file', 'http', 'onnx', 'rules'];
    const present = v.sources.filter((s) => s.total > 0).map((s) => s.kind);
    return order.find((k) => present.includes(k)) ?? present[0] ?? null;
  }

  private countRow(s: VerdictSourceStats, chosen: boolean): HTMLElement {
    const tr = el('tr', chosen ? 'chosen' : '', undefined, { 'data-kind': s.kind });
    const name = el('th', 'vc-src', undefined, { scope: 'row', title: `${s.name} · ${count(s.total)} completions judged${chosen ? ' · the chosen source' : ''}` });
    name.append(el('span', 'verdict-marker', marker(s.kind)), el('span', 'vc-src-name', s.name));
    tr.append(name);
    const judged = s.supported + s.unsupported + s.contradicted;
    for (const l of [...LABELS, 'unknown'] as const) {
      const n = s[l];
      tr.append(el('td', `num ${l}`, count(n), { title: `${count(n)} of ${count(s.total)} (${pct(n, s.total)})` }));
    }
    tr.append(el('td', 'num rate', pct(s.supported, judged), { title: `${count(s.supported)} supported of ${count(judged)} with a verdict` }));
    return tr;
  }

  private agreement(a: AgreementView): HTMLElement {
    const box = el('div', 'verdict-agreement', undefined, { 'data-a': a.a, 'data-b': a.b });
    const head = el('div', 'vc-ag-head');
    const k = el('span', 'vc-ag-k', 'κ ', {
      title: a.kappa === null ? "Cohen's κ is undefined: no completion both judged, or both give a single label" : "Cohen's κ: agreement beyond chance (1 perfect, 0 chance)",
    });
    k.append(el('span', 'kappa', a.kappa === null || !Number.isFinite(a.kappa) ? 'undefined' : a.kappa.toFixed(2)));
    head.append(
      el('span', 'vc-ag-pair', `${this.nameOf(a.a)} vs ${this.nameOf(a.b)}`),
      k,
      el('span', 'vc-ag-meta', `n ${count(a.n)} · agree ${a.n > 0 ? `${(100 * a.observed).toFixed(1)} %` : '—'}`),
    );
    box.append(head);
    const t = el('table', 'confusion', undefined, { 'aria-label': `${this.nameOf(a.a)} (rows) against ${this.nameOf(a.b)} (columns)` });
    const hr = el('tr');
    const corner = el('th', 'corner', undefined, { scope: 'col' });
    corner.append(el('span', 'corner-rows', `${marker(a.a)} ↓`), el('span', 'corner-cols', `${marker(a.b)} →`));
    hr.append(corner);
    for (const l of a.labels) hr.append(el('th', `num ${labelClass(l)}`, l, { scope: 'col' }));
    const thead = el('thead');
    thead.append(hr);
    const tbody = el('tbody');
    a.labels.forEach((row, i) => {
      const tr = el('tr');
      tr.append(el('th', labelClass(row), row, { scope: 'row' }));
      a.labels.forEach((col, j) => {
        const n = a.confusion[i]?.[j] ?? 0;
        tr.append(el('td', `num${i === j ? ' diag' : ''}${n === 0 ? ' zero' : ''}`, count(n), {
          title: `${count(n)} completion${n === 1 ? '' : 's'}: ${this.nameOf(a.a)} says ${row}, ${this.nameOf(a.b)} says ${col}`,
        }));
      });
      tbody.append(tr);
    });
    t.append(thead, tbody);
    box.append(t);
    return box;
  }

  private async pickSource(source: string): Promise<void> {
    if (!this.data || source === this.data.choice) return;
    this.busy = true;
    this.select.disabled = true;
    try {
      const v = await this.cb.setSource(source);
      this.busy = false;
      this.setData(v);
      this.cb.changed(v);
    } catch (e) {
      this.busy = false;
      this.error(`Could not change the verdict source: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async run(kind: 'onnx' | 'http' | 'file'): Promise<void> {
    const b = this.buttons.get(kind);
    if (b) b.disabled = true;
    try {
      await this.cb.runJudge(kind);
      // the host's `verdicts` messages say whether it runs; until then restore what the data says
      this.render();
    } catch (e) {
      this.error(`Could not start the judge: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private error(message: string): void {
    this.note = message;
    this.render();
  }
}
