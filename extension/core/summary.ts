// Summary over one or more logs (used by the CLI `summary` command). Built from the index only.

import type { StepRange } from './model';
import { OpenOptions, RolloutLensLog, errorMessage, openRolloutLensJsonl } from './formats/rolloutLensJsonl';

export interface SummaryError {
  file: string;
  /** 1-based line; 0 when the problem concerns the whole file. */
  line: number;
  message: string;
  severity: 'error' | 'warning';
}

export interface Summary {
  format: 'rollout-lens-jsonl' | null;
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

/** Open each file in turn, add it to the summary, close it. Files that cannot be read become errors (line 0). */
export async function summarizeFiles(files: string[], opts: OpenOptions = {}): Promise<Summary> {
  const acc = new SummaryBuilder();
  for (const f of files) {
    let log: RolloutLensLog;
    try {
      log = await openRolloutLensJsonl(f, { ...opts, columns: true });
    } catch (e) {
      acc.errors.push({ file: f, line: 0, message: `cannot read: ${errorMessage(e)}`, severity: 'error' });
      continue;
    }
    try {
      acc.add(log);
    } finally {
      log.close();
    }
  }
  return acc.result();
}

/** Summary of logs already open (they must have been opened with `columns: true`). */
export function summarizeLogs(logs: RolloutLensLog[]): Summary {
  const acc = new SummaryBuilder();
  for (const log of logs) acc.add(log);
  return acc.result();
}

class SummaryBuilder {
  readonly errors: SummaryError[] = [];
  private readonly files: string[] = [];
  private readonly steps = new Set<number>();
  private readonly sums = new Map<string, { sum: number; count: number }>();
  private records = 0;
  private groups = 0;
  private zeroVarianceGroups = 0;

  add(log: RolloutLensLog): void {
    const columns = log.columns;
    if (!columns) throw new Error('summaries need logs opened with { columns: true }');
    this.files.push(log.file);
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
    for (const i of log.issues) this.errors.push({ file: i.file, line: i.line, message: i.message, severity: i.severity });
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
    return {
      format: this.files.length > 0 ? 'rollout-lens-jsonl' : null,
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
