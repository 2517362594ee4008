// The demo run written again the way other frameworks would have logged it, so the demo shows
// Rollout Lens on every format it reads: a verl rollout_data_dir, a VLM-R1 debug log (+ _format),
// TRL completions parquet files and an ms-swift completions.jsonl. Each follows its framework's
// own write statements (see the reference notes on formats); what a framework does not log is left out.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { mulberry32, mixSeed } from './scenes';

export interface DemoItem {
  step: number;
  /** Prompt index within the step. */
  prompt: number;
  index: number;
  promptText: string;
  /** Absolute path of the image. */
  imagePath: string;
  completion: string;
  gtCount: number;
  gtBoxes: Array<[number, number, number, number]>;
  rewards: { accuracy: number; format: number; iou: number };
  reward: number;
  advantage: number;
}

export interface FrameworkRuns {
  verlDir: string;
  vlmR1Log: string;
  trlDir: string;
  msSwiftFile: string;
}

const QWEN_SYSTEM = 'system\nYou are a helpful assistant.\nuser\n';

function byStep(items: DemoItem[]): Map<number, DemoItem[]> {
  const m = new Map<number, DemoItem[]>();
  for (const it of items) {
    const list = m.get(it.step) ?? [];
    list.push(it);
    m.set(it.step, list);
  }
  return m;
}

/** Python's repr of a float as the frameworks print it (1.0, 0.0, 0.7266…). */
function pyFloat(x: number): string {
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

export function writeFrameworkRuns(root: string, items: DemoItem[], seed: number, groupSize: number): FrameworkRuns {
  const steps = byStep(items);

  // The training dataset in VLM-R1's grpo_jsonl form: TRL, verl and ms-swift log no images, so their runs'
  // rollout-lens.json point here and each prompt is joined back to its row (its image and answer).
  const dataFile = path.join(root, 'data', 'train.jsonl');
  const seen = new Map<string, DemoItem>();
  for (const it of items) if (!seen.has(it.imagePath)) seen.set(it.imagePath, it);
  fs.writeFileSync(
    dataFile,
    [...seen.values()]
      .map((it, k) =>
        JSON.stringify({
          id: k,
          image: path.relative(path.join(root, 'data'), it.imagePath).split(path.sep).join('/'),
          conversations: [
            { from: 'human', value: `<image>${it.promptText}` },
            { from: 'gpt', value: String(it.gtCount) },
          ],
        }),
      )
      .join('\n') + '\n',
  );
  const joinContext = { datasets: ['../../data/train.jsonl'], imageFolders: ['../../data'] };

  // verl: trainer.rollout_data_dir=<dir>, one <global_step>.jsonl per step, rows shuffled by balance_batch,
  // score = float32 sum of token-level scores, plus the keys a dict-returning compute_score adds.
  const verlRun = path.join(root, 'runs', 'verl-demo');
  const verlDir = path.join(verlRun, 'rollout_data');
  fs.mkdirSync(verlDir, { recursive: true });
  for (const [step, list] of steps) {
    const rng = mulberry32(mixSeed(seed, 0x7e71, step));
    const rows = list.map((it) => ({
      input: `${QWEN_SYSTEM}${it.promptText}\nassistant\n`,
      output: it.completion,
      gts: String(it.gtCount),
      score: Math.fround(it.reward),
      step,
      acc: it.rewards.accuracy,
      format: it.rewards.format,
      iou: it.rewards.iou,
    }));
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    fs.writeFileSync(path.join(verlDir, `${step}.jsonl`), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  }
  fs.writeFileSync(
    path.join(verlRun, 'rollout-lens.json'),
    JSON.stringify({ groupSize, framework: 'verl', ...joinContext }, null, 2) + '\n',
  );

  // VLM-R1: DEBUG_MODE=true, LOG_PATH=runs/<exp>/log/debug_log.<date>.txt; the accuracy reward writes one
  // block per completion, format_reward one header per call then Content/Has format pairs.
  const vlmDir = path.join(root, 'runs', 'vlm-r1-demo', 'log');
  fs.mkdirSync(vlmDir, { recursive: true });
  const vlmR1Log = path.join(vlmDir, 'debug_log.2026-11-21-10-00-00.txt');
  const acc: string[] = [];
  const fmt: string[] = [];
  let t = 0;
  const stamp = (): string => {
    t += 137_013;
    const us = t % 1_000_000;
    const s = Math.floor(t / 1_000_000);
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    return `21-10-${pad(Math.floor(s / 60) % 60)}-${pad(s % 60)}-${pad(us, 6)}`;
  };
  for (const list of steps.values()) {
    for (let k = 0; k < list.length; k += groupSize) {
      const group = list.slice(k, k + groupSize);
      fmt.push(`------------- ${stamp()} Format reward -------------`);
      for (const it of group) {
        acc.push(`------------- ${stamp()} Accuracy reward: ${pyFloat(it.rewards.accuracy)} -------------`);
        acc.push(`image_path: ['${it.imagePath.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`);
        acc.push(`problem: ${it.promptText}`);
        acc.push(`Content: ${it.completion}`);
        acc.push(`Solution: <answer> ${it.gtCount} </answer>`);
        fmt.push(`Content: ${it.completion}`);
        fmt.push(`Has format: ${it.rewards.format > 0 ? 'True' : 'False'}`);
      }
    }
  }
  fs.writeFileSync(vlmR1Log, acc.join('\n') + '\n');
  fs.writeFileSync(vlmR1Log.replace(/\.txt$/, '_format.txt'), fmt.join('\n') + '\n');
  fs.writeFileSync(
    path.join(root, 'runs', 'vlm-r1-demo', 'rollout-lens.json'),
    JSON.stringify({ groupSize, framework: 'vlm-r1' }, null, 2) + '\n',
  );

  // TRL >= 0.28: log_completions=True → <output_dir>/completions/completions_{step:05d}.parquet
  // (step, prompt, completion, one float column per reward function, advantage). Every 4th step, as with logging_steps=4.
  const trlRun = path.join(root, 'runs', 'trl-demo');
  const trlDir = path.join(trlRun, 'completions');
  fs.mkdirSync(trlDir, { recursive: true });
  fs.writeFileSync(path.join(trlRun, 'rollout-lens.json'), JSON.stringify({ framework: 'trl', ...joinContext }, null, 2) + '\n');
  for (const [step, list] of steps) {
    if (step % 4 !== 0) continue;
    const buf = parquetWriteBuffer({
      columnData: [
        { name: 'step', data: BigInt64Array.from(list.map(() => BigInt(step))), type: 'INT64' },
        { name: 'prompt', data: list.map((it) => `${QWEN_SYSTEM}${it.promptText}\nassistant\n`), type: 'STRING' },
        { name: 'completion', data: list.map((it) => it.completion), type: 'STRING' },
        { name: 'accuracy_reward', data: Float64Array.from(list.map((it) => it.rewards.accuracy)), type: 'DOUBLE' },
        { name: 'format_reward', data: Float64Array.from(list.map((it) => it.rewards.format)), type: 'DOUBLE' },
        { name: 'iou_reward', data: Float64Array.from(list.map((it) => it.rewards.iou)), type: 'DOUBLE' },
        { name: 'advantage', data: Float64Array.from(list.map((it) => it.advantage)), type: 'DOUBLE' },
      ],
    });
    fs.writeFileSync(path.join(trlDir, `completions_${String(step).padStart(5, '0')}.parquet`), Buffer.from(buf));
  }

  // ms-swift: --log_completions true → <output_dir>/completions.jsonl, one column-oriented object per step.
  const swiftRun = path.join(root, 'runs', 'ms-swift-demo');
  fs.mkdirSync(swiftRun, { recursive: true });
  const msSwiftFile = path.join(swiftRun, 'completions.jsonl');
  const swiftLines: string[] = [];
  for (const [step, list] of steps) {
    if (step % 2 !== 0) continue;
    swiftLines.push(
      JSON.stringify({
        step: list.map(() => String(step)),
        prompt: list.map((it) => `<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<|vision_start|>[151655 * 256]<|vision_end|>${it.promptText}<|im_end|>\n<|im_start|>assistant\n`),
        completion: list.map((it) => it.completion),
        MultiModalAccuracyORM: list.map((it) => it.rewards.accuracy),
        Format: list.map((it) => it.rewards.format),
        IoUReward: list.map((it) => it.rewards.iou),
        advantages: list.map((it) => it.advantage),
        solution: list.map((it) => String(it.gtCount)),
      }),
    );
  }
  fs.writeFileSync(msSwiftFile, swiftLines.join('\n') + '\n');
  fs.writeFileSync(path.join(swiftRun, 'args.json'), JSON.stringify({ num_generations: groupSize, rlhf_type: 'grpo', log_completions: true }, null, 2) + '\n');
  fs.writeFileSync(path.join(swiftRun, 'rollout-lens.json'), JSON.stringify(joinContext, null, 2) + '\n');

  return { verlDir, vlmR1Log, trlDir, msSwiftFile };
}
