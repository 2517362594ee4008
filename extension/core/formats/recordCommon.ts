// Shared pieces of the framework readers (TRL Parquet / wandb tables, ms-swift, eval outputs): which column
// is what (rewards vs extras), a Rollout from prompt / completion / rewards, predicted and reference boxes,
// image lookup, group-size choice, and batch signatures to spot a generation batch logged twice.
// Pure: no `vscode`. Never throws on odd values: problems come back as messages.

import type { Box, BoxCoords, FrameKind, ImageRef, LogIssue, Rollout, SourceRef } from '../model';
import type { RunContext } from '../runs/context';
import type { AdvantageEstimator, LogGroup, ReadOptions } from './log';
import { inferGroupSize } from './log';
import { extractAnswer, parseQwen25Boxes, partAt, traceRegions } from '../geometry/qwen25';
import { MAX_PIXELS, MIN_PIXELS, normaliseBox, smartResize, toOriginal } from '../geometry/smartResize';
import { readImageInfoFromFile } from '../images';
import { resolveImagePath } from '../runs/resolveImage';
import { ImageLookup, completeImage, fmtBox, isObject, show, sumRewards } from './rolloutLensRecord';

export { completeImage };

export { isObject, show, fmtBox, sumRewards };
export type { ImageLookup };

// ---------------------------------------------------------------------------------------------------
// Column roles

/** What the values of a column are (from the Parquet type, or from the JSON values seen). */
export type ValueKind = 'number' | 'int' | 'bool' | 'string' | 'image' | 'list' | 'object' | 'empty' | 'mixed';

/**
 * What a column means. `reward`: one reward function (numbers, NaN where the function returned None);
 * `reward-strings`: a reward column that holds strings (read where they parse as numbers, reported);
 * `total`: a logged total reward (TRL 0.15–0.16 wandb tables have a single `reward` column).
 */
export type ColumnRole =
  | 'step'
  | 'prompt'
  | 'completion'
  | 'advantage'
  | 'total'
  | 'reward'
  | 'reward-strings'
  | 'image'
  | 'reference'
  | 'extra';

/**
 * Numeric columns that are not reward functions (lower case). The rule: a float column is a reward function
 * (named as the trainer named it) unless it is listed here, or unless the run context lists the reward
 * functions and does not name it. Integer, boolean, string and nested columns are never rewards.
 */
export const KNOWN_EXTRA_COLUMNS: ReadonlySet<string> = new Set([
  'completion_length',
  'completion_len',
  'completion_tokens',
  'prompt_length',
  'prompt_tokens',
  'num_tokens',
  'num_turns',
  'entropy',
  'kl',
  'logp',
  'logprob',
  'logprobs',
  'old_logp',
  'ref_logp',
  'ratio',
  'importance_ratio',
  'clip_ratio',
  'is_truncated',
  'truncated',
  'is_clipped',
  'clipped',
  'step_time',
  'temperature',
  'index',
  'idx',
  'id',
  '__index_level_0__',
  'sample_id',
  'group_id',
  'index_in_group',
  'image_id',
  'width',
  'height',
  'input_width',
  'input_height',
  'epoch',
]);

/** Keys that hold the ground truth (ms-swift `solution`, a log_extra `ground_truth`). */
export const REFERENCE_COLUMNS: ReadonlySet<string> = new Set(['solution', 'ground_truth']);

export interface RoleOptions {
  /** Column names of the advantage (TRL `advantage`, ms-swift `advantages`). */
  advantageKeys: readonly string[];
  /** Reward function names from the run context; when given, only these numeric columns are rewards. */
  rewardFuncs?: readonly string[];
}

export function columnRole(name: string, kind: ValueKind, o: RoleOptions): ColumnRole {
  if (name === 'step') return 'step';
  if (name === 'prompt') return 'prompt';
  if (name === 'completion') return 'completion';
  if (o.advantageKeys.includes(name)) return 'advantage';
  if (name === 'image' || name === 'images') return 'image';
  if (REFERENCE_COLUMNS.has(name) && kind !== 'number' && kind !== 'int') return 'reference';
  const numeric = kind === 'number' || kind === 'int';
  if (o.rewardFuncs && o.rewardFuncs.includes(name)) {
    if (numeric || kind === 'empty') return 'reward';
    if (kind === 'string' || kind === 'mixed') return 'reward-strings';
    return 'extra';
  }
  if (name === 'reward' && (numeric || kind === 'empty')) return 'total';
  if (kind === 'number') {
    if (o.rewardFuncs) return 'extra';
    return KNOWN_EXTRA_COLUMNS.has(name.toLowerCase()) ? 'extra' : 'reward';
  }
  if (kind === 'empty') return !o.rewardFuncs && /reward/i.test(name) ? 'reward' : 'extra';
  if ((kind === 'string' || kind === 'mixed') && /reward/i.test(name) && !o.rewardFuncs) return 'reward-strings';
  return 'extra';
}

/** The kind of a list of JSON values (nulls and NaN ignored). */
export function kindOfValues(values: readonly unknown[]): ValueKind {
  let kind: ValueKind | null = null;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    let k: ValueKind;
    if (typeof v === 'number' || typeof v === 'bigint') k = 'number';
    else if (typeof v === 'boolean') k = 'bool';
    else if (typeof v === 'string') k = 'string';
    else if (Array.isArray(v)) k = 'list';
    else if (isObject(v) && (v._type === 'image-file' || v._type === 'image')) k = 'image';
    else k = 'object';
    if (kind === null) kind = k;
    else if (kind !== k) return 'mixed';
  }
  return kind ?? 'empty';
}

// ---------------------------------------------------------------------------------------------------
// Numbers

/** A finite number, or null (NaN, ±Infinity, null, anything else). */
export function finiteOrNull(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  return null;
}

/** A number from a number / bigint (NaN for null, NaN and anything else). */
export function numberOrNaN(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : NaN;
  if (typeof v === 'bigint') return Number(v);
  return NaN;
}

/** A number written as a string ("0.5", "nan", "None" → NaN); undefined when it is not one. */
export function numberFromString(s: string): number | undefined {
  const t = s.trim();
  if (/^(nan|none|null|)$/i.test(t)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?inf(inity)?$/i.test(t)) return NaN;
  return undefined;
}

/** A step: an integer ≥ 0 from a number, bigint or numeric string; NaN otherwise. */
export function parseStep(v: unknown): number {
  let n = NaN;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'bigint') n = Number(v);
  else if (typeof v === 'string' && /^\s*\d+\s*$/.test(v)) n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : NaN;
}

// ---------------------------------------------------------------------------------------------------
// Hashes and batch signatures

/** A 53-bit string hash (cyrb53). Equal strings give equal hashes; different strings almost never do. */
export function hashString(s: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Hash of a text value; NaN when the value is not a string. */
export function hashText(v: unknown): number {
  return typeof v === 'string' ? hashString(v) : NaN;
}

/** What identifies a logged generation batch: per row, the prompt and completion hashes and the advantage. */
export interface BatchSignature {
  prompt: number[];
  completion: number[];
  advantage: number[];
}

export function emptySignature(): BatchSignature {
  return { prompt: [], completion: [], advantage: [] };
}

const sameNum = (a: number, b: number): boolean => a === b || (Number.isNaN(a) && Number.isNaN(b));

/**
 * True when two batches hold the same rows (prompt, completion, advantage) in the same order: TRL with
 * steps_per_generation > 1 writes one generation batch into several consecutive step files.
 */
export function sameBatch(a: BatchSignature | null, b: BatchSignature | null): boolean {
  if (!a || !b) return false;
  const n = a.prompt.length;
  if (n === 0 || n !== b.prompt.length) return false;
  for (let i = 0; i < n; i++) {
    if (!sameNum(a.prompt[i], b.prompt[i]) || !sameNum(a.completion[i], b.completion[i]) || !sameNum(a.advantage[i], b.advantage[i])) return false;
  }
  return true;
}

/** A generation batch logged again under a later step, counted once. */
export interface DuplicateBatch {
  /** The file (or file + line) that repeats the batch. */
  file: string;
  line: number;
  /** Where the batch was first read. */
  duplicateOf: string;
  duplicateOfLine: number;
  /** Rows skipped. */
  rows: number;
}

// ---------------------------------------------------------------------------------------------------
// Group size, estimator, pixels

export interface GroupSizeChoice {
  groupSize?: number;
  groupSizeSource?: string;
  groupSizeAssumed?: boolean;
}

/**
 * G for 'blocks' grouping: the run context; else inferred from the logged advantages (each block of G sums
 * to 0); else the gcd of the runs of identical prompts within each step (a size only: rows are still cut into
 * consecutive blocks, never grouped by prompt text). Empty when none applies.
 */
export function chooseGroupSize(
  context: RunContext | null | undefined,
  steps: Float64Array,
  advantage: Float64Array,
  promptHash?: Float64Array,
): GroupSizeChoice {
  const g = context?.groupSize;
  if (g && Number.isInteger(g.value) && g.value > 0) {
    return { groupSize: g.value, groupSizeSource: g.source, groupSizeAssumed: g.assumed };
  }
  let anyAdv = false;
  for (let i = 0; i < advantage.length && !anyAdv; i++) anyAdv = !Number.isNaN(advantage[i]);
  if (anyAdv) {
    const inferred = inferGroupSize(steps, advantage);
    if (inferred) {
      return { groupSize: inferred, groupSizeSource: 'inferred from the logged advantages (each block of G sums to 0)', groupSizeAssumed: true };
    }
  }
  if (promptHash) {
    const runs = promptRunGcd(steps, promptHash);
    if (runs) return { groupSize: runs, groupSizeSource: 'inferred from runs of identical prompts (gcd of the run lengths)', groupSizeAssumed: true };
  }
  return {};
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** gcd of the lengths of runs of equal prompt hashes (within each step); null when below 2. */
export function promptRunGcd(steps: Float64Array, promptHash: Float64Array): number | null {
  const n = Math.min(steps.length, promptHash.length);
  if (n < 2) return null;
  let g = 0;
  let start = 0;
  for (let r = 1; r <= n; r++) {
    if (r === n || steps[r] !== steps[start] || !sameNum(promptHash[r], promptHash[start])) {
      g = gcd(g, r - start);
      if (g === 1) return null;
      start = r;
    }
  }
  return g >= 2 ? g : null;
}

/** The estimator for recomputed advantages: the run context's, else the framework default (assumed). */
export function estimatorFor(context: RunContext | null | undefined, framework: string): AdvantageEstimator {
  const kind = context?.advantageEstimator;
  const eps = context?.epsilon;
  return {
    kind: kind?.value ?? 'grpo',
    epsilon: eps?.value ?? 1e-4,
    source: kind ? kind.source : `${framework} default`,
    assumed: kind ? kind.assumed : true,
  };
}

/** min/max pixels of the Qwen2.5-VL processor (for mapping model-input boxes when only the image size is known). */
export interface PixelBudget {
  minPixels: number;
  maxPixels: number;
  source: string;
  assumed: boolean;
}

export function pixelBudget(context: RunContext | null | undefined): PixelBudget {
  const mn = context?.minPixels;
  const mx = context?.maxPixels;
  return {
    minPixels: mn?.value ?? MIN_PIXELS,
    maxPixels: mx?.value ?? MAX_PIXELS,
    source: mn || mx ? [mn?.source, mx?.source].filter(Boolean).join(', ') : 'qwen-vl-utils defaults',
    assumed: !(mn && !mn.assumed && mx && !mx.assumed),
  };
}

/** Warn about groups whose rows do not share one prompt (the group size is then likely wrong). */
export function checkGroupsSharePrompt(
  groups: readonly LogGroup[],
  promptHash: Float64Array,
  sourceOf: (i: number) => SourceRef,
  groupSize: number | undefined,
): LogIssue | null {
  let bad = 0;
  let first: LogGroup | null = null;
  for (const g of groups) {
    if (g.records.length < 2) continue;
    const h0 = promptHash[g.records[0]];
    if (Number.isNaN(h0)) continue;
    if (g.records.some((r) => !sameNum(promptHash[r], h0))) {
      bad++;
      first ??= g;
    }
  }
  if (!first) return null;
  const src = sourceOf(first.records[0]);
  return withUnit({
    file: src.file,
    line: src.line,
    message: `${bad} group${bad === 1 ? '' : 's'} mix different prompts (first: group ${first.groupId} at step ${first.step}); the group size G = ${groupSize ?? '?'} is probably wrong`,
    severity: 'warning',
  }, src.unit);
}

/** The issue with `unit` set only when there is one (no `unit: undefined` keys). */
export function withUnit(issue: LogIssue, unit: SourceRef['unit']): LogIssue {
  return unit ? { ...issue, unit } : issue;
}

// ---------------------------------------------------------------------------------------------------
// Images

export interface ImageLookupOptions {
  /** Folder relative paths resolve against first. */
  logDir: string;
  /** Further folders tried before opts.baseDirs (e.g. a wandb run's files folder). */
  baseDirs?: string[];
}

/** A cached image lookup: the log's folder, extra base folders, opts.baseDirs, the context's image folders, image roots. */
export function makeImageLookup(o: ImageLookupOptions, opts: ReadOptions): (logged: string) => ImageLookup {
  const baseDirs = [...(o.baseDirs ?? []), ...(opts.baseDirs ?? []), ...(opts.context?.imageFolders?.value ?? [])];
  const cache = new Map<string, ImageLookup>();
  return (logged) => {
    const hit = cache.get(logged);
    if (hit) return hit;
    const { resolved } = resolveImagePath(logged, { logDir: o.logDir, baseDirs, imageRoots: opts.imageRoots ?? [], exists: opts.exists });
    const found: ImageLookup = { resolved, info: resolved ? readImageInfoFromFile(resolved) : null };
    if (cache.size > 10000) cache.clear();
    cache.set(logged, found);
    return found;
  };
}


/**
 * Image placeholders in a chat-template prompt. ms-swift collapses a run of image pads into
 * `<|vision_start|>[151655 * 345]<|vision_end|>` (345 tokens = 345 × 28 × 28 model-input pixels); TRL ≤ 0.23
 * keeps one `<|image_pad|>` (count unknown, NaN).
 */
export function imagePlaceholders(prompt: string): { images: number; tokens: number[] } {
  const tokens: number[] = [];
  if (typeof prompt !== 'string') return { images: 0, tokens };
  const re = /<\|vision_start\|>([\s\S]{0,200}?)<\|vision_end\|>/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(prompt)) !== null) {
    const c = /^\s*\[\s*(\d+)\s*\*\s*(\d+)\s*\]\s*$/.exec(m[1]);
    tokens.push(c ? Number(c[2]) : NaN);
  }
  return { images: tokens.length, tokens };
}

/** A wandb.Image cell (`{"_type": "image-file", "path": …, "width", "height"}`) or a path → ImageRef. */
export function imageRefFrom(v: unknown): ImageRef | null {
  if (typeof v === 'string') return v.length > 0 ? { path: v } : null;
  if (!isObject(v) || typeof v.path !== 'string' || v.path.length === 0) return null;
  const ref: ImageRef = { path: v.path };
  if (typeof v.width === 'number' && v.width > 0) ref.width = v.width;
  if (typeof v.height === 'number' && v.height > 0) ref.height = v.height;
  return ref;
}

// ---------------------------------------------------------------------------------------------------
// Boxes

/** Plain `[x1, y1, x2, y2]` lists inside `<answer>…</answer>` (VLM-R1's REC answer regex), as text boxes. */
export function answerListBoxes(text: string): Array<{ raw: BoxCoords; span: [number, number] }> {
  const out: Array<{ raw: BoxCoords; span: [number, number] }> = [];
  if (typeof text !== 'string') return out;
  const N = String.raw`(-?\d+(?:\.\d+)?)`;
  const re = new RegExp(String.raw`\[\s*${N}\s*,\s*${N}\s*,\s*${N}\s*,\s*${N}\s*\]`, 'g');
  for (const [s, e] of traceRegions(text).answer) {
    const body = text.slice(s, e);
    let m: RegExpExecArray | null;
    re.lastIndex = 0;
    while ((m = re.exec(body)) !== null) {
      const raw = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])] as BoxCoords;
      if (raw.every(Number.isFinite)) out.push({ raw, span: [s + m.index, s + m.index + m[0].length] });
    }
  }
  return out;
}

/**
 * Predicted boxes of a Qwen2.5-VL completion: `bbox_2d` objects anywhere, else plain lists inside
 * `<answer>`. They are model-input pixels: mapped with the logged input size when the image has one,
 * else with smart_resize of the image size (frame assumed), else left as written (frame assumed).
 */
export function predictedBoxes(completion: string, im: ImageRef | undefined, pixels: PixelBudget, warn: (m: string) => void): Box[] {
  const found: Array<{ raw: BoxCoords; span: [number, number]; part?: Box['part']; label?: string }> = parseQwen25Boxes(completion);
  if (found.length === 0) {
    const regions = traceRegions(completion);
    for (const b of answerListBoxes(completion)) found.push({ ...b, part: partAt(regions, b.span[0]) });
  }
  if (found.length === 0) return [];
  let dims: { width: number; height: number; inputWidth: number; inputHeight: number } | null = null;
  let assumed = true;
  if (im && im.width && im.height && im.inputWidth && im.inputHeight) {
    dims = { width: im.width, height: im.height, inputWidth: im.inputWidth, inputHeight: im.inputHeight };
    assumed = false;
  } else if (im && im.width && im.height) {
    try {
      const r = smartResize(im.width, im.height, { minPixels: pixels.minPixels, maxPixels: pixels.maxPixels });
      dims = { width: im.width, height: im.height, inputWidth: r.width, inputHeight: r.height };
    } catch {
      dims = null;
    }
  }
  const out: Box[] = [];
  for (const t of found) {
    const frame: FrameKind = 'model-input';
    const mapped = dims ? toOriginal(t.raw, frame, dims) : null;
    const box: Box = { box: normaliseBox(mapped ?? t.raw), raw: t.raw, frame, span: t.span };
    if (t.part) box.part = t.part;
    if (assumed) box.frameAssumed = true;
    if (t.label !== undefined) box.label = t.label;
    if (im) box.imageIndex = 0;
    if (im && im.width && im.height && mapped) checkBounds(box.box, im, `predicted box ${fmtBox(box.box)} (raw ${fmtBox(t.raw)} in model-input)`, warn);
    out.push(box);
  }
  return out;
}

function checkBounds(b: BoxCoords, im: ImageRef, what: string, warn: (m: string) => void): void {
  if (im.width === undefined || im.height === undefined) return;
  const eps = 1e-6;
  if (b[0] < -eps || b[1] < -eps || b[2] > im.width + eps || b[3] > im.height + eps) warn(`${what} is outside the image (${im.width}×${im.height})`);
}

/** JSON.parse, then once more with Python-style single quotes; undefined when neither parses. */
export function parseLoose(text: string): unknown {
  const t = text.trim();
  if (t.length === 0 || t.length > 100000) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    /* try Python repr */
  }
  if (t.indexOf("'") >= 0) {
    try {
      return JSON.parse(t.replace(/'/g, '"').replace(/\bNone\b/g, 'null').replace(/\bTrue\b/g, 'true').replace(/\bFalse\b/g, 'false'));
    } catch {
      /* not JSON-ish */
    }
  }
  return undefined;
}

/** Boxes in a value: [x1,y1,x2,y2], a list of those, {bbox_2d|bbox|box: […], label}, or a list of such objects. */
export function boxesFromValue(v: unknown): Array<{ raw: BoxCoords; label?: string }> {
  const one = (x: unknown): { raw: BoxCoords; label?: string } | null => {
    if (Array.isArray(x)) return x.length === 4 && x.every((n) => typeof n === 'number' && Number.isFinite(n)) ? { raw: [x[0], x[1], x[2], x[3]] } : null;
    if (isObject(x)) {
      const b = one(x.bbox_2d ?? x.bbox ?? x.box);
      if (b && (typeof x.label === 'string' || typeof x.label === 'number')) b.label = String(x.label);
      return b;
    }
    return null;
  };
  const single = one(v);
  if (single) return [single];
  if (Array.isArray(v)) {
    const out: Array<{ raw: BoxCoords; label?: string }> = [];
    for (const x of v) {
      const b = one(x);
      if (!b) return [];
      out.push(b);
    }
    return out;
  }
  return [];
}

/**
 * The reference (ground truth) of a record: the answer text (`<answer>…</answer>` content when wrapped) and
 * the boxes it holds when it parses as a box list. Boxes are taken as original-image pixels (the VLM-R1 /
 * ms-swift `solution` convention; `frameAssumed`).
 */
export function parseReference(v: unknown, images: readonly ImageRef[]): { answer?: string; boxes: Box[] } {
  const out: { answer?: string; boxes: Box[] } = { boxes: [] };
  if (v === undefined || v === null) return out;
  let parsed: unknown = v;
  if (typeof v === 'string') {
    const inner = extractAnswer(v) ?? v.trim();
    out.answer = inner;
    parsed = parseLoose(inner);
    if (parsed === undefined && inner.indexOf('bbox_2d') >= 0) parsed = parseQwen25Boxes(inner).map((t) => ({ bbox_2d: t.raw, label: t.label }));
  } else if (typeof v === 'number' || typeof v === 'boolean') {
    out.answer = String(v);
    return out;
  } else {
    out.answer = safeStringify(v);
  }
  for (const b of boxesFromValue(parsed)) {
    const box: Box = { box: normaliseBox(b.raw), raw: b.raw, frame: 'original', frameAssumed: true };
    if (b.label !== undefined) box.label = b.label;
    if (images.length > 0) box.imageIndex = 0;
    out.boxes.push(box);
  }
  return out;
}

export function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

// ---------------------------------------------------------------------------------------------------
// Rollouts

/** What a framework row holds, already split into roles. */
export interface RecordFields {
  prompt: string;
  images: ImageRef[];
  completion: string;
  rewards: Record<string, number | null>;
  /** Logged total reward (else the sum of `rewards`). */
  reward?: number | null;
  advantage: number | null;
  /** The ground truth as logged (a string, a number, a box list…); undefined when none. */
  reference?: unknown;
  sampleId?: string;
  extra: Record<string, unknown>;
}

export interface BuildContext {
  source: SourceRef;
  lookupImage?: (logged: string) => ImageLookup;
  imageRoots?: readonly string[];
  pixels: PixelBudget;
}

/** A Rollout from a row's fields (step / group are filled by the log builder). Never throws. */
export function buildRollout(f: RecordFields, ctx: BuildContext): { rollout: Rollout; issues: LogIssue[] } {
  const issues: LogIssue[] = [];
  const src = ctx.source;
  const warn = (message: string): void => void issues.push(withUnit({ file: src.file, line: src.line, message, severity: 'warning' }, src.unit));
  const images = f.images;
  for (const im of images) completeImage(im, ctx.lookupImage, ctx.imageRoots ?? [], warn);
  const completion = typeof f.completion === 'string' ? f.completion : '';
  const rollout: Rollout = {
    step: 0,
    groupId: '',
    indexInGroup: 0,
    prompt: { text: typeof f.prompt === 'string' ? f.prompt : '', images },
    completion,
    reference: { boxes: [] },
    predicted: [],
    rewards: { ...f.rewards },
    reward: f.reward ?? sumRewards(f.rewards),
    advantage: f.advantage,
    advantageSource: f.advantage === null ? null : 'logged',
    generatedImages: [],
    extra: f.extra,
    source: { ...src },
  };
  if (f.sampleId !== undefined) rollout.sampleId = f.sampleId;
  const answer = extractAnswer(completion);
  if (answer !== undefined) rollout.answer = answer;
  if (f.reference !== undefined) rollout.reference = parseReference(f.reference, images);
  rollout.predicted = predictedBoxes(completion, images[0], ctx.pixels, warn);
  return { rollout, issues };
}

/** "completions_00010.parquet" from a path (for messages). */
export function baseName(p: string): string {
  const m = /[^\\/]*$/.exec(p);
  return m ? m[0] : p;
}
