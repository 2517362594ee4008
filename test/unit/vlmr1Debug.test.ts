import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import type { RolloutLog } from '../../extension/core/formats/log';
import type { ContextValue, RunContext } from '../../extension/core/runs/context';
import {
  hash53,
  openVlmR1Debug,
  parseBlockBody,
  parseDebugBlock,
  parseDebugHeader,
  predictedBoxes,
  sniffDebugLog,
  timestampMicros,
  vlmR1DebugReader,
} from '../../extension/core/formats/vlmr1Debug';
import { FIXTURES, makeJpeg, makePng, tempDir } from './helpers';

const DIR = path.join(FIXTURES, 'frameworks');
const MAIN = path.join(DIR, 'vlm-r1__debug_log.2025-06-21-14-00-00.txt');
const FORMAT = path.join(DIR, 'vlm-r1__debug_log.2025-06-21-14-00-00_format.txt');
const JSONL = path.join(DIR, 'vlm-r1__grpo_jsonl_accuracy_reward.debug_log.txt');
const COT = path.join(DIR, 'jakhongir0103-multimodal_cot__debug_log_Qwen2.5-VL-7B-GRPO.txt');
const RFT = path.join(DIR, 'visual-rft__debug_log_2b_GRPO_coco_base65cate_6k.txt');
const EASYR1 = path.join(DIR, 'easyr1__generations.log');

const ACCURACY = [0.993483104418721, 0.7266408787594841, 0.0, 0.9488631770628526];
const FORMAT_VALUES = [1, 1, 1, 0];
const COMPLETION_0 = [
  '<think>',
  'The question asks for the lady wearing a blue shirt. There are two women in the image; the one on the left is wearing a blue shirt and is standing near the bottom-left.',
  '</think>',
  '<answer>',
  '```json',
  '[',
  '\t{"bbox_2d": [102, 302, 234, 480], "label": "the lady with the blue shirt"}',
  ']',
  '```',
  '</answer>',
].join('\n');

function cv<T>(value: T, source = 'test', assumed = false): ContextValue<T> {
  return { value, source, assumed };
}

/** VLM-R1 iou() ("-1/+1" pixel convention), as in qwen_module.py. */
function vlmR1Iou(b1: number[], b2: number[]): number {
  const ix1 = Math.max(b1[0], b2[0]);
  const iy1 = Math.max(b1[1], b2[1]);
  const ix2 = Math.min(b1[2] - 1, b2[2] - 1);
  const iy2 = Math.min(b1[3] - 1, b2[3] - 1);
  const inter = ix1 < ix2 && iy1 < iy2 ? (ix2 - ix1 + 1) * (iy2 - iy1 + 1) : 0;
  const union = (b1[2] - b1[0]) * (b1[3] - b1[1]) + (b2[2] - b2[0]) * (b2[3] - b2[1]) - inter;
  return inter / union;
}

function grpo(rewards: number[], eps = 1e-4): number[] {
  const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
  const std = Math.sqrt(rewards.reduce((a, b) => a + (b - mean) ** 2, 0) / (rewards.length - 1));
  return rewards.map((r) => (r - mean) / (std + eps));
}

function col(log: RolloutLog, name: string): Array<number | null> {
  const c = log.columns!.rewards.get(name);
  assert.ok(c, `no reward column ${name}`);
  return [...c].map((v) => (Number.isNaN(v) ? null : v));
}

function approxList(actual: number[], expected: number[], tol = 1e-12): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= tol, `[${i}] ${a} vs ${expected[i]}`));
}

/** The fixture's blocks as text (header line included, no trailing newline). */
function blocksOf(file: string): string[] {
  const lines = fs.readFileSync(file, 'utf8').replace(/\n$/, '').split('\n');
  const out: string[][] = [];
  for (const l of lines) {
    if (/^-{13} ?\d{2}-/.test(l)) out.push([l]);
    else out[out.length - 1].push(l);
  }
  return out.map((b) => b.join('\n'));
}

function write(file: string, text: string | Buffer): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

describe('VLM-R1 debug log: the VLM-R1 fixture (accuracy log + _format.txt)', () => {
  let log: RolloutLog;
  before(async () => {
    log = await vlmR1DebugReader.open([MAIN], { target: MAIN });
  });
  after(() => log.close());

  it('finds the format companion and reads 4 completions without issues', () => {
    assert.equal(log.format, 'vlm-r1-debug');
    assert.equal(log.file, MAIN);
    assert.deepEqual(log.files, [MAIN, FORMAT]);
    assert.equal(log.recordCount, 4);
    assert.deepEqual(log.issues, []);
    assert.deepEqual([0, 1, 2, 3].map((i) => log.lineOf(i)), [1, 15, 21, 29]);
    assert.deepEqual(log.sourceOf(2), { file: MAIN, line: 21 });
    assert.equal(log.bytes, fs.statSync(MAIN).size + fs.statSync(FORMAT).size);
  });

  it('carries the logged accuracy rewards and joins Has format per completion', () => {
    assert.deepEqual([...log.columns!.rewards.keys()], ['accuracy', 'format']);
    assert.deepEqual(col(log, 'accuracy'), ACCURACY);
    assert.deepEqual(col(log, 'format'), FORMAT_VALUES);
    approxList([...log.columns!.reward], ACCURACY.map((a, i) => a + FORMAT_VALUES[i]));
  });

  it('forms one group of G = 4 (inferred, assumed) with a batch ordinal as its step', () => {
    assert.equal(log.stepKind, 'batch-ordinal');
    assert.deepEqual(log.groups, [{ step: 1, groupId: '0', records: [0, 1, 2, 3] }]);
    assert.deepEqual(log.steps, [1]);
    assert.equal(log.grouping.method, 'key');
    assert.equal(log.grouping.groupSize, 4);
    assert.equal(log.grouping.groupSizeAssumed, true);
    assert.match(log.grouping.groupSizeSource!, /inferred/);
    assert.equal(log.grouping.irregular, 0);
  });

  it('recomputes GRPO advantages with the VLM-R1 default ε = 1e-4, marked assumed', () => {
    assert.equal(log.advantage.source, 'recomputed');
    assert.match(log.advantage.assumptions!, /ε = 0\.0001 \(assumed: VLM-R1 default\)/);
    approxList([...log.columns!.advantage], grpo(ACCURACY.map((a, i) => a + FORMAT_VALUES[i])));
  });

  it('reads a full record: prompt, image path, completion, answer, GT box, predicted box, rewards, extra', () => {
    const { rollout: r, issues } = log.read(0);
    assert.ok(r);
    assert.equal(r.step, 1);
    assert.equal(r.groupId, '0');
    assert.equal(r.indexInGroup, 0);
    assert.equal(r.prompt.text, 'the lady with the blue shirt');
    assert.deepEqual(r.prompt.images, [{ path: '/data/coco/train2014/COCO_train2014_000000581857.jpg' }]);
    assert.equal(r.completion, COMPLETION_0);
    assert.equal(r.answer, '```json\n[\n\t{"bbox_2d": [102, 302, 234, 480], "label": "the lady with the blue shirt"}\n]\n```');
    assert.deepEqual(r.reference.boxes, [{ box: [103.93, 299.99, 238.15, 477.41], raw: [103.93, 299.99, 238.15, 477.41], frame: 'original', imageIndex: 0 }]);
    assert.equal(r.reference.answer, undefined);
    assert.equal(r.predicted.length, 1);
    assert.deepEqual(r.predicted[0].raw, [102, 302, 234, 480]);
    assert.equal(r.predicted[0].frame, 'model-input');
    assert.equal(r.predicted[0].frameAssumed, true);
    assert.equal(r.predicted[0].label, 'the lady with the blue shirt');
    assert.equal(r.predicted[0].part, 'answer');
    assert.deepEqual(r.rewards, { accuracy: ACCURACY[0], format: 1 });
    assert.ok(Math.abs(r.reward! - (ACCURACY[0] + 1)) < 1e-12);
    assert.equal(r.advantageSource, 'recomputed');
    assert.equal(r.extra.timestamp, '21-14-03-27-118204');
    assert.equal(r.extra.datetime, '2025-06-21T14:03:27.118204');
    assert.deepEqual(r.source, { file: MAIN, line: 1 });
    // the image is not shipped: reported, not fatal
    assert.deepEqual(
      issues.map((i) => [i.line, i.severity]),
      [
        [2, 'warning'],
        [1, 'warning'],
      ],
    );
    assert.match(issues[0].message, /^image not found: \/data\/coco\/train2014\/COCO_train2014_000000581857\.jpg/);
    assert.match(issues[1].message, /left as written \(model-input\): image size unknown/);
  });

  it('falls back to VLM-R1 iou_reward\'s first [d, d, d, d] inside <answer> when there is no bbox_2d', () => {
    const r = log.read(3).rollout!;
    assert.equal(r.completion, '<think>The blue shirt lady is at the left.</think><answer>[105, 301, 236, 478]</answer>');
    assert.deepEqual(r.predicted.map((b) => [b.raw, b.frame, b.part]), [[[105, 301, 236, 478], 'model-input', 'answer']]);
    assert.deepEqual(r.rewards, { accuracy: ACCURACY[3], format: 0 });
  });

  it('out-of-range reads are errors, not exceptions', () => {
    for (const i of [-1, 4, 1.5]) {
      const out = log.read(i);
      assert.equal(out.rollout, null);
      assert.equal(out.issues[0].severity, 'error');
    }
  });
});

describe('VLM-R1 debug log: image sizes and box frames', () => {
  let root: string;
  before(() => {
    root = tempDir();
    // only the name and the 427×640 size matter (the fixture README gives them)
    write(path.join(root, 'train2014', 'COCO_train2014_000000581857.jpg'), makeJpeg(427, 640, null));
  });

  it('maps predicted boxes from the smart_resize input (420×644) to original pixels; IoU matches the logged reward', async () => {
    const log = await openVlmR1Debug([MAIN], { imageRoots: [root] });
    for (let i = 0; i < 4; i++) {
      const { rollout: r, issues } = log.read(i);
      assert.deepEqual(issues, []);
      assert.ok(r);
      const im = r.prompt.images[0];
      assert.equal(im.resolved, path.join(root, 'train2014', 'COCO_train2014_000000581857.jpg'));
      assert.equal(im.width, 427);
      assert.equal(im.height, 640);
      assert.equal(im.inputWidth, undefined); // not logged: computed, and said so in extra
      assert.deepEqual(r.extra.model_input_size, { width: 420, height: 644, source: 'smart_resize with min_pixels 3136 (assumed: VLM-R1 / qwen-vl-utils default), max_pixels 12845056 (assumed: VLM-R1 / qwen-vl-utils default)' });
      const p = r.predicted[0];
      assert.equal(p.frameAssumed, true);
      approxList(p.box, [p.raw[0] * (427 / 420), p.raw[1] * (640 / 644), p.raw[2] * (427 / 420), p.raw[3] * (640 / 644)]);
      assert.ok(Math.abs(vlmR1Iou(p.box, r.reference.boxes[0].box) - ACCURACY[i]) < 1e-9, `record ${i}`);
    }
    log.close();
  });

  it('uses min/max pixels from the run context (not assumed then) and a logged group size / estimator', async () => {
    const context: RunContext = {
      minPixels: cv(3136, 'run_grpo_rec.sh'),
      maxPixels: cv(401408, 'run_grpo_rec.sh'),
      groupSize: cv(4, 'run_grpo_rec.sh'),
      epsilon: cv(1e-6, 'rollout-lens.json'),
    };
    const log = await openVlmR1Debug([MAIN], { imageRoots: [root], context });
    const r = log.read(1).rollout!;
    assert.equal(r.predicted[0].frameAssumed, undefined);
    assert.deepEqual(r.extra.model_input_size, { width: 420, height: 644, source: 'smart_resize with min_pixels 3136 (run_grpo_rec.sh), max_pixels 401408 (run_grpo_rec.sh)' });
    assert.equal(log.grouping.groupSize, 4);
    assert.equal(log.grouping.groupSizeAssumed, false);
    assert.equal(log.grouping.groupSizeSource, 'run_grpo_rec.sh');
    assert.match(log.advantage.assumptions!, /ε = 0\.000001 \(rollout-lens\.json; GRPO \(VLM-R1 default\)\)/);
    approxList([...log.columns!.advantage], grpo(ACCURACY.map((a, i) => a + FORMAT_VALUES[i]), 1e-6));
    assert.equal(log.context, context);
    log.close();
  });

  it('reads a multi-image image_path list, resolving relative paths against the log folder', async () => {
    const dir = tempDir();
    write(path.join(dir, 'a.png'), makePng(100, 50));
    write(path.join(dir, 'sub', 'b.png'), makePng(56, 56));
    const file = write(
      path.join(dir, 'debug_log.txt'),
      [
        '------------- 02-03-04-05-000006 Accuracy reward: 0.5 -------------',
        "image_path: ['a.png', 'sub/b.png', 'missing.png']",
        'problem: which screenshot changed?',
        'Content: <think>look</think><answer>{"bbox_2d": [56, 28, 112, 56], "label": "toggle"}</answer>',
        'Solution: [[10, 20, 30, 40], [50, 10, 90, 45]]',
        '',
      ].join('\n'),
    );
    const log = await openVlmR1Debug([file], {});
    assert.equal(log.recordCount, 1);
    const { rollout: r, issues } = log.read(0);
    assert.ok(r);
    assert.deepEqual(
      r.prompt.images.map((im) => [im.path, im.resolved && path.relative(dir, im.resolved), im.width, im.height]),
      [
        ['a.png', 'a.png', 100, 50],
        ['sub/b.png', path.join('sub', 'b.png'), 56, 56],
        ['missing.png', undefined, undefined, undefined],
      ],
    );
    assert.deepEqual(issues.map((i) => [i.line, i.message.slice(0, 30)]), [[2, 'image not found: missing.png (']]);
    // model input of image 0: 100×50 → 112×56
    assert.deepEqual(r.extra.model_input_size, { width: 112, height: 56, source: 'smart_resize with min_pixels 3136 (assumed: VLM-R1 / qwen-vl-utils default), max_pixels 12845056 (assumed: VLM-R1 / qwen-vl-utils default)' });
    assert.deepEqual(r.predicted[0].box, [50, 25, 100, 50]);
    assert.equal(r.predicted[0].imageIndex, 0);
    assert.deepEqual(r.reference.boxes.map((b) => b.box), [
      [10, 20, 30, 40],
      [50, 10, 90, 45],
    ]);
    log.close();
  });
});

describe('VLM-R1 debug log: companions', () => {
  it('isCompanion: _format.txt beside its main log is a companion; the main log and a lone _format.txt are not', () => {
    assert.equal(vlmR1DebugReader.isCompanion!(FORMAT), true);
    assert.equal(vlmR1DebugReader.isCompanion!(MAIN), false);
    const dir = tempDir();
    const lone = write(path.join(dir, 'debug_log.2025-06-21-14-00-00_format.txt'), fs.readFileSync(FORMAT));
    assert.equal(vlmR1DebugReader.isCompanion!(lone), false);
    // a main log that is not a debug log does not make a companion
    write(path.join(dir, 'debug_log.2025-06-21-14-00-00.txt'), 'hello\n');
    assert.equal(vlmR1DebugReader.isCompanion!(lone), false);
  });

  it('opens a companion alone as its own log (records = format entries)', async () => {
    const dir = tempDir();
    const lone = write(path.join(dir, 'debug_log.2025-06-21-14-00-00_format.txt'), fs.readFileSync(FORMAT));
    const log = await openVlmR1Debug([lone], {});
    assert.equal(log.recordCount, 4);
    assert.deepEqual(log.files, [lone]);
    assert.deepEqual([...log.columns!.rewards.keys()], ['format']);
    assert.deepEqual(col(log, 'format'), FORMAT_VALUES);
    // one reward call (one header) is one group
    assert.deepEqual(log.groups.map((g) => g.records), [[0, 1, 2, 3]]);
    assert.deepEqual([0, 1, 2, 3].map((i) => log.lineOf(i)), [2, 13, 16, 21]);
    const r = log.read(0).rollout!;
    assert.equal(r.completion, COMPLETION_0);
    assert.equal(r.extra.has_format, true);
    assert.deepEqual(log.read(3).rollout!.rewards, { format: 0 });
    assert.deepEqual(log.issues, []);
    log.close();
  });

  it('opening [main, companion] joins the companion instead of reading it as records', async () => {
    const log = await openVlmR1Debug([MAIN, FORMAT], {});
    assert.equal(log.recordCount, 4);
    assert.deepEqual(log.files, [MAIN, FORMAT]);
    assert.deepEqual(col(log, 'format'), FORMAT_VALUES);
    log.close();
  });

  it('joins <LOG_PATH>_cosine.txt and _repetition.txt; a missing entry is null, not 0', async () => {
    const dir = tempDir();
    const main = write(path.join(dir, 'debug_log.2025-06-21-14-00-00.txt'), fs.readFileSync(MAIN));
    write(path.join(dir, 'debug_log.2025-06-21-14-00-00_format.txt'), fs.readFileSync(FORMAT));
    const blocks = blocksOf(MAIN);
    const withHeader = (b: string, ts: string, value: string): string =>
      b.replace(/^-{13} \S+ Accuracy reward: \S+ -{13}/, `------------- ${ts} Accuracy reward: ${value} -------------`);
    const cos = write(
      path.join(dir, 'debug_log.2025-06-21-14-00-00.txt_cosine.txt'),
      blocks.map((b, i) => withHeader(b, `21-14-03-27-2${i}0000`, ['0.8', '-0.2', '0.1', '0.9'][i])).join('\n') + '\n',
    );
    // repetition entries are written only when reward <= 0: two of four
    const rep = write(
      path.join(dir, 'debug_log.2025-06-21-14-00-00.txt_repetition.txt'),
      [withHeader(blocks[1], '21-14-03-27-300000', '-0.0'), withHeader(blocks[3], '21-14-03-27-300001', '-0.5')].join('\n') + '\n',
    );
    assert.equal(vlmR1DebugReader.isCompanion!(cos), true);
    assert.equal(vlmR1DebugReader.isCompanion!(rep), true);
    const log = await vlmR1DebugReader.open([main], {});
    assert.equal(log.recordCount, 4);
    assert.deepEqual(log.files.map((f) => path.basename(f)), [
      'debug_log.2025-06-21-14-00-00.txt',
      'debug_log.2025-06-21-14-00-00_format.txt',
      'debug_log.2025-06-21-14-00-00.txt_cosine.txt',
      'debug_log.2025-06-21-14-00-00.txt_repetition.txt',
    ]);
    assert.deepEqual([...log.columns!.rewards.keys()], ['accuracy', 'format', 'cosine', 'repetition']);
    assert.deepEqual(col(log, 'cosine'), [0.8, -0.2, 0.1, 0.9]);
    const repetition = col(log, 'repetition');
    assert.deepEqual([repetition[0], repetition[2], repetition[3]], [null, null, -0.5]);
    assert.ok(repetition[1] === 0, '-0.0 is a logged value, not a missing one');
    const r = log.read(0).rollout!;
    assert.deepEqual(r.rewards, { accuracy: ACCURACY[0], format: 1, cosine: 0.8, repetition: null });
    // repetition is logged only when <= 0, so a missing entry is an unknown reward: the total is unknown too
    assert.equal(r.reward, null);
    const r1 = log.read(1).rollout!;
    assert.ok(Math.abs(r1.reward! - (ACCURACY[1] + 1 - 0.2 + 0)) < 1e-12, String(r1.reward));
    assert.deepEqual(log.issues, []);
    log.close();
  });

  it('reports companion entries with no matching completion (file and line) and leaves them out', async () => {
    const dir = tempDir();
    const main = write(path.join(dir, 'debug_log.txt'), fs.readFileSync(MAIN));
    const fmt = write(
      path.join(dir, 'debug_log_format.txt'),
      fs.readFileSync(FORMAT, 'utf8') + 'Content: <think>a completion the accuracy log never saw</think><answer>[1, 2, 3, 4]</answer>\nHas format: True\n',
    );
    const log = await openVlmR1Debug([main], {});
    assert.deepEqual(col(log, 'format'), FORMAT_VALUES);
    assert.deepEqual(
      log.issues.map((i) => [i.file, i.line, i.severity]),
      [[fmt, 23, 'warning']],
    );
    assert.match(log.issues[0].message, /^format entry has no accuracy entry with the same completion text/);
    log.close();
  });

  it('GLM: _iou.txt without a main log is the main log; its _format.txt (match / Reward) joins; logged input size is used', async () => {
    const dir = tempDir();
    const iouFile = write(
      path.join(dir, 'debug_log.2025-09-02-10-00-00_iou.txt'),
      [
        '------------- 02-10-00-01-000001 IOU Accuracy reward:-------------',
        "image_path: ['/nowhere/COCO_train2014_000000581857.jpg']",
        'problem: the lady with the blue shirt',
        'Content: <think>left</think><answer>[102, 302, 234, 480]</answer>',
        'Solution: [103.93, 299.99, 238.15, 477.41]',
        'Predicted bbox: [103.7, 300.12, 237.9, 477.02]',
        'Fail to recognize: False',
        'Input size: (644, 420), Image size: (640, 427)',
        'Image grid thw: tensor([ 1, 46, 30])',
        'Reward: 0.993483104418721',
        '------------- 02-10-00-01-000002 IOU Accuracy reward:-------------',
        "image_path: ['/nowhere/COCO_train2014_000000581857.jpg']",
        'problem: the lady with the blue shirt',
        'Content: <think>no box</think><answer>the lady</answer>',
        'Solution: [103.93, 299.99, 238.15, 477.41]',
        'Predicted bbox: None',
        'Fail to recognize: True',
        'Input size: (644, 420), Image size: (640, 427)',
        'Image grid thw: tensor([ 1, 46, 30])',
        'Reward: 0.0',
        '',
      ].join('\n'),
    );
    const fmt = write(
      path.join(dir, 'debug_log.2025-09-02-10-00-00_format.txt'),
      [
        '-------------02-10-00-01-000003 Format reward -------------',
        'Content: <think>left</think><answer>[102, 302, 234, 480]</answer>',
        'match: True',
        'Reward: 1.0',
        '-------------02-10-00-01-000004 Format reward -------------',
        'Content: <think>no box</think><answer>the lady</answer>',
        'match: False',
        'Reward: 0.0',
        '',
      ].join('\n'),
    );
    assert.equal(vlmR1DebugReader.sniff(iouFile, fs.readFileSync(iouFile)), true);
    assert.equal(vlmR1DebugReader.sniff(fmt, fs.readFileSync(fmt)), true);
    assert.equal(vlmR1DebugReader.isCompanion!(iouFile), false);
    assert.equal(vlmR1DebugReader.isCompanion!(fmt), true);
    const log = await vlmR1DebugReader.open([iouFile], {});
    assert.deepEqual(log.files, [iouFile, fmt]);
    assert.equal(log.recordCount, 2);
    assert.deepEqual(col(log, 'iou'), [0.993483104418721, 0]);
    assert.deepEqual(col(log, 'format'), [1, 0]);
    const { rollout: r } = log.read(0);
    assert.ok(r);
    assert.deepEqual(r.prompt.images[0], {
      path: '/nowhere/COCO_train2014_000000581857.jpg',
      inputWidth: 420,
      inputHeight: 644,
      width: 427,
      height: 640,
    });
    assert.equal(r.predicted[0].frame, 'model-input');
    assert.equal(r.predicted[0].frameAssumed, undefined);
    assert.ok(Math.abs(vlmR1Iou(r.predicted[0].box, r.reference.boxes[0].box) - 0.993483104418721) < 1e-9);
    assert.deepEqual(r.extra.input_size, [644, 420]);
    assert.deepEqual(r.extra.image_size, [640, 427]);
    assert.deepEqual(r.extra.image_grid_thw, [1, 46, 30]);
    assert.deepEqual(r.extra.predicted_bbox, [103.7, 300.12, 237.9, 477.02]);
    assert.equal(r.extra.fail_to_recognize, false);
    assert.equal(r.extra.logged_reward, 0.993483104418721);
    const r1 = log.read(1).rollout!;
    assert.equal(r1.extra.predicted_bbox, null);
    assert.deepEqual(r1.predicted, []);
    log.close();
    // with a main log beside it, _iou.txt becomes a companion joined as `iou`
    write(path.join(dir, 'debug_log.2025-09-02-10-00-00.txt'), fs.readFileSync(MAIN));
    assert.equal(vlmR1DebugReader.isCompanion!(iouFile), true);
  });
});

describe('VLM-R1 debug log: the other frameworks', () => {
  it('grpo_jsonl accuracy_reward: accu_reward_method and an <answer> Solution', async () => {
    const log = await openVlmR1Debug([JSONL], {});
    assert.equal(log.recordCount, 1);
    assert.deepEqual(log.files, [JSONL]);
    assert.deepEqual(col(log, 'accuracy'), [1]);
    assert.deepEqual(log.groups, [{ step: 1, groupId: '0', records: [0] }]);
    assert.equal(log.grouping.groupSize, undefined); // one entry: nothing to infer from
    assert.equal(log.advantage.source, 'none');
    assert.deepEqual(log.issues, []);
    const r = log.read(0).rollout!;
    assert.equal(r.prompt.text, 'What number of purple metallic balls are there?');
    assert.equal(r.prompt.images[0].path, '/data/clevr/images/CLEVR_trainA_000001_16885.png');
    assert.equal(r.answer, '0');
    assert.equal(r.reference.answer, '0');
    assert.deepEqual(r.reference.boxes, []);
    assert.equal(r.extra.accu_reward_method, 'default');
    assert.equal(r.extra.datetime, undefined); // no date in this file name
  });

  it('Jakhongir0103 multimodal_cot: Image Path (plain string), Completion, Golden / Predicted, inline boxes', async () => {
    const log = await openVlmR1Debug([COT], {});
    assert.equal(log.recordCount, 2);
    assert.deepEqual(col(log, 'accuracy'), [1, 0]);
    assert.deepEqual(log.groups, [{ step: 1, groupId: '0', records: [0, 1] }]);
    assert.equal(log.grouping.groupSize, 2);
    assert.equal(log.grouping.groupSizeAssumed, true);
    approxList([...log.columns!.advantage], grpo([1, 0]));
    assert.deepEqual(log.issues, []);
    const r = log.read(0).rollout!;
    assert.equal(r.prompt.text, '');
    assert.deepEqual(r.prompt.images.map((i) => i.path), ['/data/aokvqa/images/train2017/000000299207.jpg']);
    assert.equal(r.answer, '(B) frisbee');
    assert.equal(r.reference.answer, '(B) frisbee');
    assert.deepEqual(r.reference.boxes.map((b) => [b.raw, b.label, b.frame]), [
      [[110, 78, 305, 420], 'man', 'model-input'],
      [[238, 196, 333, 262], 'frisbee', 'model-input'],
    ]);
    assert.deepEqual(r.predicted.map((b) => [b.raw, b.label, b.part, b.frame]), [
      [[112, 80, 301, 415], 'man', 'think', 'model-input'],
      [[240, 198, 330, 260], 'frisbee', 'think', 'model-input'],
    ]);
    const span = r.predicted[0].span!;
    assert.equal(r.completion.slice(span[0], span[1]), '[112,80,301,415 man]');
    assert.equal(r.extra.golden, '(B) frisbee');
    assert.equal(r.extra.predicted, '(B) frisbee');
    assert.equal(log.read(1).rollout!.extra.predicted, '(A) leash');
  });

  it('Visual-RFT: IoU and Confidence entries of one completion make one record with two rewards', async () => {
    const log = await openVlmR1Debug([RFT], {});
    assert.equal(log.recordCount, 1);
    assert.deepEqual([...log.columns!.rewards.keys()], ['accuracy_iou', 'accuracy_confidence']);
    assert.deepEqual(col(log, 'accuracy_iou'), [0.4843]);
    assert.deepEqual(col(log, 'accuracy_confidence'), [0.65]);
    assert.deepEqual(log.issues, []);
    const r = log.read(0).rollout!;
    assert.deepEqual(r.rewards, { accuracy_iou: 0.4843, accuracy_confidence: 0.65 });
    assert.match(r.completion, /^<think>The image shows two dogs/);
    assert.deepEqual(r.predicted.map((b) => [b.raw, b.frame, b.frameAssumed, b.part]), [
      [[254, 303, 491, 765], 'norm1000', true, 'answer'],
      [[520, 310, 700, 720], 'norm1000', true, 'answer'],
    ]);
    assert.deepEqual(r.reference.boxes.map((b) => [b.raw, b.frame]), [
      [[250, 300, 488, 770], 'norm1000'],
      [[540, 330, 690, 710], 'norm1000'],
    ]);
    assert.deepEqual(r.extra.iou_results, [
      [0.9686, 0.9],
      [0, 0.6],
    ]);
    assert.deepEqual(r.extra.student_answer_bbox, [
      { Position: [254, 303, 491, 765], Confidence: 0.9 },
      { Position: [520, 310, 700, 720], Confidence: 0.6 },
    ]);
    assert.deepEqual((r.extra.ground_truth_bbox as unknown[]).length, 2);
  });

  it('R1-V: Content / Solution only; the entries of one reward call (one timestamp) form a group', async () => {
    const dir = tempDir();
    const lines: string[] = [];
    for (const [ts, sol] of [
      ['05-11-00-00-000001', '3'],
      ['05-11-00-09-000002', '5'],
    ]) {
      for (let k = 0; k < 4; k++) {
        lines.push(`------------- ${ts} Accuracy reward: ${k % 2 === 0 ? '1.0' : '0.0'} -------------`);
        lines.push(`Content: <think>count ${ts} ${k}</think><answer>${k % 2 === 0 ? sol : '7'}</answer>`);
        lines.push(`Solution: <answer> ${sol} </answer>`);
      }
    }
    const file = write(path.join(dir, 'debug_log_2b.txt'), lines.join('\n') + '\n');
    const log = await openVlmR1Debug([file], {});
    assert.equal(log.recordCount, 8);
    assert.deepEqual(log.groups.map((g) => [g.step, g.records]), [
      [1, [0, 1, 2, 3]],
      [2, [4, 5, 6, 7]],
    ]);
    assert.equal(log.grouping.groupSize, 4);
    assert.deepEqual(col(log, 'accuracy'), [1, 0, 1, 0, 1, 0, 1, 0]);
    const r = log.read(4).rollout!;
    assert.equal(r.reference.answer, '5');
    assert.equal(r.answer, '5');
    assert.deepEqual(r.prompt, { text: '', images: [] });
    assert.equal(r.step, 2);
  });
});

describe('VLM-R1 debug log: interleaved ranks', () => {
  /** Group A = the fixture's 4 blocks; group B = the same with other text (another rank's prompt). */
  function twoRanks(dir: string): { main: string; fmt: string } {
    const a = blocksOf(MAIN);
    const b = a.map((t) => t.replace(/blue/g, 'azure').replace(/21-14-03-27-1/, '21-14-03-27-5'));
    const order = [a[0], b[0], a[1], a[2], b[1], b[2], b[3], a[3]];
    const main = write(path.join(dir, 'debug_log.2025-06-21-14-00-00.txt'), order.join('\n') + '\n');
    const fa = blocksOf(FORMAT)[0];
    const fb = fa.replace(/blue/g, 'azure').replace(/Has format: True/g, 'Has format: False').replace('21-14-03-27-152310', '21-14-03-27-552310');
    // rank B's format call lands first
    const fmt = write(path.join(dir, 'debug_log.2025-06-21-14-00-00_format.txt'), fb + '\n' + fa + '\n');
    return { main, fmt };
  }

  it('keeps a group open until it holds G entries, so interleaving does not split groups (G from the context)', async () => {
    const { main } = twoRanks(tempDir());
    const log = await openVlmR1Debug([main], { context: { groupSize: cv(4, 'run script') } });
    assert.equal(log.recordCount, 8);
    assert.deepEqual(log.groups.map((g) => [g.step, g.records]), [
      [1, [0, 2, 3, 7]],
      [2, [1, 4, 5, 6]],
    ]);
    assert.equal(log.grouping.irregular, 0);
    assert.deepEqual(col(log, 'accuracy'), [ACCURACY[0], ACCURACY[0], ACCURACY[1], ACCURACY[2], ACCURACY[1], ACCURACY[2], ACCURACY[3], ACCURACY[3]]);
    // joins follow the completion text, not the file order
    assert.deepEqual(col(log, 'format'), [1, 0, 1, 1, 0, 0, 0, 0]);
    assert.deepEqual(log.issues, []);
    assert.equal(log.read(1).rollout!.prompt.text, 'the lady with the azure shirt');
    assert.deepEqual([log.read(7).rollout!.step, log.read(7).rollout!.indexInGroup], [1, 3]);
  });

  it('infers G = 4 from interleaved entries too', async () => {
    const { main } = twoRanks(tempDir());
    const log = await openVlmR1Debug([main], {});
    assert.equal(log.grouping.groupSize, 4);
    assert.equal(log.grouping.groupSizeAssumed, true);
    assert.deepEqual(log.groups.map((g) => g.records), [
      [0, 2, 3, 7],
      [1, 4, 5, 6],
    ]);
  });

  it('a prompt seen again later (another epoch) starts a new group even when the old one is short', async () => {
    const dir = tempDir();
    const a = blocksOf(MAIN);
    const later = a.map((t) => t.replace(/^------------- 21-14-03-27-/, '------------- 21-15-03-27-'));
    const file = write(path.join(dir, 'debug_log.txt'), [a[0], a[1], a[2], ...later].join('\n') + '\n');
    const log = await openVlmR1Debug([file], { context: { groupSize: cv(4, 'test') } });
    assert.deepEqual(log.groups.map((g) => g.records), [
      [0, 1, 2],
      [3, 4, 5, 6],
    ]);
    assert.equal(log.grouping.irregular, 1);
    assert.ok(log.issues.some((i) => /holds 3 completions, expected G = 4/.test(i.message)));
  });
});

describe('VLM-R1 debug log: bad input', () => {
  it('reports garbage, malformed headers, missing fields, stray lines, bad UTF-8 and a truncated last block; reads the rest', async () => {
    const dir = tempDir();
    const parts: Buffer[] = [];
    let line = 0;
    const add = (text: string | Buffer): number => {
      const start = line + 1;
      const buf = typeof text === 'string' ? Buffer.from(text + '\n') : Buffer.concat([text, Buffer.from('\n')]);
      parts.push(buf);
      line += buf.toString('latin1').split('\n').length - 1;
      return start;
    };
    add('Traceback (most recent call last):\n  File "x.py", line 1');
    const a = blocksOf(MAIN);
    const goodLine = add(a[1]);
    const noValue = add(a[2].replace(/Accuracy reward: 0\.0 /, 'Accuracy reward: '));
    const noContent = add(
      ['------------- 21-14-03-28-000001 Accuracy reward: 1.0 -------------', "image_path: ['/x.jpg']", 'problem: p', 'Solution: [1, 2, 3, 4]'].join('\n'),
    );
    const stray = add(
      [
        '------------- 21-14-03-28-000002 Accuracy reward: 0.25 -------------',
        "image_path: ['/x.jpg']",
        'problem: p',
        'Content: <think>t</think><answer>[1, 2, 3, 4]</answer>',
        'Solution: [1, 2, 3, 4]',
        '100%|██████████| 8/8 [00:01<00:00]',
      ].join('\n'),
    );
    const bad = add(
      Buffer.concat([
        Buffer.from("------------- 21-14-03-28-000003 Accuracy reward: 0.5 -------------\nimage_path: ['/x.jpg']\nproblem: p\nContent: caf"),
        Buffer.from([0xe9, 0xff]),
        Buffer.from('\nSolution: [1, 2, 3, 4]'),
      ]),
    );
    const cut = add("------------- 21-14-03-28-000004 Accuracy reward: 0.75 -------------\nimage_path: ['/x.jpg']\nproblem: p\nContent: <think>the log was cut in the mid");
    const file = write(path.join(dir, 'debug_log.txt'), Buffer.concat(parts).subarray(0, -1)); // no final newline
    const log = await openVlmR1Debug([file], {});
    assert.equal(log.recordCount, 5);
    assert.deepEqual([0, 1, 2, 3, 4].map((i) => log.lineOf(i)), [goodLine, noValue, stray, bad, cut]);
    assert.deepEqual(col(log, 'accuracy'), [ACCURACY[1], null, 0.25, 0.5, 0.75]);
    const issues = log.issues.filter((i) => !i.message.startsWith('group ')).map((i) => [i.line, i.severity, i.message]);
    const expected: Array<[number, string, RegExp]> = [
      [1, 'warning', /^2 lines before the first block header ignored$/],
      [noValue, 'warning', /^malformed block header "Accuracy reward:" \(no reward value\)$/],
      [noContent, 'error', /^the block has no Content \/ Completion line/],
      [stray + 5, 'warning', /^1 unexpected line ignored \(not a field of this block\): "100%/],
      [bad + 3, 'warning', /^the line holds bytes that are not valid UTF-8/],
      [cut + 3, 'warning', /^the entry has no Solution: line after its Content \(truncated block\?\)$/],
    ];
    assert.equal(issues.length, expected.length, JSON.stringify(issues));
    expected.forEach(([l, sev, re], k) => {
      assert.equal(issues[k][0], l, `issue ${k}`);
      assert.equal(issues[k][1], sev);
      assert.match(issues[k][2] as string, re);
    });
    assert.ok(log.issues.every((i) => i.file === file));
    // what could be read was read
    const s = log.read(2);
    assert.deepEqual(s.rollout!.reference.boxes.map((b) => b.raw), [[1, 2, 3, 4]]);
    // the block's own problem, then the image (not found) and its box (so left unmapped)
    assert.deepEqual(s.issues.map((i) => i.line), [stray + 5, stray + 1, stray]);
    assert.equal(log.read(3).rollout!.completion, 'caf\uFFFD\uFFFD');
    const c = log.read(4).rollout!;
    assert.equal(c.completion, '<think>the log was cut in the mid');
    assert.deepEqual(c.reference, { boxes: [] });
    assert.equal(log.read(1).rollout!.rewards.accuracy, null);
    log.close();
  });

  it('reads CRLF logs like LF logs', async () => {
    const dir = tempDir();
    const main = write(path.join(dir, 'debug_log.txt'), fs.readFileSync(MAIN, 'utf8').replace(/\n/g, '\r\n'));
    write(path.join(dir, 'debug_log_format.txt'), fs.readFileSync(FORMAT, 'utf8').replace(/\n/g, '\r\n'));
    const log = await openVlmR1Debug([main], {});
    assert.deepEqual(col(log, 'accuracy'), ACCURACY);
    assert.deepEqual(col(log, 'format'), FORMAT_VALUES);
    assert.equal(log.read(0).rollout!.completion, COMPLETION_0);
    assert.deepEqual(log.issues, []);
  });

  it('an empty file is an empty log; a file with no header is an error issue', async () => {
    const dir = tempDir();
    const empty = write(path.join(dir, 'empty.txt'), '');
    const log = await openVlmR1Debug([empty], {});
    assert.equal(log.recordCount, 0);
    assert.deepEqual(log.groups, []);
    const junk = write(path.join(dir, 'junk.txt'), 'just\nsome\ntext\n');
    const log2 = await openVlmR1Debug([junk], {});
    assert.equal(log2.recordCount, 0);
    assert.deepEqual(log2.issues.map((i) => [i.line, i.severity]), [[1, 'error']]);
  });

  it('the reader reports a file that shrank after indexing', async () => {
    const dir = tempDir();
    const file = write(path.join(dir, 'debug_log.txt'), fs.readFileSync(MAIN));
    const log = await openVlmR1Debug([file], {});
    fs.writeFileSync(file, 'x');
    const out = log.read(3);
    assert.equal(out.rollout, null);
    assert.match(out.issues[0].message, /shorter than when it was indexed/);
    log.close();
  });
});

describe('VLM-R1 debug log: pieces', () => {
  it('parses headers of every variant, strict and loose', () => {
    assert.deepEqual(parseDebugHeader('------------- 21-14-03-27-131777 Accuracy reward: 0.7266408787594841 -------------'), {
      timestamp: '21-14-03-27-131777',
      title: 'Accuracy reward: 0.7266408787594841',
      kind: 'accuracy',
      reward: 0.7266408787594841,
      rewardText: '0.7266408787594841',
      strict: true,
    });
    assert.equal(parseDebugHeader('------------- 21-10-02-55-871203 Accuracy reward of IoU: 0.4843 -------------')!.variant, 'IoU');
    assert.equal(parseDebugHeader('------------- 21-10-02-55-871203 Accuracy reward of Confidence: 0.65 -------------')!.variant, 'Confidence');
    assert.equal(parseDebugHeader('------------- 02-10-00-01-000001 IOU Accuracy reward:-------------')!.kind, 'glm-iou');
    assert.equal(parseDebugHeader('-------------02-10-00-01-000003 Format reward -------------')!.kind, 'format');
    assert.equal(parseDebugHeader('------------- 21-14-03-27-152310 Format reward -------------')!.strict, true);
    assert.equal(parseDebugHeader('------------- 21-14-03-27-152310 Accuracy reward: -0.5 -------------')!.reward, -0.5);
    assert.ok(Number.isNaN(parseDebugHeader('------------- 21-14-03-27-152310 Accuracy reward: nan -------------')!.reward));
    const other = parseDebugHeader('------------- 21-14-03-27-152310 Length reward: 0.3 -------------')!;
    assert.deepEqual([other.kind, other.variant, other.reward, other.strict], ['other', 'length', 0.3, true]);
    const loose = parseDebugHeader('---------- Accuracy reward: 1.0 ----------')!;
    assert.deepEqual([loose.kind, loose.reward, loose.strict, loose.timestamp], ['accuracy', 1, false, null]);
    assert.equal(parseDebugHeader('-------------------------------------'), null);
    assert.equal(parseDebugHeader('---------- my reward notes ----------'), null);
    assert.equal(parseDebugHeader('------------- 21-14-03-27-152310 some reward thoughts -------------')!.strict, false);
    assert.equal(parseDebugHeader('Content: ------------- 21-14-03-27-152310 Format reward -------------'), null);
  });

  it('timestamps: microseconds within the month', () => {
    assert.equal(timestampMicros('01-00-00-01-000002'), (86400 + 1) * 1e6 + 2);
    assert.ok(Number.isNaN(timestampMicros('1-00-00-01-000002')));
    assert.ok(Number.isNaN(timestampMicros('32-00-00-01-000002')));
    assert.ok(Number.isNaN(timestampMicros(null)));
  });

  it('a completion that contains "Solution: " lines runs to the LAST Solution line; the problem to the first Content line', () => {
    const { block } = parseDebugBlock(
      [
        '------------- 21-14-03-27-131777 Accuracy reward: 1.0 -------------',
        "image_path: ['/a.jpg']",
        'problem: line one',
        'line two',
        'Content: <think>',
        'Solution: is not here yet',
        '</think><answer>[1, 2, 3, 4]</answer>',
        'Solution: [1, 2, 3, 4]',
      ].join('\n'),
    );
    assert.deepEqual(block.problems, []);
    assert.equal(block.entries[0].fields.problem, 'line one\nline two');
    assert.equal(block.entries[0].fields.completion, '<think>\nSolution: is not here yet\n</think><answer>[1, 2, 3, 4]</answer>');
    assert.equal(block.entries[0].fields.solution, '[1, 2, 3, 4]');
  });

  it('a multi-line <answer> Solution is kept whole; text after its </answer> is reported', () => {
    const body = ['Content: c', 'Solution: <answer> first', 'second </answer>', 'stray'];
    const b = parseBlockBody('accuracy', body);
    assert.equal(b.entries[0].fields.solution, '<answer> first\nsecond </answer>');
    assert.deepEqual(b.problems.map((p) => p.line), [3]);
  });

  it('predictedBoxes: rules in order', () => {
    assert.deepEqual(predictedBoxes('<answer>{"bbox_2d": [1, 2, 3, 4]}</answer> [5, 6, 7, 8]').map((b) => b.raw), [[1, 2, 3, 4]]);
    assert.deepEqual(predictedBoxes("<answer>[{'Position': [1, 2, 3, 4], 'Confidence': 1}]</answer>").map((b) => b.frame), ['norm1000']);
    assert.deepEqual(predictedBoxes('<think>[1,2,3,4 cat]</think>').map((b) => b.label), ['cat']);
    assert.deepEqual(predictedBoxes('[1, 2, 3, 4] <answer>x [5, 6, 7, 8] [9, 9, 9, 9]</answer>').map((b) => b.raw), [[5, 6, 7, 8]]);
    assert.deepEqual(predictedBoxes('<answer>[1.5, 2, 3, 4]</answer>'), []);
  });

  it('hash53 gives exact, distinct 53-bit numbers', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 20000; i++) {
      const h = hash53(`completion ${i}`);
      assert.ok(Number.isSafeInteger(h) && h >= 0);
      seen.add(h);
    }
    assert.equal(seen.size, 20000);
    assert.equal(hash53('abc'), hash53('abc'));
    assert.notEqual(hash53('ab'), hash53('ba'));
  });

  it('sniff: content-based, for the logs and their companions; not for other formats', () => {
    for (const f of [MAIN, FORMAT, JSONL, COT, RFT]) assert.equal(vlmR1DebugReader.sniff(f, fs.readFileSync(f)), true, f);
    assert.equal(vlmR1DebugReader.sniff(EASYR1, fs.readFileSync(EASYR1)), false);
    assert.equal(vlmR1DebugReader.sniff('x.jsonl', Buffer.from('{"step": 1, "completion": "------------- 21-14-03-27-131777 Accuracy reward: 1.0 -------------"}\n')), false);
    // the name does not matter; a header cut off by the end of the head still counts
    assert.equal(sniffDebugLog(Buffer.from('------------- 21-14-03-27-131777 Accuracy reward: 1.0 -------------')), true);
    assert.equal(sniffDebugLog(Buffer.from('------------- 21-14-03-27-131777 Accuracy reward: 1.0 -------------\nnot a field\n')), false);
    assert.equal(sniffDebugLog(Buffer.from([0xff, 0xfe, 0x00, 0x41])), false);
  });
});

describe('VLM-R1 debug log: scale and progress', function () {
  this.timeout(20000);
  it('indexes 16 000 completions with a format companion: counts, groups, joins, progress', async () => {
    const dir = tempDir();
    const main: string[] = [];
    const fmt: string[] = [];
    const N = 16000;
    for (let g = 0; g < N / 8; g++) {
      const s = Math.floor(g / 10);
      const ts = `21-${String(10 + Math.floor(s / 3600)).padStart(2, '0')}-${String(Math.floor(s / 60) % 60).padStart(2, '0')}-${String(s % 60).padStart(2, '0')}`;
      fmt.push(`------------- ${ts}-${String(g % 1000000).padStart(6, '0')} Format reward -------------`);
      for (let k = 0; k < 8; k++) {
        const content = `<think>\nlook ${g}.${k}\n\n</think>\n<answer>{"bbox_2d": [${k}, 2, 30, 40]}</answer>`;
        main.push(`------------- ${ts}-${String((g * 8 + k) % 1000000).padStart(6, '0')} Accuracy reward: ${k / 8} -------------`);
        main.push(`image_path: ['/data/img_${g % 50}.jpg']`, `problem: prompt ${g}`, `Content: ${content}`, 'Solution: [1, 2, 30, 40]');
        fmt.push(`Content: ${content}`, `Has format: ${k % 3 === 0}`.replace('true', 'True').replace('false', 'False'));
      }
    }
    const file = write(path.join(dir, 'debug_log.txt'), main.join('\n') + '\n');
    write(path.join(dir, 'debug_log_format.txt'), fmt.join('\n') + '\n');
    let lastProgress: [number, number] = [0, 0];
    const t0 = Date.now();
    const log = await openVlmR1Debug([file], { chunkSize: 64 * 1024, onProgress: (b, t) => (lastProgress = [b, t]) });
    const ms = Date.now() - t0;
    assert.equal(log.recordCount, N);
    assert.equal(log.groups.length, N / 8);
    assert.equal(log.grouping.groupSize, 8);
    assert.ok(log.groups.every((g, i) => g.step === i + 1 && g.records.length === 8));
    const f = col(log, 'format');
    assert.ok(f.every((v, r) => v === ((r % 8) % 3 === 0 ? 1 : 0)));
    assert.deepEqual(log.issues, []);
    assert.equal(lastProgress[0], lastProgress[1]);
    assert.equal(lastProgress[1], log.bytes);
    assert.ok(ms < 10000, `${ms} ms`);
    const r = log.read(N - 1).rollout!;
    assert.equal(r.prompt.text, `prompt ${N / 8 - 1}`);
    assert.equal(r.rewards.format, (7 % 3 === 0 ? 1 : 0));
    log.close();
  });
});

describe('VLM-R1 debug log: properties', function () {
  this.timeout(20000);
  const fixtureText = [MAIN, FORMAT, JSONL, COT, RFT].map((f) => fs.readFileSync(f, 'utf8'));

  it('the block parser never throws on random text', () => {
    // log-like characters (long strings), plus any code points (short strings: generating those is slow)
    const alphabet = fc.constantFrom(...`-------------\n\r\t :[](){}'"\\\`<>/ContentSolutionproblemimage_pathHas format: True0123456789.é\uFFFD`.split(''));
    const text = fc.oneof(fc.string({ unit: alphabet, maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 20 }));
    fc.assert(
      fc.property(text, (s) => {
        const t = Date.now();
        const out = parseDebugBlock(s);
        assert.ok(Array.isArray(out.block.entries));
        for (const kind of ['accuracy', 'format'] as const) parseBlockBody(kind, s.split('\n'));
        assert.ok(Date.now() - t < 200);
      }),
      { numRuns: 300 },
    );
  });

  it('the block parser never throws on mutated fixture text', () => {
    const labels = ['Content: ', 'Solution: ', 'problem: ', 'Has format: ', 'match: ', 'Reward: ', '-------------', '\n', "['", ']'];
    fc.assert(
      fc.property(
        fc.constantFrom(...fixtureText),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 2 }), fc.constantFrom(...labels)), { maxLength: 10 }),
        (seed, edits) => {
          let s = seed;
          for (const [pos, kind, piece] of edits) {
            const p = pos % (s.length + 1);
            if (kind === 0) s = s.slice(0, p) + piece + s.slice(p);
            else if (kind === 1) s = s.slice(0, p) + s.slice(p + piece.length);
            else s = s.slice(0, p) + s.slice(p, p + 40) + s.slice(p);
          }
          for (const block of s.split(/\n(?=-{13})/)) {
            const out = parseDebugBlock(block);
            assert.ok(Array.isArray(out.block.problems));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('opening and reading mutated fixture files never throws', async () => {
    const dir = tempDir();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...fixtureText),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 2 }), fc.constantFrom('\n', '-------------', 'Content: ', 'Solution: ', '\u00e9', 'x')), { maxLength: 8 }),
        async (seed, edits) => {
          let s = seed;
          for (const [pos, kind, piece] of edits) {
            const p = pos % (s.length + 1);
            if (kind === 0) s = s.slice(0, p) + piece + s.slice(p);
            else if (kind === 1) s = s.slice(0, p) + s.slice(p + 3);
            else s = s.slice(0, p) + s.slice(p, p + 60) + s.slice(p);
          }
          const file = write(path.join(dir, `m${n++}`, 'debug_log.txt'), s);
          const log = await openVlmR1Debug([file], { exists: () => false });
          for (let i = 0; i < log.recordCount; i++) {
            const out = log.read(i);
            assert.ok(out.rollout !== null || out.issues.length > 0);
          }
          log.close();
        },
      ),
      { numRuns: 40 },
    );
  });
});
