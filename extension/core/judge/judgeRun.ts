// Run a model judge over many completions: cached verdicts first, then the misses in batches, with progress
// and cancel; the cache is written after every batch so a cancelled run keeps what it judged. Pure: no `vscode`.
import type { VerdictCache } from './cache';
import { JudgeCancelled, type JudgeEngine, type JudgeItem, type Verdict } from './types';

export interface JudgeRunResult {
  /** One verdict per item, in order (undefined only when the run was cancelled before that item). */
  verdicts: Array<Verdict | undefined>;
  /** Items answered from the cache. */
  cached: number;
  /** Items the engine judged in this run. */
  inferred: number;
  cancelled: boolean;
  elapsedMs: number;
}

export interface JudgeRunOptions {
  /** Items sent to the engine per call (the engine may split further). Default 64. */
  chunk?: number;
  signal?: AbortSignal;
  onProgress?(done: number, total: number, cached: number): void;
}

export async function judgeAll(engine: JudgeEngine, items: readonly JudgeItem[], cache: VerdictCache | null, opts: JudgeRunOptions = {}): Promise<JudgeRunResult> {
  const t0 = Date.now();
  const verdicts: Array<Verdict | undefined> = new Array(items.length);
  const misses: number[] = [];
  // equal keys are judged once
  const firstOfKey = new Map<string, number>();
  const dupOf = new Map<number, number>();
  let cached = 0;
  items.forEach((it, i) => {
    const hit = cache?.get(it.key);
    if (hit) {
      verdicts[i] = hit;
      cached++;
      return;
    }
    const first = firstOfKey.get(it.key);
    if (first !== undefined) dupOf.set(i, first);
    else {
      firstOfKey.set(it.key, i);
      misses.push(i);
    }
  });
  const total = items.length;
  let done = cached;
  opts.onProgress?.(done, total, cached);
  const chunk = Math.max(1, opts.chunk ?? 64);
  let inferred = 0;
  let cancelled = false;
  for (let s = 0; s < misses.length; s += chunk) {
    if (opts.signal?.aborted) {
      cancelled = true;
      break;
    }
    const idx = misses.slice(s, s + chunk);
    let out: Verdict[];
    try {
      out = await engine.judge(idx.map((i) => items[i]!), {
        signal: opts.signal,
        onProgress: (p) => opts.onProgress?.(done + p.done, total, cached),
      });
    } catch (e) {
      cache?.flush();
      if (e instanceof JudgeCancelled || opts.signal?.aborted) {
        cancelled = true;
        break;
      }
      throw e;
    }
    idx.forEach((i, k) => {
      const v = out[k];
      if (!v) return;
      verdicts[i] = v;
      cache?.put(items[i]!.key, v);
    });
    inferred += idx.length;
    done += idx.length;
    cache?.flush();
    opts.onProgress?.(done, total, cached);
  }
  for (const [i, first] of dupOf) {
    if (verdicts[first]) verdicts[i] = verdicts[first];
  }
  return { verdicts, cached, inferred, cancelled, elapsedMs: Date.now() - t0 };
}
