// Logged vs recomputed rewards over a whole log: what `rollout-lens check` prints and the inspector marks.
// Pure.

import type { Rollout, SourceRef } from '../model';
import type { RunContext } from '../runs/context';
import { compareRewards, loggedAsFloat32, recomputeRewards, type RewardComparison } from './recompute';
import type { ExplainTrace } from './trace';

export interface RolloutCheck {
  comparisons: RewardComparison[];
  explain: Record<string, ExplainTrace>;
  notRecomputed: string[];
}

/** Recompute the rewards of one rollout that the format and context identify, and compare with the logged ones (float32 tolerance where the log stores float32). */
export function checkRollout(r: Rollout, ctx: RunContext | null, format: string): RolloutCheck {
  const { recomputed, explain, notRecomputed } = recomputeRewards(r, ctx, format);
  const names = Object.keys(recomputed);
  const f32 = names.filter((n) => loggedAsFloat32(format, n));
  const f64 = names.filter((n) => !loggedAsFloat32(format, n));
  const pick = (ns: string[]): Record<string, number | null> => Object.fromEntries(ns.map((n) => [n, recomputed[n] ?? null]));
  const comparisons = [...compareRewards(r.rewards, pick(f64)), ...compareRewards(r.rewards, pick(f32), { float32: true })];
  comparisons.sort((a, b) => names.indexOf(a.name) - names.indexOf(b.name));
  return { comparisons, explain, notRecomputed };
}

export interface MismatchExample {
  record: number;
  file: string;
  line: number;
  unit?: 'row';
  logged: number | null;
  recomputed: number | null;
  relDiff: number | null;
}

export interface RewardCheckStats {
  /** Records where both values were there to compare. */
  compared: number;
  /** Records where the reward was identified but could not be recomputed (image size unknown …). */
  notComputable: number;
  mismatches: number;
  examples: MismatchExample[];
}

export interface LogCheck {
  target: string;
  format: string;
  records: number;
  /** Per identified reward function. */
  rewards: Record<string, RewardCheckStats>;
  /** Reward names whose definition is unknown (custom functions): never a mismatch. */
  notRecomputed: string[];
  mismatches: number;
}

/** Accumulates the checks of one log. */
export class LogCheckBuilder {
  private readonly rewards = new Map<string, RewardCheckStats>();
  private readonly notRecomputed = new Set<string>();
  private records = 0;

  constructor(
    private readonly target: string,
    private readonly format: string,
    private readonly maxExamples = 5,
  ) {}

  add(record: number, source: SourceRef, check: RolloutCheck): void {
    this.records++;
    for (const n of check.notRecomputed) this.notRecomputed.add(n);
    for (const c of check.comparisons) {
      let s = this.rewards.get(c.name);
      if (!s) this.rewards.set(c.name, (s = { compared: 0, notComputable: 0, mismatches: 0, examples: [] }));
      if (c.logged === null || c.recomputed === null) {
        if (c.recomputed === null) s.notComputable++;
        continue;
      }
      s.compared++;
      if (c.mismatch) {
        s.mismatches++;
        if (s.examples.length < this.maxExamples) {
          const ex: MismatchExample = { record, file: source.file, line: source.line, logged: c.logged, recomputed: c.recomputed, relDiff: c.relDiff };
          if (source.unit === 'row') ex.unit = 'row';
          s.examples.push(ex);
        }
      }
    }
  }

  result(): LogCheck {
    const rewards = Object.fromEntries(this.rewards);
    let mismatches = 0;
    for (const s of this.rewards.values()) mismatches += s.mismatches;
    return { target: this.target, format: this.format, records: this.records, rewards, notRecomputed: [...this.notRecomputed].sort(), mismatches };
  }
}
