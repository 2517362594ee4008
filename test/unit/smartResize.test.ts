import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import type { BoxCoords, FrameKind } from '../../extension/core/model';
import {
  MAX_PIXELS,
  MIN_PIXELS,
  fromOriginal,
  normaliseBox,
  roundHalfEven,
  smartResize,
  toOriginal,
} from '../../extension/core/geometry/smartResize';
import { FIXTURES } from './helpers';

interface Case {
  width: number;
  height: number;
  minPixels?: number;
  maxPixels?: number;
  expected: { width: number; height: number };
}

describe('smartResize (Qwen2.5-VL)', () => {
  it('rounds half to even like Python round()', () => {
    assert.deepEqual([0.5, 1.5, 2.5, 3.5, 2.4999, 2.5001, -0.5, -1.5].map(roundHalfEven), [0, 2, 2, 4, 2, 3, 0, -2]);
  });

  it('gives 644×420 for a 640×427 COCO image and 644×476 for 640×480', () => {
    assert.deepEqual(smartResize(640, 427), { width: 644, height: 420 });
    assert.deepEqual(smartResize(640, 480), { width: 644, height: 476 });
  });

  it('uses banker\'s rounding where Math.round would differ (70 → 56, 42 → 56 via min pixels)', () => {
    assert.deepEqual(smartResize(70, 700), { width: 56, height: 700 });
  });

  it('scales up tiny images to min_pixels and down huge ones to max_pixels', () => {
    assert.deepEqual(smartResize(10, 10), { width: 56, height: 56 });
    assert.deepEqual(smartResize(8000, 6000), { width: 4116, height: 3080 });
  });

  it('matches the Python reference on 204 recorded cases (defaults and custom min/max pixels)', () => {
    const { cases } = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'smart-resize-cases.json'), 'utf8')) as { cases: Case[] };
    assert.ok(cases.length > 200);
    for (const c of cases) {
      const got = smartResize(c.width, c.height, { minPixels: c.minPixels, maxPixels: c.maxPixels });
      assert.deepEqual(got, c.expected, `case ${c.width}×${c.height} min ${c.minPixels} max ${c.maxPixels}`);
    }
  });

  it('rejects non-positive sizes and aspect ratios above 200', () => {
    assert.throws(() => smartResize(0, 10), RangeError);
    assert.throws(() => smartResize(10, -1), RangeError);
    assert.throws(() => smartResize(NaN, 10), RangeError);
    assert.throws(() => smartResize(201, 1), RangeError);
    assert.doesNotThrow(() => smartResize(200, 1));
  });

  it('property: output sides are multiples of 28 and the area is within [min_pixels, max_pixels]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20000 }), fc.integer({ min: 1, max: 20000 }), (w, h) => {
        fc.pre(Math.max(w, h) / Math.min(w, h) <= 200);
        const r = smartResize(w, h);
        return (
          r.width % 28 === 0 &&
          r.height % 28 === 0 &&
          r.width >= 28 &&
          r.height >= 28 &&
          r.width * r.height >= MIN_PIXELS &&
          r.width * r.height <= MAX_PIXELS
        );
      }),
      { numRuns: 2000 },
    );
  });
});

describe('frame mapping', () => {
  const dims = { width: 640, height: 480, inputWidth: 644, inputHeight: 476 };

  it('maps each frame to original pixels', () => {
    assert.deepEqual(toOriginal([0, 0, 644, 476], 'model-input', dims), [0, 0, 640, 480]);
    assert.deepEqual(toOriginal([10, 20, 30, 40], 'original', dims), [10, 20, 30, 40]);
    assert.deepEqual(toOriginal([500, 500, 1000, 1000], 'norm1000', dims), [320, 240, 640, 480]);
    assert.deepEqual(toOriginal([0.25, 0.5, 1, 1], 'norm1', dims), [160, 240, 640, 480]);
  });

  it('returns null when the sizes a frame needs are unknown', () => {
    assert.equal(toOriginal([1, 2, 3, 4], 'model-input', { width: 640, height: 480 }), null);
    assert.equal(toOriginal([1, 2, 3, 4], 'norm1000', {}), null);
    assert.deepEqual(toOriginal([1, 2, 3, 4], 'original', {}), [1, 2, 3, 4]);
  });

  it('normalises reversed corners', () => {
    assert.deepEqual(normaliseBox([10, 40, 5, 20]), [5, 20, 10, 40]);
  });

  it('property: fromOriginal(toOriginal(b)) round-trips for every frame', () => {
    const frames: FrameKind[] = ['original', 'model-input', 'norm1000', 'norm1'];
    const coord = fc.double({ min: -1e4, max: 1e4, noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(
        fc.constantFrom(...frames),
        fc.tuple(coord, coord, coord, coord),
        fc.integer({ min: 1, max: 10000 }),
        fc.integer({ min: 1, max: 10000 }),
        fc.integer({ min: 28, max: 10000 }),
        fc.integer({ min: 28, max: 10000 }),
        (frame, raw, width, height, inputWidth, inputHeight) => {
          const d = { width, height, inputWidth, inputHeight };
          const there = toOriginal(raw as BoxCoords, frame, d);
          assert.ok(there);
          const back = fromOriginal(there, frame, d);
          assert.ok(back);
          back.forEach((v, i) => assert.ok(Math.abs(v - raw[i]) <= 1e-9 * Math.max(1, Math.abs(raw[i])), `${frame} ${v} vs ${raw[i]}`));
        },
      ),
    );
  });
});
