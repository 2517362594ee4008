// Summaries of large logs from their index only (no record is parsed): totals, per-step reward means,
// groups, zero-variance groups, mean advantage, and the issue list. Used in a worker thread
// (../summaryWorker.ts) and in-process (tests, CLI). Opens the paths it is given one log at a time, so
// memory stays that of one index. Pure: no `vscode`.

import * as fs from 'fs';
import * as path from 'path';
import type { RolloutLog } from '../formats/log';
import type { RunContext } from '../runs/context';
import { Summary, SummaryBuilder, SummaryError, hasZeroVariance } from '../summary';
import { LogSpec, findLogs, openSpec } from '../formats/all';
import { openRolloutLensJsonl } from '../formats/rolloutLensJsonl';
import { listVerlStepFiles, openVerl, sniffVerl } from '../formats/verl';
import { errorMessage } from './lineLog';
import { openParallel } from './parallel';
import { cacheFileFor } from '../formats/indexCache';
import { rolloutLensCacheKey } from '../formats/rolloutLensJsonl';
import { verlCacheKey } from '../formats/verl';

export interface StepSummary {
  step: number;
  records: number;
  groups: number;
  /** Mean total reward over the records that have one (null: none has). */
  meanReward: number | null;
  /** Per reward function: mean over the non-null values. */
  rewards: Record<string, { mean: number; count: number }>;
  /** Groups of ≥ 2 completions whose total rewards are all equal (no learning signal). */
  zeroVarianceGroups: number;
  /** Mean advantage (logged or recomputed) over the records that have one (null: none has). */
  meanAdvantage: number | null;
}

/** `Summary` (summary.ts) plus one row per step. */
export type ScaleSummary = Summary & { perStep: StepSummary[] };

export interface SummarizeOptions {
  context?: RunContext | null;
  cacheDir?: string;
  chunkSize?: number;
  maxIssues?: number;
  /** Bytes indexed so far over all logs, and their total size. */
  onProgress?(bytes: number, total: number): void;
  /** Threads for one large own-format or verl log (default 1 here; summarizeInWorker uses the machine's). */
  threads?: number;
  /** The worker script for extra threads (default: next to this code). */
  workerPath?: string;
  /** Logs smaller than this are indexed by one thread (default 256 MB: below, starting a helper thread costs about what it saves). */
  minParallelBytes?: number;
}

interface StepAcc {
  records: number;
  groups: number;
  rewardSum: number;
  rewardCount: number;
  advSum: number;
  advCount: number;
  zero: number;
  rewards: Map<string, { sum: number; count: number }>;
}

/** Accumulates logs (opened with columns) into one ScaleSummary: summary.ts's totals plus per-step rows. */
export class ScaleSummaryBuilder {
  private readonly base = new SummaryBuilder();
  private readonly perStep = new Map<number, StepAcc>();

  get errors(): SummaryError[] {
    return this.base.errors;
  }

  add(log: RolloutLog): void {
    const columns = log.columns;
    if (!columns) throw new Error('summaries need logs opened with { columns: true }');
    this.base.add(log);
    const n = log.recordCount;
    const acc = (step: number): StepAcc => {
      let a = this.perStep.get(step);
      if (!a) this.perStep.set(step, (a = { records: 0, groups: 0, rewardSum: 0, rewardCount: 0, advSum: 0, advCount: 0, zero: 0, rewards: new Map() }));
      return a;
    };
    const reward = columns.reward;
    const adv = columns.advantage;
    // steps change rarely between consecutive records
    let cur: StepAcc | null = null;
    let curStep = NaN;
    for (let r = 0; r < n; r++) {
      const s = log.stepOf(r);
      if (s !== curStep) {
        cur = acc(s);
        curStep = s;
      }
      const a = cur!;
      a.records++;
      const v = reward[r];
      if (!Number.isNaN(v)) {
        a.rewardSum += v;
        a.rewardCount++;
      }
      const d = adv[r];
      if (!Number.isNaN(d)) {
        a.advSum += d;
        a.advCount++;
      }
    }
    for (const [name, col] of columns.rewards) {
      curStep = NaN;
      let stepAcc: { sum: number; count: number } | null = null;
      for (let r = 0; r < col.length; r++) {
        const v = col[r];
        if (Number.isNaN(v)) continue;
        const s = log.stepOf(r);
        if (s !== curStep || !stepAcc) {
          const a = acc(s);
          stepAcc = a.rewards.get(name) ?? null;
          if (!stepAcc) a.rewards.set(name, (stepAcc = { sum: 0, count: 0 }));
          curStep = s;
        }
        stepAcc.sum += v;
        stepAcc.count++;
      }
    }
    for (const g of log.groups) {
      const a = acc(g.step);
      a.groups++;
      if (hasZeroVariance(g.records, reward)) a.zero++;
    }
  }

  result(): ScaleSummary {
    const stepNums = [...this.perStep.keys()].sort((a, b) => a - b);
    const perStep: StepSummary[] = stepNums.map((step) => {
      const a = this.perStep.get(step)!;
      const rw: StepSummary['rewards'] = {};
      for (const [name, { sum, count }] of a.rewards) if (count > 0) rw[name] = { mean: sum / count, count };
      return {
        step,
        records: a.records,
        groups: a.groups,
        meanReward: a.rewardCount > 0 ? a.rewardSum / a.rewardCount : null,
        rewards: rw,
        zeroVarianceGroups: a.zero,
        meanAdvantage: a.advCount > 0 ? a.advSum / a.advCount : null,
      };
    });
    return { ...this.base.result(), perStep };
  }
}

/** Summary of logs already open (opened with columns). */
export function summarizeOpenLogs(logs: readonly RolloutLog[]): ScaleSummary {
  const b = new ScaleSummaryBuilder();
  for (const l of logs) b.add(l);
  return b.result();
}

const HEAD = 64 * 1024;

function head(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(HEAD);
    const n = fs.readSync(fd, b, 0, HEAD, 0);
    return b.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

function sniffVerlFile(f: string): boolean {
  try {
    return sniffVerl(f, head(f));
  } catch {
    return false;
  }
}

/**
 * Paths → logs. A folder whose `<step>.jsonl` files are verl dumps is one verl log (one listing, one
 * sniff: 2 000 step files are not each opened to detect them); everything else goes through the format
 * registry (bounded search of folders).
 */
export async function resolveSpecs(paths: readonly string[]): Promise<{ specs: LogSpec[]; errors: SummaryError[] }> {
  const specs: LogSpec[] = [];
  const errors: SummaryError[] = [];
  for (const p0 of paths) {
    const p = path.resolve(p0);
    let st: fs.Stats | null = null;
    try {
      st = fs.statSync(p);
    } catch {
      /* findLogs reports it */
    }
    if (st?.isDirectory()) {
      const { files } = await listVerlStepFiles(p);
      if (files.length > 0 && sniffVerlFile(files[0])) {
        specs.push({ format: 'verl-jsonl', target: p, files });
        continue;
      }
    } else if (st && sniffVerlFile(p)) {
      specs.push({ format: 'verl-jsonl', target: p, files: [p] });
      continue;
    }
    const found = await findLogs([p0]);
    specs.push(...found.specs);
    for (const e of found.errors) errors.push({ file: e.file, line: e.line, message: e.message, severity: e.severity });
  }
  return { specs, errors };
}

/**
 * Open one log with columns (the index only; no record is parsed). Own-format and verl logs use the cache
 * when a folder is given and one exists, else large ones are indexed by `opts.threads` threads.
 */
export async function openForSummary(spec: LogSpec, opts: SummarizeOptions & { onPartial?(log: RolloutLog): void; onLogProgress?(bytes: number, total: number): void } = {}): Promise<RolloutLog> {
  const common = {
    columns: true,
    context: opts.context ?? null,
    cacheDir: opts.cacheDir,
    // without a cache to fill, the summary needs no byte offsets
    keepOffsets: !!opts.cacheDir,
    chunkSize: opts.chunkSize,
    maxIssues: opts.maxIssues,
    onProgress: opts.onLogProgress,
    onPartial: opts.onPartial,
  };
  const mine = (spec.format === 'rollout-lens-jsonl' && spec.files.length === 1) || spec.format === 'verl-jsonl';
  const threads = opts.threads ?? 1;
  if (mine && threads > 1 && !opts.onPartial && sizeOf(spec.files) >= (opts.minParallelBytes ?? 256 * 1024 * 1024) && !hasCache(spec, opts.cacheDir)) {
    const log = await openParallel(spec as { format: 'rollout-lens-jsonl' | 'verl-jsonl'; target: string; files: string[] }, {
      threads,
      workerPath: opts.workerPath,
      context: opts.context,
      chunkSize: opts.chunkSize,
      maxIssues: opts.maxIssues,
      keepOffsets: !!opts.cacheDir,
      onProgress: opts.onLogProgress,
    });
    if (log) {
      if (opts.cacheDir) await (log as unknown as { saveCache(dir?: string): Promise<void> }).saveCache(opts.cacheDir);
      return log;
    }
  }
  if (spec.format === 'rollout-lens-jsonl' && spec.files.length === 1) return openRolloutLensJsonl(spec.files[0], common);
  if (spec.format === 'verl-jsonl') return openVerl(spec.files, { ...common, target: spec.target });
  return openSpec(spec, common);
}

/** Whether a persisted index exists for this log (then one thread loads it faster than many rebuild it). */
function hasCache(spec: LogSpec, cacheDir: string | undefined): boolean {
  if (!cacheDir) return false;
  const key = spec.format === 'rollout-lens-jsonl' ? rolloutLensCacheKey(spec.files[0], true) : verlCacheKey(spec.target, spec.files);
  return fs.existsSync(cacheFileFor(cacheDir, key));
}

function sizeOf(files: readonly string[]): number {
  let b = 0;
  for (const f of files) {
    try {
      b += fs.statSync(f).size;
    } catch {
      /* reported when opened */
    }
  }
  return b;
}

/** Resolve, open one log at a time, summarise, close. Logs that cannot be read become errors (line 0). */
export async function summarizePaths(paths: readonly string[], opts: SummarizeOptions = {}): Promise<ScaleSummary> {
  const { specs, errors } = await resolveSpecs(paths);
  return summarizeSpecsWithSteps(specs, opts, errors);
}

export async function summarizeSpecsWithSteps(specs: readonly LogSpec[], opts: SummarizeOptions = {}, errors: SummaryError[] = []): Promise<ScaleSummary> {
  const b = new ScaleSummaryBuilder();
  b.errors.push(...errors);
  const sizes = specs.map((s) => sizeOf(s.files));
  const total = sizes.reduce((a, x) => a + x, 0);
  let base = 0;
  for (let k = 0; k < specs.length; k++) {
    const spec = specs[k];
    let log: RolloutLog;
    try {
      log = await openForSummary(spec, { ...opts, onLogProgress: opts.onProgress ? (bytes) => opts.onProgress!(Math.min(total, base + bytes), total) : undefined });
    } catch (e) {
      b.errors.push({ file: spec.target, line: 0, message: `cannot read: ${errorMessage(e)}`, severity: 'error' });
      base += sizes[k];
      continue;
    }
    try {
      b.add(log);
    } finally {
      log.close();
    }
    // a worker is terminated once it answers: let a cache write finish first
    await (log as { cacheWrite?: Promise<void> }).cacheWrite;
    base += sizes[k];
    opts.onProgress?.(Math.min(total, base), total);
  }
  return b.result();
}
