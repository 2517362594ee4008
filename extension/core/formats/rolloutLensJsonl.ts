// Reader for the rollout-lens JSONL format (v1): one completion per line.
// Indexing streams the file once, keeps byte offsets in typed arrays and reads step / group_id /
// index_in_group / rewards by scanning the raw bytes of each line (no JSON.parse of whole lines).
// `read(i)` parses one line on demand with a positioned read. Never writes anything to disk.

import * as fs from 'fs';
import * as path from 'path';
import type { LogIssue } from '../model';
import { readImageInfoFromFile } from '../images';
import { resolveImagePath } from '../runs/resolveImage';
import {
  GrowableF64,
  bytesEqual,
  parseJsonLenient,
  readNumberToken,
  scanLines,
  startsWithAt,
  stringEnd,
  walkTopLevel,
  isSpace,
} from './lineIndex';
import { ImageLookup, checkRequired, isObject, toRollout } from './rolloutLensRecord';
import type { LogColumns, LogGroup, ReadOptions, RolloutLog } from './log';

export const FORMAT_ID = 'rollout-lens-jsonl';

export type OpenOptions = ReadOptions;
export type { LogGroup, LogColumns };

export interface RolloutLensLog extends RolloutLog {
  readonly format: typeof FORMAT_ID;
  indexInGroupOf(recordIndex: number): number;
  /** The raw text of a record's line. */
  readLine(recordIndex: number): string;
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

/** What indexing needs from one line. */
interface LineFields {
  step: number;
  groupId: string;
  indexInGroup: number;
  reward: number; // NaN when absent or null
  rewardLogged: boolean;
  advantage: number;
  rewards: Record<string, number | null> | null;
}

export async function openRolloutLensJsonl(file: string, opts: OpenOptions = {}): Promise<RolloutLensLog> {
  const maxIssues = opts.maxIssues ?? 1000;
  const issues: LogIssue[] = [];
  let suppressed = 0;
  const addIssue = (issue: LogIssue): void => {
    if (issues.length < maxIssues) issues.push(issue);
    else suppressed++;
  };

  const starts = new GrowableF64(4096, 0);
  const ends = new GrowableF64(4096, 0);
  const lines = new GrowableF64(4096, 0);
  const steps = new GrowableF64(4096, 0);
  const indexInGroup = new GrowableF64(4096, 0);
  const groupOfRec = new GrowableF64(4096, 0);
  const reward = new GrowableF64(4096);
  const advantage = new GrowableF64(4096);
  const rewardCols = new Map<string, GrowableF64>();
  const groupKeys = new Map<string, number>();
  const rawGroups: LogGroup[] = [];

  const wantColumns = opts.columns === true;
  let lastStep = NaN;
  let lastGroupId = '';
  let lastGroup = -1;
  const { bytes } = await scanLines(
    file,
    (buf, s, e, lineNo, offset) => {
      const f = extractFast(buf, s, e, wantColumns) ?? extractSlow(buf, s, e, file, lineNo, addIssue);
      if (!f) return;
      const r = starts.length;
      starts.push(offset);
      ends.push(offset + (e - s));
      lines.push(lineNo);
      steps.push(f.step);
      indexInGroup.push(f.indexInGroup);
      let g = lastGroup;
      if (f.step !== lastStep || f.groupId !== lastGroupId) {
        const key = `${f.step}\u0000${f.groupId}`;
        let found = groupKeys.get(key);
        if (found === undefined) {
          found = rawGroups.length;
          groupKeys.set(key, found);
          rawGroups.push({ step: f.step, groupId: f.groupId, records: [] });
        }
        g = lastGroup = found;
        lastStep = f.step;
        lastGroupId = f.groupId;
      }
      rawGroups[g].records.push(r);
      groupOfRec.push(g);
      if (!wantColumns) return;
      let total = f.reward;
      if (f.rewards) {
        let sum = 0;
        let any = false;
        for (const [name, v] of Object.entries(f.rewards)) {
          let col = rewardCols.get(name);
          if (!col) rewardCols.set(name, (col = new GrowableF64(4096)));
          if (typeof v === 'number' && Number.isFinite(v)) {
            col.set(r, v);
            sum += v;
            any = true;
          }
        }
        if (!f.rewardLogged && any) total = sum;
      }
      reward.set(r, total);
      advantage.set(r, f.advantage);
    },
    { chunkSize: opts.chunkSize, onProgress: opts.onProgress },
  );

  const recordCount = starts.length;
  // groups in (step, first appearance) order; records by index_in_group
  const order = rawGroups.map((_, i) => i).sort((a, b) => rawGroups[a].step - rawGroups[b].step || a - b);
  const groups = order.map((i) => rawGroups[i]);
  const remap = new Uint32Array(rawGroups.length);
  order.forEach((oldIdx, newIdx) => (remap[oldIdx] = newIdx));
  const groupOf = new Uint32Array(recordCount);
  for (let r = 0; r < recordCount; r++) groupOf[r] = remap[groupOfRec.get(r)];
  for (const g of groups) {
    g.records.sort((a, b) => indexInGroup.get(a) - indexInGroup.get(b) || a - b);
    for (let k = 1; k < g.records.length; k++) {
      const prev = g.records[k - 1];
      const cur = g.records[k];
      if (indexInGroup.get(prev) === indexInGroup.get(cur)) {
        addIssue({
          file,
          line: lines.get(cur),
          message: `duplicate index_in_group ${indexInGroup.get(cur)} in group ${g.groupId} at step ${g.step} (also on line ${lines.get(prev)})`,
          severity: 'warning',
        });
      }
    }
  }
  issues.sort((a, b) => a.line - b.line);
  if (suppressed > 0) {
    issues.push({ file, line: 0, message: `${suppressed} more issues not listed`, severity: 'warning' });
  }
  const stepList = [...new Set(groups.map((g) => g.step))].sort((a, b) => a - b);

  const columns: LogColumns | null = wantColumns
    ? {
        reward: extendTo(reward, recordCount),
        advantage: extendTo(advantage, recordCount),
        rewards: new Map([...rewardCols].map(([k, c]) => [k, extendTo(c, recordCount)])),
      }
    : null;
  let advantageLogged = false;
  if (columns) for (let i = 0; i < recordCount && !advantageLogged; i++) advantageLogged = !Number.isNaN(columns.advantage[i]);
  const startArr = starts.toArray();
  const endArr = ends.toArray();
  const lineArr = lines.toArray();
  const stepArr = steps.toArray();
  const iigArr = indexInGroup.toArray();

  const logDir = path.dirname(path.resolve(file));
  const imageRoots = opts.imageRoots ?? [];
  const imageCache = new Map<string, ImageLookup>();
  const lookupImage = (logged: string): ImageLookup => {
    const hit = imageCache.get(logged);
    if (hit) return hit;
    const { resolved } = resolveImagePath(logged, { logDir, baseDirs: opts.baseDirs, imageRoots, exists: opts.exists });
    const found: ImageLookup = { resolved, info: resolved ? readImageInfoFromFile(resolved) : null };
    if (imageCache.size > 10000) imageCache.clear();
    imageCache.set(logged, found);
    return found;
  };

  let fd: number | null = null;
  const inRange = (i: number): boolean => Number.isInteger(i) && i >= 0 && i < recordCount;
  const readLine = (i: number): string => {
    if (!inRange(i)) throw new RangeError(`no record ${i}: ${file} has ${recordCount} records`);
    if (fd === null) fd = fs.openSync(file, 'r');
    const len = endArr[i] - startArr[i];
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const n = fs.readSync(fd, buf, got, len - got, startArr[i] + got);
      if (n === 0) break;
      got += n;
    }
    if (got < len) throw new Error('the file is shorter than when it was indexed (was it truncated or rewritten?)');
    return buf.toString('utf8');
  };

  return {
    file,
    files: [file],
    format: FORMAT_ID,
    recordCount,
    bytes,
    stepKind: 'step',
    sourceOf: (i) => ({ file, line: lineArr[i] }),
    advantage: { source: advantageLogged ? 'logged' : wantColumns ? 'none' : 'logged' },
    grouping: { method: 'field', irregular: 0 },
    context: opts.context ?? null,
    lineOf: (i) => lineArr[i],
    stepOf: (i) => stepArr[i],
    indexInGroupOf: (i) => iigArr[i],
    groupOf: (i) => groupOf[i],
    groups,
    steps: stepList,
    issues,
    columns,
    readLine,
    read(i) {
      if (!inRange(i)) {
        return { rollout: null, issues: [{ file, line: 0, message: `no record ${i}: the log has ${recordCount} records`, severity: 'error' }] };
      }
      const line = lineArr[i];
      const fail = (message: string): { rollout: null; issues: LogIssue[] } => ({
        rollout: null,
        issues: [{ file, line, message, severity: 'error' }],
      });
      let text: string;
      try {
        text = readLine(i);
      } catch (e) {
        return fail(`cannot read the line: ${errorMessage(e)}`);
      }
      let value: unknown;
      const pre: LogIssue[] = [];
      try {
        const parsed = parseJsonLenient(text);
        value = parsed.value;
        if (parsed.replacedNonFinite) {
          pre.push({ file, line, message: 'NaN/Infinity in the line read as null', severity: 'warning' });
        }
      } catch (e) {
        return fail(`not valid JSON: ${errorMessage(e)}`);
      }
      const out = toRollout(value, { file, line, lookupImage, imageRoots });
      return { rollout: out.rollout, issues: [...pre, ...out.issues] };
    },
    close() {
      if (fd !== null) {
        try {
          fs.closeSync(fd);
        } catch {
          /* already closed */
        }
        fd = null;
      }
    },
  };
}

function extendTo(g: GrowableF64, n: number): Float64Array {
  g.extendTo(n);
  return g.toArray();
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const COMPLETION_KEY = Buffer.from('"completion"');

/**
 * Byte-level extraction; null when anything is unusual (the slow path then explains or recovers).
 * Without columns the walk stops once step, group_id and index_in_group are found, and `completion` is
 * checked by a native search for `"completion"` followed by `:` (inside a JSON string it would be escaped).
 */
function extractFast(buf: Buffer, s: number, e: number, wantColumns: boolean): LineFields | null {
  let last = e - 1;
  while (last > s && isSpace(buf[last])) last--;
  if (buf[last] !== 0x7d) return null; // truncated or not an object
  let step = NaN;
  let iig = NaN;
  let groupId: string | null = null;
  let hasCompletion = false;
  let bad = false;
  let rewardV = NaN;
  let rewardLogged = false;
  let adv = NaN;
  let rewards: Record<string, number | null> | null = null;
  let found = 0;
  let stoppedAt = -1;
  const ok = walkTopLevel(buf, s, e, (ks, ke, v) => {
    if (bytesEqual(buf, ks, ke, K.step)) {
      found |= 1;
      step = intAt(buf, v, e);
    } else if (bytesEqual(buf, ks, ke, K.indexInGroup)) {
      iig = intAt(buf, v, e);
      found |= 2;
    } else if (bytesEqual(buf, ks, ke, K.groupId)) {
      groupId = groupIdAt(buf, v, e);
      found |= 4;
    } else if (bytesEqual(buf, ks, ke, K.completion)) {
      hasCompletion = buf[v] === 0x22;
    } else if (bytesEqual(buf, ks, ke, K.reward)) {
      const n = numberOrNullAt(buf, v, e);
      if (n === undefined) bad = true;
      else {
        rewardV = n;
        rewardLogged = true;
      }
    } else if (bytesEqual(buf, ks, ke, K.advantage)) {
      const n = numberOrNullAt(buf, v, e);
      if (n === undefined) bad = true;
      else adv = n;
    } else if (bytesEqual(buf, ks, ke, K.rewards)) {
      rewards = rewardsAt(buf, v, e);
    }
    if (!wantColumns && found === 7) {
      stoppedAt = v;
      return true;
    }
    return false;
  });
  if (ok && stoppedAt >= 0 && !hasCompletion) hasCompletion = completionKeyAfter(buf, s, e);
  if (!ok || bad || !hasCompletion || groupId === null || !(step >= 0) || !(iig >= 0)) return null;
  return { step, groupId, indexInGroup: iig, reward: rewardV, rewardLogged, advantage: adv, rewards };
}

/** Whether `"completion"` appears as a key (followed by `:` and a string) on buf[s, e). */
function completionKeyAfter(buf: Buffer, s: number, e: number): boolean {
  const line = buf.subarray(s, e);
  let at = line.indexOf(COMPLETION_KEY);
  while (at >= 0) {
    let v = s + at + COMPLETION_KEY.length;
    while (v < e && isSpace(buf[v])) v++;
    if (buf[v] === 0x3a) {
      v++;
      while (v < e && isSpace(buf[v])) v++;
      return buf[v] === 0x22;
    }
    at = line.indexOf(COMPLETION_KEY, at + 1);
  }
  return false;
}

/** Non-negative integer at v, else NaN. */
function intAt(buf: Buffer, v: number, e: number): number {
  const t = readNumberToken(buf, v, e);
  return t && Number.isInteger(t.value) && t.value >= 0 ? t.value : NaN;
}

function groupIdAt(buf: Buffer, v: number, e: number): string | null {
  if (buf[v] === 0x22) {
    const close = stringEnd(buf, v, e);
    if (close < 0) return null;
    const raw = buf.toString('utf8', v + 1, close);
    if (raw.indexOf('\\') < 0) return raw;
    try {
      return JSON.parse(buf.toString('utf8', v, close + 1)) as string;
    } catch {
      return null;
    }
  }
  const t = readNumberToken(buf, v, e);
  return t && Number.isInteger(t.value) ? String(t.value) : null;
}

/** A number (NaN for null / NaN), or undefined when the value is something else. */
function numberOrNullAt(buf: Buffer, v: number, e: number): number | undefined {
  if (startsWithAt(buf, v, e, 'null')) return NaN;
  const t = readNumberToken(buf, v, e);
  return t ? (Number.isFinite(t.value) ? t.value : NaN) : undefined;
}

function rewardsAt(buf: Buffer, v: number, e: number): Record<string, number | null> | null {
  if (buf[v] !== 0x7b) return null;
  let close = -1;
  for (let i = v + 1; i < e; i++) {
    const b = buf[i];
    if (b === 0x22) {
      i = stringEnd(buf, i, e);
      if (i < 0) return null;
    } else if (b === 0x7b || b === 0x5b) return null; // not flat: leave to the full parse
    else if (b === 0x7d) {
      close = i;
      break;
    }
  }
  if (close < 0) return null;
  try {
    const { value } = parseJsonLenient(buf.toString('utf8', v, close + 1));
    return isObject(value) ? toRewardRecord(value) : null;
  } catch {
    return null;
  }
}

function toRewardRecord(o: Record<string, unknown>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, val] of Object.entries(o)) out[k] = typeof val === 'number' && Number.isFinite(val) ? val : null;
  return out;
}

/** JSON.parse one line: recover its fields, or record a precise issue and return null. */
function extractSlow(
  buf: Buffer,
  s: number,
  e: number,
  file: string,
  line: number,
  addIssue: (i: LogIssue) => void,
): LineFields | null {
  const text = buf.toString('utf8', s, e);
  let value: unknown;
  try {
    value = parseJsonLenient(text).value;
  } catch (err) {
    addIssue({ file, line, message: `not valid JSON: ${errorMessage(err)}`, severity: 'error' });
    return null;
  }
  const req = checkRequired(value);
  if (typeof req === 'string') {
    addIssue({ file, line, message: req, severity: 'error' });
    return null;
  }
  const o = value as Record<string, unknown>;
  const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : NaN);
  return {
    ...req,
    reward: num(o.reward),
    rewardLogged: typeof o.reward === 'number',
    advantage: num(o.advantage),
    rewards: isObject(o.rewards) ? toRewardRecord(o.rewards) : null,
  };
}
