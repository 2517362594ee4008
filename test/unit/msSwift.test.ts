import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { MsSwiftLog, msSwiftReader, openMsSwift, parseMsSwiftLine } from '../../extension/core/formats/msSwift';
import type { RunContext } from '../../extension/core/runs/context';
import { FIXTURES, tempDir } from './helpers';

const FIXTURE = path.join(FIXTURES, 'frameworks', 'ms-swift__completions.jsonl');
const LINE = fs.readFileSync(FIXTURE, 'utf8').trim();
const TABLE = JSON.parse(LINE) as {
  step: string[];
  prompt: string[];
  completion: string[];
  IoUReward: number[];
  Format: number[];
  advantages: number[];
  solution: string[];
};

function writeFile(lines: string[]): string {
  const file = path.join(tempDir(), 'output', 'completions.jsonl');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

describe('ms-swift completions.jsonl reader: the fixture', () => {
  let log: MsSwiftLog;
  before(async () => {
    log = (await msSwiftReader.open([FIXTURE], {})) as MsSwiftLog;
  });
  after(() => log.close());

  it('is recognised by its column-oriented first line (and not mistaken for other JSONL)', () => {
    const head = fs.readFileSync(FIXTURE);
    assert.equal(msSwiftReader.sniff(FIXTURE, head), true);
    assert.equal(msSwiftReader.sniff('/x/completions.jsonl', head.subarray(0, 400)), true); // cut inside the prompt list
    assert.equal(msSwiftReader.sniff('/x/other.jsonl', head.subarray(0, 400)), false);
    assert.equal(msSwiftReader.sniff('/x/r.jsonl', Buffer.from('{"step": 3, "group_id": "a", "completion": "x"}\n')), false);
    assert.equal(msSwiftReader.sniff('/x/12.jsonl', Buffer.from('{"input": "q", "output": "a", "score": 1, "step": 12}\n')), false);
  });

  it('reads one line as 4 rows, one group of G = 4 (from the advantages), rewards by their logged names', () => {
    assert.equal(log.format, 'ms-swift-jsonl');
    assert.equal(log.recordCount, 4);
    assert.deepEqual(log.issues, []);
    assert.deepEqual(log.groups.map((g) => [g.step, g.groupId, g.records]), [[10, '0', [0, 1, 2, 3]]]);
    assert.equal(log.grouping.groupSize, 4);
    assert.equal(log.grouping.method, 'blocks');
    assert.deepEqual(log.advantage, { source: 'logged' });
    assert.deepEqual([...log.columns!.rewards.keys()], ['IoUReward', 'Format']);
    assert.deepEqual([...log.columns!.rewards.get('IoUReward')!], TABLE.IoUReward);
    assert.deepEqual([...log.columns!.rewards.get('Format')!], TABLE.Format);
    assert.deepEqual([...log.columns!.advantage], TABLE.advantages);
    assert.deepEqual([0, 1, 2, 3].map((i) => log.lineOf(i)), [1, 1, 1, 1]);
    assert.deepEqual(log.duplicates, []);
  });

  it('reads each row: solution as reference boxes, advantages as advantage, image pad count in extra', () => {
    for (let k = 0; k < 4; k++) {
      const { rollout: r, issues } = log.read(k);
      assert.deepEqual(issues, []);
      assert.ok(r);
      assert.equal(r.step, 10);
      assert.equal(r.indexInGroup, k);
      assert.equal(r.prompt.text, TABLE.prompt[k]);
      assert.deepEqual(r.prompt.images, []);
      assert.equal(r.completion, TABLE.completion[k]);
      assert.deepEqual(r.rewards, { IoUReward: TABLE.IoUReward[k], Format: TABLE.Format[k] });
      assert.equal(r.advantage, TABLE.advantages[k]);
      assert.equal(r.advantageSource, 'logged');
      assert.equal(r.reference.answer, '[103.93, 299.99, 238.15, 477.41]');
      assert.deepEqual(r.reference.boxes.map((b) => [b.box, b.frame, b.frameAssumed]), [[[103.93, 299.99, 238.15, 477.41], 'original', true]]);
      assert.deepEqual(r.extra, { index_in_line: k, image_pad_tokens: [345] });
      assert.deepEqual(r.source, { file: FIXTURE, line: 1 });
    }
    assert.deepEqual(log.read(0).rollout!.predicted.map((b) => b.raw), [[102, 302, 234, 480]]);
    assert.deepEqual(log.read(3).rollout!.predicted.map((b) => [b.raw, b.part]), [[[105, 301, 236, 478], 'answer']]);
  });
});

describe('ms-swift completions.jsonl reader: several steps and bad lines', () => {
  it('counts a line that repeats the previous generation batch once', async () => {
    const again = LINE.replace(/"10"/g, '"11"');
    const next = JSON.stringify({ ...TABLE, step: ['12', '12', '12', '12'], completion: TABLE.completion.map((c) => c + ' ') });
    const file = writeFile([LINE, again, next]);
    const log = await openMsSwift(file);
    try {
      assert.equal(log.recordCount, 8);
      assert.deepEqual(log.steps, [10, 12]);
      assert.deepEqual(log.duplicates, [{ file, line: 2, duplicateOf: file, duplicateOfLine: 1, rows: 4 }]);
      assert.deepEqual(log.issues.map((i) => [i.line, i.severity, i.message]), [[2, 'warning', 'line 2 repeats the generation batch of line 1; counted once (4 rows skipped)']]);
      assert.deepEqual([4, 5, 6, 7].map((i) => log.lineOf(i)), [3, 3, 3, 3]);
      assert.equal(log.read(5).rollout!.completion, TABLE.completion[1] + ' ');
      assert.equal(log.read(0).rollout!.completion, TABLE.completion[0]);
    } finally {
      log.close();
    }
  });

  it('lists of unequal length: an issue with file and line, the line read up to the shortest list', async () => {
    const short = JSON.stringify({ ...TABLE, Format: TABLE.Format.slice(0, 3), num_turns: [1, 1, 1, 1] });
    const file = writeFile([short]);
    const log = await openMsSwift(file);
    try {
      assert.equal(log.recordCount, 3);
      assert.deepEqual(log.issues.map((i) => [i.file, i.line, i.severity, i.message]), [
        [
          file,
          1,
          'warning',
          'lists of unequal length (step 4, prompt 4, completion 4, IoUReward 4, Format 3, advantages 4, solution 4, num_turns 4): read up to the shortest (3)',
        ],
      ]);
      // num_turns is a known extra, not a reward
      assert.deepEqual([...log.columns!.rewards.keys()], ['IoUReward', 'Format']);
      assert.equal(log.read(2).rollout!.extra.num_turns, 1);
      assert.equal(log.read(3).rollout, null);
    } finally {
      log.close();
    }
  });

  it('bad lines are errors with their line; the other lines are read', async () => {
    const file = writeFile([
      LINE,
      '{"step": ["11"], "prompt": ["p"], "completion": ["c"',
      '[1, 2, 3]',
      '{"step": ["12"], "prompt": ["p"]}',
      '{"step": "13", "prompt": ["p"], "completion": ["c"], "acc": ["x"], "advantages": [0]}',
      JSON.stringify({ step: ['x'], prompt: ['q'], completion: ['c'], MyReward: [NaN], advantages: [0] }).replace('null', 'NaN'),
    ]);
    const log = await openMsSwift(file);
    try {
      assert.equal(log.recordCount, 6);
      assert.deepEqual(
        log.issues.map((i) => [i.line, i.severity, i.message.replace(/: .*$/, '')]),
        [
          // six rows at step 10 whose advantages sum to 0 only as one block: G = 6 is inferred, and flagged
          [1, 'warning', '1 group mix different prompts (first'],
          [2, 'error', 'not valid JSON'],
          [3, 'error', 'not a JSON object (got a list)'],
          [4, 'error', 'no completion list'],
          [5, 'warning', 'step is "13", not a list'],
          [5, 'warning', 'no step list'],
          [6, 'warning', 'NaN/Infinity in the line read as null'],
          [6, 'warning', 'step "x" is not an integer ≥ 0'],
        ],
      );
      // the steps fall back to the previous line's
      assert.deepEqual(log.steps, [10]);
      assert.equal(log.read(4).rollout!.extra.acc, 'x');
      assert.deepEqual(log.read(5).rollout!.rewards, { MyReward: null });
    } finally {
      log.close();
    }
  });

  it('context reward functions decide which numeric lists are rewards; G from the context', async () => {
    const context: RunContext = {
      groupSize: { value: 2, source: 'rollout-lens.json', assumed: false },
      rewardFuncs: { value: ['IoUReward'], source: 'rollout-lens.json', assumed: false },
    };
    const log = await openMsSwift(FIXTURE, { context });
    try {
      assert.deepEqual([...log.columns!.rewards.keys()], ['IoUReward']);
      assert.deepEqual(log.groups.map((g) => g.records), [
        [0, 1],
        [2, 3],
      ]);
      assert.equal(log.read(3).rollout!.extra.Format, 0);
    } finally {
      log.close();
    }
  });

  it('indexes long lines by offset with a small read size and reads them back', async () => {
    const big = 'x'.repeat(300 * 1024);
    const l1 = JSON.stringify({ ...TABLE, prompt: TABLE.prompt.map((p) => p + big) });
    const l2 = JSON.stringify({ ...TABLE, step: ['20', '20', '20', '20'], completion: TABLE.completion.map((c, k) => `${c} #${k}`) });
    const file = writeFile([l1, l2]);
    const log = await openMsSwift(file, { chunkSize: 64 * 1024 });
    try {
      assert.equal(log.recordCount, 8);
      assert.equal(log.read(6).rollout!.completion, `${TABLE.completion[2]} #2`);
      assert.equal(log.read(1).rollout!.prompt.text.length, TABLE.prompt[1].length + big.length);
      assert.equal(log.read(7).rollout!.step, 20);
    } finally {
      log.close();
    }
  });
});

describe('ms-swift line parser: properties', () => {
  it('never throws on arbitrary text, and never reads past the shortest list', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const out = parseMsSwiftLine(s);
        if (!('error' in out)) for (const list of Object.values(out.columns)) assert.ok(out.count <= list.length);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on random column objects and mutated fixture lines', () => {
    const cell = fc.oneof(fc.string({ maxLength: 20 }), fc.double(), fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }));
    const line = fc.dictionary(
      fc.oneof(fc.constantFrom('step', 'prompt', 'completion', 'advantages', 'solution', 'IoUReward', 'Format', 'reward'), fc.string({ maxLength: 8 })),
      fc.oneof(fc.array(cell, { maxLength: 6 }), cell),
    );
    fc.assert(
      fc.property(line, (o) => {
        const out = parseMsSwiftLine(JSON.stringify(o));
        if (!('error' in out)) for (const list of Object.values(out.columns)) assert.ok(out.count <= list.length);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.nat(LINE.length), fc.nat(LINE.length), fc.string({ maxLength: 5 }), (a, b, ins) => {
        const [s, e] = a <= b ? [a, b] : [b, a];
        parseMsSwiftLine(LINE.slice(0, s) + ins + LINE.slice(e));
      }),
      { numRuns: 300 },
    );
  });

  it('opening files of random lines never throws, and every record reads', async () => {
    const dir = tempDir();
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.constant(LINE),
            fc.string({ maxLength: 40 }).map((s) => s.replace(/\n/g, ' ')),
            fc.record({ step: fc.array(fc.constantFrom('1', '2', 'x'), { maxLength: 4 }), prompt: fc.array(fc.string({ maxLength: 5 }), { maxLength: 4 }), completion: fc.array(fc.string({ maxLength: 5 }), { maxLength: 4 }), R: fc.array(fc.oneof(fc.double(), fc.constant(null)), { maxLength: 4 }) }).map((o) => JSON.stringify(o)),
          ),
          { maxLength: 6 },
        ),
        async (lines) => {
          const file = path.join(dir, 'completions.jsonl');
          fs.writeFileSync(file, lines.join('\n'));
          const log = await openMsSwift(file);
          try {
            for (let i = 0; i < log.recordCount; i++) assert.ok(log.read(i).rollout);
          } finally {
            log.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
