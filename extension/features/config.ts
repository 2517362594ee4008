import * as vscode from 'vscode';

/** Settings read by the features. `imageRoots` is a restricted setting: VS Code drops workspace values in untrusted workspaces. */
export function imageRoots(): string[] {
  return vscode.workspace.getConfiguration('rolloutLens').get<string[]>('imageRoots', []).filter((s) => typeof s === 'string' && s.length > 0);
}

export function runGlobs(): string[] {
  const g = vscode.workspace.getConfiguration('rolloutLens').get<string[]>('runGlobs', ['**/*.rollouts.jsonl']);
  return g.filter((s) => typeof s === 'string' && s.length > 0);
}
