import * as vscode from 'vscode';
import * as fs from 'fs';
import * as path from 'path';
import type { ReadOptions, RolloutLog } from '../../core/formats/log';
import { onlySpec, openSpec, type LogSpec } from '../../core/formats/all';
import { runDirOf } from '../../core/runs/discover';
import { existsInside } from '../../core/runs/sampleLink';
import { imageRoots, indexCacheDir, runContextFor } from '../config';
import { InspectorSession, errorMessage, type LogSource } from './session';

export const INSPECTOR_VIEW_TYPE = 'rolloutLens.inspector';

class LogDocument implements vscode.CustomDocument {
  constructor(readonly uri: vscode.Uri, readonly source: LogSource) {}
  dispose(): void {
    void this.source.done.then((l) => l.close(), () => undefined);
  }
}

/** The folders of the workspace (absolute paths). */
export function workspaceFolderPaths(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
}

/**
 * What opening `target` reads and how: the one log it holds and the options every view of it uses (run
 * context, image roots, reward columns, index cache). The inspector and the Runs tree open logs the same
 * way, so group numbers agree between them.
 */
export async function logOpenOptions(target: string): Promise<{ spec: LogSpec; opts: ReadOptions }> {
  const isFolder = fs.statSync(target).isDirectory();
  const spec = await onlySpec(target);
  const context = await runContextFor(runDirOf(target, isFolder), spec.format);
  return {
    spec,
    opts: { imageRoots: imageRoots(), baseDirs: workspaceFolderPaths(), columns: true, context, cacheDir: indexCacheDir() },
  };
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
        const { spec, opts } = await logOpenOptions(target);
        return openSpec(spec, {
          ...opts,
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

interface SessionInfo {
  panel: vscode.WebviewPanel;
  /** What the session shows: a file, or the folder of a per-step log. */
  target: string;
}

/** What the inspector saves with `setState` (webview/inspector/main.ts SavedState); only `file` is read here. */
interface SavedPanelState {
  file?: unknown;
  groupIndex?: unknown;
  completion?: unknown;
}

/**
 * The Rollout Inspector. A read-only custom editor for the files that are always rollout logs
 * (`*.rollouts.jsonl`, `*.eval.jsonl`, TRL `completions_*.parquet`), and a webview panel for every other
 * log (verl / TRL folders, ms-swift completions.jsonl, VLM-R1 debug logs …) opened from the Runs tree,
 * the Explorer context menu or "Open Rollout Log…". The log is never written. Panels come back after a
 * window reload (the serializer reopens the file their webview saved); custom editors restore themselves.
 */
export class InspectorEditorProvider implements vscode.CustomReadonlyEditorProvider<LogDocument>, vscode.WebviewPanelSerializer {
  readonly sessions = new Set<InspectorSession>();
  private readonly created = new vscode.EventEmitter<InspectorSession>();
  readonly onDidCreateSession = this.created.event;
  private readonly panels = new Map<string, vscode.WebviewPanel>();
  private readonly info = new Map<InspectorSession, SessionInfo>();

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
    this.trackPanel(key, panel);
    return this.attach(panel, uri, openLogSource(uri.fsPath));
  }

  /** Sessions showing `target` (a file, or the folder of a per-step log), oldest first. */
  sessionsFor(target: string): InspectorSession[] {
    const key = path.resolve(target);
    return [...this.info.entries()].filter(([, i]) => path.resolve(i.target) === key).map(([s]) => s);
  }

  /**
   * Open `uri` in the inspector (the custom editor for its own file types, a panel otherwise; an open one
   * is revealed) and show group `groupIndex`, completion `completion` once the webview has the log.
   * Resolves with the session (undefined when the file is missing or no inspector came up in time).
   */
  async openAt(uri: vscode.Uri, groupIndex: number, completion = 0, timeoutMs = 60_000): Promise<InspectorSession | undefined> {
    const target = uri.fsPath;
    let isDir: boolean;
    try {
      isDir = fs.statSync(target).isDirectory();
    } catch {
      void vscode.window.showErrorMessage(`Rollout Lens: ${target} does not exist.`);
      return undefined;
    }
    let session: InspectorSession | undefined;
    /** The webview (re)loads and will send a fresh init: wait for it before going anywhere. */
    let freshInit = false;
    if (!isDir && opensAsCustomEditor(target)) {
      const before = new Map(this.sessionsFor(target).map((s) => [s, this.info.get(s)?.panel.visible ?? false]));
      const next = this.nextSessionFor(target, timeoutMs);
      try {
        await vscode.commands.executeCommand('vscode.openWith', uri, INSPECTOR_VIEW_TYPE);
        const added = this.sessionsFor(target).filter((s) => !before.has(s));
        if (added.length > 0) {
          session = added[added.length - 1];
          freshInit = true;
        } else {
          const open = this.sessionsFor(target);
          const panelOf = (s: InspectorSession) => this.info.get(s)?.panel;
          session = open.find((s) => panelOf(s)?.active) ?? open.find((s) => panelOf(s)?.visible) ?? open[open.length - 1];
          if (session) freshInit = !before.get(session);
          else {
            session = await next.promise;
            freshInit = true;
          }
        }
      } finally {
        next.dispose();
      }
    } else {
      const existing = this.panels.get(target);
      const existingSession = existing ? this.sessionsFor(target).find((s) => this.info.get(s)?.panel === existing) : undefined;
      if (existing && existingSession) {
        freshInit = !existing.visible;
        existing.reveal();
        session = existingSession;
      } else {
        session = this.openPanel(uri);
        freshInit = true;
      }
    }
    if (!session) return undefined;
    await this.initialized(session, freshInit, timeoutMs);
    session.goto(groupIndex, completion);
    return session;
  }

  /** Restore a panel after a window reload from the state its webview saved (`file` = what it showed). */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const file = typeof state === 'object' && state !== null ? (state as SavedPanelState).file : undefined;
    if (typeof file !== 'string' || file.length === 0) {
      console.warn('[rollout-lens] an inspector panel saved no log to restore; closed it');
      panel.dispose();
      return;
    }
    const folders = workspaceFolderPaths();
    if (!existsInside(file, folders)) {
      panel.dispose();
      const why = fs.existsSync(file) ? 'it is outside the workspace' : 'it no longer exists';
      void vscode.window.showWarningMessage(`Rollout Lens: the inspector for ${file} was not restored: ${why}.`);
      return;
    }
    const old = this.panels.get(file);
    if (old && old !== panel) {
      // already open (opened again before the restore came): keep that one
      panel.dispose();
      return;
    }
    this.trackPanel(file, panel);
    this.attach(panel, vscode.Uri.file(file), openLogSource(file));
  }

  private trackPanel(key: string, panel: vscode.WebviewPanel): void {
    this.panels.set(key, panel);
    panel.onDidDispose(() => {
      if (this.panels.get(key) === panel) this.panels.delete(key);
    });
  }

  /** The next session created for `target` (settles only if one comes within `timeoutMs`). */
  private nextSessionFor(target: string, timeoutMs: number): { promise: Promise<InspectorSession>; dispose(): void } {
    const key = path.resolve(target);
    let sub: vscode.Disposable | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const promise = new Promise<InspectorSession>((resolve, reject) => {
      sub = this.onDidCreateSession((s) => {
        if (path.resolve(this.info.get(s)?.target ?? '') === key) resolve(s);
      });
      timer = setTimeout(() => reject(new Error(`no inspector opened ${target} within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    });
    promise.catch(() => undefined);
    return {
      promise,
      dispose: () => {
        sub?.dispose();
        if (timer) clearTimeout(timer);
      },
    };
  }

  /** Resolve once the session's webview has the log: now when it already has it, else at its next init. */
  private initialized(session: InspectorSession, fresh: boolean, timeoutMs: number): Promise<void> {
    if (!fresh && session.lastInit) return Promise.resolve();
    // a revealed panel that had the log normally reloads and sends init again within a second or two
    const wait = session.lastInit ? Math.min(timeoutMs, 10_000) : timeoutMs;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.dispose();
        // a panel revealed without reloading sends no new init: go on with the one it had
        if (session.lastInit) resolve();
        else reject(new Error('the inspector did not load the log in time'));
      }, wait);
      const sub = session.onDidInit(() => {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      });
    });
  }

  /** The panel the user is looking at: the active one, else a visible one, else the most recent (undefined: none open). */
  activeSession(): InspectorSession | undefined {
    const all = [...this.info.entries()];
    return (all.find(([, i]) => i.panel.active) ?? all.reverse().find(([, i]) => i.panel.visible) ?? all[0])?.[0];
  }

  private attach(panel: vscode.WebviewPanel, uri: vscode.Uri, source: LogSource): InspectorSession {
    const session = new InspectorSession(panel, uri, this.extensionUri, source);
    this.sessions.add(session);
    this.info.set(session, { panel, target: source.target });
    panel.onDidDispose(() => {
      this.sessions.delete(session);
      this.info.delete(session);
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
