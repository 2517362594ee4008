// Summary over one or more logs (used by the CLI `summary` command). Built from the index only.

import * as fs from 'fs';
import type { StepRange } from './model';
import type { FormatId, ReadOptions, RolloutLog } from './formats/log';
import { errorMessage } from './formats/rolloutLensJsonl';
import { LogSpec, detectFile, openSpec } from './formats/all';

export interface SummaryError {
  file: string;
  /** 1-based line (or row when `unit` is 'row'); 0 when the problem concerns the whole file. */
  line: number;
  unit?: 'line' | 'row';
  message: string;
  severity: 'error' | 'warning';
}

/** One log that went into a summary. */
export interface SummaryLog {
  format: FormatId;
  /** What was opened: a file, or the folder of per-step files. */
  target: string;
  files: number;
  records: number;
  groups: number;
  stepKind: RolloutLog['stepKind'];
  /** Where advantages came from, and the assumptions when recomputed. */
  advantage: RolloutLog['advantage'];
  grouping: RolloutLog['grouping'];
}

export interface Summary {
  /** The format read; 'mixed' when the logs have several. */
  format: FormatId | 'mixed' | null;
  /** Every log read. */
  logs: SummaryLog[];
  /** The files that were read. */
  files: string[];
  records: number;
  groups: number;
  /** Groups of two or more completions whose rewards are all equal (no learning signal). */
  zeroVarianceGroups: number;
  steps: StepRange | null;
  /** Mean over non-null values, per reward name. */
  rewards: Record<string, { mean: number; count: number }>;
  errors: SummaryError[];
}

/** Open each file (its format detected) in turn, add it to the summary, close it. Unreadable files become errors (line 0). */
export async function summarizeFiles(files: string[], opts: ReadOptions = {}): Promise<Summary> {
  const acc = new SummaryBuilder();
  for (const f of files) {
    if (!fs.existsSync(f)) {
      acc.errors.push({ file: f, line: 0, message: 'cannot read: no such file', severity: 'error' });
      continue;
    }
    const format = detectFile(f);
    if (format === null) acc.errors.push({ file: f, line: 0, message: 'format not recognised', severity: 'error' });
    else await addSpec(acc, { format, target: f, files: [f] }, opts);
  }
  return acc.result();
}

/** Open each log in turn, add it to the summary, close it. Logs that cannot be read become errors (line 0). */
export async function summarizeSpecs(specs: LogSpec[], opts: ReadOptions | ((spec: LogSpec) => Promise<ReadOptions>) = {}): Promise<Summary> {
  const acc = new SummaryBuilder();
  for (const spec of specs) await addSpec(acc, spec, typeof opts === 'function' ? await opts(spec) : opts);
  return acc.result();
}

/** Open one log with columns, add it to `acc` (any summary builder), close it; a log that cannot be read becomes an error (line 0). */
export async function addSpec(acc: { errors: SummaryError[]; add(log: RolloutLog): void }, spec: LogSpec, opts: ReadOptions): Promise<void> {
  let log: RolloutLog;
  try {
    log = await openSpec(spec, { ...opts, columns: true });
  } catch (e) {
    acc.errors.push({ file: spec.target, line: 0, message: `cannot read: ${errorMessage(e)}`, severity: 'error' });
    return;
  }
  try {
    acc.add(log);
  } finally {
    log.close();
  }
}

/** Summary of logs already open (they must have been opened with `columns: true`). */
export function summarizeLogs(logs: RolloutLog[]): Summary {
  const acc = new SummaryBuilder();
  for (const log of logs) acc.add(log);
  return acc.result();
}

export class SummaryBuilder {
  readonly errors: SummaryError[] = [];
  private readonly files: string[] = [];
  private readonly logs: SummaryLog[] = [];
  private readonly steps = new Set<number>();
  private readonly sums = new Map<string, { sum: number; count: number }>();
  private records = 0;
  private groups = 0;
  private zeroVarianceGroups = 0;

  add(log: RolloutLog): void {
    const columns = log.columns;
    if (!columns) throw new Error('summaries need logs opened with { columns: true }');
    this.files.push(...log.files);
    this.logs.push({
      format: log.format,
      target: log.file,
      files: log.files.length,
      records: log.recordCount,
      groups: log.groups.length,
      stepKind: log.stepKind,
      advantage: log.advantage,
      grouping: log.grouping,
    });
    this.records += log.recordCount;
    this.groups += log.groups.length;
    for (const s of log.steps) this.steps.add(s);
    for (const [name, col] of columns.rewards) {
      const acc = this.sums.get(name) ?? { sum: 0, count: 0 };
      for (let i = 0; i < col.length; i++) {
        if (!Number.isNaN(col[i])) {
          acc.sum += col[i];
          acc.count++;
        }
      }
      this.sums.set(name, acc);
    }
    for (const g of log.groups) if (hasZeroVariance(g.records, columns.reward)) this.zeroVarianceGroups++;
    for (const i of log.issues) {
      const e: SummaryError = { file: i.file, line: i.line, message: i.message, severity: i.severity };
      if (i.unit === 'row') e.unit = 'row';
      this.errors.push(e);
    }
  }

  result(): Summary {
    const rewards: Summary['rewards'] = {};
    for (const [name, { sum, count }] of this.sums) if (count > 0) rewards[name] = { mean: sum / count, count };
    let range: StepRange | null = null;
    if (this.steps.size > 0) {
      let min = Infinity;
      let max = -Infinity;
      for (const s of this.steps) {
        if (s < min) min = s;
        if (s > max) max = s;
      }
      range = { min, max, count: this.steps.size };
    }
    const formats = [...new Set(this.logs.map((l) => l.format))];
    return {
      format: formats.length === 0 ? null : formats.length === 1 ? formats[0] : 'mixed',
      logs: [...this.logs],
      files: [...this.files],
      records: this.records,
      groups: this.groups,
      zeroVarianceGroups: this.zeroVarianceGroups,
      steps: range,
      rewards,
      errors: [...this.errors],
    };
  }
}

/** True for groups of ≥ 2 records whose (known) total rewards are all equal. */
export function hasZeroVariance(records: readonly number[], reward: Float64Array): boolean {
  if (records.length < 2) return false;
  const first = reward[records[0]];
  if (Number.isNaN(first)) return false;
  for (const r of records) if (reward[r] !== first) return false;
  return true;
}
