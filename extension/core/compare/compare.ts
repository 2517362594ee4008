// LoadedSource[] → Comparison: per dataset (and slice value) the metrics of every source, the difference of
// each source against the first with a paired test and Holm's adjustment, the flips on correctness, and the
// prompts a source lacks. Also the per-step curves and the legend of the table. Pure: no `vscode`, no DOM.

import { cellStat, perKey, presentMetrics } from './metrics';
import { deriveSeed, holm, mcnemarExact, pairedBootstrap } from './stats';
import {
  BINARY_METRICS,
  METRIC_LABELS,
  type CellStat,
  type CompareOptions,
  type Comparison,
  type Curve,
  type DeltaStat,
  type EvalSample,
  type Flips,
  type LoadedSource,
  type MetricId,
  type TableRow,
} from './types';

/** The slice value of samples that lack the chosen slice field (its row comes after the named values). */
export const NO_SLICE_VALUE = '(none)';

const DEFAULT_ITERATIONS = 2000;
const DEFAULT_SEED = 1;
const DEFAULT_ALPHA = 0.05;
/** Per-prompt accuracy (mean over its answers) at or above this counts as right for the flips. */
export const RIGHT_AT = 0.5;

/** Code-unit order: stable and locale independent. */
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(byText);
}

export function groupBy<T>(items: readonly T[], keyOf: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = keyOf(it);
    const list = out.get(k);
    if (list) list.push(it);
    else out.set(k, [it]);
  }
  return out;
}

/** Every metric's cell over `samples`. */
function cellStats(samples: readonly EvalSample[], metrics: readonly MetricId[]): Partial<Record<MetricId, CellStat>> {
  const rec: Partial<Record<MetricId, CellStat>> = {};
  for (const m of metrics) rec[m] = cellStat(samples, m);
  return rec;
}

// ---------------------------------------------------------------------------------------------------
// Deltas

/**
 * The delta of `other` against `first` on one metric over the prompts both have a scored answer for; null when
 * they share none. delta and interval: paired bootstrap of the per-prompt means (mean@N). p: exact McNemar on
 * the discordant prompts when the metric is binary and every paired prompt has exactly one 0/1 answer on both
 * sides, else the bootstrap p. pAdjusted and significant are filled in by the Holm pass.
 */
function deltaStat(first: readonly EvalSample[], other: readonly EvalSample[], metric: MetricId, iterations: number, seed: number): DeltaStat | null {
  const pa = perKey(first, metric);
  const pb = perKey(other, metric);
  const keys = [...pa.keys()].filter((k) => pb.has(k)).sort(byText);
  if (!keys.length) return null;
  const a = new Float64Array(keys.length);
  const b = new Float64Array(keys.length);
  let single = BINARY_METRICS.has(metric);
  let aOnly = 0;
  let bOnly = 0;
  keys.forEach((k, i) => {
    const ea = pa.get(k)!;
    const eb = pb.get(k)!;
    a[i] = ea.sum / ea.count;
    b[i] = eb.sum / eb.count;
    if (ea.count !== 1 || eb.count !== 1 || (a[i] !== 0 && a[i] !== 1) || (b[i] !== 0 && b[i] !== 1)) single = false;
    if (a[i] === 1 && b[i] === 0) aOnly++;
    if (a[i] === 0 && b[i] === 1) bOnly++;
  });
  const boot = pairedBootstrap(a, b, { iterations, seed });
  const p = single ? mcnemarExact(aOnly, bOnly) : boot.p;
  return { delta: boot.delta, ci: boot.ci, p, test: single ? 'mcnemar' : 'bootstrap', pAdjusted: p, significant: false, n: keys.length };
}

/**
 * One table row: the cell stats of every source, and the deltas of every source after the first. The
 * bootstrap seed of a delta is derived from the base seed, the row (dataset, slice value), the metric and the
 * source index, so a cell's interval does not change when other rows or sources are added.
 */
function buildRow(
  dataset: string,
  slice: string | null,
  cells: ReadonlyArray<readonly EvalSample[]>,
  metrics: readonly MetricId[],
  iterations: number,
  seed: number,
): TableRow {
  const stats = cells.map((samples) => cellStats(samples, metrics));
  const deltas = cells.map((samples, i) => {
    if (i === 0) return null;
    const rec: Partial<Record<MetricId, DeltaStat>> = {};
    for (const m of metrics) {
      const d = deltaStat(cells[0]!, samples, m, iterations, deriveSeed(seed, dataset, slice ?? '', m, i));
      if (d) rec[m] = d;
    }
    return rec;
  });
  return { dataset, slice, metrics: stats, deltas };
}

/**
 * Holm's adjustment, per (source, metric) pair, within families of rows:
 * - the dataset rows (slice null) are one family: one hypothesis per dataset;
 * - when a slice field is chosen, its rows over all datasets are a second family (the dataset rows, which pool
 *   those slices, are not counted in it).
 * Rows without a delta for the pair do not count.
 */
function applyHolm(rows: readonly TableRow[], sourceCount: number, metrics: readonly MetricId[], alpha: number): void {
  const families = [rows.filter((r) => r.slice === null), rows.filter((r) => r.slice !== null)];
  for (let i = 1; i < sourceCount; i++) {
    for (const m of metrics) {
      for (const family of families) {
        const stats = family.map((r) => r.deltas[i]?.[m]).filter((d): d is DeltaStat => d !== undefined);
        const adjusted = holm(stats.map((d) => d.p));
        stats.forEach((d, j) => {
          d.pAdjusted = adjusted[j]!;
          d.significant = d.pAdjusted < alpha;
        });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Flips and unmatched prompts

/**
 * Flips on correctness between the first source and another, over the prompts both have an accuracy score for.
 * A prompt is right when its per-prompt accuracy (the mean over its answers; the one answer for the usual
 * one-answer evals) is ≥ 0.5.
 */
function flipsOf(first: readonly EvalSample[], other: readonly EvalSample[]): Flips {
  const pa = perKey(first, 'accuracy');
  const pb = perKey(other, 'accuracy');
  const out: Flips = { aOnly: [], bOnly: [], both: 0, neither: 0, bothKeys: [], neitherKeys: [] };
  for (const k of [...pa.keys()].sort(byText)) {
    const eb = pb.get(k);
    if (!eb) continue;
    const ea = pa.get(k)!;
    const ra = ea.sum / ea.count >= RIGHT_AT;
    const rb = eb.sum / eb.count >= RIGHT_AT;
    if (ra && rb) out.bothKeys.push(k);
    else if (ra) out.aOnly.push(k);
    else if (rb) out.bOnly.push(k);
    else out.neitherKeys.push(k);
  }
  out.both = out.bothKeys.length;
  out.neither = out.neitherKeys.length;
  return out;
}

// ---------------------------------------------------------------------------------------------------
// The comparison

/**
 * Compare two or more loaded sources; the first is the baseline of every delta and flip.
 * Rows: for each dataset (sorted) its all-samples row (slice null), then, when `opts.slice` is set, one row per
 * value of that slice field in the dataset (sorted; samples without the field in a last row "(none)").
 */
export function compare(loaded: readonly LoadedSource[], opts: CompareOptions): Comparison {
  if (loaded.length < 2) throw new Error(`A comparison needs at least two sources (got ${loaded.length}).`);
  const iterations = opts.iterations ?? DEFAULT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`Bootstrap iterations must be a positive integer (got ${iterations}).`);
  const seed = opts.seed ?? DEFAULT_SEED;
  const alpha = opts.alpha ?? DEFAULT_ALPHA;
  const slice = opts.slice ?? null;

  const all = loaded.flatMap((l) => l.samples);
  const metrics = presentMetrics(all);
  const byDataset = loaded.map((l) => groupBy(l.samples, (s) => s.dataset));
  const datasets = sortedUnique(all.map((s) => s.dataset));

  const rows: TableRow[] = [];
  for (const ds of datasets) {
    const cells = byDataset.map((g) => g.get(ds) ?? []);
    rows.push(buildRow(ds, null, cells, metrics, iterations, seed));
    if (slice === null) continue;
    const valueOf = (s: EvalSample): string => s.slice[slice] ?? NO_SLICE_VALUE;
    const values = sortedUnique(cells.flatMap((c) => c.map(valueOf)));
    const named = values.filter((v) => v !== NO_SLICE_VALUE);
    if (named.length < values.length) named.push(NO_SLICE_VALUE);
    for (const v of named) {
      rows.push(buildRow(ds, v, cells.map((c) => c.filter((s) => valueOf(s) === v)), metrics, iterations, seed));
    }
  }
  applyHolm(rows, loaded.length, metrics, alpha);

  const overall = loaded.map((l) => cellStats(l.samples, metrics));
  const flips = loaded.map((l, i) => (i === 0 ? null : flipsOf(loaded[0]!.samples, l.samples)));

  const keySets = loaded.map((l) => new Set(l.samples.map((s) => s.key)));
  const unmatched = loaded.map((l, i) => {
    const missing = new Set<string>();
    keySets.forEach((other, j) => {
      if (j === i) return;
      for (const k of other) if (!keySets[i]!.has(k)) missing.add(k);
    });
    return { source: i, name: l.source.name, missing: [...missing].sort(byText) };
  });

  const sliceFields = sortedUnique(all.flatMap((s) => Object.keys(s.slice)).filter((f) => f !== 'dataset'));

  return {
    sources: loaded.map((l) => l.source),
    metrics,
    slice,
    sliceFields,
    overall,
    rows,
    flips,
    unmatched,
    matchedBy: all.every((s) => s.sampleId !== null) ? 'id' : 'question',
    iterations,
    seed,
    alpha,
    issues: loaded.flatMap((l) => l.issues),
  };
}

// ---------------------------------------------------------------------------------------------------
// Curves

/**
 * Per dataset (sorted) and metric (METRIC_IDS order) the values of the sources with a known step, in step
 * order (ties keep source order). A source without samples of a dataset has no point on its curves; a metric
 * is drawn for a dataset when one of those sources scores it there.
 */
export function curves(loaded: readonly LoadedSource[]): Curve[] {
  const stepped = loaded
    .map((l, i) => ({ l, i }))
    .filter((x) => x.l.source.step !== null)
    .sort((x, y) => x.l.source.step! - y.l.source.step! || x.i - y.i)
    .map((x) => ({ name: x.l.source.name, step: x.l.source.step!, byDataset: groupBy(x.l.samples, (s) => s.dataset) }));
  const datasets = sortedUnique(stepped.flatMap((s) => [...s.byDataset.keys()]));
  const out: Curve[] = [];
  for (const dataset of datasets) {
    const withData = stepped.filter((s) => s.byDataset.has(dataset));
    for (const metric of presentMetrics(withData.flatMap((s) => s.byDataset.get(dataset)!))) {
      out.push({
        dataset,
        metric,
        points: withData.map((s) => {
          const st = cellStat(s.byDataset.get(dataset)!, metric);
          return { step: s.step, source: s.name, value: st.value, n: st.n };
        }),
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Legend

const METRIC_LEGEND: Record<MetricId, string> = {
  accuracy: 'share of answers judged correct; per prompt the mean over its answers (mean@N), then the mean over prompts',
  f1: 'option-set F1 of the chosen letters against the reference, for multi-answer multiple choice; averaged over samples (per prompt, then over prompts), not a micro F1 over all letters',
  iou: "best IoU of the answer's predicted box(es) with the ground-truth box, averaged over answers (per prompt, then over prompts)",
  iou50: "share of answers whose predicted box has IoU ≥ 0.5 with the ground truth (IoU@0.5)",
  format: 'share of answers in the expected output format',
  alignment: "share of judged answers whose verdict is 'supported' (the reasoning supports the answer), among the judged",
  length: 'answer length in tokens when the log states them, else in characters; mean per prompt, then over prompts',
};

/** The legend of a comparison table: one line per metric present, then the line on the test. */
export function tableLegend(c: Comparison): string[] {
  const lines = c.metrics.map((m) => `${METRIC_LABELS[m]}: ${METRIC_LEGEND[m]}.`);
  const first = c.sources[0]?.name ?? 'the first source';
  const family = c.slice === null ? 'over the datasets' : `over the datasets, and separately over the slices of "${c.slice}"`;
  lines.push(
    `Δ vs ${first}: over the prompts both have; 95 % paired-bootstrap interval over prompts (${c.iterations} resamples, seed ${c.seed}); ` +
      `p by exact McNemar where the metric is binary with one answer per prompt, else by the bootstrap; ` +
      `Holm-adjusted per metric and source ${family}; significant when the adjusted p < ${c.alpha}.`,
  );
  return lines;
}
