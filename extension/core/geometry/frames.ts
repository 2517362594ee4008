// Coordinate frames: mapping a box between the frame it was written in and original-image pixels,
// and guessing the frame from the model family and the values. Pure: no `vscode`, no DOM.
//
// Frames (see model.ts FrameKind), per axis with W = original width (H for y):
//   original     x                      ↔ x
//   model-input  x · W / W_in           ↔ x · W_in / W        (W_in from dims.inputWidth, or smartResize)
//   norm1000     x / 1000 · W           ↔ x · 1000 / W
//   norm1        x · W                  ↔ x / W
//   bins1000     (b + 0.5) · W / 1000   ↔ clamp(floor(x · 1000 / W), 0, 999)    Florence-2 BoxQuantizer 'floor'
//   bins1024     b / 1024 · W           ↔ clamp(floor(x · 1024 / W), 0, 1023)   PaliGemma (raw stored x1, y1, x2, y2)
// The bins inverses quantize (integers, clamped to the bin range like the models' own quantizers), so a
// round trip through a bins frame is exact only to within one bin (W/1000 or W/1024 px) and only inside the image.

import type { BoxCoords, FrameKind } from '../model';
import { MAX_PIXELS, MIN_PIXELS, smartResize } from './smartResize';

export const FRAME_KINDS: readonly FrameKind[] = ['original', 'model-input', 'norm1000', 'norm1', 'bins1000', 'bins1024'];

/**
 * Sizes a frame needs. `width`/`height`: the original image. For 'model-input' either `inputWidth`/`inputHeight`
 * (e.g. from image_grid_thw · 14), or — when at least one of `minPixels`/`maxPixels` is given — they are
 * computed with Qwen2.5-VL smartResize(width, height, {minPixels, maxPixels, factor}) (the missing one takes the
 * qwen-vl-utils default). With neither, 'model-input' maps to null: the run's resize settings are unknown.
 */
export interface FrameSizes {
  width?: number;
  height?: number;
  inputWidth?: number;
  inputHeight?: number;
  minPixels?: number;
  maxPixels?: number;
  factor?: number;
}

function isPos(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0;
}

/** The model-input size for `dims` (given, or computed with smartResize when min/max pixels are given), or null. */
export function modelInputSize(dims: FrameSizes): { width: number; height: number } | null {
  if (isPos(dims.inputWidth) && isPos(dims.inputHeight)) return { width: dims.inputWidth, height: dims.inputHeight };
  if (!isPos(dims.width) || !isPos(dims.height)) return null;
  if (!isPos(dims.minPixels) && !isPos(dims.maxPixels)) return null;
  try {
    return smartResize(dims.width, dims.height, {
      minPixels: isPos(dims.minPixels) ? dims.minPixels : MIN_PIXELS,
      maxPixels: isPos(dims.maxPixels) ? dims.maxPixels : MAX_PIXELS,
      factor: isPos(dims.factor) ? dims.factor : undefined,
    });
  } catch {
    return null;
  }
}

/**
 * Per-axis affine map frame → original pixels: pixel = (v + offset) · scale, for x then y.
 * Null when the sizes the frame needs are unknown.
 */
export function frameAffine(
  frame: FrameKind,
  dims: FrameSizes,
): { sx: number; sy: number; offset: number } | null {
  const { width: W, height: H } = dims;
  switch (frame) {
    case 'original':
      return { sx: 1, sy: 1, offset: 0 };
    case 'model-input': {
      if (!isPos(W) || !isPos(H)) return null;
      const inp = modelInputSize(dims);
      if (!inp) return null;
      return { sx: W / inp.width, sy: H / inp.height, offset: 0 };
    }
    case 'norm1000':
      return isPos(W) && isPos(H) ? { sx: W / 1000, sy: H / 1000, offset: 0 } : null;
    case 'norm1':
      return isPos(W) && isPos(H) ? { sx: W, sy: H, offset: 0 } : null;
    case 'bins1000':
      return isPos(W) && isPos(H) ? { sx: W / 1000, sy: H / 1000, offset: 0.5 } : null;
    case 'bins1024':
      return isPos(W) && isPos(H) ? { sx: W / 1024, sy: H / 1024, offset: 0 } : null;
    default:
      return null;
  }
}

/** Map a box written in `frame` to original-image pixels; null when the sizes the frame needs are unknown. */
export function toOriginalPixels(raw: BoxCoords, frame: FrameKind, dims: FrameSizes): BoxCoords | null {
  const a = frameAffine(frame, dims);
  if (!a) return null;
  if (frame === 'original') return [raw[0], raw[1], raw[2], raw[3]];
  const o = a.offset;
  return [(raw[0] + o) * a.sx, (raw[1] + o) * a.sy, (raw[2] + o) * a.sx, (raw[3] + o) * a.sy];
}

/**
 * Map a box in original-image pixels to `frame` (the inverse of `toOriginalPixels`); null when sizes are missing.
 * Bins frames quantize like the models do (floor, clamped to [0, bins − 1]); a non-finite coordinate stays as is.
 */
export function fromOriginalPixels(box: BoxCoords, frame: FrameKind, dims: FrameSizes): BoxCoords | null {
  const a = frameAffine(frame, dims);
  if (!a) return null;
  if (frame === 'original') return [box[0], box[1], box[2], box[3]];
  if (frame === 'bins1000' || frame === 'bins1024') {
    const n = frame === 'bins1000' ? 1000 : 1024;
    const q = (v: number, size: number): number =>
      Number.isFinite(v) ? Math.min(n - 1, Math.max(0, Math.floor((v * n) / size))) : v;
    const W = dims.width as number;
    const H = dims.height as number;
    return [q(box[0], W), q(box[1], H), q(box[2], W), q(box[3], H)];
  }
  return [box[0] / a.sx, box[1] / a.sy, box[2] / a.sx, box[3] / a.sy];
}

// ------------------------------------------------------------------------------------------------
// inferFrame

export interface InferFrameOptions {
  width?: number;
  height?: number;
  inputWidth?: number;
  inputHeight?: number;
  /** Used to compute the input size when inputWidth/inputHeight are absent (see FrameSizes). */
  minPixels?: number;
  maxPixels?: number;
  /** e.g. 'qwen2.5-vl', 'qwen2-vl', 'qwen3-vl', 'internvl', 'florence-2', 'paligemma', or a model name/path. */
  modelFamily?: string;
  /** An explicit frame name (a FrameKind) or alias ('absolute', 'relative', '0-1000', '0-1', 'loc', …): wins over all. */
  convention?: string;
}

export interface InferredFrame {
  frame: FrameKind;
  /** False only when `convention` named the frame, or the model family's convention fits the values. */
  assumed: boolean;
  reason: string;
  /** Every frame the values fit (chosen frame first) when more than one does; otherwise just the chosen frame. */
  candidates: FrameKind[];
}

/** The frame a model family writes boxes in, or null for an unknown family. */
export function familyFrame(modelFamily: string | undefined): FrameKind | null {
  if (!modelFamily) return null;
  const s = modelFamily.toLowerCase().replace(/[\s_]+/g, '-');
  if (/florence/.test(s)) return 'bins1000';
  if (/pali-?gemma/.test(s)) return 'bins1024';
  if (/qwen-?2[.-]?5-?vl|qwen-?2\.5/.test(s)) return 'model-input';
  if (/qwen-?3-?vl|qwen-?3/.test(s)) return 'norm1000';
  if (/qwen-?2-?vl|qwen-?vl/.test(s)) return 'norm1000';
  if (/intern-?vl/.test(s)) return 'norm1000';
  if (/visual-?rft/.test(s)) return 'norm1000';
  return null;
}

const CONVENTION_ALIASES: Record<string, FrameKind> = {
  original: 'original', pixel: 'original', pixels: 'original', abs: 'original', absolute: 'original',
  'model-input': 'model-input', input: 'model-input', resized: 'model-input', 'smart-resize': 'model-input',
  norm1000: 'norm1000', '0-1000': 'norm1000', relative: 'norm1000', 'relative-1000': 'norm1000', qwen2vl: 'norm1000',
  norm1: 'norm1', '0-1': 'norm1', normalized: 'norm1', normalised: 'norm1', xyxyn: 'norm1',
  bins1000: 'bins1000', loc: 'bins1000', florence: 'bins1000', 'florence-2': 'bins1000',
  bins1024: 'bins1024', paligemma: 'bins1024',
};

/** Relative slack for "fits": models often overshoot the image edge a little. */
const SLACK = 0.02;
const SLACK_ABS = 2;

/**
 * Guess the frame boxes were written in. Order:
 * 1. `convention` naming a frame (or alias) → that frame, not assumed.
 * 2. `modelFamily` → its frame (Qwen2.5-VL → model-input; Qwen2-VL, Qwen3-VL, InternVL, Visual-RFT → norm1000;
 *    Florence-2 → bins1000; PaliGemma → bins1024), unless the values cannot be in it (e.g. > 1000 for norm1000,
 *    beyond the input size for model-input), in which case step 3 decides and the conflict is in `reason`.
 * 3. Values (finite coordinates only): all within [0, 1] (not all 0) → norm1; any above the pixel range of
 *    both original and model-input but all ≤ 1000 → norm1000; above 1000 → original / model-input by size;
 *    otherwise ambiguous: model-input when the input size is known (Qwen2.5-VL being the common case in GRPO
 *    grounding runs), else original — assumed, with every fitting frame in `candidates`.
 */
export function inferFrame(boxes: readonly BoxCoords[], opts: InferFrameOptions = {}): InferredFrame {
  const values: number[] = [];
  let minV = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const b of boxes) {
    if (!b) continue;
    for (let i = 0; i < 4; i++) {
      const v = b[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      values.push(v);
      if (v < minV) minV = v;
      if (i % 2 === 0) maxX = Math.max(maxX, v);
      else maxY = Math.max(maxY, v);
    }
  }
  const fits = fitting(values, minV, maxX, maxY, opts);
  const candidatesWith = (f: FrameKind): FrameKind[] => [f, ...fits.filter((c) => c !== f)];

  // 1. explicit convention
  if (opts.convention) {
    const key = opts.convention.toLowerCase().replace(/[\s_]+/g, '-');
    const f = (FRAME_KINDS as readonly string[]).includes(key) ? (key as FrameKind) : CONVENTION_ALIASES[key] ?? familyFrame(key);
    if (f) return { frame: f, assumed: false, reason: `convention '${opts.convention}'`, candidates: [f] };
  }

  // 2. model family
  const fam = familyFrame(opts.modelFamily);
  let conflict = '';
  if (fam) {
    if (values.length === 0 || fits.includes(fam)) {
      return {
        frame: fam,
        assumed: false,
        reason: `model family '${opts.modelFamily}' writes boxes in ${fam}`,
        candidates: values.length === 0 ? [fam] : candidatesWith(fam).filter((c) => c === fam || !isBins(c)),
      };
    }
    conflict = `model family '${opts.modelFamily}' implies ${fam}, but the values (max x ${fmt(maxX)}, max y ${fmt(maxY)}) do not fit it; `;
  }

  // 3. values
  const hasInput = modelInputSize(opts) !== null;
  if (values.length === 0) {
    const f: FrameKind = hasInput ? 'model-input' : 'original';
    return { frame: f, assumed: true, reason: `${conflict}no finite coordinates: assuming ${f}`, candidates: [f] };
  }
  const plain = fits.filter((c) => !isBins(c));
  const pick = (f: FrameKind, why: string): InferredFrame => {
    const cands = candidatesWith(f).filter((c) => !isBins(c));
    return { frame: f, assumed: true, reason: conflict + why + (cands.length > 1 ? `; also fits ${cands.slice(1).join(', ')}` : ''), candidates: cands };
  };
  if (plain.includes('norm1') && values.some((v) => v > 0)) return pick('norm1', 'all values within [0, 1]');
  if (plain.length === 1) return pick(plain[0]!, `only ${plain[0]} fits the values`);
  if (plain.length === 0) {
    const f: FrameKind = hasInput ? 'model-input' : 'original';
    return pick(f, `no frame fits the values (max x ${fmt(maxX)}, max y ${fmt(maxY)}): assuming ${f}`);
  }
  if (!plain.includes('original') && !plain.includes('model-input') && plain.includes('norm1000'))
    return pick('norm1000', 'values exceed the image but stay within 0–1000');
  const f: FrameKind = plain.includes('model-input') && hasInput ? 'model-input' : plain.includes('original') ? 'original' : plain[0]!;
  return pick(f, `ambiguous values (max x ${fmt(maxX)}, max y ${fmt(maxY)}): assuming ${f}`);
}

function isBins(f: FrameKind): boolean {
  return f === 'bins1000' || f === 'bins1024';
}

function fmt(n: number): string {
  return Number.isFinite(n) ? String(Math.round(n * 1000) / 1000) : 'none';
}

/** Frames whose value range the coordinates fit (order: model-input, original, norm1000, norm1, bins). */
function fitting(values: number[], minAll: number, maxX: number, maxY: number, opts: InferFrameOptions): FrameKind[] {
  if (values.length === 0) return [...FRAME_KINDS];
  const max = Math.max(maxX, maxY);
  const within = (limX: number, limY: number): boolean =>
    minAll >= -(SLACK_ABS + SLACK * limX) && maxX <= limX * (1 + SLACK) + SLACK_ABS && maxY <= limY * (1 + SLACK) + SLACK_ABS;
  const out: FrameKind[] = [];
  const W = isPos(opts.width) ? opts.width : undefined;
  const H = isPos(opts.height) ? opts.height : undefined;
  // model-input: the known input size, or (sizes known, settings unknown) the default-settings smartResize bound,
  // or unknown sizes: cannot be ruled out.
  let inp = modelInputSize(opts);
  if (!inp && W && H) {
    try {
      inp = smartResize(W, H);
    } catch {
      inp = null;
    }
  }
  if (inp ? within(inp.width, inp.height) : true) out.push('model-input');
  if (W && H ? within(W, H) : true) out.push('original');
  if (minAll >= -SLACK_ABS && max <= 1000 + SLACK_ABS) out.push('norm1000');
  if (minAll >= 0 && max <= 1) out.push('norm1');
  const ints = values.every((v) => Number.isInteger(v));
  if (ints && minAll >= 0 && max <= 999) out.push('bins1000');
  if (ints && minAll >= 0 && max <= 1023) out.push('bins1024');
  return out;
}
