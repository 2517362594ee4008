import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { extractAnswer, parseQwen25Boxes, partAt, traceRegions } from '../../extension/core/geometry/qwen25';

describe('Qwen2.5-VL box parser', () => {
  it('finds a bare object inside <think> with its label, span and part', () => {
    const obj = '{"bbox_2d": [10, 20, 110, 130], "label": "red circle"}';
    const text = `<think>The first is at ${obj} ok</think><answer>1</answer>`;
    const [b, ...rest] = parseQwen25Boxes(text);
    assert.equal(rest.length, 0);
    assert.deepEqual(b.raw, [10, 20, 110, 130]);
    assert.equal(b.label, 'red circle');
    assert.equal(b.part, 'think');
    assert.equal(text.slice(b.span[0], b.span[1]), obj);
  });

  it('finds every object of a JSON list inside ```json fences in <answer>', () => {
    const text = '<think>x</think><answer>```json\n[\n  {"bbox_2d": [1, 2, 3, 4], "label": "a"},\n  {"bbox_2d": [5, 6, 7, 8], "label": "b"}\n]\n```</answer>';
    const boxes = parseQwen25Boxes(text);
    assert.deepEqual(boxes.map((b) => [b.raw, b.label, b.part]), [
      [[1, 2, 3, 4], 'a', 'answer'],
      [[5, 6, 7, 8], 'b', 'answer'],
    ]);
  });

  it('tolerates single quotes, trailing commas, floats, negatives and exponents', () => {
    const boxes = parseQwen25Boxes("{'bbox_2d': [1.5, -2, 3e2, .5,], 'label': 'it\\'s',}");
    assert.equal(boxes.length, 1);
    assert.deepEqual(boxes[0].raw, [1.5, -2, 300, 0.5]);
    assert.equal(boxes[0].label, "it's");
    assert.equal(boxes[0].part, 'other');
  });

  it('reads a label written before bbox_2d and decodes JSON escapes in it', () => {
    const text = 'see {"label": "caf\\u00e9 \\"sign\\"", "bbox_2d": [0, 0, 5, 5]} here';
    const [b] = parseQwen25Boxes(text);
    assert.equal(b.label, 'café "sign"');
    assert.equal(text.slice(b.span[0], b.span[1]), '{"label": "caf\\u00e9 \\"sign\\"", "bbox_2d": [0, 0, 5, 5]}');
  });

  it('reads objects written with escaped quotes', () => {
    const [b] = parseQwen25Boxes('{\\"bbox_2d\\": [1, 2, 3, 4], \\"label\\": \\"cat\\"}');
    assert.deepEqual(b.raw, [1, 2, 3, 4]);
    assert.equal(b.label, 'cat');
  });

  it('skips malformed arrays and keeps the valid boxes around them', () => {
    const boxes = parseQwen25Boxes('{"bbox_2d": [1, 2, 3]} {"bbox_2d": [1, "a", 3, 4]} {"bbox_2d": [9, 8, 7, 6]}');
    assert.deepEqual(boxes.map((b) => b.raw), [[9, 8, 7, 6]]);
  });

  it('gives no label when there is none and no span beyond a truncated object', () => {
    const text = '<think>{"bbox_2d": [1, 2, 3, 4], "lab';
    const [b] = parseQwen25Boxes(text);
    assert.equal(b.label, undefined);
    assert.equal(b.part, 'think'); // unclosed <think> runs to the end
    assert.ok(text.slice(b.span[0], b.span[1]).includes('bbox_2d'));
  });

  it('returns [] for text without boxes and for non-strings', () => {
    assert.deepEqual(parseQwen25Boxes('<answer>2</answer>'), []);
    assert.deepEqual(parseQwen25Boxes(undefined as unknown as string), []);
  });

  it('computes trace regions and parts', () => {
    const t = 'pre <think>a</think> mid <answer>b</answer> post';
    const r = traceRegions(t);
    assert.equal(partAt(r, t.indexOf('a')), 'think');
    assert.equal(partAt(r, t.indexOf('b')), 'answer');
    assert.equal(partAt(r, t.indexOf('mid')), 'other');
    assert.equal(partAt(r, t.indexOf('post')), 'other');
  });

  it('extracts the last complete <answer>, trimmed', () => {
    assert.equal(extractAnswer('<answer> 1 </answer> then <answer>\n2\n</answer>'), '2');
    assert.equal(extractAnswer('<think>x</think><answer>unfinished'), undefined);
    assert.equal(extractAnswer('no tags'), undefined);
  });

  const fragments = fc.constantFrom(
    '{', '}', '[', ']', ',', ':', '"', "'", '\\', '\\"', '"bbox_2d"', "'bbox_2d'", 'bbox_2d', '"label"', '"x"',
    '<think>', '</think>', '<answer>', '</answer>', '```json', '\n', ' ', '1', '-2.5', '1e9', '1e999', '.', 'İ',
  );
  const messy = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.array(fragments, { maxLength: 80 }).map((a) => a.join('')),
  );

  it('property: never throws on arbitrary strings', () => {
    fc.assert(fc.property(messy, (s) => void parseQwen25Boxes(s)), { numRuns: 3000 });
  });

  it('property: spans are ordered, disjoint, in range and slice back to text containing "bbox_2d"', () => {
    fc.assert(
      fc.property(messy, (s) => {
        let prevEnd = 0;
        for (const b of parseQwen25Boxes(s)) {
          assert.ok(b.span[0] >= prevEnd && b.span[1] <= s.length && b.span[0] < b.span[1]);
          assert.ok(s.slice(b.span[0], b.span[1]).includes('bbox_2d'));
          assert.ok(b.raw.every(Number.isFinite));
          prevEnd = b.span[1];
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('property: boxes embedded in random prose are recovered exactly, in order', () => {
    const num = fc.oneof(fc.integer({ min: -5000, max: 5000 }), fc.double({ min: -5000, max: 5000, noNaN: true, noDefaultInfinity: true }));
    const box = fc.record({ raw: fc.tuple(num, num, num, num), label: fc.string({ maxLength: 20 }) });
    const prose = fc.string({ maxLength: 30 }).map((s) => s.replace(/bbox_2d|[{}]/g, ''));
    fc.assert(
      fc.property(fc.array(fc.tuple(prose, box), { minLength: 1, maxLength: 5 }), prose, (items, tail) => {
        const text = items.map(([p, b]) => `${p}${JSON.stringify({ bbox_2d: b.raw, label: b.label })}`).join('') + tail;
        const got = parseQwen25Boxes(text);
        assert.equal(got.length, items.length);
        got.forEach((g, i) => {
          assert.deepEqual(g.raw, items[i][1].raw.map((n) => (Object.is(n, -0) ? 0 : n)).map(Number));
          assert.equal(g.label, items[i][1].label);
        });
      }),
      { numRuns: 500 },
    );
  });
});
