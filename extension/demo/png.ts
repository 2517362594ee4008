// Minimal PNG encoder and a tiny signed-distance rasterizer for the demo workspace.
// Pure Node (node:zlib only). RGB, 8 bits per channel, filter 0 on every row.

import * as zlib from 'node:zlib';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let crcTable: Uint32Array | undefined;

function getCrcTable(): Uint32Array {
  if (crcTable) return crcTable;
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  crcTable = t;
  return t;
}

/** CRC-32 (ISO-HDLC, as used by PNG chunks). */
export function crc32(data: Uint8Array, start = 0, end = data.length): number {
  const t = getCrcTable();
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out, 4, 8 + data.length), 8 + data.length);
  return out;
}

/** Encodes an RGB image (row-major, 3 bytes per pixel) as a PNG file. Deterministic for a given zlib `level` (default 9). */
export function encodePng(width: number, height: number, rgb: Uint8Array, level = 9): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`encodePng: bad size ${width}x${height}`);
  }
  if (rgb.length !== width * height * 3) {
    throw new Error(`encodePng: expected ${width * height * 3} bytes, got ${rgb.length}`);
  }
  const stride = width * 3;
  const raw = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter type 0 (None)
    raw.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour (RGB)
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter method
  ihdr[12] = 0; // no interlace
  const idat = zlib.deflateSync(raw, { level });
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

export type RGB = [number, number, number];

/** A shape for the rasterizer: a signed distance (negative inside) and the pixel bounds it touches. */
export interface SdfShape {
  /** Signed distance in pixels from (x, y) to the outline; < 0 inside. */
  sd(x: number, y: number): number;
  bounds: [number, number, number, number];
}

export function circleSdf(cx: number, cy: number, r: number): SdfShape {
  return {
    sd: (x, y) => Math.hypot(x - cx, y - cy) - r,
    bounds: [cx - r, cy - r, cx + r, cy + r],
  };
}

export function rectSdf(x1: number, y1: number, x2: number, y2: number): SdfShape {
  const cx = (x1 + x2) / 2;
  const cy = (y1 + y2) / 2;
  const hx = (x2 - x1) / 2;
  const hy = (y2 - y1) / 2;
  return {
    sd: (x, y) => {
      const dx = Math.abs(x - cx) - hx;
      const dy = Math.abs(y - cy) - hy;
      const ox = Math.max(dx, 0);
      const oy = Math.max(dy, 0);
      return Math.hypot(ox, oy) + Math.min(Math.max(dx, dy), 0);
    },
    bounds: [x1, y1, x2, y2],
  };
}

/** Convex polygon (vertices in either winding). */
export function polygonSdf(pts: Array<[number, number]>): SdfShape {
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  return {
    sd: (x, y) => {
      let d = Infinity;
      let inside = false;
      for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
        const [xi, yi] = pts[i];
        const [xj, yj] = pts[j];
        const ex = xj - xi;
        const ey = yj - yi;
        const wx = x - xi;
        const wy = y - yi;
        const t = Math.max(0, Math.min(1, (wx * ex + wy * ey) / (ex * ex + ey * ey)));
        d = Math.min(d, Math.hypot(wx - ex * t, wy - ey * t));
        if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
      }
      return inside ? -d : d;
    },
    bounds: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)],
  };
}

/** An RGB raster with anti-aliased shape fills. */
export class Raster {
  readonly data: Uint8Array;

  constructor(readonly width: number, readonly height: number, background: RGB = [255, 255, 255]) {
    this.data = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) {
      this.data[i * 3] = background[0];
      this.data[i * 3 + 1] = background[1];
      this.data[i * 3 + 2] = background[2];
    }
  }

  /** Blends `color` into pixel (x, y) with coverage `a` in [0, 1]. */
  blend(x: number, y: number, color: RGB, a: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || a <= 0) return;
    const i = (y * this.width + x) * 3;
    const k = Math.min(1, a);
    for (let c = 0; c < 3; c++) this.data[i + c] = Math.round(this.data[i + c] * (1 - k) + color[c] * k);
  }

  fillRow(y: number, color: RGB): void {
    for (let x = 0; x < this.width; x++) this.blend(x, y, color, 1);
  }

  /** Fills a shape with `fill`, drawing an `outlineWidth`-pixel outline in `outline` (0 for none). */
  fillShape(shape: SdfShape, fill: RGB, outline?: RGB, outlineWidth = 0): void {
    const [bx1, by1, bx2, by2] = shape.bounds;
    const x0 = Math.max(0, Math.floor(bx1) - 1);
    const y0 = Math.max(0, Math.floor(by1) - 1);
    const x1 = Math.min(this.width - 1, Math.ceil(bx2) + 1);
    const y1 = Math.min(this.height - 1, Math.ceil(by2) + 1);
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const d = shape.sd(x + 0.5, y + 0.5);
        const cover = Math.max(0, Math.min(1, 0.5 - d));
        if (cover <= 0) continue;
        let color = fill;
        if (outline && outlineWidth > 0) {
          // Blend between outline (near the edge) and fill (inside) with a 1-pixel ramp.
          const inner = Math.max(0, Math.min(1, -d - outlineWidth + 0.5));
          color = [
            outline[0] + (fill[0] - outline[0]) * inner,
            outline[1] + (fill[1] - outline[1]) * inner,
            outline[2] + (fill[2] - outline[2]) * inner,
          ];
        }
        this.blend(x, y, color, cover);
      }
    }
  }

  toPng(level = 9): Buffer {
    return encodePng(this.width, this.height, this.data, level);
  }
}
