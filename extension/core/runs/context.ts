// Run context: what the views need that logs alone lack (group size, reward weights, estimator, pixels…),
// each value with where it came from and whether it was read or assumed. Pure: types, framework defaults,
// display and the mapping to an advantage estimator. The readers of config files live in ./contextReaders.ts
// (`readRunContext`).

import type { AdvantageEstimator } from '../formats/log';
import type { FrameKind } from '../model';

export interface ContextValue<T> {
  value: T;
  /** Where it came from: a file relative to the run folder ("checkpoint-100/trainer_state.json"), "rollout-lens.json", "setting rolloutLens.runContext", or for an assumption the reason ("TRL default"). */
  source: string;
  /** True when no file or setting gave it. */
  assumed: boolean;
  /** 1-based line in `source` when it is a file (0 or absent when unknown). */
  line?: number;
}

export type EstimatorKind = 'grpo' | 'dr-grpo' | 'rloo' | 'batch';
export const ESTIMATOR_KINDS: readonly EstimatorKind[] = ['grpo', 'dr-grpo', 'rloo', 'batch'];

/** Frameworks the context knows defaults for. */
export type FrameworkId = 'trl' | 'vlm-r1' | 'verl' | 'easyr1' | 'ms-swift';
export const FRAMEWORKS: readonly FrameworkId[] = ['trl', 'vlm-r1', 'verl', 'easyr1', 'ms-swift'];

export interface RunContext {
  /** The run folder the context belongs to (absolute). */
  runDir?: string;
  framework?: ContextValue<string>;
  /** Completions per prompt (G, num_generations, rollout.n). Never assumed: unknown stays undefined. */
  groupSize?: ContextValue<number>;
  /** Reward function names in the order the trainer uses them. */
  rewardFuncs?: ContextValue<string[]>;
  /**
   * Weight per reward function name. When a config gives weights but no names, the keys are the
   * positions ("0", "1", …) — `rewardWeightsFor` maps them onto the log's reward columns in order.
   */
  rewardWeights?: ContextValue<Record<string, number>>;
  advantageEstimator?: ContextValue<EstimatorKind>;
  /** ε added to the std (1e-4 TRL / VLM-R1, 1e-6 verl). Not the PPO clip `epsilon` of TRL configs. */
  epsilon?: ContextValue<number>;
  minPixels?: ContextValue<number>;
  maxPixels?: ContextValue<number>;
  /** Training dataset files (JSONL / parquet) the prompts can be joined back to. */
  datasets?: ContextValue<string[]>;
  /** Image folders (VLM-R1 --image_folders, a dataset image root); parallel to `datasets` when both come from VLM-R1. */
  imageFolders?: ContextValue<string[]>;
  /** Dataset column holding the images (verl / EasyR1 `data.image_key`). */
  imageKey?: ContextValue<string>;
  maxCompletionLength?: ContextValue<number>;
  modelName?: ContextValue<string>;
  /** TRL / ms-swift `loss_type` (grpo, bnpo, dr_grpo, dapo…): shown, and a hint for the estimator. */
  lossType?: ContextValue<string>;
  /** The frame predicted boxes are written in, set by the user (rollout-lens.json, setting, --frame) when inference is wrong. */
  boxFrame?: ContextValue<FrameKind>;
  /** Files that were read to build this context (relative to runDir when inside it). */
  filesRead?: string[];
  /** Problems met while reading config files (file + message); never fatal. */
  problems?: Array<{ file: string; line: number; message: string }>;
}

/** Every key of RunContext that holds a ContextValue, for listing "read vs assumed". */
export const CONTEXT_KEYS = [
  'framework',
  'groupSize',
  'rewardFuncs',
  'rewardWeights',
  'advantageEstimator',
  'epsilon',
  'minPixels',
  'maxPixels',
  'datasets',
  'imageFolders',
  'imageKey',
  'maxCompletionLength',
  'modelName',
  'lossType',
  'boxFrame',
] as const;
export type ContextKey = (typeof CONTEXT_KEYS)[number];

/** Plain values, as a user writes them in `rollout-lens.json` or the `rolloutLens.runContext` setting. */
export interface RunContextOverrides {
  framework?: string;
  groupSize?: number;
  rewardFuncs?: string[];
  /** name → weight, or a list in the order of `rewardFuncs`. */
  rewardWeights?: Record<string, number> | number[];
  /** Alias: `advantageEstimator`. */
  estimator?: EstimatorKind;
  advantageEstimator?: EstimatorKind;
  epsilon?: number;
  minPixels?: number;
  maxPixels?: number;
  /** A string is one file (a VLM-R1 style "a.jsonl:b.jsonl" is split on ':'). */
  datasets?: string[] | string;
  imageFolders?: string[] | string;
  imageKey?: string;
  maxCompletionLength?: number;
  modelName?: string;
  lossType?: string;
  /** The frame predicted boxes are written in, when inference gets it wrong: original, model-input, norm1000, norm1, bins1000, bins1024. */
  boxFrame?: string;
}

/** The keys `rollout-lens.json` accepts (for messages about unknown keys). */
export const OVERRIDE_KEYS: readonly (keyof RunContextOverrides)[] = [
  'framework',
  'groupSize',
  'rewardFuncs',
  'rewardWeights',
  'estimator',
  'advantageEstimator',
  'epsilon',
  'minPixels',
  'maxPixels',
  'datasets',
  'imageFolders',
  'imageKey',
  'maxCompletionLength',
  'modelName',
  'lossType',
  'boxFrame',
];

/** Qwen2.5-VL processor defaults (qwen-vl-utils / Qwen2VLImageProcessor). */
export const QWEN_MIN_PIXELS = 4 * 28 * 28; // 3136
export const QWEN_MAX_PIXELS = 16384 * 28 * 28; // 12845056

export interface FrameworkDefaults {
  epsilon: number;
  epsilonReason: string;
  estimator: EstimatorKind;
  estimatorReason: string;
  minPixels: number;
  maxPixels: number;
  pixelsReason: string;
}

/** Map a framework or log-format name ("trl-parquet", "ms-swift-jsonl", "VLM-R1", "R1-V"…) to a FrameworkId. */
export function normaliseFramework(name: string | undefined | null): FrameworkId | undefined {
  if (!name) return undefined;
  const n = name.toLowerCase();
  if (n.includes('easyr1') || n.includes('easy-r1')) return 'easyr1';
  if (n.includes('verl')) return 'verl';
  if (n.includes('swift')) return 'ms-swift';
  if (/vlm-?r1|r1-?v|visual-?rft|open-?r1|multimodal_cot/.test(n)) return 'vlm-r1';
  if (n.includes('trl')) return 'trl';
  return undefined;
}

export const FRAMEWORK_LABELS: Record<FrameworkId, string> = {
  trl: 'TRL',
  'vlm-r1': 'VLM-R1',
  verl: 'verl',
  easyr1: 'EasyR1',
  'ms-swift': 'ms-swift',
};

/** The values a framework uses when its config does not say (what `readRunContext` fills in as assumed). */
export function frameworkDefaults(framework: string | undefined): FrameworkDefaults {
  const fw = normaliseFramework(framework);
  const label = fw ? FRAMEWORK_LABELS[fw] : undefined;
  const unknown = 'framework unknown';
  const qwen = `Qwen2.5-VL processor default${label ? `, ${label}` : `; ${unknown}`}`;
  if (fw === 'verl' || fw === 'easyr1') {
    return {
      epsilon: 1e-6,
      epsilonReason: `${label} default`,
      estimator: 'grpo',
      estimatorReason: `${label} default`,
      minPixels: fw === 'easyr1' ? 262144 : QWEN_MIN_PIXELS,
      maxPixels: fw === 'easyr1' ? 4194304 : QWEN_MAX_PIXELS,
      pixelsReason: fw === 'easyr1' ? 'EasyR1 default (data.min_pixels / data.max_pixels)' : qwen,
    };
  }
  return {
    epsilon: 1e-4,
    epsilonReason: label ? `${label} default` : `TRL default; ${unknown}`,
    estimator: 'grpo',
    estimatorReason: label ? `${label} default` : `GRPO; ${unknown}`,
    minPixels: QWEN_MIN_PIXELS,
    maxPixels: QWEN_MAX_PIXELS,
    pixelsReason: qwen,
  };
}

/** Fill what is still missing with the framework's defaults (assumed = true). Group size is never filled. */
export function fillDefaults(ctx: RunContext): RunContext {
  const d = frameworkDefaults(ctx.framework?.value);
  ctx.advantageEstimator ??= { value: d.estimator, source: d.estimatorReason, assumed: true };
  ctx.epsilon ??= { value: d.epsilon, source: d.epsilonReason, assumed: true };
  ctx.minPixels ??= { value: d.minPixels, source: d.pixelsReason, assumed: true };
  ctx.maxPixels ??= { value: d.maxPixels, source: d.pixelsReason, assumed: true };
  return ctx;
}

export interface ContextLine {
  key: ContextKey;
  /** Short label: "G", "ε", "reward weights"… */
  label: string;
  /** The value as text ("8", "1e-4", "accuracy × 1, format × 0.5"). */
  value: string;
  /** File or setting it was read from, or the reason it was assumed. */
  source: string;
  assumed: boolean;
  /** One line for display: "G = 8 — read from wandb/run-…/files/config.yaml" / "ε = 1e-4 — assumed (TRL default)". */
  text: string;
}

export const CONTEXT_LABELS: Record<ContextKey, string> = {
  framework: 'framework',
  groupSize: 'G',
  rewardFuncs: 'reward functions',
  rewardWeights: 'reward weights',
  advantageEstimator: 'advantage estimator',
  epsilon: 'ε',
  minPixels: 'min pixels',
  maxPixels: 'max pixels',
  datasets: 'datasets',
  imageFolders: 'image folders',
  imageKey: 'image column',
  maxCompletionLength: 'max completion length',
  modelName: 'model',
  lossType: 'loss type',
  boxFrame: 'box frame',
};

const ESTIMATOR_LABELS: Record<EstimatorKind, string> = {
  grpo: 'GRPO (r − mean) / (std + ε)',
  'dr-grpo': 'Dr. GRPO r − mean (no std)',
  rloo: 'RLOO (leave-one-out mean)',
  batch: 'GRPO with batch std (r − mean_group) / (std_batch + ε)',
};

/** Numbers for display: 1e-4 rather than 0.0001, integers as they are, others with up to 4 significant digits. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return String(n);
  const a = Math.abs(n);
  if (a !== 0 && (a < 1e-3 || a >= 1e7)) {
    const [m, e] = n.toExponential().split('e');
    const mant = String(Number(Number(m).toPrecision(4)));
    return `${mant}e${Number(e)}`;
  }
  return String(Number(n.toPrecision(6)));
}

function formatValue(key: ContextKey, v: unknown): string {
  if (key === 'framework') {
    const fw = normaliseFramework(String(v));
    return fw ? FRAMEWORK_LABELS[fw] : String(v);
  }
  if (key === 'advantageEstimator') return ESTIMATOR_LABELS[v as EstimatorKind] ?? String(v);
  if ((key === 'minPixels' || key === 'maxPixels') && typeof v === 'number') {
    const side = Math.sqrt(v / 784);
    return Number.isInteger(v / 784) && v > 0 ? `${v} (${v / 784}·28²${Number.isInteger(side) ? ` = ${side * 28}²` : ''})` : String(v);
  }
  if (typeof v === 'number') return formatNumber(v);
  if (Array.isArray(v)) return v.length === 0 ? '(none)' : v.map(String).join(', ');
  if (v && typeof v === 'object') {
    return Object.entries(v as Record<string, number>)
      .map(([k, w]) => `${/^\d+$/.test(k) ? `#${Number(k) + 1}` : k} × ${formatNumber(w)}`)
      .join(', ');
  }
  return String(v);
}

/** Every value of the context as a display line, in CONTEXT_KEYS order; absent values are left out. */
export function describeContext(ctx: RunContext | null | undefined): ContextLine[] {
  const out: ContextLine[] = [];
  if (!ctx) return out;
  for (const key of CONTEXT_KEYS) {
    const cv = ctx[key] as ContextValue<unknown> | undefined;
    if (!cv) continue;
    const label = CONTEXT_LABELS[key];
    const value = formatValue(key, cv.value);
    const where = cv.assumed ? `assumed (${cv.source})` : `read from ${cv.source}${cv.line ? `:${cv.line}` : ''}`;
    out.push({ key, label, value, source: cv.source, assumed: cv.assumed, text: `${label} = ${value} — ${where}` });
  }
  return out;
}

/**
 * The estimator a reader should recompute advantages with. Values read from files or settings win;
 * for what the context only assumed, the reader's own framework default (`frameworkDefault`) is used,
 * since the reader knows which framework wrote its log.
 */
export function estimatorFromContext(ctx: RunContext | null | undefined, frameworkDefault: AdvantageEstimator): AdvantageEstimator {
  const est = ctx?.advantageEstimator;
  const eps = ctx?.epsilon;
  const estRead = est !== undefined && !est.assumed;
  const epsRead = eps !== undefined && !eps.assumed;
  const kind = estRead ? est.value : frameworkDefault.kind;
  const epsilon = epsRead ? eps.value : frameworkDefault.epsilon;
  if (!estRead && !epsRead) return { ...frameworkDefault };
  const where = (cv: ContextValue<unknown>): string => `${cv.source}${cv.line ? `:${cv.line}` : ''}`;
  const parts: string[] = [];
  parts.push(estRead ? `${kind} from ${where(est)}` : `${kind} ${frameworkDefault.assumed ? 'assumed' : 'from'} (${frameworkDefault.source})`);
  parts.push(epsRead ? `ε = ${formatNumber(epsilon)} from ${where(eps)}` : `ε = ${formatNumber(epsilon)} ${frameworkDefault.assumed ? 'assumed' : 'from'} (${frameworkDefault.source})`);
  return { kind, epsilon, source: parts.join('; '), assumed: !(estRead && epsRead) && frameworkDefault.assumed };
}

/** "accuracy_reward" / "MathAccuracy" / "rewards/accuracy/mean" → "accuracy" for loose matching. */
export function rewardKey(name: string): string {
  let n = name.toLowerCase();
  n = n.replace(/^rewards?\//, '').replace(/\/(mean|std)$/, '');
  n = n.replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  n = n.replace(/^(reward_)+/, '').replace(/(_reward|_rewards|_func|_fn|_orm)+$/, '');
  const SWIFT: Record<string, string> = { mathaccuracy: 'accuracy', cosinereward: 'cosine', repetitionpenalty: 'repetition', soft_overlong: 'soft_overlong' };
  return SWIFT[n] ?? n;
}

/**
 * Weights for the reward columns of a log, by column name: exact name first, then a loose match
 * ("accuracy" ↔ "accuracy_reward" ↔ "MathAccuracy"), then positional keys ("0", "1"…) in column order.
 * Columns without a weight are left out (the caller weighs them 1).
 */
export function rewardWeightsFor(ctx: RunContext | null | undefined, names: readonly string[]): Record<string, number> {
  const w = ctx?.rewardWeights?.value;
  const out: Record<string, number> = {};
  if (!w) return out;
  const loose = new Map<string, number>();
  for (const [k, v] of Object.entries(w)) if (!/^\d+$/.test(k)) loose.set(rewardKey(k), v);
  const funcs = ctx?.rewardFuncs?.value;
  names.forEach((name, i) => {
    if (name in w) out[name] = w[name];
    else if (loose.has(rewardKey(name))) out[name] = loose.get(rewardKey(name)) as number;
    else {
      // positional: by the trainer's function order when known, else by column order
      const pos = funcs ? funcs.findIndex((f) => rewardKey(f) === rewardKey(name)) : -1;
      const k = String(pos >= 0 ? pos : i);
      if (k in w) out[name] = w[k];
      // named after the trainer's function at the same position (VLM-R1 "accuracy" → column iou_reward)
      else if (funcs && funcs.length === names.length && funcs[i] !== undefined && funcs[i] in w) out[name] = w[funcs[i]];
    }
  });
  return out;
}
