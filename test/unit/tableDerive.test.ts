import * as assert from 'node:assert/strict';
import {
  deriveRecord,
  gtIou,
  hash32,
  hash53,
  imagePlaceholderOffsets,
  predictedBoxFlags,
  promptKeyOf,
  truncation,
  zeroVarianceKindOf,
} from '../../extension/core/table/derive';
import { groupView, rolloutView, type GroupPosition } from '../../extension/core/inspectorView';
import { makeRollout } from './helpers';
import type { Box, BoxCoords, Rollout } from '../../extension/core/model';
import type { RunContext } from '../../extension/core/runs/context';

function box(b: BoxCoords, extra: Partial<Box> = {}): Box {
  return { box: b, raw: b, frame: 'original', ...extra };
}

function mkRollout(over: Partial<Rollout> = {}): Rollout {
  return makeRollout({
    prompt: { text: 'How many?', images: [{ path: 'a.png', width: 100, height: 100 }] },
    completion: '<think>t</think><answer>1</answer>',
    ...over,
  });
}

const ctx = (max: number): RunContext => ({ maxCompletionLength: { value: max, source: 'config.yaml', assumed: false } });

describe('deriveRecord: truncation', () => {
  it('a logged flag wins over everything else', () => {
    const r = mkRollout({ completion: '<answer>1', extra: { truncated: false } });
    assert.deepEqual(truncation(r, null, null), { truncated: false, why: 'logged: truncated = false' });
    const t = mkRollout({ completion: '<think>x</think><answer>1</answer>', extra: { is_truncated: true } });
    assert.equal(truncation(t, null, null).truncated, true);
  });

  it('token count ≥ max completion length is truncated; below it is not', () => {
    const r = mkRollout({ completion: 'plain text with no tags', extra: { completion_tokens: 256 } });
    const d = deriveRecord(r, ctx(256), 'rollout-lens-jsonl', { check: null });
    assert.equal(d.length, 256);
    assert.equal(d.lengthUnit, 'tokens');
    assert.equal(d.truncated, true);
    assert.match(d.truncatedWhy!, /256 tokens ≥ max completion length 256/);
    const below = deriveRecord({ ...r, extra: { response_length: 100 } }, ctx(256), 'x', { check: null });
    assert.equal(below.truncated, false);
    assert.match(below.truncatedWhy!, /100 tokens < max/);
    // no max known: nothing tells
    assert.equal(deriveRecord(r, null, 'x', { check: null }).truncated, null);
  });

  it('<answer> opened and never closed; <think> opened, never closed, no answer', () => {
    assert.deepEqual(truncation(mkRollout({ completion: '<think>a</think><answer>The count is' }), null, null), {
      truncated: true,
      why: '<answer> opened and never closed',
    });
    assert.deepEqual(truncation(mkRollout({ completion: '<think>I am still counting the' }), null, null), {
      truncated: true,
      why: '<think> opened, never closed, and no answer',
    });
  });

  it('a trace ending with a closed answer (end-of-turn tokens allowed) is not truncated; untagged text is unknown', () => {
    assert.equal(truncation(mkRollout({ completion: '<think>a</think> <answer>2</answer>\n<|im_end|>' }), null, null).truncated, false);
    assert.equal(truncation(mkRollout({ completion: 'There are 2.' }), null, null).truncated, null);
    const d = deriveRecord(mkRollout({ completion: 'There are 2.' }), null, 'x', { check: null });
    assert.equal(d.lengthUnit, 'chars');
    assert.equal(d.length, 'There are 2.'.length);
  });
});

describe('deriveRecord: boxes, IoU, correctness', () => {
  it('flags zero-area, whole-image, repeated (same part only) and outside boxes', () => {
    const r = mkRollout({
      predicted: [
        box([10, 10, 10, 20], { part: 'answer' }), // zero area
        box([0, 0, 100, 99], { part: 'answer' }), // whole image (99 %)
        box([20, 20, 40, 40], { part: 'think' }),
        box([20, 20, 40, 40], { part: 'answer' }), // same box, other part: not a repeat
        box([20.5, 20, 40, 40.8], { part: 'answer' }), // within 1 px of the previous answer box
        box([90, 90, 101.5, 95], { part: 'answer' }), // outside by 1.5 px
        box([90, 90, 100.5, 95], { part: 'other' }), // outside by 0.5 px: tolerated
      ],
    });
    assert.deepEqual(predictedBoxFlags(r), [['zero-area'], ['whole-image'], [], [], ['repeated'], ['outside'], []]);
    const d = deriveRecord(r, null, 'x', { check: null });
    assert.equal(d.degenerate, true);
  });

  it('without an image size only zero-area and repeated can be told', () => {
    const r = mkRollout({ prompt: { text: 'p', images: [] }, predicted: [box([0, 0, 5000, 5000]), box([0, 0, 5000, 5000]), box([1, 1, 1, 9])] });
    assert.deepEqual(predictedBoxFlags(r), [[], ['repeated'], ['zero-area']]);
    assert.equal(deriveRecord(mkRollout(), null, 'x', { check: null }).degenerate, false);
  });

  it('iou: null without GT, 0 without predictions, the mean best IoU over GT boxes otherwise', () => {
    assert.equal(gtIou([box([0, 0, 10, 10])], []), null);
    assert.equal(gtIou([], [box([0, 0, 10, 10])]), 0);
    assert.equal(gtIou([box([0, 0, 5, 10])], [box([0, 0, 10, 10])]), 0.5);
    // two GT boxes, one matched exactly, one missed: 0.5; an extra prediction does not lower it
    assert.equal(gtIou([box([0, 0, 10, 10]), box([50, 50, 60, 60])], [box([0, 0, 10, 10]), box([20, 20, 30, 30])]), 0.5);
    // boxes of another image do not count
    assert.equal(gtIou([box([0, 0, 10, 10], { imageIndex: 1 })], [box([0, 0, 10, 10], { imageIndex: 0 })]), 0);
    const d = deriveRecord(mkRollout({ reference: { boxes: [box([0, 0, 10, 10])] } }), null, 'x', { check: null });
    assert.equal(d.iou, 0);
  });

  it('correct from the first accuracy-like reward with a value, else eval; format from a format reward', () => {
    const a = deriveRecord(mkRollout({ rewards: { format_reward: 1, accuracy_reward: 0.5 } }), null, 'x', { check: null });
    assert.equal(a.correct, true);
    assert.equal(a.correctBy, 'accuracy_reward ≥ 0.5');
    assert.equal(a.formatOk, true);
    const b = deriveRecord(mkRollout({ rewards: { acc: null, correctness: 0.2, format: 0 } }), null, 'x', { check: null });
    assert.equal(b.correct, false);
    assert.equal(b.correctBy, 'correctness ≥ 0.5');
    assert.equal(b.formatOk, false);
    const c = deriveRecord(mkRollout({ eval: { correct: true, scores: {}, slice: {} } }), null, 'x', { check: null });
    assert.equal(c.correct, true);
    assert.equal(c.correctBy, 'eval: correct');
    const none = deriveRecord(mkRollout({ rewards: { iou: 0.9 } }), null, 'x', { check: null });
    assert.equal(none.correct, null);
    assert.equal(none.correctBy, null);
    assert.equal(none.formatOk, null);
  });

  it('verdict, prompt key and completion hash', () => {
    const r = mkRollout({ verdict: { label: 'contradicted', source: 'rule' } });
    const d = deriveRecord(r, null, 'x', { check: null });
    assert.equal(d.verdict, 'contradicted');
    assert.equal(d.textHash, hash32(r.completion));
    assert.notEqual(hash32('abc'), hash32('abd'));
    assert.notEqual(promptKeyOf(r), promptKeyOf(mkRollout({ prompt: { text: 'How many?', images: [{ path: 'b.png' }] } })));
    assert.equal(promptKeyOf(r), promptKeyOf(mkRollout({ prompt: { text: 'How many?', images: [{ path: 'a.png', resolved: '/elsewhere/a.png' }] } })));
    assert.ok(Number.isSafeInteger(hash53('x'.repeat(1000))));
    assert.notEqual(hash53('ab'), hash53('ba'));
  });

  it('mismatch from a given check, and never throws when recomputing', () => {
    const r = mkRollout({ rewards: { accuracy: 1 } });
    const check = { comparisons: [{ name: 'accuracy', logged: 1, recomputed: 0, mismatch: true, relDiff: 1 }], explain: {}, notRecomputed: [] };
    assert.equal(deriveRecord(r, null, 'x', { check }).mismatch, true);
    assert.equal(deriveRecord(r, null, 'x', { check: null }).mismatch, false);
    assert.equal(typeof deriveRecord(r, null, 'rollout-lens-jsonl').mismatch, 'boolean');
  });

  it('finds image placeholders, one per image', () => {
    const t = 'a<image>b<|vision_start|><|image_pad|><|image_pad|><|vision_end|>c<|image_pad|><|image_pad|>d<img><IMG_CONTEXT></img>';
    assert.deepEqual(imagePlaceholderOffsets(t), [1, 9, t.indexOf('c<') + 1, t.indexOf('<img>')]);
    assert.deepEqual(imagePlaceholderOffsets('no images'), []);
  });
});

describe('zero-variance kinds', () => {
  it('identical first, then all-pass / all-fail by correctness, then all-fail by rewards ≤ 0, else same-reward', () => {
    assert.equal(zeroVarianceKindOf(true, [true, true], [1, 1]), 'identical');
    assert.equal(zeroVarianceKindOf(false, [true, true], [1, 1]), 'all-pass');
    assert.equal(zeroVarianceKindOf(false, [false, false], [1, 1]), 'all-fail');
    assert.equal(zeroVarianceKindOf(false, [null, null], [0, 0]), 'all-fail');
    assert.equal(zeroVarianceKindOf(false, [true, null], [0.5, 0.5]), 'same-reward');
    assert.equal(zeroVarianceKindOf(null, [true, false], [1, 1]), 'same-reward');
  });

  const pos: GroupPosition = { groupIndex: 0, groupCount: 1, step: 1, stepIndex: 0, stepCount: 1, groupId: 'g' };
  const view = (completion: string, rewards: Record<string, number | null>, reward: number | null) =>
    rolloutView(0, mkRollout({ completion, rewards, reward }), [], () => null);

  it('groupView fills zeroVarianceKind from its rollouts, and recurrences / frameOverride from the extras', () => {
    const identical = groupView(pos, [view('<answer>1</answer>', { accuracy: 1 }, 1), view('<answer>1</answer>', { accuracy: 1 }, 1)], []);
    assert.equal(identical.zeroVariance, true);
    assert.equal(identical.zeroVarianceKind, 'identical');
    assert.deepEqual(identical.recurrences, []);
    assert.equal(identical.frameOverride, null);
    const pass = groupView(pos, [view('<answer>1</answer>', { accuracy: 1 }, 1), view('<answer> 1</answer>', { accuracy: 1 }, 1)], []);
    assert.equal(pass.zeroVarianceKind, 'all-pass');
    const fail = groupView(pos, [view('a', { accuracy: 0, format: 1 }, 1), view('b', { accuracy: 0, format: 1 }, 1)], []);
    assert.equal(fail.zeroVarianceKind, 'all-fail');
    const zero = groupView(pos, [view('a', { score: 0 }, 0), view('b', { score: 0 }, 0)], []);
    assert.equal(zero.zeroVarianceKind, 'all-fail');
    const same = groupView(pos, [view('a', { score: 0.5 }, 0.5), view('b', { score: 0.5 }, 0.5)], []);
    assert.equal(same.zeroVarianceKind, 'same-reward');
    const varied = groupView(pos, [view('a', { accuracy: 0 }, 0), view('b', { accuracy: 1 }, 1)], [], {
      recurrences: [{ groupIndex: 4, step: 2, meanReward: 0.5 }],
      frameOverride: 'norm1000',
    });
    assert.equal(varied.zeroVariance, false);
    assert.equal(varied.zeroVarianceKind, null);
    assert.deepEqual(varied.recurrences, [{ groupIndex: 4, step: 2, meanReward: 0.5 }]);
    assert.equal(varied.frameOverride, 'norm1000');
  });

  it('rolloutView fills length, truncation, badges, box flags and generated images', () => {
    const r = mkRollout({
      completion: '<think>drawing <image> then</think><answer>2',
      rewards: { accuracy: 1, format: 0 },
      predicted: [box([0, 0, 0, 0], { imageIndex: 0 })],
      generatedImages: [{ path: 'gen0.png', resolved: '/x/gen0.png', width: 8, height: 8 }, { path: 'gen1.png' }],
      extra: { completion_tokens: 512 },
    });
    const v = rolloutView(3, r, [], (p) => `url:${p}`, undefined, { context: ctx(512), format: 'rollout-lens-jsonl' });
    assert.equal(v.length, 512);
    assert.equal(v.lengthUnit, 'tokens');
    assert.equal(v.truncated, true);
    assert.match(v.truncatedWhy!, /512 tokens/);
    assert.equal(v.correct, true);
    assert.equal(v.formatOk, false);
    assert.deepEqual(v.pred[0]!.flags, ['zero-area']);
    assert.equal(v.pred[0]!.imageIndex, 0);
    assert.equal(v.gt.length, 0);
    assert.deepEqual(
      v.generatedImages.map((g) => [g.path, g.url, g.at]),
      [
        ['gen0.png', 'url:/x/gen0.png', r.completion.indexOf('<image>')],
        ['gen1.png', null, null],
      ],
    );
    // without a view context: the tags still tell
    const w = rolloutView(3, r, [], () => null);
    assert.equal(w.truncated, true);
    assert.equal(w.truncatedWhy, '<answer> opened and never closed');
  });
});
