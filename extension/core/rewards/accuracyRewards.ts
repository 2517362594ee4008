// Accuracy rewards (answer matching) of VLM-R1 / R1-V / multimodal_cot / verl geo3k, plus the
// multiple-answer multiple-choice F1 of multimodal_cot's DrivingVQA evaluation. Pure: no `vscode`.

import { pyFindall1, pyFloat, pyLower, pySearch, pyStrip, Trace, type ExplainTrace } from './trace';

const ANSWER = '<answer>(.*?)</answer>';

/** First `<answer>` content, Python `re.search(r'<answer>(.*?)</answer>', s[, re.DOTALL]).group(1)`, or undefined. */
export function firstAnswer(s: string, dotall = true): string | undefined {
  const m = pySearch(ANSWER, s, dotall);
  return m ? m[1] : undefined;
}

/** Last `<answer>` content (`re.findall(...)[-1]`, DOTALL), or undefined. */
export function lastAnswer(s: string): string | undefined {
  const all = pyFindall1(ANSWER, s, true);
  return all.length > 0 ? all[all.length - 1] : undefined;
}

/**
 * Exact match (multimodal_cot `accuracy_reward`): the first `<answer>` of each side, stripped
 * (a side without `<answer>` is the whole text stripped and lower-cased); 1.0 when identical.
 */
export function exactMatchReward(content: string, solution: string): ExplainTrace {
  const t = new Trace();
  const g = firstAnswer(solution);
  const gt = g !== undefined ? pyStrip(g) : pyLower(pyStrip(solution));
  const p = firstAnswer(content);
  const pred = p !== undefined ? pyStrip(p) : pyLower(pyStrip(content));
  t.add('ground truth', `${gt}${g === undefined ? ' (no <answer> in the solution: whole text, lower-cased)' : ''}`);
  t.add('extracted answer', `${pred}${p === undefined ? ' (no <answer>: whole completion, lower-cased)' : ' (first <answer>)'}`);
  t.add('rule', 'predicted == ground truth (multimodal_cot accuracy_reward)');
  return t.done(pred === gt ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------------
// VLM-R1 grpo_jsonl: extract_choice, mcq_reward, yes_no_reward, numeric_reward, default_accuracy_reward

const KEYWORDS = ['答案', '选择', '正确', '是', '对', 'answer', 'correct', 'choose', 'select', 'right', '认为', '应该', '觉得', 'think', 'believe', 'should'];

/** VLM-R1 `extract_choice`: the option letter a text names (heuristic scoring when several), or null. */
export function extractChoice(input: string): string | null {
  let text = input.toUpperCase();
  text = text.replace(/[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/gu, ' ');
  const cps = Array.from(text); // Python indexes code points
  const choices: string[] = [];
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i];
    if (!/^[A-Z]$/.test(c)) continue;
    if (i > 0 && /^[A-Z]$/.test(cps[i - 1])) continue;
    const next = cps[i + 1];
    if (next === undefined || '.,?!:;'.includes(next)) choices.push(c);
  }
  if (choices.length === 0) return null;
  if (choices.length === 1) return choices[0];
  const scores = new Map<string, number>();
  for (const c of choices) if (!scores.has(c)) scores.set(c, 0);
  const n = cps.length;
  for (const c of choices) {
    const pos = cps.indexOf(c); // text.find(choice): the first occurrence anywhere
    const context = cps.slice(Math.max(0, pos - 20), Math.min(n, pos + 20)).join('');
    for (const k of KEYWORDS) if (context.includes(k.toUpperCase())) scores.set(c, scores.get(c)! + 1);
    if (pos > n * 0.7) scores.set(c, scores.get(c)! + 2);
    if (pos < n - 1 && '。.!！,，'.includes(cps[pos + 1])) scores.set(c, scores.get(c)! + 1);
  }
  let best: string | null = null;
  let bestScore = -Infinity;
  for (const [c, s] of scores) if (s > bestScore) [best, bestScore] = [c, s];
  return best;
}

/** VLM-R1 `mcq_reward`: option letter of the first `<answer>` vs the solution's. */
export function mcqReward(content: string, sol: string): ExplainTrace {
  const t = new Trace();
  const sm = firstAnswer(sol, false);
  const gt = sm !== undefined ? pyStrip(sm) : pyStrip(sol);
  const has = extractChoice(gt);
  const correct = has ? has.toUpperCase() : pyStrip(sol);
  const cm = firstAnswer(content);
  const student = cm !== undefined ? pyStrip(cm) : pyStrip(content);
  const choice = extractChoice(student);
  t.add('ground truth', gt).add('correct choice', correct);
  t.add('extracted answer', `${student}${cm === undefined ? ' (no <answer>: whole completion)' : ' (first <answer>)'}`);
  t.add('chosen letter', choice ?? 'none');
  return t.done(choice ? (choice === correct ? 1 : 0) : 0);
}

/** VLM-R1 `yes_no_reward`: the first "yes"/"no" substring of each side (lower-cased) must agree; both absent also agrees. */
export function yesNoReward(content: string, sol: string): ExplainTrace {
  const t = new Trace();
  const c = pyLower(content);
  const s = pyLower(sol);
  const sm = firstAnswer(s, false);
  const gt = sm !== undefined ? pyStrip(sm) : pyStrip(s);
  const cm = firstAnswer(c);
  const student = cm !== undefined ? pyStrip(cm) : pyStrip(c);
  const g = /(yes|no)/.exec(gt)?.[1] ?? '';
  const p = /(yes|no)/.exec(student)?.[1] ?? '';
  t.add('ground truth', gt).add('extracted answer', student);
  t.add('yes/no', `ground truth ${JSON.stringify(g)}, answer ${JSON.stringify(p)} (first "yes" or "no" substring)`);
  return t.done(g === p ? 1 : 0);
}

/** VLM-R1 `clean_text`: last `<answer>` (when any), newlines to spaces, strip, drop trailing dots, lower-case. */
export function cleanText(text: string): string {
  const all = pyFindall1(ANSWER, text, true);
  let s = all.length > 0 ? all[all.length - 1] : text;
  for (const ch of ['\n', '\r']) {
    s = s.replace(new RegExp(`(?<=[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])${ch === '\n' ? '\\n' : '\\r'}`, 'gu'), '');
    s = s.replace(new RegExp(`(?<![\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])${ch === '\n' ? '\\n' : '\\r'}`, 'gu'), ' ');
  }
  return pyLower(pyStrip(s).replace(/\.+$/, ''));
}

/** Python `float(s)` for a str, or null where Python raises. */
export function pyParseFloat(s: string): number | null {
  const t = pyStrip(s);
  const m = /^([+-]?)(?:(inf|infinity)|(nan)|((?:\d(?:_?\d)*)?(?:\.(?:\d(?:_?\d)*)?)?(?:[eE][+-]?\d(?:_?\d)*)?))$/i.exec(t);
  if (!m || t.length === 0) return null;
  if (m[2]) return m[1] === '-' ? -Infinity : Infinity;
  if (m[3]) return NaN;
  const body = m[4].replace(/_/g, '');
  if (!/\d/.test(body.split(/[eE]/)[0])) return null; // "." / "e5" are not floats
  return Number(`${m[1]}${body}`);
}

/**
 * Numeric match. Tolerance rule: `|a − b| ≤ tol · max(1, |a|, |b|)` with `tol` = 0 by default (VLM-R1
 * `numeric_reward` compares `float(a) == float(b)` exactly); pass e.g. 1e-6 for a relative tolerance.
 * NaN never matches. Returns null when either side is not a Python float literal.
 */
export function numericMatch(a: string, b: string, tol = 0): boolean | null {
  const x = pyParseFloat(a);
  const y = pyParseFloat(b);
  if (x === null || y === null) return null;
  if (x === y) return true;
  if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
  return Math.abs(x - y) <= tol * Math.max(1, Math.abs(x), Math.abs(y));
}

/** VLM-R1 `numeric_reward`: `float(clean_text(a)) == float(clean_text(b))`; null where Python's float() raises. */
export function numericReward(content: string, sol: string): ExplainTrace {
  const t = new Trace();
  const a = cleanText(content);
  const b = cleanText(sol);
  t.add('extracted answer', `${a} (clean_text: last <answer>)`).add('ground truth', b);
  const m = numericMatch(a, b);
  t.add('rule', 'float(answer) == float(ground truth), exact (VLM-R1 numeric_reward)');
  return m === null ? t.done(null, 'not a number on one side (numeric_reward returns None)') : t.done(m ? 1 : 0);
}

/**
 * Levenshtein `ratio` (python-Levenshtein ≥ 0.21 = rapidfuzz Indel normalized similarity):
 * 1 − indel_distance / (len(a) + len(b)), over code points; 1.0 for two empty strings.
 */
export function levenshteinRatio(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  const total = x.length + y.length;
  if (total === 0) return 1;
  // LCS by rows (indel distance = |x| + |y| − 2·LCS)
  let prev = new Uint32Array(y.length + 1);
  let cur = new Uint32Array(y.length + 1);
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) cur[j] = x[i - 1] === y[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    [prev, cur] = [cur, prev];
  }
  const lcs = prev[y.length];
  return (total - (total - 2 * lcs)) / total;
}

const PY_DIGIT = /\p{Nd}/u;

/**
 * VLM-R1 `default_accuracy_reward`: the LAST `<answer>` of the completion vs the first of the solution.
 * Python tries math_verify first (`verify(parse(answer), parse(gt))`), which this port does not run:
 * when the string path below gives 1.0 that is the result either way; when it gives less and either side
 * holds a digit or LaTeX, math_verify could have said 1.0, so the value is null (not recomputed).
 * String path: digits in the ground truth → `numeric_reward` (exact float equality), falling back to the
 * Levenshtein ratio of the cleaned texts; else an option letter in the ground truth → letter match; else the ratio.
 */
export function defaultAccuracyReward(content: string, sol: string): ExplainTrace {
  const t = new Trace();
  const sm = firstAnswer(sol, false);
  const gt = sm !== undefined ? pyStrip(sm) : pyStrip(sol);
  const all = pyFindall1(ANSWER, content, true);
  const student = all.length > 0 ? pyStrip(all[all.length - 1]) : pyStrip(content);
  t.add('ground truth', gt);
  t.add('extracted answer', `${student}${all.length > 0 ? ` (last of ${all.length} <answer>)` : ' (no <answer>: whole completion)'}`);
  let reward = 0;
  if (PY_DIGIT.test(gt)) {
    const n = numericMatch(cleanText(student), cleanText(gt));
    if (n !== null) {
      reward = n ? 1 : 0;
      t.add('numeric_reward', `${cleanText(student)} vs ${cleanText(gt)}: ${n ? 'equal' : 'different'} (exact float equality)`);
    } else {
      reward = levenshteinRatio(cleanText(student), cleanText(gt));
      t.add('Levenshtein ratio', `${JSON.stringify(cleanText(student))} vs ${JSON.stringify(cleanText(gt))} = ${pyFloat(reward)}`);
    }
  } else {
    const has = extractChoice(gt);
    if (has) {
      const sc = extractChoice(student);
      reward = sc ? (sc === has.toUpperCase() ? 1 : 0) : 0;
      t.add('choice', `correct ${has.toUpperCase()}, chosen ${sc ?? 'none'}`);
    } else {
      reward = levenshteinRatio(cleanText(student), cleanText(gt));
      t.add('Levenshtein ratio', `${JSON.stringify(cleanText(student))} vs ${JSON.stringify(cleanText(gt))} = ${pyFloat(reward)}`);
    }
  }
  if (reward < 1 && (PY_DIGIT.test(gt) || PY_DIGIT.test(student) || /[\\$^]/.test(gt + student))) {
    return t.done(null, `string path gives ${pyFloat(reward)}, but math_verify (tried first in Python) could accept this answer; it is not reproduced here`);
  }
  t.add('math_verify', 'not run (no digits or LaTeX on either side, or the string path already gives 1.0)');
  return t.done(reward);
}

// ---------------------------------------------------------------------------------------------------
// verl geo3k: 0.9 · accuracy + 0.1 · format

/** mathruler `extract_boxed_content`: the content of the last `\boxed{…}` with balanced braces, or "None". */
export function extractBoxedContent(s: string): string {
  const i = s.lastIndexOf('\\boxed{');
  if (i < 0) return 'None';
  let depth = 0;
  for (let k = i + 6; k < s.length; k++) {
    if (s[k] === '{') depth++;
    else if (s[k] === '}' && --depth === 0) return s.slice(i + 7, k);
  }
  return 'None';
}

/**
 * A conservative stand-in for mathruler `grade_answer`: true when the answers are equal after removing
 * spaces, `$` and `\text{…}` wrappers (or are equal numbers); false when both are plain numbers or both
 * plain words and differ; null otherwise (expressions sympy might prove equal).
 */
export function gradeAnswerLite(given: string, truth: string): boolean | null {
  const norm = (s: string): string => s.replace(/\\text\{([^{}]*)\}/g, '$1').replace(/[\s$]/g, '').replace(/\\!|\\,|\\;/g, '').replace(/^\{(.*)\}$/, '$1').toLowerCase();
  const a = norm(given);
  const b = norm(truth);
  if (a === b && a.length > 0) return true;
  const n = numericMatch(a, b, 1e-9);
  if (n !== null) return n;
  if (/^[a-z ]+$/i.test(a) && /^[a-z ]+$/i.test(b)) return false;
  if (given === 'None') return false;
  return null;
}
