// CLIP-style image–text similarity with onnxruntime-node: a pair of ONNX encoders (vision_model.onnx,
// text_model.onnx) with their tokenizer.json and preprocessor_config.json, the research reward of
// text→multimodal traces (Rollout.generatedImages). Score = cosine similarity (float64) between the image
// embedding and the text embedding: raw cosine in [-1, 1], not CLIPScore's 2.5·max(cos, 0) nor the
// logit_scale·cos (≈100·cos) of CLIPModel's logits — scale it yourself if your reward did.
//
// Image preprocessing follows Transformers' (slow, PIL-based) CLIPImageProcessor step by step, so scores
// match a reward computed with it as closely as a JS decoder allows:
//   1. decode PNG (pngjs) or JPEG (jpeg-js), chosen by magic bytes; other formats are refused by name;
//   2. convert to RGB the way PIL's convert('RGB') does: alpha is DROPPED (not composited over white —
//      that is what the Python reward saw), grayscale is replicated into 3 channels, palettes expanded,
//      16-bit PNG samples scaled to 8 bits;
//   3. resize so the shortest edge is `size` (or to {height, width}) with Pillow's own separable
//      resampling (Resample.c: antialiased, 8-bit fixed point, horizontal then vertical pass) and the
//      config's `resample` filter — bicubic (a = −0.5) for CLIP; no cheap bilinear shortcut;
//   4. centre crop to `crop_size` (top = ⌊(h − ch)/2⌋ as in transformers' center_crop; zero padding when the
//      crop is larger than the image);
//   5. rescale by rescale_factor (1/255) and normalise with image_mean / image_std, rounding like numpy's
//      float32 arithmetic; CHW float32.
// Known gaps: jpeg-js's IDCT/upsampling can differ from libjpeg by a level or two; EXIF orientation is
// ignored (as Image.open does); the torchvision "fast" processor (use_fast=True) resizes differently.
// Pure of `vscode`; onnxruntime-node is loaded lazily.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { loadOnnxRuntime, type Ort } from './ort';
import { JudgeCancelled, JudgeSetupError } from './types';

// ---------------------------------------------------------------------------------------------------------
// Preprocessor config

export const CLIP_IMAGE_MEAN: readonly [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_IMAGE_STD: readonly [number, number, number] = [0.26862954, 0.26130258, 0.27577711];
/** Images above this many pixels are refused (decoding one would take seconds and hundreds of MB). */
export const MAX_IMAGE_PIXELS = 50_000_000;
const MAX_IMAGE_FILE_BYTES = 512 * 1024 * 1024;

/** PIL resampling filters, by PIL's numeric code (what preprocessor_config.json `resample` holds). */
export type ResampleFilter = 'nearest' | 'lanczos' | 'bilinear' | 'bicubic' | 'box' | 'hamming';
const RESAMPLE_CODES: readonly ResampleFilter[] = ['nearest', 'lanczos', 'bilinear', 'bicubic', 'box', 'hamming'];

export interface ClipPreprocess {
  /** `null`: do_resize false. */
  resize: { shortestEdge: number } | { height: number; width: number } | null;
  /** `null`: do_center_crop false. */
  crop: { height: number; width: number } | null;
  resample: ResampleFilter;
  /** Multiplier from 0..255 to the model's range; `null`: do_rescale false. */
  rescale: number | null;
  /** `null`: do_normalize false. */
  mean: readonly [number, number, number] | null;
  std: readonly [number, number, number] | null;
}

export const DEFAULT_CLIP_PREPROCESS: ClipPreprocess = {
  resize: { shortestEdge: 224 },
  crop: { height: 224, width: 224 },
  resample: 'bicubic',
  rescale: 1 / 255,
  mean: CLIP_IMAGE_MEAN,
  std: CLIP_IMAGE_STD,
};

const posInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 16384;

/**
 * Read a preprocessor_config.json object (already parsed) the way CLIPImageProcessor does: `size` as an int
 * (the shortest edge), {shortest_edge} or {height, width}; `crop_size` as an int (a square) or
 * {height, width}; image_mean / image_std as 3 numbers (or one); defaults are CLIP's. `where` names the file
 * in errors (JudgeSetupError).
 */
export function readClipPreprocess(json: unknown, where = 'preprocessor_config.json'): ClipPreprocess {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new JudgeSetupError(`${where}: expected a JSON object`);
  const o = json as Record<string, unknown>;
  const bad = (what: string, v: unknown): never => {
    throw new JudgeSetupError(`${where}: unsupported ${what} ${JSON.stringify(v)}`);
  };
  const flag = (k: string): boolean => o[k] !== false;

  let resize: ClipPreprocess['resize'] = null;
  if (flag('do_resize')) {
    const s = o.size ?? 224;
    if (posInt(s)) resize = { shortestEdge: s };
    else if (s && typeof s === 'object') {
      const so = s as Record<string, unknown>;
      if (posInt(so.shortest_edge)) resize = { shortestEdge: so.shortest_edge };
      else if (posInt(so.height) && posInt(so.width)) resize = { height: so.height, width: so.width };
      else bad('size', s);
    } else bad('size', s);
  }
  let crop: ClipPreprocess['crop'] = null;
  if (flag('do_center_crop')) {
    const c = o.crop_size ?? 224;
    if (posInt(c)) crop = { height: c, width: c };
    else if (c && typeof c === 'object' && posInt((c as Record<string, unknown>).height) && posInt((c as Record<string, unknown>).width))
      crop = { height: (c as { height: number }).height, width: (c as { width: number }).width };
    else bad('crop_size', c);
  }
  let resample: ResampleFilter = 'bicubic';
  if (o.resample !== undefined && o.resample !== null) {
    const r = o.resample;
    if (typeof r === 'number' && RESAMPLE_CODES[r]) resample = RESAMPLE_CODES[r]!;
    else bad('resample', r);
  }
  let rescale: number | null = null;
  if (flag('do_rescale')) {
    const f = o.rescale_factor ?? 1 / 255;
    if (typeof f !== 'number' || !Number.isFinite(f) || f <= 0) bad('rescale_factor', f);
    rescale = f as number;
  }
  const triple = (k: string, dflt: readonly [number, number, number]): readonly [number, number, number] => {
    const v = o[k];
    if (v === undefined || v === null) return dflt;
    if (typeof v === 'number' && Number.isFinite(v)) return [v, v, v];
    if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x))) return [v[0], v[1], v[2]];
    return bad(k, v);
  };
  let mean: ClipPreprocess['mean'] = null;
  let std: ClipPreprocess['std'] = null;
  if (flag('do_normalize')) {
    mean = triple('image_mean', CLIP_IMAGE_MEAN);
    std = triple('image_std', CLIP_IMAGE_STD);
    if (std.some((x) => x === 0)) bad('image_std', std);
  }
  return { resize, crop, resample, rescale, mean, std };
}

/** Final [height, width] of the pixel tensor for an image of `w`×`h` (after resize and crop). */
export function clipOutputSize(w: number, h: number, p: ClipPreprocess): { width: number; height: number } {
  if (p.crop) return { ...p.crop };
  return resizeTarget(w, h, p);
}

/** The resize target of transformers' get_resize_output_image_size(default_to_square=False). */
function resizeTarget(w: number, h: number, p: ClipPreprocess): { width: number; height: number } {
  const r = p.resize;
  if (!r) return { width: w, height: h };
  if ('height' in r) return { width: r.width, height: r.height };
  const s = r.shortestEdge;
  // short, long = min, max; new_long = int(size * long / short)
  if (w <= h) return { width: s, height: Math.max(1, Math.trunc((s * h) / w)) };
  return { width: Math.max(1, Math.trunc((s * w) / h)), height: s };
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

/** An unreadable, unsupported or oversized image (the message names the file). One bad image never throws out of scoreMany. */
export class ClipImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClipImageError';
  }
}

/** Decoded 8-bit pixels, row-major, `channels` bytes a pixel (the 4th, alpha, is ignored: PIL's convert('RGB')). */
export interface RgbImage {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array;
}

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp' | 'tiff' | 'avif/heic';

export function sniffImageFormat(b: Uint8Array): ImageFormat | null {
  const at = (i: number, ...xs: number[]): boolean => xs.every((x, k) => b[i + k] === x);
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (at(0, 0xff, 0xd8, 0xff)) return 'jpeg';
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return 'gif';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'webp';
  if (at(0, 0x42, 0x4d)) return 'bmp';
  if (at(0, 0x49, 0x49, 0x2a, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2a)) return 'tiff';
  if (at(4, 0x66, 0x74, 0x79, 0x70)) return 'avif/heic';
  return null;
}

/** Width and height from a PNG IHDR or a JPEG SOFn header, without decoding; null when not found. */
export function imageHeaderSize(b: Uint8Array, fmt: 'png' | 'jpeg'): { width: number; height: number } | null {
  const be16 = (i: number): number => (b[i]! << 8) | b[i + 1]!;
  if (fmt === 'png') {
    if (b.length < 24) return null;
    const be32 = (i: number): number => ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;
    return { width: be32(16), height: be32(20) };
  }
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) {
      i++;
      continue;
    }
    const m = b[i + 1]!;
    if (m === 0xff) {
      i++;
      continue;
    }
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      i += 2;
      continue;
    }
    if (m === 0xd9 || m === 0xda) return null;
    const len = be16(i + 2);
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (i + 9 > b.length) return null;
      return { height: be16(i + 5), width: be16(i + 7) };
    }
    i += 2 + len;
  }
  return null;
}

/**
 * Decode PNG or JPEG bytes (by magic bytes). `label` (the file) is named in every error. Images above
 * MAX_IMAGE_PIXELS are refused from their header, before decoding.
 */
export function decodeImage(bytes: Uint8Array, label: string): RgbImage {
  const fmt = sniffImageFormat(bytes);
  if (fmt !== 'png' && fmt !== 'jpeg')
    throw new ClipImageError(
      `${label}: ${fmt ? `${fmt.toUpperCase()} images are not supported` : 'not a PNG or JPEG image (unknown format)'}; the CLIP reward reads PNG and JPEG`,
    );
  const size = imageHeaderSize(bytes, fmt);
  if (size && size.width * size.height > MAX_IMAGE_PIXELS)
    throw new ClipImageError(`${label}: ${size.width}×${size.height} is ${((size.width * size.height) / 1e6).toFixed(1)} megapixels, above the ${MAX_IMAGE_PIXELS / 1e6} MP limit`);
  try {
    if (fmt === 'png') {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { PNG } = require('pngjs') as typeof import('pngjs');
      // pngjs always yields 8-bit RGBA: gray replicated, palette expanded, 16-bit scaled to 8 bits
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, channels: 4, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const jpeg = require('jpeg-js') as typeof import('jpeg-js');
    const j = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
    if (j.data.length !== j.width * j.height * 3) throw new Error(`unexpected decoded size ${j.data.length} for ${j.width}×${j.height}`);
    return { width: j.width, height: j.height, channels: 3, data: j.data };
  } catch (e) {
    throw new ClipImageError(`${label}: cannot decode ${fmt.toUpperCase()}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Resampling: Pillow's Resample.c, 8 bits per channel

const PRECISION_BITS = 32 - 8 - 2;

const FILTERS: Record<Exclude<ResampleFilter, 'nearest'>, { f: (x: number) => number; support: number }> = {
  box: { f: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0), support: 0.5 },
  bilinear: {
    f: (x) => {
      x = Math.abs(x);
      return x < 1 ? 1 - x : 0;
    },
    support: 1,
  },
  hamming: {
    f: (x) => {
      x = Math.abs(x);
      if (x === 0) return 1;
      if (x >= 1) return 0;
      x *= Math.PI;
      return (Math.sin(x) / x) * (Math.fround(0.54) + Math.fround(0.46) * Math.cos(x));
    },
    support: 1,
  },
  bicubic: {
    f: (x) => {
      const a = -0.5;
      x = Math.abs(x);
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
    support: 2,
  },
  lanczos: {
    f: (x) => {
      const sinc = (t: number): number => (t === 0 ? 1 : Math.sin(t * Math.PI) / (t * Math.PI));
      return x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
    },
    support: 3,
  },
};

interface Coeffs {
  ksize: number;
  /** Per output pixel: first input index, tap count. */
  bounds: Int32Array;
  /** Fixed-point weights (PRECISION_BITS), ksize per output pixel. */
  k: Int32Array;
}

function precomputeCoeffs(inSize: number, outSize: number, filter: Exclude<ResampleFilter, 'nearest'>): Coeffs {
  const { f, support: sup } = FILTERS[filter];
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = sup * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const k = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  const ss = 1 / filterscale;
  const one = 1 << PRECISION_BITS;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      w[x] = f((x + xmin - center + 0.5) * ss);
      ww += w[x]!;
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? w[x]! / ww : w[x]!;
      k[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * one) : Math.trunc(0.5 + v * one);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, k };
}

const clip8 = (ss: number): number => {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
};

/**
 * Resize `img` to `outW`×`outH` as Pillow's Image.resize(…, resample) does for an RGB image, computing only
 * output columns [x0, x1) and rows [y0, y1) (the centre crop; each output pixel is independent, so the
 * values equal those of a full resize). Returns packed RGB of (x1 − x0)×(y1 − y0).
 */
export function resizeRgbRegion(
  img: RgbImage,
  outW: number,
  outH: number,
  filter: ResampleFilter,
  region: { x0: number; x1: number; y0: number; y1: number } = { x0: 0, x1: outW, y0: 0, y1: outH },
): Uint8Array {
  const { x0, x1, y0, y1 } = region;
  const rw = x1 - x0;
  const rh = y1 - y0;
  const out = new Uint8Array(Math.max(0, rw * rh * 3));
  if (rw <= 0 || rh <= 0) return out;
  const { width: w, height: h, channels: ch, data } = img;
  if (filter === 'nearest') {
    // Pillow's ImagingScaleAffine: source = ⌊0.5·scale + x·scale⌋, the position accumulated by repeated addition
    const table = (n: number, scale: number, limit: number): Int32Array => {
      const t = new Int32Array(n);
      let o = scale * 0.5;
      for (let i = 0; i < n; i++, o += scale) t[i] = o < 0 ? 0 : Math.min(limit - 1, Math.trunc(o));
      return t;
    };
    const xt = table(outW, w / outW, w);
    const yt = table(outH, h / outH, h);
    for (let y = y0; y < y1; y++) {
      const yi = yt[y]!;
      for (let x = x0; x < x1; x++) {
        const xi = xt[x]!;
        const s = (yi * w + xi) * ch;
        const d = ((y - y0) * rw + (x - x0)) * 3;
        out[d] = data[s]!;
        out[d + 1] = data[s + 1]!;
        out[d + 2] = data[s + 2]!;
      }
    }
    return out;
  }
  const needH = outW !== w;
  const needV = outH !== h;
  // rows of the source the vertical pass reads
  const cv = needV ? precomputeCoeffs(h, outH, filter) : null;
  const rowFirst = cv ? cv.bounds[y0 * 2]! : y0;
  const rowLast = cv ? cv.bounds[(y1 - 1) * 2]! + cv.bounds[(y1 - 1) * 2 + 1]! : y1;
  const tRows = rowLast - rowFirst;
  // horizontal pass (or a copy of the needed columns): packed RGB, rw × tRows
  const tmp = new Uint8Array(rw * tRows * 3);
  const half = 1 << (PRECISION_BITS - 1);
  if (needH) {
    const c = precomputeCoeffs(w, outW, filter);
    for (let r = 0; r < tRows; r++) {
      const rowBase = (r + rowFirst) * w;
      for (let x = x0; x < x1; x++) {
        const xmin = c.bounds[x * 2]!;
        const n = c.bounds[x * 2 + 1]!;
        const kb = x * c.ksize;
        let s0 = half;
        let s1 = half;
        let s2 = half;
        for (let t = 0; t < n; t++) {
          const kv = c.k[kb + t]!;
          const s = (rowBase + xmin + t) * ch;
          s0 += data[s]! * kv;
          s1 += data[s + 1]! * kv;
          s2 += data[s + 2]! * kv;
        }
        const d = (r * rw + (x - x0)) * 3;
        tmp[d] = clip8(s0);
        tmp[d + 1] = clip8(s1);
        tmp[d + 2] = clip8(s2);
      }
    }
  } else {
    for (let r = 0; r < tRows; r++)
      for (let x = x0; x < x1; x++) {
        const s = ((r + rowFirst) * w + x) * ch;
        const d = (r * rw + (x - x0)) * 3;
        tmp[d] = data[s]!;
        tmp[d + 1] = data[s + 1]!;
        tmp[d + 2] = data[s + 2]!;
      }
  }
  if (!cv) {
    out.set(tmp.subarray(0, rw * rh * 3));
    return out;
  }
  const rowLen = rw * 3;
  for (let y = y0; y < y1; y++) {
    const ymin = cv.bounds[y * 2]! - rowFirst;
    const n = cv.bounds[y * 2 + 1]!;
    const kb = y * cv.ksize;
    const d0 = (y - y0) * rowLen;
    for (let i = 0; i < rowLen; i++) {
      let s = half;
      for (let t = 0; t < n; t++) s += tmp[(ymin + t) * rowLen + i]! * cv.k[kb + t]!;
      out[d0 + i] = clip8(s);
    }
  }
  return out;
}

const floorDiv2 = (n: number): number => Math.floor(n / 2);

/**
 * CLIPImageProcessor on one decoded image: resize, centre crop, rescale, normalise → CHW float32
 * (3 × height × width, see clipOutputSize). Writes into `out` at `offset` when given.
 */
export function preprocessClipImage(img: RgbImage, p: ClipPreprocess, out?: Float32Array, offset = 0): Float32Array {
  const { width: nw, height: nh } = resizeTarget(img.width, img.height, p);
  const { width: cw, height: chh } = p.crop ?? { width: nw, height: nh };
  // transformers' center_crop: top = (h − ch) // 2, zero padding outside the image
  const top = floorDiv2(nh - chh);
  const left = floorDiv2(nw - cw);
  const region = { x0: Math.max(0, left), x1: Math.min(nw, left + cw), y0: Math.max(0, top), y1: Math.min(nh, top + chh) };
  const rgb = resizeRgbRegion(img, nw, nh, p.resample, region);
  const rw = region.x1 - region.x0;
  const plane = chh * cw;
  const dst = out ?? new Float32Array(3 * plane);
  if (dst.length < offset + 3 * plane) throw new RangeError('preprocessClipImage: output buffer too small');
  const f = Math.fround;
  // numpy: rescale in float64 then cast to float32; (x − mean) / std in float32
  const lut: Float32Array[] = [0, 1, 2].map((c) => {
    const t = new Float32Array(256);
    const m = p.mean ? f(p.mean[c]!) : 0;
    const s = p.std ? f(p.std[c]!) : 1;
    for (let u = 0; u < 256; u++) {
      const v = p.rescale !== null ? f(u * p.rescale) : u;
      t[u] = p.mean ? f(f(v - m) / s) : v;
    }
    return t;
  });
  for (let y = 0; y < chh; y++) {
    const sy = y + top;
    for (let x = 0; x < cw; x++) {
      const sx = x + left;
      const inside = sy >= region.y0 && sy < region.y1 && sx >= region.x0 && sx < region.x1;
      const s = inside ? ((sy - region.y0) * rw + (sx - region.x0)) * 3 : -1;
      const o = offset + y * cw + x;
      for (let c = 0; c < 3; c++) dst[o + c * plane] = lut[c]![inside ? rgb[s + c]! : 0]!;
    }
  }
  return dst;
}

// ---------------------------------------------------------------------------------------------------------
// Model folder

export interface ClipFiles {
  dir: string;
  layout: 'flat' | 'onnx-subfolder';
  vision: string;
  text: string;
  tokenizer: string;
  tokenizerConfig?: string;
  preprocessorConfig?: string;
}

const isFile = (p: string): boolean => {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
};

/**
 * Find the files of a CLIP pair in `dir`: vision_model.onnx + text_model.onnx directly in it, or in its onnx/
 * subfolder (Transformers.js exports); tokenizer.json (and the optional tokenizer_config.json and
 * preprocessor_config.json) in `dir`, else next to the encoders. JudgeSetupError naming what is missing.
 */
export function findClipFiles(dir: string): ClipFiles {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new JudgeSetupError(`CLIP model folder not found: ${dir}`);
  }
  if (!st.isDirectory()) throw new JudgeSetupError(`CLIP model folder ${dir} is not a folder`);
  const sub = path.join(dir, 'onnx');
  const has = (d: string, f: string): boolean => isFile(path.join(d, f));
  const flat = has(dir, 'vision_model.onnx') || has(dir, 'text_model.onnx');
  const encDir = flat ? dir : has(sub, 'vision_model.onnx') || has(sub, 'text_model.onnx') ? sub : null;
  if (!encDir) {
    const combined = has(dir, 'model.onnx') || has(sub, 'model.onnx');
    throw new JudgeSetupError(
      `CLIP model folder ${dir} has neither vision_model.onnx nor text_model.onnx (looked in it and in its onnx/ subfolder)` +
        (combined ? '; it has a combined model.onnx — the CLIP reward needs the separate image and text encoders (e.g. a Transformers.js CLIP export)' : ''),
    );
  }
  for (const f of ['vision_model.onnx', 'text_model.onnx'])
    if (!has(encDir, f)) throw new JudgeSetupError(`CLIP model folder ${dir}: ${f} is missing in ${encDir} (the ${f.startsWith('vision') ? 'image' : 'text'} encoder)`);
  const side = (f: string): string | undefined => (has(dir, f) ? path.join(dir, f) : has(encDir, f) ? path.join(encDir, f) : undefined);
  const tokenizer = side('tokenizer.json');
  if (!tokenizer) throw new JudgeSetupError(`CLIP model folder ${dir}: tokenizer.json is missing (the text encoder's tokenizer, expected next to the model files)`);
  const files: ClipFiles = {
    dir,
    layout: flat ? 'flat' : 'onnx-subfolder',
    vision: path.join(encDir, 'vision_model.onnx'),
    text: path.join(encDir, 'text_model.onnx'),
    tokenizer,
  };
  const tc = side('tokenizer_config.json');
  if (tc) files.tokenizerConfig = tc;
  const pc = side('preprocessor_config.json');
  if (pc) files.preprocessorConfig = pc;
  return files;
}

function readJson(file: string, dir: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new JudgeSetupError(`CLIP model folder ${dir}: cannot read ${path.basename(file)}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new JudgeSetupError(`CLIP model folder ${dir}: ${path.basename(file)} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function hashFiles(files: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) {
    const size = (await fs.promises.stat(f)).size;
    h.update(`${path.basename(f)}\0${size}\0`);
    await new Promise<void>((resolve, reject) => {
      fs.createReadStream(f)
        .on('data', (b) => h.update(b))
        .on('error', reject)
        .on('end', () => resolve());
    });
  }
  return h.digest('hex');
}

// ---------------------------------------------------------------------------------------------------------
// Tokenizer

interface TokenizerLike {
  encode(text: string, opts?: { add_special_tokens?: boolean }): { ids: number[] };
  token_to_id(token: string): number | undefined;
}

interface TextPrep {
  tok: TokenizerLike;
  maxLen: number;
  padId: number;
}

const tokenContent = (t: unknown): string | undefined =>
  typeof t === 'string' ? t : t && typeof t === 'object' && typeof (t as { content?: unknown }).content === 'string' ? (t as { content: string }).content : undefined;

function makeTextPrep(tokJson: unknown, tokConfig: Record<string, unknown>, fixedLen: number | undefined, dir: string): TextPrep {
  let tok: TokenizerLike;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Tokenizer } = require('@huggingface/tokenizers') as typeof import('@huggingface/tokenizers');
    tok = new Tokenizer(tokJson as object, tokConfig) as unknown as TokenizerLike;
    tok.encode('a photo');
  } catch (e) {
    throw new JudgeSetupError(`CLIP model folder ${dir}: tokenizer.json cannot be used: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  const tj = (tokJson ?? {}) as { truncation?: { max_length?: unknown } | null; padding?: { pad_id?: unknown } | null };
  const cfgMax = tokConfig.model_max_length;
  const maxLen =
    fixedLen ??
    (typeof cfgMax === 'number' && Number.isInteger(cfgMax) && cfgMax > 1 && cfgMax <= 4096
      ? cfgMax
      : typeof tj.truncation?.max_length === 'number' && tj.truncation.max_length > 1
        ? tj.truncation.max_length
        : 77);
  let padId: number | undefined = typeof tj.padding?.pad_id === 'number' ? tj.padding.pad_id : undefined;
  const padTok = tokenContent(tokConfig.pad_token);
  if (padId === undefined && padTok !== undefined) padId = tok.token_to_id(padTok);
  return { tok, maxLen, padId: padId ?? 0 };
}

/**
 * Tokenize as CLIPTokenizer(text, padding='max_length', truncation=True) does: special tokens added by the
 * tokenizer's post-processor are kept on truncation (the EOS stays last, CLIP pools there), padded with the
 * pad token to `maxLen`; attention_mask 1 for real tokens.
 */
function tokenize(tp: TextPrep, text: string): { ids: number[]; mask: number[] } {
  let ids = tp.tok.encode(text).ids;
  if (ids.length > tp.maxLen) {
    const content = tp.tok.encode(text, { add_special_tokens: false }).ids;
    const nSpecial = ids.length - content.length;
    let pre = 0;
    for (let p = 0; p <= nSpecial; p++)
      if (content.every((c, i) => ids[p + i] === c)) {
        pre = p;
        break;
      }
    const keep = Math.max(0, tp.maxLen - nSpecial);
    ids = [...ids.slice(0, pre), ...content.slice(0, keep), ...ids.slice(pre + content.length)].slice(0, tp.maxLen);
  }
  const n = ids.length;
  const mask = new Array<number>(tp.maxLen).fill(0).fill(1, 0, n);
  return { ids: [...ids, ...new Array<number>(tp.maxLen - n).fill(tp.padId)], mask };
}

// ---------------------------------------------------------------------------------------------------------
// Scorer

type Session = InferenceSession;
type Meta = { name: string; isTensor: boolean; type?: string; shape?: ReadonlyArray<number | string> };

function metaOf(session: Session, which: 'input' | 'output', name: string): Meta | undefined {
  const list = (which === 'input' ? session.inputMetadata : session.outputMetadata) as readonly Meta[] | undefined;
  return list?.find((m) => m.name === name);
}
const fixedDim = (m: Meta | undefined, i: number): number | undefined => {
  const d = m?.shape?.[i];
  return typeof d === 'number' && d > 0 ? d : undefined;
};

const cosine = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  // a zero embedding has no direction: call it 0 rather than NaN
  return na === 0 || nb === 0 ? 0 : dot / (Math.sqrt(na) * Math.sqrt(nb));
};

/** Cosine similarity in float64. 0 when either vector is all zeros. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`cosineSimilarity: lengths differ (${a.length} vs ${b.length})`);
  return cosine(a, b);
}

/** Bounded memo (insertion order, oldest evicted). */
class Memo<V> {
  private readonly m = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    return this.m.get(k);
  }
  set(k: string, v: V): void {
    if (this.m.size >= this.max) this.m.delete(this.m.keys().next().value as string);
    this.m.set(k, v);
  }
  get size(): number {
    return this.m.size;
  }
}

export interface ClipOpenOptions {
  /** Images per vision-encoder call (a model with a fixed batch dimension uses that). Default 8. */
  batchSize?: number;
  /** Embeddings kept in memory per kind (text, image). Default 20000. */
  cacheEntries?: number;
  /** onnxruntime intra-op threads (default: onnxruntime's choice). */
  threads?: number;
}

/** One scoreManyDetailed answer: a score, or null and why (the image could not be read). */
export type ClipScoreResult = { score: number; reason?: undefined } | { score: null; reason: string };

export interface ClipScoreManyOptions {
  signal?: AbortSignal;
  onProgress?(done: number, total: number): void;
}

const SUPPORTED_TEXT_INPUTS = ['input_ids', 'attention_mask', 'position_ids'];

export class ClipScorer {
  /** sha256 hex of both encoders, tokenizer.json and the configs present: changes whenever scores could. */
  readonly hash: string;
  readonly files: ClipFiles;
  readonly preprocess: ClipPreprocess;
  /** Tokens a text is padded / truncated to. */
  readonly maxTextLength: number;
  /** Warnings about the model (e.g. an output that is not a projected embedding). */
  readonly notes: readonly string[];

  private embedDim = 0;
  private readonly textCache: Memo<Float64Array>;
  private readonly imageCache: Memo<Float64Array>;
  private disposed = false;

  private constructor(
    private readonly ort: Ort,
    private readonly vision: Session,
    private readonly text: Session,
    private readonly tp: TextPrep,
    private readonly io: { imageOut: string; textOut: string; imageBatch: number; fixedImageBatch: boolean; textBatch: number },
    init: { hash: string; files: ClipFiles; preprocess: ClipPreprocess; notes: string[]; cacheEntries: number },
  ) {
    this.hash = init.hash;
    this.files = init.files;
    this.preprocess = init.preprocess;
    this.notes = init.notes;
    this.maxTextLength = tp.maxLen;
    this.textCache = new Memo(init.cacheEntries);
    this.imageCache = new Memo(init.cacheEntries);
  }

  /** Embedding dimension (equal for both encoders). */
  get dim(): number {
    return this.embedDim;
  }

  /** Human name, e.g. "clip-vit-base-patch32 (CLIP onnx, 512-d, 224 px)". */
  get name(): string {
    const c = this.preprocess.crop;
    return `${path.basename(path.resolve(this.files.dir))} (CLIP onnx, ${this.embedDim}-d, ${c ? (c.width === c.height ? `${c.width} px` : `${c.width}×${c.height} px`) : 'uncropped'})`;
  }

  /** Open a CLIP folder (see findClipFiles). Every unusable-folder problem is a JudgeSetupError naming the file. */
  static async open(dir: string, opts: ClipOpenOptions = {}): Promise<ClipScorer> {
    const files = findClipFiles(dir);
    const ort = loadOnnxRuntime();
    const tokJson = readJson(files.tokenizer, dir);
    const tokConfig = files.tokenizerConfig ? readJson(files.tokenizerConfig, dir) : {};
    if (!tokConfig || typeof tokConfig !== 'object' || Array.isArray(tokConfig)) throw new JudgeSetupError(`CLIP model folder ${dir}: tokenizer_config.json is not a JSON object`);
    const preprocess = files.preprocessorConfig ? readClipPreprocess(readJson(files.preprocessorConfig, dir), files.preprocessorConfig) : DEFAULT_CLIP_PREPROCESS;

    const sessionOpts: InferenceSession.SessionOptions = { logSeverityLevel: 3 };
    if (opts.threads) sessionOpts.intraOpNumThreads = opts.threads;
    const create = async (file: string, what: string): Promise<Session> => {
      try {
        return await ort.InferenceSession.create(file, sessionOpts);
      } catch (e) {
        throw new JudgeSetupError(
          `CLIP model folder ${dir}: ${path.basename(file)} (the ${what} encoder) cannot be loaded by onnxruntime — corrupt or not an ONNX model? ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
        );
      }
    };
    const hashList = [files.vision, files.text, files.tokenizer, files.tokenizerConfig, files.preprocessorConfig].filter((f): f is string => !!f);
    for (const f of [files.vision, files.text]) for (const ext of ['_data', '.data']) if (isFile(f + ext)) hashList.push(f + ext);
    const settled = await Promise.allSettled([create(files.vision, 'image'), create(files.text, 'text'), hashFiles(hashList)] as const);
    const release = (): void => {
      for (const r of settled.slice(0, 2)) if (r.status === 'fulfilled') void (r.value as Session).release().catch(() => undefined);
    };
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      release();
      throw failed.reason instanceof JudgeSetupError ? failed.reason : new JudgeSetupError(`CLIP model folder ${dir}: cannot read the model files: ${String(failed.reason)}`);
    }
    const [vision, text, hash] = settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [Session, Session, string];
    try {
      return await ClipScorer.build(ort, vision, text, files, tokJson, tokConfig as Record<string, unknown>, preprocess, hash, opts);
    } catch (e) {
      release();
      throw e;
    }
  }

  private static async build(
    ort: Ort,
    vision: Session,
    text: Session,
    files: ClipFiles,
    tokJson: unknown,
    tokConfig: Record<string, unknown>,
    preprocess: ClipPreprocess,
    hash: string,
    opts: ClipOpenOptions,
  ): Promise<ClipScorer> {
    const dir = files.dir;
    const tName = path.basename(files.text);
    const vName = path.basename(files.vision);
    const notes: string[] = [];
    // --- text encoder signature
    if (!text.inputNames.includes('input_ids'))
      throw new JudgeSetupError(`CLIP model folder ${dir}: ${tName} has no input named input_ids (its inputs: ${text.inputNames.join(', ') || 'none'}) — is it a CLIP text encoder?`);
    const extraText = text.inputNames.filter((n) => !SUPPORTED_TEXT_INPUTS.includes(n));
    if (extraText.length) throw new JudgeSetupError(`CLIP model folder ${dir}: ${tName} needs inputs Rollout Lens cannot feed: ${extraText.join(', ')} (supported: ${SUPPORTED_TEXT_INPUTS.join(', ')})`);
    for (const n of text.inputNames) {
      const t = metaOf(text, 'input', n)?.type;
      if (t && t !== 'int64' && t !== 'int32') throw new JudgeSetupError(`CLIP model folder ${dir}: ${tName} input ${n} is ${t}; expected int64`);
    }
    // --- vision encoder signature
    if (!vision.inputNames.includes('pixel_values'))
      throw new JudgeSetupError(`CLIP model folder ${dir}: ${vName} has no input named pixel_values (its inputs: ${vision.inputNames.join(', ') || 'none'}) — is it a CLIP image encoder?`);
    const extraVision = vision.inputNames.filter((n) => n !== 'pixel_values');
    if (extraVision.length) throw new JudgeSetupError(`CLIP model folder ${dir}: ${vName} needs inputs Rollout Lens cannot feed: ${extraVision.join(', ')}`);
    const pv = metaOf(vision, 'input', 'pixel_values');
    if (pv?.type && pv.type !== 'float32') throw new JudgeSetupError(`CLIP model folder ${dir}: ${vName} takes pixel_values as ${pv.type}; only float32 encoders are supported (use the non-fp16, non-quantized-input export)`);
    if (pv?.shape && pv.shape.length && pv.shape.length !== 4) throw new JudgeSetupError(`CLIP model folder ${dir}: ${vName} pixel_values has ${pv.shape.length} dimensions; expected [batch, 3, height, width]`);
    const fixedH = fixedDim(pv, 2);
    const fixedW = fixedDim(pv, 3);
    if (fixedDim(pv, 1) !== undefined && fixedDim(pv, 1) !== 3) throw new JudgeSetupError(`CLIP model folder ${dir}: ${vName} expects ${fixedDim(pv, 1)} channels; expected 3 (RGB)`);
    if ((fixedH !== undefined || fixedW !== undefined) && !preprocess.crop && !(preprocess.resize && 'height' in preprocess.resize))
      throw new JudgeSetupError(`CLIP model folder ${dir}: ${vName} takes fixed ${fixedH}×${fixedW} images but preprocessor_config.json neither crops nor resizes to a fixed size`);
    const outHW = preprocess.crop ?? (preprocess.resize && 'height' in preprocess.resize ? preprocess.resize : undefined);
    if (outHW && ((fixedH !== undefined && fixedH !== outHW.height) || (fixedW !== undefined && fixedW !== outHW.width)))
      throw new JudgeSetupError(
        `CLIP model folder ${dir}: ${vName} takes ${fixedH ?? '?'}×${fixedW ?? '?'} images but ${files.preprocessorConfig ? 'preprocessor_config.json' : 'the default CLIP preprocessing'} produces ${outHW.height}×${outHW.width}`,
      );
    // --- outputs
    const imageOut = vision.outputNames.includes('image_embeds') ? 'image_embeds' : vision.outputNames[0];
    const textOut = text.outputNames.includes('text_embeds') ? 'text_embeds' : text.outputNames[0];
    if (!imageOut) throw new JudgeSetupError(`CLIP model folder ${dir}: ${vName} has no outputs`);
    if (!textOut) throw new JudgeSetupError(`CLIP model folder ${dir}: ${tName} has no outputs`);
    if (imageOut !== 'image_embeds') notes.push(`${vName} has no image_embeds output; using ${imageOut} (a 3-D output gives its first, CLS, token) — without the projection it may not share the text embedding space`);
    if (textOut !== 'text_embeds') notes.push(`${tName} has no text_embeds output; using ${textOut} (a 3-D output gives the EOS token) — without the projection it may not share the image embedding space`);

    const fixedLen = fixedDim(metaOf(text, 'input', 'input_ids'), 1);
    const tp = makeTextPrep(tokJson, tokConfig, fixedLen, dir);
    const vBatchFixed = fixedDim(pv, 0);
    const io = {
      imageOut,
      textOut,
      imageBatch: vBatchFixed ?? Math.max(1, Math.floor(opts.batchSize ?? 8)),
      fixedImageBatch: vBatchFixed !== undefined,
      textBatch: fixedDim(metaOf(text, 'input', 'input_ids'), 0) ?? 1,
    };
    const lastDim = (s: Session, out: string): number | undefined => {
      const m = metaOf(s, 'output', out);
      return m?.shape?.length ? fixedDim(m, m.shape.length - 1) : undefined;
    };
    const scorer = new ClipScorer(ort, vision, text, tp, io, { hash, files, preprocess, notes, cacheEntries: Math.max(1, opts.cacheEntries ?? 20000) });
    // probe the text encoder (cheap): checks that tokenizer and model agree, and gives the dimension
    let textDim: number;
    try {
      textDim = (await scorer.runText('a photo of a cat')).length;
    } catch (e) {
      throw new JudgeSetupError(`CLIP model folder ${dir}: ${tName} failed on a test sentence (does tokenizer.json belong to it?): ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
    let imageDim = lastDim(vision, imageOut);
    if (imageDim === undefined) {
      try {
        const { width, height } = outHW ?? { width: fixedW ?? 224, height: fixedH ?? 224 };
        imageDim = (await scorer.runImages([new Float32Array(3 * width * height)], width, height))[0]!.length;
      } catch (e) {
        throw new JudgeSetupError(`CLIP model folder ${dir}: ${vName} failed on a test image: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      }
    }
    if (imageDim !== textDim)
      throw new JudgeSetupError(`CLIP model folder ${dir}: the encoders' embeddings differ in size (${vName}: ${imageDim}, ${tName}: ${textDim}) — they are not a CLIP pair`);
    scorer.embedDim = textDim;
    return scorer;
  }

  private checkOpen(): void {
    if (this.disposed) throw new Error('ClipScorer: used after dispose()');
  }

  /** Rows of a [B, D] or [B, S, D] output: a 3-D output gives token `pick(b)` per row. */
  private rows(t: Tensor | undefined, n: number, pick: (b: number) => number, what: string): Float64Array[] {
    if (!t) throw new Error(`${what} gave no output`);
    if (t.type !== 'float32' && t.type !== 'float64') throw new Error(`${what} output is ${t.type}; expected float32`);
    const data = t.data as Float32Array | Float64Array;
    const dims = t.dims;
    const out: Float64Array[] = [];
    if (dims.length === 2) {
      const d = dims[1]!;
      for (let b = 0; b < n; b++) out.push(Float64Array.from(data.subarray(b * d, (b + 1) * d)));
    } else if (dims.length === 3) {
      const [, s, d] = dims as [number, number, number];
      for (let b = 0; b < n; b++) {
        const tok = Math.min(s - 1, Math.max(0, pick(b)));
        out.push(Float64Array.from(data.subarray((b * s + tok) * d, (b * s + tok + 1) * d)));
      }
    } else if (dims.length === 1 && n === 1) out.push(Float64Array.from(data));
    else throw new Error(`${what} output has shape [${dims.join(', ')}]; expected [batch, dim]`);
    return out;
  }

  private async runText(text: string): Promise<Float64Array> {
    const { ids, mask } = tokenize(this.tp, text);
    const L = this.tp.maxLen;
    const B = this.io.textBatch;
    const feeds: Record<string, Tensor> = {};
    const intTensor = (name: string, row: readonly number[]): Tensor => {
      const t = metaOf(this.text, 'input', name)?.type;
      if (t === 'int32') {
        const a = new Int32Array(B * L);
        for (let b = 0; b < B; b++) a.set(row, b * L);
        return new this.ort.Tensor('int32', a, [B, L]);
      }
      const a = new BigInt64Array(B * L);
      for (let b = 0; b < B; b++) for (let i = 0; i < L; i++) a[b * L + i] = BigInt(row[i]!);
      return new this.ort.Tensor('int64', a, [B, L]);
    };
    for (const n of this.text.inputNames) {
      if (n === 'input_ids') feeds[n] = intTensor(n, ids);
      else if (n === 'attention_mask') feeds[n] = intTensor(n, mask);
      else if (n === 'position_ids') feeds[n] = intTensor(n, Array.from({ length: L }, (_, i) => i));
    }
    const res = await this.text.run(feeds);
    const eos = mask.reduce((s, x) => s + x, 0) - 1; // CLIP pools the text at its EOS token (the last real one)
    return this.rows(res[this.io.textOut] as Tensor | undefined, 1, () => eos, path.basename(this.files.text))[0]!;
  }

  private async runImages(pixels: readonly Float32Array[], width: number, height: number): Promise<Float64Array[]> {
    const per = 3 * width * height;
    const B = this.io.fixedImageBatch ? this.io.imageBatch : pixels.length;
    const buf = new Float32Array(B * per);
    pixels.forEach((p, i) => buf.set(p, i * per));
    const res = await this.vision.run({ pixel_values: new this.ort.Tensor('float32', buf, [B, 3, height, width]) });
    return this.rows(res[this.io.imageOut] as Tensor | undefined, pixels.length, () => 0, path.basename(this.files.vision));
  }

  /** The token ids and attention mask fed to the text encoder (padded / truncated to maxTextLength). */
  tokenize(text: string): { ids: number[]; mask: number[] } {
    return tokenize(this.tp, text);
  }

  /** The text embedding (cached by the text's sha256). */
  async embedText(text: string): Promise<Float64Array> {
    this.checkOpen();
    const key = createHash('sha256').update(text).digest('hex');
    const hit = this.textCache.get(key);
    if (hit) return hit;
    const e = await this.runText(text);
    this.textCache.set(key, e);
    return e;
  }

  /** Read, decode and preprocess one image file; ClipImageError naming the file when it cannot be used. */
  private async loadImage(file: string): Promise<{ key: string; bytes: Uint8Array }> {
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new ClipImageError(code === 'ENOENT' ? `${file}: image file not found` : `${file}: cannot read (${code ?? String(e)})`);
    }
    if (!st.isFile()) throw new ClipImageError(`${file}: not a file`);
    if (st.size > MAX_IMAGE_FILE_BYTES) throw new ClipImageError(`${file}: ${(st.size / 2 ** 20).toFixed(0)} MB is too large for an image`);
    let bytes: Uint8Array;
    try {
      bytes = await fs.promises.readFile(file);
    } catch (e) {
      throw new ClipImageError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    return { key: createHash('sha256').update(bytes).digest('hex'), bytes };
  }

  /** The image embedding of one file (cached by the file content's sha256). Throws ClipImageError for an unusable image. */
  async embedImage(file: string): Promise<Float64Array> {
    const [r] = await this.embedImages([file]);
    if (r instanceof Error) throw r;
    return r!;
  }

  private async embedImages(files: readonly string[], opts: ClipScoreManyOptions = {}, onDone?: () => void): Promise<Array<Float64Array | ClipImageError>> {
    this.checkOpen();
    const out: Array<Float64Array | ClipImageError> = new Array(files.length);
    const byPath = new Map<string, number[]>();
    files.forEach((f, i) => byPath.set(f, [...(byPath.get(f) ?? []), i]));
    const settle = (idx: readonly number[], v: Float64Array | ClipImageError): void => {
      for (const i of idx) {
        out[i] = v;
        onDone?.();
      }
    };
    // pending batch: one entry per content key (equal files embedded once)
    let batch: Array<{ key: string; idx: number[]; px: Float32Array }> = [];
    let batchHW: { width: number; height: number } | null = null;
    let inflight: Promise<void> | null = null;
    let runError: unknown = null;
    const flush = async (): Promise<void> => {
      if (inflight) await inflight;
      if (runError) throw runError;
      if (!batch.length || !batchHW) return;
      const b = batch;
      const { width, height } = batchHW;
      batch = [];
      batchHW = null;
      // the encoder runs on onnxruntime's threads while the next images are decoded here
      inflight = this.runImages(
        b.map((x) => x.px),
        width,
        height,
      ).then(
        (embs) =>
          b.forEach((x, j) => {
            this.imageCache.set(x.key, embs[j]!);
            settle(x.idx, embs[j]!);
          }),
        (e: unknown) => {
          runError = e;
        },
      );
    };
    for (const [file, idx] of byPath) {
      if (opts.signal?.aborted) {
        if (inflight) await inflight;
        throw new JudgeCancelled();
      }
      let loaded: { key: string; bytes: Uint8Array };
      try {
        loaded = await this.loadImage(file);
      } catch (e) {
        settle(idx, e instanceof ClipImageError ? e : new ClipImageError(`${file}: ${String(e)}`));
        continue;
      }
      const hit = this.imageCache.get(loaded.key);
      if (hit) {
        settle(idx, hit);
        continue;
      }
      const same = batch.find((x) => x.key === loaded.key);
      if (same) {
        same.idx.push(...idx);
        continue;
      }
      let px: Float32Array;
      let hw: { width: number; height: number };
      try {
        const img = decodeImage(loaded.bytes, file);
        hw = clipOutputSize(img.width, img.height, this.preprocess);
        px = preprocessClipImage(img, this.preprocess);
      } catch (e) {
        settle(idx, e instanceof ClipImageError ? e : new ClipImageError(`${file}: ${e instanceof Error ? e.message : String(e)}`));
        continue;
      }
      if (batchHW && (batchHW.width !== hw.width || batchHW.height !== hw.height)) await flush();
      batchHW = hw;
      batch.push({ key: loaded.key, idx, px });
      if (batch.length >= this.io.imageBatch) await flush();
    }
    await flush();
    if (inflight) await inflight;
    if (runError) throw runError;
    return out;
  }

  /** Cosine similarity of one image file and a text. Throws ClipImageError when the image cannot be used. */
  async score(imagePath: string, text: string): Promise<number> {
    const t = await this.embedText(text);
    return cosine(await this.embedImage(imagePath), t);
  }

  /** Scores of many images against one text, in order; an unusable image gives `null` with its reason. */
  async scoreManyDetailed(images: readonly string[], text: string, opts: ClipScoreManyOptions = {}): Promise<ClipScoreResult[]> {
    const t = await this.embedText(text);
    let done = 0;
    opts.onProgress?.(0, images.length);
    const embs = await this.embedImages(images, opts, () => opts.onProgress?.(++done, images.length));
    return embs.map((e) => (e instanceof Error ? { score: null, reason: e.message } : { score: cosine(e, t) }));
  }

  /** Scores of many images against one text, in order; `null` for an image that cannot be read (see scoreManyDetailed for why). */
  async scoreMany(images: readonly string[], text: string, opts: ClipScoreManyOptions = {}): Promise<Array<number | null>> {
    return (await this.scoreManyDetailed(images, text, opts)).map((r) => r.score);
  }

  /** Embeddings held in memory (text, image). */
  get cacheSize(): { text: number; image: number } {
    return { text: this.textCache.size, image: this.imageCache.size };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all([this.vision.release().catch(() => undefined), this.text.release().catch(() => undefined)]);
  }
}
