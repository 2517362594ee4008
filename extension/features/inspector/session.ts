import * as vscode from 'vscode';
import * as path from 'path';
import type { RolloutLog } from '../../core/formats/log';
import { FORMAT_LABELS } from '../../core/formats/log';
import { logNotes, contextRows } from '../../core/logNotes';
import { issueView, summaryView } from '../../core/inspectorView';
import { summarizeInWorker } from '../../core/summaryWorker';
import { InspectorBackend, isBackendMethod } from '../../core/inspectorBackend';
import { runTextJob } from '../../core/query/textWorker';
import { imageRoots, indexCacheDir } from '../config';
import { sampleLinkFor } from '../deepLink';
import {
  isWebviewToHost, type ExportParams, type GroupView, type HostToWebview, type InitPayload, type InspectorMethods, type MethodName,
  type SummaryView, type UpdatePayload, type VerdictsView, type WebviewToHost,
} from '../../protocol/inspector';
import { inspectorHtml } from './html';
import { judgeService, type JudgeTarget } from '../judge/service';

const MAX_INIT_ISSUES = 200;
/** How often a visible panel re-checks a growing log (network filesystems deliver no change events). */
export const POLL_MS = 5000;

/**
 * A log being opened: `partial` resolves as soon as the first records can be shown (progressive
 * indexing), `done` when the whole log is indexed. Both give the same (growing) log object.
 */
export interface LogSource {
  /** What was opened: a file, or the folder of a per-step log. */
  target: string;
  partial: Promise<RolloutLog>;
  done: Promise<RolloutLog>;
}

/** Add each of `dirs` not inside `roots` yet; true when one was added. */
export function addRoots(roots: string[], dirs: Iterable<string>): boolean {
  let changed = false;
  for (const d of dirs) {
    if (!isUnder(d, roots)) {
      roots.push(d);
      changed = true;
    }
  }
  return changed;
}

/** A panel's webview options: scripts on; resources only from the extension's dist/webview and `roots`. */
export function panelOptions(extensionUri: vscode.Uri, roots: readonly string[]): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), ...roots.map((r) => vscode.Uri.file(r))] };
}

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
export class InspectorSession implements vscode.Disposable, JudgeTarget {
  private readonly disposables: vscode.Disposable[] = [];
  private roots: string[];
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
    private readonly source: LogSource,
  ) {
    this.log = source.partial;
    this.roots = [
      ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
      path.dirname(fileUri.fsPath),
    ];
    if (source.target !== fileUri.fsPath) this.roots.push(source.target);
    this.disposables.push(this.answered, this.initialized, this.updated, this.summarized, this.scanned, this.verdictsChanged);
    this.disposables.push({ dispose: () => this.summaryAbort.abort() });
    this.disposables.push({ dispose: () => { this.scanAbort.abort(); this.backend?.cancel(); judgeService()?.cancel(this); } });
    this.disposables.push(panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)));
    this.applyOptions();
    panel.webview.html = inspectorHtml(panel.webview, extensionUri, path.basename(fileUri.fsPath));
    void this.log.then(
      (log) => this.prepareRoots(log),
      (e: unknown) => vscode.window.showErrorMessage(`Rollout Lens: cannot open ${fileUri.fsPath}: ${errorMessage(e)}`),
    );
    void source.done.then(
      (log) => {
        this.prepareRoots(log);
        this.postUpdate(log);
        void this.startSummary(log);
        this.runScan(log);
      },
      () => undefined,
    );
    const timer = setInterval(() => void this.poll(), POLL_MS);
    this.disposables.push({ dispose: () => clearInterval(timer) });
  }

  /** What the panel shows: a file, or the folder of a per-step log. */
  get target(): string {
    return this.source.target;
  }

  private readonly log: Promise<RolloutLog>;
  private polling = false;
  private doneIndexing = false;

  /** Re-check a growing log while the panel is visible; new records reach the webview as an update. */
  async poll(): Promise<number> {
    if (this.polling || !this.panel.visible || !this.doneIndexing) return 0;
    this.polling = true;
    try {
      const log = await this.log;
      if (!log.refresh) return 0;
      const { added, reset } = await log.refresh();
      if (reset) {
        // the file was rewritten or truncated: record numbers changed, start over
        this.backendFor(log).grow(true);
        this.prepareRoots(log);
        this.sendInit(log);
        return added;
      }
      if (added > 0) {
        this.prepareRoots(log);
        this.backendFor(log).grow(false);
        this.runScan(log);
        this.postUpdate(log);
      }
      return added;
    } catch (e) {
      console.warn('[rollout-lens] refresh failed:', errorMessage(e));
      return 0;
    } finally {
      this.polling = false;
    }
  }

  private postUpdate(log: RolloutLog): void {
    this.doneIndexing = true;
    const u: UpdatePayload = {
      records: log.recordCount,
      groups: log.groups.length,
      steps: [...log.steps],
      issueCount: log.issues.length,
      complete: log.complete !== false,
      fileCount: log.files.length,
    };
    this.post({ kind: 'update', params: u });
    this.updated.fire(u);
  }

  private readonly updated = new vscode.EventEmitter<UpdatePayload>();
  readonly onDidUpdate = this.updated.event;
  private readonly summarized = new vscode.EventEmitter<SummaryView>();
  readonly onDidSummarize = this.summarized.event;
  lastSummary: SummaryView | undefined;
  private readonly summaryAbort = new AbortController();

  /**
   * Whole-log statistics in a worker thread (one thread: the host keeps a core for browsing), with the
   * same run context; the persisted index makes it cheap when the panel's own index was just cached.
   */
  private async startSummary(log: RolloutLog): Promise<void> {
    const post = (v: SummaryView): void => {
      this.lastSummary = v;
      this.post({ kind: 'summary', params: v });
      this.summarized.fire(v);
    };
    let lastPct = -1;
    post({ state: 'running', progress: 0 });
    try {
      const s = await summarizeInWorker([this.source.target], {
        threads: 1,
        cacheDir: indexCacheDir(),
        context: log.context,
        signal: this.summaryAbort.signal,
        workerPath: path.join(this.extensionUri.fsPath, 'dist', 'summaryWorker.js'),
        onProgress: (bytes, total) => {
          const pct = total > 0 ? Math.floor((100 * bytes) / total) : 0;
          if (pct >= lastPct + 5) {
            lastPct = pct;
            post({ state: 'running', progress: pct / 100 });
          }
        },
      });
      post(summaryView(s));
    } catch (e) {
      if (this.summaryAbort.signal.aborted) return;
      post({ state: 'failed', message: errorMessage(e) });
    }
  }

  // ---------------- the backend: groups, overview, statistics, queries ----------------

  /** Tests read it. */
  backend: InspectorBackend | undefined;
  private scanAbort = new AbortController();
  private readonly scanned = new vscode.EventEmitter<number>();
  /** Fires with the scan's progress (1 when every record is read). */
  readonly onDidScan = this.scanned.event;
  lastScan = 0;

  private backendFor(log: RolloutLog): InspectorBackend {
    if (this.backend && this.backend.log === log) return this.backend;
    const backend = new InspectorBackend(log, {
      target: this.source.target,
      toUrl: (p) => (isUnder(p, this.roots) ? this.panel.webview.asWebviewUri(vscode.Uri.file(p)).toString() : null),
      onImageDirs: (dirs) => this.widenRoots(dirs),
      similarity: (pairs) => judgeService()?.similarity(pairs) ?? Promise.resolve(null),
      textJob: (preds, rows, signal) => {
        const roots = imageRoots();
        const cacheDir = indexCacheDir();
        return runTextJob(
          { target: this.source.target, context: log.context, ...(cacheDir ? { cacheDir } : {}), ...(roots.length ? { imageRoots: roots } : {}), preds, rows },
          { workerPath: path.join(this.extensionUri.fsPath, 'dist', 'textWorker.js'), signal, timeoutMs: 120_000 },
        );
      },
    });
    this.backend = backend;
    return backend;
  }

  /** Read every record once in the background for the derived fields (IoU, length, truncation …). */
  private runScan(log: RolloutLog): void {
    const backend = this.backendFor(log);
    void backend
      .scan(this.scanAbort.signal, (progress) => {
        this.lastScan = progress;
        this.post({ kind: 'scan', params: { progress, fields: backend.table.fieldInfos() } });
        this.scanned.fire(progress);
      })
      .then(() => this.attachJudges())
      .catch((e: unknown) => console.warn('[rollout-lens] scan failed:', errorMessage(e)));
  }

  private judgesAttached: Promise<void> | undefined;
  /** Resolves once the configured judges' cached verdicts are applied (tests wait on it). */
  attachJudges(): Promise<void> {
    const svc = judgeService();
    if (!svc) return Promise.resolve();
    this.judgesAttached ??= svc.attach(this).catch((e: unknown) => console.warn('[rollout-lens] judge cache:', errorMessage(e)));
    return this.judgesAttached;
  }

  // ---------------- JudgeTarget ----------------

  get label(): string {
    return path.basename(this.source.target);
  }

  async judgeBackend(): Promise<InspectorBackend> {
    return this.backendFor(await this.log);
  }

  lastVerdicts: VerdictsView | undefined;
  private readonly verdictsChanged = new vscode.EventEmitter<VerdictsView>();
  readonly onDidChangeVerdicts = this.verdictsChanged.event;

  postVerdicts(v: VerdictsView): void {
    this.lastVerdicts = v;
    this.post({ kind: 'verdicts', params: v });
    this.verdictsChanged.fire(v);
  }

  /** Ask where to save (never next to the log by default: the user's home / workspace) and write. */
  private async saveAs(name: string, data: Buffer, filters: Record<string, string[]>): Promise<string | null> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({ ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}), filters, saveLabel: 'Export' });
    if (!target) return null;
    const logFiles = new Set((await this.log).files);
    if (logFiles.has(target.fsPath)) throw new Error('refusing to overwrite a log file');
    await vscode.workspace.fs.writeFile(target, data);
    return target.fsPath;
  }

  /** Show a position in the webview (deep links, the Runs tree's group nodes). */
  goto(groupIndex: number, completion = 0): void {
    this.post({ kind: 'goto', params: { groupIndex, completion } });
  }

  get webviewReadyCount(): number {
    return this.readyCount;
  }

  private applyOptions(): void {
    this.panel.webview.options = panelOptions(this.extensionUri, this.roots);
  }

  /** Widen the roots to cover `dirs`; true when they changed (which reloads the webview). */
  private widenRoots(dirs: Iterable<string>): boolean {
    const changed = addRoots(this.roots, dirs);
    if (changed) this.applyOptions();
    return changed;
  }

  /** Before the first page: the image folders of a sample of groups spread over the log. */
  private prepareRoots(log: RolloutLog): void {
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
        this.sendInit(await this.log);
      } catch (e) {
        this.post({ kind: 'init', params: emptyInit(this.source.target, errorMessage(e)) });
      }
      return;
    }
    if (m.kind === 'notify') {
      if (m.params.level === 'error') console.error('[rollout-lens webview]', m.params.message);
      return;
    }
    await this.answer(m);
  }

  /** Post the whole picture of the log (on ready, and again when a refresh found the file rewritten). */
  private sendInit(log: RolloutLog): void {
    const init: InitPayload = {
      file: this.source.target,
      fileName: path.basename(this.source.target),
      format: log.format,
      formatLabel: FORMAT_LABELS[log.format],
      fileCount: log.files.length,
      records: log.recordCount,
      groups: log.groups.length,
      steps: [...log.steps],
      issues: log.issues.slice(0, MAX_INIT_ISSUES).map(issueView),
      issueCount: log.issues.length,
      groupIndex: 0,
      notes: logNotes(log),
      context: contextRows(log.context),
      complete: log.complete !== false,
    };
    this.post({ kind: 'init', params: init });
    if (this.lastSummary) this.post({ kind: 'summary', params: this.lastSummary });
    if (this.backend) this.post({ kind: 'scan', params: { progress: this.backend.table.scanComplete ? 1 : this.lastScan, fields: this.backend.table.fieldInfos() } });
    this.lastInit = init;
    this.initialized.fire(init);
  }

  private async answer(m: Extract<WebviewToHost, { kind: 'request' }>): Promise<void> {
    try {
      const result = await this.handle(m.method, m.params);
      this.post({ kind: 'response', id: m.id, ok: true, result });
    } catch (e) {
      this.post({ kind: 'response', id: m.id, ok: false, error: errorMessage(e) });
    }
  }

  private async handle(method: MethodName, params: unknown): Promise<unknown> {
    const log = await this.log;
    const backend = this.backendFor(log);
    if (isBackendMethod(method)) {
      const result = await backend.answer(method, params as InspectorMethods[typeof method]['params']);
      if (method === 'getRecord') this.announce((result as InspectorMethods['getRecord']['result']).group);
      else if (method === 'getGroup' || method === 'getStepGroup' || method === 'getStepByValue') this.announce(result as GroupView);
      return result;
    }
    switch (method) {
      case 'export': {
        const { text, name } = await backend.exportText(params as ExportParams);
        const csv = (params as ExportParams).format === 'csv';
        return this.saveAs(name, Buffer.from(text, 'utf8'), csv ? { CSV: ['csv'] } : { Markdown: ['md'] });
      }
      case 'savePng': {
        const p = params as InspectorMethods['savePng']['params'];
        const data = Buffer.from(p.dataUrl.slice('data:image/png;base64,'.length), 'base64');
        const name = p.name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120) || 'rollout.png';
        return this.saveAs(name.endsWith('.png') ? name : `${name}.png`, data, { PNG: ['png'] });
      }
      case 'runJudge': {
        const svc = judgeService();
        if (!svc) throw new Error('the judges are not available');
        void svc.run(this, (params as InspectorMethods['runJudge']['params']).kind);
        return null;
      }
      case 'copyLink': {
        const p = params as InspectorMethods['copyLink']['params'];
        const link = sampleLinkFor(this.source.target, p.groupIndex, p.completion);
        if (!link) throw new Error('links can only point at logs inside the workspace');
        await vscode.env.clipboard.writeText(link);
        return link;
      }
      case 'revealLine': {
        const p = params as InspectorMethods['revealLine']['params'];
        const line = p.line;
        const file = p.file && log.files.includes(p.file) ? p.file : log.files[0] ?? this.fileUri.fsPath;
        if (/\.parquet$/i.test(file)) {
          void vscode.window.showInformationMessage(`Rollout Lens: ${path.basename(file)} is a Parquet file (binary); the record is row ${line}.`);
          return null;
        }
        // Open the raw log read-only at the line (the viewer never edits logs).
        const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
        const pos = new vscode.Position(Math.max(0, line - 1), 0);
        await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos), viewColumn: vscode.ViewColumn.Beside, preview: true });
        return null;
      }
    }
  }

  /** The group the webview is about to show (tests and the status bar read it). */
  private announce(view: GroupView): GroupView {
    this.lastGroup = view;
    this.answered.fire(view);
    return view;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    void this.source.done.then((l) => l.close(), () => undefined);
  }
}

function emptyInit(file: string, message: string): InitPayload {
  return {
    file, fileName: path.basename(file), format: 'unknown', formatLabel: 'unknown', fileCount: 0, records: 0, groups: 0, steps: [],
    issues: [{ file, line: 0, message, severity: 'error' }], issueCount: 1, groupIndex: 0, notes: [], context: [], complete: true,
  };
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
