// `rollout-lens bench` / `npm run bench`: the readers at the scale of a real GRPO run, against a naive
// readline + JSON.parse pass measured in the same run on the same data.
//
// It generates (under the OS temp folder, deleted afterwards) N completions (default 1 000 000; G = 8,
// 2 000 steps for 1 M) twice: as one rollout-lens JSONL file and as verl `<step>.jsonl` dump files (rows
// shuffled within a step, as balance_batch leaves them). Each measurement runs in a child process of its
// own, so its peak RSS is its own:
//   first group   progressive open → first group's records read (onPartial)
//   summary       summarizeInWorker (worker thread: index with columns + per-step summary)
//   fetch         1 000 random record reads (read(i): positioned read + parse) after a full index
//   cache         open again with a warm index cache (after a cold open wrote it)
//   naive         readline + JSON.parse of every line, the same per-step aggregates; random fetch by
//                 reading lines up to the record
// Targets: first group ≤ 0.3 s, summary ≤ 2.5 s and ≥ 3× faster than naive, fetch p95 ≤ 20 ms,
// RSS ≤ 250 MB. The machine may be shared and noisy: the ratios are measured in the same run.
//
// The filter section (in this process, no files; `--only filter` runs it alone) builds a synthetic
// N-row QueryTable (typed-array columns) and times parse + evaluate + count of five filter expressions,
// and sortRows by reward on each result, against a naive baseline: an array of N plain row objects
// filtered with a hand-written JS predicate and sorted with Array.prototype.sort. Target ≤ 1 s per filter.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import { openRolloutLensJsonl } from './core/formats/rolloutLensJsonl';
import { openVerl, listVerlStepFiles } from './core/formats/verl';
import type { RolloutLog } from './core/formats/log';
import { summarizeInWorker } from './core/summaryWorker';
import { runJudgeBench, renderJudgeBench, type JudgeBench } from './benchJudge';
import { evaluate, parseQuery, sortRows } from './core/query/index';
import type { FieldDef, QueryTable } from './core/query/index';

// ---------------------------------------------------------------- data

export interface BenchData {
  dir: string;
  records: number;
  steps: number;
  groupSize: number;
  groups: number;
  ownFile: string;
  ownBytes: number;
  verlDir: string;
  verlBytes: number;
  verlFiles: number;
}

/** mulberry32 */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OBJECTS = ['the lady with the blue shirt', 'the man holding an umbrella', 'the red car on the left', 'the dog lying on the grass', 'the second bottle from the right', 'the child in a yellow raincoat', 'the laptop on the desk', 'the bird on the fence', 'the white mug next to the keyboard', 'the person riding a bicycle', 'the traffic light above the crossing', 'the striped cat on the sofa'];
const SENTENCES = [
  'The question asks for {o}.',
  'There are several candidates in the image, so I compare their colours and positions first.',
  'Looking at the left half of the picture, I can see {o} standing near the bottom edge.',
  'The object is partly occluded by another one, but its outline is still clear.',
  'I estimate the top-left corner at about ({x}, {y}) in the resized image.',
  'The width looks like roughly a quarter of the image and the height a bit more than a third.',
  'Another object with a similar colour is further to the right, so it is not the one asked for.',
  'To be precise, the box should include the whole body but not the shadow on the ground.',
  'I will answer in JSON with the bbox_2d key as the prompt requires.',
  'Checking again: the region {"bbox_2d": [{x}, {y}, {x2}, {y2}], "label": "{o}"} matches the description.',
  'The lighting makes the edges a little blurry, so I keep a small margin around it.',
  'Nothing else in the scene fits the description as well as this one.',
  'Earlier I wrote "reward": 5 in my notes by mistake; that is not part of the answer.',
  'As a sanity check, "step": 99 of my reasoning: the box is inside the image bounds.',
];

interface Row {
  step: number;
  groupId: string;
  iig: number;
  sampleId: string;
  question: string;
  image: { path: string; width: number; height: number; input_width: number; input_height: number };
  completion: string;
  gt: [number, number, number, number];
  iou: number;
  format: number;
  reward: number;
  advantage: number;
}

function stepRows(step: number, groupsInStep: number, G: number, rand: () => number): Row[] {
  const rows: Row[] = [];
  for (let p = 0; p < groupsInStep; p++) {
    const o = OBJECTS[Math.floor(rand() * OBJECTS.length)];
    const w = 320 + Math.floor(rand() * 960);
    const h = 240 + Math.floor(rand() * 720);
    const iw = Math.max(28, Math.round(w / 28) * 28);
    const ih = Math.max(28, Math.round(h / 28) * 28);
    const gx = Math.floor(rand() * w * 0.6);
    const gy = Math.floor(rand() * h * 0.6);
    const gt: [number, number, number, number] = [gx, gy, gx + 20 + Math.floor(rand() * w * 0.35), gy + 20 + Math.floor(rand() * h * 0.35)];
    const id = `${100000 + ((step * 7919 + p * 104729) % 900000)}`;
    const zeroVar = rand() < 0.1;
    const group: Row[] = [];
    for (let k = 0; k < G; k++) {
      const x = Math.floor(rand() * iw * 0.6);
      const y = Math.floor(rand() * ih * 0.6);
      const x2 = x + 20 + Math.floor(rand() * iw * 0.35);
      const y2 = y + 20 + Math.floor(rand() * ih * 0.35);
      const n = 5 + Math.floor(rand() * 5);
      const parts: string[] = [];
      for (let j = 0; j < n; j++) {
        parts.push(
          SENTENCES[Math.floor(rand() * SENTENCES.length)]
            .replace(/\{o\}/g, o)
            .replace('{x}', String(x))
            .replace('{y}', String(y))
            .replace('{x2}', String(x2))
            .replace('{y2}', String(y2)),
        );
      }
      const formatOk = zeroVar || rand() < 0.85;
      const answer = `\`\`\`json\n[\n\t{"bbox_2d": [${x}, ${y}, ${x2}, ${y2}], "label": "${o}"}\n]\n\`\`\``;
      const completion = formatOk ? `<think>\n${parts.join(' ')}\n</think>\n<answer>\n${answer}\n</answer>` : `${parts.join(' ')}\n${answer}`;
      const iou = zeroVar ? 0 : Math.round(rand() * 1e6) / 1e6;
      const format = formatOk ? 1 : 0;
      group.push({
        step,
        groupId: `s${step}-p${p}`,
        iig: k,
        sampleId: `coco-${id}`,
        question: `Please provide the bounding box coordinate of the region this sentence describes: ${o}.`,
        image: { path: `coco/train2014/COCO_train2014_000000${id}.jpg`, width: w, height: h, input_width: iw, input_height: ih },
        completion,
        gt,
        iou,
        format,
        reward: iou + format,
        advantage: 0,
      });
    }
    // logged GRPO advantages (TRL: ε = 1e-4, unbiased std)
    const mean = group.reduce((a, r) => a + r.reward, 0) / G;
    const std = Math.sqrt(group.reduce((a, r) => a + (r.reward - mean) ** 2, 0) / (G - 1));
    for (const r of group) r.advantage = (r.reward - mean) / (std + 1e-4);
    rows.push(...group);
  }
  return rows;
}

/** A Python float as json.dumps writes it (1.0, not 1). */
function pyFloat(v: number): string {
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

/** One rollout-lens JSONL line as Python's json.dumps writes it (", " and ": " separators). */
function ownLine(r: Row): string {
  const im = r.image;
  return (
    `{"step": ${r.step}, "group_id": ${JSON.stringify(r.groupId)}, "index_in_group": ${r.iig}, "sample_id": ${JSON.stringify(r.sampleId)}, ` +
    `"prompt": {"text": ${JSON.stringify(`${r.question} Output the final answer in JSON format.`)}, "images": [{"path": ${JSON.stringify(im.path)}, "width": ${im.width}, "height": ${im.height}, "input_width": ${im.input_width}, "input_height": ${im.input_height}}]}, ` +
    `"completion": ${JSON.stringify(r.completion)}, "reference": {"boxes": [{"bbox": [${r.gt.join(', ')}], "label": "target", "frame": "original"}]}, ` +
    `"rewards": {"iou": ${pyFloat(r.iou)}, "format": ${pyFloat(r.format)}}, "reward": ${pyFloat(r.reward)}, "advantage": ${pyFloat(r.advantage)}}`
  );
}

/** One verl `_dump_generations` line (json.dumps(entry, ensure_ascii=False)); score is a float32 as verl logs it. */
function verlLine(r: Row): string {
  const input = `system\nYou are a helpful assistant.\nuser\n${r.question} First output the thinking process in <think> </think> tags and then output the final answer in <answer> </answer> tags. Output the final answer in JSON format.\nassistant\n`;
  return (
    `{"input": ${JSON.stringify(input)}, "output": ${JSON.stringify(r.completion)}, "gts": "[${r.gt.join(', ')}]", ` +
    `"score": ${pyFloat(Math.fround(0.9 * r.iou + 0.1 * r.format))}, "step": ${r.step}, "iou": ${pyFloat(r.iou)}, "format": ${pyFloat(r.format)}}`
  );
}

/** Generate the bench data under `dir` (own format: one file; verl: one file per step, rows shuffled). */
export function generateBenchData(dir: string, records: number, log: (s: string) => void = () => undefined): BenchData {
  const G = 8;
  const groups = Math.max(1, Math.round(records / G));
  const steps = Math.max(1, Math.min(groups, Math.round(records / 500)));
  fs.mkdirSync(dir, { recursive: true });
  const ownFile = path.join(dir, 'run.rollouts.jsonl');
  const verlDir = path.join(dir, 'verl_rollouts');
  fs.mkdirSync(verlDir, { recursive: true });
  const fd = fs.openSync(ownFile, 'w');
  const rand = rng(7);
  const shuffle = rng(11);
  let ownBytes = 0;
  let verlBytes = 0;
  let done = 0;
  const t0 = Date.now();
  for (let s = 0; s < steps; s++) {
    const gs = Math.floor(((s + 1) * groups) / steps) - Math.floor((s * groups) / steps);
    const rows = stepRows(s + 1, gs, G, rand);
    const own = rows.map(ownLine).join('\n') + '\n';
    ownBytes += fs.writeSync(fd, own);
    // balance_batch reorders the rows of a step
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(shuffle() * (i + 1));
      [rows[i], rows[j]] = [rows[j], rows[i]];
    }
    const v = rows.map(verlLine).join('\n') + '\n';
    fs.writeFileSync(path.join(verlDir, `${s + 1}.jsonl`), v);
    verlBytes += Buffer.byteLength(v);
    done += rows.length;
    if (s % 200 === 199) log(`  generated ${done} / ${groups * G} completions (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  fs.closeSync(fd);
  return { dir, records: done, steps, groupSize: G, groups, ownFile, ownBytes, verlDir, verlBytes, verlFiles: steps };
}

// ---------------------------------------------------------------- scenarios (each in a child process)

type Layout = 'own' | 'verl';
type Scenario = 'first-group' | 'summary' | 'fetch' | 'cache-cold' | 'cache-warm' | 'naive-summary' | 'naive-fetch';

export interface ScenarioResult {
  ms: number;
  rssMb: number;
  /** CPU time of the whole child process (all threads), ms. */
  cpuMs?: number;
  detail: Record<string, number | string>;
}

function rssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

async function openLayout(layout: Layout, data: BenchData, opts: Record<string, unknown>): Promise<RolloutLog> {
  if (layout === 'own') return openRolloutLensJsonl(data.ownFile, opts);
  return openVerl([], { ...opts, target: data.verlDir });
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function runScenario(sc: Scenario, layout: Layout, data: BenchData, cacheDir: string): Promise<ScenarioResult> {
  const t0 = performance.now();
  switch (sc) {
    case 'first-group': {
      let firstMs = NaN;
      let groupSize = 0;
      await new Promise<void>((resolve, reject) => {
        openLayout(layout, data, {
          onPartial: (log: RolloutLog) => {
            const g = log.groups[0];
            for (const r of g.records) if (!log.read(r).rollout) reject(new Error(`record ${r} did not read`));
            firstMs = performance.now() - t0;
            groupSize = g.records.length;
            resolve();
          },
        }).catch(reject);
      });
      return { ms: firstMs, rssMb: rssMb(), detail: { groupSize } };
    }
    case 'summary': {
      const target = layout === 'own' ? data.ownFile : data.verlDir;
      const s = await summarizeInWorker([target]);
      const ms = performance.now() - t0;
      return { ms, rssMb: rssMb(), detail: { records: s.records, groups: s.groups, steps: s.perStep.length, zeroVariance: s.zeroVarianceGroups, issues: s.errors.length } };
    }
    case 'fetch': {
      const log = await openLayout(layout, data, {});
      const indexMs = performance.now() - t0;
      const rand = rng(3);
      const times: number[] = [];
      for (let k = 0; k < 1000; k++) {
        const i = Math.floor(rand() * log.recordCount);
        const t = performance.now();
        const out = log.read(i);
        times.push(performance.now() - t);
        if (!out.rollout) throw new Error(`record ${i}: ${out.issues.map((x) => x.message).join('; ')}`);
      }
      times.sort((a, b) => a - b);
      const heapMb = process.memoryUsage().heapUsed / 1e6;
      log.close();
      return { ms: indexMs, rssMb: rssMb(), detail: { p50: pct(times, 50), p95: pct(times, 95), max: times[times.length - 1], records: log.recordCount, groups: log.groups.length, heapMb } };
    }
    case 'cache-cold': {
      const log = await openLayout(layout, data, { cacheDir, columns: true });
      const openMs = performance.now() - t0;
      const t1 = performance.now();
      await (log as unknown as { cacheWrite: Promise<void> }).cacheWrite;
      const saveMs = performance.now() - t1;
      log.close();
      return { ms: openMs, rssMb: rssMb(), detail: { saveMs, status: (log as unknown as { cacheStatus: string }).cacheStatus } };
    }
    case 'cache-warm': {
      const log = await openLayout(layout, data, { cacheDir, columns: true });
      const ms = performance.now() - t0;
      const status = (log as unknown as { cacheStatus: string }).cacheStatus;
      const n = log.recordCount;
      log.close();
      return { ms, rssMb: rssMb(), detail: { status, records: n } };
    }
    case 'naive-summary': {
      const r = layout === 'own' ? await naiveOwn(data.ownFile) : await naiveVerl(data.verlDir);
      return { ms: performance.now() - t0, rssMb: rssMb(), detail: r };
    }
    case 'naive-fetch': {
      // without an index, record k is found by reading lines up to it
      const rand = rng(3);
      const times: number[] = [];
      const files = layout === 'own' ? [data.ownFile] : (await listVerlStepFiles(data.verlDir)).files;
      const budgetMs = 20000;
      const start = performance.now();
      for (let k = 0; k < 20 && (k < 3 || performance.now() - start < budgetMs); k++) {
        const target = Math.floor(rand() * data.records);
        const t = performance.now();
        await naiveFetch(files, target);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      return { ms: performance.now() - t0, rssMb: rssMb(), detail: { p50: pct(times, 50), p95: pct(times, 95), samples: times.length } };
    }
  }
}

async function* lines(file: string): AsyncGenerator<string> {
  const rl = readline.createInterface({ input: fs.createReadStream(file, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  for await (const l of rl) yield l;
}

async function naiveFetch(files: string[], target: number): Promise<unknown> {
  let k = 0;
  for (const f of files) {
    for await (const l of lines(f)) {
      if (!l.trim()) continue;
      if (k++ === target) return JSON.parse(l);
    }
  }
  return null;
}

interface NaiveStep {
  records: number;
  rewardSum: number;
  advSum: number;
  groups: Map<string, number[]>;
}

function naiveResult(perStep: Map<number, NaiveStep>, records: number): Record<string, number> {
  let groups = 0;
  let zero = 0;
  for (const s of perStep.values()) {
    for (const rs of s.groups.values()) {
      groups++;
      if (rs.length > 1 && rs.every((v) => v === rs[0])) zero++;
    }
  }
  return { records, groups, steps: perStep.size, zeroVariance: zero };
}

/** readline + JSON.parse of every line; per-step means, groups (step + group_id), zero-variance groups. */
async function naiveOwn(file: string): Promise<Record<string, number>> {
  const perStep = new Map<number, NaiveStep>();
  let records = 0;
  const rewardSums = new Map<string, number>();
  for await (const l of lines(file)) {
    if (!l.trim()) continue;
    const o = JSON.parse(l) as { step: number; group_id: string; reward?: number; advantage?: number; rewards?: Record<string, number> };
    records++;
    let s = perStep.get(o.step);
    if (!s) perStep.set(o.step, (s = { records: 0, rewardSum: 0, advSum: 0, groups: new Map() }));
    s.records++;
    const reward = o.reward ?? 0;
    s.rewardSum += reward;
    s.advSum += o.advantage ?? 0;
    for (const [k, v] of Object.entries(o.rewards ?? {})) rewardSums.set(k, (rewardSums.get(k) ?? 0) + v);
    const g = s.groups.get(o.group_id);
    if (g) g.push(reward);
    else s.groups.set(o.group_id, [reward]);
  }
  return naiveResult(perStep, records);
}

/** The same for verl dumps: groups by input + gts within a step, GRPO advantages recomputed (ε = 1e-6). */
async function naiveVerl(dir: string): Promise<Record<string, number>> {
  const perStep = new Map<number, NaiveStep>();
  let records = 0;
  for (const f of (await listVerlStepFiles(dir)).files) {
    for await (const l of lines(f)) {
      if (!l.trim()) continue;
      const o = JSON.parse(l) as { input: string; gts: unknown; score: number; step: number };
      records++;
      let s = perStep.get(o.step);
      if (!s) perStep.set(o.step, (s = { records: 0, rewardSum: 0, advSum: 0, groups: new Map() }));
      s.records++;
      s.rewardSum += o.score;
      const key = `${o.input}\u0000${JSON.stringify(o.gts)}`;
      const g = s.groups.get(key);
      if (g) g.push(o.score);
      else s.groups.set(key, [o.score]);
    }
  }
  for (const s of perStep.values()) {
    for (const rs of s.groups.values()) {
      if (rs.length < 2) continue;
      const mean = rs.reduce((a, b) => a + b, 0) / rs.length;
      const std = Math.sqrt(rs.reduce((a, b) => a + (b - mean) ** 2, 0) / (rs.length - 1));
      for (const v of rs) s.advSum += (v - mean) / (std + 1e-6);
    }
  }
  return naiveResult(perStep, records);
}

// ---------------------------------------------------------------- driver

const CHILD_FLAG = '--child';

function childScript(): string {
  // dist/cli.js (bundle) or out/extension/cli.js (tsc): both run `main` when started directly
  return path.join(__dirname, 'cli.js');
}

function runChild(sc: Scenario, layout: Layout, data: BenchData, cacheDir: string): ScenarioResult {
  const out = execFileSync(process.execPath, ['--expose-gc', childScript(), 'bench', CHILD_FLAG, JSON.stringify({ sc, layout, data, cacheDir })], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = out.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as ScenarioResult;
}

// ---------------------------------------------------------------- filter (in process)

export interface FilterCase {
  expr: string;
  matches: number;
  /** parse + evaluate + count, median of the runs (ms). */
  ms: number;
  /** rows.filter(hand-written predicate) over plain objects, median (ms). */
  naiveMs: number;
  /** sortRows(table, result, 'reward', desc) (ms), and the naive result.slice().sort(by reward) (ms). */
  sortMs: number;
  naiveSortMs: number;
}

export interface FilterBench {
  rows: number;
  runs: number;
  /** Building the typed-array table and the plain-object array (ms). */
  buildMs: number;
  naiveBuildMs: number;
  cases: FilterCase[];
  targetMs: number;
  met: boolean;
}

const VERDICTS = ['supported', 'unsupported', 'contradicted', 'unknown'];

const FILTER_FIELDS: FieldDef[] = [
  { name: 'step', type: 'number', description: 'training step' },
  { name: 'reward', type: 'number', description: 'total reward' },
  { name: 'advantage', type: 'number', description: 'advantage' },
  { name: 'iou', type: 'number', description: 'IoU' },
  { name: 'format', type: 'number', description: 'format reward', aliases: ['format_reward'] },
  { name: 'accuracy', type: 'number', description: 'accuracy reward' },
  { name: 'length', type: 'number', description: 'completion length' },
  { name: 'zero_std', type: 'bool', description: 'zero-variance group' },
  { name: 'mismatch', type: 'bool', description: 'answer and boxes disagree' },
  { name: 'truncated', type: 'bool', description: 'hit the length limit' },
  { name: 'verdict', type: 'string', description: 'judge verdict' },
  { name: 'text', type: 'string', description: 'completion', text: true },
];

interface NaiveRow {
  step: number;
  reward: number;
  advantage: number;
  iou: number;
  format: number;
  accuracy: number;
  length: number;
  zero_std: boolean;
  mismatch: boolean;
  truncated: boolean;
  verdict: string | null;
}

const FILTER_CASES: Array<{ expr: string; naive: (r: NaiveRow) => boolean }> = [
  { expr: 'iou < 0.3 and format == 1', naive: (r) => r.iou < 0.3 && r.format === 1 },
  { expr: 'advantage > 1', naive: (r) => r.advantage > 1 },
  { expr: 'zero_std', naive: (r) => r.zero_std },
  { expr: 'mismatch or reward < 0.2', naive: (r) => r.mismatch || r.reward < 0.2 },
  { expr: 'verdict == "contradicted" and not truncated', naive: (r) => r.verdict === 'contradicted' && !r.truncated },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** The filter section: synthetic table vs plain objects, `runs` timed runs each (median). */
export function runFilterBench(rowCount: number, runs = 5, log: (s: string) => void = () => undefined): FilterBench {
  const rand = rng(5);
  const t0 = performance.now();
  const col = (): Float64Array => new Float64Array(rowCount);
  const step = col();
  const reward = col();
  const advantage = col();
  const iou = col();
  const format = col();
  const accuracy = col();
  const length = col();
  const zeroStd = col();
  const mismatch = col();
  const truncated = col();
  const verdict = new Int32Array(rowCount);
  const G = 8;
  for (let i = 0; i < rowCount; i++) {
    const g = Math.floor(i / G);
    step[i] = Math.floor(g / 64) + 1;
    const zero = (g * 2654435761) % 10 === 0;
    iou[i] = zero ? 0 : Math.round(rand() * 1e6) / 1e6;
    format[i] = zero || rand() < 0.85 ? 1 : 0;
    accuracy[i] = rand() < 0.5 ? 1 : 0;
    reward[i] = iou[i] + format[i];
    advantage[i] = zero ? 0 : (rand() - 0.5) * 4;
    length[i] = 100 + Math.floor(rand() * 900);
    zeroStd[i] = zero ? 1 : 0;
    mismatch[i] = rand() < 0.07 ? 1 : 0;
    truncated[i] = length[i] > 980 ? 1 : 0;
    verdict[i] = rand() < 0.2 ? -1 : Math.floor(rand() * VERDICTS.length);
  }
  const numeric: Record<string, Float64Array> = { step, reward, advantage, iou, format, accuracy, length, zero_std: zeroStd, mismatch, truncated };
  const table: QueryTable = {
    rowCount,
    fields: () => FILTER_FIELDS,
    numeric: (name) => numeric[name] ?? null,
    strings: (name) => (name === 'verdict' ? { codes: verdict, dict: VERDICTS } : null),
    ready: () => true,
  };
  const buildMs = performance.now() - t0;
  // ours first, while the heap holds no row objects (a full GC with a million live objects costs more
  // than the filter itself); then the naive baseline with its own data resident
  const ours = FILTER_CASES.map((c) => {
    const ms: number[] = [];
    const sortMs: number[] = [];
    let matches = -1;
    for (let k = 0; k < runs; k++) {
      gc();
      let t = performance.now();
      const parsed = parseQuery(c.expr, table.fields());
      if (!parsed.ok) throw new Error(`${c.expr}: ${parsed.error.message}`);
      const rows = evaluate(parsed.ast, table);
      matches = rows.length;
      ms.push(performance.now() - t);
      t = performance.now();
      const sorted = sortRows(table, rows, 'reward', true);
      sortMs.push(performance.now() - t);
      if (sorted.length !== rows.length) throw new Error('sortRows lost rows');
    }
    log(`  filter: ${c.expr}: ${fmtMs(median(ms))}, sort ${fmtMs(median(sortMs))}`);
    return { matches, ms: median(ms), sortMs: median(sortMs) };
  });
  gc();
  const t1 = performance.now();
  const objects: NaiveRow[] = new Array(rowCount);
  for (let i = 0; i < rowCount; i++) {
    objects[i] = {
      step: step[i],
      reward: reward[i],
      advantage: advantage[i],
      iou: iou[i],
      format: format[i],
      accuracy: accuracy[i],
      length: length[i],
      zero_std: zeroStd[i] === 1,
      mismatch: mismatch[i] === 1,
      truncated: truncated[i] === 1,
      verdict: verdict[i] < 0 ? null : VERDICTS[verdict[i]],
    };
  }
  const naiveBuildMs = performance.now() - t1;
  const cases: FilterCase[] = [];
  FILTER_CASES.forEach((c, k0) => {
    const naive: number[] = [];
    const naiveSorts: number[] = [];
    let naiveMatches = -1;
    for (let k = 0; k < runs; k++) {
      gc();
      let t = performance.now();
      const found = objects.filter(c.naive);
      naiveMatches = found.length;
      naive.push(performance.now() - t);
      t = performance.now();
      found.slice().sort((a, b) => b.reward - a.reward);
      naiveSorts.push(performance.now() - t);
    }
    const o = ours[k0];
    if (o.matches !== naiveMatches) throw new Error(`${c.expr}: ${o.matches} rows, the naive filter found ${naiveMatches}`);
    const r: FilterCase = { expr: c.expr, matches: o.matches, ms: o.ms, naiveMs: median(naive), sortMs: o.sortMs, naiveSortMs: median(naiveSorts) };
    log(`  naive: ${c.expr}: ${fmtMs(r.naiveMs)}, sort ${fmtMs(r.naiveSortMs)}`);
    cases.push(r);
  });
  const targetMs = 1000;
  return { rows: rowCount, runs, buildMs, naiveBuildMs, cases, targetMs, met: cases.every((c) => c.ms <= targetMs) };
}

export function renderFilterBench(f: FilterBench): string {
  const out: string[] = [];
  const ratio = (a: number, b: number): string => `${(a / b).toFixed(1)}×`;
  out.push(`Filter: ${f.rows.toLocaleString('en')} rows, typed-array QueryTable vs ${f.rows.toLocaleString('en')} plain objects (median of ${f.runs} runs)`);
  out.push(`  build: table ${fmtMs(f.buildMs)} · objects ${fmtMs(f.naiveBuildMs)}`);
  out.push('');
  const rows: string[][] = [['expression', 'matches', 'parse+eval+count', 'naive filter', 'speed-up', 'sortRows by reward', 'naive sort', 'speed-up']];
  for (const c of f.cases) {
    rows.push([c.expr, c.matches.toLocaleString('en'), fmtMs(c.ms), fmtMs(c.naiveMs), ratio(c.naiveMs, c.ms), fmtMs(c.sortMs), fmtMs(c.naiveSortMs), ratio(c.naiveSortMs, c.sortMs)]);
  }
  const w = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) out.push('  ' + row.map((cell, c) => (c === 0 ? cell.padEnd(w[c]) : cell.padStart(w[c]))).join('  ').trimEnd());
  out.push('');
  const worst = Math.max(...f.cases.map((c) => c.ms));
  out.push(`target ≤ ${f.targetMs} ms per filter: ${f.met ? 'met' : 'NOT met'} (slowest ${fmtMs(worst)})`);
  return out.join('\n') + '\n';
}

export interface BenchReport {
  data: Omit<BenchData, 'dir' | 'ownFile' | 'verlDir'>;
  results: Record<string, ScenarioResult>;
  machine: string;
  /** 1-minute load average before and after the measurements (other work on the machine). */
  load: [number, number];
  /** The filter section (absent in reports written before it existed). */
  filter?: FilterBench;
  /** The judge section: judged completions per second with the tiny test model. */
  judge?: JudgeBench;
}

const fmtS = (ms: number): string => (ms >= 100 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const fmtMs = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(2)} ms`);
const mark = (ok: boolean): string => (ok ? 'ok' : 'MISSED');

export function renderReport(r: BenchReport): string {
  const R = r.results;
  const d = r.data;
  const out: string[] = [];
  out.push(`Rollout Lens bench: ${d.records.toLocaleString('en')} completions, G = ${d.groupSize}, ${d.steps.toLocaleString('en')} steps, ${d.groups.toLocaleString('en')} groups`);
  out.push(`  own format: 1 file, ${(d.ownBytes / 1e9).toFixed(2)} GB · verl: ${d.verlFiles.toLocaleString('en')} step files, ${(d.verlBytes / 1e9).toFixed(2)} GB · ${r.machine} · load ${r.load[0].toFixed(1)} → ${r.load[1].toFixed(1)}`);
  out.push('');
  const rows: string[][] = [['', 'own format', 'verl (per-step files)', 'target']];
  const both = (f: (l: Layout) => string): [string, string] => [f('own'), f('verl')];
  const ratio = (a: number, b: number): string => `${(a / b).toFixed(1)}×`;
  rows.push(['time to first group', ...both((l) => `${fmtS(R[`first-group/${l}`].ms)} (${mark(R[`first-group/${l}`].ms <= 300)})`), '≤ 0.3 s']);
  rows.push(['  naive (full parse first)', ...both((l) => `${fmtS(R[`naive-summary/${l}`].ms)}`), '']);
  rows.push(['time to full summary', ...both((l) => `${fmtS(R[`summary/${l}`].ms)} (${mark(R[`summary/${l}`].ms <= 2500)})`), '≤ 2.5 s']);
  rows.push(['  naive readline+JSON.parse', ...both((l) => fmtS(R[`naive-summary/${l}`].ms)), '']);
  rows.push(['  CPU time ours / naive', ...both((l) => `${fmtS(R[`summary/${l}`].cpuMs ?? NaN)} / ${fmtS(R[`naive-summary/${l}`].cpuMs ?? NaN)}`), '']);
  rows.push(['  speed-up vs naive', ...both((l) => `${ratio(R[`naive-summary/${l}`].ms, R[`summary/${l}`].ms)} (${mark(R[`naive-summary/${l}`].ms / R[`summary/${l}`].ms >= 3)})`), '≥ 3×']);
  rows.push(['random fetch p50 / p95', ...both((l) => `${fmtMs(Number(R[`fetch/${l}`].detail.p50))} / ${fmtMs(Number(R[`fetch/${l}`].detail.p95))} (${mark(Number(R[`fetch/${l}`].detail.p95) <= 20)})`), 'p95 ≤ 20 ms']);
  rows.push(['  naive p50 / p95', ...both((l) => `${fmtMs(Number(R[`naive-fetch/${l}`].detail.p50))} / ${fmtMs(Number(R[`naive-fetch/${l}`].detail.p95))} (${R[`naive-fetch/${l}`].detail.samples} reads)`), '']);
  rows.push(['full index (main thread)', ...both((l) => fmtS(R[`fetch/${l}`].ms)), '']);
  rows.push(['peak RSS: index + fetch', ...both((l) => `${R[`fetch/${l}`].rssMb.toFixed(0)} MB (${mark(R[`fetch/${l}`].rssMb <= 250)})`), '≤ 250 MB']);
  rows.push(['peak RSS: summary (worker)', ...both((l) => `${R[`summary/${l}`].rssMb.toFixed(0)} MB (${mark(R[`summary/${l}`].rssMb <= 250)})`), '≤ 250 MB']);
  rows.push(['peak RSS: first group', ...both((l) => `${R[`first-group/${l}`].rssMb.toFixed(0)} MB`), '']);
  rows.push(['  naive', ...both((l) => `${R[`naive-summary/${l}`].rssMb.toFixed(0)} MB`), '']);
  rows.push(['index cache: cold open + write', ...both((l) => `${fmtS(R[`cache-cold/${l}`].ms)} + ${fmtS(Number(R[`cache-cold/${l}`].detail.saveMs))}`), '']);
  rows.push(['index cache: warm open', ...both((l) => `${fmtS(R[`cache-warm/${l}`].ms)} (${R[`cache-warm/${l}`].detail.status}, ${R[`cache-warm/${l}`].rssMb.toFixed(0)} MB)`), '']);
  const w = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) out.push(row.map((cell, c) => cell.padEnd(w[c])).join('  ').trimEnd());
  out.push('');
  out.push('first group: progressive open until the first group is read; naive parses everything before it knows a group is complete.');
  out.push('summary: summarizeInWorker (worker thread + helper threads on the cores there are), index with reward columns, per-step rows;');
  out.push('fetch: read(i) = positioned read + JSON.parse + boxes, after a one-thread index in the main thread. RSS: whole process, all threads.');
  if (r.filter) {
    out.push('');
    out.push(renderFilterBench(r.filter).trimEnd());
  }
  if (r.judge) {
    out.push('');
    out.push(renderJudgeBench(r.judge).trimEnd());
  }
  return out.join('\n') + '\n';
}

function parseRecords(argv: string[]): number | null {
  for (const flag of ['--records', '--lines']) {
    const i = argv.indexOf(flag);
    if (i >= 0) {
      const n = Number(argv[i + 1]);
      return Number.isInteger(n) && n > 0 ? n : null;
    }
  }
  return 1_000_000;
}

let generated: { key: string; data: BenchData } | null = null;

export async function benchMain(argv: string[], out: (s: string) => void): Promise<number> {
  if (argv[0] === CHILD_FLAG) {
    const job = JSON.parse(argv[1]) as { sc: Scenario; layout: Layout; data: BenchData; cacheDir: string };
    const r = await runScenario(job.sc, job.layout, job.data, job.cacheDir);
    const cpu = process.cpuUsage();
    r.cpuMs = (cpu.user + cpu.system) / 1000;
    out(JSON.stringify(r) + '\n');
    process.exit(0); // a progressive open may still be indexing: the measurement is done
  }
  const records = parseRecords(argv);
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? argv[onlyAt + 1] : null;
  if (records === null || (only !== null && only !== 'filter' && only !== 'judge')) {
    out('rollout-lens bench [--records N] [--json] [--keep] [--only filter|judge]\n');
    return 2;
  }
  if (only === 'judge') {
    const n = argv.includes('--records') ? records : 2000;
    out(`judge section: ${n.toLocaleString('en')} completions…\n`);
    const j = await runJudgeBench(n, (s) => out(s + '\n'));
    out(argv.includes('--json') ? JSON.stringify({ judge: j }, null, 2) + '\n' : '\n' + renderJudgeBench(j));
    return 0;
  }
  if (only === 'filter') {
    out(`filter section: ${records.toLocaleString('en')} rows…\n`);
    const f = runFilterBench(records, 5, (s) => out(s + '\n'));
    out(argv.includes('--json') ? JSON.stringify({ filter: f, machine: `${os.cpus().length} cores, Node ${process.versions.node}`, load: os.loadavg()[0] }, null, 2) + '\n' : '\n' + renderFilterBench(f));
    return 0;
  }
  const key = `${records}`;
  const dir = generated?.key === key ? generated.data.dir : fs.mkdtempSync(path.join(os.tmpdir(), 'rollout-lens-bench-'));
  const cacheDir = path.join(dir, 'index-cache');
  try {
    if (generated?.key !== key) {
      out(`generating ${records.toLocaleString('en')} completions in both layouts…\n`);
      const t = Date.now();
      generated = { key, data: generateBenchData(dir, records, (s) => out(s + '\n')) };
      out(`  done in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
    }
    const data = generated.data;
    const results: Record<string, ScenarioResult> = {};
    const load0 = os.loadavg()[0];
    const order: Scenario[] = ['first-group', 'summary', 'naive-summary', 'fetch', 'naive-fetch', 'cache-cold', 'cache-warm'];
    for (const layout of ['own', 'verl'] as Layout[]) {
      for (const sc of order) {
        out(`  ${layout}: ${sc}…`);
        const r = runChild(sc, layout, data, cacheDir);
        results[`${sc}/${layout}`] = r;
        out(` ${fmtS(r.ms)}, ${r.rssMb.toFixed(0)} MB\n`);
      }
    }
    out(`  filter section (${records.toLocaleString('en')} rows, in process)…\n`);
    const filter = runFilterBench(records, 5, (s) => out(s + '\n'));
    out('  judge section (2,000 completions, tiny test model)…\n');
    const judge = await runJudgeBench(2000, (s) => out(s + '\n'));
    const report: BenchReport = {
      data: { records: data.records, steps: data.steps, groupSize: data.groupSize, groups: data.groups, ownBytes: data.ownBytes, verlBytes: data.verlBytes, verlFiles: data.verlFiles },
      results,
      filter,
      judge,
      machine: `${os.cpus().length} cores, Node ${process.versions.node}`,
      load: [load0, os.loadavg()[0]],
    };
    out(argv.includes('--json') ? JSON.stringify(report, null, 2) + '\n' : '\n' + renderReport(report));
    return 0;
  } finally {
    if (!argv.includes('--keep')) {
      fs.rmSync(dir, { recursive: true, force: true });
      generated = null;
    }
  }
}
