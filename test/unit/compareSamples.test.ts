import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { makeRollout } from './helpers';
import type { Box, BoxCoords, Rollout } from '../../extension/core/model';
import { datasetNameOf, evalSampleOf, looksMultipleChoice, questionHash } from '../../extension/core/compare/samples';

function rollout(more: Partial<Rollout> = {}): Rollout {
  return makeRollout({ step: 0, prompt: { text: '', images: [] }, source: { file: 'x.eval.jsonl', line: 7 }, ...more });
}

const at = { log: 'x.eval.jsonl', record: 3, datasetFallback: 'fallback' };
const scores = (r: Partial<Rollout>) => evalSampleOf(rollout(r), at).scores;
const evalInfo = (correct: boolean | null, s: Record<string, number | null> = {}, slice: Record<string, string> = {}) => ({ correct, scores: s, slice });
const box = (b: BoxCoords, part?: Box['part']): Box => ({ box: b, raw: b, frame: 'original', ...(part ? { part } : {}) });

describe('compare samples: evalSampleOf', () => {
  it('accuracy: eval.correct, else scores.accuracy, else an accuracy reward (≥ 0.5 → 1), else null', () => {
    assert.equal(scores({ eval: evalInfo(true) }).accuracy, 1);
    assert.equal(scores({ eval: evalInfo(false, { accuracy: 1 }) }).accuracy, 0, 'the stated verdict wins');
    assert.equal(scores({ eval: evalInfo(null, { accuracy: 0.7 }) }).accuracy, 1);
    assert.equal(scores({ rewards: { acc: 0.4, score: 0.9 } }).accuracy, 0, 'verl validation dump: acc');
    assert.equal(scores({ rewards: { accuracy_reward: 1 } }).accuracy, 1);
    assert.equal(scores({ rewards: { Accuracy: 0.5 } }).accuracy, 1);
    assert.equal(scores({ rewards: { correct: 0 } }).accuracy, 0);
    assert.equal(scores({ rewards: { iou_reward: 1 } }).accuracy, null);
    assert.equal(scores({}).accuracy, null);
  });

  it('f1: scores.f1, else option-set F1 when the reference is an option set and the question is multiple choice', () => {
    assert.equal(scores({ eval: evalInfo(null, { f1: 0.3 }) }).f1, 0.3);
    const mc = { text: 'Which shapes are round? (A) ball (B) box (C) ring', images: [] };
    assert.equal(scores({ prompt: mc, answer: 'A', reference: { answer: 'A, C', boxes: [] } }).f1, 2 / 3);
    assert.equal(scores({ prompt: mc, answer: 'C, A', reference: { answer: 'A, C', boxes: [] } }).f1, 1);
    assert.equal(scores({ prompt: mc, answer: 'a red ball', reference: { answer: 'A, C', boxes: [] } }).f1, 0, 'no option set predicted: 0');
    assert.equal(scores({ prompt: mc, reference: { answer: 'A, C', boxes: [] } }).f1, 0, 'no answer: 0');
    const open = { text: 'What is written on the sign?', images: [] };
    assert.equal(scores({ prompt: open, answer: 'A', reference: { answer: 'A', boxes: [] } }).f1, null, 'not multiple choice');
    assert.equal(scores({ prompt: mc, answer: '3', reference: { answer: '3', boxes: [] } }).f1, null, 'reference not an option set');
    assert.equal(scores({ answer: 'B', reference: { answer: 'B', boxes: [] } }).f1, 1, 'no question text: the reference decides');
  });

  it('looksMultipleChoice: lettered options or the words options / choices', () => {
    assert.ok(looksMultipleChoice('Pick one.\nA. red\nB. blue'));
    assert.ok(looksMultipleChoice('Is it (A) red or (B) blue?'));
    assert.ok(looksMultipleChoice('Answer with the option letter.'));
    assert.ok(!looksMultipleChoice('How many cars are there?'));
    assert.ok(!looksMultipleChoice('Is this a cat?'));
  });

  it('iou: scores.iou, else the mean over reference boxes of the best IoU with the <answer> boxes', () => {
    assert.equal(scores({ eval: evalInfo(null, { iou: 0.42 }) }).iou, 0.42);
    const reference = { boxes: [box([0, 0, 10, 10]), box([20, 20, 30, 30])] };
    // the think box hits GT 1 exactly, but only the answer box counts: IoU 0.5 with GT 2, 0 with GT 1
    const s = scores({ reference, predicted: [box([0, 0, 10, 10], 'think'), box([20, 20, 30, 40], 'answer')] });
    assert.equal(s.iou, 0.25);
    assert.equal(s.iou50, 0);
    // without an <answer> box every predicted box counts
    const all = scores({ reference, predicted: [box([0, 0, 10, 10], 'other'), box([20, 20, 30, 40])] });
    assert.equal(all.iou, 0.75);
    assert.equal(all.iou50, 1);
    assert.equal(scores({ reference: { boxes: [box([0, 0, 10, 10])] } }).iou, 0, 'no predicted box: 0');
    const none = scores({ predicted: [box([0, 0, 10, 10])] });
    assert.equal(none.iou, null, 'no reference box: null');
    assert.equal(none.iou50, null);
  });

  it('format: scores.format, else a format reward, else <think>…</think><answer>…</answer>', () => {
    assert.equal(scores({ eval: evalInfo(null, { format: 0.6 }), completion: 'x' }).format, 1);
    assert.equal(scores({ rewards: { format_reward: 0 }, completion: '<think>a</think><answer>b</answer>' }).format, 0);
    assert.equal(scores({ completion: ' <think>a\nb</think>\n<answer>c</answer>\n' }).format, 1);
    assert.equal(scores({ completion: '<think>a</think> so <answer>c</answer>' }).format, 0);
    assert.equal(scores({ completion: 'c' }).format, 0);
  });

  it("alignment: the log's verdict (supported 1, unsupported / contradicted 0), else the rules', null when neither can tell", () => {
    const think = '<think>I count the circles. So there are 3 red circles in total.</think><answer>3</answer>';
    assert.equal(scores({ verdict: { label: 'supported', source: 'judge' } }).alignment, 1);
    assert.equal(scores({ verdict: { label: 'unsupported', source: 'judge' } }).alignment, 0);
    assert.equal(scores({ verdict: { label: 'contradicted', source: 'judge' }, completion: think }).alignment, 0, 'the log wins over the rules');
    const q = { text: 'How many red circles are there?', images: [] };
    // no verdict in the log, or an unknown one: the rules decide
    assert.equal(scores({ prompt: q, completion: think, answer: '3' }).alignment, 1);
    assert.equal(scores({ prompt: q, completion: think.replace('<answer>3', '<answer>4'), answer: '4' }).alignment, 0, 'final-answer-mismatch');
    assert.equal(scores({ verdict: { label: 'unknown', source: 'judge' }, prompt: q, completion: think, answer: '3' }).alignment, 1);
    // nothing to check: no answer
    assert.equal(scores({ completion: '<think>Looking at the image carefully now.</think>' }).alignment, null);
  });

  it('length: logged token counts, else characters', () => {
    assert.equal(scores({ extra: { completion_tokens: 17 }, completion: 'abc' }).length, 17);
    assert.equal(scores({ extra: { response_length: 9 }, completion: 'abc' }).length, 9);
    assert.equal(scores({ extra: { completion_length: 'long' }, completion: 'abcd' }).length, 4);
  });

  it('dataset, slice, key and where the answer is', () => {
    const s = evalSampleOf(
      rollout({ sampleId: '42', eval: evalInfo(true, {}, { dataset: 'mmmu', category: 'art' }), prompt: { text: `  ${'q'.repeat(200)} `, images: [] }, answer: 'B', reference: { answer: 'C', boxes: [] } }),
      at,
    );
    assert.equal(s.key, 'mmmu:42');
    assert.equal(s.sampleId, '42');
    assert.equal(s.dataset, 'mmmu');
    assert.deepEqual(s.slice, { dataset: 'mmmu', category: 'art' });
    assert.equal(s.question, 'q'.repeat(160));
    assert.equal(s.answer, 'B');
    assert.equal(s.reference, 'C');
    assert.deepEqual([s.log, s.record, s.file, s.line], ['x.eval.jsonl', 3, 'x.eval.jsonl', 7]);
    const fb = evalSampleOf(rollout({ sampleId: '1' }), at);
    assert.equal(fb.key, 'fallback:1');
    assert.deepEqual(fb.slice, { dataset: 'fallback' });
    assert.equal(fb.answer, null);
    assert.equal(fb.reference, null);
  });

  it('without an id the key is image file names + normalised question (sha1, 16 hex); with neither, the position', () => {
    const a = evalSampleOf(rollout({ prompt: { text: 'How many  Cubes?', images: [{ path: '/cluster/coco/0001.jpg' }] } }), at);
    const b = evalSampleOf(rollout({ prompt: { text: ' how many cubes? ', images: [{ path: 'images/0001.jpg' }] } }), { ...at, record: 9 });
    const c = evalSampleOf(rollout({ prompt: { text: 'How many cubes?', images: [{ path: 'images/0002.jpg' }] } }), at);
    assert.match(a.key, /^fallback:q:[0-9a-f]{16}$/);
    assert.equal(a.key, b.key, 'same image name and question: same key');
    assert.notEqual(a.key, c.key);
    assert.equal(a.key, `fallback:q:${questionHash(['0001.jpg'], 'how many cubes?')}`);
    assert.equal(a.sampleId, null);
    assert.equal(evalSampleOf(rollout(), at).key, 'fallback:#3');
  });
});

describe('compare samples: datasetNameOf', () => {
  const cases: Array<[string, string]> = [
    ['/r/eval/checkpoint-100/ds-a.eval.jsonl', 'ds-a'],
    ['/r/eval/mathvista_checkpoint-100.eval.jsonl', 'mathvista'],
    ['/r/eval/chartqa_step_200.jsonl', 'chartqa'],
    ['/r/eval/geoqa-global_step_300.json', 'geoqa'],
    ['/r/eval/geoqa_500.json', 'geoqa'],
    ['/r/logs/rec_results_refcoco_run_300.json', 'refcoco'],
    ['/r/logs/rec_results_refcoco_val_Qwen2.5-VL-3B-rec_100.json', 'refcoco_val'],
    ['/r/logs/rec_results_refgta_subsample_run_100.json', 'refgta_subsample'],
    ['/r/eval/superclevr_results.json', 'superclevr'],
    ['/r/eval/counting_results_superclevr_grpo100.json', 'counting_results_superclevr_grpo100'],
    ['/r/results_vsr/generated_responses.json', 'results_vsr'],
    ['/r/vsr/checkpoint-100/generated_responses.json', 'vsr'],
    ['/r/run/validation_data/12.jsonl', 'validation_data'],
    ['/r/run/eval/checkpoint-100.eval.jsonl', 'eval'],
  ];
  for (const [file, want] of cases) {
    it(`${path.basename(file)} → ${want}`, () => assert.equal(datasetNameOf(file.split('/').join(path.sep)), want));
  }
});
