// A tolerant parser for Python literal reprs as training frameworks print them into logs:
// `['/a.jpg', '/b.jpg']`, `[103.93, 299.99, 238.15, 477.41]`, `[{'Position': [1, 2, 3, 4], 'Confidence': 0.9}]`,
// `[(0.9686, 0.9), (0, 0.6)]`, `tensor([ 1, 46, 30])`, `np.float64(0.5)`, `float('nan')`.
// Lists, tuples and sets become arrays; dicts become plain objects (keys rendered as strings);
// True/False/None, nan/inf and the usual string prefixes and escapes are understood.
// Pure. Never throws: every entry point returns a result or an error with its position. Linear time.

export type PyValue = null | boolean | number | string | PyValue[] | PyDict;
export interface PyDict {
  [key: string]: PyValue;
}

export type PyParseResult =
  | { ok: true; value: PyValue; /** Index just after the value (and trailing whitespace). */ end: number }
  | { ok: false; error: string; /** Index where parsing failed. */ pos: number };

export interface PyParseOptions {
  /** Deepest nesting accepted (default 200); deeper input is an error, not a stack overflow. */
  maxDepth?: number;
}

class PyError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

/** Parse the whole of `text` (surrounding whitespace allowed) as one Python literal. */
export function parsePythonLiteral(text: string, opts: PyParseOptions = {}): PyParseResult {
  const r = parsePythonLiteralPrefix(text, 0, opts);
  if (!r.ok) return r;
  if (r.end < text.length) return { ok: false, error: `unexpected ${describe(text, r.end)} after the value`, pos: r.end };
  return r;
}

/** Parse one Python literal starting at `start` (leading whitespace skipped); the text after it is left alone. */
export function parsePythonLiteralPrefix(text: string, start = 0, opts: PyParseOptions = {}): PyParseResult {
  if (typeof text !== 'string') return { ok: false, error: 'not a string', pos: 0 };
  const p = new Parser(text, Math.max(0, Math.min(start | 0, text.length)), opts.maxDepth ?? 200);
  try {
    p.ws();
    const value = p.value(0);
    p.ws();
    return { ok: true, value, end: p.i };
  } catch (e) {
    if (e instanceof PyError) return { ok: false, error: e.message, pos: e.pos };
    return { ok: false, error: e instanceof Error ? e.message : String(e), pos: p.i };
  }
}

/** Convenience: the value, or undefined when `text` is not a literal. */
export function pyValue(text: string): PyValue | undefined {
  const r = parsePythonLiteral(text);
  return r.ok ? r.value : undefined;
}

function describe(text: string, pos: number): string {
  if (pos >= text.length) return 'end of text';
  const s = text.slice(pos, pos + 12);
  return JSON.stringify(s.length < text.length - pos ? `${s}…` : s);
}

const NAMED: Record<string, PyValue> = {
  True: true,
  False: false,
  None: null,
  true: true,
  false: false,
  null: null,
  nan: NaN,
  NaN: NaN,
  inf: Infinity,
  Infinity: Infinity,
  Ellipsis: null,
};

/** Callables whose first positional argument is the value (torch / numpy reprs and the like). */
const CONVERT: Record<string, (v: PyValue) => PyValue> = {
  float: (v) => (typeof v === 'string' ? pyFloat(v) : typeof v === 'number' ? v : NaN),
  int: (v) => (typeof v === 'string' ? Math.trunc(Number(v.trim())) : typeof v === 'number' ? Math.trunc(v) : NaN),
  str: (v) => (typeof v === 'string' ? v : String(v)),
};

function pyFloat(s: string): number {
  const t = s.trim().toLowerCase();
  if (t === 'nan' || t === '+nan' || t === '-nan') return NaN;
  if (t === 'inf' || t === '+inf' || t === 'infinity' || t === '+infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  const n = Number(t.replace(/_/g, ''));
  return t.length > 0 ? n : NaN;
}

class Parser {
  constructor(
    readonly s: string,
    public i: number,
    readonly maxDepth: number,
  ) {}

  fail(message: string, at = this.i): never {
    throw new PyError(message, at);
  }

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c || c === 0x0b) this.i++;
      else if (c === 0x5c && (s.charCodeAt(this.i + 1) === 0x0a || s.charCodeAt(this.i + 1) === 0x0d)) this.i += 2; // line continuation
      else break;
    }
  }

  value(depth: number): PyValue {
    if (depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`);
    const s = this.s;
    if (this.i >= s.length) this.fail('expected a value, got end of text');
    const c = s[this.i];
    if (c === '[') return this.seq(']', depth);
    if (c === '(') return this.tuple(depth);
    if (c === '{') return this.dictOrSet(depth);
    if (c === "'" || c === '"') return this.strings();
    if (c === '-' || c === '+') {
      const sign = c === '-' ? -1 : 1;
      this.i++;
      this.ws();
      const v = this.value(depth + 1);
      if (typeof v !== 'number') this.fail(`expected a number after '${c}'`);
      return sign * v;
    }
    if ((c >= '0' && c <= '9') || c === '.') {
      if (c === '.' && s.startsWith('...', this.i)) {
        this.i += 3;
        return null;
      }
      return this.number();
    }
    if (isIdentStart(s.charCodeAt(this.i))) {
      const start = this.i;
      const name = this.dottedName();
      // string prefixes: r'…', b"…", u'…', rb'…', f'…'
      if (/^[rRbBuUfF]{1,2}$/.test(name) && (s[this.i] === "'" || s[this.i] === '"')) {
        this.i = start;
        return this.strings();
      }
      this.ws();
      if (s[this.i] === '(') return this.call(name, depth);
      if (Object.prototype.hasOwnProperty.call(NAMED, name)) return NAMED[name];
      this.fail(`unknown name ${JSON.stringify(name)}`, start);
    }
    this.fail(`unexpected ${describe(s, this.i)}`);
  }

  dottedName(): string {
    const s = this.s;
    const start = this.i;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (isIdentPart(c) || (c === 0x2e && isIdentStart(s.charCodeAt(this.i + 1)))) this.i++;
      else break;
    }
    return s.slice(start, this.i);
  }

  /** name(args): the first positional argument is the value; keyword arguments are skipped. */
  call(name: string, depth: number): PyValue {
    const s = this.s;
    this.i++; // (
    let first: PyValue | undefined;
    let any = false;
    for (;;) {
      this.ws();
      if (this.i >= s.length) this.fail(`unterminated call ${name}(`);
      if (s[this.i] === ')') {
        this.i++;
        break;
      }
      // keyword argument: ident = value (value may be a bare dotted name such as torch.float32)
      const save = this.i;
      if (isIdentStart(s.charCodeAt(this.i))) {
        this.dottedName();
        this.ws();
        if (s[this.i] === '=' && s[this.i + 1] !== '=') {
          this.i++;
          this.ws();
          if (isIdentStart(s.charCodeAt(this.i))) {
            const v = this.dottedName();
            this.ws();
            if (s[this.i] === '(') this.call(v, depth + 1);
          } else this.value(depth + 1);
          this.afterItem(')');
          continue;
        }
        this.i = save;
      }
      const v = this.value(depth + 1);
      if (!any) {
        first = v;
        any = true;
      }
      this.afterItem(')');
    }
    const base = name.slice(name.lastIndexOf('.') + 1);
    if (!any) {
      if (base === 'float') return 0;
      if (base === 'list' || base === 'tuple' || base === 'set') return [];
      if (base === 'dict') return {};
      return null;
    }
    const conv = CONVERT[base];
    return conv ? conv(first as PyValue) : (first as PyValue);
  }

  /** After an item in a container: a comma, or the closing bracket (left for the caller). */
  afterItem(close: string): void {
    this.ws();
    const c = this.s[this.i];
    if (c === ',') {
      this.i++;
      return;
    }
    if (c === close) return;
    if (this.i >= this.s.length) this.fail(`unterminated '${close === ']' ? '[' : close === ')' ? '(' : '{'}': expected ',' or '${close}', got end of text`);
    this.fail(`expected ',' or '${close}', got ${describe(this.s, this.i)}`);
  }

  seq(close: string, depth: number): PyValue[] {
    const s = this.s;
    const open = this.i;
    this.i++;
    const out: PyValue[] = [];
    for (;;) {
      this.ws();
      if (this.i >= s.length) this.fail(`unterminated '${s[open]}'`, open);
      if (s[this.i] === close) {
        this.i++;
        return out;
      }
      out.push(this.value(depth + 1));
      this.afterItem(close);
    }
  }

  tuple(depth: number): PyValue {
    const s = this.s;
    const open = this.i;
    this.i++;
    const out: PyValue[] = [];
    let comma = false;
    for (;;) {
      this.ws();
      if (this.i >= s.length) this.fail(`unterminated '('`, open);
      if (s[this.i] === ')') {
        this.i++;
        // (x) is just x; (x,) and () are tuples
        return out.length === 1 && !comma ? out[0] : out;
      }
      out.push(this.value(depth + 1));
      this.ws();
      if (s[this.i] === ',') comma = true;
      this.afterItem(')');
    }
  }

  dictOrSet(depth: number): PyValue {
    const s = this.s;
    const open = this.i;
    this.i++;
    this.ws();
    if (s[this.i] === '}') {
      this.i++;
      return {};
    }
    const firstKey = this.value(depth + 1);
    this.ws();
    if (s[this.i] !== ':') {
      // a set: {a, b}
      const out: PyValue[] = [firstKey];
      this.afterItem('}');
      for (;;) {
        this.ws();
        if (this.i >= s.length) this.fail(`unterminated '{'`, open);
        if (s[this.i] === '}') {
          this.i++;
          return out;
        }
        out.push(this.value(depth + 1));
        this.afterItem('}');
      }
    }
    const out: PyDict = {};
    let key: PyValue = firstKey;
    for (;;) {
      this.ws();
      if (s[this.i] !== ':') this.fail(`expected ':' after a dict key, got ${describe(s, this.i)}`);
      this.i++;
      this.ws();
      const v = this.value(depth + 1);
      setKey(out, keyString(key), v);
      this.afterItem('}');
      this.ws();
      if (this.i >= s.length) this.fail(`unterminated '{'`, open);
      if (s[this.i] === '}') {
        this.i++;
        return out;
      }
      key = this.value(depth + 1);
    }
  }

  number(): number {
    const s = this.s;
    const start = this.i;
    if (s[this.i] === '0' && /[xXoObB]/.test(s[this.i + 1] ?? '')) {
      const kind = s[this.i + 1].toLowerCase();
      this.i += 2;
      const digits = kind === 'x' ? /[0-9a-fA-F_]/ : kind === 'o' ? /[0-7_]/ : /[01_]/;
      const ds = this.i;
      while (this.i < s.length && digits.test(s[this.i])) this.i++;
      const body = s.slice(ds, this.i).replace(/_/g, '');
      if (body.length === 0) this.fail('bad number', start);
      return parseInt(body, kind === 'x' ? 16 : kind === 'o' ? 8 : 2);
    }
    while (this.i < s.length && /[0-9_]/.test(s[this.i])) this.i++;
    if (s[this.i] === '.') {
      this.i++;
      while (this.i < s.length && /[0-9_]/.test(s[this.i])) this.i++;
    }
    if (s[this.i] === 'e' || s[this.i] === 'E') {
      const save = this.i;
      this.i++;
      if (s[this.i] === '+' || s[this.i] === '-') this.i++;
      const ds = this.i;
      while (this.i < s.length && /[0-9_]/.test(s[this.i])) this.i++;
      if (this.i === ds) this.i = save;
    }
    const text = s.slice(start, this.i).replace(/_/g, '');
    if (s[this.i] === 'j' || s[this.i] === 'J') this.fail('complex numbers are not supported', start);
    const n = Number(text);
    if (text === '.' || text.length === 0 || Number.isNaN(n)) this.fail(`bad number ${JSON.stringify(text)}`, start);
    return n;
  }

  /** One or more adjacent string literals (Python concatenates them). */
  strings(): string {
    let out = this.string();
    for (;;) {
      const save = this.i;
      this.ws();
      const c = this.s[this.i];
      if (c === "'" || c === '"') out += this.string();
      else if (c !== undefined && /[rRbBuUfF]/.test(c) && /^[rRbBuUfF]{1,2}['"]/.test(this.s.slice(this.i, this.i + 3))) out += this.string();
      else {
        this.i = save;
        return out;
      }
    }
  }

  string(): string {
    const s = this.s;
    const start = this.i;
    let raw = false;
    while (this.i < s.length && /[rRbBuUfF]/.test(s[this.i])) {
      if (s[this.i] === 'r' || s[this.i] === 'R') raw = true;
      this.i++;
    }
    const q = s[this.i];
    if (q !== "'" && q !== '"') this.fail('expected a string', start);
    const triple = s.startsWith(q + q + q, this.i);
    this.i += triple ? 3 : 1;
    let out = '';
    let chunk = this.i;
    for (;;) {
      if (this.i >= s.length) this.fail('unterminated string', start);
      const c = s[this.i];
      if (c === q && (!triple || s.startsWith(q + q + q, this.i))) {
        out += s.slice(chunk, this.i);
        this.i += triple ? 3 : 1;
        return out;
      }
      if (!triple && (c === '\n' || c === '\r')) this.fail('unterminated string (end of line)', start);
      if (c === '\\') {
        out += s.slice(chunk, this.i);
        if (this.i + 1 >= s.length) this.fail('unterminated string', start);
        if (raw) {
          // raw: the backslash stays, and it still keeps the next quote from ending the string
          out += s.slice(this.i, this.i + 2);
          this.i += 2;
        } else {
          out += this.escape();
        }
        chunk = this.i;
        continue;
      }
      this.i++;
    }
  }

  /** At a backslash: decode one escape and advance past it. */
  escape(): string {
    const s = this.s;
    const at = this.i;
    const e = s[this.i + 1];
    this.i += 2;
    switch (e) {
      case '\n':
        return '';
      case '\r':
        if (s[this.i] === '\n') this.i++;
        return '';
      case '\\':
      case "'":
      case '"':
        return e;
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'v':
        return '\v';
      case 'a':
        return '\x07';
      case 'x':
        return this.hexEscape(2, at);
      case 'u':
        return this.hexEscape(4, at);
      case 'U':
        return this.hexEscape(8, at);
      case 'N': {
        // \N{NAME}: kept as written (no Unicode name table here)
        if (s[this.i] === '{') {
          const close = s.indexOf('}', this.i);
          if (close > 0 && close - this.i < 100) {
            const lit = s.slice(at, close + 1);
            this.i = close + 1;
            return lit;
          }
        }
        return '\\N';
      }
      default:
        if (e >= '0' && e <= '7') {
          let digits = e;
          while (digits.length < 3 && s[this.i] >= '0' && s[this.i] <= '7') digits += s[this.i++];
          return String.fromCharCode(parseInt(digits, 8));
        }
        // unknown escapes keep the backslash (Python does the same)
        return '\\' + e;
    }
  }

  hexEscape(n: number, at: number): string {
    const hex = this.s.slice(this.i, this.i + n);
    if (hex.length < n || !/^[0-9a-fA-F]+$/.test(hex)) this.fail(`bad \\${this.s[at + 1]} escape`, at);
    this.i += n;
    const cp = parseInt(hex, 16);
    if (cp > 0x10ffff) this.fail('escape out of the Unicode range', at);
    return String.fromCodePoint(cp);
  }
}

function isIdentStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 0x30 && c <= 0x39);
}

function keyString(k: PyValue): string {
  if (typeof k === 'string') return k;
  if (k === null) return 'None';
  if (k === true) return 'True';
  if (k === false) return 'False';
  if (typeof k === 'number') return pyNumberRepr(k);
  try {
    return JSON.stringify(k);
  } catch {
    return String(k);
  }
}

/** Own-property assignment that is safe for keys such as "__proto__". */
function setKey(o: PyDict, key: string, v: PyValue): void {
  Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
}

/** Python's repr of a float or int (close enough for keys and messages). */
export function pyNumberRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return String(n);
}

/** A Python float repr as printed by f-strings (`0.5`, `1.0`, `nan`, `-inf`, `1e-05`), or NaN. */
export function parsePyFloat(text: string): number {
  return pyFloat(text);
}
