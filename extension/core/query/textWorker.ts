// Text predicates over a large log in a worker thread: the worker opens the log the way the summary
// worker does, reads each candidate record, and sends back one mask per predicate (buffers transferred).
// A regex can take exponential time on some input (`(a+)+$` on "aaaa…b"); only a thread can be stopped
// in the middle of one, so runTextJob terminates the worker when its signal aborts (or its time limit
// passes) and rejects at once.
//
// The same file is the host side (runTextJob) and the worker entry: scripts/build.mjs bundles it as
// dist/textWorker.js (next to dist/extension.js), and tsc emits it as out/extension/core/query/textWorker.js;
// `defaultTextWorkerPath()` finds the right one from this module's folder in both cases.
//
// Node-only, unlike the rest of this folder. The webview's type-check includes this folder too (without
// Node's types), so the Node modules and the log readers are loaded without type-level imports: the
// `@ts-ignore`s below only matter there, and the few members used are typed by the interfaces here.

// @ts-ignore -- Node module; absent from the webview's type-check
import * as wt from 'worker_threads';
// @ts-ignore -- Node module; absent from the webview's type-check
import * as nodePath from 'path';
// @ts-ignore -- Node module; absent from the webview's type-check
import * as nodeFs from 'fs';
import type { TextPredicate } from './ast';
import { TextRecord, matchTextInProcess } from './text';

export interface TextJob {
  /** The log: a file, or a folder holding one log (verl step files …). */
  target: string;
  /** The run context the log was opened with (a RunContext), so that record numbers agree; null: none. */
  context: object | null;
  /** Index cache folder (the extension's global storage): the log opens without re-indexing when cached. */
  cacheDir?: string;
  imageRoots?: string[];
  preds: TextPredicate[];
  /** Candidate rows (record indices); null: every record. Masks are indexed by position in this list. */
  rows: Uint32Array | null;
}

export interface TextJobOptions {
  /** The worker script: dist/textWorker.js (bundle) or out/…/query/textWorker.js (tsc). Default: defaultTextWorkerPath(). */
  workerPath?: string;
  /** Aborting terminates the worker; the promise rejects with an AbortError. */
  signal?: AbortSignal;
  /** Records done and the total, at most every `progressIntervalMs` (default 100). */
  onProgress?(done: number, total: number): void;
  progressIntervalMs?: number;
  /** Give up (terminate, reject) after this long; absent: no limit. */
  timeoutMs?: number;
}

const KIND = 'rollout-lens-text';

interface WorkerJob {
  kind: typeof KIND;
  job: TextJob;
  progressIntervalMs: number;
}

type FromWorker = { type: 'progress'; done: number; total: number } | { type: 'done'; masks: Uint8Array[] } | { type: 'error'; message: string };

// ---- the few Node members used (typed here; see the header)

interface WorkerLike {
  on(event: 'message', fn: (m: FromWorker) => void): void;
  on(event: 'error', fn: (e: Error) => void): void;
  on(event: 'exit', fn: (code: number) => void): void;
  terminate(): Promise<number>;
}
interface PortLike {
  postMessage(m: FromWorker, transfer?: ArrayBuffer[]): void;
}
interface WorkerThreads {
  Worker: new (file: string, opts: { workerData: unknown; resourceLimits?: Record<string, number> }) => WorkerLike;
  isMainThread: boolean;
  parentPort: PortLike | null;
  workerData: unknown;
}
const threads = wt as unknown as WorkerThreads;

/** The worker script next to this module: dist/textWorker.js in the bundles, this file's .js under out/. */
export function defaultTextWorkerPath(): string {
  const path = nodePath as unknown as { join(...p: string[]): string };
  const fs = nodeFs as unknown as { existsSync(p: string): boolean };
  // @ts-ignore -- Node global; absent from the webview's type-check
  const dir: string = __dirname;
  const candidates = [path.join(dir, 'textWorker.js'), path.join(dir, 'query', 'textWorker.js'), path.join(dir, 'core', 'query', 'textWorker.js')];
  return candidates.find((p) => fs.existsSync(p)) ?? candidates[0];
}

function abortError(): Error {
  const e = new Error('text search cancelled');
  e.name = 'AbortError';
  return e;
}

/**
 * Match `job.preds` against the candidate records in a worker thread: one mask per predicate, each
 * `job.rows.length` long (or the record count when rows is null). Rejects with an AbortError when
 * `signal` aborts (the worker is terminated, even in the middle of a regex), and with a message naming
 * the cause when the log cannot be opened, the worker fails or the time limit passes.
 */
export function runTextJob(job: TextJob, opts: TextJobOptions = {}): Promise<Uint8Array[]> {
  return new Promise<Uint8Array[]>((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(abortError());
      return;
    }
    if (job.preds.length === 0 && job.rows) {
      resolve([]);
      return;
    }
    const data: WorkerJob = { kind: KIND, job, progressIntervalMs: opts.progressIntervalMs ?? 100 };
    let worker: WorkerLike;
    try {
      worker = new threads.Worker(opts.workerPath ?? defaultTextWorkerPath(), { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 16 } });
    } catch (e) {
      reject(new Error(`cannot start the text search worker: ${e instanceof Error ? e.message : String(e)}`));
      return;
    }
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
      fn();
      void worker.terminate();
    };
    const onAbort = (): void => finish(() => reject(abortError()));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.timeoutMs !== undefined) {
      const ms = opts.timeoutMs;
      timer = setTimeout(() => finish(() => reject(new Error(`text search stopped after ${(ms / 1000).toFixed(1)} s (a regex may take too long on these texts; simplify it)`))), ms);
    }
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'progress') {
        if (!settled) opts.onProgress?.(m.done, m.total);
      } else if (m.type === 'done') finish(() => resolve(m.masks));
      else if (m.type === 'error') finish(() => reject(new Error(`text search failed: ${m.message}`)));
    });
    worker.on('error', (e: Error) => finish(() => reject(new Error(`text search failed: ${e.message}`))));
    worker.on('exit', (code: number) => finish(() => reject(new Error(`the text search worker stopped (exit code ${code})`))));
  });
}

// ---- the worker side

interface LogLike {
  recordCount: number;
  read(i: number): { rollout: { completion: string; prompt: { text: string }; answer?: string } | null };
  close(): void;
}
interface Readers {
  resolveSpecs(paths: string[]): Promise<{ specs: Array<{ target: string }>; errors: Array<{ message: string }> }>;
  openSpec(spec: unknown, opts: Record<string, unknown>): Promise<LogLike>;
}

async function openLog(job: TextJob): Promise<LogLike> {
  // registers every reader (as the summary worker's modules do), then resolves like summarizePaths
  // @ts-ignore -- Node-only modules, loaded without a type-level import (see the header)
  const formats = require('../formats/all') as Pick<Readers, 'openSpec'>;
  // @ts-ignore -- Node-only modules, loaded without a type-level import (see the header)
  const scale = require('../scale/summarize') as Pick<Readers, 'resolveSpecs'>;
  const { specs, errors } = await scale.resolveSpecs([job.target]);
  if (specs.length === 0) throw new Error(errors[0]?.message ?? `no rollout log found in ${job.target}`);
  if (specs.length > 1) throw new Error(`${job.target} holds ${specs.length} logs; open one of them`);
  return formats.openSpec(specs[0], { context: job.context ?? null, cacheDir: job.cacheDir, imageRoots: job.imageRoots ?? [] });
}

async function runWorker(data: WorkerJob): Promise<void> {
  const port = threads.parentPort!;
  try {
    const log = await openLog(data.job);
    let last = 0;
    try {
      const rows = data.job.rows;
      const masks = matchTextInProcess(
        (i): TextRecord | null => {
          if (i >= log.recordCount) return null;
          const r = log.read(i).rollout;
          return r ? { completion: r.completion, prompt: r.prompt?.text ?? null, answer: r.answer ?? null } : null;
        },
        data.job.preds,
        rows,
        {
          rowCount: log.recordCount,
          onProgress: (done, total) => {
            const now = Date.now();
            if (now - last < data.progressIntervalMs && done < total) return;
            last = now;
            port.postMessage({ type: 'progress', done, total });
          },
        },
      );
      port.postMessage({ type: 'done', masks }, masks.map((m) => m.buffer as ArrayBuffer));
    } finally {
      log.close();
    }
  } catch (e) {
    port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
}

if (!threads.isMainThread) {
  const data = threads.workerData as Partial<WorkerJob> | undefined;
  if (data?.kind === KIND) void runWorker(data as WorkerJob);
}
