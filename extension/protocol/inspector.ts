// The typed protocol between the extension host and the Rollout Inspector webview.
// Imported by both sides. Pure: no `vscode`, no DOM, no Node.
//
// Shape of every message:
//   webview → host   {kind:'ready'}                                   (handshake: the host posts nothing before it)
//                    {kind:'request', id, method, params}             (request/reply with ids)
//                    {kind:'notify', method:'log', params:{level,message}}
//   host → webview   {kind:'init', params: InitPayload}               (answer to ready)
//                    {kind:'update', params: UpdatePayload}           (counts grew: progressive open, tailing)
//                    {kind:'summary', params: SummaryView}            (whole-log statistics from the summary worker)
//                    {kind:'response', id, ok:true, result} | {kind:'response', id, ok:false, error}
//
// Each method maps to its params and result type in `InspectorMethods`; `isWebviewToHost` /
// `isHostToWebview` are the runtime checks at the boundary.

import { hasMethod, isFiniteNum, isNonNegInt, isObj, isPanelMessage, isResponse } from './checks';

export type BoxSet = 'gt' | 'pred';

export interface BoxView {
  /** Original-image pixels. */
  box: [number, number, number, number];
  label: string | null;
  /** Frame the box was written in, e.g. "model-input". */
  frame: string;
  frameAssumed: boolean;
  /** Character span in the completion text (predicted boxes only). */
  span: [number, number] | null;
  part: 'think' | 'answer' | 'other' | null;
  /** Best IoU with a box of the other set (0 when none). */
  iou: number;
  /** When the frame was only assumed and several fit: the best IoU with the ground truth under each. */
  candidates?: Array<{ frame: string; iou: number | null }>;
  /** Degenerate predicted boxes: zero area, the whole image, the same box written again, outside the image. */
  flags?: BoxFlag[];
  /** Index of the prompt image the box refers to (0 when there is one). */
  imageIndex?: number;
}

export type BoxFlag = 'zero-area' | 'whole-image' | 'repeated' | 'outside';

export interface ImageView {
  /** The path as logged (shown to the user). */
  path: string;
  /** A webview URL (asWebviewUri) or null when the file was not found. */
  url: string | null;
  width: number | null;
  height: number | null;
  /** EXIF orientation tag; anything other than 1 is flagged in the UI. */
  orientation: number | null;
}

export interface IssueView {
  file: string;
  /** 1-based line, or row when `unit` is 'row'; 0 for the whole file. */
  line: number;
  unit?: 'line' | 'row';
  message: string;
  severity: 'error' | 'warning';
}

/** One run-context value as shown to the user: read from a file, or assumed. */
export interface ContextRow {
  label: string;
  value: string;
  source: string;
  assumed: boolean;
}

export interface RolloutView {
  recordIndex: number;
  /** The file the record is in (logs of per-step files span many). */
  file: string;
  line: number;
  unit: 'line' | 'row';
  step: number;
  groupId: string;
  indexInGroup: number;
  sampleId: string | null;
  promptText: string;
  images: ImageView[];
  completion: string;
  answer: string | null;
  referenceAnswer: string | null;
  gt: BoxView[];
  pred: BoxView[];
  /**
   * Logged rewards; `recomputed` when the reward's definition is known for the format (null: identified but
   * not computable, e.g. image size unknown), `mismatch` beyond the tolerance, `explain` the steps.
   */
  rewards: Array<{ name: string; value: number | null; recomputed?: number | null; mismatch?: boolean; explain?: string[] }>;
  reward: number | null;
  advantage: number | null;
  advantageSource: 'logged' | 'recomputed' | null;
  /** The verdict the user's chosen source gives (see VerdictsView.choice); null when no source has one. */
  verdict: VerdictView | null;
  /** Every source's verdict on this completion, in source order (log, file, http, onnx, rules). */
  verdicts: VerdictView[];
  issues: IssueView[];
  /** Completion length in characters (tokens when the log states them: see `lengthUnit`). */
  length: number;
  lengthUnit: 'chars' | 'tokens';
  /**
   * Cut at the maximum completion length: true / false when known (logged token count vs the run's
   * maxCompletionLength, or an `<answer>` opened and never closed), null when nothing tells.
   */
  truncated: boolean | null;
  truncatedWhy: string | null;
  /** Images the completion itself produced (text→multimodal traces), in order; `at` is the character offset of their placeholder, or null. */
  generatedImages: Array<ImageView & { at: number | null }>;
  /** Format / accuracy badges from the reward columns whose names say so (null: no such reward). */
  formatOk: boolean | null;
  correct: boolean | null;
}

export interface GroupView {
  groupIndex: number;
  groupCount: number;
  step: number;
  stepIndex: number;
  stepCount: number;
  groupId: string;
  /** Rollouts of the group, ordered by index in group; null where a record could not be read. */
  rollouts: RolloutView[];
  /** Record-level problems for records of this group that could not be read at all. */
  issues: IssueView[];
  /** Reward standard deviation over the group is zero: no learning signal. */
  zeroVariance: boolean;
  /** Why a zero-variance group has no signal: every completion failed, every one passed, all texts identical, or just equal rewards. */
  zeroVarianceKind: ZeroVarianceKind | null;
  /** Other groups (at other steps) with the same prompt, in step order. */
  recurrences: Array<{ groupIndex: number; step: number; meanReward: number | null }>;
  /** The run-level frame override in force (null: per-box frames as read or inferred). */
  frameOverride: string | null;
}

export type ZeroVarianceKind = 'all-fail' | 'all-pass' | 'identical' | 'same-reward';

// ---------------- run overview ----------------

/** One curve over steps. */
export interface SeriesView {
  key: string;
  label: string;
  /** 'rollouts' (computed from the log) or the metric file it was read from ('trainer_state.json'). */
  source: string;
  /** [step, value] sorted by step. */
  points: Array<[number, number]>;
}

/** One verdict on a completion. `kind` is the source kind (log, file, http, onnx, rules); `source` names it in words. */
export interface VerdictView {
  /** supported, unsupported, contradicted or unknown (readers normalise; the webview still treats it as text). */
  label: string;
  kind: string;
  source: string;
  confidence: number | null;
  rationale: string | null;
}

/** Verdict counts of one source over the log (rows the scan has read). */
export interface VerdictSourceStats {
  kind: string;
  /** "rules", "tiny-nli (local model)", "judge.jsonl", "log (gpt-4o)" … */
  name: string;
  total: number;
  supported: number;
  unsupported: number;
  contradicted: number;
  unknown: number;
}

/** Agreement of two sources on the completions both judged (unknown excluded): Cohen's κ and the confusion table. */
export interface AgreementView {
  a: string;
  b: string;
  n: number;
  /** Share of the n where both agree. */
  observed: number;
  /** Null when κ is undefined (n = 0, or both sources give one label only). */
  kappa: number | null;
  /** Row labels (source a) and column labels (source b): supported, unsupported, contradicted. */
  labels: string[];
  /** confusion[i][j]: completions a labels `labels[i]` and b labels `labels[j]`. */
  confusion: number[][];
}

export interface VerdictsView {
  /** Which source the shown verdicts and the alignment rate use: 'auto' or a kind. */
  choice: string;
  sources: VerdictSourceStats[];
  agreement: AgreementView[];
  /** The configured judges, by name (null: not configured). */
  judges: { onnx: string | null; http: string | null; clip: string | null };
  /** A judge run in progress. */
  running: { kind: string; done: number; total: number } | null;
  /** The last judge run's outcome in words ("judged 640 (612 from cache) in 1.2 s"), or its error. */
  last: { kind: string; message: string; error: boolean } | null;
}

export interface OverviewView {
  stepKind: 'step' | 'batch-ordinal' | 'none';
  verdicts: VerdictsView;
  series: SeriesView[];
  /** Series keys still being computed by the background scan (length, IoU…), with progress 0–1. */
  pending: { keys: string[]; progress: number } | null;
  /** Metric files read (trainer_state.json, verl file logger…) and their problems. */
  metricFiles: string[];
  issues: IssueView[];
}

export interface HistogramView {
  name: string;
  bins: Array<{ lo: number; hi: number; count: number }>;
  nulls: number;
  mean: number | null;
}

export interface StepStatsView {
  step: number;
  records: number;
  groups: number;
  histograms: HistogramView[];
  /** How many of each group's G completions are correct: counts[k] = groups with k correct. */
  kOfG: { g: number; counts: number[]; correctBy: string } | null;
  zeroStd: Record<ZeroVarianceKind, number>;
}

// ---------------- sample list ----------------

export interface FieldInfo {
  name: string;
  type: 'number' | 'string' | 'bool';
  description: string;
  /** False while the background scan is still computing it. */
  ready: boolean;
  /** Reward-function fields: the reward's name as logged (the key in SampleRow.rewards). */
  reward?: string;
}

export interface SampleRow {
  recordIndex: number;
  step: number;
  groupIndex: number;
  indexInGroup: number;
  reward: number | null;
  advantage: number | null;
  rewards: Record<string, number | null>;
  iou: number | null;
  length: number | null;
  verdict: string | null;
  mismatch: boolean;
  zeroStd: boolean;
  truncated: boolean;
}

export interface QueryParams {
  /** Filter expression (core/query), '' for all. */
  filter: string;
  /** Plain text search in completion and prompt (case-insensitive substring), '' for none. */
  search: string;
  sort: string | null;
  desc: boolean;
  offset: number;
  limit: number;
}

export interface QueryResult {
  /** Rows in the log. */
  total: number;
  /** Rows that pass filter and search. */
  matched: number;
  /** Rows [offset, offset + limit) of the sorted matches. */
  offset: number;
  rows: SampleRow[];
  error: { message: string; at: number; length: number } | null;
  elapsedMs: number;
  /** Fields the filter uses that the scan has not finished: results may still change. */
  pendingFields: string[];
  fields: FieldInfo[];
}

export interface ExportParams {
  what: 'group' | 'list';
  format: 'markdown' | 'csv';
  groupIndex?: number;
  query?: QueryParams;
}

export interface InitPayload {
  file: string;
  fileName: string;
  format: string;
  records: number;
  groups: number;
  steps: number[];
  /** Problems found while indexing (bad lines), capped; `issueCount` is the total. */
  issues: IssueView[];
  issueCount: number;
  /** Where to start (a restored state or 0). */
  groupIndex: number;
  /** Human name of the format ("verl rollout dump"). */
  formatLabel: string;
  /** Files read (1 for single-file logs). */
  fileCount: number;
  /** What a reader had to assume or rebuild, in words (steps as batch ordinals, recomputed advantages, G). */
  notes: string[];
  /** Run context values with their source. */
  context: ContextRow[];
  /** False while the log is still being indexed (an 'update' follows). */
  complete: boolean;
}

/** Whole-log statistics, computed in a worker thread after the log opens (state 'running' meanwhile). */
export interface SummaryView {
  state: 'running' | 'done' | 'failed';
  /** Bytes indexed so far / total while running. */
  progress?: number;
  message?: string;
  records?: number;
  groups?: number;
  zeroVarianceGroups?: number;
  meanReward?: number | null;
  /** Mean per reward function over the whole log. */
  rewards?: Array<{ name: string; mean: number }>;
  /** Mean total reward of the first and the last step, when there are several steps. */
  firstStep?: { step: number; meanReward: number | null };
  lastStep?: { step: number; meanReward: number | null };
}

/** Counts after the log grew (progressive indexing, appended lines, new step files). */
export interface UpdatePayload {
  records: number;
  groups: number;
  steps: number[];
  issueCount: number;
  complete: boolean;
  /** Files of the log (a per-step folder gains one per logged step); absent from older hosts. */
  fileCount?: number;
}

export interface InspectorMethods {
  getGroup: { params: { groupIndex: number }; result: GroupView };
  /** The first group of the step at `stepIndex` in the sorted list of steps. */
  getStepGroup: { params: { stepIndex: number }; result: GroupView };
  /** Open the log at a line (or the file, for rows of binary files) beside the panel. */
  revealLine: { params: { line: number; file?: string }; result: null };
  /** The group holding a record, and the record's position in it (jump from the list). */
  getRecord: { params: { recordIndex: number }; result: { group: GroupView; completion: number } };
  getOverview: { params: Record<string, never>; result: OverviewView };
  getStepStats: { params: { step: number }; result: StepStatsView };
  /** The first group of a step given by value (clicking a curve). */
  getStepByValue: { params: { step: number }; result: GroupView };
  query: { params: QueryParams; result: QueryResult };
  /** Override the frame predicted boxes are read in, for this run in this window (null: back to the log's). */
  setFrame: { params: { frame: string | null }; result: null };
  /** Save the current group or the filtered list (host shows a save dialog); returns the path or null. */
  export: { params: ExportParams; result: string | null };
  /** Save a PNG the webview drew (image with boxes). */
  savePng: { params: { dataUrl: string; name: string }; result: string | null };
  /** Put a link to this sample on the clipboard; returns it. */
  copyLink: { params: { groupIndex: number; completion: number }; result: string };
  /** Which verdict source the shown verdicts and rates use ('auto' or a kind); returns the new overview verdicts. */
  setVerdictSource: { params: { source: string }; result: VerdictsView };
  /** Run a judge over the whole log (host: progress notification with cancel); 'file' asks for a judge output file. Resolves when started. */
  runJudge: { params: { kind: 'onnx' | 'http' | 'file' }; result: null };
  /** CLIP image-text similarity of each generated image of a record with its completion text (null: no CLIP model configured). */
  getImageSimilarity: { params: { recordIndex: number }; result: { model: string; scores: Array<number | null> } | null };
}

export type MethodName = keyof InspectorMethods;

export type WebviewToHost =
  | { kind: 'ready' }
  | { [M in MethodName]: { kind: 'request'; id: number; method: M; params: InspectorMethods[M]['params'] } }[MethodName]
  | { kind: 'notify'; method: 'log'; params: { level: 'info' | 'error'; message: string } };

export type HostToWebview =
  | { kind: 'init'; params: InitPayload }
  | { kind: 'update'; params: UpdatePayload }
  | { kind: 'summary'; params: SummaryView }
  /** Show this position (deep link, Runs tree click on a group). */
  | { kind: 'goto'; params: { groupIndex: number; completion: number } }
  /** The background scan advanced (fields ready, overview series filled in). */
  | { kind: 'scan'; params: { progress: number; fields: FieldInfo[] } }
  /** Verdicts changed (a judge run progressed or finished, the source changed): refresh badges and rates. */
  | { kind: 'verdicts'; params: VerdictsView }
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: string };

// ---- runtime checks at the boundary ----


const paramChecks: { [M in MethodName]: (p: unknown) => p is InspectorMethods[M]['params'] } = {
  getGroup: (p): p is { groupIndex: number } => isObj(p) && isNonNegInt(p.groupIndex),
  getStepGroup: (p): p is { stepIndex: number } => isObj(p) && isNonNegInt(p.stepIndex),
  revealLine: (p): p is { line: number; file?: string } => isObj(p) && isNonNegInt(p.line) && (p.file === undefined || typeof p.file === 'string'),
  getRecord: (p): p is { recordIndex: number } => isObj(p) && isNonNegInt(p.recordIndex),
  getOverview: (p): p is Record<string, never> => isObj(p),
  getStepStats: (p): p is { step: number } => isObj(p) && isFiniteNum(p.step),
  getStepByValue: (p): p is { step: number } => isObj(p) && isFiniteNum(p.step),
  query: (p): p is QueryParams =>
    isObj(p) && typeof p.filter === 'string' && p.filter.length <= 4000 && typeof p.search === 'string' && p.search.length <= 1000 &&
    (p.sort === null || typeof p.sort === 'string') && typeof p.desc === 'boolean' && isNonNegInt(p.offset) && isNonNegInt(p.limit) && p.limit <= 5000,
  setFrame: (p): p is { frame: string | null } => isObj(p) && (p.frame === null || typeof p.frame === 'string'),
  export: (p): p is ExportParams =>
    isObj(p) && (p.what === 'group' || p.what === 'list') && (p.format === 'markdown' || p.format === 'csv') &&
    (p.groupIndex === undefined || isNonNegInt(p.groupIndex)) && (p.query === undefined || isObj(p.query)),
  savePng: (p): p is { dataUrl: string; name: string } =>
    isObj(p) && typeof p.dataUrl === 'string' && p.dataUrl.startsWith('data:image/png;base64,') && typeof p.name === 'string',
  copyLink: (p): p is { groupIndex: number; completion: number } => isObj(p) && isNonNegInt(p.groupIndex) && isNonNegInt(p.completion),
  setVerdictSource: (p): p is { source: string } => isObj(p) && typeof p.source === 'string' && p.source.length <= 16,
  runJudge: (p): p is { kind: 'onnx' | 'http' | 'file' } => isObj(p) && (p.kind === 'onnx' || p.kind === 'http' || p.kind === 'file'),
  getImageSimilarity: (p): p is { recordIndex: number } => isObj(p) && isNonNegInt(p.recordIndex),
};

export function isMethodName(v: unknown): v is MethodName {
  return hasMethod(paramChecks, v);
}

export function isWebviewToHost(m: unknown): m is WebviewToHost {
  return isPanelMessage(m, paramChecks);
}

export function isHostToWebview(m: unknown): m is HostToWebview {
  if (!isObj(m)) return false;
  if (m.kind === 'init') return isObj(m.params) && typeof m.params.file === 'string' && isNonNegInt(m.params.groups);
  if (m.kind === 'summary') return isObj(m.params) && (m.params.state === 'running' || m.params.state === 'done' || m.params.state === 'failed');
  if (m.kind === 'goto') return isObj(m.params) && isNonNegInt(m.params.groupIndex) && isNonNegInt(m.params.completion);
  if (m.kind === 'verdicts') return isObj(m.params) && typeof m.params.choice === 'string' && Array.isArray(m.params.sources);
  if (m.kind === 'scan') return isObj(m.params) && typeof m.params.progress === 'number' && Array.isArray(m.params.fields);
  if (m.kind === 'update') return isObj(m.params) && isNonNegInt(m.params.groups) && isNonNegInt(m.params.records) && Array.isArray(m.params.steps);
  return isResponse(m);
}
