import type { BoxCoords } from '../model';

/** Continuous IoU of two boxes [x1, y1, x2, y2] (corners in any order). 0 when either has no area. */
export function iou(a: BoxCoords, b: BoxCoords): number {
  const [ax1, ax2] = a[0] <= a[2] ? [a[0], a[2]] : [a[2], a[0]];
  const [ay1, ay2] = a[1] <= a[3] ? [a[1], a[3]] : [a[3], a[1]];
  const [bx1, bx2] = b[0] <= b[2] ? [b[0], b[2]] : [b[2], b[0]];
  const [by1, by2] = b[1] <= b[3] ? [b[1], b[3]] : [b[3], b[1]];
  const iw = Math.min(ax2, bx2) - Math.max(ax1, bx1);
  const ih = Math.min(ay2, by2) - Math.max(ay1, by1);
  if (!(iw > 0 && ih > 0)) return 0;
  const inter = iw * ih;
  const union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
  return union > 0 ? inter / union : 0;
}

/** For each box of `from`, the best IoU with any box of `to` (0 when `to` is empty). */
export function bestIous(from: readonly BoxCoords[], to: readonly BoxCoords[]): number[] {
  return from.map((a) => to.reduce((best, b) => Math.max(best, iou(a, b)), 0));
}
