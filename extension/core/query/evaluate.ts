// Vectorised evaluation of a checked filter over a QueryTable. No eval / new Function: the tree is
// interpreted, and every node yields a Uint8Array mask (1 = matches) over the candidate rows, computed
// in tight loops over the Float64Array / Int32Array columns. String columns are compared through their
// dictionary: each condition is decided once per dictionary entry, then looked up by code. Text fields
// (completion, prompt, answer) are not columns: their conditions are "text predicates" whose masks are
// computed elsewhere (text.ts / textWorker.ts) and passed in. Pure.

import type { QueryAst } from './index';
import type { QueryTable } from './types';
import { CmpOp, Node, TEXT_REGEX_CAP, TextPredicate, forEachLeaf, hasText, predKey } from './ast';

export interface EvalOptions {
  /**
   * Candidate rows (ascending or not; the result keeps their order). Absent / null: every row of the table.
   * Masks (text ones included) are indexed by position in this list.
   */
  rows?: Uint32Array | null;
  /**
   * One mask per predicate of `textPredicates(ast)`, in that order, each as long as the candidate list.
   * Required when the expression has text predicates.
   */
  text?: readonly Uint8Array[];
}

/**
 * The text predicates of an expression, deduplicated, in a fixed (left-to-right) order: compute one mask
 * per predicate over the candidate rows (matchTextInProcess / runTextJob) and pass them to `evaluate`.
 */
export function textPredicates(ast: QueryAst | null): TextPredicate[] {
  const out: TextPredicate[] = [];
  const seen = new Set<string>();
  if (ast) {
    forEachLeaf(ast as Node, (n) => {
      if (n.kind !== 'text') return;
      const k = predKey(n.pred);
      if (!seen.has(k)) {
        seen.add(k);
        out.push(n.pred);
      }
    });
  }
  return out;
}

/** The field names a filter reads (canonical names; text fields included). */
export function fieldsOf(ast: QueryAst | null): string[] {
  const out = new Set<string>();
  if (ast) {
    forEachLeaf(ast as Node, (n) => {
      if (n.kind === 'text') out.add(n.pred.field);
      else if (n.kind !== 'const') out.add(n.field);
    });
  }
  return [...out];
}

/**
 * The search box: a plain string matched as a case-insensitive substring of the completion (`text`) or
 * the prompt (`prompt`), AND-ed with the filter. Blank search: the filter unchanged. The result is a new
 * tree (its two text predicates come after the filter's own in textPredicates order).
 */
export function withSearch(ast: QueryAst | null, search: string, fields: { completion: string; prompt: string } = { completion: 'text', prompt: 'prompt' }): QueryAst | null {
  const s = search.trim();
  if (!s) return ast;
  const needle = s.toLowerCase();
  const sub = (field: string): Node => ({ kind: 'text', pred: { field, kind: 'substring', source: needle, flags: '', negate: false } });
  const node: Node = { kind: 'or', left: sub(fields.completion), right: sub(fields.prompt) };
  const both: Node = ast ? { kind: 'and', left: ast as Node, right: node } : node;
  return both;
}

interface Ctx {
  table: QueryTable;
  n: number;
  rows: Uint32Array | null;
  textIndex: Map<string, number>;
  text: readonly Uint8Array[] | null;
}

/** The matching rows (table row indices, in candidate order). `ast` null: every candidate. */
export function evaluate(ast: QueryAst | null, table: QueryTable, opts: EvalOptions = {}): Uint32Array {
  const rows = opts.rows ?? null;
  if (!ast) return rows ? rows.slice() : identity(table.rowCount);
  return rowsOf(evaluateMask(ast, table, opts), rows);
}

/** evaluate's mask: one byte per candidate (1 = matches). */
export function evaluateMask(ast: QueryAst | null, table: QueryTable, opts: EvalOptions = {}): Uint8Array {
  const ctx = context(ast, table, opts, true);
  if (!ast) return new Uint8Array(ctx.n).fill(1);
  return ev(ast as Node, ctx);
}

/** Matching rows, counted without building the list. */
export function countMatches(ast: QueryAst | null, table: QueryTable, opts: EvalOptions = {}): number {
  const m = evaluateMask(ast, table, opts);
  let k = 0;
  for (let i = 0; i < m.length; i++) k += m[i];
  return k;
}

/**
 * The rows that can still match once the text predicates are known: the column conditions decided, text
 * predicates taken as unknown. Read only these records for the text masks (then call evaluate with these
 * rows and those masks). Without text predicates this is evaluate's result.
 */
export function candidateRows(ast: QueryAst | null, table: QueryTable, rows: Uint32Array | null = null): Uint32Array {
  if (!ast) return rows ? rows.slice() : identity(table.rowCount);
  const ctx = context(ast, table, { rows }, false);
  return rowsOf(ev3(ast as Node, ctx).possible, rows);
}

function context(ast: QueryAst | null, table: QueryTable, opts: EvalOptions, needText: boolean): Ctx {
  const rows = opts.rows ?? null;
  const n = rows ? rows.length : table.rowCount;
  const preds = textPredicates(ast);
  const textIndex = new Map<string, number>();
  preds.forEach((p, k) => textIndex.set(predKey(p), k));
  const text = opts.text ?? null;
  if (needText && preds.length > 0) {
    if (!text || text.length < preds.length) throw new Error(`the filter has ${preds.length} text condition(s): pass one mask per textPredicates(ast) entry`);
    for (let k = 0; k < preds.length; k++) if (text[k].length !== n) throw new Error(`text mask ${k} has ${text[k].length} entries for ${n} candidate rows`);
  }
  return { table, n, rows, textIndex, text };
}

function identity(n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

function rowsOf(m: Uint8Array, rows: Uint32Array | null): Uint32Array {
  const n = m.length;
  let k = 0;
  for (let i = 0; i < n; i++) k += m[i];
  const out = new Uint32Array(k);
  let j = 0;
  if (rows) {
    for (let i = 0; i < n; i++) if (m[i]) out[j++] = rows[i];
  } else {
    for (let i = 0; i < n; i++) if (m[i]) out[j++] = i;
  }
  return out;
}

function allEqual(m: Uint8Array, v: number): boolean {
  for (let i = 0; i < m.length; i++) if (m[i] !== v) return false;
  return true;
}

function ev(node: Node, ctx: Ctx): Uint8Array {
  switch (node.kind) {
    case 'and': {
      const a = ev(node.left, ctx);
      if (allEqual(a, 0)) return a;
      const b = ev(node.right, ctx);
      for (let i = 0; i < a.length; i++) a[i] &= b[i];
      return a;
    }
    case 'or': {
      const a = ev(node.left, ctx);
      if (allEqual(a, 1)) return a;
      const b = ev(node.right, ctx);
      for (let i = 0; i < a.length; i++) a[i] |= b[i];
      return a;
    }
    case 'not': {
      const a = ev(node.arg, ctx);
      for (let i = 0; i < a.length; i++) a[i] ^= 1;
      return a;
    }
    case 'text': {
      const k = ctx.textIndex.get(predKey(node.pred));
      if (k === undefined || !ctx.text) throw new Error('text predicate without a mask');
      return ctx.text[k].slice();
    }
    default:
      return leaf(node, ctx);
  }
}

/** Three-valued evaluation for candidateRows: rows that surely match, and rows that may. */
function ev3(node: Node, ctx: Ctx): { sure: Uint8Array; possible: Uint8Array } {
  if (!hasText(node)) {
    const m = ev(node, ctx);
    return { sure: m, possible: m };
  }
  switch (node.kind) {
    case 'and':
    case 'or': {
      const a = ev3(node.left, ctx);
      const b = ev3(node.right, ctx);
      const sure = new Uint8Array(ctx.n);
      const possible = new Uint8Array(ctx.n);
      if (node.kind === 'and') {
        for (let i = 0; i < ctx.n; i++) {
          sure[i] = a.sure[i] & b.sure[i];
          possible[i] = a.possible[i] & b.possible[i];
        }
      } else {
        for (let i = 0; i < ctx.n; i++) {
          sure[i] = a.sure[i] | b.sure[i];
          possible[i] = a.possible[i] | b.possible[i];
        }
      }
      return { sure, possible };
    }
    case 'not': {
      const a = ev3(node.arg, ctx);
      const sure = new Uint8Array(ctx.n);
      const possible = new Uint8Array(ctx.n);
      for (let i = 0; i < ctx.n; i++) {
        sure[i] = a.possible[i] ^ 1;
        possible[i] = a.sure[i] ^ 1;
      }
      return { sure, possible };
    }
    default:
      // a text predicate: unknown
      return { sure: new Uint8Array(ctx.n), possible: new Uint8Array(ctx.n).fill(1) };
  }
}

/** The candidates' values of a number / bool column (NaN = null; a missing column is all null). */
function numValues(field: string, ctx: Ctx): Float64Array {
  const col = ctx.table.numeric(field);
  const { n, rows } = ctx;
  if (!col) return new Float64Array(n).fill(NaN);
  if (!rows) {
    if (col.length >= n) return col;
    const out = new Float64Array(n).fill(NaN);
    out.set(col);
    return out;
  }
  const out = new Float64Array(n);
  const len = col.length;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    out[i] = r < len ? col[r] : NaN;
  }
  return out;
}

/** The candidates' codes of a string column (-1 = null; a missing column is all null). */
function strValues(field: string, ctx: Ctx): { codes: Int32Array; dict: readonly string[] } {
  const col = ctx.table.strings(field);
  const { n, rows } = ctx;
  if (!col) return { codes: new Int32Array(n).fill(-1), dict: [] };
  const src = col.codes;
  if (!rows) {
    if (src.length >= n) return col;
    const out = new Int32Array(n).fill(-1);
    out.set(src);
    return { codes: out, dict: col.dict };
  }
  const out = new Int32Array(n);
  const len = src.length;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    out[i] = r < len ? src[r] : -1;
  }
  return { codes: out, dict: col.dict };
}

function numCompare(v: Float64Array, n: number, op: CmpOp, c: number): Uint8Array {
  const m = new Uint8Array(n);
  switch (op) {
    case '==':
      for (let i = 0; i < n; i++) m[i] = v[i] === c ? 1 : 0;
      break;
    case '!=':
      for (let i = 0; i < n; i++) {
        const x = v[i];
        m[i] = x === x && x !== c ? 1 : 0;
      }
      break;
    case '<':
      for (let i = 0; i < n; i++) m[i] = v[i] < c ? 1 : 0;
      break;
    case '<=':
      for (let i = 0; i < n; i++) m[i] = v[i] <= c ? 1 : 0;
      break;
    case '>':
      for (let i = 0; i < n; i++) m[i] = v[i] > c ? 1 : 0;
      break;
    case '>=':
      for (let i = 0; i < n; i++) m[i] = v[i] >= c ? 1 : 0;
      break;
  }
  return m;
}

function strCompare(a: string, op: CmpOp, b: string): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/** mask[i] = table[code[i]] (0 for null codes). */
function lookup(codes: Int32Array, n: number, table: Uint8Array): Uint8Array {
  const m = new Uint8Array(n);
  const d = table.length;
  for (let i = 0; i < n; i++) {
    const c = codes[i];
    m[i] = c >= 0 && c < d ? table[c] : 0;
  }
  return m;
}

function leaf(node: Node, ctx: Ctx): Uint8Array {
  const n = ctx.n;
  switch (node.kind) {
    case 'const':
      return new Uint8Array(n).fill(node.value ? 1 : 0);
    case 'truthy': {
      const v = numValues(node.field, ctx);
      const m = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const x = v[i];
        m[i] = x === x && x !== 0 ? 1 : 0;
      }
      return m;
    }
    case 'num':
      return numCompare(numValues(node.field, ctx), n, node.op, node.value);
    case 'numIn': {
      const v = numValues(node.field, ctx);
      const m = new Uint8Array(n);
      const vals = node.values;
      if (vals.length <= 8) {
        for (const c of vals) for (let i = 0; i < n; i++) if (v[i] === c) m[i] = 1;
      } else {
        const set = new Set(vals.map((x) => (x === 0 ? 0 : x)));
        for (let i = 0; i < n; i++) {
          const x = v[i];
          if (set.has(x === 0 ? 0 : x)) m[i] = 1;
        }
      }
      if (node.negate) {
        for (let i = 0; i < n; i++) {
          const x = v[i];
          m[i] = x === x && m[i] === 0 ? 1 : 0;
        }
      }
      return m;
    }
    case 'null': {
      if (ctx.table.strings(node.field) && !ctx.table.numeric(node.field)) {
        const { codes } = strValues(node.field, ctx);
        const m = new Uint8Array(n);
        if (node.negate) for (let i = 0; i < n; i++) m[i] = codes[i] >= 0 ? 1 : 0;
        else for (let i = 0; i < n; i++) m[i] = codes[i] < 0 ? 1 : 0;
        return m;
      }
      const v = numValues(node.field, ctx);
      const m = new Uint8Array(n);
      if (node.negate) {
        for (let i = 0; i < n; i++) {
          const x = v[i];
          m[i] = x === x ? 1 : 0;
        }
      } else {
        for (let i = 0; i < n; i++) {
          const x = v[i];
          m[i] = x !== x ? 1 : 0;
        }
      }
      return m;
    }
    case 'str': {
      const { codes, dict } = strValues(node.field, ctx);
      const t = new Uint8Array(dict.length);
      for (let k = 0; k < dict.length; k++) t[k] = strCompare(dict[k], node.op, node.value) ? 1 : 0;
      return lookup(codes, n, t);
    }
    case 'strIn': {
      const { codes, dict } = strValues(node.field, ctx);
      const set = new Set(node.values);
      const t = new Uint8Array(dict.length);
      for (let k = 0; k < dict.length; k++) t[k] = set.has(dict[k]) !== node.negate ? 1 : 0;
      return lookup(codes, n, t);
    }
    case 'regex': {
      const { codes, dict } = strValues(node.field, ctx);
      const re = new RegExp(node.source, node.flags);
      const t = new Uint8Array(dict.length);
      for (let k = 0; k < dict.length; k++) {
        const s = dict[k];
        t[k] = re.test(s.length > TEXT_REGEX_CAP ? s.slice(0, TEXT_REGEX_CAP) : s) !== node.negate ? 1 : 0;
      }
      return lookup(codes, n, t);
    }
    default:
      throw new Error(`cannot evaluate a ${node.kind} node here`);
  }
}
