import * as vscode from 'vscode';
import * as path from 'path';
import * as fs from 'fs';
import { discoverRuns, type LogEntry, type RunInfo } from '../core/runs/discover';
import { FORMAT_LABELS } from '../core/formats/log';
import { runGlobs } from './config';
import { INSPECTOR_VIEW_TYPE, opensAsCustomEditor, type InspectorEditorProvider } from './inspector/editor';

type Node =
  | { kind: 'run'; run: RunInfo }
  | { kind: 'log'; log: LogEntry; run: RunInfo }
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
        ...node.run.logs.map((log): Node => ({ kind: 'log', log, run: node.run })),
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
        const { log } = node;
        const folder = log.target !== log.files[0];
        const item = new vscode.TreeItem(
          folder ? `${path.basename(log.target)}/ (${log.files.length} files)` : path.basename(log.target),
          vscode.TreeItemCollapsibleState.None,
        );
        const rel = path.relative(node.run.dir, folder ? path.dirname(log.target) : path.dirname(log.target));
        item.description = [FORMAT_LABELS[log.format], rel || undefined].filter(Boolean).join(' · ');
        item.iconPath = new vscode.ThemeIcon(folder ? 'files' : 'list-flat');
        item.resourceUri = vscode.Uri.file(log.target);
        item.tooltip = `${log.target}\n${FORMAT_LABELS[log.format]}${folder ? `, ${log.files.length} files` : ''}`;
        item.contextValue = 'rolloutLog';
        item.command = { command: 'rolloutLens.openLogFromTree', title: 'Open Rollout Log', arguments: [vscode.Uri.file(log.target)] };
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

let provider: InspectorEditorProvider | undefined;
export function setInspectorProvider(p: InspectorEditorProvider): void {
  provider = p;
}

/** Open a log file or a per-step folder in the inspector: the custom editor for its own file types, a panel otherwise. */
export async function openInInspector(uri: vscode.Uri): Promise<unknown> {
  let isDir = false;
  try {
    isDir = fs.statSync(uri.fsPath).isDirectory();
  } catch {
    void vscode.window.showErrorMessage(`Rollout Lens: ${uri.fsPath} does not exist.`);
    return undefined;
  }
  if (!isDir && opensAsCustomEditor(uri.fsPath)) return vscode.commands.executeCommand('vscode.openWith', uri, INSPECTOR_VIEW_TYPE);
  return provider?.openPanel(uri);
}
