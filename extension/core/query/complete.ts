// Autocomplete for the filter box: from the tokens before the cursor (lenient lexing, so half-typed input
// works) decide what comes next — a field, an operator, a value or and/or — and list the items that match
// the word being typed (prefix matches first, then substring matches). Pure.

import type { Completion } from './index';
import type { FieldDef } from './types';
import { Token, lex } from './lexer';
import { FieldIndex, fieldLabel } from './parse';

const MAX_ITEMS = 200;

function typeLabel(f: FieldDef): string {
  return f.text ? 'text' : f.type;
}

function fieldDetail(f: FieldDef): string {
  const aliases = f.aliases?.length ? ` (also ${f.aliases.join(', ')})` : '';
  return `${typeLabel(f)} · ${f.description}${aliases}`;
}

/** Items whose key starts with the prefix, then those that contain it (case-insensitive). */
function rank<T>(items: readonly T[], keys: (t: T) => string[], prefix: string): T[] {
  const p = prefix.toLowerCase();
  if (!p) return items.slice();
  const first: T[] = [];
  const second: T[] = [];
  for (const it of items) {
    const ks = keys(it).map((k) => k.toLowerCase());
    if (ks.some((k) => k.startsWith(p))) first.push(it);
    else if (ks.some((k) => k.includes(p))) second.push(it);
  }
  return [...first, ...second];
}

const OPERATORS: Record<string, string> = {
  '==': 'equals',
  '!=': 'differs from (null never matches)',
  '<': 'less than',
  '<=': 'at most',
  '>': 'greater than',
  '>=': 'at least',
  '~': 'matches a regex ("…" or /…/i)',
  '!~': 'does not match a regex',
};

const KEYWORD_DETAIL: Record<string, string> = {
  and: 'both conditions',
  or: 'either condition',
  not: 'the rows the condition does not match',
  in: 'one of a list: in [a, b]',
  'not in': 'none of a list (null never matches)',
  null: 'no value',
  true: 'true (1)',
  false: 'false (0)',
};

function kw(label: string): Completion {
  return { label, detail: KEYWORD_DETAIL[label] ?? 'keyword', kind: 'keyword' };
}

function isWord(t: Token): boolean {
  return t.kind === 'name' || t.kind === 'kw' || t.kind === 'num' || t.kind === 'str';
}

function isConj(t: Token | undefined): boolean {
  if (!t) return false;
  if (t.kind === 'kw') return t.text === 'and' || t.text === 'or' || t.text === 'not';
  if (t.kind === 'op') return t.text === '&&' || t.text === '||' || t.text === '!';
  return t.kind === 'punct' && t.text === '(';
}

export function completeAt(text: string, cursor: number, fields: readonly FieldDef[], values?: (field: string) => readonly string[]): { from: number; to: number; items: Completion[] } {
  const src = typeof text === 'string' ? text : '';
  const cur = Math.max(0, Math.min(src.length, Number.isFinite(cursor) ? Math.floor(cursor) : src.length));
  const none = { from: cur, to: cur, items: [] as Completion[] };
  let toks: Token[];
  try {
    toks = lex(src, true).filter((t) => t.kind !== 'eof');
  } catch {
    return none;
  }
  const index = new FieldIndex(fields);
  // the token being typed: the cursor is inside it or at its end
  let k = toks.findIndex((t) => t.at < cur && cur <= t.end);
  let word: Token | null = null;
  if (k >= 0 && isWord(toks[k]) && !(toks[k].kind === 'str' && !toks[k].open && cur === toks[k].end)) word = toks[k];
  else k = toks.filter((t) => t.end <= cur).length;
  const before = toks.slice(0, k);
  const prev = before[before.length - 1];
  let from = cur;
  let to = cur;
  let prefix = '';
  if (word) {
    from = word.at;
    to = word.end;
    if (word.kind === 'str') prefix = word.text.slice(0, Math.max(0, cur - word.at - 1));
    else if (word.kind === 'name' && word.quoted) prefix = src.slice(word.at + 1, cur);
    else prefix = src.slice(word.at, cur);
  }
  const out = (items: Completion[]): { from: number; to: number; items: Completion[] } => ({ from, to, items: items.slice(0, MAX_ITEMS) });

  const fieldItems = (): Completion[] =>
    rank(fields, (f) => [f.name, ...(f.aliases ?? [])], prefix).map((f) => ({ label: fieldLabel(f.name), detail: fieldDetail(f), kind: 'field' as const }));
  const kwItems = (words: string[]): Completion[] => rank(words, (w) => [w], prefix).map(kw);

  const valueItems = (f: FieldDef | undefined, inList: boolean): Completion[] => {
    if (!f) return [];
    const items: Completion[] = [];
    if (f.type === 'string' && !f.text && values) {
      let vs: readonly string[] = [];
      try {
        vs = values(f.name) ?? [];
      } catch {
        vs = [];
      }
      for (const v of rank(vs, (x) => [x], prefix)) items.push({ label: JSON.stringify(v), detail: `${f.name} value`, kind: 'value' });
    }
    if (word?.kind !== 'str') {
      const words = f.type === 'bool' ? ['true', 'false'] : [];
      if (!inList) words.push('null');
      items.push(...kwItems(words).map((c) => ({ ...c, kind: 'value' as const })));
    }
    return items;
  };

  // inside `field [not] in [ …`: find an open '[' before the cursor
  let depth = 0;
  for (let j = before.length - 1; j >= 0; j--) {
    const t = before[j];
    if (t.kind === 'punct' && t.text === ']') depth++;
    else if (t.kind === 'punct' && t.text === '[') {
      if (depth > 0) {
        depth--;
        continue;
      }
      const inTok = before[j - 1];
      const fTok = inTok?.kind === 'kw' && inTok.text === 'in' ? (before[j - 2]?.kind === 'kw' && before[j - 2].text === 'not' ? before[j - 3] : before[j - 2]) : undefined;
      if (fTok?.kind === 'name' && (prev === t || (prev.kind === 'punct' && prev.text === ','))) return out(valueItems(index.get(fTok.text), true));
      if (fTok?.kind === 'name') return out([]);
      break;
    } else if (t.kind === 'punct' && (t.text === '(' || t.text === ')')) break;
  }

  if (word?.kind === 'str' || word?.kind === 'num') {
    // a value being typed after an operator
    if (prev?.kind === 'op' && prev.text in OPERATORS && prev.text !== '~' && prev.text !== '!~' && before[before.length - 2]?.kind === 'name') return out(valueItems(index.get(before[before.length - 2].text), false));
    return out([]);
  }

  if (prev?.kind === 'kw' && prev.text === 'not' && before[before.length - 2]?.kind === 'name') return out(kwItems(['in']));
  if (!prev || isConj(prev)) {
    // a field (or not / parentheses) comes next
    return out([...fieldItems(), ...kwItems(['not'])]);
  }
  if (prev.kind === 'name') {
    // an operator comes next
    const f = index.get(prev.text);
    if (!f) return out(kwItems(['and', 'or']));
    let ops: string[];
    let words: string[];
    if (f.text) {
      ops = ['~', '!~', '==', '!='];
      words = [];
    } else if (f.type === 'string') {
      ops = ['==', '!=', '~', '!~', '<', '<=', '>', '>='];
      words = ['in', 'not in'];
    } else {
      ops = ['==', '!=', '<', '<=', '>', '>='];
      words = ['in', 'not in', 'and', 'or'];
    }
    const opItems: Completion[] = prefix && /^[A-Za-z_]/.test(prefix) ? [] : rank(ops, (o) => [o], prefix).map((o) => ({ label: o, detail: f.text && (o === '==' || o === '!=') ? `${OPERATORS[o]} null` : OPERATORS[o], kind: 'operator' as const }));
    return out([...opItems, ...kwItems(words)]);
  }
  if (prev.kind === 'op' && prev.text in OPERATORS) {
    const fTok = before[before.length - 2];
    if (prev.text === '~' || prev.text === '!~') return out([]);
    return out(fTok?.kind === 'name' ? valueItems(index.get(fTok.text), false) : []);
  }
  if (prev.kind === 'kw' && prev.text === 'in') return out([{ label: '[', detail: 'a list: [a, b]', kind: 'operator' }]);
  // after a value, ')' or ']': and / or
  return out(kwItems(['and', 'or']));
}
