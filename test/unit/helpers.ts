// Test helpers: tiny image files built byte by byte, temp folders, a CLI runner.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { main } from '../../extension/cli';
import type { Rollout } from '../../extension/core/model';

/** Repo-relative paths work from out/test/unit and from test/unit alike. */
export const REPO_ROOT = findRepoRoot(__dirname);
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');

function findRepoRoot(dir: string): string {
  let d = dir;
  while (!fs.existsSync(path.join(d, 'package.json'))) {
    const up = path.dirname(d);
    if (up === d) throw new Error('repo root not found');
    d = up;
  }
  return d;
}

let crcTable: Uint32Array | null = null;
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A real, decodable grey RGB PNG. */
export function makePng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const row = Buffer.alloc(1 + width * 3, 0x80);
  row[0] = 0; // filter none
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** JPEG headers: SOI, APP0 JFIF, APP1 Exif (orientation, given byte order), SOF0, SOS stub, EOI. */
export function makeJpeg(width: number, height: number, orientation: number | null, order: 'II' | 'MM' = 'MM'): Buffer {
  const parts: Buffer[] = [Buffer.from([0xff, 0xd8])];
  const jfif = Buffer.from([0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  parts.push(segment(0xe0, jfif));
  if (orientation !== null) {
    const le = order === 'II';
    const tiff = Buffer.alloc(8 + 2 + 2 * 12 + 4);
    tiff.write(order, 0, 'latin1');
    const w16 = (v: number, at: number): number => (le ? tiff.writeUInt16LE(v, at) : tiff.writeUInt16BE(v, at));
    const w32 = (v: number, at: number): number => (le ? tiff.writeUInt32LE(v, at) : tiff.writeUInt32BE(v, at));
    w16(42, 2);
    w32(8, 4);
    w16(2, 8); // two entries
    // 0x010f Make, ASCII, count 4, inline "abc\0"
    w16(0x010f, 10);
    w16(2, 12);
    w32(4, 14);
    tiff.write('abc\0', 18, 'latin1');
    // 0x0112 Orientation, SHORT, count 1
    w16(0x0112, 22);
    w16(3, 24);
    w32(1, 26);
    w16(orientation, 30);
    parts.push(segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff])));
  }
  const sof = Buffer.alloc(6 + 3 * 3);
  sof[0] = 8;
  sof.writeUInt16BE(height, 1);
  sof.writeUInt16BE(width, 3);
  sof[5] = 3;
  parts.push(segment(0xc0, sof));
  parts.push(segment(0xda, Buffer.from([1, 1, 0, 0, 63, 0])));
  parts.push(Buffer.from([0x00, 0x00, 0xff, 0xd9]));
  return Buffer.concat(parts);
}

function segment(marker: number, body: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
}

/** A fresh temp folder under os.tmpdir(). */
export function tempDir(prefix = 'rollout-lens-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeLines(file: string, lines: Array<string | Record<string, unknown>>, eol = '\n'): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join(eol) + eol);
}

/** A valid minimal record. */
export function rec(step: number, groupId: string | number, indexInGroup: number, more: Record<string, unknown> = {}): Record<string, unknown> {
  return { step, group_id: groupId, index_in_group: indexInGroup, completion: `<think>t</think><answer>${indexInGroup}</answer>`, ...more };
}

export async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

/** A minimal RFC 4180 parser (quoted fields, doubled quotes, CRLF records). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (q) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') q = false;
      else cell += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

/** A canonical Rollout for unit tests: step 1, group "g", no boxes, rewards or images; `over` sets the rest. */
export function makeRollout(over: Partial<Rollout> = {}): Rollout {
  return {
    step: 1,
    groupId: 'g',
    indexInGroup: 0,
    prompt: { text: 'How many?', images: [] },
    completion: '',
    reference: { boxes: [] },
    predicted: [],
    rewards: {},
    reward: null,
    advantage: null,
    advantageSource: null,
    generatedImages: [],
    extra: {},
    source: { file: 'f.jsonl', line: 1 },
    ...over,
  };
}
