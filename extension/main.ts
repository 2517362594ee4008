// activate(): builds the services and registers the features — nothing else.
import * as vscode from 'vscode';
import { InspectorEditorProvider, INSPECTOR_VIEW_TYPE } from './features/inspector/editor';
import { RunsTreeProvider, RUNS_VIEW_ID, isLogPlaceNode, openInInspector, openNodeInInspector, setInspectorProvider } from './features/runsTree';
import { registerOpenLogCommand } from './features/openLog';
import { registerRuntimeCommand } from './features/judge/runtime';
import { JudgeService, setJudgeService } from './features/judge/service';
import { registerJudgeCommands } from './features/judge/commands';
import { registerDeepLinks, sampleLinkFor, type SampleLinkHandler } from './features/deepLink';
import { setIndexCacheDir } from './features/config';
import { ComparePanels } from './features/compare/panel';
import { registerCompareCommands } from './features/compare/commands';
import * as path from 'path';
import { registerJobs, type JobsApi } from './features/jobs/commands';

export interface RolloutLensApi {
  readonly inspector: InspectorEditorProvider;
  readonly runs: RunsTreeProvider;
  /** The URI handler of sample links (tests call `resolve` / `handleUri`). */
  readonly links: SampleLinkHandler;
  /** A link to one completion of a log in the workspace, or null (see features/deepLink.ts). */
  readonly sampleLinkFor: typeof sampleLinkFor;
  /** Open comparisons (tests open one from paths and read its init). */
  readonly compare: ComparePanels;
  /** The judges (tests read lastRun and the cache folder). */
  readonly judges: JudgeService;
  /** Jobs launched or attached in this workspace (tests start, watch and stop them). */
  readonly jobs: JobsApi;
}

export function activate(context: vscode.ExtensionContext): RolloutLensApi {
  const inspector = new InspectorEditorProvider(context.extensionUri);
  const runs = new RunsTreeProvider();
  setInspectorProvider(inspector);
  setIndexCacheDir(path.join(context.globalStorageUri.fsPath, 'index-cache'));
  const compare = new ComparePanels(context.extensionUri);
  const judges = new JudgeService(context.globalStorageUri.fsPath, context.extensionUri.fsPath, context.secrets);
  setJudgeService(judges);
  const runsView = vscode.window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: runs, showCollapseAll: true, canSelectMany: true });
  runs.setView(runsView);
  context.subscriptions.push(
    vscode.window.registerCustomEditorProvider(INSPECTOR_VIEW_TYPE, inspector, {
      supportsMultipleEditorsPerDocument: true,
      webviewOptions: { retainContextWhenHidden: false },
    }),
    // panels (folders, logs without their own file type) come back after a window reload
    vscode.window.registerWebviewPanelSerializer(INSPECTOR_VIEW_TYPE, inspector),
    runsView,
    runs,
    vscode.commands.registerCommand('rolloutLens.refreshRuns', () => runs.refresh()),
    vscode.commands.registerCommand('rolloutLens.openLogFromTree', (uri: vscode.Uri) => openInInspector(uri)),
    vscode.commands.registerCommand('rolloutLens.openInInspector', (arg?: unknown) => {
      if (arg instanceof vscode.Uri) return openInInspector(arg);
      if (isLogPlaceNode(arg)) return openNodeInInspector(arg);
      return vscode.commands.executeCommand('rolloutLens.openLog');
    }),
    registerOpenLogCommand(runs),
    compare,
    ...registerCompareCommands(compare, runs),
    registerRuntimeCommand(),
    judges,
    { dispose: () => setJudgeService(undefined) },
    ...registerJudgeCommands(judges, inspector),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('rolloutLens.runGlobs') || e.affectsConfiguration('rolloutLens.runContext') || e.affectsConfiguration('rolloutLens.evalStepPattern')) runs.refresh();
    }),
  );
  const links = registerDeepLinks(context, inspector);
  const jobs = registerJobs(context, runs, inspector);
  context.subscriptions.push(...jobs.disposables);
  const watcher = vscode.workspace.createFileSystemWatcher('**/*.{jsonl,parquet,txt,log,json}', false, true, false);
  context.subscriptions.push(watcher, watcher.onDidCreate(() => runs.refresh()), watcher.onDidDelete(() => runs.refresh()));
  return { inspector, runs, links, sampleLinkFor, compare, judges, jobs: jobs.api };
}

export function deactivate(): void {
  // everything is disposed through context.subscriptions
}
