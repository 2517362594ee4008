// Public API of the filter language. Pure (no vscode, no DOM, no Node): the webview imports
// parseQuery / completeQuery for instant validation and autocomplete; the host evaluates.
// (Implementation: the other modules of this folder; the language: docs/filter-language.md.)
//
// Host-side flow for one filter over a QueryTable:
//   const r = parseQuery(text, table.fields());            // error → show r.error (message, at, length)
//   const ast = withSearch(r.ast, searchBox);               // optional plain search, AND-ed
//   const preds = textPredicates(ast);                      // conditions on text / prompt / answer
//   if (preds.length === 0) rows = evaluate(ast, table);
//   else {
//     const cand = candidateRows(ast, table);               // rows the column conditions leave possible
//     const masks = await runTextJob({ target, context, preds, rows: cand }, { workerPath, signal });
//     rows = evaluate(ast, table, { rows: cand, text: masks });
//   }
//   rows = sortRows(table, rows, 'reward', true);
// (runTextJob lives in ./textWorker, which is Node-only; matchTextInProcess in ./text is the in-process
// equivalent for small logs.)
import type { FieldDef } from './types';
import { parseQueryText } from './parse';
import { completeAt } from './complete';

export type { FieldDef, FieldType, QueryTable } from './types';
export type { TextPredicate, CmpOp } from './ast';
export { TEXT_REGEX_CAP, MAX_REGEX_SOURCE } from './ast';
export { evaluate, evaluateMask, countMatches, candidateRows, textPredicates, withSearch, fieldsOf } from './evaluate';
export type { EvalOptions } from './evaluate';
export { sortRows } from './sort';
export { printQuery } from './print';
export { matchTextInProcess, compilePredicate, textFieldKey } from './text';
export type { TextRecord, TextMatchOptions } from './text';

export interface QueryError {
  message: string;
  /** Character offset in the expression, and the length of the offending text (≥ 1). At the end of the input: at = text.length, length 1. */
  at: number;
  length: number;
}

/** Parsed, checked expression (opaque to callers). */
export interface QueryAst {
  readonly kind: string;
}

export type ParseResult = { ok: true; ast: QueryAst | null } | { ok: false; error: QueryError };

/** Parse and type-check against the fields; '' (or only spaces) gives ast null = every row. Never throws. */
export function parseQuery(text: string, fields: readonly FieldDef[]): ParseResult {
  return parseQueryText(text, fields);
}

export interface Completion {
  label: string;
  detail: string;
  kind: 'field' | 'keyword' | 'operator' | 'value';
}

/** Suggestions at `cursor`: replace text[from, to) with an item's label. */
export function completeQuery(
  text: string,
  cursor: number,
  fields: readonly FieldDef[],
  values?: (field: string) => readonly string[],
): { from: number; to: number; items: Completion[] } {
  try {
    return completeAt(text, cursor, fields, values);
  } catch {
    const c = Math.max(0, Math.min(typeof text === 'string' ? text.length : 0, cursor | 0));
    return { from: c, to: c, items: [] };
  }
}
