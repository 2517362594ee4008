// Shared types of the verdict sources (imported, rules, local ONNX judge, HTTP judge) and of the engine
// that runs a model judge over many completions with a cache. Pure: no `vscode`.
import type { Verdict, VerdictLabel } from '../model';

export type { Verdict, VerdictLabel };

export const VERDICT_LABELS: readonly VerdictLabel[] = ['supported', 'unsupported', 'contradicted', 'unknown'];

/**
 * Where a verdict comes from. `log`: a verdict field already in the log; `file`: a judge output file the user
 * pointed to; `rules`: the built-in consistency rules (always on); `onnx`: the local NLI cross-encoder;
 * `http`: an OpenAI-compatible chat endpoint.
 */
export const VERDICT_SOURCES = ['log', 'file', 'http', 'onnx', 'rules'] as const;
export type VerdictSourceKind = (typeof VERDICT_SOURCES)[number];

/**
 * Which source a completion's shown verdict (and the alignment rate) uses: one kind, or `auto` — per
 * completion the first source that has a verdict other than `unknown`, in `VERDICT_SOURCES` order
 * (imported, file, HTTP judge, local model, rules).
 */
export type VerdictChoice = VerdictSourceKind | 'auto';

/** Code of a verdict label: its index in VERDICT_LABELS, -1 when missing or not a known label. */
export function verdictCode(label: string | null | undefined): number {
  return label ? (VERDICT_LABELS as readonly string[]).indexOf(label) : -1;
}

export function isVerdictLabel(v: unknown): v is VerdictLabel {
  return typeof v === 'string' && (VERDICT_LABELS as readonly string[]).includes(v);
}

/**
 * The source a completion's shown verdict comes from (null: none). A kind: that kind, when it has a verdict.
 * `auto`: the first source in VERDICT_SOURCES order whose label is not unknown, else the first that has one.
 * `labelOf` gives a source's label on the completion, or null when it has none. The one rule for the sample
 * table's `verdict` column and the inspector's shown verdict.
 */
export function chosenSource(choice: VerdictChoice, labelOf: (kind: VerdictSourceKind) => string | null): VerdictSourceKind | null {
  if (choice !== 'auto') return labelOf(choice) !== null ? choice : null;
  let unknownKind: VerdictSourceKind | null = null;
  for (const k of VERDICT_SOURCES) {
    const l = labelOf(k);
    if (l === null) continue;
    if (l !== 'unknown') return k;
    unknownKind ??= k;
  }
  return unknownKind;
}

export function isVerdictChoice(v: unknown): v is VerdictChoice {
  return v === 'auto' || (typeof v === 'string' && (VERDICT_SOURCES as readonly string[]).includes(v));
}

/** One completion as a model judge sees it. */
export interface JudgeItem {
  /** Content key of what the judge reads (sha256 hex of its inputs): the cache key within one engine. */
  key: string;
  /** The question (prompt text), for judges that read it (HTTP); the NLI judge ignores it. */
  question: string;
  /** The reasoning (the premise). */
  premise: string;
  /** The final answer as a sentence (the hypothesis). */
  hypothesis: string;
  /** The raw `<answer>` content. */
  answer: string;
}

export interface JudgeProgress {
  done: number;
  total: number;
}

/** A model judge (local ONNX or HTTP). `judge` returns one verdict per item, in order. */
export interface JudgeEngine {
  /** Cache namespace: changes whenever the engine would answer differently (model hash, prompt, endpoint model). */
  readonly id: string;
  /** The verdict source kind it produces. */
  readonly kind: 'onnx' | 'http';
  /** Human name ("tiny-nli (onnx, 3 labels)", "qwen2.5-7b-instruct at 127.0.0.1:8000"). */
  readonly name: string;
  judge(items: readonly JudgeItem[], opts: { signal?: AbortSignal; onProgress?(p: JudgeProgress): void }): Promise<Verdict[]>;
  dispose(): void | Promise<void>;
}

/** Raised for a model folder or endpoint that cannot be used: the message says what is wrong and where. */
export class JudgeSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JudgeSetupError';
  }
}

/** Raised when the user cancelled a judge run. */
export class JudgeCancelled extends Error {
  constructor() {
    super('judging was cancelled');
    this.name = 'JudgeCancelled';
  }
}
