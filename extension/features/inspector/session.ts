import * as vscode from 'vscode';
import * as path from 'path';
import type { RolloutLensLog } from '../../core/formats/rolloutLensJsonl';
import type { LogIssue } from '../../core/model';
import { groupView, issueView, rolloutView } from '../../core/inspectorView';
import {
  isWebviewToHost, type GroupView, type HostToWebview, type InitPayload, type InspectorMethods, type MethodName, type RolloutView,
} from '../../protocol/inspector';
import { inspectorHtml } from './html';

const MAX_INIT_ISSUES = 200;

/** Is `p` inside one of `roots` (or equal to one)? */
export function isUnder(p: string, roots: readonly string[]): boolean {
  return roots.some((r) => {
    const rel = path.relative(r, p);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  });
}

/**
 * The host side of one inspector panel: answers the webview's requests from the log's index,
 * one group at a time, and keeps the webview's localResourceRoots to the workspace folders plus
 * the image folders the run actually resolves (widened when a later group needs another folder).
 */
export class InspectorSession implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private roots: string[];
  private stepFirstGroup: number[] = [];
  private readyCount = 0;
  /** Tests and the status bar read these. */
  lastGroup: GroupView | undefined;
  lastInit: InitPayload | undefined;
  private readonly answered = new vscode.EventEmitter<GroupView>();
  private readonly initialized = new vscode.EventEmitter<InitPayload>();
  readonly onDidAnswer = this.answered.event;
  readonly onDidInit = this.initialized.event;

  constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly fileUri: vscode.Uri,
    private readonly extensionUri: vscode.Uri,
    private readonly log: Promise<RolloutLensLog>,
  ) {
    this.roots = [
      ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
      path.dirname(fileUri.fsPath),
    ];
    this.disposables.push(this.answered, this.initialized);
    this.disposables.push(panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)));
    this.applyOptions();
    panel.webview.html = inspectorHtml(panel.webview, extensionUri, path.basename(fileUri.fsPath));
    void this.log.then(
      (log) => this.prepareRoots(log),
      (e: unknown) => vscode.window.showErrorMessage(`Rollout Lens: cannot open ${fileUri.fsPath}: ${errorMessage(e)}`),
    );
  }

  get webviewReadyCount(): number {
    return this.readyCount;
  }

  private applyOptions(): void {
    this.panel.webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview'), ...this.roots.map((r) => vscode.Uri.file(r))],
    };
  }

  /** Widen the roots to cover `dirs`; true when they changed (which reloads the webview). */
  private widenRoots(dirs: Iterable<string>): boolean {
    let changed = false;
    for (const d of dirs) {
      if (!isUnder(d, this.roots)) {
        this.roots.push(d);
        changed = true;
      }
    }
    if (changed) this.applyOptions();
    return changed;
  }

  /** Before the first page: the image folders of a sample of groups spread over the log. */
  private prepareRoots(log: RolloutLensLog): void {
    this.stepFirstGroup = [];
    const stepIndex = new Map(log.steps.map((s, i) => [s, i]));
    log.groups.forEach((g, gi) => {
      const si = stepIndex.get(g.step);
      if (si !== undefined && this.stepFirstGroup[si] === undefined) this.stepFirstGroup[si] = gi;
    });
    const dirs = new Set<string>();
    const sample = Math.min(log.groups.length, 32);
    for (let k = 0; k < sample; k++) {
      const g = log.groups[Math.floor((k * log.groups.length) / sample)];
      const first = g?.records[0];
      if (first === undefined) continue;
      const { rollout } = log.read(first);
      for (const im of rollout?.prompt.images ?? []) if (im.resolved) dirs.add(path.dirname(im.resolved));
    }
    this.widenRoots(dirs);
  }

  private post(m: HostToWebview): void {
    void this.panel.webview.postMessage(m);
  }

  private async onMessage(m: unknown): Promise<void> {
    if (!isWebviewToHost(m)) {
      console.warn('[rollout-lens] ignored a malformed message from the inspector webview');
      return;
    }
    if (m.kind === 'ready') {
      this.readyCount++;
      try {
        const log = await this.log;
        const init: InitPayload = {
          file: this.fileUri.fsPath,
          fileName: path.basename(this.fileUri.fsPath),
          format: log.format,
          records: log.recordCount,
          groups: log.groups.length,
          steps: log.steps,
          issues: log.issues.slice(0, MAX_INIT_ISSUES).map(issueView),
          issueCount: log.issues.length,
          groupIndex: 0,
        };
        this.post({ kind: 'init', params: init });
        this.lastInit = init;
        this.initialized.fire(init);
      } catch (e) {
        this.post({ kind: 'init', params: emptyInit(this.fileUri.fsPath, errorMessage(e)) });
      }
      return;
    }
    if (m.kind === 'notify') {
      if (m.params.level === 'error') console.error('[rollout-lens webview]', m.params.message);
      return;
    }
    try {
      const result = await this.handle(m.method, m.params);
      this.post({ kind: 'response', id: m.id, ok: true, result });
    } catch (e) {
      this.post({ kind: 'response', id: m.id, ok: false, error: errorMessage(e) });
    }
  }

  private async handle(method: MethodName, params: unknown): Promise<unknown> {
    const log = await this.log;
    switch (method) {
      case 'getGroup':
        return this.group(log, (params as InspectorMethods['getGroup']['params']).groupIndex);
      case 'getStepGroup': {
        const si = (params as InspectorMethods['getStepGroup']['params']).stepIndex;
        const gi = this.stepFirstGroup[si];
        if (gi === undefined) throw new Error(`no step at index ${si}`);
        return this.group(log, gi);
      }
      case 'revealLine': {
        const line = (params as InspectorMethods['revealLine']['params']).line;
        // Open the raw log read-only at the line (the viewer never edits logs).
        const doc = await vscode.workspace.openTextDocument(this.fileUri);
        const pos = new vscode.Position(Math.max(0, line - 1), 0);
        await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos), viewColumn: vscode.ViewColumn.Beside, preview: true });
        return null;
      }
    }
  }

  private group(log: RolloutLensLog, groupIndex: number): GroupView {
    const g = log.groups[groupIndex];
    if (!g) throw new Error(`group ${groupIndex} is out of range (the log has ${log.groups.length})`);
    const rollouts: RolloutView[] = [];
    const groupIssues: LogIssue[] = [];
    const dirs = new Set<string>();
    const reads = g.records.map((ri) => ({ ri, ...log.read(ri) }));
    for (const { rollout } of reads) for (const im of rollout?.prompt.images ?? []) if (im.resolved) dirs.add(path.dirname(im.resolved));
    this.widenRoots(dirs);
    const toUrl = (p: string) => (isUnder(p, this.roots) ? this.panel.webview.asWebviewUri(vscode.Uri.file(p)).toString() : null);
    for (const { ri, rollout, issues } of reads) {
      if (rollout) rollouts.push(rolloutView(ri, rollout, issues, toUrl));
      else groupIssues.push(...issues);
    }
    const stepIndex = log.steps.indexOf(g.step);
    const view = groupView(
      { groupIndex, groupCount: log.groups.length, step: g.step, stepIndex, stepCount: log.steps.length, groupId: g.groupId },
      rollouts,
      groupIssues,
    );
    this.lastGroup = view;
    this.answered.fire(view);
    return view;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    void this.log.then((l) => l.close(), () => undefined);
  }
}

function emptyInit(file: string, message: string): InitPayload {
  return {
    file, fileName: path.basename(file), format: 'unknown', records: 0, groups: 0, steps: [],
    issues: [{ file, line: 0, message, severity: 'error' }], issueCount: 1, groupIndex: 0,
  };
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
