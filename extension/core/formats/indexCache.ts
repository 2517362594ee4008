// Persisted offset indexes. An index (typed arrays + groups + issues + the state needed to extend it) is
// written into a cache folder the caller owns (the extension passes its global storage; the CLI passes
// nothing and nothing is written), one file per log, named by a hash of the log's key. It is valid for
// the files it was built from while their size and mtime are unchanged; a file that only grew loads the
// cached index and extends it (after checking the bytes before the old end). The cache is never written
// next to a user's log. A cache file that is truncated, corrupt or of another version is ignored.
// Pure: no `vscode`.
//
// Layout: "RLIDX002" | u32 header length | u32 0 | header JSON (padded to 8) | sections (each padded to 8)
//         | sha1 of everything before (20 bytes).

import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

const MAGIC = 'RLIDX002';
const VERSION = 2;

/** What a cached index remembers of each file it read. */
export interface CachedFile {
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
  /** Offset after the last line indexed (a line start). */
  indexedEnd: number;
  /** Last line number consumed. */
  lineNo: number;
  /** The last indexed line had no newline yet. */
  tailOpen: boolean;
  /** Base64 of the first and the last (up to) 64 bytes before indexedEnd. */
  head: string;
  tail: string;
}

export type CachedArray = Float64Array | Uint32Array;

export interface IndexSnapshot {
  format: string;
  /** Identifies the log: format, what was opened, and the options that change the index. */
  key: string;
  files: CachedFile[];
  /** Everything else, as JSON (groups, issues, reward names…). */
  meta: unknown;
  arrays: Record<string, CachedArray>;
}

export type CacheStatus =
  /** No cache folder, or no cache file for this key. */
  | 'miss'
  /** Unreadable, truncated, of another version or for another key. */
  | 'corrupt'
  /** A file shrank, vanished or was replaced: rebuild. */
  | 'stale'
  /** Every file has the size and mtime it had. */
  | 'hit'
  /** Some file has grown or changed mtime (or new files may exist): load, then extend by a refresh. */
  | 'grown';

/** The cache file of a key (a hash: the log's path never appears in the name). */
export function cacheFileFor(cacheDir: string, key: string): string {
  return path.join(cacheDir, crypto.createHash('sha1').update(key).digest('hex').slice(0, 24) + '.rlidx');
}

interface SectionInfo {
  name: string;
  type: 'f64' | 'u32';
  length: number;
  offset: number;
}

interface Header {
  v: number;
  format: string;
  key: string;
  files: CachedFile[];
  meta: unknown;
  sections: SectionInfo[];
}

const pad8 = (n: number): number => (n + 7) & ~7;

/** Write an index atomically (temporary file + rename). Returns the cache file. */
export async function saveIndex(cacheDir: string, snap: IndexSnapshot): Promise<string> {
  await fs.promises.mkdir(cacheDir, { recursive: true });
  const sections: SectionInfo[] = [];
  let off = 0;
  const bodies: Buffer[] = [];
  for (const [name, arr] of Object.entries(snap.arrays)) {
    const type = arr instanceof Float64Array ? 'f64' : 'u32';
    sections.push({ name, type, length: arr.length, offset: off });
    const bytes = Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength);
    bodies.push(bytes);
    const padded = pad8(bytes.length);
    if (padded > bytes.length) bodies.push(Buffer.alloc(padded - bytes.length));
    off += padded;
  }
  const header: Header = { v: VERSION, format: snap.format, key: snap.key, files: snap.files, meta: snap.meta, sections };
  const hjson = Buffer.from(JSON.stringify(header), 'utf8');
  const pre = Buffer.alloc(16 + pad8(hjson.length));
  pre.write(MAGIC, 0, 'latin1');
  pre.writeUInt32LE(hjson.length, 8);
  hjson.copy(pre, 16);
  const hash = crypto.createHash('sha1');
  hash.update(pre);
  for (const b of bodies) hash.update(b);
  const digest = hash.digest();
  const target = cacheFileFor(cacheDir, snap.key);
  const tmp = `${target}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  const fh = await fs.promises.open(tmp, 'w');
  try {
    await fh.writev([pre, ...bodies, digest]);
  } finally {
    await fh.close();
  }
  try {
    await fs.promises.rename(tmp, target);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
  return target;
}

/** Read a cached index for `key`; null with a status when there is none or it cannot be trusted. */
export async function loadIndex(cacheDir: string, key: string): Promise<{ snapshot: IndexSnapshot | null; status: 'miss' | 'corrupt' | 'ok'; reason?: string }> {
  const file = cacheFileFor(cacheDir, key);
  let raw: Buffer;
  try {
    const fh = await fs.promises.open(file, 'r');
    try {
      const size = (await fh.stat()).size;
      // its own ArrayBuffer at offset 0, so sections are 8-aligned views
      raw = Buffer.from(new ArrayBuffer(size));
      let got = 0;
      while (got < size) {
        const { bytesRead } = await fh.read(raw, got, size - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      if (got < size) return { snapshot: null, status: 'corrupt', reason: 'short read' };
    } finally {
      await fh.close();
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { snapshot: null, status: code === 'ENOENT' ? 'miss' : 'corrupt', reason: String(e) };
  }
  try {
    const snapshot = decode(raw, key);
    return { snapshot, status: 'ok' };
  } catch (e) {
    return { snapshot: null, status: 'corrupt', reason: e instanceof Error ? e.message : String(e) };
  }
}

function decode(raw: Buffer, key: string): IndexSnapshot {
  if (raw.length < 16 + 20 || raw.toString('latin1', 0, 8) !== MAGIC) throw new Error('not a Rollout Lens index cache');
  const hlen = raw.readUInt32LE(8);
  const bodyStart = 16 + pad8(hlen);
  if (bodyStart + 20 > raw.length) throw new Error('truncated header');
  const digest = crypto.createHash('sha1').update(raw.subarray(0, raw.length - 20)).digest();
  if (!digest.equals(raw.subarray(raw.length - 20))) throw new Error('checksum mismatch');
  const header = JSON.parse(raw.toString('utf8', 16, 16 + hlen)) as Header;
  if (header.v !== VERSION) throw new Error(`cache version ${header.v}`);
  if (header.key !== key) throw new Error('cache of another log (hash collision)');
  const bodyEnd = raw.length - 20;
  const arrays: Record<string, CachedArray> = {};
  for (const s of header.sections) {
    const width = s.type === 'f64' ? 8 : 4;
    const at = bodyStart + s.offset;
    if (!Number.isInteger(s.length) || s.length < 0 || at % 8 !== 0 || at + s.length * width > bodyEnd) throw new Error(`bad section ${s.name}`);
    arrays[s.name] = s.type === 'f64' ? new Float64Array(raw.buffer, raw.byteOffset + at, s.length) : new Uint32Array(raw.buffer, raw.byteOffset + at, s.length);
  }
  if (!Array.isArray(header.files)) throw new Error('bad file list');
  return { format: header.format, key: header.key, files: header.files, meta: header.meta, arrays };
}

/**
 * Whether a cached index still describes its files: 'hit' (all sizes and mtimes unchanged), 'grown'
 * (no file is shorter than what was indexed, some changed: extend it), 'stale' (rebuild).
 */
export async function classifySnapshot(snap: IndexSnapshot): Promise<{ status: 'hit' | 'grown' | 'stale'; reason?: string }> {
  let grown = false;
  const stats = await mapLimit(snap.files, 16, async (f) => {
    try {
      return await fs.promises.stat(f.path);
    } catch {
      return null;
    }
  });
  for (let k = 0; k < snap.files.length; k++) {
    const f = snap.files[k];
    const st = stats[k];
    if (!st) return { status: 'stale', reason: `${f.path} is gone` };
    if (f.ino && st.ino && f.ino !== st.ino) return { status: 'stale', reason: `${f.path} was replaced` };
    if (st.size < f.indexedEnd) return { status: 'stale', reason: `${f.path} shrank` };
    if (st.size !== f.size || st.mtimeMs !== f.mtimeMs) grown = true;
  }
  return { status: grown ? 'grown' : 'hit' };
}

/** Keep the cache folder bounded: drop the least recently written index files beyond `maxFiles` / `maxBytes`. */
export async function pruneCache(cacheDir: string, maxFiles = 64, maxBytes = 4 * 1024 ** 3): Promise<void> {
  let names: string[];
  try {
    names = (await fs.promises.readdir(cacheDir)).filter((n) => n.endsWith('.rlidx') || n.endsWith('.tmp'));
  } catch {
    return;
  }
  const now = Date.now();
  const entries: Array<{ p: string; mtime: number; size: number; tmp: boolean }> = [];
  for (const n of names) {
    const p = path.join(cacheDir, n);
    try {
      const st = await fs.promises.stat(p);
      entries.push({ p, mtime: st.mtimeMs, size: st.size, tmp: n.endsWith('.tmp') });
    } catch {
      /* gone */
    }
  }
  // temporary files of crashed writers (older than an hour)
  for (const e of entries) if (e.tmp && now - e.mtime > 3600_000) await fs.promises.rm(e.p, { force: true });
  const idx = entries.filter((e) => !e.tmp).sort((a, b) => b.mtime - a.mtime);
  let bytes = 0;
  for (let i = 0; i < idx.length; i++) {
    bytes += idx[i].size;
    if (i >= maxFiles || bytes > maxBytes) await fs.promises.rm(idx[i].p, { force: true });
  }
}

/** Run `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
