import type { BoxCoords } from '../model';

// IoU functions. Pure: no `vscode`.
// Laws (both `iou` and `iouPixel`): symmetric, always in [0, 1], never NaN; a box with a
// NaN/±Infinity coordinate has IoU 0 with everything. Corners may come in any order.

type Sorted = [number, number, number, number];

/** x1 <= x2, y1 <= y2; null when a coordinate is not finite. */
function sortCorners(b: BoxCoords | readonly number[] | null | undefined): Sorted | null {
  if (!b || b.length < 4) return null;
  const x1 = b[0], y1 = b[1], x2 = b[2], y2 = b[3];
  if (!Number.isFinite(x1) || !Number.isFinite(y1) || !Number.isFinite(x2) || !Number.isFinite(y2)) return null;
  return [Math.min(x1, x2), Math.min(y1, y2), Math.max(x1, x2), Math.max(y1, y2)];
}

function clamp01(v: number): number {
  return v > 0 ? (v < 1 ? v : 1) : 0; // NaN → 0
}

/** Continuous IoU of two boxes [x1, y1, x2, y2] (corners in any order). 0 when either has no area. */
export function iou(a: BoxCoords, b: BoxCoords): number {
  const A = sortCorners(a);
  const B = sortCorners(b);
  if (!A || !B) return 0;
  const iw = Math.min(A[2], B[2]) - Math.max(A[0], B[0]);
  const ih = Math.min(A[3], B[3]) - Math.max(A[1], B[1]);
  if (!(iw > 0 && ih > 0)) return 0;
  const inter = iw * ih;
  const union = (A[2] - A[0]) * (A[3] - A[1]) + (B[2] - B[0]) * (B[3] - B[1]) - inter;
  return union > 0 ? clamp01(inter / union) : 0;
}

/**
 * VLM-R1's `iou()` (qwen_module.iou_reward / grpo_jsonl / grpo_rec), the "−1 / +1 pixel" convention:
 * ```python
 * inter_x1 = max(box1[0], box2[0]); inter_y1 = max(box1[1], box2[1])
 * inter_x2 = min(box1[2]-1, box2[2]-1); inter_y2 = min(box1[3]-1, box2[3]-1)
 * inter = (inter_x2-inter_x1+1)*(inter_y2-inter_y1+1) if inter_x1 < inter_x2 and inter_y1 < inter_y2 else 0
 * union = (box1[2]-box1[0])*(box1[3]-box1[1]) + (box2[2]-box2[0])*(box2[3]-box2[1]) - inter
 * return inter / union
 * ```
 * Net effect: the continuous IoU, except that an overlap of ≤ 1 px in x or y counts as no overlap
 * (so a box 1 px wide or less has IoU 0 even with itself; any box wider and taller than 1 px has IoU 1 with itself).
 * Identical to VLM-R1 for well-formed boxes (x1 ≤ x2, y1 ≤ y2). Differences, all where Python would
 * crash or leave [0, 1]: corners are sorted first, a zero union gives 0 (Python: ZeroDivisionError),
 * non-finite coordinates give 0, and the result is clamped to [0, 1].
 */
export function iouPixel(a: BoxCoords, b: BoxCoords): number {
  const A = sortCorners(a);
  const B = sortCorners(b);
  if (!A || !B) return 0;
  const ix1 = Math.max(A[0], B[0]);
  const iy1 = Math.max(A[1], B[1]);
  const ix2 = Math.min(A[2] - 1, B[2] - 1);
  const iy2 = Math.min(A[3] - 1, B[3] - 1);
  const inter = ix1 < ix2 && iy1 < iy2 ? (ix2 - ix1 + 1) * (iy2 - iy1 + 1) : 0;
  const union = (A[2] - A[0]) * (A[3] - A[1]) + (B[2] - B[0]) * (B[3] - B[1]) - inter;
  if (!(union > 0)) return 0;
  return clamp01(inter / union);
}

export type IouKind = 'continuous' | 'pixel';

/** The IoU function for a kind ('continuous' = `iou`, 'pixel' = `iouPixel`). */
export function iouFn(kind: IouKind = 'continuous'): (a: BoxCoords, b: BoxCoords) => number {
  return kind === 'pixel' ? iouPixel : iou;
}

/** For each box of `from`, the best IoU with any box of `to` (0 when `to` is empty). */
export function bestIous(
  from: readonly BoxCoords[],
  to: readonly BoxCoords[],
  kind: IouKind = 'continuous',
): number[] {
  const f = iouFn(kind);
  return from.map((a) => to.reduce((best, b) => Math.max(best, f(a, b)), 0));
}
