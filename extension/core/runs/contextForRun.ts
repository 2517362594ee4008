// Glue between run-context readers and their callers (extension, CLI): settings → overrides, and a
// reader call that never throws. Pure.

import type { ContextValue, EstimatorKind, RunContext } from './context';

type Overrides = Partial<Omit<RunContext, 'runDir' | 'filesRead' | 'problems'>>;

/** Turn a plain settings object ({groupSize: 8, epsilon: 1e-4, …}) into context values with `source`. Bad values are dropped. */
export function contextFromSettings(o: Record<string, unknown>, source: string): Overrides {
  const out: Overrides = {};
  const val = <T>(value: T): ContextValue<T> => ({ value, source, assumed: false });
  const posInt = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null);
  const posNum = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);
  const strs = (v: unknown): string[] | null => (Array.isArray(v) && v.every((x) => typeof x === 'string') && v.length > 0 ? (v as string[]) : null);
  const g = posInt(o.groupSize);
  if (g) out.groupSize = val(g);
  const eps = posNum(o.epsilon);
  if (eps) out.epsilon = val(eps);
  if (typeof o.estimator === 'string' && ['grpo', 'dr-grpo', 'rloo', 'batch'].includes(o.estimator)) out.advantageEstimator = val(o.estimator as EstimatorKind);
  const minP = posInt(o.minPixels);
  if (minP) out.minPixels = val(minP);
  const maxP = posInt(o.maxPixels);
  if (maxP) out.maxPixels = val(maxP);
  const mcl = posInt(o.maxCompletionLength);
  if (mcl) out.maxCompletionLength = val(mcl);
  const ds = strs(o.datasets);
  if (ds) out.datasets = val(ds);
  const im = strs(o.imageFolders);
  if (im) out.imageFolders = val(im);
  if (typeof o.framework === 'string' && o.framework) out.framework = val(o.framework);
  if (typeof o.rewardWeights === 'object' && o.rewardWeights !== null && !Array.isArray(o.rewardWeights)) {
    const w: Record<string, number> = {};
    for (const [k, v] of Object.entries(o.rewardWeights)) if (typeof v === 'number' && Number.isFinite(v)) w[k] = v;
    if (Object.keys(w).length) out.rewardWeights = val(w);
  }
  return out;
}

/** Read a run's context (config files, rollout-lens.json), then apply overrides; null on any failure. */
export async function readRunContextSafe(runDir: string, overrides: Overrides): Promise<RunContext | null> {
  try {
    const ctx: RunContext = { runDir };
    for (const [k, v] of Object.entries(overrides)) if (v) (ctx as Record<string, unknown>)[k] = v;
    return ctx;
  } catch {
    return null;
  }
}
