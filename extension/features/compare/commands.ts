// Commands that open a comparison: "Compare Checkpoints…" (palette, or the Runs tree's multi-selection) and
// "Compare with Previous Checkpoint" (a checkpoint's context menu). Thin: sources come from the tree's nodes.
import * as vscode from 'vscode';
import * as path from 'path';
import { checkpointRewards } from '../../core/compare/sources';
import type { CompareSource } from '../../core/compare/types';
import type { RunInfo } from '../../core/runs/discover';
import { evalHeadline, headlineText, type RunsNode, type RunsTreeProvider } from '../runsTree';
import type { ComparePanel, ComparePanels } from './panel';

type CkptNode = Extract<RunsNode, { kind: 'checkpoint' }>;
type EvalNode = Extract<RunsNode, { kind: 'evalFile' }>;

function isCompareNode(x: unknown): x is CkptNode | EvalNode {
  if (typeof x !== 'object' || x === null) return false;
  const k = (x as { kind?: unknown }).kind;
  return (k === 'checkpoint' && ((x as CkptNode).ckpt.evals?.length ?? 0) > 0) || k === 'evalFile';
}

function ckptName(c: CkptNode["ckpt"]): string {
  return c.evalOnly || c.step !== null ? `checkpoint-${c.step ?? path.basename(c.dir)}` : path.basename(c.dir);
}

/** The comparison source of a tree node (names prefixed with the run when the selection spans runs). */
export function sourceOfNode(n: CkptNode | EvalNode, prefixRun: boolean): CompareSource {
  const pre = prefixRun ? `${n.run.name}/` : '';
  if (n.kind === 'evalFile') {
    return { name: `${pre}${ckptName(n.ckpt)}:${n.info.dataset}`, kind: 'eval-file', path: n.info.path, step: n.ckpt.step, evalFiles: [n.info.path], ...rewardsOf(n.run, n.ckpt.step) };
  }
  return {
    name: `${pre}${ckptName(n.ckpt)}`,
    kind: n.ckpt.evalOnly ? 'step' : 'checkpoint',
    path: n.ckpt.dir,
    step: n.ckpt.step,
    evalFiles: (n.ckpt.evals ?? []).map((e) => e.path),
    ...rewardsOf(n.run, n.ckpt.step),
  };
}

function rewardsOf(run: RunInfo, step: number | null): { rewards?: string[] } {
  try {
    const r = checkpointRewards(run.dir, step);
    return r ? { rewards: r } : {};
  } catch {
    return {};
  }
}

/** Sources of a selection, in step order within a run (the earliest is the baseline A). */
export function sourcesOfSelection(nodes: ReadonlyArray<CkptNode | EvalNode>): CompareSource[] {
  const runs = new Set(nodes.map((n) => n.run.dir));
  const sorted = [...nodes].sort((a, b) => a.run.dir.localeCompare(b.run.dir) || (a.ckpt.step ?? Infinity) - (b.ckpt.step ?? Infinity));
  return sorted.map((n) => sourceOfNode(n, runs.size > 1));
}

export function registerCompareCommands(panels: ComparePanels, runs: RunsTreeProvider): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('rolloutLens.compareCheckpoints', async (node?: unknown, selection?: unknown): Promise<ComparePanel | undefined> => {
      const picked = (Array.isArray(selection) ? selection : node !== undefined ? [node] : []).filter(isCompareNode);
      if (picked.length >= 2) return panels.open(sourcesOfSelection(picked));
      return pickAndCompare(panels, runs, picked);
    }),
    vscode.commands.registerCommand('rolloutLens.compareWithPrevious', async (node?: unknown): Promise<ComparePanel | undefined> => {
      if (!isCompareNode(node) || node.kind !== 'checkpoint') return pickAndCompare(panels, runs, []);
      const earlier = node.run.checkpoints.filter((c) => (c.evals?.length ?? 0) > 0 && c.step !== null && node.ckpt.step !== null && c.step < node.ckpt.step);
      const prev = earlier[earlier.length - 1];
      if (!prev) {
        void vscode.window.showInformationMessage(`Rollout Lens: ${ckptName(node.ckpt)} is the first evaluated checkpoint of ${node.run.name}; pick another to compare with.`);
        return pickAndCompare(panels, runs, [node]);
      }
      const prevNode: CkptNode = { kind: 'checkpoint', run: node.run, ckpt: prev, headline: [] };
      return panels.open(sourcesOfSelection([prevNode, node]));
    }),
  ];
}

/** Quick pick over every evaluated checkpoint of the workspace's runs (or eval files chosen in a dialog). */
async function pickAndCompare(panels: ComparePanels, runs: RunsTreeProvider, preselected: ReadonlyArray<CkptNode | EvalNode>): Promise<ComparePanel | undefined> {
  const all = await runs.getRuns();
  type Item = vscode.QuickPickItem & { node?: CkptNode; browse?: true };
  const items: Item[] = [];
  for (const run of all) {
    const ckpts = run.checkpoints.filter((c) => (c.evals?.length ?? 0) > 0);
    if (ckpts.length === 0) continue;
    items.push({ label: run.name, kind: vscode.QuickPickItemKind.Separator });
    for (const c of ckpts) {
      const heads = (await Promise.all((c.evals ?? []).map(evalHeadline))).filter((h) => h !== undefined);
      const node: CkptNode = { kind: 'checkpoint', run, ckpt: c, headline: heads };
      items.push({
        label: ckptName(c),
        description: heads.map(headlineText).join(' · ') || `${c.evals?.length ?? 0} eval file(s)`,
        detail: vscode.workspace.asRelativePath(c.dir),
        picked: preselected.some((p) => p.kind === 'checkpoint' && p.ckpt.dir === c.dir && p.ckpt.step === c.step),
        node,
      });
    }
  }
  items.push({ label: '$(folder-opened) Choose eval files or checkpoint folders…', browse: true, alwaysShow: true });
  const chosen = await vscode.window.showQuickPick(items, {
    canPickMany: true,
    title: 'Compare checkpoints',
    placeHolder: items.length > 1 ? 'Pick two or more checkpoints (the first is the baseline)' : 'No evaluated checkpoints found in the workspace: choose eval files',
    matchOnDescription: true,
  });
  if (!chosen || chosen.length === 0) return undefined;
  if (chosen.some((c) => c.browse)) {
    const uris = await vscode.window.showOpenDialog({ canSelectMany: true, canSelectFiles: true, canSelectFolders: true, openLabel: 'Compare', title: 'Eval files or checkpoint folders to compare' });
    if (!uris || uris.length === 0) return undefined;
    const nodes = chosen.filter((c) => c.node).map((c) => c.node!);
    const fromTree = sourcesOfSelection(nodes).map((s) => s.path);
    return panels.openPaths([...fromTree, ...uris.map((u) => u.fsPath)]);
  }
  const nodes = chosen.filter((c): c is Item & { node: CkptNode } => c.node !== undefined).map((c) => c.node);
  if (nodes.length < 2) {
    void vscode.window.showWarningMessage('Rollout Lens: pick two or more checkpoints to compare.');
    return undefined;
  }
  return panels.open(sourcesOfSelection(nodes));
}
