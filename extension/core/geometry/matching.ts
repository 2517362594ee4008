// Matching predicted boxes to ground truth, mean IoU and COCO-style average precision. Pure: no `vscode`.
//
// Bad input never throws and never yields NaN: a box with a NaN/±Infinity coordinate (or fewer than 4 numbers)
// has IoU 0 with everything, so it is never matched (an unmatched prediction is a false positive, an unmatched
// GT box a false negative). Reversed corners are sorted (see iou.ts); negative coordinates and boxes outside the
// image are used as they are (clip them before calling if the image bounds matter).

import type { BoxCoords } from '../model';
import { iou as iouContinuous, iouFn, type IouKind } from './iou';

export type MatchMethod = 'greedy' | 'hungarian';

export interface MatchOptions {
  /** A pair counts when IoU ≥ threshold (and > 0). Default 0.5. */
  threshold?: number;
  /** Default 'greedy'. */
  method?: MatchMethod;
  /** 'continuous' (default) or 'pixel' (VLM-R1's iou()). */
  iou?: IouKind;
  /** Hungarian size cap per connected component: n²·m ≤ this (n ≤ m sides). Default HUNGARIAN_MAX_WORK. */
  hungarianMaxWork?: number;
}

export interface MatchPair {
  pred: number;
  gt: number;
  iou: number;
}

export interface MatchResult {
  /** Sorted by pred index. */
  pairs: MatchPair[];
  tp: number;
  fp: number;
  fn: number;
  unmatchedPred: number[];
  unmatchedGt: number[];
  /** The method asked for. */
  method: MatchMethod;
  /** True when a component was too large for Hungarian and was matched greedily instead (see `note`). */
  capped: boolean;
  note?: string;
}

/**
 * Hungarian is O(n²·m) per connected component of the "IoU ≥ threshold" graph (n ≤ m). Components above this
 * much work (≈ 400 × 400 × 400) are matched greedily and the result says `capped: true`.
 */
export const HUNGARIAN_MAX_WORK = 64_000_000;

function validBox(b: unknown): b is BoxCoords {
  return (
    Array.isArray(b) && b.length >= 4 && Number.isFinite(b[0]) && Number.isFinite(b[1]) && Number.isFinite(b[2]) && Number.isFinite(b[3])
  );
}

function thresholdOf(t: number | undefined): number {
  return typeof t === 'number' && Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0.5;
}

/**
 * Match predicted boxes to GT boxes one-to-one.
 * - 'greedy': repeatedly take the highest-IoU pair of unmatched boxes (ties: lowest pred, then lowest gt index),
 *   stop below `threshold` — VLM-R1 `detection_score`'s matching. Exact, lazy (a heap keyed by each prediction's
 *   best free GT), so memory stays O(P + G) and 10 000 boxes take about P·G IoU evaluations.
 * - 'hungarian': the assignment maximising the total IoU over pairs with IoU ≥ threshold (pairs below count 0),
 *   solved per connected component with the O(n³) Kuhn–Munkres algorithm (potentials, shortest augmenting paths).
 */
export function matchBoxes(pred: readonly BoxCoords[], gt: readonly BoxCoords[], opts: MatchOptions = {}): MatchResult {
  const threshold = thresholdOf(opts.threshold);
  const method: MatchMethod = opts.method === 'hungarian' ? 'hungarian' : 'greedy';
  const f = iouFn(opts.iou);
  const P = pred.length;
  const G = gt.length;
  const ok = (v: number): boolean => v >= threshold && v > 0;
  const predOk: number[] = [];
  const gtOk: number[] = [];
  for (let i = 0; i < P; i++) if (validBox(pred[i])) predOk.push(i);
  for (let j = 0; j < G; j++) if (validBox(gt[j])) gtOk.push(j);

  let pairs: MatchPair[] = [];
  let capped = false;
  let note: string | undefined;
  if (method === 'greedy') {
    pairs = greedy(pred, gt, predOk, gtOk, f, ok);
  } else {
    const maxWork = typeof opts.hungarianMaxWork === 'number' && opts.hungarianMaxWork > 0 ? opts.hungarianMaxWork : HUNGARIAN_MAX_WORK;
    // connected components of the bipartite graph of pairs with IoU ≥ threshold
    const parent = new Int32Array(P + G).map((_, k) => k);
    const find = (k: number): number => {
      while (parent[k] !== k) {
        parent[k] = parent[parent[k]!]!;
        k = parent[k]!;
      }
      return k;
    };
    const linked = new Uint8Array(P + G);
    for (const i of predOk) {
      for (const j of gtOk) {
        if (ok(f(pred[i]!, gt[j]!))) {
          linked[i] = 1;
          linked[P + j] = 1;
          const a = find(i);
          const b = find(P + j);
          if (a !== b) parent[a] = b;
        }
      }
    }
    const comps = new Map<number, { p: number[]; g: number[] }>();
    for (const i of predOk) if (linked[i]) getComp(comps, find(i)).p.push(i);
    for (const j of gtOk) if (linked[P + j]) getComp(comps, find(P + j)).g.push(j);
    let cappedBoxes = 0;
    for (const { p, g } of comps.values()) {
      const n = Math.min(p.length, g.length);
      const m = Math.max(p.length, g.length);
      if (n * n * m > maxWork) {
        capped = true;
        cappedBoxes += p.length + g.length;
        pairs.push(...greedy(pred, gt, p, g, f, ok));
      } else {
        pairs.push(...hungarianComponent(pred, gt, p, g, f, ok));
      }
    }
    if (capped) {
      note = `Hungarian capped: ${cappedBoxes} boxes in components above ${maxWork} (n²·m) were matched greedily`;
    }
  }
  pairs.sort((a, b) => a.pred - b.pred);
  const mp = new Uint8Array(P);
  const mg = new Uint8Array(G);
  for (const pr of pairs) {
    mp[pr.pred] = 1;
    mg[pr.gt] = 1;
  }
  const unmatchedPred: number[] = [];
  const unmatchedGt: number[] = [];
  for (let i = 0; i < P; i++) if (!mp[i]) unmatchedPred.push(i);
  for (let j = 0; j < G; j++) if (!mg[j]) unmatchedGt.push(j);
  const res: MatchResult = {
    pairs,
    tp: pairs.length,
    fp: unmatchedPred.length,
    fn: unmatchedGt.length,
    unmatchedPred,
    unmatchedGt,
    method,
    capped,
  };
  if (note) res.note = note;
  return res;
}

function getComp(m: Map<number, { p: number[]; g: number[] }>, k: number): { p: number[]; g: number[] } {
  let c = m.get(k);
  if (!c) m.set(k, (c = { p: [], g: [] }));
  return c;
}

/** Exact global greedy via a lazy max-heap of predictions keyed by (best free IoU desc, pred index asc). */
function greedy(
  pred: readonly BoxCoords[],
  gt: readonly BoxCoords[],
  ps: readonly number[],
  gs: readonly number[],
  f: (a: BoxCoords, b: BoxCoords) => number,
  ok: (v: number) => boolean,
): MatchPair[] {
  const taken = new Set<number>();
  // best free gt for pred i: highest IoU, lowest gt index on ties; -1 when none passes
  const best = (i: number): [number, number] => {
    let bv = -1;
    let bj = -1;
    for (const j of gs) {
      if (taken.has(j)) continue;
      const v = f(pred[i]!, gt[j]!);
      if (ok(v) && (v > bv || (v === bv && j < bj))) {
        bv = v;
        bj = j;
      }
    }
    return [bv, bj];
  };
  const heap: Array<{ v: number; i: number; j: number }> = [];
  const before = (a: { v: number; i: number }, b: { v: number; i: number }): boolean => a.v > b.v || (a.v === b.v && a.i < b.i);
  const push = (e: { v: number; i: number; j: number }): void => {
    heap.push(e);
    let k = heap.length - 1;
    while (k > 0) {
      const up = (k - 1) >> 1;
      if (!before(heap[k]!, heap[up]!)) break;
      [heap[k], heap[up]] = [heap[up]!, heap[k]!];
      k = up;
    }
  };
  const pop = (): { v: number; i: number; j: number } => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      let k = 0;
      for (;;) {
        const l = 2 * k + 1;
        const r = l + 1;
        let s = k;
        if (l < heap.length && before(heap[l]!, heap[s]!)) s = l;
        if (r < heap.length && before(heap[r]!, heap[s]!)) s = r;
        if (s === k) break;
        [heap[k], heap[s]] = [heap[s]!, heap[k]!];
        k = s;
      }
    }
    return top;
  };
  for (const i of ps) {
    const [v, j] = best(i);
    if (j >= 0) push({ v, i, j });
  }
  const out: MatchPair[] = [];
  while (heap.length && taken.size < gs.length) {
    const e = pop();
    if (!taken.has(e.j)) {
      taken.add(e.j);
      out.push({ pred: e.i, gt: e.j, iou: e.v });
    } else {
      const [v, j] = best(e.i);
      if (j >= 0) push({ v, i: e.i, j });
    }
  }
  return out;
}

/** Maximum-weight assignment in one component (weights: IoU when ≥ threshold, else 0). */
function hungarianComponent(
  pred: readonly BoxCoords[],
  gt: readonly BoxCoords[],
  ps: readonly number[],
  gs: readonly number[],
  f: (a: BoxCoords, b: BoxCoords) => number,
  ok: (v: number) => boolean,
): MatchPair[] {
  const rowsArePred = ps.length <= gs.length;
  const rows = rowsArePred ? ps : gs;
  const cols = rowsArePred ? gs : ps;
  const n = rows.length;
  const m = cols.length;
  const w = new Float64Array(n * m);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < m; c++) {
      const v = rowsArePred ? f(pred[rows[r]!]!, gt[cols[c]!]!) : f(pred[cols[c]!]!, gt[rows[r]!]!);
      w[r * m + c] = ok(v) ? v : 0;
    }
  }
  const assign = hungarianMax(w, n, m);
  const out: MatchPair[] = [];
  for (let r = 0; r < n; r++) {
    const c = assign[r]!;
    if (c < 0) continue;
    const v = w[r * m + c]!;
    if (!(v > 0)) continue;
    out.push(rowsArePred ? { pred: rows[r]!, gt: cols[c]!, iou: v } : { pred: cols[c]!, gt: rows[r]!, iou: v });
  }
  return out;
}

/**
 * Kuhn–Munkres (Jonker–Volgenant style shortest augmenting paths with potentials), O(n²·m), n ≤ m.
 * Maximises Σ w[r][assign[r]] over assignments of every row to a distinct column. `w` is row-major n×m.
 * Returns the column of each row.
 */
export function hungarianMax(w: ArrayLike<number>, n: number, m: number): Int32Array {
  if (n > m) throw new RangeError('hungarianMax: needs rows ≤ columns');
  const INF = Number.POSITIVE_INFINITY;
  // minimise cost = -w; 1-based arrays as in the classic formulation
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1); // p[j]: row matched to column j (0 = none)
  const way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(INF);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      let delta = INF;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = -(w[(i0 - 1) * m + (j - 1)]! || 0) - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]!] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const assign = new Int32Array(n).fill(-1);
  for (let j = 1; j <= m; j++) if (p[j]! > 0) assign[p[j]! - 1] = j - 1;
  return assign;
}

// ------------------------------------------------------------------------------------------------
// mean IoU

export interface MeanIouOptions {
  /** 'pred' (default): mean over predicted boxes of the best IoU with any GT (multimodal_cot bbox_reward).
   *  'gt': mean over GT boxes of the best IoU with any prediction (recall-like). */
  side?: 'pred' | 'gt';
  iou?: IouKind;
}

/** Mean best IoU; 0 when the side averaged over is empty. Invalid boxes count as IoU 0. */
export function meanIou(pred: readonly BoxCoords[], gt: readonly BoxCoords[], opts: MeanIouOptions = {}): number {
  const [from, to] = opts.side === 'gt' ? [gt, pred] : [pred, gt];
  if (from.length === 0) return 0;
  const f = iouFn(opts.iou);
  let sum = 0;
  for (const a of from) {
    let best = 0;
    if (validBox(a)) for (const b of to) if (validBox(b)) best = Math.max(best, f(a, b));
    sum += best;
  }
  const r = sum / from.length;
  return Number.isFinite(r) ? r : 0;
}

/** The GT-side variant: mean over GT boxes of the best IoU with any prediction. */
export function meanIouGt(pred: readonly BoxCoords[], gt: readonly BoxCoords[], opts: Omit<MeanIouOptions, 'side'> = {}): number {
  return meanIou(pred, gt, { ...opts, side: 'gt' });
}

// ------------------------------------------------------------------------------------------------
// COCO-style average precision

/** pycocotools `iouThrs`: np.linspace(.5, .95, 10). */
export const COCO_IOU_THRESHOLDS: readonly number[] = Array.from({ length: 10 }, (_, i) => (i === 9 ? 0.95 : 0.5 + i * (0.45 / 9)));
/** pycocotools `recThrs`: np.linspace(0, 1, 101). */
export const COCO_RECALL_THRESHOLDS: readonly number[] = Array.from({ length: 101 }, (_, i) => (i === 100 ? 1 : i * 0.01));
const EPS = 2.220446049250313e-16; // np.spacing(1)

export interface ScoredBox {
  box: BoxCoords;
  /** Confidence; missing → 1 (VLM-R1 gives every predicted box score 1.0, so list order breaks ties). */
  score?: number;
  label?: string;
}

export interface APOptions {
  /** A single IoU threshold (AP@t). Default: the COCO thresholds 0.5:0.05:0.95 averaged (AP@[.5:.95]). */
  iouThreshold?: number;
  iouThresholds?: readonly number[];
  /** pycocotools maxDets (per category). Default 100. */
  maxDets?: number;
  /** Match only same-label boxes and average over GT categories, like VLM-R1's calculate_map (default: labels
   *  are used when every GT box has one; predictions whose label no GT box has are dropped, as VLM-R1 does). */
  useLabels?: boolean;
}

export interface APResult {
  /** Mean over thresholds (and categories). */
  ap: number;
  /** AP per threshold, same order as `thresholds`. */
  perThreshold: number[];
  thresholds: number[];
  /** Why the value is a convention rather than a computed AP (empty GT and/or empty predictions). */
  note?: string;
}

/**
 * COCO-style AP, the arithmetic of pycocotools COCOeval (as VLM-R1's grpo_jsonl `calculate_map` / `map_reward` /
 * `od_reward` call it, one image): detections sorted by score (stable), top `maxDets`, each matched to the
 * unmatched GT with the highest continuous IoU ≥ t (ties: the later GT); precision made monotone; 101-point
 * interpolation at recall 0, 0.01, …, 1. Empty GT and empty predictions → 1; exactly one side empty → 0
 * (VLM-R1 map_reward's rule). Invalid GT boxes are dropped; invalid predictions stay (they never match).
 */
export function averagePrecision(
  preds: readonly ScoredBox[],
  gt: ReadonlyArray<BoxCoords | { box: BoxCoords; label?: string }>,
  opts: APOptions = {},
): APResult {
  const thresholds = (
    typeof opts.iouThreshold === 'number' && Number.isFinite(opts.iouThreshold)
      ? [opts.iouThreshold]
      : opts.iouThresholds && opts.iouThresholds.length
        ? opts.iouThresholds.filter((t) => Number.isFinite(t))
        : COCO_IOU_THRESHOLDS
  ).map((t) => Math.min(1, Math.max(0, t)));
  const maxDets = typeof opts.maxDets === 'number' && opts.maxDets > 0 ? Math.floor(opts.maxDets) : 100;
  const gts = gt
    .map((g) => (Array.isArray(g) ? { box: g as BoxCoords, label: undefined as string | undefined } : (g as { box: BoxCoords; label?: string })))
    .filter((g) => g && validBox(g.box));
  const dts = preds.filter((p) => p && Array.isArray(p.box));
  const mk = (v: number, note?: string): APResult => {
    const r: APResult = { ap: v, perThreshold: thresholds.map(() => v), thresholds: [...thresholds] };
    if (note) r.note = note;
    return r;
  };
  if (gts.length === 0 && dts.length === 0) return mk(1, 'no GT and no predictions: 1 by convention (VLM-R1 map_reward)');
  if (gts.length === 0) return mk(0, 'no GT boxes: every prediction is a false positive');
  if (dts.length === 0) return mk(0, 'no predictions');

  const useLabels = opts.useLabels ?? gts.every((g) => typeof g.label === 'string');
  const cats = useLabels ? [...new Set(gts.map((g) => g.label ?? ''))] : [''];
  const perThreshold = thresholds.map(() => 0);
  for (const cat of cats) {
    const cg = useLabels ? gts.filter((g) => (g.label ?? '') === cat) : gts;
    const cd = useLabels ? dts.filter((d) => (d.label ?? '') === cat) : dts;
    const ap = apOneCategory(cd, cg.map((g) => g.box), thresholds, maxDets);
    ap.forEach((v, t) => (perThreshold[t]! += v));
  }
  for (let t = 0; t < perThreshold.length; t++) perThreshold[t] = perThreshold[t]! / cats.length;
  const ap = perThreshold.reduce((a, b) => a + b, 0) / perThreshold.length;
  return { ap: Number.isFinite(ap) ? ap : 0, perThreshold, thresholds: [...thresholds] };
}

function apOneCategory(dts: readonly ScoredBox[], gts: readonly BoxCoords[], thresholds: readonly number[], maxDets: number): number[] {
  const score = (d: ScoredBox): number => (typeof d.score === 'number' && !Number.isNaN(d.score) ? d.score : 1);
  // np.argsort(-scores, kind='mergesort'): stable; Array.prototype.sort is stable too
  const order = dts.map((d, k) => ({ d, k, s: score(d) })).sort((a, b) => b.s - a.s || a.k - b.k).slice(0, maxDets);
  const ious = order.map(({ d }) => gts.map((g) => iouContinuous(d.box, g)));
  const npig = gts.length;
  return thresholds.map((t) => {
    if (order.length === 0) return 0;
    const gtm = new Uint8Array(npig);
    const tp: number[] = [];
    let ctp = 0;
    let cfp = 0;
    for (let di = 0; di < order.length; di++) {
      let thr = Math.min(t, 1 - 1e-10);
      let m = -1;
      for (let gi = 0; gi < npig; gi++) {
        if (gtm[gi]) continue;
        const v = ious[di]![gi]!;
        if (v < thr) continue;
        thr = v;
        m = gi;
      }
      if (m >= 0) {
        gtm[m] = 1;
        ctp++;
      } else cfp++;
      tp.push(ctp);
      void cfp;
    }
    const nd = tp.length;
    const rc = tp.map((x) => x / npig);
    const pr = tp.map((x, i) => x / (i + 1 + EPS));
    for (let i = nd - 1; i > 0; i--) if (pr[i]! > pr[i - 1]!) pr[i - 1] = pr[i]!;
    let sum = 0;
    let pi = 0;
    for (const r of COCO_RECALL_THRESHOLDS) {
      while (pi < nd && rc[pi]! < r) pi++; // np.searchsorted(rc, r, side='left')
      if (pi >= nd) break;
      sum += pr[pi]!;
    }
    return sum / COCO_RECALL_THRESHOLDS.length;
  });
}
