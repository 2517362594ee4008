// The Checkpoint Comparison webview: two to five sources (checkpoints, eval files, runs) compared on the same
// eval samples, answering the protocol of extension/protocol/compare.ts. Four views:
//   Table   — metrics per dataset and slice, one column per source, Δ against the first (A) with its test;
//             flip counts of each source against A open the Flips view on a bucket.
//   Flips   — the prompts of one bucket (✓A→✗B, ✗A→✓B, both ✓, both ✗), paged; Enter opens one side by side.
//   Sample  — one prompt side by side: what changed, both answers and scores, both images with the GT and each
//             side's predicted boxes (SampleCanvas, IoU threshold in step), both traces.
//   Curves  — one chart per metric over checkpoint steps, one series per dataset.
// Keys: 1–4 views · ? help · Flips: j/k ↑/↓ move, Enter open, ←/→ bucket, PageUp/PageDown page · Sample: j/k
// next/previous prompt of the list, Esc back to the list, t/p toggle GT/predicted boxes.
// Every string from a log goes into the DOM as text (textContent), never as HTML.
//
// Stable test hooks (keep them when restyling):
//   .cmp-progress / .cmp-failed                      before init: the host's progress message / why nothing compares
//   .cmp-source[data-source]                         source chips in the header (0 = baseline A)
//   .cmp-slice                                       slice <select> ('' = none)
//   .cmp-export[data-format="markdown"|"csv"]        export buttons
//   .cmp-matching (details) · .cmp-unmatched[data-source] · .cmp-issues (details) · .cmp-issue
//   .cmp-status                                      status line (info / .error)
//   .cmp-tab[data-tab="table"|"flips"|"sample"|"curves"], .cmp-view[data-view=…]
//   .cmp-metric-toggle[data-metric]                  metric picker (vscode-checkbox)
//   .cmp-table · .cmp-row[data-dataset][data-slice]  (data-slice "" on a dataset's all-samples row; .cmp-row-overall in tfoot)
//   .cmp-cell[data-metric][data-source] > .cmp-val, .cmp-n, .cmp-delta(.sig|.ns)[title] > .cmp-mark
//   .cmp-flipbtn[data-source][data-kind]             flip counts above the table
//   .cmp-legend                                      legend lines
//   .cmp-bucket[data-kind], .cmp-against, .cmp-dataset, .cmp-flip[data-key][data-index](.selected), .cmp-pager
//   .cmp-sample-pos, .cmp-change, .cmp-side[data-source] > .cmp-side-canvas canvas.rlc-canvas, .cmp-trace,
//   .cmp-answer, .cmp-score[data-metric], .cmp-reveal, .cmp-missing
//   .cmp-curve[data-metric] > .cmp-curve-chart .uplot, .cmp-curve-value, .cmp-curves-none
//   .cmp-error                                       an inline error of a failed request
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { CompareInit, FlipKind, MetricId, TableView } from '../../extension/protocol/compare';
import type { IssueView } from '../../extension/protocol/inspector';
import { el } from '../inspector/dom';
import { CompareClient, errorText } from './rpc';
import { renderTable, flipLabel, FLIP_KINDS } from './table';
import { FlipsPane, PAGE, type FlipState } from './flips';
import { SamplePane } from './sample';
import { CurvesPane } from './curves';
import { letter, METRIC_LABELS, plural } from './format';

type Tab = 'table' | 'flips' | 'sample' | 'curves';
const TABS: Array<[Tab, string]> = [['table', 'Table'], ['flips', 'Flips'], ['sample', 'Sample'], ['curves', 'Curves']];

interface SavedState {
  sig: string;
  tab: Tab;
  slice: string | null;
  metrics: MetricId[];
  flip: FlipState;
  threshold: number;
  showGt: boolean;
  showPred: boolean;
}

const DEFAULT_METRICS: MetricId[] = ['accuracy', 'f1', 'iou'];

/** Keyboard map, shown by `?` (keep in step with onKey). */
const KEYS: Array<[string, string]> = [
  ['1 / 2 / 3 / 4', 'Table / Flips / Sample / Curves'],
  ['j / k, ↓ / ↑', 'Flips: next / previous prompt'],
  ['Enter', 'Flips: open the prompt side by side'],
  ['← / →', 'Flips: previous / next bucket'],
  ['PageUp / PageDown', 'Flips: previous / next page'],
  ['j / k', 'Sample: next / previous prompt of the list'],
  ['Esc', 'Sample: back to the list'],
  ['t / p', 'Sample: toggle ground-truth / predicted boxes'],
  ['+ − 0, drag, wheel', 'zoom / pan / reset an image (when it has focus)'],
  ['?', 'this help'],
];

function issueText(i: IssueView): string {
  const name = i.file.split(/[\\/]/).pop() ?? i.file;
  if (i.line <= 0) return `${name}: ${i.message}`;
  return i.unit === 'row' ? `${name} row ${i.line}: ${i.message}` : `${name}:${i.line}: ${i.message}`;
}

function isTab(v: unknown): v is Tab {
  return v === 'table' || v === 'flips' || v === 'sample' || v === 'curves';
}

class CompareApp {
  private readonly client: CompareClient;
  private init: CompareInit | undefined;
  private tab: Tab = 'table';
  private slice: string | null = null;
  private metrics: MetricId[] = [];
  private threshold = 0.5;
  private showGt = true;
  private showPred = true;
  private table: TableView | null = null;
  private tableSeq = 0;
  private pairSeq = 0;
  private pairIndex: number | null = null;
  private curvesLoaded = false;
  private tableHost: HTMLElement | null = null;
  private tableStatus: HTMLElement | null = null;
  private flips: FlipsPane | null = null;
  private sample: SamplePane | null = null;
  private curves: CurvesPane | null = null;

  constructor(private readonly root: HTMLElement) {
    this.client = new CompareClient({
      onProgress: (m) => this.onProgress(m),
      onInit: (i) => this.onInit(i),
      onFailed: (m) => this.onFailed(m),
    });
    document.addEventListener('keydown', (e) => this.onKey(e));
    window.addEventListener('error', (e) => this.client.logError(String(e.message)));
    this.client.ready();
  }

  // ---------------- lifecycle ----------------

  private onProgress(message: string): void {
    if (this.init) return;
    const box = el('div', 'cmp-progress', undefined, { role: 'status', 'aria-live': 'polite' });
    box.append(el('span', 'cmp-spinner', undefined, { 'aria-hidden': 'true' }), el('span', 'cmp-progress-text', message));
    this.root.replaceChildren(box);
  }

  private onFailed(message: string): void {
    this.dispose();
    this.init = undefined;
    const box = el('div', 'cmp-failed', undefined, { role: 'alert' });
    box.append(el('h2', 'cmp-failed-title', 'Nothing to compare'), el('p', 'cmp-failed-message', message));
    this.root.replaceChildren(box);
  }

  private sig(init: CompareInit): string {
    return init.sources.map((s) => `${s.name}\u0000${s.path}`).join('\u0001');
  }

  private saved(init: CompareInit): Partial<SavedState> | undefined {
    const s = this.client.api.getState() as Partial<SavedState> | undefined;
    return s && typeof s === 'object' && s.sig === this.sig(init) ? s : undefined;
  }

  private save(): void {
    if (!this.init) return;
    const s: SavedState = {
      sig: this.sig(this.init),
      tab: this.tab,
      slice: this.slice,
      metrics: this.metrics,
      flip: this.flips ? { ...this.flips.state } : { against: 1, kind: 'aOnly', dataset: null, index: 0 },
      threshold: this.threshold,
      showGt: this.showGt,
      showPred: this.showPred,
    };
    this.client.api.setState(s);
  }

  private onInit(init: CompareInit): void {
    this.dispose();
    this.init = init;
    this.table = null;
    this.curvesLoaded = false;
    this.pairIndex = null;
    const s = this.saved(init);
    this.tab = s && isTab(s.tab) ? s.tab : 'table';
    const slice = s && s.slice !== undefined ? s.slice : init.slice;
    this.slice = slice !== null && init.sliceFields.includes(slice) ? slice : null;
    const want = s && Array.isArray(s.metrics) ? s.metrics.filter((m) => init.metrics.includes(m)) : [];
    this.metrics = want.length ? want : DEFAULT_METRICS.filter((m) => init.metrics.includes(m));
    if (this.metrics.length === 0) this.metrics = init.metrics.slice(0, 3);
    this.threshold = s && typeof s.threshold === 'number' ? s.threshold : 0.5;
    this.showGt = s?.showGt ?? true;
    this.showPred = s?.showPred ?? true;
    const flip: FlipState = s?.flip && typeof s.flip.index === 'number' && FLIP_KINDS.includes(s.flip.kind)
      ? { ...s.flip }
      : { against: 1, kind: 'aOnly', dataset: null, index: 0 };
    this.renderShell(init, flip);
    this.setTab(this.tab, false);
    void this.loadTable();
    if (init.sources.length >= 2) void this.flips?.load();
    this.save();
  }

  private dispose(): void {
    this.sample?.dispose();
    this.curves?.dispose();
    this.sample = null;
    this.curves = null;
    this.flips = null;
  }

  // ---------------- shell ----------------

  private renderShell(init: CompareInit, flip: FlipState): void {
    this.root.replaceChildren();
    const header = el('header', 'cmp-header');
    const bar = el('div', 'cmp-titlebar');
    bar.append(el('h2', 'cmp-title', init.title, { title: init.title }));
    const chips = el('div', 'cmp-sources', undefined, { 'aria-label': 'Sources' });
    init.sources.forEach((s, i) => {
      const tip = [
        i === 0 ? `${s.name}: the baseline (A); every Δ is against it` : `${s.name} (${letter(i)})`,
        `${s.kind}: ${s.path}`,
        s.evalFiles.length ? `eval files: ${s.evalFiles.join(', ')}` : '',
        s.rewards && s.rewards.length ? `rewards: ${s.rewards.join(', ')}` : '',
      ].filter(Boolean).join('\n');
      const chip = el('span', 'cmp-source' + (i === 0 ? ' cmp-baseline' : ''), undefined, { 'data-source': String(i), title: tip });
      chip.append(el('span', 'cmp-letter', letter(i)), el('span', 'cmp-source-name', s.name));
      const meta = [s.step !== null ? `step ${s.step}` : '', plural(s.samples, 'sample')].filter(Boolean).join(' · ');
      chip.append(el('span', 'cmp-source-meta', meta));
      if (i === 0) chip.append(el('span', 'cmp-source-base', 'baseline'));
      chips.append(chip);
    });
    bar.append(chips);
    const actions = el('div', 'cmp-actions');
    const lab = el('label', 'cmp-field');
    lab.append(el('span', 'cmp-field-name', 'Slice by'));
    const sel = el('select', 'cmp-select cmp-slice', undefined, { 'aria-label': 'Slice field for the rows under each dataset' });
    sel.append(el('option', undefined, 'none', { value: '' }));
    for (const f of init.sliceFields) sel.append(el('option', undefined, f, { value: f }));
    sel.value = this.slice ?? '';
    sel.addEventListener('change', () => {
      this.slice = sel.value === '' ? null : sel.value;
      this.save();
      void this.loadTable();
    });
    lab.append(sel);
    actions.append(lab, el('span', 'cmp-field-name', 'Export'));
    for (const [format, label] of [['markdown', 'Markdown'], ['csv', 'CSV']] as const) {
      const b = el('vscode-button', 'cmp-export', label, { 'data-format': format, secondary: '', title: `Save the table (this slice) as ${label}` });
      b.addEventListener('click', () => void this.exportTable(format));
      actions.append(b);
    }
    const help = el('button', 'tab help-button cmp-help-button', '?', { title: 'Keyboard shortcuts (?)', 'aria-label': 'Keyboard shortcuts' });
    help.addEventListener('click', () => this.showHelp());
    actions.append(help);
    bar.append(actions);
    header.append(bar);

    const notes = el('div', 'cmp-notes');
    notes.append(this.matchingLine(init));
    if (init.issueCount > 0) notes.append(this.issuesLine(init));
    header.append(notes);

    const tabs = el('div', 'tabs cmp-tabs', undefined, { role: 'tablist', 'aria-label': 'Views' });
    TABS.forEach(([t, label], i) => {
      const b = el('button', 'tab cmp-tab', undefined, { 'data-tab': t, role: 'tab', 'aria-controls': `cmp-view-${t}`, title: `${label} (${i + 1})` });
      b.append(el('span', 'cmp-tab-key', String(i + 1)), el('span', 'cmp-tab-label', label));
      b.addEventListener('click', () => this.setTab(t));
      tabs.append(b);
    });
    header.append(tabs);
    this.root.append(header, el('div', 'status cmp-status', '', { role: 'status', 'aria-live': 'polite' }));

    const view = (t: Tab) => el('section', `view cmp-view cmp-view-${t}`, undefined, { 'data-view': t, id: `cmp-view-${t}`, role: 'tabpanel' });

    // ---- Table
    const tableView = view('table');
    const picker = el('div', 'cmp-table-bar');
    picker.append(el('span', 'cmp-field-name', 'Metrics'));
    for (const m of init.metrics) {
      const c = el('vscode-checkbox', 'cmp-metric-toggle', undefined, { 'data-metric': m, label: METRIC_LABELS[m] }) as HTMLElement & { checked: boolean };
      c.checked = this.metrics.includes(m);
      c.addEventListener('change', () => {
        const on = new Set(this.metrics);
        if (c.checked) on.add(m);
        else on.delete(m);
        this.metrics = init.metrics.filter((x) => on.has(x));
        this.save();
        this.renderTableBody();
      });
      picker.append(c);
    }
    this.tableStatus = el('span', 'cmp-table-status', '', { role: 'status' });
    picker.append(this.tableStatus);
    this.tableHost = el('div', 'cmp-table-host');
    tableView.append(picker, this.tableHost);

    // ---- Flips
    const flipsView = view('flips');
    if (init.sources.length >= 2) {
      this.flips = new FlipsPane(flipsView, init, flip, {
        fetch: (p) => this.client.request('getFlips', p),
        open: (i) => void this.openIndex(i),
        changed: () => this.save(),
      });
    } else flipsView.append(el('p', 'cmp-empty', 'Flips need two sources.'));

    // ---- Sample
    const sampleView = view('sample');
    this.sample = new SamplePane(sampleView, init, this.threshold, {
      prev: () => void this.stepPair(-1),
      next: () => void this.stepPair(1),
      back: () => this.backToList(),
      reveal: (file, line) => void this.reveal(file, line),
      onThreshold: (t) => {
        this.threshold = t;
        this.save();
      },
      onToggles: (g, p) => {
        this.showGt = g;
        this.showPred = p;
        this.save();
      },
    });
    this.sample.setToggles(this.showGt, this.showPred, false);

    // ---- Curves
    const curvesView = view('curves');
    this.curves = new CurvesPane(curvesView);

    const helpBox = el('div', 'help', undefined, { id: 'help', role: 'dialog', 'aria-label': 'Keyboard shortcuts', tabindex: '-1' });
    helpBox.hidden = true;
    helpBox.append(el('h3', undefined, 'Keyboard'));
    const dl = el('dl');
    for (const [k, d] of KEYS) dl.append(el('dt', undefined, k), el('dd', undefined, d));
    helpBox.append(dl, el('p', 'muted', 'Esc closes.'));
    helpBox.addEventListener('click', () => (helpBox.hidden = true));

    this.root.append(tableView, flipsView, sampleView, curvesView, helpBox);
  }

  private matchingLine(init: CompareInit): HTMLElement {
    const how = `matched by ${init.matchedBy === 'id' ? 'id' : 'image + question'}`;
    const missing = init.unmatched.filter((u) => u.count > 0);
    if (missing.length === 0) {
      return el('div', 'cmp-matching cmp-matching-all', `${how} · every prompt is in every source`);
    }
    const det = el('details', 'cmp-matching');
    const sum = el('summary', undefined, [how, ...missing.map((u) => `${u.count.toLocaleString('en-US')} unmatched in ${u.name}`)].join(' · '));
    sum.append(el('span', 'cmp-more', ' (list)'));
    det.append(sum);
    for (const u of missing) {
      const box = el('div', 'cmp-unmatched', undefined, { 'data-source': String(u.source) });
      box.append(el('div', 'cmp-unmatched-head', `${u.name} lacks ${plural(u.count, 'prompt')} that another source has (left out of the paired tests):`));
      const ul = el('ul', 'cmp-unmatched-list');
      for (const k of u.examples) ul.append(el('li', undefined, k));
      if (u.count > u.examples.length) ul.append(el('li', 'muted', `… and ${(u.count - u.examples.length).toLocaleString('en-US')} more (the CLI's JSON output lists all)`));
      box.append(ul);
      det.append(box);
    }
    return det;
  }

  private issuesLine(init: CompareInit): HTMLElement {
    const det = el('details', 'cmp-issues log-issues');
    det.append(el('summary', undefined, `${plural(init.issueCount, 'problem')} reading the sources — the other lines are compared`));
    const ul = el('ul');
    for (const i of init.issues) {
      const li = el('li', `issue cmp-issue ${i.severity}`, issueText(i), { title: `${i.file}:${i.line} — click to open the file at this line`, tabindex: '0' });
      const go = () => void this.reveal(i.file, i.line);
      li.addEventListener('click', go);
      li.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') go();
      });
      ul.append(li);
    }
    if (init.issueCount > init.issues.length) ul.append(el('li', 'issue muted', `… and ${(init.issueCount - init.issues.length).toLocaleString('en-US')} more`));
    det.append(ul);
    return det;
  }

  private setTab(tab: Tab, save = true): void {
    this.tab = tab;
    for (const [t] of TABS) {
      const panel = this.root.querySelector<HTMLElement>(`.cmp-view[data-view="${t}"]`);
      const button = this.root.querySelector<HTMLElement>(`.cmp-tab[data-tab="${t}"]`);
      if (panel) panel.hidden = t !== tab;
      if (button) {
        button.setAttribute('aria-selected', String(t === tab));
        button.classList.toggle('active', t === tab);
      }
    }
    if (tab === 'curves' && !this.curvesLoaded) void this.loadCurves();
    if (tab === 'flips') this.flips?.focus();
    if (tab === 'sample' && this.pairIndex === null && this.flips && this.flips.size !== 0) void this.openIndex(this.flips.state.index, false);
    if (save) this.save();
  }

  // ---------------- status ----------------

  private status(message: string, kind: 'info' | 'error'): void {
    const box = this.root.querySelector<HTMLElement>('.cmp-status');
    if (!box) return;
    box.textContent = message;
    box.className = `status cmp-status ${kind}`;
  }

  private showHelp(): void {
    const help = this.root.querySelector<HTMLElement>('#help');
    if (!help) return;
    help.hidden = false;
    help.focus();
  }

  // ---------------- table ----------------

  private async loadTable(): Promise<void> {
    if (!this.init || !this.tableHost || !this.tableStatus) return;
    const seq = ++this.tableSeq;
    const slice = this.slice;
    this.tableStatus.className = 'cmp-table-status';
    this.tableStatus.textContent = slice ? `computing the table by ${slice}…` : 'computing the table…';
    try {
      const t = await this.client.request('getTable', { slice });
      if (seq !== this.tableSeq || !this.init) return;
      this.table = t;
      this.tableStatus.textContent = '';
      this.renderTableBody();
      const datasets = [...new Set(t.rows.map((r) => r.dataset))];
      this.flips?.setCounts(t.flips, datasets);
    } catch (e) {
      if (seq !== this.tableSeq) return;
      this.tableStatus.textContent = '';
      this.table = null;
      this.tableHost.replaceChildren(el('p', 'cmp-error', `Could not compute the table${slice ? ` by ${slice}` : ''}: ${errorText(e)}`, { role: 'alert' }));
    }
  }

  private renderTableBody(): void {
    if (!this.init || !this.tableHost || !this.table) return;
    this.tableHost.replaceChildren(renderTable(this.init, this.table, this.metrics, {
      openFlips: (against, kind) => this.openFlips(against, kind),
    }));
  }

  private openFlips(against: number, kind: FlipKind): void {
    this.flips?.setQuery({ against, kind });
    this.setTab('flips');
  }

  private async exportTable(format: 'markdown' | 'csv'): Promise<void> {
    try {
      const p = await this.client.request('export', { format, slice: this.slice });
      if (p) this.status(`Saved ${p}`, 'info');
    } catch (e) {
      this.status(`Export failed: ${errorText(e)}`, 'error');
    }
  }

  private async reveal(file: string, line: number): Promise<void> {
    try {
      await this.client.request('revealLine', { file, line });
    } catch (e) {
      this.status(`Could not open ${file}:${line}: ${errorText(e)}`, 'error');
    }
  }

  // ---------------- pairs ----------------

  private async openIndex(index: number, show = true): Promise<void> {
    const f = this.flips;
    const s = this.sample;
    if (!f || !s || !this.init) return;
    this.pairIndex = index;
    if (show) this.setTab('sample');
    const seq = ++this.pairSeq;
    if (f.state.index !== index) f.select(index);
    s.showLoading();
    const { against, kind } = f.state;
    try {
      const row = await f.rowAt(index);
      if (seq !== this.pairSeq) return;
      const total = f.size ?? 0;
      if (!row) {
        this.pairIndex = null;
        s.showEmpty(total === 0 ? `No prompt in the bucket ${flipLabel(kind, 'A', letter(against))}: pick another one in the Flips tab.` : 'This prompt is no longer in the list.');
        s.setPosition('', false, false);
        return;
      }
      s.setPosition(`${index + 1} of ${total.toLocaleString('en-US')} · ${flipLabel(kind, 'A', letter(against))}`, index > 0, index + 1 < total);
      const pair = await this.client.request('getPair', { key: row.key, sources: [0, against] });
      if (seq !== this.pairSeq) return;
      s.show(pair);
    } catch (e) {
      if (seq !== this.pairSeq) return;
      s.showError(`Could not load this prompt: ${errorText(e)}`);
    }
  }

  private stepPair(delta: number): void {
    const f = this.flips;
    if (!f) return;
    const total = f.size ?? 0;
    const next = (this.pairIndex ?? f.state.index) + delta;
    if (next < 0 || next >= total) return;
    void this.openIndex(next, false);
  }

  private backToList(): void {
    this.setTab('flips');
  }

  // ---------------- curves ----------------

  private async loadCurves(): Promise<void> {
    const c = this.curves;
    const init = this.init;
    if (!c || !init) return;
    this.curvesLoaded = true;
    if (init.curvePoints < 2) {
      c.setData([], init.metrics, init.curvePoints);
      return;
    }
    c.showMessage('loading curves…');
    try {
      const curves = await this.client.request('getCurves', {});
      if (this.curves !== c) return;
      c.setData(curves, init.metrics, init.curvePoints);
    } catch (e) {
      this.curvesLoaded = false;
      c.showMessage(`Could not compute the curves: ${errorText(e)}`, 'cmp-error');
    }
  }

  // ---------------- keys ----------------

  private onKey(e: KeyboardEvent): void {
    const t = e.target as HTMLElement | null;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
    if (e.ctrlKey || e.metaKey || e.altKey || !this.init) return;
    const k = e.key;
    // Enter and space on a button, a link or a <summary> are theirs
    if ((k === 'Enter' || k === ' ') && t?.closest('button, vscode-button, vscode-checkbox, summary, a, .cmp-issue')) return;
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
    else if (k >= '1' && k <= '4') this.setTab(TABS[Number(k) - 1]![0]);
    else if (this.tab === 'flips' && this.flips) {
      const f = this.flips;
      if (k === 'j' || k === 'ArrowDown') f.move(1);
      else if (k === 'k' || k === 'ArrowUp') f.move(-1);
      else if (k === 'Enter' || k === 'o') f.openSelected();
      else if (k === 'ArrowRight') f.cycleBucket(1);
      else if (k === 'ArrowLeft') f.cycleBucket(-1);
      else if (k === 'PageDown') f.move(PAGE);
      else if (k === 'PageUp') f.move(-PAGE);
      else if (k === 'Home') f.move(-Infinity);
      else if (k === 'End') f.move(Infinity);
      else handled = false;
    } else if (this.tab === 'sample') {
      if (k === 'j') this.stepPair(1);
      else if (k === 'k') this.stepPair(-1);
      else if (k === 'Escape') this.backToList();
      else if (k === 't') this.sample?.toggle('gt');
      else if (k === 'p') this.sample?.toggle('pred');
      else handled = false;
    } else handled = false;
    if (handled) e.preventDefault();
  }
}

const root = document.getElementById('app');
if (root) new CompareApp(root);
