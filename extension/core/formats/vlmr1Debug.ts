// Reader for the free-text debug logs of VLM-R1 and the frameworks that copy its `f.write` lines:
// om-ai-lab/VLM-R1 (accuracy log `$LOG_PATH`, `_format.txt`, GLM `_iou.txt`, `$LOG_PATH_cosine.txt`,
// `$LOG_PATH_repetition.txt`), Deep-Agent/R1-V, Liuziyu77/Visual-RFT and the Jakhongir0103 forks
// (see ../shared/reference/formats.md §1.2 and §1.4 for the exact write statements).
//
// Records are completions. Each block of the log is
//   ------------- <%d-%H-%M-%S-%f> Accuracy reward: <r> -------------
//   [accu_reward_method: …] [image_path: […] | Image Path: …] [problem: … | Problem: …]
//   Content: … | Completion: … | content: …          (multi-line: runs to the LAST Solution line)
//   Solution: … | sol: … | Possible Answers: …        (then per-variant single-line fields)
// Format logs hold one header per reward call followed by `Content:` / `Has format:` pairs (GLM:
// `Content:` / `match:` / `Reward:`).
//
// Reward names:
//   accuracy             "Accuracy reward: r" blocks of the main log (VLM-R1 iou_reward / accuracy_reward, R1-V, forks)
//   format               `_format.txt` (Has format True → 1, False → 0; GLM: its `Reward:` value, else match True/False)
//   iou                  GLM `_iou.txt` ("IOU Accuracy reward:" header, value from its `Reward:` line)
//   cosine, repetition   `<LOG_PATH>_cosine.txt`, `<LOG_PATH>_repetition.txt` (same header text as accuracy)
//   accuracy_iou         Visual-RFT "Accuracy reward of IoU: r"
//   accuracy_confidence  Visual-RFT "Accuracy reward of Confidence: r"
//   <snake_case>         any other "<Name> reward: r" header a fork writes
// In a log, the first reward name seen that is not `format` makes the records; entries of the other names
// (in the same file or in companion files) are joined to them on identical completion text: a FIFO queue
// per text hash, skipping candidates more than JOIN_WINDOW away in time. A reward that found no entry is
// null, never 0 (VLM-R1 drops entries with reward > 1.0; repetition logs only rewards <= 0).
//
// Steps and groups: these logs carry no step and no group id. Records with the same image_path + problem
// (+ solution) in file order form a group (VLM-R1's RepeatRandomSampler); without image_path and problem
// (R1-V, Visual-RFT) the entries of one reward call (one timestamp) with the same solution do. A group
// stays open until it holds G records, so blocks interleaved from several ranks do not split groups.
// Each group gets its own batch ordinal (1, 2, … in order of first appearance) as its step: reward calls
// cannot be told apart reliably (VLM-R1 stamps every entry, ranks interleave), a group can.
// G comes from the run context, else it is inferred (assumed): per key, entries in file order that are
// less than GROUP_GAP_US apart form a cluster, and the most common cluster size is G (the plain "most
// common run length" would see 1 when ranks interleave).
// A record's source line is its block header; when a format log is opened alone its records are the
// Content / Has format pairs and the line is the pair's Content line.
//
// Scale: indexing streams each file once with scanLines, keeps per-entry numbers in typed arrays and only
// 53-bit hashes of the completion texts and group keys; read(i) re-reads one block with a positioned read.
// Pure: no `vscode`. Never writes.

import * as fs from 'fs';
import * as path from 'path';
import { isUtf8 } from 'buffer';
import type { Box, BoxCoords, FrameKind, ImageRef, LogIssue, Rollout, SourceRef } from '../model';
import type { ContextValue, RunContext } from '../runs/context';
import { readImageInfoFromFile } from '../images';
import { resolveImagePath } from '../runs/resolveImage';
import { extractAnswer, parseQwen25Boxes, partAt, traceRegions } from '../geometry/qwen25';
import { MAX_PIXELS, MIN_PIXELS, normaliseBox, smartResize, toOriginal } from '../geometry/smartResize';
import { scanLines } from './lineIndex';
import { AdvantageEstimator, FormatReader, LogBuilder, ReadOptions, RolloutLog } from './log';
import { PyValue, parsePyFloat, parsePythonLiteral } from './pythonLiteral';
import type { ImageLookup } from './rolloutLensRecord';

export const VLMR1_FORMAT_ID = 'vlm-r1-debug' as const;

// ---------------------------------------------------------------------------------------------------
// Headers

export type BlockKind = 'accuracy' | 'format' | 'glm-iou' | 'other';

export interface DebugHeader {
  /** `%d-%H-%M-%S-%f` as logged, or null when the header has none. */
  timestamp: string | null;
  /** The header text between the timestamp and the closing dashes. */
  title: string;
  kind: BlockKind;
  /** Visual-RFT 'IoU' / 'Confidence'; for 'other' headers the reward's own name. */
  variant?: string;
  /** The reward as written in the header (accuracy-type headers). */
  rewardText?: string;
  /** The header's reward, NaN when it carries none. */
  reward: number;
  /** False when the line only loosely looks like a header (reported as an issue). */
  strict: boolean;
}

const HEADER_RE = /^-{13} ?(\d{2}-\d{2}-\d{2}-\d{2}-\d{6}) (.+?)\s?-{13}\s*$/;
const LOOSE_HEADER_RE = /^-{8,}\s*(\d{2}-\d{2}-\d{2}-\d{2}-\d{6})?\s*(.*?)\s*-{8,}\s*$/;
const ACC_TITLE_RE = /^Accuracy reward(?: of (IoU|Confidence))?:\s*(\S+)?$/;
const GLM_TITLE_RE = /^IOU Accuracy reward:?$/;
const FORMAT_TITLE_RE = /^Format reward$/;
const OTHER_TITLE_RE = /^([A-Za-z][A-Za-z0-9 _-]{0,40}?) reward(?: of ([A-Za-z][A-Za-z0-9 _-]{0,40}))?:\s*(\S+)?$/;

/** Parse a block header line; null when the line is not one. Never throws. */
export function parseDebugHeader(line: string): DebugHeader | null {
  if (typeof line !== 'string' || line.length < 20 || line.charCodeAt(0) !== 0x2d || line.length > 400) return null;
  const m = HEADER_RE.exec(line);
  if (m) {
    const h = classifyTitle(m[2].trim(), m[1]);
    if (h && h.strict) return h;
  }
  const loose = LOOSE_HEADER_RE.exec(line);
  if (!loose || !/reward/i.test(loose[2] ?? '')) return null;
  const h = classifyTitle((loose[2] ?? '').trim(), loose[1] ?? null);
  // without a timestamp only the known titles count (a dashed line inside a completion must not split it)
  if (!loose[1] && (!h || h.kind === 'other')) return null;
  if (h) return { ...h, strict: false };
  return { timestamp: loose[1] ?? null, title: loose[2] ?? '', kind: 'other', variant: 'unknown', reward: NaN, strict: false };
}

function classifyTitle(title: string, timestamp: string | null): DebugHeader | null {
  let m: RegExpExecArray | null;
  if ((m = ACC_TITLE_RE.exec(title))) {
    const h: DebugHeader = { timestamp, title, kind: 'accuracy', reward: m[2] ? parsePyFloat(stripTensor(m[2])) : NaN, strict: !!m[2] && timestamp !== null };
    if (m[1]) h.variant = m[1];
    if (m[2]) h.rewardText = m[2];
    return h;
  }
  if (GLM_TITLE_RE.test(title)) return { timestamp, title, kind: 'glm-iou', reward: NaN, strict: timestamp !== null };
  if (FORMAT_TITLE_RE.test(title)) return { timestamp, title, kind: 'format', reward: NaN, strict: timestamp !== null };
  if ((m = OTHER_TITLE_RE.exec(title))) {
    const name = snake(m[2] ? `${m[1]} ${m[2]}` : m[1]);
    const h: DebugHeader = { timestamp, title, kind: 'other', variant: name, reward: m[3] ? parsePyFloat(stripTensor(m[3])) : NaN, strict: !!m[3] && timestamp !== null };
    if (m[3]) h.rewardText = m[3];
    return h;
  }
  return null;
}

function stripTensor(s: string): string {
  const m = /^(?:tensor|np\.float\d*|float)\(([^,)]*)/.exec(s);
  return m ? m[1] : s;
}

function snake(s: string): string {
  return s
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** Microseconds since the start of the month (day 0) of a `%d-%H-%M-%S-%f` timestamp, NaN when malformed. */
export function timestampMicros(ts: string | null): number {
  if (!ts || ts.length !== 18) return NaN;
  const num = (from: number, len: number): number => {
    let v = 0;
    for (let k = from; k < from + len; k++) {
      const c = ts.charCodeAt(k) - 0x30;
      if (c < 0 || c > 9) return NaN;
      v = v * 10 + c;
    }
    return v;
  };
  for (const k of [2, 5, 8, 11]) if (ts.charCodeAt(k) !== 0x2d) return NaN;
  const [d, h, mi, s, us] = [num(0, 2), num(3, 2), num(6, 2), num(9, 2), num(12, 6)];
  if ([d, h, mi, s, us].some(Number.isNaN)) return NaN;
  if (d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return NaN;
  return (((d * 24 + h) * 60 + mi) * 60 + s) * 1e6 + us;
}

// ---------------------------------------------------------------------------------------------------
// Block bodies

/** Canonical field names and the labels the frameworks write for them. */
const LABELS: Record<string, string> = {
  accu_reward_method: 'accu_reward_method',
  image_path: 'image_path',
  'Image Path': 'image_path',
  problem: 'problem',
  Problem: 'problem',
  Content: 'completion',
  Completion: 'completion',
  content: 'completion',
  Solution: 'solution',
  sol: 'solution',
  'Possible Answers': 'solution',
  Golden: 'golden',
  student_answer_bbox: 'student_answer_bbox',
  ground_truth_bbox: 'ground_truth_bbox',
  iou_results: 'iou_results',
  'Predicted bbox': 'predicted_bbox',
  'Fail to recognize': 'fail_to_recognize',
  'Input size': 'input_size',
  'Image grid thw': 'image_grid_thw',
  Reward: 'reward',
  'Has format': 'has_format',
  match: 'match',
};
const FIELD_RE = new RegExp(`^(${Object.keys(LABELS).sort((a, b) => b.length - a.length).map(escapeRe).join('|')}):(?: |$)`);
const LEADING = new Set(['accu_reward_method', 'image_path']);
const TRAILING = new Set([
  'golden',
  'student_answer_bbox',
  'ground_truth_bbox',
  'iou_results',
  'predicted_bbox',
  'fail_to_recognize',
  'input_size',
  'image_grid_thw',
  'reward',
  'has_format',
  'match',
]);

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface FieldHit {
  label: string;
  name: string;
  valueStart: number;
}

function fieldAt(line: string): FieldHit | null {
  const c = line.charCodeAt(0);
  // every label starts with a letter; skip the regex for the rest (most completion lines)
  if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) return null;
  const m = FIELD_RE.exec(line);
  if (!m) return null;
  return { label: m[1], name: LABELS[m[1]], valueStart: Math.min(line.length, m[0].length) };
}

export interface ParsedEntry {
  /** Field values by canonical name (completion, solution, image_path, problem, golden, has_format …). */
  fields: Record<string, string>;
  /** The label each field was written with ("Content", "Completion", "content" …). */
  labels: Record<string, string>;
  /** Body line (0-based, the line after the header is 0) where each field starts. */
  lineOf: Record<string, number>;
  /** Body line where the entry starts. */
  firstLine: number;
}

export interface BlockProblem {
  /** Body line (0-based; -1 for the header line itself). */
  line: number;
  message: string;
  severity: 'error' | 'warning';
}

export interface ParsedBlock {
  entries: ParsedEntry[];
  problems: BlockProblem[];
}

/**
 * Parse the lines after a header. `format` blocks hold Content / Has format (or match / Reward) pairs;
 * the others hold one entry. Never throws; unknown lines are reported and left out of the values.
 */
export function parseBlockBody(kind: BlockKind, lines: readonly string[]): ParsedBlock {
  try {
    const hits = lines.map((l) => fieldAt(l));
    return kind === 'format' ? parseFormatBody(lines, hits) : parseRecordBody(lines, hits);
  } catch (e) {
    return { entries: [], problems: [{ line: 0, message: `cannot parse the block: ${e instanceof Error ? e.message : String(e)}`, severity: 'error' }] };
  }
}

/** Parse a whole block (header line + body) as written in a log. Never throws. */
export function parseDebugBlock(text: string): { header: DebugHeader | null; block: ParsedBlock } {
  const lines = splitBlockLines(typeof text === 'string' ? text : '');
  const header = parseDebugHeader(lines[0] ?? '');
  const block = parseBlockBody(header?.kind ?? 'accuracy', header ? lines.slice(1) : lines);
  if (!header) block.problems.unshift({ line: -1, message: 'the block does not start with a header line', severity: 'error' });
  return { header, block };
}

function splitBlockLines(text: string): string[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  // trailing whitespace-only lines are not part of the block (the index skips blank lines)
  while (lines.length > 0 && /^[ \t\r]*$/.test(lines[lines.length - 1])) lines.pop();
  return lines;
}

function valueOf(lines: readonly string[], hits: readonly (FieldHit | null)[], from: number, to: number): string {
  const first = lines[from].slice(hits[from]?.valueStart ?? 0);
  if (to - from <= 1) return first;
  return first + '\n' + lines.slice(from + 1, to).join('\n');
}

function junkProblem(lines: readonly string[], from: number, to: number): BlockProblem {
  const n = to - from;
  const sample = lines[from].length > 60 ? `${lines[from].slice(0, 57)}…` : lines[from];
  return {
    line: from,
    message: `${n} unexpected line${n === 1 ? '' : 's'} ignored (not a field of this block): ${JSON.stringify(sample)}`,
    severity: 'warning',
  };
}

function parseRecordBody(lines: readonly string[], hits: readonly (FieldHit | null)[]): ParsedBlock {
  const n = lines.length;
  const problems: BlockProblem[] = [];
  const e: ParsedEntry = { fields: {}, labels: {}, lineOf: {}, firstLine: 0 };
  const set = (name: string, label: string, line: number, value: string): void => {
    e.fields[name] = value;
    e.labels[name] = label;
    e.lineOf[name] = line;
  };
  let junkFrom = -1;
  const junk = (i: number): void => {
    if (junkFrom < 0) junkFrom = i;
  };
  const flush = (i: number): void => {
    if (junkFrom >= 0) problems.push(junkProblem(lines, junkFrom, i));
    junkFrom = -1;
  };
  const isName = (i: number, ...names: string[]): boolean => i < n && hits[i] !== null && names.includes(hits[i]!.name);

  let i = 0;
  // leading single-line fields, in any order
  while (i < n) {
    const h = hits[i];
    if (h && LEADING.has(h.name) && !(h.name in e.fields)) {
      flush(i);
      set(h.name, h.label, i, valueOf(lines, hits, i, i + 1));
      i++;
      continue;
    }
    if (h && (h.name === 'problem' || h.name === 'completion' || h.name === 'solution' || TRAILING.has(h.name))) break;
    junk(i);
    i++;
  }
  flush(i);
  // problem: up to the first completion line
  if (isName(i, 'problem')) {
    let j = i + 1;
    while (j < n && !isName(j, 'completion')) j++;
    set('problem', hits[i]!.label, i, valueOf(lines, hits, i, j));
    i = j;
  }
  // completion: up to the LAST solution line
  if (isName(i, 'completion')) {
    let s = -1;
    for (let k = n - 1; k > i; k--) {
      if (isName(k, 'solution')) {
        s = k;
        break;
      }
    }
    let end = s;
    if (end < 0) {
      end = i + 1;
      while (end < n && !(hits[end] && TRAILING.has(hits[end]!.name) && hits[end]!.name !== 'reward')) end++;
      problems.push({
        line: i,
        message: `the entry has no ${expectedSolutionLabel(hits[i]!.label)} line after its ${hits[i]!.label} (truncated block?)`,
        severity: 'warning',
      });
    }
    set('completion', hits[i]!.label, i, valueOf(lines, hits, i, end));
    i = end;
  } else {
    problems.push({ line: -1, message: 'the block has no Content / Completion line: no completion to show', severity: 'error' });
  }
  // solution: up to the first trailing field
  if (isName(i, 'solution')) {
    let end = i + 1;
    while (end < n && !(hits[end] && TRAILING.has(hits[end]!.name))) end++;
    let valueEnd = end;
    if (end - i > 1) {
      const first = lines[i].slice(hits[i]!.valueStart).trim();
      if (first.length > 0 && parsePythonLiteral(first).ok) valueEnd = i + 1;
      else {
        const open = lines.slice(i, end).findIndex((l) => l.includes('<answer>'));
        if (open >= 0) {
          for (let k = i + open; k < end; k++) {
            if (lines[k].includes('</answer>')) {
              valueEnd = k + 1;
              break;
            }
          }
        }
      }
    }
    set('solution', hits[i]!.label, i, valueOf(lines, hits, i, valueEnd));
    if (valueEnd < end) problems.push(junkProblem(lines, valueEnd, end));
    i = end;
  }
  // trailing single-line fields
  while (i < n) {
    const h = hits[i];
    if (h && TRAILING.has(h.name) && !(h.name in e.fields)) {
      flush(i);
      set(h.name, h.label, i, valueOf(lines, hits, i, i + 1));
    } else junk(i);
    i++;
  }
  flush(n);
  return { entries: 'completion' in e.fields ? [e] : [], problems };
}

function expectedSolutionLabel(completionLabel: string): string {
  return completionLabel === 'content' ? 'sol:' : 'Solution:';
}

function parseFormatBody(lines: readonly string[], hits: readonly (FieldHit | null)[]): ParsedBlock {
  const n = lines.length;
  const problems: BlockProblem[] = [];
  const entries: ParsedEntry[] = [];
  let i = 0;
  let junkFrom = -1;
  while (i < n) {
    const h = hits[i];
    if (!h || h.name !== 'completion') {
      if (junkFrom < 0) junkFrom = i;
      i++;
      continue;
    }
    if (junkFrom >= 0) problems.push(junkProblem(lines, junkFrom, i));
    junkFrom = -1;
    let j = i + 1;
    while (j < n && !(hits[j] && (hits[j]!.name === 'has_format' || hits[j]!.name === 'match'))) j++;
    const e: ParsedEntry = { fields: {}, labels: {}, lineOf: {}, firstLine: i };
    e.fields.completion = valueOf(lines, hits, i, j);
    e.labels.completion = h.label;
    e.lineOf.completion = i;
    if (j >= n) {
      problems.push({ line: i, message: 'the format entry has no Has format / match line (truncated block?)', severity: 'warning' });
      entries.push(e);
      break;
    }
    const v = hits[j]!;
    e.fields[v.name] = valueOf(lines, hits, j, j + 1);
    e.labels[v.name] = v.label;
    e.lineOf[v.name] = j;
    i = j + 1;
    if (i < n && hits[i]?.name === 'reward') {
      e.fields.reward = valueOf(lines, hits, i, i + 1);
      e.labels.reward = hits[i]!.label;
      e.lineOf.reward = i;
      i++;
    }
    entries.push(e);
  }
  if (junkFrom >= 0) problems.push(junkProblem(lines, junkFrom, n));
  if (entries.length === 0) problems.push({ line: 0, message: 'the format block has no Content line', severity: 'error' });
  return { entries, problems };
}

/** The reward value of a format entry: its `Reward:` value, else Has format / match True → 1, False → 0. */
export function formatEntryValue(e: ParsedEntry): number {
  if (e.fields.reward !== undefined) {
    const r = parsePyFloat(stripTensor(e.fields.reward.trim()));
    if (!Number.isNaN(r)) return r;
  }
  const flag = (e.fields.has_format ?? e.fields.match)?.trim();
  if (flag === 'True' || flag === 'true' || flag === '1') return 1;
  if (flag === 'False' || flag === 'false' || flag === '0' || flag === 'None') return 0;
  return NaN;
}

// ---------------------------------------------------------------------------------------------------
// Hashing (two 32-bit FNV-1a-style hashes folded into one exact 53-bit number)

export function hash53(s: string): number {
  const n = s.length;
  let h1 = 0x811c9dc5 ^ n;
  let h2 = 0x27d4eb2f;
  let i = 0;
  // two UTF-16 units per step; each hash mixes its high bits down every step
  for (; i + 1 < n; i += 2) {
    const k = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
    h1 = Math.imul(h1 ^ k, 0x01000193);
    h1 ^= h1 >>> 17;
    h2 = Math.imul(h2 ^ k, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  if (i < n) {
    const k = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ k, 0x01000193);
    h2 = Math.imul(h2 ^ k, 0x5bd1e995);
  }
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h2 ^= h2 >>> 16;
  h2 = Math.imul(h2, 0xc2b2ae35);
  h2 ^= h2 >>> 16;
  return (h1 >>> 0) * 0x200000 + ((h2 >>> 0) >>> 11);
}

// ---------------------------------------------------------------------------------------------------
// Files: roles and companions

export type FileRole = 'main' | 'format' | 'glm-iou' | 'cosine' | 'repetition';

/** The role a file's name gives it (content decides block kinds; this decides reward names). */
export function roleOfFile(file: string): FileRole {
  const b = path.basename(file);
  if (/\.txt_cosine\.txt$/i.test(b)) return 'cosine';
  if (/\.txt_repetition\.txt$/i.test(b)) return 'repetition';
  if (/_format\.txt$/i.test(b)) return 'format';
  if (/_iou\.txt$/i.test(b)) return 'glm-iou';
  return 'main';
}

/** The main logs a companion belongs to, most likely first (they may not exist). */
function mainCandidates(file: string): string[] {
  const dir = path.dirname(file);
  const b = path.basename(file);
  switch (roleOfFile(file)) {
    case 'cosine':
      return [path.join(dir, b.replace(/_cosine\.txt$/i, ''))];
    case 'repetition':
      return [path.join(dir, b.replace(/_repetition\.txt$/i, ''))];
    case 'format':
      // LOG_PATH.replace(".txt", "_format.txt"); a GLM run may have only `_iou.txt` beside it
      return [path.join(dir, b.split('_format.txt').join('.txt')), path.join(dir, b.split('_format.txt').join('_iou.txt'))];
    case 'glm-iou':
      return [path.join(dir, b.split('_iou.txt').join('.txt'))];
    default:
      return [];
  }
}

/** Companion files that may sit beside a main log (they may not exist). */
function companionCandidates(main: string): Array<{ file: string; role: FileRole }> {
  const dir = path.dirname(main);
  const b = path.basename(main);
  const out: Array<{ file: string; role: FileRole }> = [];
  if (roleOfFile(main) === 'glm-iou') {
    out.push({ file: path.join(dir, b.replace(/_iou\.txt$/i, '_format.txt')), role: 'format' });
    return out;
  }
  if (b.includes('.txt')) {
    out.push({ file: path.join(dir, b.split('.txt').join('_format.txt')), role: 'format' });
    out.push({ file: path.join(dir, b.split('.txt').join('_iou.txt')), role: 'glm-iou' });
  }
  out.push({ file: path.join(dir, `${b}_cosine.txt`), role: 'cosine' });
  out.push({ file: path.join(dir, `${b}_repetition.txt`), role: 'repetition' });
  return out;
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function readHead(file: string, bytes = 64 * 1024): Buffer | null {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(bytes);
    const n = fs.readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n);
  } catch {
    return null;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** A main log beside `file` that exists and reads as a debug log, or null. */
export function mainLogOf(file: string): string | null {
  for (const cand of mainCandidates(file)) {
    if (cand === file || !isFile(cand)) continue;
    const head = readHead(cand);
    if (head && sniffDebugLog(head)) return cand;
  }
  return null;
}

/**
 * Content check: a strict block header line within the head, followed by a field line (or the end of
 * the head). Accuracy, format and GLM IoU headers all count (companions are recognised too).
 */
export function sniffDebugLog(head: Buffer | Uint8Array): boolean {
  const text = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('utf8');
  const re = /^-{13} ?\d{2}-\d{2}-\d{2}-\d{2}-\d{6} [^\n]*-{13}[ \t\r]*$/gm;
  let m: RegExpExecArray | null;
  let tries = 0;
  while ((m = re.exec(text)) !== null && tries++ < 50) {
    const h = parseDebugHeader(m[0].replace(/\r$/, ''));
    if (!h || !h.strict) continue;
    const next = text.slice(re.lastIndex + 1).split('\n', 1)[0]?.replace(/\r$/, '') ?? '';
    if (re.lastIndex + 1 >= text.length || fieldAt(next) !== null) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------
// Growable typed arrays (compact per-entry columns)

class Grow<T extends Float64Array | Uint32Array | Uint8Array> {
  arr: T;
  length = 0;
  constructor(private readonly make: (n: number) => T) {
    this.arr = make(1024);
  }
  push(v: number): void {
    if (this.length === this.arr.length) {
      const next = this.make(this.arr.length * 2);
      next.set(this.arr);
      this.arr = next;
    }
    this.arr[this.length++] = v;
  }
  get(i: number): number {
    return this.arr[i];
  }
}
const f64 = (): Grow<Float64Array> => new Grow((n) => new Float64Array(n));
const u32 = (): Grow<Uint32Array> => new Grow((n) => new Uint32Array(n));
const u8 = (): Grow<Uint8Array> => new Grow((n) => new Uint8Array(n));

// ---------------------------------------------------------------------------------------------------
// Open

/** Entry shapes kept per indexed entry. */
const SHAPE_RECORD = 0; // a whole block is the entry
const SHAPE_FORMAT = 1; // one Content/Has format pair inside a format block

/** Largest block kept in memory while indexing (larger ones are hashed on what was kept). */
const MAX_BLOCK_BYTES = 32 * 1024 * 1024;
/** Join candidates further apart in time are not the same completion. */
const JOIN_WINDOW_US = 30 * 60 * 1e6;
/** A group whose key comes back after this long is a new group (another epoch). */
const GROUP_GAP_US = 5 * 60 * 1e6;
/** Month wrap of the `%d-…` timestamps while unwrapping (a period longer than any month). */
const MONTH_US = 32 * 86400 * 1e6;

interface FilePlan {
  file: string;
  role: FileRole;
  /** Index of the main file in `plans` this one is joined to; -1 for a record file. */
  joinTo: number;
}

/** Per-file results of indexing. */
interface FileIndex {
  entryStart: number;
  entryEnd: number;
  /** Year and month from a `…%Y-%m-%d-%H-%M-%S…` file name (for full dates in `extra`). */
  date: { year: number; month: number; day: number } | null;
}

export async function openVlmR1Debug(files: string[], opts: ReadOptions & { target?: string } = {}): Promise<RolloutLog> {
  if (files.length === 0) throw new Error('no files to open');
  const builder = new LogBuilder(opts.maxIssues ?? 1000);

  // which files make records and which are joined to them
  const plans: FilePlan[] = [];
  const given = files.map((f) => path.resolve(f));
  const inPlans = new Set<string>();
  for (const f of given) {
    // a companion whose main was given too is joined to it, not read as records
    const main = roleOfFile(f) === 'main' ? null : mainLogOf(f);
    if (main && given.includes(path.resolve(main))) continue;
    if (inPlans.has(f)) continue;
    const idx = plans.length;
    plans.push({ file: f, role: roleOfFile(f), joinTo: -1 });
    inPlans.add(f);
    const role = roleOfFile(f);
    for (const c of role === 'main' || role === 'glm-iou' ? companionCandidates(f) : []) {
      const cf = path.resolve(c.file);
      if (inPlans.has(cf) || cf === f || !isFile(cf)) continue;
      // a GLM `_iou.txt` is a companion of a main log beside it (reward `iou`); alone it is the main log
      plans.push({ file: cf, role: c.role, joinTo: idx });
      inPlans.add(cf);
    }
  }

  // per-entry columns
  const eFile = u32();
  const eStart = f64();
  const eEnd = f64();
  const eIndex = u32(); // entry index within its block
  const eLine = u32(); // 1-based line shown for the entry
  const eHeaderLine = u32();
  const eTime = f64(); // unwrapped µs, NaN when unknown
  const eName = u32(); // index into names
  const eValue = f64();
  const eHash = f64(); // completion text
  const eKey = f64(); // group key
  const eShape = u8();
  const names: string[] = [];
  const nameIdx = (n: string): number => {
    let k = names.indexOf(n);
    if (k < 0) k = names.push(n) - 1;
    return k;
  };

  const sizes = plans.map((p) => {
    try {
      return fs.statSync(p.file).size;
    } catch {
      return 0;
    }
  });
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  let bytesBefore = 0;
  let bytes = 0;
  const indexes: FileIndex[] = [];

  for (let fi = 0; fi < plans.length; fi++) {
    const plan = plans[fi];
    const file = plan.file;
    builder.addFile(file); // index fi: rows name their file by plan index
    const idx: FileIndex = { entryStart: eFile.length, entryEnd: eFile.length, date: dateFromName(file) };
    indexes.push(idx);
    const warn = (line: number, message: string, severity: 'error' | 'warning' = 'warning'): void =>
      builder.issue({ file, line, message, severity });

    let cur: {
      header: DebugHeader;
      line: number;
      start: number;
      lines: string[];
      lastLine: number;
      bytes: number;
      overflow: boolean;
    } | null = null;
    let junkFrom = 0;
    let junkCount = 0;
    let wraps = 0;
    let prevRaw = NaN;
    let badUtf8 = 0;

    const finish = (endOffset: number): void => {
      if (!cur) return;
      const b = cur;
      cur = null;
      const h = b.header;
      const abs = (bodyLine: number): number => b.line + 1 + bodyLine;
      if (!h.strict) warn(b.line, `malformed block header ${JSON.stringify(clip(h.title, 60))}${h.timestamp ? '' : ' (no timestamp)'}${h.kind !== 'format' && h.kind !== 'glm-iou' && Number.isNaN(h.reward) ? ' (no reward value)' : ''}`);
      if (b.overflow) warn(b.line, `block longer than ${MAX_BLOCK_BYTES >> 20} MB: only its start was indexed`);
      const parsed = parseBlockBody(h.kind, b.lines);
      for (const p of parsed.problems) warn(p.line < 0 ? b.line : abs(p.line), p.message, p.severity);
      // time (unwrap the month of `%d` timestamps)
      const raw = timestampMicros(h.timestamp);
      if (!Number.isNaN(raw)) {
        if (!Number.isNaN(prevRaw) && raw < prevRaw - 10 * 86400 * 1e6) wraps++;
        prevRaw = raw;
      }
      const time = Number.isNaN(raw) ? NaN : raw + wraps * MONTH_US;
      const name = rewardNameFor(h, plan.role);
      parsed.entries.forEach((e, k) => {
        eFile.push(fi);
        eStart.push(b.start);
        eEnd.push(endOffset);
        eIndex.push(k);
        eHeaderLine.push(b.line);
        eLine.push(h.kind === 'format' ? abs(e.firstLine) : b.line);
        eTime.push(time);
        eName.push(nameIdx(name));
        let value = h.reward;
        if (h.kind === 'format') value = formatEntryValue(e);
        else if (h.kind === 'glm-iou' || (Number.isNaN(value) && e.fields.reward !== undefined)) value = parsePyFloat(stripTensor((e.fields.reward ?? '').trim()));
        eValue.push(value);
        eHash.push(hash53(e.fields.completion ?? ''));
        const keyed = e.fields.image_path !== undefined || e.fields.problem !== undefined;
        eKey.push(
          keyed
            ? hash53(`I\u0000${(e.fields.image_path ?? '').trim()}\u0000${e.fields.problem ?? ''}\u0000${(e.fields.solution ?? '').trim()}`)
            : hash53(`T\u0000${h.timestamp ?? ''}\u0000${(e.fields.solution ?? '').trim()}`),
        );
        eShape.push(h.kind === 'format' ? SHAPE_FORMAT : SHAPE_RECORD);
      });
    };

    let fileBytes = 0;
    try {
      ({ bytes: fileBytes } = await scanLines(
        file,
        (buf, s, e, lineNo, offset) => {
          const line = buf.subarray(s, e);
          if (!isUtf8(line)) {
            if (badUtf8++ < 20) warn(lineNo, 'the line holds bytes that are not valid UTF-8 (shown as U+FFFD)');
          }
          let header: DebugHeader | null = null;
          if (e - s >= 26 && buf[s] === 0x2d && buf[s + 1] === 0x2d && buf[s + 7] === 0x2d) header = parseDebugHeader(line.toString('utf8'));
          if (header) {
            if (junkCount > 0) {
              warn(junkFrom, `${junkCount} line${junkCount === 1 ? '' : 's'} before the first block header ignored`);
              junkCount = 0;
            }
            finish(offset);
            cur = { header, line: lineNo, start: offset, lines: [], lastLine: lineNo, bytes: 0, overflow: false };
            return;
          }
          if (!cur) {
            if (junkCount++ === 0) junkFrom = lineNo;
            return;
          }
          const c = cur as NonNullable<typeof cur>;
          if (c.overflow) return;
          c.bytes += e - s + 1;
          if (c.bytes > MAX_BLOCK_BYTES) {
            c.overflow = true;
            return;
          }
          while (c.lastLine + 1 < lineNo) {
            c.lines.push('');
            c.lastLine++;
          }
          c.lines.push(line.toString('utf8'));
          c.lastLine = lineNo;
        },
        {
          chunkSize: opts.chunkSize,
          onProgress: opts.onProgress ? (b) => opts.onProgress!(bytesBefore + b, totalBytes) : undefined,
        },
      ));
    } catch (e) {
      // the log itself must be readable; a companion that is not is reported and left out
      if (plan.joinTo < 0) throw e;
      warn(0, `cannot read this companion log: ${e instanceof Error ? e.message : String(e)}`, 'error');
      cur = null;
    }
    finish(fileBytes);
    if (junkCount > 0) warn(junkFrom, `${junkCount} line${junkCount === 1 ? '' : 's'} without any block header: not a debug log?`, 'error');
    if (badUtf8 > 20) warn(0, `${badUtf8 - 20} more lines with bytes that are not valid UTF-8`);
    bytesBefore += sizes[fi];
    bytes += fileBytes;
    idx.entryEnd = eFile.length;
  }

  // records: per record file, the entries of its primary reward name
  const recEntry = u32();
  const recordNames: string[][] = []; // per plan: reward names its records carry
  const planRecordRange: Array<[number, number]> = plans.map(() => [0, 0]);
  for (let fi = 0; fi < plans.length; fi++) {
    recordNames.push([]);
    if (plans[fi].joinTo >= 0) continue;
    const { entryStart, entryEnd } = indexes[fi];
    let primary = -1;
    for (let k = entryStart; k < entryEnd && primary < 0; k++) if (eShape.get(k) === SHAPE_RECORD) primary = eName.get(k);
    if (primary < 0 && entryEnd > entryStart) primary = eName.get(entryStart);
    const from = recEntry.length;
    for (let k = entryStart; k < entryEnd; k++) if (eName.get(k) === primary) recEntry.push(k);
    planRecordRange[fi] = [from, recEntry.length];
    if (primary >= 0) recordNames[fi].push(names[primary]);
  }
  const n = recEntry.length;
  const recEntryArr = recEntry.arr.subarray(0, n);

  // joins: other names of a record file, and every entry of its companions
  const values = new Map<string, Float64Array>();
  const matched = new Map<string, Uint8Array>();
  const column = (name: string): Float64Array => {
    let c = values.get(name);
    if (!c) {
      c = new Float64Array(n).fill(NaN);
      values.set(name, c);
      matched.set(name, new Uint8Array(n));
    }
    return c;
  };
  for (let fi = 0; fi < plans.length; fi++) {
    if (plans[fi].joinTo >= 0) continue;
    const [from, to] = planRecordRange[fi];
    const primary = recordNames[fi][0];
    if (primary !== undefined) {
      const col = column(primary);
      for (let r = from; r < to; r++) col[r] = eValue.get(recEntryArr[r]);
    }
    // records of this file sorted by (completion hash, record index)
    const order = new Uint32Array(to - from);
    for (let k = 0; k < order.length; k++) order[k] = from + k;
    order.sort((a, b) => eHash.get(recEntryArr[a]) - eHash.get(recEntryArr[b]) || a - b);
    const sortedHash = new Float64Array(order.length);
    for (let k = 0; k < order.length; k++) sortedHash[k] = eHash.get(recEntryArr[order[k]]);
    const cursors = new Map<string, Uint32Array>();
    const sources = [fi, ...plans.map((p, j) => (p.joinTo === fi ? j : -1)).filter((j) => j >= 0)];
    for (const src of sources) {
      const { entryStart, entryEnd } = indexes[src];
      for (let k = entryStart; k < entryEnd; k++) {
        const name = names[eName.get(k)];
        if (src === fi && name === primary) continue;
        if (!recordNames[fi].includes(name)) recordNames[fi].push(name);
        const col = column(name);
        const taken = matched.get(name)!;
        let cur = cursors.get(name);
        if (!cur) cursors.set(name, (cur = new Uint32Array(order.length)));
        const r = matchJoin(eHash.get(k), eTime.get(k), sortedHash, order, cur, taken, (rec) => eTime.get(recEntryArr[rec]));
        const v = eValue.get(k);
        if (r < 0) {
          builder.issue({
            file: plans[src].file,
            line: eLine.get(k),
            message: `${name} entry has no ${primary ?? 'record'} entry with the same completion text to join to (left out)`,
            severity: 'warning',
          });
        } else {
          taken[r] = 1;
          col[r] = v; // NaN when the entry's value is unreadable: null, like a missing entry
        }
      }
    }
  }

  // groups
  const ctx = opts.context ?? null;
  const keyOf = (r: number): number => eKey.get(recEntryArr[r]);
  const timeOf = (r: number): number => eTime.get(recEntryArr[r]);
  const fileOfRec = (r: number): number => eFile.get(recEntryArr[r]);
  let G = ctx?.groupSize?.value;
  let gSource = ctx?.groupSize?.source;
  let gAssumed = ctx?.groupSize?.assumed;
  if (!(typeof G === 'number' && Number.isInteger(G) && G > 0)) {
    G = undefined;
    const inferred = inferGroupSizeFromKeys(n, keyOf, timeOf, fileOfRec);
    if (inferred !== null && inferred > 1) {
      G = inferred;
      gSource = 'inferred: the most common number of consecutive entries with the same image_path + problem (or one reward call)';
      gAssumed = true;
    } else {
      gSource = undefined;
      gAssumed = undefined;
    }
  }
  const stepOf = assignGroups(n, keyOf, timeOf, fileOfRec, G);

  // rows
  for (let r = 0; r < n; r++) {
    const k = recEntryArr[r];
    const fi = eFile.get(k);
    const rewards: Record<string, number | null> = {};
    for (const name of recordNames[fi]) {
      const v = values.get(name)?.[r] ?? NaN;
      rewards[name] = Number.isFinite(v) ? v : null;
    }
    builder.add({ file: fi, line: eLine.get(k), step: stepOf[r], groupKey: '', rewards });
  }

  // read(i)
  const imageRoots = opts.imageRoots ?? [];
  const imageCache = new Map<string, ImageLookup>();
  const lookupImage = (logged: string, logDir: string): ImageLookup => {
    const cacheKey = `${logDir}\u0000${logged}`;
    const hit = imageCache.get(cacheKey);
    if (hit) return hit;
    const { resolved } = resolveImagePath(logged, { logDir, baseDirs: opts.baseDirs, imageRoots, exists: opts.exists });
    const found: ImageLookup = { resolved, info: resolved ? readImageInfoFromFile(resolved) : null };
    if (imageCache.size > 10000) imageCache.clear();
    imageCache.set(cacheKey, found);
    return found;
  };
  const fds = new Map<number, number>();
  const readBytes = (fi: number, start: number, end: number): Buffer => {
    let fd = fds.get(fi);
    if (fd === undefined) fds.set(fi, (fd = fs.openSync(plans[fi].file, 'r')));
    const len = end - start;
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const m = fs.readSync(fd, buf, got, len - got, start + got);
      if (m === 0) break;
      got += m;
    }
    if (got < len) throw new Error('the file is shorter than when it was indexed (was it truncated or rewritten?)');
    return buf;
  };
  const pixels = pixelSettings(ctx);

  const readRecord = (i: number, source: SourceRef): { rollout: Rollout | null; issues: LogIssue[] } => {
    const k = recEntryArr[i];
    const fi = eFile.get(k);
    const file = plans[fi].file;
    const headerLine = eHeaderLine.get(k);
    const fail = (message: string): { rollout: null; issues: LogIssue[] } => ({ rollout: null, issues: [{ file, line: source.line, message, severity: 'error' }] });
    let text: string;
    try {
      text = readBytes(fi, eStart.get(k), eEnd.get(k)).toString('utf8');
    } catch (e) {
      return fail(`cannot read the block: ${e instanceof Error ? e.message : String(e)}`);
    }
    const lines = splitBlockLines(text);
    const header = parseDebugHeader(lines[0] ?? '');
    if (!header) return fail('the block header is gone: the file changed since it was indexed');
    const parsed = parseBlockBody(header.kind, lines.slice(1));
    const entryNo = eIndex.get(k);
    const entry = parsed.entries[entryNo];
    if (!entry) return fail('the entry is gone: the file changed since it was indexed');
    const issues: LogIssue[] = [];
    const nextEntry = parsed.entries[entryNo + 1]?.firstLine ?? Infinity;
    for (const p of parsed.problems) {
      // a format block holds many entries: keep the problems of this one
      if (eShape.get(k) === SHAPE_FORMAT && p.line >= 0 && (p.line < entry.firstLine || p.line >= nextEntry)) continue;
      issues.push({ file, line: p.line < 0 ? headerLine : headerLine + 1 + p.line, message: p.message, severity: p.severity });
    }
    const rewards: Record<string, number | null> = {};
    for (const name of recordNames[fi]) {
      const v = values.get(name)?.[i] ?? NaN;
      rewards[name] = Number.isFinite(v) ? v : null;
    }
    const rollout = buildRollout({
      header,
      entry,
      shape: eShape.get(k) === SHAPE_FORMAT ? 'format' : 'record',
      file,
      headerLine,
      source,
      rewards,
      date: indexes[fi].date,
      wraps: Number.isNaN(eTime.get(k)) ? 0 : Math.floor(eTime.get(k) / MONTH_US),
      pixels,
      lookupImage: (p) => lookupImage(p, path.dirname(file)),
      imageRoots,
      issues,
    });
    return { rollout, issues };
  };

  return builder.finish({
    format: VLMR1_FORMAT_ID,
    file: opts.target ?? given[0],
    stepKind: 'batch-ordinal',
    grouping: 'key',
    groupSize: G,
    groupSizeSource: gSource,
    groupSizeAssumed: gAssumed,
    estimator: estimatorFrom(ctx),
    weights: ctx?.rewardWeights?.value,
    context: ctx,
    bytes,
    // VLM-R1 writes an accuracy entry only when reward <= 1.0 and a repetition entry only when <= 0:
    // a missing entry is an unknown reward, so the total and the group's advantages are unknown too.
    totalNeeds: 'all',
    read: readRecord,
    close() {
      for (const fd of fds.values()) {
        try {
          fs.closeSync(fd);
        } catch {
          /* already closed */
        }
      }
      fds.clear();
    },
  });
}

function rewardNameFor(h: DebugHeader, role: FileRole): string {
  switch (h.kind) {
    case 'format':
      return 'format';
    case 'glm-iou':
      return 'iou';
    case 'other':
      return h.variant && h.variant !== 'unknown' ? h.variant : 'reward';
    case 'accuracy':
      if (h.variant === 'IoU') return 'accuracy_iou';
      if (h.variant === 'Confidence') return 'accuracy_confidence';
      if (role === 'cosine') return 'cosine';
      if (role === 'repetition') return 'repetition';
      return 'accuracy';
  }
}

/**
 * The record a join entry belongs to: among the records with the same completion hash (sorted range of
 * `order`), the first unmatched one in file order within JOIN_WINDOW of `time`. Candidates that are
 * matched, or older than the window, are passed for good (the cursor moves past them). -1 when none.
 */
function matchJoin(
  hash: number,
  time: number,
  sortedHash: Float64Array,
  order: Uint32Array,
  cursors: Uint32Array,
  taken: Uint8Array,
  timeOfRecord: (r: number) => number,
): number {
  let lo = 0;
  let hi = sortedHash.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sortedHash[mid] < hash) lo = mid + 1;
    else hi = mid;
  }
  if (lo >= sortedHash.length || sortedHash[lo] !== hash) return -1;
  const rangeStart = lo;
  let k = rangeStart + cursors[rangeStart];
  let front = true;
  let steps = 0;
  for (; k < sortedHash.length && sortedHash[k] === hash && steps < 100000; k++, steps++) {
    const r = order[k];
    const t = timeOfRecord(r);
    const stale = !Number.isNaN(time) && !Number.isNaN(t) && t < time - JOIN_WINDOW_US;
    if (taken[r] === 1 || stale) {
      if (front) cursors[rangeStart] = k + 1 - rangeStart;
      continue;
    }
    front = false;
    if (!Number.isNaN(time) && !Number.isNaN(t) && t > time + JOIN_WINDOW_US) return -1;
    return r;
  }
  return -1;
}

/**
 * G from the entries: for each key, its entries in file order split where the file changes or more than
 * GROUP_GAP_US passes; the most common cluster size (ties: the larger). Null without records.
 */
function inferGroupSizeFromKeys(
  n: number,
  keyOf: (r: number) => number,
  timeOf: (r: number) => number,
  fileOf: (r: number) => number,
): number | null {
  if (n === 0) return null;
  const open = new Map<number, { count: number; time: number; file: number }>();
  const sizes = new Map<number, number>();
  const close = (c: number): void => void sizes.set(c, (sizes.get(c) ?? 0) + 1);
  for (let r = 0; r < n; r++) {
    const key = keyOf(r);
    const t = timeOf(r);
    const f = fileOf(r);
    const o = open.get(key);
    if (o && o.file === f && !(t - o.time > GROUP_GAP_US)) {
      o.count++;
      if (!Number.isNaN(t)) o.time = t;
    } else {
      if (o) close(o.count);
      open.set(key, { count: 1, time: t, file: f });
    }
  }
  for (const o of open.values()) close(o.count);
  let best = 0;
  let bestN = -1;
  for (const [size, cnt] of sizes) if (cnt > bestN || (cnt === bestN && size > best)) [best, bestN] = [size, cnt];
  return best > 0 ? best : null;
}

/**
 * Batch ordinal (1-based) of each record's group. With G: a group for a key stays open until it holds G
 * records (interleaved ranks do not split groups), unless the key comes back after GROUP_GAP_US or in
 * another file. Without G: runs of consecutive records with the same key.
 */
function assignGroups(
  n: number,
  keyOf: (r: number) => number,
  timeOf: (r: number) => number,
  fileOf: (r: number) => number,
  G: number | undefined,
): Float64Array {
  const step = new Float64Array(n);
  let ordinal = 0;
  if (!G) {
    let lastKey = NaN;
    let lastFile = -1;
    for (let r = 0; r < n; r++) {
      const key = keyOf(r);
      if (key !== lastKey || fileOf(r) !== lastFile) ordinal++;
      lastKey = key;
      lastFile = fileOf(r);
      step[r] = ordinal;
    }
    return step;
  }
  const open = new Map<number, { step: number; count: number; time: number; file: number }>();
  for (let r = 0; r < n; r++) {
    const key = keyOf(r);
    const t = timeOf(r);
    const f = fileOf(r);
    let g = open.get(key);
    if (!g || g.file !== f || t - g.time > GROUP_GAP_US) {
      g = { step: ++ordinal, count: 0, time: t, file: f };
      open.set(key, g);
    }
    g.count++;
    if (!Number.isNaN(t)) g.time = t;
    step[r] = g.step;
    if (g.count >= G) open.delete(key);
  }
  return step;
}

function estimatorFrom(ctx: RunContext | null): AdvantageEstimator {
  const est = ctx?.advantageEstimator;
  const eps = ctx?.epsilon;
  if (!est && !eps) return { kind: 'grpo', epsilon: 1e-4, source: 'VLM-R1 default', assumed: true };
  const sources = [est?.source, eps?.source].filter((s): s is string => !!s);
  return {
    kind: est?.value ?? 'grpo',
    epsilon: eps?.value ?? 1e-4,
    source: [...new Set(sources)].join(', ') + (est ? '' : '; GRPO (VLM-R1 default)') + (eps ? '' : '; ε = 1e-4 (VLM-R1 default)'),
    assumed: (est?.assumed ?? true) && (eps?.assumed ?? true),
  };
}

interface PixelSettings {
  minPixels: number;
  maxPixels: number;
  assumed: boolean;
  source: string;
}

function pixelSettings(ctx: RunContext | null): PixelSettings {
  const min = ctx?.minPixels;
  const max = ctx?.maxPixels;
  const assumed = !min || !max || min.assumed || max.assumed;
  const describe = (name: string, v: ContextValue<number> | undefined, fallback: number): string =>
    v ? `${name} ${v.value} (${v.assumed ? 'assumed: ' : ''}${v.source})` : `${name} ${fallback} (assumed: VLM-R1 / qwen-vl-utils default)`;
  return {
    minPixels: min?.value ?? MIN_PIXELS,
    maxPixels: max?.value ?? MAX_PIXELS,
    assumed,
    source: `${describe('min_pixels', min, MIN_PIXELS)}, ${describe('max_pixels', max, MAX_PIXELS)}`,
  };
}

function dateFromName(file: string): FileIndex['date'] {
  const m = /(\d{4})-(\d{2})-(\d{2})-\d{2}-\d{2}-\d{2}/.exec(path.basename(file));
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  return { year, month, day };
}

/** A full local date-time for a `%d-%H-%M-%S-%f` timestamp, given the year/month/day the log started. */
function fullDate(ts: string, date: NonNullable<FileIndex['date']>, wraps: number): string | null {
  const m = /^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{6})$/.exec(ts);
  if (!m) return null;
  const d = Number(m[1]);
  let month = date.month - 1 + wraps + (wraps === 0 && d < date.day ? 1 : 0);
  const year = date.year + Math.floor(month / 12);
  month = month % 12;
  return `${year}-${String(month + 1).padStart(2, '0')}-${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}`;
}

// ---------------------------------------------------------------------------------------------------
// One record → Rollout

interface BuildInput {
  header: DebugHeader;
  entry: ParsedEntry;
  shape: 'record' | 'format';
  file: string;
  headerLine: number;
  source: SourceRef;
  rewards: Record<string, number | null>;
  date: FileIndex['date'];
  wraps: number;
  pixels: PixelSettings;
  lookupImage: (logged: string) => ImageLookup;
  imageRoots: readonly string[];
  issues: LogIssue[];
}

function buildRollout(b: BuildInput): Rollout {
  const f = b.entry.fields;
  const lineOfField = (name: string): number => (b.entry.lineOf[name] !== undefined ? b.headerLine + 1 + b.entry.lineOf[name] : b.headerLine);
  const warn = (message: string, line = b.source.line): void => void b.issues.push({ file: b.file, line, message, severity: 'warning' });
  const completion = f.completion ?? '';
  const extra: Record<string, unknown> = {};
  if (b.header.timestamp) {
    extra.timestamp = b.header.timestamp;
    const full = b.date ? fullDate(b.header.timestamp, b.date, b.wraps) : null;
    if (full) extra.datetime = full;
  }
  extra.header = b.header.title;

  // images
  const images: ImageRef[] = [];
  if (f.image_path !== undefined) {
    const raw = f.image_path.trim();
    const v = parsePythonLiteral(raw);
    const paths: string[] = [];
    if (v.ok) {
      if (typeof v.value === 'string') paths.push(v.value);
      else if (Array.isArray(v.value)) {
        for (const p of v.value) {
          if (typeof p === 'string' && p.length > 0) paths.push(p);
          else if (p !== null) warn(`image_path holds a ${typeof p} where a path was expected (ignored)`, lineOfField('image_path'));
        }
      } else if (v.value !== null) warn(`image_path is not a path or a list of paths: ${clip(raw, 60)}`, lineOfField('image_path'));
    } else if (raw.length > 0 && raw !== 'None') paths.push(raw); // forks log a plain string
    for (const p of paths) images.push({ path: p });
  }
  // GLM: the log gives the model-input and image sizes
  let logged: { inH: number; inW: number; imH?: number; imW?: number } | null = null;
  if (f.input_size !== undefined) {
    const m = /^\(\s*(\d+)\s*,\s*(\d+)\s*\)(?:\s*,\s*Image size:\s*\(\s*(\d+)\s*,\s*(\d+)\s*\))?/.exec(f.input_size.trim());
    if (m) {
      logged = { inH: Number(m[1]), inW: Number(m[2]) };
      if (m[3]) [logged.imH, logged.imW] = [Number(m[3]), Number(m[4])];
      extra.input_size = [logged.inH, logged.inW];
      if (logged.imH !== undefined) extra.image_size = [logged.imH, logged.imW];
    } else {
      extra.input_size = f.input_size;
      warn(`cannot read the Input size line: ${clip(f.input_size, 60)}`, lineOfField('input_size'));
    }
  }
  images.forEach((im, k) => {
    const found = b.lookupImage(im.path);
    if (found.resolved === null) {
      warn(`image not found: ${im.path} (${b.imageRoots.length > 0 ? `also tried image roots ${b.imageRoots.join(', ')}` : 'no image roots set'})`, lineOfField('image_path'));
    } else {
      im.resolved = found.resolved;
      const info = found.info;
      if (info && info.width !== null && info.height !== null) {
        im.width = info.width;
        im.height = info.height;
        im.orientation = info.orientation;
      }
    }
    if (k === 0 && logged) {
      im.inputWidth = logged.inW;
      im.inputHeight = logged.inH;
      if (logged.imW !== undefined && logged.imH !== undefined) {
        if (im.width !== undefined && (im.width !== logged.imW || im.height !== logged.imH)) {
          warn(`image ${im.path}: logged size ${logged.imW}×${logged.imH} differs from the file's ${im.width}×${im.height}`, lineOfField('input_size'));
        }
        im.width = logged.imW;
        im.height = logged.imH;
      }
    }
  });
  // model-input sizes (Qwen2.5-VL smart_resize) when the log does not give them
  const dims = images.map((im) => {
    if (im.inputWidth !== undefined && im.inputHeight !== undefined && im.width !== undefined && im.height !== undefined) {
      return { width: im.width, height: im.height, inputWidth: im.inputWidth, inputHeight: im.inputHeight, assumed: false };
    }
    if (im.width === undefined || im.height === undefined) return null;
    try {
      const r = smartResize(im.width, im.height, { minPixels: b.pixels.minPixels, maxPixels: b.pixels.maxPixels });
      return { width: im.width, height: im.height, inputWidth: r.width, inputHeight: r.height, assumed: b.pixels.assumed };
    } catch {
      return null;
    }
  });
  const d0 = dims[0] ?? null;
  if (d0 && !logged) {
    extra.model_input_size = { width: d0.inputWidth, height: d0.inputHeight, source: `smart_resize with ${b.pixels.source}` };
  }

  const rollout: Rollout = {
    step: 0,
    groupId: '',
    indexInGroup: 0,
    prompt: { text: f.problem ?? '', images },
    completion,
    reference: { boxes: [] },
    predicted: [],
    rewards: b.rewards,
    reward: null,
    advantage: null,
    advantageSource: null,
    generatedImages: [],
    extra,
    source: b.source,
  };
  const answer = extractAnswer(completion);
  if (answer !== undefined) rollout.answer = answer;

  // reference
  if (f.solution !== undefined) {
    const label = b.entry.labels.solution;
    if (label === 'Possible Answers') extra.possible_answers = f.solution;
    readReference(f.solution, rollout, d0, images.length > 0, (m) => warn(m, lineOfField('solution')));
  }
  if (f.golden !== undefined) {
    const m = /^`([\s\S]*)`\tPredicted: `([\s\S]*)`\s*$/.exec(f.golden);
    if (m) {
      extra.golden = m[1];
      extra.predicted = m[2];
      rollout.reference.answer = m[1];
    } else {
      extra.golden = f.golden;
      rollout.reference.answer = f.golden.replace(/^`|`$/g, '');
    }
  }

  // predicted boxes
  const preds = predictedBoxes(completion);
  let unmapped = 0;
  for (const t of preds) {
    const box: Box = { box: t.raw, raw: t.raw, frame: t.frame, span: t.span, part: t.part };
    if (t.label !== undefined) box.label = t.label;
    if (images.length > 0) box.imageIndex = 0;
    const mapped = d0 ? toOriginal(t.raw, t.frame, d0) : null;
    if (mapped) {
      box.box = normaliseBox(mapped);
      if (t.frame === 'norm1000' || (t.frame === 'model-input' && d0!.assumed)) box.frameAssumed = true;
    } else {
      box.frameAssumed = true;
      unmapped++;
    }
    rollout.predicted.push(box);
  }
  if (unmapped > 0 && images.length > 0) {
    warn(`${unmapped} predicted box${unmapped === 1 ? '' : 'es'} left as written (${preds[0].frame}): image size unknown`);
  }

  // the other logged fields
  for (const name of ['accu_reward_method', 'student_answer_bbox', 'ground_truth_bbox', 'iou_results', 'predicted_bbox', 'fail_to_recognize', 'image_grid_thw', 'has_format', 'match']) {
    const v = f[name];
    if (v === undefined) continue;
    if (name === 'accu_reward_method') {
      extra[name] = v.trim();
      continue;
    }
    const p = parsePythonLiteral(v.trim());
    extra[name] = p.ok ? jsonSafe(p.value) : v;
  }
  if (f.reward !== undefined) {
    const p = parsePyFloat(stripTensor(f.reward.trim()));
    extra.logged_reward = Number.isNaN(p) ? f.reward : p;
  }
  if (b.shape === 'format') extra.entry = 'format log entry (no image_path / problem / Solution in this log)';
  return rollout;
}

/** NaN / ±Infinity in parsed literals become null (they must survive JSON). */
function jsonSafe(v: PyValue): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = jsonSafe(x);
    return out;
  }
  return v;
}

function asBox(v: unknown): BoxCoords | null {
  if (!Array.isArray(v) || v.length !== 4) return null;
  if (!v.every((n) => typeof n === 'number' && Number.isFinite(n))) return null;
  return [v[0], v[1], v[2], v[3]] as BoxCoords;
}

/** Boxes in a parsed solution: [x1,y1,x2,y2], a list of them, or dicts with Position / bbox_2d / bbox. */
function boxesIn(v: PyValue): Array<{ raw: BoxCoords; frame: FrameKind; assumed: boolean; label?: string }> | null {
  const one = asBox(v);
  if (one) return [{ raw: one, frame: 'original', assumed: false }];
  const items = Array.isArray(v) ? v : v !== null && typeof v === 'object' ? [v] : null;
  if (!items || items.length === 0) return null;
  const out: Array<{ raw: BoxCoords; frame: FrameKind; assumed: boolean; label?: string }> = [];
  for (const it of items) {
    const b = asBox(it);
    if (b) {
      out.push({ raw: b, frame: 'original', assumed: false });
      continue;
    }
    if (it === null || typeof it !== 'object' || Array.isArray(it)) return null;
    const o = it as Record<string, PyValue>;
    if ('Position' in o) {
      // Visual-RFT (Qwen2-VL): integers in [0, 1000)
      const p = asBox(o.Position);
      if (!p) return null;
      out.push({ raw: p, frame: 'norm1000', assumed: true });
    } else {
      const p = asBox(o.bbox_2d ?? o.bbox ?? o.box);
      if (!p) return null;
      const e: { raw: BoxCoords; frame: FrameKind; assumed: boolean; label?: string } = { raw: p, frame: 'original', assumed: true };
      if (typeof o.label === 'string') e.label = o.label;
      out.push(e);
    }
  }
  return out;
}

type Dims = { width: number; height: number; inputWidth: number; inputHeight: number; assumed: boolean } | null;

function readReference(sol: string, rollout: Rollout, d0: Dims, hasImage: boolean, warn: (m: string) => void): void {
  const text = sol.trim();
  const push = (bx: Array<{ raw: BoxCoords; frame: FrameKind; assumed: boolean; label?: string }>): void => {
    for (const e of bx) {
      const box: Box = { box: e.raw, raw: e.raw, frame: e.frame };
      if (e.label !== undefined) box.label = e.label;
      if (hasImage) box.imageIndex = 0;
      if (e.frame !== 'original') {
        const mapped = d0 ? toOriginal(e.raw, e.frame, d0) : null;
        if (mapped) box.box = normaliseBox(mapped);
        else box.frameAssumed = true;
        if (e.assumed || (e.frame === 'model-input' && d0?.assumed)) box.frameAssumed = true;
      } else {
        box.box = normaliseBox(e.raw);
        if (e.assumed) box.frameAssumed = true;
      }
      rollout.reference.boxes.push(box);
    }
  };
  const lit = parsePythonLiteral(text);
  if (lit.ok) {
    const bx = boxesIn(lit.value);
    if (bx) push(bx);
    else if (typeof lit.value === 'string') rollout.reference.answer = lit.value;
    else if (typeof lit.value === 'number' || typeof lit.value === 'boolean') rollout.reference.answer = text;
    else if (lit.value === null) {
      /* None: no reference */
    } else if (Array.isArray(lit.value) && lit.value.length === 0) {
      /* [] : an empty ground truth (OVD / RefCOCOS negatives) */
    } else rollout.reference.answer = text;
    return;
  }
  const ans = extractAnswer(text);
  if (ans !== undefined) {
    rollout.reference.answer = ans;
    const inner = parsePythonLiteral(ans);
    if (inner.ok) {
      const bx = boxesIn(inner.value);
      if (bx) push(bx);
    }
  } else rollout.reference.answer = text;
  // grounded reasoning in the solution: inline `[x1,y1,x2,y2 label]` (model-input pixels)
  const inline = inlineBoxes(text);
  if (inline.length > 0 && rollout.reference.boxes.length === 0) {
    push(inline.map((t) => ({ raw: t.raw, frame: 'model-input' as FrameKind, assumed: true, ...(t.label !== undefined ? { label: t.label } : {}) })));
  }
  if (text.length === 0) warn('the Solution is empty');
}

interface FoundBox {
  raw: BoxCoords;
  frame: FrameKind;
  label?: string;
  span: [number, number];
  part: 'think' | 'answer' | 'other';
}

const NUM = String.raw`(-?\d+(?:\.\d+)?)`;
const POSITION_RE = new RegExp(String.raw`["']Position["']\s*:\s*\[\s*${NUM}\s*,\s*${NUM}\s*,\s*${NUM}\s*,\s*${NUM}\s*\]`, 'g');
const INLINE_RE = /\[(\d+),\s*(\d+),\s*(\d+),\s*(\d+)\s+([^[\]\n]{1,80}?)\]/g;
const PLAIN_RE = /\[(\d+),\s*(\d+),\s*(\d+),\s*(\d+)]/;

function inlineBoxes(text: string): Array<{ raw: BoxCoords; label?: string; span: [number, number] }> {
  const out: Array<{ raw: BoxCoords; label?: string; span: [number, number] }> = [];
  INLINE_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = INLINE_RE.exec(text)) !== null && out.length < 500) {
    out.push({ raw: [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])], label: m[5].trim(), span: [m.index, m.index + m[0].length] });
  }
  return out;
}

/**
 * Predicted boxes in a completion, by the first rule that finds any:
 * Qwen2.5-VL `bbox_2d` (model-input pixels) · Visual-RFT `'Position': […]` (0–1000) ·
 * multimodal_cot inline `[x1,y1,x2,y2 label]` (model-input) · VLM-R1 iou_reward's first `[d, d, d, d]`
 * inside `<answer>` (model-input).
 */
export function predictedBoxes(completion: string): FoundBox[] {
  const regions = traceRegions(completion);
  const qwen = parseQwen25Boxes(completion);
  if (qwen.length > 0) {
    return qwen.map((t) => {
      const b: FoundBox = { raw: t.raw, frame: 'model-input', span: t.span, part: t.part };
      if (t.label !== undefined) b.label = t.label;
      return b;
    });
  }
  const out: FoundBox[] = [];
  POSITION_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = POSITION_RE.exec(completion)) !== null && out.length < 500) {
    const raw = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])] as BoxCoords;
    out.push({ raw, frame: 'norm1000', span: [m.index, m.index + m[0].length], part: partAt(regions, m.index) });
  }
  if (out.length > 0) return out;
  for (const t of inlineBoxes(completion)) {
    const b: FoundBox = { raw: t.raw, frame: 'model-input', span: t.span, part: partAt(regions, t.span[0]) };
    if (t.label) b.label = t.label;
    out.push(b);
  }
  if (out.length > 0) return out;
  const a = regions.answer[0];
  if (a) {
    const inside = completion.slice(a[0], a[1]);
    const p = PLAIN_RE.exec(inside);
    if (p) {
      out.push({
        raw: [Number(p[1]), Number(p[2]), Number(p[3]), Number(p[4])],
        frame: 'model-input',
        span: [a[0] + p.index, a[0] + p.index + p[0].length],
        part: 'answer',
      });
    }
  }
  return out;
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

// ---------------------------------------------------------------------------------------------------
// The reader

export const vlmR1DebugReader: FormatReader = {
  id: VLMR1_FORMAT_ID,
  sniff: (_file, head) => sniffDebugLog(head),
  open: (files, opts) => openVlmR1Debug(files, opts),
  /**
   * `_format.txt`, `_iou.txt`, `.txt_cosine.txt`, `.txt_repetition.txt` are companions when their main
   * log (`X.txt`; for `_format.txt` also a GLM `X_iou.txt`) exists beside them and reads as a debug log.
   * A GLM `_iou.txt` without `X.txt` is the main log of its run.
   */
  isCompanion(file: string): boolean {
    if (roleOfFile(file) === 'main') return false;
    return mainLogOf(path.resolve(file)) !== null;
  },
};
