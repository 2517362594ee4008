import * as vscode from 'vscode';
import { DEFAULT_RUN_GLOBS } from '../core/runs/discover';
import type { RunContext } from '../core/runs/context';
import { readRunContextSafe } from '../core/runs/contextForRun';
import { DEFAULT_STEP_PATTERN, compileStepPattern } from '../core/compare/sources';

/** Settings read by the features. `imageRoots` is a restricted setting: VS Code drops workspace values in untrusted workspaces. */
export function imageRoots(): string[] {
  return vscode.workspace.getConfiguration('rolloutLens').get<string[]>('imageRoots', []).filter((s) => typeof s === 'string' && s.length > 0);
}

export function runGlobs(): string[] {
  const g = vscode.workspace.getConfiguration('rolloutLens').get<string[]>('runGlobs', DEFAULT_RUN_GLOBS);
  return g.filter((s) => typeof s === 'string' && s.length > 0);
}

/** The `rolloutLens.runContext` setting (values applied to every run unless its rollout-lens.json says otherwise). */
export function runContextSetting(): Record<string, unknown> {
  const v = vscode.workspace.getConfiguration('rolloutLens').get<unknown>('runContext', {});
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Run context of a run folder: its config files and rollout-lens.json, then the setting for what they leave open. Never throws. */
export async function runContextFor(runDir: string, format?: string): Promise<RunContext | null> {
  const req: Parameters<typeof readRunContextSafe>[1] = {
    overrides: runContextSetting(),
    overridesSource: 'setting rolloutLens.runContext',
    overridesAre: 'defaults',
  };
  if (format) req.format = format;
  return readRunContextSafe(runDir, req);
}

let cacheDir: string | undefined;
/** Where persisted log indexes live (the extension's global storage; never next to a user's log). */
export function setIndexCacheDir(dir: string): void {
  cacheDir = dir;
}
export function indexCacheDir(): string | undefined {
  return cacheDir;
}

let warnedPattern: string | undefined;
/**
 * `rolloutLens.evalStepPattern` joined with the built-in patterns (the user's is tried first), or undefined for the
 * built-in ones alone. A pattern that is not a regex with a capture group is ignored with a warning (once).
 */
export function evalStepPattern(): string | undefined {
  const p = vscode.workspace.getConfiguration('rolloutLens').get<string>('evalStepPattern', '');
  if (typeof p !== 'string' || p.trim() === '') return undefined;
  try {
    compileStepPattern(p);
  } catch (e) {
    if (warnedPattern !== p) {
      warnedPattern = p;
      void vscode.window.showWarningMessage(`Rollout Lens: rolloutLens.evalStepPattern is ignored: ${e instanceof Error ? e.message : String(e)}`);
    }
    return undefined;
  }
  return `(?:${p})|${DEFAULT_STEP_PATTERN}`;
}
