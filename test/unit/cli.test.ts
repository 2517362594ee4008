import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES, makePng, rec, runCli, tempDir, writeLines } from './helpers';

const FIXTURE_DIR = path.join(FIXTURES, 'rollout-lens');
const FIXTURE = path.join(FIXTURE_DIR, 'run.rollouts.jsonl');

describe('CLI', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints usage for --help (exit 0) and for no arguments or unknown commands (exit 2)', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /rollout-lens summary PATH/);
    assert.equal((await runCli([])).code, 2);
    const unknown = await runCli(['frobnicate', FIXTURE]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown command frobnicate/);
    assert.equal((await runCli(['summary', FIXTURE, '--bogus'])).code, 2);
  });

  it('summary --json on a folder has the documented shape; errors go to stderr as file:line: message', async () => {
    const { code, out, err } = await runCli(['summary', FIXTURE_DIR, '--json']);
    assert.equal(code, 0);
    const s = JSON.parse(out) as Record<string, unknown>;
    assert.deepEqual(Object.keys(s), ['format', 'logs', 'files', 'records', 'groups', 'zeroVarianceGroups', 'steps', 'rewards', 'errors', 'perStep']);
    assert.deepEqual(s.files, [FIXTURE]);
    assert.equal(s.records, 5);
    assert.deepEqual(s.steps, { min: 0, max: 1, count: 2 });
    assert.deepEqual((s.errors as Array<{ line: number }>).map((e) => e.line), [4, 5]);
    const perStep = s.perStep as Array<{ step: number; records: number; groups: number }>;
    assert.deepEqual(perStep.map((p) => p.step), [0, 1]);
    assert.equal(perStep.reduce((a, p) => a + p.records, 0), 5, 'per-step rows add up to the records');
    assert.equal(perStep.reduce((a, p) => a + p.groups, 0), s.groups);
    const lines = err.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.ok(lines[0].startsWith(`${FIXTURE}:4: not valid JSON: `), lines[0]);
    assert.equal(lines[1], `${FIXTURE}:5: missing required field group_id`);
  });

  it('summary prints readable text', async () => {
    const { code, out } = await runCli(['summary', FIXTURE]);
    assert.equal(code, 0);
    assert.match(out, /^records +5$/m);
    assert.match(out, /^steps +0–1 \(2 distinct\)$/m);
    assert.match(out, /accuracy +0\.667 +3/);
    assert.match(out, /2 errors, 0 warnings/);
  });

  it('show --json gives the documented record shape with boxes in original pixels', async () => {
    const { code, out, err } = await runCli(['show', FIXTURE, '--record', '0', '--json']);
    assert.equal(code, 0);
    assert.equal(err, '');
    const j = JSON.parse(out) as { file: string; line: number; record: Record<string, unknown>; issues: unknown[] };
    assert.equal(j.file, FIXTURE);
    assert.equal(j.line, 1);
    assert.deepEqual(j.issues, []);
    const r = j.record;
    assert.deepEqual(Object.keys(r), [
      'step', 'groupId', 'indexInGroup', 'sampleId', 'prompt', 'completion', 'answer', 'reference', 'predicted',
      'rewards', 'reward', 'advantage', 'advantageSource', 'verdict', 'generatedImages', 'extra', 'stepKind', 'recomputed', 'rewardCheck', 'notRecomputed',
    ]);
    const prompt = r.prompt as { images: Array<Record<string, unknown>> };
    assert.deepEqual(prompt.images[0], {
      path: 'images/scene-0001.png', resolved: path.resolve(FIXTURE_DIR, 'images', 'scene-0001.png'),
      width: 640, height: 480, inputWidth: 644, inputHeight: 476, orientation: 1,
    });
    const predicted = r.predicted as Array<Record<string, unknown>>;
    assert.deepEqual(predicted[1], {
      box: [320, 240, 640, 480], raw: [322, 238, 644, 476], label: 'red circle', frame: 'model-input',
      span: predicted[1].span, part: 'think', imageIndex: 0, iou: 0,
    });
    // predicted[0] is the one on the ground truth: its best IoU is reported with it
    assert.ok((predicted[0]!.iou as number) > 0.5, JSON.stringify(predicted[0]));
    assert.deepEqual((r.reference as { boxes: unknown[] }).boxes, [
      { box: [12, 21, 108, 131], raw: [12, 21, 108, 131], label: 'red circle', frame: 'original', imageIndex: 0 },
    ]);
    assert.equal(r.advantageSource, 'logged');
  });

  it('show prints a readable record and its issues on stderr', async () => {
    const { code, out, err } = await runCli(['show', FIXTURE_DIR, '--record', '2']);
    assert.equal(code, 0);
    assert.match(out, /step 1 {2}group 7 {2}#0/);
    assert.match(out, /\[-5, 10, 50, 60\] "cat" {2}\(frame assumed, other, chars \d+–\d+\)/);
    assert.equal(
      err,
      `${FIXTURE}:6: warning: image not found: images/missing.png (no image roots set)\n` +
        `${FIXTURE}:6: warning: predicted box [-5, 10, 50, 60] (qwen25-json): negative; drawn as written, not corrected\n`,
    );
  });

  it('show fails (exit 1) for a record out of range and needs --record (exit 2)', async () => {
    const r = await runCli(['show', FIXTURE, '--record', '5']);
    assert.equal(r.code, 1);
    assert.match(r.err, /no record 5: the log has 5 readable records/);
    assert.equal((await runCli(['show', FIXTURE])).code, 2);
    assert.equal((await runCli(['show', FIXTURE, '--record', '-1'])).code, 2);
  });

  it('exits non-zero only when nothing could be read', async () => {
    const bad = path.join(dir, 'bad.rollouts.jsonl');
    writeLines(bad, ['not json', '{"step": 1}']);
    const onlyBad = await runCli(['summary', bad]);
    assert.equal(onlyBad.code, 1);
    assert.match(onlyBad.err, /bad\.rollouts\.jsonl:1: not valid JSON/);
    const missing = await runCli(['summary', path.join(dir, 'nope')]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /nope: no such file or folder/);
    const mixed = await runCli(['summary', bad, FIXTURE, '--json']);
    assert.equal(mixed.code, 0);
    assert.equal((JSON.parse(mixed.out) as { records: number }).records, 5);
  });

  it('finds logs in folders by name and by content, ignoring node_modules and other JSONL', async () => {
    writeLines(path.join(dir, 'run1', 'a.rollouts.jsonl'), [rec(0, 'g', 0)]);
    writeLines(path.join(dir, 'run2', 'eval', 'samples.jsonl'), [rec(3, 'g', 0), rec(3, 'g', 1)]);
    writeLines(path.join(dir, 'run2', 'metrics.jsonl'), [{ loss: 1 }]);
    writeLines(path.join(dir, 'node_modules', 'pkg', 'x.rollouts.jsonl'), [rec(9, 'g', 0)]);
    const { code, out } = await runCli(['summary', dir, '--json']);
    assert.equal(code, 0);
    const s = JSON.parse(out) as { files: string[]; records: number };
    assert.deepEqual(s.files, [path.join(dir, 'run1', 'a.rollouts.jsonl'), path.join(dir, 'run2', 'eval', 'samples.jsonl')]);
    assert.equal(s.records, 3);
    const ambiguous = await runCli(['show', dir, '--record', '0']);
    assert.equal(ambiguous.code, 1);
    assert.match(ambiguous.err, /holds 2 logs/);
  });

  it('--image-root (repeatable, also --image-root=DIR) finds images logged on another machine', async () => {
    const root = path.join(dir, 'mirror');
    fs.mkdirSync(path.join(root, 'train2017'), { recursive: true });
    fs.writeFileSync(path.join(root, 'train2017', 'x.png'), makePng(100, 50));
    const log = path.join(dir, 'logs', 'r.rollouts.jsonl');
    writeLines(log, [rec(0, 'g', 0, { prompt: { text: 'q', images: [{ path: '/cluster/data/coco/train2017/x.png' }] } })]);
    const r = await runCli(['show', log, '--record', '0', '--json', '--image-root', path.join(dir, 'other'), `--image-root=${root}`]);
    assert.equal(r.code, 0);
    const image = (JSON.parse(r.out) as { record: { prompt: { images: Array<Record<string, unknown>> } } }).record.prompt.images[0];
    assert.deepEqual(image, { path: '/cluster/data/coco/train2017/x.png', resolved: path.join(root, 'train2017', 'x.png'), width: 100, height: 50, orientation: 1 });
    const without = await runCli(['show', log, '--record', '0', '--json']);
    assert.equal(without.code, 0);
    assert.equal((JSON.parse(without.out) as { record: { prompt: { images: Array<{ resolved: null }> } } }).record.prompt.images[0].resolved, null);
    assert.match(without.err, /image not found/);
  });
});
