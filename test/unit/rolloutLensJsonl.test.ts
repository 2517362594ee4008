import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { RewardKeys, extractLineFields, openRolloutLensJsonl, RolloutLensLog } from '../../extension/core/formats/rolloutLensJsonl';
import { FIXTURES, makePng, rec, tempDir, writeLines } from './helpers';

const FIXTURE = path.join(FIXTURES, 'rollout-lens', 'run.rollouts.jsonl');

describe('rollout-lens JSONL reader: the fixture log', () => {
  let log: RolloutLensLog;
  before(async () => {
    log = await openRolloutLensJsonl(FIXTURE, { columns: true });
  });
  after(() => log.close());

  it('indexes the readable lines and reports the bad ones with file and line', () => {
    assert.equal(log.recordCount, 5);
    assert.deepEqual([0, 1, 2, 3, 4].map((i) => log.lineOf(i)), [1, 2, 6, 7, 8]);
    assert.deepEqual(
      log.issues.map((i) => [i.file, i.line, i.severity]),
      [
        [FIXTURE, 4, 'error'],
        [FIXTURE, 5, 'error'],
      ],
    );
    assert.match(log.issues[0].message, /^not valid JSON: /);
    assert.equal(log.issues[1].message, 'missing required field group_id');
  });

  it('orders groups by step then first appearance, records by index_in_group', () => {
    assert.deepEqual(
      log.groups.map((g) => [g.step, g.groupId, g.records]),
      [
        [0, 's0-p0', [1, 0]],
        [0, 's0-p1', [4]],
        [1, '7', [2, 3]],
      ],
    );
    assert.deepEqual(log.steps, [0, 1]);
    assert.equal(log.groupOf(4), 1);
    assert.equal(log.stepOf(2), 1);
    assert.equal(log.indexInGroupOf(0), 1);
  });

  it('collects reward columns while indexing (logged reward, else the sum; NaN read as missing)', () => {
    assert.deepEqual([...log.columns!.reward], [2.82, 1, 1, 1, NaN]);
    assert.deepEqual([...log.columns!.advantage], [0.71, NaN, -0.5, NaN, NaN]);
    assert.deepEqual([...log.columns!.rewards.keys()], ['accuracy', 'format', 'iou']);
    assert.deepEqual([...log.columns!.rewards.get('accuracy')!], [1, 0, 1, NaN, NaN]);
    assert.deepEqual([...log.columns!.rewards.get('iou')!], [0.82, NaN, NaN, NaN, NaN]);
  });

  it('reads a full record: image, model-input boxes mapped to original pixels, reference, rewards, verdict, extra', () => {
    const { rollout: r, issues } = log.read(0);
    assert.deepEqual(issues, []);
    assert.ok(r);
    assert.equal(r.groupId, 's0-p0');
    assert.equal(r.sampleId, 'scene-0001');
    assert.equal(r.answer, '2');
    const im = r.prompt.images[0];
    assert.equal(im.resolved, path.join(FIXTURES, 'rollout-lens', 'images', 'scene-0001.png'));
    assert.deepEqual([im.width, im.height, im.inputWidth, im.inputHeight, im.orientation], [640, 480, 644, 476, 1]);
    assert.equal(r.predicted.length, 2);
    const [p0, p1] = r.predicted;
    assert.equal(p0.frame, 'model-input');
    assert.equal(p0.frameAssumed, undefined);
    assert.deepEqual(p0.raw, [10, 20, 110, 130]);
    assert.deepEqual(p1.box, [320, 240, 640, 480]);
    assert.equal(p0.part, 'think');
    assert.equal(p0.label, 'red circle');
    assert.ok(r.completion.slice(p0.span![0], p0.span![1]).startsWith('{"bbox_2d": [10, 20, 110, 130]'));
    assert.deepEqual(r.reference, { answer: '2', boxes: [{ box: [12, 21, 108, 131], raw: [12, 21, 108, 131], frame: 'original', label: 'red circle', imageIndex: 0 }] });
    assert.deepEqual(r.rewards, { accuracy: 1, format: 1, iou: 0.82 });
    assert.equal(r.reward, 2.82);
    assert.equal(r.advantage, 0.71);
    assert.equal(r.advantageSource, 'logged');
    assert.deepEqual(r.verdict, { label: 'supported', source: 'rule', confidence: 0.9, rationale: 'boxes match the count' });
    assert.deepEqual(r.extra, { completion_tokens: 184, truncated: false });
    assert.deepEqual(r.source, { file: FIXTURE, line: 1 });
  });

  it('accepts a plain-string prompt and sums rewards when reward is missing (nulls skipped)', () => {
    const { rollout: r } = log.read(1);
    assert.ok(r);
    assert.deepEqual(r.prompt, { text: 'How many red circles?', images: [] });
    assert.equal(r.reward, 1);
    assert.equal(r.advantage, null);
    assert.equal(r.advantageSource, null);
    assert.equal(r.answer, '3');
  });

  it('warns about a missing image and handles the CRLF line; boxes then use an assumed original frame', () => {
    const { rollout: r, issues } = log.read(2);
    assert.ok(r);
    assert.equal(r.groupId, '7');
    assert.ok(r.completion.endsWith('```'));
    assert.deepEqual(issues.map((i) => [i.line, i.severity, i.message]), [[6, 'warning', 'image not found: images/missing.png (no image roots set)']]);
    assert.equal(r.predicted[0].frame, 'original');
    assert.equal(r.predicted[0].frameAssumed, true);
    assert.equal(r.prompt.images[0].resolved, undefined);
  });

  it('reads Python NaN as null with a warning', () => {
    const { rollout: r, issues } = log.read(3);
    assert.ok(r);
    assert.deepEqual(r.rewards, { accuracy: null, format: 1 });
    assert.equal(r.reward, 1);
    assert.deepEqual(issues.map((i) => i.severity), ['warning']);
  });

  it('reports a bad reference box as an error, keeps the others, maps norm1000, warns about a box outside the image', () => {
    const { rollout: r, issues } = log.read(4);
    assert.ok(r);
    assert.deepEqual(r.prompt.images[0].orientation, 6);
    assert.deepEqual(r.reference.boxes.map((b) => [b.box, b.frame]), [
      [[40, 30, 200, 150], 'norm1000'],
      [[0, 0, 10, 10], 'original'],
    ]);
    assert.deepEqual(r.predicted[0].raw, [1.5, 2.5, 100, 350]);
    assert.equal(r.predicted[0].part, 'answer');
    assert.deepEqual(r.extra, { run_name: 'ablation-a' });
    const msgs = issues.map((i) => `${i.severity}: ${i.message}`);
    assert.deepEqual(msgs, [
      'error: reference box 0: bbox must be a list of 4 finite numbers, got [1,2,3]',
      'warning: predicted box [1.50, 2.50, 100, 350] is outside the image (400×300)',
    ]);
    assert.ok(issues.every((i) => i.file === FIXTURE && i.line === 8));
  });

  it('answers out-of-range reads with an issue, and reads again after close()', () => {
    const bad = log.read(99);
    assert.equal(bad.rollout, null);
    assert.match(bad.issues[0].message, /no record 99/);
    log.close();
    assert.ok(log.read(0).rollout);
  });
});

describe('rollout-lens JSONL reader: indexing edge cases', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function open(lines: Array<string | Record<string, unknown>>, opts = {}): Promise<RolloutLensLog> {
    const f = path.join(dir, 'x.rollouts.jsonl');
    writeLines(f, lines);
    return openRolloutLensJsonl(f, opts);
  }

  it('gives precise messages for wrong types of required fields', async () => {
    const log = await open([
      rec(-1, 'g', 0),
      { ...rec(0, 'g', 0), step: '3' },
      rec(0, 'g', 1.5),
      { ...rec(0, 'g', 0), group_id: null },
      { ...rec(0, 'g', 0), completion: 5 },
      '[1, 2]',
    ]);
    assert.equal(log.recordCount, 0);
    assert.deepEqual(log.issues.map((i) => `${i.line}: ${i.message}`), [
      '1: field step must be an integer ≥ 0, got -1',
      '2: field step must be an integer ≥ 0, got "3"',
      '3: field index_in_group must be an integer ≥ 0, got 1.5',
      '4: field group_id must be a string or an integer, got null',
      '5: field completion must be a string, got 5',
      '6: not a JSON object (got an array)',
    ]);
  });

  it('finds top-level keys only: nested and in-string "step" do not count', async () => {
    const log = await open([
      '{"extra": {"step": 99, "group_id": "nested"}, "completion": "\\"step\\": 42, \\"group_id\\": \\"s\\"", "step": 3, "group_id": "top", "index_in_group": 2}',
    ]);
    assert.deepEqual([log.stepOf(0), log.groups[0].groupId, log.indexInGroupOf(0)], [3, 'top', 2]);
    assert.deepEqual(log.issues, []);
  });

  it('decodes escaped and non-ASCII group ids and falls back to JSON.parse for escaped keys', async () => {
    const log = await open([
      '{"step": 1, "group_id": "caf\\u00e9 \\"q\\"", "index_in_group": 0, "completion": ""}',
      '{"step": 1, "group_id": "日本", "index_in_group": 0, "completion": ""}',
      '{"st\\u0065p": 2, "group_id": "g", "index_in_group": 0, "completion": ""}',
    ]);
    assert.deepEqual(log.groups.map((g) => [g.step, g.groupId]), [
      [1, 'café "q"'],
      [1, '日本'],
      [2, 'g'],
    ]);
    assert.deepEqual(log.issues, []);
  });

  it('handles a BOM, CRLF endings, blank lines and a last line without newline', async () => {
    const f = path.join(dir, 'y.rollouts.jsonl');
    fs.writeFileSync(f, '\ufeff' + JSON.stringify(rec(0, 'a', 0)) + '\r\n\r\n   \r\n' + JSON.stringify(rec(0, 'a', 1)));
    const log = await openRolloutLensJsonl(f);
    assert.equal(log.recordCount, 2);
    assert.deepEqual([log.lineOf(0), log.lineOf(1)], [1, 4]);
    assert.equal(log.read(1).rollout?.indexInGroup, 1);
    assert.deepEqual(log.issues, []);
    log.close();
  });

  it('reports a truncated last line (a log still being written)', async () => {
    const f = path.join(dir, 'z.rollouts.jsonl');
    fs.writeFileSync(f, JSON.stringify(rec(0, 'a', 0)) + '\n{"step": 0, "group_id": "a", "index_in_group": 1, "compl');
    const log = await openRolloutLensJsonl(f);
    assert.equal(log.recordCount, 1);
    assert.equal(log.issues[0].line, 2);
    assert.match(log.issues[0].message, /^not valid JSON/);
  });

  it('warns about duplicate index_in_group within a group', async () => {
    const log = await open([rec(0, 'a', 0), rec(0, 'a', 0)]);
    assert.equal(log.recordCount, 2);
    assert.deepEqual(log.issues.map((i) => [i.line, i.severity, i.message]), [
      [2, 'warning', 'duplicate index_in_group 0 in group a at step 0 (also on line 1)'],
    ]);
  });

  it('indexes lines longer than the read buffer and across chunk boundaries', async () => {
    const big = 'x'.repeat(300 * 1024);
    const lines = Array.from({ length: 400 }, (_, i) => rec(i % 7, `g${i % 3}`, i, { completion: i % 50 === 0 ? big : `c${i}-${'y'.repeat(i * 37)}` }));
    const log = await open(lines, { chunkSize: 64 * 1024 });
    assert.equal(log.recordCount, 400);
    for (const i of [0, 1, 49, 50, 51, 199, 399]) {
      const r = log.read(i).rollout;
      assert.ok(r);
      assert.equal(r.indexInGroup, i);
      assert.equal(r.completion, lines[i].completion);
      assert.equal(log.lineOf(i), i + 1);
    }
    log.close();
  });

  it('gathers no columns unless asked', async () => {
    const log = await open([rec(0, 'a', 0, { rewards: { a: 1 } })]);
    assert.equal(log.columns, null);
  });

  it('reports progress and ends at the file size', async () => {
    const seen: Array<[number, number]> = [];
    const log = await open([rec(0, 'a', 0)], { onProgress: (b: number, t: number) => seen.push([b, t]) });
    const last = seen[seen.length - 1];
    assert.equal(last[0], last[1]);
    assert.equal(last[1], log.bytes);
  });

  it('caps the number of index issues and says how many were left out', async () => {
    const log = await open(['nope', 'nope', 'nope', 'nope', rec(0, 'a', 0)], { maxIssues: 2 });
    assert.equal(log.issues.length, 3);
    assert.equal(log.issues[2].message, '2 more issues not listed');
    assert.equal(log.recordCount, 1);
  });

  it('resolves missing images through image roots and fills sizes from the file header', async () => {
    const root = path.join(dir, 'mirror');
    fs.mkdirSync(path.join(root, 'train2017'), { recursive: true });
    fs.writeFileSync(path.join(root, 'train2017', 'x.png'), makePng(50, 40));
    const line = rec(0, 'a', 0, {
      image: '/nonexistent-cluster/coco/train2017/x.png',
      completion: '{"bbox_2d": [0, 0, 60, 10]}',
      reference: { boxes: [{ bbox: [0.1, 0.1, 0.5, 0.5], frame: 'norm1' }] },
    });
    const log = await open([line], { imageRoots: [root] });
    const { rollout: r, issues } = log.read(0);
    assert.ok(r);
    assert.equal(r.prompt.images[0].resolved, path.join(root, 'train2017', 'x.png'));
    assert.deepEqual([r.prompt.images[0].width, r.prompt.images[0].height], [50, 40]);
    assert.deepEqual(r.reference.boxes[0].box, [5, 4, 25, 20]);
    assert.deepEqual(issues.map((i) => i.message), ['predicted box [0, 0, 60, 10] is outside the image (50×40)']);
    const without = await open([line]);
    assert.match(without.read(0).issues[0].message, /^image not found: \/nonexistent-cluster\/coco\/train2017\/x.png/);
    const other = await open([line], { imageRoots: [path.join(dir, 'elsewhere')] });
    assert.match(other.read(0).issues[0].message, /also tried image roots .*elsewhere/);
  });

  it('validates optional fields without losing the record', async () => {
    const log = await open([
      rec(0, 'a', 0, {
        prompt: { text: 'q', images: [{ path: 'a.png', width: -3, input_width: 100 }] },
        rewards: { acc: 'high', fmt: 1 },
        reward: 'x',
        advantage: 'y',
        verdict: { label: 'maybe' },
        reference: { boxes: [{ bbox: [1, 2, 3, 4], frame: 'pixels' }, { bbox: [0, 0, 5, 5], frame: 'model-input' }] },
        generated_images: [{ path: 'gen/0.png' }, 42],
        extra: 'not an object',
      }),
    ]);
    const { rollout: r, issues } = log.read(0);
    assert.ok(r);
    assert.deepEqual(r.rewards, { acc: null, fmt: 1 });
    assert.equal(r.reward, 1);
    assert.equal(r.advantage, null);
    assert.deepEqual(r.verdict, { label: 'unknown', source: 'log' });
    assert.deepEqual(r.reference.boxes.map((b) => b.raw), [[0, 0, 5, 5]]);
    assert.equal(r.generatedImages.length, 1);
    assert.deepEqual(r.extra, { extra: 'not an object' });
    const msgs = issues.map((i) => i.message).join('\n');
    for (const expected of [
      'prompt.images[0].width must be a positive number, got -3 (ignored)',
      'prompt.images[0] has only one of input_width / input_height (ignored)',
      'reward acc must be a number or null, got "high"',
      'reward must be a number or null, got "x"',
      'advantage must be a number or null, got "y"',
      'reference box 0: unknown frame "pixels"',
      'reference box 1 [0, 0, 5, 5] cannot be mapped from model-input: image size unknown',
      'generated_images[1] must be a path or an object with a path, got 42',
      'image not found: gen/0.png',
      'verdict.label must be one of',
    ]) {
      assert.ok(msgs.includes(expected), `missing: ${expected}\nin:\n${msgs}`);
    }
  });

  it('never writes to disk', async () => {
    const initial = fs.readdirSync(dir);
    const log = await open([rec(0, 'a', 0), 'bad']);
    const listing = fs.readdirSync(dir);
    log.read(0);
    log.close();
    assert.deepEqual(fs.readdirSync(dir), listing);
    assert.equal(listing.length, initial.length + 1);
  });

  it('property: the byte-level index agrees with JSON.parse on random records', async () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    const record = fc.record(
      {
        step: fc.nat(1e6),
        group_id: fc.oneof(text, fc.nat()),
        index_in_group: fc.nat(64),
        completion: text,
        prompt: fc.oneof(text, fc.record({ text })),
        extra: fc.dictionary(text, fc.oneof(text, fc.nat(), fc.constant(null))),
        rewards: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null))),
      },
      { requiredKeys: ['step', 'group_id', 'index_in_group', 'completion'] },
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(record, fc.constantFrom('', ' ', '\t')), { minLength: 1, maxLength: 12 }), async (items) => {
        const f = path.join(dir, `p${n++}.rollouts.jsonl`);
        // shuffle key order by putting completion/extra first sometimes
        const lines = items.map(([r, pad]) => pad + JSON.stringify(r.extra ? Object.assign({ extra: r.extra, completion: r.completion }, r) : r) + pad);
        fs.writeFileSync(f, lines.join('\n') + '\n');
        const log = await openRolloutLensJsonl(f, { columns: n % 2 === 0 });
        assert.deepEqual(log.issues.filter((i) => i.severity === 'error'), []);
        assert.equal(log.recordCount, items.length);
        items.forEach(([r], i) => {
          assert.equal(log.stepOf(i), r.step);
          assert.equal(log.indexInGroupOf(i), r.index_in_group);
          assert.equal(log.groups[log.groupOf(i)].groupId, String(r.group_id));
          assert.equal(log.read(i).rollout?.completion, r.completion);
          const acc = r.rewards && Object.keys(r.rewards)[0];
          if (log.columns && acc !== undefined) {
            const v = r.rewards![acc];
            assert.ok(Object.is(log.columns!.rewards.get(acc)![i], v === null ? NaN : v) || (v === 0 && log.columns!.rewards.get(acc)![i] === 0));
          }
        });
        log.close();
      }),
      { numRuns: 150 },
    );
  });
});

describe('rollout-lens JSONL reader: targeted extraction, growing files, bad input', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const file = (name = 'g.rollouts.jsonl'): string => path.join(dir, name);

  it('is string-aware: a completion containing "reward": 5 or "step": 99 does not fool the extraction', async () => {
    const tricky = 'I think "reward": 5, "step": 99, "advantage": 7, "rewards": {"x": 1}, "group_id": "no", "index_in_group": 9 } ] \\" \\\\';
    const lines = [
      // trailing keys after the completion
      { step: 1, group_id: 'a', index_in_group: 0, completion: tricky, rewards: { acc: 0.5 }, reward: 0.5, advantage: 0.1 },
      // trailing keys before the completion, completion last
      { step: 1, group_id: 'a', index_in_group: 1, reward: 0.25, rewards: { acc: 0.25 }, advantage: -0.1, completion: tricky },
      // no trailing keys: the whole line is walked
      { completion: tricky, step: 1, group_id: 'a', index_in_group: 2 },
      // nested look-alikes
      { step: 1, group_id: 'a', index_in_group: 3, extra: { reward: 99, step: 98 }, completion: tricky, rewards: { acc: 1 } },
    ];
    writeLines(file(), lines);
    for (const columns of [true, false]) {
      const log = await openRolloutLensJsonl(file(), { columns });
      assert.deepEqual(log.issues, []);
      assert.deepEqual([0, 1, 2, 3].map((i) => log.stepOf(i)), [1, 1, 1, 1]);
      assert.deepEqual([0, 1, 2, 3].map((i) => log.indexInGroupOf(i)), [0, 1, 2, 3]);
      assert.deepEqual(log.groups.map((g) => [g.groupId, g.records]), [['a', [0, 1, 2, 3]]]);
      if (columns) {
        assert.deepEqual([...log.columns!.reward], [0.5, 0.25, NaN, 1]);
        assert.deepEqual([...log.columns!.advantage], [0.1, -0.1, NaN, NaN]);
        assert.deepEqual([...log.columns!.rewards.keys()], ['acc']);
      }
      assert.equal(log.read(0).rollout!.completion, tricky);
      log.close();
    }
  });

  it('hands out the log after the first chunk (onPartial), then completes', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => rec(Math.floor(i / 8), `g${Math.floor(i / 8)}`, i % 8, { completion: `c${i} ${'z'.repeat(200)}` }));
    writeLines(file(), lines);
    const seen: Array<{ n: number; complete: boolean; first: string | undefined }> = [];
    const log = await openRolloutLensJsonl(file(), {
      chunkSize: 64 * 1024,
      onPartial: (l) => {
        const g = l.groups[0];
        seen.push({ n: l.recordCount, complete: l.complete !== false, first: l.read(g.records[0]).rollout?.completion });
      },
    });
    assert.equal(seen.length, 1);
    assert.ok(seen[0].n > 0 && seen[0].n < 3000, `partial count ${seen[0].n}`);
    assert.equal(seen[0].complete, false);
    assert.equal(seen[0].first, lines[0].completion);
    assert.equal(log.complete, true);
    assert.equal(log.recordCount, 3000);
    log.close();
  });

  it('refresh() indexes only what was appended and keeps the old indices (the indexed prefix is not read again)', async () => {
    const f = file();
    writeLines(f, [rec(0, 'a', 0), rec(0, 'a', 1), rec(0, 'b', 0), rec(0, 'b', 1), rec(1, 'c', 0)]);
    const log = await openRolloutLensJsonl(f, { columns: true });
    assert.equal(log.recordCount, 5);
    const before = [0, 1, 2, 3, 4].map((i) => [log.lineOf(i), log.groupOf(i), log.stepOf(i)]);
    // scribble over line 3 in place (same size, far from both ends): a re-scan would see it
    const text = fs.readFileSync(f, 'utf8');
    const l3 = text.split('\n')[2];
    fs.writeFileSync(f, text.replace(l3, 'X'.repeat(l3.length)));
    fs.appendFileSync(f, [rec(1, 'c', 1), rec(2, 'd', 0)].map((r) => JSON.stringify(r)).join('\n') + '\n');
    const r = await log.refresh();
    assert.deepEqual(r, { added: 2, reset: false });
    assert.deepEqual([0, 1, 2, 3, 4].map((i) => [log.lineOf(i), log.groupOf(i), log.stepOf(i)]), before);
    assert.deepEqual(log.issues, []);
    assert.deepEqual([log.lineOf(5), log.lineOf(6)], [6, 7]);
    assert.deepEqual(log.groups.map((g) => [g.step, g.groupId, g.records]), [
      [0, 'a', [0, 1]],
      [0, 'b', [2, 3]],
      [1, 'c', [4, 5]],
      [2, 'd', [6]],
    ]);
    assert.deepEqual(log.steps, [0, 1, 2]);
    assert.equal(log.columns!.reward.length, 7);
    assert.deepEqual(await log.refresh(), { added: 0, reset: false });
    log.close();
  });

  it('keeps a half-written last line for later (a warning, not an error) and reads it once completed', async () => {
    const f = file();
    const last = JSON.stringify(rec(0, 'a', 1));
    fs.writeFileSync(f, JSON.stringify(rec(0, 'a', 0)) + '\n' + last.slice(0, 25));
    const log = await openRolloutLensJsonl(f);
    assert.equal(log.recordCount, 1);
    assert.deepEqual(log.issues.map((i) => [i.line, i.severity]), [[2, 'warning']]);
    assert.match(log.issues[0].message, /^not valid JSON yet: the last line has no newline \(25 bytes so far/);
    fs.appendFileSync(f, last.slice(25, 40));
    assert.deepEqual(await log.refresh(), { added: 0, reset: false });
    assert.match(log.issues[0].message, /\(40 bytes so far/);
    fs.appendFileSync(f, last.slice(40) + '\n');
    assert.deepEqual(await log.refresh(), { added: 1, reset: false });
    assert.deepEqual(log.issues, []);
    assert.equal(log.read(1).rollout?.indexInGroup, 1);
    log.close();
  });

  it('reads a complete last line without newline, and goes on when the newline and more lines come', async () => {
    const f = file();
    fs.writeFileSync(f, JSON.stringify(rec(0, 'a', 0)) + '\n' + JSON.stringify(rec(0, 'a', 1)));
    const log = await openRolloutLensJsonl(f);
    assert.equal(log.recordCount, 2);
    fs.appendFileSync(f, '\r\n' + JSON.stringify(rec(0, 'a', 2)) + '\n');
    assert.deepEqual(await log.refresh(), { added: 1, reset: false });
    assert.deepEqual([0, 1, 2].map((i) => log.lineOf(i)), [1, 2, 3]);
    assert.deepEqual(log.issues, []);
    log.close();
  });

  it('re-indexes from scratch, and says so, when the file shrank, was rewritten or a complete last line continued', async () => {
    const f = file();
    writeLines(f, [rec(0, 'a', 0), rec(0, 'a', 1), rec(0, 'a', 2)]);
    const log = await openRolloutLensJsonl(f);
    // truncated
    writeLines(f, [rec(5, 'z', 0)]);
    let r = await log.refresh();
    assert.deepEqual(r, { added: 1, reset: true });
    assert.deepEqual(log.steps, [5]);
    assert.equal(log.issues[0].line, 0);
    assert.match(log.issues[0].message, /shrank from \d+ to \d+ bytes: re-indexed from the start \(record numbers changed\)$/);
    // rewritten: longer, with other bytes before the old end
    writeLines(f, [rec(7, 'y', 0), rec(7, 'y', 1), rec(7, 'y', 2)]);
    r = await log.refresh();
    assert.deepEqual(r, { added: 3, reset: true });
    assert.match(log.issues[0].message, /changed before the end that was indexed \(rewritten\?\)/);
    assert.deepEqual(log.steps, [7]);
    // a complete last line without newline that then continues
    fs.writeFileSync(f, JSON.stringify(rec(1, 'a', 0)));
    await log.refresh();
    assert.equal(log.recordCount, 1);
    fs.appendFileSync(f, 'garbage\n');
    r = await log.refresh();
    assert.equal(r.reset, true);
    assert.equal(log.recordCount, 0);
    assert.ok(log.issues.some((i) => /was read as a complete last line but then continued/.test(i.message)));
    assert.ok(log.issues.some((i) => i.line === 1 && i.severity === 'error' && /^not valid JSON/.test(i.message)));
    log.close();
  });

  it('indexes a 50 MB single line in one buffer of its size (and a 50 MB unfinished one is left for later)', async function () {
    this.timeout(60000);
    const f = file();
    const fd = fs.openSync(f, 'w');
    fs.writeSync(fd, JSON.stringify(rec(0, 'a', 0)) + '\n');
    const prefix = '{"step": 0, "group_id": "a", "index_in_group": 1, "completion": "';
    const suffix = '", "rewards": {"acc": 1}}';
    fs.writeSync(fd, prefix);
    const block = Buffer.alloc(1024 * 1024, 'x');
    for (let k = 0; k < 50; k++) fs.writeSync(fd, block);
    fs.writeSync(fd, suffix + '\n');
    fs.writeSync(fd, JSON.stringify(rec(0, 'a', 2)) + '\n');
    fs.writeSync(fd, '{"step": 0, "group_id": "a", "index_in_group": 3, "completion": "');
    for (let k = 0; k < 50; k++) fs.writeSync(fd, block);
    fs.closeSync(fd);
    global.gc?.();
    const ab0 = process.memoryUsage().arrayBuffers;
    let peak = 0;
    const log = await openRolloutLensJsonl(f, {
      columns: true,
      chunkSize: 1024 * 1024,
      onProgress: () => void (peak = Math.max(peak, process.memoryUsage().arrayBuffers - ab0)),
    });
    assert.equal(log.recordCount, 3);
    assert.deepEqual([log.lineOf(0), log.lineOf(1), log.lineOf(2)], [1, 2, 3]);
    assert.equal(log.columns!.rewards.get('acc')![1], 1);
    assert.ok(peak < 3 * 52 * 1024 * 1024, `array buffers grew by ${(peak / 1048576).toFixed(0)} MB`);
    assert.equal(log.readLine(1).length, prefix.length + 50 * 1024 * 1024 + suffix.length);
    assert.deepEqual(log.issues.map((i) => [i.line, i.severity]), [[4, 'warning']]);
    assert.match(log.issues[0].message, /^not valid JSON yet/);
    log.close();
  });

  it('reports non-UTF-8 bytes with the line (read as U+FFFD) and reads everything else', async () => {
    const f = file();
    const good = Buffer.from(JSON.stringify(rec(0, 'a', 0)) + '\n');
    const bad = Buffer.concat([Buffer.from('{"step": 0, "group_id": "a", "index_in_group": 1, "completion": "caf'), Buffer.from([0xe9, 0xff, 0xc3]), Buffer.from('"}\n')]);
    fs.writeFileSync(f, Buffer.concat([good, bad, good]));
    const log = await openRolloutLensJsonl(f);
    assert.equal(log.recordCount, 3);
    assert.deepEqual(log.issues.map((i) => [i.file, i.line, i.severity]), [[f, 2, 'warning'], [f, 3, 'warning']]);
    assert.match(log.issues[0].message, /not valid UTF-8/);
    assert.match(log.issues[1].message, /duplicate index_in_group 0/);
    const { rollout, issues } = log.read(1);
    assert.ok(rollout?.completion.startsWith('caf\ufffd'));
    assert.match(issues[0].message, /not valid UTF-8/);
    log.close();
  });

  it('reads empty files and files of blank lines as empty logs', async () => {
    for (const content of ['', '\n\n  \r\n', '\ufeff']) {
      const f = file(`e${content.length}.rollouts.jsonl`);
      fs.writeFileSync(f, content);
      const log = await openRolloutLensJsonl(f, { columns: true });
      assert.equal(log.recordCount, 0);
      assert.deepEqual(log.groups, []);
      assert.deepEqual(log.steps, []);
      assert.deepEqual(log.issues, []);
      assert.equal(log.complete, true);
      assert.deepEqual(await log.refresh(), { added: 0, reset: false });
      log.close();
    }
  });

  it('property: extraction never throws or hangs on random and mutated lines, and agrees with JSON.parse when it answers', () => {
    const keys = new RewardKeys();
    const base = JSON.stringify(rec(3, 'g"1', 2, { prompt: { text: 'q' }, completion: 'a "reward": 5 \\ b', rewards: { acc: 0.5, fmt: null }, reward: 0.5, advantage: -1e-7 }));
    const mutated = fc
      .array(fc.tuple(fc.nat(base.length), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')), { maxLength: 5 })
      .map((edits) => {
        let b = Buffer.from(base);
        for (const [at, byte, op] of edits) {
          const i = Math.min(at, b.length);
          if (op === 'set' && i < b.length) b[i] = byte;
          else if (op === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
          else if (op === 'delete' && i < b.length) b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
        }
        return b;
      });
    const random = fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u));
    const jsonish = fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)));
    fc.assert(
      fc.property(fc.oneof(mutated, random, jsonish), (b) => {
        const f = extractLineFields(b, 0, b.length, keys);
        if (!f) return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(b.toString('utf8'));
        } catch {
          return; // accepted on the byte level, reported when read
        }
        const o = parsed as Record<string, unknown>;
        assert.equal(f.step, o.step);
        assert.equal(f.indexInGroup, o.index_in_group);
        assert.equal(f.groupId, String(o.group_id));
      }),
      { numRuns: 2000 },
    );
  });
});
