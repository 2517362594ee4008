// Runs the sample list's queries: parse the filter (core/query), match text conditions (in process when they
// are plain substrings over a small log, else in a worker that the next query cancels), evaluate, sort, and
// keep the last sorted result so that scrolling asks only for pages. Pure: no `vscode`.

import type { QueryParams, QueryResult } from '../../protocol/inspector';
import {
  candidateRows, evaluate, fieldsOf, matchTextInProcess, parseQuery, sortRows, textPredicates, withSearch,
  type TextPredicate, type TextRecord,
} from '../query/index';
import type { SampleTable } from './sampleTable';

export interface TextMatcher {
  /** Read one record's texts in process (small logs, plain substrings). */
  read(row: number): TextRecord | null;
  /** Match in a worker thread (regexes, large logs); aborting must stop it. */
  job?(preds: TextPredicate[], rows: Uint32Array, signal: AbortSignal): Promise<Uint8Array[]>;
}

export interface QueryServiceOptions {
  /** Substring-only text conditions over at most this many candidate rows are matched in process. Default 20 000. */
  inProcessRows?: number;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export class QueryService {
  private cacheKey = '';
  private cacheChange = -1;
  private cached: Uint32Array | null = null;
  private inflight: AbortController | null = null;
  private readonly inProcessRows: number;

  constructor(private readonly table: SampleTable, private readonly text: TextMatcher, opts: QueryServiceOptions = {}) {
    this.inProcessRows = opts.inProcessRows ?? 20_000;
  }

  /** Stop a running text match (a new query, the panel closed). */
  cancel(): void {
    this.inflight?.abort();
    this.inflight = null;
  }

  async run(p: QueryParams): Promise<QueryResult> {
    const t0 = now();
    const fields = this.table.fieldInfos();
    const base = { total: this.table.rowCount, offset: p.offset, fields };
    const parsed = parseQuery(p.filter, this.table.fields());
    if (!parsed.ok) return { ...base, matched: 0, rows: [], error: parsed.error, elapsedMs: now() - t0, pendingFields: [] };
    const ast = withSearch(parsed.ast, p.search.trim());
    const key = JSON.stringify([p.filter, p.search.trim(), p.sort, p.desc]);
    let sorted = this.cached;
    if (key !== this.cacheKey || this.table.changeCount !== this.cacheChange || !sorted) {
      this.cancel();
      const preds = textPredicates(ast);
      let matched: Uint32Array;
      if (preds.length === 0) matched = evaluate(ast, this.table);
      else {
        const cand = candidateRows(ast, this.table);
        const masks = await this.matchText(preds, cand);
        matched = evaluate(ast, this.table, { rows: cand, text: masks });
      }
      sorted = p.sort ? sortRows(this.table, matched, p.sort, p.desc) : matched;
      this.cacheKey = key;
      this.cacheChange = this.table.changeCount;
      this.cached = sorted;
    }
    const pendingFields = fieldsOf(ast).filter((f) => {
      const def = this.table.fields().find((d) => d.name === f);
      return !def?.text && !this.table.ready(f);
    });
    if (p.sort && !this.table.ready(p.sort) && !pendingFields.includes(p.sort)) pendingFields.push(p.sort);
    return {
      ...base,
      matched: sorted.length,
      rows: this.table.sampleRows(sorted, p.offset, p.limit),
      error: null,
      elapsedMs: now() - t0,
      pendingFields,
    };
  }

  /** All matching rows of the last query, sorted (exports). */
  lastRows(): Uint32Array | null {
    return this.cached;
  }

  private async matchText(preds: TextPredicate[], cand: Uint32Array): Promise<Uint8Array[]> {
    const plain = preds.every((p) => p.kind !== 'regex');
    if (!this.text.job || (plain && cand.length <= this.inProcessRows)) {
      return matchTextInProcess((row) => this.text.read(row), preds, cand);
    }
    const ac = new AbortController();
    this.inflight = ac;
    try {
      return await this.text.job(preds, cand, ac.signal);
    } finally {
      if (this.inflight === ac) this.inflight = null;
    }
  }
}
