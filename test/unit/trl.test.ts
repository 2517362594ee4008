import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { ColumnSource } from 'hyparquet-writer';
import { TrlLog, openTrlParquet, openTrlWandbTables, stepFromFileName, trlParquetReader, trlWandbTableReader, wandbFilesDir } from '../../extension/core/formats/trl';
import type { RunContext } from '../../extension/core/runs/context';
import { FIXTURES, makePng, tempDir } from './helpers';

const FW = path.join(FIXTURES, 'frameworks');
const RUN = path.join(FW, 'trl-run', 'completions');
const PQ = ['completions_00010.parquet', 'completions_00011.parquet', 'completions_00012.parquet'].map((f) => path.join(RUN, f));
const AS_JSON = JSON.parse(fs.readFileSync(path.join(FW, 'trl__completions_00010.parquet.as.json'), 'utf8')) as {
  rows: Array<{ step: number; prompt: string; completion: string; iou_reward: number; format_reward_rec: number; advantage: number }>;
};
const TABLE = path.join(FW, 'trl__wandb_media_table_completions.table.json');

function head(file: string): Buffer {
  return fs.readFileSync(file).subarray(0, 64 * 1024);
}

/** TRL's GRPO advantage: (r − mean) / (std + 1e-4), unbiased std. */
function grpo(r: number[]): number[] {
  const mean = r.reduce((a, b) => a + b, 0) / r.length;
  const std = Math.sqrt(r.reduce((s, v) => s + (v - mean) ** 2, 0) / (r.length - 1));
  return r.map((v) => (v - mean) / (std + 1e-4));
}

function close(a: number, b: number, eps = 1e-9): boolean {
  return Math.abs(a - b) <= eps;
}

describe('TRL Parquet reader: the fixture run (completions_00010/11/12.parquet)', () => {
  let log: TrlLog;
  before(async () => {
    log = (await trlParquetReader.open(PQ, { target: RUN })) as TrlLog;
  });
  after(() => log.close());

  it('is recognised by the Parquet magic and the completions_NNNNN name', () => {
    for (const f of PQ) assert.equal(trlParquetReader.sniff(f, head(f)), true);
    assert.equal(trlParquetReader.sniff('/x/data/train.parquet', head(PQ[0])), false);
    assert.equal(trlParquetReader.sniff(PQ[0].replace('.parquet', '.json'), Buffer.from('{"rows": []}')), false);
    assert.equal(trlParquetReader.sniff('/x/completions_00003.parquet', Buffer.from('not parquet')), false);
  });

  it('the fixture file really has two row groups (5 + 3 rows), snappy, TRL column types', () => {
    const buf = fs.readFileSync(PQ[0]);
    const meta = parquetMetadata(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    assert.deepEqual(meta.row_groups.map((g) => Number(g.num_rows)), [5, 3]);
    assert.deepEqual(
      meta.schema.slice(1).map((s) => [s.name, s.type]),
      [
        ['step', 'INT64'],
        ['prompt', 'BYTE_ARRAY'],
        ['completion', 'BYTE_ARRAY'],
        ['iou_reward', 'DOUBLE'],
        ['format_reward_rec', 'DOUBLE'],
        ['completion_length', 'INT64'],
        ['advantage', 'DOUBLE'],
      ],
    );
    assert.ok(meta.row_groups[0].columns.every((c) => c.meta_data?.codec === 'SNAPPY'));
  });

  it('counts the repeated generation batch of step 11 once, and says so', () => {
    assert.equal(log.recordCount, 12);
    assert.deepEqual(log.files, PQ);
    assert.deepEqual(log.duplicates, [{ file: PQ[1], line: 0, duplicateOf: PQ[0], duplicateOfLine: 0, rows: 8 }]);
    assert.deepEqual(log.issues, [
      {
        file: PQ[1],
        line: 0,
        unit: 'row',
        message: 'completions_00011.parquet repeats the generation batch of completions_00010.parquet; counted once (8 rows skipped)',
        severity: 'warning',
      },
    ]);
    assert.deepEqual(log.steps, [10, 12]);
    assert.equal(log.stepKind, 'step');
    assert.equal(log.format, 'trl-parquet');
    assert.equal(log.file, RUN);
  });

  it('groups consecutive blocks of G = 4 per step (inferred from advantages), never by prompt text', () => {
    assert.deepEqual(
      log.groups.map((g) => [g.step, g.groupId, g.records]),
      [
        [10, '0', [0, 1, 2, 3]],
        [10, '1', [4, 5, 6, 7]],
        [12, '0', [8, 9, 10, 11]],
      ],
    );
    // all eight step-10 prompts are the same text (two images, one question), yet they are two groups
    const prompts = new Set([0, 1, 2, 3, 4, 5, 6, 7].map((i) => log.read(i).rollout!.prompt.text));
    assert.equal(prompts.size, 1);
    assert.deepEqual(log.grouping, {
      method: 'blocks',
      irregular: 0,
      groupSize: 4,
      groupSizeSource: 'inferred from the logged advantages (each block of G sums to 0)',
      groupSizeAssumed: true,
    });
    assert.deepEqual(log.advantage, { source: 'logged' });
  });

  it('holds the reward columns as TRL named them, NaN where the function returned None', () => {
    const cols = log.columns!;
    assert.deepEqual([...cols.rewards.keys()], ['iou_reward', 'format_reward_rec']);
    const iou = [...cols.rewards.get('iou_reward')!];
    assert.deepEqual(iou.slice(0, 4), AS_JSON.rows.map((r) => r.iou_reward));
    assert.deepEqual(iou.slice(4), [0.85, 0, NaN, 0.95, 0.72, 0.8, 0, 0]);
    assert.deepEqual([...cols.rewards.get('format_reward_rec')!], [1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0]);
    assert.deepEqual([...cols.advantage].slice(0, 4), AS_JSON.rows.map((r) => r.advantage));
    // the other groups' advantages are TRL's: nansum of the rewards, (r − mean)/(std + 1e-4)
    const g1 = grpo([1.85, 0, 1, 1.95]);
    const g12 = grpo([1.72, 1.8, 1, 0]);
    [...g1, ...g12].forEach((a, k) => assert.ok(close(cols.advantage[4 + k], a), `advantage ${4 + k}`));
    const totals = [...cols.reward];
    AS_JSON.rows.forEach((r, k) => assert.ok(close(totals[k], r.iou_reward + r.format_reward_rec)));
    assert.equal(totals[6], 1); // NaN iou counts as missing: nansum
  });

  it('reads rows 0–3 exactly as the rendered JSON of the file', () => {
    AS_JSON.rows.forEach((row, k) => {
      const { rollout: r, issues } = log.read(k);
      assert.deepEqual(issues, []);
      assert.ok(r);
      assert.equal(r.step, 10);
      assert.equal(r.groupId, '0');
      assert.equal(r.indexInGroup, k);
      assert.equal(r.prompt.text, row.prompt);
      assert.deepEqual(r.prompt.images, []);
      assert.equal(r.completion, row.completion);
      assert.deepEqual(r.rewards, { iou_reward: row.iou_reward, format_reward_rec: row.format_reward_rec });
      assert.equal(r.advantage, row.advantage);
      assert.equal(r.advantageSource, 'logged');
      assert.deepEqual(r.extra, { completion_length: row.completion.length });
      assert.deepEqual(r.source, { file: PQ[0], line: k + 1, unit: 'row' });
    });
    const r0 = log.read(0).rollout!;
    assert.equal(r0.predicted.length, 1);
    assert.deepEqual(r0.predicted[0].raw, [102, 302, 234, 480]);
    assert.equal(r0.predicted[0].frame, 'model-input');
    assert.equal(r0.predicted[0].frameAssumed, true);
    assert.equal(r0.predicted[0].label, 'the lady with the blue shirt');
    // no bbox_2d: the plain list inside <answer> (VLM-R1's REC answer) is read
    assert.deepEqual(log.read(3).rollout!.predicted.map((b) => [b.raw, b.part]), [[[105, 301, 236, 478], 'answer']]);
  });

  it('reads rows on either side of a row-group boundary, in any order, the same as the index', () => {
    const order = [7, 4, 5, 0, 11, 3, 6, 8, 2, 10, 1, 9];
    for (const i of order) {
      const { rollout: r } = log.read(i);
      assert.ok(r);
      const iou = log.columns!.rewards.get('iou_reward')![i];
      assert.equal(r.rewards.iou_reward, Number.isNaN(iou) ? null : iou);
      assert.equal(r.advantage, log.columns!.advantage[i]);
      assert.equal(r.step, log.stepOf(i));
    }
    assert.deepEqual(log.sourceOf(5), { file: PQ[0], line: 6, unit: 'row' });
    assert.deepEqual(log.sourceOf(9), { file: PQ[2], line: 2, unit: 'row' });
    const r6 = log.read(6).rollout!;
    assert.deepEqual(r6.rewards, { iou_reward: null, format_reward_rec: 1 });
    assert.equal(r6.reward, 1);
    assert.deepEqual(log.read(12).issues.map((i) => i.severity), ['error']);
  });

  it('takes G from the run context when given (not assumed)', async () => {
    const context: RunContext = { groupSize: { value: 4, source: 'checkpoint-12/trainer_state.json', assumed: false } };
    const l = await openTrlParquet(PQ, { context });
    try {
      assert.equal(l.grouping.groupSize, 4);
      assert.equal(l.grouping.groupSizeSource, 'checkpoint-12/trainer_state.json');
      assert.equal(l.grouping.groupSizeAssumed, false);
      assert.equal(l.groups.length, 3);
    } finally {
      l.close();
    }
  });

  it('with a wrong G from the context, flags irregular groups (and never regroups by prompt)', async () => {
    const context: RunContext = { groupSize: { value: 3, source: 'rollout-lens.json', assumed: false } };
    const l = await openTrlParquet(PQ, { context });
    try {
      assert.deepEqual(l.groups.map((g) => g.records.length), [3, 3, 2, 3, 1]);
      assert.equal(l.grouping.irregular, 2);
      assert.deepEqual(
        l.issues.filter((i) => /expected G/.test(i.message)).map((i) => [path.basename(i.file), i.line, i.message]),
        [
          ['completions_00010.parquet', 7, 'group 2 at step 10 holds 2 completions, expected G = 3'],
          ['completions_00012.parquet', 4, 'group 1 at step 12 holds 1 completion, expected G = 3'],
        ],
      );
    } finally {
      l.close();
    }
  });

  it('takes the step from the file name when there is no step column', () => {
    assert.equal(stepFromFileName('/r/completions/completions_00012.parquet'), 12);
    assert.equal(stepFromFileName('/r/files/media/table/completions_37_9a1b2c3d.table.json'), 37);
    assert.ok(Number.isNaN(stepFromFileName('/r/train.parquet')));
  });
});

// ---------------------------------------------------------------------------------------------------

function writeParquet(file: string, columnData: ColumnSource[], rowGroupSize?: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.from(parquetWriteBuffer({ columnData, codec: 'SNAPPY', rowGroupSize })));
}

describe('TRL Parquet reader: unexpected columns and broken files', () => {
  it('reports a missing advantage, a string extra and a reward column of strings with file and row, reads the rest', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'completions', 'completions_00005.parquet');
    const prompts = ['p-a', 'p-a', 'p-b', 'p-b'];
    writeParquet(file, [
      { name: 'step', data: BigInt64Array.from([5n, 5n, 5n, 5n]), type: 'INT64' },
      { name: 'prompt', data: prompts, type: 'STRING' },
      { name: 'completion', data: ['<answer>1</answer>', '<answer>2</answer>', 'c', 'd'], type: 'STRING' },
      { name: 'accuracy_reward', data: Float64Array.from([1, 0, 0.5, NaN]), type: 'DOUBLE' },
      { name: 'format_reward', data: ['1.0', '0.0', 'oops', '1'], type: 'STRING' },
      { name: 'note', data: ['x', 'y', 'z', 'w'], type: 'STRING' },
    ]);
    const log = await openTrlParquet([file]);
    try {
      assert.deepEqual(
        log.issues.map((i) => [path.basename(i.file), i.line, i.unit, i.severity, i.message]),
        [
          ['completions_00005.parquet', 0, 'row', 'warning', 'no advantage column: advantages are recomputed from the rewards'],
          ['completions_00005.parquet', 1, 'row', 'warning', 'reward column format_reward holds strings, not numbers: values that parse as numbers are used'],
          ['completions_00005.parquet', 1, 'row', 'warning', 'column note (string) is not one TRL writes itself (a log_extra column?): shown under extra'],
          ['completions_00005.parquet', 3, 'row', 'warning', 'reward format_reward = "oops" is not a number (read as missing)'],
        ],
      );
      assert.equal(log.recordCount, 4);
      assert.deepEqual([...log.columns!.rewards.keys()], ['accuracy_reward', 'format_reward']);
      assert.deepEqual([...log.columns!.rewards.get('format_reward')!], [1, 0, NaN, 1]);
      // no advantages: G from the runs of identical prompts, advantages recomputed (GRPO, assumed)
      assert.equal(log.grouping.groupSize, 2);
      assert.equal(log.grouping.groupSizeSource, 'inferred from runs of identical prompts (gcd of the run lengths)');
      assert.equal(log.advantage.source, 'recomputed');
      assert.match(log.advantage.assumptions!, /TRL default/);
      const expect = [...grpo([2, 0]), ...grpo([0.5, 1])];
      expect.forEach((a, k) => assert.ok(close(log.columns!.advantage[k], a)));
      const { rollout: r, issues } = log.read(2);
      assert.deepEqual(r!.rewards, { accuracy_reward: 0.5, format_reward: null });
      assert.deepEqual(r!.extra, { note: 'z' });
      assert.equal(r!.advantageSource, 'recomputed');
      assert.deepEqual(issues.map((i) => [i.line, i.unit, i.message]), [[3, 'row', 'reward format_reward = "oops" is not a number (read as missing)']]);
    } finally {
      log.close();
    }
  });

  it('a corrupt or truncated Parquet file is one error; the other files are still read', async () => {
    const dir = path.join(tempDir(), 'completions');
    fs.mkdirSync(dir, { recursive: true });
    const good = path.join(dir, 'completions_00010.parquet');
    const garbage = path.join(dir, 'completions_00011.parquet');
    const truncated = path.join(dir, 'completions_00012.parquet');
    const tiny = path.join(dir, 'completions_00013.parquet');
    fs.copyFileSync(PQ[0], good);
    fs.writeFileSync(garbage, Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(200, 0x41), Buffer.from([0x10, 0, 0, 0]), Buffer.from('PAR1')]));
    const whole = fs.readFileSync(PQ[2]);
    fs.writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
    fs.writeFileSync(tiny, Buffer.from('PAR1'));
    const files = [good, garbage, truncated, tiny];
    const log = await openTrlParquet(files);
    try {
      assert.equal(log.recordCount, 8);
      assert.deepEqual(log.files, files);
      assert.deepEqual(log.steps, [10]);
      const errs = log.issues.filter((i) => i.severity === 'error');
      assert.deepEqual(errs.map((i) => [path.basename(i.file), i.line]), [
        ['completions_00011.parquet', 0],
        ['completions_00012.parquet', 0],
        ['completions_00013.parquet', 0],
      ]);
      for (const e of errs) assert.match(e.message, /^cannot read the Parquet file: .+; the other files are still read$/);
      assert.equal(log.read(7).rollout!.rewards.iou_reward, 0.95);
    } finally {
      log.close();
    }
  });

  it('a Parquet file without prompt / completion columns is reported clearly', async () => {
    const file = path.join(tempDir(), 'completions', 'completions_00001.parquet');
    writeParquet(file, [
      { name: 'a', data: Float64Array.from([1, 2]), type: 'DOUBLE' },
      { name: 'completion', data: ['x', 'y'], type: 'STRING' },
    ]);
    assert.equal(trlParquetReader.sniff(file, head(file)), true);
    const log = await openTrlParquet([file]);
    try {
      assert.equal(log.recordCount, 0);
      assert.deepEqual(log.issues.map((i) => [i.line, i.severity, i.message]), [[0, 'error', 'no prompt column: not a TRL completions file (columns: a, completion)']]);
    } finally {
      log.close();
    }
  });

  it('reads a file with many row groups by row group (one row group cached at a time)', async () => {
    const file = path.join(tempDir(), 'completions', 'completions_00001.parquet');
    const n = 64;
    const rewards = Array.from({ length: n }, (_, k) => (k % 8 === Math.floor(k / 8) % 8 ? 1 : 0));
    const adv: number[] = [];
    for (let g = 0; g < n; g += 8) adv.push(...grpo(rewards.slice(g, g + 8)));
    writeParquet(
      file,
      [
        { name: 'step', data: BigInt64Array.from(Array.from({ length: n }, () => 1n)), type: 'INT64' },
        { name: 'prompt', data: Array.from({ length: n }, (_, k) => `prompt ${Math.floor(k / 8)}`), type: 'STRING' },
        { name: 'completion', data: Array.from({ length: n }, (_, k) => `completion ${k}`), type: 'STRING' },
        { name: 'r', data: Float64Array.from(rewards), type: 'DOUBLE' },
        { name: 'advantage', data: Float64Array.from(adv), type: 'DOUBLE' },
      ],
      7,
    );
    const log = await openTrlParquet([file]);
    try {
      assert.equal(log.recordCount, n);
      assert.equal(log.grouping.groupSize, 8);
      for (const i of [63, 0, 20, 21, 6, 7, 13, 14, 55]) assert.equal(log.read(i).rollout!.completion, `completion ${i}`);
    } finally {
      log.close();
    }
    // a G that cuts across prompts is flagged
    const context: RunContext = { groupSize: { value: 16, source: 'setting rolloutLens.runContext', assumed: false } };
    const wrong = await openTrlParquet([file], { context });
    try {
      const mixed = wrong.issues.filter((i) => /mix different prompts/.test(i.message));
      assert.deepEqual(mixed.map((i) => [i.line, i.unit, i.message]), [[1, 'row', '4 groups mix different prompts (first: group 0 at step 1); the group size G = 16 is probably wrong']]);
    } finally {
      wrong.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------------

describe('TRL wandb table reader', () => {
  it('reads the framework-shaped table: 4 rows, G = 4, rewards and advantages as logged', async () => {
    assert.equal(trlWandbTableReader.sniff(TABLE, head(TABLE)), true);
    assert.equal(trlWandbTableReader.sniff('/x/other.json', head(TABLE)), false);
    const log = (await trlWandbTableReader.open([TABLE], {})) as TrlLog;
    try {
      assert.equal(log.format, 'trl-wandb-table');
      assert.equal(log.recordCount, 4);
      assert.deepEqual(log.issues, []);
      assert.deepEqual(log.groups.map((g) => [g.step, g.groupId, g.records]), [[10, '0', [0, 1, 2, 3]]]);
      assert.equal(log.grouping.groupSize, 4);
      assert.deepEqual([...log.columns!.rewards.keys()], ['iou_reward', 'format_reward_rec']);
      assert.deepEqual([...log.columns!.advantage], AS_JSON.rows.map((r) => r.advantage));
      assert.deepEqual([...log.columns!.rewards.get('iou_reward')!], AS_JSON.rows.map((r) => r.iou_reward));
      const r = log.read(1).rollout!;
      assert.equal(r.completion, AS_JSON.rows[1].completion);
      assert.deepEqual(r.source, { file: TABLE, line: 2, unit: 'row' });
    } finally {
      log.close();
    }
  });

  it('resolves wandb.Image cells against the run files folder, string steps, dedupes repeated batches', async () => {
    const runFiles = path.join(tempDir(), 'wandb', 'run-20250621_140000-abc123', 'files');
    const tableDir = path.join(runFiles, 'media', 'table');
    const imgDir = path.join(runFiles, 'media', 'images');
    fs.mkdirSync(tableDir, { recursive: true });
    fs.mkdirSync(imgDir, { recursive: true });
    fs.writeFileSync(path.join(imgDir, 'completions_10_0a1b.png'), makePng(427, 640));
    const src = JSON.parse(fs.readFileSync(TABLE, 'utf8')) as { columns: string[]; data: unknown[][] };
    const image = { _type: 'image-file', path: 'media/images/completions_10_0a1b.png', sha256: '0a1b', size: 1234, format: 'png', width: 427, height: 640 };
    const table = (step: string, rows: unknown[][]): unknown => ({
      _type: 'table',
      columns: [...src.columns, 'image'],
      data: rows.map((r) => [step, ...r.slice(1), image]),
      ncols: src.columns.length + 1,
      nrows: rows.length,
      column_types: { params: { type_map: {} }, wb_type: 'typedDict' },
    });
    const t10 = path.join(tableDir, 'completions_10_5e3d.table.json');
    const t11 = path.join(tableDir, 'completions_11_77aa.table.json');
    const t12 = path.join(tableDir, 'completions_12_9f00.table.json');
    fs.writeFileSync(t10, JSON.stringify(table('10', src.data)));
    fs.writeFileSync(t11, JSON.stringify(table('11', src.data)));
    const shifted = src.data.map((r) => [r[0], r[1], `${r[2] as string} `, ...r.slice(3)]);
    fs.writeFileSync(t12, JSON.stringify(table('12', shifted)));
    assert.equal(wandbFilesDir(t10), runFiles);
    const log = await openTrlWandbTables([t10, t11, t12]);
    try {
      assert.equal(log.recordCount, 8);
      assert.deepEqual(log.steps, [10, 12]);
      assert.deepEqual(log.duplicates.map((d) => [path.basename(d.file), path.basename(d.duplicateOf), d.rows]), [['completions_11_77aa.table.json', 'completions_10_5e3d.table.json', 4]]);
      assert.deepEqual(log.issues.map((i) => i.message), ['completions_11_77aa.table.json repeats the generation batch of completions_10_5e3d.table.json; counted once (4 rows skipped)']);
      const { rollout: r, issues } = log.read(0);
      assert.deepEqual(issues, []);
      const im = r!.prompt.images[0];
      assert.equal(im.path, 'media/images/completions_10_0a1b.png');
      assert.equal(im.resolved, path.join(imgDir, 'completions_10_0a1b.png'));
      assert.equal(im.width, 427);
      assert.equal(im.height, 640);
      // Qwen2.5-VL input for 427×640 is 420×644 (smart_resize, default pixels): boxes mapped, frame assumed
      const b = r!.predicted[0];
      assert.deepEqual(b.raw, [102, 302, 234, 480]);
      const want = [(102 * 427) / 420, (302 * 640) / 644, (234 * 427) / 420, (480 * 640) / 644];
      b.box.forEach((v, k) => assert.ok(close(v, want[k]), `box[${k}]`));
      assert.equal(b.frameAssumed, true);
      assert.equal(log.read(5).rollout!.step, 12);
    } finally {
      log.close();
    }
  });

  it('a broken table is an error for that file; other tables are read', async () => {
    const dir = tempDir();
    const bad = path.join(dir, 'completions_1_aa.table.json');
    const notTable = path.join(dir, 'completions_2_bb.table.json');
    const good = path.join(dir, 'completions_3_cc.table.json');
    fs.writeFileSync(bad, '{"columns": ["step", "prompt", "completion"], "data": [[1, "p", ');
    fs.writeFileSync(notTable, '{"columns": "step", "data": []}');
    fs.copyFileSync(TABLE, good);
    const log = await openTrlWandbTables([bad, notTable, good]);
    try {
      assert.equal(log.recordCount, 4);
      assert.deepEqual(
        log.issues.map((i) => [path.basename(i.file), i.severity]),
        [
          ['completions_1_aa.table.json', 'error'],
          ['completions_2_bb.table.json', 'error'],
        ],
      );
      assert.match(log.issues[1].message, /no "columns" list of names/);
    } finally {
      log.close();
    }
  });
});
