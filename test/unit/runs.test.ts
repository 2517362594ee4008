import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { discoverRuns, runDirOf } from '../../extension/core/runs/discover';
import { selfTestModel } from '../../extension/core/judge/selfTestModel';

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
