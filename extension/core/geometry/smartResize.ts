// Qwen2.5-VL `smart_resize` (qwen-vl-utils, vision_process.py) and coordinate-frame mapping.
// Pure: no `vscode`, no DOM.

import type { BoxCoords, FrameKind } from '../model';
// frames.ts imports smartResize from here; both sides use each other only inside functions, so the cycle is safe.
import { frameAffine, fromOriginalPixels, toOriginalPixels } from './frames';

export const IMAGE_FACTOR = 28;
export const MIN_PIXELS = 4 * 28 * 28;
export const MAX_PIXELS = 16384 * 28 * 28;
export const MAX_RATIO = 200;

/** Python's built-in `round()` for floats: round half to even. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** `round(n / factor) * factor` with Python rounding. */
export function roundByFactor(n: number, factor: number): number {
  return roundHalfEven(n / factor) * factor;
}

export function floorByFactor(n: number, factor: number): number {
  return Math.floor(n / factor) * factor;
}

export function ceilByFactor(n: number, factor: number): number {
  return Math.ceil(n / factor) * factor;
}

export interface SmartResizeOptions {
  factor?: number;
  minPixels?: number;
  maxPixels?: number;
}

/**
 * The model-input size Qwen2.5-VL's processor resizes a `width`×`height` image to.
 * Same arithmetic as qwen-vl-utils `smart_resize(height, width, …)`; returns `{width, height}`
 * (note the Python function returns `(h_bar, w_bar)`).
 * Throws a RangeError for non-positive sizes or an aspect ratio above 200 (qwen-vl-utils raises too).
 */
export function smartResize(
  width: number,
  height: number,
  opts: SmartResizeOptions = {},
): { width: number; height: number } {
  const factor = opts.factor ?? IMAGE_FACTOR;
  const minPixels = opts.minPixels ?? MIN_PIXELS;
  const maxPixels = opts.maxPixels ?? MAX_PIXELS;
  if (!(width > 0) || !(height > 0) || !Number.isFinite(width) || !Number.isFinite(height)) {
    throw new RangeError(`smartResize: width and height must be positive, got ${width}×${height}`);
  }
  if (Math.max(height, width) / Math.min(height, width) > MAX_RATIO) {
    throw new RangeError(`smartResize: absolute aspect ratio must be smaller than ${MAX_RATIO}, got ${width}×${height}`);
  }
  let hBar = Math.max(factor, roundByFactor(height, factor));
  let wBar = Math.max(factor, roundByFactor(width, factor));
  if (hBar * wBar > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    // Newer qwen-vl-utils wrap these in max(factor, …); identical whenever the older code gives a valid size.
    hBar = Math.max(factor, floorByFactor(height / beta, factor));
    wBar = Math.max(factor, floorByFactor(width / beta, factor));
  } else if (hBar * wBar < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    hBar = ceilByFactor(height * beta, factor);
    wBar = ceilByFactor(width * beta, factor);
  }
  return { width: wBar, height: hBar };
}

/**
 * Sizes needed to map a frame to original pixels. Input sizes are only needed for 'model-input'; without them,
 * `minPixels`/`maxPixels` (either one) make 'model-input' use smartResize(width, height, …). See geometry/frames.ts.
 */
export interface FrameDims {
  width: number;
  height: number;
  inputWidth?: number;
  inputHeight?: number;
  minPixels?: number;
  maxPixels?: number;
  factor?: number;
}

/**
 * Scale factors (x, y) from `frame` to original pixels when the map is a pure scale, or null when the sizes
 * needed are unknown. 'bins1000' (Florence-2) is null: it maps a bin to its centre, (b + 0.5)·W/1000, which is
 * not a pure scale — use `toOriginal` / geometry/frames.ts `frameAffine`. 'bins1024' is W/1024, H/1024.
 */
export function frameScale(frame: FrameKind, dims: Partial<FrameDims>): [number, number] | null {
  if (frame === 'bins1000') return null;
  const a = frameAffine(frame, dims);
  return a ? [a.sx, a.sy] : null;
}

/**
 * Map a box written in `frame` to original-image pixels (delegates to geometry/frames.ts `toOriginalPixels`):
 * 'model-input' x·W/W_in, y·H/H_in · 'original' identity · 'norm1000' x/1000·W · 'norm1' x·W ·
 * 'bins1000' (b+0.5)·W/1000 · 'bins1024' b/1024·W.
 * Returns null when the sizes the frame needs are unknown.
 */
export function toOriginal(raw: BoxCoords, frame: FrameKind, dims: Partial<FrameDims>): BoxCoords | null {
  return toOriginalPixels(raw, frame, dims);
}

/** The inverse of `toOriginal` (bins frames quantize: floor, clamped to the bin range). */
export function fromOriginal(box: BoxCoords, frame: FrameKind, dims: Partial<FrameDims>): BoxCoords | null {
  return fromOriginalPixels(box, frame, dims);
}

/** x1 <= x2 and y1 <= y2. */
export function normaliseBox(b: BoxCoords): BoxCoords {
  return [Math.min(b[0], b[2]), Math.min(b[1], b[3]), Math.max(b[0], b[2]), Math.max(b[1], b[3])];
}

