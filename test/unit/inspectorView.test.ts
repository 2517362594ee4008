import * as assert from 'assert';
import fc from 'fast-check';
import { segmentCompletion } from '../../extension/core/segments';
import { isZeroVariance, rolloutView } from '../../extension/core/inspectorView';
import { iou, bestIous } from '../../extension/core/geometry/iou';
import type { BoxCoords, Rollout } from '../../extension/core/model';

describe('segmentCompletion', () => {
  const text = '<think>I see {"bbox_2d": [1, 2, 3, 4]} here</think><answer>2</answer>';
  const span: [number, number] = [text.indexOf('{'), text.indexOf('}') + 1];

  it('rebuilds the text exactly and marks parts, tags and the mention', () => {
    const segs = segmentCompletion(text, [span]);
    assert.strictEqual(segs.map((s) => s.text).join(''), text);
    const mention = segs.filter((s) => s.box === 0);
    assert.strictEqual(mention.map((s) => s.text).join(''), '{"bbox_2d": [1, 2, 3, 4]}');
    assert.ok(mention.every((s) => s.part === 'think'));
    assert.deepStrictEqual(segs.filter((s) => s.tag).map((s) => s.text), ['<think>', '</think>', '<answer>', '</answer>']);
    assert.ok(segs.some((s) => s.text === '2' && s.part === 'answer' && !s.tag));
    assert.strictEqual(segs.find((s) => s.text.startsWith(' here'))?.part, 'think');
  });

  it('clamps spans outside the text and ignores null spans', () => {
    const segs = segmentCompletion('abc', [null, [2, 99], [-5, 1]]);
    assert.strictEqual(segs.map((s) => s.text).join(''), 'abc');
    assert.deepStrictEqual(segs.map((s) => s.box), [2, null, 1]);
  });

  it('always reproduces the input text (property)', () => {
    fc.assert(fc.property(fc.string(), fc.array(fc.tuple(fc.integer({ min: -5, max: 60 }), fc.integer({ min: -5, max: 60 })), { maxLength: 4 }), (t, spans) => {
      const segs = segmentCompletion(t, spans.map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as [number, number]));
      assert.strictEqual(segs.map((s) => s.text).join(''), t);
    }));
  });
});

describe('IoU and group statistics used by the inspector', () => {
  it('iou is 1 on itself, 0 when disjoint, symmetric and in [0, 1]', () => {
    assert.strictEqual(iou([0, 0, 10, 10], [0, 0, 10, 10]), 1);
    assert.strictEqual(iou([0, 0, 10, 10], [10, 10, 20, 20]), 0);
    assert.ok(Math.abs(iou([0, 0, 10, 10], [5, 0, 15, 10]) - 1 / 3) < 1e-12);
    const box = fc.tuple(fc.double({ min: -1e4, max: 1e4, noNaN: true }), fc.double({ min: -1e4, max: 1e4, noNaN: true }), fc.double({ min: -1e4, max: 1e4, noNaN: true }), fc.double({ min: -1e4, max: 1e4, noNaN: true }));
    fc.assert(fc.property(box, box, (a, b) => {
      const x = iou(a as BoxCoords, b as BoxCoords);
      assert.ok(x >= 0 && x <= 1 + 1e-12);
      assert.ok(Math.abs(x - iou(b as BoxCoords, a as BoxCoords)) < 1e-9);
    }));
  });

  it('bestIous gives 0 against an empty set', () => {
    assert.deepStrictEqual(bestIous([[0, 0, 1, 1]], []), [0]);
  });

  it('flags zero-variance groups (no learning signal) and nothing else', () => {
    assert.ok(isZeroVariance([1, 1, 1, 1]));
    assert.ok(isZeroVariance([0, 0, null, 0]));
    assert.ok(!isZeroVariance([0, 1, 1, 1]));
    assert.ok(!isZeroVariance([1]));
    assert.ok(!isZeroVariance([]));
  });

  it('builds a view with IoUs per box and no URL for unresolved images', () => {
    const r: Rollout = {
      step: 3, groupId: 'g', indexInGroup: 1, prompt: { text: 'p', images: [{ path: 'a.png', resolved: '/x/a.png', width: 10, height: 10 }, { path: 'b.png' }] },
      completion: 'c', reference: { boxes: [{ box: [0, 0, 10, 10], raw: [0, 0, 10, 10], frame: 'original' }] },
      predicted: [{ box: [0, 0, 5, 10], raw: [0, 0, 5, 10], frame: 'model-input', span: [0, 1], part: 'answer' }],
      rewards: { iou: 0.5 }, reward: 0.5, advantage: null, advantageSource: null, generatedImages: [], extra: {}, source: { file: 'f', line: 4 },
    };
    const v = rolloutView(9, r, [], (p) => `url:${p}`);
    assert.strictEqual(v.images[0]!.url, 'url:/x/a.png');
    assert.strictEqual(v.images[1]!.url, null);
    assert.strictEqual(v.gt[0]!.iou, 0.5);
    assert.strictEqual(v.pred[0]!.iou, 0.5);
    assert.strictEqual(v.line, 4);
    assert.strictEqual(v.recordIndex, 9);
  });
});
