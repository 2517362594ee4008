// Reader for verl rollout dumps (`trainer.rollout_data_dir` / `validation_data_dir`): `<global_step>.jsonl`,
// one JSON object per completion with `input`, `output`, `gts`, `score`, `step` and every key of a dict
// returned by compute_score (reference/formats.md §3.1). Rows are shuffled by balance_batch and the group
// uid is not dumped, so groups are rows of one step with the same input + gts (hashed from the raw bytes:
// no strings kept per row). No advantages are logged: they are recomputed per group (verl's GRPO default,
// unless the run context says otherwise) on `score`, verl's sequence sum of token-level scores.
// One file or a folder's worth (records numbered in int(stem) order); a folder is re-listed by
// `refresh()` (bounded: one directory, no recursion) so new step files and appended lines are picked up.
// Pure: no `vscode`; never writes next to the logs.

import * as fs from 'fs';
import * as path from 'path';
import { isUtf8 } from 'buffer';
import type { Box, BoxCoords, LogIssue, Rollout } from '../model';
import type { RunContext } from '../runs/context';
import { extractAnswer, parseQwen25Boxes } from '../geometry/qwen25';
import { normaliseBox } from '../geometry/smartResize';
import {
  GrowableF64,
  WALK_BAD,
  bytesEqual,
  hashBytes,
  hashSeeds,
  isSpace,
  skipValue,
  stringEnd,
  walkMembersBack,
  parseJsonLenient,
  scanNumber,
  scannedNumber,
  walkTopLevel,
} from './lineIndex';
import { AdvantageEstimator, AdvantageInfo, FormatReader, GroupingInfo, LogColumns, LogGroup, ReadOptions, RolloutLog, estimatorLabel, groupSizeMessage, naturalCompare, recomputeAdvantages } from './log';
import type { CachedArray } from './indexCache';
import { RewardKeys } from './rolloutLensJsonl';
import { LineLog, RefreshResult, errorMessage } from '../scale/lineLog';

export const VERL_FORMAT_ID = 'verl-jsonl';

export interface VerlOpenOptions extends ReadOptions {
  /** What the user opened: a step file or the dump folder (a folder is re-listed by refresh()). */
  target?: string;
  /** Folder for the persisted index. Absent: nothing is written. */
  cacheDir?: string;
  /** False: an index for summaries only (no byte offsets kept; read(i) fails). */
  keepOffsets?: boolean;
  /** Most step files listed in a folder (default 100 000). */
  maxFiles?: number;
  /** Some of a folder's files, indexed as one part of a parallel index: the folder is not listed (until absorbed). */
  part?: boolean;
  /** Size the index for this many bytes (the first part of a parallel index). */
  reserveForBytes?: number;
}

export interface VerlLog extends RolloutLog {
  readonly format: typeof VERL_FORMAT_ID;
  /** Always gathered (scores are needed for the advantages). */
  readonly columns: LogColumns;
  refresh(): Promise<RefreshResult>;
  readonly complete: boolean;
  readLine(recordIndex: number): string;
  readonly cacheStatus: 'off' | 'miss' | 'corrupt' | 'stale' | 'hit' | 'grown';
  readonly cacheWrite: Promise<void>;
}

export const VERL_DEFAULT_ESTIMATOR: AdvantageEstimator = {
  kind: 'grpo',
  epsilon: 1e-6,
  source: 'verl default (norm_adv_by_std_in_grpo)',
  assumed: true,
};

const STEP_FILE = /^(\d+)\.jsonl$/i;

/** Step files first by int(stem), then anything else in natural order. */
export function sortStepFiles(files: readonly string[]): string[] {
  const stem = (f: string): number => {
    const m = STEP_FILE.exec(path.basename(f));
    return m ? Number(m[1]) : NaN;
  };
  return [...files].sort((a, b) => {
    const sa = stem(a);
    const sb = stem(b);
    if (!Number.isNaN(sa) && !Number.isNaN(sb)) return sa - sb || naturalCompare(a, b);
    if (!Number.isNaN(sa)) return -1;
    if (!Number.isNaN(sb)) return 1;
    return naturalCompare(a, b);
  });
}

/** `<digits>.jsonl` files directly in `dir` (no recursion), by int(stem); at most `max`. */
export async function listVerlStepFiles(dir: string, max = 100_000): Promise<{ files: string[]; truncated: boolean }> {
  const out: string[] = [];
  let truncated = false;
  const d = await fs.promises.opendir(dir, { bufferSize: 256 });
  try {
    for await (const ent of d) {
      if (!STEP_FILE.test(ent.name) || !(ent.isFile() || ent.isSymbolicLink())) continue;
      if (out.length >= max) {
        truncated = true;
        break;
      }
      out.push(path.join(dir, ent.name));
    }
  } finally {
    await d.close().catch(() => undefined);
  }
  return { files: sortStepFiles(out), truncated };
}

/**
 * A verl dump line: the first non-blank line is a JSON object with `input` and `output` keys and `score`
 * or `step` (a line cut off by the end of `head` is judged by the top-level keys seen so far; a
 * `<digits>.jsonl` name then stands in for score / step).
 */
export function sniffVerl(file: string, head: Buffer): boolean {
  let p = 0;
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) p = 3;
  while (p < head.length && (head[p] === 0x20 || head[p] === 0x09 || head[p] === 0x0d || head[p] === 0x0a)) p++;
  if (p >= head.length || head[p] !== 0x7b) return false;
  let nl = head.indexOf(0x0a, p);
  const complete = nl >= 0;
  if (nl < 0) nl = head.length;
  const keys = new Set<string>();
  const ok = walkTopLevel(head, p, nl, (ks, ke) => {
    if (ke - ks <= 6) keys.add(head.toString('latin1', ks, ke));
    return false;
  });
  if (complete && !ok) return false;
  if (!keys.has('input') || !keys.has('output')) return false;
  if (keys.has('score') || keys.has('step')) return true;
  return !complete && STEP_FILE.test(path.basename(file));
}

// ---- byte-level extraction ----

/** What indexing needs from one line. Reused: valid until the next extraction (positions index the buffer). */
export interface VerlFields {
  /** Step from the line (NaN when absent). */
  step: number;
  /** The raw bytes of the input string (without quotes) and of the gts value (-1: none). */
  inS: number;
  inE: number;
  gS: number;
  gE: number;
  /** Numeric top-level keys (RewardKeys indices) and values (NaN for NaN / ±Infinity), in walk order: the first `numCount` entries. */
  numIdx: number[];
  numVal: number[];
  numCount: number;
}

const KV = {
  input: Buffer.from('input'),
  output: Buffer.from('output'),
  gts: Buffer.from('gts'),
  step: Buffer.from('step'),
  score: Buffer.from('score'),
};

const V = {
  buf: Buffer.alloc(0) as Buffer,
  start: 0,
  keys: null as unknown as RewardKeys,
  hasInput: false,
  hasOutput: false,
  bad: false,
  n: 0,
  backSeen: 0,
  f: { step: NaN, inS: 0, inE: 0, gS: -1, gE: -1, numIdx: [], numVal: [], numCount: 0 } as VerlFields,
};

function isNumberStart(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x4e /* N */ || b === 0x49 /* I */;
}

function onVerlMember(ks: number, ke: number, vs: number, ve: number): boolean {
  const buf = V.buf;
  const len = ke - ks;
  const f = V.f;
  if (len === 5 && bytesEqual(buf, ks, ke, KV.input)) {
    if (buf[vs] !== 0x22) V.bad = true;
    V.hasInput = true;
    f.inS = vs + 1;
    f.inE = ve - 1;
  } else if (len === 6 && bytesEqual(buf, ks, ke, KV.output)) {
    if (buf[vs] !== 0x22) V.bad = true;
    V.hasOutput = true;
  } else if (len === 3 && bytesEqual(buf, ks, ke, KV.gts)) {
    f.gS = vs;
    f.gE = ve;
  } else if (len === 4 && bytesEqual(buf, ks, ke, KV.step)) {
    if (scanNumber(buf, vs, ve) && scannedNumber.end === ve && Number.isInteger(scannedNumber.value) && scannedNumber.value >= 0) f.step = scannedNumber.value;
    else if (!(ve - vs === 4 && buf[vs] === 0x6e)) V.bad = true; // not an integer ≥ 0 (nor null): JSON.parse explains
  } else if (isNumberStart(buf[vs]) && scanNumber(buf, vs, ve) && scannedNumber.end === ve) {
    const k = V.keys.lookup(buf, ks, ke);
    if (k >= 0) {
      const v = scannedNumber.value;
      f.numIdx[V.n] = k;
      f.numVal[V.n++] = Number.isFinite(v) ? v : NaN;
    }
  }
  return false;
}

const SCRATCH_KEYS = new RewardKeys();

/**
 * Byte-level extraction of one verl line buf[s, e); null when anything is unusual (JSON.parse then
 * explains). String-aware: an output containing `"score": 5` or `"step": 99` is skipped as a string.
 * Every top-level member but the output string is visited (numeric keys are reward columns, whatever
 * their name); see `walkVerl`.
 */
export function extractVerlFields(buf: Buffer, s: number, e: number, keys: RewardKeys | null): VerlFields | null {
  let last = e - 1;
  while (last > s && (buf[last] === 0x20 || buf[last] === 0x09 || buf[last] === 0x0d)) last--;
  if (buf[last] !== 0x7d) return null;
  const end = last + 1;
  const f = V.f;
  f.step = NaN;
  f.gS = -1;
  f.gE = -1;
  V.n = 0;
  V.buf = buf;
  V.start = s;
  V.keys = keys ?? SCRATCH_KEYS;
  V.hasInput = false;
  V.hasOutput = false;
  V.bad = false;
  const ok = walkVerl(buf, s, end);
  V.buf = EMPTY;
  if (!ok || V.bad || !V.hasInput || !V.hasOutput) return null;
  f.numCount = V.n;
  return f;
}

/** Members met by the backward walk (handled afterwards in line order: columns keep the order of the line). */
const BACK: number[] = [];

/**
 * Backward from the end: stop at `gts` once `score` and `step` were met after it — verl's layout, where
 * the member before gts is the output. In any other order the walk goes on through everything.
 */
function onVerlMemberBack(ks: number, ke: number, vs: number, ve: number): boolean {
  BACK.push(ks, ke, vs, ve);
  const len = ke - ks;
  if (len === 4 && bytesEqual(V.buf, ks, ke, KV.step)) V.backSeen |= 1;
  else if (len === 5 && bytesEqual(V.buf, ks, ke, KV.score)) V.backSeen |= 2;
  return V.backSeen === 3 && len === 3 && bytesEqual(V.buf, ks, ke, KV.gts);
}

/**
 * Forward up to the key `output`, then backward from the closing brace down to `gts`: verl writes
 * input, output, gts, score, step, then the compute_score keys, so the output string (most of the bytes)
 * is the one member never looked at. Without `gts` (verl < 0.6), or in another key order, the backward
 * walk goes through every member.
 */
function walkVerl(buf: Buffer, s: number, end: number): boolean {
  let i = s;
  while (i < end && isSpace(buf[i])) i++;
  if (buf[i] !== 0x7b) return false;
  let sep = i; // the `{` or `,` before the current member
  i++;
  for (;;) {
    while (i < end && isSpace(buf[i])) i++;
    if (i >= end) return false;
    if (buf[i] === 0x7d) return buf[sep] === 0x7b;
    if (buf[i] !== 0x22) return false;
    const ke = stringEnd(buf, i, end);
    if (ke < 0) return false;
    const ks = i + 1;
    i = ke + 1;
    while (i < end && isSpace(buf[i])) i++;
    if (buf[i] !== 0x3a) return false;
    i++;
    while (i < end && isSpace(buf[i])) i++;
    const vs = i;
    if (ke - ks === 6 && bytesEqual(buf, ks, ke, KV.output)) {
      if (buf[vs] !== 0x22) return false;
      V.hasOutput = true;
      BACK.length = 0;
      V.backSeen = 0;
      const back = walkMembersBack(buf, s, end, sep, onVerlMemberBack);
      for (let k = BACK.length - 4; k >= 0; k -= 4) onVerlMember(BACK[k], BACK[k + 1], BACK[k + 2], BACK[k + 3]);
      return back !== WALK_BAD;
    }
    const ve = skipValue(buf, vs, end);
    if (ve < 0) return false;
    onVerlMember(ks, ke, vs, ve);
    i = ve;
    while (i < end && isSpace(buf[i])) i++;
    if (buf[i] === 0x2c) {
      sep = i;
      i++;
      continue;
    }
    return buf[i] === 0x7d;
  }
}

const EMPTY: Buffer = Buffer.alloc(0);

/** Key bytes of a parsed row: what json.dumps writes for input (without quotes) and gts. */
function keyOfParsed(input: string, gts: unknown): { kb: Buffer; inS: number; inE: number; gS: number; gE: number } {
  const inp = JSON.stringify(input);
  if (gts === undefined) {
    const kb = Buffer.from(inp, 'utf8');
    return { kb, inS: 1, inE: kb.length - 1, gS: -1, gE: -1 };
  }
  const a = Buffer.from(inp, 'utf8');
  const b = Buffer.from(JSON.stringify(gts) ?? 'null', 'utf8');
  const kb = Buffer.concat([a, b]);
  return { kb, inS: 1, inE: a.length - 1, gS: a.length, gE: kb.length };
}

/** A cheap hash of up to 48 sampled bytes of input (spread over it) and gts, plus their lengths. */
export function sampleHash(b: Uint8Array, inS: number, inE: number, gS: number, gE: number): number {
  let h = Math.imul(inE - inS, 0x9e3779b1) ^ (gS < 0 ? 0x7f4a7c15 : Math.imul(gE - gS, 0x85ebca6b));
  const n = inE - inS;
  const step = n > 32 ? Math.floor(n / 32) : 1;
  for (let i = inS; i < inE; i += step) h = Math.imul(h ^ b[i], 0x01000193);
  if (gS >= 0) {
    const gstep = gE - gS > 16 ? Math.floor((gE - gS) / 16) : 1;
    for (let i = gS; i < gE; i += gstep) h = Math.imul(h ^ b[i], 0x01000193);
  }
  return h >>> 0;
}

/** 53-bit hash of the whole key: input bytes, then gts bytes chained. */
export function fullKeyHash(b: Uint8Array, inS: number, inE: number, gS: number, gE: number): number {
  const hIn = hashBytes(b, inS, inE);
  if (gS < 0) return hIn;
  const [x, y] = hashSeeds(hIn);
  return hashBytes(b, gS, gE, x, y);
}

/** The content of the last `\boxed{…}` (balanced braces), trimmed. */
export function extractBoxed(text: string): string | undefined {
  const at = text.lastIndexOf('\\boxed{');
  if (at < 0) return undefined;
  let depth = 0;
  for (let j = at + 6; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x7b) depth++;
    else if (c === 0x7d) {
      depth--;
      if (depth === 0) return text.slice(at + 7, j).trim();
    }
  }
  return undefined;
}

const NUM = String.raw`(-?\d+(?:\.\d+)?)`;
const PLAIN_BOX = new RegExp(String.raw`^\[\s*${NUM}\s*,\s*${NUM}\s*,\s*${NUM}\s*,\s*${NUM}\s*\]$`);

/** [x1, y1, x2, y2] from a list or a string holding one. */
function boxOf(v: unknown): BoxCoords | null {
  let arr: unknown = v;
  if (typeof v === 'string') {
    const m = PLAIN_BOX.exec(v.trim());
    if (!m) return null;
    arr = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  }
  if (!Array.isArray(arr) || arr.length !== 4 || !arr.every((x) => typeof x === 'number' && Number.isFinite(x))) return null;
  return arr as BoxCoords;
}

// ---- the log ----

const INCOMPLETE = Symbol('incomplete');
/** Most key bytes remembered for the file being read (beyond, rows are matched by whole-key hash only). */
const ARENA_MAX = 64 * 1024 * 1024;

interface SlowFields {
  step: number;
  numIdx: number[];
  numVal: number[];
  /** The key bytes (as json.dumps writes them, as far as JSON.stringify agrees) and their ranges. */
  kb: Buffer;
  inS: number;
  inE: number;
  gS: number;
  gE: number;
}
const KNOWN = new Set(['input', 'output', 'gts', 'step']);

class VerlJsonlLog extends LineLog implements VerlLog {
  readonly format = VERL_FORMAT_ID;
  readonly stepKind = 'step' as const;
  readonly context: RunContext | null;
  private readonly folder: string | null;
  private readonly given: string[];
  private readonly estimator: AdvantageEstimator;
  private keys = new RewardKeys();
  private cols: GrowableF64[] = [];
  /** Total reward per record when it is not simply the `score` column (rows with `reward` but no score). */
  private totalOwn: GrowableF64 | null = null;
  private adv = new GrowableF64(4096);
  private gKey = new GrowableF64(1024, 0);
  private stepMaps = new Map<number, Map<number, number>>();
  /** Per step of the file being read: sample hash → [arena offset, input length, gts length (-1: none), group]… */
  private curMaps = new Map<number, Map<number, number[]>>();
  private arena: Buffer = Buffer.allocUnsafeSlow(256 * 1024);
  private arenaUsed = 0;
  private curFile = -1;
  private curKeyCount = 0;
  private stepGroups = new Map<number, number[]>();
  private dirtyGroups = new Set<number>();
  private dirtyAll = false;
  private groupInfo: GroupingInfo = { method: 'key', irregular: 0 };
  private fileSteps = new Map<number, number>();
  private colView: { n: number; names: number; v: LogColumns } | null = null;
  private listTruncated = false;
  /** Group keys of the part being absorbed. */
  private gKeyPart: Float64Array | null = null;
  /** Whether refresh() lists the folder (not while this is one part of a parallel index). */
  private listing = true;

  constructor(
    target: string,
    files: string[],
    folder: string | null,
    private readonly vopts: VerlOpenOptions,
  ) {
    super(target, files, { chunkSize: vopts.chunkSize, maxIssues: vopts.maxIssues, onProgress: vopts.onProgress, onPartial: vopts.onPartial, cacheDir: vopts.part ? undefined : vopts.cacheDir, keepOffsets: vopts.keepOffsets, reserveForBytes: vopts.reserveForBytes });
    this.listing = !vopts.part;
    this.folder = folder;
    this.given = files;
    this.context = vopts.context ?? null;
    const ctx = this.context;
    if (ctx?.advantageEstimator || ctx?.epsilon) {
      const kind = ctx.advantageEstimator?.value ?? 'grpo';
      this.estimator = {
        kind,
        epsilon: ctx.epsilon?.value ?? 1e-6,
        source: [...new Set([ctx.advantageEstimator?.source, ctx.epsilon?.source].filter(Boolean))].join(', ') || VERL_DEFAULT_ESTIMATOR.source,
        assumed: (ctx.advantageEstimator?.assumed ?? true) && (ctx.epsilon?.assumed ?? true),
      };
    } else this.estimator = VERL_DEFAULT_ESTIMATOR;
  }

  begin(): Promise<void> {
    return this.start();
  }

  // ---- RolloutLog extras ----

  get columns(): LogColumns {
    const n = this.recordCount;
    const names = this.keys.names.length;
    const cached = this.colView;
    const total = this.totalView();
    if (cached && cached.n === n && cached.names === names && cached.v.reward.buffer === total.buffer && cached.v.advantage.buffer === this.adv.view().buffer) return cached.v;
    this.adv.extendTo(n);
    const rewards = new Map<string, Float64Array>();
    this.keys.names.forEach((name, k) => {
      if (rewards.has(name) || !this.cols[k]) return;
      const c = this.cols[k];
      c.extendTo(n);
      rewards.set(name, c.view());
    });
    const v: LogColumns = { reward: this.totalView(), advantage: this.adv.view(), rewards };
    this.colView = { n, names, v };
    return v;
  }

  get advantage(): AdvantageInfo {
    const anyMulti = this.gt.raw.some((g) => g.records.length > 1);
    if (!anyMulti) return { source: 'none' };
    const est = this.estimator;
    const g = this.groupInfo;
    const gPart = g.groupSize ? `G = ${g.groupSize}${g.groupSizeAssumed ? ` (assumed: ${g.groupSizeSource})` : g.groupSizeSource ? ` (${g.groupSizeSource})` : ''}` : 'G = as grouped';
    return {
      source: 'recomputed',
      assumptions: `${estimatorLabel(est)}, ε = ${est.epsilon}${est.assumed ? ` (assumed: ${est.source})` : ` (${est.source})`}; ${gPart}; reward = score (verl: the sum of the token-level scores)`,
    };
  }

  get grouping(): GroupingInfo {
    return this.groupInfo;
  }

  // ---- LineLog hooks ----

  protected cacheKey(): string {
    return verlKey(this.file, this.folder, this.given);
  }

  protected override async discoverFiles(): Promise<string[] | null> {
    if (!this.folder || !this.listing) return null;
    let listed: { files: string[]; truncated: boolean };
    try {
      listed = await listVerlStepFiles(this.folder, this.vopts.maxFiles);
    } catch {
      return null;
    }
    this.listTruncated = listed.truncated;
    const set = new Set(listed.files);
    const extra = this.given.filter((f) => !set.has(f) && fs.existsSync(f));
    return sortStepFiles([...listed.files, ...extra]);
  }

  protected override reserveFormat(cap: number): void {
    this.totalOwn?.reserve(cap);
    this.adv.reserve(cap);
    for (const c of this.cols) c?.reserve(cap);
  }

  protected clearFormat(): void {
    this.keys = new RewardKeys();
    this.cols = [];
    this.totalOwn = null;
    this.adv.truncate(0);
    this.gKey.truncate(0);
    this.stepMaps.clear();
    this.curMaps.clear();
    this.curFile = -1;
    this.curKeyCount = 0;
    this.arenaUsed = 0;
    this.stepGroups.clear();
    this.dirtyGroups.clear();
    this.dirtyAll = false;
    this.groupInfo = { method: 'key', irregular: 0 };
    this.fileSteps.clear();
    this.colView = null;
  }

  /** The step a file's name gives (`12.jsonl` → 12), for rows without one. */
  private stepOfFile(fi: number): number {
    let s = this.fileSteps.get(fi);
    if (s === undefined) {
      const m = STEP_FILE.exec(path.basename(this.files[fi]));
      s = m ? Number(m[1]) : NaN;
      this.fileSteps.set(fi, s);
    }
    return s;
  }

  protected processLine(buf: Buffer, s: number, e: number, lineNo: number, fi: number, offset: number, utf8Ok: boolean, isTail: boolean): boolean {
    let step: number;
    let numIdx: number[];
    let numVal: number[];
    let numCount: number;
    let kb = buf;
    let inS: number;
    let inE: number;
    let gS: number;
    let gE: number;
    const fast = extractVerlFields(buf, s, e, this.keys);
    if (fast) {
      ({ step, numIdx, numVal, numCount, inS, inE, gS, gE } = fast);
    } else {
      const slow = this.extractSlow(buf, s, e, lineNo, fi, isTail);
      if (slow === INCOMPLETE) return false;
      if (!slow) return true;
      ({ step, numIdx, numVal, kb, inS, inE, gS, gE } = slow);
      numCount = numIdx.length;
    }
    const file = this.files[fi];
    if (Number.isNaN(step)) {
      step = this.stepOfFile(fi);
      if (Number.isNaN(step)) {
        this.issue({ file, line: lineNo, message: 'no step in the line and none in the file name: step 0 assumed', severity: 'warning' });
        step = 0;
      }
    }
    const r = this.addRecord(fi, offset, e - s, lineNo, step);
    const g = this.groupFor(fi, step, kb, inS, inE, gS, gE);
    this.gt.append(r, g);
    this.dirtyGroups.add(g);
    // rewards: every numeric key; the total is `score` (else a validation dump's `reward`)
    let score = NaN;
    let rewardKey = NaN;
    for (let j = 0; j < numCount; j++) {
      const k = numIdx[j];
      const v = numVal[j];
      this.column(k).set(r, v);
      const name = this.keys.names[k];
      if (name === 'score') score = v;
      else if (name === 'reward') rewardKey = v;
    }
    if (Number.isNaN(score) && !Number.isNaN(rewardKey)) this.ownTotal().set(r, rewardKey);
    else if (this.totalOwn) this.totalOwn.set(r, score);
    if (!utf8Ok) this.issue({ file, line: lineNo, message: 'the line holds bytes that are not valid UTF-8 (read as U+FFFD)', severity: 'warning' });
    return true;
  }

  /**
   * The group of a row: rows of one step with the same input + gts bytes. Within the file being read,
   * rows are matched by a hash of a sample of their key bytes and then an exact (native) byte comparison
   * with the group's first key (copies dropped when the next file starts); every group also keeps a 53-bit
   * hash of its whole key per step, so rows appended later, or a step spread over files, find it again.
   */
  private groupFor(fi: number, step: number, kb: Buffer, inS: number, inE: number, gS: number, gE: number): number {
    if (fi !== this.curFile || this.curKeyCount > 100_000) {
      this.curFile = fi;
      this.curMaps.clear();
      this.curKeyCount = 0;
      this.arenaUsed = 0;
    }
    const sh = sampleHash(kb, inS, inE, gS, gE);
    let m = this.curMaps.get(step);
    if (!m) this.curMaps.set(step, (m = new Map()));
    const bucket = m.get(sh);
    const inLen = inE - inS;
    const gLen = gS < 0 ? -1 : gE - gS;
    const arena = this.arena;
    if (bucket) {
      for (let j = 0; j < bucket.length; j += 4) {
        const at = bucket[j];
        if (bucket[j + 1] !== inLen || bucket[j + 2] !== gLen) continue;
        if (arena.compare(kb, inS, inE, at, at + inLen) !== 0) continue;
        if (gLen >= 0 && arena.compare(kb, gS, gE, at + inLen, at + inLen + gLen) !== 0) continue;
        return bucket[j + 3];
      }
    }
    const h = fullKeyHash(kb, inS, inE, gS, gE);
    let pm = this.stepMaps.get(step);
    if (!pm) this.stepMaps.set(step, (pm = new Map()));
    let g = pm.get(h);
    if (g === undefined) {
      g = this.gt.create(step);
      pm.set(h, g);
      this.gKey.set(g, h);
      let list = this.stepGroups.get(step);
      if (!list) this.stepGroups.set(step, (list = []));
      list.push(g);
    }
    // remember the key bytes in the file's arena (reused from file to file: nothing per group to collect)
    const at = this.arenaAppend(kb, inS, inE, gS, gE);
    if (at >= 0) {
      if (bucket) bucket.push(at, inLen, gLen, g);
      else m.set(sh, [at, inLen, gLen, g]);
    }
    this.curKeyCount++;
    return g;
  }

  /** Append a key's bytes to the arena; -1 when it is full (the row's group is then found by hash only). */
  private arenaAppend(kb: Buffer, inS: number, inE: number, gS: number, gE: number): number {
    const need = inE - inS + (gS < 0 ? 0 : gE - gS);
    if (this.arenaUsed + need > this.arena.length) {
      if (this.arenaUsed + need > ARENA_MAX) return -1;
      const next = Buffer.allocUnsafeSlow(Math.min(ARENA_MAX, Math.max(2 * this.arena.length, this.arenaUsed + need)));
      this.arena.copy(next, 0, 0, this.arenaUsed);
      this.arena = next;
    }
    const at = this.arenaUsed;
    kb.copy(this.arena, at, inS, inE);
    if (gS >= 0) kb.copy(this.arena, at + inE - inS, gS, gE);
    this.arenaUsed += need;
    return at;
  }

  /** The total reward column: `score` (verl's sequence score), unless some rows needed their own. */
  private totalView(): Float64Array {
    const n = this.recordCount;
    if (!this.totalOwn) {
      const k = this.keys.names.indexOf('score');
      if (k >= 0 && this.cols[k]) {
        this.cols[k].extendTo(n);
        return this.cols[k].view();
      }
    }
    const t = this.ownTotal();
    t.extendTo(n);
    return t.view();
  }

  private ownTotal(): GrowableF64 {
    if (!this.totalOwn) {
      const t = new GrowableF64(Math.max(4096, this.recordCapacity));
      const k = this.keys.names.indexOf('score');
      const score = k >= 0 ? this.cols[k] : undefined;
      if (score) for (let r = 0; r < score.length; r++) t.set(r, score.get(r));
      this.totalOwn = t;
      this.colView = null;
    }
    return this.totalOwn;
  }

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

  private extractSlow(buf: Buffer, s: number, e: number, line: number, fi: number, isTail: boolean): SlowFields | null | typeof INCOMPLETE {
    const file = this.files[fi];
    let value: unknown;
    try {
      value = parseJsonLenient(buf.toString('utf8', s, e)).value;
    } catch (err) {
      if (isTail) return INCOMPLETE;
      this.issue({ file, line, message: `not valid JSON: ${errorMessage(err)}`, severity: 'error' });
      return null;
    }
    const bad = (message: string): null => {
      this.issue({ file, line, message, severity: 'error' });
      return null;
    };
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad(`not a JSON object (got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value})`);
    const o = value as Record<string, unknown>;
    for (const k of ['input', 'output']) {
      if (!(k in o)) return bad(`missing required field ${k}`);
      if (typeof o[k] !== 'string') return bad(`field ${k} must be a string, got ${show(o[k])}`);
    }
    const f: SlowFields = { step: NaN, numIdx: [], numVal: [], ...keyOfParsed(o.input as string, o.gts) };
    if (o.step !== undefined && o.step !== null) {
      if (typeof o.step !== 'number' || !Number.isInteger(o.step) || o.step < 0) return bad(`field step must be an integer ≥ 0, got ${show(o.step)}`);
      f.step = o.step;
    }
    for (const [k, v] of Object.entries(o)) {
      if (KNOWN.has(k) || typeof v !== 'number') continue;
      f.numIdx.push(this.keys.byName(k));
      f.numVal.push(Number.isFinite(v) ? v : NaN);
    }
    return f;
  }

  /** Recompute the advantages of the groups that changed. */
  protected override afterBatch(): void {
    if (this.dirtyGroups.size === 0 && !this.dirtyAll) return;
    const n = this.recordCount;
    const total = this.totalView();
    this.adv.extendTo(n);
    const adv = this.adv.view();
    const raw = this.gt.raw;
    let ids: number[];
    if (this.dirtyAll) ids = raw.map((_, i) => i);
    else if (this.estimator.kind === 'batch') {
      // the batch std needs every group of the step
      const steps = new Set<number>();
      for (const g of this.dirtyGroups) steps.add(raw[g].step);
      ids = [];
      for (const s of steps) ids.push(...(this.stepGroups.get(s) ?? []));
    } else ids = [...this.dirtyGroups];
    const groups = ids.map((g) => raw[g]);
    for (const g of groups) for (const r of g.records) adv[r] = NaN;
    if (this.estimator.kind === 'grpo') grpoInPlace(groups, total, adv, this.estimator.epsilon);
    else recomputeAdvantages(groups, total, adv, this.estimator);
    this.dirtyGroups.clear();
    this.dirtyAll = false;
  }

  /** Group size (context, else the most common one) and one warning per group of another size. */
  protected override formatTransientIssues(): LogIssue[] {
    const raw = this.gt.raw;
    const hist = new Map<number, number>();
    for (const g of raw) hist.set(g.records.length, (hist.get(g.records.length) ?? 0) + 1);
    const ctxG = this.context?.groupSize;
    let G: number | undefined;
    let source: string | undefined;
    let assumed: boolean | undefined;
    if (ctxG && ctxG.value > 0) {
      G = ctxG.value;
      source = ctxG.source;
      assumed = ctxG.assumed;
    } else if (hist.size > 0) {
      let best = -1;
      let bestCount = -1;
      for (const [size, count] of hist) if (count > bestCount || (count === bestCount && size > best)) [best, bestCount] = [size, count];
      G = best;
      source = 'the most common group size in the log';
      assumed = true;
    }
    const out: LogIssue[] = [];
    let irregular = 0;
    const cap = (this.vopts.maxIssues ?? 1000) + 1;
    if (G !== undefined) {
      for (const g of this.gt.groups) {
        if (g.records.length === G) continue;
        irregular++;
        if (out.length < cap) {
          const first = g.records[0];
          out.push({
            ...this.sourceOf(first),
            message: groupSizeMessage(g.groupId, g.step, g.records.length, G, assumed === true, 'the same input and gts'),
            severity: 'warning',
          });
        }
      }
    }
    if (this.listTruncated && this.folder) {
      out.push({ file: this.folder, line: 0, message: `more than ${this.vopts.maxFiles ?? 100_000} step files: the rest are not read`, severity: 'warning' });
    }
    const info: GroupingInfo = { method: 'key', irregular };
    if (G !== undefined) {
      info.groupSize = G;
      if (source) info.groupSizeSource = source;
      if (assumed !== undefined) info.groupSizeAssumed = assumed;
    }
    this.groupInfo = info;
    return out;
  }

  protected formatSnapshot(): { meta: unknown; arrays: Record<string, CachedArray> } {
    const n = this.recordCount;
    this.afterBatch();
    this.adv.extendTo(n);
    this.gKey.extendTo(this.gt.count);
    const arrays: Record<string, CachedArray> = { advantage: this.adv.view(), gKey: this.gKey.view() };
    if (this.totalOwn) {
      this.totalOwn.extendTo(n);
      arrays.total = this.totalOwn.view();
    }
    const names = this.keys.distinct;
    names.forEach((name, j) => {
      const c = this.cols[this.keys.names.indexOf(name)] ?? new GrowableF64(16);
      c.extendTo(n);
      arrays[`c${j}`] = c.view();
    });
    return { meta: { names, estimator: estimatorSig(this.estimator), groupInfo: this.groupInfo }, arrays };
  }

  protected formatRestore(meta: unknown, a: Record<string, CachedArray>): void {
    const m = meta as { names: string[]; estimator: string; groupInfo: GroupingInfo };
    const n = this.recordCount;
    const f64 = (k: string, len: number): Float64Array => {
      const v = a[k];
      if (!(v instanceof Float64Array) || v.length !== len) throw new Error(`cache: bad ${k}`);
      return v;
    };
    this.totalOwn = a.total ? GrowableF64.wrap(f64('total', n)) : null;
    this.adv = GrowableF64.wrap(f64('advantage', n));
    this.gKey = GrowableF64.wrap(f64('gKey', this.gt.count), 0);
    m.names.forEach((name, j) => {
      this.cols[this.keys.byName(name)] = GrowableF64.wrap(f64(`c${j}`, n));
    });
    this.gt.raw.forEach((g, i) => {
      let map = this.stepMaps.get(g.step);
      if (!map) this.stepMaps.set(g.step, (map = new Map()));
      map.set(this.gKey.get(i), i);
      let list = this.stepGroups.get(g.step);
      if (!list) this.stepGroups.set(g.step, (list = []));
      list.push(i);
    });
    this.groupInfo = m.groupInfo ?? { method: 'key', irregular: 0 };
    if (m.estimator !== estimatorSig(this.estimator)) this.dirtyAll = true;
  }

  protected override formatAbsorb(meta: unknown, a: Record<string, CachedArray>, r0: number, n: number): void {
    const m = meta as { names: string[] };
    this.adv.extendTo(r0);
    this.adv.append(a.advantage as Float64Array);
    m.names.forEach((name, j) => {
      const col = this.column(this.keys.byName(name));
      col.extendTo(r0);
      col.append(a[`c${j}`] as Float64Array);
    });
    const total = a.total as Float64Array | undefined;
    if (total || this.totalOwn) {
      const t = this.ownTotal();
      const src = total ?? (a[`c${m.names.indexOf('score')}`] as Float64Array | undefined);
      for (let k = 0; k < n; k++) t.set(r0 + k, src ? src[k] : NaN);
    }
    this.gKeyPart = a.gKey as Float64Array;
    this.curFile = -1;
    this.colView = null;
  }

  override finishAbsorb(): void {
    this.listing = true;
    this.gKeyPart = null;
    super.finishAbsorb();
  }

  protected override absorbGroup(step: number, _groupId: string, g: number): { group: number; merged: boolean } {
    const h = this.gKeyPart![g];
    let pm = this.stepMaps.get(step);
    if (!pm) this.stepMaps.set(step, (pm = new Map()));
    const found = pm.get(h);
    if (found !== undefined) {
      // the same prompt in both parts (a step spread over files of both): its advantages are recomputed
      this.dirtyGroups.add(found);
      return { group: found, merged: true };
    }
    const ng = this.gt.create(step);
    pm.set(h, ng);
    this.gKey.set(ng, h);
    let list = this.stepGroups.get(step);
    if (!list) this.stepGroups.set(step, (list = []));
    list.push(ng);
    return { group: ng, merged: false };
  }

  // ---- records ----

  read(i: number): { rollout: Rollout | null; issues: LogIssue[] } {
    if (!this.inRange(i)) {
      return { rollout: null, issues: [{ file: this.file, line: 0, message: `no record ${i}: the log has ${this.recordCount} records`, severity: 'error' }] };
    }
    const source = this.sourceOf(i);
    const issues: LogIssue[] = [];
    const fail = (message: string): { rollout: null; issues: LogIssue[] } => ({ rollout: null, issues: [...issues, { ...source, message, severity: 'error' }] });
    let bytes: Buffer;
    try {
      bytes = this.readBytes(i);
    } catch (e) {
      return fail(`cannot read the line: ${errorMessage(e)}`);
    }
    if (!isUtf8(bytes)) issues.push({ ...source, message: 'the line holds bytes that are not valid UTF-8 (shown as U+FFFD)', severity: 'warning' });
    let value: unknown;
    try {
      const parsed = parseJsonLenient(bytes.toString('utf8'));
      value = parsed.value;
      if (parsed.replacedNonFinite) issues.push({ ...source, message: 'NaN/Infinity in the line read as null', severity: 'warning' });
    } catch (e) {
      return fail(`not valid JSON: ${errorMessage(e)}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('not a JSON object');
    const o = value as Record<string, unknown>;
    const input = typeof o.input === 'string' ? o.input : '';
    const output = typeof o.output === 'string' ? o.output : '';
    const g = this.gt.groups[this.groupOf(i)];
    const cols = this.columns;
    const known = new Set(cols.rewards.keys());
    const rewards: Record<string, number | null> = {};
    const extra: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
      if (KNOWN.has(k)) continue;
      if (typeof v === 'number' && Number.isFinite(v)) rewards[k] = v;
      else if (v === null && known.has(k)) rewards[k] = null;
      else extra[k] = v;
    }
    const total = cols.reward[i];
    const adv = cols.advantage[i];
    const rollout: Rollout = {
      step: this.stepOf(i),
      groupId: g.groupId,
      indexInGroup: g.records.indexOf(i),
      prompt: { text: input, images: [] },
      completion: output,
      reference: { boxes: [] },
      predicted: [],
      rewards,
      reward: Number.isNaN(total) ? null : total,
      advantage: Number.isNaN(adv) ? null : adv,
      advantageSource: Number.isNaN(adv) ? null : 'recomputed',
      generatedImages: [],
      extra,
      source,
    };
    const answer = extractAnswer(output) ?? extractBoxed(output);
    if (answer !== undefined) rollout.answer = answer;
    if (o.gts !== undefined && o.gts !== null) {
      rollout.reference.answer = typeof o.gts === 'string' ? o.gts : JSON.stringify(o.gts);
      const gb = boxOf(o.gts);
      if (gb) rollout.reference.boxes.push({ box: normaliseBox(gb), raw: gb, frame: 'original', frameAssumed: true, imageIndex: 0 });
    }
    for (const t of parseQwen25Boxes(output)) {
      const box: Box = { box: normaliseBox(t.raw), raw: t.raw, frame: 'original', frameAssumed: true, span: t.span, part: t.part };
      if (t.label !== undefined) box.label = t.label;
      rollout.predicted.push(box);
    }
    if (rollout.predicted.length === 0 && rollout.answer !== undefined) {
      // a bare [x1, y1, x2, y2] answer (VLM-R1-style REC prompts)
      const pb = boxOf(rollout.answer);
      if (pb) {
        const at = output.lastIndexOf(rollout.answer);
        const box: Box = { box: normaliseBox(pb), raw: pb, frame: 'original', frameAssumed: true, part: 'answer' };
        if (at >= 0) box.span = [at, at + rollout.answer.length];
        rollout.predicted.push(box);
      }
    }
    return { rollout, issues };
  }
}

/**
 * GRPO advantages, (r − mean) / (unbiased std + ε), with the same arithmetic as log.ts's
 * recomputeAdvantages (sums left to right) but one pass per group and no arrays: called for every
 * group of a 1 M-completion log.
 */
function grpoInPlace(groups: readonly LogGroup[], reward: Float64Array, adv: Float64Array, eps: number): void {
  for (const g of groups) {
    const recs = g.records;
    const n = recs.length;
    if (n < 2) continue;
    let sum = 0;
    let bad = false;
    for (let k = 0; k < n; k++) {
      const v = reward[recs[k]];
      if (Number.isNaN(v)) bad = true;
      sum += v;
    }
    if (bad) continue;
    const mean = sum / n;
    let ss = 0;
    for (let k = 0; k < n; k++) {
      const d = reward[recs[k]] - mean;
      ss += d * d;
    }
    const denom = Math.sqrt(ss / (n - 1)) + eps;
    for (let k = 0; k < n; k++) adv[recs[k]] = (reward[recs[k]] - mean) / denom;
  }
}

function estimatorSig(e: AdvantageEstimator): string {
  return `${e.kind}/${e.epsilon}`;
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 60) + '…' : s;
}

/**
 * Open verl step files as one log (records numbered in int(stem) order). With a folder as `opts.target`
 * (or files that all sit in one folder and are named `<step>.jsonl`), refresh() also picks up new step files.
 */
export async function openVerl(files: string[], opts: VerlOpenOptions = {}): Promise<VerlLog> {
  let target = opts.target;
  let folder: string | null = null;
  let list = [...files];
  if (target && isDirectory(target)) {
    folder = target;
    if (list.length === 0) list = (await listVerlStepFiles(target, opts.maxFiles)).files;
  } else if (!target) {
    if (list.length === 1) target = list[0];
    else {
      const dirs = new Set(list.map((f) => path.dirname(f)));
      target = dirs.size === 1 ? [...dirs][0] : list[0];
      if (dirs.size === 1 && list.every((f) => STEP_FILE.test(path.basename(f)))) folder = target;
    }
  }
  if (list.length === 0 && !folder) throw new Error('no verl step files to open');
  const log = new VerlJsonlLog(target ?? list[0], sortStepFiles(list), folder, opts);
  await log.begin();
  return log;
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function verlKey(target: string, folder: string | null, files: readonly string[]): string {
  const what = folder ? `folder=${path.resolve(folder)}` : `files=${files.map((f) => path.resolve(f)).join('\u0001')}`;
  return `${VERL_FORMAT_ID}\u0000${path.resolve(target)}\u0000${what}`;
}

/** The key of the persisted index of a verl log opened with this target (a folder, or the files). */
export function verlCacheKey(target: string, files: readonly string[]): string {
  return verlKey(target, isDirectory(target) ? target : null, files);
}

export const verlReader: FormatReader = {
  id: VERL_FORMAT_ID,
  sniff: sniffVerl,
  open: (files, opts) => openVerl(files, opts),
};
