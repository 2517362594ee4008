// The run overview: curves over steps computed from the rollouts (one pass over the table), curves read from
// the run's metric files (trainer_state.json, verl / EasyR1 metric logs), and the statistics of one step
// (reward histograms on bins fixed over the whole log, k-of-G correct, zero-std groups by kind).
// Pure TypeScript plus Node fs through formats/metrics.ts; no `vscode`.

import * as path from 'path';
import type { RolloutLog } from '../formats/log';
import type { HistogramView, IssueView, OverviewView, SeriesView, StepStatsView, VerdictsView, ZeroVarianceKind } from '../../protocol/inspector';
import { CANONICAL_LABELS, canonicalSeries, readRunMetrics, type MetricFile, type TrainerStateMetrics } from '../formats/metrics';
import { zeroVarianceKindOf } from './derive';
import type { SampleTable } from './sampleTable';

// ---------------------------------------------------------------------------------------------------
// Curves from the rollouts

/** Series keys that need the scan (length, IoU, truncation) — reported as pending until it is complete. */
export const SCAN_SERIES_KEYS: readonly string[] = ['completion_length', 'iou', 'completion_clipped_ratio'];

interface StepAcc {
  step: number;
  rewardSum: number;
  rewardSq: number;
  rewardN: number;
  advSum: number;
  advN: number;
  fnSum: Float64Array;
  fnN: Float64Array;
  correctSum: number;
  correctN: number;
  lenSum: number;
  lenN: number;
  iouSum: number;
  iouN: number;
  truncSum: number;
  truncN: number;
  groups: number;
  zeroGroups: number;
}

/**
 * Per-step curves from the table (source 'rollouts'), keys matching the metric files' canonical keys where the
 * meaning is the same:
 * - `reward`: mean total reward; `rewards/<name>`: mean of each reward function (non-null values);
 * - `reward_std`: standard deviation (n − 1) of the total reward over all completions of the step (not the mean
 *   of the per-group stds that TRL logs as reward_std);
 * - `frac_reward_zero_std`: fraction of the step's groups whose rewards are all equal (≥ 2 rewards);
 * - `advantage_mean`; `correct_rate` (when correctness is known);
 * - once the scan is complete: `completion_length` (mean), `iou` (mean over records with GT boxes),
 *   `completion_clipped_ratio` (truncated among the records where it is known).
 * Steps with no value for a key have no point; a key with no point at all is left out.
 */
export function rolloutSeries(table: SampleTable, log: RolloutLog): SeriesView[] {
  const n = table.rowCount;
  const steps = table.numeric('step')!;
  const reward = table.numeric('reward')!;
  const adv = table.numeric('advantage')!;
  const names = table.rewardNames();
  const fnCols = names.map((nm) => table.rewardColumn(nm)!);
  const scanDone = table.scanComplete;
  const correctOk = scanDone || table.correctPrefilled;
  const correct = table.numeric('correct')!;
  const len = table.numeric('length')!;
  const iou = table.numeric('iou')!;
  const trunc = table.numeric('truncated')!;

  const accs: StepAcc[] = [];
  const byStep = new Map<number, number>();
  const accOf = (s: number): StepAcc => {
    let k = byStep.get(s);
    if (k === undefined) {
      k = accs.length;
      byStep.set(s, k);
      accs.push({
        step: s, rewardSum: 0, rewardSq: 0, rewardN: 0, advSum: 0, advN: 0,
        fnSum: new Float64Array(names.length), fnN: new Float64Array(names.length),
        correctSum: 0, correctN: 0, lenSum: 0, lenN: 0, iouSum: 0, iouN: 0, truncSum: 0, truncN: 0, groups: 0, zeroGroups: 0,
      });
    }
    return accs[k]!;
  };
  // one pass over the rows (steps are usually contiguous: remember the last one)
  let lastStep = NaN;
  let a: StepAcc | null = null;
  for (let i = 0; i < n; i++) {
    const s = steps[i]!;
    if (s !== lastStep || !a) {
      a = accOf(s);
      lastStep = s;
    }
    const r = reward[i]!;
    if (!Number.isNaN(r)) {
      a.rewardSum += r;
      a.rewardSq += r * r;
      a.rewardN++;
    }
    const v = adv[i]!;
    if (!Number.isNaN(v)) {
      a.advSum += v;
      a.advN++;
    }
    for (let k = 0; k < fnCols.length; k++) {
      const x = fnCols[k]![i]!;
      if (!Number.isNaN(x)) {
        a.fnSum[k] += x;
        a.fnN[k]++;
      }
    }
    if (correctOk) {
      const c = correct[i]!;
      if (!Number.isNaN(c)) {
        a.correctSum += c;
        a.correctN++;
      }
    }
    if (scanDone) {
      const l = len[i]!;
      if (!Number.isNaN(l)) {
        a.lenSum += l;
        a.lenN++;
      }
      const u = iou[i]!;
      if (!Number.isNaN(u)) {
        a.iouSum += u;
        a.iouN++;
      }
      const t = trunc[i]!;
      if (!Number.isNaN(t)) {
        a.truncSum += t;
        a.truncN++;
      }
    }
  }
  // groups: zero-std fraction
  const zero = table.numeric('zero_std')!;
  let multi = false;
  for (const g of log.groups) {
    const first = g.records[0];
    if (first === undefined || first >= n) continue;
    const acc = accOf(g.step);
    acc.groups++;
    if (g.records.length >= 2) multi = true;
    if (zero[first] === 1) acc.zeroGroups++;
  }
  accs.sort((x, y) => x.step - y.step);

  const out: SeriesView[] = [];
  const push = (key: string, label: string, pick: (a: StepAcc) => number | null): void => {
    const points: Array<[number, number]> = [];
    for (const acc of accs) {
      const v = pick(acc);
      if (v !== null && Number.isFinite(v)) points.push([acc.step, v]);
    }
    if (points.length) out.push({ key, label, source: 'rollouts', points });
  };
  push('reward', 'reward (mean)', (x) => (x.rewardN ? x.rewardSum / x.rewardN : null));
  names.forEach((nm, k) => push(`rewards/${nm}`, `${nm} (mean)`, (x) => (x.fnN[k]! ? x.fnSum[k]! / x.fnN[k]! : null)));
  push('reward_std', 'reward std (over the completions of the step)', (x) => {
    if (x.rewardN < 2) return null;
    const m = x.rewardSum / x.rewardN;
    return Math.sqrt(Math.max(0, (x.rewardSq - x.rewardN * m * m) / (x.rewardN - 1)));
  });
  if (multi) push('frac_reward_zero_std', CANONICAL_LABELS.frac_reward_zero_std ?? 'groups with zero reward std', (x) => (x.groups ? x.zeroGroups / x.groups : null));
  push('advantage_mean', CANONICAL_LABELS.advantage_mean ?? 'advantage mean', (x) => (x.advN ? x.advSum / x.advN : null));
  if (correctOk) push('correct_rate', `correct (fraction${table.correctBy ? `; ${table.correctBy}` : ''})`, (x) => (x.correctN ? x.correctSum / x.correctN : null));
  if (scanDone) {
    const unit = table.lengthUnit;
    push('completion_length', `completion length (${unit === 'tokens' ? 'tokens' : unit === 'chars' ? 'characters' : 'tokens or characters'})`, (x) => (x.lenN ? x.lenSum / x.lenN : null));
    push('iou', 'IoU with the GT boxes (mean)', (x) => (x.iouN ? x.iouSum / x.iouN : null));
    push('completion_clipped_ratio', 'completions cut at max length', (x) => (x.truncN ? x.truncSum / x.truncN : null));
  }
  return out;
}

/** Keys `rolloutSeries` leaves out until the scan is complete, and the scan's progress; null when complete. */
export function pendingRolloutKeys(table: SampleTable): { keys: string[]; progress: number } | null {
  if (table.scanComplete) return null;
  const keys = [...SCAN_SERIES_KEYS];
  if (!table.correctPrefilled) keys.push('correct_rate');
  return { keys, progress: table.progress };
}

// ---------------------------------------------------------------------------------------------------
// Curves from the metric files

function issueView(i: { file: string; line: number; unit?: 'line' | 'row'; message: string; severity: 'error' | 'warning' }): IssueView {
  const v: IssueView = { file: i.file, line: i.line, message: i.message, severity: i.severity };
  if (i.unit === 'row') v.unit = 'row';
  return v;
}

/** The files readRunMetrics merges (of several trainer_state.json only the fullest). */
function usedFiles(files: MetricFile[]): MetricFile[] {
  const states = files.filter((f) => f.kind === 'trainer-state') as TrainerStateMetrics[];
  const fullest = [...states].sort((a, b) => (b.globalStep ?? 0) - (a.globalStep ?? 0) || b.rows.length - a.rows.length)[0];
  return files.filter((f) => f.kind !== 'trainer-state' || f === fullest);
}

/**
 * Canonical curves of the run's metric files (KL, reward, completion length, per-function rewards …), labelled
 * with CANONICAL_LABELS; `source` is the base name of the file(s) a curve came from. `files` are the metric
 * files read, relative to `runDir`. Never throws: problems are issues.
 */
export async function metricSeries(runDir: string): Promise<{ series: SeriesView[]; files: string[]; issues: IssueView[] }> {
  let res: Awaited<ReturnType<typeof readRunMetrics>>;
  try {
    res = await readRunMetrics(runDir);
  } catch (e) {
    return { series: [], files: [], issues: [{ file: runDir, line: 0, message: `cannot read the run's metric files: ${(e as Error).message ?? String(e)}`, severity: 'warning' }] };
  }
  const used = usedFiles(res.files);
  const sourcesOf = new Map<string, string[]>();
  for (const f of used) {
    for (const key of Object.keys(canonicalSeries(f.rows))) {
      const list = sourcesOf.get(key) ?? [];
      const base = path.basename(f.file);
      if (!list.includes(base)) list.push(base);
      sourcesOf.set(key, list);
    }
  }
  const series: SeriesView[] = [];
  for (const [key, points] of Object.entries(res.series)) {
    if (!points.length) continue;
    const fn = key.startsWith('rewards/') ? key.slice('rewards/'.length) : null;
    const label = CANONICAL_LABELS[key] ?? (fn ? `${fn} (mean)` : key);
    series.push({ key, label, source: (sourcesOf.get(key) ?? ['metrics']).join(', '), points: points.map(([s, v]) => [s, v] as [number, number]) });
  }
  const rel = (f: string): string => {
    const r = path.relative(runDir, f);
    return (r && !r.startsWith('..') && !path.isAbsolute(r) ? r : path.basename(f)).split(path.sep).join('/');
  };
  return { series, files: res.files.map((f) => rel(f.file)), issues: res.issues.map(issueView) };
}

export const EMPTY_VERDICTS: VerdictsView = { choice: 'auto', sources: [], agreement: [], judges: { onnx: null, http: null, clip: null }, running: null, last: null };

/** The whole overview payload: rollout curves, metric curves (when a run folder is known) and what is pending. */
export function overviewView(
  table: SampleTable,
  log: RolloutLog,
  metrics: { series: SeriesView[]; files: string[]; issues: IssueView[] } | null,
  verdicts: { view: VerdictsView; series: SeriesView[] } = { view: EMPTY_VERDICTS, series: [] },
): OverviewView {
  return {
    stepKind: log.stepKind,
    verdicts: verdicts.view,
    series: distinctSeries([...rolloutSeries(table, log), ...verdicts.series, ...(metrics?.series ?? [])]),
    pending: pendingRolloutKeys(table),
    metricFiles: metrics?.files ?? [],
    issues: metrics?.issues ?? [],
  };
}

// ---------------------------------------------------------------------------------------------------
// One step

/** At most this many bins per histogram. */
export const MAX_BINS = 20;
/** A reward with at most this many distinct values over the log gets one bin per value. */
export const MAX_DISCRETE_VALUES = 12;

type BinSpec = { kind: 'values'; values: number[]; index: Map<number, number> } | { kind: 'range'; lo: number; hi: number; bins: number } | { kind: 'empty' };

const specCache = new WeakMap<SampleTable, { version: number; rows: number; specs: Map<string, BinSpec> }>();

/** Bins of a column over the whole log: one per distinct value when there are few, else ≤ 20 equal widths over [min, max]. */
export function binSpec(col: Float64Array): BinSpec {
  const distinct = new Set<number>();
  let lo = Infinity;
  let hi = -Infinity;
  let many = false;
  for (let i = 0; i < col.length; i++) {
    const v = col[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    if (!many) {
      distinct.add(v);
      if (distinct.size > MAX_DISCRETE_VALUES) many = true;
    }
  }
  if (lo > hi) return { kind: 'empty' };
  if (!many) {
    const values = [...distinct].sort((a, b) => a - b);
    return { kind: 'values', values, index: new Map(values.map((v, k) => [v, k])) };
  }
  return { kind: 'range', lo, hi, bins: MAX_BINS };
}

function specFor(table: SampleTable, name: string, col: Float64Array): BinSpec {
  let c = specCache.get(table);
  if (!c || c.version !== table.changeCount || c.rows !== table.rowCount) {
    c = { version: table.changeCount, rows: table.rowCount, specs: new Map() };
    specCache.set(table, c);
  }
  let s = c.specs.get(name);
  if (!s) c.specs.set(name, (s = binSpec(col)));
  return s;
}

function histogram(name: string, col: Float64Array, rows: readonly number[], spec: BinSpec): HistogramView {
  let nulls = 0;
  let sum = 0;
  let cnt = 0;
  let bins: Array<{ lo: number; hi: number; count: number }>;
  if (spec.kind === 'values') bins = spec.values.map((v) => ({ lo: v, hi: v, count: 0 }));
  else if (spec.kind === 'range') {
    const w = (spec.hi - spec.lo) / spec.bins;
    bins = Array.from({ length: spec.bins }, (_, k) => ({ lo: spec.lo + k * w, hi: k === spec.bins - 1 ? spec.hi : spec.lo + (k + 1) * w, count: 0 }));
  } else bins = [];
  for (const r of rows) {
    const v = col[r]!;
    if (!Number.isFinite(v)) {
      nulls++;
      continue;
    }
    sum += v;
    cnt++;
    if (spec.kind === 'values') {
      const k = spec.index.get(v);
      if (k !== undefined) bins[k]!.count++;
      else {
        // a value not seen when the bins were made (the log grew): the nearest bin
        let best = 0;
        for (let j = 1; j < spec.values.length; j++) if (Math.abs(spec.values[j]! - v) < Math.abs(spec.values[best]! - v)) best = j;
        bins[best]!.count++;
      }
    } else if (spec.kind === 'range') {
      const w = (spec.hi - spec.lo) / spec.bins;
      const k = w > 0 ? Math.min(spec.bins - 1, Math.max(0, Math.floor((v - spec.lo) / w))) : 0;
      bins[k]!.count++;
    }
  }
  return { name, bins, nulls, mean: cnt ? sum / cnt : null };
}

/**
 * Statistics of one step: histograms of the total reward and of each reward function (bins fixed over the
 * whole log so that bars compare across steps), k-of-G correct per group (groups with at least one completion
 * of known correctness; null when none), and the step's zero-std groups by kind (the scan's correctness and
 * completion hashes for groups it has read in full, 'same-reward' for the others).
 */
export function stepStats(table: SampleTable, log: RolloutLog, step: number): StepStatsView {
  const n = table.rowCount;
  const groups: Array<{ records: number[] }> = [];
  const rows: number[] = [];
  for (const g of log.groups) {
    if (g.step !== step) continue;
    const recs = g.records.filter((r) => r < n);
    if (!recs.length) continue;
    groups.push({ records: recs });
    for (const r of recs) rows.push(r);
  }
  const histograms: HistogramView[] = [];
  const reward = table.numeric('reward')!;
  histograms.push(histogram('reward', reward, rows, specFor(table, '\u0000reward', reward)));
  for (const nm of table.rewardNames()) {
    const col = table.rewardColumn(nm)!;
    histograms.push(histogram(nm, col, rows, specFor(table, nm, col)));
  }

  // k of G
  const correct = table.numeric('correct')!;
  let kOfG: StepStatsView['kOfG'] = null;
  const sizes = new Map<number, number>();
  const ks: number[] = [];
  for (const g of groups) {
    let known = 0;
    let k = 0;
    for (const r of g.records) {
      const c = correct[r]!;
      if (Number.isNaN(c)) continue;
      known++;
      if (c === 1) k++;
    }
    if (known === 0) continue;
    ks.push(k);
    sizes.set(g.records.length, (sizes.get(g.records.length) ?? 0) + 1);
  }
  if (ks.length) {
    let G = 0;
    let best = -1;
    for (const [size, cnt] of sizes) if (cnt > best || (cnt === best && size > G)) [G, best] = [size, cnt];
    const counts = new Array<number>(Math.max(G, ...ks) + 1).fill(0);
    for (const k of ks) counts[k]!++;
    kOfG = { g: G, counts, correctBy: table.correctBy ?? 'unknown' };
  }

  // zero-std groups by kind
  const zeroStd: Record<ZeroVarianceKind, number> = { 'all-fail': 0, 'all-pass': 0, identical: 0, 'same-reward': 0 };
  const zero = table.numeric('zero_std')!;
  for (const g of groups) {
    if (zero[g.records[0]!] !== 1) continue;
    const scanned = g.records.every((r) => table.isScanned(r));
    if (!scanned) {
      zeroStd['same-reward']++;
      continue;
    }
    const h0 = table.textHashOf(g.records[0]!);
    const identical = g.records.length >= 2 && g.records.every((r) => table.textHashOf(r) === h0);
    const cs = g.records.map((r) => (Number.isNaN(correct[r]!) ? null : correct[r] === 1));
    const rs = g.records.map((r) => (Number.isNaN(reward[r]!) ? null : reward[r]!));
    zeroStd[zeroVarianceKindOf(identical, cs, rs)]++;
  }
  return { step, records: rows.length, groups: groups.length, histograms, kOfG, zeroStd };
}

/**
 * Series as charts: a key logged both in the rollouts and in a metric file (reward, reward std …) keeps both
 * (the metric file's under `<source>:<key>`), so the two can be compared; a mean advantage that stays at 0
 * (GRPO normalises within each group) is left out as noise.
 */
function distinctSeries(series: SeriesView[]): SeriesView[] {
  const seen = new Set<string>();
  const out: SeriesView[] = [];
  for (const s of series) {
    if (s.key === 'advantage_mean' && s.points.every(([, v]) => Math.abs(v) < 1e-3)) continue;
    const key = seen.has(s.key) ? `${s.source}:${s.key}` : s.key;
    seen.add(key);
    out.push(key === s.key ? s : { ...s, key });
  }
  return out;
}
