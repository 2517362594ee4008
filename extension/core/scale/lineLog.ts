// The incremental line index shared by the line-based readers (rollout-lens JSONL, verl step files):
// per-record byte offsets, lengths, line numbers and steps in typed arrays, groups kept incrementally,
// one or many files indexed in order, a progressive first pass (the log is usable after the first chunk),
// `refresh()` that indexes only what was appended (checking the bytes before the old end; a file that
// shrank or changed is re-indexed from scratch, with an issue), a half-written last line left for later,
// and an optional persisted copy of the index (../formats/indexCache.ts). Records are parsed only when
// read. Pure: no `vscode`; never writes next to a log.

import * as fs from 'fs';
import { isUtf8 } from 'buffer';
import { isMainThread } from 'worker_threads';
import type { LogIssue, SourceRef } from '../model';
import type { LogGroup, RolloutLog } from '../formats/log';
import {
  FINGERPRINT_BYTES,
  GrowableF64,
  GrowableU32,
  MAX_LINE_BYTES,
  ReadHandle,
  RunArray,
  SyncFileHandle,
  isBlank,
  isSpace,
  readFully,
  readFullySync,
  scanLineRange,
} from '../formats/lineIndex';
import { CacheStatus, CachedArray, CachedFile, IndexSnapshot, classifySnapshot, loadIndex, mapLimit, pruneCache, saveIndex } from '../formats/indexCache';
export type { IndexSnapshot };
import { GroupTable } from './groups';
import { IssueList, IssueListState } from './issues';

export interface LineLogOptions {
  /** Read size while indexing (default 4 MB). */
  chunkSize?: number;
  /** Most issues kept (default 1000). */
  maxIssues?: number;
  onProgress?(bytes: number, total: number): void;
  /** Called once, after the first chunk (or first file) is indexed, with the log that keeps growing. */
  onPartial?(log: RolloutLog): void;
  /** Folder for persisted indexes (the extension's global storage). Absent: nothing is written. */
  cacheDir?: string;
  /**
   * False: keep no byte offsets (records cannot be read; 12 bytes less per record). For summaries
   * computed from the index alone; never persisted.
   */
  keepOffsets?: boolean;
  /**
   * Index only bytes [from, to) of a single file (`from` at a line start, `to` just after a newline or the
   * end of the file), with line numbers counted from `from`: one part of a parallel index (see `absorb`).
   */
  range?: { from: number; to: number };
  /** Size the per-record arrays for this many bytes of log (the first part of a parallel index: all of it). */
  reserveForBytes?: number;
}

/** What the index knows of one file. */
interface FileState {
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
  /** Offset after the last consumed line (a line start, or the end of an unterminated last line). */
  indexedEnd: number;
  lineNo: number;
  /** The last consumed line had no newline (it was complete JSON): it must be followed by one. */
  tailOpen: boolean;
  head: Buffer;
  tail: Buffer;
  /** A half-written last line, reported as a warning until it is complete. */
  pending: LogIssue | null;
}

export interface RefreshResult {
  /** Records added (after a reset: all of them). */
  added: number;
  /** True when the log was re-indexed from scratch (record numbers changed). */
  reset: boolean;
}

const FP = FINGERPRINT_BYTES;

interface SnapshotMeta {
  groupIds: string[];
  issues: IssueListState;
  pending: Array<LogIssue | null>;
  format: unknown;
}
const MAX_OPEN_FDS = 32;
/** Files opened (and, when small, read) ahead of the one being indexed. */
const PREFETCH = 4;
const PREFETCH_BYTES = 1024 * 1024;

interface Prefetched {
  handle: ReadHandle;
  stat: fs.Stats;
  /** The whole file when it is small and was not indexed before (in a pooled buffer). */
  initial: Buffer | null;
  pooled: Buffer | null;
}

/** Reused read buffers for prefetched small files (thousands of step files must not churn memory). */
const bufferPool: Buffer[] = [];
function takeBuffer(): Buffer {
  return bufferPool.pop() ?? Buffer.allocUnsafeSlow(PREFETCH_BYTES);
}
function releaseBuffer(b: Buffer | null): void {
  if (b && bufferPool.length < PREFETCH + 2) bufferPool.push(b);
}

/** Open a file ahead and, when `readFirst` > 0, read its first bytes (at most `readFirst`, small files only). */
async function prefetchFile(p: string, readFirst: number, sizeHint: number): Promise<Prefetched | Error> {
  let handle: ReadHandle;
  try {
    // worker threads read small files synchronously: a thread-pool round trip per call costs more
    handle = !isMainThread && sizeHint >= 0 && sizeHint <= PREFETCH_BYTES ? SyncFileHandle.open(p) : await fs.promises.open(p, 'r');
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
  try {
    const stat = await handle.stat();
    let initial: Buffer | null = null;
    let pooled: Buffer | null = null;
    if (readFirst > 0 && stat.size > 0 && stat.size <= PREFETCH_BYTES) {
      pooled = takeBuffer();
      const got = await readFully(handle, pooled.subarray(0, Math.min(stat.size, readFirst)), 0);
      initial = pooled.subarray(0, got);
    }
    return { handle, stat, initial, pooled };
  } catch (e) {
    await handle.close().catch(() => undefined);
    return e instanceof Error ? e : new Error(String(e));
  }
}

function newFileState(p: string): FileState {
  return { path: p, size: 0, mtimeMs: 0, ino: 0, indexedEnd: 0, lineNo: 0, tailOpen: false, head: Buffer.alloc(0), tail: Buffer.alloc(0), pending: null };
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export abstract class LineLog {
  protected fstates: FileState[] = [];
  private fileIdx = new Map<string, number>();
  private filesView: string[] | null = null;
  /** File of each record, as runs (records of one file are consecutive but for appends to old files). */
  protected fileOfRec = new RunArray();
  protected starts = new GrowableF64(4096, 0);
  protected lens = new GrowableU32(4096);
  protected lineNos = new GrowableU32(4096);
  /** Step of each record, as runs (logs are written step by step). */
  protected stepArr = new RunArray();
  protected readonly gt = new GroupTable();
  protected readonly issueList: IssueList;
  private _complete = false;
  private queue: Promise<unknown> = Promise.resolve();
  private fds = new Map<number, number>();
  private partialSent = false;
  private unsaved = false;
  private progress = { base: 0, total: 0 };
  /** The byte range of a part being indexed for `absorb` (dropped once the parts are joined). */
  private range: { from: number; to: number } | null = null;
  private reserved = false;
  /** How the persisted index was used by the last open ('off' without a cache folder). */
  cacheStatus: CacheStatus | 'off' = 'off';
  /** Settles when the last cache write is done (it never rejects). */
  cacheWrite: Promise<void> = Promise.resolve();

  protected constructor(
    readonly file: string,
    files: readonly string[],
    protected readonly opts: LineLogOptions,
  ) {
    this.issueList = new IssueList(
      opts.maxIssues ?? 1000,
      (f) => this.fileIdx.get(f) ?? -1,
      () => this.file,
    );
    for (const f of files) this.addFileState(f);
    this.range = opts.range ?? null;
    this.applyRange();
  }

  private applyRange(): void {
    const range = this.range;
    if (range && this.fstates.length === 1) this.fstates[0].indexedEnd = range.from;
  }



  // ---- what the formats provide ----

  /**
   * Index one line (buf[s, e), no newline). Returns false only for a last line without newline that is
   * not complete JSON yet (it is then left for later); anything else is consumed (indexed or reported).
   */
  protected abstract processLine(buf: Buffer, s: number, e: number, lineNo: number, fi: number, offset: number, utf8Ok: boolean, isTail: boolean): boolean;
  /** Drop format-specific state (re-index from scratch). */
  protected abstract clearFormat(): void;
  /** Key of the persisted index: format, what was opened and options that change the index. */
  protected abstract cacheKey(): string;
  protected abstract formatSnapshot(): { meta: unknown; arrays: Record<string, CachedArray> };
  protected abstract formatRestore(meta: unknown, arrays: Record<string, CachedArray>): void;
  /** After each chunk / file: bring derived values (recomputed advantages…) up to date. */
  protected afterBatch(): void {}
  /** Issues recomputed after each pass (group sizes…). */
  protected formatTransientIssues(): LogIssue[] {
    return [];
  }
  /** The files the log consists of now (folders of step files find new ones); null keeps the list. */
  protected async discoverFiles(): Promise<string[] | null> {
    return null;
  }

  // ---- RolloutLog ----

  get recordCount(): number {
    return this.lineNos.length;
  }
  /** Room reserved for records (new per-record columns are sized to it). */
  protected get recordCapacity(): number {
    return this.lineNos.capacity;
  }
  private get keepOffsets(): boolean {
    return this.opts.keepOffsets !== false;
  }
  get files(): readonly string[] {
    return (this.filesView ??= this.fstates.map((f) => f.path));
  }
  get bytes(): number {
    let b = 0;
    for (const f of this.fstates) b += f.size;
    return b;
  }
  get complete(): boolean {
    return this._complete;
  }
  get groups(): LogGroup[] {
    return this.gt.groups;
  }
  get steps(): number[] {
    return this.gt.steps;
  }
  get issues(): LogIssue[] {
    return this.issueList.view;
  }
  /** File index of a record. */
  protected fileIndexOf(i: number): number {
    return this.fileOfRec.get(i);
  }
  sourceOf(i: number): SourceRef {
    return { file: this.fstates[this.fileIndexOf(i)]?.path ?? this.file, line: this.lineNos.get(i) };
  }
  lineOf(i: number): number {
    return this.lineNos.get(i);
  }
  stepOf(i: number): number {
    return this.stepArr.get(i);
  }
  groupOf(i: number): number {
    return this.gt.groupOf(i);
  }
  /** The file offset and byte length of a record's line. */
  extentOf(i: number): { file: string; offset: number; length: number } {
    return { file: this.fstates[this.fileIndexOf(i)].path, offset: this.starts.get(i), length: this.lens.get(i) };
  }
  protected inRange(i: number): boolean {
    return Number.isInteger(i) && i >= 0 && i < this.lineNos.length;
  }

  /** The raw bytes of a record's line (positioned read; a few files are kept open). */
  readBytes(i: number): Buffer {
    if (!this.inRange(i)) throw new RangeError(`no record ${i}: ${this.file} has ${this.recordCount} records`);
    if (!this.keepOffsets) throw new Error('this index was built for a summary only: records cannot be read');
    const fi = this.fileIndexOf(i);
    let fd = this.fds.get(fi);
    if (fd === undefined) {
      fd = fs.openSync(this.fstates[fi].path, 'r');
      this.fds.set(fi, fd);
      if (this.fds.size > MAX_OPEN_FDS) {
        const [oldFi, oldFd] = this.fds.entries().next().value as [number, number];
        this.fds.delete(oldFi);
        closeQuietly(oldFd);
      }
    }
    const len = this.lens.get(i);
    const buf = Buffer.allocUnsafe(len);
    const got = readFullySync(fd, buf, this.starts.get(i));
    if (got < len) throw new Error('the file is shorter than when it was indexed (was it truncated or rewritten?)');
    return buf;
  }

  /** The raw text of a record's line. */
  readLine(i: number): string {
    return this.readBytes(i).toString('utf8');
  }

  /**
   * Index what was appended since the last pass: grown files from their old end (after checking the bytes
   * before it), completed last lines, new step files. A file that shrank, was replaced or whose indexed
   * part changed makes the whole log re-index from scratch (`reset`, with a warning issue).
   */
  refresh(): Promise<RefreshResult> {
    return this.exclusive(async () => {
      const before = this.recordCount;
      const r = await this.update();
      if (r.reset) return { added: this.recordCount, reset: true };
      return { added: this.recordCount - before, reset: false };
    });
  }

  close(): void {
    for (const fd of this.fds.values()) closeQuietly(fd);
    this.fds.clear();
    if (this.unsaved && this.opts.cacheDir && this._complete) this.cacheWrite = this.saveCache();
  }

  /** Write the index to the cache folder now (default: the one it was opened with; no-op without one). */
  saveCache(dir: string | undefined = this.opts.cacheDir): Promise<void> {
    if (!dir || !this.keepOffsets) return Promise.resolve();
    const p = this.exclusive(async () => {
      const snap = this.snapshot();
      this.unsaved = false;
      await saveIndex(dir, snap);
      await pruneCache(dir);
    }).catch(() => {
      /* a cache that cannot be written is only slower next time */
    });
    this.cacheWrite = p;
    return p;
  }

  // ---- indexing ----

  /** The first pass: from the cache when it is valid (extended when files grew), else a full scan. */
  protected start(): Promise<void> {
    return this.exclusive(async () => {
      let loaded = false;
      if (this.opts.cacheDir && this.keepOffsets) {
        const { snapshot, status } = await loadIndex(this.opts.cacheDir, this.cacheKey());
        this.cacheStatus = status === 'ok' ? 'hit' : status;
        if (snapshot) {
          const c = await classifySnapshot(snapshot);
          this.cacheStatus = c.status;
          if (c.status !== 'stale') {
            try {
              this.restore(snapshot);
              loaded = true;
            } catch {
              this.cacheStatus = 'corrupt';
              this.clearAll();
            }
          }
        }
      }
      if (loaded) {
        this.afterBatch();
        this.sendPartial();
        // a grown file (or new step files) is extended like a refresh; a hit reads nothing
        if (this.cacheStatus === 'grown' || (await this.hasNewFiles())) await this.update();
        else this.finishPass();
      } else {
        this.clearAll();
        await this.indexAll();
        this.unsaved = true;
      }
      this._complete = true;
      this.opts.onProgress?.(this.bytes, this.bytes);
    }).then(() => {
      if (this.opts.cacheDir && this.unsaved) void this.saveCache();
    });
  }

  private async hasNewFiles(): Promise<boolean> {
    const found = await this.discoverFiles();
    return !!found && found.some((f) => !this.fileIdx.has(f));
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private addFileState(p: string): number {
    const fi = this.fstates.length;
    this.fstates.push(newFileState(p));
    this.fileIdx.set(p, fi);
    this.filesView = null;
    return fi;
  }

  /**
   * Size the per-record arrays once from an estimate of the final count (bytes to index / bytes per
   * record so far), instead of doubling: fewer copies and no freed halves left in the process.
   */
  protected reserve(n: number): void {
    const cap = Math.ceil(n);
    if (cap <= this.lineNos.capacity) return;
    if (this.keepOffsets) {
      this.starts.reserve(cap);
      this.lens.reserve(cap);
    }
    this.lineNos.reserve(cap);
    this.gt.recGroup.reserve(cap);
    this.reserveFormat(cap);
  }
  /** Reserve the format's per-record arrays. */
  protected reserveFormat(_cap: number): void {}

  private estimateFrom(bytesDone: number): void {
    const n = this.lineNos.length;
    const total = Math.max(this.progress.total, this.opts.reserveForBytes ?? 0);
    if (this.reserved || n < 256 || bytesDone <= 0 || total <= 0) return;
    this.reserved = true;
    this.reserve((total / bytesDone) * n * 1.05 + 1024);
  }

  private clearAll(): void {
    this.reserved = false;
    this.fileOfRec.truncate(0);
    this.starts.truncate(0);
    this.lens.truncate(0);
    this.lineNos.truncate(0);
    this.stepArr.truncate(0);
    this.gt.clear();
    this.issueList.clear();
    this.clearFormat();
    for (const st of this.fstates) Object.assign(st, newFileState(st.path));
    this.applyRange();
    for (const fd of this.fds.values()) closeQuietly(fd);
    this.fds.clear();
  }

  protected addRecord(fi: number, offset: number, length: number, lineNo: number, step: number): number {
    const r = this.lineNos.length;
    this.fileOfRec.push(fi);
    if (this.keepOffsets) {
      this.starts.push(offset);
      this.lens.push(length);
    }
    this.lineNos.push(lineNo);
    this.stepArr.push(step);
    return r;
  }

  protected issue(i: LogIssue): void {
    this.issueList.add(i);
  }

  private sendPartial(): void {
    if (this.partialSent || !this.opts.onPartial) return;
    this.partialSent = true;
    this.afterBatch();
    try {
      this.opts.onPartial(this as unknown as RolloutLog);
    } catch {
      /* the caller's problem */
    }
  }

  /** Index every file in order (bounded prefetch of the next files' handles). */
  private async indexAll(): Promise<void> {
    const found = await this.discoverFiles();
    if (found) for (const f of found) if (!this.fileIdx.has(f)) this.addFileState(f);
    const n = this.fstates.length;
    // sizes (for progress and the reserve estimate) come in while the first files are indexed
    let sizes: number[] | null = null;
    this.progress = { base: 0, total: 0 };
    if (n > 1) {
      void mapLimit(this.fstates, 16, async (st) => {
        try {
          return (await fs.promises.stat(st.path)).size;
        } catch {
          return 0;
        }
      }).then((s) => {
        sizes = s;
        this.progress.total = Math.max(this.progress.total, s.reduce((a, b) => a + b, 0));
      });
    }
    const opens = new Map<number, Promise<Prefetched | Error>>();
    const chunk = Math.max(64 * 1024, this.opts.chunkSize ?? 4 * 1024 * 1024);
    const prefetch = (k: number): void => {
      if (k < n && !opens.has(k)) opens.set(k, prefetchFile(this.fstates[k].path, this.fstates[k].indexedEnd === 0 ? chunk : 0, sizes?.[k] ?? -1));
    };
    try {
      for (let fi = 0; fi < n; fi++) {
        for (let d = 0; d <= PREFETCH; d++) prefetch(fi + d);
        const pre = await opens.get(fi)!;
        opens.delete(fi);
        if (pre instanceof Error) {
          if (n === 1) throw pre;
          this.issue({ file: this.fstates[fi].path, line: 0, message: `cannot read: ${pre.message}`, severity: 'error' });
        } else {
          try {
            await this.indexFile(fi, pre.handle, pre);
          } finally {
            releaseBuffer(pre.pooled);
          }
        }
        this.progress.base += this.fstates[fi].size;
        if (!this.reserved) this.estimateFrom(this.progress.base);
        this.afterBatch();
        this.sendPartial();
      }
    } finally {
      for (const p of opens.values()) {
        void p.then((x) => {
          if (x instanceof Error) return;
          releaseBuffer(x.pooled);
          return x.handle.close().catch(() => undefined);
        });
      }
    }
    this.finishPass();
  }

  private finishPass(): void {
    this.afterBatch();
    const transient: LogIssue[] = [];
    for (const st of this.fstates) if (st.pending) transient.push(st.pending);
    transient.push(...this.formatTransientIssues());
    this.issueList.setTransient(transient);
  }

  /**
   * Scan one file from its indexed end to its current end (the handle is closed here). The unterminated
   * last line is indexed when it is complete JSON (then `tailOpen`), else left as a pending warning.
   */
  private async indexFile(fi: number, handle: ReadHandle, pre?: Prefetched): Promise<void> {
    const st = this.fstates[fi];
    try {
      const stat = pre?.stat ?? (await handle.stat());
      const range = this.range;
      st.size = range ? Math.min(stat.size, range.to) : stat.size;
      st.mtimeMs = stat.mtimeMs;
      st.ino = stat.ino;
      st.pending = null;
      const base = this.progress.base - st.indexedEnd;
      const onProgress = this.opts.onProgress;
      const total = Math.max(this.progress.total, this.progress.base + st.size - (range ? range.from : 0));
      this.progress.total = total;
      const r = await scanLineRange(
        handle,
        st.indexedEnd,
        st.size,
        st.lineNo,
        (buf, s, e, lineNo, offset, ok) => void this.processLine(buf, s, e, lineNo, fi, offset, ok, false),
        {
          chunkSize: this.opts.chunkSize,
          checkUtf8: true,
          initial: pre?.initial && st.indexedEnd === 0 ? pre.initial : undefined,
          onProgress: onProgress ? (pos) => onProgress(base + pos, total) : undefined,
          onChunk: (pos) => {
            if (!this.reserved) this.estimateFrom(base + pos);
            if (!this.partialSent && this.opts.onPartial) this.sendPartial();
          },
          onLongLine: (lineNo, _off, len) =>
            this.issue({
              file: st.path,
              line: lineNo,
              message: `line is ${(len / 1048576).toFixed(0)} MB, longer than the ${MAX_LINE_BYTES / 1048576} MB a line may have: skipped`,
              severity: 'error',
            }),
        },
      );
      st.indexedEnd = r.end;
      st.lineNo = r.lineNo;
      st.tailOpen = false;
      if (r.head) st.head = r.head;
      if (r.end < st.size) {
        const tail = pre?.initial && pre.initial.length === st.size ? pre.initial.subarray(r.end) : await this.readTail(handle, r.end, st.size - r.end);
        this.indexTail(fi, handle, r.end, st.size - r.end, tail);
      }
      if (r.tail && st.indexedEnd === r.end && st.head.length === Math.min(FP, st.indexedEnd)) st.tail = Buffer.from(r.tail);
      else await this.fingerprint(st, handle);
      this.unsaved = true;
    } finally {
      // not awaited: closing thousands of step files one after the other is pure latency
      handle.close().catch(() => undefined);
    }
  }

  private async readTail(handle: ReadHandle, at: number, len: number): Promise<Buffer | null> {
    if (len > MAX_LINE_BYTES) return null;
    const b = Buffer.allocUnsafe(len);
    const got = await readFully(handle, b, at);
    return b.subarray(0, got);
  }

  private indexTail(fi: number, _h: ReadHandle, at: number, len: number, tail: Buffer | null): void {
    const st = this.fstates[fi];
    const lineNo = st.lineNo + 1;
    if (tail === null) {
      st.pending = {
        file: st.path,
        line: lineNo,
        message: `the last line has no newline yet and is already ${(len / 1048576).toFixed(0)} MB (longer than a line may be): not read`,
        severity: 'warning',
      };
      return;
    }
    if (isBlank(tail, 0, tail.length)) return;
    let e = tail.length;
    while (e > 0 && isSpace(tail[e - 1])) e--;
    const consumed = this.processLine(tail, 0, e, lineNo, fi, at, isUtf8(tail), true);
    if (consumed) {
      st.indexedEnd = at + tail.length;
      st.lineNo = lineNo;
      st.tailOpen = true;
    } else {
      st.pending = {
        file: st.path,
        line: lineNo,
        message: `not valid JSON yet: the last line has no newline (${tail.length} bytes so far; a log still being written?); it is read once complete`,
        severity: 'warning',
      };
    }
  }

  private async fingerprint(st: FileState, h: ReadHandle): Promise<void> {
    const end = st.indexedEnd;
    if (end <= 2 * FP) {
      const all = Buffer.alloc(end);
      await readFully(h, all, 0);
      st.head = all.subarray(0, Math.min(FP, end));
      st.tail = all.subarray(end - Math.min(FP, end));
      return;
    }
    const tail = Buffer.alloc(FP);
    if (st.head.length === FP) {
      // the first bytes were checked before this pass started
      await readFully(h, tail, end - FP);
    } else {
      const head = Buffer.alloc(FP);
      await Promise.all([readFully(h, head, 0), readFully(h, tail, end - FP)]);
      st.head = head;
    }
    st.tail = tail;
  }

  /** Check every file and index what is new; a changed file resets the log. */
  private async update(): Promise<{ reset: boolean }> {
    const found = await this.discoverFiles();
    if (found) {
      const set = new Set(found);
      const gone = this.fstates.find((st) => !set.has(st.path));
      if (gone) {
        await this.reindex(`${gone.path} is gone`, found);
        return { reset: true };
      }
    }
    const total = this.fstates.reduce((a, s) => a + s.size, 0);
    this.progress = { base: 0, total };
    const stats = await mapLimit(this.fstates, 16, async (st) => {
      try {
        return await fs.promises.stat(st.path);
      } catch {
        return null;
      }
    });
    for (let fi = 0; fi < this.fstates.length; fi++) {
      const st = this.fstates[fi];
      const stat = stats[fi];
      const reason = await this.updateFile(fi, stat);
      if (reason) {
        await this.reindex(`${st.path} ${reason}`, found);
        return { reset: true };
      }
      this.progress.base += st.size;
    }
    if (found) {
      for (const f of found) {
        if (this.fileIdx.has(f)) continue;
        const fi = this.addFileState(f);
        let h: ReadHandle;
        try {
          h = await fs.promises.open(f, 'r');
        } catch (e) {
          this.issue({ file: f, line: 0, message: `cannot read: ${errorMessage(e)}`, severity: 'error' });
          continue;
        }
        await this.indexFile(fi, h);
        this.afterBatch();
      }
    }
    this.finishPass();
    return { reset: false };
  }

  /** Null when the file is fine (its new lines indexed), else why the log must be re-indexed. */
  private async updateFile(fi: number, stat: fs.Stats | null): Promise<string | null> {
    const st = this.fstates[fi];
    if (!stat) return st.size > 0 || st.indexedEnd > 0 ? 'is gone' : null;
    if (st.ino && stat.ino && st.ino !== stat.ino) return 'was replaced';
    if (stat.size < st.indexedEnd) return `shrank from ${st.size} to ${stat.size} bytes`;
    if (stat.size === st.size && stat.mtimeMs === st.mtimeMs) return null;
    let h: ReadHandle;
    try {
      h = await fs.promises.open(st.path, 'r');
    } catch {
      return 'cannot be read any more';
    }
    let handed = false;
    try {
      // the bytes before the old end must be what was indexed
      const head = Buffer.alloc(st.head.length);
      await readFully(h, head, 0);
      const tail = Buffer.alloc(st.tail.length);
      await readFully(h, tail, st.indexedEnd - st.tail.length);
      if (!head.equals(st.head) || !tail.equals(st.tail)) return 'changed before the end that was indexed (rewritten?)';
      if (st.tailOpen && stat.size > st.indexedEnd) {
        const look = Buffer.alloc(Math.min(4096, stat.size - st.indexedEnd));
        const got = await readFully(h, look, st.indexedEnd);
        let k = 0;
        while (k < got && (look[k] === 0x20 || look[k] === 0x09 || look[k] === 0x0d)) k++;
        if (k < got) {
          if (look[k] !== 0x0a) return `line ${st.lineNo} was read as a complete last line but then continued`;
          st.indexedEnd += k + 1;
          st.tailOpen = false;
        }
      }
      if (stat.size > st.indexedEnd || st.pending) {
        handed = true;
        await this.indexFile(fi, h);
        this.afterBatch();
      } else {
        st.size = stat.size;
        st.mtimeMs = stat.mtimeMs;
        await this.fingerprint(st, h);
      }
      return null;
    } finally {
      if (!handed) await h.close();
    }
  }

  private async reindex(reason: string, found: string[] | null): Promise<void> {
    this.clearAll();
    if (found) {
      this.fstates = [];
      this.fileIdx.clear();
      this.filesView = null;
      for (const f of found) this.addFileState(f);
    }
    this.issue({ file: this.file, line: 0, message: `${reason}: re-indexed from the start (record numbers changed)`, severity: 'warning' });
    await this.indexAll();
    this.unsaved = true;
  }

  // ---- parallel indexing: parts built by other threads ----

  /** The index as standalone arrays (exact size, transferable) plus what `absorb` needs. */
  exportIndex(): IndexSnapshot {
    const snap = this.snapshot();
    for (const k of Object.keys(snap.arrays)) snap.arrays[k] = snap.arrays[k].slice();
    return snap;
  }

  /**
   * Append a part indexed by another thread: the next files (records, groups, issues appended; a group of
   * the same key in both is merged) or, with `sameFile`, the next byte range of this log's single file
   * (its line numbers are shifted by the lines read so far). Afterwards the log is what one pass over
   * everything would have built: call `finishAbsorb()` when all parts are in.
   */
  absorb(snap: IndexSnapshot, sameFile: boolean): void {
    const a = snap.arrays;
    const meta = snap.meta as SnapshotMeta;
    const n = a.lines.length;
    const r0 = this.recordCount;
    let lineOffset = 0;
    const fileMap: number[] = [];
    const fileState = (f: CachedFile): Partial<FileState> => ({
      size: f.size,
      mtimeMs: f.mtimeMs,
      ino: f.ino,
      indexedEnd: f.indexedEnd,
      lineNo: f.lineNo,
      tailOpen: f.tailOpen,
      tail: Buffer.from(f.tail, 'base64'),
    });
    if (sameFile) {
      this.range = null;
      const st = this.fstates[0];
      lineOffset = st.lineNo;
      Object.assign(st, fileState(snap.files[0]), { lineNo: lineOffset + snap.files[0].lineNo });
      const p = meta.pending?.[0];
      st.pending = p ? { ...p, line: p.line + lineOffset } : null;
      fileMap.push(0);
    } else {
      snap.files.forEach((f, i) => {
        const fi = this.addFileState(f.path);
        Object.assign(this.fstates[fi], fileState(f), { head: Buffer.from(f.head, 'base64'), pending: meta.pending?.[i] ?? null });
        fileMap.push(fi);
      });
    }
    this.reserve(r0 + n);
    const fileRuns = { s: a.fileRunStart as Uint32Array, v: a.fileRunVal as Float64Array };
    const stepRuns = { s: a.stepRunStart as Uint32Array, v: a.stepRunVal as Float64Array };
    this.fileOfRec.appendRuns(fileRuns.s, fileRuns.v, n, (v) => fileMap[v]);
    this.stepArr.appendRuns(stepRuns.s, stepRuns.v, n);
    this.lineNos.append(a.lines as Uint32Array, lineOffset);
    if (this.keepOffsets) {
      if (a.starts.length !== n) throw new Error('the part was indexed without byte offsets');
      this.starts.append(a.starts as Float64Array);
      this.lens.append(a.lens as Uint32Array);
    }
    this.formatAbsorb(meta.format, a, r0, n);
    const gStart = a.gStart as Uint32Array;
    const gRecs = a.gRecs as Uint32Array;
    for (let g = 0; g < a.gStep.length; g++) {
      const { group, merged } = this.absorbGroup(a.gStep[g], String(meta.groupIds[g]), g, meta.format, a);
      for (let j = gStart[g]; j < gStart[g + 1]; j++) this.addAbsorbed(group, r0 + gRecs[j], merged, r0);
    }
    for (const i of meta.issues.kept) this.issueList.add(sameFile && i.line > 0 ? this.shiftIssue(i, lineOffset) : i);
    this.issueList.addSuppressed(meta.issues.suppressed);
    this.unsaved = true;
  }

  /** After the last `absorb`: derived values and the issues that depend on everything. */
  finishAbsorb(): void {
    this.finishPass();
  }

  /** An issue of an absorbed part of the same file, its line numbers shifted by the lines before the part. */
  protected shiftIssue(i: LogIssue, lineOffset: number): LogIssue {
    return { ...i, line: i.line + lineOffset };
  }

  /** Format arrays of an absorbed part (records r0 … r0 + n − 1). */
  protected formatAbsorb(_meta: unknown, _a: Record<string, CachedArray>, _r0: number, _n: number): void {
    throw new Error(`${this.constructor.name} cannot absorb parts`);
  }
  /** The group an absorbed part's group g goes to: an existing one with the same key (merged), or a new one. */
  protected absorbGroup(_step: number, _groupId: string, _g: number, _meta: unknown, _a: Record<string, CachedArray>): { group: number; merged: boolean } {
    throw new Error(`${this.constructor.name} cannot absorb parts`);
  }
  /** Add absorbed record r to group g (records before r0 were indexed here). */
  protected addAbsorbed(g: number, r: number, _merged: boolean, _r0: number): void {
    this.gt.append(r, g);
  }

  // ---- persisted index ----

  private snapshot(): IndexSnapshot {
    const groups = this.gt.raw;
    const n = this.recordCount;
    const gStep = new Float64Array(groups.length);
    const gStart = new Uint32Array(groups.length + 1);
    const gRecs = new Uint32Array(n);
    let k = 0;
    groups.forEach((g, i) => {
      gStep[i] = g.step;
      gStart[i] = k;
      for (const r of g.records) gRecs[k++] = r;
    });
    gStart[groups.length] = k;
    const files: CachedFile[] = this.fstates.map((st) => ({
      path: st.path,
      size: st.size,
      mtimeMs: st.mtimeMs,
      ino: st.ino,
      indexedEnd: st.indexedEnd,
      lineNo: st.lineNo,
      tailOpen: st.tailOpen,
      head: st.head.toString('base64'),
      tail: st.tail.toString('base64'),
    }));
    const fmt = this.formatSnapshot();
    const issues: IssueListState = this.issueList.state();
    const fileRuns = this.fileOfRec.runs();
    const stepRuns = this.stepArr.runs();
    return {
      format: this.cacheKey().split('\u0000')[0],
      key: this.cacheKey(),
      files,
      meta: { groupIds: groups.map((g) => g.groupId), issues, pending: this.fstates.map((s) => s.pending), format: fmt.meta },
      arrays: {
        fileRunStart: fileRuns.starts,
        fileRunVal: fileRuns.values,
        starts: this.starts.view(),
        lens: this.lens.view(),
        lines: this.lineNos.view(),
        stepRunStart: stepRuns.starts,
        stepRunVal: stepRuns.values,
        recGroup: this.gt.recGroup.view(),
        gStep,
        gStart,
        gRecs,
        ...fmt.arrays,
      },
    };
  }

  private restore(snap: IndexSnapshot): void {
    const a = snap.arrays;
    const meta = snap.meta as SnapshotMeta;
    const need = ['fileRunStart', 'fileRunVal', 'starts', 'lens', 'lines', 'stepRunStart', 'stepRunVal', 'recGroup', 'gStep', 'gStart', 'gRecs'];
    for (const k of need) if (!a[k]) throw new Error(`cache lacks ${k}`);
    const n = a.starts.length;
    for (const k of ['lens', 'lines', 'recGroup', 'gRecs']) if (a[k].length !== n) throw new Error(`cache: ${k} has the wrong length`);
    const ng = a.gStep.length;
    if (a.gStart.length !== ng + 1 || !Array.isArray(meta.groupIds) || meta.groupIds.length !== ng) throw new Error('cache: bad groups');
    this.clearAll();
    this.fstates = [];
    this.fileIdx.clear();
    this.filesView = null;
    snap.files.forEach((f, i) => {
      const fi = this.addFileState(f.path);
      Object.assign(this.fstates[fi], {
        size: f.size,
        mtimeMs: f.mtimeMs,
        ino: f.ino,
        indexedEnd: f.indexedEnd,
        lineNo: f.lineNo,
        tailOpen: f.tailOpen,
        head: Buffer.from(f.head, 'base64'),
        tail: Buffer.from(f.tail, 'base64'),
        pending: meta.pending?.[i] ?? null,
      });
    });
    this.fileOfRec = RunArray.fromRuns(a.fileRunStart as Uint32Array, a.fileRunVal as Float64Array, n);
    for (const f of a.fileRunVal) if (!(f >= 0 && f < snap.files.length && Number.isInteger(f))) throw new Error('cache: bad file of a record');
    // views into the loaded cache file: no copy until an array grows
    this.starts = GrowableF64.wrap(a.starts as Float64Array, 0);
    this.lens = GrowableU32.wrap(a.lens as Uint32Array);
    this.lineNos = GrowableU32.wrap(a.lines as Uint32Array);
    this.stepArr = RunArray.fromRuns(a.stepRunStart as Uint32Array, a.stepRunVal as Float64Array, n);
    const recs = a.gRecs as Uint32Array;
    const gStart = a.gStart as Uint32Array;
    const groups: LogGroup[] = new Array(ng);
    for (let g = 0; g < ng; g++) {
      const s = gStart[g];
      const e = gStart[g + 1];
      if (e < s || e > n) throw new Error('cache: bad group bounds');
      const list = new Array<number>(e - s);
      for (let j = s; j < e; j++) list[j - s] = recs[j];
      groups[g] = { step: a.gStep[g], groupId: String(meta.groupIds[g]), records: list };
    }
    const recGroup = GrowableU32.wrap(a.recGroup as Uint32Array);
    for (let r = 0; r < n; r++) if (recGroup.get(r) >= ng) throw new Error('cache: bad group of a record');
    this.gt.restore(groups, recGroup);
    this.issueList.restore(meta.issues);
    this.formatRestore(meta.format, a);
  }
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    /* already closed */
  }
}
