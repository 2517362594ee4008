import * as vscode from 'vscode';
import * as path from 'path';
import { discoverRuns, type RunInfo } from '../core/runs/discover';
import { runGlobs } from './config';
import { INSPECTOR_VIEW_TYPE } from './inspector/editor';

type Node =
  | { kind: 'run'; run: RunInfo }
  | { kind: 'log'; file: string; run: RunInfo }
  | { kind: 'checkpoint'; dir: string; step: number | null };

/** The Runs view: runs found with fast-glob under each workspace folder → their rollout logs and checkpoints. */
export class RunsTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private runs: Promise<RunInfo[]> | undefined;

  refresh(): void {
    this.runs = undefined;
    this.changed.fire(undefined);
  }

  /** All runs found (used by "Open Rollout Log…" and tests). */
  getRuns(): Promise<RunInfo[]> {
    if (!this.runs) {
      const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
      this.runs = Promise.all(folders.map((f) => discoverRuns(f, runGlobs()))).then((all) => all.flat());
    }
    return this.runs;
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (!node) return (await this.getRuns()).map((run) => ({ kind: 'run', run }));
    if (node.kind === 'run') {
      return [
        ...node.run.logs.map((file): Node => ({ kind: 'log', file, run: node.run })),
        ...node.run.checkpoints.map((c): Node => ({ kind: 'checkpoint', dir: c.dir, step: c.step })),
      ];
    }
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'run': {
        const item = new vscode.TreeItem(node.run.name, vscode.TreeItemCollapsibleState.Expanded);
        const rel = vscode.workspace.asRelativePath(node.run.dir);
        item.description = rel !== node.run.name ? rel : undefined;
        item.iconPath = new vscode.ThemeIcon('beaker');
        item.tooltip = `${node.run.dir}\n${node.run.logs.length} rollout log(s), ${node.run.checkpoints.length} checkpoint(s)`;
        item.contextValue = 'run';
        return item;
      }
      case 'log': {
        const item = new vscode.TreeItem(path.basename(node.file), vscode.TreeItemCollapsibleState.None);
        item.description = path.relative(node.run.dir, path.dirname(node.file)) || undefined;
        item.iconPath = new vscode.ThemeIcon('list-flat');
        item.resourceUri = vscode.Uri.file(node.file);
        item.tooltip = node.file;
        item.contextValue = 'rolloutLog';
        item.command = { command: 'rolloutLens.openLogFromTree', title: 'Open Rollout Log', arguments: [vscode.Uri.file(node.file)] };
        return item;
      }
      case 'checkpoint': {
        const item = new vscode.TreeItem(path.basename(node.dir), vscode.TreeItemCollapsibleState.None);
        item.description = node.step !== null ? `step ${node.step}` : undefined;
        item.iconPath = new vscode.ThemeIcon('package');
        item.tooltip = node.dir;
        item.contextValue = 'checkpoint';
        return item;
      }
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export function openInInspector(uri: vscode.Uri): Thenable<unknown> {
  return vscode.commands.executeCommand('vscode.openWith', uri, INSPECTOR_VIEW_TYPE);
}
