// Synthetic CLEVR / PuzzleVQA-style scenes for the demo workspace: coloured shapes on a plain or lightly
// textured background, with exact ground-truth boxes. Deterministic given a seed.

import { smartResize as coreSmartResize } from '../core/geometry/smartResize';
import { Raster, RGB, SdfShape, circleSdf, polygonSdf, rectSdf } from './png';

export type Rng = () => number;

/** mulberry32 (the same generator the comparison's bootstrap uses): seedable, floats in [0, 1). */
import { mulberry32 } from '../core/compare/stats';
export { mulberry32 };

/** Mixes integers into one 32-bit seed (so streams for different scenes/steps are independent). */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0;
    h ^= h >>> 15;
  }
  return h >>> 0;
}

export function randInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)];
}

/** Standard normal sample (Box–Muller). */
export function gaussian(rng: Rng): number {
  const u = Math.max(rng(), 1e-12);
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export { roundHalfEven } from '../core/geometry/smartResize';

export const QWEN_FACTOR = 28;
export const QWEN_MIN_PIXELS = 3136;
export const QWEN_MAX_PIXELS = 12845056;

/**
 * Qwen2.5-VL `smart_resize` with the demo run's settings, in the Python argument order: returns
 * [inputHeight, inputWidth]. The one implementation is core's (extension/core/geometry/smartResize.ts).
 */
export function smartResize(height: number, width: number): [number, number] {
  const r = coreSmartResize(width, height, { factor: QWEN_FACTOR, minPixels: QWEN_MIN_PIXELS, maxPixels: QWEN_MAX_PIXELS });
  return [r.height, r.width];
}

export type ShapeKind = 'circle' | 'square' | 'triangle';
export type ColorName = 'red' | 'green' | 'blue' | 'yellow' | 'purple';

export const SHAPE_KINDS: readonly ShapeKind[] = ['circle', 'square', 'triangle'];
export const COLOR_NAMES: readonly ColorName[] = ['red', 'green', 'blue', 'yellow', 'purple'];

export const PALETTE: Record<ColorName, RGB> = {
  red: [214, 48, 49],
  green: [46, 160, 67],
  blue: [38, 99, 214],
  yellow: [240, 196, 25],
  purple: [136, 70, 184],
};

export interface SceneObject {
  kind: ShapeKind;
  color: ColorName;
  /** Tight box in original pixels, integers: x1, y1, x2, y2. */
  bbox: [number, number, number, number];
  /** Geometry: centre and half-size (radius for circles). */
  cx: number;
  cy: number;
  size: number;
}

export interface Scene {
  id: string;
  width: number;
  height: number;
  inputWidth: number;
  inputHeight: number;
  background: 'plain' | 'gradient' | 'grid' | 'floor';
  objects: SceneObject[];
  /** The referring expression's target. */
  target: { color: ColorName; kind: ShapeKind };
}

/** Realistic photo/dataset sizes; none is a multiple of 28 on both sides. */
export const SCENE_SIZES: ReadonlyArray<[number, number]> = [
  [640, 480],
  [500, 375],
  [427, 640],
  [800, 600],
  [375, 500],
  [612, 459],
  [640, 427],
  [533, 400],
];

export function labelOf(o: { color: ColorName; kind: ShapeKind }): string {
  return `${o.color} ${o.kind}`;
}

function overlaps(a: number[], b: number[], margin: number): boolean {
  return !(a[2] + margin <= b[0] || b[2] + margin <= a[0] || a[3] + margin <= b[1] || b[3] + margin <= a[1]);
}

/** Tight integer box of a shape with centre (cx, cy) and half-size s, in pixels. */
export function objectBox(kind: ShapeKind, cx: number, cy: number, s: number): [number, number, number, number] {
  // Triangles: apex at (cx, cy - s), base from (cx - s, cy + 0.8 s) to (cx + s, cy + 0.8 s).
  const y2 = kind === 'triangle' ? cy + 0.8 * s : cy + s;
  return [Math.floor(cx - s), Math.floor(cy - s), Math.ceil(cx + s), Math.ceil(y2)];
}

/** Builds scene number `index` (0-based) for `seed`. */
export function generateScene(seed: number, index: number): Scene {
  const rng = mulberry32(mixSeed(seed, 0x5ce7e, index));
  const [width, height] = SCENE_SIZES[index % SCENE_SIZES.length];
  const [inputHeight, inputWidth] = smartResize(height, width);
  const target = { color: pick(rng, COLOR_NAMES), kind: pick(rng, SHAPE_KINDS) };
  const nTargets = pick(rng, [1, 1, 2, 2, 2, 3, 3, 4]);
  const nDistractors = randInt(rng, 3, 6);
  const specs: Array<{ color: ColorName; kind: ShapeKind }> = [];
  for (let i = 0; i < nTargets; i++) specs.push({ ...target });
  // Hard negatives first: same colour other shape, same shape other colour.
  const otherKinds = SHAPE_KINDS.filter((k) => k !== target.kind);
  const otherColors = COLOR_NAMES.filter((c) => c !== target.color);
  specs.push({ color: target.color, kind: pick(rng, otherKinds) });
  specs.push({ color: pick(rng, otherColors), kind: target.kind });
  for (let i = 2; i < nDistractors; i++) {
    let s: { color: ColorName; kind: ShapeKind };
    do s = { color: pick(rng, COLOR_NAMES), kind: pick(rng, SHAPE_KINDS) };
    while (s.color === target.color && s.kind === target.kind);
    specs.push(s);
  }
  const minSide = Math.min(width, height);
  const objects: SceneObject[] = [];
  for (const spec of specs) {
    const isTarget = spec.color === target.color && spec.kind === target.kind;
    for (let attempt = 0; attempt < 200; attempt++) {
      const s = minSide * (0.045 + rng() * 0.065);
      const cx = s + 8 + rng() * (width - 2 * s - 16);
      const cy = s + 8 + rng() * (height - 2 * s - 16);
      const bbox = objectBox(spec.kind, cx, cy, s);
      if (objects.some((o) => overlaps(o.bbox, bbox, 10))) continue;
      objects.push({ ...spec, bbox, cx, cy, size: s });
      break;
    }
    // A target that cannot be placed would change the answer; retry once more with a tiny size.
    if (isTarget && objects.filter((o) => o.color === target.color && o.kind === target.kind).length === 0) {
      const s = minSide * 0.04;
      for (let attempt = 0; attempt < 500; attempt++) {
        const cx = s + 8 + rng() * (width - 2 * s - 16);
        const cy = s + 8 + rng() * (height - 2 * s - 16);
        const bbox = objectBox(spec.kind, cx, cy, s);
        if (objects.some((o) => overlaps(o.bbox, bbox, 4))) continue;
        objects.push({ ...spec, bbox, cx, cy, size: s });
        break;
      }
    }
  }
  const background = pick(rng, ['plain', 'gradient', 'grid', 'floor'] as const);
  return {
    id: `scene-${String(index).padStart(4, '0')}`,
    width,
    height,
    inputWidth,
    inputHeight,
    background,
    objects,
    target,
  };
}

export function targetsOf(scene: Scene): SceneObject[] {
  return scene.objects.filter((o) => o.color === scene.target.color && o.kind === scene.target.kind);
}

function shapeSdf(o: SceneObject): SdfShape {
  const { cx, cy, size: s } = o;
  switch (o.kind) {
    case 'circle':
      return circleSdf(cx, cy, s);
    case 'square':
      return rectSdf(cx - s, cy - s, cx + s, cy + s);
    case 'triangle':
      return polygonSdf([
        [cx, cy - s],
        [cx + s, cy + 0.8 * s],
        [cx - s, cy + 0.8 * s],
      ]);
  }
}

function darker(c: RGB, k: number): RGB {
  return [Math.round(c[0] * k), Math.round(c[1] * k), Math.round(c[2] * k)];
}

/** Draws the scene and returns its PNG bytes (zlib `level` 9 unless told: lower is faster, a little bigger). */
export function renderScene(scene: Scene, seed: number, level = 9): Buffer {
  const rng = mulberry32(mixSeed(seed, 0xb9, scene.width, scene.height, scene.objects.length));
  const base = 226 + Math.floor(rng() * 20);
  const tint = Math.floor(rng() * 3);
  const bg: RGB = [base, base, base];
  bg[tint] = Math.min(255, base + 6);
  const r = new Raster(scene.width, scene.height, bg);
  if (scene.background === 'gradient') {
    for (let y = 0; y < scene.height; y++) {
      const k = 1 - 0.14 * (y / scene.height);
      r.fillRow(y, darker(bg, k));
    }
  } else if (scene.background === 'grid') {
    const line = darker(bg, 0.93);
    const step = 32;
    for (let y = 0; y < scene.height; y++) {
      if (y % step === 0) r.fillRow(y, line);
      else for (let x = 0; x < scene.width; x += step) r.blend(x, y, line, 1);
    }
  } else if (scene.background === 'floor') {
    // CLEVR-like: lighter top ("wall"), soft horizon, slightly darker floor.
    const horizon = Math.floor(scene.height * (0.18 + rng() * 0.12));
    for (let y = 0; y < scene.height; y++) {
      const k = y < horizon ? 1.0 : 0.9 + 0.06 * ((scene.height - y) / scene.height);
      r.fillRow(y, darker(bg, k));
    }
  }
  for (const o of scene.objects) {
    // A soft drop shadow, then the shape with a darker outline.
    const shadow = shapeSdf({ ...o, cx: o.cx + 3, cy: o.cy + 4 });
    r.fillShape({ sd: (x, y) => shadow.sd(x, y) - 1, bounds: shadow.bounds }, darker(bg, 0.75));
    const fill = PALETTE[o.color];
    r.fillShape(shapeSdf(o), fill, darker(fill, 0.7), 2);
  }
  return r.toPng(level);
}
