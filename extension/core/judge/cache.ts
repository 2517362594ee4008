// Verdicts of a model judge, cached on disk by engine id (model hash + settings) and content key, so that
// reopening a judged run costs no inference. One append-only JSONL file per engine in a cache folder (the
// extension's global storage, or the CLI's --cache folder). Never written next to a user's logs.
// Extra folders can be read (not written): the extension also reads what the CLI cached.
import * as fs from 'fs';
import * as path from 'path';
import type { Verdict } from './types';
import { isVerdictLabel } from './types';
import { sha256Hex } from './items';

export class VerdictCache {
  private readonly map = new Map<string, Verdict>();
  private pending: string[] = [];
  readonly file: string;

  private constructor(readonly dir: string, readonly engineId: string) {
    this.file = path.join(dir, `${sha256Hex(engineId).slice(0, 32)}.jsonl`);
  }

  /** Open (and read) the cache of one engine in `dir`, plus read-only `extraDirs`. Unreadable lines are skipped. */
  static open(dir: string, engineId: string, extraDirs: readonly string[] = []): VerdictCache {
    const c = new VerdictCache(dir, engineId);
    for (const d of [...extraDirs, dir]) c.readFrom(path.join(d, path.basename(c.file)));
    return c;
  }

  private readFrom(file: string): void {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const o = JSON.parse(line) as { e?: unknown; k?: unknown; v?: { label?: unknown; source?: unknown; confidence?: unknown; rationale?: unknown } };
        if (o.e !== this.engineId || typeof o.k !== 'string' || !o.v || !isVerdictLabel(o.v.label)) continue;
        const v: Verdict = { label: o.v.label, source: typeof o.v.source === 'string' ? o.v.source : 'cache' };
        if (typeof o.v.confidence === 'number') v.confidence = o.v.confidence;
        if (typeof o.v.rationale === 'string') v.rationale = o.v.rationale;
        this.map.set(o.k, v);
      } catch {
        /* a torn last line from an interrupted run: skip */
      }
    }
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string): Verdict | undefined {
    return this.map.get(key);
  }

  put(key: string, v: Verdict): void {
    this.map.set(key, v);
    this.pending.push(JSON.stringify({ e: this.engineId, k: key, v }));
  }

  /** Append what was added since the last flush. */
  flush(): void {
    if (this.pending.length === 0) return;
    fs.mkdirSync(this.dir, { recursive: true });
    fs.appendFileSync(this.file, this.pending.join('\n') + '\n');
    this.pending = [];
  }
}
