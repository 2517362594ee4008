// The pure half of the local NLI judge (a cross-encoder such as an MNLI model exported to ONNX): the label
// map read from config.json, the model's usable sequence length, sentence splitting of the reasoning, the
// windows over long reasoning (built from the end backwards), softmax and the aggregation of window
// probabilities into one verdict. No onnxruntime, no tokenizer: everything works on token counts, so it is
// unit-testable; nliWorker.ts does the tokenizing and the inference.
//
// ── How the local NLI judge decides (quoted by the README) ─────────────────────────────────────────────
// The reasoning is the premise and "The answer is <answer>." the hypothesis. A reasoning longer than the
// model's window (its max_position_embeddings — minus 2 for RoBERTa-type models — or tokenizer_config's
// model_max_length when smaller, at most 512, less the hypothesis and the special tokens) is read in
// windows of whole sentences, built from the end of the reasoning backwards: the first window ends at the
// answer, each next one ends a little after the previous one starts, so that consecutive windows share up
// to `stride` tokens of sentences (default: half a window); a sentence longer than a window is split at
// words. At most 8 windows are read, the ones nearest the answer (the start of a very long reasoning is
// then not read). Each window gets the model's softmax probabilities of entailment, neutral and
// contradiction. Window i, counted from the end (i = 0 is the one that ends at the answer), weighs 0.5^i;
// the weights are normalised to sum to 1 and the completion's probabilities are the weighted mean of its
// windows'. The verdict is the most probable label: entailment → supported, contradiction → contradicted,
// neutral → unsupported; its confidence is that label's aggregate probability. Labels are read from
// config.json's id2label; a two-label model (entailment / not_entailment) cannot tell "not said" from
// "contradicted", so its not_entailment counts as neutral (→ unsupported). Labels other than these three
// count as neutral.
// ────────────────────────────────────────────────────────────────────────────────────────────────────────
import { JudgeSetupError, type VerdictLabel } from './types';

/** workerData.kind of the judge worker (nliWorker.ts), so that its module does nothing in another thread. */
export const NLI_WORKER_KIND = 'rollout-lens-nli';

/** Canonical NLI labels, in the order of every canonical probability vector: [entailment, neutral, contradiction]. */
export const NLI_LABELS = ['entailment', 'neutral', 'contradiction'] as const;
export type NliLabel = (typeof NLI_LABELS)[number];
/** What one model output index means. `not_entailment` (two-label models) is neutral and contradiction together. */
export type NliClass = NliLabel | 'not_entailment' | 'other';

export interface LabelMap {
  /** The model's label names, by output index (from id2label). */
  names: string[];
  /** The meaning of each output index. */
  classes: NliClass[];
  /** True for an entailment / not_entailment model: it never says "contradicted". */
  twoWay: boolean;
}

function normalizeLabelName(s: string): string {
  return s.trim().toLowerCase().replace(/[\s-]+/g, '_');
}

function classOf(name: string): NliClass {
  const n = normalizeLabelName(name);
  if (n === 'entailment' || n === 'entails' || n === 'entailed') return 'entailment';
  if (n === 'neutral') return 'neutral';
  if (n === 'contradiction' || n === 'contradicts' || n === 'contradicted') return 'contradiction';
  if (n === 'not_entailment' || n === 'non_entailment' || n === 'not_entailed') return 'not_entailment';
  return 'other';
}

/**
 * The label map of an NLI model from its config.json (`id2label`: {"0": "contradiction", …}). Matching is
 * case-insensitive ("ENTAILMENT", "Entailment"); "not_entailment" (two-label models) counts as neutral and
 * contradiction merged. `file` names config.json in the error, which says what is wrong: no id2label, a
 * hole in its indices, or no entailment label among its names (e.g. LABEL_0, LABEL_1 …).
 */
export function labelMapOf(config: unknown, file: string): LabelMap {
  const raw = config && typeof config === 'object' ? (config as { id2label?: unknown }).id2label : undefined;
  if (!raw || typeof raw !== 'object') {
    throw new JudgeSetupError(
      `${file} has no id2label: the judge needs to know which model output is entailment, neutral and contradiction ` +
        '(add e.g. "id2label": {"0": "entailment", "1": "neutral", "2": "contradiction"} in the order the model was trained with).',
    );
  }
  const entries: Array<[number, string]> = Array.isArray(raw)
    ? raw.map((v, i) => [i, String(v)])
    : Object.entries(raw as Record<string, unknown>).map(([k, v]) => [Number(k), String(v)]);
  if (entries.length === 0) throw new JudgeSetupError(`${file}: id2label is empty; it must name the model's labels (entailment, neutral, contradiction).`);
  const n = entries.length;
  const names: string[] = new Array(n);
  for (const [i, v] of entries) {
    if (!Number.isInteger(i) || i < 0 || i >= n || names[i] !== undefined) {
      throw new JudgeSetupError(`${file}: id2label keys must be the output indices 0…${n - 1}; found ${entries.map(([k]) => JSON.stringify(String(k))).join(', ')}.`);
    }
    names[i] = v;
  }
  const classes = names.map(classOf);
  const listed = names.map((s, i) => `${i}: ${JSON.stringify(s)}`).join(', ');
  if (!classes.includes('entailment')) {
    throw new JudgeSetupError(
      `${file}: id2label (${listed}) names no entailment label, so the judge cannot tell which output means "supported". ` +
        'Expected names such as entailment, neutral, contradiction (any case) or entailment / not_entailment; ' +
        'a model whose labels are LABEL_0, LABEL_1 … needs its real names written into id2label.',
    );
  }
  if (classes.filter((c) => c === 'entailment').length > 1) throw new JudgeSetupError(`${file}: id2label (${listed}) names entailment more than once.`);
  if (n < 2) throw new JudgeSetupError(`${file}: id2label (${listed}) has a single label; an NLI model has at least two.`);
  const twoWay = !classes.includes('contradiction');
  return { names, classes, twoWay };
}

/** Model types whose position embeddings carry 2 extra slots (padding offset): usable length = max_position_embeddings − 2. */
const OFFSET_POSITION_TYPES = new Set(['roberta', 'xlm-roberta', 'xlm-roberta-xl', 'camembert', 'longformer', 'mpnet', 'data2vec-text', 'luke', 'ibert']);

/** The hard cap on tokens per window, whatever the model says. */
export const MAX_TOKENS_CAP = 512;

/**
 * The model's usable sequence length (tokens per window, special tokens included): config.json's
 * `max_position_embeddings` (minus 2 for RoBERTa-type `model_type`s), tokenizer_config.json's
 * `model_max_length` when smaller and sane, at most 512; `override` (a setting) replaces the 512 cap but
 * never exceeds what the model's position embeddings allow.
 */
export function maxSequenceLength(config: unknown, tokenizerConfig?: unknown, override?: number): number {
  const c = (config && typeof config === 'object' ? config : {}) as { max_position_embeddings?: unknown; model_type?: unknown; n_positions?: unknown };
  let modelLimit = Infinity;
  const mpe = typeof c.max_position_embeddings === 'number' ? c.max_position_embeddings : typeof c.n_positions === 'number' ? c.n_positions : undefined;
  if (mpe !== undefined && Number.isFinite(mpe) && mpe > 0) {
    const type = typeof c.model_type === 'string' ? c.model_type.toLowerCase() : '';
    modelLimit = OFFSET_POSITION_TYPES.has(type) ? mpe - 2 : mpe;
  }
  const tc = (tokenizerConfig && typeof tokenizerConfig === 'object' ? tokenizerConfig : {}) as { model_max_length?: unknown };
  const tml = tc.model_max_length;
  // transformers writes 1e30 (VERY_LARGE_INTEGER) when it does not know: not sane
  if (typeof tml === 'number' && Number.isFinite(tml) && tml >= 16 && tml <= 1_000_000) modelLimit = Math.min(modelLimit, tml);
  if (override !== undefined && Number.isFinite(override) && override > 0) return Math.max(16, Math.floor(Math.min(override, modelLimit)));
  return Math.max(16, Math.floor(Math.min(modelLimit, MAX_TOKENS_CAP)));
}

// ---------------------------------------------------------------------------------------------- windows

/**
 * The reasoning as sentences: split after . ! ? (and their CJK forms) followed by white space, and at line
 * breaks. Decimals ("3.5") and numbered boxes ("[1.0, 2.0]") stay whole. Empty pieces are dropped.
 */
export function splitSentences(text: string): string[] {
  return text
    .split(/\n+|(?<=[.!?。！？])\s+|(?<=[。！？])/u)
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s.length > 0);
}

/** The words of a sentence (split at white space), for sentences longer than a window. */
export function splitWords(sentence: string): string[] {
  return sentence.split(/\s+/).filter((w) => w.length > 0);
}

/**
 * Cut a sentence that is longer than `budget` tokens into consecutive runs of words of at most `budget`
 * tokens each, given each word's token count: [start, end) word ranges in order. A single word longer
 * than the budget is a range of its own (the tokenizer side truncates it).
 */
export function splitLong(wordTokens: readonly number[], budget: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = 0;
  let sum = 0;
  for (let i = 0; i < wordTokens.length; i++) {
    const t = wordTokens[i]!;
    if (i > start && sum + t > budget) {
      out.push([start, i]);
      start = i;
      sum = 0;
    }
    sum += t;
  }
  if (start < wordTokens.length) out.push([start, wordTokens.length]);
  return out;
}

export interface WindowOptions {
  /** Tokens consecutive windows may share (whole pieces only). Default: half the budget. */
  stride?: number;
  /** Most windows per completion, the ones nearest the end. Default 8. */
  maxWindows?: number;
}

export const DEFAULT_MAX_WINDOWS = 8;

/** One window: pieces [start, end) of the premise, and its token count (the pieces' sum). */
export interface WindowSpan {
  start: number;
  end: number;
  tokens: number;
}

/**
 * Windows over a premise cut into pieces (sentences, long ones already split: see splitLong) with the
 * given token counts, each window at most `budget` tokens: built from the end backwards. Window 0 holds the
 * last pieces (it ends at the answer) and extends back as far as the budget allows; the next window ends
 * where the overlap with the previous one is as large as possible but at most `stride` tokens — and smaller
 * when needed for the next window to reach further back — and so on until the first piece is covered or
 * `maxWindows` windows are built. Returned in that order: index 0 is the window nearest the answer.
 */
export function planWindows(pieceTokens: readonly number[], budget: number, opts: WindowOptions = {}): WindowSpan[] {
  const n = pieceTokens.length;
  if (n === 0) return [];
  const b = Math.max(1, Math.floor(budget));
  const stride = Math.max(0, Math.min(b - 1, Math.floor(opts.stride ?? b / 2)));
  const maxWindows = Math.max(1, Math.floor(opts.maxWindows ?? DEFAULT_MAX_WINDOWS));
  const sum = (s: number, e: number): number => {
    let t = 0;
    for (let k = s; k < e; k++) t += pieceTokens[k]!;
    return t;
  };
  /** The smallest start such that [start, end) fits (at least one piece). */
  const startFor = (end: number): number => {
    let s = end - 1;
    let t = pieceTokens[s]!;
    while (s > 0 && t + pieceTokens[s - 1]! <= b) {
      s--;
      t += pieceTokens[s]!;
    }
    return s;
  };
  const out: WindowSpan[] = [];
  let end = n;
  let start = startFor(end);
  out.push({ start, end, tokens: sum(start, end) });
  while (start > 0 && out.length < maxWindows) {
    // the largest overlap [start, e) of at most `stride` tokens (e < end, so the window moves back) …
    let e = start;
    while (e + 1 < end && sum(start, e + 1) <= stride) e++;
    // … shrunk until the piece before `start` fits too, so that the next window reaches further back
    while (e > start && sum(start, e) + pieceTokens[start - 1]! > b) e--;
    const next = e > start ? e : start;
    const s = startFor(next);
    out.push({ start: s, end: next, tokens: sum(s, next) });
    end = next;
    start = s;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- scores

export function softmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const e = Array.from({ length: logits.length }, (_, i) => Math.exp(logits[i]! - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** A model's probabilities (by output index) as canonical [entailment, neutral, contradiction]. */
export function toCanonical(probs: ArrayLike<number>, map: LabelMap): number[] {
  const out = [0, 0, 0];
  map.classes.forEach((c, i) => {
    const p = probs[i] ?? 0;
    if (c === 'entailment') out[0] += p;
    else if (c === 'contradiction') out[2] += p;
    else out[1] += p; // neutral, not_entailment, other
  });
  return out;
}

/** The weight of each of `n` windows, index 0 = the window ending at the answer: 0.5^i, normalised to sum 1. */
export function windowWeights(n: number): number[] {
  const w = Array.from({ length: n }, (_, i) => Math.pow(0.5, i));
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / s);
}

/** The weighted mean of the windows' canonical probabilities (index 0 = the window ending at the answer). */
export function aggregateWindows(windowProbs: readonly (readonly number[])[]): number[] {
  if (windowProbs.length === 0) return [0, 1, 0];
  const w = windowWeights(windowProbs.length);
  const out = [0, 0, 0];
  windowProbs.forEach((p, i) => {
    for (let k = 0; k < 3; k++) out[k] += w[i]! * (p[k] ?? 0);
  });
  return out;
}

const VERDICT_OF: Record<NliLabel, VerdictLabel> = { entailment: 'supported', neutral: 'unsupported', contradiction: 'contradicted' };

/** The index of the largest value (the first one on ties, in [entailment, neutral, contradiction] order). */
export function argmax(p: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
  return best;
}

function describe(p: readonly number[], twoWay: boolean): string {
  if (twoWay) return `entailment ${p[0]!.toFixed(2)}, not entailment ${(p[1]! + p[2]!).toFixed(2)}`;
  return `entailment ${p[0]!.toFixed(2)}, neutral ${p[1]!.toFixed(2)}, contradiction ${p[2]!.toFixed(2)}`;
}

function top(p: readonly number[], twoWay: boolean): string {
  const k = argmax(p);
  const name = twoWay && k !== 0 ? 'not entailment' : NLI_LABELS[k]!;
  return `${name} ${(twoWay && k !== 0 ? p[1]! + p[2]! : p[k]!).toFixed(2)}`;
}

export interface NliDecision {
  label: VerdictLabel;
  confidence: number;
  rationale: string;
}

/**
 * The verdict from a completion's aggregate probabilities (canonical order), the number of windows it was
 * read in and the probabilities of the window ending at the answer: label = argmax (entailment → supported,
 * neutral → unsupported, contradiction → contradicted), confidence = that probability, rationale in words
 * ("NLI (tiny-nli): entailment 0.91, neutral 0.06, contradiction 0.03 over 2 windows; the last window:
 * contradiction 0.88").
 */
export function decide(agg: readonly number[], windows: number, last: readonly number[] | null, modelName: string, twoWay = false): NliDecision {
  const k = argmax(agg);
  const label = VERDICT_OF[NLI_LABELS[k]!];
  const confidence = twoWay && k !== 0 ? agg[1]! + agg[2]! : agg[k]!;
  let rationale = `NLI (${modelName}): ${describe(agg, twoWay)} over ${windows} window${windows === 1 ? '' : 's'}`;
  if (windows > 1 && last) rationale += `; the last window: ${top(last, twoWay)}`;
  return { label, confidence, rationale };
}
