// Parallel indexing of one large log for summaries: the log is cut into parts — verl step files by
// bytes, a rollout-lens JSONL file by byte ranges at line starts — that worker threads index at the same
// time; the calling thread indexes the first part itself and then absorbs the others in order
// (LineLog.absorb: records appended, groups of the same key merged, line numbers shifted, advantages of
// merged groups recomputed). The result is the log one pass would have built. Pure: no `vscode`.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { RolloutLog } from '../formats/log';
import type { RunContext } from '../runs/context';
import { openRolloutLensJsonl } from '../formats/rolloutLensJsonl';
import { openVerl } from '../formats/verl';
import { readFully } from '../formats/lineIndex';
import type { IndexSnapshot, LineLog } from './lineLog';

export const PART_JOB = 'rollout-lens-index-part';

/**
 * Index workers allocate little per line (typed arrays hold the index): a small young generation keeps
 * each thread's memory close to what it indexes.
 */
export const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8 };

/** One part to index in a worker thread. */
export interface PartJob {
  kind: typeof PART_JOB;
  format: 'rollout-lens-jsonl' | 'verl-jsonl';
  files: string[];
  target: string;
  range?: { from: number; to: number };
  options: { context: RunContext | null; chunkSize?: number; maxIssues?: number; keepOffsets: boolean; columns: boolean };
}

export type FromPart = { type: 'progress'; bytes: number } | { type: 'part'; snapshot: IndexSnapshot } | { type: 'error'; message: string };

/** Threads worth using on this machine (1–4). */
export function defaultThreads(): number {
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(4, n));
}

/**
 * The worker script (extension/core/summaryWorker.ts): next to this code in a bundle (dist/), or one
 * folder up in the tsc output (out/extension/core/scale → out/extension/core).
 */
export function defaultWorkerPath(): string {
  const candidates = [path.join(__dirname, 'summaryWorker.js'), path.join(__dirname, '..', 'summaryWorker.js')];
  return candidates.find((p) => fs.existsSync(p)) ?? candidates[0];
}

/** Open one part (in a worker thread) and hand back its index. */
export async function indexPart(job: PartJob, onProgress?: (bytes: number) => void): Promise<IndexSnapshot> {
  const common = {
    columns: job.options.columns,
    context: job.options.context,
    chunkSize: job.options.chunkSize,
    maxIssues: job.options.maxIssues,
    keepOffsets: job.options.keepOffsets,
    onProgress: onProgress ? (b: number) => onProgress(b - (job.range?.from ?? 0)) : undefined,
  };
  const log =
    job.format === 'rollout-lens-jsonl'
      ? await openRolloutLensJsonl(job.files[0], { ...common, range: job.range })
      : await openVerl(job.files, { ...common, target: job.target, part: true });
  try {
    return (log as unknown as LineLog).exportIndex();
  } finally {
    log.close();
  }
}

/**
 * Where the k-th of `parts` parts ends, as a fraction of the bytes: the first part (indexed by the calling
 * thread, which starts at once, while helpers first load their code) gets `lead` more than its share.
 */
export function partBoundary(k: number, parts: number, lead = FIRST_PART_LEAD): number {
  if (k >= parts) return 1;
  const first = Math.min(0.9, (1 + lead) / parts);
  return first + ((1 - first) * (k - 1)) / (parts - 1);
}
/** How much more than its share the first part gets (helpers spend ~0.1–0.2 s starting). */
export const FIRST_PART_LEAD = 0.1;

/** Split files into ≤ `parts` consecutive runs of about equal bytes (see partBoundary; each at least one file). */
export function splitFiles(files: readonly string[], sizes: readonly number[], parts: number, lead = FIRST_PART_LEAD): string[][] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const out: string[][] = [];
  let cur: string[] = [];
  let acc = 0;
  for (let i = 0; i < files.length; i++) {
    cur.push(files[i]);
    acc += sizes[i];
    const left = files.length - i - 1;
    if (out.length < parts - 1 && acc >= total * partBoundary(out.length + 1, parts, lead) && left > 0) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Byte ranges [from, to) of about equal size that start at line starts (after a newline). */
export async function splitFileRanges(file: string, size: number, parts: number, lead = FIRST_PART_LEAD): Promise<Array<{ from: number; to: number }>> {
  const cuts: number[] = [0];
  const h = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    for (let k = 1; k < parts; k++) {
      let at = Math.floor(size * partBoundary(k, parts, lead));
      if (at <= cuts[cuts.length - 1]) continue;
      // the first newline at or after `at`
      let cut = -1;
      while (at < size) {
        const got = await readFully(h, buf, at);
        if (got === 0) break;
        const nl = buf.subarray(0, got).indexOf(0x0a);
        if (nl >= 0) {
          cut = at + nl + 1;
          break;
        }
        at += got;
      }
      if (cut < 0 || cut >= size) break;
      if (cut > cuts[cuts.length - 1]) cuts.push(cut);
    }
  } finally {
    await h.close();
  }
  cuts.push(size);
  const out: Array<{ from: number; to: number }> = [];
  for (let k = 0; k + 1 < cuts.length; k++) if (cuts[k + 1] > cuts[k]) out.push({ from: cuts[k], to: cuts[k + 1] });
  return out;
}

function runPartWorker(workerPath: string, job: PartJob, onProgress: (bytes: number) => void): { done: Promise<IndexSnapshot>; worker: Worker } {
  const worker = new Worker(workerPath, { workerData: job, resourceLimits: WORKER_LIMITS });
  const done = new Promise<IndexSnapshot>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: FromPart) => {
      if (m.type === 'progress') onProgress(m.bytes);
      else if (m.type === 'part') {
        settled = true;
        resolve(m.snapshot);
        void worker.terminate(); // its heap is not needed any more
      } else if (m.type === 'error') {
        settled = true;
        reject(new Error(m.message));
      }
    });
    worker.on('error', (e) => {
      if (!settled) reject(e);
      settled = true;
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`an index worker stopped (exit code ${code})`));
      settled = true;
    });
  });
  return { done, worker };
}

export interface ParallelOptions {
  threads: number;
  workerPath?: string;
  context?: RunContext | null;
  chunkSize?: number;
  maxIssues?: number;
  keepOffsets: boolean;
  /** Bytes indexed so far (all parts) and the total. */
  onProgress?(bytes: number, total: number): void;
}

/**
 * Index one own-format file or one verl log (its step files) with `threads` threads; null when it is
 * not worth it (one part). The returned log is complete (columns gathered).
 */
export async function openParallel(
  spec: { format: 'rollout-lens-jsonl' | 'verl-jsonl'; target: string; files: string[] },
  opts: ParallelOptions,
): Promise<RolloutLog | null> {
  const sizes = spec.files.map((f) => {
    try {
      return fs.statSync(f).size;
    } catch {
      return 0;
    }
  });
  const total = sizes.reduce((a, b) => a + b, 0);
  const own = spec.format === 'rollout-lens-jsonl';
  let jobs: PartJob[];
  const options = { context: opts.context ?? null, chunkSize: opts.chunkSize, maxIssues: opts.maxIssues, keepOffsets: opts.keepOffsets, columns: true };
  if (own) {
    if (spec.files.length !== 1) return null;
    const ranges = await splitFileRanges(spec.files[0], sizes[0], opts.threads);
    if (ranges.length < 2) return null;
    jobs = ranges.map((range) => ({ kind: PART_JOB, format: spec.format, files: spec.files, target: spec.target, range, options }));
  } else {
    const groups = splitFiles(spec.files, sizes, opts.threads);
    if (groups.length < 2) return null;
    jobs = groups.map((files) => ({ kind: PART_JOB, format: spec.format, files, target: spec.target, options }));
  }
  const done = new Array<number>(jobs.length).fill(0);
  const report = (): void => opts.onProgress?.(Math.min(total, done.reduce((a, b) => a + b, 0)), total);
  const workerPath = opts.workerPath ?? defaultWorkerPath();
  const subs = jobs.slice(1).map((job, k) => runPartWorker(workerPath, job, (b) => ((done[k + 1] = b), report())));
  try {
    const first = jobs[0];
    const common = {
      columns: true,
      context: first.options.context,
      chunkSize: first.options.chunkSize,
      maxIssues: first.options.maxIssues,
      keepOffsets: first.options.keepOffsets,
      // the parts are appended to this one: size its arrays for all of them at once
      reserveForBytes: total,
      onProgress: (b: number) => ((done[0] = b), report()),
    };
    const log = own ? await openRolloutLensJsonl(first.files[0], { ...common, range: first.range }) : await openVerl(first.files, { ...common, target: spec.target, part: true });
    const ll = log as unknown as LineLog;
    try {
      for (const s of subs) ll.absorb(await s.done, own);
      ll.finishAbsorb();
    } catch (e) {
      log.close();
      throw e;
    }
    return log;
  } finally {
    for (const s of subs) void s.worker.terminate();
  }
}
