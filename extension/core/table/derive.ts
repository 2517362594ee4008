// Per-completion values the inspector and the sample table need that are not columns of the log:
// IoU with the ground truth, length, truncation, reward mismatch, degenerate boxes, correctness, format,
// a prompt key (recurring prompts) and a completion hash (identical completions). Pure: no `vscode`.
//
// Definitions (the same wherever these values are shown or filtered on):
// - iou: mean over the ground-truth boxes of the best IoU with any predicted box of the same image
//   (recall-like, the GT side of geometry/matching.ts `meanIou`; for one GT box and one prediction it is just
//   their IoU). Null when the record has no GT box; 0 when there are GT boxes and nothing was predicted.
//   Extra predictions are not penalised here: `boxes` and the degenerate-box flags show those.
// - length: the token count when the log states one in `extra` (completion_tokens, completion_length,
//   response_length …), else the completion's length in characters (UTF-16 code units).
// - truncated: a logged flag (extra.truncated / is_truncated / clipped …) wins; else the logged token count
//   reaching the run's max completion length; else an `<answer>` opened and never closed, or a `<think>`
//   opened, never closed and no answer; false when the trace ends with a closed `</answer>` or the token count
//   is below the maximum; null when nothing tells.
// - correct: the first reward column whose name matches /acc|correct/i and has a value (≥ 0.5 is correct);
//   else the eval outputs' `correct`; else null.
// - formatOk: the first reward column whose name matches /format/i and has a value (> 0 is OK); else null.

import type { Box, BoxCoords, Rollout, Verdict } from '../model';
import type { RunContext } from '../runs/context';
import type { BoxFlag, ZeroVarianceKind } from '../../protocol/inspector';
import { checkRollout, type RolloutCheck } from '../rewards/check';
import { iou } from '../geometry/iou';
import { ruleVerdict } from '../judge/rules';
import { loggedTruncated, tagTruncation } from './truncationSignals';

export type { BoxFlag };

export interface Derived {
  /** See the header: null without GT boxes, 0 when GT exists and nothing was predicted. */
  iou: number | null;
  length: number;
  lengthUnit: 'chars' | 'tokens';
  truncated: boolean | null;
  truncatedWhy: string | null;
  /** Some recomputed reward differs from the logged one (false when nothing could be recomputed). */
  mismatch: boolean;
  /** Per predicted box, in order. */
  boxFlags: BoxFlag[][];
  /** Any predicted box has a flag. */
  degenerate: boolean;
  correct: boolean | null;
  /** How `correct` was decided, in words ("accuracy ≥ 0.5", "eval: correct"); null when unknown. */
  correctBy: string | null;
  formatOk: boolean | null;
  /** The verdict written in the log (its label), if any. */
  verdict: string | null;
  /** The built-in rules' verdict (judge/rules.ts). */
  ruleVerdict: Verdict;
  /** Prompt text and image paths: equal keys are the same prompt. */
  promptKey: string;
  /** 32-bit FNV-1a hash of the completion (identical completions have equal hashes). */
  textHash: number;
}

export interface DeriveOptions {
  /** A check already computed for this rollout (reused); null: do not recompute rewards (mismatch false). */
  check?: RolloutCheck | null;
}

/** Keys of `extra` that hold the completion's token count (first finite non-negative number wins). */
export const TOKEN_COUNT_KEYS: readonly string[] = [
  'completion_tokens',
  'completion_length',
  'completion_len',
  'num_completion_tokens',
  'response_length',
  'response_len',
  'response_tokens',
  'num_response_tokens',
  'output_tokens',
  'num_output_tokens',
  'generated_tokens',
];

export { TRUNCATED_KEYS } from './truncationSignals';

const CORRECT_RE = /acc|correct/i;
const FORMAT_RE = /format/i;

/** Rewards closer than this count as equal when deciding that a group has zero variance (no learning signal). */
export const ZERO_VARIANCE_TOL = 1e-9;

/** Everything per completion that is not already a column. Never throws for odd records. */
export function deriveRecord(r: Rollout, ctx: RunContext | null, format: string, opts: DeriveOptions = {}): Derived {
  const tokens = tokenCount(r.extra);
  const length = tokens ?? r.completion.length;
  const lengthUnit: 'chars' | 'tokens' = tokens !== null ? 'tokens' : 'chars';
  const trunc = truncation(r, tokens, ctx);

  let mismatch = false;
  const check = opts.check;
  if (check) mismatch = check.comparisons.some((c) => c.mismatch);
  else if (check === undefined) {
    try {
      mismatch = checkRollout(r, ctx, format).comparisons.some((c) => c.mismatch);
    } catch {
      mismatch = false;
    }
  }

  const boxFlags = predictedBoxFlags(r);
  const { correct, correctBy } = correctness(r);
  return {
    iou: gtIou(r.predicted, r.reference.boxes),
    length,
    lengthUnit,
    truncated: trunc.truncated,
    truncatedWhy: trunc.why,
    mismatch,
    boxFlags,
    degenerate: boxFlags.some((f) => f.length > 0),
    correct,
    correctBy,
    formatOk: formatOk(r),
    verdict: r.verdict?.label ?? null,
    ruleVerdict: ruleVerdict(r, { truncated: trunc.truncated }),
    promptKey: promptKeyOf(r),
    textHash: hash32(r.completion),
  };
}

// ---------------------------------------------------------------------------------------------------
// IoU

/** Mean over GT boxes of the best IoU with a predicted box of the same image; null without GT, 0 without predictions. */
export function gtIou(pred: readonly Box[], gt: readonly Box[]): number | null {
  if (gt.length === 0) return null;
  if (pred.length === 0) return 0;
  let sum = 0;
  for (const g of gt) {
    const gi = g.imageIndex ?? 0;
    let best = 0;
    for (const p of pred) {
      if ((p.imageIndex ?? 0) !== gi) continue;
      const v = iou(p.box, g.box);
      if (v > best) best = v;
    }
    sum += best;
  }
  const m = sum / gt.length;
  return Number.isFinite(m) ? m : 0;
}

// ---------------------------------------------------------------------------------------------------
// Length and truncation

/** The logged token count of the completion, or null. */
export function tokenCount(extra: Record<string, unknown> | undefined): number | null {
  if (!extra) return null;
  for (const k of TOKEN_COUNT_KEYS) {
    const v = extra[k];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  }
  return null;
}

/** Special tokens that may follow the end of the answer (end of turn, padding). */
const TRAILING_SPECIALS = /(?:\s|<\|im_end\|>|<\|endoftext\|>|<\|eot_id\|>|<\|end\|>|<\/s>|<eos>|<end_of_turn>|<\|end_of_text\|>)+$/;

export function truncation(r: Rollout, tokens: number | null, ctx: RunContext | null): { truncated: boolean | null; why: string | null } {
  const logged = loggedTruncated(r.extra);
  if (logged) return { truncated: logged.value, why: `logged: ${logged.key} = ${logged.value}` };
  const max = ctx?.maxCompletionLength;
  const maxOk = max && Number.isFinite(max.value) && max.value > 0 ? max : null;
  if (tokens !== null && maxOk && tokens >= maxOk.value) {
    return { truncated: true, why: `${tokens} tokens ≥ max completion length ${maxOk.value}${maxOk.assumed ? ' (assumed)' : ''} (${maxOk.source})` };
  }
  const tag = tagTruncation(r.completion);
  if (tag) return { truncated: true, why: tag };
  const lower = r.completion.toLowerCase();
  if (lower.includes('</answer>') && lower.replace(TRAILING_SPECIALS, '').endsWith('</answer>')) {
    return { truncated: false, why: 'ends with a closed </answer>' };
  }
  if (tokens !== null && maxOk) {
    return { truncated: false, why: `${tokens} tokens < max completion length ${maxOk.value}${maxOk.assumed ? ' (assumed)' : ''}` };
  }
  return { truncated: null, why: null };
}

// ---------------------------------------------------------------------------------------------------
// Degenerate boxes

function sorted(b: BoxCoords): [number, number, number, number] | null {
  if (!Array.isArray(b) || b.length < 4 || !b.every((x) => Number.isFinite(x))) return null;
  return [Math.min(b[0], b[2]), Math.min(b[1], b[3]), Math.max(b[0], b[2]), Math.max(b[1], b[3])];
}

/** Whole-image threshold: the box covers at least this fraction of the image. */
export const WHOLE_IMAGE_FRACTION = 0.95;
/** Tolerance in pixels for 'repeated' and 'outside'. */
export const BOX_TOLERANCE_PX = 1;

/**
 * Flags per predicted box: 'zero-area' (no width or no height, or a non-finite coordinate), 'whole-image'
 * (covers ≥ 95 % of the image, size known), 'repeated' (within 1 px of an earlier prediction of the same image
 * and the same part of the trace — a box reasoned about in <think> and given again in <answer> is not a
 * repeat), 'outside' (beyond the image bounds by more than 1 px, size known).
 */
export function predictedBoxFlags(r: Rollout): BoxFlag[][] {
  const images = r.prompt.images;
  const seen: Array<{ b: [number, number, number, number]; img: number; part: string }> = [];
  return r.predicted.map((p) => {
    const flags: BoxFlag[] = [];
    const s = sorted(p.box);
    const img = p.imageIndex ?? 0;
    const part = p.part ?? '';
    const raw = p.raw;
    const rawFlat = Array.isArray(raw) && raw.length >= 4 && (raw[0] === raw[2] || raw[1] === raw[3]);
    if (!s || s[2] - s[0] <= 1e-6 || s[3] - s[1] <= 1e-6 || rawFlat) flags.push('zero-area');
    if (s) {
      const im = images[img];
      const W = im?.width;
      const H = im?.height;
      if (W && H && W > 0 && H > 0) {
        const cw = Math.max(0, Math.min(s[2], W) - Math.max(s[0], 0));
        const ch = Math.max(0, Math.min(s[3], H) - Math.max(s[1], 0));
        if (cw * ch >= WHOLE_IMAGE_FRACTION * W * H) flags.push('whole-image');
      }
      const t = BOX_TOLERANCE_PX;
      if (seen.some((q) => q.img === img && q.part === part && Math.abs(q.b[0] - s[0]) <= t && Math.abs(q.b[1] - s[1]) <= t && Math.abs(q.b[2] - s[2]) <= t && Math.abs(q.b[3] - s[3]) <= t)) {
        flags.push('repeated');
      }
      if (W && H && W > 0 && H > 0 && (s[0] < -t || s[1] < -t || s[2] > W + t || s[3] > H + t)) flags.push('outside');
      seen.push({ b: s, img, part });
    }
    return flags;
  });
}

// ---------------------------------------------------------------------------------------------------
// Correctness, format, keys

export function correctness(r: Rollout): { correct: boolean | null; correctBy: string | null } {
  for (const [name, v] of Object.entries(r.rewards)) {
    if (!CORRECT_RE.test(name)) continue;
    if (typeof v === 'number' && Number.isFinite(v)) return { correct: v >= 0.5, correctBy: `${name} ≥ 0.5` };
  }
  const e = r.eval?.correct;
  if (e === true || e === false) return { correct: e, correctBy: 'eval: correct' };
  return { correct: null, correctBy: null };
}

export function formatOk(r: Rollout): boolean | null {
  for (const [name, v] of Object.entries(r.rewards)) {
    if (!FORMAT_RE.test(name)) continue;
    if (typeof v === 'number' && Number.isFinite(v)) return v > 0;
  }
  return null;
}

/** Prompt text and the logged image paths (not the resolved ones: the same prompt on another machine is the same). */
export function promptKeyOf(r: Rollout): string {
  let k = r.prompt.text;
  for (const im of r.prompt.images) k += '\u0000' + im.path;
  return k;
}

/** 32-bit FNV-1a over UTF-16 code units (a cheap identity check, not a cryptographic hash). */
export function hash32(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/** A 53-bit key of a string from two independent 32-bit hashes (collisions ≈ n² / 2^54). */
export function hash53(s: string): number {
  const a = hash32(s) >>> 0;
  let b = 0x9e3779b9 ^ s.length;
  for (let i = 0; i < s.length; i++) b = Math.imul(b ^ s.charCodeAt(i), 0x5bd1e995) ^ (b >>> 15);
  return a * 0x200000 + ((b >>> 0) & 0x1fffff);
}

// ---------------------------------------------------------------------------------------------------
// Zero-variance kinds

export type ZeroKind = ZeroVarianceKind;

/**
 * Why a zero-variance group gives no learning signal. Checked in this order:
 * 1. 'identical': every completion text is the same (`identical` true; null = not known).
 * 2. correctness known for every completion: all correct → 'all-pass', none correct → 'all-fail'.
 * 3. every known total reward ≤ 0 → 'all-fail' (nothing earned anything).
 * 4. otherwise 'same-reward' (equal rewards, for another reason or for reasons not known).
 */
export function zeroVarianceKindOf(identical: boolean | null, correct: ReadonlyArray<boolean | null>, rewards: ReadonlyArray<number | null>): ZeroKind {
  if (identical === true) return 'identical';
  if (correct.length > 0 && correct.every((c) => c !== null)) {
    if (correct.every((c) => c === true)) return 'all-pass';
    if (correct.every((c) => c === false)) return 'all-fail';
  }
  const known = rewards.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  if (known.length > 0 && known.every((x) => x <= 0)) return 'all-fail';
  return 'same-reward';
}

// ---------------------------------------------------------------------------------------------------
// Generated images

/**
 * Image placeholders in a completion, one per image: a Qwen `<|vision_start|>…<|vision_end|>` block, a run of
 * `<|image_pad|>`, an InternVL `<img>…</img>` block, `<image>`, `<|image|>`, `<image_placeholder>`, `<img>`.
 */
const IMAGE_PLACEHOLDER_RE =
  /<\|vision_start\|>[\s\S]{0,20000}?<\|vision_end\|>|(?:<\|image_pad\|>)+|<img>(?:<IMG_CONTEXT>)*<\/img>|<image>|<\|image\|>|<image_placeholder>|<img>|<\|img\|>/g;

/** Character offsets of the image placeholders in a completion, in order. */
export function imagePlaceholderOffsets(text: string, max = 1000): number[] {
  const out: number[] = [];
  IMAGE_PLACEHOLDER_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (out.length < max && (m = IMAGE_PLACEHOLDER_RE.exec(text))) out.push(m.index);
  IMAGE_PLACEHOLDER_RE.lastIndex = 0;
  return out;
}
