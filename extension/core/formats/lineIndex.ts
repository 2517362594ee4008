// Building blocks for indexing large JSONL files without parsing them: a chunked line scanner,
// growable typed arrays, and byte-level helpers for reading top-level values of one JSON line.

import * as fs from 'fs';
import { isUtf8 } from 'buffer';

/** Capacity of a growing array that must hold `min` slots: doubling while small, past 1 M slots 1.5× (it is usually reserved up front). */
function grownCapacity(current: number, min: number): number {
  let cap = Math.max(16, current);
  while (cap < min) cap = cap < 1 << 20 ? cap * 2 : Math.ceil(cap * 1.5);
  return cap;
}

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
  /** The first `length` values without copying (valid until the next growth; writes go through). */
  view(): Float64Array {
    return this.arr.subarray(0, this.length);
  }
  /** Drop everything from index n on (the freed slots hold `fill` again). */
  truncate(n: number): void {
    if (n >= this.length) return;
    this.arr.fill(this.fill, Math.max(0, n), this.length);
    this.length = Math.max(0, n);
  }
  /** A growable array over `values` itself (no copy; the first growth copies). */
  static wrap(values: Float64Array, fill = NaN): GrowableF64 {
    const g = new GrowableF64(16, fill);
    g.arr = values;
    g.length = values.length;
    return g;
  }
  /** A growable array holding a copy of `values` (with some headroom). */
  static from(values: Float64Array, fill = NaN): GrowableF64 {
    const g = new GrowableF64(values.length + (values.length >> 3) + 16, fill);
    g.arr.set(values);
    g.length = values.length;
    return g;
  }
  /** Make room for `cap` values in one allocation (when the final size can be estimated). */
  reserve(cap: number): void {
    if (cap > this.arr.length) this.resize(cap);
  }
  /** Append all of `values` (one copy). */
  append(values: Float64Array): void {
    const at = this.length;
    if (at + values.length > this.arr.length) this.grow(at + values.length);
    this.arr.set(values, at);
    this.length = at + values.length;
  }
  get capacity(): number {
    return this.arr.length;
  }
  private grow(min: number): void {
    this.resize(grownCapacity(this.arr.length, min));
  }
  private resize(cap: number): void {
    const next = new Float64Array(cap);
    next.set(this.arr);
    if (this.fill !== 0) next.fill(this.fill, this.arr.length);
    this.arr = next;
  }
}

/** A Uint32Array that grows; unset slots hold 0. */
export class GrowableU32 {
  private arr: Uint32Array;
  length = 0;
  constructor(initial = 1024) {
    this.arr = new Uint32Array(Math.max(16, initial));
  }
  push(v: number): void {
    if (this.length >= this.arr.length) this.grow(this.length + 1);
    this.arr[this.length++] = v;
  }
  set(i: number, v: number): void {
    if (i >= this.arr.length) this.grow(i + 1);
    this.arr[i] = v;
    if (i >= this.length) this.length = i + 1;
  }
  get(i: number): number {
    return i < this.length ? this.arr[i] : 0;
  }
  extendTo(n: number): void {
    if (n > this.arr.length) this.grow(n);
    if (n > this.length) this.length = n;
  }
  view(): Uint32Array {
    return this.arr.subarray(0, this.length);
  }
  toArray(): Uint32Array {
    return this.arr.slice(0, this.length);
  }
  truncate(n: number): void {
    if (n >= this.length) return;
    this.arr.fill(0, Math.max(0, n), this.length);
    this.length = Math.max(0, n);
  }
  /** A growable array over `values` itself (no copy; the first growth copies). */
  static wrap(values: Uint32Array): GrowableU32 {
    const g = new GrowableU32(16);
    g.arr = values;
    g.length = values.length;
    return g;
  }
  static from(values: Uint32Array): GrowableU32 {
    const g = new GrowableU32(values.length + (values.length >> 3) + 16);
    g.arr.set(values);
    g.length = values.length;
    return g;
  }
  reserve(cap: number): void {
    if (cap > this.arr.length) this.resize(cap);
  }
  /** Append all of `values`, each plus `add` (one pass). */
  append(values: Uint32Array, add = 0): void {
    const at = this.length;
    if (at + values.length > this.arr.length) this.grow(at + values.length);
    if (add === 0) this.arr.set(values, at);
    else for (let k = 0; k < values.length; k++) this.arr[at + k] = values[k] + add;
    this.length = at + values.length;
  }
  get capacity(): number {
    return this.arr.length;
  }
  private grow(min: number): void {
    this.resize(grownCapacity(this.arr.length, min));
  }
  private resize(cap: number): void {
    const next = new Uint32Array(cap);
    next.set(this.arr);
    this.arr = next;
  }
}

/**
 * Per-record values that come in long runs (the step of each record, the file of each record): kept as
 * run starts + run values, so 1 M records of 2 000 steps cost 2 000 entries. Falls back to one value per
 * record when runs get short. `get` is a binary search over the runs (or a plain read).
 */
export class RunArray {
  private starts = new GrowableU32(64);
  private values = new GrowableF64(64, 0);
  private dense: GrowableF64 | null = null;
  private last = 0;
  length = 0;

  push(v: number): void {
    const i = this.length++;
    if (this.dense) {
      this.dense.set(i, v);
      return;
    }
    const runs = this.values.length;
    if (runs > 0 && Object.is(this.values.get(runs - 1), v)) return;
    this.starts.push(i);
    this.values.push(v);
    if (runs + 1 > 4096 && runs + 1 > this.length / 4) this.toDense();
  }

  get(i: number): number {
    if (i < 0 || i >= this.length) return NaN;
    if (this.dense) return this.dense.get(i);
    const starts = this.starts;
    // sequential access (summaries walk records in order) mostly stays in the same run
    let r = this.last;
    const runs = this.values.length;
    if (!(starts.get(r) <= i && (r + 1 >= runs || starts.get(r + 1) > i))) {
      let lo = 0;
      let hi = runs - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts.get(mid) <= i) lo = mid;
        else hi = mid - 1;
      }
      r = lo;
      this.last = r;
    }
    return this.values.get(r);
  }

  truncate(n: number): void {
    if (n >= this.length) return;
    if (this.dense) this.dense.truncate(n);
    else {
      let runs = this.values.length;
      while (runs > 0 && this.starts.get(runs - 1) >= n) runs--;
      this.starts.truncate(runs);
      this.values.truncate(runs);
      this.last = 0;
    }
    this.length = n;
  }

  /** Append `length` values given as runs (starts relative to them), each value mapped by `map`. */
  appendRuns(starts: Uint32Array, values: Float64Array, length: number, map: (v: number) => number = (v) => v): void {
    for (let k = 0; k < starts.length; k++) {
      const end = k + 1 < starts.length ? starts[k + 1] : length;
      const v = map(values[k]);
      const count = end - starts[k];
      if (count <= 0) continue;
      this.push(v);
      // the push may have switched to one value per record
      if (this.dense) for (let j = 1; j < count; j++) this.dense.set(this.length++, v);
      else this.length += count - 1;
    }
  }

  /** The runs (run start indices and values), for persisting. */
  runs(): { starts: Uint32Array; values: Float64Array } {
    if (this.dense) return { starts: Uint32Array.from({ length: this.length }, (_, i) => i), values: this.dense.view() };
    return { starts: this.starts.view(), values: this.values.view() };
  }

  /** Rebuild from `runs()`; throws when they do not describe `length` values. */
  static fromRuns(starts: Uint32Array, values: Float64Array, length: number): RunArray {
    if (starts.length !== values.length || (length > 0 && (starts.length === 0 || starts[0] !== 0))) throw new Error('bad runs');
    for (let k = 1; k < starts.length; k++) if (!(starts[k] > starts[k - 1]) || starts[k] >= length) throw new Error('bad runs');
    const a = new RunArray();
    a.starts = GrowableU32.from(starts);
    a.values = GrowableF64.from(values, 0);
    a.length = length;
    return a;
  }

  private toDense(): void {
    const d = new GrowableF64(Math.max(4096, this.length * 2), 0);
    for (let i = 0; i < this.length; i++) d.set(i, this.get(i));
    this.dense = d;
    this.starts = new GrowableU32(16);
    this.values = new GrowableF64(16, 0);
  }
}

export interface ScanLinesOptions {
  chunkSize?: number;
  onProgress?: (bytes: number, total: number) => void;
}

/** Lines longer than this are reported, not read (V8 strings top out near 512 M characters). */
export const MAX_LINE_BYTES = 256 * 1024 * 1024;

/**
 * Calls `onLine(buf, start, end, lineNo, offset)` for every non-blank line of `file`: the line's bytes are
 * buf[start, end) without the newline or a trailing CR, `lineNo` is 1-based, `offset` is the file offset of
 * `start`. `buf` is only valid during the call. A UTF-8 BOM at the start of the file is skipped.
 * Reads ahead: the next chunk is read while the current one is scanned. A last line without newline is
 * passed like the others.
 */
export async function scanLines(
  file: string,
  onLine: (buf: Buffer, start: number, end: number, lineNo: number, offset: number) => void,
  opts: ScanLinesOptions = {},
): Promise<{ bytes: number; lines: number }> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const total = (await handle.stat()).size;
    const r = await scanLineRange(handle, 0, total, 0, onLine, {
      chunkSize: opts.chunkSize,
      onProgress: opts.onProgress ? (b) => opts.onProgress!(b, total) : undefined,
      yieldEveryChunk: false,
    });
    let lines = r.lineNo;
    if (r.end < total) {
      const tail = Buffer.allocUnsafe(total - r.end);
      await readFully(handle, tail, r.end);
      lines++;
      emit(tail, 0, tail.length, lines, r.end, true, onLine);
    }
    opts.onProgress?.(total, total);
    return { bytes: total, lines };
  } finally {
    await handle.close();
  }
}

export type LineCallback = (buf: Buffer, start: number, end: number, lineNo: number, offset: number, utf8Ok: boolean) => void;

export interface LineRangeOptions {
  /** Read size (default 4 MB, at least 64 KB). */
  chunkSize?: number;
  /** Bytes of the range scanned so far (absolute file offset of the scan position). */
  onProgress?: (offset: number) => void;
  /** After each chunk's lines were passed on. */
  onChunk?: (offset: number) => void;
  /** Lines longer than this (default MAX_LINE_BYTES) are not read: `onLongLine` is called instead. */
  maxLineBytes?: number;
  onLongLine?: (lineNo: number, offset: number, length: number) => void;
  /** Check that lines are valid UTF-8 (one native check per chunk; per line only when a chunk fails). */
  checkUtf8?: boolean;
  /** Let timers and I/O run between chunks (default true): a long scan on the extension host must not starve it. */
  yieldEveryChunk?: boolean;
  /** Bytes at `from` already read (prefetched): used as the first chunk. */
  initial?: Buffer;
}

/** Bytes kept by `scanLineRange` to fingerprint what it consumed (see FINGERPRINT_BYTES). */
export const FINGERPRINT_BYTES = 64;

export interface LineRangeResult {
  /** Offset just after the last newline consumed (or `from`). */
  end: number;
  /** Last line number consumed. */
  lineNo: number;
  /** The first FINGERPRINT_BYTES bytes of the file (or fewer), when the scan started at 0. */
  head: Buffer | null;
  /** The FINGERPRINT_BYTES bytes before `end`, when they were seen in one chunk (else null). */
  tail: Buffer | null;
}

/** What the scanner needs of an open file: fs.promises.FileHandle, or `SyncFileHandle`. */
export interface ReadHandle {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  stat(): Promise<fs.Stats>;
  close(): Promise<void>;
}

/**
 * A ReadHandle doing synchronous reads (for small files in worker threads, where a thread-pool round
 * trip per call costs more than the read itself). Results are returned as settled promises.
 */
export class SyncFileHandle implements ReadHandle {
  private constructor(private fd: number | null) {}
  static open(file: string): SyncFileHandle {
    return new SyncFileHandle(fs.openSync(file, 'r'));
  }
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    try {
      return Promise.resolve({ bytesRead: fs.readSync(this.live(), buffer, offset, length, position) });
    } catch (e) {
      return Promise.reject(e);
    }
  }
  stat(): Promise<fs.Stats> {
    try {
      return Promise.resolve(fs.fstatSync(this.live()));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  close(): Promise<void> {
    if (this.fd !== null) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* already closed */
      }
      this.fd = null;
    }
    return Promise.resolve();
  }
  private live(): number {
    if (this.fd === null) throw new Error('file handle closed');
    return this.fd;
  }
}

/** Positioned read of buf.length bytes at `pos`; returns the bytes read (less only at end of file). */
export async function readFully(handle: ReadHandle, buf: Buffer, pos: number): Promise<number> {
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await handle.read(buf, got, buf.length - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

/** Synchronous positioned read of buf.length bytes at `pos`; returns the bytes read. */
export function readFullySync(fd: number, buf: Buffer, pos: number): number {
  let got = 0;
  while (got < buf.length) {
    const n = fs.readSync(fd, buf, got, buf.length - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Scans bytes [from, to) of an open file, which must start at a line start, and calls `onLine` for every
 * non-blank line that ends with a newline before `to` (line numbers continue from `lineNo0`). Bytes after
 * the last newline (a line still being written, or a last line without newline) are left to the caller:
 * the result says where the consumed part ends (`end`, just after a newline, or `from`) and the last line
 * number consumed. A UTF-8 BOM is skipped when from = 0.
 *
 * Memory: two chunk buffers, plus for a line that spans chunks either a copy of it (up to 1 MB) or, for a
 * longer line, one buffer of exactly its size, read once its end is known. Nothing else is kept.
 */
export async function scanLineRange(
  handle: ReadHandle,
  from: number,
  to: number,
  lineNo0: number,
  onLine: LineCallback,
  opts: LineRangeOptions = {},
): Promise<LineRangeResult> {
  const chunkSize = Math.max(64 * 1024, opts.chunkSize ?? 4 * 1024 * 1024);
  const maxLine = opts.maxLineBytes ?? MAX_LINE_BYTES;
  const checkUtf8 = opts.checkUtf8 === true;
  const yieldEvery = opts.yieldEveryChunk !== false;
  const carryLimit = Math.max(1024 * 1024, chunkSize);
  const bufs = [Buffer.allocUnsafe(Math.min(chunkSize, Math.max(16, to - from))), null as Buffer | null];
  const readAt = async (k: number, pos: number): Promise<Buffer> => {
    const n = Math.min(chunkSize, to - pos);
    if (n <= 0) return EMPTY;
    let b = bufs[k % 2];
    if (!b || b.length < n) b = bufs[k % 2] = Buffer.allocUnsafe(Math.min(chunkSize, Math.max(n, to - from)));
    const got = await readFully(handle, b.subarray(0, n), pos);
    return b.subarray(0, got);
  };
  let lineNo = lineNo0;
  let consumed = from;
  let pos = from;
  // a line that started in an earlier chunk: its start, and its bytes so far when short enough to copy
  let pendingStart = -1;
  let carry: Buffer | null = null;
  let carryLen = 0;
  const appendCarry = (src: Buffer, a: number, b: number): void => {
    const need = carryLen + (b - a);
    if (!carry || carry.length < need) {
      const next = Buffer.allocUnsafe(Math.min(carryLimit, Math.max(need, 2 * (carry?.length ?? 0), 64 * 1024)));
      if (carry) carry.copy(next, 0, 0, carryLen);
      carry = next;
    }
    src.copy(carry, carryLen, a, b);
    carryLen = need;
  };
  let head: Buffer | null = null;
  const fpTail = Buffer.alloc(FINGERPRINT_BYTES);
  let fpEnd = -1;
  let next = opts.initial ? Promise.resolve(opts.initial.subarray(0, Math.max(0, to - from))) : readAt(0, pos);
  for (let k = 0; ; k++) {
    const chunk = await next;
    if (chunk.length === 0) break;
    const chunkOffset = pos;
    if (chunkOffset === 0) head = Buffer.from(chunk.subarray(0, Math.min(FINGERPRINT_BYTES, chunk.length)));
    pos += chunk.length;
    next = readAt(k + 1, pos); // read ahead into the other buffer
    let p = 0;
    if (chunkOffset === 0 && chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
      p = 3;
      consumed = 3;
    }
    if (pendingStart >= 0) {
      const nl = chunk.indexOf(0x0a, p);
      if (nl < 0) {
        if (carry !== null && carryLen + chunk.length - p <= carryLimit) appendCarry(chunk, p, chunk.length);
        else carry = null; // too long to copy: read once its end is known
      } else {
        lineNo++;
        const len = chunkOffset + nl - pendingStart;
        if (len > maxLine) opts.onLongLine?.(lineNo, pendingStart, len);
        else if (carry !== null) {
          appendCarry(chunk, p, nl);
          const c: Buffer = carry;
          emit(c, 0, carryLen, lineNo, pendingStart, !checkUtf8 || isUtf8(c.subarray(0, carryLen)), onLine);
        } else {
          const whole = Buffer.allocUnsafe(len);
          const got = await readFully(handle, whole, pendingStart);
          emit(whole, 0, got, lineNo, pendingStart, !checkUtf8 || isUtf8(whole.subarray(0, got)), onLine);
        }
        pendingStart = -1;
        carry = null;
        carryLen = 0;
        p = nl + 1;
        consumed = chunkOffset + p;
      }
    }
    if (pendingStart < 0) {
      const lastNl = chunk.lastIndexOf(0x0a);
      if (lastNl >= p) {
        const allOk = !checkUtf8 || isUtf8(chunk.subarray(p, lastNl));
        for (;;) {
          const nl = chunk.indexOf(0x0a, p);
          if (nl < 0 || nl > lastNl) break;
          lineNo++;
          const ok = allOk || isUtf8(chunk.subarray(p, nl));
          if (nl - p > maxLine) opts.onLongLine?.(lineNo, chunkOffset + p, nl - p);
          else emit(chunk, p, nl, lineNo, chunkOffset, ok, onLine);
          p = nl + 1;
        }
        consumed = chunkOffset + p;
      }
      if (p < chunk.length && pos < to) {
        pendingStart = chunkOffset + p;
        carryLen = 0;
        carry = null;
        appendCarry(chunk, p, chunk.length);
      }
    }
    if (consumed - FINGERPRINT_BYTES >= chunkOffset && consumed <= chunkOffset + chunk.length && consumed !== fpEnd) {
      chunk.copy(fpTail, 0, consumed - FINGERPRINT_BYTES - chunkOffset, consumed - chunkOffset);
      fpEnd = consumed;
    }
    opts.onProgress?.(pos);
    opts.onChunk?.(pos);
    if (yieldEvery && pos < to) await yieldNow();
  }
  if (head && head.length > consumed) head = head.subarray(0, consumed);
  return { end: consumed, lineNo, head, tail: fpEnd === consumed ? fpTail : null };
}

const EMPTY = Buffer.alloc(0);

function emit(
  buf: Buffer,
  start: number,
  end: number,
  lineNo: number,
  bufOffset: number,
  utf8Ok: boolean,
  onLine: LineCallback,
): void {
  let e = end;
  if (e > start && buf[e - 1] === 0x0d) e--;
  let s = start;
  while (s < e && isSpace(buf[s])) s++;
  if (s === e) return; // blank line
  onLine(buf, start, e, lineNo, bufOffset + start, utf8Ok);
}

/** True when buf[start, end) holds only spaces, tabs, CR and LF. */
export function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isSpace(buf[i])) return false;
  return true;
}

export function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a;
}

/** Index of the quote closing the string whose opening quote is at `open`, or -1 before `end`. */
export function stringEnd(buf: Buffer, open: number, end: number): number {
  // short strings (keys, ids): a plain loop beats the native call's overhead
  const stop = Math.min(end, open + 16);
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

/**
 * Walks the members of the outermost JSON object on buf[start, end) and calls
 * `onMember(keyStart, keyEnd, valueStart, valueEnd)` for each (key bytes without quotes, value bytes as
 * written). Strings are skipped natively, nested values by bracket counting outside strings; nothing is
 * decoded. `onMember` returns true to stop early. Returns false as soon as the bytes are not shaped like
 * an object (unterminated string, missing colon or comma, unbalanced brackets): the caller then falls
 * back to JSON.parse, which explains the problem. Never throws, always ends (every step moves forward).
 */
export function forEachMember(
  buf: Uint8Array,
  start: number,
  end: number,
  onMember: (keyStart: number, keyEnd: number, valueStart: number, valueEnd: number) => boolean,
): boolean {
  return walkMembers(buf, start, end, onMember) !== WALK_BAD;
}

/** End (exclusive) of the JSON value starting at `p`, or -1 when it is cut off or malformed. */
export function skipValue(buf: Uint8Array, p: number, end: number): number {
  if (p >= end) return -1;
  const b = buf[p];
  if (b === 0x22) {
    const close = stringEnd(buf as Buffer, p, end);
    return close < 0 ? -1 : close + 1;
  }
  if (b === 0x7b || b === 0x5b) {
    // bracket counting, strings skipped; mismatched kinds are left to JSON.parse to report
    let depth = 0;
    for (let i = p; i < end; i++) {
      const c = buf[i];
      if (c === 0x22) {
        const close = stringEnd(buf as Buffer, i, end);
        if (close < 0) return -1;
        i = close;
      } else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return -1;
  }
  let i = p;
  while (i < end) {
    const c = buf[i];
    if (c === 0x2c || c === 0x7d || c === 0x5d || isSpace(c)) break;
    if (c === 0x22 || c === 0x7b || c === 0x5b || c === 0x3a) return -1;
    i++;
  }
  return i === p ? -1 : i;
}

/** walkMembers / walkMembersBack: every member was visited. */
export const WALK_DONE = -2;
/** walkMembers / walkMembersBack: the bytes are not shaped like an object. */
export const WALK_BAD = -1;

/**
 * Like `forEachMember`, but returns where it stopped: WALK_BAD, WALK_DONE, or (when `onMember` returned
 * true) the offset just after the value of that member.
 */
export function walkMembers(
  buf: Uint8Array,
  start: number,
  end: number,
  onMember: (keyStart: number, keyEnd: number, valueStart: number, valueEnd: number) => boolean,
): number {
  let i = start;
  while (i < end && isSpace(buf[i])) i++;
  if (i >= end || buf[i] !== 0x7b) return WALK_BAD;
  i++;
  let first = true;
  for (;;) {
    while (i < end && isSpace(buf[i])) i++;
    if (i >= end) return WALK_BAD;
    if (buf[i] === 0x7d && first) return WALK_DONE;
    if (buf[i] !== 0x22) return WALK_BAD;
    const ke = stringEnd(buf as Buffer, i, end);
    if (ke < 0) return WALK_BAD;
    const ks = i + 1;
    i = ke + 1;
    while (i < end && isSpace(buf[i])) i++;
    if (i >= end || buf[i] !== 0x3a) return WALK_BAD;
    i++;
    while (i < end && isSpace(buf[i])) i++;
    const vs = i;
    const ve = skipValue(buf, i, end);
    if (ve < 0) return WALK_BAD;
    if (onMember(ks, ke, vs, ve)) return ve;
    i = ve;
    while (i < end && isSpace(buf[i])) i++;
    if (i >= end) return WALK_BAD;
    if (buf[i] === 0x2c) {
      i++;
      first = false;
      continue;
    }
    return buf[i] === 0x7d ? WALK_DONE : WALK_BAD;
  }
}

/**
 * Walks the members of the outermost object on buf[start, end) backward, from its closing brace, and
 * calls `onMember(keyStart, keyEnd, valueStart, valueEnd)` for each (the same meaning as forward). Exact
 * for valid JSON: a string is found backward from its closing quote as the first quote before it that
 * is preceded by an even number of backslashes (inside a string every quote is escaped). Stops with
 * WALK_DONE at the opening brace or at the separating comma at offset ≤ `stopAt` (members before it were
 * visited by a forward walk; -1: none), with WALK_BAD when the bytes are not shaped like members, or,
 * when `onMember` returns true, with the offset of that member's key (its opening quote).
 */
export function walkMembersBack(
  buf: Uint8Array,
  start: number,
  end: number,
  stopAt: number,
  onMember: (keyStart: number, keyEnd: number, valueStart: number, valueEnd: number) => boolean,
): number {
  let i = end - 1;
  while (i >= start && isSpace(buf[i])) i--;
  if (i < start || buf[i] !== 0x7d) return WALK_BAD;
  i--;
  while (i >= start && isSpace(buf[i])) i--;
  if (i < start) return WALK_BAD;
  if (buf[i] === 0x7b) return WALK_DONE;
  for (;;) {
    const ve = i + 1;
    const vs = valueStartBack(buf, start, i);
    if (vs < 0) return WALK_BAD;
    let j = vs - 1;
    while (j >= start && isSpace(buf[j])) j--;
    if (j < start || buf[j] !== 0x3a) return WALK_BAD;
    j--;
    while (j >= start && isSpace(buf[j])) j--;
    if (j < start || buf[j] !== 0x22) return WALK_BAD;
    const kq = stringStartBack(buf, start, j);
    if (kq < 0) return WALK_BAD;
    if (onMember(kq + 1, j, vs, ve)) return kq;
    j = kq - 1;
    while (j >= start && isSpace(buf[j])) j--;
    if (j < start) return WALK_BAD;
    if (buf[j] === 0x7b) return WALK_DONE;
    if (buf[j] !== 0x2c) return WALK_BAD;
    if (j <= stopAt) return WALK_DONE;
    i = j - 1;
    while (i >= start && isSpace(buf[i])) i--;
    if (i < start) return WALK_BAD;
  }
}

/** True when the quote at `q` is preceded by an even number of backslashes (it is not escaped). */
export function unescapedAt(buf: Uint8Array, start: number, q: number): boolean {
  let k = q - 1;
  while (k >= start && buf[k] === 0x5c) k--;
  return ((q - 1 - k) & 1) === 0;
}

/** The opening quote of the string whose closing quote is at `q`, or -1 before `start`. */
export function stringStartBack(buf: Uint8Array, start: number, q: number): number {
  let j = q - 1;
  const stop = Math.max(start, q - 48);
  for (; j >= stop; j--) if (buf[j] === 0x22 && unescapedAt(buf, start, j)) return j;
  if (j < start) return -1;
  for (;;) {
    j = (buf as Buffer).lastIndexOf(0x22, j);
    if (j < start) return -1;
    if (unescapedAt(buf, start, j)) return j;
    j--;
    if (j < start) return -1;
  }
}

/** Start of the JSON value whose last byte is at `i` (backward), or -1. */
export function valueStartBack(buf: Uint8Array, start: number, i: number): number {
  const c = buf[i];
  if (c === 0x22) return stringStartBack(buf, start, i);
  if (c === 0x7d || c === 0x5d) {
    let depth = 0;
    for (let k = i; k >= start; k--) {
      const b = buf[k];
      if (b === 0x22) {
        k = stringStartBack(buf, start, k);
        if (k < 0) return -1;
      } else if (b === 0x7d || b === 0x5d) depth++;
      else if (b === 0x7b || b === 0x5b) {
        depth--;
        if (depth === 0) return k;
      }
    }
    return -1;
  }
  let k = i;
  while (k >= start) {
    const b = buf[k];
    if (b === 0x2c || b === 0x3a || b === 0x7b || b === 0x5b || b === 0x22 || isSpace(b)) break;
    if (b === 0x7d || b === 0x5d) return -1;
    k--;
  }
  return k === i ? -1 : k + 1;
}

/**
 * A 53-bit hash of buf[s, e) (two 32-bit murmur3-style lanes). `seedA` / `seedB` chain hashes of several
 * ranges. Used for grouping keys: equal bytes give equal hashes, and two different prompts of one step
 * collide with probability ~n² / 2^54.
 */
export function hashBytes(buf: Uint8Array, s: number, e: number, seedA = 0, seedB = 0): number {
  let h1 = (0x811c9dc5 ^ seedA) | 0;
  let h2 = (0x9e3779b9 ^ seedB) | 0;
  let i = s;
  const stop = e - 3;
  for (; i < stop; i += 4) {
    let k = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h1 ^= k;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    h2 = Math.imul(h2 ^ k, 0x85ebca6b);
    h2 ^= h2 >>> 13;
  }
  for (; i < e; i++) {
    h1 = Math.imul(h1 ^ buf[i], 0x01000193);
    h2 = Math.imul(h2 ^ buf[i], 0xc2b2ae35);
  }
  h1 ^= e - s;
  h2 ^= e - s;
  h1 = fmix32(h1);
  h2 = fmix32(h2 ^ h1);
  return (h1 >>> 0) * 0x200000 + (h2 >>> 11);
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** The two 32-bit seeds that chain a 53-bit `hashBytes` value into the next one. */
export function hashSeeds(h: number): [number, number] {
  return [h % 0x100000000 | 0, Math.floor(h / 0x100000000) | 0];
}

/** True when buf[a, b) equals the ASCII bytes of `key`. */
export function bytesEqual(buf: Buffer, a: number, b: number, key: Uint8Array): boolean {
  if (b - a !== key.length) return false;
  for (let k = 0; k < key.length; k++) if (buf[a + k] !== key[k]) return false;
  return true;
}

/** Result of `scanNumber` (reused: read it before the next call). */
export const scannedNumber = { value: 0, end: -1 };

const POW10: number[] = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
const TWO53 = 9007199254740992;

/**
 * Scans the number token at `p` (JSON number syntax, or Python's NaN / Infinity / -Infinity) without
 * allocating: fills `scannedNumber` and returns true, or returns false. Values are exactly what
 * Number() gives: the digits are combined in a double only while that is exact (≤ 2^53, power of ten
 * ≤ 22: one correctly rounded operation), else the token is converted by Number().
 */
export function scanNumber(buf: Uint8Array, p: number, end: number): boolean {
  let i = p;
  let neg = false;
  if (i < end && buf[i] === 0x2d) {
    neg = true;
    i++;
  }
  let m = 0;
  const ds = i;
  while (i < end) {
    const c = buf[i] - 0x30;
    if (c < 0 || c > 9) break;
    m = m * 10 + c;
    i++;
  }
  if (i === ds) {
    if (!neg && startsWithBytes(buf, i, end, 'NaN')) return setNumber(NaN, i + 3);
    if (startsWithBytes(buf, i, end, 'Infinity')) return setNumber(neg ? -Infinity : Infinity, i + 8);
    return false;
  }
  let scale = 0;
  if (i < end && buf[i] === 0x2e) {
    i++;
    const fs0 = i;
    while (i < end) {
      const c = buf[i] - 0x30;
      if (c < 0 || c > 9) break;
      m = m * 10 + c;
      i++;
    }
    if (i === fs0) return false;
    scale = i - fs0;
  }
  let e = 0;
  if (i < end && (buf[i] === 0x65 || buf[i] === 0x45)) {
    i++;
    let es = 1;
    if (i < end && (buf[i] === 0x2d || buf[i] === 0x2b)) {
      if (buf[i] === 0x2d) es = -1;
      i++;
    }
    const e0 = i;
    while (i < end) {
      const c = buf[i] - 0x30;
      if (c < 0 || c > 9) break;
      e = e * 10 + c;
      i++;
    }
    if (i === e0) return false;
    e *= es;
  }
  const e10 = e - scale;
  let v: number;
  if (m <= TWO53 && e10 >= -22 && e10 <= 22) {
    v = e10 < 0 ? m / POW10[-e10] : m * POW10[e10];
    if (neg) v = -v;
  } else {
    v = Number(latin1(buf, p, i));
  }
  return setNumber(v, i);
}

function setNumber(v: number, end: number): boolean {
  scannedNumber.value = v;
  scannedNumber.end = end;
  return true;
}

function latin1(buf: Uint8Array, a: number, b: number): string {
  if (Buffer.isBuffer(buf)) return latin1Of(buf, a, b);
  let out = '';
  for (let k = a; k < b; k++) out += String.fromCharCode(buf[k]);
  return out;
}

type Latin1Slicer = { latin1Slice?: (a: number, b: number) => string };

/** buf[a, b) as a latin1 string (one char per byte), without Buffer#toString's argument handling. */
export function latin1Of(buf: Buffer, a: number, b: number): string {
  const f = (buf as unknown as Latin1Slicer).latin1Slice;
  return typeof f === 'function' ? f.call(buf, a, b) : buf.toString('latin1', a, b);
}

function startsWithBytes(buf: Uint8Array, p: number, end: number, word: string): boolean {
  if (p + word.length > end) return false;
  for (let k = 0; k < word.length; k++) if (buf[p + k] !== word.charCodeAt(k)) return false;
  return true;
}

/** The number token at `p` (JSON number syntax, or NaN/Infinity/-Infinity) and where it ends. */
export function readNumberToken(buf: Buffer, p: number, end: number): { value: number; end: number } | null {
  return scanNumber(buf, p, end) ? { value: scannedNumber.value, end: scannedNumber.end } : null;
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
