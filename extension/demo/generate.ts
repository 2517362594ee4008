// The demo workspace generator: a synthetic GRPO run on referring-expression grounding + counting,
// written in rollout-lens JSONL with its images and HF-style checkpoint folders.
// Pure Node (fs, path, zlib, crypto via png.ts); deterministic for a given seed.

import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  QWEN_MAX_PIXELS,
  QWEN_MIN_PIXELS,
  Rng,
  Scene,
  SceneObject,
  gaussian,
  generateScene,
  labelOf,
  mixSeed,
  mulberry32,
  pick,
  renderScene,
  targetsOf,
} from './scenes';
import { writeFrameworkRuns, type DemoItem } from './frameworks';
import { writeEvalOutputs, type EvalOutputs } from './evals';
import { writeDemoJudges, type DemoVerdict } from './judges';
import { writeDemoJobs } from './jobs';

export interface DemoOptions {
  seed?: number;
  steps?: number;
  prompts?: number;
  groupSize?: number;
  /** Also write the run as verl, VLM-R1, TRL and ms-swift would have logged it (default true). */
  frameworks?: boolean;
  /** Also write eval outputs of checkpoints 50, 100, 150 and 200 under `runs/grpo-demo/eval/` (default true). */
  evals?: boolean;
}

export interface DemoResult {
  outDir: string;
  logFile: string;
  records: number;
  /** Training images (the eval images are counted in `evals`). */
  images: number;
  /** The eval outputs written (null with `evals: false`). */
  evals: EvalOutputs | null;
  /** The synthetic judge output file (to import) and its entry count; the tiny judge models are in models/. */
  judgeFile: string;
  judgeEntries: number;
}

export const DEMO_DEFAULTS = { seed: 7, steps: 24, prompts: 8, groupSize: 8 } as const;
export const RUN_NAME = 'grpo-demo';
export const MAX_COMPLETION_TOKENS = 384;
export const FORMAT_RE = /^<think>[\s\S]*<\/think>\s*<answer>[\s\S]*<\/answer>$/;

type Box4 = [number, number, number, number];

// ---------------------------------------------------------------------------------------------
// Rewards (the same definitions the demo README documents)

/** Continuous IoU (no +1 pixel convention); 0 for empty or inverted boxes. */
export function iou(a: Box4, b: Box4): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const areaA = Math.max(0, a[2] - a[0]) * Math.max(0, a[3] - a[1]);
  const areaB = Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
  const union = areaA + areaB - inter;
  return union > 0 ? inter / union : 0;
}

/** Every `"bbox_2d": [x1, y1, x2, y2]` in the text, as written (model-input pixels). */
export function extractBoxes(text: string): Box4[] {
  const out: Box4[] = [];
  const re = /"bbox_2d"\s*:\s*\[([^\]]*)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const nums = m[1].split(',').map((s) => Number(s.trim()));
    if (nums.length === 4 && nums.every((n) => Number.isFinite(n))) out.push(nums as Box4);
  }
  return out;
}

/** Content of the first `<answer>…</answer>`, or undefined. */
export function extractAnswer(text: string): string | undefined {
  const m = /<answer>([\s\S]*?)<\/answer>/.exec(text);
  return m ? m[1].trim() : undefined;
}

export interface DemoRewards {
  accuracy: number;
  format: number;
  iou: number;
}

/**
 * accuracy: the first integer in <answer> equals the reference count; format: FORMAT_RE matches;
 * iou: mean over GT boxes of the best IoU with any predicted box, predicted boxes mapped from
 * model-input to original pixels by W/W_in, H/H_in (0 when nothing was predicted).
 */
export function scoreCompletion(
  completion: string,
  refCount: number,
  gt: Box4[],
  size: { width: number; height: number; inputWidth: number; inputHeight: number },
): DemoRewards {
  const ans = extractAnswer(completion);
  const num = ans === undefined ? undefined : /-?\d+/.exec(ans);
  const accuracy = num && Number(num[0]) === refCount ? 1 : 0;
  const format = FORMAT_RE.test(completion) ? 1 : 0;
  const sx = size.width / size.inputWidth;
  const sy = size.height / size.inputHeight;
  const pred = extractBoxes(completion).map((b) => [b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy] as Box4);
  let iouMean = 0;
  if (gt.length > 0 && pred.length > 0) {
    let sum = 0;
    for (const g of gt) sum += Math.max(...pred.map((p) => iou(p, g)));
    iouMean = sum / gt.length;
  }
  return { accuracy, format, iou: round4(iouMean) };
}

export function round4(x: number): number {
  const r = Math.round(x * 1e4) / 1e4;
  return r === 0 ? 0 : r; // no -0
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

/** Unbiased (n - 1) standard deviation, like torch.std. */
function stdUnbiased(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) * (b - m), 0) / (xs.length - 1));
}

/** TRL GRPO advantages: (r - mean_G) / (std_G + 1e-4), std unbiased. */
export function groupAdvantages(rewards: number[]): number[] {
  const m = mean(rewards);
  const s = stdUnbiased(rewards);
  return rewards.map((r) => round4((r - m) / (s + 1e-4)));
}

// ---------------------------------------------------------------------------------------------
// The simulated policy

const PLURAL: Record<string, string> = { circle: 'circles', square: 'squares', triangle: 'triangles' };

export function noun(kind: string, n: number): string {
  return n === 1 ? kind : PLURAL[kind] ?? `${kind}s`;
}

export function where(o: SceneObject, scene: Scene): string {
  const fx = o.cx / scene.width;
  const fy = o.cy / scene.height;
  const v = fy < 0.36 ? 'top' : fy > 0.64 ? 'bottom' : 'middle';
  const h = fx < 0.36 ? 'left' : fx > 0.64 ? 'right' : 'center';
  if (v === 'middle' && h === 'center') return 'center';
  if (v === 'middle') return `${h} side`;
  return `${v} ${h === 'center' ? 'center' : h}`;
}

export function boxJson(b: Box4, label: string): string {
  return `{"bbox_2d": [${b.join(', ')}], "label": "${label}"}`;
}

/** Ground-truth box in model-input pixels (what a perfect policy would write). */
export function toInput(o: SceneObject, scene: Scene): Box4 {
  const sx = scene.inputWidth / scene.width;
  const sy = scene.inputHeight / scene.height;
  return [o.bbox[0] * sx, o.bbox[1] * sy, o.bbox[2] * sx, o.bbox[3] * sy];
}

export function jitterBox(rng: Rng, b: Box4, sigma: number, scene: Scene): Box4 {
  const w = b[2] - b[0];
  const h = b[3] - b[1];
  const shiftX = gaussian(rng) * sigma * w * 0.8;
  const shiftY = gaussian(rng) * sigma * h * 0.8;
  let x1 = b[0] + shiftX + gaussian(rng) * sigma * w * 0.5;
  let y1 = b[1] + shiftY + gaussian(rng) * sigma * h * 0.5;
  let x2 = b[2] + shiftX + gaussian(rng) * sigma * w * 0.5;
  let y2 = b[3] + shiftY + gaussian(rng) * sigma * h * 0.5;
  if (x2 < x1 + 4) x2 = x1 + 4;
  if (y2 < y1 + 4) y2 = y1 + 4;
  const cl = (v: number, hi: number) => Math.max(0, Math.min(hi, Math.round(v)));
  x1 = cl(x1, scene.inputWidth - 1);
  y1 = cl(y1, scene.inputHeight - 1);
  x2 = cl(x2, scene.inputWidth);
  y2 = cl(y2, scene.inputHeight);
  return [x1, y1, x2, y2];
}

export interface Mention {
  /** The object the policy believes it sees (a target, a distractor, or nothing for a phantom). */
  obj?: SceneObject;
  box: Box4;
  /** Describes the position in words. */
  place: string;
}

export interface Plan {
  mentions: Mention[];
  skipped: SceneObject[];
  count: number;
  /** Count stated in the reasoning's last sentence (may differ from `count`). */
  statedCount: number;
  formatError?: 'no-close-think' | 'no-answer-tag' | 'no-think' | 'trailing-text';
  verboseAnswer: boolean;
  truncated: boolean;
}

const INTROS = [
  (t: string) => `The task is to find every ${t} in the image.`,
  (t: string) => `I need to locate all the ${t}s and count them.`,
  (t: string) => `Let me scan the image for ${t}s.`,
  (t: string) => `I'm looking for ${t}s. Let me go through the objects one by one.`,
  (t: string) => `First, I will look at each shape and check whether it is a ${t}.`,
];

const FOUND = [
  (p: string) => `There is one in the ${p}: `,
  (p: string) => `I see a match in the ${p} `,
  (p: string) => `In the ${p} there is one `,
  (p: string) => `Another candidate is in the ${p}: `,
];

/** Box noise (relative to the object size) of a policy with `skill` in [0, 1]. */
export function boxSigma(skill: number): number {
  const bad = 1 - skill;
  return 0.03 + 0.32 * bad * bad + 0.05 * bad;
}

export function planCompletion(rng: Rng, scene: Scene, skill: number): Plan {
  const targets = targetsOf(scene);
  const others = scene.objects.filter((o) => !targets.includes(o));
  const bad = 1 - skill;
  const mentions: Mention[] = [];
  const skipped: SceneObject[] = [];
  const sigma = boxSigma(skill);
  const pDetect = 0.5 + 0.49 * skill;
  for (const t of targets) {
    if (rng() < pDetect) mentions.push({ obj: t, box: jitterBox(rng, toInput(t, scene), sigma, scene), place: where(t, scene) });
  }
  // Hallucinations: a same-colour or same-shape distractor taken for a target, or a phantom object.
  if (skill < 0.85 && rng() < 0.5 * bad) {
    const near = others.filter((o) => o.color === scene.target.color || o.kind === scene.target.kind);
    const d = near.length ? pick(rng, near) : others.length ? pick(rng, others) : undefined;
    if (d && rng() < 0.8) {
      mentions.push({ obj: d, box: jitterBox(rng, toInput(d, scene), sigma, scene), place: where(d, scene) });
    } else {
      const s = Math.min(scene.inputWidth, scene.inputHeight) * (0.06 + rng() * 0.08);
      const x = Math.round(rng() * (scene.inputWidth - 2 * s));
      const y = Math.round(rng() * (scene.inputHeight - 2 * s));
      const b: Box4 = [x, y, Math.round(x + 2 * s), Math.round(y + 2 * s)];
      const fake = { cx: (x + s) * (scene.width / scene.inputWidth), cy: (y + s) * (scene.height / scene.inputHeight) } as SceneObject;
      mentions.push({ box: b, place: where(fake, scene) });
    }
  }
  // Degenerate boxes: zero width/height or a single point.
  if (skill < 0.85 && mentions.length > 0 && rng() < 0.12 * bad) {
    const m = pick(rng, mentions);
    const b = m.box;
    m.box = rng() < 0.5 ? [b[0], b[1], b[0], b[3]] : [b[0], b[1], b[0], b[1]];
  }
  // Early habit from Qwen2-VL pretraining: boxes on a 0–1000 grid instead of input pixels.
  if (skill < 0.3 && rng() < 0.08) {
    for (const m of mentions) {
      m.box = [
        Math.round((m.box[0] / scene.inputWidth) * 1000),
        Math.round((m.box[1] / scene.inputHeight) * 1000),
        Math.round((m.box[2] / scene.inputWidth) * 1000),
        Math.round((m.box[3] / scene.inputHeight) * 1000),
      ];
    }
  }
  // Reading order: top to bottom, then left to right.
  mentions.sort((a, b) => a.box[1] - b.box[1] || a.box[0] - b.box[0]);
  for (const o of others) if (rng() < 0.25 + 0.3 * skill) skipped.push(o);
  let count = mentions.length;
  let statedCount = count;
  if (skill < 0.9 && rng() < 0.22 * bad) {
    count = Math.max(0, count + (rng() < 0.5 ? -1 : 1));
    if (rng() < 0.5) statedCount = count;
  }
  let formatError: Plan['formatError'];
  if (rng() < 0.32 * Math.pow(bad, 1.5) + 0.01) {
    formatError = pick(rng, ['no-close-think', 'no-answer-tag', 'no-think', 'trailing-text'] as const);
  }
  return { mentions, skipped, count, statedCount, formatError, verboseAnswer: skill < 0.4 && rng() < 0.2, truncated: false };
}

export function writeCompletion(rng: Rng, scene: Scene, plan: Plan): string {
  const target = labelOf(scene.target);
  const parts: string[] = [pick(rng, INTROS)(target)];
  const items: Array<{ y: number; text: string }> = [];
  for (const m of plan.mentions) {
    items.push({ y: m.box[1], text: `${pick(rng, FOUND)(m.place)}${boxJson(m.box, target)}.` });
  }
  for (const o of plan.skipped) {
    const y = o.bbox[1] * (scene.inputHeight / scene.height);
    const why = o.color === scene.target.color ? `it is a ${o.kind}, not a ${scene.target.kind}` : o.kind === scene.target.kind ? `it is ${o.color}, not ${scene.target.color}` : 'it does not match';
    items.push({ y, text: `The ${labelOf(o)} in the ${where(o, scene)} does not count because ${why}.` });
  }
  items.sort((a, b) => a.y - b.y);
  for (const it of items) parts.push(it.text);
  const n = plan.statedCount;
  parts.push(n === 0 ? `I could not find any ${scene.target.color} ${noun(scene.target.kind, 2)}.` : `So there ${n === 1 ? 'is' : 'are'} ${n} ${scene.target.color} ${noun(scene.target.kind, n)} in total.`);
  const reasoning = parts.join(' ');
  const answerBody = plan.verboseAnswer ? `${plan.count} ${scene.target.color} ${noun(scene.target.kind, plan.count)}` : String(plan.count);
  switch (plan.formatError) {
    case 'no-close-think':
      return `<think>${reasoning}<answer>${answerBody}</answer>`;
    case 'no-answer-tag':
      return `<think>${reasoning}</think>The answer is ${answerBody}.`;
    case 'no-think':
      return `${reasoning}\n<answer>${answerBody}</answer>`;
    case 'trailing-text':
      return `<think>${reasoning}</think><answer>${answerBody}</answer> Let me know if you need anything else.`;
    default:
      return `<think>${reasoning}</think><answer>${answerBody}</answer>`;
  }
}

/** A completion that never closes: repeated re-checking until the token budget runs out. */
function writeTruncated(rng: Rng, scene: Scene, plan: Plan): string {
  const target = labelOf(scene.target);
  let text = `<think>${pick(rng, INTROS)(target)}`;
  const loops = [
    'Wait, let me check that again.',
    'Hmm, I should double-check the boxes.',
    'Let me recount to be sure.',
    'Actually, I need to re-examine the image.',
  ];
  const maxChars = Math.round(MAX_COMPLETION_TOKENS * 3.7);
  let i = 0;
  while (text.length < maxChars + 200) {
    const m = plan.mentions.length ? plan.mentions[i % plan.mentions.length] : undefined;
    text += m ? ` ${pick(rng, FOUND)(m.place)}${boxJson(m.box, target)}.` : ` I do not see a ${target} yet.`;
    text += ` ${pick(rng, loops)}`;
    i++;
  }
  return text.slice(0, maxChars);
}

export function tokensOf(text: string): number {
  return Math.max(1, Math.round(text.length / 3.7));
}

interface Verdict {
  label: 'supported' | 'unsupported' | 'contradicted';
  source: string;
  rationale: string;
}

function ruleVerdict(completion: string, plan: Plan, scene: Scene): Verdict | undefined {
  const ans = extractAnswer(completion);
  if (ans === undefined) return undefined;
  const n = extractBoxes(completion).length;
  if (plan.statedCount !== plan.count) {
    const t = `${scene.target.color} ${noun(scene.target.kind, plan.statedCount)}`;
    return {
      label: 'contradicted',
      source: 'demo-rule',
      rationale: `The reasoning concludes ${plan.statedCount} ${t} but the answer is ${plan.count}.`,
    };
  }
  if (n !== plan.count) {
    return {
      label: 'unsupported',
      source: 'demo-rule',
      rationale: `The answer is ${plan.count} but the reasoning localises ${n} box${n === 1 ? '' : 'es'}.`,
    };
  }
  return {
    label: 'supported',
    source: 'demo-rule',
    rationale: `The answer (${plan.count}) matches the ${n} box${n === 1 ? '' : 'es'} localised in the reasoning.`,
  };
}

// ---------------------------------------------------------------------------------------------
// The run

interface StepStats {
  step: number;
  rewards: number[];
  acc: number[];
  fmt: number[];
  iou: number[];
  groupStds: number[];
  zeroStdGroups: number;
  groups: number;
  lengths: number[];
  truncated: number;
}

export function promptText(scene: Scene): string {
  const t = labelOf(scene.target);
  return (
    `Locate every ${t} in the image and count them. ` +
    `Output each box as JSON {"bbox_2d": [x1, y1, x2, y2], "label": "${t}"} inside your reasoning, ` +
    `then the count in <answer></answer>. ` +
    `Think step by step inside <think></think> tags.`
  );
}

function skillAt(step: number, steps: number, difficulty: number): number {
  const t = steps <= 1 ? 1 : (step - 1) / (steps - 1);
  const eased = 1 - Math.pow(1 - t, 1.6);
  return Math.max(0, Math.min(1, Math.pow(eased, 1 + difficulty)));
}

function ensureDir(p: string): void {
  fs.mkdirSync(p, { recursive: true });
}

/** JSON with keys sorted at every level (what HF's `TrainerState.save_to_json` writes). */
function sortedJson(value: unknown, indent = 2): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(o).sort()) out[k] = sortKeys(o[k]);
      return out;
    }
    return v;
  };
  return JSON.stringify(sortKeys(value), null, indent) + '\n';
}

/**
 * Writes a synthetic Rollout Lens workspace into `outDir` (created if needed; nothing is written
 * outside it). Same seed and options give byte-identical files.
 */
export function generateDemoWorkspace(outDir: string, opts: DemoOptions = {}): DemoResult {
  const seed = opts.seed ?? DEMO_DEFAULTS.seed;
  const steps = opts.steps ?? DEMO_DEFAULTS.steps;
  const prompts = opts.prompts ?? DEMO_DEFAULTS.prompts;
  const groupSize = opts.groupSize ?? DEMO_DEFAULTS.groupSize;
  for (const [k, v] of Object.entries({ seed, steps, prompts, groupSize })) {
    if (!Number.isInteger(v) || v < (k === 'seed' ? 0 : 1)) throw new Error(`generateDemoWorkspace: ${k} must be a positive integer, got ${v}`);
  }
  if (groupSize < 2) throw new Error('generateDemoWorkspace: groupSize must be at least 2');
  const root = path.resolve(outDir);
  const imagesDir = path.join(root, 'data', 'images');
  const runDir = path.join(root, 'runs', RUN_NAME);
  const logDir = path.join(runDir, 'rollouts');
  ensureDir(imagesDir);
  ensureDir(logDir);

  // Scenes and images: one per prompt, reused at every step.
  const scenes: Scene[] = [];
  for (let p = 0; p < prompts; p++) {
    const scene = generateScene(seed, p);
    scenes.push(scene);
    fs.writeFileSync(path.join(imagesDir, `${scene.id}.png`), renderScene(scene, seed));
  }
  const difficulty = scenes.map((s) => Math.min(0.6, 0.08 * targetsOf(s).length + 0.1 * (s.objects.length > 7 ? 1 : 0)));

  // Where the special cases go (deterministic, and guaranteed to exist when the run is big enough).
  const allFail = new Set<string>();
  const allPass = new Set<string>();
  const truncatedAt = new Set<string>();
  const special = mulberry32(mixSeed(seed, 0x5bec));
  for (let s = 1; s <= steps; s++) {
    const t = steps <= 1 ? 1 : (s - 1) / (steps - 1);
    for (let p = 0; p < prompts; p++) {
      const u = special();
      if (t < 0.2 && u < 0.12) allFail.add(`${s}:${p}`);
      else if (t > 0.7 && u < 0.22) allPass.add(`${s}:${p}`);
    }
  }
  allFail.add(`1:${prompts - 1}`);
  if (steps >= 3) allFail.add(`2:${Math.floor(prompts / 2)}`);
  if (steps >= 2) allPass.add(`${steps}:0`);
  if (steps >= 4) allPass.add(`${steps - 1}:${Math.min(prompts - 1, 1)}`);
  const truncSpots: Array<[number, number, number]> = [
    [Math.max(1, Math.round(steps * 0.15)), 1, 5],
    [Math.max(1, Math.round(steps * 0.35)), 4, 2],
    [Math.max(1, Math.round(steps * 0.6)), 6, 7],
  ];
  for (const [s, p, i] of truncSpots) {
    const key = `${s}:${p % prompts}`;
    if (!allFail.has(key) && !allPass.has(key)) truncatedAt.add(`${key}:${i % groupSize}`);
  }

  const logFile = path.join(logDir, 'train.rollouts.jsonl');
  const lines: string[] = [];
  /** What the demo planned each completion's reasoning to do (supported / contradicted …): the synthetic judge file. */
  const plannedVerdicts: DemoVerdict[] = [];
  const items: DemoItem[] = [];
  const stats: StepStats[] = [];
  for (let s = 1; s <= steps; s++) {
    const st: StepStats = { step: s, rewards: [], acc: [], fmt: [], iou: [], groupStds: [], zeroStdGroups: 0, groups: 0, lengths: [], truncated: 0 };
    for (let p = 0; p < prompts; p++) {
      const scene = scenes[p];
      const rng = mulberry32(mixSeed(seed, 0x7011, s, p));
      const skill = skillAt(s, steps, difficulty[p]);
      const gt = targetsOf(scene);
      const gtBoxes = gt.map((o) => o.bbox);
      const key = `${s}:${p}`;
      const size = { width: scene.width, height: scene.height, inputWidth: scene.inputWidth, inputHeight: scene.inputHeight };
      const rel = path.relative(logDir, path.join(imagesDir, `${scene.id}.png`)).split(path.sep).join('/');
      const records: Array<Record<string, unknown>> = [];
      const rewards: number[] = [];
      // A converged group: the policy writes the same boxes every time (zero reward variance).
      let sharedPlan: Plan | undefined;
      if (allPass.has(key)) {
        sharedPlan = {
          mentions: gt.map((o) => ({ obj: o, box: jitterBox(rng, toInput(o, scene), 0.025, scene), place: where(o, scene) })),
          skipped: [],
          count: gt.length,
          statedCount: gt.length,
          verboseAnswer: false,
          truncated: false,
        };
        sharedPlan.mentions.sort((a, b) => a.box[1] - b.box[1] || a.box[0] - b.box[0]);
      }
      for (let i = 0; i < groupSize; i++) {
        let completion: string;
        let plan: Plan;
        let truncated = false;
        if (allFail.has(key)) {
          // Collapsed early group: no tags, no boxes, no answer tag — every completion scores 0.
          plan = { mentions: [], skipped: [], count: randInt0(rng, gt.length + 3), statedCount: 0, verboseAnswer: false, truncated: false };
          const t = labelOf(scene.target);
          completion = pick(rng, [
            `The image shows several colourful shapes on a plain background. I think there are ${plan.count} ${t}s.`,
            `There are ${plan.count} ${noun(scene.target.kind, plan.count)} that are ${scene.target.color}.`,
            `Answer: ${plan.count}`,
            `I can see some ${scene.target.color} objects, and the number of ${t}s is ${plan.count}.`,
            `${plan.count}`,
          ]);
        } else if (sharedPlan) {
          plan = sharedPlan;
          completion = writeCompletion(rng, scene, { ...plan, skipped: scene.objects.filter((o) => !gt.includes(o) && rng() < 0.4) });
        } else {
          plan = planCompletion(rng, scene, skill);
          if (truncatedAt.has(`${key}:${i}`)) {
            truncated = true;
            plan.truncated = true;
            completion = writeTruncated(rng, scene, plan);
          } else {
            completion = writeCompletion(rng, scene, plan);
          }
        }
        const r = scoreCompletion(completion, gt.length, gtBoxes, size);
        const reward = round4(r.accuracy + r.format + r.iou);
        rewards.push(reward);
        st.acc.push(r.accuracy);
        st.fmt.push(r.format);
        st.iou.push(r.iou);
        const tokens = truncated ? MAX_COMPLETION_TOKENS : tokensOf(completion);
        st.lengths.push(tokens);
        if (truncated) st.truncated++;
        const rec: Record<string, unknown> = {
          step: s,
          group_id: `s${s}-p${p}`,
          index_in_group: i,
          sample_id: scene.id,
          prompt: {
            text: promptText(scene),
            images: [{ path: rel, width: scene.width, height: scene.height, input_width: scene.inputWidth, input_height: scene.inputHeight }],
          },
          completion,
          reference: {
            answer: String(gt.length),
            boxes: gt.map((o) => ({ bbox: o.bbox, label: labelOf(o), frame: 'original' })),
          },
          rewards: r,
          reward,
          advantage: 0,
        };
        const v = truncated ? undefined : ruleVerdict(completion, plan, scene);
        if (v) plannedVerdicts.push({ completion, label: v.label, rationale: v.rationale });
        rec.extra = { completion_tokens: tokens, truncated };
        records.push(rec);
      }
      const adv = groupAdvantages(rewards);
      records.forEach((rec, i) => (rec.advantage = adv[i]));
      records.forEach((rec, i) =>
        items.push({
          step: s,
          prompt: p,
          index: i,
          promptText: promptText(scene),
          imagePath: path.join(imagesDir, `${scene.id}.png`),
          completion: rec.completion as string,
          gtCount: gt.length,
          gtBoxes: gtBoxes.map((b) => [b[0], b[1], b[2], b[3]]),
          rewards: rec.rewards as DemoItem['rewards'],
          reward: rewards[i]!,
          advantage: adv[i]!,
        }),
      );
      const sd = stdUnbiased(rewards);
      st.groupStds.push(sd);
      st.groups++;
      if (sd < 1e-9) st.zeroStdGroups++;
      st.rewards.push(...rewards);
      for (const rec of records) lines.push(JSON.stringify(rec));
    }
    stats.push(st);
  }
  fs.writeFileSync(logFile, lines.join('\n') + '\n');

  writeCheckpoints(runDir, seed, stats, prompts, groupSize);
  if (opts.frameworks !== false) writeFrameworkRuns(root, items, seed, groupSize);
  const evals = opts.evals !== false ? writeEvalOutputs(root, runDir, seed, scenes) : null;
  const judges = writeDemoJudges(root, plannedVerdicts, seed);
  writeDemoJobs(root); // tools/fake-trainer.js, tools/fake-eval.js and their profiles in .vscode/tasks.json
  fs.writeFileSync(path.join(root, 'README.md'), readmeText(steps, prompts, groupSize, seed, scenes, evals));
  return { outDir: root, logFile, records: lines.length, images: scenes.length, evals, judgeFile: judges.judgeFile, judgeEntries: judges.entries };
}

function randInt0(rng: Rng, n: number): number {
  return Math.floor(rng() * (n + 1));
}

// ---------------------------------------------------------------------------------------------
// Checkpoints (HF Trainer layout, no weights)

const CHECKPOINT_STEPS = [100, 200];
const MAX_STEPS = 200;

function logEntry(step: number, s: StepStats | undefined, rng: Rng, prev: Record<string, number> | undefined, cumTokens: number, promptsPerStep: number): Record<string, number> {
  const lr = 1e-6 * Math.min(1, step / 10) * (step <= 10 ? 1 : 1 - (0.9 * (step - 10)) / (MAX_STEPS - 10));
  let acc: number, accStd: number, fmt: number, fmtStd: number, iouM: number, iouStd: number;
  let reward: number, rewardStd: number, fracZero: number, lens: number[], clipped: number;
  if (s) {
    acc = mean(s.acc);
    accStd = stdUnbiased(s.acc);
    fmt = mean(s.fmt);
    fmtStd = stdUnbiased(s.fmt);
    iouM = mean(s.iou);
    iouStd = stdUnbiased(s.iou);
    reward = mean(s.rewards);
    rewardStd = mean(s.groupStds);
    fracZero = s.zeroStdGroups / s.groups;
    lens = s.lengths;
    clipped = s.truncated / s.lengths.length;
  } else {
    // Beyond the logged rollouts: a smooth continuation towards a plateau.
    const p = prev ?? {};
    const drift = (key: string, target: number, k: number, noise: number) =>
      Math.max(0, Math.min(1, (p[key] ?? target) + (target - (p[key] ?? target)) * k + gaussian(rng) * noise));
    acc = drift('rewards/accuracy/mean', 0.93, 0.05, 0.015);
    fmt = drift('rewards/format/mean', 0.995, 0.1, 0.003);
    iouM = drift('rewards/iou/mean', 0.84, 0.04, 0.01);
    accStd = Math.sqrt(acc * (1 - acc));
    fmtStd = Math.sqrt(fmt * (1 - fmt));
    iouStd = 0.06 + 0.05 * rng();
    reward = acc + fmt + iouM;
    fracZero = Math.max(0, Math.min(1, 0.35 + 0.25 * (step / MAX_STEPS) + gaussian(rng) * 0.05));
    rewardStd = Math.max(0.01, 0.25 * (1 - fracZero) + gaussian(rng) * 0.02);
    const m = 150 - 0.1 * step + gaussian(rng) * 4;
    lens = [m - 40 - rng() * 10, m, m + 45 + rng() * 20];
    clipped = 0;
  }
  const n = promptsPerStep;
  const meanLen = mean(lens);
  return {
    'clip_ratio/high_max': 0,
    'clip_ratio/high_mean': 0,
    'clip_ratio/low_mean': 0,
    'clip_ratio/low_min': 0,
    'clip_ratio/region_mean': 0,
    'completions/clipped_ratio': round4(clipped),
    'completions/max_length': Math.round(Math.max(...lens)),
    'completions/max_terminated_length': Math.round(Math.max(...lens)),
    'completions/mean_length': round4(meanLen),
    'completions/mean_terminated_length': round4(meanLen),
    'completions/min_length': Math.round(Math.min(...lens)),
    'completions/min_terminated_length': Math.round(Math.min(...lens)),
    entropy: round4(0.62 - 0.35 * (step / MAX_STEPS) + gaussian(rng) * 0.02),
    epoch: step,
    frac_reward_zero_std: round4(fracZero),
    grad_norm: round4(Math.max(0.05, 2.2 * (1 - fracZero) + gaussian(rng) * 0.4)),
    kl: step === 1 ? 0 : round4(0.0004 + 0.006 * (1 - Math.exp(-step / 40)) + Math.abs(gaussian(rng)) * 0.0005),
    learning_rate: Number(lr.toPrecision(6)),
    loss: round4(0.04 * (0.0004 + 0.006 * (1 - Math.exp(-step / 40))) + gaussian(rng) * 0.002),
    num_tokens: cumTokens + Math.round(meanLen * n * 8 + 420 * n * 8),
    reward: round4(reward),
    reward_std: round4(rewardStd),
    'rewards/accuracy/mean': round4(acc),
    'rewards/accuracy/std': round4(accStd),
    'rewards/format/mean': round4(fmt),
    'rewards/format/std': round4(fmtStd),
    'rewards/iou/mean': round4(iouM),
    'rewards/iou/std': round4(iouStd),
    step,
    step_time: round4(38 + rng() * 8),
  };
}

function writeCheckpoints(runDir: string, seed: number, stats: StepStats[], prompts: number, groupSize: number): void {
  const rng = mulberry32(mixSeed(seed, 0xc4e7));
  const history: Array<Record<string, number>> = [];
  let cum = 0;
  for (let step = 1; step <= MAX_STEPS; step++) {
    const e = logEntry(step, stats[step - 1], rng, history[history.length - 1], cum, prompts);
    cum = e.num_tokens;
    history.push(e);
  }
  const batch = prompts * groupSize;
  for (const ck of CHECKPOINT_STEPS) {
    const dir = path.join(runDir, `checkpoint-${ck}`);
    ensureDir(dir);
    const state = {
      best_global_step: null,
      best_metric: null,
      best_model_checkpoint: null,
      epoch: ck,
      eval_steps: 500,
      global_step: ck,
      is_hyper_param_search: false,
      is_local_process_zero: true,
      is_world_process_zero: true,
      log_history: history.slice(0, ck),
      logging_steps: 1,
      max_steps: MAX_STEPS,
      num_input_tokens_seen: history[ck - 1].num_tokens,
      num_train_epochs: MAX_STEPS,
      save_steps: 100,
      stateful_callbacks: {
        TrainerControl: {
          args: { should_epoch_stop: false, should_evaluate: false, should_log: false, should_save: true, should_training_stop: ck === MAX_STEPS },
          attributes: {},
        },
      },
      total_flos: 0,
      train_batch_size: batch,
      trial_name: null,
      trial_params: null,
    };
    fs.writeFileSync(path.join(dir, 'trainer_state.json'), sortedJson(state));
    fs.writeFileSync(path.join(dir, 'config.json'), sortedJson(modelConfig()));
    fs.writeFileSync(path.join(dir, 'adapter_config.json'), sortedJson(adapterConfig()));
    fs.writeFileSync(path.join(dir, 'preprocessor_config.json'), sortedJson(preprocessorConfig()));
    fs.writeFileSync(
      path.join(dir, 'README.md'),
      `# checkpoint-${ck} (synthetic)\n\nWritten by Rollout Lens's demo generator. There are no weights here: only the ` +
        `metadata files a Hugging Face Trainer / PEFT checkpoint carries, so the viewer has something to read.\n`,
    );
  }
}

function modelConfig(): Record<string, unknown> {
  return {
    _name_or_path: 'Qwen/Qwen2.5-VL-3B-Instruct',
    architectures: ['Qwen2_5_VLForConditionalGeneration'],
    model_type: 'qwen2_5_vl',
    hidden_size: 2048,
    intermediate_size: 11008,
    num_attention_heads: 16,
    num_hidden_layers: 36,
    num_key_value_heads: 2,
    max_position_embeddings: 128000,
    vocab_size: 151936,
    image_token_id: 151655,
    video_token_id: 151656,
    vision_start_token_id: 151652,
    vision_end_token_id: 151653,
    torch_dtype: 'bfloat16',
    transformers_version: '4.51.3',
    use_cache: false,
    vision_config: {
      depth: 32,
      hidden_size: 1280,
      out_hidden_size: 2048,
      patch_size: 14,
      spatial_merge_size: 2,
      temporal_patch_size: 2,
      window_size: 112,
    },
    _comment: 'SYNTHETIC: written by the Rollout Lens demo generator; no weights accompany this file.',
  };
}

function adapterConfig(): Record<string, unknown> {
  return {
    base_model_name_or_path: 'Qwen/Qwen2.5-VL-3B-Instruct',
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    lora_alpha: 128,
    lora_dropout: 0.05,
    peft_type: 'LORA',
    r: 64,
    target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: false,
  };
}

function preprocessorConfig(): Record<string, unknown> {
  return {
    do_convert_rgb: true,
    do_normalize: true,
    do_rescale: true,
    do_resize: true,
    image_mean: [0.48145466, 0.4578275, 0.40821073],
    image_processor_type: 'Qwen2VLImageProcessor',
    image_std: [0.26862954, 0.26130258, 0.27577711],
    max_pixels: QWEN_MAX_PIXELS,
    merge_size: 2,
    min_pixels: QWEN_MIN_PIXELS,
    patch_size: 14,
    processor_class: 'Qwen2_5_VLProcessor',
    resample: 3,
    rescale_factor: 0.00392156862745098,
    temporal_patch_size: 2,
  };
}

// ---------------------------------------------------------------------------------------------
// README and CLI

function readmeText(steps: number, prompts: number, groupSize: number, seed: number, scenes: Scene[], evals: EvalOutputs | null): string {
  const sizes = scenes.map((s) => `| \`${s.id}.png\` | ${s.width}×${s.height} | ${s.inputWidth}×${s.inputHeight} | ${labelOf(s.target)} | ${targetsOf(s).length} |`).join('\n');
  return `# Rollout Lens demo workspace — SYNTHETIC DATA

Everything in this folder is **synthetic**: it was generated by Rollout Lens's demo generator
(seed ${seed}), not by a real training run. No model was trained and no model wrote these completions.
It exists so you can try Rollout Lens without a GPU run of your own.

## What is here

| Path | What it is |
| --- | --- |
| \`data/images/scene-XXXX.png\` | ${scenes.length} drawn scenes (coloured circles, squares, triangles), CLEVR / PuzzleVQA style |
| \`runs/${RUN_NAME}/rollouts/train.rollouts.jsonl\` | A GRPO run in Rollout Lens JSONL: ${steps} steps × ${prompts} prompts × ${groupSize} completions = ${steps * prompts * groupSize} lines |
| \`runs/${RUN_NAME}/checkpoint-100/\`, \`checkpoint-200/\` | Hugging Face Trainer checkpoint metadata (\`trainer_state.json\` with TRL GRPO metrics, \`config.json\`, \`adapter_config.json\`, \`preprocessor_config.json\`) — no weights |
${evals ? `| \`runs/${RUN_NAME}/eval/checkpoint-N/*.eval.jsonl\` | Eval outputs of checkpoints ${evals.steps.join(', ')} on two held-out datasets (see *Evals* below) |
| \`data/images/eval/eval-XXXX.png\` | ${evals.images} held-out scenes, one per eval sample |
` : ''}
The simulated task is referring-expression grounding plus counting: "Locate every red circle in the
image and count them". Completions are written the way Qwen2.5-VL writes them: reasoning in
\`<think>…</think>\` with one \`{"bbox_2d": [x1, y1, x2, y2], "label": "…"}\` per object found, in pixels of the
**resized model input** (Qwen2.5-VL \`smart_resize\`: factor 28, min_pixels ${QWEN_MIN_PIXELS}, max_pixels ${QWEN_MAX_PIXELS}),
then the count in \`<answer>…</answer>\`. Ground-truth boxes are in original image pixels.

The simulated policy improves with the step: early completions have offset or noisy boxes, missed and
hallucinated objects, wrong counts, format errors and some degenerate boxes (and a few boxes on a
0–1000 grid); late completions are mostly right. A few groups have zero reward variance (all fail early,
all pass late) and a few completions are truncated (\`extra.truncated: true\`). The run's
\`trainer_state.json\` covers 200 steps; the rollout log holds the first ${steps}.

Rewards per completion: \`accuracy\` (1 if the first integer in \`<answer>\` is the reference count), \`format\`
(1 if the completion matches \`^<think>[\\s\\S]*</think>\\s*<answer>[\\s\\S]*</answer>$\`), \`iou\` (mean over ground-truth
boxes of the best IoU with any predicted box, predicted boxes mapped back to original pixels by W/W_in and H/H_in;
continuous IoU without the +1 pixel convention; 0 when nothing was predicted). \`reward\` is their sum and
\`advantage\` is \`(r − mean_G) / (std_G + 1e-4)\` with the unbiased standard deviation over the group, as TRL
computes it. Verdicts with source \`demo-rule\` compare the answer with the boxes and conclusion in the reasoning.

| Image | Original | Model input | Target | Count |
| --- | --- | --- | --- | --- |
${sizes}

## How to open it

1. Open this folder in VS Code with the Rollout Lens extension installed.
2. Click **Rollout Lens** in the activity bar and pick the run under **Runs**, or double-click
   \`runs/${RUN_NAME}/rollouts/train.rollouts.jsonl\` in the Explorer: it opens in the Rollout Lens inspector.
3. Step through steps and groups; hover a box in the reasoning to see it on the image.

${evals ? evalsReadme(evals) : ''}
You can delete this folder at any time; regenerate it with \`npm run demo -- --out DIR\`.
`;
}

function evalsReadme(e: EvalOutputs): string {
  const files = e.steps.map((s) => `| \`runs/${RUN_NAME}/eval/checkpoint-${s}/\` | \`shapes-count.eval.jsonl\`, \`shapes-mc.eval.jsonl\` |${s === 100 || s === 200 ? ' also a checkpoint folder' : ' eval only'} |`).join('\n');
  const missing = e.missing ? ` \`${e.missing.sampleId}\` is missing from checkpoint-${e.missing.step}'s shapes-count file (an eval that crashed before the end).` : '';
  return `
## Evals

The run's checkpoints were "evaluated" (synthetically) on ${e.samples} held-out scenes, in Rollout Lens eval JSONL
(one answer per line: \`sample_id\`, \`prompt\`, \`completion\`, \`reference\`, \`correct\`, \`slice\`, \`checkpoint\`).
Checkpoints 50 and 150 exist only as evals.

| Folder | Files | |
| --- | --- | --- |
${files}

- \`shapes-count\`: the training task (count the red circles; boxes in \`<think>\`, the count in \`<answer>\`).
  \`correct\` is the exact count; IoU is computed by the viewer from the boxes in the completion.
- \`shapes-mc\`: "Which colours appear among the shapes? Select all that apply." with options A–E; the answer is
  a set of letters (\`A, C\`), \`correct\` is an exact set match and the viewer computes option-set F1.
- \`slice.domain\`: \`ID\` when the sample's target (colour + shape) was the target of a training prompt
  (${e.trainTargets.join(', ')}),
  \`OOD\` otherwise (${e.inDomain} ID, ${e.samples - e.inDomain} OOD): a colour–shape combination the run never trained on.
  shapes-mc uses the domain of the same image. \`slice.category\`: the target shape (shapes-count), \`colours-K\` with K colours present (shapes-mc).

Sample ids are the same in every checkpoint's files, so checkpoints can be compared answer by answer.${missing ? `\n${missing.trim()}` : ''}
In-domain accuracy rises clearly from step 50 to 200, out-of-domain barely; late checkpoints' reasoning
contradicts their answer a little more often (verdicts with source \`rules\`). Try:

    rollout-lens compare runs/${RUN_NAME}/checkpoint-100 runs/${RUN_NAME}/checkpoint-200 --slice domain

## Alignment verdicts

Some completions' reasoning concludes one count and answers another ("So there are 4 red circles in total."
then \`<answer>3</answer>\`). Every completion gets a verdict from the built-in rules at once. Also here:

- \`models/tiny-nli/\`: a tiny NLI cross-encoder in ONNX with the inputs and outputs of a real export
  (toy weights: a bag-of-words model that only knows the demo's words). \`.vscode/settings.json\` points
  \`rolloutLens.judge.modelPath\` at it: **Judge with local model** in the inspector's overview (or
  **Rollout Lens: Judge Completions with Local Model**) judges every completion in a worker thread and
  caches the verdicts; opening the log again applies them without any inference.
- \`models/tiny-clip/\`: a tiny CLIP-style pair of encoders (\`rolloutLens.judge.clipModelPath\`).
- \`runs/${RUN_NAME}/judge/llm-judge.verdicts.jsonl\`: a synthetic judge output file keyed by
  \`completion_sha256\` (the planned verdicts with about ${Math.round(100 * 0.1)} % deliberate disagreements):
  **Import verdict file…** shows its agreement with the rules and the model (Cohen's κ, confusion table).

    rollout-lens judge runs/${RUN_NAME}/rollouts --model models/tiny-nli --verdicts runs/${RUN_NAME}/judge/llm-judge.verdicts.jsonl

## Jobs

\`.vscode/tasks.json\` holds two Rollout Lens job profiles that run synthetic tools with \`node\` (no GPU, no model):

- **Rollout Lens: Launch Training…** runs "Fake GRPO training (demo)" (\`tools/fake-trainer.js\`): a TRL-style
  run writing \`runs/fake-grpo/completions/completions_NNNNN.parquet\` every 2 s and a \`checkpoint-N/\` every 2
  steps, with a tqdm bar. The status bar shows its step and ETA; open \`runs/fake-grpo/completions\` from the
  Runs view and press **Follow newest** (\`f\`) to watch the steps arrive. **Rollout Lens: Stop Job** stops it
  and its two worker processes.
- Right-click a \`checkpoint-N\` of \`fake-grpo\` → **Evaluate Checkpoint…** runs "Fake eval (demo)"
  (\`tools/fake-eval.js\`), which writes \`checkpoint-N/eval/<dataset>.eval.jsonl\`; the checkpoint then shows its
  accuracy, and two evaluated checkpoints can be compared.
`;
}

const USAGE = `Usage: rollout-lens-demo [--out DIR] [--seed N] [--steps N] [--prompts N] [--group-size N] [--no-serve]

Writes a synthetic Rollout Lens demo workspace (images, a GRPO rollout log, checkpoint metadata, eval outputs) into DIR
(default ./demo-workspace).`;

/** Parses the command line, generates the workspace, prints what was written. Returns an exit code. */
export function main(argv: string[] = process.argv.slice(2), log: (s: string) => void = (s) => console.log(s), err: (s: string) => void = (s) => console.error(s)): number {
  let out = './demo-workspace';
  const opts: DemoOptions = {};
  const intArg = (name: string, v: string | undefined): number | undefined => {
    const n = v === undefined ? NaN : Number(v);
    if (!Number.isInteger(n) || n < 0) {
      err(`rollout-lens-demo: ${name} needs a non-negative integer, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
      return undefined;
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const inline = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : undefined;
    const value = (): string | undefined => (inline !== undefined ? inline : argv[++i]);
    switch (flag) {
      case '--out': {
        const v = value();
        if (!v) {
          err('rollout-lens-demo: --out needs a folder');
          return 2;
        }
        out = v;
        break;
      }
      case '--seed':
      case '--steps':
      case '--prompts':
      case '--group-size': {
        const n = intArg(flag, value());
        if (n === undefined) return 2;
        if (flag === '--seed') opts.seed = n;
        else if (flag === '--steps') opts.steps = n;
        else if (flag === '--prompts') opts.prompts = n;
        else opts.groupSize = n;
        break;
      }
      case '--no-serve':
      case '--serve':
        break; // handled by the wrapper that serves the workspace, if any
      case '-h':
      case '--help':
        log(USAGE);
        return 0;
      default:
        err(`rollout-lens-demo: unknown argument ${JSON.stringify(a)}\n${USAGE}`);
        return 2;
    }
  }
  try {
    const t0 = Date.now();
    const r = generateDemoWorkspace(out, opts);
    const ms = Date.now() - t0;
    log(`Wrote a SYNTHETIC Rollout Lens demo workspace to ${r.outDir} in ${ms} ms:`);
    log(`  ${r.images} images in ${path.join(r.outDir, 'data', 'images')}`);
    log(`  ${r.records} rollouts in ${r.logFile}`);
    log(`  checkpoints: ${CHECKPOINT_STEPS.map((c) => path.join(r.outDir, 'runs', RUN_NAME, `checkpoint-${c}`)).join(', ')}`);
    if (r.evals) log(`  evals: ${r.evals.files.length} eval files (checkpoints ${r.evals.steps.join(', ')}; ${r.evals.samples} samples per dataset) in ${r.evals.dir}`);
    log(`  ${path.join(r.outDir, 'README.md')}`);
    log(`Open the folder in VS Code, then Rollout Lens (activity bar) → Runs, or double-click the .rollouts.jsonl.`);
    return 0;
  } catch (e) {
    err(`rollout-lens-demo: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
