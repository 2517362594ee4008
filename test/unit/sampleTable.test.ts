import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateDemoWorkspace, MAX_COMPLETION_TOKENS, RUN_NAME } from '../../extension/demo/generate';
import { openRolloutLensJsonl, type RolloutLensLog } from '../../extension/core/formats/rolloutLensJsonl';
import { SampleTable, rewardAliases, textFieldValue } from '../../extension/core/table/sampleTable';
import { binSpec, metricSeries, overviewView, pendingRolloutKeys, rolloutSeries, stepStats } from '../../extension/core/table/overview';
import { hash32 } from '../../extension/core/table/derive';
import { tempDir, writeLines } from './helpers';

interface DemoRec {
  step: number;
  group_id: string;
  index_in_group: number;
  completion: string;
  rewards: { accuracy: number; format: number; iou: number };
  reward: number;
  advantage: number;
  extra: { completion_tokens: number; truncated: boolean };
  verdict?: { label: string };
  sample_id: string;
}

const close = (a: number, b: number, eps = 1e-9): boolean => Math.abs(a - b) <= eps * Math.max(1, Math.abs(a), Math.abs(b));

describe('SampleTable on the demo log', function () {
  this.timeout(60000);
  let dir: string;
  let logFile: string;
  let runDir: string;
  let log: RolloutLensLog;
  let recs: DemoRec[];
  let table: SampleTable;
  const progress: Array<[number, number]> = [];

  before(async () => {
    dir = tempDir('rollout-lens-table-');
    const res = generateDemoWorkspace(dir, { steps: 8, prompts: 4, groupSize: 4, frameworks: false });
    logFile = res.logFile;
    runDir = path.join(res.outDir, 'runs', RUN_NAME);
    recs = fs.readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as DemoRec);
    log = await openRolloutLensJsonl(logFile, { columns: true });
    table = SampleTable.fromLog(log);
  });
  after(() => {
    log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('has one row per record and the base columns at once', () => {
    assert.equal(table.rowCount, recs.length);
    assert.equal(table.rowCount, 8 * 4 * 4);
    const reward = table.numeric('reward')!;
    const step = table.numeric('step')!;
    const index = table.numeric('index')!;
    const group = table.numeric('group')!;
    recs.forEach((r, i) => {
      assert.equal(reward[i], r.reward);
      assert.equal(step[i], r.step);
      assert.equal(index[i], r.index_in_group);
      assert.equal(log.groups[group[i]!]!.groupId, r.group_id);
    });
    assert.deepEqual([...table.numeric('record')!.subarray(0, 3)], [0, 1, 2]);
    assert.equal(table.numeric('advantage')![5], recs[5]!.advantage);
  });

  it('names the reward fields by their logged names, renames one that collides and adds aliases', () => {
    const f = table.fields();
    const names = f.map((x) => x.name);
    assert.ok(names.includes('accuracy'));
    assert.ok(names.includes('format'));
    // the demo logs a reward named "iou": the computed IoU keeps `iou`, the reward becomes `iou_reward`
    assert.ok(names.includes('iou_reward'));
    assert.equal(names.filter((n) => n === 'iou').length, 1);
    assert.equal(f.find((x) => x.name === 'iou')!.type, 'number');
    assert.deepEqual(table.rewardColumn('iou'), table.numeric('iou_reward'));
    assert.deepEqual(
      f.filter((x) => x.text).map((x) => x.name),
      ['text', 'prompt', 'answer'],
    );
    assert.equal(table.numeric('text'), null);
    assert.equal(table.strings('text'), null);
    assert.equal(table.numeric('nope'), null);
    for (const x of f) assert.ok(x.description.length > 0, x.name);
  });

  it('marks derived fields not ready before the scan, base fields ready', () => {
    assert.equal(table.ready('reward'), true);
    assert.equal(table.ready('accuracy'), true);
    assert.equal(table.ready('zero_std'), true);
    for (const n of ['iou', 'length', 'truncated', 'mismatch', 'boxes', 'degenerate', 'correct', 'verdict', 'sample_id']) assert.equal(table.ready(n), false, n);
    assert.equal(table.fieldInfos().find((x) => x.name === 'length')!.ready, false);
    assert.ok(Number.isNaN(table.numeric('length')![0]!));
    // correctness is prefilled from the accuracy column
    assert.equal(table.numeric('correct')![0], recs[0]!.rewards.accuracy >= 0.5 ? 1 : 0);
    const pend = pendingRolloutKeys(table);
    assert.deepEqual(pend!.keys, ['completion_length', 'iou', 'completion_clipped_ratio']);
    assert.equal(pend!.progress, 0);
    assert.ok(!rolloutSeries(table, log).some((s) => s.key === 'completion_length'));
  });

  it('recurrences are empty before the scan has read a group', () => {
    assert.deepEqual(table.recurrences(0), []);
  });

  it('stops cleanly on abort and goes on from there later', async () => {
    const ac = new AbortController();
    const res = await table.scan(log, {
      chunk: 10,
      signal: ac.signal,
      onProgress: (d) => {
        if (d >= 20) ac.abort();
      },
    });
    assert.deepEqual(res, { complete: false, scanned: 20 });
    assert.equal(table.scanned, 20);
    assert.equal(table.ready('iou'), false);
    assert.ok(!Number.isNaN(table.numeric('length')![19]!));
    assert.ok(Number.isNaN(table.numeric('length')![20]!));
  });

  it('fills every derived column and flips ready when done', async () => {
    const p = table.scan(log, { chunk: 50, onProgress: (d, t) => progress.push([d, t]) });
    assert.equal(table.scan(log), p, 'a second call while scanning returns the running scan');
    const res = await p;
    assert.deepEqual(res, { complete: true, scanned: recs.length });
    assert.deepEqual(progress.at(-1), [recs.length, recs.length]);
    assert.equal(progress[0]![0], 70);
    for (const f of table.fieldInfos()) assert.equal(f.ready, true, f.name);
    assert.equal(pendingRolloutKeys(table), null);

    const len = table.numeric('length')!;
    const trunc = table.numeric('truncated')!;
    const correct = table.numeric('correct')!;
    const iou = table.numeric('iou')!;
    const boxes = table.numeric('boxes')!;
    const mismatch = table.numeric('mismatch')!;
    const verdict = table.strings('verdict')!;
    const logVerdict = table.strings('verdict_log')!;
    const ruleVerdicts = table.strings('verdict_rules')!;
    const sample = table.strings('sample_id')!;
    let truncated = 0;
    let iouClose = 0;
    recs.forEach((r, i) => {
      assert.equal(len[i], r.extra.completion_tokens);
      assert.equal(trunc[i], r.extra.truncated ? 1 : 0);
      if (r.extra.truncated) truncated++;
      assert.equal(correct[i], r.rewards.accuracy >= 0.5 ? 1 : 0);
      assert.equal(logVerdict.codes[i], -1, 'the demo log has no verdicts of its own');
      // auto: the log has none, so the rules' verdict shows
      assert.equal(verdict.codes[i], ruleVerdicts.codes[i]);
      assert.ok(verdict.codes[i]! >= 0);
      assert.equal(sample.dict[sample.codes[i]!], r.sample_id);
      assert.ok(!Number.isNaN(iou[i]!), 'every demo record has GT boxes');
      if (Math.abs(iou[i]! - r.rewards.iou) < 2e-4) iouClose++;
      assert.ok(boxes[i]! >= 0);
      assert.equal(mismatch[i] === 0 || mismatch[i] === 1, true);
    });
    assert.equal(truncated, 3, 'the demo writes three truncated completions');
    // the demo's iou reward is the same definition (mean over GT of the best IoU), rounded to 4 decimals
    assert.equal(iouClose, recs.length);
    assert.equal(table.lengthUnit, 'tokens');
    assert.equal(table.correctBy, 'accuracy ≥ 0.5');
    const max = Math.max(...recs.map((r) => r.extra.completion_tokens));
    assert.equal(max, MAX_COMPLETION_TOKENS);
  });

  it('zero_std marks the records of groups whose rewards are all equal', () => {
    const z = table.numeric('zero_std')!;
    const byGroup = new Map<string, number[]>();
    for (const r of recs) byGroup.set(`${r.step}/${r.group_id}`, [...(byGroup.get(`${r.step}/${r.group_id}`) ?? []), r.reward]);
    let zeroGroups = 0;
    recs.forEach((r, i) => {
      const rs = byGroup.get(`${r.step}/${r.group_id}`)!;
      assert.equal(z[i], rs.every((x) => x === rs[0]) ? 1 : 0);
    });
    for (const rs of byGroup.values()) if (rs.every((x) => x === rs[0])) zeroGroups++;
    assert.ok(zeroGroups >= 3, 'the demo has all-fail and all-pass groups');
  });

  it('finds a prompt again at every other step', () => {
    const g0 = log.groups[0]!;
    const rec = table.recurrences(0);
    assert.equal(rec.length, 7);
    assert.deepEqual(rec.map((x) => x.step), [2, 3, 4, 5, 6, 7, 8]);
    const sampleOf = (gi: number): string => recs[log.groups[gi]!.records[0]!]!.sample_id;
    for (const x of rec) {
      assert.equal(sampleOf(x.groupIndex), sampleOf(0));
      const rs = log.groups[x.groupIndex]!.records.map((r) => recs[r]!.reward);
      assert.ok(close(x.meanReward!, rs.reduce((a, b) => a + b, 0) / rs.length));
    }
    assert.equal(g0.step, 1);
    assert.deepEqual(table.recurrences(9999), []);
  });

  it('gives sample rows for the list', () => {
    const rows = table.sampleRows(Uint32Array.from([5, 0, 9999, 7]), 0, 10);
    assert.equal(rows.length, 3);
    const r = rows[0]!;
    const src = recs[5]!;
    assert.equal(r.recordIndex, 5);
    assert.equal(r.step, src.step);
    assert.equal(r.indexInGroup, src.index_in_group);
    assert.equal(r.reward, src.reward);
    assert.deepEqual(r.rewards, { accuracy: src.rewards.accuracy, format: src.rewards.format, iou: src.rewards.iou });
    assert.equal(r.length, src.extra.completion_tokens);
    assert.equal(r.truncated, src.extra.truncated);
    assert.equal(r.verdict, table.strings('verdict_rules')!.dict[table.strings('verdict_rules')!.codes[5]!]);
    assert.deepEqual(table.sampleRows(Uint32Array.from([1, 2, 3]), 1, 1).map((x) => x.recordIndex), [2]);
  });

  it('computes the rollout curves per step (checked by hand)', () => {
    const series = rolloutSeries(table, log);
    const get = (k: string) => series.find((s) => s.key === k)!;
    for (const s of series) assert.equal(s.source, 'rollouts');
    const steps = [...new Set(recs.map((r) => r.step))].sort((a, b) => a - b);
    for (const st of steps) {
      const rs = recs.filter((r) => r.step === st);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const m = mean(rs.map((r) => r.reward));
      const sd = Math.sqrt(rs.reduce((a, r) => a + (r.reward - m) ** 2, 0) / (rs.length - 1));
      const at = (k: string) => get(k).points.find((p) => p[0] === st)![1];
      assert.ok(close(at('reward'), m), `reward at ${st}`);
      assert.ok(close(at('reward_std'), sd, 1e-7), `std at ${st}`);
      assert.ok(close(at('rewards/accuracy'), mean(rs.map((r) => r.rewards.accuracy))));
      assert.ok(close(at('rewards/iou'), mean(rs.map((r) => r.rewards.iou))));
      assert.ok(close(at('advantage_mean'), mean(rs.map((r) => r.advantage))));
      assert.ok(close(at('correct_rate'), mean(rs.map((r) => (r.rewards.accuracy >= 0.5 ? 1 : 0)))));
      assert.ok(close(at('completion_length'), mean(rs.map((r) => r.extra.completion_tokens))));
      assert.ok(close(at('completion_clipped_ratio'), mean(rs.map((r) => (r.extra.truncated ? 1 : 0)))));
      const groups = new Map<string, number[]>();
      for (const r of rs) groups.set(r.group_id, [...(groups.get(r.group_id) ?? []), r.reward]);
      const zero = [...groups.values()].filter((g) => g.every((x) => x === g[0])).length;
      assert.ok(close(at('frac_reward_zero_std'), zero / groups.size));
    }
    assert.equal(get('completion_length').label, 'completion length (tokens)');
    assert.ok(get('iou'));
  });

  it('gives step statistics: fixed bins, nulls, k of G and zero-std kinds', () => {
    const s1 = stepStats(table, log, 1);
    assert.equal(s1.step, 1);
    assert.equal(s1.records, 16);
    assert.equal(s1.groups, 4);
    assert.deepEqual(s1.histograms.map((h) => h.name), ['reward', 'accuracy', 'format', 'iou']);
    const acc = s1.histograms.find((h) => h.name === 'accuracy')!;
    assert.deepEqual(acc.bins.map((b) => [b.lo, b.hi]), [[0, 0], [1, 1]]);
    const rs1 = recs.filter((r) => r.step === 1);
    assert.deepEqual(acc.bins.map((b) => b.count), [rs1.filter((r) => r.rewards.accuracy === 0).length, rs1.filter((r) => r.rewards.accuracy === 1).length]);
    assert.equal(acc.nulls, 0);
    const rew = s1.histograms[0]!;
    assert.ok(rew.bins.length <= 20);
    assert.equal(rew.bins.reduce((a, b) => a + b.count, 0), 16);
    // the same bins at another step: comparable bars
    const s8 = stepStats(table, log, 8);
    assert.deepEqual(s8.histograms[0]!.bins.map((b) => [b.lo, b.hi]), rew.bins.map((b) => [b.lo, b.hi]));
    // k of G
    assert.ok(s1.kOfG);
    assert.equal(s1.kOfG!.g, 4);
    assert.equal(s1.kOfG!.counts.length, 5);
    assert.equal(s1.kOfG!.counts.reduce((a, b) => a + b, 0), 4);
    const byGroup = new Map<string, number>();
    for (const r of rs1) byGroup.set(r.group_id, (byGroup.get(r.group_id) ?? 0) + (r.rewards.accuracy >= 0.5 ? 1 : 0));
    const expect = [0, 0, 0, 0, 0];
    for (const k of byGroup.values()) expect[k]!++;
    assert.deepEqual(s1.kOfG!.counts, expect);
    assert.equal(s1.kOfG!.correctBy, 'accuracy ≥ 0.5');
    // step 1 holds a collapsed group (every completion scores 0): all-fail
    assert.ok(s1.zeroStd['all-fail'] >= 1);
    const s7 = stepStats(table, log, 7);
    const s8z = s8.zeroStd;
    assert.ok(s7.zeroStd['all-pass'] + s8z['all-pass'] >= 1, 'converged groups at the end are all-pass');
    assert.equal(stepStats(table, log, 999).records, 0);
  });

  it('reads the run metric curves from trainer_state.json', async () => {
    const m = await metricSeries(runDir);
    assert.deepEqual(m.files, ['checkpoint-200/trainer_state.json']);
    const kl = m.series.find((s) => s.key === 'kl')!;
    assert.equal(kl.label, 'KL');
    assert.equal(kl.source, 'trainer_state.json');
    assert.ok(kl.points.length > 100);
    assert.ok(m.series.some((s) => s.key === 'rewards/accuracy' && s.label === 'accuracy (mean)'));
    assert.ok(m.series.some((s) => s.key === 'completion_length'));
    assert.deepEqual(m.issues, []);
    const ov = overviewView(table, log, m);
    assert.equal(ov.stepKind, 'step');
    assert.equal(ov.pending, null);
    assert.ok(ov.series.some((s) => s.source === 'rollouts') && ov.series.some((s) => s.source === 'trainer_state.json'));
    const none = await metricSeries(path.join(dir, 'no-such-run'));
    assert.deepEqual(none, { series: [], files: [], issues: [] });
  });
});

describe('SampleTable on hand-written logs', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('rollout-lens-table-hand-');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const line = (step: number, g: string, i: number, completion: string, rewards: Record<string, number | null>, extra: Record<string, unknown> = {}) => ({
    step,
    group_id: g,
    index_in_group: i,
    prompt: { text: `prompt ${g}` },
    completion,
    rewards,
    extra,
  });

  it('aliases reward names and skips aliases that collide', () => {
    assert.deepEqual(rewardAliases('format_reward'), ['format']);
    assert.deepEqual(rewardAliases('rewards/iou_reward'), ['rewards_iou_reward', 'iou_reward', 'iou']);
    assert.deepEqual(rewardAliases('accuracy'), []);
  });

  it('builds fields from rewards like format_reward / accuracy_reward / rewards/iou_reward', async () => {
    const file = path.join(dir, 'a.rollouts.jsonl');
    writeLines(file, [
      line(0, 'a', 0, '<answer>1</answer>', { format_reward: 1, accuracy_reward: 1, 'rewards/iou_reward': 0.5, format: 0 }),
      line(0, 'a', 1, '<answer>2</answer>', { format_reward: 1, accuracy_reward: 0, 'rewards/iou_reward': 0.25, format: 0 }),
    ]);
    const log = await openRolloutLensJsonl(file, { columns: true });
    try {
      const t = SampleTable.fromLog(log);
      const f = t.fields();
      const def = (n: string) => f.find((x) => x.name === n);
      // `format` is itself a logged name: format_reward gets no alias `format`
      assert.deepEqual(def('format_reward')!.aliases, undefined);
      assert.deepEqual(def('accuracy_reward')!.aliases, ['accuracy']);
      // `iou` is the computed IoU field: not an alias
      assert.deepEqual(def('rewards/iou_reward')!.aliases, ['rewards_iou_reward', 'iou_reward']);
      assert.deepEqual([...t.numeric('iou_reward')!], [0.5, 0.25]);
      assert.deepEqual([...t.numeric('accuracy')!], [1, 0]);
      assert.equal(t.resolve('accuracy'), 'accuracy_reward');
      assert.equal(t.ready('accuracy'), true);
      assert.deepEqual([...t.numeric('correct')!], [1, 0]);
    } finally {
      log.close();
    }
  });

  it('takes in appended records and scans on from where it stopped', async () => {
    const file = path.join(dir, 'grow.rollouts.jsonl');
    writeLines(file, [line(0, 'a', 0, '<answer>1</answer>', { accuracy: 1 }), line(0, 'a', 1, '<answer>1</answer>', { accuracy: 1 })]);
    const log = await openRolloutLensJsonl(file, { columns: true });
    try {
      const t = SampleTable.fromLog(log);
      await t.scan(log);
      assert.equal(t.ready('length'), true);
      assert.deepEqual([...t.numeric('zero_std')!], [1, 1]);
      fs.appendFileSync(
        file,
        [line(0, 'a', 2, '<answer>2</answer>', { accuracy: 0 }), line(1, 'b', 0, '<think>long', { accuracy: 0 }, { completion_tokens: 7 })]
          .map((l) => JSON.stringify(l))
          .join('\n') + '\n',
      );
      const r = await log.refresh();
      assert.equal(r.added, 2);
      const g = t.grow(log);
      assert.deepEqual(g, { added: 2, reset: false });
      assert.equal(t.rowCount, 4);
      assert.equal(t.ready('length'), false);
      assert.equal(t.scanned, 2);
      assert.deepEqual([...t.numeric('zero_std')!], [0, 0, 0, 0], 'group a now has a reward of 0');
      assert.deepEqual([...t.numeric('group')!], [0, 0, 0, 1]);
      const seen: number[] = [];
      await t.scan(log, { chunk: 1, onProgress: (d) => seen.push(d) });
      assert.deepEqual(seen, [3, 4]);
      assert.deepEqual([...t.numeric('length')!], [18, 18, 18, 7]);
      assert.deepEqual([...t.numeric('truncated')!], [0, 0, 0, 1]);
      assert.equal(t.lengthUnit, 'mixed');
      // a reset re-scans from the first record
      assert.deepEqual(t.grow(log, { reset: true }), { added: 4, reset: true });
      assert.equal(t.scanned, 0);
      assert.ok(Number.isNaN(t.numeric('length')![0]!));
    } finally {
      log.close();
    }
  });

  it('tells identical completions apart from other zero-std groups in step statistics', async () => {
    const file = path.join(dir, 'z.rollouts.jsonl');
    writeLines(file, [
      line(0, 'same', 0, 'x', { score: 0.5 }),
      line(0, 'same', 1, 'x', { score: 0.5 }),
      line(0, 'pass', 0, '<answer>1</answer>', { accuracy: 1 }),
      line(0, 'pass', 1, '<answer> 1</answer>', { accuracy: 1 }),
      line(0, 'eq', 0, 'a', { score: 0.5 }),
      line(0, 'eq', 1, 'b', { score: 0.5 }),
      line(0, 'var', 0, 'a', { score: 0 }),
      line(0, 'var', 1, 'b', { score: 1 }),
    ]);
    const log = await openRolloutLensJsonl(file, { columns: true });
    try {
      const t = SampleTable.fromLog(log);
      assert.deepEqual(stepStats(t, log, 0).zeroStd, { 'all-fail': 0, 'all-pass': 0, identical: 0, 'same-reward': 3 });
      await t.scan(log);
      const s = stepStats(t, log, 0);
      assert.deepEqual(s.zeroStd, { 'all-fail': 0, 'all-pass': 1, identical: 1, 'same-reward': 1 });
      // correctness is known only for the `pass` group
      assert.deepEqual(s.kOfG, { g: 2, counts: [0, 0, 1], correctBy: 'accuracy ≥ 0.5' });
      const score = s.histograms.find((h) => h.name === 'score')!;
      assert.deepEqual(score.bins.map((b) => [b.lo, b.count]), [[0, 1], [0.5, 4], [1, 1]]);
      assert.equal(score.nulls, 2);
      assert.equal(score.mean, 3 / 6);
      assert.equal(t.textHashOf(0), hash32('x'));
      // recurrences: groups of one step with different prompts have none
      assert.deepEqual(t.recurrences(0), []);
    } finally {
      log.close();
    }
  });

  it('bins a continuous reward into at most 20 equal bins over the whole range', () => {
    const col = Float64Array.from({ length: 101 }, (_, i) => i / 100);
    const spec = binSpec(col);
    assert.equal(spec.kind, 'range');
    if (spec.kind === 'range') assert.deepEqual([spec.lo, spec.hi, spec.bins], [0, 1, 20]);
    assert.equal(binSpec(new Float64Array([NaN])).kind, 'empty');
  });

  it('reads text fields from a rollout', () => {
    const r = { completion: 'c', prompt: { text: 'p', images: [] }, answer: 'a' } as unknown as Parameters<typeof textFieldValue>[0];
    assert.equal(textFieldValue(r, 'text'), 'c');
    assert.equal(textFieldValue(r, 'prompt'), 'p');
    assert.equal(textFieldValue(r, 'answer'), 'a');
    assert.equal(textFieldValue(r, 'reward'), null);
  });
});
