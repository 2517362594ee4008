// The typed protocol between the extension host and the Checkpoint Comparison webview.
// Imported by both sides. Pure: no `vscode`, no DOM, no Node.
//
//   webview → host   {kind:'ready'} · {kind:'request', id, method, params} · {kind:'notify', method:'log', params}
//   host → webview   {kind:'progress', params:{message}}      (loading the sources; before init)
//                    {kind:'init', params: CompareInit}        (after ready, once the sources are read)
//                    {kind:'failed', params:{message}}         (nothing could be compared: the message says why)
//                    {kind:'response', id, ok, result | error}
// `isWebviewToHost` / `isHostToWebview` are the runtime checks at the boundary.

import type { CellStat, Curve, DeltaStat, Flips, MetricId, SourceKind, TableRow } from '../core/compare/types';
import type { IssueView, RolloutView } from './inspector';
import { hasMethod, isNonNegInt, isObj, isPanelMessage, isResponse } from './checks';

export type { CellStat, Curve, DeltaStat, MetricId, TableRow };

export interface SourceView {
  name: string;
  kind: SourceKind;
  path: string;
  step: number | null;
  evalFiles: string[];
  /** Rewards the run trained with (✓/✗ columns), when known. */
  rewards: string[] | null;
  /** Answers read. */
  samples: number;
}

export interface CompareInit {
  title: string;
  sources: SourceView[];
  /** Slice fields the samples carry (`dataset` is always the row grouping). */
  sliceFields: string[];
  /** The slice field chosen first (a field named domain / split / category when there is one). */
  slice: string | null;
  metrics: MetricId[];
  matchedBy: 'id' | 'question';
  /** Per source: how many keys other sources have and it lacks. */
  unmatched: Array<{ source: number; name: string; count: number; examples: string[] }>;
  /** Reading problems (file:line), at most 200. */
  issues: IssueView[];
  issueCount: number;
  /** Checkpoints with evals on the runs of the sources: curves are worth drawing when ≥ 2. */
  curvePoints: number;
  iterations: number;
  alpha: number;
}

export interface TableView {
  slice: string | null;
  metrics: MetricId[];
  rows: TableRow[];
  overall: Array<Partial<Record<MetricId, CellStat>>>;
  /** Flip counts per source against the first (index 0 null). */
  flips: Array<{ aOnly: number; bOnly: number; both: number; neither: number } | null>;
  /** Lines of the legend (how each metric and test is computed). */
  legend: string[];
}

export type FlipKind = keyof Pick<Flips, 'aOnly' | 'bOnly'> | 'both' | 'neither';

export interface FlipRow {
  key: string;
  dataset: string;
  slice: Record<string, string>;
  question: string;
  /** Correctness and headline score of the first source and of the other one. */
  a: { correct: boolean | null; answer: string | null };
  b: { correct: boolean | null; answer: string | null };
}

export interface FlipsParams {
  /** The other source (≥ 1); compared against source 0. */
  against: number;
  kind: FlipKind;
  /** Only this dataset (null: all). */
  dataset: string | null;
  offset: number;
  limit: number;
}

export interface PairSide {
  source: number;
  name: string;
  /** The first answer of the source for this key, as the inspector shows it (null: the source lacks the key). */
  rollout: RolloutView | null;
  scores: Partial<Record<MetricId, number | null>>;
  /** Answers the source has for this key (mean@N evals). */
  answers: number;
}

export interface PairView {
  key: string;
  dataset: string;
  question: string;
  sides: PairSide[];
  /** What changed from the first side to the second, in words ("answer 3 → 4", "box moved: IoU with A's 0.42"). */
  changes: string[];
}

export interface CompareMethods {
  getTable: { params: { slice: string | null }; result: TableView };
  getFlips: { params: FlipsParams; result: { total: number; rows: FlipRow[] } };
  getPair: { params: { key: string; sources: [number, number] }; result: PairView };
  getCurves: { params: Record<string, never>; result: Curve[] };
  /** Save the table (host shows a save dialog); returns the path or null when cancelled. */
  export: { params: { format: 'markdown' | 'csv'; slice: string | null }; result: string | null };
  revealLine: { params: { file: string; line: number }; result: null };
}

export type CompareMethodName = keyof CompareMethods;

export type CompareWebviewToHost =
  | { kind: 'ready' }
  | { [M in CompareMethodName]: { kind: 'request'; id: number; method: M; params: CompareMethods[M]['params'] } }[CompareMethodName]
  | { kind: 'notify'; method: 'log'; params: { level: 'info' | 'error'; message: string } };

export type CompareHostToWebview =
  | { kind: 'progress'; params: { message: string } }
  | { kind: 'init'; params: CompareInit }
  | { kind: 'failed'; params: { message: string } }
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: string };

// ---- runtime checks at the boundary ----

function isSlice(v: unknown): v is string | null {
  return v === null || (typeof v === 'string' && v.length <= 200);
}

const FLIP_KINDS: readonly string[] = ['aOnly', 'bOnly', 'both', 'neither'];

const paramChecks: { [M in CompareMethodName]: (p: unknown) => p is CompareMethods[M]['params'] } = {
  getTable: (p): p is { slice: string | null } => isObj(p) && isSlice(p.slice),
  getFlips: (p): p is FlipsParams =>
    isObj(p) && isNonNegInt(p.against) && p.against >= 1 && typeof p.kind === 'string' && FLIP_KINDS.includes(p.kind) &&
    isSlice(p.dataset) && isNonNegInt(p.offset) && isNonNegInt(p.limit) && p.limit <= 5000,
  getPair: (p): p is { key: string; sources: [number, number] } =>
    isObj(p) && typeof p.key === 'string' && p.key.length <= 4000 && Array.isArray(p.sources) && p.sources.length === 2 && p.sources.every(isNonNegInt),
  getCurves: (p): p is Record<string, never> => isObj(p),
  export: (p): p is { format: 'markdown' | 'csv'; slice: string | null } => isObj(p) && (p.format === 'markdown' || p.format === 'csv') && isSlice(p.slice),
  revealLine: (p): p is { file: string; line: number } => isObj(p) && typeof p.file === 'string' && isNonNegInt(p.line),
};

export function isCompareMethodName(v: unknown): v is CompareMethodName {
  return hasMethod(paramChecks, v);
}

export function isCompareWebviewToHost(m: unknown): m is CompareWebviewToHost {
  return isPanelMessage(m, paramChecks);
}

export function isCompareHostToWebview(m: unknown): m is CompareHostToWebview {
  if (!isObj(m)) return false;
  if (m.kind === 'progress' || m.kind === 'failed') return isObj(m.params) && typeof m.params.message === 'string';
  if (m.kind === 'init') return isObj(m.params) && Array.isArray(m.params.sources) && Array.isArray(m.params.metrics);
  return isResponse(m);
}
