// The Flips tab: the prompts of one bucket (right in A and wrong in B, the reverse, both right, both wrong)
// of one other source against A, optionally of one dataset, paged from the host (getFlips offset/limit).
// j/k or ↑/↓ move the selection (across pages), Enter opens the pair side by side.
// Every string from a log goes into the DOM as text (textContent), never as HTML.
import type { CompareInit, FlipKind, FlipRow, FlipsParams, TableView } from '../../extension/protocol/compare';
import { el } from '../inspector/dom';
import { errorText } from './rpc';
import { FLIP_KINDS, flipLabel, flipWords } from './table';
import { letter } from './format';

export const PAGE = 100;

export interface FlipState {
  against: number;
  kind: FlipKind;
  dataset: string | null;
  /** Absolute position of the selected row in the bucket. */
  index: number;
}

export interface FlipsDeps {
  fetch(p: FlipsParams): Promise<{ total: number; rows: FlipRow[] }>;
  /** Open the row at `index` side by side. */
  open(index: number): void;
  /** The state changed (persist it). */
  changed(): void;
}

interface Page {
  total: number;
  rows: FlipRow[];
}

function sliceWords(r: FlipRow): string {
  const parts = Object.entries(r.slice).filter(([k]) => k !== 'dataset').map(([k, v]) => `${k} ${v}`);
  return [r.dataset, ...parts].join(' · ');
}

function answerCell(side: 'a' | 'b', v: FlipRow['a']): HTMLElement {
  const c = el('span', `cmp-flip-ans cmp-flip-${side} ` + (v.correct === true ? 'ok' : v.correct === false ? 'bad' : 'unknown'));
  c.append(el('span', 'cmp-flip-mark', v.correct === true ? '✓' : v.correct === false ? '✗' : '·'), el('span', 'cmp-flip-text', v.answer ?? '—'));
  c.title = `${v.correct === true ? 'right' : v.correct === false ? 'wrong' : 'not scored'}: ${v.answer ?? '(no answer parsed)'}`;
  return c;
}

export class FlipsPane {
  state: FlipState;
  private counts: TableView['flips'] | null = null;
  private datasets: string[] = [];
  private readonly pages = new Map<number, Promise<Page>>();
  private total: number | null = null;
  private shownOffset = -1;
  private rows: FlipRow[] = [];
  private seq = 0;
  private readonly root: HTMLElement;
  private readonly sourceSel: HTMLSelectElement | null;
  private readonly buckets: HTMLElement;
  private readonly datasetSel: HTMLSelectElement;
  private readonly status: HTMLElement;
  private readonly list: HTMLElement;
  private readonly pager: HTMLElement;

  constructor(container: HTMLElement, private readonly init: CompareInit, state: FlipState, private readonly deps: FlipsDeps) {
    this.state = { ...state };
    const S = init.sources.length;
    if (this.state.against < 1 || this.state.against >= S) this.state.against = 1;
    this.root = el('div', 'cmp-flips');
    const bar = el('div', 'cmp-flips-bar');
    if (S > 2) {
      const lab = el('label', 'cmp-field');
      lab.append(el('span', 'cmp-field-name', 'A vs'));
      this.sourceSel = el('select', 'cmp-select cmp-against', undefined, { 'aria-label': 'The source compared with A' });
      for (let i = 1; i < S; i++) this.sourceSel.append(el('option', undefined, `${letter(i)} · ${init.sources[i]!.name}`, { value: String(i) }));
      this.sourceSel.value = String(this.state.against);
      this.sourceSel.addEventListener('change', () => this.setQuery({ against: Number(this.sourceSel!.value) }));
      lab.append(this.sourceSel);
      bar.append(lab);
    } else {
      this.sourceSel = null;
      bar.append(el('span', 'cmp-vs', `A ${init.sources[0]!.name} vs B ${init.sources[1]?.name ?? ''}`));
    }
    this.buckets = el('div', 'cmp-buckets', undefined, { role: 'radiogroup', 'aria-label': 'Flip bucket (← →)' });
    bar.append(this.buckets);
    const dlab = el('label', 'cmp-field');
    dlab.append(el('span', 'cmp-field-name', 'Dataset'));
    this.datasetSel = el('select', 'cmp-select cmp-dataset', undefined, { 'aria-label': 'Only this dataset' });
    this.datasetSel.addEventListener('change', () => this.setQuery({ dataset: this.datasetSel.value === '' ? null : this.datasetSel.value }));
    dlab.append(this.datasetSel);
    bar.append(dlab);
    this.status = el('div', 'cmp-flips-status', '', { role: 'status' });
    this.list = el('div', 'cmp-fliplist', undefined, { role: 'listbox', tabindex: '0', 'aria-label': 'Prompts of the bucket: j/k or ↑/↓ to move, Enter to open side by side' });
    this.pager = el('div', 'cmp-pager');
    this.root.append(bar, this.status, this.list, this.pager);
    container.append(this.root);
    this.renderBuckets();
    this.renderDatasets();
  }

  /** Flip counts (from the table) and the datasets for the filter. */
  setCounts(flips: TableView['flips'], datasets: string[]): void {
    this.counts = flips;
    this.datasets = datasets;
    this.renderBuckets();
    this.renderDatasets();
  }

  setQuery(q: Partial<Omit<FlipState, 'index'>>): void {
    const next = { ...this.state, ...q, index: 0 };
    if (next.against === this.state.against && next.kind === this.state.kind && next.dataset === this.state.dataset) return;
    this.state = next;
    this.pages.clear();
    this.total = null;
    this.shownOffset = -1;
    this.renderBuckets();
    this.renderDatasets();
    if (this.sourceSel) this.sourceSel.value = String(this.state.against);
    this.deps.changed();
    void this.load();
  }

  cycleBucket(delta: number): void {
    const i = FLIP_KINDS.indexOf(this.state.kind);
    this.setQuery({ kind: FLIP_KINDS[(i + delta + FLIP_KINDS.length) % FLIP_KINDS.length]! });
  }

  focus(): void {
    this.list.focus({ preventScroll: true });
  }

  get size(): number | null {
    return this.total;
  }

  private query(offset: number): Promise<Page> {
    let p = this.pages.get(offset);
    if (!p) {
      const { against, kind, dataset } = this.state;
      p = this.deps.fetch({ against, kind, dataset, offset, limit: PAGE });
      p.catch(() => this.pages.delete(offset));
      this.pages.set(offset, p);
    }
    return p;
  }

  /** The row at absolute `index` (fetching its page), or null when past the end. */
  async rowAt(index: number): Promise<FlipRow | null> {
    if (index < 0) return null;
    const offset = Math.floor(index / PAGE) * PAGE;
    const page = await this.query(offset);
    this.total = page.total;
    return page.rows[index - offset] ?? null;
  }

  /** Show the page holding the selected row. */
  async load(): Promise<void> {
    const seq = ++this.seq;
    const offset = Math.floor(Math.max(0, this.state.index) / PAGE) * PAGE;
    if (this.shownOffset !== offset || this.rows.length === 0) {
      this.status.className = 'cmp-flips-status';
      this.status.textContent = 'loading…';
    }
    try {
      const page = await this.query(offset);
      if (seq !== this.seq) return;
      this.total = page.total;
      if (page.total > 0 && this.state.index >= page.total) {
        this.state.index = page.total - 1;
        if (Math.floor(this.state.index / PAGE) * PAGE !== offset) return void this.load();
      }
      this.rows = page.rows;
      this.shownOffset = offset;
      this.renderList();
    } catch (e) {
      if (seq !== this.seq) return;
      this.rows = [];
      this.shownOffset = -1;
      this.list.replaceChildren();
      this.pager.replaceChildren();
      this.status.className = 'cmp-flips-status cmp-error';
      this.status.textContent = `Could not list the flips: ${errorText(e)}`;
    }
  }

  /** Move the selection by `delta` rows (loads the neighbouring page when needed). */
  move(delta: number): void {
    const total = this.total ?? 0;
    if (total === 0) return;
    const next = Math.min(total - 1, Math.max(0, this.state.index + delta));
    if (next === this.state.index) return;
    this.select(next);
  }

  select(index: number): void {
    this.state.index = index;
    this.deps.changed();
    const offset = Math.floor(index / PAGE) * PAGE;
    if (offset !== this.shownOffset) void this.load();
    else this.markSelected();
  }

  openSelected(): void {
    if ((this.total ?? 0) > 0) this.deps.open(this.state.index);
  }

  private markSelected(): void {
    for (const r of this.list.querySelectorAll<HTMLElement>('.cmp-flip')) {
      const on = Number(r.dataset.index) === this.state.index;
      r.classList.toggle('selected', on);
      r.setAttribute('aria-selected', String(on));
      if (on) r.scrollIntoView({ block: 'nearest' });
    }
  }

  private renderBuckets(): void {
    const c = this.counts?.[this.state.against] ?? null;
    const a = 'A';
    const b = letter(this.state.against);
    this.buckets.replaceChildren();
    for (const k of FLIP_KINDS) {
      const n = c ? c[k] : null;
      const on = k === this.state.kind;
      const btn = el('button', 'cmp-bucket' + (on ? ' active' : '') + ` cmp-bucket-${k}`, undefined, {
        role: 'radio',
        'aria-checked': String(on),
        'data-kind': k,
        title: `${flipWords(k, `A (${this.init.sources[0]!.name})`, `${b} (${this.init.sources[this.state.against]?.name ?? ''})`)}`,
      });
      btn.append(el('span', 'cmp-bucket-label', flipLabel(k, a, b)));
      if (n !== null) btn.append(el('span', 'cmp-bucket-count', String(n)));
      btn.addEventListener('click', () => {
        this.setQuery({ kind: k });
        this.focus(); // j/k and Enter act on the list at once
      });
      this.buckets.append(btn);
    }
  }

  private renderDatasets(): void {
    const sel = this.datasetSel;
    sel.replaceChildren(el('option', undefined, 'all datasets', { value: '' }));
    const names = [...this.datasets];
    if (this.state.dataset !== null && !names.includes(this.state.dataset)) names.push(this.state.dataset);
    for (const d of names) sel.append(el('option', undefined, d, { value: d }));
    sel.value = this.state.dataset ?? '';
  }

  private renderList(): void {
    const total = this.total ?? 0;
    const { against, kind } = this.state;
    const A = this.init.sources[0]!.name;
    const B = this.init.sources[against]?.name ?? '';
    this.status.className = 'cmp-flips-status';
    this.list.replaceChildren();
    if (total === 0) {
      this.status.textContent = '';
      this.list.append(el('p', 'cmp-empty', `No prompt is ${flipWords(kind, A, B)}${this.state.dataset ? ` in ${this.state.dataset}` : ''}.`));
      this.pager.replaceChildren();
      return;
    }
    const first = this.shownOffset;
    this.status.textContent = `${total.toLocaleString('en-US')} prompt${total === 1 ? '' : 's'} ${flipWords(kind, A, B)}${this.state.dataset ? ` in ${this.state.dataset}` : ''} · j/k to move, Enter to open`;
    const head = el('div', 'cmp-flip-head', undefined, { 'aria-hidden': 'true' });
    head.append(el('span', 'cmp-flip-num', '#'), el('span', 'cmp-flip-q', 'Question'), el('span', 'cmp-flip-where', 'Dataset · slice'), el('span', 'cmp-flip-a', `A ${A}`), el('span', 'cmp-flip-b', `${letter(against)} ${B}`));
    this.list.append(head);
    this.rows.forEach((r, i) => {
      const index = first + i;
      const row = el('div', 'cmp-flip', undefined, { role: 'option', 'data-key': r.key, 'data-index': String(index), 'aria-selected': 'false' });
      row.append(
        el('span', 'cmp-flip-num', String(index + 1)),
        el('span', 'cmp-flip-q', r.question, { title: r.question }),
        el('span', 'cmp-flip-where', sliceWords(r), { title: r.key }),
        answerCell('a', r.a),
        answerCell('b', r.b),
      );
      row.addEventListener('click', () => this.select(index));
      row.addEventListener('dblclick', () => this.deps.open(index));
      this.list.append(row);
    });
    this.renderPager(total);
    this.markSelected();
  }

  private renderPager(total: number): void {
    this.pager.replaceChildren();
    if (total <= PAGE) return;
    const first = this.shownOffset;
    const last = Math.min(total, first + PAGE);
    const btn = (label: string, to: number, enabled: boolean, tip: string) => {
      const b = el('button', 'link-button cmp-page', label, { title: tip });
      b.disabled = !enabled;
      b.addEventListener('click', () => this.select(to));
      return b;
    };
    this.pager.append(
      btn('◀ Previous', Math.max(0, first - PAGE), first > 0, 'Previous page (PageUp)'),
      el('span', 'cmp-page-pos', `${first + 1}–${last} of ${total.toLocaleString('en-US')}`),
      btn('Next ▶', last, last < total, 'Next page (PageDown)'),
    );
  }
}
