// Metrics of checkpoint comparison: option-set F1 for multi-answer multiple choice, and the per-prompt
// aggregation (mean@N) of per-answer scores into a table cell. Pure: no `vscode`, no DOM.

import { METRIC_IDS, type CellStat, type EvalSample, type MetricId } from './types';

// ---------------------------------------------------------------------------------------------------
// Option sets

/** "Answer:", "The answer is", "Final answer:", "Answers are" … before the letters. */
const ANSWER_PREFIX = /^(?:the\s+)?(?:final\s+|correct\s+)?(?:answers?|options?|choices?)\s*(?:is|are)?\s*[:：=\-]?\s*/i;

/**
 * The option letters of a multiple-choice answer, sorted, unique, upper case; null when the text does not look
 * like an option set.
 *
 * Accepted: letters separated by commas, semicolons, slashes, `&`, `+`, white space or the word "and", each
 * optionally in brackets or quotes and followed by `.` / `:` / `)` — "A, C", "(A) (C)", "A and C", "['A','C']",
 * "A;C", "B." — after an optional "Answer:" / "The answer is" prefix and without surrounding tags
 * (`<answer>…</answer>`). Every token must be one letter: "a red circle", "3", "A1" and "" give null. A bare run
 * of 2–5 distinct capital letters A–J that is the whole answer ("AC", "Answer: BD") counts as those letters (the
 * range keeps words such as "YES", "NO", "TRUE", "LEFT" out; option letters past J are rare). Lower-case
 * single letters ("a, c") are accepted too. An empty bracket pair ("[]") is the empty set.
 */
export function parseOptionSet(s: string): string[] | null {
  let t = s.replace(/<\/?[A-Za-z][^>]*>/g, ' ').trim();
  t = t.replace(ANSWER_PREFIX, '').trim();
  if (!t) return null;
  if (/^[A-J]{2,5}\.?$/.test(t)) {
    const letters = t.replace('.', '').split('');
    return new Set(letters).size === letters.length ? letters.sort() : null;
  }
  const body = t.replace(/[[\](){}'"`“”‘’]/g, ' ').replace(/\band\b/gi, ' ');
  const tokens = body.split(/[\s,;，；、\/&+]+/).filter((x) => x !== '');
  if (!tokens.length) return /^[[({]\s*[\])}]$/.test(t) ? [] : null;
  const out = new Set<string>();
  for (const tok of tokens) {
    const m = /^([A-Za-z])[.:)]?$/.exec(tok);
    if (!m) return null;
    out.add(m[1]!.toUpperCase());
  }
  return [...out].sort();
}

/**
 * F1 of the predicted option set against the reference: precision = |P∩R|/|P|, recall = |P∩R|/|R|,
 * F1 = 2·|P∩R| / (|P| + |R|) (their harmonic mean; 0 when they share no letter). Both empty → 1. A reference
 * that is not an option set → null (the metric does not apply); a prediction that is not one (or missing)
 * against a parseable reference → 0.
 */
export function optionSetF1(pred: string | null | undefined, ref: string | null | undefined): number | null {
  const r = ref === null || ref === undefined ? null : parseOptionSet(ref);
  if (r === null) return null;
  const p = pred === null || pred === undefined ? null : parseOptionSet(pred);
  if (p === null) return 0;
  if (p.length + r.length === 0) return 1;
  const inRef = new Set(r);
  let tp = 0;
  for (const x of p) if (inRef.has(x)) tp++;
  return (2 * tp) / (p.length + r.length);
}

// ---------------------------------------------------------------------------------------------------
// Aggregation

function scoreOf(s: EvalSample, metric: MetricId): number | null {
  const v = s.scores[metric];
  return v === null || v === undefined || !Number.isFinite(v) ? null : v;
}

/** Per prompt key: the sum and count of the answers scored on `metric` (keys without a scored answer are absent). */
export function perKey(samples: readonly EvalSample[], metric: MetricId): Map<string, { sum: number; count: number }> {
  const out = new Map<string, { sum: number; count: number }>();
  for (const s of samples) {
    const v = scoreOf(s, metric);
    if (v === null) continue;
    const e = out.get(s.key);
    if (e) {
      e.sum += v;
      e.count++;
    } else out.set(s.key, { sum: v, count: 1 });
  }
  return out;
}

/**
 * One table cell: per prompt the mean over its scored answers (mean@N), then the mean over prompts, so that a
 * prompt answered N times weighs as much as one answered once. n = prompts with a scored answer, answers =
 * scored answers; value null when none.
 */
export function cellStat(samples: readonly EvalSample[], metric: MetricId): CellStat {
  const keys = perKey(samples, metric);
  let sum = 0;
  let answers = 0;
  for (const e of keys.values()) {
    sum += e.sum / e.count;
    answers += e.count;
  }
  return { value: keys.size ? sum / keys.size : null, n: keys.size, answers };
}

/** Metrics some sample has a score for, in METRIC_IDS order. */
export function presentMetrics(samples: readonly EvalSample[]): MetricId[] {
  return METRIC_IDS.filter((m) => samples.some((s) => scoreOf(s, m) !== null));
}
