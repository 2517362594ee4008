// Eval outputs for the demo workspace: the demo run's checkpoints evaluated on two held-out datasets, in
// Rollout Lens eval JSONL (`eval-jsonl`, documented in extension/core/formats/evalOutputs.ts), so that
// checkpoint comparison has something to compare:
//
//   runs/grpo-demo/eval/checkpoint-<N>/shapes-count.eval.jsonl   N = 50, 100, 150, 200
//   runs/grpo-demo/eval/checkpoint-<N>/shapes-mc.eval.jsonl
//   data/images/eval/eval-XXXX.png                               one image per sample, shared by both datasets
//
// Only checkpoint-100/ and checkpoint-200/ exist as checkpoint folders; 50 and 150 are eval-only.
//
// shapes-count is the training task ("count the red circles", boxes in <think>, the count in <answer>) on
// scenes the run never saw. Its split: a sample is in-domain (ID) when its target (colour + shape) was the
// target of a training prompt, out-of-domain (OOD) when the run never trained on that combination (a
// compositional split, as CLEVR CoGenT). shapes-mc asks which colours appear (multi-answer multiple choice)
// on the same images; its `domain` is the image's.
//
// The simulated checkpoints: a latent per-sample difficulty plus per-checkpoint noise ranks the samples and
// the best round(target accuracy × n) of each domain are right, so most samples keep their verdict from one
// checkpoint to the next and some flip both ways. ID accuracy rises clearly with the step, OOD barely;
// the reasoning contradicts the answer a little more often late in training (alignment falls while accuracy
// rises), and completions grow a little longer. One sample (the last count sample) is missing from
// checkpoint-150: an eval that crashed before the end. Deterministic for a seed.

import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  COLOR_NAMES,
  ColorName,
  Rng,
  Scene,
  SceneObject,
  gaussian,
  generateScene,
  labelOf,
  mixSeed,
  mulberry32,
  objectBox,
  pick,
  renderScene,
  smartResize,
  targetsOf,
} from './scenes';
import {
  boxSigma,
  extractAnswer,
  jitterBox,
  noun,
  planCompletion,
  promptText,
  toInput,
  tokensOf,
  where,
  writeCompletion,
  type Mention,
  type Plan,
} from './generate';

export const EVAL_STEPS: readonly number[] = [50, 100, 150, 200];
export const EVAL_DATASETS = ['shapes-count', 'shapes-mc'] as const;
export type EvalDataset = (typeof EVAL_DATASETS)[number];
/** Samples per dataset: in-domain, then out-of-domain (fewer when the training targets leave no room for one). */
export const EVAL_SAMPLES = { ID: 40, OOD: 20 } as const;
/** The checkpoint whose shapes-count eval stops one sample short. */
export const EVAL_CRASHED_STEP = 150;
/** Eval images are drawn at this fraction of the training image sizes (small and quick to write). */
const EVAL_IMAGE_SCALE = 0.5;
/** zlib level of the eval PNGs: 6 writes them three times faster than 9 for ~9 % more bytes. */
const EVAL_PNG_LEVEL = 6;
const LAST_STEP = 200;

/** Target accuracies per checkpoint (EVAL_STEPS order), before the per-checkpoint noise. */
const COUNT_ACCURACY = { ID: [0.42, 0.5, 0.68, 0.86], OOD: [0.3, 0.32, 0.34, 0.36] } as const;
const MC_ACCURACY = [0.5, 0.57, 0.63, 0.7] as const;
/** Share of shapes-count answers whose reasoning concludes another count, by checkpoint (alignment falls). */
const MISALIGNED = [0.06, 0.1, 0.14, 0.18] as const;
/** Per-checkpoint noise on the logit scale (the latent difficulty has a logistic spread, sd ≈ 1.8). */
const NOISE_SD = 0.8;

export type Domain = 'ID' | 'OOD';

export interface EvalSampleSpec {
  index: number;
  scene: Scene;
  domain: Domain;
  /** Image file (absolute). */
  image: string;
}

export interface EvalOutputs {
  /** runs/grpo-demo/eval (absolute). */
  dir: string;
  /** The eval files written (absolute), by step then dataset. */
  files: string[];
  steps: readonly number[];
  /** Images written under data/images/eval/. */
  images: number;
  /** Samples per dataset, and how many are in-domain. */
  samples: number;
  inDomain: number;
  /** The sample left out of checkpoint-150's shapes-count file. */
  missing: { step: number; dataset: EvalDataset; sampleId: string } | null;
  /** The training targets (colour + shape) that make a sample in-domain. */
  trainTargets: string[];
}

function pad4(n: number): string {
  return String(n).padStart(4, '0');
}

function logit(p: number): number {
  return Math.log(p / (1 - p));
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

/** The scene drawn at `k` times its size (geometry and boxes scaled, model-input size recomputed). */
export function scaleScene(scene: Scene, k: number, id: string): Scene {
  const width = Math.max(28, Math.round(scene.width * k));
  const height = Math.max(28, Math.round(scene.height * k));
  const [inputHeight, inputWidth] = smartResize(height, width);
  const objects: SceneObject[] = scene.objects.map((o) => {
    const cx = o.cx * k;
    const cy = o.cy * k;
    const size = o.size * k;
    const b = objectBox(o.kind, cx, cy, size);
    const bbox: [number, number, number, number] = [Math.max(0, b[0]), Math.max(0, b[1]), Math.min(width, b[2]), Math.min(height, b[3])];
    return { ...o, cx, cy, size, bbox };
  });
  return { ...scene, id, width, height, inputWidth, inputHeight, objects };
}

function targetKey(scene: Scene): string {
  return labelOf(scene.target);
}

/** Held-out scenes (another seed stream than training), split ID / OOD by their target. */
export function evalSamples(seed: number, trainScenes: readonly Scene[], imagesDir: string): EvalSampleSpec[] {
  const trained = new Set(trainScenes.map(targetKey));
  const sceneSeed = mixSeed(seed, 0xe7a1);
  const want: Record<Domain, number> = { ...EVAL_SAMPLES };
  const total = EVAL_SAMPLES.ID + EVAL_SAMPLES.OOD;
  const picked: Array<{ scene: Scene; domain: Domain }> = [];
  const used = new Set<number>();
  for (let j = 0; j < 4000 && (want.ID > 0 || want.OOD > 0); j++) {
    const scene = generateScene(sceneSeed, j);
    const domain: Domain = trained.has(targetKey(scene)) ? 'ID' : 'OOD';
    if (want[domain] <= 0) continue;
    want[domain]--;
    used.add(j);
    picked.push({ scene: { ...scene, id: String(j) }, domain });
  }
  // When one domain cannot be filled (every combination was trained, or almost none was), the other fills in.
  for (let j = 0; picked.length < total && j < 4000; j++) {
    if (used.has(j)) continue;
    const scene = generateScene(sceneSeed, j);
    picked.push({ scene: { ...scene, id: String(j) }, domain: trained.has(targetKey(scene)) ? 'ID' : 'OOD' });
  }
  picked.sort((a, b) => Number(a.scene.id) - Number(b.scene.id));
  return picked.map((p, index) => {
    const id = `eval-${pad4(index)}`;
    return { index, scene: scaleScene(p.scene, EVAL_IMAGE_SCALE, id), domain: p.domain, image: path.join(imagesDir, `${id}.png`) };
  });
}

// ---------------------------------------------------------------------------------------------
// Who is right where: latent difficulty + per-checkpoint noise

/**
 * correct[s][i] for every step of EVAL_STEPS and sample. Each sample has a latent difficulty (stratified per
 * domain, ranked by `hardness` with random tie-breaks); at each checkpoint the per-checkpoint noise is added
 * and the round(target × n) samples of the domain with the best margin are the right ones — so accuracies
 * hit their targets exactly while the noise near the boundary makes samples flip between checkpoints.
 */
function correctness(seed: number, tag: number, samples: EvalSampleSpec[], hardness: (s: EvalSampleSpec) => number, target: (domain: Domain, k: number) => number): boolean[][] {
  const rng = mulberry32(mixSeed(seed, 0xd1ff, tag));
  const difficulty = new Array<number>(samples.length).fill(0);
  const domains = (['ID', 'OOD'] as const).map((domain) => ({ domain, idx: samples.filter((s) => s.domain === domain).map((s) => s.index) }));
  for (const { idx } of domains) {
    const members = idx.map((i) => ({ i, h: hardness(samples[i]) + rng() }));
    members.sort((a, b) => a.h - b.h || a.i - b.i);
    members.forEach((m, rank) => (difficulty[m.i] = logit((rank + 0.5) / members.length)));
  }
  const out = EVAL_STEPS.map((_, k) => {
    const noise = mulberry32(mixSeed(seed, 0xa015e, tag, k));
    const margin = samples.map((s) => -difficulty[s.index] + NOISE_SD * gaussian(noise));
    const ok = new Array<boolean>(samples.length).fill(false);
    for (const { domain, idx } of domains) {
      const right = Math.round(target(domain, k) * idx.length);
      const order = idx.slice().sort((a, b) => margin[b] - margin[a] || a - b);
      for (const i of order.slice(0, right)) ok[i] = true;
    }
    return ok;
  });
  // The demo promises flips both ways between checkpoint-100 and checkpoint-200 in each domain, and a big gain
  // leaves the noise little room for regressions: while there are fewer than two (one in a small domain), a
  // sample right at both goes wrong at 200 (the hardest) and one wrong at both goes right (the easiest) —
  // a flip each way, the accuracy kept.
  const k100 = EVAL_STEPS.indexOf(100);
  const k200 = EVAL_STEPS.indexOf(200);
  if (k100 >= 0 && k200 >= 0) {
    const a = out[k100];
    const b = out[k200];
    const hardestFirst = (x: number, y: number) => difficulty[y] - difficulty[x] || x - y;
    const easiestFirst = (x: number, y: number) => difficulty[x] - difficulty[y] || x - y;
    for (const { idx } of domains) {
      const minDown = idx.length >= 20 ? 2 : 1;
      for (let guard = 0; guard < minDown; guard++) {
        const down = idx.filter((i) => a[i] && !b[i]).length;
        const up = idx.filter((i) => !a[i] && b[i]).length;
        if (down >= minDown && up >= 1) break;
        const loser = idx.filter((i) => a[i] && b[i]).sort(hardestFirst)[0];
        const winner = idx.filter((i) => !a[i] && !b[i]).sort(easiestFirst)[0];
        if (loser === undefined || winner === undefined) break;
        b[loser] = false;
        b[winner] = true;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// shapes-count

/** A wrong count near the right one (never negative). */
function nearMiss(rng: Rng, n: number): number {
  const d = rng() < 0.75 ? 1 : 2;
  if (n - d < 0) return n + d;
  return rng() < 0.5 ? n - d : n + d;
}

/** Makes the plan localise exactly `m` objects: all targets first, then look-alike distractors. */
function fitMentions(rng: Rng, scene: Scene, plan: Plan, m: number, sigma: number): void {
  const targets = targetsOf(scene);
  const onTarget = new Map<SceneObject, Mention>();
  const offTarget: Mention[] = [];
  for (const x of plan.mentions) {
    if (x.obj && targets.includes(x.obj) && !onTarget.has(x.obj)) onTarget.set(x.obj, x);
    else offTarget.push(x);
  }
  const hits: Mention[] = targets.map((t) => onTarget.get(t) ?? { obj: t, box: jitterBox(rng, toInput(t, scene), sigma, scene), place: where(t, scene) });
  let mentions: Mention[];
  if (m <= hits.length) {
    mentions = hits.slice();
    while (mentions.length > m) mentions.splice(Math.floor(rng() * mentions.length), 1);
  } else {
    mentions = hits.concat(offTarget.slice(0, m - hits.length));
    const others = scene.objects.filter((o) => !targets.includes(o) && !mentions.some((x) => x.obj === o));
    const alike = others.filter((o) => o.color === scene.target.color || o.kind === scene.target.kind);
    while (mentions.length < m && others.length > 0) {
      const pool = alike.length ? alike : others;
      const o = pool.splice(Math.floor(rng() * pool.length), 1)[0];
      if (pool !== others) others.splice(others.indexOf(o), 1);
      mentions.push({ obj: o, box: jitterBox(rng, toInput(o, scene), sigma, scene), place: where(o, scene) });
    }
  }
  mentions.sort((a, b) => a.box[1] - b.box[1] || a.box[0] - b.box[0]);
  plan.mentions = mentions;
  plan.skipped = plan.skipped.filter((o) => !mentions.some((x) => x.obj === o));
}

/** misaligned[s][i]: a per-sample propensity (stratified) against a per-checkpoint rate, with a little jitter. */
function misalignment(seed: number, samples: EvalSampleSpec[]): boolean[][] {
  const rng = mulberry32(mixSeed(seed, 0x3a11));
  const order = samples.map((s) => ({ i: s.index, u: rng() })).sort((a, b) => a.u - b.u || a.i - b.i);
  const u = new Array<number>(samples.length).fill(0);
  order.forEach((o, rank) => (u[o.i] = (rank + 0.5) / order.length));
  return EVAL_STEPS.map((_, k) => {
    const jitter = mulberry32(mixSeed(seed, 0x3a12, k));
    return samples.map((s) => u[s.index] + 0.08 * (jitter() - 0.5) < MISALIGNED[k]);
  });
}

function countRecord(seed: number, sample: EvalSampleSpec, k: number, correct: boolean, misaligned: boolean, fileDir: string): Record<string, unknown> {
  const step = EVAL_STEPS[k];
  const t = step / LAST_STEP;
  const scene = sample.scene;
  const rng = mulberry32(mixSeed(seed, 0xc0a7, step, sample.index));
  const skill = sample.domain === 'ID' ? 0.6 + 0.32 * t : 0.45 + 0.1 * t;
  const plan = planCompletion(rng, scene, skill);
  const gt = targetsOf(scene).length;
  const answer = correct ? gt : nearMiss(rng, gt);
  // Misaligned: the reasoning localises (and concludes) another number than the answer — more often late.
  const m = misaligned ? (correct ? nearMiss(rng, gt) : gt) : answer;
  fitMentions(rng, scene, plan, m, boxSigma(skill));
  plan.count = answer;
  plan.statedCount = m;
  plan.verboseAnswer = false;
  if (correct && plan.formatError === 'no-answer-tag') plan.formatError = undefined;
  let completion = writeCompletion(rng, scene, plan);
  // Later checkpoints re-check more often (completions grow a little with the step).
  const close = completion.indexOf('</think>');
  if (close > 0 && rng() < 0.1 + 0.5 * t) {
    const what = `${scene.target.color} ${noun(scene.target.kind, 2)}`;
    const again =
      m === 0
        ? ` Let me double-check by scanning the image once more, row by row: still no ${what}.`
        : ` Let me double-check by scanning the image once more, row by row, and recounting the ${what}: I get ${m} again.`;
    completion = completion.slice(0, close) + again + completion.slice(close);
  }
  const ans = extractAnswer(completion);
  const num = ans === undefined ? null : /-?\d+/.exec(ans);
  const isCorrect = num !== null && Number(num[0]) === gt;
  if (isCorrect !== correct) throw new Error(`demo evals: count-${pad4(sample.index)} at step ${step} came out ${isCorrect ? 'right' : 'wrong'}`);
  const rec: Record<string, unknown> = {
    sample_id: `count-${pad4(sample.index)}`,
    checkpoint: `checkpoint-${step}`,
    prompt: { text: promptText(scene), images: [imageRef(sample, fileDir)] },
    completion,
    reference: {
      answer: String(gt),
      boxes: targetsOf(scene).map((o) => ({ bbox: o.bbox, label: labelOf(o), frame: 'original' })),
    },
    correct: isCorrect,
    slice: { dataset: 'shapes-count', domain: sample.domain, category: scene.target.kind },
  };
  if (ans !== undefined) {
    const what = (n: number) => `${n} ${scene.target.color} ${noun(scene.target.kind, n)}`;
    rec.verdict =
      m === answer
        ? { label: 'supported', source: 'rules', rationale: `The reasoning localises and concludes ${what(m)}, as the answer says.` }
        : { label: 'contradicted', source: 'rules', rationale: `The reasoning localises and concludes ${what(m)} but the answer is ${answer}.` };
  }
  rec.extra = { completion_tokens: tokensOf(completion) };
  return rec;
}

function imageRef(sample: EvalSampleSpec, fileDir: string): Record<string, unknown> {
  const s = sample.scene;
  return { path: toPosix(path.relative(fileDir, sample.image)), width: s.width, height: s.height, input_width: s.inputWidth, input_height: s.inputHeight };
}

// ---------------------------------------------------------------------------------------------
// shapes-mc

const LETTERS = ['A', 'B', 'C', 'D', 'E'];

export function mcQuestion(): string {
  const options = COLOR_NAMES.map((c, i) => `(${LETTERS[i]}) ${c}`).join(' ');
  return (
    `Which colours appear among the shapes? Select all that apply. ${options}\n` +
    `Think step by step inside <think></think> tags, then give the letters of every correct option in <answer></answer>, separated by commas.`
  );
}

function lettersOf(colours: Iterable<ColorName>): string {
  return [...colours]
    .map((c) => COLOR_NAMES.indexOf(c))
    .sort((a, b) => a - b)
    .map((i) => LETTERS[i])
    .join(', ');
}

/** The option letters in an answer ("A, C" → {A, C}). */
export function parseOptionSet(answer: string): Set<string> {
  return new Set((answer.toUpperCase().match(/\b[A-E]\b/g) ?? []).map((x) => x));
}

function joinWords(xs: string[]): string {
  if (xs.length <= 1) return xs.join('');
  return `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}

function mcRecord(seed: number, sample: EvalSampleSpec, k: number, correct: boolean, fileDir: string): Record<string, unknown> {
  const step = EVAL_STEPS[k];
  const t = step / LAST_STEP;
  const scene = sample.scene;
  const rng = mulberry32(mixSeed(seed, 0x3c3c, step, sample.index));
  const present = COLOR_NAMES.filter((c) => scene.objects.some((o) => o.color === c));
  const chosen = new Set<ColorName>(present);
  const added: ColorName[] = [];
  if (!correct) {
    const absent = COLOR_NAMES.filter((c) => !chosen.has(c));
    const r = rng();
    const drop = present.length >= 2 && (r < 0.55 || absent.length === 0 || r >= 0.9);
    const add = absent.length > 0 && (!drop || r >= 0.9);
    if (drop) {
      // The colour most easily missed: the one whose largest shape is smallest.
      const biggest = (c: ColorName) => Math.max(...scene.objects.filter((o) => o.color === c).map((o) => o.size));
      const c = [...chosen].sort((a, b) => biggest(a) - biggest(b))[0];
      chosen.delete(c);
    }
    if (add) {
      const c = pick(rng, absent);
      chosen.add(c);
      added.push(c);
    }
  }
  const parts: string[] = [pick(rng, ['Let me list the shapes and their colours.', 'I will go through the shapes one by one and note each colour.', 'Let me look at every shape in the image.'])];
  const seen = scene.objects.filter((o) => chosen.has(o.color)).sort((a, b) => a.cy - b.cy || a.cx - b.cx);
  for (const o of seen) parts.push(`There is a ${labelOf(o)} in the ${where(o, scene)}.`);
  for (const c of added) {
    const near = pick(rng, scene.objects);
    parts.push(`There also seems to be a small ${c} ${pick(rng, ['circle', 'square', 'triangle'])} near the ${where(near, scene)}.`);
  }
  const names = COLOR_NAMES.filter((c) => chosen.has(c));
  parts.push(`So the colours present are ${joinWords(names)}.`);
  if (rng() < 0.15 + 0.5 * t) {
    parts.push(`Checking the options: ${COLOR_NAMES.map((c, i) => `(${LETTERS[i]}) ${c} — ${chosen.has(c) ? 'yes' : 'no'}`).join(', ')}.`);
  }
  const answer = lettersOf(chosen);
  const completion = `<think>${parts.join(' ')}</think><answer>${answer}</answer>`;
  const ref = lettersOf(present);
  const got = parseOptionSet(extractAnswer(completion) ?? '');
  const want = parseOptionSet(ref);
  const isCorrect = got.size === want.size && [...got].every((x) => want.has(x));
  if (isCorrect !== correct) throw new Error(`demo evals: mc-${pad4(sample.index)} at step ${step} came out ${isCorrect ? 'right' : 'wrong'}`);
  return {
    sample_id: `mc-${pad4(sample.index)}`,
    checkpoint: `checkpoint-${step}`,
    prompt: { text: mcQuestion(), images: [imageRef(sample, fileDir)] },
    completion,
    reference: { answer: ref },
    correct: isCorrect,
    slice: { dataset: 'shapes-mc', domain: sample.domain, category: `colours-${present.length}` },
    extra: { completion_tokens: tokensOf(completion) },
  };
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Writes the eval images under `<root>/data/images/eval/` and the eval files under `<runDir>/eval/`.
 * `trainScenes` are the training prompts' scenes (their targets define the in-domain split).
 */
export function writeEvalOutputs(root: string, runDir: string, seed: number, trainScenes: readonly Scene[]): EvalOutputs {
  const imagesDir = path.join(root, 'data', 'images', 'eval');
  const evalDir = path.join(runDir, 'eval');
  fs.mkdirSync(imagesDir, { recursive: true });
  const samples = evalSamples(seed, trainScenes, imagesDir);
  const imageSeed = mixSeed(seed, 0xe7a1);
  for (const s of samples) fs.writeFileSync(s.image, renderScene(s.scene, imageSeed, EVAL_PNG_LEVEL));

  const countOk = correctness(seed, 1, samples, (s) => 0.5 * targetsOf(s.scene).length, (domain, k) => COUNT_ACCURACY[domain][k]);
  const colours = (s: EvalSampleSpec) => new Set(s.scene.objects.map((o) => o.color)).size;
  const mcOk = correctness(seed, 2, samples, (s) => 0.4 * colours(s), (_domain, k) => MC_ACCURACY[k]);
  const misaligned = misalignment(seed, samples);
  const last = samples.length - 1;
  const missing = last >= 0 && EVAL_STEPS.includes(EVAL_CRASHED_STEP) ? { step: EVAL_CRASHED_STEP, dataset: 'shapes-count' as const, sampleId: `count-${pad4(last)}` } : null;

  const files: string[] = [];
  EVAL_STEPS.forEach((step, k) => {
    const dir = path.join(evalDir, `checkpoint-${step}`);
    fs.mkdirSync(dir, { recursive: true });
    const count: string[] = [];
    const mc: string[] = [];
    for (const s of samples) {
      if (!(missing && step === missing.step && s.index === last)) count.push(JSON.stringify(countRecord(seed, s, k, countOk[k][s.index], misaligned[k][s.index], dir)));
      mc.push(JSON.stringify(mcRecord(seed, s, k, mcOk[k][s.index], dir)));
    }
    for (const [name, lines] of [['shapes-count', count], ['shapes-mc', mc]] as const) {
      const file = path.join(dir, `${name}.eval.jsonl`);
      fs.writeFileSync(file, lines.join('\n') + '\n');
      files.push(file);
    }
  });
  return {
    dir: evalDir,
    files,
    steps: EVAL_STEPS,
    images: samples.length,
    samples: samples.length,
    inDomain: samples.filter((s) => s.domain === 'ID').length,
    missing,
    trainTargets: [...new Set(trainScenes.map(targetKey))].sort(),
  };
}
