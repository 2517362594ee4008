// Text predicates (conditions on `text` = completion, `prompt`, `answer`) matched record by record. Used
// in process for small logs and tests, and by the text worker (textWorker.ts) for large ones — a regex
// can take exponential time, and only a worker can be stopped mid-match. Pure.

import { TEXT_REGEX_CAP, TextPredicate } from './ast';

/** The text of one record; null / undefined members are null values. */
export interface TextRecord {
  completion?: string | null;
  prompt?: string | null;
  answer?: string | null;
  /** Further text fields by canonical name. */
  [field: string]: string | null | undefined;
}

export interface TextMatchOptions {
  /** Checked every 256 records: an aborted run throws an AbortError. */
  signal?: AbortSignal;
  /** Records done and the total, every 256 records and at the end. */
  onProgress?(done: number, total: number): void;
  /** With `rows` null: how many records there are (rows 0 … rowCount - 1). */
  rowCount?: number;
}

/** Which member of a TextRecord a text field reads. */
export function textFieldKey(field: string): string {
  const f = field.toLowerCase();
  if (f === 'text' || f === 'completion') return 'completion';
  if (f === 'prompt' || f === 'prompt.text') return 'prompt';
  if (f === 'answer') return 'answer';
  return field;
}

export type CompiledPredicate = (rec: TextRecord | null) => boolean;

/** One predicate as a function of a record (regexes compiled once). */
export function compilePredicate(p: TextPredicate): CompiledPredicate {
  const key = textFieldKey(p.field);
  switch (p.kind) {
    case 'present':
      return (rec) => (rec?.[key] != null) !== p.negate;
    case 'regex': {
      const re = new RegExp(p.source, p.flags.replace(/[gy]/g, ''));
      return (rec) => {
        const v = rec?.[key];
        if (v == null) return false;
        return re.test(v.length > TEXT_REGEX_CAP ? v.slice(0, TEXT_REGEX_CAP) : v) !== p.negate;
      };
    }
    case 'substring': {
      const needle = p.source.toLowerCase();
      return (rec) => {
        const v = rec?.[key];
        if (v == null) return false;
        return v.toLowerCase().includes(needle) !== p.negate;
      };
    }
  }
}

function abortError(): Error {
  const e = new Error('text search cancelled');
  e.name = 'AbortError';
  return e;
}

/**
 * One mask per predicate over the candidate rows (`rows`, or every row when null — then give
 * `opts.rowCount`): mask[k][i] = 1 when record rows[i] satisfies preds[k]. `read` returns null for a record
 * that cannot be read: every predicate is then false for it (`== null` included).
 */
export function matchTextInProcess(read: (row: number) => TextRecord | null, preds: readonly TextPredicate[], rows: Uint32Array | null, opts: TextMatchOptions = {}): Uint8Array[] {
  if (!rows && opts.rowCount === undefined) throw new Error('matchTextInProcess: give rows or opts.rowCount');
  const n = rows ? rows.length : opts.rowCount!;
  const masks = preds.map(() => new Uint8Array(n));
  if (preds.length === 0) {
    opts.onProgress?.(n, n);
    return masks;
  }
  const fns = preds.map(compilePredicate);
  for (let i = 0; i < n; i++) {
    if ((i & 255) === 0) {
      if (opts.signal?.aborted) throw abortError();
      if (i > 0) opts.onProgress?.(i, n);
    }
    let rec: TextRecord | null;
    try {
      rec = read(rows ? rows[i] : i);
    } catch {
      rec = null;
    }
    if (!rec) continue;
    for (let k = 0; k < fns.length; k++) if (fns[k](rec)) masks[k][i] = 1;
  }
  opts.onProgress?.(n, n);
  return masks;
}
