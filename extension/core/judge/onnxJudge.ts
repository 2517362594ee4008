// The local NLI judge as a JudgeEngine: a cross-encoder (model.onnx + tokenizer.json + config.json) run by
// onnxruntime-node in a worker thread (nliWorker.ts), so that inference never blocks the extension host or
// the CLI. This side starts the worker, waits for the model to load (a broken folder rejects with the
// worker's JudgeSetupError message), sends judge requests, turns the worker's aggregated probabilities into
// verdicts (nli.ts decide) and cancels. No caching here: judgeRun.ts judgeAll does that, by `id`.
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { decide, labelMapOf, DEFAULT_MAX_WINDOWS, NLI_WORKER_KIND, type LabelMap } from './nli';
import { findModelFiles, modelHash, readModelFolder } from './nliModel';
import { OnnxRuntimeUnavailable } from './ort';
import type { FromNliWorker, LoadMessage, ToNliWorker } from './nliWorker';
import { JudgeCancelled, JudgeSetupError, type JudgeEngine, type JudgeItem, type JudgeProgress, type Verdict } from './types';

/** Bumped when the windowing or aggregation rule changes, so cached verdicts of the old rule are not reused. */
const RULE_VERSION = 1;

/**
 * The worker script: dist/nliWorker.js next to the bundle (dist/extension.js, dist/cli.js), or
 * nliWorker.js next to this module in the tsc output (out/extension/core/judge/).
 */
export function defaultNliWorkerPath(): string {
  const candidates = [path.join(__dirname, 'nliWorker.js'), path.join(__dirname, 'judge', 'nliWorker.js'), path.join(__dirname, 'core', 'judge', 'nliWorker.js')];
  return candidates.find((p) => fs.existsSync(p)) ?? candidates[0]!;
}

export interface OnnxJudgeOptions {
  /** The worker script (default: defaultNliWorkerPath()). */
  workerPath?: string;
  /** Windows per inference batch (default 16). */
  batchSize?: number;
  /** Tokens per window, special tokens included (default: the model's length, at most 512). */
  maxTokens?: number;
  /** Tokens consecutive windows may share (default: half a window's premise budget). */
  stride?: number;
  /** Most windows per completion, nearest the answer (default 8). */
  maxWindows?: number;
}

function engineId(hash: string, maxTokens: number, opts: Pick<OnnxJudgeOptions, 'stride' | 'maxWindows'>): string {
  return `onnx:${hash}:max${maxTokens}:stride-${opts.stride ?? 'half'}:win${opts.maxWindows ?? DEFAULT_MAX_WINDOWS}:rule${RULE_VERSION}`;
}

/**
 * The `id` OnnxJudge.open would give for this folder and these options, without starting a worker or
 * onnxruntime (to read cached verdicts). Throws a JudgeSetupError like open for a broken folder.
 */
export async function onnxEngineId(modelDir: string, opts: OnnxJudgeOptions = {}): Promise<string> {
  const info = readModelFolder(modelDir, { maxTokens: opts.maxTokens });
  return engineId(await modelHash(info), info.maxTokens, opts);
}

interface Pending {
  items: readonly JudgeItem[];
  resolve(v: Verdict[]): void;
  reject(e: Error): void;
  onProgress?(p: JudgeProgress): void;
  cleanup(): void;
}

export class OnnxJudge implements JudgeEngine {
  readonly kind = 'onnx' as const;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly id: string,
    readonly name: string,
    /** The model folder's name (verdict source `onnx:<folder name>`). */
    readonly modelName: string,
    readonly labels: LabelMap,
    /** Tokens per window the worker uses. */
    readonly maxTokens: number,
    readonly inputNames: readonly string[],
    readonly hash: string,
  ) {
    worker.on('message', (m: FromNliWorker) => this.onMessage(m));
    worker.on('error', (e: Error) => this.fail(new Error(`the local NLI judge stopped: ${e.message}`)));
    worker.on('exit', (code) => this.fail(new Error(`the local NLI judge stopped (exit code ${code})`)));
  }

  /**
   * Start a worker on a model folder and wait until the model is loaded and checked. Rejects with a
   * JudgeSetupError saying what is wrong with the folder (the worker is terminated), or with
   * OnnxRuntimeUnavailable when onnxruntime-node cannot load on this platform.
   */
  static async open(modelDir: string, opts: OnnxJudgeOptions = {}): Promise<OnnxJudge> {
    const files = findModelFiles(modelDir); // the quick checks, before a thread starts
    const hashP = modelHash(files);
    let worker: Worker;
    try {
      worker = new Worker(opts.workerPath ?? defaultNliWorkerPath(), { workerData: { kind: NLI_WORKER_KIND } });
    } catch (e) {
      throw new Error(`cannot start the local NLI judge worker: ${e instanceof Error ? e.message : String(e)}`);
    }
    try {
      const hash = await hashP;
      const load: LoadMessage = { type: 'load', modelDir: files.dir, maxTokens: opts.maxTokens, batchSize: opts.batchSize, stride: opts.stride, maxWindows: opts.maxWindows, hash };
      const ready = await new Promise<Extract<FromNliWorker, { type: 'ready' }>>((resolve, reject) => {
        const onMessage = (m: FromNliWorker): void => {
          if (m.type === 'ready') done(() => resolve(m));
          else if (m.type === 'error' && m.id === undefined) {
            done(() => reject(m.kind === 'setup' ? new JudgeSetupError(m.message) : m.kind === 'runtime' ? new OnnxRuntimeUnavailable(m.message) : new Error(`the local NLI judge failed to load ${files.dir}: ${m.message}`)));
          }
        };
        const onError = (e: Error): void => done(() => reject(new Error(`the local NLI judge worker failed: ${e.message}`)));
        const onExit = (code: number): void => done(() => reject(new Error(`the local NLI judge worker stopped while loading (exit code ${code})`)));
        const done = (fn: () => void): void => {
          worker.off('message', onMessage);
          worker.off('error', onError);
          worker.off('exit', onExit);
          fn();
        };
        worker.on('message', onMessage);
        worker.on('error', onError);
        worker.on('exit', onExit);
        worker.postMessage(load satisfies ToNliWorker);
      });
      const labels = labelMapOf({ id2label: ready.labels }, files.config);
      const n = ready.labels.length;
      return new OnnxJudge(worker, engineId(ready.hash, ready.maxTokens, opts), `${ready.name} (local NLI, ${n} labels)`, ready.name, labels, ready.maxTokens, ready.inputNames, ready.hash);
    } catch (e) {
      void worker.terminate();
      throw e;
    }
  }

  judge(items: readonly JudgeItem[], opts: { signal?: AbortSignal; onProgress?(p: JudgeProgress): void } = {}): Promise<Verdict[]> {
    if (items.length === 0) return Promise.resolve([]);
    if (opts.signal?.aborted) return Promise.reject(new JudgeCancelled());
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<Verdict[]>((resolve, reject) => {
      const onAbort = (): void => {
        const p = this.pending.get(id);
        if (!p) return;
        this.pending.delete(id);
        p.cleanup();
        this.worker.postMessage({ type: 'cancel', id } satisfies ToNliWorker);
        reject(new JudgeCancelled());
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, { items, resolve, reject, onProgress: opts.onProgress, cleanup: () => opts.signal?.removeEventListener('abort', onAbort) });
      this.worker.postMessage({ type: 'judge', id, items: items.map((it) => ({ premise: it.premise, hypothesis: it.hypothesis })) } satisfies ToNliWorker);
    });
  }

  private onMessage(m: FromNliWorker): void {
    if (m.type === 'ready' || m.type === 'cancelled' || m.id === undefined) return;
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === 'progress') {
      p.onProgress?.({ done: m.done, total: p.items.length });
      return;
    }
    this.pending.delete(m.id);
    p.cleanup();
    if (m.type === 'error') {
      p.reject(m.kind === 'setup' ? new JudgeSetupError(m.message) : new Error(`the local NLI judge failed: ${m.message}`));
      return;
    }
    const source = `onnx:${this.modelName}`;
    p.resolve(
      p.items.map((_, i) => {
        const d = decide(m.probs[i] ?? [0, 1, 0], m.windows[i] ?? 0, m.last[i] ?? null, this.modelName, this.labels.twoWay);
        return { label: d.label, source, confidence: d.confidence, rationale: d.rationale };
      }),
    );
  }

  private fail(e: Error): void {
    if (!this.dead) this.dead = e;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.cleanup();
      p.reject(e);
    }
  }

  /** Stop the worker; requests still running are rejected with JudgeCancelled. */
  dispose(): Promise<void> {
    const closed = new JudgeCancelled();
    if (!this.dead) this.dead = new Error('the local NLI judge was closed');
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.cleanup();
      p.reject(closed);
    }
    return this.worker.terminate().then(() => undefined);
  }
}
