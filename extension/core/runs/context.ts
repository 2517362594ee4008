// Run context: what the views need that logs alone lack (group size, reward weights, estimator, pixels…),
// each value with where it came from and whether it was read or assumed. Pure types here; the readers of
// config files live in ./contextReaders.ts.

export interface ContextValue<T> {
  value: T;
  /** Where it came from: a file relative to the run folder ("checkpoint-100/trainer_state.json"), "rollout-lens.json", "setting rolloutLens.runContext", or for an assumption the reason ("TRL default"). */
  source: string;
  /** True when no file or setting gave it. */
  assumed: boolean;
}

export type EstimatorKind = 'grpo' | 'dr-grpo' | 'rloo' | 'batch';

export interface RunContext {
  /** The run folder the context belongs to (absolute). */
  runDir?: string;
  framework?: ContextValue<string>;
  /** Completions per prompt (G, num_generations, rollout.n). */
  groupSize?: ContextValue<number>;
  /** Reward function names in the order the trainer uses them. */
  rewardFuncs?: ContextValue<string[]>;
  /** Weight per reward function name. */
  rewardWeights?: ContextValue<Record<string, number>>;
  advantageEstimator?: ContextValue<EstimatorKind>;
  /** ε added to the std (1e-4 TRL / VLM-R1, 1e-6 verl). */
  epsilon?: ContextValue<number>;
  minPixels?: ContextValue<number>;
  maxPixels?: ContextValue<number>;
  /** Training dataset files (JSONL / parquet) the prompts can be joined back to. */
  datasets?: ContextValue<string[]>;
  /** Image folders (VLM-R1 --image_folders, a dataset image root). */
  imageFolders?: ContextValue<string[]>;
  maxCompletionLength?: ContextValue<number>;
  modelName?: ContextValue<string>;
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
  'maxCompletionLength',
  'modelName',
] as const;
export type ContextKey = (typeof CONTEXT_KEYS)[number];
