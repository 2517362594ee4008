// The Curves tab: small multiples (one uPlot chart per metric), x = checkpoint step, one series per dataset,
// every point marked; hovering shows the values at that step. Rates are drawn in percent.
// Every string from a log goes into the DOM as text (textContent); colours come from the --vscode-* theme.
import uPlot from 'uplot';
import type { Curve, MetricId } from '../../extension/protocol/compare';
import { el } from '../inspector/dom';
import { fmtValueUnit, METRIC_LABELS, metricHeading, metricKind } from './format';

const PALETTE: Array<[string, string]> = [
  ['--vscode-charts-blue', '#3794ff'],
  ['--vscode-charts-orange', '#d18616'],
  ['--vscode-charts-green', '#89d185'],
  ['--vscode-charts-purple', '#b180d7'],
  ['--vscode-charts-yellow', '#cca700'],
  ['--vscode-charts-red', '#f14c4c'],
];

const CHART_HEIGHT = 180;

interface Theme {
  fg: string;
  grid: string;
  font: string;
  series: string[];
}

function readTheme(): Theme {
  const cs = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => cs.getPropertyValue(name).trim() || fallback;
  return {
    fg: v('--vscode-descriptionForeground', v('--vscode-foreground', '#cccccc')),
    grid: v('--vscode-panel-border', 'rgba(128, 128, 128, 0.35)'),
    font: `11px ${v('--vscode-font-family', 'sans-serif')}`,
    series: PALETTE.map(([name, fb]) => v(name, fb)),
  };
}

interface Chart {
  metric: MetricId;
  root: HTMLElement;
  value: HTMLElement;
  chart: HTMLElement;
  xs: number[];
  names: string[];
  /** Per dataset, aligned with xs (null: no eval of that dataset at that step). */
  ys: Array<Array<number | null>>;
  /** Source name per step. */
  sources: string[];
  plot: uPlot | null;
  ro: ResizeObserver;
}

function tick(v: number): string {
  return String(+v.toPrecision(4));
}

export class CurvesPane {
  private readonly root: HTMLElement;
  private readonly charts: Chart[] = [];
  private theme: Theme | null = null;
  private datasets: string[] = [];
  private readonly themeObserver: MutationObserver;

  constructor(container: HTMLElement) {
    this.root = el('div', 'cmp-curves');
    container.append(this.root);
    this.themeObserver = new MutationObserver(() => {
      this.theme = readTheme();
      for (const c of this.charts) this.build(c);
    });
    this.themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
    if (document.body) this.themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  showMessage(text: string, cls = 'cmp-empty'): void {
    this.clear();
    this.root.append(el('p', cls, text));
  }

  /** Draw `curves`, one chart per metric (in `order`); says why when no curve has 2 points. */
  setData(curves: Curve[], order: MetricId[], checkpoints: number): void {
    this.clear();
    const byMetric = new Map<MetricId, Curve[]>();
    for (const c of curves) {
      if (!byMetric.has(c.metric)) byMetric.set(c.metric, []);
      byMetric.get(c.metric)!.push(c);
    }
    const metrics = [...order.filter((m) => byMetric.has(m)), ...[...byMetric.keys()].filter((m) => !order.includes(m))];
    // one colour per dataset on every chart
    this.datasets = [...new Set(curves.map((c) => c.dataset))];
    const drawable = metrics.filter((m) => byMetric.get(m)!.some((c) => c.points.filter((p) => p.value !== null).length >= 2));
    if (drawable.length === 0) {
      const n = Math.max(checkpoints, ...curves.map((c) => c.points.length), 0);
      this.root.append(el('p', 'cmp-empty cmp-curves-none', `Curves need evals at 2 or more checkpoints of a run; ${n === 0 ? 'these sources have none' : n === 1 ? 'these sources have evals at only one' : `no metric has values at ${n} checkpoints`}. Evaluate more checkpoints (checkpoint-*/ with eval files) to see how the metrics move with training.`));
      return;
    }
    this.theme = readTheme();
    const grid = el('div', 'cmp-curve-grid');
    this.root.append(grid);
    for (const m of drawable) grid.append(this.makeChart(m, byMetric.get(m)!));
  }

  private makeChart(metric: MetricId, curves: Curve[]): HTMLElement {
    const steps = new Map<number, string>();
    for (const c of curves) for (const p of c.points) if (!steps.has(p.step)) steps.set(p.step, p.source);
    const xs = [...steps.keys()].sort((a, b) => a - b);
    const scale = metricKind(metric) === 'rate' ? 100 : 1;
    const ys = curves.map((c) => {
      const at = new Map(c.points.map((p) => [p.step, p.value] as const));
      return xs.map((x) => {
        const v = at.get(x);
        return v === null || v === undefined || !Number.isFinite(v) ? null : v * scale;
      });
    });
    const root = el('div', 'cmp-curve', undefined, { 'data-metric': metric });
    const head = el('div', 'cmp-curve-head');
    const value = el('span', 'cmp-curve-value', '');
    head.append(el('span', 'cmp-curve-title', metricHeading(metric)), value);
    const chart = el('div', 'cmp-curve-chart', undefined, { role: 'img' });
    const legend = el('div', 'cmp-curve-legend');
    const t = this.theme ?? readTheme();
    curves.forEach((c) => {
      const k = el('span', 'cmp-curve-key', undefined, { 'data-dataset': c.dataset });
      const sw = el('span', 'cmp-curve-swatch', undefined, { 'aria-hidden': 'true' });
      sw.style.background = this.colour(t, c.dataset);
      k.append(sw, el('span', 'cmp-curve-name', c.dataset));
      legend.append(k);
    });
    root.append(head, chart, legend);
    const ch: Chart = {
      metric, root, value, chart, xs, names: curves.map((c) => c.dataset), ys, sources: xs.map((x) => steps.get(x) ?? ''), plot: null,
      ro: new ResizeObserver(() => this.size(ch)),
    };
    const last = xs.length - 1;
    chart.setAttribute('aria-label', `${METRIC_LABELS[metric]} by step: ` + curves.map((c, i) => `${c.dataset} ${fmtValueUnit(metric, ys[i]![last] === null ? null : ys[i]![last]! / scale)} at step ${xs[last]}`).join(', '));
    this.showValue(ch, null);
    ch.ro.observe(chart);
    this.charts.push(ch);
    return root;
  }

  private colour(t: Theme, dataset: string): string {
    const i = Math.max(0, this.datasets.indexOf(dataset));
    return t.series[i % t.series.length]!;
  }

  private showValue(c: Chart, idx: number | null): void {
    const i = idx ?? c.xs.length - 1;
    if (i < 0) {
      c.value.textContent = '';
      return;
    }
    const scale = metricKind(c.metric) === 'rate' ? 100 : 1;
    const vals = c.names.map((n, k) => `${n} ${fmtValueUnit(c.metric, c.ys[k]![i] === null ? null : c.ys[k]![i]! / scale)}`).join(' · ');
    c.value.textContent = `${idx === null ? 'latest: ' : ''}step ${c.xs[i]}${c.sources[i] ? ` (${c.sources[i]})` : ''}: ${vals}`;
  }

  private size(c: Chart): void {
    const w = Math.floor(c.chart.clientWidth);
    if (w <= 0) return;
    if (!c.plot) this.build(c);
    else if (c.plot.width !== w) c.plot.setSize({ width: w, height: CHART_HEIGHT });
  }

  private build(c: Chart): void {
    c.plot?.destroy();
    c.plot = null;
    const w = Math.floor(c.chart.clientWidth);
    if (w <= 0) return;
    const t = this.theme ?? (this.theme = readTheme());
    const axis = (size: number, space: number): uPlot.Axis => ({
      stroke: t.fg,
      font: t.font,
      labelFont: t.font,
      size,
      space,
      grid: { stroke: t.grid, width: 1 },
      ticks: { stroke: t.grid, width: 1, size: 3 },
      values: (_u, splits) => splits.map(tick),
    });
    const kind = metricKind(c.metric);
    const opts: uPlot.Options = {
      width: w,
      height: CHART_HEIGHT,
      legend: { show: false },
      padding: [8, 14, 0, 0],
      cursor: { drag: { x: false, y: false, setScale: false }, y: false, points: { size: 8, width: 1.5 } },
      scales: {
        x: { time: false, range: (_u, min, max) => (min === max ? [min - 1, max + 1] : [min, max]) },
        y: { range: (_u, min, max) => {
          if (kind === 'rate' || kind === 'iou') {
            const top = kind === 'rate' ? 100 : 1;
            const pad = (max - min) * 0.15 || top * 0.05;
            return [Math.max(0, min - pad), Math.min(top, max + pad)];
          }
          const pad = (max - min) * 0.15 || Math.abs(max) * 0.05 || 1;
          return [min - pad, max + pad];
        } },
      },
      series: [
        {},
        ...c.names.map((n) => {
          const color = this.colour(t, n);
          return { label: n, stroke: color, width: 2, spanGaps: true, points: { show: true, size: 7, width: 1.5, stroke: color, fill: color } } as uPlot.Series;
        }),
      ],
      axes: [
        { ...axis(32, 50), label: 'step', labelSize: 14, labelGap: 0 },
        axis(46, 24),
      ],
      hooks: {
        setCursor: [(u) => this.showValue(c, u.cursor.idx ?? null)],
      },
    };
    c.plot = new uPlot(opts, [c.xs, ...c.ys] as uPlot.AlignedData, c.chart);
  }

  private clear(): void {
    for (const c of this.charts) {
      c.ro.disconnect();
      c.plot?.destroy();
    }
    this.charts.length = 0;
    this.root.replaceChildren();
  }

  dispose(): void {
    this.clear();
    this.themeObserver.disconnect();
    this.root.remove();
  }
}
