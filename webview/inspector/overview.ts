// The run overview: small multiples (one uPlot line chart per series) with a marker at the current step,
// and below them the statistics of that step (a histogram per reward, k of G correct, the zero-std split).
// Every string from a log goes into the DOM as text (textContent); colours come from the --vscode-* theme.
import uPlot from 'uplot';
import type { HistogramView, OverviewView, SeriesView, StepStatsView, ZeroVarianceKind } from '../../extension/protocol/inspector';
import { el } from './dom';

export interface OverviewCallbacks {
  /** The user picked a step (click on a curve, ←/→): the lead navigates there. */
  onStep(step: number): void;
  /** The pane shows a step whose statistics it does not have: answer with setStats. */
  onRequestStats(step: number): void;
}

/** Value for a card, a bin or an aria-label: 2 decimals for everyday magnitudes, compact for large ones. */
export function fmtValue(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 1 : 2) + 'M';
  if (a >= 1e4) return (v / 1e3).toFixed(1) + 'k';
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a === 0) return '0';
  if (a >= 0.01) return v.toFixed(2);
  return String(+v.toPrecision(2));
}

/** Axis ticks: as short as possible. */
function fmtTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return +(v / 1e6).toPrecision(3) + 'M';
  if (a >= 1e4) return +(v / 1e3).toPrecision(3) + 'k';
  return String(+v.toPrecision(4));
}

function fmtCount(n: number): string {
  return n.toLocaleString('en-US').replace(/,/g, '\u00a0');
}

const PALETTE: Array<[string, string]> = [
  ['--vscode-charts-blue', '#3794ff'],
  ['--vscode-charts-orange', '#d18616'],
  ['--vscode-charts-green', '#89d185'],
  ['--vscode-charts-purple', '#b180d7'],
  ['--vscode-charts-yellow', '#cca700'],
  ['--vscode-charts-red', '#f14c4c'],
];

interface Theme {
  fg: string;
  grid: string;
  marker: string;
  font: string;
  series: string[];
}

function readTheme(): Theme {
  const cs = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => cs.getPropertyValue(name).trim() || fallback;
  const family = v('--vscode-font-family', 'sans-serif');
  return {
    fg: v('--vscode-descriptionForeground', v('--vscode-foreground', '#cccccc')),
    grid: v('--vscode-panel-border', 'rgba(128, 128, 128, 0.35)'),
    marker: v('--vscode-focusBorder', v('--vscode-foreground', '#0078d4')),
    font: `11px ${family}`,
    series: PALETTE.map(([name, fb]) => v(name, fb)),
  };
}

const SOURCE_LABEL = (source: string) => (source === 'rollouts' ? 'from rollouts' : `from ${source}`);

/**
 * Series drawn together in one chart: the alignment rate of the chosen verdict source (`alignment`) and of
 * each source (`alignment:rules` …). Every other series has a chart of its own.
 */
export function chartKey(seriesKey: string): string {
  return seriesKey === 'alignment' || seriesKey.startsWith('alignment:') ? 'alignment' : seriesKey;
}

/** Rates (0–1) are shown in %. */
function fmtRate(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return `${(v * 100).toFixed(0)} %`;
}
const PRETTY_KEY: Record<string, string> = { iou: 'IoU' };

function lowerBound(xs: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The element of sorted `xs` nearest to `v` (ties: the smaller one). */
function nearest(xs: ArrayLike<number>, v: number): number | null {
  if (xs.length === 0) return null;
  const i = lowerBound(xs, v);
  if (i <= 0) return xs[0]!;
  if (i >= xs.length) return xs[xs.length - 1]!;
  const a = xs[i - 1]!;
  const b = xs[i]!;
  return v - a <= b - v ? a : b;
}

interface Card {
  /** The chart's key: the series key, or `alignment` for the alignment rates. */
  key: string;
  /** The series drawn, one line each (one for every chart but the alignment rates). */
  series: SeriesView[];
  /** Rates in 0–1 drawn on a fixed 0–100 % axis. */
  rate: boolean;
  colorIndex: number;
  root: HTMLElement;
  value: HTMLElement;
  chart: HTMLElement;
  /** The legend of a chart with several lines (null for one line). */
  legend: HTMLElement | null;
  xs: number[];
  /** ys[j][i]: series j at xs[i] (null where it has no value). */
  ys: Array<Array<number | null>>;
  plot: uPlot | null;
  ro: ResizeObserver;
  hoverIdx: number | null;
}

const CHART_HEIGHT = 128;

const ZERO_STD: Array<[ZeroVarianceKind, string, string]> = [
  ['all-fail', 'all fail', 'every completion of the group failed'],
  ['all-pass', 'all pass', 'every completion of the group passed'],
  ['identical', 'identical', 'every completion of the group is the same text'],
  ['same-reward', 'same reward', 'different completions that happen to get the same reward'],
];

export class OverviewPane {
  private readonly root: HTMLElement;
  private readonly head: HTMLElement;
  private readonly stepLabel: HTMLElement;
  private readonly note: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly stats: HTMLElement;
  /** Above the curves (below the title): the inspector mounts the verdicts card here. */
  readonly slot: HTMLElement;
  private readonly cards = new Map<string, Card>();
  private pendingCard: HTMLElement | null = null;
  private data: OverviewView | null = null;
  /** Every step that has a value in some series, sorted. */
  private steps: number[] = [];
  private step: number | null = null;
  private statsShown: StepStatsView | null = null;
  private requested: number | null = null;
  private theme: Theme | null = null;
  private readonly themeObserver: MutationObserver;
  private readonly onKey = (e: KeyboardEvent) => this.key(e);

  constructor(private readonly container: HTMLElement, private readonly cb: OverviewCallbacks) {
    this.root = el('div', 'ov', undefined, {
      tabindex: '0',
      role: 'region',
      'aria-label': 'Run overview: one curve per series; ← and → move between steps, Home and End to the first and last',
    });
    this.head = el('div', 'ov-head');
    this.stepLabel = el('span', 'ov-step', 'no step selected', { 'aria-live': 'polite' });
    this.note = el('span', 'ov-note');
    this.head.append(el('span', 'ov-title', 'Run overview'), this.stepLabel, this.note);
    this.grid = el('div', 'ov-grid');
    this.stats = el('section', 'ov-stats', undefined, { 'aria-label': 'Statistics of the current step' });
    this.slot = el('div', 'ov-slot');
    this.root.append(this.head, this.slot, this.grid, this.stats);
    this.container.append(this.root);
    this.root.addEventListener('keydown', this.onKey);
    this.setStats(null);
    // VS Code switches themes by changing body classes and the variables on <html>: redraw in the new colours.
    this.themeObserver = new MutationObserver(() => this.retheme());
    this.themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class'] });
    this.themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  }

  // ---------------- public API ----------------

  setData(o: OverviewView): void {
    const kindChanged = this.data !== null && this.data.stepKind !== o.stepKind;
    this.data = o;
    this.theme = readTheme();
    if (kindChanged) for (const c of this.cards.values()) c.colorIndex = -1; // rebuilt below with the new x axis title
    const ordered = [...o.series.filter((s) => s.source === 'rollouts'), ...o.series.filter((s) => s.source !== 'rollouts')];
    // one chart per series, except those that share one (the alignment rates), at the place of the first
    const charts = new Map<string, SeriesView[]>();
    for (const s of ordered) {
      const k = chartKey(s.key);
      const list = charts.get(k);
      if (list) list.push(s);
      else charts.set(k, [s]);
    }
    for (const list of charts.values()) list.sort((a, b) => Number(b.key === 'alignment') - Number(a.key === 'alignment'));
    for (const [k, c] of this.cards) if (!charts.has(k)) this.dropCard(c);
    const all = new Set<number>();
    let i = 0;
    for (const [k, list] of charts) {
      for (const s of list) for (const [x] of s.points) all.add(x);
      let c = this.cards.get(k);
      if (!c) c = this.makeCard(k, list, i);
      else this.updateCard(c, list, i);
      i += list.length;
      this.grid.append(c.root); // keeps the order: rollouts first, then metric files
    }
    this.steps = [...all].sort((a, b) => a - b);
    this.renderPending(o.pending);
    this.renderNote(o);
    for (const p of this.grid.querySelectorAll('.ov-empty')) p.remove();
    if (charts.size === 0 && !o.pending) {
      this.grid.append(el('p', 'ov-empty', 'No curves: this log has no steps with rewards, and no metric file was found.'));
    }
    this.redrawMarkers();
  }

  setStep(step: number): void {
    this.step = step;
    this.stepLabel.textContent = `${this.stepKindWord()} ${step}`;
    this.redrawMarkers();
    for (const c of this.cards.values()) this.updateValue(c);
    if ((!this.statsShown || this.statsShown.step !== step) && this.requested !== step) {
      this.requested = step;
      this.cb.onRequestStats(step);
    }
  }

  setStats(s: StepStatsView | null): void {
    // a late reply for a step the user has already left
    if (s && this.step !== null && s.step !== this.step) return;
    this.statsShown = s;
    if (s) this.requested = s.step;
    this.stats.replaceChildren();
    if (!s) {
      this.stats.append(el('p', 'ov-empty ov-select', 'select a step (click a curve, or ← →) to see its reward histograms'));
      return;
    }
    const word = this.stepKindWord();
    this.stats.append(el('h3', 'ov-stats-title', `${word[0]!.toUpperCase()}${word.slice(1)} ${s.step} · ${fmtCount(s.records)} completions · ${fmtCount(s.groups)} groups`));
    const row = el('div', 'ov-stats-grid');
    for (const h of s.histograms) row.append(this.histogram(h));
    if (s.kOfG) row.append(this.kOfG(s.kOfG, s.groups));
    row.append(this.zeroStd(s.zeroStd, s.groups));
    this.stats.append(row);
  }

  dispose(): void {
    this.themeObserver.disconnect();
    this.root.removeEventListener('keydown', this.onKey);
    for (const c of this.cards.values()) this.dropCard(c);
    this.root.remove();
  }

  // ---------------- charts ----------------

  private stepKindWord(): string {
    return this.data?.stepKind === 'batch-ordinal' ? 'batch' : 'step';
  }

  private xLabel(): string {
    return this.data?.stepKind === 'batch-ordinal' ? 'batch (no step in this log)' : 'step';
  }

  private chartTitle(key: string, list: SeriesView[]): string {
    return key === 'alignment' ? 'alignment rate' : list[0]!.label;
  }

  private chartSource(key: string, list: SeriesView[]): string {
    const src = SOURCE_LABEL(list[0]!.source);
    return key === 'alignment' ? `supported / judged, ${src}` : src;
  }

  private makeCard(key: string, list: SeriesView[], colorIndex: number): Card {
    const root = el('div', 'ov-card', undefined, { 'data-key': key });
    const head = el('div', 'ov-card-head');
    const titles = el('div', 'ov-card-titles');
    const title = this.chartTitle(key, list);
    titles.append(el('span', 'ov-card-title', title, { title }), el('span', 'ov-card-source', this.chartSource(key, list)));
    const value = el('span', 'ov-card-value');
    head.append(titles, value);
    const chart = el('div', 'ov-chart', undefined, { role: 'img' });
    root.append(head, chart);
    const card: Card = {
      key, series: list, rate: key === 'alignment', colorIndex, root, value, chart, legend: null, xs: [], ys: [], plot: null, hoverIdx: null,
      ro: new ResizeObserver(() => this.sizeCard(card)),
    };
    this.setPoints(card, list);
    this.renderLegend(card);
    chart.addEventListener('click', (e) => this.click(card, e));
    card.ro.observe(chart);
    this.cards.set(key, card);
    this.updateValue(card);
    return card;
  }

  private updateCard(c: Card, list: SeriesView[], colorIndex: number): void {
    const titleEl = c.root.querySelector('.ov-card-title');
    const srcEl = c.root.querySelector('.ov-card-source');
    if (titleEl) titleEl.textContent = this.chartTitle(c.key, list);
    if (srcEl) srcEl.textContent = this.chartSource(c.key, list);
    const sameLines = c.series.length === list.length && c.series.every((s, j) => s.key === list[j]!.key && s.label === list[j]!.label);
    c.series = list;
    this.setPoints(c, list);
    if (!sameLines) this.renderLegend(c);
    if (c.colorIndex !== colorIndex || !c.plot || !sameLines) {
      c.colorIndex = colorIndex;
      this.rebuild(c);
    } else {
      c.plot.setData([c.xs, ...c.ys]);
    }
    this.updateValue(c);
  }

  private setPoints(c: Card, list: SeriesView[]): void {
    if (list.length === 1) {
      c.xs = list[0]!.points.map((p) => p[0]);
      c.ys = [list[0]!.points.map((p) => p[1])];
      return;
    }
    const xs = [...new Set(list.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
    c.xs = xs;
    c.ys = list.map((s) => {
      const ys: Array<number | null> = new Array<number | null>(xs.length).fill(null);
      for (const [x, y] of s.points) ys[lowerBound(xs, x)] = y;
      return ys;
    });
  }

  /** A chart with several lines names them below its title, each in its colour with its value. */
  private renderLegend(c: Card): void {
    c.legend?.remove();
    c.legend = null;
    if (c.series.length < 2 && c.key !== 'alignment') return;
    const lg = el('div', 'ov-legend', undefined, { 'aria-hidden': 'true' });
    c.series.forEach((s, j) => {
      const item = el('span', `ov-legend-item${j === 0 && c.key === 'alignment' ? ' primary' : ''}`, undefined, { 'data-key': s.key, title: `${s.label} (${SOURCE_LABEL(s.source)})` });
      item.append(el('span', `ov-swatch ov-sw-${(c.colorIndex + j) % PALETTE.length}`), el('span', 'ov-legend-label', s.label), el('span', 'ov-legend-value'));
      lg.append(item);
    });
    c.legend = lg;
    c.chart.before(lg);
  }

  private dropCard(c: Card): void {
    c.ro.disconnect();
    c.plot?.destroy();
    c.plot = null;
    c.root.remove();
    this.cards.delete(c.key);
  }

  private sizeCard(c: Card): void {
    const w = Math.floor(c.chart.clientWidth);
    if (w <= 0) return;
    if (!c.plot) this.rebuild(c);
    else if (c.plot.width !== w) c.plot.setSize({ width: w, height: CHART_HEIGHT });
  }

  private rebuild(c: Card): void {
    c.plot?.destroy();
    c.plot = null;
    const w = Math.floor(c.chart.clientWidth);
    if (w <= 0) return; // the ResizeObserver builds it once the card has a size
    const t = this.theme ?? (this.theme = readTheme());
    const colorOf = (j: number) => t.series[(c.colorIndex + j) % t.series.length]!;
    const color = colorOf(0);
    // the legend's swatches use the same palette index (classes, as the CSP allows no inline colours)
    c.legend?.querySelectorAll('.ov-swatch').forEach((sw, j) => (sw.className = `ov-swatch ov-sw-${(c.colorIndex + j) % PALETTE.length}`));
    const axis = (size: number, space: number): uPlot.Axis => ({
      stroke: t.fg,
      font: t.font,
      labelFont: t.font,
      size,
      space,
      grid: { stroke: t.grid, width: 1 },
      ticks: { stroke: t.grid, width: 1, size: 3 },
      values: (_u, splits) => splits.map(fmtTick),
    });
    const yAxis = axis(42, 20);
    if (c.rate) yAxis.values = (_u, splits) => splits.map((v) => `${Math.round(v * 100)}%`);
    const opts: uPlot.Options = {
      width: w,
      height: CHART_HEIGHT,
      legend: { show: false },
      padding: [6, 10, 0, 0],
      cursor: {
        drag: { x: false, y: false, setScale: false },
        y: false,
        points: { size: 6, width: 1, stroke: color, fill: color },
      },
      scales: {
        x: { time: false, range: (_u, min, max) => (min === max ? [min - 1, max + 1] : [min, max]) },
        ...(c.rate ? { y: { range: [0, 1] as uPlot.Range.MinMax } } : {}),
      },
      series: [
        {},
        ...c.series.map((s, j): uPlot.Series => ({
          label: s.label, stroke: colorOf(j), width: c.series.length > 1 && j === 0 ? 2.25 : 1.5, spanGaps: true,
          points: { show: c.xs.length <= 40, size: 3, fill: colorOf(j) },
        })),
      ],
      axes: [
        { ...axis(30, 40), label: this.xLabel(), labelSize: 14, labelGap: 0 },
        yAxis,
      ],
      hooks: {
        draw: [(u) => this.drawMarker(u, c.series.map((_s, j) => colorOf(j)))],
        setCursor: [(u) => {
          const idx = u.cursor.idx ?? null;
          if (idx !== c.hoverIdx) {
            c.hoverIdx = idx;
            this.updateValue(c);
          }
        }],
      },
    };
    c.plot = new uPlot(opts, [c.xs, ...c.ys], c.chart);
  }

  /** The current-step marker, drawn on the canvas after the series (redraw(false) moves it). */
  private drawMarker(u: uPlot, colors: string[]): void {
    if (this.step === null || !this.theme) return;
    const { left, top, width, height } = u.bbox;
    const x = Math.round(u.valToPos(this.step, 'x', true));
    if (!Number.isFinite(x) || x < left - 1 || x > left + width + 1) return;
    const r = typeof devicePixelRatio === 'number' ? devicePixelRatio : 1;
    const ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = this.theme.marker;
    ctx.lineWidth = 1.5 * r;
    ctx.setLineDash([4 * r, 3 * r]);
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    // the value of each line at the current step, when it has one
    const xs = u.data[0];
    const i = lowerBound(xs, this.step);
    for (let j = 1; j < u.data.length; j++) {
      const ys = u.data[j] as Array<number | null> | undefined;
      const y = ys && xs[i] === this.step ? ys[i] : null;
      if (y === null || y === undefined || !Number.isFinite(y)) continue;
      const py = u.valToPos(y, 'y', true);
      ctx.setLineDash([]);
      ctx.fillStyle = colors[j - 1] ?? colors[0]!;
      ctx.strokeStyle = this.theme.marker;
      ctx.lineWidth = 1.5 * r;
      ctx.beginPath();
      ctx.arc(x, py, 3.5 * r, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
    ctx.restore();
  }

  private redrawMarkers(): void {
    for (const c of this.cards.values()) c.plot?.redraw(false);
  }

  private retheme(): void {
    if (!this.data) return;
    const t = readTheme();
    if (this.theme && JSON.stringify(t) === JSON.stringify(this.theme)) return;
    this.theme = t;
    for (const c of this.cards.values()) this.rebuild(c);
  }

  private valueAt(c: Card, step: number, j = 0): number | null {
    const i = lowerBound(c.xs, step);
    return c.xs[i] === step ? (c.ys[j]?.[i] ?? null) : null;
  }

  /** The last step where line j has a value, and that value. */
  private lastOf(c: Card, j: number): { step: number; value: number } | null {
    const ys = c.ys[j] ?? [];
    for (let i = c.xs.length - 1; i >= 0; i--) {
      const y = ys[i];
      if (y !== null && y !== undefined && Number.isFinite(y)) return { step: c.xs[i]!, value: y };
    }
    return null;
  }

  private updateValue(c: Card): void {
    const n = c.xs.length;
    const word = this.stepKindWord();
    const f = c.rate ? fmtRate : fmtValue;
    // the step the value (and the legend) shows: the hovered point, else the current step, else the latest
    let at: number | null = null;
    if (c.hoverIdx !== null && c.hoverIdx < n) at = c.xs[c.hoverIdx]!;
    else if (this.step !== null && c.series.some((_s, j) => this.valueAt(c, this.step!, j) !== null)) at = this.step;
    const last0 = this.lastOf(c, 0);
    c.value.textContent = at !== null ? `${word} ${at}: ${f(this.valueAt(c, at, 0))}` : last0 === null ? 'no data' : `latest ${f(last0.value)}`;
    c.legend?.querySelectorAll('.ov-legend-value').forEach((e, j) => {
      const v = at !== null ? this.valueAt(c, at, j) : (this.lastOf(c, j)?.value ?? null);
      e.textContent = f(v);
    });
    const lines = c.series.map((s, j) => {
      const last = this.lastOf(c, j);
      const parts = [`${s.label} (${SOURCE_LABEL(s.source)})`];
      parts.push(last === null ? 'no data yet' : `latest value ${f(last.value)} at ${word} ${last.step}`);
      if (this.step !== null) {
        const v = this.valueAt(c, this.step, j);
        if (v !== null && this.step !== last?.step) parts.push(`${f(v)} at the current ${word} ${this.step}`);
      }
      return parts.join(', ');
    });
    c.chart.setAttribute('aria-label', (c.series.length > 1 ? `${this.chartTitle(c.key, c.series)}: ` : '') + lines.join('; '));
  }

  private click(c: Card, e: MouseEvent): void {
    const u = c.plot;
    if (!u || c.xs.length === 0) return;
    const r = u.over.getBoundingClientRect();
    const x = e.clientX - r.left;
    if (x < 0 || x > r.width) return;
    const step = nearest(c.xs, u.posToVal(x, 'x'));
    if (step === null) return;
    this.root.focus({ preventScroll: true });
    this.setStep(step);
    this.cb.onStep(step);
  }

  private key(e: KeyboardEvent): void {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target as HTMLElement | null;
    if (t && t !== this.root && (t.closest('select, input, textarea, button, [tabindex]:not(.ov)') || t.isContentEditable)) return; // controls keep their keys
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight' && e.key !== 'Home' && e.key !== 'End') return;
    if (this.steps.length === 0) return;
    e.preventDefault();
    e.stopPropagation();
    const cur = this.step;
    let next: number | undefined;
    if (e.key === 'Home') next = this.steps[0];
    else if (e.key === 'End') next = this.steps[this.steps.length - 1];
    else if (cur === null) next = e.key === 'ArrowRight' ? this.steps[0] : this.steps[this.steps.length - 1];
    else if (e.key === 'ArrowRight') next = this.steps[lowerBound(this.steps, cur + 1e-9)];
    else next = this.steps[lowerBound(this.steps, cur) - 1];
    if (next === undefined || next === cur) return;
    this.setStep(next);
    this.cb.onStep(next);
  }

  private renderPending(p: OverviewView['pending']): void {
    if (!p || p.keys.length === 0) {
      this.pendingCard?.remove();
      this.pendingCard = null;
      return;
    }
    if (!this.pendingCard) {
      this.pendingCard = el('div', 'ov-card ov-pending', undefined, { role: 'status' });
    }
    const names = p.keys.map((k) => PRETTY_KEY[k] ?? k).join(', ');
    const pct = Math.max(0, Math.min(100, Math.round(p.progress * 100)));
    const bar = el('div', 'ov-progress');
    const fill = el('div', 'ov-progress-fill');
    fill.style.width = `${pct}%`;
    bar.append(fill);
    this.pendingCard.replaceChildren(el('span', 'ov-pending-text', `computing ${names}… ${pct} %`), bar);
    this.grid.append(this.pendingCard);
  }

  private renderNote(o: OverviewView): void {
    const parts: string[] = [];
    if (o.metricFiles.length) parts.push(`metrics read from ${o.metricFiles.map((f) => f.split(/[\\/]/).pop() ?? f).join(', ')}`);
    if (o.issues.length) parts.push(`${o.issues.length} problem${o.issues.length === 1 ? '' : 's'} reading them`);
    this.note.textContent = parts.join(' · ');
    this.note.title = o.issues.map((i) => `${i.file.split(/[\\/]/).pop() ?? i.file}${i.line > 0 ? `:${i.line}` : ''}: ${i.message}`).join('\n');
  }

  // ---------------- step statistics ----------------

  /** DOM bars: one column per bin, the bar's height in % of the largest count. */
  private bars(items: Array<{ count: number; title: string; label?: string; cls?: string }>, cls: string): HTMLElement {
    const box = el('div', `ov-bars ${cls}`);
    const max = Math.max(1, ...items.map((b) => b.count));
    for (const b of items) {
      const bin = el('div', `ov-bin${b.cls ? ' ' + b.cls : ''}`, undefined, { title: b.title });
      const area = el('div', 'ov-bar-area');
      const bar = el('div', 'ov-bar', undefined, { 'data-count': String(b.count) });
      const pct = (100 * b.count) / max;
      bar.style.height = `${b.count > 0 ? Math.max(pct, 2) : 0}%`;
      area.append(bar);
      bin.append(area);
      if (b.label !== undefined) bin.append(el('span', 'ov-bin-label', b.label));
      box.append(bin);
    }
    return box;
  }

  private histogram(h: HistogramView): HTMLElement {
    const card = el('div', 'ov-stat ov-hist', undefined, { 'data-name': h.name });
    const total = h.bins.reduce((a, b) => a + b.count, 0);
    const head = el('div', 'ov-stat-head');
    head.append(el('span', 'ov-stat-title', h.name, { title: h.name }), el('span', 'ov-stat-meta', `mean ${fmtValue(h.mean)}${h.nulls ? ` · ${fmtCount(h.nulls)} null` : ''}`));
    card.append(head);
    if (h.bins.length === 0) {
      card.append(el('p', 'ov-empty', 'no values'));
      return card;
    }
    const bars = this.bars(h.bins.map((b) => ({ count: b.count, title: `${fmtValue(b.lo)}–${fmtValue(b.hi)}: ${fmtCount(b.count)}` })), 'ov-hist-bars');
    bars.setAttribute('role', 'img');
    bars.setAttribute('aria-label', `${h.name}: ${fmtCount(total)} values in ${h.bins.length} bins from ${fmtValue(h.bins[0]!.lo)} to ${fmtValue(h.bins[h.bins.length - 1]!.hi)}, mean ${fmtValue(h.mean)}, ${h.nulls} null`);
    const axis = el('div', 'ov-axis');
    axis.append(el('span', undefined, fmtValue(h.bins[0]!.lo)), el('span', undefined, fmtValue(h.bins[h.bins.length - 1]!.hi)));
    card.append(bars, axis);
    return card;
  }

  private kOfG(k: NonNullable<StepStatsView['kOfG']>, groups: number): HTMLElement {
    const card = el('div', 'ov-stat ov-kofg');
    const head = el('div', 'ov-stat-head');
    head.append(el('span', 'ov-stat-title', `k of ${k.g} correct`), el('span', 'ov-stat-meta', `${fmtCount(groups)} groups`));
    card.append(head);
    const items: Array<{ count: number; title: string; label: string; cls: string | undefined }> = [];
    for (let i = 0; i <= k.g; i++) {
      const n = k.counts[i] ?? 0;
      items.push({
        count: n, title: `${fmtCount(n)} group${n === 1 ? '' : 's'} with ${i} of ${k.g} correct${i === 0 || i === k.g ? ' (no learning signal)' : ''}`,
        label: String(i), cls: i === 0 || i === k.g ? 'ov-nosignal' : undefined,
      });
    }
    const bars = this.bars(items, 'ov-kofg-bars');
    bars.setAttribute('role', 'img');
    bars.setAttribute('aria-label', `groups by number of correct completions: ${items.map((it, i) => `${i}: ${it.count}`).join(', ')}`);
    card.append(bars, el('div', 'ov-stat-foot', `correct = ${k.correctBy}. Groups at 0 or ${k.g} have no learning signal.`));
    return card;
  }

  private zeroStd(z: Record<ZeroVarianceKind, number>, groups: number): HTMLElement {
    const card = el('div', 'ov-stat ov-zerostd');
    const total = ZERO_STD.reduce((a, [k]) => a + (z[k] ?? 0), 0);
    const head = el('div', 'ov-stat-head');
    head.append(
      el('span', 'ov-stat-title', 'zero reward std'),
      el('span', 'ov-stat-meta', `${fmtCount(total)} of ${fmtCount(groups)} groups${groups ? ` (${Math.round((100 * total) / groups)} %)` : ''}`),
    );
    card.append(head);
    const list = el('div', 'ov-zs-list');
    const max = Math.max(1, ...ZERO_STD.map(([k]) => z[k] ?? 0));
    for (const [kind, label, why] of ZERO_STD) {
      const n = z[kind] ?? 0;
      const row = el('div', `ov-zs-row ov-zs-${kind}`, undefined, { title: why, 'data-kind': kind });
      const track = el('div', 'ov-zs-track');
      const fill = el('div', 'ov-zs-fill');
      fill.style.width = `${n > 0 ? Math.max((100 * n) / max, 2) : 0}%`;
      track.append(fill);
      row.append(el('span', 'ov-zs-label', label), track, el('span', 'ov-zs-count', fmtCount(n)));
      list.append(row);
    }
    card.append(list, el('div', 'ov-stat-foot', 'groups whose rewards are all equal give no gradient in GRPO'));
    return card;
  }
}
