// Tokens of the filter language. Strict mode (parsing) stops at the first error; lenient mode
// (autocomplete) never fails: unterminated strings, names and regexes become tokens marked `open`, and
// unknown characters become `bad` tokens. Pure.

import { KEYWORDS, REGEX_FLAGS } from './ast';

export type TokKind = 'name' | 'kw' | 'num' | 'str' | 'regex' | 'op' | 'punct' | 'bad' | 'error' | 'eof';

export interface Token {
  kind: TokKind;
  /** Offset of the first character and one past the last. */
  at: number;
  end: number;
  /**
   * name: the field name (backticks and escapes removed); kw: the keyword, lower case; str: the string's
   * value; regex: its source; op / punct / bad: the text.
   */
  text: string;
  num?: number;
  /** regex: the flags after the closing `/`. */
  flags?: string;
  /** name: written in backticks. */
  quoted?: boolean;
  /** Lenient mode: a string, backtick name or regex that reaches the end of the input. */
  open?: boolean;
  /** Strict mode: a lexical error (the last token before eof); the parser reports it when it gets there. */
  error?: QueryParseError;
}

export class QueryParseError extends Error {
  constructor(
    message: string,
    readonly at: number,
    readonly length: number,
  ) {
    super(message);
  }
}

const OPS = ['==', '!=', '<=', '>=', '!~', '&&', '||', '<', '>', '~', '!'];

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}
function isNameStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}
function isNameChar(c: string): boolean {
  return isNameStart(c) || isDigit(c) || c === '.' || c === '/' || c === '-';
}

const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;

/**
 * Tokens, ending with an `eof` token. Strict mode stops at the first lexical error with an `error` token
 * (so that an earlier syntax error is reported first); lenient mode never fails.
 */
export function lex(text: string, lenient = false): Token[] {
  const out: Token[] = [];
  try {
    lexInto(out, text, lenient);
  } catch (e) {
    if (!(e instanceof QueryParseError)) throw e;
    out.push({ kind: 'error', at: e.at, end: e.at + e.length, text: e.message, error: e });
    out.push({ kind: 'eof', at: text.length, end: text.length, text: '' });
  }
  return out;
}

function lexInto(out: Token[], text: string, lenient: boolean): void {
  const fail = (message: string, at: number, length: number): void => {
    throw new QueryParseError(message, at, Math.max(1, length));
  };
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v' || c === '\u00a0') {
      i++;
      continue;
    }
    const start = i;
    // numbers (a leading `-` belongs to the number: there is no arithmetic)
    if (isDigit(c) || ((c === '-' || c === '.') && i + 1 < n && (isDigit(text[i + 1]) || (c === '-' && text[i + 1] === '.' && i + 2 < n && isDigit(text[i + 2]))))) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (m) {
        i += m[0].length;
        out.push({ kind: 'num', at: start, end: i, text: m[0], num: Number(m[0]) });
        continue;
      }
    }
    if (isNameStart(c)) {
      while (i < n && isNameChar(text[i])) i++;
      const word = text.slice(start, i);
      const lower = word.toLowerCase();
      if (KEYWORDS.has(lower)) out.push({ kind: 'kw', at: start, end: i, text: lower });
      else out.push({ kind: 'name', at: start, end: i, text: word });
      continue;
    }
    if (c === '`') {
      i++;
      let name = '';
      let closed = false;
      while (i < n) {
        const d = text[i];
        if (d === '\\' && i + 1 < n && (text[i + 1] === '`' || text[i + 1] === '\\')) {
          name += text[i + 1];
          i += 2;
        } else if (d === '`') {
          i++;
          closed = true;
          break;
        } else {
          name += d;
          i++;
        }
      }
      if (!closed) {
        if (!lenient) fail('unterminated `name`: missing the closing backtick', start, n - start);
        out.push({ kind: 'name', at: start, end: n, text: name, quoted: true, open: true });
        continue;
      }
      if (name.length === 0 && !lenient) fail('empty `` name', start, i - start);
      out.push({ kind: 'name', at: start, end: i, text: name, quoted: true });
      continue;
    }
    if (c === '"' || c === "'") {
      i++;
      let s = '';
      let closed = false;
      while (i < n) {
        const d = text[i];
        if (d === c) {
          i++;
          closed = true;
          break;
        }
        if (d === '\\' && i + 1 < n) {
          const e = text[i + 1];
          i += 2;
          switch (e) {
            case 'n':
              s += '\n';
              break;
            case 't':
              s += '\t';
              break;
            case 'r':
              s += '\r';
              break;
            case 'b':
              s += '\b';
              break;
            case 'f':
              s += '\f';
              break;
            case 'v':
              s += '\v';
              break;
            case '0':
              s += '\0';
              break;
            case '"':
            case "'":
            case '\\':
            case '/':
              s += e;
              break;
            case 'u': {
              const brace = /^\{([0-9a-fA-F]{1,6})\}/.exec(text.slice(i, i + 8));
              const four = /^[0-9a-fA-F]{4}/.exec(text.slice(i, i + 4));
              if (brace && parseInt(brace[1], 16) <= 0x10ffff) {
                s += String.fromCodePoint(parseInt(brace[1], 16));
                i += brace[0].length;
              } else if (four) {
                s += String.fromCharCode(parseInt(four[0], 16));
                i += 4;
              } else {
                if (!lenient) fail('bad \\u escape: \\uXXXX or \\u{X…} expected', i - 2, 2);
                s += '\\u';
              }
              break;
            }
            default:
              // unknown escapes keep their backslash, so "\d+" is the regex \d+
              s += '\\' + e;
          }
          continue;
        }
        s += d;
        i++;
      }
      if (!closed) {
        if (!lenient) fail(`unterminated string: missing the closing ${c}`, start, n - start);
        out.push({ kind: 'str', at: start, end: n, text: s, open: true });
        continue;
      }
      out.push({ kind: 'str', at: start, end: i, text: s });
      continue;
    }
    if (c === '/') {
      // a regex literal /…/flags (`/` cannot start anything else); `\/` stands for `/`
      i++;
      let src = '';
      let inClass = false;
      let closed = false;
      while (i < n) {
        const d = text[i];
        if (d === '\\' && i + 1 < n) {
          if (text[i + 1] === '/') src += '/';
          else src += d + text[i + 1];
          i += 2;
          continue;
        }
        if (d === '[') inClass = true;
        else if (d === ']') inClass = false;
        else if (d === '/' && !inClass) {
          i++;
          closed = true;
          break;
        }
        src += d;
        i++;
      }
      if (!closed) {
        if (!lenient) fail('unterminated regex: missing the closing /', start, n - start);
        out.push({ kind: 'regex', at: start, end: n, text: src, flags: '', open: true });
        continue;
      }
      const fStart = i;
      while (i < n && /[A-Za-z]/.test(text[i])) i++;
      const flags = text.slice(fStart, i);
      if (!lenient) {
        for (let k = 0; k < flags.length; k++) {
          if (!REGEX_FLAGS.includes(flags[k])) fail(`unsupported regex flag '${flags[k]}' (allowed: i, m, s, u)`, fStart + k, 1);
          if (flags.indexOf(flags[k]) !== k) fail(`regex flag '${flags[k]}' given twice`, fStart + k, 1);
        }
        if (src.length === 0) fail('empty regex //', start, i - start);
      }
      out.push({ kind: 'regex', at: start, end: i, text: src, flags });
      continue;
    }
    if (c === '(' || c === ')' || c === '[' || c === ']' || c === ',') {
      i++;
      out.push({ kind: 'punct', at: start, end: i, text: c });
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i));
    if (op) {
      i += op.length;
      out.push({ kind: 'op', at: start, end: i, text: op });
      continue;
    }
    // one code point, not half a surrogate pair
    const cp = text.codePointAt(i) ?? 0;
    const ch = String.fromCodePoint(cp);
    if (!lenient) {
      if (c === '=') fail("unexpected '=': write '==' to compare", start, 1);
      if (c === '&') fail("unexpected '&': write 'and' (or '&&')", start, 1);
      if (c === '|') fail("unexpected '|': write 'or' (or '||')", start, 1);
      fail(`unexpected character '${ch}'`, start, ch.length);
    }
    i += ch.length;
    out.push({ kind: 'bad', at: start, end: i, text: ch });
  }
  out.push({ kind: 'eof', at: n, end: n, text: '' });
}
