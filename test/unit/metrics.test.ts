import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { FIXTURES, tempDir } from './helpers';
import {
  canonicalSeries,
  findMetricFiles,
  flattenMetrics,
  readEasyR1ExperimentLog,
  readRunMetrics,
  readTrainerState,
  readVerlFileLogger,
  rewardFunctionOf,
  sniffVerlFileLogger,
  type MetricRow,
} from '../../extension/core/formats/metrics';

const CTX = path.join(FIXTURES, 'context');

/** 1-based lines on which `needle` starts, in order. */
function linesOf(file: string, needle: string): number[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l, i) => (l.trim() === needle ? i + 1 : 0))
    .filter((n) => n > 0);
}

describe('metrics: trainer_state.json', () => {
  it('TRL: log_history rows with their lines, the train summary apart, global_step', async () => {
    const file = path.join(CTX, 'trl-run', 'checkpoint-2', 'trainer_state.json');
    const st = await readTrainerState(file);
    assert.deepEqual(st.issues, []);
    assert.equal(st.globalStep, 2);
    assert.equal(st.maxSteps, 2);
    assert.deepEqual(st.logHistory.map((r) => r.step), [1, 2]);
    assert.equal(st.rows, st.logHistory);
    assert.deepEqual(st.logHistory.map((r) => r.line), linesOf(file, '{').slice(1, 3)); // the entries' opening braces
    assert.equal(st.logHistory[0].metrics['rewards/iou_reward/mean'], 0.6406);
    assert.equal(st.logHistory[0].metrics.step, undefined);
    assert.deepEqual(st.trainSummary, { epoch: 0.0008, total_flos: 0, train_loss: 0.0119, train_runtime: 83.4, train_samples_per_second: 0.767, train_steps_per_second: 0.024 });
    assert.deepEqual(st.evalRows, []);
  });

  it('TRL ≥ 0.17 and VLM-R1 names map onto the same canonical series', async () => {
    const trl = canonicalSeries((await readTrainerState(path.join(CTX, 'trl-run', 'checkpoint-2', 'trainer_state.json'))).rows);
    assert.deepEqual(trl.reward, [[1, 1.2031], [2, 1.2031]]);
    assert.deepEqual(trl.reward_std, [[1, 0.4418], [2, 0.4418]]);
    assert.deepEqual(trl.frac_reward_zero_std, [[1, 0.125], [2, 0.125]]);
    assert.deepEqual(trl.completion_length, [[1, 131.25], [2, 131.25]]);
    assert.deepEqual(trl.kl, [[1, 0], [2, 0.00041]]);
    assert.deepEqual(trl['rewards/iou_reward'], [[1, 0.6406], [2, 0.6406]]);
    assert.deepEqual(trl['rewards/format_reward_rec'], [[1, 0.5625], [2, 0.5625]]);
    assert.equal(trl['rewards/iou_reward/std'], undefined);
    const vlm = canonicalSeries((await readTrainerState(path.join(CTX, 'vlm-r1-run', 'checkpoint-100', 'trainer_state.json'))).rows);
    assert.deepEqual(vlm.completion_length, [[1, 118.5]]);
    assert.deepEqual(vlm['rewards/iou_reward'], [[1, 0.6406]]);
    assert.deepEqual(vlm.reward_std, [[1, 0.3952]]);
  });

  it('NaN from Python json, eval rows, entries without a step, broken JSON', async () => {
    const dir = tempDir('rl-metrics-');
    const f = path.join(dir, 'trainer_state.json');
    fs.writeFileSync(
      f,
      '{\n  "global_step": 3,\n  "log_history": [\n    {"loss": NaN, "reward": 0.5, "step": 1},\n    {"eval_loss": 0.3, "eval_runtime": 2.0, "step": 2},\n    {"loss": 0.1},\n    "oops",\n    {"loss": 0.2, "reward": 0.7, "step": 3}\n  ]\n}\n',
    );
    const st = await readTrainerState(f);
    assert.deepEqual(st.logHistory.map((r) => [r.step, r.metrics]), [[1, { reward: 0.5 }], [3, { loss: 0.2, reward: 0.7 }]]);
    assert.deepEqual(st.evalRows.map((r) => [r.step, r.line]), [[2, 5]]);
    assert.deepEqual(st.issues.map((i) => [i.line, i.severity]), [[0, 'warning'], [6, 'error'], [7, 'error']]);
    assert.match(st.issues[1].message, /log_history\[2\] has no numeric step/);
    assert.equal(st.trainSummary, null);

    fs.writeFileSync(f, '{\n  "global_step": 3,\n  "log_history": [\n    {"loss": 0.1, "step": 1},\n    {"loss" 0.2}\n  ]\n}\n');
    const bad = await readTrainerState(f);
    assert.equal(bad.issues.length, 1);
    assert.equal(bad.issues[0].line, 5);
    assert.match(bad.issues[0].message, /not valid JSON/);
    const missing = await readTrainerState(path.join(dir, 'nope.json'));
    assert.match(missing.issues[0].message, /cannot read/);
  });
});

describe('metrics: verl and EasyR1 file loggers', () => {
  it('verl {"step", "data"} lines; bad lines are issues with their line', async () => {
    const file = path.join(CTX, 'verl-run', 'metrics.jsonl');
    const m = await readVerlFileLogger(file);
    assert.deepEqual(m.rows.map((r) => [r.step, r.line]), [[1, 1], [2, 2], [4, 5]]);
    assert.deepEqual(m.issues.map((i) => [i.line, i.severity]), [[3, 'error'], [4, 'error'], [0, 'warning']]);
    assert.match(m.issues[1].message, /no numeric step/);
    assert.equal(m.rows[1].metrics['actor/pg_loss'], undefined); // NaN is missing, not 0
    const s = canonicalSeries(m.rows);
    assert.deepEqual(s.reward, [[1, 0.42], [2, 0.47], [4, 0.55]]);
    assert.deepEqual(s.completion_length, [[1, 301.5], [2, 296], [4, 280.25]]);
    assert.deepEqual(s.kl, [[1, 0], [2, 0.0012], [4, 0.002]]);
    assert.deepEqual(s.entropy, [[1, 0.61], [2, 0.6]]);
    assert.deepEqual(s.completion_clipped_ratio, [[1, 0.01], [2, 0]]);
    assert.deepEqual(s.loss, [[1, -0.003]]);
  });

  it('EasyR1 experiment_log.jsonl: nested keys flattened with "/", reward/<name> per function', async () => {
    const file = path.join(CTX, 'easyr1-run', 'experiment_log.jsonl');
    const m = await readEasyR1ExperimentLog(file);
    assert.deepEqual(m.rows.map((r) => r.step), [1, 2, 4]);
    assert.deepEqual(m.issues.map((i) => i.line), [3, 4]);
    assert.equal(m.rows[0].metrics['critic/advantages/max'], 1.49);
    assert.equal(m.rows[0].metrics['reward/overall'], 0.63);
    const s = canonicalSeries(m.rows);
    assert.deepEqual(s.reward, [[1, 0.63], [2, 0.68], [4, 0.71]]);
    assert.deepEqual(s['rewards/accuracy'], [[1, 0.64], [2, 0.7], [4, 0.72]]);
    assert.deepEqual(s['rewards/format'], [[1, 0.56], [2, 0.6], [4, 0.62]]);
    assert.equal(s['rewards/overall'], undefined);
    assert.deepEqual(s.completion_length, [[1, 131.2], [2, 128.4]]);
    assert.deepEqual(s.kl, [[1, 0.0004], [2, 0.0009]]);
  });
});

describe('metrics: finding and merging', () => {
  it('findMetricFiles: bounded, sniffed, latest checkpoint only', () => {
    const rel = (dir: string): Array<[string, string]> => findMetricFiles(path.join(CTX, dir)).map((r) => [path.relative(path.join(CTX, dir), r.file).split(path.sep).join('/'), r.kind]);
    assert.deepEqual(rel('trl-run'), [['checkpoint-2/trainer_state.json', 'trainer-state']]);
    assert.deepEqual(rel('verl-run'), [['metrics.jsonl', 'verl-file-logger']]); // rollout_data/4.jsonl is a rollout dump
    assert.deepEqual(rel('easyr1-run'), [['experiment_log.jsonl', 'easyr1-experiment-log']]);
    assert.deepEqual(findMetricFiles(path.join(CTX, 'no-such-run')), []);
    assert.equal(sniffVerlFileLogger('{"step": 3, "data": {"a": 1}}\n'), true);
    assert.equal(sniffVerlFileLogger('{"input": "x", "output": "y", "step": 3}\n'), false);
  });

  it('readRunMetrics: the fullest trainer_state.json (run folder vs checkpoint) is used', async () => {
    const dir = tempDir('rl-metrics-run-');
    const state = (steps: number[]): string =>
      JSON.stringify({ global_step: steps[steps.length - 1], log_history: steps.map((s) => ({ reward: s / 10, step: s })) });
    fs.mkdirSync(path.join(dir, 'checkpoint-2'));
    fs.mkdirSync(path.join(dir, 'checkpoint-10'));
    fs.writeFileSync(path.join(dir, 'checkpoint-2', 'trainer_state.json'), state([1, 2]));
    fs.writeFileSync(path.join(dir, 'checkpoint-10', 'trainer_state.json'), state([1, 2, 3, 4]));
    fs.writeFileSync(path.join(dir, 'trainer_state.json'), state([1, 2, 3, 4, 5, 6]));
    const r = await readRunMetrics(dir);
    assert.deepEqual(r.files.map((f) => path.relative(dir, f.file)), [path.join('checkpoint-10', 'trainer_state.json'), 'trainer_state.json']);
    assert.deepEqual(r.series.reward.map((p) => p[0]), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(r.issues, []);
  });

  it('rewardFunctionOf and flattenMetrics', () => {
    assert.deepEqual(
      ['rewards/iou_reward/mean', 'rewards/iou_reward/std', 'rewards/accuracy_reward', 'reward/format', 'reward/overall', 'train/rewards/x/mean', 'reward', 'critic/score/mean'].map(rewardFunctionOf),
      ['iou_reward', null, 'accuracy_reward', 'format', null, 'x', null, null],
    );
    assert.deepEqual(flattenMetrics({ a: { b: 1, c: { d: 2 } }, e: 'x', f: true, g: [1, 2], h: NaN }), { 'a/b': 1, 'a/c/d': 2, f: 1 });
  });

  it('property: canonical series are sorted by step and keep the last value of a repeated step', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.double({ noNaN: true, noDefaultInfinity: true })), { maxLength: 60 }), (pairs) => {
        const rows: MetricRow[] = pairs.map(([step, v]) => ({ step, metrics: { reward: v, 'rewards/acc/mean': v } }));
        const s = canonicalSeries(rows);
        const expected = new Map<number, number>();
        for (const [step, v] of pairs) expected.set(step, v);
        const want = [...expected.entries()].sort((a, b) => a[0] - b[0]);
        assert.deepEqual(s.reward ?? [], want);
        assert.deepEqual(s['rewards/acc'] ?? [], want);
      }),
    );
  });
});
