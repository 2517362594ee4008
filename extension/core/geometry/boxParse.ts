// Every box mention in a completion, whatever convention the model wrote it in (reference/formats.md §5,
// §6.7): Qwen2.5-VL `bbox_2d` JSON, Visual-RFT `'Position'` dicts, plain `[x1, y1, x2, y2]` lists,
// multimodal_cot inline `[x1,y1,x2,y2 label]`, Qwen2-VL `label(x1,y1),(x2,y2)` (with or without its
// special tokens), InternVL `<ref>…</ref><box>[[…]]</box>`, `\boxed{[…]}`, Florence-2 `<loc_N>` and
// PaliGemma `<locNNNN>` tokens, and 0–1 float lists.
//
// Pure; never throws on any string; hand-written scanners that only move forward, so time is linear in
// the text (no regex backtracking on digit runs). Values are kept exactly as written (PaliGemma's y-first
// order is the one reordering) and bad values are flagged in `issues`, never fixed.

import type { BoxCoords, FrameKind, TracePart } from '../model';
import { findCloseBrace, findLabel, findOpenBrace, traceRegions, type TraceRegions } from './qwen25';

export type BoxConvention =
  | 'qwen25-json'
  | 'visual-rft-position'
  | 'plain-list'
  | 'inline-labelled'
  | 'qwen2-points'
  | 'internvl'
  | 'boxed'
  | 'florence-loc'
  | 'paligemma-loc'
  | 'norm1-floats';

/**
 * Problems with the values of one box (raw values are kept as written):
 * - `nan` / `infinite`: a coordinate is NaN / ±Infinity (written `nan`, `NaN`, `inf`, or overflowing)
 * - `negative`: a coordinate is below 0
 * - `x2<x1` / `y2<y1`: corners inverted (never swapped silently)
 * - `zero-area`: x1 = x2 or y1 = y2
 * - `out-of-range`: above the range the convention implies (norm1000 > 1000, bins1000 > 999, bins1024 > 1023)
 */
export type BoxIssue = 'nan' | 'infinite' | 'negative' | 'x2<x1' | 'y2<y1' | 'zero-area' | 'out-of-range';

export interface ParsedBox {
  /** x1, y1, x2, y2 as written (PaliGemma reordered from its y-first order). */
  raw: BoxCoords;
  /** Character span [start, end) of the whole mention (label and wrapping tokens included). */
  span: [number, number];
  part: TracePart;
  convention: BoxConvention;
  /** The frame the convention implies; null when it depends on the model family (the caller decides). */
  frameHint: FrameKind | null;
  label?: string;
  /** Visual-RFT `'Confidence'`. */
  confidence?: number;
  issues: BoxIssue[];
}

export interface ParsedBoxes {
  /** At most `maxBoxes` boxes, in order of appearance. */
  boxes: ParsedBox[];
  /** True when more than `maxBoxes` mentions were found. */
  truncated: boolean;
  /** How many mentions were found in all (>= boxes.length). */
  count: number;
}

export interface ParseBoxesOptions {
  /** Boxes returned at most (default 1000). */
  maxBoxes?: number;
}

export const DEFAULT_MAX_BOXES = 1000;

/** What each convention implies about the coordinate frame (null: depends on the model family). */
export const CONVENTION_FRAME: Readonly<Record<BoxConvention, FrameKind | null>> = {
  'qwen25-json': null,
  'visual-rft-position': 'norm1000',
  'plain-list': null,
  'inline-labelled': null,
  'qwen2-points': 'norm1000',
  internvl: 'norm1000',
  boxed: null,
  'florence-loc': 'bins1000',
  'paligemma-loc': 'bins1024',
  'norm1-floats': 'norm1',
};

/**
 * Precedence when two mentions overlap, most specific first (the order of the scanners in parseBoxes).
 * A list inside a bbox_2d object, a Position dict, an InternVL `<box>` or a `\boxed{}` is reported
 * once, under that more specific convention.
 */
export const BOX_PRECEDENCE: readonly BoxConvention[] = [
  'qwen25-json',
  'visual-rft-position',
  'internvl',
  'boxed',
  'qwen2-points',
  'florence-loc',
  'paligemma-loc',
  'inline-labelled', // with plain-list / norm1-floats: one scanner, never overlapping each other
];

interface Candidate {
  s: number;
  e: number;
  /** Position used to decide the trace part (the key or first coordinate). */
  a: number;
  conv: BoxConvention;
  raw: BoxCoords;
  label?: string;
  confidence?: number;
}

const EMPTY = (): ParsedBoxes => ({ boxes: [], truncated: false, count: 0 });

/** Find every box mention in `text`, in order of appearance. Never throws. */
export function parseBoxes(text: string, opts?: ParseBoxesOptions): ParsedBoxes {
  if (typeof text !== 'string' || text.length === 0) return EMPTY();
  let max = opts?.maxBoxes;
  if (typeof max !== 'number' || Number.isNaN(max) || max < 0) max = DEFAULT_MAX_BOXES;
  max = Math.floor(max);
  try {
    return parseUnsafe(text, max);
  } catch {
    return EMPTY();
  }
}

function parseUnsafe(text: string, max: number): ParsedBoxes {
  // Scanners in BOX_PRECEDENCE order; each yields sorted, non-overlapping candidates.
  const passes: Candidate[][] = [
    scanKeyed(text, 'bbox_2d', 'qwen25-json'),
    scanKeyed(text, 'Position', 'visual-rft-position'),
    scanInternVL(text),
    scanBoxed(text),
    scanQwen2Points(text),
    scanFlorence(text),
    scanPaliGemma(text),
    scanLists(text),
  ];
  let accepted: Candidate[] = [];
  for (const pass of passes) {
    if (pass.length === 0) continue;
    const kept: Candidate[] = [];
    let j = 0;
    for (const c of pass) {
      while (j < accepted.length && accepted[j]!.e <= c.s) j++;
      if (j < accepted.length && accepted[j]!.s < c.e) continue; // overlaps a more specific mention
      kept.push(c);
    }
    accepted = mergeSorted(accepted, kept);
  }
  const count = accepted.length;
  const n = Math.min(count, max);
  const regions = n > 0 ? traceRegions(text) : { think: [], answer: [] };
  const boxes: ParsedBox[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const c = accepted[i]!;
    const frameHint = CONVENTION_FRAME[c.conv];
    const b: ParsedBox = {
      raw: c.raw,
      span: [c.s, c.e],
      part: fastPartAt(regions, c.a),
      convention: c.conv,
      frameHint,
      issues: boxIssues(c.raw, frameHint),
    };
    if (c.label !== undefined) b.label = c.label;
    if (c.confidence !== undefined) b.confidence = c.confidence;
    boxes[i] = b;
  }
  return { boxes, truncated: count > n, count };
}

function mergeSorted(a: Candidate[], b: Candidate[]): Candidate[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out: Candidate[] = new Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i]!.s <= b[j]!.s ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}

/** Same answer as qwen25 `partAt` (think first, then answer), by binary search over the sorted ranges. */
export function fastPartAt(regions: TraceRegions, pos: number): TracePart {
  if (inRanges(regions.think, pos)) return 'think';
  if (inRanges(regions.answer, pos)) return 'answer';
  return 'other';
}

function inRanges(r: Array<[number, number]>, pos: number): boolean {
  let lo = 0;
  let hi = r.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [s, e] = r[mid]!;
    if (pos < s) hi = mid - 1;
    else if (pos >= e) lo = mid + 1;
    else return true;
  }
  return false;
}

/** The issues of one box; `frameHint` enables the range check. */
export function boxIssues(raw: BoxCoords, frameHint: FrameKind | null): BoxIssue[] {
  const out: BoxIssue[] = [];
  if (raw.some((v) => Number.isNaN(v))) out.push('nan');
  if (raw.some((v) => v === Infinity || v === -Infinity)) out.push('infinite');
  if (raw.some((v) => v < 0)) out.push('negative');
  const [x1, y1, x2, y2] = raw;
  if (x2 < x1) out.push('x2<x1');
  if (y2 < y1) out.push('y2<y1');
  if (x2 === x1 || y2 === y1) out.push('zero-area');
  const limit = frameHint === 'norm1000' ? 1000 : frameHint === 'bins1000' ? 999 : frameHint === 'bins1024' ? 1023 : frameHint === 'norm1' ? 1 : Infinity;
  if (raw.some((v) => v > limit && v !== Infinity)) out.push('out-of-range');
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Character helpers

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isWs(c: number): boolean {
  return (
    c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

function skipWs(t: string, i: number): number {
  while (i < t.length && isWs(t.charCodeAt(i))) i++;
  return i;
}

let numVal = 0;

const LITERALS: Array<[string, number]> = [
  ['Infinity', Infinity],
  ['infinity', Infinity],
  ['NaN', NaN],
  ['nan', NaN],
  ['NAN', NaN],
  ['inf', Infinity],
  ['Inf', Infinity],
  ['INF', Infinity],
];

/**
 * A number at `i` (optional `-`, digits, fraction, exponent; or NaN/inf literals unless `intOnly`).
 * Sets `numVal`; returns the end index or -1. Reads each character once.
 */
function readNum(t: string, i: number, intOnly: boolean): number {
  const n = t.length;
  let j = i;
  const neg = j < n && t.charCodeAt(j) === 45;
  if (neg) j++;
  const ds = j;
  while (j < n && isDigit(t.charCodeAt(j))) j++;
  let digits = j - ds;
  if (!intOnly && j < n && t.charCodeAt(j) === 46 /* . */) {
    let m = j + 1;
    while (m < n && isDigit(t.charCodeAt(m))) m++;
    if (m > j + 1 || digits > 0) {
      digits += m - j - 1;
      j = m;
    }
  }
  if (digits === 0) {
    if (intOnly || j >= n) return -1;
    const c0 = t.charCodeAt(j) | 0x20;
    if (c0 !== 0x6e /* n */ && c0 !== 0x69 /* i */) return -1;
    for (const [lit, v] of LITERALS) {
      if (t.startsWith(lit, j)) {
        const end = j + lit.length;
        if (end < n && /[A-Za-z0-9_]/.test(t[end]!)) continue; // part of a longer word
        numVal = neg ? -v : v;
        return end;
      }
    }
    return -1;
  }
  if (!intOnly && j < n && (t.charCodeAt(j) === 101 || t.charCodeAt(j) === 69)) {
    let k = j + 1;
    if (k < n && (t.charCodeAt(k) === 43 || t.charCodeAt(k) === 45)) k++;
    const ks = k;
    while (k < n && isDigit(t.charCodeAt(k))) k++;
    if (k > ks) j = k;
  }
  numVal = Number(t.slice(i, j));
  return j;
}

/**
 * Four comma-separated numbers starting at `i` (whitespace allowed around them). Writes `out`; returns
 * the end of the fourth number or -1.
 */
function readFour(t: string, i: number, out: number[], intOnly = false): number {
  let j = i;
  for (let k = 0; k < 4; k++) {
    j = skipWs(t, j);
    if (k > 0) {
      if (t.charCodeAt(j) !== 44 /* , */) return -1;
      j = skipWs(t, j + 1);
    }
    const e = readNum(t, j, intOnly);
    if (e < 0) return -1;
    out[k] = numVal;
    j = e;
  }
  return j;
}

/** `[n, n, n, n]` (trailing comma allowed) at `i` (which holds `[`); returns the end after `]` or -1. */
function readList(t: string, i: number, out: number[]): number {
  if (t.charCodeAt(i) !== 91 /* [ */) return -1;
  let j = readFour(t, i + 1, out);
  if (j < 0) return -1;
  j = skipWs(t, j);
  if (t.charCodeAt(j) === 44) j = skipWs(t, j + 1);
  return t.charCodeAt(j) === 93 /* ] */ ? j + 1 : -1;
}

function coords(v: number[]): BoxCoords {
  return [v[0]!, v[1]!, v[2]!, v[3]!];
}

// ---------------------------------------------------------------------------------------------------
// Enclosing `{…}` objects and their labels: qwen25.ts's scanners

const CONFIDENCE_RE = /\\?["']Confidence\\?["']\s*:\s*(-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/;

function isQuote(c: number): boolean {
  return c === 0x22 || c === 0x27;
}

// ---------------------------------------------------------------------------------------------------
// Scanners

/** `"bbox_2d": [..]` (Qwen2.5-VL) or `'Position': [..]` (Visual-RFT), spanning the enclosing `{…}`. */
function scanKeyed(t: string, key: string, conv: BoxConvention): Candidate[] {
  const out: Candidate[] = [];
  const v: number[] = [0, 0, 0, 0];
  let from = 0;
  let minStart = 0;
  for (;;) {
    const k = t.indexOf(key, from);
    if (k < 0) break;
    from = k + key.length;
    // opening quote, optionally escaped
    if (k === 0 || !isQuote(t.charCodeAt(k - 1))) continue;
    const keyStart = k >= 2 && t.charCodeAt(k - 2) === 0x5c ? k - 2 : k - 1;
    let j = k + key.length;
    if (t.charCodeAt(j) === 0x5c) j++;
    if (!isQuote(t.charCodeAt(j))) continue;
    j = skipWs(t, j + 1);
    if (t.charCodeAt(j) !== 58 /* : */) continue;
    j = skipWs(t, j + 1);
    const listStart = j;
    const listEnd = readList(t, j, v);
    if (listEnd < 0) continue;
    if (keyStart < minStart) continue;
    let s = keyStart;
    let e = listEnd;
    const open = findOpenBrace(t, keyStart, minStart);
    if (open >= 0) {
      // an object never runs into the next key: this keeps unclosed objects from being rescanned
      const next = t.indexOf(key, listEnd);
      const close = findCloseBrace(t, listEnd, next < 0 ? t.length : next);
      if (close >= 0) {
        s = open;
        e = close + 1;
      }
    }
    const c: Candidate = { s, e, a: conv === 'qwen25-json' ? keyStart : listStart, conv, raw: coords(v) };
    if (s !== keyStart) {
      const obj = t.slice(s, e);
      if (conv === 'qwen25-json') {
        const label = findLabel(obj);
        if (label !== undefined) c.label = label;
      } else {
        const m = CONFIDENCE_RE.exec(obj);
        if (m) c.confidence = Number(m[1]);
      }
    }
    out.push(c);
    minStart = e;
    from = Math.max(from, e);
  }
  return out;
}

/** InternVL `<ref>label</ref><box>[[x1, y1, x2, y2], …]</box>` (also a single `[…]` inside `<box>`). */
function scanInternVL(t: string): Candidate[] {
  const out: Candidate[] = [];
  const v: number[] = [0, 0, 0, 0];
  let from = 0;
  let minStart = 0;
  for (;;) {
    const b = t.indexOf('<box>', from);
    if (b < 0) break;
    from = b + 5;
    let j = skipWs(t, b + 5);
    if (t.charCodeAt(j) !== 91) continue;
    const lists: Array<[number, number, BoxCoords]> = [];
    const one = readList(t, j, v);
    let end: number;
    if (one >= 0) {
      lists.push([j, one, coords(v)]);
      end = one;
    } else {
      j = skipWs(t, j + 1);
      for (;;) {
        const e = readList(t, j, v);
        if (e < 0) break;
        lists.push([j, e, coords(v)]);
        j = skipWs(t, e);
        if (t.charCodeAt(j) === 44) {
          j = skipWs(t, j + 1);
          continue;
        }
        break;
      }
      if (lists.length === 0 || t.charCodeAt(j) !== 93) continue;
      end = j + 1;
    }
    const k = skipWs(t, end);
    if (t.startsWith('</box>', k)) end = k + 6;
    // label: `<ref>…</ref>` right before `<box>`
    let start = b;
    let label: string | undefined;
    let r = b;
    while (r > minStart && isWs(t.charCodeAt(r - 1))) r--;
    if (r - 6 >= minStart && t.startsWith('</ref>', r - 6)) {
      const open = t.lastIndexOf('<ref>', r - 6);
      if (open >= minStart && r - 6 - open <= 300) {
        start = open;
        label = t.slice(open + 5, r - 6).trim();
      }
    }
    for (let i = 0; i < lists.length; i++) {
      const [ls, le, raw] = lists[i]!;
      const s = i === 0 ? start : ls;
      const e = i === lists.length - 1 ? end : le;
      const c: Candidate = { s, e, a: ls, conv: 'internvl', raw };
      if (label) c.label = label;
      out.push(c);
    }
    minStart = end;
    from = end;
  }
  return out;
}

/** `\boxed{[x1, y1, x2, y2]}`. */
function scanBoxed(t: string): Candidate[] {
  const out: Candidate[] = [];
  const v: number[] = [0, 0, 0, 0];
  let from = 0;
  for (;;) {
    const b = t.indexOf('\\boxed{', from);
    if (b < 0) break;
    from = b + 7;
    const j = skipWs(t, b + 7);
    const e = readList(t, j, v);
    if (e < 0) continue;
    const k = skipWs(t, e);
    if (t.charCodeAt(k) !== 0x7d) continue;
    out.push({ s: b, e: k + 1, a: j, conv: 'boxed', raw: coords(v) });
    from = k + 1;
  }
  return out;
}

const OBJ_REF_START = '<|object_ref_start|>';
const OBJ_REF_END = '<|object_ref_end|>';
const BOX_START = '<|box_start|>';
const BOX_END = '<|box_end|>';
/** Characters that end a stripped Qwen2-VL label when reading backwards. */
const LABEL_STOP = new Set('\n\r<>()[]{}.,;:!?"\'`|=*#'.split('').map((c) => c.charCodeAt(0)));
const MAX_LABEL = 80;

/** `(x1,y1),(x2,y2)` integers: Qwen2-VL (label before, special tokens optional) and Visual-RFT LISA. */
function scanQwen2Points(t: string): Candidate[] {
  const out: Candidate[] = [];
  const v: number[] = [0, 0, 0, 0];
  let from = 0;
  let minStart = 0;
  for (;;) {
    const p = t.indexOf('(', from);
    if (p < 0) break;
    from = p + 1;
    const e = readPoints(t, p, v);
    if (e < 0) continue;
    let s = p;
    let end = e;
    let label: string | undefined;
    // special tokens kept
    let q = p;
    while (q > minStart && isWs(t.charCodeAt(q - 1))) q--;
    if (q - BOX_START.length >= minStart && t.startsWith(BOX_START, q - BOX_START.length)) {
      s = q - BOX_START.length;
      const k = skipWs(t, e);
      if (t.startsWith(BOX_END, k)) end = k + BOX_END.length;
      let r = s;
      while (r > minStart && isWs(t.charCodeAt(r - 1))) r--;
      if (r - OBJ_REF_END.length >= minStart && t.startsWith(OBJ_REF_END, r - OBJ_REF_END.length)) {
        const le = r - OBJ_REF_END.length;
        const open = t.lastIndexOf(OBJ_REF_START, le);
        if (open >= minStart && le - open <= 300) {
          s = open;
          const l = t.slice(open + OBJ_REF_START.length, le).trim();
          if (l) label = l;
        }
      }
    } else {
      // stripped: the label is the text right before `(` (no space in between)
      let r = p;
      const stop = Math.max(minStart, p - MAX_LABEL);
      while (r > stop && !LABEL_STOP.has(t.charCodeAt(r - 1))) r--;
      if (r < p && !isWs(t.charCodeAt(p - 1))) {
        let raw = t.slice(r, p);
        if (r === stop && r > minStart && !LABEL_STOP.has(t.charCodeAt(r - 1))) {
          const sp = raw.search(/\s/); // cut mid-word: start at the next word
          raw = sp >= 0 ? raw.slice(sp) : '';
        }
        const l = raw.trim();
        if (l) {
          label = l;
          s = p - raw.length + (raw.length - raw.trimStart().length);
        }
      }
    }
    const c: Candidate = { s, e: end, a: p, conv: 'qwen2-points', raw: coords(v) };
    if (label !== undefined) c.label = label;
    out.push(c);
    minStart = end;
    from = end;
  }
  return out;
}

/** `(int,int),(int,int)` with optional spaces at `p` (which holds `(`); returns the end or -1. */
function readPoints(t: string, p: number, v: number[]): number {
  let j = p;
  for (let k = 0; k < 2; k++) {
    if (k === 1) {
      j = skipWs(t, j);
      if (t.charCodeAt(j) !== 44) return -1;
      j = skipWs(t, j + 1);
    }
    if (t.charCodeAt(j) !== 40 /* ( */) return -1;
    j = skipWs(t, j + 1);
    let e = readNum(t, j, true);
    if (e < 0) return -1;
    v[2 * k] = numVal;
    j = skipWs(t, e);
    if (t.charCodeAt(j) !== 44) return -1;
    j = skipWs(t, j + 1);
    e = readNum(t, j, true);
    if (e < 0) return -1;
    v[2 * k + 1] = numVal;
    j = skipWs(t, e);
    if (t.charCodeAt(j) !== 41 /* ) */) return -1;
    j++;
  }
  return j;
}

/** `<loc_N>` (Florence-2) when `florence`, else `<locNNNN>` (PaliGemma); sets numVal, returns end or -1. */
function readLoc(t: string, i: number, florence: boolean): number {
  if (!t.startsWith(florence ? '<loc_' : '<loc', i)) return -1;
  let j = i + (florence ? 5 : 4);
  const ds = j;
  while (j < t.length && isDigit(t.charCodeAt(j)) && j - ds < 6) j++;
  const nd = j - ds;
  if (florence ? nd === 0 || nd > 5 : nd !== 4) return -1;
  if (t.charCodeAt(j) !== 62 /* > */) return -1;
  numVal = Number(t.slice(ds, j));
  return j + 1;
}

/** Florence-2 `label<loc_x1><loc_y1><loc_x2><loc_y2>` (several boxes may share one label). */
function scanFlorence(t: string): Candidate[] {
  const out: Candidate[] = [];
  const v: number[] = [0, 0, 0, 0];
  let from = 0;
  let minStart = 0;
  for (;;) {
    const p = t.indexOf('<loc_', from);
    if (p < 0) break;
    from = p + 5;
    // a run of loc tokens
    let j = p;
    const run: number[] = [];
    for (;;) {
      const e = readLoc(t, j, true);
      if (e < 0) break;
      run.push(numVal);
      j = e;
    }
    if (run.length === 0) continue;
    from = j;
    if (p >= 6 && t.startsWith('<poly>', p - 6)) continue; // polygon vertices, not a box
    if (run.length < 4) continue;
    // label: text back to the previous tag or bracket
    let r = p;
    const stop = Math.max(minStart, p - MAX_LABEL);
    while (r > stop && !LABEL_STOP.has(t.charCodeAt(r - 1))) r--;
    const rawLabel = t.slice(r, p);
    const label = rawLabel.trim();
    const s0 = label ? r + (rawLabel.length - rawLabel.trimStart().length) : p;
    let q = p;
    for (let k = 0; k + 4 <= run.length; k += 4) {
      for (let m = 0; m < 4; m++) v[m] = run[k + m]!;
      // each loc token is `<loc_N>`; find the end of the 4th token of this box
      let e = q;
      for (let m = 0; m < 4; m++) e = readLoc(t, e, true);
      const c: Candidate = { s: k === 0 ? s0 : q, e, a: q, conv: 'florence-loc', raw: coords(v) };
      if (label) c.label = label;
      out.push(c);
      q = e;
    }
    minStart = q;
  }
  return out;
}

/** PaliGemma `<locY1><locX1><locY2><locX2> label` (4 digits, 1024 bins, y first; `raw` reordered). */
function scanPaliGemma(t: string): Candidate[] {
  const out: Candidate[] = [];
  let from = 0;
  for (;;) {
    const p = t.indexOf('<loc', from);
    if (p < 0) break;
    from = p + 4;
    let j = p;
    const w: number[] = [];
    for (let m = 0; m < 4; m++) {
      const e = readLoc(t, j, false);
      if (e < 0) break;
      w.push(numVal);
      j = e;
    }
    if (w.length < 4) {
      if (w.length > 0) from = j;
      continue;
    }
    // label after the tokens, up to `;`, a newline or the next tag
    let k = j;
    const stop = Math.min(t.length, j + MAX_LABEL);
    while (k < stop) {
      const c = t.charCodeAt(k);
      if (c === 59 /* ; */ || c === 10 || c === 13 || c === 60 /* < */) break;
      k++;
    }
    const rawLabel = t.slice(j, k);
    const label = rawLabel.trim();
    const e = label ? j + rawLabel.trimEnd().length : j;
    const c: Candidate = { s: p, e, a: p, conv: 'paligemma-loc', raw: [w[1]!, w[0]!, w[3]!, w[2]!] };
    if (label) c.label = label;
    out.push(c);
    from = e;
  }
  return out;
}

const MAX_INLINE_LABEL = 200;

/** Plain `[x1, y1, x2, y2]` lists (0–1 floats → norm1-floats) and multimodal_cot `[x1,y1,x2,y2 label]`. */
function scanLists(t: string): Candidate[] {
  const out: Candidate[] = [];
  const v: number[] = [0, 0, 0, 0];
  let from = 0;
  for (;;) {
    const p = t.indexOf('[', from);
    if (p < 0) break;
    from = p + 1;
    const plainEnd = readList(t, p, v);
    if (plainEnd >= 0) {
      const raw = coords(v);
      out.push({ s: p, e: plainEnd, a: p, conv: isNorm1(raw) ? 'norm1-floats' : 'plain-list', raw });
      from = plainEnd;
      continue;
    }
    const j = readFour(t, p + 1, v);
    if (j < 0 || !isWs(t.charCodeAt(j))) continue;
    // label: no brackets, up to `]`
    let k = j;
    const stop = Math.min(t.length, j + MAX_INLINE_LABEL + 64);
    while (k < stop) {
      const c = t.charCodeAt(k);
      if (c === 91 || c === 93) break;
      k++;
    }
    if (t.charCodeAt(k) !== 93) continue;
    const label = t.slice(j, k).trim();
    if (!label || label.length > MAX_INLINE_LABEL) continue;
    out.push({ s: p, e: k + 1, a: p, conv: 'inline-labelled', raw: coords(v), label });
    from = k + 1;
  }
  return out;
}

function isNorm1(raw: BoxCoords): boolean {
  return raw.every((x) => x >= 0 && x <= 1) && raw.some((x) => !Number.isInteger(x));
}

// ---------------------------------------------------------------------------------------------------
// VLM-R1's IoU reward rule

/** Python `\s` on str patterns (str.isspace): JS `\s` without U+FEFF, plus U+001C–U+001F and U+0085. */
const PY_WS = String.raw`[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]`;
/** `\[(\d+),\s*(\d+),\s*(\d+),\s*(\d+)]` with Python's Unicode `\d` (category Nd) and `\s`. */
const VLMR1_BBOX_RE = new RegExp(String.raw`\[(\p{Nd}+),${PY_WS}*(\p{Nd}+),${PY_WS}*(\p{Nd}+),${PY_WS}*(\p{Nd}+)\]`, 'u');
/** CPython >= 3.11 refuses int() of strings over 4300 digits (ValueError, caught by the reward: no box). */
const PY_INT_MAX_STR_DIGITS = 4300;

/**
 * The box VLM-R1's IoU reward reads: `re.search(r'<answer>(.*?)</answer>', content, re.DOTALL)`, then
 * the first `\[(\d+),\s*(\d+),\s*(\d+),\s*(\d+)]` in that answer (`.strip()` changes nothing for a match
 * that starts with `[` and ends with `]`). So: the first `<answer>` (case-sensitive), up to the first
 * `</answer>` after it; no closing tag → null (no reward box). Integers only, no spaces inside the
 * brackets or before commas; Unicode decimal digits count as in Python. `span` is in `text`.
 */
export function firstIntegerBoxInAnswer(text: string): { raw: BoxCoords; span: [number, number] } | null {
  if (typeof text !== 'string') return null;
  try {
    const open = text.indexOf('<answer>');
    if (open < 0) return null;
    const bodyStart = open + 8;
    const close = text.indexOf('</answer>', bodyStart);
    if (close < 0) return null;
    const m = VLMR1_BBOX_RE.exec(text.slice(bodyStart, close));
    if (!m) return null;
    const groups = [m[1]!, m[2]!, m[3]!, m[4]!];
    if (groups.some((g) => [...g].length > PY_INT_MAX_STR_DIGITS)) return null;
    const raw = groups.map(pyInt) as BoxCoords;
    const s = bodyStart + m.index;
    return { raw, span: [s, s + m[0].length] };
  } catch {
    return null;
  }
}

const ND_RE = /\p{Nd}/u;

/** Python int() of a string of Unicode decimal digits. */
function pyInt(digits: string): number {
  if (/^[0-9]+$/.test(digits)) return Number(digits);
  let v = 0;
  for (const ch of digits) v = v * 10 + digitValue(ch.codePointAt(0)!);
  return v;
}

/** Value of a Unicode Nd code point: Nd characters come in contiguous runs of ten starting at zero. */
function digitValue(cp: number): number {
  let z = cp;
  while (z > 0 && cp - z < 100 && ND_RE.test(String.fromCodePoint(z - 1))) z--;
  return (cp - z) % 10;
}
