import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { RewardKeys } from '../../extension/core/formats/rolloutLensJsonl';
import {
  VerlLog,
  extractBoxed,
  extractVerlFields,
  listVerlStepFiles,
  openVerl,
  sniffVerl,
  sortStepFiles,
  verlReader,
} from '../../extension/core/formats/verl';
import { recomputeAdvantages } from '../../extension/core/formats/log';
import { FIXTURES, tempDir, writeLines } from './helpers';

const DIR = path.join(FIXTURES, 'frameworks', 'verl', 'rollout_data_dir');
const STEP12 = path.join(DIR, '12.jsonl');
const STEP3 = path.join(DIR, '3.jsonl');

/** verl's GRPO (norm_adv_by_std_in_grpo): (r − mean) / (unbiased std + ε). */
function grpo(scores: number[], eps = 1e-6): number[] {
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const std = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / (scores.length - 1));
  return scores.map((s) => (s - mean) / (std + eps));
}

function row(input: string, output: string, gts: unknown, score: number, step: number, more: Record<string, unknown> = {}): Record<string, unknown> {
  return { input, output, gts, score, step, ...more };
}

describe('verl rollout dumps: the fixtures', () => {
  let log: VerlLog;
  before(async () => {
    log = await openVerl([STEP12]);
  });
  after(() => log.close());

  it('is recognised from its first line (and only verl lines are)', () => {
    const head = fs.readFileSync(STEP12);
    assert.equal(sniffVerl(STEP12, head), true);
    assert.equal(sniffVerl(STEP3, fs.readFileSync(STEP3)), true);
    assert.equal(verlReader.id, 'verl-jsonl');
    assert.equal(sniffVerl('/x/run.rollouts.jsonl', Buffer.from('{"step": 0, "group_id": "a", "index_in_group": 0, "completion": "x"}\n')), false);
    assert.equal(sniffVerl('/x/a.jsonl', Buffer.from('{"input": "a", "output": "b"}\n')), false, 'no score or step');
    // a first line cut off by the 64 KB head: the keys seen so far, and the <step>.jsonl name
    const cut = Buffer.from('{"input": "q", "output": "' + 'x'.repeat(100));
    assert.equal(sniffVerl('/x/7.jsonl', cut), true);
    assert.equal(sniffVerl('/x/notes.jsonl', cut), false);
    assert.equal(sniffVerl('/x/7.jsonl', Buffer.from('{"prompt": "q", "output": "a", "score": 1}\n')), false);
    assert.equal(sniffVerl('/x/7.jsonl', Buffer.from('not json')), false);
  });

  it('reads counts, one group of G = 4 (assumed: the most common size), steps and scores', () => {
    assert.equal(log.format, 'verl-jsonl');
    assert.equal(log.recordCount, 4);
    assert.deepEqual(log.steps, [12]);
    assert.deepEqual(log.groups.map((g) => [g.step, g.groupId, g.records]), [[12, '0', [0, 1, 2, 3]]]);
    assert.deepEqual(log.grouping, { method: 'key', irregular: 0, groupSize: 4, groupSizeSource: 'the most common group size in the log', groupSizeAssumed: true });
    const c = log.columns;
    assert.deepEqual([...c.reward], [0.9941347939768489, 0.7539767908835358, 0.1, 0.8539768593565674]);
    assert.deepEqual([...c.rewards.keys()], ['score', 'iou', 'format']);
    assert.deepEqual([...c.rewards.get('iou')!], [0.993483104418721, 0.7266408787594841, 0.0, 0.9488631770628526]);
    assert.deepEqual([...c.rewards.get('format')!], [1, 1, 1, 0]);
    assert.deepEqual(log.issues, []);
  });

  it('recomputes GRPO advantages on score (unbiased std, ε = 1e-6), marked as assumed', () => {
    const expected = grpo([0.9941347939768489, 0.7539767908835358, 0.1, 0.8539768593565674]);
    const got = [...log.columns.advantage];
    got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-12, `${v} vs ${expected[i]}`));
    assert.equal(log.advantage.source, 'recomputed');
    assert.match(log.advantage.assumptions!, /GRPO .*ε = 0\.000001 \(assumed: verl default \(norm_adv_by_std_in_grpo\)\); G = 4 \(assumed/);
    assert.match(log.advantage.assumptions!, /reward = score/);
  });

  it('reads a record: prompt = input, completion = output, gts as reference, boxes, rewards, recomputed advantage', () => {
    const { rollout: r, issues } = log.read(1);
    assert.deepEqual(issues, []);
    assert.ok(r);
    assert.equal(r.step, 12);
    assert.equal(r.groupId, '0');
    assert.equal(r.indexInGroup, 1);
    assert.match(r.prompt.text, /^system\nYou are a helpful assistant\.\nuser\nPlease provide the bounding box/);
    assert.deepEqual(r.prompt.images, []);
    assert.match(r.completion, /^<think>The lady in blue/);
    assert.equal(r.answer, '{"bbox_2d": [98, 288, 251, 500], "label": "lady"}');
    assert.equal(r.reference.answer, '[103.93, 299.99, 238.15, 477.41]');
    assert.deepEqual(r.reference.boxes.map((b) => b.raw), [[103.93, 299.99, 238.15, 477.41]]);
    assert.deepEqual(r.predicted.map((b) => [b.raw, b.label, b.part, b.frame, b.frameAssumed]), [[[98, 288, 251, 500], 'lady', 'answer', 'original', true]]);
    assert.deepEqual(r.rewards, { score: 0.7539767908835358, iou: 0.7266408787594841, format: 1 });
    assert.equal(r.reward, 0.7539767908835358);
    assert.equal(r.advantageSource, 'recomputed');
    assert.equal(r.advantage, log.columns.advantage[1]);
    assert.deepEqual(r.source, { file: STEP12, line: 2 });
    // a bare [x1, y1, x2, y2] answer is a predicted box too
    const r3 = log.read(3).rollout!;
    assert.deepEqual(r3.predicted.map((b) => [b.raw, b.part]), [[[105, 301, 236, 478], 'answer']]);
  });

  it('reads the real geo3k record: float32 score, \\boxed{} answer, one completion (no advantage)', async () => {
    const one = await openVerl([STEP3]);
    assert.equal(one.recordCount, 1);
    const r = one.read(0).rollout!;
    assert.equal(r.reward, 0.8999999761581421);
    assert.equal(r.answer, 'x = 6');
    assert.equal(r.reference.answer, '6');
    assert.equal(r.advantage, null);
    assert.equal(one.advantage.source, 'none');
    one.close();
  });

  it('opens the folder: step files in int(stem) order, one log, and is a FormatReader', async () => {
    const l = await verlReader.open(sortStepFiles([STEP12, STEP3]), { target: DIR });
    assert.deepEqual(l.files, [STEP3, STEP12]);
    assert.deepEqual(l.steps, [3, 12]);
    assert.equal(l.recordCount, 5);
    assert.deepEqual(l.groups.map((g) => [g.step, g.records.length]), [[3, 1], [12, 4]]);
    // G = 4 is the most common size: the single-completion group is reported
    assert.deepEqual(l.issues.map((i) => [path.basename(i.file), i.line, i.severity]), [['3.jsonl', 1, 'warning']]);
    assert.match(l.issues[0].message, /group 0 at step 3 holds 1 completion, expected G = 4 \(assumed\)/);
    assert.equal(l.grouping.irregular, 1);
    l.close();
  });
});

describe('verl rollout dumps: grouping, extraction, growing folders', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('groups shuffled rows by input + gts within a step (not contiguous), numbered by first appearance', async () => {
    const f = path.join(dir, '5.jsonl');
    const order = ['a', 'b', 'a', 'c', 'b', 'a', 'c', 'b', 'c', 'a', 'b', 'c'];
    const rows = order.map((p, i) => row(`prompt ${p}`, `out ${i}`, p === 'c' ? ['gt', 1] : `gt-${p}`, i / 10, 5));
    // same input, other gts: another group
    rows.push(row('prompt a', 'out x', 'other-gt', 0.5, 5));
    writeLines(f, rows);
    const log = await openVerl([f]);
    assert.deepEqual(
      log.groups.map((g) => [g.groupId, g.records]),
      [
        ['0', [0, 2, 5, 9]],
        ['1', [1, 4, 7, 10]],
        ['2', [3, 6, 8, 11]],
        ['3', [12]],
      ],
    );
    assert.equal(log.grouping.groupSize, 4);
    assert.equal(log.grouping.irregular, 1);
    const adv = log.columns.advantage;
    const expectA = grpo([0, 0.2, 0.5, 0.9]);
    [0, 2, 5, 9].forEach((r, k) => assert.ok(Math.abs(adv[r] - expectA[k]) < 1e-12));
    assert.ok(Number.isNaN(adv[12]), 'a single completion has no advantage');
    assert.equal(log.read(8).rollout!.indexInGroup, 2);
    assert.equal(log.read(3).rollout!.reference.answer, '["gt",1]');
    log.close();
  });

  it('is string-aware: an output containing "score": 5 or "step": 99 does not fool it', async () => {
    const f = path.join(dir, '2.jsonl');
    const tricky = 'I think "score": 5, "step": 99, "iou": 7 and {"input": "x"} } ] \\" \\\\';
    writeLines(f, [
      row('q', tricky, '1', 0.25, 2, { acc: 1 }),
      row('q', '{"score": 9}', '1', 0.75, 2, { acc: 0 }),
      '{"output": "\\"step\\": 7, \\"score\\": 3", "input": "q", "gts": "1", "score": 0.5, "step": 2, "acc": 1}',
    ]);
    const log = await openVerl([f]);
    assert.deepEqual(log.issues, []);
    assert.deepEqual([0, 1, 2].map((i) => log.stepOf(i)), [2, 2, 2]);
    assert.deepEqual([...log.columns.reward], [0.25, 0.75, 0.5]);
    assert.deepEqual([...log.columns.rewards.keys()], ['score', 'acc']);
    assert.deepEqual(log.groups.map((g) => g.records), [[0, 1, 2]]);
    assert.equal(log.read(0).rollout!.completion, tricky);
    log.close();
  });

  it('makes every numeric key a reward column; strings and lists go to extra; a validation dump total is `reward`', async () => {
    const f = path.join(dir, '1.jsonl');
    writeLines(f, [
      { input: 'q', output: 'a', gts: 'g', score: 1, step: 1, acc: 1, format: 0, pred: '3', request_id: 'r-1', nested: { x: 1 }, ok: true, maybe: null },
      { input: 'q', output: 'b', gts: 'g', score: 0, step: 1, acc: 0, format: null, pred: '4', request_id: 'r-2', nested: { x: 2 }, ok: false, maybe: 2 },
    ]);
    const log = await openVerl([f]);
    assert.deepEqual([...log.columns.rewards.keys()], ['score', 'acc', 'format', 'maybe']);
    const r = log.read(1).rollout!;
    assert.deepEqual(r.rewards, { score: 0, acc: 0, format: null, maybe: 2 });
    assert.deepEqual(r.extra, { pred: '4', request_id: 'r-2', nested: { x: 2 }, ok: false });
    assert.deepEqual(log.read(0).rollout!.rewards, { score: 1, acc: 1, format: 0, maybe: null });
    log.close();

    const v = path.join(dir, 'val', '3.jsonl');
    writeLines(v, [row('q', 'a', 'g', NaN, 3, { reward: 1 }), row('q', 'b', 'g', NaN, 3, { reward: 0 })].map((o) => JSON.stringify(o).replace('"score":null', '"score":NaN')));
    const val = await openVerl([v]);
    assert.deepEqual([...val.columns.reward], [1, 0], 'NaN score: the total falls back to reward');
    val.close();
  });

  it('recomputes exactly what log.ts recomputeAdvantages gives (GRPO, ε = 1e-6) on many groups', async () => {
    const f = path.join(dir, '1.jsonl');
    const rows = Array.from({ length: 2000 }, (_, i) => row(`p${(i * 7) % 211}`, `o${i}`, 'g', Math.fround(((i * 2654435761) % 1000) / 997), 1));
    writeLines(f, rows);
    const log = await openVerl([f]);
    const ref = new Float64Array(log.recordCount).fill(NaN);
    recomputeAdvantages(log.groups, log.columns.reward, ref, { kind: 'grpo', epsilon: 1e-6, source: 'test', assumed: true });
    assert.ok([...ref].every((v, i) => Object.is(v, log.columns.advantage[i])));
    log.close();
  });

  it('takes G and the estimator from the run context', async () => {
    const f = path.join(dir, '1.jsonl');
    writeLines(f, [row('q', 'a', 'g', 1, 1), row('q', 'b', 'g', 0, 1), row('q', 'c', 'g', 0.5, 1), row('p', 'd', 'g', 1, 1)]);
    const log = await openVerl([f], {
      context: {
        groupSize: { value: 3, source: 'actor_rollout_ref.rollout.n in config.yaml', assumed: false },
        advantageEstimator: { value: 'dr-grpo', source: 'config.yaml', assumed: false },
      },
    });
    assert.deepEqual(log.grouping, { method: 'key', irregular: 1, groupSize: 3, groupSizeSource: 'actor_rollout_ref.rollout.n in config.yaml', groupSizeAssumed: false });
    assert.deepEqual([...log.columns.advantage].slice(0, 3), [0.5, -0.5, 0]);
    assert.match(log.advantage.assumptions!, /Dr\. GRPO .*\(config\.yaml\); G = 3 \(actor_rollout_ref/);
    assert.equal(log.issues.length, 1);
    assert.match(log.issues[0].message, /group 1 at step 1 holds 1 completion, expected G = 3$/);
    log.close();
  });

  it('reports bad lines with file, line and reason and reads the rest', async () => {
    const f = path.join(dir, '4.jsonl');
    fs.writeFileSync(
      f,
      [
        JSON.stringify(row('q', 'a', 'g', 1, 4)),
        '{"input": "q", "output": ',
        JSON.stringify({ output: 'x', score: 1, step: 4 }),
        JSON.stringify({ input: 'q', output: 5, score: 1, step: 4 }),
        '[1, 2]',
        JSON.stringify(row('q', 'b', 'g', 0, 4)),
        JSON.stringify({ input: 'q', output: 'c', gts: 'g', score: 1, step: -2 }),
        '',
      ].join('\n'),
    );
    const log = await openVerl([f]);
    assert.equal(log.recordCount, 2);
    assert.deepEqual([log.lineOf(0), log.lineOf(1)], [1, 6]);
    assert.deepEqual(
      log.issues.map((i) => [i.line, i.severity, i.message.replace(/: .*/, ':')]),
      [
        [2, 'error', 'not valid JSON:'],
        [3, 'error', 'missing required field input'],
        [4, 'error', 'field output must be a string, got 5'],
        [5, 'error', 'not a JSON object (got an array)'],
        [7, 'error', 'field step must be an integer ≥ 0, got -2'],
      ],
    );
    assert.ok(log.issues.every((i) => i.file === f));
    log.close();
  });

  it('takes the step from the file name when a row has none', async () => {
    const f = path.join(dir, '21.jsonl');
    writeLines(f, [{ input: 'q', output: 'a', score: 1 }]);
    const log = await openVerl([f]);
    assert.deepEqual(log.steps, [21]);
    log.close();
  });

  it('lists step files by int(stem), bounded, and ignores other names', async () => {
    for (const n of ['10', '2', '1', '100']) writeLines(path.join(dir, `${n}.jsonl`), [row('q', 'a', 'g', 1, Number(n))]);
    fs.writeFileSync(path.join(dir, 'notes.jsonl'), '{}\n');
    fs.mkdirSync(path.join(dir, '5.jsonl.d'));
    const all = await listVerlStepFiles(dir);
    assert.deepEqual(all.files.map((f) => path.basename(f)), ['1.jsonl', '2.jsonl', '10.jsonl', '100.jsonl']);
    assert.equal(all.truncated, false);
    const two = await listVerlStepFiles(dir, 2);
    assert.equal(two.files.length, 2);
    assert.equal(two.truncated, true);
  });

  it('refresh() picks up appended lines, a completed half-written line and new step files (in file order); keeps old indices', async () => {
    const f1 = path.join(dir, '1.jsonl');
    writeLines(f1, [row('q', 'a', 'g', 1, 1), row('q', 'b', 'g', 0, 1)]);
    const f2 = path.join(dir, '2.jsonl');
    const half = JSON.stringify(row('p', 'c', 'g', 1, 2));
    fs.writeFileSync(f2, JSON.stringify(row('p', 'd', 'g', 0, 2)) + '\n' + half.slice(0, 20));
    const log = await openVerl([], { target: dir });
    assert.equal(log.recordCount, 3);
    assert.deepEqual(log.issues.map((i) => [path.basename(i.file), i.line, i.severity]), [
      ['2.jsonl', 1, 'warning'],
      ['2.jsonl', 2, 'warning'],
    ]);
    assert.match(log.issues[0].message, /group 0 at step 2 holds 1 completion, expected G = 2 \(assumed\)/);
    assert.match(log.issues[1].message, /^not valid JSON yet: the last line has no newline/);
    const before = [0, 1, 2].map((i) => [log.sourceOf(i), log.groupOf(i)]);

    fs.appendFileSync(f2, half.slice(20) + '\n');
    writeLines(path.join(dir, '3.jsonl'), [row('p', 'e', 'g', 1, 3), row('p', 'f', 'g', 1, 3)]);
    fs.appendFileSync(f1, JSON.stringify(row('q', 'z', 'g', 0.5, 1)) + '\n');
    const r = await log.refresh();
    assert.deepEqual(r, { added: 4, reset: false });
    assert.deepEqual([0, 1, 2].map((i) => [log.sourceOf(i), log.groupOf(i)]), before);
    assert.deepEqual(log.issues.map((i) => [path.basename(i.file), i.line]), [['1.jsonl', 1]]);
    assert.match(log.issues[0].message, /group 0 at step 1 holds 3 completions, expected G = 2/);
    assert.deepEqual(log.steps, [1, 2, 3]);
    assert.deepEqual(
      log.groups.map((g) => [g.step, g.records]),
      [
        [1, [0, 1, 3]],
        [2, [2, 4]],
        [3, [5, 6]],
      ],
    );
    // the group that grew got its advantages again
    const adv = log.columns.advantage;
    const e = grpo([1, 0, 0.5]);
    [0, 1, 3].forEach((rec, k) => assert.ok(Math.abs(adv[rec] - e[k]) < 1e-12));
    assert.deepEqual(await log.refresh(), { added: 0, reset: false });
    // a step file that disappears: re-indexed from scratch, said so
    fs.rmSync(path.join(dir, '3.jsonl'));
    const gone = await log.refresh();
    assert.equal(gone.reset, true);
    assert.equal(log.recordCount, 5);
    assert.match((log.issues as Array<{ message: string }>)[0].message, /3\.jsonl is gone: re-indexed from the start/);
    log.close();
  });

  it('extracts \\boxed{} answers with nested braces', () => {
    assert.equal(extractBoxed('so \\boxed{\\frac{1}{2}} and'), '\\frac{1}{2}');
    assert.equal(extractBoxed('\\boxed{1} then \\boxed{ 2 }'), '2');
    assert.equal(extractBoxed('\\boxed{unclosed'), undefined);
    assert.equal(extractBoxed('none'), undefined);
  });

  it('property: the byte-level extraction agrees with JSON.parse on random rows, and never throws on mutated ones', () => {
    const keys = new RewardKeys();
    const text = fc.string({ unit: 'binary', maxLength: 60 });
    const rowArb = fc.record(
      {
        input: text,
        output: text,
        gts: fc.oneof(text, fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 4 })),
        score: fc.double({ noNaN: true, noDefaultInfinity: true }),
        step: fc.nat(1e6),
        extra: fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.oneof(text, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null), fc.boolean())),
      },
      { requiredKeys: ['input', 'output', 'score', 'step'] },
    );
    fc.assert(
      fc.property(rowArb, fc.constantFrom('', ' '), (r, pad) => {
        const o: Record<string, unknown> = { input: r.input, output: r.output, score: r.score, step: r.step };
        if (r.gts !== undefined) o.gts = r.gts;
        for (const [k, v] of Object.entries(r.extra ?? {})) if (!(k in o) && k !== 'step') o[k] = v;
        const line = Buffer.from(pad + JSON.stringify(o) + pad);
        const f = extractVerlFields(line, 0, line.length, keys);
        assert.ok(f, line.toString());
        assert.equal(f.step, r.step);
        assert.equal(line.toString('utf8', f.inS - 1, f.inE + 1), JSON.stringify(r.input));
        const nums: Record<string, number> = {};
        for (let j = 0; j < f.numCount; j++) nums[keys.names[f.numIdx[j]]] = f.numVal[j];
        for (const [k, v] of Object.entries(o)) {
          if (k === 'step') continue;
          if (typeof v === 'number') assert.ok(Object.is(nums[k], v) || (v === 0 && nums[k] === 0), `${k}: ${nums[k]} vs ${v}`);
          else assert.equal(k in nums, false);
        }
      }),
      { numRuns: 300 },
    );
    const base = Buffer.from(JSON.stringify(row('a "quoted" \\ prompt', 'x "score": 5 \\" y', [1, 2], 0.5, 3, { acc: 1 })));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')), { maxLength: 6 }), (edits) => {
        let b = Buffer.from(base);
        for (const [at, byte, op] of edits) {
          const i = Math.min(at, b.length);
          if (op === 'set' && i < b.length) b[i] = byte;
          else if (op === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
          else if (op === 'delete' && i < b.length) b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
        }
        const f = extractVerlFields(b, 0, b.length, keys);
        if (f) {
          assert.ok(f.inS >= 0 && f.inE <= b.length && f.inS <= f.inE);
          assert.ok(f.numCount <= f.numIdx.length && f.numCount <= f.numVal.length);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('property: random and mutated files open without throwing; every line is a record or an issue', async () => {
    let n = 0;
    const good = JSON.stringify(row('q', 'a', 'g', 1, 1));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constant(good), fc.string({ unit: 'binary', maxLength: 80 }), fc.uint8Array({ maxLength: 60 }).map((u) => Buffer.from(u).toString('latin1'))), { maxLength: 8 }),
        async (lines) => {
          const f = path.join(dir, `${n++}.jsonl`);
          fs.writeFileSync(f, Buffer.from(lines.join('\n'), 'latin1'));
          const log = await openVerl([f]);
          for (let i = 0; i < log.recordCount; i++) log.read(i);
          assert.ok(log.recordCount <= lines.length);
          log.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});
