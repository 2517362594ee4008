// activate(): builds the services and registers the features — nothing else.
import * as vscode from 'vscode';
import { InspectorEditorProvider, INSPECTOR_VIEW_TYPE } from './features/inspector/editor';
import { RunsTreeProvider, openInInspector, setInspectorProvider } from './features/runsTree';
import { registerOpenLogCommand } from './features/openLog';
import { registerRuntimeCommand } from './features/judge/runtime';
import { setIndexCacheDir } from './features/config';
import * as path from 'path';

export interface RolloutLensApi {
  readonly inspector: InspectorEditorProvider;
  readonly runs: RunsTreeProvider;
}

export function activate(context: vscode.ExtensionContext): RolloutLensApi {
  const inspector = new InspectorEditorProvider(context.extensionUri);
  const runs = new RunsTreeProvider();
  setInspectorProvider(inspector);
  setIndexCacheDir(path.join(context.globalStorageUri.fsPath, 'index-cache'));
  context.subscriptions.push(
    vscode.window.registerCustomEditorProvider(INSPECTOR_VIEW_TYPE, inspector, {
      supportsMultipleEditorsPerDocument: true,
      webviewOptions: { retainContextWhenHidden: false },
    }),
    vscode.window.createTreeView('rolloutLens.runs', { treeDataProvider: runs, showCollapseAll: true }),
    runs,
    vscode.commands.registerCommand('rolloutLens.refreshRuns', () => runs.refresh()),
    vscode.commands.registerCommand('rolloutLens.openLogFromTree', (uri: vscode.Uri) => openInInspector(uri)),
    vscode.commands.registerCommand('rolloutLens.openInInspector', (uri?: vscode.Uri) =>
      uri instanceof vscode.Uri ? openInInspector(uri) : vscode.commands.executeCommand('rolloutLens.openLog'),
    ),
    registerOpenLogCommand(runs),
    registerRuntimeCommand(),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('rolloutLens.runGlobs') || e.affectsConfiguration('rolloutLens.runContext')) runs.refresh();
    }),
  );
  const watcher = vscode.workspace.createFileSystemWatcher('**/*.{jsonl,parquet,txt,log,json}', false, true, false);
  context.subscriptions.push(watcher, watcher.onDidCreate(() => runs.refresh()), watcher.onDidDelete(() => runs.refresh()));
  return { inspector, runs };
}

export function deactivate(): void {
  // everything is disposed through context.subscriptions
}
