// The Checkpoint Comparison panel: the VS Code side only (webview, progress, save dialog, reveal line).
// Resolving and reading the sources, the statistics and the answers to the webview live in core/compare/.
import * as vscode from 'vscode';
import * as path from 'path';
import { openPath } from '../../core/formats/all';
import { CompareBackend, compareTitle, isCompareBackendMethod } from '../../core/compare/backend';
import { discoverEvals, loadSource, resolveSources, runFolderOf, type EvalFileInfo } from '../../core/compare/sources';
import type { CompareSource, LoadedSource } from '../../core/compare/types';
import { isCompareWebviewToHost, type CompareHostToWebview, type CompareInit, type CompareMethods, type CompareWebviewToHost } from '../../protocol/compare';
import { evalStepPattern, imageRoots } from '../config';
import { addRoots, errorMessage, isUnder, panelOptions } from '../inspector/session';
import { panelHtml } from '../inspector/html';

export const COMPARE_VIEW_TYPE = 'rolloutLens.compare';

/** The run folder of a source: up from its path past step folders and eval folders (sources.runFolderOf). */
export function runDirOfSource(src: CompareSource): string {
  return runFolderOf(src.kind === 'eval-file' ? path.dirname(src.path) : src.path);
}

function html(webview: vscode.Webview, extensionUri: vscode.Uri, title: string): string {
  return panelHtml(webview, extensionUri, {
    script: 'compare.js',
    styles: ['uplot.css', 'inspector.css', 'canvas.css', 'panes.css', 'compare.css'],
    title,
    label: 'Checkpoint comparison',
    loading: 'Reading the evals…',
  });
}

/** One open comparison. */
export class ComparePanel implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private roots: string[];
  private state: { backend: CompareBackend; init: CompareInit } | { error: string } | undefined;
  private readonly inited = new vscode.EventEmitter<CompareInit>();
  /** Tests read these. */
  readonly onDidInit = this.inited.event;
  lastInit: CompareInit | undefined;
  readonly ready: Promise<CompareBackend>;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    readonly sources: readonly CompareSource[],
    load: Promise<{ loaded: LoadedSource[]; curveSources: LoadedSource[] }>,
  ) {
    this.roots = [...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath), ...imageRoots()];
    for (const s of sources) for (const f of s.evalFiles) this.roots.push(path.dirname(f));
    this.disposables.push(this.inited, panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m)));
    this.applyOptions();
    panel.webview.html = html(panel.webview, extensionUri, panel.title);
    this.ready = load.then(({ loaded, curveSources }) => {
      const dirs = new Set<string>();
      for (const l of loaded) for (const s of l.samples.slice(0, 64)) dirs.add(path.dirname(s.file));
      this.widen(dirs);
      const backend = new CompareBackend(loaded, {
        toUrl: (p) => (isUnder(p, this.roots) ? this.panel.webview.asWebviewUri(vscode.Uri.file(p)).toString() : null),
        openLog: (t) => openPath(t, imageRoots().length ? { imageRoots: imageRoots() } : {}),
        curveSources,
      });
      const init = backend.init(panel.title);
      this.state = { backend, init };
      this.lastInit = init;
      this.send(init);
      this.inited.fire(init);
      return backend;
    });
    this.ready.catch((e: unknown) => {
      this.state = { error: errorMessage(e) };
      this.post({ kind: 'failed', params: { message: errorMessage(e) } });
    });
  }

  private applyOptions(): void {
    this.panel.webview.options = panelOptions(this.extensionUri, this.roots);
  }

  private widen(dirs: Iterable<string>): void {
    if (addRoots(this.roots, dirs)) this.applyOptions();
  }

  private post(m: CompareHostToWebview): void {
    void this.panel.webview.postMessage(m);
  }

  private send(init: CompareInit): void {
    this.post({ kind: 'init', params: init });
  }

  private async onMessage(m: unknown): Promise<void> {
    if (!isCompareWebviewToHost(m)) {
      console.warn('[rollout-lens] ignored a malformed message from the comparison webview');
      return;
    }
    if (m.kind === 'ready') {
      if (!this.state) this.post({ kind: 'progress', params: { message: `Reading the evals of ${this.sources.map((s) => s.name).join(', ')}…` } });
      else if ('error' in this.state) this.post({ kind: 'failed', params: { message: this.state.error } });
      else this.send(this.state.init);
      return;
    }
    if (m.kind === 'notify') {
      if (m.params.level === 'error') console.error('[rollout-lens compare webview]', m.params.message);
      return;
    }
    try {
      const result = await this.answer(m);
      this.post({ kind: 'response', id: m.id, ok: true, result });
    } catch (e) {
      this.post({ kind: 'response', id: m.id, ok: false, error: errorMessage(e) });
    }
  }

  private async answer(m: Extract<CompareWebviewToHost, { kind: 'request' }>): Promise<unknown> {
    const backend = await this.ready;
    if (isCompareBackendMethod(m.method)) return backend.answer(m.method, m.params as never);
    switch (m.method) {
      case 'export': {
        const p = m.params as CompareMethods['export']['params'];
        const text = backend.exportText(p.format, p.slice);
        const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
        const name = backend.exportName(p.format);
        const filters: Record<string, string[]> = p.format === 'markdown' ? { Markdown: ['md'] } : { CSV: ['csv'] };
        const target = await vscode.window.showSaveDialog({ ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}), filters, saveLabel: 'Export' });
        if (!target) return null;
        const evalFiles = new Set(this.sources.flatMap((s) => s.evalFiles.map((f) => path.resolve(f))));
        if (evalFiles.has(path.resolve(target.fsPath))) throw new Error('refusing to overwrite an eval file');
        await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
        return target.fsPath;
      }
      case 'revealLine': {
        const p = m.params as CompareMethods['revealLine']['params'];
        const known = backend.loaded.some((l) => l.samples.some((s) => s.file === p.file)) || backend.loaded.some((l) => l.source.evalFiles.includes(p.file));
        if (!known) throw new Error('that file is not one of the compared evals');
        const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(p.file));
        const pos = new vscode.Position(Math.max(0, p.line - 1), 0);
        await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos), viewColumn: vscode.ViewColumn.Beside, preview: true });
        return null;
      }
      default:
        throw new Error(`unknown method ${String(m.method)}`);
    }
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    void this.ready.then((b) => b.close(), () => undefined);
  }
}

/** Every evaluated step of the runs of `sources` that is not one of them: the extra points of the curves. */
async function curveSourcesFor(sources: readonly CompareSource[], loaded: readonly LoadedSource[], token: vscode.CancellationToken): Promise<LoadedSource[]> {
  const out: LoadedSource[] = [...loaded];
  const steps = new Set(sources.map((s) => s.step).filter((s): s is number => s !== null));
  const runs = new Set(sources.filter((s) => s.step !== null).map(runDirOfSource));
  for (const run of runs) {
    let evals: EvalFileInfo[];
    try {
      const stepPattern = evalStepPattern();
      evals = await discoverEvals(run, stepPattern ? { stepPattern } : {});
    } catch {
      continue;
    }
    const byStep = new Map<number, EvalFileInfo[]>();
    for (const e of evals) if (e.step !== null && !steps.has(e.step)) byStep.set(e.step, [...(byStep.get(e.step) ?? []), e]);
    for (const [step, files] of byStep) {
      if (token.isCancellationRequested) return out;
      const src: CompareSource = { name: `checkpoint-${step}`, kind: 'step', path: path.dirname(files[0].path), step, evalFiles: files.map((f) => f.path) };
      try {
        out.push(await loadSource(src, imageRoots().length ? { imageRoots: imageRoots() } : {}));
        steps.add(step);
      } catch {
        /* a curve point fewer; the table does not depend on it */
      }
    }
  }
  return out;
}

/** Opens comparisons: from paths (checkpoint folders, eval files, runs) or resolved sources. */
export class ComparePanels implements vscode.Disposable {
  readonly panels = new Set<ComparePanel>();
  private readonly opened = new vscode.EventEmitter<ComparePanel>();
  readonly onDidOpen = this.opened.event;

  constructor(private readonly extensionUri: vscode.Uri) {}

  /** Resolve `paths` and open a panel; shows a message and returns undefined when fewer than two sources resolve. */
  async openPaths(paths: readonly string[]): Promise<ComparePanel | undefined> {
    const stepPattern = evalStepPattern();
    const { sources, errors } = await resolveSources([...paths], stepPattern ? { stepPattern } : {});
    for (const e of errors) void vscode.window.showWarningMessage(`Rollout Lens: ${e}`);
    if (sources.length < 2) {
      void vscode.window.showErrorMessage(`Rollout Lens: a comparison needs two or more checkpoints or eval files with evals; ${sources.length === 0 ? 'none' : 'only one'} of ${paths.length} had any.`);
      return undefined;
    }
    return this.open(sources);
  }

  open(sources: readonly CompareSource[]): ComparePanel {
    const title = compareTitle(sources.map((s) => s.name));
    const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, title, vscode.ViewColumn.Active, { enableScripts: true, retainContextWhenHidden: true });
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'rollout-lens.svg');
    const load = Promise.resolve(
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Rollout Lens: comparing ${title}`, cancellable: true },
        async (progress, token) => {
          const loaded: LoadedSource[] = [];
          const opts = imageRoots().length ? { imageRoots: imageRoots() } : {};
          for (const s of sources) {
            if (token.isCancellationRequested) throw new Error('cancelled');
            progress.report({ message: `reading ${s.name} (${s.evalFiles.length} eval file${s.evalFiles.length === 1 ? '' : 's'})`, increment: 80 / sources.length });
            loaded.push(await loadSource(s, opts));
          }
          progress.report({ message: 'other checkpoints for the curves' });
          const curveSources = await curveSourcesFor(sources, loaded, token);
          return { loaded, curveSources };
        },
      ),
    );
    const p = new ComparePanel(panel, this.extensionUri, sources, load);
    this.panels.add(p);
    panel.onDidDispose(() => {
      this.panels.delete(p);
      p.dispose();
    });
    this.opened.fire(p);
    load.catch((e: unknown) => void vscode.window.showErrorMessage(`Rollout Lens: cannot compare ${title}: ${errorMessage(e)}`));
    return p;
  }

  dispose(): void {
    for (const p of this.panels) p.panel.dispose();
    this.opened.dispose();
  }
}
