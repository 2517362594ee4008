import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import type { BoxCoords, FrameKind } from '../../extension/core/model';
import { FRAME_KINDS, fromOriginalPixels, inferFrame, modelInputSize, toOriginalPixels } from '../../extension/core/geometry/frames';
import { frameScale, fromOriginal, toOriginal } from '../../extension/core/geometry/smartResize';
import { iouPixel } from '../../extension/core/geometry/iou';
import { FIXTURES } from './helpers';

describe('frames: toOriginalPixels / fromOriginalPixels', () => {
  const dims = { width: 640, height: 480, inputWidth: 644, inputHeight: 476 };

  it('maps every frame to original pixels (hand-computed)', () => {
    assert.deepEqual(toOriginalPixels([0, 0, 644, 476], 'model-input', dims), [0, 0, 640, 480]);
    assert.deepEqual(toOriginalPixels([10, 20, 30, 40], 'original', {}), [10, 20, 30, 40]);
    assert.deepEqual(toOriginalPixels([500, 500, 1000, 1000], 'norm1000', dims), [320, 240, 640, 480]);
    assert.deepEqual(toOriginalPixels([0.25, 0.5, 1, 1], 'norm1', dims), [160, 240, 640, 480]);
    // Florence-2: bin centre (b + 0.5)·W/1000
    assert.deepEqual(toOriginalPixels([0, 0, 999, 999], 'bins1000', { width: 1000, height: 2000 }), [0.5, 1, 999.5, 1999]);
    // PaliGemma: v/1024·W
    assert.deepEqual(toOriginalPixels([512, 256, 1024, 1024], 'bins1024', { width: 2048, height: 1024 }), [1024, 256, 2048, 1024]);
    assert.deepEqual(fromOriginalPixels([1024, 256, 2048, 1024], 'bins1024', { width: 2048, height: 1024 }), [512, 256, 1023, 1023]);
    assert.deepEqual(fromOriginalPixels([0.5, 1, 999.5, 1999], 'bins1000', { width: 1000, height: 2000 }), [0, 0, 999, 999]);
    assert.deepEqual(fromOriginalPixels([-5, -5, 5000, 5000], 'bins1000', { width: 1000, height: 1000 }), [0, 0, 999, 999], 'clamped like the quantizer');
  });

  it('null when the sizes a frame needs are missing; model-input computes its size from min/max pixels', () => {
    for (const f of FRAME_KINDS) if (f !== 'original') assert.equal(toOriginalPixels([1, 2, 3, 4], f, {}), null, f);
    assert.equal(toOriginalPixels([1, 2, 3, 4], 'model-input', { width: 640, height: 480 }), null);
    assert.equal(fromOriginalPixels([1, 2, 3, 4], 'model-input', { width: 640, height: 480, inputWidth: 0, inputHeight: 476 }), null);
    assert.deepEqual(modelInputSize({ width: 427, height: 640, minPixels: 3136, maxPixels: 12845056 }), { width: 420, height: 644 });
    assert.deepEqual(modelInputSize({ width: 427, height: 640, maxPixels: 12845056 }), { width: 420, height: 644 });
    assert.equal(modelInputSize({ width: 201, height: 1, maxPixels: 100000 }), null, 'smartResize error → null');
    // R1-V style max_pixels 401408 shrinks a 1280×960 image
    assert.deepEqual(modelInputSize({ width: 1280, height: 960, maxPixels: 401408 }), { width: 728, height: 532 });
  });

  it('smartResize.ts toOriginal / fromOriginal / frameScale agree with frames.ts', () => {
    for (const f of FRAME_KINDS) {
      const d = { width: 640, height: 480, inputWidth: 644, inputHeight: 476 };
      assert.deepEqual(toOriginal([1, 2, 300, 400], f, d), toOriginalPixels([1, 2, 300, 400], f, d), f);
      assert.deepEqual(fromOriginal([1, 2, 300, 400], f, d), fromOriginalPixels([1, 2, 300, 400], f, d), f);
      const s = frameScale(f, d);
      if (f === 'bins1000') assert.equal(s, null, 'bins1000 is affine, not a pure scale');
      else {
        assert.ok(s);
        assert.deepEqual(toOriginalPixels([2, 4, 2, 4], f, d), [2 * s[0], 4 * s[1], 2 * s[0], 4 * s[1]], f);
      }
    }
  });

  it('property: original → frame → original round-trips within 1e-9 (bins: within one bin) for random sizes', () => {
    const size = fc.integer({ min: 1, max: 8000 });
    fc.assert(
      fc.property(
        fc.constantFrom(...FRAME_KINDS),
        size,
        size,
        fc.integer({ min: 28, max: 8000 }),
        fc.integer({ min: 28, max: 8000 }),
        fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
        fc.boolean(),
        (frame, width, height, iw, ih, u, outside) => {
          // a box in original pixels; inside the image for bins (the quantizer clamps), anywhere otherwise
          const k = outside && frame !== 'bins1000' && frame !== 'bins1024' ? 3 : 1;
          const box: BoxCoords = [(u[0] * k - (k - 1) / 2) * width, (u[1] * k - (k - 1) / 2) * height, (u[2] * k - (k - 1) / 2) * width, (u[3] * k - (k - 1) / 2) * height];
          const d = { width, height, inputWidth: iw, inputHeight: ih };
          const there = fromOriginalPixels(box, frame, d);
          assert.ok(there);
          const back = toOriginalPixels(there, frame, d);
          assert.ok(back);
          if (frame === 'bins1000' || frame === 'bins1024') {
            const n = frame === 'bins1000' ? 1000 : 1024;
            assert.ok(there.every((b) => Number.isInteger(b) && b >= 0 && b < n));
            back.forEach((v, i) => assert.ok(Math.abs(v - box[i]!) <= (i % 2 ? height : width) / n + 1e-9, `${frame} ${v} vs ${box[i]}`));
          } else {
            back.forEach((v, i) => assert.ok(Math.abs(v - box[i]!) <= 1e-9 * Math.max(1, Math.abs(box[i]!)), `${frame} ${v} vs ${box[i]}`));
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('property: model-input via min/max pixels round-trips too', () => {
    fc.assert(
      fc.property(fc.integer({ min: 28, max: 6000 }), fc.integer({ min: 28, max: 6000 }), fc.constantFrom(3136, 262144), fc.constantFrom(401408, 3686400, 12845056), (w, h, minPixels, maxPixels) => {
        fc.pre(Math.max(w, h) / Math.min(w, h) <= 200);
        const d = { width: w, height: h, minPixels, maxPixels };
        const box: BoxCoords = [w * 0.1, h * 0.2, w * 0.7, h * 0.9];
        const back = toOriginalPixels(fromOriginalPixels(box, 'model-input', d)!, 'model-input', d)!;
        back.forEach((v, i) => assert.ok(Math.abs(v - box[i]!) <= 1e-9 * Math.max(1, box[i]!)));
      }),
      { numRuns: 500 },
    );
  });

  it('VLM-R1 fixture: model-input boxes mapped with the computed 420×644 input reproduce the logged rewards', () => {
    const text = fs.readFileSync(path.join(FIXTURES, 'frameworks', 'vlm-r1__debug_log.2025-06-21-14-00-00.txt'), 'utf8');
    const blocks = text.split(/^-{13} \S+ Accuracy reward: /m).slice(1);
    assert.equal(blocks.length, 4);
    for (const block of blocks) {
      const logged = Number(block.slice(0, block.indexOf(' ')));
      const m = /\[(\d+),\s*(\d+),\s*(\d+),\s*(\d+)]/.exec(/<answer>([\s\S]*?)<\/answer>/.exec(block)![1]!)!;
      const raw = m.slice(1, 5).map(Number) as BoxCoords;
      const mapped = toOriginalPixels(raw, 'model-input', { width: 427, height: 640, minPixels: 3136, maxPixels: 12845056 })!;
      const sol = JSON.parse(/^Solution: (.*)$/m.exec(block)![1]!) as BoxCoords;
      assert.ok(Math.abs(iouPixel(mapped, sol) - logged) <= 1e-9);
      const f = inferFrame([raw], { width: 427, height: 640, inputWidth: 420, inputHeight: 644, modelFamily: 'Qwen2.5-VL-3B-Instruct' });
      assert.equal(f.frame, 'model-input');
      assert.equal(f.assumed, false);
    }
  });
});

describe('inferFrame', () => {
  it('explicit convention wins', () => {
    assert.deepEqual(inferFrame([[1, 2, 3, 4]], { convention: 'norm1000', modelFamily: 'qwen2.5-vl' }), {
      frame: 'norm1000', assumed: false, reason: "convention 'norm1000'", candidates: ['norm1000'],
    });
    assert.equal(inferFrame([[1, 2, 3, 4]], { convention: '0-1' }).frame, 'norm1');
  });

  it('model family first', () => {
    const cases: Array<[string, FrameKind]> = [
      ['qwen2.5-vl', 'model-input'], ['Qwen/Qwen2.5-VL-7B-Instruct', 'model-input'], ['qwen2_5_vl', 'model-input'],
      ['qwen2-vl', 'norm1000'], ['Qwen2-VL-2B-Instruct', 'norm1000'], ['qwen3-vl', 'norm1000'], ['internvl', 'norm1000'], ['InternVL2_5-8B', 'norm1000'],
      ['florence-2', 'bins1000'], ['paligemma', 'bins1024'],
    ];
    for (const [fam, frame] of cases) {
      const r = inferFrame([[100, 100, 200, 200]], { width: 640, height: 480, modelFamily: fam });
      assert.equal(r.frame, frame, fam);
      assert.equal(r.assumed, false, fam);
      assert.equal(r.candidates[0], frame);
    }
  });

  it('a family whose range the values break falls back to the values, assumed, with the conflict in the reason', () => {
    const r = inferFrame([[100, 100, 1500, 900]], { width: 1920, height: 1080, modelFamily: 'qwen2-vl' });
    assert.equal(r.frame, 'original');
    assert.equal(r.assumed, true);
    assert.match(r.reason, /qwen2-vl.*norm1000.*do not fit/);
  });

  it('values: all ≤ 1 → norm1; beyond the image but ≤ 1000 → norm1000; ambiguous → candidates', () => {
    assert.equal(inferFrame([[0.1, 0.2, 0.5, 0.9]], { width: 640, height: 480 }).frame, 'norm1');
    const n = inferFrame([[100, 600, 300, 950]], { width: 640, height: 480 });
    assert.equal(n.frame, 'norm1000');
    assert.deepEqual(n.candidates, ['norm1000']);
    const amb = inferFrame([[10, 20, 600, 470]], { width: 640, height: 480 });
    assert.equal(amb.frame, 'original');
    assert.equal(amb.assumed, true);
    assert.deepEqual([...amb.candidates].sort(), ['model-input', 'norm1000', 'original']);
    const withInput = inferFrame([[10, 20, 600, 470]], { width: 640, height: 480, inputWidth: 644, inputHeight: 476 });
    assert.equal(withInput.frame, 'model-input');
    assert.deepEqual([...withInput.candidates].sort(), ['model-input', 'norm1000', 'original']);
    const big = inferFrame([[100, 100, 1800, 1000]], { width: 1920, height: 1080 });
    assert.equal(big.frame, 'original');
    assert.ok(!big.candidates.includes('norm1000'));
    assert.ok(!big.candidates.includes('norm1'));
  });

  it('no sizes: > 1000 → original; nothing finite → original, assumed; never throws on NaN', () => {
    assert.equal(inferFrame([[100, 100, 2000, 1500]]).frame, 'original');
    const e = inferFrame([[NaN, NaN, NaN, NaN]], {});
    assert.equal(e.frame, 'original');
    assert.equal(e.assumed, true);
    assert.equal(inferFrame([], { inputWidth: 644, inputHeight: 476 }).frame, 'model-input');
  });
});
