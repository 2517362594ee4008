// `rollout-lens bench --only judge` (and a section of the full bench): judged completions per second with
// the tiny test NLI model (models built in code, the signatures of real exports) in its worker thread, batched,
// against a naive baseline measured in the same run (the same worker and model, one window per inference:
// batch size 1); the second pass answers from the verdict cache (zero inferences); the rules over the same
// completions. The tiny model's own cost is small, so this measures the pipeline (tokenizer, windows,
// batching, worker messages, cache), not a real cross-encoder: with a real model the inference dominates.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Rollout } from './core/model';
import { judgeItemOf } from './core/judge/items';
import { judgeAll } from './core/judge/judgeRun';
import { VerdictCache } from './core/judge/cache';
import { ruleVerdict } from './core/judge/rules';
import { writeTinyNliModel } from './core/judge/tinyNli';
import { OnnxJudge, defaultNliWorkerPath } from './core/judge/onnxJudge';
import { mulberry32 } from './core/compare/stats';

export interface JudgeBench {
  completions: number;
  /** Mean reasoning length in characters. */
  meanChars: number;
  batched: { ms: number; perSecond: number; batchSize: number };
  naive: { ms: number; perSecond: number; completions: number };
  cached: { ms: number; perSecond: number; inferred: number };
  rules: { ms: number; perSecond: number };
  labels: Record<string, number>;
}

const COLOURS = ['red', 'green', 'blue', 'yellow', 'purple', 'orange'];
const SHAPES = ['circle', 'square', 'triangle'];

/** Demo-like completions: boxes in the reasoning, a stated count, an answer that sometimes contradicts it; some long. */
export function benchRollouts(n: number, seed = 11): Rollout[] {
  const r = mulberry32(seed);
  const out: Rollout[] = [];
  for (let i = 0; i < n; i++) {
    const colour = COLOURS[Math.floor(r() * COLOURS.length)]!;
    const shape = SHAPES[Math.floor(r() * SHAPES.length)]!;
    const count = 1 + Math.floor(r() * 6);
    const stated = r() < 0.2 ? count + 1 : count;
    const parts = [`I need to count the ${colour} ${shape}s in the image.`];
    const loops = r() < 0.15 ? 12 : 1;
    for (let l = 0; l < loops; l++) {
      for (let k = 0; k < stated; k++) {
        const x = Math.floor(r() * 600);
        const y = Math.floor(r() * 400);
        parts.push(`There is a ${colour} ${shape} at {"bbox_2d": [${x}, ${y}, ${x + 40}, ${y + 40}], "label": "${colour} ${shape}"}.`);
      }
      if (loops > 1) parts.push('Let me check the image again to be sure.');
    }
    parts.push(`So there are ${stated} ${colour} ${shape}s in total.`);
    const completion = `<think>${parts.join(' ')}</think><answer>${count}</answer>`;
    out.push({
      step: 1 + Math.floor(i / 64), groupId: `g${Math.floor(i / 8)}`, indexInGroup: i % 8, prompt: { text: `How many ${colour} ${shape}s are there?`, images: [] },
      completion, answer: String(count), reference: { answer: String(count), boxes: [] }, predicted: [], rewards: {}, reward: null, advantage: null,
      advantageSource: null, generatedImages: [], extra: {}, source: { file: 'bench', line: i + 1 },
    });
  }
  return out;
}

export async function runJudgeBench(n: number, log: (s: string) => void): Promise<JudgeBench> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollout-lens-judge-bench-'));
  try {
    const modelDir = writeTinyNliModel(path.join(dir, 'tiny-nli'));
    const rollouts = benchRollouts(n);
    const items = rollouts.map((x) => judgeItemOf(x)!).filter(Boolean);
    const meanChars = items.reduce((a, it) => a + it.premise.length, 0) / Math.max(1, items.length);
    const batchSize = 32;
    const labels: Record<string, number> = {};

    const judge = await OnnxJudge.open(modelDir, { workerPath: defaultNliWorkerPath(), batchSize });
    let t = performance.now();
    const cache = VerdictCache.open(path.join(dir, 'cache'), judge.id);
    const first = await judgeAll(judge, items, cache, { chunk: 256 });
    const batchedMs = performance.now() - t;
    for (const v of first.verdicts) if (v) labels[v.label] = (labels[v.label] ?? 0) + 1;
    log(`  judge: ${items.length} completions batched (${batchSize}): ${batchedMs.toFixed(0)} ms`);
    await judge.dispose();

    t = performance.now();
    const again = await judgeAll(judge, items, VerdictCache.open(path.join(dir, 'cache'), judge.id), { chunk: 256 });
    const cachedMs = performance.now() - t;
    log(`  judge: again from the cache: ${cachedMs.toFixed(0)} ms, ${again.inferred} inferred`);

    const naiveN = Math.min(items.length, 500);
    const one = await OnnxJudge.open(modelDir, { workerPath: defaultNliWorkerPath(), batchSize: 1 });
    t = performance.now();
    for (let k = 0; k < naiveN; k++) await one.judge([items[k]!], {});
    const naiveMs = performance.now() - t;
    await one.dispose();
    log(`  judge: naive, one completion per call and one window per inference: ${naiveN} in ${naiveMs.toFixed(0)} ms`);

    t = performance.now();
    for (const x of rollouts) ruleVerdict(x);
    const rulesMs = performance.now() - t;
    return {
      completions: items.length,
      meanChars,
      batched: { ms: batchedMs, perSecond: (1000 * items.length) / batchedMs, batchSize },
      naive: { ms: naiveMs, perSecond: (1000 * naiveN) / naiveMs, completions: naiveN },
      cached: { ms: cachedMs, perSecond: (1000 * items.length) / Math.max(cachedMs, 0.001), inferred: again.inferred },
      rules: { ms: rulesMs, perSecond: (1000 * rollouts.length) / rulesMs },
      labels,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function renderJudgeBench(b: JudgeBench): string {
  const f = (x: number): string => Math.round(x).toLocaleString('en');
  return [
    `Judge: ${b.completions.toLocaleString('en')} completions (reasoning ${Math.round(b.meanChars)} chars on average), tiny test NLI model in its worker thread`,
    `  local model, batched (${b.batched.batchSize}):   ${f(b.batched.perSecond)} completions/s (${(b.batched.ms / 1000).toFixed(2)} s)`,
    `  naive (one per inference):   ${f(b.naive.perSecond)} completions/s (${b.naive.completions} completions) → batched is ${(b.batched.perSecond / b.naive.perSecond).toFixed(1)}× faster`,
    `  second pass (verdict cache): ${f(b.cached.perSecond)} completions/s, ${b.cached.inferred} inferences → ${(b.batched.ms / Math.max(b.cached.ms, 0.001)).toFixed(0)}× faster than judging`,
    `  rules:                       ${f(b.rules.perSecond)} completions/s`,
    `  verdicts: ${Object.entries(b.labels).map(([k, v]) => `${k} ${v}`).join(', ')}`,
  ].join('\n') + '\n';
}
