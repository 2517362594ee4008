// Reader for the rollout-lens JSONL format (v1): one completion per line.
// Indexing streams the file once, keeps byte offsets in typed arrays and reads step / group_id /
// index_in_group / rewards by walking the raw bytes of each line (string-aware: a completion that
// contains `"reward": 5` is skipped as a string; no JSON.parse of whole lines). `read(i)` parses one line
// on demand with a positioned read. The open is progressive (`onPartial`), `refresh()` indexes what was
// appended, and the index can be persisted in a cache folder the caller owns (see ../scale/lineLog.ts).
// Never writes anything next to the log.

import * as path from 'path';
import { isUtf8 } from 'buffer';
import type { LogIssue } from '../model';
import { readImageInfoFromFile } from '../images';
import { resolveImagePath } from '../runs/resolveImage';
import {
  GrowableF64,
  WALK_BAD,
  WALK_DONE,
  bytesEqual,
  forEachMember,
  isSpace,
  parseJsonLenient,
  scanNumber,
  scannedNumber,
  startsWithAt,
  walkMembers,
  walkMembersBack,
} from './lineIndex';
import { ImageLookup, checkRequired, isObject, toRollout } from './rolloutLensRecord';
import type { AdvantageInfo, GroupingInfo, LogColumns, LogGroup, ReadOptions, RolloutLog } from './log';
import type { CachedArray } from './indexCache';
import type { RunContext } from '../runs/context';
import { LineLog, RefreshResult, errorMessage } from '../scale/lineLog';

export const FORMAT_ID = 'rollout-lens-jsonl';

export interface OpenOptions extends ReadOptions {
  /** Folder for the persisted index (the extension's global storage). Absent: nothing is written. */
  cacheDir?: string;
  /** False: an index for summaries only (no byte offsets kept; read(i) fails). */
  keepOffsets?: boolean;
  /** Index only this byte range (one part of a parallel index; see scale/parallel.ts). */
  range?: { from: number; to: number };
  /** Size the index for this many bytes (the first part of a parallel index). */
  reserveForBytes?: number;
}
export type { LogGroup, LogColumns, RefreshResult };
export { errorMessage };

export interface RolloutLensLog extends RolloutLog {
  readonly format: typeof FORMAT_ID;
  indexInGroupOf(recordIndex: number): number;
  /** The raw text of a record's line. */
  readLine(recordIndex: number): string;
  /** Index what was appended since the last pass (see RefreshResult). */
  refresh(): Promise<RefreshResult>;
  /** False while the progressive open is still indexing. */
  readonly complete: boolean;
  /** How a persisted index was used ('off' without opts.cacheDir). */
  readonly cacheStatus: 'off' | 'miss' | 'corrupt' | 'stale' | 'hit' | 'grown';
  /** Settles when the last cache write is done (never rejects). */
  readonly cacheWrite: Promise<void>;
}

/**
 * Open (index) a log. The promise resolves once the whole file is indexed; with `opts.onPartial` the log
 * is handed out after the first chunk and its counts grow until then (`complete` turns true).
 */
export async function openRolloutLensJsonl(file: string, opts: OpenOptions = {}): Promise<RolloutLensLog> {
  const log = new RolloutLensJsonlLog(file, opts);
  await log.begin();
  return log;
}

/** The key of a log's persisted index (see indexCache.ts). */
export function rolloutLensCacheKey(file: string, columns: boolean): string {
  return `${FORMAT_ID}\u0000${path.resolve(file)}\u0000columns=${columns}`;
}

// ---- byte-level extraction ----

/** Reward names met while indexing, matched by their bytes (no string per line). */
export class RewardKeys {
  readonly names: string[] = [];
  private readonly raw: Buffer[] = [];
  /** Index of the name whose JSON key bytes are buf[ks, ke) (added when new), or -1 for an undecodable key. */
  lookup(buf: Buffer, ks: number, ke: number): number {
    const n = ke - ks;
    for (let k = 0; k < this.raw.length; k++) {
      const r = this.raw[k];
      if (r.length === n && bytesEqual(buf, ks, ke, r)) return k;
    }
    let name: string;
    if (hasBackslash(buf, ks, ke)) {
      try {
        name = JSON.parse(buf.toString('utf8', ks - 1, ke + 1)) as string;
      } catch {
        return -1;
      }
    } else name = buf.toString('utf8', ks, ke);
    return this.add(name, Buffer.from(buf.subarray(ks, ke)));
  }
  /** Index of a decoded name (added when new). */
  byName(name: string): number {
    const k = this.names.indexOf(name);
    if (k >= 0) return k;
    return this.add(name, Buffer.from(JSON.stringify(name).slice(1, -1), 'utf8'));
  }
  private add(name: string, raw: Buffer): number {
    const dup = this.names.indexOf(name);
    if (dup >= 0) {
      // another spelling of a known name (escapes): remember the bytes too
      this.raw.push(raw);
      this.names.push(name);
      return dup;
    }
    this.names.push(name);
    this.raw.push(raw);
    return this.names.length - 1;
  }
  /** Distinct names in order of first appearance. */
  get distinct(): string[] {
    return [...new Set(this.names)];
  }
}

/** What indexing needs from one line. The object is reused: valid until the next extraction. */
export interface LineFields {
  step: number;
  groupId: string;
  indexInGroup: number;
  /** NaN when absent or null. */
  reward: number;
  rewardLogged: boolean;
  advantage: number;
  /** Reward names (RewardKeys indices) and values (NaN for null / non-numbers), in line order: the first `rewardCount` entries. */
  rewardIdx: number[];
  rewardVal: number[];
  rewardCount: number;
  hasRewards: boolean;
}

const K = {
  step: Buffer.from('step'),
  groupId: Buffer.from('group_id'),
  indexInGroup: Buffer.from('index_in_group'),
  completion: Buffer.from('completion'),
  rewards: Buffer.from('rewards'),
  reward: Buffer.from('reward'),
  advantage: Buffer.from('advantage'),
};

const F_STEP = 1;
const F_GROUP = 2;
const F_IIG = 4;
const F_COMPLETION = 8;
const F_REWARD = 16;
const F_ADVANTAGE = 32;
const F_REWARDS = 64;
const F_LEADING = F_STEP | F_GROUP | F_IIG;

// extraction state (module-level so the per-member callbacks allocate nothing per line)
const X = {
  buf: Buffer.alloc(0) as Buffer,
  keys: null as unknown as RewardKeys,
  groupId: null as string | null,
  hasCompletion: false,
  bad: false,
  found: 0,
  /** fields set by the backward walk (later in the line: they win, as in JSON.parse) */
  back: 0,
  backward: false,
  want: 0,
  nRewards: 0,
  f: { step: NaN, groupId: '', indexInGroup: NaN, reward: NaN, rewardLogged: false, advantage: NaN, rewardIdx: [], rewardVal: [], rewardCount: 0, hasRewards: false } as LineFields,
};

function onRewardMember(ks: number, ke: number, vs: number, ve: number): boolean {
  const k = X.keys.lookup(X.buf, ks, ke);
  if (k < 0) return false;
  const v = numberOrNullAt(X.buf, vs, ve);
  const n = X.nRewards++;
  X.f.rewardIdx[n] = k;
  X.f.rewardVal[n] = v === undefined ? NaN : v;
  return false;
}

/** May the member with flag `bit` be taken? Backward: only its last occurrence. */
function take(bit: number): boolean {
  if (X.backward) {
    if (X.back & bit) return false;
    X.back |= bit;
  }
  X.found |= bit;
  return true;
}

function onMember(ks: number, ke: number, vs: number, ve: number): boolean {
  const buf = X.buf;
  const f = X.f;
  switch (ke - ks) {
    case 4:
      if (bytesEqual(buf, ks, ke, K.step) && take(F_STEP)) f.step = intAt(buf, vs, ve);
      break;
    case 8:
      if (bytesEqual(buf, ks, ke, K.groupId) && take(F_GROUP)) X.groupId = groupIdAt(buf, vs, ve);
      break;
    case 14:
      if (bytesEqual(buf, ks, ke, K.indexInGroup) && take(F_IIG)) f.indexInGroup = intAt(buf, vs, ve);
      break;
    case 10:
      if (bytesEqual(buf, ks, ke, K.completion) && take(F_COMPLETION)) X.hasCompletion = buf[vs] === 0x22;
      break;
    case 6:
      if (bytesEqual(buf, ks, ke, K.reward) && take(F_REWARD)) {
        const n = numberOrNullAt(buf, vs, ve);
        if (n === undefined) X.bad = true;
        else {
          f.reward = n;
          f.rewardLogged = true;
        }
      }
      break;
    case 9:
      if (bytesEqual(buf, ks, ke, K.advantage) && take(F_ADVANTAGE)) {
        const n = numberOrNullAt(buf, vs, ve);
        if (n === undefined) X.bad = true;
        else f.advantage = n;
      }
      break;
    case 7:
      if (bytesEqual(buf, ks, ke, K.rewards) && take(F_REWARDS)) {
        X.nRewards = 0;
        f.hasRewards = false;
        if (buf[vs] === 0x7b) {
          f.hasRewards = true;
          if (!forEachMember(buf, vs, ve, onRewardMember)) X.bad = true;
        }
      }
      break;
  }
  if (X.backward) return (X.want & ~X.found) === 0;
  return (X.found & F_LEADING) === F_LEADING;
}

const SCRATCH_KEYS = new RewardKeys();

/**
 * Byte-level extraction of the indexed fields of one line buf[s, e); null when anything is unusual (the
 * JSON.parse path then explains or recovers). The object returned is reused (valid until the next call).
 *
 * Top-level members are walked exactly (strings skipped natively, nested values by bracket counting
 * outside strings), from both ends: forward until step, group_id and index_in_group are found, backward
 * from the closing brace until reward, advantage and rewards are found (or every member was visited). In
 * the usual key order the members in between (prompt, completion, reference: most of the bytes) are
 * never looked at; the completion there is taken on trust. Text inside strings never counts (a
 * completion containing `"reward": 5` is one string). Both modes (with or without columns) do the same
 * walk, so they accept the same lines; a line broken only in a member that was not visited is reported,
 * with its line, when the record is read.
 */
export function extractLineFields(buf: Buffer, s: number, e: number, keys: RewardKeys | null): LineFields | null {
  let last = e - 1;
  while (last > s && (buf[last] === 0x20 || buf[last] === 0x09 || buf[last] === 0x0d)) last--;
  if (buf[last] !== 0x7d) return null; // truncated or not an object
  const end = last + 1;
  const f = X.f;
  f.step = NaN;
  f.indexInGroup = NaN;
  f.reward = NaN;
  f.rewardLogged = false;
  f.advantage = NaN;
  f.hasRewards = false;
  X.nRewards = 0;
  X.buf = buf;
  X.keys = keys ?? SCRATCH_KEYS;
  X.groupId = null;
  X.hasCompletion = false;
  X.bad = false;
  X.found = 0;
  X.back = 0;
  X.backward = false;
  X.want = 0;
  let ok = true;
  let middleSkipped = false;
  const fwd = walkMembers(buf, s, end, onMember);
  if (fwd === WALK_BAD) ok = false;
  else if (fwd >= 0) {
    // the forward walk stopped after a member: find the comma after it, then walk back to it
    let c0 = fwd;
    while (c0 < end && isSpace(buf[c0])) c0++;
    if (buf[c0] !== 0x2c) ok = buf[c0] === 0x7d && c0 === last;
    else {
      X.want = (F_REWARD | F_ADVANTAGE | F_REWARDS) & ~X.found;
      X.backward = true;
      const back = X.want === 0 ? 0 : walkMembersBack(buf, s, end, c0, onMember);
      if (back === WALK_BAD) ok = false;
      else middleSkipped = back !== WALK_DONE;
    }
  }
  // a completion in the members not visited is taken on trust: read(i) reports it if it is not there
  if (middleSkipped && !(X.found & F_COMPLETION)) X.hasCompletion = true;
  X.buf = EMPTY;
  if (!ok || X.bad || !X.hasCompletion || X.groupId === null || !(f.step >= 0) || !(f.indexInGroup >= 0)) return null;
  f.groupId = X.groupId;
  f.rewardCount = X.nRewards;
  return f;
}

const EMPTY: Buffer = Buffer.alloc(0);

function hasBackslash(buf: Buffer, a: number, b: number): boolean {
  for (let i = a; i < b; i++) if (buf[i] === 0x5c) return true;
  return false;
}

/** Non-negative integer spanning buf[v, ve), else NaN. */
function intAt(buf: Buffer, v: number, ve: number): number {
  if (!scanNumber(buf, v, ve) || scannedNumber.end !== ve) return NaN;
  const n = scannedNumber.value;
  return Number.isInteger(n) && n >= 0 ? n : NaN;
}

function groupIdAt(buf: Buffer, v: number, ve: number): string | null {
  if (buf[v] === 0x22) {
    const close = ve - 1;
    if (!hasBackslash(buf, v + 1, close)) return buf.toString('utf8', v + 1, close);
    try {
      return JSON.parse(buf.toString('utf8', v, ve)) as string;
    } catch {
      return null;
    }
  }
  if (!scanNumber(buf, v, ve) || scannedNumber.end !== ve || !Number.isInteger(scannedNumber.value)) return null;
  return String(scannedNumber.value);
}

/** A number (NaN for null / NaN / ±Infinity), or undefined when buf[v, ve) is something else. */
function numberOrNullAt(buf: Buffer, v: number, ve: number): number | undefined {
  if (ve - v === 4 && startsWithAt(buf, v, ve, 'null')) return NaN;
  if (!scanNumber(buf, v, ve) || scannedNumber.end !== ve) return undefined;
  const n = scannedNumber.value;
  return Number.isFinite(n) ? n : NaN;
}

// ---- the log ----

const INCOMPLETE = Symbol('incomplete');

class RolloutLensJsonlLog extends LineLog implements RolloutLensLog {
  readonly format = FORMAT_ID;
  readonly stepKind = 'step' as const;
  readonly context: RunContext | null;
  private readonly wantColumns: boolean;
  private iig = new GrowableF64(4096, 0);
  private reward = new GrowableF64(4096);
  private adv = new GrowableF64(4096);
  private keys = new RewardKeys();
  private cols: GrowableF64[] = [];
  private anyAdvantage = false;
  /** step → group_id → group (the id strings are the groups' own: nothing extra per group). */
  private groupKeys = new Map<number, Map<string, number>>();
  private last = { step: NaN, groupId: '', group: -1 };
  private colView: { n: number; v: LogColumns } | null = null;
  private readonly imageRoots: string[];
  private readonly imageCache = new Map<string, ImageLookup>();
  private readonly logDir: string;

  constructor(
    file: string,
    private readonly ropts: OpenOptions,
  ) {
    super(file, [file], { chunkSize: ropts.chunkSize, maxIssues: ropts.maxIssues, onProgress: ropts.onProgress, onPartial: ropts.onPartial, cacheDir: ropts.range ? undefined : ropts.cacheDir, keepOffsets: ropts.keepOffsets, range: ropts.range, reserveForBytes: ropts.reserveForBytes });
    this.wantColumns = ropts.columns === true;
    this.context = ropts.context ?? null;
    this.imageRoots = ropts.imageRoots ?? [];
    this.logDir = path.dirname(path.resolve(file));
  }

  begin(): Promise<void> {
    return this.start();
  }

  get advantage(): AdvantageInfo {
    return { source: this.anyAdvantage ? 'logged' : this.wantColumns ? 'none' : 'logged' };
  }

  get grouping(): GroupingInfo {
    return { method: 'field', irregular: 0 };
  }

  get columns(): LogColumns | null {
    if (!this.wantColumns) return null;
    const n = this.recordCount;
    if (this.colView && this.colView.n === n && this.colView.v.reward.length === n && this.colView.v.reward.buffer === this.reward.view().buffer) return this.colView.v;
    this.reward.extendTo(n);
    this.adv.extendTo(n);
    const rewards = new Map<string, Float64Array>();
    this.keys.names.forEach((name, k) => {
      if (rewards.has(name)) return;
      const c = this.cols[k];
      c.extendTo(n);
      rewards.set(name, c.view());
    });
    const v: LogColumns = { reward: this.reward.view(), advantage: this.adv.view(), rewards };
    this.colView = { n, v };
    return v;
  }

  indexInGroupOf(i: number): number {
    return this.iig.get(i);
  }

  protected cacheKey(): string {
    return rolloutLensCacheKey(this.file, this.wantColumns);
  }

  protected override reserveFormat(cap: number): void {
    this.iig.reserve(cap);
    if (!this.wantColumns) return;
    this.reward.reserve(cap);
    this.adv.reserve(cap);
    for (const c of this.cols) c?.reserve(cap);
  }

  protected clearFormat(): void {
    this.iig.truncate(0);
    this.reward.truncate(0);
    this.adv.truncate(0);
    this.keys = new RewardKeys();
    this.cols = [];
    this.anyAdvantage = false;
    this.groupKeys.clear();
    this.last = { step: NaN, groupId: '', group: -1 };
    this.colView = null;
  }

  protected processLine(buf: Buffer, s: number, e: number, lineNo: number, fi: number, offset: number, utf8Ok: boolean, isTail: boolean): boolean {
    let f: LineFields | null = extractLineFields(buf, s, e, this.keys);
    if (!f) {
      const slow = this.extractSlow(buf, s, e, lineNo, isTail);
      if (slow === INCOMPLETE) return false;
      if (!slow) return true;
      f = slow;
    }
    const r = this.addRecord(fi, offset, e - s, lineNo, f.step);
    this.iig.set(r, f.indexInGroup);
    let g = this.last.group;
    if (f.step !== this.last.step || f.groupId !== this.last.groupId) {
      g = this.groupFor(f.step, f.groupId).group;
      this.last = { step: f.step, groupId: f.groupId, group: g };
    }
    const dup = this.gt.insertOrdered(r, g, this.iig);
    if (dup >= 0) {
      const grp = this.gt.raw[g];
      this.issue({
        file: this.file,
        line: lineNo,
        message: `duplicate index_in_group ${f.indexInGroup} in group ${grp.groupId} at step ${grp.step} (also on line ${this.lineNos.get(dup)})`,
        severity: 'warning',
      });
    }
    if (!utf8Ok) this.issue({ file: this.file, line: lineNo, message: 'the line holds bytes that are not valid UTF-8 (read as U+FFFD)', severity: 'warning' });
    if (!this.wantColumns) return true;
    let total = f.reward;
    if (f.hasRewards) {
      let sum = 0;
      let any = false;
      for (let j = 0; j < f.rewardCount; j++) {
        const k = f.rewardIdx[j];
        const v = f.rewardVal[j];
        const col = this.column(k);
        if (Number.isFinite(v)) {
          col.set(r, v);
          sum += v;
          any = true;
        }
      }
      if (!f.rewardLogged && any) total = sum;
    }
    this.reward.set(r, total);
    this.adv.set(r, f.advantage);
    if (!Number.isNaN(f.advantage)) this.anyAdvantage = true;
    return true;
  }

  /** The column of reward name k (names spelled differently share one column). */
  private column(k: number): GrowableF64 {
    let c = this.cols[k];
    if (!c) {
      const name = this.keys.names[k];
      const first = this.keys.names.indexOf(name);
      c = first < k && this.cols[first] ? this.cols[first] : new GrowableF64(Math.max(4096, this.recordCapacity));
      this.cols[k] = c;
      this.colView = null;
    }
    return c;
  }

  /** JSON.parse one line: recover its fields, or record a precise issue and return null. */
  private extractSlow(buf: Buffer, s: number, e: number, line: number, isTail: boolean): LineFields | null | typeof INCOMPLETE {
    const text = buf.toString('utf8', s, e);
    let value: unknown;
    try {
      value = parseJsonLenient(text).value;
    } catch (err) {
      if (isTail) return INCOMPLETE;
      this.issue({ file: this.file, line, message: `not valid JSON: ${errorMessage(err)}`, severity: 'error' });
      return null;
    }
    const req = checkRequired(value);
    if (typeof req === 'string') {
      this.issue({ file: this.file, line, message: req, severity: 'error' });
      return null;
    }
    const o = value as Record<string, unknown>;
    const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : NaN);
    const f: LineFields = {
      ...req,
      reward: num(o.reward),
      rewardLogged: typeof o.reward === 'number',
      advantage: num(o.advantage),
      rewardIdx: [],
      rewardVal: [],
      rewardCount: 0,
      hasRewards: isObject(o.rewards),
    };
    if (this.wantColumns && isObject(o.rewards)) {
      for (const [k, v] of Object.entries(o.rewards)) {
        f.rewardIdx.push(this.keys.byName(k));
        f.rewardVal.push(num(v));
        f.rewardCount++;
      }
    }
    return f;
  }

  protected formatSnapshot(): { meta: unknown; arrays: Record<string, CachedArray> } {
    const n = this.recordCount;
    const arrays: Record<string, CachedArray> = { iig: (this.iig.extendTo(n), this.iig.view()) };
    const names = this.keys.distinct;
    if (this.wantColumns) {
      this.reward.extendTo(n);
      this.adv.extendTo(n);
      arrays.reward = this.reward.view();
      arrays.advantage = this.adv.view();
      names.forEach((name, j) => {
        const c = this.cols[this.keys.names.indexOf(name)] ?? new GrowableF64(16);
        c.extendTo(n);
        arrays[`rw${j}`] = c.view();
      });
    }
    return { meta: { names, anyAdvantage: this.anyAdvantage }, arrays };
  }

  protected formatRestore(meta: unknown, a: Record<string, CachedArray>): void {
    const m = meta as { names: string[]; anyAdvantage: boolean };
    const n = this.recordCount;
    const need = (k: string): Float64Array => {
      const v = a[k];
      if (!(v instanceof Float64Array) || v.length !== n) throw new Error(`cache: bad ${k}`);
      return v;
    };
    this.iig = GrowableF64.wrap(need('iig'), 0);
    if (this.wantColumns) {
      this.reward = GrowableF64.wrap(need('reward'));
      this.adv = GrowableF64.wrap(need('advantage'));
      m.names.forEach((name, j) => {
        const k = this.keys.byName(name);
        this.cols[k] = GrowableF64.wrap(need(`rw${j}`));
      });
    }
    this.anyAdvantage = m.anyAdvantage;
    this.gt.raw.forEach((g, i) => this.stepKeys(g.step).set(g.groupId, i));
  }

  protected override formatAbsorb(meta: unknown, a: Record<string, CachedArray>, r0: number): void {
    const m = meta as { names: string[]; anyAdvantage: boolean };
    this.iig.extendTo(r0);
    this.iig.append(a.iig as Float64Array);
    this.colView = null;
    this.last = { step: NaN, groupId: '', group: -1 };
    if (!this.wantColumns) return;
    this.reward.extendTo(r0);
    this.reward.append(a.reward as Float64Array);
    this.adv.extendTo(r0);
    this.adv.append(a.advantage as Float64Array);
    m.names.forEach((name, j) => {
      const col = this.column(this.keys.byName(name));
      col.extendTo(r0);
      col.append(a[`rw${j}`] as Float64Array);
    });
    if (m.anyAdvantage) this.anyAdvantage = true;
    this.colView = null;
    this.last = { step: NaN, groupId: '', group: -1 };
  }

  protected override shiftIssue(i: LogIssue, lineOffset: number): LogIssue {
    const message = i.message.replace(/\(also on line (\d+)\)$/, (_m, n: string) => `(also on line ${Number(n) + lineOffset})`);
    return { ...i, line: i.line + lineOffset, message };
  }

  protected override absorbGroup(step: number, groupId: string): { group: number; merged: boolean } {
    return this.groupFor(step, groupId);
  }

  private stepKeys(step: number): Map<string, number> {
    let m = this.groupKeys.get(step);
    if (!m) this.groupKeys.set(step, (m = new Map()));
    return m;
  }

  /** The group of (step, group_id): an existing one, or a new one. */
  private groupFor(step: number, groupId: string): { group: number; merged: boolean } {
    const m = this.stepKeys(step);
    const found = m.get(groupId);
    if (found !== undefined) return { group: found, merged: true };
    const g = this.gt.create(step, groupId);
    m.set(groupId, g);
    return { group: g, merged: false };
  }

  /** Records of a merged group are inserted by index_in_group; a duplicate across the parts is reported as one pass would. */
  protected override addAbsorbed(g: number, r: number, merged: boolean, r0: number): void {
    if (!merged) {
      // the part's order (index_in_group, then file order) holds, and its duplicates were reported there
      this.gt.append(r, g);
      return;
    }
    const dup = this.gt.insertOrdered(r, g, this.iig);
    if (dup >= 0 && dup < r0) {
      const grp = this.gt.raw[g];
      this.issue({
        file: this.file,
        line: this.lineNos.get(r),
        message: `duplicate index_in_group ${this.iig.get(r)} in group ${grp.groupId} at step ${grp.step} (also on line ${this.lineNos.get(dup)})`,
        severity: 'warning',
      });
    }
  }

  private lookupImage = (logged: string): ImageLookup => {
    const hit = this.imageCache.get(logged);
    if (hit) return hit;
    const { resolved } = resolveImagePath(logged, { logDir: this.logDir, baseDirs: this.ropts.baseDirs, imageRoots: this.imageRoots, exists: this.ropts.exists });
    const found: ImageLookup = { resolved, info: resolved ? readImageInfoFromFile(resolved) : null };
    if (this.imageCache.size > 10000) this.imageCache.clear();
    this.imageCache.set(logged, found);
    return found;
  };

  read(i: number): ReturnType<RolloutLog['read']> {
    if (!this.inRange(i)) {
      return { rollout: null, issues: [{ file: this.file, line: 0, message: `no record ${i}: the log has ${this.recordCount} records`, severity: 'error' }] };
    }
    const line = this.lineOf(i);
    const fail = (message: string): { rollout: null; issues: LogIssue[] } => ({ rollout: null, issues: [{ file: this.file, line, message, severity: 'error' }] });
    let bytes: Buffer;
    try {
      bytes = this.readBytes(i);
    } catch (e) {
      return fail(`cannot read the line: ${errorMessage(e)}`);
    }
    const pre: LogIssue[] = [];
    if (!isUtf8(bytes)) pre.push({ file: this.file, line, message: 'the line holds bytes that are not valid UTF-8 (shown as U+FFFD)', severity: 'warning' });
    let value: unknown;
    try {
      const parsed = parseJsonLenient(bytes.toString('utf8'));
      value = parsed.value;
      if (parsed.replacedNonFinite) pre.push({ file: this.file, line, message: 'NaN/Infinity in the line read as null', severity: 'warning' });
    } catch (e) {
      return fail(`not valid JSON: ${errorMessage(e)}`);
    }
    const out = toRollout(value, { file: this.file, line, lookupImage: this.lookupImage, imageRoots: this.imageRoots });
    return { rollout: out.rollout, issues: [...pre, ...out.issues] };
  }
}
