// Building blocks for indexing large JSONL files without parsing them: a chunked line scanner,
// growable typed arrays, and byte-level helpers for reading top-level values of one JSON line.

import * as fs from 'fs';

/** A Float64Array that grows; unset slots hold `fill` (NaN by default). */
export class GrowableF64 {
  private arr: Float64Array;
  length = 0;
  constructor(
    initial = 1024,
    private readonly fill = NaN,
  ) {
    this.arr = new Float64Array(Math.max(16, initial));
    if (fill !== 0) this.arr.fill(fill);
  }
  push(v: number): void {
    this.set(this.length, v);
  }
  set(i: number, v: number): void {
    if (i >= this.arr.length) this.grow(i + 1);
    this.arr[i] = v;
    if (i >= this.length) this.length = i + 1;
  }
  get(i: number): number {
    return i < this.length ? this.arr[i] : this.fill;
  }
  /** Make `length` at least n (new slots hold `fill`). */
  extendTo(n: number): void {
    if (n > this.arr.length) this.grow(n);
    if (n > this.length) this.length = n;
  }
  /** A compact copy of the first `length` values. */
  toArray(): Float64Array {
    return this.arr.slice(0, this.length);
  }
  private grow(min: number): void {
    let cap = this.arr.length;
    while (cap < min) cap *= 2;
    const next = new Float64Array(cap);
    next.set(this.arr);
    if (this.fill !== 0) next.fill(this.fill, this.arr.length);
    this.arr = next;
  }
}

export interface ScanLinesOptions {
  chunkSize?: number;
  onProgress?: (bytes: number, total: number) => void;
}

/**
 * Calls `onLine(buf, start, end, lineNo, offset)` for every non-blank line of `file`: the line's bytes are
 * buf[start, end) without the newline or a trailing CR, `lineNo` is 1-based, `offset` is the file offset of
 * `start`. `buf` is only valid during the call. A UTF-8 BOM at the start of the file is skipped.
 * Reads ahead: the next chunk is read while the current one is scanned.
 */
export async function scanLines(
  file: string,
  onLine: (buf: Buffer, start: number, end: number, lineNo: number, offset: number) => void,
  opts: ScanLinesOptions = {},
): Promise<{ bytes: number; lines: number }> {
  const chunkSize = Math.max(64 * 1024, opts.chunkSize ?? 4 * 1024 * 1024);
  const handle = await fs.promises.open(file, 'r');
  try {
    const total = (await handle.stat()).size;
    const bufs = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)];
    const readAt = async (k: number, pos: number): Promise<Buffer> => {
      const { bytesRead } = await handle.read(bufs[k % 2], 0, chunkSize, pos);
      return bufs[k % 2].subarray(0, bytesRead);
    };
    let carry: Buffer[] = []; // an unfinished line from earlier chunks (copied)
    let carryOffset = 0;
    let lineNo = 0;
    let pos = 0;
    let next = readAt(0, 0);
    for (let k = 0; ; k++) {
      const chunk = await next;
      const chunkOffset = pos;
      pos += chunk.length;
      if (chunk.length === 0) break;
      next = readAt(k + 1, pos); // read ahead into the other buffer
      let p = 0;
      if (chunkOffset === 0 && chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) p = 3;
      if (carry.length > 0) {
        const nl = chunk.indexOf(0x0a);
        if (nl < 0) {
          carry.push(Buffer.from(chunk));
          continue;
        }
        const joined = Buffer.concat([...carry, chunk.subarray(0, nl)]);
        carry = [];
        lineNo++;
        emit(joined, 0, joined.length, lineNo, carryOffset, onLine);
        p = nl + 1;
      }
      for (;;) {
        const nl = chunk.indexOf(0x0a, p);
        if (nl < 0) break;
        lineNo++;
        emit(chunk, p, nl, lineNo, chunkOffset, onLine);
        p = nl + 1;
      }
      if (p < chunk.length) {
        carry = [Buffer.from(chunk.subarray(p))];
        carryOffset = chunkOffset + p;
      }
      opts.onProgress?.(Math.min(pos, total), total);
    }
    if (carry.length > 0) {
      const joined = Buffer.concat(carry);
      lineNo++;
      emit(joined, 0, joined.length, lineNo, carryOffset, onLine);
    }
    opts.onProgress?.(pos, total);
    return { bytes: pos, lines: lineNo };
  } finally {
    await handle.close();
  }
}

function emit(
  buf: Buffer,
  start: number,
  end: number,
  lineNo: number,
  bufOffset: number,
  onLine: (buf: Buffer, start: number, end: number, lineNo: number, offset: number) => void,
): void {
  let e = end;
  if (e > start && buf[e - 1] === 0x0d) e--;
  let s = start;
  while (s < e && isSpace(buf[s])) s++;
  if (s === e) return; // blank line
  onLine(buf, start, e, lineNo, bufOffset + start);
}

export function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a;
}

/** Index of the quote closing the string whose opening quote is at `open`, or -1 before `end`. */
export function stringEnd(buf: Buffer, open: number, end: number): number {
  // short strings (keys, ids): a plain loop beats the native call's overhead
  const stop = Math.min(end, open + 48);
  let i = open + 1;
  for (; i < stop; i++) {
    const b = buf[i];
    if (b === 0x22) return i;
    if (b === 0x5c) i++;
  }
  if (i >= end) return -1;
  let j = buf.indexOf(0x22, i);
  while (j >= 0 && j < end) {
    let bs = 0;
    for (let k = j - 1; k > open && buf[k] === 0x5c; k--) bs++;
    if (bs % 2 === 0) return j;
    j = buf.indexOf(0x22, j + 1);
  }
  return -1;
}

/**
 * Walks the top level of the JSON object on buf[start, end) and calls `onKey(keyStart, keyEnd, valueStart)`
 * for each key of the outermost object (key bytes without quotes). Strings are skipped natively; nothing is
 * decoded. `onKey` returns true to stop early. Returns false when the line is not shaped like an object.
 */
export function walkTopLevel(
  buf: Buffer,
  start: number,
  end: number,
  onKey: (keyStart: number, keyEnd: number, valueStart: number) => boolean,
): boolean {
  let i = start;
  while (i < end && isSpace(buf[i])) i++;
  if (buf[i] !== 0x7b) return false;
  let depth = 0;
  for (; i < end; i++) {
    const b = buf[i];
    if (b === 0x22) {
      const close = stringEnd(buf, i, end);
      if (close < 0) return false;
      if (depth === 1) {
        let v = close + 1;
        while (v < end && isSpace(buf[v])) v++;
        if (buf[v] === 0x3a /* : */) {
          v++;
          while (v < end && isSpace(buf[v])) v++;
          if (onKey(i + 1, close, v)) return true;
        }
      }
      i = close;
    } else if (b === 0x7b || b === 0x5b) {
      depth++;
    } else if (b === 0x7d || b === 0x5d) {
      depth--;
      if (depth === 0) return true;
    }
  }
  return depth === 0;
}

/** True when buf[a, b) equals the ASCII bytes of `key`. */
export function bytesEqual(buf: Buffer, a: number, b: number, key: Uint8Array): boolean {
  if (b - a !== key.length) return false;
  for (let k = 0; k < key.length; k++) if (buf[a + k] !== key[k]) return false;
  return true;
}

/** The number token at `p` (JSON number syntax, or NaN/Infinity/-Infinity) and where it ends. */
export function readNumberToken(buf: Buffer, p: number, end: number): { value: number; end: number } | null {
  // fast path: a plain non-negative integer
  let q = p;
  let n = 0;
  while (q < end && q - p < 15) {
    const b = buf[q];
    if (b < 0x30 || b > 0x39) break;
    n = n * 10 + (b - 0x30);
    q++;
  }
  if (q > p && (q >= end || !isNumberByte(buf[q])) && !(buf[p] === 0x30 && q - p > 1)) return { value: n, end: q };
  q = p;
  while (q < end) {
    const b = buf[q];
    if ((b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2b || b === 0x2e || b === 0x65 || b === 0x45) q++;
    else break;
  }
  if (q === p) {
    const word = buf.toString('latin1', p, Math.min(end, p + 9));
    if (word.startsWith('NaN')) return { value: NaN, end: p + 3 };
    if (word.startsWith('Infinity')) return { value: Infinity, end: p + 8 };
    if (word.startsWith('-Infinity')) return { value: -Infinity, end: p + 9 };
    return null;
  }
  const value = Number(buf.toString('latin1', p, q));
  return Number.isNaN(value) ? null : { value, end: q };
}

function isNumberByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2b || b === 0x2e || b === 0x65 || b === 0x45;
}

/** True when the bytes at `p` spell `word`. */
export function startsWithAt(buf: Buffer, p: number, end: number, word: string): boolean {
  if (p + word.length > end) return false;
  for (let k = 0; k < word.length; k++) if (buf[p + k] !== word.charCodeAt(k)) return false;
  return true;
}

/**
 * JSON.parse that also accepts Python's json.dumps extensions NaN, Infinity and -Infinity (as null).
 * Returns the value and whether such tokens were replaced. Throws SyntaxError like JSON.parse otherwise.
 */
export function parseJsonLenient(text: string): { value: unknown; replacedNonFinite: boolean } {
  try {
    return { value: JSON.parse(text), replacedNonFinite: false };
  } catch (err) {
    if (!/NaN|Infinity/.test(text)) throw err;
    const fixed = replaceNonFinite(text);
    if (fixed === text) throw err;
    try {
      return { value: JSON.parse(fixed), replacedNonFinite: true };
    } catch {
      throw err;
    }
  }
}

/** Replace bare NaN / Infinity / -Infinity tokens outside strings by null. */
export function replaceNonFinite(text: string): string {
  let out = '';
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    for (const word of ['-Infinity', 'Infinity', 'NaN']) {
      if (text.startsWith(word, i)) {
        out += text.slice(last, i) + 'null';
        i += word.length - 1;
        last = i + 1;
        break;
      }
    }
  }
  return out + text.slice(last);
}
