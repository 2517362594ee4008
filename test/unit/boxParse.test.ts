import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  BOX_PRECEDENCE,
  CONVENTION_FRAME,
  fastPartAt,
  firstIntegerBoxInAnswer,
  parseBoxes,
  type BoxConvention,
  type ParsedBox,
} from '../../extension/core/geometry/boxParse';
import { parseQwen25Boxes, partAt, traceRegions } from '../../extension/core/geometry/qwen25';
import { FIXTURES } from './helpers';

const slice = (text: string, b: { span: [number, number] }): string => text.slice(b.span[0], b.span[1]);
const brief = (b: ParsedBox) => [b.convention, b.raw, b.label, b.part];

function firstLine(file: string, prefix: string): string {
  const lines = fs.readFileSync(path.join(FIXTURES, 'frameworks', file), 'utf8').split('\n');
  const line = lines.find((l) => l.startsWith(prefix));
  assert.ok(line, `${prefix} in ${file}`);
  return line.slice(prefix.length);
}

/** A real completion from the RefCOCOs visualisation of Qwen2.5-VL-7B (unknown-repo, example 0, abridged). */
const REFCOCOS_EXAMPLE_0 = `To find the bounding box for the monitor farther from the laptop among the ones that are on, let's follow these steps:

1. Identify the monitors that are on in the image.
2. Determine which monitor is farther from the laptop.
3. Provide the bounding box for that monitor.

The bounding box for the monitor on the far right is approximately:
- Top-left corner: (x1, y1)
- Bottom-right corner: (x2, y2)

For the exact coordinates, you would need to use a tool that can measure the coordinates of the image, but based on the visual analysis, the bounding box would be around the monitor on the far right side of the desk.

\\boxed{[445, 135, 555, 253]}`;

describe('parseBoxes: every convention', () => {
  it('Qwen2.5-VL: a ```json fenced list of two objects in <answer>, labels kept, spans = objects', () => {
    const text =
      '<think>Two cups on the table.</think>\n<answer>```json\n[\n  {"bbox_2d": [12, 40, 118, 160], "label": "red cup"},\n  {"bbox_2d": [130, 44, 230, 170], "label": "blue cup"},\n]\n```</answer>';
    const r = parseBoxes(text);
    assert.equal(r.count, 2);
    assert.equal(r.truncated, false);
    assert.deepEqual(r.boxes.map(brief), [
      ['qwen25-json', [12, 40, 118, 160], 'red cup', 'answer'],
      ['qwen25-json', [130, 44, 230, 170], 'blue cup', 'answer'],
    ]);
    assert.equal(slice(text, r.boxes[0]!), '{"bbox_2d": [12, 40, 118, 160], "label": "red cup"}');
    assert.ok(r.boxes.every((b) => b.frameHint === null && b.issues.length === 0));
    // agrees with the existing Qwen2.5-VL parser
    assert.deepEqual(
      parseQwen25Boxes(text).map((b) => [b.raw, b.span, b.part, b.label]),
      r.boxes.map((b) => [b.raw, b.span, b.part, b.label]),
    );
  });

  it('Qwen2.5-VL: single quotes, escaped-quote JSON and a bare object in <think>', () => {
    const a = parseBoxes("<think>{'bbox_2d': [1.5, 2, 30, 40,], 'label': 'it\\'s'}</think>").boxes;
    assert.deepEqual(a.map(brief), [['qwen25-json', [1.5, 2, 30, 40], "it's", 'think']]);
    const esc = '{\\"bbox_2d\\": [1, 2, 3, 4], \\"label\\": \\"big cup\\"}';
    const b = parseBoxes(esc).boxes;
    assert.equal(b.length, 1);
    assert.deepEqual(b[0]!.raw, [1, 2, 3, 4]);
    assert.equal(b[0]!.label, 'big cup');
  });

  it("Visual-RFT: two {'Position': …, 'Confidence': c} dicts from the debug log, confidence kept, norm1000", () => {
    const text = firstLine('visual-rft__debug_log_2b_GRPO_coco_base65cate_6k.txt', 'content: ');
    const r = parseBoxes(text);
    assert.deepEqual(r.boxes.map((b) => [b.convention, b.raw, b.confidence, b.part, b.frameHint]), [
      ['visual-rft-position', [254, 303, 491, 765], 0.9, 'answer', 'norm1000'],
      ['visual-rft-position', [520, 310, 700, 720], 0.6, 'answer', 'norm1000'],
    ]);
    assert.equal(slice(text, r.boxes[1]!), "{'Position': [520, 310, 700, 720], 'Confidence': 0.6}");
  });

  it('Visual-RFT LISA: <answer>(x1,y1),(x2,y2)</answer>, no label, norm1000', () => {
    const text = '<think>The person holding the umbrella is on the left.</think> <answer>(120,340),(560,780)</answer>';
    const [b, ...rest] = parseBoxes(text).boxes;
    assert.equal(rest.length, 0);
    assert.deepEqual(brief(b!), ['qwen2-points', [120, 340, 560, 780], undefined, 'answer']);
    assert.equal(b!.frameHint, 'norm1000');
    assert.equal(slice(text, b!), '(120,340),(560,780)');
  });

  it('Qwen2-VL with special tokens stripped: label(x1,y1),(x2,y2)', () => {
    const text = 'In the image: the red car(102,345),(567,788) is parked next to a tree(600,10),(990,700).';
    const r = parseBoxes(text).boxes;
    assert.deepEqual(r.map((b) => [b.convention, b.raw, b.label]), [
      ['qwen2-points', [102, 345, 567, 788], 'the red car'],
      ['qwen2-points', [600, 10, 990, 700], 'is parked next to a tree'],
    ]);
    assert.equal(slice(text, r[0]!), 'the red car(102,345),(567,788)');
  });

  it('Qwen2-VL with special tokens kept: the span covers the tokens, the label is the object ref', () => {
    const m = '<|object_ref_start|>the red car<|object_ref_end|><|box_start|>(102,345),(567,788)<|box_end|>';
    const text = `<|im_start|>assistant\n${m}<|im_end|>`;
    const [b, ...rest] = parseBoxes(text).boxes;
    assert.equal(rest.length, 0);
    assert.deepEqual([b!.convention, b!.raw, b!.label, b!.frameHint], ['qwen2-points', [102, 345, 567, 788], 'the red car', 'norm1000']);
    assert.equal(slice(text, b!), m);
  });

  it('InternVL: several boxes in one <box>, each labelled by the <ref> before it, reported once', () => {
    const text = 'Found <ref>person</ref><box>[[10, 20, 300, 400], [500, 60, 700, 980]]</box> and <ref>dog</ref><box>[[1,2,3,4]]</box>.';
    const r = parseBoxes(text);
    assert.equal(r.count, 3);
    assert.deepEqual(r.boxes.map((b) => [b.convention, b.raw, b.label, b.frameHint]), [
      ['internvl', [10, 20, 300, 400], 'person', 'norm1000'],
      ['internvl', [500, 60, 700, 980], 'person', 'norm1000'],
      ['internvl', [1, 2, 3, 4], 'dog', 'norm1000'],
    ]);
    assert.equal(slice(text, r.boxes[2]!), '<ref>dog</ref><box>[[1,2,3,4]]</box>');
    assert.ok(slice(text, r.boxes[0]!).startsWith('<ref>person</ref><box>[[10, 20, 300, 400]'));
    assert.ok(slice(text, r.boxes[1]!).endsWith('[500, 60, 700, 980]]</box>'));
  });

  it('\\boxed{[…]} from the real RefCOCOs Qwen2.5-VL-7B output; \\boxed{[]} is no box', () => {
    const r = parseBoxes(REFCOCOS_EXAMPLE_0);
    assert.equal(r.count, 1);
    const b = r.boxes[0]!;
    assert.deepEqual([b.convention, b.raw, b.part, b.frameHint], ['boxed', [445, 135, 555, 253], 'other', null]);
    assert.equal(slice(REFCOCOS_EXAMPLE_0, b), '\\boxed{[445, 135, 555, 253]}');
    assert.equal(parseBoxes('Final answer: \\boxed{[]}\\').count, 0);
    assert.equal(parseBoxes('- Top-left corner: (x1, y1)\n- Bottom-right corner: (x2, y2)').count, 0);
  });

  it('Florence-2: label<loc_x1><loc_y1><loc_x2><loc_y2>, 1000 bins, x first, several objects', () => {
    const text = '</s><s>car<loc_52><loc_333><loc_932><loc_774>door handle<loc_610><loc_500><loc_650><loc_530></s>';
    const r = parseBoxes(text).boxes;
    assert.deepEqual(r.map((b) => [b.convention, b.raw, b.label, b.frameHint]), [
      ['florence-loc', [52, 333, 932, 774], 'car', 'bins1000'],
      ['florence-loc', [610, 500, 650, 530], 'door handle', 'bins1000'],
    ]);
    assert.equal(slice(text, r[1]!), 'door handle<loc_610><loc_500><loc_650><loc_530>');
    assert.equal(parseBoxes('<poly><loc_1><loc_2><loc_3><loc_4><loc_5><loc_6></poly>').count, 0, 'polygons are not boxes');
  });

  it('PaliGemma: <locY1><locX1><locY2><locX2> label, reordered to x1, y1, x2, y2, 1024 bins', () => {
    const text = '<loc0100><loc0200><loc0300><loc0400> cat ; <loc0010><loc0020><loc1023><loc1000> dog';
    const r = parseBoxes(text).boxes;
    assert.deepEqual(r.map((b) => [b.convention, b.raw, b.label, b.frameHint, b.issues]), [
      ['paligemma-loc', [200, 100, 400, 300], 'cat', 'bins1024', []],
      ['paligemma-loc', [20, 10, 1000, 1023], 'dog', 'bins1024', []],
    ]);
    assert.equal(slice(text, r[0]!), '<loc0100><loc0200><loc0300><loc0400> cat');
    // a y-first box that is wide but short: y1=100, x1=50, y2=200, x2=900
    assert.deepEqual(parseBoxes('<loc0100><loc0050><loc0200><loc0900> bus').boxes[0]!.raw, [50, 100, 900, 200]);
    assert.deepEqual(parseBoxes('<loc0100><loc0050><loc0200><loc2000> bus').boxes[0]!.issues, ['out-of-range']);
  });

  it('0–1 floats are norm1-floats; integers and out-of-range floats stay plain-list', () => {
    const text = '<answer>[0.12, 0.3, 0.56, 0.9]</answer> [0, 0, 1, 1] [0.5, 10.5, 20, 30]';
    const r = parseBoxes(text).boxes;
    assert.deepEqual(r.map((b) => [b.convention, b.raw, b.frameHint, b.part]), [
      ['norm1-floats', [0.12, 0.3, 0.56, 0.9], 'norm1', 'answer'],
      ['plain-list', [0, 0, 1, 1], null, 'other'],
      ['plain-list', [0.5, 10.5, 20, 30], null, 'other'],
    ]);
  });

  it('multimodal_cot: inline [x1,y1,x2,y2 label] in <think> from the debug log', () => {
    const text = firstLine('jakhongir0103-multimodal_cot__debug_log_Qwen2.5-VL-7B-GRPO.txt', 'Completion: ');
    const r = parseBoxes(text).boxes;
    assert.deepEqual(r.map(brief), [
      ['inline-labelled', [112, 80, 301, 415], 'man', 'think'],
      ['inline-labelled', [240, 198, 330, 260], 'frisbee', 'think'],
    ]);
    assert.equal(slice(text, r[1]!), '[240,198,330,260 frisbee]');
    assert.ok(r.every((b) => b.frameHint === null));
  });

  it('plain lists in <think> and <answer> (VLM-R1 REC), in order of appearance across conventions', () => {
    const text =
      '<think>The dog is near [100, 200, 300, 400] and the cat at {"bbox_2d": [5, 6, 7, 8]}; ' +
      'also car(1,2),(3,4).</think><answer>[103.93, 299.99, 238.15, 477.41]</answer>';
    const r = parseBoxes(text).boxes;
    assert.deepEqual(r.map((b) => [b.convention, b.part]), [
      ['plain-list', 'think'],
      ['qwen25-json', 'think'],
      ['qwen2-points', 'think'],
      ['plain-list', 'answer'],
    ]);
    assert.deepEqual(r[3]!.raw, [103.93, 299.99, 238.15, 477.41]);
  });
});

describe('parseBoxes: no double counting', () => {
  const cases: Array<[string, BoxConvention]> = [
    ['{"bbox_2d": [1, 2, 3, 4], "label": "x"}', 'qwen25-json'],
    ["[{'Position': [1, 2, 3, 4], 'Confidence': 0.5}]", 'visual-rft-position'],
    ['<ref>a</ref><box>[[1, 2, 3, 4]]</box>', 'internvl'],
    ['<box>[1, 2, 3, 4]</box>', 'internvl'],
    ['\\boxed{[1, 2, 3, 4]}', 'boxed'],
    ['\\boxed{ [0.1, 0.2, 0.3, 0.4] }', 'boxed'],
  ];
  for (const [text, conv] of cases) {
    it(`${text} → once, as ${conv}`, () => {
      const r = parseBoxes(`<answer>${text}</answer>`);
      assert.equal(r.count, 1);
      assert.equal(r.boxes[0]!.convention, conv);
      assert.equal(r.boxes[0]!.frameHint, CONVENTION_FRAME[conv]);
    });
  }

  it('the precedence list names every reported convention family once', () => {
    assert.equal(new Set(BOX_PRECEDENCE).size, BOX_PRECEDENCE.length);
    assert.equal(BOX_PRECEDENCE[0], 'qwen25-json');
  });
});

describe('parseBoxes: bad values are flagged, never fixed', () => {
  it('NaN, infinity, negative, inverted corners, zero area, norm1000 out of range', () => {
    const text = '[nan, 1, 2, 3] [-5, 0, 30, 40] [50, 60, 10, 20] [5, 5, 5, 9] [1e999, 0, 1, 1] <answer>(10,20),(1200,30)</answer>';
    const r = parseBoxes(text).boxes;
    assert.deepEqual(r.map((b) => b.issues), [
      ['nan'],
      ['negative'],
      ['x2<x1', 'y2<y1'],
      ['zero-area'],
      ['infinite', 'x2<x1'],
      ['out-of-range'],
    ]);
    assert.ok(Number.isNaN(r[0]!.raw[0]));
    assert.deepEqual(r[2]!.raw, [50, 60, 10, 20], 'kept as written, not swapped');
    assert.deepEqual(parseBoxes('{"bbox_2d": [300, 20, 100, 40]}').boxes[0]!.raw, [300, 20, 100, 40]);
    assert.deepEqual(parseBoxes('<loc_999><loc_1000><loc_5><loc_6>').boxes[0]!.issues, ['x2<x1', 'y2<y1', 'out-of-range']);
  });

  it('non-strings and empty input give an empty result', () => {
    for (const v of [undefined, null, 42, {}, '']) {
      assert.deepEqual(parseBoxes(v as unknown as string), { boxes: [], truncated: false, count: 0 });
    }
  });
});

describe('parseBoxes: size limits', () => {
  it('10 000 boxes in one completion: first 1000 returned, truncated, count = 10 000, fast', () => {
    const parts: string[] = ['<think>'];
    for (let i = 0; i < 10_000; i++) parts.push(`{"bbox_2d": [${i}, ${i + 1}, ${i + 10}, ${i + 20}], "label": "o${i}"}, `);
    parts.push('</think><answer>done</answer>');
    const text = parts.join('');
    const t0 = Date.now();
    const r = parseBoxes(text);
    const ms = Date.now() - t0;
    assert.equal(r.count, 10_000);
    assert.equal(r.boxes.length, 1000);
    assert.equal(r.truncated, true);
    assert.deepEqual(r.boxes[999]!.raw, [999, 1000, 1009, 1019]);
    assert.equal(r.boxes[999]!.label, 'o999');
    assert.ok(ms < 1000, `${ms} ms`);
    const small = parseBoxes(text, { maxBoxes: 3 });
    assert.deepEqual([small.boxes.length, small.truncated, small.count], [3, true, 10_000]);
    const all = parseBoxes(text, { maxBoxes: 20_000 });
    assert.deepEqual([all.boxes.length, all.truncated], [10_000, false]);
  });

  it('1 MB adversarial inputs each parse in well under a second', () => {
    const MB = 1 << 20;
    const rep = (s: string) => s.repeat(Math.ceil(MB / s.length)).slice(0, MB);
    const inputs = [
      '[' + '1'.repeat(MB),
      rep('['),
      rep('[1,'),
      rep('[1,2,3,4 '),
      rep('[1, 2, 3, 4]'),
      rep('(1,2),('),
      rep('(1,2),(3,4)'),
      rep('x(1,2),(3,4)'),
      rep('<loc_1>'),
      rep('<loc0001>'),
      rep('{"bbox_2d": [1, 2, 3, 4], "label": "'),
      rep('"bbox_2d": [1,2,3,4]'),
      rep("{'Position': [1,2,3,4], "),
      rep('<box>[[1,2,3,4],'),
      rep('\\boxed{[1,2,3,4]'),
      rep('<think><answer>'),
      rep('<think></think>[1,2,3,4]'),
      rep('1.1.1.1e1e1e-'),
      rep('<|box_start|>(1,2),(3,4)'),
      rep('<ref></ref><box>'),
    ];
    for (const s of inputs) {
      const t0 = Date.now();
      const r = parseBoxes(s);
      const ms = Date.now() - t0;
      assert.ok(ms < 1000, `${JSON.stringify(s.slice(0, 24))}…: ${ms} ms`);
      assert.ok(r.boxes.length <= 1000);
      const t1 = Date.now();
      firstIntegerBoxInAnswer(s);
      assert.ok(Date.now() - t1 < 1000);
    }
  });
});

describe('firstIntegerBoxInAnswer (VLM-R1 iou_reward rule)', () => {
  it('the first integer [d, d, d, d] inside the first <answer>…</answer>, floats never match', () => {
    const text = '<think>[1, 2, 3, 4]</think><answer>{"bbox_2d": [10.5, 20, 30, 40]} then [11, 21,31,  41] and [5,6,7,8]</answer>';
    const r = firstIntegerBoxInAnswer(text);
    assert.ok(r);
    assert.deepEqual(r.raw, [11, 21, 31, 41]);
    assert.equal(text.slice(r.span[0], r.span[1]), '[11, 21,31,  41]');
  });

  it('only the first <answer> block counts, even when a later one has a box', () => {
    assert.equal(firstIntegerBoxInAnswer('<answer>none</answer><answer>[1,2,3,4]</answer>'), null);
  });

  it('no closing </answer> → null (re.search finds no match); an unclosed first tag runs to the next close', () => {
    assert.equal(firstIntegerBoxInAnswer('<think>x</think><answer>[1, 2, 3, 4]'), null);
    const t = '<answer>[1,2,3,4] <answer>[5,6,7,8]</answer>';
    assert.deepEqual(firstIntegerBoxInAnswer(t)?.raw, [1, 2, 3, 4]);
  });

  it('exactly the regex: no space after [ or before ] or before commas; nested lists match inside; case-sensitive tags', () => {
    assert.equal(firstIntegerBoxInAnswer('<answer>[ 1, 2, 3, 4]</answer>'), null);
    assert.equal(firstIntegerBoxInAnswer('<answer>[1, 2, 3, 4 ]</answer>'), null);
    assert.equal(firstIntegerBoxInAnswer('<answer>[1 , 2, 3, 4]</answer>'), null);
    assert.equal(firstIntegerBoxInAnswer('<answer>[-1, 2, 3, 4]</answer>'), null);
    assert.equal(firstIntegerBoxInAnswer('<ANSWER>[1, 2, 3, 4]</ANSWER>'), null);
    assert.deepEqual(firstIntegerBoxInAnswer('<answer>[[1,\n2,\t3, 4]]</answer>')?.raw, [1, 2, 3, 4]);
    assert.deepEqual(firstIntegerBoxInAnswer('<answer>[1,2,3,4,5] [007,8,9,10]</answer>')?.raw, [7, 8, 9, 10]);
    assert.equal(firstIntegerBoxInAnswer(42 as unknown as string), null);
  });

  it('Python semantics: Unicode digits are \\d, U+001C is \\s, U+FEFF is not', () => {
    assert.deepEqual(firstIntegerBoxInAnswer('<answer>[١٢,٣,٤,٥]</answer>')?.raw, [12, 3, 4, 5]);
    assert.deepEqual(firstIntegerBoxInAnswer('<answer>[1,\u001c2,3,4]</answer>')?.raw, [1, 2, 3, 4]);
    assert.equal(firstIntegerBoxInAnswer('<answer>[1,\ufeff2,3,4]</answer>'), null);
    assert.equal(firstIntegerBoxInAnswer(`<answer>[${'9'.repeat(4301)},1,2,3]</answer>`), null, 'int() ValueError → no box');
  });
});

// ---------------------------------------------------------------------------------------------------
// Properties

const REAL = [
  '<think>x</think><answer>```json\n[\n  {"bbox_2d": [1, 2, 3, 4], "label": "a"},\n  {"bbox_2d": [5, 6, 7, 8], "label": "b"}\n]\n```</answer>',
  "<think>The image shows two dogs.</think> <answer>[{'Position': [254, 303, 491, 765], 'Confidence': 0.9}]</answer>",
  '<|object_ref_start|>the car<|object_ref_end|><|box_start|>(102,345),(567,788)<|box_end|>',
  '<ref>person</ref><box>[[10, 20, 300, 400], [500, 60, 700, 980]]</box>',
  REFCOCOS_EXAMPLE_0,
  'car<loc_52><loc_333><loc_932><loc_774>',
  '<loc0100><loc0200><loc0300><loc0400> cat ; ',
  '<think>I see a [150,60,290,400 person] near a [20,300,120,380 dog].</think> <answer>(A) leash</answer>',
  '<answer>[0.1, 0.2, 0.5, 0.9]</answer>',
];

function checkInvariants(text: string, max?: number): void {
  const r = parseBoxes(text, max === undefined ? undefined : { maxBoxes: max });
  assert.ok(r.count >= r.boxes.length);
  assert.equal(r.truncated, r.count > r.boxes.length);
  let prevEnd = 0;
  for (const b of r.boxes) {
    assert.ok(b.span[0] >= prevEnd && b.span[0] < b.span[1] && b.span[1] <= text.length, 'sorted, non-overlapping spans');
    prevEnd = b.span[1];
    assert.equal(b.raw.length, 4);
    assert.equal(b.frameHint, CONVENTION_FRAME[b.convention]);
    assert.ok(['think', 'answer', 'other'].includes(b.part));
  }
}

const mutation = fc.record({
  at: fc.nat(),
  del: fc.nat({ max: 8 }),
  ins: fc.string({ maxLength: 12, unit: fc.constantFrom(...'[](){}<>,.-0123456789 \'"_:|/\\abnxlocsp') }),
});

describe('parseBoxes: properties', () => {
  it('never throws on arbitrary strings (full Unicode, lone surrogates)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.option(fc.integer({ min: -5, max: 50 })), (s, max) => {
        checkInvariants(s, max ?? undefined);
        firstIntegerBoxInAnswer(s);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on box-ish random strings', () => {
    const unit = fc.constantFrom(...'[](){}<>,.-+eE0123456789  \n\'"_:|\\/aboxdeflnprst', '<loc_', '<loc0', 'bbox_2d', 'Position', '<box>', '</box>', '<answer>', '</answer>', '<think>', '\\boxed{', '<|box_start|>', 'nan');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 200 }), (s) => {
        checkInvariants(s);
        const f = firstIntegerBoxInAnswer(s);
        if (f) assert.ok(/^\[\d+,\s*\d+,\s*\d+,\s*\d+\]$/.test(s.slice(f.span[0], f.span[1])));
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on mutated real completions', () => {
    fc.assert(
      fc.property(fc.constantFrom(...REAL), fc.array(mutation, { maxLength: 6 }), (base, muts) => {
        let s = base;
        for (const m of muts) {
          const at = m.at % (s.length + 1);
          s = s.slice(0, at) + m.ins + s.slice(at + m.del);
        }
        checkInvariants(s);
        firstIntegerBoxInAnswer(s);
      }),
      { numRuns: 1000 },
    );
  });

  it('generated boxes of every convention are all found, in order, with their values', () => {
    const int = fc.integer({ min: 0, max: 999 });
    const four = fc.tuple(int, int, int, int);
    const kind = fc.constantFrom<BoxConvention>('qwen25-json', 'visual-rft-position', 'internvl', 'boxed', 'qwen2-points', 'florence-loc', 'paligemma-loc', 'inline-labelled', 'plain-list');
    const filler = fc.string({ unit: fc.constantFrom(...'abc xyz\n.'), maxLength: 10 });
    const render = (k: BoxConvention, [a, b, c, d]: number[]): string => {
      switch (k) {
        case 'qwen25-json': return `{"bbox_2d": [${a}, ${b}, ${c}, ${d}], "label": "l"}`;
        case 'visual-rft-position': return `{'Position': [${a}, ${b}, ${c}, ${d}], 'Confidence': 0.5}`;
        case 'internvl': return `<ref>l</ref><box>[[${a}, ${b}, ${c}, ${d}]]</box>`;
        case 'boxed': return `\\boxed{[${a}, ${b}, ${c}, ${d}]}`;
        case 'qwen2-points': return `<|box_start|>(${a},${b}),(${c},${d})<|box_end|>`;
        case 'florence-loc': return `dog<loc_${a}><loc_${b}><loc_${c}><loc_${d}>`;
        case 'paligemma-loc': return `<loc${String(b).padStart(4, '0')}><loc${String(a).padStart(4, '0')}><loc${String(d).padStart(4, '0')}><loc${String(c).padStart(4, '0')}> cat;`;
        case 'inline-labelled': return `[${a},${b},${c},${d} thing]`;
        default: return `[${a}, ${b}, ${c}, ${d}]`;
      }
    };
    fc.assert(
      fc.property(fc.array(fc.tuple(kind, four, filler), { maxLength: 8 }), filler, (items, head) => {
        let text = head;
        for (const [k, v, f] of items) text += ' ' + render(k, v) + ' ' + f;
        const r = parseBoxes(text);
        assert.deepEqual(r.boxes.map((b) => [b.convention, b.raw]), items.map(([k, v]) => [k, v]));
        for (const b of r.boxes) {
          const again = parseBoxes(slice(text, b)).boxes;
          assert.deepEqual(again.map((x) => [x.convention, x.raw]), [[b.convention, b.raw]], 'the span holds the whole mention');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('the binary-search part lookup agrees with qwen25 partAt', () => {
    const unit = fc.constantFrom('<think>', '</think>', '<answer>', '</answer>', 'a', ' ');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 30 }), fc.nat(), (s, p) => {
        const regions = traceRegions(s);
        const pos = p % (s.length + 1);
        assert.equal(fastPartAt(regions, pos), partAt(regions, pos));
      }),
      { numRuns: 1000 },
    );
  });

  it('1 MB of random box-ish text parses in under a second', () => {
    const alphabet = '[](){}<>,.0123456789 \n\'"_:abox';
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const chars: string[] = new Array(1 << 20);
    for (let i = 0; i < chars.length; i++) chars[i] = alphabet[Math.floor(rnd() * alphabet.length)]!;
    const s = chars.join('');
    const t0 = Date.now();
    checkInvariants(s);
    assert.ok(Date.now() - t0 < 1000);
  });
});
