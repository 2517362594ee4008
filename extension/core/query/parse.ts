// Parser and type checker of the filter language (grammar and semantics: docs/filter-language.md).
// Recursive descent over lexer.ts tokens; the first error stops it with a message and the span of the
// offending text. parseQueryText never throws. Pure.

import type { FieldDef } from './types';
import type { ParseResult, QueryError } from './index';
import { CmpOp, KEYWORDS, MAX_REGEX_SOURCE, Node, BARE_NAME } from './ast';
import { QueryParseError, Token, lex } from './lexer';

/** Deepest nesting of parentheses and `not`s accepted (deeper input is refused, not a stack overflow). */
export const MAX_DEPTH = 200;

/** Case-insensitive name and alias lookup (a name wins over another field's alias). */
export class FieldIndex {
  private readonly map = new Map<string, FieldDef>();
  constructor(readonly fields: readonly FieldDef[]) {
    for (const f of fields) if (!this.map.has(f.name.toLowerCase())) this.map.set(f.name.toLowerCase(), f);
    for (const f of fields) for (const a of f.aliases ?? []) if (!this.map.has(a.toLowerCase())) this.map.set(a.toLowerCase(), f);
  }
  get(name: string): FieldDef | undefined {
    return this.map.get(name.toLowerCase());
  }
  /** The closest name or alias by edit distance, when close enough to be a typo. */
  suggest(name: string): string | null {
    const lower = name.toLowerCase();
    let best: string | null = null;
    let bestD = Infinity;
    const limit = Math.max(1, Math.min(3, Math.floor(lower.length / 3) + 1));
    for (const f of this.fields) {
      for (const cand of [f.name, ...(f.aliases ?? [])]) {
        const d = editDistance(lower, cand.toLowerCase(), limit);
        if (d < bestD) {
          bestD = d;
          best = cand;
        }
      }
    }
    return bestD <= limit ? best : null;
  }
}

/** Damerau–Levenshtein (optimal string alignment) distance; anything above `cap` is reported as cap + 1. */
export function editDistance(a: string, b: string, cap = Infinity): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  if (a.length > 64 || b.length > 64) return a === b ? 0 : cap + 1;
  const m = a.length;
  const n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = new Array<number>(n + 1);
    cur[0] = i;
    let rowMin = cur[0];
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2] + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > cap) return cap + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[n];
}

/** A field name as it can be typed back: bare when possible, else in backticks. */
export function fieldLabel(name: string): string {
  if (BARE_NAME.test(name) && !KEYWORDS.has(name.toLowerCase())) return name;
  return '`' + name.replace(/[\\`]/g, (c) => '\\' + c) + '`';
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'the end';
    case 'str':
      return 'a string';
    case 'num':
      return `the number ${t.text}`;
    case 'regex':
      return 'a regex';
    case 'name':
      return `'${t.quoted ? fieldLabel(t.text) : t.text}'`;
    default:
      return `'${t.text}'`;
  }
}

const CMP_OPS: ReadonlySet<string> = new Set(['==', '!=', '<', '<=', '>', '>=']);

class Parser {
  private pos = 0;
  constructor(
    private readonly toks: Token[],
    private readonly fields: FieldIndex,
  ) {}

  private get tok(): Token {
    const t = this.toks[this.pos];
    if (t.kind === 'error') throw t.error!;
    return t;
  }
  private next(): Token {
    const t = this.tok;
    if (t.kind !== 'eof') this.pos++;
    return t;
  }
  private isKw(t: Token, w: string): boolean {
    return t.kind === 'kw' && t.text === w;
  }
  private fail(message: string, t: Token, end?: number): never {
    const length = t.kind === 'eof' ? 1 : (end ?? t.end) - t.at;
    throw new QueryParseError(message, t.at, Math.max(1, length));
  }

  parseAll(): Node | null {
    if (this.tok.kind === 'eof') return null;
    const n = this.parseOr(0);
    const t = this.tok;
    if (t.kind !== 'eof') {
      if (t.kind === 'punct' && t.text === ')') this.fail("unexpected ')': no '(' to close", t);
      this.fail(`unexpected ${describe(t)} after a complete condition: expected 'and', 'or' or the end`, t);
    }
    return n;
  }

  private parseOr(depth: number): Node {
    let left = this.parseAnd(depth);
    while (this.isKw(this.tok, 'or') || (this.tok.kind === 'op' && this.tok.text === '||')) {
      this.next();
      const right = this.parseAnd(depth);
      left = { kind: 'or', left, right };
    }
    return left;
  }

  private parseAnd(depth: number): Node {
    let left = this.parseUnary(depth);
    while (this.isKw(this.tok, 'and') || (this.tok.kind === 'op' && this.tok.text === '&&')) {
      this.next();
      const right = this.parseUnary(depth);
      left = { kind: 'and', left, right };
    }
    return left;
  }

  private parseUnary(depth: number): Node {
    const t = this.tok;
    if (this.isKw(t, 'not') || (t.kind === 'op' && t.text === '!')) {
      if (depth >= MAX_DEPTH) this.fail(`nested more than ${MAX_DEPTH} levels deep`, t);
      this.next();
      return { kind: 'not', arg: this.parseUnary(depth + 1) };
    }
    return this.parsePrimary(depth);
  }

  private parsePrimary(depth: number): Node {
    const t = this.tok;
    if (t.kind === 'punct' && t.text === '(') {
      if (depth >= MAX_DEPTH) this.fail(`nested more than ${MAX_DEPTH} levels deep`, t);
      this.next();
      const close = this.tok;
      if (close.kind === 'punct' && close.text === ')') this.fail('empty parentheses: put a condition inside', t, close.end);
      const inner = this.parseOr(depth + 1);
      const c = this.tok;
      if (!(c.kind === 'punct' && c.text === ')')) {
        if (c.kind === 'eof') this.fail(`missing ')' to close the '(' at ${t.at}`, t);
        this.fail(`expected 'and', 'or' or ')', found ${describe(c)}`, c);
      }
      this.next();
      return inner;
    }
    if (t.kind === 'name') return this.parseCondition();
    if (this.isKw(t, 'true') || this.isKw(t, 'false')) {
      this.next();
      return { kind: 'const', value: t.text === 'true' };
    }
    if (t.kind === 'eof') this.fail('expected a condition (a field name, `not` or `(`) at the end', t);
    if (t.kind === 'num' || t.kind === 'str' || this.isKw(t, 'null')) this.fail(`expected a field name, found ${describe(t)}: write the field first (iou < 0.3)`, t);
    if (this.isKw(t, 'and') || this.isKw(t, 'or') || this.isKw(t, 'in')) this.fail(`unexpected '${t.text}': expected a condition before it`, t);
    this.fail(`unexpected ${describe(t)}: expected a condition`, t);
  }

  private resolve(t: Token): FieldDef {
    const f = this.fields.get(t.text);
    if (f) return f;
    const s = this.fields.suggest(t.text);
    const shown = t.quoted ? fieldLabel(t.text) : t.text;
    let hint = s ? ` — did you mean '${s}'?` : '';
    if (!s && !t.quoted && /-/.test(t.text)) hint = " (a '-' after a name's first character is part of the name: there is no arithmetic)";
    this.fail(`unknown field '${shown}'${hint}`, t);
  }

  private parseCondition(): Node {
    const ft = this.next();
    const f = this.resolve(ft);
    const field = f.name;
    const t = this.tok;
    // `field not in [...]`
    if (this.isKw(t, 'not') && this.isKw(this.toks[this.pos + 1], 'in')) {
      this.next();
      const inTok = this.next();
      return this.parseIn(f, inTok, true);
    }
    if (this.isKw(t, 'in')) {
      this.next();
      return this.parseIn(f, t, false);
    }
    if (t.kind === 'op' && (t.text === '~' || t.text === '!~')) {
      this.next();
      const negate = t.text === '!~';
      if (f.type !== 'string') this.fail(`'${t.text}' needs a string or text field; ${fieldLabel(field)} is a ${f.type}`, t);
      const v = this.tok;
      if (v.kind !== 'str' && v.kind !== 'regex') this.fail(`expected a regex after '${t.text}': "…", '…' or /…/flags`, v);
      this.next();
      const source = v.text;
      const flags = v.kind === 'regex' ? (v.flags ?? '') : '';
      if (source.length > MAX_REGEX_SOURCE) this.fail(`regex is ${source.length} characters long: capped at ${MAX_REGEX_SOURCE}`, v);
      try {
        new RegExp(source, flags);
      } catch (e) {
        this.fail(e instanceof Error ? e.message : String(e), v);
      }
      if (f.text) return { kind: 'text', pred: { field, kind: 'regex', source, flags, negate } };
      return { kind: 'regex', field, source, flags, negate };
    }
    if (t.kind === 'op' && CMP_OPS.has(t.text)) {
      this.next();
      const op = t.text as CmpOp;
      const v = this.tok;
      const isValue = v.kind === 'num' || v.kind === 'str' || (v.kind === 'kw' && (v.text === 'true' || v.text === 'false' || v.text === 'null'));
      if (!isValue) {
        if (v.kind === 'regex') this.fail(`a regex needs '~' or '!~', not '${op}'`, v);
        if (v.kind === 'name') this.fail(`expected a value after '${op}', found ${describe(v)}: quote strings ("…")`, v);
        this.fail(`expected a value after '${op}', found ${describe(v)}`, v);
      }
      this.next();
      if (v.kind === 'kw' && v.text === 'null') {
        if (op !== '==' && op !== '!=') this.fail(`null can only be compared with == or !=`, t);
        if (f.text) return { kind: 'text', pred: { field, kind: 'present', source: '', flags: '', negate: op === '==' } };
        return { kind: 'null', field, negate: op === '!=' };
      }
      if (f.text) this.fail(`${fieldLabel(field)} is text read from each record: match it with ~ or !~ (or compare with null)`, t);
      return this.compare(f, op, v);
    }
    // a bare field is a predicate
    if (f.text) this.fail(`${fieldLabel(field)} is text read from each record: match it with ~ "…" or !~ "…"`, ft);
    if (f.type === 'string') this.fail(`${fieldLabel(field)} is a string field: compare it (${fieldLabel(field)} == "…")`, ft);
    if (t.kind === 'op' && t.text === '!') this.fail("unexpected '!': write '!=' or '!~' to compare", t);
    return { kind: 'truthy', field };
  }

  /** A comparison with a literal, type-checked. */
  private compare(f: FieldDef, op: CmpOp, v: Token): Node {
    const field = f.name;
    if (f.type === 'string') {
      if (v.kind !== 'str') this.fail(`${fieldLabel(field)} is a string: compare it with a quoted string ("${v.text}")`, v);
      return { kind: 'str', field, op, value: v.text };
    }
    if (v.kind === 'num') return { kind: 'num', field, op, value: v.num! };
    if (v.kind === 'kw' && f.type === 'bool') return { kind: 'num', field, op, value: v.text === 'true' ? 1 : 0 };
    if (v.kind === 'kw') this.fail(`${fieldLabel(field)} is a number: compare it with a number, not ${v.text}`, v);
    this.fail(`${fieldLabel(field)} is a ${f.type}: cannot compare it with a string`, v);
  }

  private parseIn(f: FieldDef, inTok: Token, negate: boolean): Node {
    const field = f.name;
    const word = negate ? 'not in' : 'in';
    if (f.text) this.fail(`${fieldLabel(field)} is text read from each record: use ~ with alternatives (~ "a|b")`, inTok);
    const open = this.tok;
    if (!(open.kind === 'punct' && open.text === '[')) this.fail(`expected '[' after '${word}' (${fieldLabel(field)} ${word} [a, b])`, open);
    this.next();
    const nums: number[] = [];
    const strs: string[] = [];
    for (;;) {
      const t = this.tok;
      if (t.kind === 'punct' && t.text === ']') {
        this.next();
        break;
      }
      if (t.kind === 'eof') this.fail(`missing ']' to close the list at ${open.at}`, open);
      if (this.isKw(t, 'null')) this.fail(`null cannot be in a list: add "or ${fieldLabel(field)} == null"`, t);
      const isValue = t.kind === 'num' || t.kind === 'str' || (t.kind === 'kw' && (t.text === 'true' || t.text === 'false'));
      if (!isValue) this.fail(`expected a value or ']' in the list, found ${describe(t)}`, t);
      this.next();
      const node = this.compare(f, '==', t);
      if (node.kind === 'str') strs.push(node.value);
      else if (node.kind === 'num') nums.push(node.value);
      const sep = this.tok;
      if (sep.kind === 'punct' && sep.text === ',') {
        this.next();
        continue;
      }
      if (sep.kind === 'punct' && sep.text === ']') continue;
      if (sep.kind === 'eof') this.fail(`missing ']' to close the list at ${open.at}`, open);
      this.fail(`expected ',' or ']' in the list, found ${describe(sep)}`, sep);
    }
    if (f.type === 'string') return { kind: 'strIn', field, values: strs, negate };
    return { kind: 'numIn', field, values: nums, negate };
  }
}

export function parseQueryText(text: string, fields: readonly FieldDef[]): ParseResult {
  try {
    const src = typeof text === 'string' ? text : String(text);
    const toks = lex(src);
    const ast = new Parser(toks, new FieldIndex(fields ?? [])).parseAll();
    return { ok: true, ast };
  } catch (e) {
    if (e instanceof QueryParseError) return { ok: false, error: { message: e.message, at: e.at, length: e.length } };
    const len = typeof text === 'string' ? text.length : 0;
    const error: QueryError = { message: `cannot parse: ${e instanceof Error ? e.message : String(e)}`, at: 0, length: Math.max(1, len) };
    return { ok: false, error };
  }
}
