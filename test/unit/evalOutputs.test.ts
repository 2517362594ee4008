import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  EvalRolloutLog,
  answersEqual,
  evalJsonlReader,
  generatedResponsesReader,
  jsonArrayElementLines,
  normaliseAnswer,
  openEvalJsonl,
  openR1vEval,
  parseEvalLine,
  r1vEvalReader,
} from '../../extension/core/formats/evalOutputs';
import { FIXTURES, makePng, tempDir, writeLines } from './helpers';

const FW = path.join(FIXTURES, 'frameworks');
const COUNTING = path.join(FW, 'r1-v__eval_logs__counting_results_superclevr_grpo100.head4.json');
const GEOQA = path.join(FW, 'r1-v__eval_logs__geoqa_test_qwen2vl_7b_grpo.head2.json');
const GENERATED = path.join(FW, 'jakhongir0103-vlm-r1__results_vsr_grpo-baseline__generated_responses.head3.json');

function head(file: string): Buffer {
  return fs.readFileSync(file).subarray(0, 64 * 1024);
}

function close(a: number, b: number, eps = 1e-9): boolean {
  return Math.abs(a - b) <= eps;
}

describe('R1-V eval results reader: the real files', () => {
  it('is recognised by content; the other eval readers do not claim it', () => {
    for (const f of [COUNTING, GEOQA]) {
      assert.equal(r1vEvalReader.sniff(f, head(f)), true);
      assert.equal(generatedResponsesReader.sniff(f, head(f)), false);
      assert.equal(evalJsonlReader.sniff(f, head(f)), false);
    }
    assert.equal(r1vEvalReader.sniff('/x/trainer_state.json', Buffer.from('{"log_history": [], "global_step": 3}')), false);
  });

  it('counting: 4 results, each starting on its own line; correctness recomputed (extracted == ground truth)', async () => {
    const log = (await r1vEvalReader.open([COUNTING], {})) as EvalRolloutLog;
    try {
      assert.equal(log.format, 'r1v-eval-json');
      assert.equal(log.recordCount, 4);
      assert.equal(log.stepKind, 'none');
      assert.equal(log.grouping.method, 'none');
      assert.deepEqual([0, 1, 2, 3].map((i) => log.lineOf(i)), [4, 14, 24, 34]);
      assert.deepEqual(log.evalMeta, {
        reportedAccuracy: 82.5,
        accuracy: 1,
        judged: 4,
        correct: 4,
        recomputed: 4,
        fields: { _note: 'truncated to first 4 of 200 results' },
      });
      assert.deepEqual(log.issues.map((i) => [i.line, i.severity, i.message]), [
        [0, 'warning', 'the file states accuracy 82.5 %; the 4 results read give 100 % (4 judged by the reader)'],
      ]);
      const truths = [4, 9, 10, 4];
      for (let k = 0; k < 4; k++) {
        const { rollout: r, issues } = log.read(k);
        assert.ok(r);
        assert.equal(r.prompt.text, 'How many different items are there in the image?');
        assert.equal(r.prompt.images[0].path, `/home/chenliang/images/superCLEVR_new_02500${k}.png`);
        assert.equal(r.completion, `<answer>${truths[k]}</answer>`);
        assert.equal(r.answer, String(truths[k]));
        assert.equal(r.reference.answer, String(truths[k]));
        assert.deepEqual(r.eval, { correct: true, scores: {}, slice: {} });
        assert.deepEqual(r.extra, {
          extracted_answer: truths[k],
          correct_rule: 'extracted_answer == ground_truth (numerically when both are numbers)',
          correct_source: 'recomputed',
        });
        assert.deepEqual(r.source, { file: COUNTING, line: [4, 14, 24, 34][k] });
        assert.deepEqual(issues.map((i) => i.message), [`image not found: /home/chenliang/images/superCLEVR_new_02500${k}.png (no image roots set)`]);
      }
    } finally {
      log.close();
    }
  });

  it('geoqa: is_correct as logged, the <answer> extracted, ground truth as reference', async () => {
    const log = await openR1vEval(GEOQA, { exists: () => false });
    try {
      assert.equal(log.recordCount, 2);
      assert.deepEqual([0, 1].map((i) => log.lineOf(i)), [4, 15]);
      assert.equal(log.evalMeta.reportedAccuracy, 38.726790450928384);
      assert.equal(log.evalMeta.accuracy, 0);
      assert.equal(log.evalMeta.recomputed, 0);
      const r0 = log.read(0).rollout!;
      assert.equal(r0.answer, '40.0');
      assert.equal(r0.reference.answer, '140°');
      assert.deepEqual(r0.eval, { correct: false, scores: {}, slice: {} });
      assert.deepEqual(r0.extra, { extracted_answer: '40.0000000000000', correct_source: 'logged' });
      const r1 = log.read(1).rollout!;
      assert.equal(r1.answer, '25');
      assert.equal(r1.reference.answer, '65°');
      assert.equal(r1.eval!.correct, false);
    } finally {
      log.close();
    }
  });

  it('finds images under the image roots by trailing path segments', async () => {
    const root = tempDir();
    fs.mkdirSync(path.join(root, 'images'));
    fs.writeFileSync(path.join(root, 'images', 'superCLEVR_new_025001.png'), makePng(480, 320));
    const log = await openR1vEval(COUNTING, { imageRoots: [root] });
    try {
      const { rollout: r, issues } = log.read(1);
      assert.deepEqual(issues, []);
      assert.equal(r!.prompt.images[0].resolved, path.join(root, 'images', 'superCLEVR_new_025001.png'));
      assert.equal(r!.prompt.images[0].width, 480);
    } finally {
      log.close();
    }
  });
});

describe('VLM-R1 rec_results (test_rec_r1.py) variant', () => {
  // 427×640 COCO image; Qwen2.5-VL input 420×644 (image_grid_thw [1, 46, 30])
  const raw = [102, 302, 234, 480];
  const mapped = [(102 / 420) * 427, (302 / 644) * 640, (234 / 420) * 427, (480 / 644) * 640];
  const gt = [103.93, 299.99, 238.15, 477.41];
  const out = (b: number[]): string => `<think>left lady</think><answer>{"bbox_2d": [${b.join(', ')}], "label": "lady"}</answer>`;
  function write(results: unknown[]): { file: string; dir: string } {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'coco', 'train2014'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'coco', 'train2014', 'COCO_train2014_000000581857.jpg'), makePng(427, 640));
    const file = path.join(dir, 'logs', 'rec_results_refcoco_val_Qwen2.5-VL-3B-rec_100.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ accuracy: 100, results }, null, 2));
    return { file, dir };
  }
  const base = {
    image: 'coco/train2014/COCO_train2014_000000581857.jpg',
    question: 'the lady with the blue shirt',
    ground_truth: gt,
    model_output: out(raw),
    input_size: [644, 420],
    image_size: [640, 427],
  };

  it('maps the predicted box with the logged input and image sizes (known), checks extracted_answer', async () => {
    const { file, dir } = write([
      { ...base, extracted_answer: mapped, correct: 1 },
      { ...base, extracted_answer: raw, correct: 1 },
      { ...base, extracted_answer: mapped },
    ]);
    assert.equal(r1vEvalReader.sniff(file, head(file)), true);
    const log = await openR1vEval(file, { baseDirs: [dir] });
    try {
      assert.equal(log.recordCount, 3);
      assert.deepEqual([0, 1, 2].map((i) => log.lineOf(i)), [4, 30, 56]);
      const a = log.read(0);
      assert.deepEqual(a.issues, []);
      const r = a.rollout!;
      const im = r.prompt.images[0];
      assert.deepEqual([im.width, im.height, im.inputWidth, im.inputHeight], [427, 640, 420, 644]);
      assert.equal(im.resolved, path.join(dir, 'coco', 'train2014', 'COCO_train2014_000000581857.jpg'));
      const p = r.predicted[0];
      assert.deepEqual(p.raw, raw);
      assert.equal(p.frame, 'model-input');
      assert.equal(p.frameAssumed, undefined);
      p.box.forEach((v, k) => assert.ok(close(v, mapped[k])));
      assert.deepEqual(r.reference.boxes.map((b) => [b.box, b.frame, b.frameAssumed]), [[gt, 'original', undefined]]);
      assert.equal(r.eval!.correct, true);
      assert.equal(r.extra.correct_source, 'logged');
      assert.ok(r.eval!.scores.iou! > 0.9);
      // a file that wrote the raw box as extracted_answer is caught
      assert.deepEqual(log.read(1).issues.map((i) => i.message), [
        `extracted_answer [102, 302, 234, 480] differs from the predicted box mapped to original pixels [${mapped.map((v) => v.toFixed(2)).join(', ')}] (it equals the raw model-input box: the file did not map it)`,
      ]);
      // no correct field: recomputed with VLM-R1's rule
      const r2 = log.read(2).rollout!;
      assert.equal(r2.eval!.correct, true);
      assert.equal(r2.extra.correct_source, 'recomputed');
      assert.equal(r2.extra.correct_rule, 'IoU(extracted_answer, ground_truth) > 0.5');
      assert.deepEqual(log.evalMeta, { reportedAccuracy: 100, accuracy: 1, judged: 3, correct: 3, recomputed: 1, fields: {} });
    } finally {
      log.close();
    }
  });

  it('a result without model_output is an error on its line; the others are read', async () => {
    const { file } = write([{ ...base, extracted_answer: mapped, correct: 1 }, { image: 'x.jpg', question: 'q', ground_truth: gt }, 'oops']);
    const log = await openR1vEval(file);
    try {
      assert.equal(log.recordCount, 1);
      assert.deepEqual(log.issues.filter((i) => i.severity === 'error').map((i) => [i.line, i.message]), [
        [30, 'model_output must be a string, got nothing'],
        [40, 'result is "oops", not an object'],
      ]);
    } finally {
      log.close();
    }
  });
});

describe('generated_responses.json reader', () => {
  it('reads true/predicted responses; correct = normalised exact match of <answer>, recomputed', async () => {
    assert.equal(generatedResponsesReader.sniff(GENERATED, head(GENERATED)), true);
    assert.equal(r1vEvalReader.sniff(GENERATED, head(GENERATED)), false);
    const log = (await generatedResponsesReader.open([GENERATED], {})) as EvalRolloutLog;
    try {
      assert.equal(log.format, 'generated-responses-json');
      assert.equal(log.recordCount, 3);
      assert.deepEqual([0, 1, 2].map((i) => log.lineOf(i)), [2, 6, 10]);
      assert.deepEqual(log.issues, []);
      const rs = [0, 1, 2].map((i) => log.read(i).rollout!);
      assert.deepEqual(rs.map((r) => [r.reference.answer, r.answer, r.eval!.correct]), [
        ['True', 'False', false],
        ['False', 'False', true],
        ['False', 'True', false],
      ]);
      assert.deepEqual(rs[1].extra, { correct_source: 'recomputed', correct_rule: 'normalised exact match of the <answer> content' });
      assert.deepEqual(log.evalMeta, { reportedAccuracy: null, accuracy: 1 / 3, judged: 3, correct: 1, recomputed: 3, fields: {} });
    } finally {
      log.close();
    }
  });

  it('normalises answers and compares numbers numerically', () => {
    assert.equal(normaliseAnswer('  True.\n'), 'true');
    assert.equal(normaliseAnswer('A  cat'), 'a cat');
    assert.equal(answersEqual('40.0000000000000', 40), true);
    assert.equal(answersEqual('4', 4), true);
    assert.equal(answersEqual(null, 4), false);
    assert.equal(answersEqual(' Yes ', 'yes'), true);
    assert.equal(answersEqual('140', '140°'), false);
  });
});

describe('Rollout Lens eval JSONL reader', () => {
  function evalFile(lines: Array<string | Record<string, unknown>>): { file: string; dir: string } {
    const dir = tempDir();
    const file = path.join(dir, 'ckpt100.eval.jsonl');
    writeLines(file, lines);
    return { file, dir };
  }

  it('reads every documented field into the rollout and its eval info', async () => {
    const { file, dir } = evalFile([
      {
        sample_id: 'refcoco-val-17',
        prompt: { text: 'the lady with the blue shirt', images: [{ path: 'img.png', input_width: 420, input_height: 644 }] },
        completion: '<think>left</think><answer>{"bbox_2d": [102, 302, 234, 480]}</answer>',
        reference: { answer: 'left lady', boxes: [{ bbox: [103.93, 299.99, 238.15, 477.41], label: 'lady' }] },
        correct: true,
        scores: { iou: 0.93, f1: null },
        slice: { dataset: 'refcoco', split: 'val', category: 'person' },
        checkpoint: 'checkpoint-100',
        extra: { seed: 3 },
        latency_ms: 812,
      },
      { sample_id: 18, completion: 'no box', correct: null, scores: {} },
    ]);
    fs.writeFileSync(path.join(dir, 'img.png'), makePng(427, 640));
    const log = (await evalJsonlReader.open([file], {})) as EvalRolloutLog;
    try {
      assert.equal(log.format, 'eval-jsonl');
      assert.equal(log.recordCount, 2);
      assert.deepEqual(log.issues, []);
      assert.equal(log.stepKind, 'none');
      assert.deepEqual(log.evalMeta, { reportedAccuracy: null, accuracy: 1, judged: 1, correct: 1, recomputed: 0, fields: {} });
      const { rollout: r, issues } = log.read(0);
      assert.deepEqual(issues, []);
      assert.ok(r);
      assert.equal(r.sampleId, 'refcoco-val-17');
      assert.deepEqual(r.eval, { correct: true, scores: { iou: 0.93, f1: null }, slice: { dataset: 'refcoco', split: 'val', category: 'person' }, checkpoint: 'checkpoint-100' });
      assert.deepEqual(r.extra, { seed: 3, latency_ms: 812, correct_source: 'logged' });
      assert.equal(r.prompt.text, 'the lady with the blue shirt');
      assert.deepEqual([r.prompt.images[0].width, r.prompt.images[0].height], [427, 640]);
      const p = r.predicted[0];
      assert.equal(p.frame, 'model-input');
      assert.ok(close(p.box[0], (102 / 420) * 427));
      assert.deepEqual(r.reference.boxes.map((b) => [b.box, b.label]), [[[103.93, 299.99, 238.15, 477.41], 'lady']]);
      assert.equal(r.reference.answer, 'left lady');
      assert.deepEqual(r.source, { file, line: 1 });
      const r2 = log.read(1).rollout!;
      assert.equal(r2.sampleId, '18');
      assert.deepEqual(r2.eval, { correct: null, scores: {}, slice: {} });
      assert.deepEqual(r2.extra, {});
    } finally {
      log.close();
    }
  });

  it('is recognised by its name or by its fields (not when group_id makes it a rollout log)', () => {
    const line = (o: Record<string, unknown>): Buffer => Buffer.from(JSON.stringify(o) + '\n');
    assert.equal(evalJsonlReader.sniff('/x/a.eval.jsonl', Buffer.from('')), true);
    assert.equal(evalJsonlReader.sniff('/x/a.jsonl', line({ sample_id: 1, completion: 'c', correct: true })), true);
    assert.equal(evalJsonlReader.sniff('/x/a.jsonl', line({ sample_id: 1, completion: 'c', scores: {} })), true);
    assert.equal(evalJsonlReader.sniff('/x/a.jsonl', line({ sample_id: 1, completion: 'c', correct: true, group_id: 'g' })), false);
    assert.equal(evalJsonlReader.sniff('/x/a.jsonl', line({ step: 1, completion: 'c' })), false);
    assert.equal(evalJsonlReader.sniff('/x/a.jsonl', Buffer.from('{"sample_id": 1, "correct": false, "completion": "very long…')), true);
  });

  it('bad lines are errors with their line, odd fields warnings; the rest is read', async () => {
    const { file } = evalFile([
      { sample_id: 'a', completion: 'x', correct: true },
      '{"sample_id": "b", "completion": ',
      { completion: 'no id', correct: false },
      { sample_id: ['c'], completion: 'x' },
      { sample_id: 'd', completion: 42 },
      { sample_id: 'a', completion: 'again', correct: 'yes', scores: { iou: 'high', ok: true }, slice: { dataset: 5, x: {} }, checkpoint: {} },
    ]);
    const log = await openEvalJsonl(file);
    try {
      assert.equal(log.recordCount, 2);
      assert.deepEqual(
        log.issues.map((i) => [i.line, i.severity, i.message.replace(/: .*$/, '')]),
        [
          [2, 'error', 'not valid JSON'],
          [3, 'error', 'missing required field sample_id'],
          [4, 'error', 'field sample_id must be a string or a number, got ["c"]'],
          [5, 'error', 'field completion must be a string, got 42'],
          [6, 'warning', 'correct must be true, false or null, got "yes" (read as not judged)'],
          [6, 'warning', 'score iou must be a number or null, got "high"'],
          [6, 'warning', 'slice.x must be a string, got {}'],
          [6, 'warning', 'checkpoint must be a string, got {}'],
          [6, 'warning', 'sample_id a also on line 1'],
        ],
      );
      const r = log.read(1).rollout!;
      assert.deepEqual(r.eval, { correct: null, scores: { iou: null, ok: 1 }, slice: { dataset: '5' } });
    } finally {
      log.close();
    }
  });
});

describe('eval parsers: properties', () => {
  it('parseEvalLine never throws on arbitrary or mutated lines', () => {
    const sample = JSON.stringify({ sample_id: 'x', completion: '<answer>1</answer>', correct: true, scores: { a: 1 }, slice: { dataset: 'd' }, reference: { answer: 1, boxes: [[1, 2, 3, 4]] } });
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        parseEvalLine(s);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.nat(sample.length), fc.nat(sample.length), fc.string({ maxLength: 6 }), (a, b, ins) => {
        const [s, e] = a <= b ? [a, b] : [b, a];
        parseEvalLine(sample.slice(0, s) + ins + sample.slice(e));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), fc.jsonValue(), fc.jsonValue(), (id, c, correct, scores) => {
        parseEvalLine(JSON.stringify({ sample_id: id, completion: c, correct, scores, slice: scores }));
      }),
      { numRuns: 300 },
    );
  });

  it('opening and reading files of random eval lines never throws', async () => {
    const dir = tempDir();
    const rec = fc.record(
      {
        sample_id: fc.oneof(fc.string({ maxLength: 4 }), fc.integer()),
        completion: fc.oneof(fc.string({ maxLength: 30 }), fc.constant('<answer>{"bbox_2d": [1, 2, 30, 40]}</answer>')),
        correct: fc.oneof(fc.boolean(), fc.constant(null), fc.integer()),
        scores: fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(fc.double(), fc.constant(null), fc.string({ maxLength: 3 }))),
        reference: fc.oneof(fc.constant({ boxes: [[1, 2, 3, 4]] }), fc.jsonValue()),
        images: fc.oneof(fc.constant(['missing.png']), fc.jsonValue()),
      },
      { requiredKeys: ['sample_id'] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(rec.map((o) => JSON.stringify(o)), fc.string({ maxLength: 30 }).map((s) => s.replace(/\n/g, ' '))), { maxLength: 8 }), async (lines) => {
        const file = path.join(dir, 'x.eval.jsonl');
        fs.writeFileSync(file, lines.join('\n'));
        const log = await openEvalJsonl(file);
        try {
          for (let i = 0; i < log.recordCount; i++) assert.ok(log.read(i).rollout);
        } finally {
          log.close();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('element start lines match the parsed array for any pretty-printed JSON', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 8 }), fc.constantFrom(0, 1, 2, 4), (arr, indent) => {
        const text = JSON.stringify(arr, null, indent);
        const lines = jsonArrayElementLines(text, null);
        assert.equal(lines.length, arr.length);
        const wrapped = JSON.stringify({ accuracy: 1, note: 'results', results: arr, after: [1, 2] }, null, indent);
        assert.equal(jsonArrayElementLines(wrapped, 'results').length, arr.length);
        for (let k = 1; k < lines.length; k++) assert.ok(lines[k] >= lines[k - 1]);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        jsonArrayElementLines(s, 'results');
        jsonArrayElementLines(s, null);
      }),
      { numRuns: 300 },
    );
  });
});
