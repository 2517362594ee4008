// One line of the rollout-lens JSONL format (v1) → the canonical Rollout, with per-record issues.
// Pure: image lookups are injected by the caller.

import type { Box, BoxCoords, FrameKind, ImageRef, LogIssue, Rollout, Verdict, VerdictLabel } from '../model';
import type { ImageInfo } from '../images';
import { extractAnswer, parseQwen25Boxes } from '../geometry/qwen25';
import { normaliseBox, toOriginal } from '../geometry/smartResize';

export const FRAMES: readonly FrameKind[] = ['original', 'model-input', 'norm1000', 'norm1'];
const VERDICT_LABELS: readonly VerdictLabel[] = ['supported', 'unsupported', 'contradicted', 'unknown'];
const KNOWN_KEYS = new Set([
  'step', 'group_id', 'index_in_group', 'sample_id', 'prompt', 'image', 'images', 'completion',
  'reference', 'rewards', 'reward', 'advantage', 'verdict', 'generated_images', 'extra',
]);

export interface ImageLookup {
  resolved: string | null;
  /** Header info of the resolved file, null when not read. */
  info: ImageInfo | null;
}

export interface RecordContext {
  file: string;
  /** 1-based line of the record. */
  line: number;
  /** Finds a logged image path on this machine (the reader caches this). */
  lookupImage: (logged: string) => ImageLookup;
  /** Image roots, named in "image not found" messages. */
  imageRoots: readonly string[];
}

export interface RequiredFields {
  step: number;
  groupId: string;
  indexInGroup: number;
}

type Obj = Record<string, unknown>;

export function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** Checks step / group_id / index_in_group / completion; returns the fields or an error message. */
export function checkRequired(v: unknown): RequiredFields | string {
  if (!isObject(v)) return `not a JSON object (got ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v})`;
  for (const k of ['step', 'group_id', 'index_in_group', 'completion']) {
    if (!(k in v)) return `missing required field ${k}`;
  }
  if (!isNonNegInt(v.step)) return `field step must be an integer ≥ 0, got ${show(v.step)}`;
  if (!isNonNegInt(v.index_in_group)) return `field index_in_group must be an integer ≥ 0, got ${show(v.index_in_group)}`;
  const g = v.group_id;
  if (!(typeof g === 'string' || (typeof g === 'number' && Number.isInteger(g)))) {
    return `field group_id must be a string or an integer, got ${show(g)}`;
  }
  if (typeof v.completion !== 'string') return `field completion must be a string, got ${show(v.completion)}`;
  return { step: v.step, groupId: String(g), indexInGroup: v.index_in_group };
}

/** Full validation of one parsed line. Returns null (with an error) only when required fields are bad. */
export function toRollout(v: unknown, ctx: RecordContext): { rollout: Rollout | null; issues: LogIssue[] } {
  const issues: LogIssue[] = [];
  const err = (message: string): void => void issues.push({ file: ctx.file, line: ctx.line, message, severity: 'error' });
  const warn = (message: string): void => void issues.push({ file: ctx.file, line: ctx.line, message, severity: 'warning' });

  const req = checkRequired(v);
  if (typeof req === 'string') {
    err(req);
    return { rollout: null, issues };
  }
  const o = v as Obj;
  const completion = o.completion as string;

  // prompt and images
  let promptText = '';
  const images: ImageRef[] = [];
  if (typeof o.prompt === 'string') promptText = o.prompt;
  else if (isObject(o.prompt)) {
    if (typeof o.prompt.text === 'string') promptText = o.prompt.text;
    else if (o.prompt.text !== undefined) err(`prompt.text must be a string, got ${show(o.prompt.text)}`);
    if (o.prompt.images !== undefined) readImageList(o.prompt.images, 'prompt.images', images, err, warn);
  } else if (o.prompt !== undefined && o.prompt !== null) err(`prompt must be a string or an object, got ${show(o.prompt)}`);
  const topImages: unknown[] = [];
  if (o.image !== undefined) topImages.push(o.image);
  if (Array.isArray(o.images)) topImages.push(...o.images);
  else if (o.images !== undefined) topImages.push(o.images);
  const extraImages: ImageRef[] = [];
  readImageList(topImages, 'images', extraImages, err, warn);
  for (const im of extraImages) if (!images.some((x) => x.path === im.path)) images.push(im);
  for (const im of images) completeImage(im, ctx.lookupImage, ctx.imageRoots, warn);

  const generatedImages: ImageRef[] = [];
  if (o.generated_images !== undefined) {
    readImageList(o.generated_images, 'generated_images', generatedImages, err, warn);
    for (const im of generatedImages) completeImage(im, ctx.lookupImage, ctx.imageRoots, warn);
  }

  const rollout: Rollout = {
    step: req.step,
    groupId: req.groupId,
    indexInGroup: req.indexInGroup,
    prompt: { text: promptText, images },
    completion,
    reference: { boxes: [] },
    predicted: [],
    rewards: {},
    reward: null,
    advantage: null,
    advantageSource: null,
    generatedImages,
    extra: {},
    source: { file: ctx.file, line: ctx.line },
  };
  if (typeof o.sample_id === 'string' || typeof o.sample_id === 'number') rollout.sampleId = String(o.sample_id);
  else if (o.sample_id !== undefined && o.sample_id !== null) err(`sample_id must be a string or a number, got ${show(o.sample_id)}`);
  const answer = extractAnswer(completion);
  if (answer !== undefined) rollout.answer = answer;

  // reference
  if (isObject(o.reference)) {
    const ra = o.reference.answer;
    if (typeof ra === 'string') rollout.reference.answer = ra;
    else if (typeof ra === 'number' || typeof ra === 'boolean') rollout.reference.answer = String(ra);
    else if (ra !== undefined && ra !== null) rollout.reference.answer = JSON.stringify(ra);
    const boxes = o.reference.boxes;
    if (Array.isArray(boxes)) {
      boxes.forEach((b, i) => {
        const box = readReferenceBox(b, i, images, err, warn);
        if (box) rollout.reference.boxes.push(box);
      });
    } else if (boxes !== undefined && boxes !== null) err(`reference.boxes must be a list, got ${show(boxes)}`);
  } else if (o.reference !== undefined && o.reference !== null) err(`reference must be an object, got ${show(o.reference)}`);

  // predicted boxes from the completion
  const im0 = images[0];
  const modelInput = im0 !== undefined && im0.inputWidth !== undefined && im0.inputHeight !== undefined;
  for (const t of parseQwen25Boxes(completion)) {
    const frame: FrameKind = modelInput ? 'model-input' : 'original';
    const mapped = im0 ? toOriginal(t.raw, frame, im0) : t.raw;
    const box: Box = { box: normaliseBox(mapped ?? t.raw), raw: t.raw, frame, span: t.span, part: t.part };
    if (!modelInput) box.frameAssumed = true;
    if (t.label !== undefined) box.label = t.label;
    if (im0) box.imageIndex = 0;
    if (mapped === null) warn(`predicted box ${fmtBox(t.raw)} cannot be mapped from ${frame}: image size unknown`);
    else checkBounds(box, im0, `predicted box ${fmtBox(box.box)}${frame === 'original' ? '' : ` (raw ${fmtBox(t.raw)} in ${frame})`}`, warn);
    rollout.predicted.push(box);
  }

  // rewards, reward, advantage
  if (isObject(o.rewards)) {
    for (const [k, val] of Object.entries(o.rewards)) {
      if (val === null || (typeof val === 'number' && Number.isFinite(val))) rollout.rewards[k] = val;
      else {
        err(`reward ${k} must be a number or null, got ${show(val)}`);
        rollout.rewards[k] = null;
      }
    }
  } else if (o.rewards !== undefined && o.rewards !== null) err(`rewards must be an object, got ${show(o.rewards)}`);
  if (typeof o.reward === 'number' && Number.isFinite(o.reward)) rollout.reward = o.reward;
  else if (o.reward === null) rollout.reward = null;
  else {
    if (o.reward !== undefined) err(`reward must be a number or null, got ${show(o.reward)}`);
    rollout.reward = sumRewards(rollout.rewards);
  }
  if (typeof o.advantage === 'number' && Number.isFinite(o.advantage)) {
    rollout.advantage = o.advantage;
    rollout.advantageSource = 'logged';
  } else if (o.advantage !== undefined && o.advantage !== null) err(`advantage must be a number or null, got ${show(o.advantage)}`);

  // verdict
  if (isObject(o.verdict)) {
    const verdict = readVerdict(o.verdict, err, warn);
    if (verdict) rollout.verdict = verdict;
  } else if (o.verdict !== undefined && o.verdict !== null) err(`verdict must be an object, got ${show(o.verdict)}`);

  // extra: the `extra` object, then unknown top-level keys
  if (isObject(o.extra)) Object.assign(rollout.extra, o.extra);
  else if (o.extra !== undefined && o.extra !== null) rollout.extra.extra = o.extra;
  for (const [k, val] of Object.entries(o)) if (!KNOWN_KEYS.has(k)) rollout.extra[k] = val;

  return { rollout, issues };
}

/** Sum of the non-null rewards; null when there are none. */
export function sumRewards(rewards: Record<string, number | null>): number | null {
  let sum = 0;
  let any = false;
  for (const v of Object.values(rewards)) {
    if (typeof v === 'number' && Number.isFinite(v)) {
      sum += v;
      any = true;
    }
  }
  return any ? sum : null;
}

function readImageList(
  v: unknown,
  where: string,
  out: ImageRef[],
  err: (m: string) => void,
  warn: (m: string) => void,
): void {
  if (!Array.isArray(v)) {
    err(`${where} must be a list, got ${show(v)}`);
    return;
  }
  v.forEach((item, i) => {
    if (typeof item === 'string') {
      if (item.length > 0) out.push({ path: item });
      return;
    }
    if (!isObject(item) || typeof item.path !== 'string' || item.path.length === 0) {
      err(`${where}[${i}] must be a path or an object with a path, got ${show(item)}`);
      return;
    }
    const ref: ImageRef = { path: item.path };
    for (const [key, field] of [
      ['width', 'width'],
      ['height', 'height'],
      ['input_width', 'inputWidth'],
      ['input_height', 'inputHeight'],
    ] as const) {
      const n = item[key];
      if (n === undefined || n === null) continue;
      if (typeof n === 'number' && Number.isFinite(n) && n > 0) ref[field] = n;
      else warn(`${where}[${i}].${key} must be a positive number, got ${show(n)} (ignored)`);
    }
    if ((ref.inputWidth === undefined) !== (ref.inputHeight === undefined)) {
      warn(`${where}[${i}] has only one of input_width / input_height (ignored)`);
      delete ref.inputWidth;
      delete ref.inputHeight;
    }
    out.push(ref);
  });
}

/**
 * Resolve the file, fill size and orientation from its header, and report what is off. Shared by every
 * reader (recordCommon re-exports it); without a lookup nothing is resolved.
 */
export function completeImage(
  im: ImageRef,
  lookup: ((logged: string) => ImageLookup) | undefined,
  imageRoots: readonly string[],
  warn: (m: string) => void,
): void {
  if (!lookup) return;
  const found = lookup(im.path);
  if (found.resolved === null) {
    const roots = imageRoots.length > 0 ? `also tried image roots ${imageRoots.join(', ')}` : 'no image roots set';
    warn(`image not found: ${im.path} (${roots})`);
    return;
  }
  im.resolved = found.resolved;
  const info = found.info;
  if (!info || info.width === null || info.height === null) return;
  im.orientation = info.orientation;
  if (im.width === undefined && im.height === undefined) {
    im.width = info.width;
    im.height = info.height;
    return;
  }
  const same = im.width === info.width && im.height === info.height;
  const rotated = info.orientation >= 5 && im.width === info.height && im.height === info.width;
  if (!same && !rotated) {
    warn(`image ${im.path}: logged size ${im.width ?? '?'}×${im.height ?? '?'} differs from the file's ${info.width}×${info.height}`);
  }
  im.width ??= info.width;
  im.height ??= info.height;
}

function readReferenceBox(
  b: unknown,
  i: number,
  images: ImageRef[],
  err: (m: string) => void,
  warn: (m: string) => void,
): Box | null {
  const what = `reference box ${i}`;
  let coords: unknown = b;
  let label: string | undefined;
  let frame: FrameKind = 'original';
  let imageIndex = 0;
  if (isObject(b)) {
    coords = b.bbox ?? b.bbox_2d ?? b.box;
    if (typeof b.label === 'string') label = b.label;
    else if (typeof b.label === 'number') label = String(b.label);
    if (b.frame !== undefined) {
      if (typeof b.frame === 'string' && (FRAMES as readonly string[]).includes(b.frame)) frame = b.frame as FrameKind;
      else {
        err(`${what}: unknown frame ${show(b.frame)} (expected one of ${FRAMES.join(', ')})`);
        return null;
      }
    }
    if (b.image_index !== undefined) {
      if (isNonNegInt(b.image_index)) imageIndex = b.image_index;
      else warn(`${what}: image_index must be an integer ≥ 0, got ${show(b.image_index)} (using 0)`);
    }
  }
  const raw = asBoxCoords(coords);
  if (!raw) {
    err(`${what}: bbox must be a list of 4 finite numbers, got ${show(coords)}`);
    return null;
  }
  const im = images[imageIndex];
  const box: Box = { box: raw, raw, frame };
  if (label !== undefined) box.label = label;
  if (images.length > 0) box.imageIndex = imageIndex;
  const mapped = frame === 'original' ? raw : im ? toOriginal(raw, frame, im) : null;
  if (mapped === null) {
    warn(`${what} ${fmtBox(raw)} cannot be mapped from ${frame}: image size unknown`);
    return box;
  }
  box.box = normaliseBox(mapped);
  checkBounds(box, im, `${what} ${fmtBox(box.box)}${frame === 'original' ? '' : ` (raw ${fmtBox(raw)} in ${frame})`}`, warn);
  return box;
}

export function asBoxCoords(v: unknown): BoxCoords | null {
  if (!Array.isArray(v) || v.length !== 4) return null;
  if (!v.every((n) => typeof n === 'number' && Number.isFinite(n))) return null;
  return [v[0], v[1], v[2], v[3]] as BoxCoords;
}

function checkBounds(box: Box, im: ImageRef | undefined, what: string, warn: (m: string) => void): void {
  if (!im || im.width === undefined || im.height === undefined) return;
  const eps = 1e-6;
  const [x1, y1, x2, y2] = box.box;
  if (x1 < -eps || y1 < -eps || x2 > im.width + eps || y2 > im.height + eps) {
    warn(`${what} is outside the image (${im.width}×${im.height})`);
  }
}

function readVerdict(v: Obj, err: (m: string) => void, warn: (m: string) => void): Verdict | null {
  let label: VerdictLabel = 'unknown';
  if (typeof v.label === 'string' && (VERDICT_LABELS as readonly string[]).includes(v.label)) label = v.label as VerdictLabel;
  else warn(`verdict.label must be one of ${VERDICT_LABELS.join(', ')}, got ${show(v.label)} (using unknown)`);
  const verdict: Verdict = { label, source: typeof v.source === 'string' ? v.source : 'log' };
  if (typeof v.confidence === 'number' && Number.isFinite(v.confidence)) verdict.confidence = v.confidence;
  else if (v.confidence !== undefined && v.confidence !== null) err(`verdict.confidence must be a number, got ${show(v.confidence)}`);
  if (typeof v.rationale === 'string') verdict.rationale = v.rationale;
  return verdict;
}

export function fmtBox(b: readonly number[]): string {
  return `[${b.map((n) => (Number.isInteger(n) ? String(n) : n.toFixed(2))).join(', ')}]`;
}

/** A short rendering of a value for messages. */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}
