import * as assert from 'assert';
import {
  buildStepTree, formatReward, groupDescription, groupStats, groupTooltip, shortGroupId, stepDescription, stepLabel, stepTooltip,
  visibleGroups, type StepTreeLog,
} from '../../extension/core/runs/stepTree';
import type { LogGroup, StepKind } from '../../extension/core/formats/log';

/** A log from per-group reward lists (null = not logged), records numbered in order. */
function makeLog(groups: { step: number; id: string; rewards: (number | null)[] }[], stepKind: StepKind = 'step', columns = true): StepTreeLog {
  const reward: number[] = [];
  const gs: LogGroup[] = groups.map((g) => ({
    step: g.step,
    groupId: g.id,
    records: g.rewards.map((r) => {
      reward.push(r === null ? NaN : r);
      return reward.length - 1;
    }),
  }));
  const steps = [...new Set(groups.map((g) => g.step))].sort((a, b) => a - b);
  return { steps, groups: gs, columns: columns ? { reward: Float64Array.from(reward) } : null, stepKind };
}

describe('step tree (Runs view aggregation)', () => {
  const log = makeLog([
    { step: 40, id: 'p0', rewards: [1, 0, 1, 0] },
    { step: 40, id: 'p1', rewards: [0.5, 0.5, 0.5, 0.5] },
    { step: 80, id: 'p2', rewards: [null, 1, null, 0] },
    { step: 80, id: 'p3', rewards: [1, 1] },
    { step: 120, id: 'p4', rewards: [null, null] },
  ]);

  it('counts groups and completions per step and averages known rewards', () => {
    const t = buildStepTree(log, 14);
    assert.strictEqual(t.records, 14);
    assert.deepStrictEqual(t.steps.map((s) => [s.step, s.stepIndex, s.groups, s.completions, s.rewarded, s.firstGroup]), [
      [40, 0, 2, 8, 8, 0],
      [80, 1, 2, 6, 4, 2],
      [120, 2, 1, 2, 0, 4],
    ]);
    assert.strictEqual(t.steps[0]!.meanReward, 0.5);
    assert.strictEqual(t.steps[1]!.meanReward, 0.75);
    assert.strictEqual(t.steps[2]!.meanReward, null);
    assert.deepStrictEqual([...t.groupsByStep.entries()], [[40, [0, 1]], [80, [2, 3]], [120, [4]]]);
  });

  it('counts groups without learning signal: all rewards known and equal, at least two', () => {
    const t = buildStepTree(log);
    assert.deepStrictEqual(t.steps.map((s) => s.zeroVarianceGroups), [1, 1, 0]);
    const single = buildStepTree(makeLog([{ step: 1, id: 'a', rewards: [1] }]));
    assert.strictEqual(single.steps[0]!.zeroVarianceGroups, 0, 'one completion is no group to compare');
  });

  it('per group: rewards, mean, std and the no-signal flag', () => {
    const g0 = groupStats(log, 0);
    assert.deepStrictEqual(g0.rewards, [1, 0, 1, 0]);
    assert.strictEqual(g0.meanReward, 0.5);
    assert.strictEqual(g0.std, 0.5);
    assert.strictEqual(g0.zeroVariance, false);
    const g1 = groupStats(log, 1);
    assert.strictEqual(g1.std, 0);
    assert.strictEqual(g1.zeroVariance, true);
    assert.strictEqual(groupDescription(g1), '4 · mean 0.50 · no signal');
    assert.strictEqual(groupDescription(g0), '4 · mean 0.50');
    const g2 = groupStats(log, 2);
    assert.deepStrictEqual(g2.rewards, [null, 1, null, 0]);
    assert.strictEqual(g2.meanReward, 0.5);
    assert.strictEqual(g2.zeroVariance, false);
    const g4 = groupStats(log, 4);
    assert.strictEqual(g4.meanReward, null);
    assert.strictEqual(g4.std, null);
    assert.strictEqual(groupDescription(g4), '2 · mean —');
    assert.match(groupTooltip(g1), /rewards: 0\.50, 0\.50, 0\.50, 0\.50/);
    assert.match(groupTooltip(g1), /no learning signal/);
    assert.match(groupTooltip(g4), /rewards: —, —/);
    assert.throws(() => groupStats(log, 99), /out of range/);
  });

  it('describes steps as the tree shows them', () => {
    const t = buildStepTree(log);
    assert.strictEqual(stepDescription(t.steps[0]!), '2 groups · 8 completions · mean reward 0.50');
    assert.strictEqual(stepDescription(t.steps[2]!), '1 group · 2 completions · mean reward —');
    assert.strictEqual(stepLabel(40, 'step'), 'step 40');
    assert.strictEqual(stepLabel(3, 'batch-ordinal'), 'batch 3');
    assert.strictEqual(stepLabel(0, 'none'), 'all completions');
    assert.match(stepTooltip(t.steps[1]!, 'step'), /4 of 6 completions have a reward/);
    assert.match(stepTooltip(t.steps[0]!, 'step'), /1 group without learning signal/);
  });

  it('works without a reward column (every reward unknown)', () => {
    const t = buildStepTree(makeLog([{ step: 1, id: 'a', rewards: [1, 1] }], 'step', false));
    assert.strictEqual(t.steps[0]!.meanReward, null);
    assert.strictEqual(t.steps[0]!.zeroVarianceGroups, 0);
  });

  it('an empty log has no steps; groups of a step not in `steps` still show', () => {
    assert.deepStrictEqual(buildStepTree(makeLog([])).steps, []);
    const odd: StepTreeLog = { steps: [], groups: [{ step: 7, groupId: 'x', records: [0] }], columns: { reward: Float64Array.from([2]) }, stepKind: 'step' };
    const t = buildStepTree(odd);
    assert.deepStrictEqual(t.steps.map((s) => [s.step, s.stepIndex, s.meanReward]), [[7, -1, 2]]);
  });

  it('formats numbers compactly', () => {
    assert.strictEqual(formatReward(0.41234), '0.41');
    assert.strictEqual(formatReward(-0.001), '0.00');
    assert.strictEqual(formatReward(null), '—');
    assert.strictEqual(formatReward(NaN), '—');
    assert.strictEqual(formatReward(12345.6), '1.235e+4');
  });

  it('shortens long group ids in the middle and caps the group list', () => {
    assert.strictEqual(shortGroupId('s1-p0'), 's1-p0');
    const long = 'a'.repeat(30) + 'MIDDLE' + 'z'.repeat(30);
    const s = shortGroupId(long, 20);
    assert.strictEqual(s.length, 20);
    assert.ok(s.startsWith('aaa') && s.endsWith('zzz') && s.includes('…'));
    assert.strictEqual(shortGroupId('  '), '(no id)');
    assert.strictEqual(shortGroupId('a\nb'), 'a b');
    const all = Array.from({ length: 250 }, (_, i) => i);
    const v = visibleGroups(all);
    assert.strictEqual(v.shown.length, 200);
    assert.strictEqual(v.more, 50);
    assert.deepStrictEqual(visibleGroups([1, 2], 200), { shown: [1, 2], more: 0 });
  });
});
