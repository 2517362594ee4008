// What a model judge reads from one completion: the question, the reasoning (premise), the answer and a
// sentence built from it (hypothesis), and a content key for the cache. Pure: no `vscode`.
import { createHash } from 'crypto';
import type { Rollout } from '../model';
import type { JudgeItem } from './types';

const THINK_RE = /<think>([\s\S]*?)(?:<\/think>|(?=<answer>)|$)/i;
const ANSWER_BLOCK_RE = /<answer>[\s\S]*?(?:<\/answer>|$)/gi;
const ANSWER_RE = /<answer>([\s\S]*?)(?:<\/answer>|$)/i;

/** The reasoning: the `<think>` content, else the completion without its `<answer>` block. Trimmed. */
export function reasoningOf(completion: string): string {
  const m = THINK_RE.exec(completion);
  if (m) return m[1]!.trim();
  return completion.replace(ANSWER_BLOCK_RE, ' ').trim();
}

/** The final answer: the rollout's extracted answer, else the `<answer>` content; null when there is none. */
export function answerOf(r: Pick<Rollout, 'answer' | 'completion'>): string | null {
  if (typeof r.answer === 'string' && r.answer.trim()) return r.answer.trim();
  const m = ANSWER_RE.exec(r.completion);
  const a = m?.[1]?.trim();
  return a ? a : null;
}

/**
 * The answer as a sentence a natural-language-inference model can test against the reasoning: "The answer
 * is 3." JSON boxes in the answer are replaced by their labels (or "the box [x1, y1, x2, y2]").
 */
export function hypothesisOf(answer: string): string {
  let a = answer.replace(/\{[^{}]*\}/g, (obj) => {
    const label = /"(?:label|category|name)"\s*:\s*"([^"]*)"/.exec(obj)?.[1];
    const box = /\[\s*(-?[\d.]+)\s*,\s*(-?[\d.]+)\s*,\s*(-?[\d.]+)\s*,\s*(-?[\d.]+)\s*\]/.exec(obj);
    if (label) return label;
    return box ? `the box [${box.slice(1, 5).join(', ')}]` : obj;
  });
  a = a.replace(/^\s*\[\s*(.*?)\s*\]\s*$/s, '$1').replace(/\s+/g, ' ').trim();
  if (!a) return 'The answer is empty.';
  return /[.!?]$/.test(a) ? `The answer is ${a}` : `The answer is ${a}.`;
}

export function sha256Hex(...parts: string[]): string {
  const h = createHash('sha256');
  parts.forEach((p, i) => {
    if (i) h.update('\u0000');
    h.update(p);
  });
  return h.digest('hex');
}

/** The judge's view of a completion, or null when there is nothing to judge (no answer or no reasoning). */
export function judgeItemOf(r: Pick<Rollout, 'answer' | 'completion' | 'prompt'>): JudgeItem | null {
  const answer = answerOf(r);
  if (answer === null) return null;
  const premise = reasoningOf(r.completion);
  if (!premise) return null;
  const question = r.prompt.text;
  const hypothesis = hypothesisOf(answer);
  return { key: sha256Hex(question, premise, hypothesis), question, premise, hypothesis, answer };
}

/** The documented key of a completion in judge output files: sha256 hex of the completion text (UTF-8). */
export function completionHash(completion: string): string {
  return sha256Hex(completion);
}
