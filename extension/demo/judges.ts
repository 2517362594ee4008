// The demo's judges: a tiny NLI model (models/tiny-nli) and a tiny CLIP pair (models/tiny-clip) built in code
// with the signatures of real exports (toy weights: a bag-of-words "NLI" and colour-matching "CLIP", enough to
// show the whole path work offline), the workspace settings that point at them, and a synthetic judge output
// file to import (runs/grpo-demo/judge/llm-judge.verdicts.jsonl: the demo's planned verdicts with a few
// deliberate disagreements, keyed by completion_sha256) so the agreement view has two sources to compare.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeTinyNliModel } from '../core/judge/tinyNli';
import { writeTinyClipModel } from '../core/judge/tinyClip';
import { completionHash } from '../core/judge/items';
import { mixSeed, mulberry32 } from './scenes';

export interface DemoVerdict {
  completion: string;
  label: 'supported' | 'unsupported' | 'contradicted';
  rationale: string;
}

export const DEMO_JUDGE_FILE = path.join('runs', 'grpo-demo', 'judge', 'llm-judge.verdicts.jsonl');
export const DEMO_NLI_DIR = path.join('models', 'tiny-nli');
export const DEMO_CLIP_DIR = path.join('models', 'tiny-clip');

/** Share of the synthetic judge's verdicts that deliberately disagree with the plan. */
export const DEMO_JUDGE_NOISE = 0.1;

export function writeDemoJudges(root: string, verdicts: readonly DemoVerdict[], seed: number): { judgeFile: string; entries: number } {
  writeTinyNliModel(path.join(root, DEMO_NLI_DIR));
  writeTinyClipModel(path.join(root, DEMO_CLIP_DIR));
  const rng = mulberry32(mixSeed(seed, 0x1d9e));
  const other = { supported: 'contradicted', unsupported: 'supported', contradicted: 'supported' } as const;
  const lines = verdicts.map((v) => {
    const flip = rng() < DEMO_JUDGE_NOISE;
    const label = flip ? other[v.label] : v.label;
    return JSON.stringify({
      completion_sha256: completionHash(v.completion),
      verdict: label,
      confidence: Math.round((flip ? 0.55 + 0.2 * rng() : 0.75 + 0.24 * rng()) * 100) / 100,
      rationale: flip ? 'Synthetic judge (demo): a deliberate disagreement with the planned verdict.' : `Synthetic judge (demo): ${v.rationale}`,
    });
  });
  const judgeFile = path.join(root, DEMO_JUDGE_FILE);
  fs.mkdirSync(path.dirname(judgeFile), { recursive: true });
  fs.writeFileSync(judgeFile, lines.join('\n') + '\n');
  const settingsDir = path.join(root, '.vscode');
  fs.mkdirSync(settingsDir, { recursive: true });
  const settingsFile = path.join(settingsDir, 'settings.json');
  let settings: Record<string, unknown> = {};
  try {
    settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
  } catch {
    settings = {};
  }
  settings['rolloutLens.judge.modelPath'] = DEMO_NLI_DIR.split(path.sep).join('/');
  settings['rolloutLens.judge.clipModelPath'] = DEMO_CLIP_DIR.split(path.sep).join('/');
  fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2) + '\n');
  return { judgeFile, entries: lines.length };
}
