import * as vscode from 'vscode';
import { openRolloutLensJsonl, type RolloutLensLog } from '../../core/formats/rolloutLensJsonl';
import { imageRoots } from '../config';
import { InspectorSession, errorMessage } from './session';

export const INSPECTOR_VIEW_TYPE = 'rolloutLens.inspector';

class LogDocument implements vscode.CustomDocument {
  constructor(readonly uri: vscode.Uri, readonly log: Promise<RolloutLensLog>) {}
  dispose(): void {
    void this.log.then((l) => l.close(), () => undefined);
  }
}

/**
 * A read-only custom editor for rollout logs: double-clicking `*.rollouts.jsonl` in the Explorer,
 * the Runs tree and "Open Rollout Log…" all land here. Indexing shows progress; the log is never written.
 */
export class InspectorEditorProvider implements vscode.CustomReadonlyEditorProvider<LogDocument> {
  readonly sessions = new Set<InspectorSession>();
  private readonly created = new vscode.EventEmitter<InspectorSession>();
  readonly onDidCreateSession = this.created.event;

  constructor(private readonly extensionUri: vscode.Uri) {}

  openCustomDocument(uri: vscode.Uri): LogDocument {
    const name = vscode.workspace.asRelativePath(uri);
    const log = Promise.resolve(
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Rollout Lens: indexing ${name}`, cancellable: false },
        async (progress) => {
          let last = 0;
          return openRolloutLensJsonl(uri.fsPath, {
            imageRoots: imageRoots(),
            baseDirs: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
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
    log.then(
      (l) => {
        if (l.issues.length > 0) {
          const first = l.issues[0]!;
          void vscode.window.showWarningMessage(
            `Rollout Lens: ${l.issues.length} problem(s) in ${name}, first at line ${first.line}: ${first.message}. The rest of the log is shown.`,
          );
        }
      },
      (e: unknown) => void vscode.window.showErrorMessage(`Rollout Lens: cannot read ${name}: ${errorMessage(e)}`),
    );
    return new LogDocument(uri, log);
  }

  resolveCustomEditor(document: LogDocument, panel: vscode.WebviewPanel): void {
    const session = new InspectorSession(panel, document.uri, this.extensionUri, document.log);
    this.sessions.add(session);
    panel.onDidDispose(() => {
      this.sessions.delete(session);
      session.dispose();
    });
    this.created.fire(session);
  }
}
