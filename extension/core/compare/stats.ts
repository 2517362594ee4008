// The statistics of checkpoint comparison: exact McNemar, a seeded paired bootstrap over prompts, Holm's
// step-down adjustment. Pure: no `vscode`, no Node, no DOM.

// ---------------------------------------------------------------------------------------------------
// McNemar

/** Above this many discordant pairs the tail sum is done in log space (below it, in plain doubles). */
const DIRECT_MAX_N = 1000;

/**
 * ln(m!) for a non-negative integer m: a plain sum of logs below 256, else Stirling's series
 * ln m! = m ln m − m + ½ ln(2πm) + 1/(12m) − 1/(360m³) + 1/(1260m⁵) (truncation error < 1/(1680 m⁷)).
 */
function lnFactorial(m: number): number {
  if (m < 256) {
    let s = 0;
    for (let i = 2; i <= m; i++) s += Math.log(i);
    return s;
  }
  const inv = 1 / m;
  const inv2 = inv * inv;
  return m * Math.log(m) - m + 0.5 * Math.log(2 * Math.PI * m) + inv * (1 / 12 - inv2 * (1 / 360 - inv2 / 1260));
}

function checkCount(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`mcnemarExact: ${name} must be a non-negative integer (got ${v})`);
}

/**
 * Two-sided exact McNemar test on the discordant pairs: b = right only in the first, c = right only in the other.
 *
 *   n = b + c,  k = min(b, c),  p = min(1, 2 · Σ_{i=0..k} C(n, i) / 2ⁿ);  p = 1 when n = 0.
 *
 * This is the exact binomial test of b ~ Bin(n, ½), always exact (no normal approximation):
 * - n ≤ 1000: the terms C(n, i)/2ⁿ are built by the recurrence t₀ = 2⁻ⁿ (exact), tᵢ = tᵢ₋₁ · (n − i + 1)/i;
 *   for small n every step is exact (b = 1, c = 9 gives exactly 22/1024).
 * - n > 1000: 2⁻ⁿ would underflow, so the sum is taken relative to its largest term t_k (the terms grow up to
 *   i = n/2): S = Σ tᵢ/t_k by the downward recurrence tᵢ₋₁/tᵢ = i/(n − i + 1), stopped once a term no longer
 *   changes S, and ln p = ln 2 + ln C(n, k) − n ln 2 + ln S with ln C from `lnFactorial`. Relative error of p is
 *   about 1e-9 at n = 10⁶; the loop runs O(√n) steps near b ≈ c and far fewer otherwise.
 */
export function mcnemarExact(b: number, c: number): number {
  checkCount('b', b);
  checkCount('c', c);
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  if (n <= DIRECT_MAX_N) {
    let t = Math.pow(2, -n);
    let s = t;
    for (let i = 1; i <= k; i++) {
      t = (t * (n - i + 1)) / i;
      s += t;
    }
    return Math.min(1, 2 * s);
  }
  let ratio = 1;
  let s = 1;
  for (let i = k; i >= 1; i--) {
    ratio *= i / (n - i + 1);
    const next = s + ratio;
    if (next === s) break;
    s = next;
  }
  const lnC = lnFactorial(n) - lnFactorial(k) - lnFactorial(n - k);
  const lnP = Math.LN2 + lnC - n * Math.LN2 + Math.log(s);
  return lnP >= 0 ? 1 : Math.min(1, Math.exp(lnP));
}

// ---------------------------------------------------------------------------------------------------
// Seeded random numbers

/** mulberry32: a small, fast, seeded 32-bit generator; returns numbers in [0, 1). Same seed → same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A 32-bit seed derived from a base seed and labels (FNV-1a over their text, NUL separated): the bootstrap of
 * each table cell gets its own stream, stable whatever other cells the table has.
 */
export function deriveSeed(seed: number, ...parts: ReadonlyArray<string | number>): number {
  let h = 0x811c9dc5;
  const text = [String(seed), ...parts.map(String)].join('\u0000');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// ---------------------------------------------------------------------------------------------------
// Paired bootstrap

export interface BootstrapOptions {
  /** Resamples (a positive integer). */
  iterations: number;
  /** Seed of the mulberry32 stream. */
  seed: number;
  /** Level of the percentile interval, in (0, 1); default 0.95. */
  confidence?: number;
}

export interface BootstrapResult {
  /** mean(b) − mean(a) = mean of dᵢ = bᵢ − aᵢ. */
  delta: number;
  /** Percentile interval of the resampled deltas. */
  ci: [number, number];
  /** Two-sided bootstrap p of "delta = 0" (definition on `pairedBootstrap`). */
  p: number;
}

/** Type-7 quantile (linear interpolation between order statistics, numpy's default) of a sorted array. */
function quantileSorted(x: Float64Array, q: number): number {
  const h = (x.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, x.length - 1);
  return x[lo]! + (h - lo) * (x[hi]! - x[lo]!);
}

/**
 * Paired bootstrap over prompts. a[i] and b[i] are the per-prompt values (mean@N) of the same prompt i in the
 * first and the other source; dᵢ = bᵢ − aᵢ and delta = mean(d).
 *
 * Each of the B = `iterations` resamples draws n prompt indices uniformly with replacement (mulberry32(seed))
 * and takes δ* = mean of the drawn dᵢ, clamped to [min d, max d] (where it lies mathematically; the clamp only
 * removes rounding). Then:
 * - ci = the α/2 and 1 − α/2 type-7 quantiles of the B values δ*, α = 1 − confidence (percentile interval);
 * - p = min(1, 2 · min(P≤, P≥)) with P≤ = (#{δ* ≤ 0} + 1)/(B + 1) and P≥ = (#{δ* ≥ 0} + 1)/(B + 1): twice the
 *   smaller share of resamples on either side of zero, with the +1 correction so that p ≥ 2/(B + 1) is never 0.
 *   A δ* within 1e-12 · max|d| of zero counts as zero on both sides (sums of differences that cancel exactly in
 *   real numbers can leave rounding dust).
 * When every dᵢ is 0: delta 0, ci [0, 0], p 1 (no resampling). A constant shift dᵢ = c ≠ 0 gives ci [c, c] and
 * p = 2/(B + 1).
 */
export function pairedBootstrap(a: ArrayLike<number>, b: ArrayLike<number>, opts: BootstrapOptions): BootstrapResult {
  const n = a.length;
  if (b.length !== n) throw new RangeError(`pairedBootstrap: the two samples differ in length (${n} vs ${b.length})`);
  if (n === 0) throw new RangeError('pairedBootstrap: needs at least one pair');
  const iterations = opts.iterations;
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`pairedBootstrap: iterations must be a positive integer (got ${iterations})`);
  const confidence = opts.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`pairedBootstrap: confidence must be in (0, 1) (got ${confidence})`);

  const d = new Float64Array(n);
  let sum = 0;
  let minD = Infinity;
  let maxD = -Infinity;
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    const v = b[i]! - a[i]!;
    if (!Number.isFinite(v)) throw new RangeError(`pairedBootstrap: value ${i} is not a finite number`);
    d[i] = v;
    sum += v;
    if (v < minD) minD = v;
    if (v > maxD) maxD = v;
    if (Math.abs(v) > maxAbs) maxAbs = Math.abs(v);
  }
  if (maxAbs === 0) return { delta: 0, ci: [0, 0], p: 1 };
  const delta = Math.min(maxD, Math.max(minD, sum / n));

  const rng = mulberry32(opts.seed);
  const means = new Float64Array(iterations);
  const eps = 1e-12 * maxAbs;
  let atOrBelow = 0;
  let atOrAbove = 0;
  for (let r = 0; r < iterations; r++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += d[(rng() * n) | 0]!;
    const m = Math.min(maxD, Math.max(minD, s / n));
    means[r] = m;
    if (m <= eps) atOrBelow++;
    if (m >= -eps) atOrAbove++;
  }
  means.sort();
  const alpha = 1 - confidence;
  const ci: [number, number] = [quantileSorted(means, alpha / 2), quantileSorted(means, 1 - alpha / 2)];
  const pLow = (atOrBelow + 1) / (iterations + 1);
  const pHigh = (atOrAbove + 1) / (iterations + 1);
  return { delta, ci, p: Math.min(1, 2 * Math.min(pLow, pHigh)) };
}

// ---------------------------------------------------------------------------------------------------
// Holm

/**
 * Holm–Bonferroni adjusted p-values, in input order. With the m non-NaN p's sorted ascending p₍₁₎ ≤ … ≤ p₍ₘ₎:
 * p̃₍ⱼ₎ = min(1, max_{i ≤ j} (m − i + 1) · p₍ᵢ₎) (step-down, monotone, capped at 1). NaN inputs stay NaN and do
 * not count in m. Ties keep input order (the result does not depend on it).
 */
export function holm(p: readonly number[]): number[] {
  const out = p.map(() => NaN);
  const idx: number[] = [];
  p.forEach((v, i) => {
    if (!Number.isNaN(v)) idx.push(i);
  });
  idx.sort((x, y) => p[x]! - p[y]! || x - y);
  const m = idx.length;
  let running = 0;
  idx.forEach((i, j) => {
    running = Math.max(running, Math.min(1, (m - j) * p[i]!));
    out[i] = running;
  });
  return out;
}
