import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { deriveSeed, holm, mcnemarExact, mulberry32, pairedBootstrap } from '../../extension/core/compare/stats';

const close = (actual: number, expected: number, tol = 1e-12): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} ≉ ${expected}`);

describe('compare stats: exact McNemar', () => {
  it('matches the hand-computed binomial tail', () => {
    // n = 1 + 9 = 10, k = 1: 2 · (C(10,0) + C(10,1)) / 2¹⁰ = 2 · (1 + 10) / 1024 = 22/1024 = 0.021484375
    assert.equal(mcnemarExact(1, 9), 0.021484375);
    // n = 6, k = 0: 2 · 1/64 = 0.03125
    assert.equal(mcnemarExact(0, 6), 0.03125);
    // n = 5, k = 1: 2 · (1 + 5)/32 = 12/32 = 0.375
    assert.equal(mcnemarExact(4, 1), 0.375);
    // n = 12, k = 2: 2 · (1 + 12 + 66)/4096 = 158/4096 = 0.03857421875
    assert.equal(mcnemarExact(2, 10), 0.03857421875);
  });

  it('is 1 without discordant pairs and when b = c', () => {
    assert.equal(mcnemarExact(0, 0), 1);
    assert.equal(mcnemarExact(7, 7), 1);
    assert.equal(mcnemarExact(600, 600), 1);
    assert.equal(mcnemarExact(500_000, 500_000), 1);
  });

  it('is symmetric in b and c', () => {
    for (const [b, c] of [[1, 9], [3, 17], [450, 551], [5000, 5200], [12, 0]] as const) assert.equal(mcnemarExact(b, c), mcnemarExact(c, b));
  });

  it('stays sane for large n (log-space tail)', () => {
    // Reference values from the exact integer sum 2·Σ C(n,i) / 2ⁿ (Python big integers):
    // b = 450, c = 551 (n = 1001, the first log-space n): 0.001561138839699202
    close(mcnemarExact(450, 551), 0.001561138839699202, 1e-12);
    // b = 5000, c = 5200 (n = 10200): 0.04878796312682245
    close(mcnemarExact(5000, 5200), 0.04878796312682245, 1e-12);
    const p = mcnemarExact(499_000, 501_000);
    // normal approximation with continuity correction: z = (2000 − 1)/√10⁶ = 1.999 → 2·(1 − Φ(1.999)) ≈ 0.0456
    assert.ok(p > 0.044 && p < 0.047, String(p));
    const q = mcnemarExact(4990, 5010);
    assert.ok(q > 0.8 && q <= 1, String(q));
  });

  it('rejects counts that are not non-negative integers', () => {
    assert.throws(() => mcnemarExact(-1, 3), RangeError);
    assert.throws(() => mcnemarExact(1.5, 3), RangeError);
  });
});

describe('compare stats: seeded RNG', () => {
  it('repeats its sequence for a seed and stays in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const xs = Array.from({ length: 1000 }, () => a());
    assert.deepEqual(xs, Array.from({ length: 1000 }, () => b()));
    assert.notDeepEqual(xs.slice(0, 10), Array.from({ length: 10 }, () => c()));
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.05, String(mean));
  });

  it('derives distinct, stable seeds per cell', () => {
    assert.equal(deriveSeed(1, 'ds', '', 'accuracy', 1), deriveSeed(1, 'ds', '', 'accuracy', 1));
    assert.notEqual(deriveSeed(1, 'ds', '', 'accuracy', 1), deriveSeed(1, 'ds', '', 'accuracy', 2));
    assert.notEqual(deriveSeed(1, 'ds', '', 'accuracy', 1), deriveSeed(2, 'ds', '', 'accuracy', 1));
  });
});

describe('compare stats: paired bootstrap', () => {
  it('gives delta 0, ci [0, 0], p 1 for identical samples', () => {
    const a = [0.2, 0.5, 1, 0];
    assert.deepEqual(pairedBootstrap(a, a, { iterations: 500, seed: 7 }), { delta: 0, ci: [0, 0], p: 1 });
  });

  it('gives the shift itself for a constant difference, and the smallest p', () => {
    // dᵢ = 1 for every prompt: every resample mean is 1 → ci [1, 1]; #{δ* ≤ 0} = 0, #{δ* ≥ 0} = B
    // → p = 2 · min((0 + 1)/(B + 1), (B + 1)/(B + 1)) = 2/(B + 1) = 2/1000 with B = 999.
    const r = pairedBootstrap([0, 1, 2, 3], [1, 2, 3, 4], { iterations: 999, seed: 3 });
    assert.equal(r.delta, 1);
    assert.deepEqual(r.ci, [1, 1]);
    assert.equal(r.p, 2 / 1000);
    // a shift down is symmetric: #{δ* ≥ 0} = 0
    const s = pairedBootstrap([1, 2], [0, 1], { iterations: 99, seed: 3 });
    assert.deepEqual([s.delta, s.ci, s.p], [-1, [-1, -1], 2 / 100]);
  });

  it('computes delta as mean(b) − mean(a)', () => {
    // a = [1, 0, 1, 1] (mean 0.75), b = [1, 1, 1, 0] (mean 0.75), d = [0, 1, 0, −1] → delta 0
    const r = pairedBootstrap([1, 0, 1, 1], [1, 1, 1, 0], { iterations: 200, seed: 1 });
    assert.equal(r.delta, 0);
    // d = [1, 1, 0, 0] → delta 0.5; every resample lies in [0, 1]
    const q = pairedBootstrap([0, 0, 1, 1], [1, 1, 1, 1], { iterations: 200, seed: 1 });
    assert.equal(q.delta, 0.5);
    assert.ok(q.ci[0] >= 0 && q.ci[1] <= 1 && q.ci[0] < q.ci[1]);
  });

  it('is deterministic for a seed and varies with it', () => {
    const a = Array.from({ length: 50 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
    const b = Array.from({ length: 50 }, (_, i) => (i * 5) % 4 === 0 ? 0 : 1);
    const x = pairedBootstrap(a, b, { iterations: 400, seed: 11 });
    const y = pairedBootstrap(Float64Array.from(a), Float64Array.from(b), { iterations: 400, seed: 11 });
    const z = pairedBootstrap(a, b, { iterations: 400, seed: 12 });
    assert.deepEqual(x, y);
    assert.equal(x.delta, z.delta);
    assert.notDeepEqual(x.ci, z.ci);
  });

  it('narrows the interval with confidence', () => {
    const a = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const b = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 1 : 0));
    const wide = pairedBootstrap(a, b, { iterations: 1000, seed: 5, confidence: 0.99 });
    const narrow = pairedBootstrap(a, b, { iterations: 1000, seed: 5, confidence: 0.5 });
    assert.ok(wide.ci[0] <= narrow.ci[0] && narrow.ci[1] <= wide.ci[1]);
  });

  it('rejects bad input', () => {
    assert.throws(() => pairedBootstrap([1], [1, 2], { iterations: 10, seed: 1 }), RangeError);
    assert.throws(() => pairedBootstrap([], [], { iterations: 10, seed: 1 }), RangeError);
    assert.throws(() => pairedBootstrap([1], [2], { iterations: 0, seed: 1 }), RangeError);
    assert.throws(() => pairedBootstrap([1], [2], { iterations: 10, seed: 1, confidence: 1 }), RangeError);
  });

  it('keeps the interval ordered and within the range of the differences; p in (0, 1]', () => {
    const pairs = fc.array(fc.tuple(fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: -5, max: 5, noNaN: true })), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(pairs, fc.integer({ min: 0, max: 2 ** 31 }), (ps, seed) => {
        const a = ps.map((p) => p[0]);
        const b = ps.map((p) => p[1]);
        const d = ps.map((p) => p[1] - p[0]);
        const r = pairedBootstrap(a, b, { iterations: 60, seed });
        const lo = Math.min(...d);
        const hi = Math.max(...d);
        return r.ci[0] <= r.ci[1] && r.ci[0] >= lo && r.ci[1] <= hi && r.delta >= lo && r.delta <= hi && r.p > 0 && r.p <= 1;
      }),
      { numRuns: 200 },
    );
  });
});

describe('compare stats: Holm', () => {
  it('adjusts step-down with monotonicity, in input order', () => {
    // sorted: 0.01 (#0) · 3 = 0.03; 0.03 (#2) · 2 = 0.06; 0.04 (#1) · 1 = 0.04 → max(0.06, 0.04) = 0.06
    const r = holm([0.01, 0.04, 0.03]);
    close(r[0]!, 0.03);
    close(r[1]!, 0.06);
    close(r[2]!, 0.06);
  });

  it('caps at 1, leaves NaN out of m and in place', () => {
    // m = 2: 0.01 · 2 = 0.02; 0.6 · 1 = 0.6
    const r = holm([NaN, 0.6, 0.01]);
    assert.ok(Number.isNaN(r[0]));
    close(r[1]!, 0.6);
    close(r[2]!, 0.02);
    // m = 2: 0.7 · 2 = 1.4 → capped 1; 0.9 · 1 = 0.9 → monotone max(1, 0.9) = 1
    assert.deepEqual(holm([0.7, 0.9]), [1, 1]);
    assert.deepEqual(holm([]), []);
    assert.deepEqual(holm([0.2]), [0.2]);
  });
});
