// Summaries (per-step reward means, groups, zero-variance groups, mean advantage, issues) computed in a
// worker thread, so that indexing a 1.5 GB log never blocks the extension host. The same file is the
// worker: scripts/build.mjs bundles it as dist/summaryWorker.js (next to dist/extension.js and
// dist/cli.js), and tsc emits it as out/extension/core/summaryWorker.js; `defaultWorkerPath()` finds the
// right one from the calling module's folder in both cases. Pure: no `vscode`.

import { Worker, isMainThread, parentPort, workerData } from 'worker_threads';
import type { RunContext } from './runs/context';
import { ScaleSummary, SummarizeOptions, summarizePaths } from './scale/summarize';
import { FromPart, PART_JOB, PartJob, WORKER_LIMITS, defaultThreads, defaultWorkerPath, indexPart } from './scale/parallel';

export { defaultWorkerPath, defaultThreads };

export type { ScaleSummary, StepSummary } from './scale/summarize';

export interface WorkerSummaryOptions {
  /** The worker script (default: `defaultWorkerPath()`). */
  workerPath?: string;
  /** Bytes indexed so far and the total, at most every `progressIntervalMs` (default 100). */
  onProgress?(bytes: number, total: number): void;
  progressIntervalMs?: number;
  /** Aborting terminates the worker; the promise then rejects with an AbortError. */
  signal?: AbortSignal;
  context?: RunContext | null;
  /** Folder for persisted indexes (the extension's global storage); absent: nothing is written. */
  cacheDir?: string;
  chunkSize?: number;
  maxIssues?: number;
  /**
   * Threads for one large log (the summary worker plus helpers; default: the machine's cores, at most 4).
   * On the extension host, where the main thread indexes the same log for browsing, 1 leaves it a core.
   */
  threads?: number;
  /** Logs smaller than this are indexed by one thread (default 256 MB: below, starting a helper thread costs about what it saves). */
  minParallelBytes?: number;
}

const KIND = 'rollout-lens-summary';

interface Job {
  kind: typeof KIND;
  paths: string[];
  options: Omit<SummarizeOptions, 'onProgress'>;
  progressIntervalMs: number;
}

type FromWorker =
  | { type: 'progress'; bytes: number; total: number }
  | { type: 'done'; summary: ScaleSummary }
  | { type: 'error'; message: string };

/** Index and summarise `paths` (files, verl folders) in a worker thread. */
export function summarizeInWorker(paths: string[], opts: WorkerSummaryOptions = {}): Promise<ScaleSummary> {
  return new Promise<ScaleSummary>((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(abortError());
      return;
    }
    const job: Job = {
      kind: KIND,
      paths,
      options: {
        context: opts.context ?? null,
        cacheDir: opts.cacheDir,
        chunkSize: opts.chunkSize,
        maxIssues: opts.maxIssues,
        threads: opts.threads ?? defaultThreads(),
        minParallelBytes: opts.minParallelBytes,
      },
      progressIntervalMs: opts.progressIntervalMs ?? 100,
    };
    let settled = false;
    const workerPath = opts.workerPath ?? defaultWorkerPath();
    job.options.workerPath = workerPath;
    const worker = new Worker(workerPath, { workerData: job, resourceLimits: WORKER_LIMITS });
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => {
      finish(() => reject(abortError()));
      void worker.terminate();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'progress') {
        if (!settled) opts.onProgress?.(m.bytes, m.total);
      } else if (m.type === 'done') {
        finish(() => resolve(m.summary));
        void worker.terminate();
      } else if (m.type === 'error') {
        finish(() => reject(new Error(m.message)));
        void worker.terminate();
      }
    });
    worker.on('error', (e) => finish(() => reject(e)));
    worker.on('exit', (code) => finish(() => reject(new Error(`the summary worker stopped (exit code ${code})`))));
  });
}

function abortError(): Error {
  const e = new Error('summary cancelled');
  e.name = 'AbortError';
  return e;
}

async function runJob(job: Job): Promise<void> {
  const port = parentPort!;
  let last = 0;
  try {
    const summary = await summarizePaths(job.paths, {
      ...job.options,
      onProgress: (bytes, total) => {
        const now = Date.now();
        if (now - last < job.progressIntervalMs && bytes < total) return;
        last = now;
        port.postMessage({ type: 'progress', bytes, total } satisfies FromWorker);
      },
    });
    port.postMessage({ type: 'done', summary } satisfies FromWorker);
  } catch (e) {
    port.postMessage({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies FromWorker);
  }
}

async function runPart(job: PartJob): Promise<void> {
  const port = parentPort!;
  let last = 0;
  try {
    const snapshot = await indexPart(job, (bytes) => {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      port.postMessage({ type: 'progress', bytes } satisfies FromPart);
    });
    const transfer = Object.values(snapshot.arrays).map((a) => a.buffer as ArrayBuffer);
    port.postMessage({ type: 'part', snapshot } satisfies FromPart, transfer);
  } catch (e) {
    port.postMessage({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies FromPart);
  }
}

if (!isMainThread) {
  const job = workerData as { kind?: string } | undefined;
  if (job?.kind === KIND) void runJob(job as Job);
  else if (job?.kind === PART_JOB) void runPart(job as PartJob);
}
