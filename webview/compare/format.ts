// Number formatting of the comparison: rates as percentages with 1 decimal (differences in percentage
// points), mean IoU with 3 decimals, length plain. Pure (no DOM).
import type { CellStat, DeltaStat, MetricId } from '../../extension/protocol/compare';
import { METRIC_LABELS } from '../../extension/core/compare/types';

export { METRIC_LABELS };

export type MetricKind = 'rate' | 'iou' | 'length';

export function metricKind(m: MetricId): MetricKind {
  if (m === 'iou') return 'iou';
  if (m === 'length') return 'length';
  return 'rate';
}

/** Column heading of a metric: "Accuracy %", "mean IoU", "Length". */
export function metricHeading(m: MetricId): string {
  return metricKind(m) === 'rate' ? `${METRIC_LABELS[m]} %` : METRIC_LABELS[m];
}

const MINUS = '\u2212';

function num(v: number, digits: number): string {
  const s = v.toFixed(digits);
  return s.startsWith('-') ? MINUS + s.slice(1) : s;
}

function lengthDigits(v: number): number {
  return Math.abs(v) >= 100 ? 0 : 1;
}

/** A value as shown in a cell: 72.4 (rates), 0.613 (mean IoU), 312 (length). */
export function fmtValue(m: MetricId, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  switch (metricKind(m)) {
    case 'rate':
      return num(v * 100, 1);
    case 'iou':
      return num(v, 3);
    default:
      return num(v, lengthDigits(v));
  }
}

/** Value with its unit, for sentences and tooltips: "72.4 %", "0.613", "312". */
export function fmtValueUnit(m: MetricId, v: number | null | undefined): string {
  const s = fmtValue(m, v);
  return s !== '—' && metricKind(m) === 'rate' ? `${s} %` : s;
}

/** A signed difference: +3.1 (percentage points for rates), −0.021 (IoU), +12 (length). */
export function fmtDelta(m: MetricId, d: number | null | undefined): string {
  if (d === null || d === undefined || !Number.isFinite(d)) return '—';
  const k = metricKind(m);
  const v = k === 'rate' ? d * 100 : d;
  const digits = k === 'rate' ? 1 : k === 'iou' ? 3 : lengthDigits(v);
  const s = num(Math.abs(v), digits);
  if (Number(Math.abs(v).toFixed(digits)) === 0) return '±' + s;
  return (v > 0 ? '+' : MINUS) + s;
}

function unit(m: MetricId): string {
  return metricKind(m) === 'rate' ? ' pp' : '';
}

export function fmtP(p: number): string {
  if (!Number.isFinite(p)) return '—';
  if (p < 0.001) return '< 0.001';
  return p.toFixed(3);
}

/** The title of a Δ cell: the difference, its 95 % interval, the test and its p values. */
export function deltaTitle(m: MetricId, d: DeltaStat, baseline: string, name: string, alpha: number): string {
  const test = d.test === 'mcnemar' ? 'exact McNemar' : 'paired bootstrap';
  return [
    `${METRIC_LABELS[m]}: ${name} − ${baseline} = ${fmtDelta(m, d.delta)}${unit(m)} over ${d.n} paired prompts`,
    `95 % CI [${fmtDelta(m, d.ci[0])}, ${fmtDelta(m, d.ci[1])}]${unit(m)}`,
    `p = ${fmtP(d.p)} (${test}), Holm-adjusted p = ${fmtP(d.pAdjusted)}`,
    d.significant ? `significant at α = ${alpha}` : `not significant at α = ${alpha}`,
  ].join('\n');
}

/** The title of a value cell: value, prompts, answers. */
export function cellTitle(m: MetricId, c: CellStat, name: string): string {
  const mean = c.answers > c.n && c.n > 0 ? ` (mean@${+(c.answers / c.n).toFixed(1)} over ${c.answers} answers)` : '';
  return `${METRIC_LABELS[m]} of ${name}: ${fmtValueUnit(m, c.value)} over ${c.n} prompts${mean}`;
}

export function plural(n: number, one: string, many = one + 's'): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** Letter of source i: A (baseline), B, C … */
export function letter(i: number): string {
  return String.fromCharCode(65 + (i % 26));
}
