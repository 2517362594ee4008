import * as vscode from 'vscode';
import * as fs from 'fs';
import * as path from 'path';
import type { RolloutLog } from '../../core/formats/log';
import { onlySpec, openSpec } from '../../core/formats/all';
import { runDirOf } from '../../core/runs/discover';
import { imageRoots, indexCacheDir, runContextFor } from '../config';
import { InspectorSession, errorMessage, type LogSource } from './session';

export const INSPECTOR_VIEW_TYPE = 'rolloutLens.inspector';

class LogDocument implements vscode.CustomDocument {
  constructor(readonly uri: vscode.Uri, readonly source: LogSource) {}
  dispose(): void {
    void this.source.done.then((l) => l.close(), () => undefined);
  }
}

/**
 * Open any log (file or folder of per-step files) with a progress notification. `partial` resolves with
 * the first records (progressive formats), `done` once everything is indexed. Problems are announced once.
 */
export function openLogSource(target: string): LogSource {
  const name = vscode.workspace.asRelativePath(target);
  let resolvePartial!: (l: RolloutLog) => void;
  let rejectPartial!: (e: unknown) => void;
  const partial = new Promise<RolloutLog>((res, rej) => {
    resolvePartial = res;
    rejectPartial = rej;
  });
  const done = Promise.resolve(
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Rollout Lens: reading ${name}`, cancellable: false },
      async (progress) => {
        let last = 0;
        const isFolder = fs.statSync(target).isDirectory();
        const spec = await onlySpec(target);
        const context = await runContextFor(runDirOf(target, isFolder), spec.format);
        return openSpec(spec, {
          imageRoots: imageRoots(),
          baseDirs: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
          columns: true,
          context,
          cacheDir: indexCacheDir(),
          onPartial: (log) => resolvePartial(log),
          onProgress: (bytes: number, total: number) => {
            const pct = total > 0 ? Math.floor((100 * bytes) / total) : 100;
            if (pct > last) {
              progress.report({ increment: pct - last, message: `${pct}%` });
              last = pct;
            }
          },
        });
      },
    ),
  );
  done.then(
    (l) => {
      resolvePartial(l);
      if (l.issues.length > 0) {
        const first = l.issues[0]!;
        const where = first.line > 0 ? `${path.basename(first.file)} ${first.unit === 'row' ? 'row' : 'line'} ${first.line}` : path.basename(first.file);
        void vscode.window.showWarningMessage(
          `Rollout Lens: ${l.issues.length} problem(s) in ${name}, first at ${where}: ${first.message}. The rest of the log is shown.`,
        );
      }
    },
    (e: unknown) => {
      rejectPartial(e);
      void vscode.window.showErrorMessage(`Rollout Lens: cannot read ${name}: ${errorMessage(e)}`);
    },
  );
  return { target, partial, done };
}

/**
 * The Rollout Inspector. A read-only custom editor for the files that are always rollout logs
 * (`*.rollouts.jsonl`, `*.eval.jsonl`, TRL `completions_*.parquet`), and a webview panel for every other
 * log (verl / TRL folders, ms-swift completions.jsonl, VLM-R1 debug logs …) opened from the Runs tree,
 * the Explorer context menu or "Open Rollout Log…". The log is never written.
 */
export class InspectorEditorProvider implements vscode.CustomReadonlyEditorProvider<LogDocument> {
  readonly sessions = new Set<InspectorSession>();
  private readonly created = new vscode.EventEmitter<InspectorSession>();
  readonly onDidCreateSession = this.created.event;
  private readonly panels = new Map<string, vscode.WebviewPanel>();

  constructor(private readonly extensionUri: vscode.Uri) {}

  openCustomDocument(uri: vscode.Uri): LogDocument {
    return new LogDocument(uri, openLogSource(uri.fsPath));
  }

  resolveCustomEditor(document: LogDocument, panel: vscode.WebviewPanel): void {
    this.attach(panel, document.uri, document.source);
  }

  /** Open a file or folder in an inspector panel (reveals the panel when it is already open). */
  openPanel(uri: vscode.Uri): InspectorSession | undefined {
    const key = uri.fsPath;
    const existing = this.panels.get(key);
    if (existing) {
      existing.reveal();
      return undefined;
    }
    const panel = vscode.window.createWebviewPanel(INSPECTOR_VIEW_TYPE, `Rollouts: ${path.basename(uri.fsPath)}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [],
    });
    this.panels.set(key, panel);
    panel.onDidDispose(() => this.panels.delete(key));
    return this.attach(panel, uri, openLogSource(uri.fsPath));
  }

  private attach(panel: vscode.WebviewPanel, uri: vscode.Uri, source: LogSource): InspectorSession {
    const session = new InspectorSession(panel, uri, this.extensionUri, source);
    this.sessions.add(session);
    panel.onDidDispose(() => {
      this.sessions.delete(session);
      session.dispose();
    });
    this.created.fire(session);
    return session;
  }
}

/** Files the custom editor opens by default (keep in step with package.json customEditors). */
export function opensAsCustomEditor(file: string): boolean {
  return /\.(rollouts|eval)\.jsonl$/i.test(file) || /(^|[\\/])completions_\d+\.parquet$/i.test(file);
}
