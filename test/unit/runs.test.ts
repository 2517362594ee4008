import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_RUN_GLOBS, discoverRuns, runDirOf } from '../../extension/core/runs/discover';
import { selfTestModel } from '../../extension/core/judge/selfTestModel';
import { FIXTURES } from './helpers';

describe('run discovery (fast-glob)', () => {
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-runs-'));
    const w = (p: string, s = '{}') => { fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true }); fs.writeFileSync(path.join(root, p), s); };
    w('exp/a/rollouts/train.rollouts.jsonl');
    w('exp/a/rollouts/val.rollouts.jsonl');
    w('exp/a/checkpoint-200/trainer_state.json');
    w('exp/a/checkpoint-50/trainer_state.json');
    w('exp/a/checkpoint-75/config.json');
    w('exp/b/train.rollouts.jsonl');
    w('node_modules/x/y.rollouts.jsonl');
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('groups logs into runs and lists checkpoints by step', async () => {
    const runs = await discoverRuns(root, ['**/*.rollouts.jsonl']);
    assert.deepStrictEqual(runs.map((r) => r.name), ['a', 'b']);
    const a = runs[0]!;
    assert.deepStrictEqual(a.logs.map((f) => path.basename(f.target)), ['train.rollouts.jsonl', 'val.rollouts.jsonl']);
    assert.deepStrictEqual(a.checkpoints.map((c) => [c.step, c.hasTrainerState]), [[50, true], [75, false], [200, true]]);
    assert.deepStrictEqual(runs[1]!.checkpoints, []);
  });

  it('honours the user globs and ignores node_modules', async () => {
    const runs = await discoverRuns(root, ['exp/b/*.jsonl']);
    assert.deepStrictEqual(runs.map((r) => r.name), ['b']);
    const all = await discoverRuns(root, ['**/*.jsonl']);
    assert.ok(all.every((r) => !r.dir.includes('node_modules')));
  });

  it('treats rollouts/ completions/ logs/ folders as inside the run', () => {
    assert.strictEqual(runDirOf(path.join('/r', 'run1', 'completions', 'c.jsonl')), path.join('/r', 'run1'));
    assert.strictEqual(runDirOf(path.join('/r', 'run1', 'c.jsonl')), path.join('/r', 'run1'));
  });
});

describe('run discovery: checkpoints with evals', () => {
  const compareRoot = path.join(FIXTURES, 'compare');
  const run = path.join(compareRoot, 'run');
  const rel = (p: string): string => path.relative(run, p).split(path.sep).join('/');

  it('lists every checkpoint with evals, eval-only ones included; the eval logs outside checkpoint folders stay logs of the run', async () => {
    const runs = await discoverRuns(compareRoot, DEFAULT_RUN_GLOBS);
    assert.deepStrictEqual(runs.map((r) => r.dir), [run]);
    const r = runs[0]!;
    assert.deepStrictEqual(r.logs.map((l) => [rel(l.target), l.format]), [['logs/rec_results_refcoco_run_300.json', 'r1v-eval-json']]);
    assert.deepStrictEqual(
      r.checkpoints.map((c) => [c.step, rel(c.dir), c.hasTrainerState, c.evalOnly ?? false, (c.evals ?? []).map((e) => path.basename(e.path))]),
      [
        [50, 'eval/checkpoint-50', false, true, ['ds-a.eval.jsonl']],
        [100, 'checkpoint-100', true, false, ['ds-a.eval.jsonl', 'ds-b.eval.jsonl', 'superclevr_results.json']],
        [200, 'checkpoint-200', true, false, ['ds-a.eval.jsonl', 'ds-b.eval.jsonl', 'superclevr_results.json']],
        [300, 'logs', false, true, ['rec_results_refcoco_run_300.json']],
      ],
    );
    assert.deepStrictEqual(r.checkpoints[1]!.evals!.map((e) => [e.step, e.linkedBy]), [[100, 'folder'], [100, 'folder'], [100, 'folder']]);
  });

  describe('in a temp workspace', () => {
    let root: string;
    before(() => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-runs-evals-'));
      const w = (p: string, s: string) => { fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true }); fs.writeFileSync(path.join(root, p), s); };
      const line = JSON.stringify({ sample_id: 1, completion: '<answer>1</answer>', correct: true }) + '\n';
      w('exp/c/eval/checkpoint-20/x.eval.jsonl', line);
      w('exp/c/checkpoint-40/trainer_state.json', '{}');
      w('exp/d/evals/step_7/y.eval.jsonl', line);
      w('exp/d/train.rollouts.jsonl', '{}');
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    it('a run with evals in checkpoint folders and no rollout log is a run; evals in step folders belong to the run', async () => {
      const runs = await discoverRuns(root, DEFAULT_RUN_GLOBS);
      assert.deepStrictEqual(runs.map((r) => [r.name, r.logs.map((l) => path.basename(l.target))]), [['c', []], ['d', ['y.eval.jsonl', 'train.rollouts.jsonl']]]);
      assert.deepStrictEqual(runs[0]!.checkpoints.map((c) => [c.step, path.basename(c.dir), c.evalOnly ?? false, c.evals?.length ?? 0]), [[20, 'checkpoint-20', true, 1], [40, 'checkpoint-40', false, 0]]);
      assert.deepStrictEqual(runs[1]!.checkpoints.map((c) => [c.step, path.basename(c.dir), c.evalOnly ?? false]), [[7, 'step_7', true]]);
    });
  });

  it('runDirOf walks up past step-named folders and one log folder', () => {
    const r = path.join(path.sep, 'r', 'run1');
    assert.strictEqual(runDirOf(path.join(r, 'eval', 'checkpoint-100', 'x.eval.jsonl')), r);
    assert.strictEqual(runDirOf(path.join(r, 'evals', 'step_200', 'x.json')), r);
    assert.strictEqual(runDirOf(path.join(r, 'checkpoint-100', 'x.eval.jsonl')), r);
    assert.strictEqual(runDirOf(path.join(r, 'checkpoint-100', 'eval', 'x.eval.jsonl')), r);
    assert.strictEqual(runDirOf(path.join(r, 'validation_data'), true), r);
    assert.strictEqual(runDirOf(path.join(r, 'analysis', 'x.eval.jsonl')), path.join(r, 'analysis'));
  });
});

describe('local judge runtime (onnxruntime-node, loaded lazily)', () => {
  it('runs the hand-encoded self-test model: y = x + x', async function () {
    this.timeout(20_000);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
    const session = await ort.InferenceSession.create(selfTestModel());
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3]), [3]) });
    assert.deepStrictEqual(Array.from(out['y']!.data as Float32Array), [2, 4, 6]);
  });
});
