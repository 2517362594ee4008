import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import type { RolloutLog } from '../../extension/core/formats/log';
import {
  easyR1GenerationsReader,
  openEasyR1Generations,
  parseEasyR1Record,
  readEasyR1ExperimentLog,
  scoreRewards,
  sniffEasyR1Generations,
} from '../../extension/core/formats/easyr1';
import { FIXTURES, tempDir } from './helpers';

const DIR = path.join(FIXTURES, 'frameworks');
const GEN = path.join(DIR, 'easyr1__generations.log');
const EXP = path.join(DIR, 'easyr1__experiment_log.jsonl');
const VLMR1 = path.join(DIR, 'vlm-r1__debug_log.2025-06-21-14-00-00.txt');

const PROMPT = [
  'system',
  'You are a helpful assistant.',
  'user',
  'Please provide the bounding box coordinate of the region this sentence describes: the lady with the blue shirt. First output the thinking process in <think> </think> tags and then output the final answer in <answer> </answer> tags. Output the final answer in JSON format.',
  'assistant',
  '',
].join('\n');
const OUTPUT = [
  '<think>',
  'The question asks for the lady wearing a blue shirt. There are two women in the image; the one on the left is wearing a blue shirt and is standing near the bottom-left.',
  '</think>',
  '<answer>',
  '```json',
  '[',
  '\t{"bbox_2d": [102, 302, 234, 480], "label": "the lady with the blue shirt"}',
  ']',
  '```',
  '</answer>',
].join('\n');

/** What EasyR1's FileGenerationLogger writes for one sample. */
function sample(inp: string, out: string, lab: string, score: string): string {
  return `[prompt] ${inp}\n[output] ${out}\n[ground_truth] ${lab}\n[score] ${score}\n\n`;
}

function write(file: string, text: string | Buffer): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

describe('EasyR1 generations.log: the fixture', () => {
  let log: RolloutLog;
  before(async () => {
    log = await easyR1GenerationsReader.open([GEN], { target: GEN });
  });
  after(() => log.close());

  it('reads 1 record with its score; no steps, no groups, no advantages', () => {
    assert.equal(log.format, 'easyr1-generations');
    assert.equal(log.recordCount, 1);
    assert.deepEqual(log.files, [GEN]);
    assert.equal(log.stepKind, 'none');
    assert.equal(log.grouping.method, 'none');
    assert.deepEqual(log.groups, [{ step: 0, groupId: '0', records: [0] }]);
    assert.equal(log.advantage.source, 'none');
    assert.deepEqual([...log.columns!.rewards.keys()], ['score']);
    assert.deepEqual([...log.columns!.rewards.get('score')!], [0.9941347939768489]);
    assert.deepEqual([...log.columns!.reward], [0.9941347939768489]);
    assert.deepEqual(log.issues, []);
    assert.equal(log.bytes, fs.statSync(GEN).size);
    assert.equal(log.lineOf(0), 1);
  });

  it('reads the full record: multi-line prompt and output, ground truth as the reference answer', () => {
    const { rollout: r, issues } = log.read(0);
    assert.deepEqual(issues, []);
    assert.ok(r);
    assert.equal(r.prompt.text, PROMPT);
    assert.deepEqual(r.prompt.images, []);
    assert.equal(r.completion, OUTPUT);
    assert.equal(r.answer, '```json\n[\n\t{"bbox_2d": [102, 302, 234, 480], "label": "the lady with the blue shirt"}\n]\n```');
    assert.equal(r.reference.answer, '[103.93, 299.99, 238.15, 477.41]');
    assert.deepEqual(r.reference.boxes, [{ box: [103.93, 299.99, 238.15, 477.41], raw: [103.93, 299.99, 238.15, 477.41], frame: 'original', frameAssumed: true }]);
    assert.deepEqual(r.predicted.map((b) => [b.raw, b.frame, b.frameAssumed, b.label]), [[[102, 302, 234, 480], 'model-input', true, 'the lady with the blue shirt']]);
    assert.deepEqual(r.rewards, { score: 0.9941347939768489 });
    assert.equal(r.reward, 0.9941347939768489);
    assert.equal(r.advantage, null);
    assert.deepEqual(r.source, { file: GEN, line: 1 });
  });
});

describe('EasyR1 generations.log: more records and bad input', () => {
  it('splits on the markers in order: a marker out of order is part of the value; blank lines inside values are kept', async () => {
    const dir = tempDir();
    const file = write(
      path.join(dir, 'generations.log'),
      sample('user\nHow many?\nassistant\n', '<think>one\n\n[prompt] quoted, not a marker\n[score] also quoted</think><answer>3</answer>', '3', '1.0') +
        sample('p2', 'o2', '[ground_truth] inside', '0.0') +
        sample('p3', '', '', "{'overall': 0.5, 'format': 1.0, 'accuracy': 0.0}"),
    );
    const log = await openEasyR1Generations([file], {});
    assert.equal(log.recordCount, 3);
    assert.deepEqual([0, 1, 2].map((i) => log.lineOf(i)), [1, 12, 17]);
    assert.deepEqual([...log.columns!.rewards.keys()], ['score', 'overall', 'format', 'accuracy']);
    assert.deepEqual([...log.columns!.rewards.get('score')!], [1, 0, NaN]);
    assert.deepEqual([...log.columns!.rewards.get('overall')!], [NaN, NaN, 0.5]);
    assert.deepEqual(log.issues, []);
    const r0 = log.read(0).rollout!;
    assert.equal(r0.prompt.text, 'user\nHow many?\nassistant\n');
    assert.equal(r0.completion, '<think>one\n\n[prompt] quoted, not a marker\n[score] also quoted</think><answer>3</answer>');
    assert.equal(r0.answer, '3');
    assert.equal(r0.reference.answer, '3');
    assert.deepEqual(r0.reference.boxes, []);
    assert.equal(log.read(1).rollout!.reference.answer, '[ground_truth] inside');
    const r2 = log.read(2).rollout!;
    assert.equal(r2.completion, '');
    assert.deepEqual(r2.rewards, { overall: 0.5, format: 1, accuracy: 0 });
    log.close();
  });

  it('reports text outside records, a bad score and a truncated last record, and reads the rest', async () => {
    const dir = tempDir();
    const file = write(
      path.join(dir, 'generations.log'),
      'step 10 validation\n' + sample('p1', 'o1', 'g1', 'oops') + 'stray line\n' + sample('p2', 'o2', 'g2', '0.25') + '[prompt] p3\n[output] cut in the mid',
    );
    const log = await openEasyR1Generations([file], {});
    assert.equal(log.recordCount, 3);
    assert.deepEqual([...log.columns!.rewards.get('score')!], [NaN, 0.25, NaN]);
    assert.deepEqual(
      log.issues.map((i) => [i.line, i.severity, i.message]),
      [
        [1, 'warning', '1 line outside any [prompt] … [score] record ignored'],
        [2, 'warning', 'the score is not a number: "oops"'],
        [7, 'warning', 'unexpected text after the [score] line ignored'],
        [13, 'warning', 'the record has no [ground_truth], [score] line (truncated?)'],
      ],
    );
    assert.ok(log.issues.every((i) => i.file === file));
    const last = log.read(2);
    assert.equal(last.rollout!.completion, 'cut in the mid');
    assert.equal(last.rollout!.reference.answer, undefined);
    assert.deepEqual(last.rollout!.rewards, { score: null });
    assert.deepEqual(last.issues.map((i) => [i.line, i.severity]), [[14, 'warning']]);
    const first = log.read(0);
    assert.deepEqual(first.rollout!.rewards, { score: null });
    assert.deepEqual(first.issues.map((i) => i.line), [7]); // the stray line lies in the span of record 1
    log.close();
  });

  it('a record without [output] is left out with an issue; an empty file is an empty log', async () => {
    const dir = tempDir();
    const file = write(path.join(dir, 'generations.log'), sample('p1', 'o1', 'g1', '1') + '[prompt] only a prompt\n');
    const log = await openEasyR1Generations([file], {});
    assert.equal(log.recordCount, 1);
    assert.deepEqual(log.issues.map((i) => [i.line, i.message]), [[6, 'a record with no [output] line (truncated?) left out']]);
    const empty = await openEasyR1Generations([write(path.join(dir, 'empty.log'), '')], {});
    assert.equal(empty.recordCount, 0);
  });

  it('reads several files as one log, records in file order', async () => {
    const dir = tempDir();
    const a = write(path.join(dir, 'a', 'generations.log'), sample('a', 'oa', 'g', '1'));
    const b = write(path.join(dir, 'b', 'generations.log'), sample('b1', 'ob1', 'g', '0') + sample('b2', 'ob2', 'g', '0.5'));
    const log = await openEasyR1Generations([a, b], {});
    assert.equal(log.recordCount, 3);
    assert.deepEqual(log.files, [a, b]);
    assert.deepEqual([0, 1, 2].map((i) => log.sourceOf(i)), [
      { file: a, line: 1 },
      { file: b, line: 1 },
      { file: b, line: 6 },
    ]);
    assert.equal(log.read(2).rollout!.prompt.text, 'b2');
    assert.equal(log.read(0).rollout!.prompt.text, 'a');
    log.close();
  });

  it('sniff: by content ([prompt] then [output]); not the verl [response] form or other logs', () => {
    assert.equal(easyR1GenerationsReader.sniff(GEN, fs.readFileSync(GEN)), true);
    assert.equal(sniffEasyR1Generations('x.txt', Buffer.from('\n[prompt] a\n[output] b\n')), true);
    assert.equal(sniffEasyR1Generations('x.txt', Buffer.from('[prompt] a\n[response] b\n[ground_truth] c\n[score] 1\n')), false);
    assert.equal(sniffEasyR1Generations('x.txt', fs.readFileSync(VLMR1)), false);
    assert.equal(sniffEasyR1Generations('x.jsonl', Buffer.from('{"prompt": "[prompt] a"}\n')), false);
    // a prompt longer than the 64 KB head: the name decides
    const long = Buffer.from('[prompt] ' + 'x'.repeat(70000));
    assert.equal(sniffEasyR1Generations('generations.log', long.subarray(0, 65536)), true);
    assert.equal(sniffEasyR1Generations('other.log', long.subarray(0, 65536)), false);
  });

  it('scoreRewards: numbers, nan, dicts, garbage', () => {
    assert.deepEqual(scoreRewards('0.5'), { score: 0.5 });
    assert.deepEqual(scoreRewards(' 1 '), { score: 1 });
    assert.deepEqual(scoreRewards('nan'), { score: null });
    assert.deepEqual(scoreRewards("{'overall': 1.0, 'x': None}"), { overall: 1, x: null });
    assert.deepEqual(scoreRewards('tensor(0.75)'), { score: 0.75 });
    assert.deepEqual(scoreRewards('abc'), { score: null });
    assert.deepEqual(scoreRewards(undefined), { score: null });
  });

  it('parseEasyR1Record never throws on random or mutated text', () => {
    const fixture = fs.readFileSync(GEN, 'utf8');
    const alphabet = fc.constantFrom(...'[]\n promptoutputground_truthscore0.5'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: alphabet, maxLength: 300 }), fc.nat().map((n) => fixture.slice(0, n % fixture.length) + fixture.slice((n * 7) % fixture.length))), (s) => {
        const r = parseEasyR1Record(s);
        assert.equal(typeof r.prompt, 'string');
        assert.ok(Array.isArray(r.problems));
      }),
      { numRuns: 300 },
    );
  });
});

describe('EasyR1 experiment_log.jsonl', () => {
  it('flattens nested metrics with "/" per step', () => {
    const { rows, issues } = readEasyR1ExperimentLog(EXP);
    assert.deepEqual(issues, []);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].step, 1);
    const m = rows[0].metrics;
    assert.equal(Object.keys(m).length, 30);
    assert.equal(m['reward/overall'], 0.63);
    assert.equal(m['reward/format'], 0.56);
    assert.equal(m['reward/accuracy'], 0.64);
    assert.equal(m['actor/lr'], 1e-6);
    assert.equal(m['critic/score/mean'], 0.63);
    assert.equal(m['critic/advantages/min'], -1.49);
    assert.equal(m['response_length/clip_ratio'], 0);
    assert.equal(m['perf/total_num_tokens'], 33870);
  });

  it('reports bad lines with file and line; a half-written last line is a warning', () => {
    const dir = tempDir();
    const file = write(
      path.join(dir, 'experiment_log.jsonl'),
      [
        '{"step": 1, "reward": {"overall": 0.5}, "val": {"reward_score": NaN, "ok": true, "name": "x", "list": [1]}}',
        'not json',
        '{"reward": {"overall": 0.5}}',
        '[1, 2]',
        '',
        '{"step": 3, "a": {"b": {"c": 2}}}',
        '{"step": 4, "reward": {"ov',
      ].join('\n'),
    );
    const { rows, issues } = readEasyR1ExperimentLog(file);
    assert.deepEqual(rows, [
      { step: 1, metrics: { 'reward/overall': 0.5, 'val/ok': 1 } },
      { step: 3, metrics: { 'a/b/c': 2 } },
    ]);
    assert.deepEqual(
      issues.map((i) => [i.file, i.line, i.severity]),
      [
        [file, 2, 'error'],
        [file, 3, 'error'],
        [file, 4, 'error'],
        [file, 7, 'warning'],
      ],
    );
    assert.match(issues[3].message, /half-written last line/);
    const missing = readEasyR1ExperimentLog(path.join(dir, 'nope.jsonl'));
    assert.deepEqual(missing.rows, []);
    assert.equal(missing.issues[0].line, 0);
  });
});
