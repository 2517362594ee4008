// A checked expression printed back as filter text (canonical field names, minimal parentheses, regexes
// without flags as strings): parsing the text again gives the same tree. Search predicates (withSearch), which have no syntax of their own,
// print as the equivalent case-insensitive regex. Pure.

import type { QueryAst } from './index';
import { Node, TextPredicate } from './ast';
import { fieldLabel } from './parse';

function num(v: number): string {
  if (Object.is(v, -0)) return '-0';
  if (v === Infinity) return '1e999';
  if (v === -Infinity) return '-1e999';
  return String(v);
}

function str(s: string): string {
  return JSON.stringify(s);
}

/**
 * Regex text whose lexing gives back `source` and `flags`: a string literal when there are no flags (exact
 * for any source), else a /…/flags literal (the lexer reads `\/` there as `/`, so a bare `/` is escaped;
 * sources read from regex literals hold no `\/` pair of their own).
 */
function regexLiteral(source: string, flags: string): string {
  if (!flags) return str(source);
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\' && i + 1 < source.length) {
      if (source[i + 1] === '/') out += '\\/';
      else out += c + source[i + 1];
      i++;
    } else if (c === '/') out += '\\/';
    else if (c === '\\') out += '\\\\';
    else out += c;
  }
  return `/${out}/${flags}`;
}

function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|-]/g, '\\$&');
}

function text(p: TextPredicate): string {
  const f = fieldLabel(p.field);
  switch (p.kind) {
    case 'present':
      return `${f} ${p.negate ? '==' : '!='} null`;
    case 'regex':
      return `${f} ${p.negate ? '!~' : '~'} ${regexLiteral(p.source, p.flags)}`;
    case 'substring':
      return `${f} ${p.negate ? '!~' : '~'} ${regexLiteral(escapeRegex(p.source), 'i')}`;
  }
}

const PREC: Record<string, number> = { or: 1, and: 2, not: 3 };

function prec(n: Node): number {
  return PREC[n.kind] ?? 4;
}

function print(n: Node): string {
  switch (n.kind) {
    case 'or':
    case 'and': {
      const p = prec(n);
      const word = n.kind;
      // left-associative: a left child of the same operator needs no parentheses, a right one does
      const l = prec(n.left) >= p ? print(n.left) : `(${print(n.left)})`;
      const r = prec(n.right) > p ? print(n.right) : `(${print(n.right)})`;
      return `${l} ${word} ${r}`;
    }
    case 'not': {
      const a = prec(n.arg) >= prec(n) ? print(n.arg) : `(${print(n.arg)})`;
      return `not ${a}`;
    }
    case 'const':
      return n.value ? 'true' : 'false';
    case 'truthy':
      return fieldLabel(n.field);
    case 'null':
      return `${fieldLabel(n.field)} ${n.negate ? '!=' : '=='} null`;
    case 'num':
      return `${fieldLabel(n.field)} ${n.op} ${num(n.value)}`;
    case 'numIn':
      return `${fieldLabel(n.field)} ${n.negate ? 'not in' : 'in'} [${n.values.map(num).join(', ')}]`;
    case 'str':
      return `${fieldLabel(n.field)} ${n.op} ${str(n.value)}`;
    case 'strIn':
      return `${fieldLabel(n.field)} ${n.negate ? 'not in' : 'in'} [${n.values.map(str).join(', ')}]`;
    case 'regex':
      return `${fieldLabel(n.field)} ${n.negate ? '!~' : '~'} ${regexLiteral(n.source, n.flags)}`;
    case 'text':
      return text(n.pred);
  }
}

/** Filter text for a parsed expression; '' for null (every row). */
export function printQuery(ast: QueryAst | null): string {
  return ast ? print(ast as Node) : '';
}
