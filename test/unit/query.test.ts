import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  FieldDef,
  QueryAst,
  QueryTable,
  candidateRows,
  completeQuery,
  countMatches,
  evaluate,
  fieldsOf,
  matchTextInProcess,
  parseQuery,
  printQuery,
  sortRows,
  textPredicates,
  withSearch,
  TEXT_REGEX_CAP,
} from '../../extension/core/query/index';
import type { TextRecord } from '../../extension/core/query/text';
import { runTextJob } from '../../extension/core/query/textWorker';

// ---------------------------------------------------------------- an in-memory table

type Cell = number | boolean | string | null;

class MemTable implements QueryTable {
  readonly rowCount: number;
  private readonly nums = new Map<string, Float64Array>();
  private readonly strs = new Map<string, { codes: Int32Array; dict: string[] }>();
  constructor(
    private readonly defs: FieldDef[],
    cols: Record<string, Cell[]>,
    rowCount?: number,
  ) {
    this.rowCount = rowCount ?? Math.max(0, ...Object.values(cols).map((c) => c.length));
    for (const [name, cells] of Object.entries(cols)) {
      const def = defs.find((d) => d.name === name);
      if (!def) throw new Error(`no field ${name}`);
      if (def.type === 'string') {
        const dict: string[] = [];
        const codes = new Int32Array(cells.length);
        cells.forEach((c, i) => {
          if (c === null) codes[i] = -1;
          else {
            let k = dict.indexOf(String(c));
            if (k < 0) k = dict.push(String(c)) - 1;
            codes[i] = k;
          }
        });
        this.strs.set(name, { codes, dict });
      } else {
        this.nums.set(name, Float64Array.from(cells, (c) => (c === null ? NaN : typeof c === 'boolean' ? (c ? 1 : 0) : Number(c))));
      }
    }
  }
  fields(): FieldDef[] {
    return this.defs;
  }
  numeric(name: string): Float64Array | null {
    return this.nums.get(name) ?? null;
  }
  strings(name: string): { codes: Int32Array; dict: readonly string[] } | null {
    return this.strs.get(name) ?? null;
  }
  ready(): boolean {
    return true;
  }
}

const FIELDS: FieldDef[] = [
  { name: 'step', type: 'number', description: 'training step' },
  { name: 'reward', type: 'number', description: 'total reward' },
  { name: 'advantage', type: 'number', description: 'advantage', aliases: ['adv'] },
  { name: 'iou', type: 'number', description: 'mean IoU' },
  { name: 'format_reward', type: 'number', description: 'format reward', aliases: ['format'] },
  { name: 'accuracy', type: 'number', description: 'accuracy reward' },
  { name: 'rewards/accuracy reward', type: 'number', description: 'a reward whose name has a space' },
  { name: 'zero_std', type: 'bool', description: 'group has zero reward variance' },
  { name: 'mismatch', type: 'bool', description: 'answer and boxes disagree' },
  { name: 'truncated', type: 'bool', description: 'hit the length limit' },
  { name: 'verdict', type: 'string', description: 'judge verdict' },
  { name: 'text', type: 'string', description: 'completion text', text: true, aliases: ['completion'] },
  { name: 'prompt', type: 'string', description: 'prompt text', text: true },
  { name: 'answer', type: 'string', description: 'extracted answer', text: true },
];

//            row:    0      1       2     3     4      5      6     7
const T = new MemTable(FIELDS, {
  step: [1, 1, 2, 2, 3, 3, 40, 45],
  reward: [1.5, 0.1, null, 2, 0, -0.5, 1, 0.15],
  advantage: [1.2, -1, 0, 1.5, null, -2, 3, 0],
  iou: [0.1, 0.5, null, 0.25, 0.9, 0.29999, 0.3, 0],
  format_reward: [1, 1, 0, 1, null, 1, 0, 1],
  accuracy: [1, 0, 0, 1, 1, null, 0, 1],
  'rewards/accuracy reward': [0.5, null, 1, 0, 0, 0, 0, 0.25],
  zero_std: [true, false, null, true, false, false, true, false],
  mismatch: [false, true, false, null, false, true, false, false],
  truncated: [false, false, true, false, null, false, true, false],
  verdict: ['supported', 'contradicted', null, 'unknown', 'contradicted', 'supported', null, 'unsupported'],
});

function ast(q: string, fields: FieldDef[] = FIELDS): QueryAst | null {
  const r = parseQuery(q, fields);
  if (!r.ok) assert.fail(`${q}: ${r.error.message} at ${r.error.at}`);
  return r.ast;
}

function rowsOf(q: string, table: QueryTable = T, rows?: Uint32Array): number[] {
  return [...evaluate(ast(q, table.fields()), table, { rows })];
}

function err(q: string, fields: FieldDef[] = FIELDS): { message: string; at: number; length: number } {
  const r = parseQuery(q, fields);
  if (r.ok) assert.fail(`${q} parsed`);
  return r.error;
}

// ---------------------------------------------------------------- parsing and evaluation

describe('query: operators', () => {
  it('empty input is every row', () => {
    assert.equal(ast(''), null);
    assert.equal(ast('   \t '), null);
    assert.deepEqual(rowsOf(''), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual([...evaluate(null, T, { rows: Uint32Array.of(5, 2) })], [5, 2]);
  });

  it('comparisons on numbers', () => {
    assert.deepEqual(rowsOf('iou < 0.3'), [0, 3, 5, 7]);
    assert.deepEqual(rowsOf('iou <= 0.3'), [0, 3, 5, 6, 7]);
    assert.deepEqual(rowsOf('iou > 0.3'), [1, 4]);
    assert.deepEqual(rowsOf('iou >= 0.3'), [1, 4, 6]);
    assert.deepEqual(rowsOf('iou == 0.3'), [6]);
    assert.deepEqual(rowsOf('iou != 0.3'), [0, 1, 3, 4, 5, 7]);
    assert.deepEqual(rowsOf('advantage > 1'), [0, 3, 6]);
    assert.deepEqual(rowsOf('advantage < -1'), [5]);
    assert.deepEqual(rowsOf('reward>-0.5'), [0, 1, 3, 4, 6, 7]);
    assert.deepEqual(rowsOf('reward >= -5e-1'), [0, 1, 3, 4, 5, 6, 7]);
    assert.deepEqual(rowsOf('reward < 1e-3'), [4, 5]);
    assert.deepEqual(rowsOf('step >= 40 and step < 50'), [6, 7]);
    assert.deepEqual(rowsOf('iou < .3 and format == 1'), [0, 3, 5, 7]);
  });

  it('bare bool and number fields are predicates', () => {
    assert.deepEqual(rowsOf('zero_std'), [0, 3, 6]);
    assert.deepEqual(rowsOf('mismatch'), [1, 5]);
    assert.deepEqual(rowsOf('advantage'), [0, 1, 3, 5, 6]); // nonzero and not null
    assert.deepEqual(rowsOf('zero_std == true'), [0, 3, 6]);
    assert.deepEqual(rowsOf('zero_std == false'), [1, 4, 5, 7]);
    assert.deepEqual(rowsOf('zero_std == 1'), [0, 3, 6]);
    assert.deepEqual(rowsOf('zero_std != true'), [1, 4, 5, 7]);
  });

  it('strings compare by value, through the dictionary', () => {
    assert.deepEqual(rowsOf('verdict == "contradicted"'), [1, 4]);
    assert.deepEqual(rowsOf("verdict == 'contradicted'"), [1, 4]);
    assert.deepEqual(rowsOf('verdict != "contradicted"'), [0, 3, 5, 7]);
    assert.deepEqual(rowsOf('verdict == "nothing like it"'), []);
    assert.deepEqual(rowsOf('verdict < "t"'), [0, 1, 4, 5]); // contradicted, supported < t
    assert.deepEqual(rowsOf('verdict >= "u"'), [3, 7]);
    assert.deepEqual(rowsOf('verdict ~ "^(un)?supp"'), [0, 5, 7]);
    assert.deepEqual(rowsOf('verdict ~ /SUPPORTED/i'), [0, 5, 7]);
    assert.deepEqual(rowsOf('verdict !~ /supported/'), [1, 3, 4]);
  });

  it('in and not in', () => {
    assert.deepEqual(rowsOf('verdict in ["contradicted", "unknown"]'), [1, 3, 4]);
    assert.deepEqual(rowsOf('verdict not in ["contradicted", "unknown"]'), [0, 5, 7]);
    assert.deepEqual(rowsOf('step in [1, 45]'), [0, 1, 7]);
    assert.deepEqual(rowsOf('step in [1, 45,]'), [0, 1, 7]);
    assert.deepEqual(rowsOf('advantage not in [0, 1.2]'), [1, 3, 5, 6]);
    assert.deepEqual(rowsOf('step in []'), []);
    assert.deepEqual(rowsOf('zero_std in [true]'), [0, 3, 6]);
    const many = Array.from({ length: 20 }, (_, k) => k - 5).join(', ');
    assert.deepEqual(rowsOf(`advantage in [${many}]`), [1, 2, 5, 6, 7]);
    assert.deepEqual(rowsOf(`advantage not in [${many}]`), [0, 3]);
  });

  it('and / or / not with their symbols, and true / false', () => {
    assert.deepEqual(rowsOf('zero_std && mismatch'), rowsOf('zero_std and mismatch'));
    assert.deepEqual(rowsOf('zero_std || mismatch'), [0, 1, 3, 5, 6]);
    assert.deepEqual(rowsOf('!zero_std'), [1, 2, 4, 5, 7]);
    assert.deepEqual(rowsOf('not zero_std'), [1, 2, 4, 5, 7]);
    assert.deepEqual(rowsOf('NOT zero_std AND Mismatch'), [1, 5]);
    assert.deepEqual(rowsOf('true'), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(rowsOf('false or zero_std'), [0, 3, 6]);
    assert.deepEqual(rowsOf('not truncated and (reward >= 1 or accuracy == 0)'), [0, 1, 3]);
  });

  it('precedence: not > and > or, left to right', () => {
    // or binds loosest: a or (b and c)
    assert.deepEqual(rowsOf('mismatch or zero_std and iou < 0.2'), rowsOf('mismatch or (zero_std and iou < 0.2)'));
    assert.notDeepEqual(rowsOf('mismatch or zero_std and iou < 0.2'), rowsOf('(mismatch or zero_std) and iou < 0.2'));
    // not binds tightest: (not a) and b
    assert.deepEqual(rowsOf('not zero_std and step < 3'), rowsOf('(not zero_std) and step < 3'));
    assert.notDeepEqual(rowsOf('not zero_std and step < 3'), rowsOf('not (zero_std and step < 3)'));
    assert.deepEqual(rowsOf('not not zero_std'), rowsOf('zero_std'));
    assert.deepEqual(rowsOf('!!zero_std'), rowsOf('zero_std'));
    assert.equal(printQuery(ast('zero_std or mismatch and truncated')), 'zero_std or mismatch and truncated');
    assert.equal(printQuery(ast('(zero_std or mismatch) and truncated')), '(zero_std or mismatch) and truncated');
  });
});

describe('query: null semantics', () => {
  it('comparisons with null are false, except == null and != null', () => {
    // reward: row 2 is null
    assert.ok(!rowsOf('reward < 100').includes(2));
    assert.ok(!rowsOf('reward > -100').includes(2));
    assert.ok(!rowsOf('reward != 5').includes(2));
    assert.ok(!rowsOf('reward == 5').includes(2));
    assert.ok(!rowsOf('reward in [0, 1]').includes(2));
    assert.ok(!rowsOf('reward not in [0, 1]').includes(2));
    assert.ok(!rowsOf('reward').includes(2));
    assert.deepEqual(rowsOf('reward == null'), [2]);
    assert.deepEqual(rowsOf('reward != null'), [0, 1, 3, 4, 5, 6, 7]);
    assert.deepEqual(rowsOf('verdict == null'), [2, 6]);
    assert.deepEqual(rowsOf('verdict != null'), [0, 1, 3, 4, 5, 7]);
    assert.ok(!rowsOf('verdict != "supported"').includes(2));
    assert.ok(!rowsOf('verdict !~ /x/').includes(2));
    assert.deepEqual(rowsOf('zero_std == null'), [2]);
    assert.ok(!rowsOf('zero_std == false').includes(2));
  });

  it('not is the complement of the row set: null rows come back', () => {
    assert.ok(rowsOf('not reward < 100').includes(2));
    assert.ok(rowsOf('not zero_std').includes(2));
  });

  it('a field with no column in this table is all null', () => {
    const t = new MemTable(FIELDS, { step: [1, 2, 3] });
    assert.deepEqual(rowsOf('iou < 1', t), []);
    assert.deepEqual(rowsOf('iou == null', t), [0, 1, 2]);
    assert.deepEqual(rowsOf('verdict == null', t), [0, 1, 2]);
    assert.deepEqual(rowsOf('verdict == "x"', t), []);
    assert.deepEqual(rowsOf('not zero_std', t), [0, 1, 2]);
  });
});

describe('query: names', () => {
  it('aliases and case-insensitive names resolve to the field', () => {
    assert.deepEqual(rowsOf('format == 1'), rowsOf('format_reward == 1'));
    assert.deepEqual(rowsOf('FORMAT == 1'), rowsOf('format_reward == 1'));
    assert.deepEqual(rowsOf('Adv > 1'), rowsOf('advantage > 1'));
    assert.equal(printQuery(ast('ADV > 1')), 'advantage > 1');
    assert.deepEqual(fieldsOf(ast('adv > 1 and text ~ "x" or Verdict == "a"')), ['advantage', 'text', 'verdict']);
  });

  it('backtick names hold anything', () => {
    assert.deepEqual(rowsOf('`rewards/accuracy reward` > 0'), [0, 2, 7]);
    assert.deepEqual(rowsOf('`iou` < 0.2'), [0, 7]);
    assert.deepEqual(rowsOf('`REWARDS/Accuracy Reward` >= 1'), [2]);
    const odd: FieldDef[] = [
      { name: 'a`b\\c', type: 'number', description: '' },
      { name: 'and', type: 'number', description: '' },
    ];
    const t = new MemTable(odd, { 'a`b\\c': [1, 2], and: [3, 4] });
    assert.deepEqual(rowsOf('`a\\`b\\\\c` > 1', t), [1]);
    assert.deepEqual(rowsOf('`and` > 3', t), [1]);
    assert.equal(printQuery(ast('`and` > 3 and `a\\`b\\\\c` < 9', odd)), '`and` > 3 and `a\\`b\\\\c` < 9');
  });

  it("names may hold . / - after their first character; a leading '-' is a number", () => {
    const f: FieldDef[] = [
      { name: 'rewards/iou-v2.x', type: 'number', description: '' },
      { name: 'x', type: 'number', description: '' },
    ];
    const t = new MemTable(f, { 'rewards/iou-v2.x': [-1, 2], x: [-2, 5] });
    assert.deepEqual(rowsOf('rewards/iou-v2.x > 0', t), [1]);
    assert.deepEqual(rowsOf('x<-1', t), [0]);
    assert.deepEqual(rowsOf('x>-1.5', t), [1]);
    const e = err('x-1 > 0', f);
    assert.match(e.message, /unknown field 'x-1'/);
  });

  it('literals: negative numbers, exponents, string escapes', () => {
    const f: FieldDef[] = [
      { name: 'n', type: 'number', description: '' },
      { name: 's', type: 'string', description: '' },
    ];
    const t = new MemTable(f, { n: [-0.001, 1500, 0], s: ['a"b', 'tab\there', 'é\n'] });
    assert.deepEqual(rowsOf('n == -1e-3', t), [0]);
    assert.deepEqual(rowsOf('n == 1.5E3', t), [1]);
    assert.deepEqual(rowsOf('n == -0', t), [2]);
    assert.deepEqual(rowsOf('s == "a\\"b"', t), [0]);
    assert.deepEqual(rowsOf("s == 'a\"b'", t), [0]);
    assert.deepEqual(rowsOf('s == "tab\\there"', t), [1]);
    assert.deepEqual(rowsOf('s == "\\u00e9\\n"', t), [2]);
    assert.deepEqual(rowsOf('s == "\\u{e9}\\n"', t), [2]);
    // unknown escapes keep their backslash: "\d" is the regex \d
    const r = parseQuery('text ~ "\\d+"', FIELDS);
    assert.ok(r.ok);
    assert.equal(textPredicates(r.ast)[0].source, '\\d+');
  });
});

describe('query: errors', () => {
  const cases: Array<[string, RegExp, number, number]> = [
    ['iuo < 0.3', /unknown field 'iuo' — did you mean 'iou'\?/, 0, 3],
    ['iou < 0.3 and verdct == "x"', /did you mean 'verdict'/, 14, 6],
    ['frmat == 1', /did you mean 'format'/, 0, 5],
    ['qqqqqqq > 1', /^unknown field 'qqqqqqq'$/, 0, 7],
    ['iou == "0.3"', /iou is a number: cannot compare it with a string/, 7, 5],
    ['verdict == 1', /verdict is a string: compare it with a quoted string/, 11, 1],
    ['iou == true', /iou is a number/, 7, 4],
    ['iou ~ "x"', /'~' needs a string or text field; iou is a number/, 4, 1],
    ['zero_std !~ /x/', /'!~' needs a string or text field; zero_std is a bool/, 9, 2],
    ['text ~ "("', /Invalid regular expression: .*Unterminated group/, 7, 3],
    ['verdict ~ /[a/', /unterminated regex/, 10, 4],
    ['verdict ~ /a/g', /unsupported regex flag 'g'/, 13, 1],
    ['verdict ~ /a/ii', /regex flag 'i' given twice/, 14, 1],
    ['text ~ "' + 'a'.repeat(300) + '"', /regex is 300 characters long: capped at 256/, 7, 302],
    ['verdict == "abc', /unterminated string/, 11, 4],
    ["prompt ~ 'x", /unterminated string/, 9, 2],
    ['`rewards/accuracy', /unterminated `name`/, 0, 17],
    ['iou < 0.3 and', /expected a condition/, 13, 1],
    ['iou <', /expected a value after '<'/, 5, 1],
    ['iou < < 1', /expected a value after '<', found '<'/, 6, 1],
    ['and iou < 1', /unexpected 'and'/, 0, 3],
    ['iou < 0.3 foo', /unexpected 'foo' after a complete condition/, 10, 3],
    ['iou < 0.3)', /unexpected '\)'/, 9, 1],
    ['zero_std mismatch', /unexpected 'mismatch'/, 9, 8],
    ['()', /empty parentheses/, 0, 2],
    ['zero_std and ( )', /empty parentheses/, 13, 3],
    ['(zero_std', /missing '\)'/, 0, 1],
    ['(zero_std mismatch)', /expected 'and', 'or' or '\)'/, 10, 8],
    ['0.3 > iou', /expected a field name, found the number 0.3/, 0, 3],
    ['verdict', /verdict is a string field/, 0, 7],
    ['text', /text is text read from each record/, 0, 4],
    ['text == "x"', /text is text read from each record/, 5, 2],
    ['text in ["x"]', /text is text read from each record/, 5, 2],
    ['iou < null', /null can only be compared with == or !=/, 4, 1],
    ['verdict in ["a", null]', /null cannot be in a list/, 17, 4],
    ['verdict in "a"', /expected '\[' after 'in'/, 11, 3],
    ['verdict in ["a" "b"]', /expected ',' or '\]'/, 16, 3],
    ['verdict in ["a",', /missing '\]'/, 11, 1],
    ['iou = 1', /unexpected '=': write '=='/, 4, 1],
    ['iou < 1 & zero_std', /unexpected '&'/, 8, 1],
    ['iou < 1 | zero_std', /unexpected '\|'/, 8, 1],
    ['iou < 1 # x', /unexpected character '#'/, 8, 1],
    ['iou == /x/', /a regex needs '~' or '!~'/, 7, 3],
    ['verdict == contradicted', /quote strings/, 11, 12],
    ['verdict ~ 3', /expected a regex after '~'/, 10, 1],
    ['"x" == verdict', /expected a field name, found a string/, 0, 3],
  ];
  for (const [q, re, at, length] of cases) {
    it(`${q.length > 40 ? q.slice(0, 40) + '…' : q}`, () => {
      const e = err(q);
      assert.match(e.message, re);
      assert.deepEqual([e.at, e.length], [at, length], e.message);
    });
  }

  it('the first error in the text is reported (a syntax error before a lexical one)', () => {
    const e = err('iuo < 1 and verdict == "x');
    assert.match(e.message, /unknown field 'iuo'/);
  });

  it('nesting is limited rather than overflowing the stack', () => {
    const deep = '('.repeat(5000) + 'zero_std' + ')'.repeat(5000);
    assert.match(err(deep).message, /nested more than/);
    assert.match(err('not '.repeat(5000) + 'zero_std').message, /nested more than/);
    const ok = '('.repeat(100) + 'zero_std' + ')'.repeat(100);
    assert.deepEqual(rowsOf(ok), [0, 3, 6]);
  });
});

// ---------------------------------------------------------------- text predicates

const TEXTS: TextRecord[] = [
  { completion: 'The box is left of the cup.', prompt: 'Find the cup', answer: '[1, 2, 3, 4]' },
  { completion: 'RIGHT of the tree', prompt: 'Where is the LEFT dog?', answer: null },
  { completion: 'nothing', prompt: 'x', answer: 'none' },
  { completion: 'left of' + ' x'.repeat(TEXT_REGEX_CAP), prompt: 'y', answer: 'z' },
  { completion: 'a'.repeat(TEXT_REGEX_CAP) + 'needle', prompt: '', answer: '' },
  { completion: '', prompt: '', answer: null },
  { completion: 'Left Of it', prompt: '', answer: 'left' },
  { completion: 'zzz', prompt: 'zzz', answer: 'zzz' },
];
const readText = (row: number): TextRecord | null => TEXTS[row] ?? null;

function textRows(q: string | QueryAst | null, rows?: Uint32Array, read = readText): number[] {
  const a = typeof q === 'string' ? ast(q) : q;
  const cand = candidateRows(a, T, rows ?? null);
  const masks = matchTextInProcess(read, textPredicates(a), cand);
  return [...evaluate(a, T, { rows: cand, text: masks })];
}

describe('query: text predicates', () => {
  it('text fields become predicates, deduplicated, in order', () => {
    const a = ast('text ~ "left of" and (prompt ~ /dog/i or completion ~ "left of") and answer == null and answer != null');
    assert.deepEqual(textPredicates(a), [
      { field: 'text', kind: 'regex', source: 'left of', flags: '', negate: false },
      { field: 'prompt', kind: 'regex', source: 'dog', flags: 'i', negate: false },
      { field: 'answer', kind: 'present', source: '', flags: '', negate: true },
      { field: 'answer', kind: 'present', source: '', flags: '', negate: false },
    ]);
    assert.deepEqual(textPredicates(ast('iou < 1')), []);
    assert.deepEqual(textPredicates(null), []);
  });

  it('matchTextInProcess: regex, case, null answers, the 100 000 character cap', () => {
    assert.deepEqual(textRows('text ~ "left of"'), [0, 3]);
    assert.deepEqual(textRows('text ~ /left of/i'), [0, 3, 6]);
    assert.deepEqual(textRows('text !~ /left of/i'), [1, 2, 4, 5, 7]);
    assert.deepEqual(textRows('text ~ "needle"'), []); // beyond the cap
    assert.deepEqual(textRows('text ~ "x$"'), []); // the cap cuts the end off row 3
    assert.deepEqual(textRows('answer == null'), [1, 5]);
    assert.deepEqual(textRows('answer != null'), [0, 2, 3, 4, 6, 7]);
    assert.deepEqual(textRows('answer !~ "z"'), [0, 2, 4, 6]); // null answers never match !~
    assert.deepEqual(textRows('not answer ~ "z"'), [0, 1, 2, 4, 5, 6]);
    assert.deepEqual(textRows('prompt ~ "dog" or text ~ "^zzz$"'), [1, 7]);
    assert.deepEqual(textRows('prompt ~ "DOG"'), []); // case-sensitive without the i flag
  });

  it('mixes with column conditions; candidateRows narrows the records to read', () => {
    const a = ast('zero_std and text ~ /left/i');
    assert.deepEqual([...candidateRows(a, T)], [0, 3, 6]);
    assert.deepEqual(textRows(a), [0, 3, 6]);
    assert.deepEqual(textRows('zero_std and text ~ /^left of/i'), [3, 6]);
    const b = ast('mismatch or text ~ /left/i');
    assert.deepEqual([...candidateRows(b, T)], [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(textRows(b), [0, 1, 3, 5, 6]);
    const c = ast('not (zero_std or text ~ "zzz")');
    assert.deepEqual([...candidateRows(c, T)], [1, 2, 4, 5, 7]);
    assert.deepEqual(textRows(c), [1, 2, 4, 5]);
    // candidates of a subset
    assert.deepEqual([...candidateRows(a, T, Uint32Array.of(6, 5, 0))], [6, 0]);
    assert.deepEqual(textRows(a, Uint32Array.of(6, 5, 0)), [6, 0]);
  });

  it('withSearch: case-insensitive substring of completion or prompt, AND-ed with the filter', () => {
    assert.equal(withSearch(null, '  '), null);
    const s = withSearch(null, 'LEFT');
    assert.deepEqual(textPredicates(s), [
      { field: 'text', kind: 'substring', source: 'left', flags: '', negate: false },
      { field: 'prompt', kind: 'substring', source: 'left', flags: '', negate: false },
    ]);
    assert.deepEqual(textRows(s), [0, 1, 3, 6]);
    assert.deepEqual(textRows(withSearch(ast('step < 3'), 'left')), [0, 1, 3]);
    assert.deepEqual(textRows(withSearch(ast('step < 3'), 'left (')), []);
    // search text is literal, not a regex
    assert.deepEqual(textRows(withSearch(null, 'CUP.')), [0]);
    assert.deepEqual(textRows(withSearch(null, '[1, 2')), []); // the answer is not searched
    assert.equal(printQuery(withSearch(ast('zero_std'), 'a.b/')), 'zero_std and (text ~ /a\\.b\\//i or prompt ~ /a\\.b\\//i)');
  });

  it('records that cannot be read match nothing; progress and abort', () => {
    const progress: number[] = [];
    const masks = matchTextInProcess(() => null, [{ field: 'answer', kind: 'present', source: '', flags: '', negate: true }], null, { rowCount: 600, onProgress: (d) => progress.push(d) });
    assert.equal(masks[0].reduce((a, b) => a + b, 0), 0);
    assert.deepEqual(progress, [256, 512, 600]);
    const ac = new AbortController();
    ac.abort();
    assert.throws(() => matchTextInProcess(readText, textPredicates(ast('text ~ "x"')), null, { rowCount: 8, signal: ac.signal }), { name: 'AbortError' });
    assert.throws(() => matchTextInProcess(readText, [], null), /rowCount/);
    assert.throws(() => evaluate(ast('text ~ "x"'), T), /text condition/);
  });
});

// ---------------------------------------------------------------- sorting

describe('query: sortRows', () => {
  it('numbers, stable, nulls last in both directions', () => {
    const all = Uint32Array.from({ length: 8 }, (_, i) => i);
    // reward: [1.5, 0.1, null, 2, 0, -0.5, 1, 0.15]
    assert.deepEqual([...sortRows(T, all, 'reward', false)], [5, 4, 1, 7, 6, 0, 3, 2]);
    assert.deepEqual([...sortRows(T, all, 'reward', true)], [3, 0, 6, 7, 1, 4, 5, 2]);
    // advantage: [1.2, -1, 0, 1.5, null, -2, 3, 0] — ties (rows 2, 7) keep their order
    assert.deepEqual([...sortRows(T, all, 'adv', false)], [5, 1, 2, 7, 0, 3, 6, 4]);
    assert.deepEqual([...sortRows(T, all, 'advantage', true)], [6, 3, 0, 2, 7, 1, 5, 4]);
    assert.deepEqual([...sortRows(T, Uint32Array.of(7, 2, 4), 'advantage', true)], [7, 2, 4]);
    assert.deepEqual([...sortRows(T, Uint32Array.of(7, 2, 4), 'advantage', false)], [7, 2, 4]);
  });

  it('strings by string order; bools', () => {
    const all = Uint32Array.from({ length: 8 }, (_, i) => i);
    // verdict: supported, contradicted, null, unknown, contradicted, supported, null, unsupported
    assert.deepEqual([...sortRows(T, all, 'verdict', false)], [1, 4, 0, 5, 3, 7, 2, 6]);
    assert.deepEqual([...sortRows(T, all, 'verdict', true)], [7, 3, 0, 5, 1, 4, 2, 6]);
    assert.deepEqual([...sortRows(T, all, 'zero_std', true)], [0, 3, 6, 1, 4, 5, 7, 2]);
    assert.throws(() => sortRows(T, all, 'text', false), /text/);
    assert.throws(() => sortRows(T, all, 'nope', false), /no such field/);
  });

  it('large inputs (radix path) agree with a stable comparison sort', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(null), fc.constantFrom(0, -0, 1, -1, 0.5, 1e300, -1e-300, Infinity, -Infinity), fc.double({ noNaN: true })), { minLength: 2048, maxLength: 4000 }),
        fc.boolean(),
        (vals, desc) => {
          const f: FieldDef[] = [{ name: 'v', type: 'number', description: '' }];
          const t = new MemTable(f, { v: vals });
          const rows = Uint32Array.from({ length: vals.length }, (_, i) => vals.length - 1 - i);
          const got = [...sortRows(t, rows, 'v', desc)];
          const col = t.numeric('v')!;
          const nonNull = [...rows].filter((r) => !Number.isNaN(col[r]));
          const nulls = [...rows].filter((r) => Number.isNaN(col[r]));
          const pos = new Map([...rows].map((r, i) => [r, i]));
          nonNull.sort((a, b) => (desc ? col[b] - col[a] : col[a] - col[b]) || pos.get(a)! - pos.get(b)!);
          assert.deepEqual(got, [...nonNull, ...nulls]);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('large string inputs agree with a stable comparison sort', () => {
    const words = ['b', 'a', 'ab', 'B', '', 'zz', 'é'];
    const n = 5000;
    const cells: (string | null)[] = Array.from({ length: n }, (_, i) => (i % 9 === 0 ? null : words[(i * 7) % words.length]));
    const f: FieldDef[] = [{ name: 's', type: 'string', description: '' }];
    const t = new MemTable(f, { s: cells });
    const rows = Uint32Array.from({ length: n }, (_, i) => i);
    for (const desc of [false, true]) {
      const exp = [...rows].filter((r) => cells[r] !== null).sort((a, b) => {
        const x = cells[a]!;
        const y = cells[b]!;
        const c = x < y ? -1 : x > y ? 1 : 0;
        return (desc ? -c : c) || a - b;
      });
      exp.push(...[...rows].filter((r) => cells[r] === null));
      assert.deepEqual([...sortRows(t, rows, 's', desc)], exp);
    }
  });
});

// ---------------------------------------------------------------- autocomplete

describe('query: completeQuery', () => {
  const values = (f: string): string[] => (f === 'verdict' ? ['supported', 'contradicted', 'unknown', 'unsupported'] : []);
  const labels = (text: string, cursor = text.length): string[] => completeQuery(text, cursor, FIELDS, values).items.map((i) => i.label);

  it('fields at the start: prefix matches first, then substring matches', () => {
    const r = completeQuery('acc', 3, FIELDS, values);
    assert.deepEqual([r.from, r.to], [0, 3]);
    assert.deepEqual(r.items.map((i) => i.label), ['accuracy', '`rewards/accuracy reward`']);
    assert.equal(r.items[0].kind, 'field');
    assert.equal(r.items[0].detail, 'number · accuracy reward');
    assert.ok(labels('').includes('iou'));
    assert.ok(labels('').includes('not'));
    assert.deepEqual(labels('form'), ['format_reward']); // via its alias
    assert.deepEqual(labels('ZERO'), ['zero_std']);
    const t = completeQuery('te', 2, FIELDS).items.find((i) => i.label === 'text')!;
    assert.match(t.detail, /^text · completion text/);
  });

  it('fields after and / or / not / (', () => {
    assert.deepEqual(labels('iou < 0.3 and mis'), ['mismatch']);
    assert.deepEqual(labels('iou < 0.3 or (ze'), ['zero_std']);
    assert.deepEqual(labels('not trunc'), ['truncated']);
    assert.deepEqual(labels('!trunc'), ['truncated']);
    // the cursor inside a word replaces the whole word
    const r = completeQuery('iou < 0.3 and misXX == 1', 16, FIELDS);
    assert.deepEqual([r.from, r.to], [14, 19]);
    assert.deepEqual(r.items.map((i) => i.label), ['mismatch']);
  });

  it('operators after a field, by type', () => {
    const num = completeQuery('iou ', 4, FIELDS).items;
    assert.deepEqual(num.filter((i) => i.kind === 'operator').map((i) => i.label), ['==', '!=', '<', '<=', '>', '>=']);
    assert.deepEqual(num.filter((i) => i.kind === 'keyword').map((i) => i.label), ['in', 'not in', 'and', 'or']);
    assert.ok(labels('verdict ').includes('~'));
    assert.ok(labels('verdict ').includes('in'));
    assert.deepEqual(labels('text '), ['~', '!~', '==', '!=']);
    assert.deepEqual(labels('zero_std a'), ['and']);
    assert.deepEqual(labels('verdict no'), ['not in']);
    assert.deepEqual(labels('verdict not '), ['in']);
  });

  it('quoted values after == / != / in for string fields', () => {
    assert.deepEqual(labels('verdict == '), ['"supported"', '"contradicted"', '"unknown"', '"unsupported"', 'null']);
    assert.deepEqual(labels('verdict != "con'), ['"contradicted"']);
    const r = completeQuery('verdict == "uns" and zero_std', 14, FIELDS, values);
    assert.deepEqual([r.from, r.to], [11, 16]);
    assert.deepEqual(r.items.map((i) => i.label), ['"unknown"', '"unsupported"']);
    assert.deepEqual(labels('verdict == sup'), ['"supported"', '"unsupported"']);
    assert.deepEqual(labels('verdict in ['), ['"supported"', '"contradicted"', '"unknown"', '"unsupported"']);
    assert.deepEqual(labels('verdict in ["supported", "con'), ['"contradicted"']);
    assert.deepEqual(labels('verdict not in ["supported", '), ['"supported"', '"contradicted"', '"unknown"', '"unsupported"']);
    assert.equal(completeQuery('verdict == ', 11, FIELDS, values).items[0].kind, 'value');
    assert.deepEqual(labels('zero_std == '), ['true', 'false', 'null']);
    assert.deepEqual(labels('iou < '), ['null']);
    assert.deepEqual(labels('verdict ~ '), []);
  });

  it('and / or after a complete condition', () => {
    assert.deepEqual(labels('iou < 0.3 '), ['and', 'or']);
    assert.deepEqual(labels('(iou < 0.3) o'), ['or']);
    assert.deepEqual(labels('verdict in ["a"] '), ['and', 'or']);
  });
});

// ---------------------------------------------------------------- printing

describe('query: printQuery', () => {
  it('prints canonical text that parses back to the same tree', () => {
    for (const q of [
      'iou < 0.3 and format == 1',
      'not truncated and (reward >= 1 or accuracy == 0)',
      'verdict == "contradicted" and not truncated',
      'text ~ "a/b" or prompt !~ /x\\/y[/]/imsu',
      'answer == null or `rewards/accuracy reward` > -1e-7',
      'not (zero_std or mismatch)',
      'zero_std and (mismatch and truncated)',
      'verdict not in ["a\\"", "\\u0001"] or step in [1, 2]',
      'text ~ "\\\\/"',
      'iou == -0',
    ]) {
      const a = ast(q);
      const printed = printQuery(a);
      assert.deepEqual(ast(printed), a, `${q} → ${printed}`);
    }
    assert.equal(printQuery(null), '');
    assert.equal(printQuery(ast('FORMAT==1&&!zero_std||(iou<.5)')), 'format_reward == 1 and not zero_std or iou < 0.5');
    assert.equal(printQuery(ast('text ~ /a\\d/ and prompt !~ /x\\/y/i')), 'text ~ "a\\\\d" and prompt !~ /x\\/y/i');
  });
});

// ---------------------------------------------------------------- properties

interface GenTable {
  n: number;
  a: (number | null)[];
  b: (number | null)[];
  flag: (number | null)[];
  s: (string | null)[];
  texts: Array<{ completion: string; answer: string | null }>;
}

const GFIELDS: FieldDef[] = [
  { name: 'a', type: 'number', description: '' },
  { name: 'b', type: 'number', description: '', aliases: ['bee'] },
  { name: 'flag', type: 'bool', description: '' },
  { name: 's', type: 'string', description: '' },
  { name: 'text', type: 'string', description: '', text: true },
  { name: 'answer', type: 'string', description: '', text: true },
];

const NUMS = [-1, 0, 0.5, 1, 2, -0.25];
const STRS = ['x', 'y', 'zz', '', 'X y'];
const REGEXES: Array<[string, string]> = [
  ['x', ''],
  ['^z', ''],
  ['Y', 'i'],
  ['^$', ''],
  ['x|y', ''],
];

type Gen =
  | { k: 'num'; f: 'a' | 'b' | 'bee'; op: string; v: number }
  | { k: 'bare'; f: 'a' | 'flag' }
  | { k: 'flag'; op: '==' | '!='; v: 'true' | 'false' | '0' | '1' }
  | { k: 'null'; f: 'a' | 'b' | 'flag' | 's' | 'answer'; neg: boolean }
  | { k: 'str'; op: string; v: string }
  | { k: 'in'; f: 'a' | 's'; vals: number[]; neg: boolean }
  | { k: 're'; f: 's' | 'text' | 'answer'; r: number; neg: boolean; lit: boolean }
  | { k: 'const'; v: boolean }
  | { k: 'not'; sym: boolean; x: Gen }
  | { k: 'and' | 'or'; sym: boolean; x: Gen; y: Gen };

const CMP = ['==', '!=', '<', '<=', '>', '>='];

const genExpr: fc.Arbitrary<Gen> = fc.letrec<{ e: Gen }>((tie) => ({
  e: fc.oneof(
    { maxDepth: 5, depthIdentifier: 'e' },
    fc.record({ k: fc.constant('num' as const), f: fc.constantFrom('a' as const, 'b' as const, 'bee' as const), op: fc.constantFrom(...CMP), v: fc.constantFrom(...NUMS) }),
    fc.record({ k: fc.constant('bare' as const), f: fc.constantFrom('a' as const, 'flag' as const) }),
    fc.record({ k: fc.constant('flag' as const), op: fc.constantFrom('==' as const, '!=' as const), v: fc.constantFrom('true' as const, 'false' as const, '0' as const, '1' as const) }),
    fc.record({ k: fc.constant('null' as const), f: fc.constantFrom('a' as const, 'b' as const, 'flag' as const, 's' as const, 'answer' as const), neg: fc.boolean() }),
    fc.record({ k: fc.constant('str' as const), op: fc.constantFrom(...CMP), v: fc.constantFrom(...STRS) }),
    fc.record({ k: fc.constant('in' as const), f: fc.constantFrom('a' as const, 's' as const), vals: fc.array(fc.nat(4), { maxLength: 3 }), neg: fc.boolean() }),
    fc.record({ k: fc.constant('re' as const), f: fc.constantFrom('s' as const, 'text' as const, 'answer' as const), r: fc.nat(REGEXES.length - 1), neg: fc.boolean(), lit: fc.boolean() }),
    fc.record({ k: fc.constant('const' as const), v: fc.boolean() }),
    fc.record({ k: fc.constant('not' as const), sym: fc.boolean(), x: tie('e') }),
    fc.record({ k: fc.constantFrom('and' as const, 'or' as const), sym: fc.boolean(), x: tie('e'), y: tie('e') }),
  ),
})).e;

function render(g: Gen): string {
  switch (g.k) {
    case 'num':
      return `${g.f} ${g.op} ${g.v}`;
    case 'bare':
      return g.f;
    case 'flag':
      return `flag ${g.op} ${g.v}`;
    case 'null':
      return `${g.f} ${g.neg ? '!=' : '=='} null`;
    case 'str':
      return `s ${g.op} ${JSON.stringify(g.v)}`;
    case 'in':
      return `${g.f} ${g.neg ? 'not in' : 'in'} [${g.vals.map((v) => (g.f === 'a' ? String(NUMS[v]) : JSON.stringify(STRS[v]))).join(', ')}]`;
    case 're': {
      const [src, flags] = REGEXES[g.r];
      const rhs = g.lit || flags ? `/${src}/${flags}` : JSON.stringify(src);
      return `${g.f} ${g.neg ? '!~' : '~'} ${rhs}`;
    }
    case 'const':
      return String(g.v);
    case 'not':
      return `${g.sym ? '!' : 'not '}(${render(g.x)})`;
    case 'and':
      return `(${render(g.x)}) ${g.sym ? '&&' : 'and'} (${render(g.y)})`;
    case 'or':
      return `(${render(g.x)}) ${g.sym ? '||' : 'or'} (${render(g.y)})`;
  }
}

/** Row-by-row reference semantics, written from the language description. */
function refEval(g: Gen, t: GenTable, r: number): boolean {
  const numOf = (f: string): number | null => (f === 'a' ? t.a[r] : f === 'flag' ? t.flag[r] : t.b[r]);
  const cmp = (x: number | string, op: string, y: number | string): boolean =>
    op === '==' ? x === y : op === '!=' ? x !== y : op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
  switch (g.k) {
    case 'num': {
      const v = numOf(g.f);
      return v !== null && cmp(v, g.op, g.v);
    }
    case 'bare': {
      const v = numOf(g.f);
      return v !== null && v !== 0;
    }
    case 'flag': {
      const v = t.flag[r];
      const c = g.v === 'true' || g.v === '1' ? 1 : 0;
      return v !== null && cmp(v, g.op, c);
    }
    case 'null': {
      const v = g.f === 's' ? t.s[r] : g.f === 'answer' ? t.texts[r].answer : numOf(g.f);
      return g.neg ? v !== null : v === null;
    }
    case 'str': {
      const v = t.s[r];
      return v !== null && cmp(v, g.op, g.v);
    }
    case 'in': {
      const v = g.f === 'a' ? t.a[r] : t.s[r];
      if (v === null) return false;
      const list: Array<number | string> = g.vals.map((k) => (g.f === 'a' ? NUMS[k] : STRS[k]));
      return list.includes(v) !== g.neg;
    }
    case 're': {
      const v = g.f === 's' ? t.s[r] : g.f === 'text' ? t.texts[r].completion : t.texts[r].answer;
      if (v === null) return false;
      const [src, flags] = REGEXES[g.r];
      return new RegExp(src, flags).test(v) !== g.neg;
    }
    case 'const':
      return g.v;
    case 'not':
      return !refEval(g.x, t, r);
    case 'and':
      return refEval(g.x, t, r) && refEval(g.y, t, r);
    case 'or':
      return refEval(g.x, t, r) || refEval(g.y, t, r);
  }
}

const genTable: fc.Arbitrary<GenTable> = fc.integer({ min: 0, max: 25 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    a: fc.array(fc.option(fc.constantFrom(...NUMS, 3, -0), { freq: 4 }), { minLength: n, maxLength: n }),
    b: fc.array(fc.option(fc.double({ min: -3, max: 3, noNaN: true }), { freq: 4 }), { minLength: n, maxLength: n }),
    flag: fc.array(fc.option(fc.constantFrom(0, 1), { freq: 4 }), { minLength: n, maxLength: n }),
    s: fc.array(fc.option(fc.constantFrom(...STRS, 'zzz', 'xy'), { freq: 4 }), { minLength: n, maxLength: n }),
    texts: fc.array(fc.record({ completion: fc.constantFrom(...STRS, 'a x b', 'Y'), answer: fc.option(fc.constantFrom(...STRS), { freq: 3 }) }), { minLength: n, maxLength: n }),
  }),
);

function memOf(t: GenTable): MemTable {
  return new MemTable(GFIELDS, { a: t.a, b: t.b, flag: t.flag, s: t.s }, t.n);
}

describe('query: properties', () => {
  it('parseQuery never throws, and errors lie within the text', () => {
    const tokens = ['iou', 'verdict', 'text', '`x', '`a b`', '<', '<=', '==', '!=', '!', '~', '!~', '&&', '||', 'and', 'or', 'not', 'in', '[', ']', ',', '(', ')', '"x', '"a"', "'", '/a/i', '/[/', '/', '-', '-1', '1e', '.5', 'null', 'true', ' ', '\\', '\\u', '"\\u{110000}"', '𝒳', '\ud800', '='];
    const arb = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.tuple(fc.array(fc.constantFrom(...tokens), { maxLength: 25 }), fc.constantFrom('', ' ')).map(([a, sep]) => a.join(sep)),
    );
    fc.assert(
      fc.property(arb, fc.nat(80), (s, cur) => {
        const r = parseQuery(s, FIELDS);
        if (!r.ok) {
          assert.ok(r.error.at >= 0 && r.error.at <= s.length, `at ${r.error.at} in ${JSON.stringify(s)}`);
          assert.ok(r.error.length >= 1);
          assert.ok(typeof r.error.message === 'string' && r.error.message.length > 0);
        }
        const c = completeQuery(s, cur, FIELDS, () => ['a', 'b']);
        assert.ok(c.from <= c.to && c.to <= s.length);
      }),
      { numRuns: 1500 },
    );
  });

  it('vectorised evaluation equals the row-by-row reference', () => {
    fc.assert(
      fc.property(genTable, genExpr, fc.option(fc.array(fc.nat(1000), { maxLength: 30 })), (t, g, sub) => {
        const text = render(g);
        const r = parseQuery(text, GFIELDS);
        if (!r.ok) throw new Error(`${text}: ${r.error.message}`);
        const table = memOf(t);
        const rows = sub && t.n > 0 ? Uint32Array.from(sub, (k) => k % t.n) : undefined;
        const cand = candidateRows(r.ast, table, rows ?? null);
        const masks = matchTextInProcess((row) => t.texts[row], textPredicates(r.ast), cand);
        const got = [...evaluate(r.ast, table, { rows: cand, text: masks })];
        const all = rows ? [...rows] : Array.from({ length: t.n }, (_, i) => i);
        const exp = all.filter((row) => refEval(g, t, row));
        assert.deepEqual(got, exp, text);
        if (textPredicates(r.ast).length === 0) {
          assert.deepEqual([...evaluate(r.ast, table, { rows })], exp);
          assert.equal(countMatches(r.ast, table, { rows }), exp.length);
        }
      }),
      { numRuns: 600 },
    );
  });

  it('printing and parsing again gives the same tree', () => {
    fc.assert(
      fc.property(genExpr, (g) => {
        const r = parseQuery(render(g), GFIELDS);
        assert.ok(r.ok);
        const printed = printQuery(r.ast);
        const again = parseQuery(printed, GFIELDS);
        if (!again.ok) throw new Error(`${printed}: ${again.error.message}`);
        assert.deepEqual(again.ast, r.ast, printed);
      }),
      { numRuns: 600 },
    );
    // random strings that parse print back too
    const f2: FieldDef[] = [...GFIELDS, { name: 'we ird`\\', type: 'string', description: '' }];
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (x, y) => {
        for (const q of [`s == ${JSON.stringify(x)}`, `\`we ird\\\`\\\\\` ~ ${JSON.stringify(y)}`, `text ~ /${y.replace(/[\\/\n\r]/g, '')}/`]) {
          const r = parseQuery(q, f2);
          if (!r.ok) continue;
          const again = parseQuery(printQuery(r.ast), f2);
          assert.ok(again.ok, printQuery(r.ast));
          assert.deepEqual(again.ast, r.ast);
        }
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------- the worker

describe('query: runTextJob (worker thread)', function () {
  this.timeout(60000);
  let dir = '';
  let workerPath = '';
  let logFile = '';

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollout-lens-query-'));
    workerPath = path.join(dir, 'textWorker.js');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require('esbuild') as typeof import('esbuild');
    const root = path.resolve(__dirname, '..', '..', '..');
    esbuild.buildSync({
      absWorkingDir: root,
      entryPoints: ['extension/core/query/textWorker.ts'],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: workerPath,
      external: ['vscode', 'onnxruntime-node'],
      logLevel: 'silent',
    });
    logFile = path.join(dir, 'run.rollouts.jsonl');
    const recs = [
      { step: 1, group_id: 'g1', index_in_group: 0, prompt: 'Find the cup', completion: '<think>the box is left of the cup</think><answer>[1, 2, 3, 4]</answer>' },
      { step: 1, group_id: 'g1', index_in_group: 1, prompt: 'Find the cup', completion: 'no answer here' },
      { step: 2, group_id: 'g2', index_in_group: 0, prompt: 'Where is the dog?', completion: 'a'.repeat(40) + 'b' },
      { step: 2, group_id: 'g2', index_in_group: 1, prompt: 'Where is the dog?', completion: '<answer>LEFT</answer>' },
    ];
    fs.writeFileSync(logFile, recs.map((r) => JSON.stringify(r)).join('\n') + '\n');
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('matches text, prompt and answer in a worker', async () => {
    const preds = textPredicates(ast('text ~ /left/i or prompt ~ "dog" or answer == null'));
    const progress: number[] = [];
    const masks = await runTextJob({ target: logFile, context: null, preds, rows: null }, { workerPath, onProgress: (d) => progress.push(d) });
    assert.deepEqual(
      masks.map((m) => [...m]),
      [
        [1, 0, 0, 1],
        [0, 0, 1, 1],
        [0, 1, 1, 0],
      ],
    );
    const sub = await runTextJob({ target: logFile, context: null, preds: preds.slice(0, 1), rows: Uint32Array.of(3, 1) }, { workerPath });
    assert.deepEqual([...sub[0]], [1, 0]);
    assert.deepEqual(progress[progress.length - 1], 4);
  });

  it('cancelling a catastrophic regex rejects at once', async () => {
    const preds = textPredicates(ast('text ~ "(a+)+$"'));
    const ac = new AbortController();
    let settled = false;
    const job = runTextJob({ target: logFile, context: null, preds, rows: Uint32Array.of(2) }, { workerPath, signal: ac.signal });
    void job.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(settled, false, 'the regex should still be running');
    const t0 = Date.now();
    ac.abort();
    await assert.rejects(job, { name: 'AbortError', message: 'text search cancelled' });
    assert.ok(Date.now() - t0 < 500, `rejected after ${Date.now() - t0} ms`);
  });

  it('a time limit stops it too; a missing log rejects with its reason', async () => {
    const preds = textPredicates(ast('text ~ "(a+)+$"'));
    const t0 = Date.now();
    await assert.rejects(runTextJob({ target: logFile, context: null, preds, rows: Uint32Array.of(2) }, { workerPath, timeoutMs: 1000 }), /text search stopped after 1.0 s/);
    assert.ok(Date.now() - t0 < 5000);
    await assert.rejects(runTextJob({ target: path.join(dir, 'missing.rollouts.jsonl'), context: null, preds, rows: null }, { workerPath }), /text search failed: .*no such file/);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(runTextJob({ target: logFile, context: null, preds, rows: null }, { workerPath, signal: ac.signal }), { name: 'AbortError' });
  });
});
