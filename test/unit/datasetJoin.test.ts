import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { FIXTURES, tempDir } from './helpers';
import { loadDatasetIndex, normaliseText, stripPromptTemplate } from '../../extension/core/runs/datasetJoin';

const DATA = path.join(FIXTURES, 'context', 'vlm-r1-run', 'data');
const REC = 'Please provide the bounding box coordinate of the region this sentence describes: ';
const SUFFIX = ' First output the thinking process in <think> </think> tags and then output the final answer in <answer> </answer> tags. Output the final answer in JSON format.';

/** The prompt as TRL ≥ 0.24 / verl log it (special tokens skipped). */
const plainChat = (q: string): string => `system\nYou are a helpful assistant.\nuser\n${q}\nassistant\n`;
/** The prompt as ms-swift logs it (special tokens kept, image pads collapsed). */
const swiftChat = (q: string): string =>
  `<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<|vision_start|>[151655 * 345]<|vision_end|>${q}<|im_end|>\n<|im_start|>assistant\n`;

describe('dataset join', () => {
  it('VLM-R1 grpo_jsonl: exact match through the chat template, image joined with its folder', async () => {
    const idx = await loadDatasetIndex([path.join(DATA, 'rec_train.jsonl')], ['/data/coco']);
    assert.equal(idx.size, 6);
    // the truncated line 5 is reported with its line
    assert.deepEqual(idx.issues.map((i) => [path.basename(i.file), i.line]), [['rec_train.jsonl', 5]]);
    assert.match(idx.issues[0].message, /not valid JSON/);

    for (const prompt of [plainChat(REC + 'the lady with the blue shirt.' + SUFFIX), swiftChat(REC + 'the lady with the blue shirt.' + SUFFIX)]) {
      const m = idx.match(prompt);
      assert.equal(m.length, 1);
      assert.equal(m[0].how, 'exact');
      assert.equal(m[0].id, '101');
      assert.deepEqual(m[0].images, [path.join('/data/coco', 'train2014/COCO_train2014_000000581857.jpg')]);
      assert.equal(m[0].solution, '[103.93, 299.99, 238.15, 477.41]');
      assert.equal(m[0].line, 1);
      assert.equal(m[0].row, 0);
    }
  });

  it('a question inside other text matches as "contained"; the longest question wins', async () => {
    const idx = await loadDatasetIndex([path.join(DATA, 'rec_train.jsonl')], ['/data/coco']);
    const m = idx.match('A conversation between User and Assistant. The user asks: How many giraffes are there? Answer in <answer></answer>.');
    assert.deepEqual(m.map((x) => [x.id, x.how]), [['106', 'contained']]);
    // "cat" is a dataset question, but "cats" in a prompt is not it
    assert.deepEqual(idx.match(plainChat('How many cats are in the picture?')), []);
    assert.deepEqual(idx.match(plainChat('cat')).map((x) => x.id), ['107']);
    assert.deepEqual(idx.match(''), []);
  });

  it('one question, several images: all rows come back (ambiguous), narrowed by the logged image', async () => {
    const idx = await loadDatasetIndex([path.join(DATA, 'rec_train.jsonl')], ['/data/coco']);
    const prompt = plainChat(REC + 'the man on the left.' + SUFFIX);
    assert.deepEqual(idx.match(prompt).map((x) => x.id), ['102', '103']);
    const one = idx.match(prompt, { images: ['/somewhere/else/COCO_train2014_000000000025.jpg'] });
    assert.deepEqual(one.map((x) => x.id), ['103']);
    // an image that matches none leaves all of them
    assert.equal(idx.match(prompt, { images: ['other.jpg'] }).length, 2);
    assert.deepEqual(idx.byId(102).map((r) => r.row), [1]);
  });

  it('multi-image rows (two <image> markers) keep both images in order', async () => {
    const idx = await loadDatasetIndex([path.join(DATA, 'rec_train.jsonl')], ['/gui']);
    const row = idx.byId('104')[0];
    assert.deepEqual(row.images, ['/gui/GOOGLE_APPS-13827913961707074815_13.png', '/gui/GOOGLE_APPS-13827913961707074815_14.png']);
    const m = idx.match(swiftChat(row.question).replace('[151655 * 345]', '[151655 * 345]<|vision_end|><|vision_start|>[151655 * 345]'));
    assert.deepEqual(m.map((x) => [x.id, x.how]), [['104', 'exact']]);
  });

  it('legacy REC JSON array and generic JSONL (problem / question / chat prompt)', async () => {
    const idx = await loadDatasetIndex([path.join(DATA, 'rec_legacy.json'), path.join(DATA, 'generic.jsonl')], ['/coco', '/bench']);
    assert.equal(idx.size, 5);
    const legacy = idx.match(plainChat(REC + 'zebra in the back.'));
    assert.deepEqual(legacy.map((x) => [x.row, x.line, x.solution, x.images[0]]), [[1, 0, '[5,6,50,60]', path.join('/coco', 'COCO_train2014_000000000077.jpg')]]);
    const area = idx.match(plainChat('What is the area of the triangle? Please reason step by step.'));
    assert.deepEqual(area.map((x) => [x.solution, x.images]), [['12', [path.join('/bench', 'geo/1.png')]]]);
    const fruit = idx.match(plainChat('Which fruit is on the plate?'));
    assert.deepEqual(fruit.map((x) => [x.id, x.solution]), [['fruit-9', 'apple']]);
    const chat = idx.match(plainChat('Find x in the figure. You FIRST think about the reasoning process as an internal monologue and then provide the final answer.'));
    assert.deepEqual(chat.map((x) => [x.id, x.solution, x.images]), [['2', '6', [path.join('/bench', 'geo/2.png')]]]);
    assert.deepEqual(idx.issues.map((i) => [path.basename(i.file), i.line, i.severity]), [['generic.jsonl', 4, 'warning']]);
  });

  it('missing files and unexpanded variables are issues; no folder → relative to the dataset file', async () => {
    const dir = tempDir('rl-join-');
    const f = path.join(dir, 'd.jsonl');
    fs.writeFileSync(f, JSON.stringify({ problem: 'Count the dogs.', image: 'imgs/1.jpg', answer: 3 }) + '\n');
    const idx = await loadDatasetIndex([path.join(dir, 'missing.jsonl'), '${REPO_HOME}/data/x.jsonl', f], []);
    assert.deepEqual(idx.issues.map((i) => i.message), ['dataset file not found', 'dataset not found (the path holds an unexpanded shell variable)']);
    const m = idx.match('Count the dogs.');
    assert.deepEqual(m.map((x) => [x.images, x.solution]), [[[path.join(dir, 'imgs/1.jpg')], '3']]);
  });

  it('parquet datasets (verl style) are read without their image bytes', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { parquetWriteBuffer } = require('hyparquet-writer') as { parquetWriteBuffer(o: unknown): ArrayBuffer };
    const dir = tempDir('rl-join-pq-');
    const buf = parquetWriteBuffer({
      columnData: [
        { name: 'problem', data: ['<image>Find the perimeter.', '<image>Find y.'], type: 'STRING' },
        { name: 'answer', data: ['24', '7'], type: 'STRING' },
        { name: 'id', data: Int32Array.from([10, 11]), type: 'INT32' },
      ],
    });
    const f = path.join(dir, 'train.parquet');
    fs.writeFileSync(f, Buffer.from(buf));
    const idx = await loadDatasetIndex([f], []);
    assert.deepEqual(idx.issues, []);
    assert.deepEqual(idx.match(plainChat('Find y.')).map((x) => [x.id, x.solution, x.row]), [['11', '7', 1]]);
  });

  it('100k rows: one Map built once, lookups stay fast', async function () {
    this.timeout(60_000);
    const dir = tempDir('rl-join-big-');
    const f = path.join(dir, 'big.jsonl');
    const N = 100_000;
    const lines: string[] = [];
    for (let i = 0; i < N; i++) {
      lines.push(JSON.stringify({ id: i, image: `img/${i}.jpg`, conversations: [{ from: 'human', value: `<image>${REC}object number ${i} in the scene.` }, { from: 'gpt', value: `[${i}, 0, 10, 10]` }] }));
    }
    fs.writeFileSync(f, lines.join('\n') + '\n');
    const t0 = Date.now();
    const idx = await loadDatasetIndex([f], ['/imgs']);
    const build = Date.now() - t0;
    assert.equal(idx.size, N);
    const t1 = Date.now();
    for (let k = 0; k < 200; k++) {
      const i = (k * 7919) % N;
      const exact = idx.match(swiftChat(`${REC}object number ${i} in the scene.${SUFFIX}`));
      assert.deepEqual(exact.map((x) => x.id), [String(i)]);
      const contained = idx.match(`Look closely. ${REC}object number ${i} in the scene. Be brief.`);
      assert.deepEqual(contained.map((x) => x.id), [String(i)]);
    }
    const lookups = Date.now() - t1;
    fs.rmSync(dir, { recursive: true, force: true });
    assert.ok(build < 20_000, `build took ${build} ms`);
    assert.ok(lookups < 5_000, `400 lookups took ${lookups} ms`);
  });

  it('property: any question wrapped in a chat template finds its row', async () => {
    const dir = tempDir('rl-join-prop-');
    const f = path.join(dir, 'q.jsonl');
    const questions = fc.sample(
      fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ,.?'-]{5,60}$/).filter((s) => normaliseText(s).length >= 5),
      { numRuns: 60, seed: 7 },
    );
    const uniq = [...new Map(questions.map((q) => [normaliseText(q), q])).values()];
    fs.writeFileSync(f, uniq.map((q, i) => JSON.stringify({ id: i, problem: q, image: `${i}.png` })).join('\n') + '\n');
    const idx = await loadDatasetIndex([f], []);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: uniq.length - 1 }), fc.boolean(), async (i, special) => {
        const q = uniq[i];
        const m = idx.match(special ? swiftChat(q + SUFFIX) : plainChat(q + SUFFIX));
        assert.ok(m.some((x) => x.id === String(i)), `no match for ${JSON.stringify(q)}`);
      }),
      { numRuns: 100 },
    );
  });

  it('stripPromptTemplate and normaliseText', () => {
    assert.equal(stripPromptTemplate(plainChat(`Q?${SUFFIX}`)), 'Q?');
    assert.equal(stripPromptTemplate(swiftChat('What is shown?')), 'What is shown?');
    assert.equal(stripPromptTemplate('no template here'), 'no template here');
    assert.equal(normaliseText('<image>  Hello\n\tWORLD <|im_end|> [151655 * 3]'), 'hello world');
  });
});
