import * as vscode from 'vscode';
import { DEFAULT_RUN_GLOBS } from '../core/runs/discover';
import type { RunContext } from '../core/runs/context';
import { contextFromSettings, readRunContextSafe } from '../core/runs/contextForRun';

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

/** Run context of a run folder: its config files, rollout-lens.json, then the setting. Never throws. */
export async function runContextFor(runDir: string): Promise<RunContext | null> {
  const overrides = contextFromSettings(runContextSetting(), 'setting rolloutLens.runContext');
  return readRunContextSafe(runDir, overrides);
}
