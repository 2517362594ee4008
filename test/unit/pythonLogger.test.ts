// The Python logger (python/rollout_lens_logger.py) writes what the extension reads: a log written by it
// validates against the JSON Schema and opens with the rollout-lens JSONL reader. Also runs the Python
// unittest file. Needs `python3` on PATH: without it these tests FAIL (they do not skip).

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, makeJpeg, makePng, tempDir } from './helpers';
import { openRolloutLensJsonl } from '../../extension/core/formats/rolloutLensJsonl';

const PY_DIR = path.join(REPO_ROOT, 'python');

interface Validator {
  (data: unknown): boolean;
  errors?: unknown;
}

function loadValidator(): Validator {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('ajv/dist/2020') as { default: new (opts: object) => { compile(schema: unknown): Validator } };
  const schema = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'schema', 'rollout-lens.schema.json'), 'utf8')) as unknown;
  return new mod.default({ strict: false, allErrors: true }).compile(schema);
}

function python(args: string[], opts: { cwd?: string; input?: string } = {}): { status: number | null; out: string } {
  const r = spawnSync('python3', args, {
    cwd: opts.cwd ?? PY_DIR,
    input: opts.input,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONIOENCODING: 'utf-8', RANK: '', LOCAL_RANK: '', WORLD_SIZE: '', ROLLOUT_LENS_ALL_RANKS: '' },
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? 'python3 was not found on PATH: the Python logger tests need Python 3.8 or newer (install python3; these tests do not skip)'
        : `python3 could not be run: ${r.error.message}`,
    );
  }
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

describe('Python logger (python/rollout_lens_logger.py)', function () {
  this.timeout(60_000);

  it('python3 is available (3.8+)', () => {
    const r = python(['-c', 'import sys; print("%d.%d" % sys.version_info[:2]); assert sys.version_info >= (3, 8)']);
    assert.equal(r.status, 0, `python3 is too old or broken: ${r.out}`);
  });

  it('a log it writes validates against the schema and opens with the rollout-lens reader', async () => {
    const dir = tempDir('rl-pylog-');
    const png = path.join(dir, 'scene.png');
    const jpg = path.join(dir, 'coco.jpg');
    fs.writeFileSync(png, makePng(64, 48));
    fs.writeFileSync(jpg, makeJpeg(427, 640, 6));
    const out = path.join(dir, 'run', 'train.rollouts.jsonl');
    const script = `
import json, math, sys
sys.path.insert(0, ${JSON.stringify(PY_DIR)})
from rollout_lens_logger import RolloutLensLogger, make_reward_logger, log_batch
png, jpg, out = ${JSON.stringify(png)}, ${JSON.stringify(jpg)}, ${JSON.stringify(out)}
G = 4
log = RolloutLensLogger(out, group_size=G, reward_names=["accuracy", "format"], reward_weights={"format": 0.5},
                        min_pixels=3136, max_pixels=12845056)
for step in (0, 1):
    prompts = ["How many circles?"] * G + ["Where is the lady?"] * G
    comps = ['<think>t</think><answer>%d</answer>' % i for i in range(2 * G)]
    comps[5] = '<think>she is left</think><answer>{"bbox_2d": [98, 288, 251, 500], "label": "lady"}</answer>'
    acc = [1.0, 0.0, float("nan"), 1.0, 0.5, 0.7, None, 0.2]
    fmt = [1, 1, 1, 0, 1, 1, 1, float("inf")]
    adv = [0.9, -0.9, None, 0.4, 0.1, 0.6, float("nan"), -0.7]
    images = [png] * G + [[jpg]] * G
    refs = ["2"] * G + ["[103.93, 299.99, 238.15, 477.41]"] * G
    log.log(step, prompts, comps, {"accuracy": acc, "format": fmt}, advantages=adv, images=images, references=refs,
            extra=[{"tokens": 10 + i} for i in range(2 * G)])
log.close()
f = make_reward_logger(out, group_size=2)
f(prompts=["Count."] * 2, completions=["a", "b"], solution=["1", "1"], trainer_state=type("S", (), {"global_step": 2})())
f.logger.close()
log_batch(out, 3, ["x", "y", "x"], ["c1", "c2", "c3"], {"score": [0.9, float("nan"), 0.1]}, group_ids=["u1", "u2", "u1"])
print("ok")
`;
    const r = python(['-'], { input: script, cwd: dir });
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /ok/);

    const text = fs.readFileSync(out, 'utf8');
    assert.ok(!/NaN|Infinity/.test(text), 'no NaN / Infinity tokens: the file is strict JSON');
    const lines = text.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 8 * 2 + 2 + 3);
    const validate = loadValidator();
    lines.forEach((l, i) => assert.ok(validate(JSON.parse(l)), `line ${i + 1}: ${JSON.stringify(validate.errors)}`));

    const log = await openRolloutLensJsonl(out, { columns: true });
    try {
      assert.equal(log.recordCount, 21);
      assert.deepEqual(log.issues, []);
      assert.deepEqual(log.steps, [0, 1, 2, 3]);
      assert.deepEqual(
        log.groups.map((g) => [g.step, g.groupId, g.records.length]),
        [[0, '0', 4], [0, '1', 4], [1, '0', 4], [1, '1', 4], [2, '0', 2], [3, 'u1', 2], [3, 'u2', 1]],
      );
      const cols = log.columns;
      assert.ok(cols);
      assert.deepEqual([...cols.rewards.keys()], ['accuracy', 'format', 'score']);
      // NaN / None / inf rewards are null: NaN in the columns
      assert.ok(Number.isNaN(cols.rewards.get('accuracy')![2]));
      assert.ok(Number.isNaN(cols.rewards.get('format')![7]));
      // total = accuracy + 0.5 · format over the non-null rewards
      assert.deepEqual(Array.from(cols.reward.subarray(0, 8)), [1.5, 0.5, 0.5, 1, 1, 1.2, 0.5, 0.2]);

      const first = log.read(0);
      assert.deepEqual(first.issues, []);
      const r0 = first.rollout!;
      assert.deepEqual([r0.step, r0.groupId, r0.indexInGroup], [0, '0', 0]);
      assert.equal(r0.prompt.text, 'How many circles?');
      assert.deepEqual(
        r0.prompt.images.map((im) => [im.path, im.width, im.height, im.inputWidth, im.inputHeight]),
        [[png, 64, 48, 56, 56]],
      );
      assert.deepEqual(r0.rewards, { accuracy: 1, format: 1 });
      assert.equal(r0.reward, 1.5);
      assert.equal(r0.advantage, 0.9);
      assert.equal(r0.advantageSource, 'logged');
      assert.equal(r0.reference.answer, '2');
      assert.deepEqual(r0.extra, { tokens: 10 });
      assert.equal(typeof r0.sampleId, 'string');

      const r2 = log.read(2).rollout!;
      assert.deepEqual(r2.rewards, { accuracy: null, format: 1 });
      assert.equal(r2.advantage, null);
      // the JPEG: size from its header (stored 427 × 640), the Qwen2.5-VL input 420 × 644, the box mapped back
      const r5 = log.read(5).rollout!;
      assert.deepEqual(r5.prompt.images.map((im) => [im.width, im.height, im.inputWidth, im.inputHeight]), [[427, 640, 420, 644]]);
      assert.deepEqual(r5.reference.boxes.map((b) => b.box), [[103.93, 299.99, 238.15, 477.41]]);
      assert.equal(r5.predicted.length, 1);
      assert.equal(r5.predicted[0].frame, 'model-input');
      assert.ok(Math.abs(r5.predicted[0].box[0] - (98 * 427) / 420) < 1e-9);
      // samples of one prompt share the hashed sample id; another prompt has another
      assert.equal(log.read(4).rollout!.sampleId, r5.sampleId);
      assert.notEqual(r0.sampleId, r5.sampleId);

      const fromReward = log.read(16).rollout!;
      assert.deepEqual([fromReward.step, fromReward.reference.answer, fromReward.rewards], [2, '1', {}]);
      const verl = log.read(19).rollout!;
      assert.deepEqual([verl.groupId, verl.indexInGroup, verl.rewards], ['u2', 0, { score: null }]);
    } finally {
      log.close();
    }
  });

  it('its own unittest file passes (python3 -m unittest)', () => {
    const r = python(['-m', 'unittest', '-v', 'test_rollout_lens_logger']);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /\nOK\s*$/);
    assert.ok(!fs.existsSync(path.join(PY_DIR, '__pycache__')), 'no __pycache__ left in python/');
  });
});
