// The Runs tree's view of one log: its steps (groups, completions, mean reward) and the groups of a step
// (size, mean reward, whether all rewards are equal = no learning signal), computed from the log's reward
// column. Pure (no `vscode`): the tree adapter (features/runsTree.ts) only formats what this returns.

import type { LogColumns, LogGroup, StepKind } from '../formats/log';

/** What this module reads of a RolloutLog (a structural subset, so tests can pass plain objects). */
export interface StepTreeLog {
  readonly steps: readonly number[];
  readonly groups: readonly LogGroup[];
  readonly columns: Pick<LogColumns, 'reward'> | null;
  readonly stepKind: StepKind;
}

export interface StepStats {
  step: number;
  /** Index into `log.steps`. */
  stepIndex: number;
  groups: number;
  completions: number;
  /** Completions with a known (non-null) reward. */
  rewarded: number;
  /** Mean of the known rewards; null when there are none. */
  meanReward: number | null;
  /** Groups whose rewards are all known and equal (no learning signal). */
  zeroVarianceGroups: number;
  /** Index (into `log.groups`) of the step's first group. */
  firstGroup: number;
}

export interface GroupStats {
  groupIndex: number;
  groupId: string;
  step: number;
  size: number;
  /** Rewards in display order; null = not logged. */
  rewards: (number | null)[];
  meanReward: number | null;
  /** Population standard deviation of the known rewards; null when there are none. */
  std: number | null;
  /** At least two completions, every reward known and all equal (same rule as the whole-log summary). */
  zeroVariance: boolean;
}

/** Steps of a log with their statistics, and the group indices of each step. */
export interface StepTree {
  /** The record count the tree was built for (a growing log is rebuilt when it changes). */
  records: number;
  steps: StepStats[];
  groupsByStep: Map<number, number[]>;
}

function rewardOf(reward: Float64Array | undefined, record: number): number {
  const v = reward?.[record];
  return v === undefined || !Number.isFinite(v) ? NaN : v;
}

/** ≥ 2 completions, every reward known (finite) and all exactly equal: the group gives no learning signal. */
function noSignal(reward: Float64Array | undefined, records: readonly number[]): boolean {
  if (records.length < 2) return false;
  const first = rewardOf(reward, records[0]!);
  if (Number.isNaN(first)) return false;
  for (const r of records) if (rewardOf(reward, r) !== first) return false;
  return true;
}

/** One pass over the groups: per step, counts and mean reward (null rewards skipped). */
export function buildStepTree(log: StepTreeLog, records = 0): StepTree {
  const reward = log.columns?.reward;
  const stepIndex = new Map<number, number>();
  log.steps.forEach((s, i) => stepIndex.set(s, i));
  const acc = new Map<number, { stats: StepStats; sum: number }>();
  const groupsByStep = new Map<number, number[]>();
  log.groups.forEach((g, gi) => {
    let a = acc.get(g.step);
    if (!a) {
      a = {
        stats: {
          step: g.step, stepIndex: stepIndex.get(g.step) ?? -1, groups: 0, completions: 0, rewarded: 0, meanReward: null,
          zeroVarianceGroups: 0, firstGroup: gi,
        },
        sum: 0,
      };
      acc.set(g.step, a);
      groupsByStep.set(g.step, []);
    }
    groupsByStep.get(g.step)!.push(gi);
    a.stats.groups++;
    a.stats.completions += g.records.length;
    for (const r of g.records) {
      const v = rewardOf(reward, r);
      if (!Number.isNaN(v)) {
        a.sum += v;
        a.stats.rewarded++;
      }
    }
    if (noSignal(reward, g.records)) a.stats.zeroVarianceGroups++;
  });
  const steps: StepStats[] = [];
  // in the log's step order; steps without groups (should not happen) are left out
  const order = [...log.steps, ...[...acc.keys()].filter((s) => !stepIndex.has(s)).sort((x, y) => x - y)];
  for (const s of order) {
    const a = acc.get(s);
    if (!a) continue;
    a.stats.meanReward = a.stats.rewarded > 0 ? a.sum / a.stats.rewarded : null;
    steps.push(a.stats);
  }
  return { records, steps, groupsByStep };
}

export function groupStats(log: StepTreeLog, groupIndex: number): GroupStats {
  const g = log.groups[groupIndex];
  if (!g) throw new Error(`group ${groupIndex} is out of range (the log has ${log.groups.length})`);
  const reward = log.columns?.reward;
  const rewards = g.records.map((r) => {
    const v = rewardOf(reward, r);
    return Number.isNaN(v) ? null : v;
  });
  const known = rewards.filter((x): x is number => x !== null);
  const mean = known.length > 0 ? known.reduce((s, x) => s + x, 0) / known.length : null;
  const std = mean === null ? null : Math.sqrt(known.reduce((s, x) => s + (x - mean) ** 2, 0) / known.length);
  const zeroVariance = noSignal(reward, g.records);
  return { groupIndex, groupId: g.groupId, step: g.step, size: g.records.length, rewards, meanReward: mean, std, zeroVariance };
}

/** A number as the tree shows it: two decimals, no "-0.00". */
export function formatReward(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '—';
  const s = Math.abs(x) >= 1000 ? x.toPrecision(4) : x.toFixed(2);
  return /^-0(\.0+)?$/.test(s) ? s.slice(1) : s;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export function stepLabel(step: number, stepKind: StepKind): string {
  if (stepKind === 'batch-ordinal') return `batch ${step}`;
  if (stepKind === 'none') return 'all completions';
  return `step ${step}`;
}

/** "12 groups · 96 completions · mean reward 0.41" */
export function stepDescription(s: StepStats): string {
  return `${plural(s.groups, 'group')} · ${plural(s.completions, 'completion')} · mean reward ${formatReward(s.meanReward)}`;
}

export function stepTooltip(s: StepStats, stepKind: StepKind): string {
  const lines = [
    `${stepLabel(s.step, stepKind)}: ${plural(s.groups, 'group')}, ${plural(s.completions, 'completion')}`,
    `mean reward ${formatReward(s.meanReward)}${s.rewarded < s.completions ? ` (${s.rewarded} of ${s.completions} completions have a reward)` : ''}`,
  ];
  if (s.zeroVarianceGroups > 0) lines.push(`${plural(s.zeroVarianceGroups, 'group')} without learning signal (all rewards equal)`);
  return lines.join('\n');
}

/** "8 · mean 0.50 · no signal" */
export function groupDescription(g: GroupStats): string {
  const parts = [String(g.size), `mean ${formatReward(g.meanReward)}`];
  if (g.zeroVariance) parts.push('no signal');
  return parts.join(' · ');
}

export function groupTooltip(g: GroupStats): string {
  const lines = [
    `group ${g.groupId} (step ${g.step}, #${g.groupIndex + 1})`,
    `${plural(g.size, 'completion')}, mean reward ${formatReward(g.meanReward)}, std ${formatReward(g.std)}`,
    `rewards: ${g.rewards.map((r) => formatReward(r)).join(', ') || '—'}`,
  ];
  if (g.zeroVariance) lines.push('all rewards equal: no learning signal (advantages are 0)');
  return lines.join('\n');
}

/** A long group id (hashes, prompt keys) cut in the middle so both ends stay readable. */
export function shortGroupId(id: string, max = 32): string {
  const flat = id.replace(/\s+/g, ' ').trim() || '(no id)';
  if (flat.length <= max) return flat;
  const keep = Math.max(1, max - 1);
  const head = Math.ceil(keep * 0.6);
  return `${flat.slice(0, head)}…${flat.slice(flat.length - (keep - head))}`;
}

/** At most this many group nodes under one step; the rest is one "… N more groups" node. */
export const MAX_GROUP_NODES = 200;

/** The groups shown under a step and how many are left out. */
export function visibleGroups(all: readonly number[], max = MAX_GROUP_NODES): { shown: number[]; more: number } {
  return { shown: all.slice(0, max), more: Math.max(0, all.length - max) };
}
