import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { PyValue, parsePyFloat, parsePythonLiteral, parsePythonLiteralPrefix, pyValue } from '../../extension/core/formats/pythonLiteral';

function ok(text: string): PyValue {
  const r = parsePythonLiteral(text);
  if (!r.ok) assert.fail(`expected ${JSON.stringify(text)} to parse, got: ${r.error} at ${r.pos}`);
  return r.value;
}

function bad(text: string): { error: string; pos: number } {
  const r = parsePythonLiteral(text);
  if (r.ok) assert.fail(`expected ${JSON.stringify(text)} to fail, got ${JSON.stringify(r.value)}`);
  return r;
}

describe('pythonLiteral: scalars', () => {
  it('reads ints, floats, signs, exponents, underscores, hex/octal/binary', () => {
    assert.equal(ok('0'), 0);
    assert.equal(ok('-17'), -17);
    assert.equal(ok('+3'), 3);
    assert.equal(ok('0.7266408787594841'), 0.7266408787594841);
    assert.equal(ok('1e-05'), 1e-5);
    assert.equal(ok('-2.5E+3'), -2500);
    assert.equal(ok('.5'), 0.5);
    assert.equal(ok('5.'), 5);
    assert.equal(ok('1_000_000'), 1000000);
    assert.equal(ok('0x1F'), 31);
    assert.equal(ok('0o17'), 15);
    assert.equal(ok('0b101'), 5);
    assert.equal(ok('  42  '), 42);
  });

  it('reads True/False/None, nan/inf, float("nan") and Ellipsis', () => {
    assert.equal(ok('True'), true);
    assert.equal(ok('False'), false);
    assert.equal(ok('None'), null);
    assert.ok(Number.isNaN(ok('nan') as number));
    assert.equal(ok('inf'), Infinity);
    assert.equal(ok('-inf'), -Infinity);
    assert.ok(Number.isNaN(ok("float('nan')") as number));
    assert.equal(ok("float('-inf')"), -Infinity);
    assert.equal(ok('...'), null);
    assert.equal(ok('Ellipsis'), null);
  });

  it('reads single, double, triple-quoted, raw, byte and concatenated strings with escapes', () => {
    assert.equal(ok(`'a'`), 'a');
    assert.equal(ok(`"it's"`), "it's");
    assert.equal(ok(`'it\\'s'`), "it's");
    assert.equal(ok(`'a\\nb\\tc\\\\d'`), 'a\nb\tc\\d');
    assert.equal(ok(`'\\x41\\u00e9\\U0001F600'`), 'Aé😀');
    assert.equal(ok(`'\\101\\0'`), 'A\0');
    assert.equal(ok(`'\\q'`), '\\q'); // unknown escapes keep the backslash
    assert.equal(ok(`r'C:\\data\\x.jpg'`), 'C:\\data\\x.jpg');
    assert.equal(ok(`r'a\\'b'`), "a\\'b");
    assert.equal(ok(`b'bytes'`), 'bytes');
    assert.equal(ok(`'''multi\nline'''`), 'multi\nline');
    assert.equal(ok(`"""a "quoted" b"""`), 'a "quoted" b');
    assert.equal(ok(`'ab' "cd" 'ef'`), 'abcdef');
    assert.equal(ok(`'\\N{BULLET}'`), '\\N{BULLET}');
    assert.equal(ok(`'a\\\nb'`), 'ab');
  });
});

describe('pythonLiteral: containers and reprs from logs', () => {
  it('reads VLM-R1 image_path lists (one and several images) and Solution boxes', () => {
    assert.deepEqual(ok("['/data/coco/train2014/COCO_train2014_000000581857.jpg']"), ['/data/coco/train2014/COCO_train2014_000000581857.jpg']);
    assert.deepEqual(ok("['GOOGLE_APPS-1_13.png', 'GOOGLE_APPS-1_14.png']"), ['GOOGLE_APPS-1_13.png', 'GOOGLE_APPS-1_14.png']);
    assert.deepEqual(ok('[103.93, 299.99, 238.15, 477.41]'), [103.93, 299.99, 238.15, 477.41]);
    assert.deepEqual(ok('[[1, 2, 3, 4], [5, 6, 7, 8],]'), [
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
  });

  it('reads Visual-RFT dict lists and tuple lists', () => {
    assert.deepEqual(ok("[{'Position': [254, 303, 491, 765], 'Confidence': 0.9}, {'Position': [520, 310, 700, 720], 'Confidence': 0.6}]"), [
      { Position: [254, 303, 491, 765], Confidence: 0.9 },
      { Position: [520, 310, 700, 720], Confidence: 0.6 },
    ]);
    assert.deepEqual(ok('[(0.9686, 0.9), (0, 0.6)]'), [
      [0.9686, 0.9],
      [0, 0.6],
    ]);
  });

  it('reads tuples: (), (x,), (x) is x, nested', () => {
    assert.deepEqual(ok('()'), []);
    assert.deepEqual(ok('(1,)'), [1]);
    assert.equal(ok('(1)'), 1);
    assert.deepEqual(ok('(420, 644)'), [420, 644]);
    assert.deepEqual(ok('((1, 2), [3])'), [[1, 2], [3]]);
  });

  it('reads dicts with non-string keys, sets, and keeps "__proto__" as a plain key', () => {
    assert.deepEqual(ok("{1: 'a', None: 2, True: 3, (1, 2): 4, 0.5: 5}"), { '1': 'a', None: 2, True: 3, '[1,2]': 4, '0.5': 5 });
    assert.deepEqual(ok('{1, 2, 3}'), [1, 2, 3]);
    assert.deepEqual(ok('{}'), {});
    const o = ok("{'__proto__': 1, 'x': {'y': [None]}}") as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(o), Object.prototype);
    assert.equal(Object.keys(o).length, 2);
    assert.equal(o['__proto__'], 1);
    assert.deepEqual(o.x, { y: [null] });
  });

  it('reads torch / numpy reprs: the first positional argument is the value', () => {
    assert.deepEqual(ok('tensor([ 1, 46, 30])'), [1, 46, 30]);
    assert.deepEqual(ok('tensor([[ 1, 46, 30]], device=\'cuda:0\')'), [[1, 46, 30]]);
    assert.equal(ok('tensor(0.5000, device=\'cuda:0\', dtype=torch.float32)'), 0.5);
    assert.equal(ok('np.float64(0.97)'), 0.97);
    assert.deepEqual(ok('[np.float64(0.5), np.int64(3)]'), [0.5, 3]);
    assert.deepEqual(ok('array([1, 2])'), [1, 2]);
    assert.deepEqual(ok('list()'), []);
  });

  it('parsePythonLiteralPrefix stops after the value; pyValue and parsePyFloat helpers', () => {
    const r = parsePythonLiteralPrefix("[1, 2] and more", 0);
    assert.ok(r.ok);
    assert.deepEqual(r.value, [1, 2]);
    assert.equal(r.end, 7);
    const r2 = parsePythonLiteralPrefix('x = (3, 4)', 4);
    assert.ok(r2.ok && r2.end === 10);
    assert.equal(pyValue('[1'), undefined);
    assert.deepEqual(pyValue('[1]'), [1]);
    assert.equal(parsePyFloat('0.5'), 0.5);
    assert.equal(parsePyFloat('-inf'), -Infinity);
    assert.ok(Number.isNaN(parsePyFloat('nan')));
    assert.ok(Number.isNaN(parsePyFloat('')));
    assert.ok(Number.isNaN(parsePyFloat('abc')));
  });
});

describe('pythonLiteral: errors are results, never exceptions', () => {
  it('reports where it failed', () => {
    assert.match(bad("'unterminated").error, /unterminated string/);
    assert.match(bad("'line\nbreak'").error, /end of line/);
    assert.equal(bad('[1, 2').pos, 5);
    assert.match(bad('[1, 2').error, /unterminated '\['/);
    assert.match(bad('[1 2]').error, /expected ',' or '\]'/);
    assert.match(bad('[').error, /unterminated '\['/);
    assert.match(bad('(1, ').error, /unterminated '\('/);
    assert.match(bad('{1: 2, 3}').error, /expected ':'/);
    assert.match(bad('[1] x').error, /after the value/);
    assert.match(bad('').error, /end of text/);
    assert.match(bad('/data/a.jpg').error, /unexpected/);
    assert.match(bad('foo').error, /unknown name/);
    assert.match(bad('1j').error, /complex/);
    assert.match(bad("'\\x4'").error, /bad \\x escape/);
    assert.match(bad('-"a"').error, /expected a number/);
  });

  it('rejects very deep nesting without overflowing the stack', () => {
    const deep = '['.repeat(100000) + ']'.repeat(100000);
    assert.match(bad(deep).error, /nesting deeper than 200/);
    assert.deepEqual(parsePythonLiteral('[[[1]]]', { maxDepth: 2 }).ok, false);
    assert.deepEqual(parsePythonLiteral('[[[1]]]', { maxDepth: 3 }).ok, true);
  });

  it('accepts a non-string without throwing', () => {
    const r = parsePythonLiteral(undefined as unknown as string);
    assert.equal(r.ok, false);
  });
});

/** Python repr of a value (tuples marked by a wrapper so the arbitrary can produce them). */
type Gen = null | boolean | number | string | Gen[] | { tuple: Gen[] } | { dict: Array<[string, Gen]> };

function pyRepr(v: Gen): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v);
  if (typeof v === 'string') return "'" + [...v].map((c) => (c === "'" ? "\\'" : c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : c)).join('') + "'";
  if (Array.isArray(v)) return '[' + v.map(pyRepr).join(', ') + ']';
  if ('tuple' in v) return v.tuple.length === 1 ? `(${pyRepr(v.tuple[0])},)` : '(' + v.tuple.map(pyRepr).join(', ') + ')';
  return '{' + v.dict.map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ') + '}';
}

function expected(v: Gen): PyValue {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(expected);
  if ('tuple' in v) return v.tuple.map(expected);
  const o: Record<string, PyValue> = {};
  for (const [k, x] of v.dict) o[k] = expected(x);
  return o;
}

const genValue = fc.letrec<{ value: Gen }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -1e9, max: 1e9 }),
    fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).filter((d) => !Object.is(d, -0)),
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(tie('value'), { maxLength: 4 }).map((a) => ({ tuple: a })),
    fc.uniqueArray(fc.tuple(fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__'), tie('value')), { maxLength: 4, selector: (e) => e[0] }).map((d) => ({ dict: d })),
  ),
})).value;

describe('pythonLiteral: properties', function () {
  this.timeout(20000);
  it('round-trips generated Python reprs', () => {
    fc.assert(
      fc.property(genValue, (v) => {
        const r = parsePythonLiteral(pyRepr(v));
        assert.ok(r.ok, r.ok ? '' : `${r.error} in ${pyRepr(v)}`);
        assert.deepEqual(r.value, expected(v));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws and terminates quickly on random text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: fc.constantFrom(...`[](){}'",:\\ .-+_0123456789eExjrbTNn\n`.split('')), maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 20 })), (s) => {
        const t = Date.now();
        const r = parsePythonLiteral(s);
        assert.equal(typeof r.ok, 'boolean');
        assert.ok(Date.now() - t < 200);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on mutated log literals (inserted, deleted and replaced characters)', () => {
    const seeds = [
      "['/data/coco/train2014/COCO_train2014_000000581857.jpg']",
      "[{'Position': [254, 303, 491, 765], 'Confidence': 0.9}, {'Position': [520, 310, 700, 720], 'Confidence': 0.6}]",
      '[(0.9686, 0.9), (0, 0.6)]',
      "tensor([ 1, 46, 30], device='cuda:0')",
      `{'a': "x\\ny", 'b': r'\\d', 'c': (1,), 'd': {1, 2}}`,
    ];
    const alphabet = fc.constantFrom(...`[](){}'",:\\ .-0123456789abcxyzTNjrb\n`.split(''));
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), alphabet), { maxLength: 8 }),
        (seed, edits) => {
          let s = seed;
          for (const [pos, kind, ch] of edits) {
            const p = pos % (s.length + 1);
            if (kind === 0) s = s.slice(0, p) + ch + s.slice(p);
            else if (kind === 1) s = s.slice(0, p) + s.slice(p + 1);
            else if (kind === 2) s = s.slice(0, p) + ch + s.slice(p + 1);
            else s = s.slice(0, p) + s.slice(p, p + 5) + s.slice(p);
          }
          const r = parsePythonLiteral(s);
          assert.equal(typeof r.ok, 'boolean');
          const r2 = parsePythonLiteralPrefix(s, 3);
          assert.equal(typeof r2.ok, 'boolean');
        },
      ),
      { numRuns: 500 },
    );
  });
});
