// Writes the TRL Parquet fixtures with hyparquet-writer:
//   test/fixtures/frameworks/trl-run/completions/completions_00010.parquet  8 rows, two row groups (5 + 3)
//   test/fixtures/frameworks/trl-run/completions/completions_00011.parquet  the same generation batch again
//                                                                           (steps_per_generation = 2), step 11
//   test/fixtures/frameworks/trl-run/completions/completions_00012.parquet  4 rows, one row group
// Columns and types as TRL ≥ 0.28 writes them with pandas `DataFrame.to_parquet` (snappy):
//   step int64, prompt string, completion string, one float64 column per reward function (NaN where the
//   function returned None), a log_extra column (here `completion_length` int64), advantage float64.
// The first four rows of completions_00010 are the rows of trl__completions_00010.parquet.as.json (verbatim);
// the other rows are made up in the same shape, their advantages computed as TRL does:
//   (r − mean_G) / (std_G + 1e-4), unbiased std, r = nansum of the reward columns.
// Run: node scripts/make-parquet-fixture.mjs   (deterministic: same bytes every time)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetWriteBuffer } from 'hyparquet-writer';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = path.join(root, 'test', 'fixtures', 'frameworks');
const outDir = path.join(fixtures, 'trl-run', 'completions');
const asJson = JSON.parse(fs.readFileSync(path.join(fixtures, 'trl__completions_00010.parquet.as.json'), 'utf8'));

const PROMPT = asJson.rows[0].prompt;
const PROMPT_UMBRELLA = PROMPT.replace('the lady with the blue shirt', 'the man holding an umbrella');

/** TRL's GRPO advantage for one group (scale_rewards="group", epsilon 1e-4). */
function advantages(rewardRows) {
  const totals = rewardRows.map((r) => r.reduce((s, v) => (Number.isNaN(v) ? s : s + v), 0));
  const mean = totals.reduce((a, b) => a + b, 0) / totals.length;
  const std = Math.sqrt(totals.reduce((s, v) => s + (v - mean) ** 2, 0) / (totals.length - 1));
  return totals.map((t) => (t - mean) / (std + 1e-4));
}

function group(step, prompt, items) {
  const adv = advantages(items.map((x) => [x.iou_reward, x.format_reward_rec]));
  return items.map((x, k) => ({ step, prompt, ...x, advantage: x.advantage ?? adv[k] }));
}

const group0 = asJson.rows.map((r) => ({
  step: 10,
  prompt: r.prompt,
  completion: r.completion,
  iou_reward: r.iou_reward,
  format_reward_rec: r.format_reward_rec,
  advantage: r.advantage,
}));
// Same question text, another image (TRL ≥ 0.24 decodes prompts with skip_special_tokens, so the image
// placeholder is gone): a second group with an identical prompt.
const group1 = group(10, PROMPT, [
  {
    completion: '<think>The woman in the blue shirt stands left of centre.</think>\n<answer>{"bbox_2d": [110, 300, 240, 470], "label": "the lady with the blue shirt"}</answer>',
    iou_reward: 0.85,
    format_reward_rec: 1.0,
  },
  { completion: '<think>I cannot see a blue shirt.</think><answer>none</answer>', iou_reward: 0.0, format_reward_rec: 0.0 },
  {
    completion: '<think>She is on the right.</think><answer>{"bbox_2d": [320, 250, 415, 600], "label": "lady"}</answer>',
    iou_reward: NaN, // the reward function returned None
    format_reward_rec: 1.0,
  },
  {
    completion: '<think>Left woman, blue top.</think><answer>{"bbox_2d": [100, 295, 238, 482], "label": "the lady with the blue shirt"}</answer>',
    iou_reward: 0.95,
    format_reward_rec: 1.0,
  },
]);
const step12 = group(12, PROMPT_UMBRELLA, [
  { completion: '<think>The man with the umbrella is in the middle.</think><answer>{"bbox_2d": [180, 120, 300, 560]}</answer>', iou_reward: 0.72, format_reward_rec: 1.0 },
  { completion: '<think>Middle.</think><answer>{"bbox_2d": [175, 110, 310, 575]}</answer>', iou_reward: 0.8, format_reward_rec: 1.0 },
  { completion: '<think>He is at the top.</think><answer>{"bbox_2d": [10, 10, 100, 90]}</answer>', iou_reward: 0.0, format_reward_rec: 1.0 },
  { completion: 'The man is in the middle: [180, 120, 300, 560]', iou_reward: 0.0, format_reward_rec: 0.0 },
]);

const PANDAS_META = (rows) =>
  JSON.stringify({
    index_columns: [{ kind: 'range', name: null, start: 0, stop: rows, step: 1 }],
    column_indexes: [{ name: null, field_name: null, pandas_type: 'unicode', numpy_type: 'object', metadata: { encoding: 'UTF-8' } }],
    columns: [
      { name: 'step', field_name: 'step', pandas_type: 'int64', numpy_type: 'int64', metadata: null },
      { name: 'prompt', field_name: 'prompt', pandas_type: 'unicode', numpy_type: 'object', metadata: null },
      { name: 'completion', field_name: 'completion', pandas_type: 'unicode', numpy_type: 'object', metadata: null },
      { name: 'iou_reward', field_name: 'iou_reward', pandas_type: 'float64', numpy_type: 'float64', metadata: null },
      { name: 'format_reward_rec', field_name: 'format_reward_rec', pandas_type: 'float64', numpy_type: 'float64', metadata: null },
      { name: 'completion_length', field_name: 'completion_length', pandas_type: 'int64', numpy_type: 'int64', metadata: null },
      { name: 'advantage', field_name: 'advantage', pandas_type: 'float64', numpy_type: 'float64', metadata: null },
    ],
    creator: { library: 'pyarrow', version: '17.0.0' },
    pandas_version: '2.2.3',
  });

/** Rows → the TRL column layout, written like pandas (nullable columns, snappy). */
export function trlParquet(rows, { rowGroupSize } = {}) {
  const col = (k) => rows.map((r) => r[k]);
  const columnData = [
    { name: 'step', data: BigInt64Array.from(rows.map((r) => BigInt(r.step))), type: 'INT64' },
    { name: 'prompt', data: col('prompt'), type: 'STRING' },
    { name: 'completion', data: col('completion'), type: 'STRING' },
    { name: 'iou_reward', data: Float64Array.from(col('iou_reward')), type: 'DOUBLE' },
    { name: 'format_reward_rec', data: Float64Array.from(col('format_reward_rec')), type: 'DOUBLE' },
    // a log_extra column (TRL ≥ 1.0): completion length in characters, as a user's reward function might log it
    { name: 'completion_length', data: BigInt64Array.from(rows.map((r) => BigInt(r.completion.length))), type: 'INT64' },
    { name: 'advantage', data: Float64Array.from(col('advantage')), type: 'DOUBLE' },
  ];
  return Buffer.from(
    parquetWriteBuffer({
      columnData,
      codec: 'SNAPPY',
      rowGroupSize: rowGroupSize ?? rows.length,
      kvMetadata: [{ key: 'pandas', value: PANDAS_META(rows.length) }],
    }),
  );
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  fs.mkdirSync(outDir, { recursive: true });
  const batch10 = [...group0, ...group1];
  const files = [
    ['completions_00010.parquet', trlParquet(batch10, { rowGroupSize: 5 })],
    ['completions_00011.parquet', trlParquet(batch10.map((r) => ({ ...r, step: 11 })), { rowGroupSize: 5 })],
    ['completions_00012.parquet', trlParquet(step12)],
  ];
  for (const [name, buf] of files) {
    fs.writeFileSync(path.join(outDir, name), buf);
    console.log(`${path.relative(root, path.join(outDir, name))}: ${buf.length} bytes`);
  }
}
