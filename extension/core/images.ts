// Image size and EXIF orientation from file headers only (PNG, JPEG, GIF, WebP).
// Pure except `readImageInfoFromFile`, which reads at most the first 256 KB. Never throws on bad bytes.

import * as fs from 'fs';

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'unknown';

export interface ImageInfo {
  format: ImageFormat;
  /** Stored pixel size (before any EXIF rotation); null when the header does not say. */
  width: number | null;
  height: number | null;
  /** EXIF orientation (tag 274), 1 when absent. */
  orientation: number;
}

export const HEADER_BYTES = 256 * 1024;

export function readImageInfo(buf: Uint8Array): ImageInfo {
  try {
    if (isPng(buf)) return readPng(buf);
    if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return readJpeg(buf);
    if (ascii(buf, 0, 4) === 'GIF8') return readGif(buf);
    if (ascii(buf, 0, 4) === 'RIFF' && ascii(buf, 8, 4) === 'WEBP') return readWebp(buf);
  } catch {
    // fall through: garbage
  }
  return unknown();
}

/** Reads only the first 256 KB of the file. Returns null when the file cannot be read. */
export function readImageInfoFromFile(path: string): ImageInfo | null {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path, 'r');
    const buf = Buffer.alloc(HEADER_BYTES);
    const n = fs.readSync(fd, buf, 0, HEADER_BYTES, 0);
    return readImageInfo(buf.subarray(0, n));
  } catch {
    return null;
  } finally {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        /* ignore */
      }
    }
  }
}

function unknown(): ImageInfo {
  return { format: 'unknown', width: null, height: null, orientation: 1 };
}

function ascii(b: Uint8Array, at: number, len: number): string {
  if (at + len > b.length) return '';
  let s = '';
  for (let i = at; i < at + len; i++) s += String.fromCharCode(b[i]);
  return s;
}

function u16be(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}
function u16le(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}
function u32be(b: Uint8Array, at: number): number {
  return ((b[at] << 24) >>> 0) + (b[at + 1] << 16) + (b[at + 2] << 8) + b[at + 3];
}
function u32le(b: Uint8Array, at: number): number {
  return b[at] + (b[at + 1] << 8) + (b[at + 2] << 16) + ((b[at + 3] << 24) >>> 0);
}
function u24le(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16);
}

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
function isPng(b: Uint8Array): boolean {
  if (b.length < 8) return false;
  for (let i = 0; i < 8; i++) if (b[i] !== PNG_SIG[i]) return false;
  return true;
}

function readPng(b: Uint8Array): ImageInfo {
  const info: ImageInfo = { format: 'png', width: null, height: null, orientation: 1 };
  if (b.length >= 24 && ascii(b, 12, 4) === 'IHDR') {
    info.width = u32be(b, 16);
    info.height = u32be(b, 20);
  }
  return info;
}

function readGif(b: Uint8Array): ImageInfo {
  const info: ImageInfo = { format: 'gif', width: null, height: null, orientation: 1 };
  if (b.length >= 10) {
    info.width = u16le(b, 6);
    info.height = u16le(b, 8);
  }
  return info;
}

function readWebp(b: Uint8Array): ImageInfo {
  const info: ImageInfo = { format: 'webp', width: null, height: null, orientation: 1 };
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8 ' && b.length >= 30) {
    // keyframe start code 9d 01 2a at 23..25, then 14-bit width/height
    if (b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) {
      info.width = u16le(b, 26) & 0x3fff;
      info.height = u16le(b, 28) & 0x3fff;
    }
  } else if (chunk === 'VP8L' && b.length >= 25 && b[20] === 0x2f) {
    const bits = u32le(b, 21);
    info.width = (bits & 0x3fff) + 1;
    info.height = ((bits >>> 14) & 0x3fff) + 1;
  } else if (chunk === 'VP8X' && b.length >= 30) {
    info.width = u24le(b, 24) + 1;
    info.height = u24le(b, 27) + 1;
  }
  return info;
}

const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function readJpeg(b: Uint8Array): ImageInfo {
  const info: ImageInfo = { format: 'jpeg', width: null, height: null, orientation: 1 };
  let i = 2;
  while (i + 3 < b.length) {
    if (b[i] !== 0xff) {
      i++; // tolerate junk between segments
      continue;
    }
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // standalone markers
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // EOI / start of scan: no more headers
    const len = u16be(b, i + 2);
    if (len < 2) break;
    const body = i + 4;
    if (SOF.has(marker)) {
      if (body + 5 <= b.length) {
        info.height = u16be(b, body + 1);
        info.width = u16be(b, body + 3);
      }
      break;
    }
    if (marker === 0xe1 && ascii(b, body, 6) === 'Exif\0\0') {
      const o = readExifOrientation(b, body + 6, Math.min(b.length, i + 2 + len));
      if (o !== null) info.orientation = o;
    }
    i += 2 + len;
  }
  return info;
}

/** Orientation (tag 0x0112) from a TIFF structure at [tiff, end); null when absent or malformed. */
function readExifOrientation(b: Uint8Array, tiff: number, end: number): number | null {
  if (tiff + 8 > end) return null;
  const order = ascii(b, tiff, 2);
  if (order !== 'II' && order !== 'MM') return null;
  const le = order === 'II';
  const r16 = (at: number): number => (le ? u16le(b, at) : u16be(b, at));
  const r32 = (at: number): number => (le ? u32le(b, at) : u32be(b, at));
  if (r16(tiff + 2) !== 42) return null;
  const ifd = tiff + r32(tiff + 4);
  if (ifd + 2 > end) return null;
  const count = r16(ifd);
  for (let k = 0; k < count; k++) {
    const e = ifd + 2 + k * 12;
    if (e + 12 > end) return null;
    if (r16(e) === 0x0112) {
      const type = r16(e + 2);
      const v = type === 3 ? r16(e + 8) : type === 4 ? r32(e + 8) : null;
      return v !== null && v >= 1 && v <= 8 ? v : null;
    }
  }
  return null;
}
