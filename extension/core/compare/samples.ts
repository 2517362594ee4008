// Rollout → EvalSample: what correctness, F1, IoU, format, alignment and length mean for each format, and the
// key an answer is matched on across checkpoints. Pure: no `vscode`.
//
// Scores (per answer; null when the source cannot tell):
//   accuracy   eval.correct (1/0); else eval.scores.accuracy (≥ 0.5 → 1); else a reward named acc / accuracy /
//              accuracy_reward / correct (rollout-style logs used as evals, e.g. verl validation dumps).
//   f1         eval.scores.f1; else option-set F1 of the answer against the reference when the reference is an
//              option set ("A, C") and the question looks like multiple choice (or there is no question text).
//   iou        eval.scores.iou; else the mean over the reference boxes of the best IoU with a predicted box (the
//              boxes of the <answer> part when there are any, else all predicted boxes; none predicted → 0).
//   iou50      iou ≥ 0.5.
//   format     eval.scores.format (≥ 0.5 → 1); else a reward whose name contains "format" (≥ 0.5 → 1); else
//              `<think>…</think><answer>…</answer>` with nothing around it.
//   alignment  verdict supported → 1, unsupported / contradicted → 0 (the log's verdict, else the rules').
//   length     extra completion_tokens / completion_length / response_length; else the completion's characters.
//
// Keys: `<dataset>:<sample id>`; without an id `<dataset>:q:<sha1 of image file names + normalised question>`;
// with neither images nor question (generated_responses.json) `<dataset>:#<record>` (matched by position).

import * as crypto from 'crypto';
import * as path from 'path';
import type { Rollout } from '../model';
import { bestIous } from '../geometry/iou';
import { optionSetF1, parseOptionSet } from './metrics';
import type { EvalSample, MetricId } from './types';
import { ruleVerdict } from '../judge/rules';

const ACCURACY_REWARDS = new Set(['acc', 'accuracy', 'accuracy_reward', 'correct']);
const FORMAT_RE = /^\s*<think>[\s\S]*?<\/think>\s*<answer>[\s\S]*?<\/answer>\s*$/;
const LENGTH_KEYS = ['completion_tokens', 'completion_length', 'response_length'];

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function binary(v: number): number {
  return v >= 0.5 ? 1 : 0;
}

function accuracyOf(r: Rollout): number | null {
  if (r.eval && r.eval.correct !== null) return r.eval.correct ? 1 : 0;
  const s = r.eval?.scores.accuracy;
  if (finite(s)) return binary(s);
  for (const [k, v] of Object.entries(r.rewards)) if (ACCURACY_REWARDS.has(k.toLowerCase()) && finite(v)) return binary(v);
  return null;
}

/** The question offers lettered options: "(A) …", "A. …", "A: …" on their own, or says options / choices. */
export function looksMultipleChoice(question: string): boolean {
  if (!question.trim()) return true;
  if (/\b(?:options?|choices?|multiple[- ]choice|select all|choose)\b/i.test(question)) return true;
  const marks = question.match(/(?:^|[\s(\[])([A-H])(?:[.:)\]]|\s*[.:)])\s+\S/gm) ?? [];
  const letters = new Set(marks.map((m) => /([A-H])/.exec(m)![1]));
  return letters.size >= 2;
}

function f1Of(r: Rollout): number | null {
  const s = r.eval?.scores.f1;
  if (finite(s)) return s;
  const ref = r.reference.answer;
  if (ref === undefined) return null;
  const set = parseOptionSet(ref);
  if (set === null || set.length < 1) return null;
  if (!looksMultipleChoice(r.prompt.text)) return null;
  return optionSetF1(r.answer ?? null, ref);
}

function iouOf(r: Rollout): number | null {
  const s = r.eval?.scores.iou;
  if (finite(s)) return s;
  const gt = r.reference.boxes;
  if (gt.length === 0) return null;
  const inAnswer = r.predicted.filter((b) => b.part === 'answer');
  const pred = (inAnswer.length > 0 ? inAnswer : r.predicted).map((b) => b.box);
  if (pred.length === 0) return 0;
  const best = bestIous(
    gt.map((b) => b.box),
    pred,
  );
  return best.reduce((a, b) => a + b, 0) / best.length;
}

function formatOf(r: Rollout): number {
  const s = r.eval?.scores.format;
  if (finite(s)) return binary(s);
  for (const [k, v] of Object.entries(r.rewards)) if (/format/i.test(k) && finite(v)) return binary(v);
  return FORMAT_RE.test(r.completion) ? 1 : 0;
}

/** The log's verdict when it has one (other than unknown), else the built-in rules' (judge/rules.ts). */
function alignmentOf(r: Rollout): number | null {
  const logged = r.verdict?.label;
  const l = logged && logged !== 'unknown' ? logged : ruleVerdict(r).label;
  if (l === 'supported') return 1;
  if (l === 'unsupported' || l === 'contradicted') return 0;
  return null;
}

function lengthOf(r: Rollout): number {
  for (const k of LENGTH_KEYS) {
    const v = r.extra[k];
    if (finite(v)) return v;
  }
  return r.completion.length;
}

/** Question text as matched: lower case, white space collapsed, trimmed. */
function normaliseQuestion(q: string): string {
  return q.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** First 16 hex digits of the SHA-1 of the image file names and the normalised question. */
export function questionHash(imagePaths: readonly string[], question: string): string {
  const names = imagePaths.map((p) => p.split(/[\\/]/).pop() ?? p).join('\u0001');
  return crypto.createHash('sha1').update(`${names}\u0000${normaliseQuestion(question)}`).digest('hex').slice(0, 16);
}

/** The comparison's view of one evaluated answer. */
export function evalSampleOf(r: Rollout, at: { log: string; record: number; datasetFallback: string }): EvalSample {
  const fromSlice = r.eval?.slice.dataset;
  const dataSource = r.extra.data_source;
  const dataset = fromSlice && fromSlice.trim() ? fromSlice : typeof dataSource === 'string' && dataSource.trim() ? dataSource : at.datasetFallback;
  const slice: Record<string, string> = { ...(r.eval?.slice ?? {}), dataset };
  const sampleId = r.sampleId !== undefined && r.sampleId !== '' ? r.sampleId : null;
  const question = r.prompt.text ?? '';
  let key: string;
  if (sampleId !== null) key = `${dataset}:${sampleId}`;
  else if (question.trim() === '' && r.prompt.images.length === 0) key = `${dataset}:#${at.record}`;
  else key = `${dataset}:q:${questionHash(r.prompt.images.map((i) => i.path), question)}`;
  const iou = iouOf(r);
  const scores: Record<MetricId, number | null> = {
    accuracy: accuracyOf(r),
    f1: f1Of(r),
    iou,
    iou50: iou === null ? null : iou >= 0.5 ? 1 : 0,
    format: formatOf(r),
    alignment: alignmentOf(r),
    length: lengthOf(r),
  };
  const q = question.trim();
  return {
    key,
    sampleId,
    dataset,
    slice,
    scores,
    log: at.log,
    record: at.record,
    file: r.source.file,
    line: r.source.line,
    question: q.length > 160 ? q.slice(0, 160) : q,
    answer: r.answer ?? null,
    reference: r.reference.answer ?? null,
  };
}

// ---------------------------------------------------------------------------------------------------
// Dataset names

/** A folder named for a step: checkpoint-100, global_step_200, global_step200, step-3, step_3, steps_3, ckpt-3, iter_3. */
const STEP_FOLDER_RE = /^(?:checkpoint|global_step|steps?|ckpt|iter)[-_]?(\d+)$/i;

/** The step a folder's name gives (checkpoint-100, global_step_200, global_step200, step_3, ckpt-4, iter_5); else null. */
export function stepOfFolderName(name: string): number | null {
  const m = STEP_FOLDER_RE.exec(name);
  return m ? Number(m[1]) : null;
}
/** Checkpoint / step tokens inside a file name. */
const STEP_TOKEN_RE = /[-_.]?(?:checkpoint|global_step|steps?|ckpt|iter)[-_]?\d+/gi;
/** Split names that belong to a VLM-R1 DATASET (refcoco_val, refgta_subsample, lisa_test). */
const SPLIT_WORDS = /^(?:val|valid|validation|test|testa|testb|train|dev|subsample|minival|eval)$/i;

function folderName(file: string): string {
  let dir = path.dirname(file);
  for (let i = 0; i < 3; i++) {
    const b = path.basename(dir);
    if (!b || dir === path.dirname(dir)) return 'eval';
    if (stepOfFolderName(b) === null) return b;
    dir = path.dirname(dir);
  }
  return 'eval';
}

/**
 * The dataset an eval file holds, from its name: `mathvista_checkpoint-100.eval.jsonl` → `mathvista`,
 * `superclevr_results.json` → `superclevr` (a leading / trailing `results` dropped); VLM-R1
 * `rec_results_{DATASET}_{RUN}_{STEPS}.json` → DATASET (`refcoco`, or `refcoco_val` when a split word follows);
 * `generated_responses.json` and verl `<N>.jsonl` → the parent folder's name (step folders skipped; else 'eval').
 */
export function datasetNameOf(file: string): string {
  const base = path.basename(file);
  if (/^generated_responses\.json$/i.test(base) || /^\d+\.jsonl$/i.test(base)) return folderName(file);
  const rec = /^rec_results_(.+?)(?:_\d+)?\.json$/i.exec(base);
  if (rec) {
    const parts = rec[1].split('_');
    return parts.length > 1 && SPLIT_WORDS.test(parts[1]) ? `${parts[0]}_${parts[1]}` : parts[0];
  }
  let name = base.replace(/\.eval\.jsonl$/i, '').replace(/\.jsonl$/i, '').replace(/\.json$/i, '');
  name = name.replace(STEP_TOKEN_RE, '').replace(/_\d+$/, '').replace(/^[-_.]+|[-_.]+$/g, '');
  name = name.replace(/^results?[-_.]+|[-_.]+results?$/i, '');
  return name || folderName(file);
}
