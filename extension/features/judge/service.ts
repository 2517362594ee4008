// The judges inside VS Code: settings, the API key in SecretStorage, the local NLI model (worker thread), the
// HTTP judge, imported judge files and CLIP similarity; runs over an open inspector panel with a cancellable
// progress notification, and re-applies cached verdicts when a judged log is opened again (no inference).
import * as vscode from 'vscode';
import * as fs from 'fs';
import * as path from 'path';
import { VerdictCache } from '../../core/judge/cache';
import { judgeLog } from '../../core/judge/judgeLog';
import { OnnxJudge, onnxEngineId } from '../../core/judge/onnxJudge';
import { HttpJudge, DEFAULT_JUDGE_PROMPT } from '../../core/judge/http';
import { ClipScorer } from '../../core/judge/clip';
import { readVerdictFile, ImportedVerdicts } from '../../core/judge/importFile';
import { defaultCliCacheDir } from '../../core/judge/cacheDirs';
import { isVerdictChoice, type JudgeEngine } from '../../core/judge/types';
import type { InspectorBackend } from '../../core/inspectorBackend';
import type { VerdictsView } from '../../protocol/inspector';

const SECRET_KEY = 'rolloutLens.judge.apiKey';

/** What the service needs from an open inspector panel. */
export interface JudgeTarget {
  /** The panel's backend once the log is open. */
  judgeBackend(): Promise<InspectorBackend>;
  /** Tell the webview the verdicts changed. */
  postVerdicts(v: VerdictsView): void;
  /** Name for messages ("grpo-demo.rollouts.jsonl"). */
  readonly label: string;
}

function cfg(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('rolloutLens');
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class JudgeService implements vscode.Disposable {
  private onnx: { dir: string; batch: number; judge: Promise<OnnxJudge> } | undefined;
  private clip: { dir: string; scorer: Promise<ClipScorer> } | undefined;
  private readonly running = new Map<JudgeTarget, AbortController>();
  /** Tests read it: how many completions the last run sent to a model (0 when all came from the cache). */
  lastRun: { kind: string; inferred: number; cached: number; judgeable: number; cancelled: boolean } | undefined;

  constructor(
    private readonly storageDir: string,
    private readonly extensionPath: string,
    private readonly secrets: vscode.SecretStorage,
  ) {}

  get cacheDir(): string {
    return path.join(this.storageDir, 'verdicts');
  }

  private openCache(engineId: string): VerdictCache {
    return VerdictCache.open(this.cacheDir, engineId, [defaultCliCacheDir()]);
  }

  /** The NLI model folder ('' when unset); a relative path is taken from the first workspace folder. */
  modelPath(): string {
    return resolveSetting(cfg().get<string>('judge.modelPath', ''));
  }
  clipModelPath(): string {
    return resolveSetting(cfg().get<string>('judge.clipModelPath', ''));
  }
  endpoint(): string {
    return cfg().get<string>('judge.endpoint', '').trim();
  }

  judgesView(): VerdictsView['judges'] {
    const m = this.modelPath();
    const e = this.endpoint();
    const c = this.clipModelPath();
    const model = cfg().get<string>('judge.endpointModel', '').trim();
    return {
      onnx: m ? path.basename(m) : null,
      http: e && vscode.workspace.isTrusted ? `${model || '(no model set)'} at ${safeHost(e)}` : null,
      clip: c ? path.basename(c) : null,
    };
  }

  private async onnxJudge(): Promise<OnnxJudge> {
    const dir = this.modelPath();
    if (!dir) throw new Error('Set rolloutLens.judge.modelPath to the folder of an NLI model exported to ONNX (see the README).');
    const batch = cfg().get<number>('judge.batchSize', 16);
    if (!this.onnx || this.onnx.dir !== dir || this.onnx.batch !== batch) {
      void this.onnx?.judge.then((j) => j.dispose(), () => undefined);
      const judge = OnnxJudge.open(dir, { workerPath: path.join(this.extensionPath, 'dist', 'nliWorker.js'), batchSize: batch });
      this.onnx = { dir, batch, judge };
      judge.catch(() => {
        if (this.onnx?.judge === judge) this.onnx = undefined;
      });
    }
    return this.onnx.judge;
  }

  private async httpJudge(): Promise<HttpJudge> {
    if (!vscode.workspace.isTrusted) throw new Error('The HTTP judge sends completions to a server: it is disabled in untrusted workspaces. Trust this workspace first.');
    const endpoint = this.endpoint();
    if (!endpoint) throw new Error('Set rolloutLens.judge.endpoint to an OpenAI-compatible server (for example a local vLLM at http://127.0.0.1:8000/v1).');
    const model = cfg().get<string>('judge.endpointModel', '').trim();
    if (!model) throw new Error('Set rolloutLens.judge.endpointModel to the model name the server serves.');
    const apiKey = (await this.secrets.get(SECRET_KEY)) ?? undefined;
    const prompt = cfg().get<string>('judge.prompt', '').trim() || undefined;
    return new HttpJudge({
      endpoint,
      model,
      ...(apiKey ? { apiKey } : {}),
      ...(prompt ? { prompt } : {}),
      requestsPerMinute: cfg().get<number>('judge.requestsPerMinute', 60),
      concurrency: cfg().get<number>('judge.concurrency', 4),
    });
  }

  /** CLIP similarity for the inspector (null: no CLIP model configured). Errors are shown once per folder. */
  async similarity(pairs: Array<{ image: string | null; text: string }>): Promise<{ model: string; scores: Array<number | null> } | null> {
    const dir = this.clipModelPath();
    if (!dir) return null;
    if (!this.clip || this.clip.dir !== dir) {
      void this.clip?.scorer.then((s) => s.dispose(), () => undefined);
      this.clip = { dir, scorer: ClipScorer.open(dir) };
      this.clip.scorer.catch((e: unknown) => void vscode.window.showErrorMessage(`Rollout Lens: CLIP model: ${errorText(e)}`));
    }
    const scorer = await this.clip.scorer;
    const scores: Array<number | null> = [];
    for (const p of pairs) {
      if (!p.image) {
        scores.push(null);
        continue;
      }
      try {
        scores.push(await scorer.score(p.image, p.text));
      } catch {
        scores.push(null);
      }
    }
    return { model: scorer.name, scores };
  }

  private status(backend: InspectorBackend, patch: Partial<InspectorBackend['judgeStatus']>): VerdictsView {
    backend.judgeStatus = { ...backend.judgeStatus, judges: this.judgesView(), ...patch };
    return backend.verdictsView();
  }

  /** Apply the verdict-source setting and whatever the configured judges have cached for this log (no inference). */
  async attach(target: JudgeTarget): Promise<void> {
    const backend = await target.judgeBackend();
    const choice = cfg().get<string>('verdicts.source', 'auto');
    if (isVerdictChoice(choice)) backend.table.setVerdictChoice(choice);
    this.status(backend, {});
    const engines: Array<{ kind: 'onnx' | 'http'; id: string; name: string }> = [];
    const dir = this.modelPath();
    if (dir && fs.existsSync(dir)) {
      try {
        engines.push({ kind: 'onnx', id: await onnxEngineId(dir, { batchSize: cfg().get<number>('judge.batchSize', 16) }), name: `${path.basename(dir)} (local model)` });
      } catch {
        /* a bad folder says so when the user runs it */
      }
    }
    if (this.endpoint() && vscode.workspace.isTrusted) {
      try {
        const h = await this.httpJudge();
        engines.push({ kind: 'http', id: h.id, name: h.name });
      } catch {
        /* incomplete settings */
      }
    }
    for (const e of engines) {
      const cache = this.openCache(e.id);
      if (cache.size === 0) continue;
      const r = await judgeLog(backend.log, null, cache, { cacheOnly: true, onChunk: (entries) => backend.applyVerdicts(e.kind, e.name, entries) });
      if (r.cached > 0) {
        this.lastRun = { kind: e.kind, inferred: 0, cached: r.cached, judgeable: r.judgeable, cancelled: false };
        target.postVerdicts(this.status(backend, { last: { kind: e.kind, message: `${e.name}: ${r.cached} of ${r.judgeable} verdicts from the cache (no inference)`, error: false } }));
      }
    }
  }

  /** Run a judge over the panel's log, with a cancellable progress notification. */
  async run(target: JudgeTarget, kind: 'onnx' | 'http' | 'file', file?: string): Promise<void> {
    const backend = await target.judgeBackend();
    if (this.running.has(target)) {
      void vscode.window.showInformationMessage('Rollout Lens: a judge is already running on this log.');
      return;
    }
    if (kind === 'file') return this.importFile(target, backend, file);
    const abort = new AbortController();
    this.running.set(target, abort);
    const label = kind === 'onnx' ? 'local model' : 'HTTP judge';
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Rollout Lens: judging ${target.label} with the ${label}`, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => abort.abort());
          let engine: JudgeEngine;
          try {
            progress.report({ message: kind === 'onnx' ? 'loading the model…' : 'checking the endpoint…' });
            if (kind === 'onnx') engine = await this.onnxJudge();
            else {
              const h = await this.httpJudge();
              await h.probe();
              engine = h;
            }
          } catch (e) {
            target.postVerdicts(this.status(backend, { running: null, last: { kind, message: errorText(e), error: true } }));
            void vscode.window.showErrorMessage(`Rollout Lens: ${errorText(e)}`);
            return;
          }
          const name = kind === 'onnx' ? `${path.basename(this.modelPath())} (local model)` : engine.name;
          const cache = this.openCache(engine.id);
          const total = backend.log.recordCount;
          let lastPost = 0;
          let lastPct = 0;
          const r = await judgeLog(backend.log, engine, cache, {
            signal: abort.signal,
            onChunk: (entries) => backend.applyVerdicts(kind, name, entries),
            onProgress: (done) => {
              const pct = total ? (100 * done) / total : 100;
              progress.report({ message: `${done} / ${total}`, increment: pct - lastPct });
              lastPct = pct;
              const now = Date.now();
              if (now - lastPost > 250) {
                lastPost = now;
                target.postVerdicts(this.status(backend, { running: { kind, done, total } }));
              }
            },
          });
          this.lastRun = { kind, inferred: r.inferred, cached: r.cached, judgeable: r.judgeable, cancelled: r.cancelled };
          const secs = (r.elapsedMs / 1000).toFixed(1);
          const msg = `${name}: ${r.cancelled ? 'cancelled after ' : ''}${r.inferred + r.cached} of ${r.judgeable} judged (${r.cached} from the cache) in ${secs} s` +
            (r.skipped ? `; ${r.skipped} without an answer or reasoning` : '');
          target.postVerdicts(this.status(backend, { running: null, last: { kind, message: msg, error: false } }));
        },
      );
    } catch (e) {
      target.postVerdicts(this.status(backend, { running: null, last: { kind, message: errorText(e), error: true } }));
      void vscode.window.showErrorMessage(`Rollout Lens: the ${label} failed: ${errorText(e)}`);
    } finally {
      this.running.delete(target);
    }
  }

  private async importFile(target: JudgeTarget, backend: InspectorBackend, file?: string): Promise<void> {
    if (!file) {
      const picked = await vscode.window.showOpenDialog({
        canSelectMany: false,
        openLabel: 'Import verdicts',
        filters: { 'Judge output (JSONL, JSON)': ['jsonl', 'json'], 'All files': ['*'] },
        ...(vscode.workspace.workspaceFolders?.[0] ? { defaultUri: vscode.workspace.workspaceFolders[0].uri } : {}),
      });
      file = picked?.[0]?.fsPath;
      if (!file) return;
    }
    try {
      const { entries, issues } = readVerdictFile(file);
      const out = new ImportedVerdicts(entries, file).matchLog(backend.log);
      backend.applyVerdicts('file', path.basename(file), out);
      const bad = issues.length ? `; ${issues.length} line${issues.length === 1 ? '' : 's'} skipped (first: ${path.basename(issues[0]!.file)}:${issues[0]!.line}: ${issues[0]!.message})` : '';
      const msg = `${path.basename(file)}: ${out.length} of ${backend.log.recordCount} completions matched (${entries.length} entries)${bad}`;
      target.postVerdicts(this.status(backend, { last: { kind: 'file', message: msg, error: out.length === 0 } }));
      if (out.length === 0) void vscode.window.showWarningMessage(`Rollout Lens: ${msg}. Entries are matched by completion_sha256, or sample_id (+ step, index_in_group).`);
      else if (issues.length) void vscode.window.showWarningMessage(`Rollout Lens: ${msg}`);
    } catch (e) {
      target.postVerdicts(this.status(backend, { last: { kind: 'file', message: errorText(e), error: true } }));
      void vscode.window.showErrorMessage(`Rollout Lens: cannot import ${file}: ${errorText(e)}`);
    }
  }

  async setApiKey(): Promise<void> {
    const key = await vscode.window.showInputBox({ prompt: 'API key of the judge endpoint (kept in VS Code secret storage; empty to remove)', password: true, ignoreFocusOut: true });
    if (key === undefined) return;
    if (key === '') await this.secrets.delete(SECRET_KEY);
    else await this.secrets.store(SECRET_KEY, key);
    void vscode.window.showInformationMessage(key ? 'Rollout Lens: judge API key saved in secret storage.' : 'Rollout Lens: judge API key removed.');
  }

  /** Copy the built-in prompt into the setting (when empty) and open the settings UI on it. */
  async editPrompt(): Promise<void> {
    if (!cfg().get<string>('judge.prompt', '').trim()) await cfg().update('judge.prompt', DEFAULT_JUDGE_PROMPT, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.openSettings', 'rolloutLens.judge.prompt');
  }

  cancel(target: JudgeTarget): void {
    this.running.get(target)?.abort();
  }

  dispose(): void {
    for (const a of this.running.values()) a.abort();
    void this.onnx?.judge.then((j) => j.dispose(), () => undefined);
    void this.clip?.scorer.then((s) => s.dispose(), () => undefined);
  }
}

function resolveSetting(v: string): string {
  const p = typeof v === 'string' ? v.trim() : '';
  if (!p || path.isAbsolute(p)) return p;
  const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return ws ? path.join(ws, p) : p;
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

let service: JudgeService | undefined;
export function setJudgeService(s: JudgeService | undefined): void {
  service = s;
}
export function judgeService(): JudgeService | undefined {
  return service;
}
