// Box mentions in a completion, Qwen2.5-VL style: `{"bbox_2d": [x1, y1, x2, y2], "label": "…"}`.
// Found anywhere (bare, inside ```json fences, inside JSON lists), tolerant of single quotes,
// escaped quotes and trailing commas. Pure; never throws on any input string.

import type { BoxCoords, TracePart } from '../model';

export interface TextBox {
  /** Coordinates exactly as written. */
  raw: BoxCoords;
  label?: string;
  /** Character span [start, end) of the mention (the enclosing `{…}` when there is one). */
  span: [number, number];
  part: TracePart;
}

/** Character ranges [start, end) of `<think>…</think>` and `<answer>…</answer>` (tags included). */
export interface TraceRegions {
  think: Array<[number, number]>;
  answer: Array<[number, number]>;
}

const NUM = String.raw`(-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)`;
const KEY_RE = /\\?["']bbox_2d\\?["']\s*:\s*\[/g;
const COORDS_RE = new RegExp(String.raw`\s*${NUM}\s*,\s*${NUM}\s*,\s*${NUM}\s*,\s*${NUM}\s*,?\s*\]`, 'y');
const LABEL_RE =
  /\\"label\\"\s*:\s*\\"((?:[^"\\]|\\[^"])*)\\"|["']label["']\s*:\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')/;
/** How far to look around a key for its enclosing braces. */
const LOOK_BACK = 400;
const LOOK_AHEAD = 2000;

/** Find every Qwen2.5-VL `bbox_2d` box in `text`, in order of appearance. */
export function parseQwen25Boxes(text: string): TextBox[] {
  if (typeof text !== 'string' || text.indexOf('bbox_2d') < 0) return [];
  try {
    return parseUnsafe(text);
  } catch {
    return [];
  }
}

function parseUnsafe(text: string): TextBox[] {
  const regions = traceRegions(text);
  const out: TextBox[] = [];
  KEY_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  let minStart = 0; // spans never overlap a previous box's span
  while ((m = KEY_RE.exec(text)) !== null) {
    const keyStart = m.index;
    COORDS_RE.lastIndex = KEY_RE.lastIndex;
    const c = COORDS_RE.exec(text);
    if (!c) continue;
    const raw = [Number(c[1]), Number(c[2]), Number(c[3]), Number(c[4])] as BoxCoords;
    if (!raw.every(Number.isFinite)) continue;
    const arrayEnd = COORDS_RE.lastIndex;
    KEY_RE.lastIndex = arrayEnd;

    const open = findOpenBrace(text, keyStart, minStart);
    let start = keyStart;
    let end = arrayEnd;
    if (open >= 0) {
      const close = findCloseBrace(text, arrayEnd);
      if (close >= 0) {
        start = open;
        end = close + 1;
      }
    }
    KEY_RE.lastIndex = Math.max(KEY_RE.lastIndex, end);
    minStart = end;
    const box: TextBox = { raw, span: [start, end], part: partAt(regions, keyStart) };
    const label = findLabel(text.slice(start, end));
    if (label !== undefined) box.label = label;
    out.push(box);
  }
  return out;
}

/** Nearest `{` before `pos` with no `}` in between (within LOOK_BACK chars), else -1. */
export function findOpenBrace(text: string, pos: number, minStart: number): number {
  const stop = Math.max(minStart, pos - LOOK_BACK);
  for (let i = pos - 1; i >= stop; i--) {
    const ch = text.charCodeAt(i);
    if (ch === 0x7b /* { */) return i;
    if (ch === 0x7d /* } */) return -1;
  }
  return -1;
}

/** The `}` closing the object whose body continues at `from` (depth 1), before `limit`, skipping strings; -1 if none. */
export function findCloseBrace(text: string, from: number, limit = Infinity): number {
  let depth = 1;
  let quote = 0;
  const stop = Math.min(text.length, from + LOOK_AHEAD, limit);
  for (let i = from; i < stop; i++) {
    const ch = text.charCodeAt(i);
    if (quote) {
      if (ch === 0x5c /* \ */) i++;
      else if (ch === quote) quote = 0;
      else if (ch === 0x0a) return -1; // a label never spans lines: we lost track
      continue;
    }
    if (ch === 0x22 || ch === 0x27) quote = ch;
    else if (ch === 0x7b) depth++;
    else if (ch === 0x7d && --depth === 0) return i;
    else if (ch === 0x5c && (text.charCodeAt(i + 1) === 0x22 || text.charCodeAt(i + 1) === 0x27)) {
      i++; // escaped-quote JSON (`{\"label\": \"x\"}`): treat \" as structure, not a string start
    }
  }
  return -1;
}

/** The `label` of a box object's text (JSON, Python-style quotes, or escaped-quote JSON). */
export function findLabel(objectText: string): string | undefined {
  const m = LABEL_RE.exec(objectText);
  if (!m) return undefined;
  if (m[1] !== undefined) return decodeDouble(m[1].replace(/\\\\/g, '\\'));
  if (m[2] !== undefined) return decodeDouble(m[2]);
  if (m[3] !== undefined) return m[3].replace(/\\(.)/g, '$1');
  return undefined;
}

function decodeDouble(s: string): string {
  if (s.indexOf('\\') < 0) return s;
  try {
    const v: unknown = JSON.parse(`"${s}"`);
    return typeof v === 'string' ? v : s;
  } catch {
    return s.replace(/\\(.)/g, '$1');
  }
}

/** Ranges of `<think>…</think>` and `<answer>…</answer>`; an unclosed tag runs to the end of the text. */
export function traceRegions(text: string): TraceRegions {
  return { think: tagRanges(text, 'think'), answer: tagRanges(text, 'answer') };
}

function tagRanges(text: string, tag: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const openRe = new RegExp(`<${tag}>`, 'gi');
  const closeRe = new RegExp(`</${tag}>`, 'gi');
  let m: RegExpExecArray | null;
  while ((m = openRe.exec(text)) !== null) {
    closeRe.lastIndex = openRe.lastIndex;
    const c = closeRe.exec(text);
    if (!c) {
      out.push([m.index, text.length]);
      break;
    }
    out.push([m.index, closeRe.lastIndex]);
    openRe.lastIndex = closeRe.lastIndex;
  }
  return out;
}

/** Which part of the trace position `pos` is in. */
export function partAt(regions: TraceRegions, pos: number): TracePart {
  for (const [s, e] of regions.think) if (pos >= s && pos < e) return 'think';
  for (const [s, e] of regions.answer) if (pos >= s && pos < e) return 'answer';
  return 'other';
}

/**
 * The final answer: the content of the last complete `<answer>…</answer>`, trimmed
 * (VLM-R1's accuracy rewards read the last one). Undefined when there is none.
 */
export function extractAnswer(text: string): string | undefined {
  if (typeof text !== 'string') return undefined;
  let answer: string | undefined;
  const re = /<answer>([\s\S]*?)<\/answer>/gi;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) answer = m[1];
  return answer === undefined ? undefined : answer.trim();
}
