// Explain traces for recomputed rewards, and the Python-regex details the reward code depends on.
// Pure: no `vscode`.

/** One step of a reward computation, as an "explain" view walks through it. */
export interface ExplainStep {
  label: string;
  value: string;
}

/** A recomputed reward: its value (null when it cannot be recomputed for this rollout) and how it was obtained. */
export interface ExplainTrace {
  value: number | null;
  steps: ExplainStep[];
}

/** Collects steps; `done(v)` closes the trace with a final "value" step. */
export class Trace {
  readonly steps: ExplainStep[] = [];
  add(label: string, value: unknown): this {
    this.steps.push({ label, value: show(value) });
    return this;
  }
  done(value: number | null, why?: string): ExplainTrace {
    if (why !== undefined) this.add(value === null ? 'not recomputed' : 'note', why);
    this.add('value', value === null ? 'null' : pyFloat(value));
    return { value, steps: this.steps };
  }
}

/** Display text for a step value: strings as they are (clipped), numbers in Python float repr, arrays in Python list repr. */
export function show(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'string') return v.length > 400 ? `${v.slice(0, 399)}…` : v;
  if (typeof v === 'number') return pyFloat(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  return JSON.stringify(v);
}

/** Python's repr of a float (1.0, 0.5, 0.7266408787594841); integers that are not floats stay integers via `pyInt`. */
export function pyFloat(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return `${n}.0`;
  const s = String(n);
  return s.includes('e') ? s.replace(/e([+-])(\d)$/, 'e$10$2') : s;
}

// ---------------------------------------------------------------------------------------------------
// Python `re` / str details (str patterns: Unicode `\s`, `\d`; `.` without DOTALL stops only at '\n').

/** Characters Python's `str.isspace()` (and so `\s` in a str pattern, and `str.strip()`) accepts. */
export const PY_WS = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const STRIP_RE = new RegExp(`^[${PY_WS}]+|[${PY_WS}]+$`, 'g');

/** Python `str.strip()`. */
export function pyStrip(s: string): string {
  return s.replace(STRIP_RE, '');
}

/** Python `str.lower()` (JS toLowerCase agrees on everything but a few rare special casings). */
export function pyLower(s: string): string {
  return s.toLowerCase();
}

/**
 * A JS RegExp for a Python `re` pattern built from the pieces the reward functions use:
 * `\s` → Python whitespace, `.` → `[\s\S]` with DOTALL or `[^\n]` without. Only for the patterns in this folder.
 */
export function pyRe(pattern: string, opts: { dotall?: boolean; global?: boolean } = {}): RegExp {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const n = pattern[i + 1];
      i++;
      if (n === 's') out += inClass ? PY_WS : `[${PY_WS}]`;
      else if (n === 'd') out += inClass ? '\\p{Nd}' : '\\p{Nd}';
      else out += `\\${n}`;
      continue;
    }
    if (c === '[' && !inClass) {
      inClass = true;
      out += c;
      if (pattern[i + 1] === '^') out += pattern[++i];
      continue;
    }
    if (c === ']') {
      out += inClass ? c : '\\]'; // a lone `]` is a literal in Python, a syntax error in a JS `u` pattern
      inClass = false;
      continue;
    }
    if (c === '.' && !inClass) out += opts.dotall ? '[\\s\\S]' : '[^\\n]';
    else out += c;
  }
  return new RegExp(out, `u${opts.global ? 'g' : ''}`);
}

/** Python `re.search(p, s)`: the first match or null. */
export function pySearch(pattern: string, s: string, dotall = false): RegExpExecArray | null {
  return pyRe(pattern, { dotall }).exec(s);
}

/** Python `re.fullmatch(p, s)`: true when the pattern can match the whole string. */
export function pyFullmatch(pattern: string, s: string, dotall = false): boolean {
  // JS `$` without the m flag matches only at the very end, as fullmatch requires
  return pyRe(`^(?:${pattern})$`, { dotall }).test(s);
}

/** Python `re.match(p, s)`: a match that starts at position 0 (need not reach the end). */
export function pyMatch(pattern: string, s: string, dotall = false): boolean {
  return pyRe(`^(?:${pattern})`, { dotall }).test(s);
}

/** Python `re.findall(p, s)` for a pattern with one group: the group of every match. */
export function pyFindall1(pattern: string, s: string, dotall = false): string[] {
  const re = pyRe(pattern, { dotall, global: true });
  const out: string[] = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    out.push(m[1] ?? m[0]);
    if (m[0].length === 0) re.lastIndex++;
  }
  return out;
}

/** Python `int()` of a string of Unicode decimal digits (`\d` in a str pattern accepts all of them). */
export function pyInt(digits: string): number {
  let n = 0;
  for (const ch of digits) n = n * 10 + digitValue(ch);
  return n;
}

const ND = /^\p{Nd}$/u;
/** Value of one Unicode decimal digit: Nd digits come in runs of ten, 0 to 9, so count back to the run start. */
function digitValue(ch: string): number {
  const cp = ch.codePointAt(0)!;
  if (cp >= 0x30 && cp <= 0x39) return cp - 0x30;
  let start = cp;
  while (ND.test(String.fromCodePoint(start - 1))) start--;
  return (cp - start) % 10;
}
