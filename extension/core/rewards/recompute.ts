// Recompute the logged rewards whose definition is known from the log format, the reward name and the
// run context, and compare them with the logged values. Custom functions are listed, never flagged.
// Pure: no `vscode`.

import type { BoxCoords, Rollout } from '../model';
import { normaliseFramework, rewardKey, type RunContext } from '../runs/context';
import { cleanText, defaultAccuracyReward, exactMatchReward, extractBoxedContent, gradeAnswerLite, mcqReward, yesNoReward } from './accuracyRewards';
import { bboxRewardMultimodalCot, iouRewardVlmR1, type IouSizes } from './boxRewards';
import { formatRewardDefault, formatRewardEasyR1, formatRewardGeo3k, formatRewardRec, thinkFormatRewardTrl } from './formatRewards';
import { pyFloat, Trace, type ExplainTrace } from './trace';

export interface RecomputeResult {
  /** Recomputed value per identified reward name (null: identified, but not computable for this rollout; see explain). */
  recomputed: Record<string, number | null>;
  explain: Record<string, ExplainTrace>;
  /** Logged reward names whose definition is not known (custom functions, math_verify / LLM / mAP rewards). */
  notRecomputed: string[];
}

type Recompute = (r: Rollout, ctx: RunContext | null) => ExplainTrace;

/** The single ground-truth box in original pixels, as logged (VLM-R1 REC `Solution: [x1, y1, x2, y2]`). */
function gtBox(r: Rollout): BoxCoords | null {
  const b = r.reference.boxes;
  return b.length === 1 && b[0].frame === 'original' && !b[0].frameAssumed ? b[0].raw : null;
}

function sizesFor(r: Rollout, ctx: RunContext | null): IouSizes | null {
  const im = r.prompt.images[0];
  if (!im || !(im.width! > 0) || !(im.height! > 0)) return null;
  const s: IouSizes = { width: im.width!, height: im.height!, source: im.resolved ? 'read from the image file' : 'from the log' };
  if (im.inputWidth! > 0 && im.inputHeight! > 0) [s.inputWidth, s.inputHeight] = [im.inputWidth, im.inputHeight];
  if (ctx?.minPixels) s.minPixels = ctx.minPixels.value;
  if (ctx?.maxPixels) s.maxPixels = ctx.maxPixels.value;
  return s;
}

const iouRec: Recompute = (r, ctx) => {
  const t = iouRewardVlmR1(r.completion, gtBox(r)!, sizesFor(r, ctx));
  if (ctx?.minPixels || ctx?.maxPixels) {
    t.steps.splice(t.steps.length - 1, 0, { label: 'pixels', value: `min_pixels ${ctx.minPixels?.value ?? 3136} (${ctx.minPixels?.source ?? 'default'}), max_pixels ${ctx.maxPixels?.value ?? 12845056} (${ctx.maxPixels?.source ?? 'default'})` });
  }
  return t;
};

/** The solution as VLM-R1's grpo_jsonl saw it (`<answer> … </answer>`), rebuilt from the reference answer. */
function solutionText(r: Rollout): string {
  return `<answer>${r.reference.answer ?? ''}</answer>`;
}

function withNote(t: ExplainTrace, label: string, value: string): ExplainTrace {
  t.steps.unshift({ label, value });
  return t;
}

/** Which known definition a logged reward name has, or null (custom / not reproducible). */
function identify(name: string, r: Rollout, ctx: RunContext | null, format: string): { how: string; fn: Recompute; float32?: boolean } | null {
  const key = rewardKey(name);
  const box = gtBox(r);
  const cot = r.extra.golden !== undefined;
  const method = typeof r.extra.accu_reward_method === 'string' ? r.extra.accu_reward_method : undefined;
  const hasAnswer = typeof r.reference.answer === 'string';
  const fw = normaliseFramework(ctx?.framework?.value) ?? normaliseFramework(format);

  if (format === 'vlm-r1-debug') {
    if (name === 'accuracy') {
      if (cot && hasAnswer) return { how: 'multimodal_cot accuracy_reward (exact match)', fn: (x) => exactMatchReward(x.completion, solutionText(x)) };
      if (method !== undefined) {
        if (!hasAnswer) return null;
        if (method === 'mcq') return { how: 'VLM-R1 mcq_reward', fn: (x) => mcqReward(x.completion, solutionText(x)) };
        if (method === 'yes_no') return { how: 'VLM-R1 yes_no_reward', fn: (x) => yesNoReward(x.completion, solutionText(x)) };
        if (method === 'all_match') {
          return {
            how: 'VLM-R1 all_match_reward',
            fn: (x) => {
              const t = new Trace().add('extracted answer', cleanText(x.completion)).add('ground truth', cleanText(solutionText(x)));
              return t.done(cleanText(x.completion) === cleanText(solutionText(x)) ? 1 : 0);
            },
          };
        }
        if (method === 'default' || method === 'None' || method === '') return { how: 'VLM-R1 default_accuracy_reward', fn: (x) => defaultAccuracyReward(x.completion, solutionText(x)) };
        return null; // llm, map, math, od_*, weighted_sum, odLength: not reproduced
      }
      if (box) return { how: 'VLM-R1 iou_reward (REC)', fn: iouRec };
      return null;
    }
    if (name === 'format') {
      if (box) return { how: 'VLM-R1 format_reward_rec', fn: (x) => formatRewardRec(x.completion) };
      if (method !== undefined || hasAnswer) return { how: 'R1-V / VLM-R1 format_reward', fn: (x) => formatRewardDefault(x.completion) };
      return null;
    }
    if ((key === 'bbox') && cot) return bboxFromSolution(r);
    return null; // iou (GLM), cosine, repetition, accuracy_iou / accuracy_confidence (Visual-RFT)
  }

  if (format === 'verl-jsonl') {
    const geo = /geo3k|geometry3k/i.test(String(r.extra.data_source ?? '')) || (ctx?.rewardFuncs?.value ?? []).some((f) => /geo3k/i.test(f));
    if (name === 'score' && geo && hasAnswer) return { how: 'verl geo3k compute_score = 0.9 · acc + 0.1 · format', fn: geo3k, float32: true };
    return null;
  }

  if (format === 'easyr1-generations') {
    if (name === 'format') return { how: 'EasyR1 r1v format_reward', fn: (x) => formatRewardEasyR1(x.completion) };
    return null;
  }

  // TRL, ms-swift and other tabular logs: reward columns are named after the functions
  if (key === 'iou' && box) return { how: 'VLM-R1 iou_reward (REC)', fn: iouRec };
  if (key === 'format_rec' || name === 'format_reward_rec') return { how: 'VLM-R1 format_reward_rec', fn: (x) => formatRewardRec(x.completion) };
  if (name === 'think_format_reward') return { how: 'TRL think_format_reward', fn: (x) => thinkFormatRewardTrl(x.completion) };
  if (name === 'format_reward' && fw === 'vlm-r1') return { how: 'R1-V / VLM-R1 format_reward', fn: (x) => formatRewardDefault(x.completion) };
  return null; // accuracy_reward (math_verify), user functions, ms-swift ORMs
}

function bboxFromSolution(r: Rollout): { how: string; fn: Recompute } | null {
  const sol = typeof r.extra.solution === 'string' ? r.extra.solution : null;
  if (!sol) return null;
  return { how: 'multimodal_cot bbox_reward', fn: (x) => bboxRewardMultimodalCot(x.completion, sol) };
}

const geo3k: Recompute = (r) => {
  const fmt = formatRewardGeo3k(r.completion);
  const answer = extractBoxedContent(r.completion);
  const gt = r.reference.answer ?? '';
  const ok = gradeAnswerLite(answer, gt);
  const t = new Trace();
  t.add('extracted answer', `${answer} (last \\boxed{})`).add('ground truth', gt);
  t.add('accuracy', ok === null ? 'undecided (mathruler grade_answer is sympy-based; only string / number equality is reproduced)' : ok ? '1.0' : '0.0');
  t.add('format', `${pyFloat(fmt.value!)} (${fmt.steps[0].value})`);
  if (ok === null) return t.done(null, 'accuracy needs mathruler grade_answer');
  const v = (1 - 0.1) * (ok ? 1 : 0) + 0.1 * fmt.value!;
  t.add('combine', `0.9 × ${ok ? 1 : 0} + 0.1 × ${fmt.value} (score logged as float32)`);
  return t.done(v);
};

/**
 * Recompute the rewards of `rollout` whose definitions are known for this log `format` (a FormatId),
 * reward name and run context. Names not identified are listed in `notRecomputed`.
 */
export function recomputeRewards(rollout: Rollout, ctx: RunContext | null, format: string): RecomputeResult {
  const recomputed: Record<string, number | null> = {};
  const explain: Record<string, ExplainTrace> = {};
  const notRecomputed: string[] = [];
  for (const name of Object.keys(rollout.rewards)) {
    const id = identify(name, rollout, ctx, format);
    if (!id) {
      notRecomputed.push(name);
      continue;
    }
    let t: ExplainTrace;
    try {
      t = id.fn(rollout, ctx);
    } catch (e) {
      t = new Trace().done(null, `failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    withNote(t, 'definition', `${id.how}${id.float32 ? ' (logged as float32)' : ''}`);
    recomputed[name] = t.value;
    explain[name] = t;
  }
  return { recomputed, explain, notRecomputed };
}

/** Whether a log format stores rewards as float32 (verl `score` = token-level scores summed in float32). */
export function loggedAsFloat32(format: string, name: string): boolean {
  return format === 'verl-jsonl' && name === 'score';
}

export interface RewardComparison {
  name: string;
  logged: number | null;
  recomputed: number | null;
  mismatch: boolean;
  /** |logged − recomputed| / max(|logged|, |recomputed|) (0 when both are 0); null when either is missing. */
  relDiff: number | null;
}

/** Relative tolerance: 1e-6, or 1e-5 when the log stores float32. */
export function rewardTolerance(float32 = false): number {
  return float32 ? 1e-5 : 1e-6;
}

/**
 * Compare logged and recomputed values, for every name in `recomputed`. A mismatch needs both values:
 * relDiff above the tolerance (1e-6; 1e-5 with `float32`). A missing value on either side is never a mismatch.
 */
export function compareRewards(
  logged: Record<string, number | null>,
  recomputed: Record<string, number | null>,
  opts: { float32?: boolean } = {},
): RewardComparison[] {
  const tol = rewardTolerance(opts.float32);
  return Object.keys(recomputed).map((name) => {
    const l = logged[name];
    const r = recomputed[name];
    const lv = typeof l === 'number' && Number.isFinite(l) ? l : null;
    const rv = typeof r === 'number' && Number.isFinite(r) ? r : null;
    if (lv === null || rv === null) return { name, logged: lv, recomputed: rv, mismatch: false, relDiff: null };
    const scale = Math.max(Math.abs(lv), Math.abs(rv));
    const relDiff = scale === 0 ? 0 : Math.abs(lv - rv) / scale;
    return { name, logged: lv, recomputed: rv, mismatch: relDiff > tol, relDiff };
  });
}
