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

/** Open each file, summarise it, close it. Files that cannot be read become errors (line 0). */
export async function summarizeFiles(files: string[], opts: OpenOptions = {}): Promise<Summary> {
  const logs: RolloutLensLog[] = [];
  const errors: SummaryError[] = [];
  for (const f of files) {
    try {
      logs.push(await openRolloutLensJsonl(f, opts));
    } catch (e) {
      errors.push({ file: f, line: 0, message: `cannot read: ${errorMessage(e)}`, severity: 'error' });
    }
  }
  try {
    const s = summarizeLogs(logs);
    s.errors = [...errors, ...s.errors];
    return s;
  } finally {
    for (const l of logs) l.close();
  }
}

export function summarizeLogs(logs: RolloutLensLog[]): Summary {
  const steps = new Set<number>();
  const sums = new Map<string, { sum: number; count: number }>();
  let records = 0;
  let groups = 0;
  let zeroVarianceGroups = 0;
  const errors: SummaryError[] = [];
  for (const log of logs) {
    records += log.recordCount;
    groups += log.groups.length;
    for (const s of log.steps) steps.add(s);
    for (const [name, col] of log.columns.rewards) {
      const acc = sums.get(name) ?? { sum: 0, count: 0 };
      for (let i = 0; i < col.length; i++) {
        if (!Number.isNaN(col[i])) {
          acc.sum += col[i];
          acc.count++;
        }
      }
      sums.set(name, acc);
    }
    for (const g of log.groups) if (hasZeroVariance(g.records, log.columns.reward)) zeroVarianceGroups++;
    for (const i of log.issues) errors.push({ file: i.file, line: i.line, message: i.message, severity: i.severity });
  }
  const rewards: Summary['rewards'] = {};
  for (const [name, { sum, count }] of sums) if (count > 0) rewards[name] = { mean: sum / count, count };
  let range: StepRange | null = null;
  if (steps.size > 0) {
    let min = Infinity;
    let max = -Infinity;
    for (const s of steps) {
      if (s < min) min = s;
      if (s > max) max = s;
    }
    range = { min, max, count: steps.size };
  }
  return {
    format: logs.length > 0 ? 'rollout-lens-jsonl' : null,
    files: logs.map((l) => l.file),
    records,
    groups,
    zeroVarianceGroups,
    steps: range,
    rewards,
    errors,
  };
}

/** True for groups of ≥ 2 records whose (known) total rewards are all equal. */
export function hasZeroVariance(records: readonly number[], reward: Float64Array): boolean {
  if (records.length < 2) return false;
  const first = reward[records[0]];
  if (Number.isNaN(first)) return false;
  for (const r of records) if (reward[r] !== first) return false;
  return true;
}
