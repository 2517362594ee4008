import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES, makePng, rec, runCli, tempDir, writeLines } from './helpers';
import { questionHash } from '../../extension/core/compare/samples';

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

describe('CLI compare', () => {
  const RUN = path.join(FIXTURES, 'compare', 'run');
  const at = (...p: string[]): string => path.join(RUN, ...p);
  const sc = (q: string): string => `superclevr:q:${questionHash([], q)}`;
  const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);

  it('--json: the documented shape, accuracies, flips and unmatched of the fixture run', async () => {
    const { code, out, err } = await runCli(['compare', at('checkpoint-100'), at('eval', 'checkpoint-200'), '--json', '--slice', 'category']);
    assert.equal(code, 0);
    const j = JSON.parse(out) as Record<string, any>;
    assert.deepEqual(Object.keys(j), ['a', 'b', 'slice', 'slices', 'flips', 'unmatched', 'matchedBy', 'issues']);
    assert.deepEqual(Object.keys(j.a), ['name', 'path', 'step', 'metrics', 'n']);
    assert.deepEqual([j.a.name, j.a.path, j.a.step, j.a.n], ['checkpoint-100', at('checkpoint-100'), 100, 11]);
    assert.deepEqual([j.b.name, j.b.step, j.b.n], ['checkpoint-200', 200, 11]);
    assert.deepEqual(Object.keys(j.a.metrics), ['accuracy', 'f1', 'iou', 'iou50', 'format', 'alignment', 'length']);
    // per prompt (mean@2 for ds-b), then over the 11 prompts: A = (3 + 1.5 + 2) / 11, B = (4 + 2 + 2) / 11
    close(j.a.metrics.accuracy, 6.5 / 11);
    close(j.b.metrics.accuracy, 8 / 11);
    assert.equal(j.slice, 'category');
    const row = (dataset: string, slice: string | null) => j.slices.find((r: any) => r.dataset === dataset && r.slice === slice);
    assert.deepEqual(j.slices.filter((r: any) => r.slice === null).map((r: any) => r.dataset), ['ds-a', 'ds-b', 'superclevr']);
    const dsA = row('ds-a', null);
    assert.deepEqual(dsA.checkpoints.map((c: any) => c.name), ['checkpoint-100', 'checkpoint-200']);
    assert.deepEqual(dsA.checkpoints[0].metrics.accuracy, { value: 0.6, n: 5 });
    assert.deepEqual(dsA.checkpoints[1].metrics.accuracy, { value: 0.8, n: 5 });
    assert.equal(dsA.checkpoints[0].delta, null);
    const d = dsA.checkpoints[1].delta.accuracy;
    assert.deepEqual(Object.keys(d), ['delta', 'ci', 'p', 'pAdjusted', 'test', 'significant']);
    close(d.delta, 0.25); // paired a1..a4: 3/4 − 2/4
    assert.equal(d.test, 'mcnemar');
    close(d.p, 1); // discordant 1 vs 2
    assert.equal(d.significant, false);
    assert.deepEqual(row('ds-b', null).checkpoints.map((c: any) => c.metrics.accuracy.value), [0.5, (1 + 0.5 + 0.5) / 3]);
    assert.equal(row('ds-b', null).checkpoints[1].delta.accuracy.test, 'bootstrap', 'mean@2: not one answer per prompt');
    assert.deepEqual(row('ds-a', 'count').checkpoints.map((c: any) => c.metrics.accuracy), [{ value: 0.5, n: 2 }, { value: 2 / 3, n: 3 }]);
    assert.deepEqual(j.flips, {
      aOnly: ['ds-a:a3', sc('How many spheres are there in the image?')].sort(),
      bOnly: ['ds-a:a2', 'ds-a:a4', 'ds-b:b3', sc('How many cylinders are there in the image?')].sort(),
      both: 4,
      neither: 0,
    });
    assert.deepEqual(j.unmatched, { count: 2, bySource: [{ name: 'checkpoint-100', missing: ['ds-a:a6'] }, { name: 'checkpoint-200', missing: ['ds-a:a5'] }] });
    assert.equal(j.matchedBy, 'question', 'superclevr has no sample ids');
    const bad = at('eval', 'checkpoint-200', 'ds-a.eval.jsonl');
    assert.ok(j.issues.some((i: any) => i.file === bad && i.line === 3 && /not valid JSON/.test(i.message)), JSON.stringify(j.issues));
    assert.deepEqual(Object.keys(j.issues[0]), ['file', 'line', 'message']);
    assert.ok(err.split('\n').some((l) => l.startsWith(`${bad}:3: not valid JSON`)), err);
  });

  it('more than two sources: c, and pairwise flips against the first', async () => {
    const { code, out } = await runCli(['compare', at('checkpoint-100'), at('checkpoint-200'), at('eval', 'checkpoint-50'), '--json']);
    assert.equal(code, 0);
    const j = JSON.parse(out) as Record<string, any>;
    assert.deepEqual(Object.keys(j), ['a', 'b', 'c', 'slice', 'slices', 'flips', 'pairwise', 'unmatched', 'matchedBy', 'issues']);
    assert.deepEqual([j.c.name, j.c.step, j.c.n, j.c.metrics.accuracy], ['checkpoint-50', 50, 4, 0.25]);
    assert.deepEqual(j.pairwise.map((p: any) => [p.a, p.b]), [['checkpoint-100', 'checkpoint-200'], ['checkpoint-100', 'checkpoint-50']]);
    assert.deepEqual(j.pairwise[0].flips, j.flips);
    assert.deepEqual(j.pairwise[1].flips, { aOnly: ['ds-a:a1'], bOnly: [], both: 1, neither: 2 });
    assert.equal(j.slice, null);
    assert.equal(j.unmatched.bySource[2].missing.length, 1 + 3 + 3 + 1, 'checkpoint-50 lacks a5, a6, ds-b and superclevr');
  });

  it('prints a readable table, Markdown and CSV', async () => {
    const text = await runCli(['compare', at('checkpoint-100'), at('eval', 'checkpoint-200')]);
    assert.equal(text.code, 0);
    assert.match(text.out, /^Accuracy % /m);
    assert.match(text.out, /^ds-a +60\.0 \(5\) +80\.0 \(5\) Δ \+25\.0$/m);
    assert.match(text.out, /^all +59\.1 \(11\) +72\.7 \(11\)$/m);
    assert.match(text.out, /checkpoint-200: 4 right only here, 2 right only in checkpoint-100, 4 right in both, 0 wrong in both/);
    assert.match(text.out, /checkpoint-100 lacks 1: ds-a:a6/);
    const iou = await runCli(['compare', at('checkpoint-100'), at('eval', 'checkpoint-200'), '--metric', 'iou']);
    assert.match(iou.out, /^mean IoU % /m);
    assert.match(iou.out, /^ds-b +50\.0 \(3\) +66\.7 \(3\) Δ \+16\.7$/m);
    const md = await runCli(['compare', at('checkpoint-100'), at('eval', 'checkpoint-200'), '--markdown']);
    assert.equal(md.code, 0);
    assert.match(md.out, /\| checkpoint-100 \|/);
    const csv = await runCli(['compare', at('checkpoint-100'), at('eval', 'checkpoint-200'), '--csv']);
    assert.equal(csv.code, 0);
    assert.ok(csv.out.startsWith('dataset,slice,source,step,metric,value,n,answers,delta'), csv.out.slice(0, 80));
  });

  it('exits 1 when fewer than two sources are read, 2 on usage errors', async () => {
    const one = await runCli(['compare', at('checkpoint-100'), path.join(RUN, 'nope')]);
    assert.equal(one.code, 1);
    assert.match(one.err, /nope: no such file or folder/);
    assert.match(one.err, /compare read 1 source; it needs two or more/);
    assert.equal((await runCli(['compare', at('checkpoint-100')])).code, 2);
    assert.equal((await runCli(['compare', at('checkpoint-100'), at('checkpoint-200'), '--metric', 'bleu'])).code, 2);
    const pat = await runCli(['compare', at('checkpoint-100'), at('checkpoint-200'), '--step-pattern', 'step']);
    assert.equal(pat.code, 2);
    assert.match(pat.err, /capture group/);
    const none = await runCli(['compare', path.join(RUN, 'checkpoint-100', 'trainer_state.json'), path.join(RUN, 'nope')]);
    assert.equal(none.code, 1);
    const help = await runCli(['--help']);
    assert.match(help.out, /rollout-lens compare A B \[C\.\.\.\]/);
  });
});
