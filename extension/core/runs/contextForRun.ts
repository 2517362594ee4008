// Glue between the run-context readers and their callers (extension, CLI): a reader call that never
// throws, with the user's settings applied and the log's format as the framework hint.

import { CONTEXT_KEYS, type RunContext, type RunContextOverrides } from './context';
import { readRunContext } from './contextReaders';

export interface RunContextRequest {
  /** Plain values from settings or the command line ({groupSize: 8, …}). */
  overrides?: RunContextOverrides;
  /** How those values are named in "read from …" ("setting rolloutLens.runContext", "--group-size"). */
  overridesSource?: string;
  /** The log's format id (trl-parquet, verl-jsonl …): which framework's defaults apply. */
  format?: string;
  /**
   * 'defaults' (the extension's global setting): the overrides only fill what the run's own files and
   * rollout-lens.json leave missing or assumed. 'force' (a command-line flag): they win over everything.
   */
  overridesAre?: 'defaults' | 'force';
}

/** The run's context (config files, rollout-lens.json, overrides, then framework defaults); null only on an unexpected failure. */
export async function readRunContextSafe(runDir: string, req: RunContextRequest = {}): Promise<RunContext | null> {
  try {
    const opts: Parameters<typeof readRunContext>[1] = {};
    if (req.overrides && Object.keys(req.overrides).length > 0) opts.overrides = req.overrides;
    if (req.overridesSource) opts.settingsSource = req.overridesSource;
    if (req.format) opts.framework = frameworkOfFormat(req.format);
    if (req.overridesAre !== 'defaults' || !opts.overrides) return await readRunContext(runDir, opts);
    const own = await readRunContext(runDir, { ...opts, overrides: undefined });
    const withDefaults = await readRunContext(runDir, opts);
    const merged: RunContext = { ...withDefaults };
    const m = merged as unknown as Record<string, unknown>;
    for (const key of CONTEXT_KEYS) {
      const mine = own[key];
      if (mine && !mine.assumed) m[key] = mine;
    }
    return merged;
  } catch {
    return null;
  }
}

/** The framework whose defaults apply to a log format (undefined for the project's own and eval formats). */
export function frameworkOfFormat(format: string): string | undefined {
  if (format.startsWith('trl-')) return 'trl';
  if (format === 'verl-jsonl') return 'verl';
  if (format === 'ms-swift-jsonl') return 'ms-swift';
  if (format === 'vlm-r1-debug') return 'vlm-r1';
  if (format === 'easyr1-generations') return 'easyr1';
  return undefined;
}
