import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import type { BoxCoords } from '../../extension/core/model';
import { bestIous, iou, iouPixel } from '../../extension/core/geometry/iou';
import { FIXTURES } from './helpers';

const VLMR1_LOG = path.join(FIXTURES, 'frameworks', 'vlm-r1__debug_log.2025-06-21-14-00-00.txt');

/** Any number, including NaN, ±Infinity, -0 and huge values. */
const anyNum = fc.oneof(
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1, -1),
  fc.integer({ min: -2000, max: 2000 }),
);
const anyBox = fc.tuple(anyNum, anyNum, anyNum, anyNum) as fc.Arbitrary<BoxCoords>;
const coord = fc.double({ min: -1e4, max: 1e4, noNaN: true, noDefaultInfinity: true });
const finiteBox = fc.tuple(coord, coord, coord, coord) as fc.Arbitrary<BoxCoords>;

function inclusivePlusOne(a: BoxCoords, b: BoxCoords): number {
  const inter = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]) + 1) * Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]) + 1);
  return inter / ((a[2] - a[0] + 1) * (a[3] - a[1] + 1) + (b[2] - b[0] + 1) * (b[3] - b[1] + 1) - inter);
}

describe('iou / iouPixel laws', () => {
  for (const [name, f] of [['iou', iou], ['iouPixel', iouPixel]] as const) {
    it(`${name}: symmetric, in [0, 1], never NaN, for any input (NaN / Infinity included)`, () => {
      fc.assert(
        fc.property(fc.oneof(anyBox, finiteBox), fc.oneof(anyBox, finiteBox), (a, b) => {
          const x = f(a, b);
          const y = f(b, a);
          assert.ok(!Number.isNaN(x));
          assert.ok(x >= 0 && x <= 1, `${x}`);
          assert.ok(Object.is(x, y) || Math.abs(x - y) <= 1e-12, `${x} vs ${y}`);
        }),
        { numRuns: 3000 },
      );
    });

    it(`${name}: a non-finite coordinate gives 0`, () => {
      for (const bad of [NaN, Infinity, -Infinity]) {
        assert.equal(f([bad, 0, 10, 10], [0, 0, 10, 10]), 0);
        assert.equal(f([0, 0, 10, 10], [0, 0, 10, bad]), 0);
      }
    });
  }

  it('iou: 1 on itself for a box of positive area, 0 for a degenerate one', () => {
    fc.assert(
      fc.property(finiteBox, (b) => {
        const area = Math.abs(b[2] - b[0]) * Math.abs(b[3] - b[1]);
        const v = iou(b, b);
        if (area > 0 && Number.isFinite(area)) assert.ok(Math.abs(v - 1) <= 1e-12, `${v}`);
        else assert.equal(v, 0);
      }),
      { numRuns: 2000 },
    );
  });

  it('iouPixel: 1 on itself for a box more than 1 px wide and high (VLM-R1 counts ≤ 1 px overlap as none)', () => {
    fc.assert(
      fc.property(coord, coord, fc.double({ min: 1.000001, max: 1e4, noNaN: true }), fc.double({ min: 1.000001, max: 1e4, noNaN: true }), (x, y, w, h) => {
        const b: BoxCoords = [x, y, x + w, y + h];
        fc.pre(b[2] - b[0] > 1 && b[3] - b[1] > 1);
        assert.ok(Math.abs(iouPixel(b, b) - 1) <= 1e-12);
      }),
      { numRuns: 2000 },
    );
    assert.equal(iouPixel([0, 0, 1, 10], [0, 0, 1, 10]), 0);
    assert.equal(iouPixel([0, 0, 0, 0], [0, 0, 0, 0]), 0);
  });

  it('iou: hand-computed values; corners in any order', () => {
    assert.equal(iou([0, 0, 10, 10], [5, 0, 15, 10]), 50 / 150);
    assert.equal(iou([0, 0, 10, 10], [10, 0, 20, 10]), 0);
    assert.equal(iou([10, 10, 0, 0], [0, 10, 10, 0]), 1);
    assert.equal(iou([0, 0, 10, 10], [2, 2, 4, 4]), 4 / 100);
  });

  it('iouPixel: hand-computed values (VLM-R1 arithmetic)', () => {
    // inter = (min(x2)-1 - max(x1) + 1) * … = 5 * 10, union = 100 + 100 - 50
    assert.equal(iouPixel([0, 0, 10, 10], [5, 0, 15, 10]), 50 / 150);
    // overlap of exactly 1 px: Python's `inter_x1 < inter_x2` is 9 < 9 → False → 0
    assert.equal(iouPixel([0, 0, 10, 10], [9, 0, 19, 10]), 0);
    assert.equal(iou([0, 0, 10, 10], [9, 0, 19, 10]), 10 / 190);
    // overlap 1.5 px: counted
    assert.equal(iouPixel([0, 0, 10, 10], [8.5, 0, 18.5, 10]), 15 / 185);
  });

  it('iouPixel reproduces every logged VLM-R1 accuracy reward in the framework-shaped fixture (to 1e-9)', () => {
    const text = fs.readFileSync(VLMR1_LOG, 'utf8');
    const blocks = text.split(/^-{13} \S+ Accuracy reward: /m).slice(1);
    assert.equal(blocks.length, 4);
    const seen: number[] = [];
    for (const block of blocks) {
      const logged = Number(block.slice(0, block.indexOf(' ')));
      const answer = /<answer>([\s\S]*?)<\/answer>/.exec(block)![1]!;
      const m = /\[(\d+),\s*(\d+),\s*(\d+),\s*(\d+)]/.exec(answer)!;
      const p = m.slice(1, 5).map(Number);
      const mapped: BoxCoords = [(p[0]! * 427) / 420, (p[1]! * 640) / 644, (p[2]! * 427) / 420, (p[3]! * 640) / 644];
      const sol = JSON.parse(/^Solution: (.*)$/m.exec(block)![1]!) as BoxCoords;
      const got = iouPixel(mapped, sol);
      assert.ok(Math.abs(got - logged) <= 1e-9, `iouPixel ${got} vs logged ${logged}`);
      seen.push(logged);
      // For overlaps wider than 1 px VLM-R1's arithmetic reduces to the continuous IoU …
      assert.ok(Math.abs(iou(mapped, sol) - logged) <= 1e-9);
      // … and NOT to the "+1 on every side" (inclusive-pixel) formula, which misses the logged values.
      if (logged > 0) assert.ok(Math.abs(inclusivePlusOne(mapped, sol) - logged) > 1e-5);
    }
    assert.deepEqual(seen.map((v) => v > 0), [true, true, false, true]);
  });

  it('bestIous: best over the other side, 0 when it is empty; pixel variant', () => {
    const a: BoxCoords[] = [[0, 0, 10, 10], [100, 100, 110, 110]];
    const b: BoxCoords[] = [[5, 0, 15, 10], [0, 0, 10, 10]];
    assert.deepEqual(bestIous(a, b), [1, 0]);
    assert.deepEqual(bestIous(a, []), [0, 0]);
    assert.deepEqual(bestIous([[0, 0, 10, 10]], [[9, 0, 19, 10]], 'pixel'), [0]);
  });
});

// ---------------------------------------------------------------------------------------------------
import { COCO_IOU_THRESHOLDS, averagePrecision, hungarianMax, matchBoxes, meanIou, meanIouGt } from '../../extension/core/geometry/matching';

/** Brute force: the maximum total weight over all one-to-one assignments (small sizes only). */
function bruteMax(w: number[][]): number {
  const n = w.length;
  const m = n ? w[0]!.length : 0;
  let best = 0;
  const used = new Array<boolean>(m).fill(false);
  const rec = (r: number, acc: number): void => {
    if (r === n) {
      best = Math.max(best, acc);
      return;
    }
    rec(r + 1, acc); // row left unmatched
    for (let c = 0; c < m; c++) {
      if (used[c]) continue;
      used[c] = true;
      rec(r + 1, acc + w[r]![c]!);
      used[c] = false;
    }
  };
  rec(0, 0);
  return best;
}

describe('matchBoxes', () => {
  it('greedy: hand-computed TP / FP / FN and pairs', () => {
    const gt: BoxCoords[] = [[0, 0, 10, 10], [20, 0, 30, 10], [100, 100, 110, 110]];
    const pred: BoxCoords[] = [[20, 0, 30, 8], [0, 0, 10, 10], [50, 50, 60, 60]];
    const r = matchBoxes(pred, gt);
    assert.deepEqual(r.pairs, [{ pred: 0, gt: 1, iou: 0.8 }, { pred: 1, gt: 0, iou: 1 }]);
    assert.deepEqual([r.tp, r.fp, r.fn], [2, 1, 1]);
    assert.deepEqual(r.unmatchedPred, [2]);
    assert.deepEqual(r.unmatchedGt, [2]);
    // threshold above 0.8 drops the first pair
    assert.equal(matchBoxes(pred, gt, { threshold: 0.81 }).tp, 1);
  });

  it('greedy takes the globally highest pair first; a duplicate prediction is a false positive', () => {
    const gt: BoxCoords[] = [[0, 0, 10, 10]];
    const pred: BoxCoords[] = [[0, 0, 10, 9], [0, 0, 10, 10], [0, 0, 10, 10]];
    const r = matchBoxes(pred, gt);
    assert.deepEqual(r.pairs, [{ pred: 1, gt: 0, iou: 1 }]);
    assert.deepEqual([r.tp, r.fp, r.fn], [1, 2, 0]);
  });

  it('Hungarian beats greedy on a crafted case (2 matches instead of 1)', () => {
    const gt: BoxCoords[] = [[0, 0, 10, 10], [3, 0, 13, 10]];
    const pred: BoxCoords[] = [[1, 0, 11, 10], [-3, 0, 7, 10]];
    // P0–G0 .818, P0–G1 .667, P1–G0 .538, P1–G1 .25
    const g = matchBoxes(pred, gt, { method: 'greedy' });
    const h = matchBoxes(pred, gt, { method: 'hungarian' });
    assert.deepEqual(g.pairs.map((p) => [p.pred, p.gt]), [[0, 0]]);
    assert.equal(g.tp, 1);
    assert.deepEqual(h.pairs.map((p) => [p.pred, p.gt]), [[0, 1], [1, 0]]);
    assert.equal(h.tp, 2);
    assert.ok(Math.abs(h.pairs[0]!.iou - 80 / 120) < 1e-12 && Math.abs(h.pairs[1]!.iou - 70 / 130) < 1e-12);
    assert.equal(h.capped, false);
  });

  it('pixel IoU option uses VLM-R1 arithmetic (a 1-px overlap never matches)', () => {
    assert.equal(matchBoxes([[0, 0, 1, 1]], [[0, 0, 1, 1]], { iou: 'pixel', threshold: 0.1 }).tp, 0);
    assert.equal(matchBoxes([[0, 0, 1, 1]], [[0, 0, 1, 1]], { iou: 'continuous', threshold: 0.1 }).tp, 1);
  });

  it('property: Hungarian total IoU equals brute force and is ≥ greedy total; results consistent', () => {
    const smallBox = fc
      .tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 }))
      .map(([x, y, w, h]) => [x, y, x + w, y + h] as BoxCoords);
    fc.assert(
      fc.property(fc.array(smallBox, { maxLength: 5 }), fc.array(smallBox, { maxLength: 5 }), fc.double({ min: 0, max: 0.9, noNaN: true }), (pred, gt, t) => {
        const h = matchBoxes(pred, gt, { method: 'hungarian', threshold: t });
        const g = matchBoxes(pred, gt, { method: 'greedy', threshold: t });
        const w = pred.map((a) => gt.map((b) => { const v = iou(a, b); return v >= t && v > 0 ? v : 0; }));
        const sum = (r: typeof h): number => r.pairs.reduce((s, p) => s + p.iou, 0);
        assert.ok(Math.abs(sum(h) - bruteMax(w)) < 1e-9, `${sum(h)} vs ${bruteMax(w)}`);
        assert.ok(sum(h) >= sum(g) - 1e-9);
        for (const r of [h, g]) {
          assert.equal(r.tp + r.fp, pred.length);
          assert.equal(r.tp + r.fn, gt.length);
          assert.equal(new Set(r.pairs.map((p) => p.gt)).size, r.pairs.length);
          for (const p of r.pairs) assert.ok(p.iou >= t && p.iou > 0);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('hungarianMax: rectangular matrices', () => {
    assert.deepEqual([...hungarianMax([1, 5, 2, 3, 4, 9], 2, 3)], [1, 2]);
    assert.deepEqual([...hungarianMax([], 0, 3)], []);
    assert.throws(() => hungarianMax([1, 2], 2, 1), RangeError);
  });

  it('bad input: NaN / Infinity boxes are never matched, reversed corners are sorted, negatives and outside boxes work, no NaN', () => {
    const gt: BoxCoords[] = [[0, 0, 10, 10], [NaN, 0, 5, 5], [-20, -20, -10, -10], [1000, 1000, 1100, 1100]];
    const pred: BoxCoords[] = [[10, 10, 0, 0], [0, 0, Infinity, 10], [-20, -20, -10, -10], [1000, 1000, 1100, 1100], [NaN, NaN, NaN, NaN]];
    for (const method of ['greedy', 'hungarian'] as const) {
      const r = matchBoxes(pred, gt, { method });
      assert.deepEqual(r.pairs.map((p) => [p.pred, p.gt, p.iou]), [[0, 0, 1], [2, 2, 1], [3, 3, 1]]);
      assert.deepEqual([r.tp, r.fp, r.fn], [3, 2, 1]);
    }
    assert.equal(matchBoxes(pred, gt, { threshold: NaN }).tp, 3, 'a NaN threshold falls back to 0.5');
    assert.equal(matchBoxes([], []).tp, 0);
    assert.deepEqual(matchBoxes([], [[0, 0, 1, 1]]).unmatchedGt, [0]);
  });

  it('10 000 boxes: greedy and Hungarian finish; a huge Hungarian component is capped with a flag', function () {
    this.timeout(30000);
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const boxes = (n: number): BoxCoords[] =>
      Array.from({ length: n }, () => { const x = rnd() * 5000, y = rnd() * 5000; return [x, y, x + 5 + rnd() * 40, y + 5 + rnd() * 40] as BoxCoords; });
    const pred = boxes(5000);
    const gt = pred.map((b) => [b[0] + 1, b[1], b[2] + 1, b[3]] as BoxCoords);
    const t0 = Date.now();
    const g = matchBoxes(pred, gt);
    const h = matchBoxes(pred, gt, { method: 'hungarian' });
    assert.ok(g.tp > 4000 && h.tp >= g.tp);
    assert.equal(h.capped, false, 'scattered boxes make small components');
    // degenerate rollout: the same box repeated 9 990 times against 10 GT copies → one big component
    const same: BoxCoords = [10, 10, 50, 50];
    const many = Array.from({ length: 9990 }, () => same);
    const tenGt = Array.from({ length: 10 }, () => same);
    const r1 = matchBoxes(many, tenGt, { method: 'hungarian' });
    assert.deepEqual([r1.tp, r1.fp, r1.fn, r1.capped], [10, 9980, 0, false]);
    const r2 = matchBoxes(many.slice(0, 5000), Array.from({ length: 5000 }, () => same), { method: 'hungarian' });
    assert.equal(r2.capped, true);
    assert.match(r2.note ?? '', /capped/);
    assert.equal(r2.tp, 5000);
    assert.ok(Date.now() - t0 < 25000, `${Date.now() - t0} ms`);
  });
});

describe('meanIou', () => {
  it('mean over predictions of the best IoU (multimodal_cot bbox_reward) and the GT-side variant', () => {
    const gt: BoxCoords[] = [[0, 0, 10, 10], [20, 0, 30, 10]];
    const pred: BoxCoords[] = [[0, 0, 10, 5]];
    assert.equal(meanIou(pred, gt), 0.5);
    assert.equal(meanIouGt(pred, gt), 0.25);
    assert.equal(meanIou(pred, gt, { side: 'gt' }), 0.25);
    assert.equal(meanIou([], gt), 0);
    assert.equal(meanIou(pred, []), 0);
    assert.equal(meanIou([[NaN, 0, 1, 1], [0, 0, 10, 10]], gt), 0.5);
  });
});

describe('averagePrecision (COCO-style)', () => {
  const gt: BoxCoords[] = [[0, 0, 10, 10], [20, 0, 30, 10]];

  it('1 for perfect predictions, 0 for none, VLM-R1 empty rules', () => {
    assert.equal(averagePrecision(gt.map((box) => ({ box })), gt).ap, 1);
    assert.ok(Math.abs(averagePrecision([{ box: [1, 2, 30, 40] }], [[1, 2, 30, 40]]).ap - 1) < 1e-15);
    assert.equal(averagePrecision([], gt).ap, 0);
    assert.equal(averagePrecision([{ box: [0, 0, 1, 1] }], []).ap, 0);
    assert.equal(averagePrecision([], []).ap, 1);
    assert.equal(averagePrecision([{ box: [50, 50, 60, 60] }], gt).ap, 0);
  });

  it('hand-computed mixed case: TP, FP, then a 0.58-IoU TP', () => {
    const preds = [
      { box: [0, 0, 10, 10] as BoxCoords, score: 0.9 },
      { box: [50, 50, 60, 60] as BoxCoords, score: 0.8 },
      { box: [20, 0, 30, 5.8] as BoxCoords, score: 0.7 },
    ];
    // AP@0.5: rc [.5,.5,1], pr monotone [1, 2/3, 2/3]: 51 recall points at 1, 50 at 2/3 → 253/303
    assert.ok(Math.abs(averagePrecision(preds, gt, { iouThreshold: 0.5 }).ap - 253 / 303) < 1e-12);
    // the order of the list does not matter, the scores do
    assert.ok(Math.abs(averagePrecision([...preds].reverse(), gt, { iouThreshold: 0.5 }).ap - 253 / 303) < 1e-12);
    // AP@0.75: only the first matches: 51 points at 1 → 51/101
    assert.ok(Math.abs(averagePrecision(preds, gt, { iouThreshold: 0.75 }).ap - 51 / 101) < 1e-12);
    // COCO 0.5:0.95: 0.58 passes 0.5 and 0.55 only → (2·253/303 + 8·51/101) / 10 = 173/303
    const r = averagePrecision(preds, gt);
    assert.equal(r.thresholds.length, 10);
    assert.ok(Math.abs(r.ap - 173 / 303) < 1e-12, `${r.ap}`);
  });

  it('uses pycocotools thresholds; labels split categories like VLM-R1 calculate_map', () => {
    assert.equal(COCO_IOU_THRESHOLDS[0], 0.5);
    assert.equal(COCO_IOU_THRESHOLDS[9], 0.95);
    const lgt = [{ box: gt[0]!, label: 'cat' }, { box: gt[1]!, label: 'dog' }];
    // right boxes, labels swapped → 0 per category
    assert.equal(averagePrecision([{ box: gt[0]!, label: 'dog' }, { box: gt[1]!, label: 'cat' }], lgt).ap, 0);
    // pycocotools' precision is tp / (tp + fp + np.spacing(1)): with one GT box per category that is 1/(1+ε), not 1
    const oneOverOnePlusEps = 1 / (1 + 2.220446049250313e-16);
    assert.equal(averagePrecision([{ box: gt[0]!, label: 'cat' }, { box: gt[1]!, label: 'dog' }], lgt).ap, oneOverOnePlusEps);
    assert.equal(averagePrecision([{ box: gt[0]! }], [gt[0]!]).ap, oneOverOnePlusEps);
    // cat perfect, dog missing → mean over categories ≈ 0.5
    assert.ok(Math.abs(averagePrecision([{ box: gt[0]!, label: 'cat' }], lgt).ap - 0.5) < 1e-15);
  });

  it('property: never NaN, always in [0, 1], even with NaN / Infinity boxes and scores', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ box: fc.oneof(anyBox, finiteBox), score: fc.oneof(fc.double(), fc.constant(undefined)) }), { maxLength: 8 }),
        fc.array(fc.oneof(anyBox, finiteBox), { maxLength: 6 }),
        (preds, g) => {
          const r = averagePrecision(preds as Array<{ box: BoxCoords; score?: number }>, g);
          assert.ok(r.ap >= 0 && r.ap <= 1, `${r.ap}`);
          for (const v of r.perThreshold) assert.ok(v >= 0 && v <= 1);
        },
      ),
      { numRuns: 500 },
    );
  });
});
