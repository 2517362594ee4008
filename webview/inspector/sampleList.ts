// The sample list: a filter (core/query, validated and completed as you type), a text search, and a
// virtualized table of every completion that passes them, fetched from the host in pages of 200.
//
// A million rows: the table body is a @tanstack/virtual-core Virtualizer working in *virtual* pixels
// (row index × 22 px, 22 M px for 1 M rows). Browsers cap an element's height (Chromium ~16.7 M px for
// reliable layout, Firefox less), so the scrolling element holds a spacer of at most MAX_PHYS_PX and the
// Virtualizer is given a small stand-in for it (`ScrollMap.proxy`) whose scrollTop / scrollHeight /
// scrollTo are in virtual pixels: the scrollbar maps proportionally (physical → virtual), and the
// mapping is sticky (a position written in virtual pixels reads back exactly), so keyboard moves, the
// wheel (handled in virtual pixels, not scaled) and End land on the exact row, the last one included.
// Rows are placed at physical scrollTop + (virtual start − virtual offset).
//
// Every string from a log goes into the DOM as text (textContent), never as HTML.
import { Virtualizer, elementScroll, observeElementOffset, type Rect } from '@tanstack/virtual-core';
import type { FieldInfo, QueryParams, QueryResult, SampleRow } from '../../extension/protocol/inspector';
import { completeQuery, parseQuery, type Completion } from '../../extension/core/query/index';
import { el } from './dom';

export interface ListState {
  filter: string;
  search: string;
  /** Field the list is sorted by (null: log order). */
  sort: string | null;
  desc: boolean;
  /** Position of the selected row in the filtered, sorted list (null: none). */
  selected: number | null;
}

export interface SampleListCallbacks {
  query(p: QueryParams): Promise<QueryResult>;
  open(recordIndex: number): void;
}

const ROW_H = 22;
const PAGE = 200;
/** Tallest spacer we give the browser; beyond it the scrollbar is scaled. */
const MAX_PHYS_PX = 8_000_000;
const MAX_PAGES = 40;
const MAX_INFLIGHT = 3;
const LIVE_MS = 300;
const VERDICTS = ['supported', 'unsupported', 'contradicted', 'unknown'] as const;

export function fmtNum(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return v.toFixed(digits);
}

export function fmtSigned(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (Math.abs(v) < 0.005) return v === 0 ? '0.00' : (v > 0 ? '+' : '−') + '0.00';
  return (v > 0 ? '+' : '−') + Math.abs(v).toFixed(2);
}

export function fmtInt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return Math.round(v).toLocaleString('en-US').replace(/,/g, '\u00a0');
}

function advClass(a: number | null): string {
  if (a === null || !Number.isFinite(a) || Math.abs(a) < 1e-6) return 'adv-zero';
  return a > 0 ? 'adv-pos' : 'adv-neg';
}

interface Cell {
  text: string;
  cls?: string;
  title?: string;
}

interface Column {
  id: string;
  label: string;
  title: string;
  /** Field name sent as `sort`, or null when the column cannot be sorted. */
  sort: string | null;
  width: number;
  align: 'left' | 'right' | 'center';
  cell(r: SampleRow): Cell;
}

let instances = 0;

/** Physical ↔ virtual scroll positions (see the header comment). */
class ScrollMap {
  virtualTotal = 0;
  physTotal = 0;
  private lastPhys = Number.NaN;
  private lastVirt = 0;
  private nudge = 0;

  constructor(private readonly el: HTMLElement, private readonly spacer: HTMLElement, private readonly headerHeight: () => number) {}

  get scaled(): boolean {
    return this.virtualTotal > this.physTotal;
  }

  viewport(): number {
    return Math.max(0, this.el.clientHeight - this.headerHeight());
  }

  setTotal(px: number): void {
    if (px === this.virtualTotal) return;
    this.virtualTotal = px;
    this.physTotal = Math.min(px, MAX_PHYS_PX);
    this.spacer.style.height = `${this.physTotal}px`;
    this.lastPhys = Number.NaN;
  }

  private vMax(): number {
    return Math.max(0, this.virtualTotal - this.viewport());
  }

  private pMax(): number {
    return Math.max(0, this.physTotal - this.viewport());
  }

  private toVirt(p: number): number {
    const pm = this.pMax();
    if (pm <= 0) return 0;
    return p >= pm - 0.5 ? this.vMax() : (p / pm) * this.vMax();
  }

  private toPhys(v: number): number {
    const vm = this.vMax();
    return vm <= 0 ? 0 : (v / vm) * this.pMax();
  }

  /** The scroll offset in virtual pixels. */
  read(): number {
    const p = this.el.scrollTop;
    if (!this.scaled) return p;
    if (Math.abs(p - this.lastPhys) < 1) return this.lastVirt;
    this.lastPhys = p;
    this.lastVirt = this.toVirt(p);
    return this.lastVirt;
  }

  /** Scroll to a virtual offset. */
  write(v: number): void {
    const target = Math.max(0, Math.min(v, this.vMax()));
    if (!this.scaled) {
      this.el.scrollTop = target;
      return;
    }
    const before = this.el.scrollTop;
    this.el.scrollTop = this.toPhys(target);
    this.lastPhys = this.el.scrollTop;
    const moved = this.lastVirt !== target;
    this.lastVirt = target;
    // Less than a physical pixel: the element does not move and fires no scroll event, so tell the
    // Virtualizer ourselves (next frame, like a real scroll event).
    if (moved && Math.abs(this.lastPhys - before) < 0.5) {
      cancelAnimationFrame(this.nudge);
      this.nudge = requestAnimationFrame(() => this.el.dispatchEvent(new Event('scroll')));
    }
  }

  /** What the Virtualizer sees as its scroll element: the real one, in virtual pixels. */
  proxy(): HTMLElement {
    const map = this;
    const target = this.el;
    const stand = {
      ownerDocument: target.ownerDocument,
      get scrollTop() { return map.read(); },
      scrollLeft: 0,
      get scrollHeight() { return Math.max(map.virtualTotal, map.viewport()); },
      get clientHeight() { return map.viewport(); },
      get clientWidth() { return target.clientWidth; },
      get scrollWidth() { return target.scrollWidth; },
      scrollTo(o: ScrollToOptions) { if (typeof o.top === 'number') map.write(o.top); },
      addEventListener: (t: string, h: EventListenerOrEventListenerObject, o?: AddEventListenerOptions | boolean) => target.addEventListener(t, h, o),
      removeEventListener: (t: string, h: EventListenerOrEventListenerObject, o?: EventListenerOptions | boolean) => target.removeEventListener(t, h, o),
    };
    return stand as unknown as HTMLElement;
  }
}

export class SampleList {
  private readonly id = ++instances;
  private readonly root: HTMLElement;
  private readonly filterInput: HTMLInputElement;
  private readonly searchInput: HTMLInputElement;
  private readonly mirror: HTMLElement;
  private readonly underline: HTMLElement;
  private readonly errorBox: HTMLElement;
  private readonly complete: HTMLElement;
  private readonly status: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly head: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly map: ScrollMap;
  private readonly virt: Virtualizer<HTMLElement, HTMLElement>;
  private readonly unmount: () => void;
  private readonly ro: ResizeObserver;

  private fields: FieldInfo[] = [];
  private rewardNames: string[] = [];
  private columns: Column[] = [];

  /** What the current query uses (the inputs may hold newer text). */
  private applied = { filter: '', search: '' };
  private sort: string | null = null;
  private desc = false;
  private selected: number | null = null;
  private pendingReveal: number | null = null;
  private pendingOpen: number | null = null;

  /** Query generation: replies of an older one are ignored. */
  private gen = 0;
  private cacheGen = -1;
  private readonly pages = new Map<number, SampleRow[]>();
  private readonly inflight = new Set<number>();
  private count = 0;
  private total = 0;
  private loaded = false;
  private statusInfo: { elapsedMs: number; pending: string[] } | null = null;
  private queryError: string | null = null;

  private readonly rowEls = new Map<number, HTMLElement>();
  private liveTimer: ReturnType<typeof setTimeout> | undefined;
  private searchTimer: ReturnType<typeof setTimeout> | undefined;
  private items: Completion[] = [];
  private itemRange = { from: 0, to: 0 };
  private active = 0;
  private disposed = false;

  constructor(private readonly container: HTMLElement, private readonly cb: SampleListCallbacks) {
    const id = `rl-sl-${this.id}`;
    this.root = el('div', 'sl');
    const bar = el('div', 'sl-bar');
    const wrap = el('div', 'sl-filter-wrap');
    this.filterInput = el('input', 'sl-filter', undefined, {
      type: 'text', spellcheck: 'false', autocomplete: 'off', id: `${id}-filter`,
      placeholder: 'filter, e.g. iou < 0.5 and verdict = "unsupported"   (/ to focus, Ctrl+Space to complete)',
      'aria-label': 'Filter expression', role: 'combobox', 'aria-autocomplete': 'list', 'aria-expanded': 'false',
      'aria-controls': `${id}-complete`, 'aria-describedby': `${id}-error`,
    });
    this.mirror = el('span', 'sl-mirror', undefined, { 'aria-hidden': 'true' });
    this.underline = el('div', 'sl-underline', undefined, { 'aria-hidden': 'true' });
    this.underline.hidden = true;
    this.complete = el('ul', 'sl-complete', undefined, { id: `${id}-complete`, role: 'listbox', 'aria-label': 'Suggestions' });
    this.complete.hidden = true;
    wrap.append(this.filterInput, this.mirror, this.underline, this.complete);
    this.searchInput = el('input', 'sl-search', undefined, {
      type: 'search', spellcheck: 'false', placeholder: 'search text', 'aria-label': 'Search in completions and prompts',
    });
    bar.append(wrap, this.searchInput);
    this.errorBox = el('div', 'sl-error', undefined, { id: `${id}-error`, role: 'alert' });
    this.status = el('div', 'sl-status', '', { role: 'status', 'aria-live': 'polite' });

    this.scroller = el('div', 'sl-scroll', undefined, { tabindex: '0', role: 'grid', 'aria-label': 'Completions', 'aria-rowcount': '1', 'aria-multiselectable': 'false' });
    this.head = el('div', 'sl-head', undefined, { role: 'row', 'aria-rowindex': '1' });
    this.spacer = el('div', 'sl-spacer', undefined, { role: 'rowgroup' });
    this.empty = el('div', 'sl-empty', '');
    this.empty.hidden = true;
    this.scroller.append(this.head, this.spacer, this.empty);
    this.root.append(bar, this.errorBox, this.status, this.scroller);
    this.container.append(this.root);

    this.map = new ScrollMap(this.scroller, this.spacer, () => this.head.offsetHeight);
    const proxy = this.map.proxy();
    this.virt = new Virtualizer<HTMLElement, HTMLElement>({
      count: 0,
      getScrollElement: () => proxy,
      estimateSize: () => ROW_H,
      overscan: 8,
      initialRect: { width: 0, height: 0 },
      observeElementRect: (_inst, cb) => this.observeRect(cb),
      observeElementOffset,
      scrollToFn: elementScroll,
      onChange: () => this.render(),
    });
    this.unmount = this.virt._didMount();
    this.virt._willUpdate();
    this.ro = new ResizeObserver(() => this.positionUnderline());
    this.ro.observe(this.filterInput);

    this.wire();
    this.buildColumns();
    this.run(false);
  }

  // ---------------- public API ----------------

  setFields(fields: FieldInfo[]): void {
    this.fields = fields;
    this.buildColumns();
    this.validate(false);
    // a filter restored (setState) before the fields were known is applied now that it checks
    const text = this.filterInput.value;
    if (text !== this.applied.filter && this.check(text).ok) this.apply();
  }

  focusFilter(): void {
    this.filterInput.focus();
    this.filterInput.select();
  }

  getState(): ListState {
    return { filter: this.filterInput.value, search: this.searchInput.value, sort: this.sort, desc: this.desc, selected: this.selected };
  }

  setState(s: ListState): void {
    this.filterInput.value = s.filter;
    this.searchInput.value = s.search;
    const ok = this.check(s.filter).ok;
    this.applied = { filter: ok ? s.filter : '', search: s.search };
    this.sort = s.sort;
    this.desc = s.desc;
    this.selected = s.selected;
    this.pendingReveal = s.selected;
    this.validate(false);
    this.renderHead();
    this.run(false);
  }

  /** Query again with the same parameters (the log grew, a derived field finished), keeping the place. */
  refresh(): void {
    this.run(false);
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.liveTimer);
    clearTimeout(this.searchTimer);
    this.ro.disconnect();
    this.unmount();
    this.root.remove();
  }

  // ---------------- columns ----------------

  private fieldName(candidates: string[]): string | null {
    if (this.fields.length === 0) return candidates[0]!;
    for (const c of candidates) if (this.fields.some((f) => f.name === c)) return c;
    return null;
  }

  private buildColumns(): void {
    const f = (v: number | null) => ({ text: fmtNum(v) });
    const cols: Column[] = [
      { id: 'record', label: 'record', title: 'Record number in the log (sort: record)', sort: this.fieldName(['record', 'recordIndex', 'row']), width: 78, align: 'right', cell: (r) => ({ text: String(r.recordIndex) }) },
      { id: 'step', label: 'step', title: 'Training step', sort: this.fieldName(['step']), width: 58, align: 'right', cell: (r) => ({ text: fmtInt(r.step) }) },
      { id: 'group', label: 'group', title: 'Group number (0-based, in step order)', sort: this.fieldName(['group', 'groupIndex']), width: 62, align: 'right', cell: (r) => ({ text: String(r.groupIndex) }) },
      { id: 'index', label: '#', title: 'Position of the completion in its group (0-based)', sort: this.fieldName(['index', 'indexInGroup', 'completion']), width: 34, align: 'right', cell: (r) => ({ text: String(r.indexInGroup) }) },
      { id: 'reward', label: 'reward', title: 'Total reward', sort: this.fieldName(['reward']), width: 64, align: 'right', cell: (r) => f(r.reward) },
      {
        id: 'advantage', label: 'advantage', title: 'Advantage', sort: this.fieldName(['advantage', 'adv']), width: 90, align: 'right',
        cell: (r) => ({ text: fmtSigned(r.advantage), cls: advClass(r.advantage) }),
      },
    ];
    for (const name of this.rewardNames) {
      // the reward as logged (`rewards/iou_reward`) is a field under a filter-friendly name (`iou_reward`),
      // which the table names in FieldInfo.reward
      const field = this.fields.find((x) => x.reward === name)?.name ?? null;
      const info = field === null ? undefined : this.fields.find((x) => x.name === field);
      const label = field ?? (name.includes('/') ? name.slice(name.lastIndexOf('/') + 1) : name);
      cols.push({
        id: `rw:${name}`, label, title: `${name}${field && field !== name ? ` (filter: ${field})` : ''}${info ? ` — ${info.description}` : ' — reward function'}`,
        sort: field, width: Math.min(120, Math.max(64, 8 * label.length + 18)), align: 'right',
        cell: (r) => f(r.rewards[name] ?? null),
      });
    }
    cols.push(
      { id: 'iou', label: 'IoU', title: 'Best IoU of the predicted boxes with the ground truth', sort: this.fieldName(['iou']), width: 54, align: 'right', cell: (r) => f(r.iou) },
      { id: 'length', label: 'length', title: 'Completion length', sort: this.fieldName(['length', 'len']), width: 62, align: 'right', cell: (r) => ({ text: fmtInt(r.length) }) },
      {
        id: 'verdict', label: 'verdict', title: 'Judge verdict', sort: this.fieldName(['verdict']), width: 128, align: 'left',
        cell: (r) => ({ text: r.verdict ?? '—', cls: r.verdict ? `verdict-${r.verdict.replace(/[^a-z-]/gi, '')}` : 'null' }),
      },
      {
        id: 'flags', label: 'flags', title: '⚠ a logged reward differs from its recomputed value · ∅ zero-std group (no learning signal) · ✂ truncated', sort: null, width: 58, align: 'left',
        cell: (r) => {
          const t: string[] = [];
          const tip: string[] = [];
          if (r.mismatch) { t.push('⚠'); tip.push('⚠ a logged reward differs from its recomputed value'); }
          if (r.zeroStd) { t.push('∅'); tip.push('∅ zero-std group: no learning signal'); }
          if (r.truncated) { t.push('✂'); tip.push('✂ cut at the maximum completion length'); }
          return { text: t.join(' '), cls: r.mismatch ? 'flag-mismatch' : undefined, title: tip.join('\n') };
        },
      },
    );
    this.columns = cols;
    const template = cols.map((c) => `${c.width}px`).join(' ');
    const width = cols.reduce((a, c) => a + c.width, 0) + 8;
    this.root.style.setProperty('--sl-cols', template);
    this.root.style.setProperty('--sl-width', `${width}px`);
    this.renderHead();
    this.rowEls.forEach((r) => r.remove());
    this.rowEls.clear();
    this.render();
  }

  private renderHead(): void {
    this.head.replaceChildren();
    for (const c of this.columns) {
      const active = c.sort !== null && c.sort === this.sort;
      const th = el('div', `sl-th align-${c.align}${active ? ' sorted' : ''}`, undefined, {
        role: 'columnheader', 'data-col': c.id, title: c.title,
        'aria-sort': active ? (this.desc ? 'descending' : 'ascending') : 'none',
      });
      if (c.sort !== null) {
        const b = el('button', 'sl-sort', undefined, { type: 'button', tabindex: '-1', 'data-sort': c.sort });
        b.append(el('span', 'sl-th-label', c.label), el('span', 'sl-th-arrow', active ? (this.desc ? '▼' : '▲') : ''));
        b.addEventListener('click', () => this.toggleSort(c.sort!));
        th.append(b);
      } else {
        th.append(el('span', 'sl-th-label', c.label));
      }
      this.head.append(th);
    }
  }

  private toggleSort(field: string): void {
    if (this.sort !== field) {
      this.sort = field;
      this.desc = false;
    } else if (!this.desc) {
      this.desc = true;
    } else {
      this.sort = null;
      this.desc = false;
    }
    this.selected = null;
    this.renderHead();
    this.run(true);
  }

  // ---------------- querying ----------------

  private check(text: string): { ok: true } | { ok: false; message: string; at: number; length: number } {
    if (this.fields.length === 0 || text.trim() === '') return { ok: true }; // nothing to check against: the host will
    const r = parseQuery(text, this.fields);
    return r.ok ? { ok: true } : { ok: false, message: r.error.message, at: r.error.at, length: r.error.length };
  }

  /** A new query generation; `top` scrolls back to the first row (new filter, search or sort). */
  private run(top: boolean): void {
    this.gen++;
    this.inflight.clear();
    if (top) {
      this.selected = null;
      this.map.write(0);
    }
    this.ensurePages();
  }

  private params(offset: number): QueryParams {
    return { filter: this.applied.filter, search: this.applied.search, sort: this.sort, desc: this.desc, offset, limit: PAGE };
  }

  private havePage(p: number): boolean {
    return this.cacheGen === this.gen && this.pages.has(p);
  }

  /** Pages under the visible rows that the current generation has not got: fetch (a few at a time). */
  private ensurePages(): void {
    if (this.disposed) return;
    const items = this.virt.getVirtualItems();
    const want: number[] = [];
    if (items.length === 0 || this.cacheGen !== this.gen) {
      // nothing visible (hidden tab) or a new query: the first page in view gives the counts
      const first = items.length ? items[0]!.index : this.selected ?? this.pendingReveal ?? 0;
      want.push(Math.floor(first / PAGE));
    }
    for (const it of items) {
      const p = Math.floor(it.index / PAGE);
      if (!want.includes(p)) want.push(p);
    }
    if (this.pendingOpen !== null) want.push(Math.floor(this.pendingOpen / PAGE));
    for (const p of want) {
      if (this.inflight.size >= MAX_INFLIGHT) break;
      if (this.havePage(p) || this.inflight.has(p)) continue;
      // a new generation: one request until it answers with the counts
      if (this.cacheGen !== this.gen && this.inflight.size > 0) break;
      void this.fetchPage(p);
    }
  }

  private async fetchPage(p: number): Promise<void> {
    const gen = this.gen;
    this.inflight.add(p);
    let r: QueryResult;
    try {
      r = await this.cb.query(this.params(p * PAGE));
    } catch (e) {
      if (gen !== this.gen || this.disposed) return;
      this.inflight.delete(p);
      this.queryError = e instanceof Error ? e.message : String(e);
      this.renderStatus();
      return;
    }
    if (gen !== this.gen || this.disposed) return; // stale: a newer query was sent
    this.inflight.delete(p);
    this.accept(r, p);
    this.ensurePages();
  }

  private accept(r: QueryResult, p: number): void {
    if (this.cacheGen !== this.gen) {
      this.cacheGen = this.gen;
      this.pages.clear();
      this.rowEls.forEach((e) => e.remove());
      this.rowEls.clear();
      this.statusInfo = { elapsedMs: r.elapsedMs, pending: r.pendingFields };
    } else if (this.statusInfo) {
      this.statusInfo.pending = r.pendingFields;
    }
    this.queryError = null;
    this.loaded = true;
    if (r.fields.length && JSON.stringify(r.fields) !== JSON.stringify(this.fields)) {
      this.fields = r.fields;
      this.buildColumns();
      this.validate(false);
    }
    if (r.error) this.showError(r.error.message, r.error.at, r.error.length, this.applied.filter);
    this.pages.delete(p);
    this.pages.set(p, r.rows);
    this.dropFarPages(p);
    this.total = r.total;
    // reward functions: the reward names found in the rows
    const names = new Set(this.rewardNames);
    for (const row of r.rows) for (const k of Object.keys(row.rewards)) names.add(k);
    if (names.size !== this.rewardNames.length) {
      this.rewardNames = [...names];
      this.buildColumns();
    }
    this.setCount(r.error ? 0 : r.matched);
    this.renderStatus();
    if (this.pendingReveal !== null && this.count > 0) {
      const i = Math.min(this.pendingReveal, this.count - 1);
      this.pendingReveal = null;
      this.selected = i;
      this.reveal(i);
    }
    if (this.pendingOpen !== null) {
      const row = this.rowAt(this.pendingOpen, true);
      if (row) {
        this.pendingOpen = null;
        this.cb.open(row.recordIndex);
      }
    }
    this.render();
  }

  private dropFarPages(keep: number): void {
    if (this.pages.size <= MAX_PAGES) return;
    const first = this.virt.getVirtualItems()[0];
    const here = first ? Math.floor(first.index / PAGE) : keep;
    const byDistance = [...this.pages.keys()].filter((k) => k !== keep).sort((a, b) => Math.abs(b - here) - Math.abs(a - here));
    while (this.pages.size > MAX_PAGES && byDistance.length) this.pages.delete(byDistance.shift()!);
  }

  private setCount(n: number): void {
    if (n === this.count && this.map.virtualTotal === n * ROW_H) return;
    this.count = n;
    this.map.setTotal(n * ROW_H);
    this.virt.setOptions({ ...this.virt.options, count: n });
    this.virt._willUpdate();
    this.scroller.setAttribute('aria-rowcount', String(n + 1));
    if (this.selected !== null && this.selected >= n) this.selected = n > 0 ? n - 1 : null;
  }

  /** The row at position `i` if its page is here (`current`: only from the current query's replies). */
  private rowAt(i: number, current = false): SampleRow | undefined {
    if (current && this.cacheGen !== this.gen) return undefined;
    return this.pages.get(Math.floor(i / PAGE))?.[i % PAGE];
  }

  // ---------------- rendering ----------------

  private observeRect(cb: (rect: Rect) => void): () => void {
    const report = () => cb({ width: this.scroller.clientWidth, height: this.map.viewport() });
    report();
    const ro = new ResizeObserver(() => {
      report();
      this.ensurePages();
    });
    ro.observe(this.scroller);
    ro.observe(this.head);
    return () => ro.disconnect();
  }

  private render(): void {
    if (this.disposed) return;
    const items = this.virt.getVirtualItems();
    const vOff = this.map.read();
    const pTop = this.scroller.scrollTop;
    const seen = new Set<number>();
    for (const it of items) {
      const i = it.index;
      seen.add(i);
      const row = this.rowAt(i);
      let e = this.rowEls.get(i);
      const state = row ? 'ready' : 'loading';
      if (e && e.dataset.state !== state) {
        e.remove();
        e = undefined;
      }
      if (!e) {
        e = this.makeRow(i, row);
        this.rowEls.set(i, e);
        this.spacer.append(e);
      }
      e.style.transform = `translateY(${Math.round(pTop + (it.start - vOff))}px)`;
      const sel = i === this.selected;
      if (e.classList.contains('selected') !== sel) {
        e.classList.toggle('selected', sel);
        e.setAttribute('aria-selected', String(sel));
      }
    }
    for (const [i, e] of this.rowEls) {
      if (!seen.has(i)) {
        e.remove();
        this.rowEls.delete(i);
      }
    }
    if (this.selected !== null && seen.has(this.selected)) this.scroller.setAttribute('aria-activedescendant', this.rowId(this.selected));
    else this.scroller.removeAttribute('aria-activedescendant');
    this.empty.hidden = !(this.loaded && this.count === 0);
    this.empty.textContent = this.queryErrorText() ?? (this.applied.filter || this.applied.search ? 'No completion matches.' : 'No completions.');
    this.ensurePages();
  }

  private rowId(i: number): string {
    return `rl-sl-${this.id}-row-${i}`;
  }

  private makeRow(i: number, r: SampleRow | undefined): HTMLElement {
    const e = el('div', r ? 'sl-row' : 'sl-row loading', undefined, {
      role: 'row', id: this.rowId(i), 'data-index': String(i), 'aria-rowindex': String(i + 2), 'aria-selected': 'false',
    });
    e.dataset.state = r ? 'ready' : 'loading';
    if (i % 2 === 1) e.classList.add('odd');
    if (!r) {
      for (const c of this.columns) e.append(el('div', `sl-td align-${c.align}`, '', { role: 'gridcell' }));
      e.firstElementChild!.textContent = '…';
      return e;
    }
    e.dataset.record = String(r.recordIndex);
    for (const c of this.columns) {
      const v = c.cell(r);
      const td = el('div', `sl-td align-${c.align}${v.cls ? ' ' + v.cls : ''}${v.text === '—' ? ' null' : ''}`, v.text, { role: 'gridcell' });
      if (v.title) td.title = v.title;
      e.append(td);
    }
    return e;
  }

  private queryErrorText(): string | null {
    return this.queryError ? `Query failed: ${this.queryError}` : null;
  }

  private renderStatus(): void {
    this.status.classList.toggle('error', this.queryError !== null);
    if (this.queryError) {
      this.status.textContent = this.queryErrorText();
      return;
    }
    if (!this.loaded) {
      this.status.textContent = 'loading…';
      return;
    }
    const parts = [`${fmtInt(this.count)} of ${fmtInt(this.total)} completions`];
    if (this.statusInfo) parts.push(`${Math.round(this.statusInfo.elapsedMs)} ms`);
    let text = parts.join(' · ');
    const pending = this.statusInfo?.pending ?? [];
    if (pending.length) text += ` · ${pending.join(', ')} still being computed: results may change`;
    this.status.textContent = text;
    this.status.classList.toggle('pending', pending.length > 0);
  }

  // ---------------- selection, keyboard ----------------

  private select(i: number | null, reveal = true): void {
    if (i !== null) i = Math.max(0, Math.min(i, this.count - 1));
    if (i !== null && i < 0) i = null;
    this.selected = i;
    if (i !== null && reveal) this.reveal(i);
    this.render();
  }

  private reveal(i: number): void {
    this.virt.scrollToIndex(i, { align: 'auto' });
  }

  private openSelected(): void {
    if (this.selected === null) return;
    const row = this.rowAt(this.selected, true);
    if (row) this.cb.open(row.recordIndex);
    else {
      this.pendingOpen = this.selected;
      this.ensurePages();
    }
  }

  private onTableKey(e: KeyboardEvent): void {
    if (e.altKey || e.metaKey) return;
    const page = Math.max(1, Math.floor(this.map.viewport() / ROW_H) - 1);
    const cur = this.selected;
    let next: number | null | undefined;
    switch (e.key) {
      case 'ArrowDown': next = cur === null ? 0 : cur + 1; break;
      case 'ArrowUp': next = cur === null ? 0 : cur - 1; break;
      case 'PageDown': next = (cur ?? -1) + page; break;
      case 'PageUp': next = (cur ?? 0) - page; break;
      case 'Home': next = 0; break;
      case 'End': next = this.count - 1; break;
      case 'Enter':
        e.preventDefault();
        e.stopPropagation();
        this.openSelected();
        return;
      case '/':
        if (e.ctrlKey) return;
        e.preventDefault();
        e.stopPropagation();
        this.focusFilter();
        return;
      default:
        return;
    }
    e.preventDefault();
    e.stopPropagation();
    if (this.count === 0) return;
    this.select(next);
  }

  private onWheel(e: WheelEvent): void {
    // Scaled scrollbar: wheel in virtual pixels, so a notch moves the rows as far as it would unscaled.
    if (!this.map.scaled || e.ctrlKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) return;
    e.preventDefault();
    const d = e.deltaMode === 1 ? e.deltaY * ROW_H : e.deltaMode === 2 ? e.deltaY * this.map.viewport() : e.deltaY;
    this.map.write(this.map.read() + d);
  }

  // ---------------- filter input, validation, completion ----------------

  private wire(): void {
    const fi = this.filterInput;
    fi.addEventListener('input', () => {
      this.validate(true);
      this.updateCompletion(false);
    });
    fi.addEventListener('keydown', (e) => this.onFilterKey(e));
    fi.addEventListener('blur', () => setTimeout(() => this.closeCompletion(), 120));
    fi.addEventListener('scroll', () => this.positionUnderline());
    fi.addEventListener('click', () => this.closeCompletion());
    this.complete.addEventListener('mousedown', (e) => {
      const li = (e.target as HTMLElement).closest<HTMLElement>('[data-i]');
      if (!li) return;
      e.preventDefault();
      this.accept1(Number(li.dataset.i));
    });
    const si = this.searchInput;
    si.addEventListener('input', () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.applySearch(), LIVE_MS);
    });
    si.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        clearTimeout(this.searchTimer);
        this.applySearch();
      } else if (e.key === 'Escape') {
        e.preventDefault();
        this.scroller.focus();
      }
    });
    this.scroller.addEventListener('keydown', (e) => this.onTableKey(e));
    this.scroller.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.spacer.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('.sl-row');
      if (!row) return;
      this.scroller.focus({ preventScroll: true });
      this.select(Number(row.dataset.index), false);
    });
    this.spacer.addEventListener('dblclick', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('.sl-row');
      if (!row) return;
      this.select(Number(row.dataset.index), false);
      this.openSelected();
    });
  }

  private applySearch(): void {
    if (this.searchInput.value === this.applied.search) return;
    this.applied.search = this.searchInput.value;
    this.run(true);
  }

  /** Apply the filter text if it checks; returns whether it did. */
  private apply(): boolean {
    clearTimeout(this.liveTimer);
    const text = this.filterInput.value;
    if (!this.check(text).ok) return false;
    if (text === this.applied.filter) return true;
    this.applied.filter = text;
    this.run(true);
    return true;
  }

  /** Check the filter text; show or clear the error; with `live`, apply it after a pause in typing. */
  private validate(live: boolean): void {
    clearTimeout(this.liveTimer);
    const text = this.filterInput.value;
    const r = this.check(text);
    if (!r.ok) {
      // "expected a value after '<', found the end" while the user is still typing it: say so after a pause
      if (live && r.at >= text.trimEnd().length) {
        this.clearError();
        this.liveTimer = setTimeout(() => this.showError(r.message, r.at, r.length, text), LIVE_MS);
      } else {
        this.showError(r.message, r.at, r.length, text);
      }
      return;
    }
    this.clearError();
    if (live) this.liveTimer = setTimeout(() => this.apply(), LIVE_MS);
  }

  private errAt: { at: number; length: number } | null = null;

  private showError(message: string, at: number, length: number, text: string): void {
    const col = Math.max(0, Math.min(at, text.length));
    this.errAt = { at: col, length: Math.max(1, length) };
    this.filterInput.setAttribute('aria-invalid', 'true');
    this.errorBox.replaceChildren(el('span', 'sl-error-pos', `column ${col + 1}`), el('span', 'sl-error-msg', message));
    this.errorBox.dataset.at = String(col);
    this.errorBox.dataset.length = String(Math.max(1, length));
    this.root.classList.add('has-error');
    this.positionUnderline();
  }

  private clearError(): void {
    this.errAt = null;
    this.filterInput.removeAttribute('aria-invalid');
    this.errorBox.replaceChildren();
    delete this.errorBox.dataset.at;
    delete this.errorBox.dataset.length;
    this.root.classList.remove('has-error');
    this.underline.hidden = true;
  }

  /** Underline the bad span: measure the text before it and the span itself with a hidden mirror in the input's font. */
  private positionUnderline(): void {
    if (!this.errAt) {
      this.underline.hidden = true;
      return;
    }
    const input = this.filterInput;
    const text = input.value;
    const cs = getComputedStyle(input);
    this.mirror.style.font = cs.font;
    this.mirror.style.letterSpacing = cs.letterSpacing;
    const width = (s: string) => {
      this.mirror.textContent = s;
      return this.mirror.getBoundingClientRect().width;
    };
    const { at, length } = this.errAt;
    const before = width(text.slice(0, at));
    const bad = text.slice(at, at + length);
    const w = Math.max(width(bad.length ? bad : '\u00a0\u00a0'), 6);
    const padL = parseFloat(cs.paddingLeft) + parseFloat(cs.borderLeftWidth);
    const left = input.offsetLeft + padL + before - input.scrollLeft;
    const maxRight = input.offsetLeft + input.offsetWidth - parseFloat(cs.paddingRight);
    const l = Math.max(input.offsetLeft + padL, Math.min(left, maxRight - 6));
    this.underline.style.left = `${l}px`;
    this.underline.style.width = `${Math.max(6, Math.min(w, maxRight - l))}px`;
    this.underline.style.top = `${input.offsetTop + input.offsetHeight - parseFloat(cs.borderBottomWidth) - 4}px`;
    this.underline.hidden = false;
  }

  private values(field: string): readonly string[] {
    return field === 'verdict' || field.startsWith('verdict_') ? VERDICTS : [];
  }

  private updateCompletion(force: boolean): void {
    const text = this.filterInput.value;
    const cursor = this.filterInput.selectionStart ?? text.length;
    let res: { from: number; to: number; items: Completion[] };
    try {
      res = completeQuery(text, cursor, this.fields, (f) => this.values(f));
    } catch {
      res = { from: cursor, to: cursor, items: [] };
    }
    const typed = text.slice(res.from, res.to);
    let items = res.items;
    // nothing to offer when the only suggestion is what is already there
    if (!force && items.length === 1 && items[0]!.label === typed) items = [];
    // while typing, offer completions of a word being typed, or what may follow after a space
    if (!force && typed === '' && !(/\s$/.test(text.slice(0, cursor)) && text.trim() !== '')) items = [];
    this.items = items.slice(0, 50);
    this.itemRange = { from: res.from, to: res.to };
    this.active = 0;
    if (this.items.length === 0) {
      this.closeCompletion();
      return;
    }
    this.renderCompletion();
  }

  private renderCompletion(): void {
    const id = `rl-sl-${this.id}-opt`;
    this.complete.replaceChildren();
    this.items.forEach((it, i) => {
      const li = el('li', `sl-opt kind-${it.kind}${i === this.active ? ' active' : ''}`, undefined, {
        role: 'option', id: `${id}-${i}`, 'data-i': String(i), 'aria-selected': String(i === this.active),
      });
      li.append(el('span', 'sl-opt-label', it.label), el('span', 'sl-opt-detail', it.detail));
      this.complete.append(li);
    });
    this.complete.hidden = false;
    this.filterInput.setAttribute('aria-expanded', 'true');
    this.filterInput.setAttribute('aria-activedescendant', `${id}-${this.active}`);
    // under the text being completed
    const text = this.filterInput.value.slice(0, this.itemRange.from);
    this.mirror.style.font = getComputedStyle(this.filterInput).font;
    this.mirror.textContent = text;
    const x = this.mirror.getBoundingClientRect().width - this.filterInput.scrollLeft;
    const maxLeft = Math.max(0, this.filterInput.offsetWidth - 260);
    this.complete.style.left = `${this.filterInput.offsetLeft + Math.max(0, Math.min(x, maxLeft))}px`;
    this.complete.style.top = `${this.filterInput.offsetTop + this.filterInput.offsetHeight + 1}px`;
    this.complete.children[this.active]?.scrollIntoView({ block: 'nearest' });
  }

  private closeCompletion(): void {
    this.items = [];
    this.complete.hidden = true;
    this.complete.replaceChildren();
    this.filterInput.setAttribute('aria-expanded', 'false');
    this.filterInput.removeAttribute('aria-activedescendant');
  }

  private accept1(i: number): void {
    const it = this.items[i];
    if (!it) return;
    const text = this.filterInput.value;
    const next = text.slice(0, this.itemRange.from) + it.label + text.slice(this.itemRange.to);
    const caret = this.itemRange.from + it.label.length;
    this.filterInput.value = next;
    this.filterInput.setSelectionRange(caret, caret);
    this.closeCompletion();
    this.validate(true);
  }

  private onFilterKey(e: KeyboardEvent): void {
    const open = !this.complete.hidden && this.items.length > 0;
    if (e.key === ' ' && e.ctrlKey) {
      e.preventDefault();
      this.updateCompletion(true);
      return;
    }
    if (open) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const n = this.items.length;
        this.active = (this.active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
        this.renderCompletion();
        return;
      }
      if (e.key === 'Tab' || e.key === 'Enter') {
        e.preventDefault();
        this.accept1(this.active);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        this.closeCompletion();
        return;
      }
    }
    if (e.key === 'Enter') {
      e.preventDefault();
      this.apply();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      this.scroller.focus();
    } else if (e.key === 'ArrowDown' && !open) {
      e.preventDefault();
      this.scroller.focus();
      if (this.selected === null && this.count > 0) this.select(0);
    }
  }
}
