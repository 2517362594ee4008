// Judge every completion of a log with one model judge, in chunks of records (memory stays bounded on
// million-row logs): build each completion's judge item, answer from the cache, send the misses to the engine.
// `cacheOnly` applies what is cached without running any model (reopening a judged run). Pure: no `vscode`.
import type { RolloutLog } from '../formats/log';
import type { VerdictCache } from './cache';
import { judgeItemOf } from './items';
import { judgeAll } from './judgeRun';
import { JudgeCancelled, type JudgeEngine, type JudgeItem, type Verdict } from './types';

export interface JudgeLogOptions {
  signal?: AbortSignal;
  /** Completions done (judged, cached or skipped) out of the log's records. */
  onProgress?(done: number, total: number): void;
  /** Verdicts of each finished chunk, as [record index, verdict] (the panel shows them as they come). */
  onChunk?(entries: Array<[number, Verdict]>): void;
  /** Records per chunk (default 256). */
  chunk?: number;
  /** Only apply cached verdicts; never call the engine. */
  cacheOnly?: boolean;
  /** Judge only these records (default: all). */
  records?: ArrayLike<number>;
}

export interface JudgeLogResult {
  verdicts: Map<number, Verdict>;
  /** Records with something to judge (an answer and reasoning). */
  judgeable: number;
  cached: number;
  inferred: number;
  /** Records without an answer or reasoning, or unreadable. */
  skipped: number;
  cancelled: boolean;
  elapsedMs: number;
}

export async function judgeLog(log: RolloutLog, engine: JudgeEngine | null, cache: VerdictCache | null, opts: JudgeLogOptions = {}): Promise<JudgeLogResult> {
  const t0 = Date.now();
  const total = opts.records ? opts.records.length : log.recordCount;
  const recordAt = (k: number): number => (opts.records ? opts.records[k]! : k);
  const chunk = Math.max(1, opts.chunk ?? 256);
  const out: JudgeLogResult = { verdicts: new Map(), judgeable: 0, cached: 0, inferred: 0, skipped: 0, cancelled: false, elapsedMs: 0 };
  for (let s = 0; s < total; s += chunk) {
    if (opts.signal?.aborted) {
      out.cancelled = true;
      break;
    }
    const recs: number[] = [];
    const items: JudgeItem[] = [];
    for (let k = s; k < Math.min(total, s + chunk); k++) {
      const ri = recordAt(k);
      let item: JudgeItem | null = null;
      try {
        const { rollout } = log.read(ri);
        item = rollout ? judgeItemOf(rollout) : null;
      } catch {
        item = null;
      }
      if (!item) {
        out.skipped++;
        continue;
      }
      recs.push(ri);
      items.push(item);
    }
    out.judgeable += items.length;
    const entries: Array<[number, Verdict]> = [];
    if (opts.cacheOnly || !engine) {
      items.forEach((it, k) => {
        const v = cache?.get(it.key);
        if (v) {
          entries.push([recs[k]!, v]);
          out.cached++;
        }
      });
      // let the event loop breathe between chunks
      await new Promise((r) => setImmediate(r));
    } else {
      const base = s;
      try {
        const r = await judgeAll(engine, items, cache, {
          signal: opts.signal,
          onProgress: (done) => opts.onProgress?.(Math.min(total, base + (chunk - items.length) + done), total),
        });
        r.verdicts.forEach((v, k) => v && entries.push([recs[k]!, v]));
        out.cached += r.cached;
        out.inferred += r.inferred;
        if (r.cancelled) out.cancelled = true;
      } catch (e) {
        if (e instanceof JudgeCancelled) out.cancelled = true;
        else throw e;
      }
    }
    for (const [ri, v] of entries) out.verdicts.set(ri, v);
    if (entries.length) opts.onChunk?.(entries);
    opts.onProgress?.(Math.min(total, s + chunk), total);
    if (out.cancelled) break;
  }
  out.elapsedMs = Date.now() - t0;
  return out;
}
