// Qwen2.5-VL `smart_resize` (qwen-vl-utils, vision_process.py) and coordinate-frame mapping.
// Pure: no `vscode`, no DOM.

import type { BoxCoords, FrameKind } from '../model';

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

/** Sizes needed to map a frame to original pixels. Input sizes are only needed for 'model-input'. */
export interface FrameDims {
  width: number;
  height: number;
  inputWidth?: number;
  inputHeight?: number;
}

/** Scale factors (x, y) from `frame` to original pixels, or null when the sizes needed are unknown. */
export function frameScale(frame: FrameKind, dims: Partial<FrameDims>): [number, number] | null {
  const { width, height, inputWidth, inputHeight } = dims;
  switch (frame) {
    case 'original':
      return [1, 1];
    case 'model-input':
      if (!isPos(width) || !isPos(height) || !isPos(inputWidth) || !isPos(inputHeight)) return null;
      return [width / inputWidth, height / inputHeight];
    case 'norm1000':
      if (!isPos(width) || !isPos(height)) return null;
      return [width / 1000, height / 1000];
    case 'norm1':
      if (!isPos(width) || !isPos(height)) return null;
      return [width, height];
    case 'bins1000':
    case 'bins1024':
      // bins are not a pure scale (Florence-2 maps a bin to its centre): see geometry/frames.ts
      return null;
  }
}

/**
 * Map a box written in `frame` to original-image pixels:
 * 'model-input' x·W/W_in, y·H/H_in · 'original' identity · 'norm1000' x/1000·W · 'norm1' x·W.
 * Returns null when the sizes the frame needs are unknown.
 */
export function toOriginal(raw: BoxCoords, frame: FrameKind, dims: Partial<FrameDims>): BoxCoords | null {
  const s = frameScale(frame, dims);
  if (!s) return null;
  return [raw[0] * s[0], raw[1] * s[1], raw[2] * s[0], raw[3] * s[1]];
}

/** The inverse of `toOriginal`. */
export function fromOriginal(box: BoxCoords, frame: FrameKind, dims: Partial<FrameDims>): BoxCoords | null {
  const s = frameScale(frame, dims);
  if (!s) return null;
  return [box[0] / s[0], box[1] / s[1], box[2] / s[0], box[3] / s[1]];
}

/** x1 <= x2 and y1 <= y2. */
export function normaliseBox(b: BoxCoords): BoxCoords {
  return [Math.min(b[0], b[2]), Math.min(b[1], b[3]), Math.max(b[0], b[2]), Math.max(b[1], b[3])];
}

function isPos(n: number | undefined): n is number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0;
}
