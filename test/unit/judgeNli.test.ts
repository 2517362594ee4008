// The local NLI judge, offline: tiny hand-written ONNX cross-encoders (tinyNli.ts) loaded by
// onnxruntime-node in the judge's worker thread, the windowing and aggregation rules, the label map, the
// model-folder checks, the cache through judgeAll, and cancel.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  aggregateWindows,
  decide,
  labelMapOf,
  maxSequenceLength,
  planWindows,
  softmax,
  splitLong,
  splitSentences,
  toCanonical,
  windowWeights,
} from '../../extension/core/judge/nli';
import { OnnxJudge, onnxEngineId } from '../../extension/core/judge/onnxJudge';
import { modelHash, findModelFiles } from '../../extension/core/judge/nliModel';
import { TINY_NLI_ID2LABEL, writeTinyNliModel } from '../../extension/core/judge/tinyNli';
import { judgeAll } from '../../extension/core/judge/judgeRun';
import { VerdictCache } from '../../extension/core/judge/cache';
import { sha256Hex } from '../../extension/core/judge/items';
import { JudgeCancelled, JudgeSetupError, type JudgeItem } from '../../extension/core/judge/types';
import { REPO_ROOT } from './helpers';

/** The tsc output of the worker (the test runs from out/test/unit). */
const WORKER = path.join(REPO_ROOT, 'out', 'extension', 'core', 'judge', 'nliWorker.js');

const close = (a: number, b: number, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol, `${a} ≉ ${b}`);

function item(premise: string, answer: string): JudgeItem {
  const hypothesis = `The answer is ${answer}.`;
  return { key: sha256Hex('', premise, hypothesis), question: '', premise, hypothesis, answer };
}

describe('NLI judge: windows', () => {
  it('builds windows from the end backwards, overlapping by whole sentences up to the stride', () => {
    // budget 30, stride 15: window 0 = pieces 2..4 (ends at the answer); window 1 shares piece 2 (10 ≤ 15 tokens)
    assert.deepEqual(planWindows([10, 10, 10, 10, 10], 30, { stride: 15 }), [
      { start: 2, end: 5, tokens: 30 },
      { start: 0, end: 3, tokens: 30 },
    ]);
    // the default stride is half the budget: the same here
    assert.deepEqual(planWindows([10, 10, 10, 10, 10], 30), planWindows([10, 10, 10, 10, 10], 30, { stride: 15 }));
    // stride 0: adjacent windows, no shared piece
    assert.deepEqual(planWindows([10, 10, 10, 10, 10], 30, { stride: 0 }), [
      { start: 2, end: 5, tokens: 30 },
      { start: 0, end: 2, tokens: 20 },
    ]);
    // everything fits: one window
    assert.deepEqual(planWindows([3, 4, 5], 100), [{ start: 0, end: 3, tokens: 12 }]);
    assert.deepEqual(planWindows([], 100), []);
  });

  it('caps the windows, keeping the ones nearest the answer', () => {
    const w = planWindows(new Array(20).fill(10), 30, { stride: 10, maxWindows: 3 });
    assert.deepEqual(w, [
      { start: 17, end: 20, tokens: 30 },
      { start: 15, end: 18, tokens: 30 },
      { start: 13, end: 16, tokens: 30 },
    ]);
    assert.equal(planWindows(new Array(200).fill(10), 30).length, 8);
  });

  it('shrinks the overlap when a large sentence would not fit otherwise', () => {
    // piece 1 (28 tokens) only fits alone: no overlap around it
    assert.deepEqual(planWindows([5, 28, 5], 30, { stride: 15 }), [
      { start: 2, end: 3, tokens: 5 },
      { start: 1, end: 2, tokens: 28 },
      { start: 0, end: 1, tokens: 5 },
    ]);
  });

  it('always covers the premise in budget-sized windows that move back (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 40, max: 120 }), fc.integer({ min: 0, max: 60 }), (counts, budget, stride) => {
        const w = planWindows(counts, budget, { stride, maxWindows: 1000 });
        assert.equal(w[0]!.end, counts.length);
        assert.equal(w[w.length - 1]!.start, 0);
        for (let i = 0; i < w.length; i++) {
          assert.ok(w[i]!.tokens <= budget);
          assert.equal(w[i]!.tokens, counts.slice(w[i]!.start, w[i]!.end).reduce((a, b) => a + b, 0));
          if (i > 0) {
            assert.ok(w[i]!.start < w[i - 1]!.start, 'moves back');
            assert.ok(w[i]!.end <= w[i - 1]!.end - 1 && w[i]!.end >= w[i - 1]!.start, 'contiguous, ends earlier');
            const shared = counts.slice(w[i - 1]!.start, w[i]!.end).reduce((a, b) => a + b, 0);
            assert.ok(shared <= Math.min(stride, budget - 1), `overlap ${shared} ≤ stride ${stride}`);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('splits sentences and cuts over-long ones at words', () => {
    assert.deepEqual(splitSentences('I see 3.5 boxes. Then [1.0, 2.0] is one!  Really?\nYes'), ['I see 3.5 boxes.', 'Then [1.0, 2.0] is one!', 'Really?', 'Yes']);
    assert.deepEqual(splitSentences('  \n '), []);
    assert.deepEqual(splitLong([3, 3, 3, 3], 7), [
      [0, 2],
      [2, 4],
    ]);
    assert.deepEqual(splitLong([2, 9, 2], 5), [
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
  });

  it('reads the sequence length from config.json and tokenizer_config.json', () => {
    assert.equal(maxSequenceLength({ model_type: 'bert', max_position_embeddings: 128 }), 128);
    assert.equal(maxSequenceLength({ model_type: 'roberta', max_position_embeddings: 514 }), 512);
    assert.equal(maxSequenceLength({ model_type: 'deberta-v2', max_position_embeddings: 2048 }), 512);
    assert.equal(maxSequenceLength({ model_type: 'bert', max_position_embeddings: 512 }, { model_max_length: 256 }), 256);
    assert.equal(maxSequenceLength({ model_type: 'bert', max_position_embeddings: 512 }, { model_max_length: 1e30 }), 512);
    assert.equal(maxSequenceLength({}, {}), 512);
    assert.equal(maxSequenceLength({ model_type: 'bert', max_position_embeddings: 2048 }, {}, 1024), 1024);
    assert.equal(maxSequenceLength({ model_type: 'bert', max_position_embeddings: 128 }, {}, 1024), 128);
  });
});

describe('NLI judge: labels and aggregation', () => {
  it('maps id2label case-insensitively, in any order', () => {
    const m = labelMapOf({ id2label: TINY_NLI_ID2LABEL }, 'config.json');
    assert.deepEqual(m.classes, ['contradiction', 'entailment', 'neutral']);
    assert.equal(m.twoWay, false);
    assert.deepEqual(labelMapOf({ id2label: { '0': 'ENTAILMENT', '1': 'Neutral', '2': 'CONTRADICTION' } }, 'c').classes, ['entailment', 'neutral', 'contradiction']);
    // canonical order is always [entailment, neutral, contradiction]
    assert.deepEqual(toCanonical([0.7, 0.2, 0.1], m), [0.2, 0.1, 0.7]);
  });

  it('treats not_entailment as neutral and contradiction merged (never "contradicted")', () => {
    const m = labelMapOf({ id2label: { 0: 'entailment', 1: 'not_entailment' } }, 'c');
    assert.equal(m.twoWay, true);
    const p = toCanonical([0.2, 0.8], m);
    assert.deepEqual(p, [0.2, 0.8, 0]);
    const d = decide(p, 1, p, 'mnli2', true);
    assert.equal(d.label, 'unsupported');
    assert.equal(d.rationale, 'NLI (mnli2): entailment 0.20, not entailment 0.80 over 1 window');
  });

  it('refuses config.json without usable labels, saying what is wrong', () => {
    assert.throws(() => labelMapOf({ model_type: 'bert' }, '/m/config.json'), (e: Error) => e instanceof JudgeSetupError && /\/m\/config\.json has no id2label/.test(e.message));
    assert.throws(
      () => labelMapOf({ id2label: { 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' } }, '/m/config.json'),
      (e: Error) => e instanceof JudgeSetupError && /config\.json/.test(e.message) && /"LABEL_0"/.test(e.message) && /no entailment label/.test(e.message),
    );
    assert.throws(() => labelMapOf({ id2label: { 0: 'entailment', 5: 'neutral' } }, 'config.json'), JudgeSetupError);
  });

  it('weighs window i from the end by 0.5^i, normalised', () => {
    const w = windowWeights(3);
    close(w[0]!, 4 / 7);
    close(w[1]!, 2 / 7);
    close(w[2]!, 1 / 7);
    const agg = aggregateWindows([
      [0.9, 0.05, 0.05], // the window ending at the answer
      [0.1, 0.1, 0.8],
      [0, 0, 1],
    ]);
    close(agg[0]!, (4 * 0.9 + 2 * 0.1) / 7);
    close(agg[1]!, (4 * 0.05 + 2 * 0.1) / 7);
    close(agg[2]!, (4 * 0.05 + 2 * 0.8 + 1) / 7);
    const d = decide(agg, 3, [0.9, 0.05, 0.05], 'tiny-nli');
    assert.equal(d.label, 'supported');
    close(d.confidence, 3.8 / 7);
    assert.equal(d.rationale, 'NLI (tiny-nli): entailment 0.54, neutral 0.06, contradiction 0.40 over 3 windows; the last window: entailment 0.90');
    assert.equal(decide([0.1, 0.2, 0.7], 1, null, 'x').label, 'contradicted');
    assert.equal(decide([0.1, 0.6, 0.3], 1, null, 'x').label, 'unsupported');
    const s = softmax([1, 2, 3]);
    close(s.reduce((a, b) => a + b, 0), 1);
    close(s[2]! / s[1]!, Math.E, 1e-9);
  });
});

describe('NLI judge: the tiny model in a worker thread', function () {
  this.timeout(20000);
  let root: string;
  let judge: OnnxJudge;
  let modelDir: string;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-nli-'));
    modelDir = writeTinyNliModel(path.join(root, 'tiny-nli'));
    judge = await OnnxJudge.open(modelDir, { workerPath: WORKER, batchSize: 4 });
  });
  after(async () => {
    await judge?.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('is small and names itself', async () => {
    assert.ok(fs.statSync(path.join(modelDir, 'model.onnx')).size < 200 * 1024);
    assert.equal(judge.kind, 'onnx');
    assert.equal(judge.name, 'tiny-nli (local NLI, 3 labels)');
    assert.deepEqual(judge.inputNames, ['input_ids', 'attention_mask', 'token_type_ids']);
    assert.equal(judge.maxTokens, 128);
    assert.match(judge.id, /^onnx:[0-9a-f]{64}:max128:/);
    assert.ok(judge.id.includes(await modelHash(findModelFiles(modelDir))));
    assert.equal(await onnxEngineId(modelDir, { batchSize: 4 }), judge.id);
    assert.notEqual(await onnxEngineId(modelDir, { maxWindows: 2 }), judge.id);
  });

  it('says contradicted, supported and unsupported where a reader would', async () => {
    const progress: number[] = [];
    const v = await judge.judge(
      [
        item('I look for red circles. There is one in the top left. So there are 4 red circles in total.', '3'),
        item('I look for red circles. The blue square does not count. So there are 3 red circles in total.', '3'),
        item('I look for red circles in the image.', '3'),
        item('So there are three red circles.', '3 red circles'),
      ],
      { onProgress: (p) => progress.push(p.done) },
    );
    assert.deepEqual(
      v.map((x) => x.label),
      ['contradicted', 'supported', 'unsupported', 'supported'],
    );
    for (const x of v) {
      assert.equal(x.source, 'onnx:tiny-nli');
      assert.ok(x.confidence! > 0.5 && x.confidence! <= 1);
      assert.match(x.rationale!, /^NLI \(tiny-nli\): entailment \d\.\d\d, neutral \d\.\d\d, contradiction \d\.\d\d over 1 window$/);
    }
    assert.equal(progress[progress.length - 1], 4);
  });

  it('reads long reasoning in windows from the end, at most 8', async () => {
    const filler = 'The blue square in the top left does not count because it is blue.';
    const medium = [...new Array(14).fill(filler), 'So there are 4 red circles in total.'].join(' ');
    const long = [...new Array(80).fill('There are 3 red circles near the middle.'), 'So there are 3 red circles in total.'].join(' ');
    const [m, l] = await judge.judge([item(medium, '3'), item(long, '3')], {});
    const windows = (r: string): number => Number(/over (\d+) windows?/.exec(r)![1]);
    assert.ok(windows(m!.rationale!) >= 2 && windows(m!.rationale!) < 8, m!.rationale);
    // the last window (ending at the answer) contradicts; the earlier ones do not mention a number
    assert.match(m!.rationale!, /; the last window: contradiction 0\.9\d$/);
    assert.equal(windows(l!.rationale!), 8);
    assert.equal(l!.label, 'supported');
  });

  it('batches windows of many items (more than batchSize) and keeps the order', async () => {
    const items = Array.from({ length: 23 }, (_, i) => item(`So there are ${i % 20} red circles.`, String(i % 3 === 0 ? i % 20 : (i % 20) + 1)));
    const v = await judge.judge(items, {});
    assert.equal(v.length, 23);
    v.forEach((x, i) => assert.equal(x.label, i % 3 === 0 ? 'supported' : 'contradicted', `item ${i}`));
  });

  it('goes through judgeAll and the verdict cache: the second run infers nothing', async () => {
    const cacheDir = path.join(root, 'cache');
    const items = Array.from({ length: 10 }, (_, i) => item(`I count. So there are ${i} red circles.`, String(i % 2 ? i : i + 1)));
    const first = await judgeAll(judge, items, VerdictCache.open(cacheDir, judge.id), { chunk: 4 });
    assert.equal(first.inferred, 10);
    assert.equal(first.cached, 0);
    const second = await judgeAll(judge, items, VerdictCache.open(cacheDir, judge.id), { chunk: 4 });
    assert.equal(second.inferred, 0);
    assert.equal(second.cached, 10);
    assert.deepEqual(second.verdicts, first.verdicts);
    assert.deepEqual(
      first.verdicts.map((v) => v!.label),
      items.map((_, i) => (i % 2 ? 'supported' : 'contradicted')),
    );
  });

  it('cancels with an AbortController and stays usable', async () => {
    const items = Array.from({ length: 600 }, (_, i) => item(`${'The blue square does not count. '.repeat(12)}So there are ${i % 20} red circles.`, '3'));
    const ac = new AbortController();
    const t0 = Date.now();
    await assert.rejects(
      judge.judge(items, { signal: ac.signal, onProgress: () => ac.abort() }),
      (e: Error) => e instanceof JudgeCancelled,
    );
    assert.ok(Date.now() - t0 < 5000);
    // already aborted: rejects at once
    await assert.rejects(judge.judge(items.slice(0, 1), { signal: ac.signal }), JudgeCancelled);
    // judgeAll reports a cancelled run
    const ac2 = new AbortController();
    const r = await judgeAll(judge, items.slice(0, 40), null, { chunk: 8, signal: ac2.signal, onProgress: (done) => done >= 8 && ac2.abort() });
    assert.equal(r.cancelled, true);
    assert.ok(r.inferred < 40);
    // the worker goes on with the next request
    const [v] = await judge.judge([item('So there are 3 red circles.', '3')], {});
    assert.equal(v!.label, 'supported');
  });

  it('runs a model without token_type_ids (RoBERTa-like inputs)', async () => {
    const dir = writeTinyNliModel(path.join(root, 'tiny-roberta'), { tokenTypeIds: false });
    const j = await OnnxJudge.open(dir, { workerPath: WORKER });
    try {
      assert.deepEqual(j.inputNames, ['input_ids', 'attention_mask']);
      assert.equal(j.maxTokens, 128); // max_position_embeddings 130 − 2
      const v = await j.judge([item('It is not 3, this is wrong.', '3'), item('So therefore it is 3.', '3'), item('Red circles.', '3')], {});
      assert.deepEqual(
        v.map((x) => x.label),
        ['contradicted', 'supported', 'unsupported'],
      );
    } finally {
      await j.dispose();
    }
    await assert.rejects(j.judge([item('a', 'b')], {}), /closed/);
  });

  it('accepts the optimum layout (onnx/model.onnx)', async () => {
    const dir = writeTinyNliModel(path.join(root, 'optimum'));
    fs.mkdirSync(path.join(dir, 'onnx'));
    fs.renameSync(path.join(dir, 'model.onnx'), path.join(dir, 'onnx', 'model.onnx'));
    const j = await OnnxJudge.open(dir, { workerPath: WORKER });
    await j.dispose();
    assert.equal(j.name, 'optimum (local NLI, 3 labels)');
  });

  describe('refuses broken model folders with clear messages', () => {
    const expectSetup = async (dir: string, re: RegExp): Promise<void> => {
      await assert.rejects(OnnxJudge.open(dir, { workerPath: WORKER }), (e: Error) => {
        assert.ok(e instanceof JudgeSetupError, `${e.name}: ${e.message}`);
        assert.match(e.message, re);
        return true;
      });
    };

    it('a folder that does not exist', async () => {
      await expectSetup(path.join(root, 'nowhere'), /nowhere does not exist/);
    });

    it('tokenizer.json missing', async () => {
      const dir = writeTinyNliModel(path.join(root, 'no-tok'));
      fs.rmSync(path.join(dir, 'tokenizer.json'));
      await expectSetup(dir, /no-tok[\\/]tokenizer\.json is missing/);
    });

    it('config.json missing, unparsable or without id2label', async () => {
      const a = writeTinyNliModel(path.join(root, 'no-config'));
      fs.rmSync(path.join(a, 'config.json'));
      await expectSetup(a, /config\.json is missing/);
      const b = writeTinyNliModel(path.join(root, 'bad-config'));
      fs.writeFileSync(path.join(b, 'config.json'), '{\n  "model_type": "bert",\n  "id2label": {"0": "entailment",}\n}\n');
      await expectSetup(b, /bad-config[\\/]config\.json is not valid JSON \(line 3, column \d+\)/);
      fs.writeFileSync(path.join(b, 'config.json'), '{\n  "model_type": "bert",\n  "id2label": }\n');
      await expectSetup(b, /bad-config[\\/]config\.json is not valid JSON \(line 3, column 15\): unexpected "\}"/);
      const c = writeTinyNliModel(path.join(root, 'no-labels'), { config: { id2label: null, label2id: null } });
      await expectSetup(c, /no-labels[\\/]config\.json has no id2label/);
    });

    it('a model with the wrong input names', async () => {
      const dir = writeTinyNliModel(path.join(root, 'bad-inputs'), { inputNames: ['ids', 'mask', 'types'] });
      await expectSetup(dir, /model\.onnx has no input_ids and attention_mask input \(its inputs: ids, mask, types\)/);
    });

    it('corrupt model.onnx bytes', async () => {
      const dir = writeTinyNliModel(path.join(root, 'corrupt'));
      fs.writeFileSync(path.join(dir, 'model.onnx'), Buffer.from('this is not a protobuf \u0000\u0001\u00ff'.repeat(20)));
      await expectSetup(dir, /corrupt[\\/]model\.onnx is not a valid ONNX model: \S/);
    });

    it('more labels in config.json than model outputs', async () => {
      const dir = writeTinyNliModel(path.join(root, 'two-labels'), { config: { id2label: { 0: 'entailment', 1: 'not_entailment' } } });
      await expectSetup(dir, /outputs 3 scores per pair .* names 2 labels/);
    });
  });
});
