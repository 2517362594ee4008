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
}

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
  verdict: { label: string; source: string; rationale: string | null } | null;
  issues: IssueView[];
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
}

export interface InspectorMethods {
  getGroup: { params: { groupIndex: number }; result: GroupView };
  /** The first group of the step at `stepIndex` in the sorted list of steps. */
  getStepGroup: { params: { stepIndex: number }; result: GroupView };
  /** Open the log at a line (or the file, for rows of binary files) beside the panel. */
  revealLine: { params: { line: number; file?: string }; result: null };
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
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: string };

// ---- runtime checks at the boundary ----

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

const paramChecks: { [M in MethodName]: (p: unknown) => p is InspectorMethods[M]['params'] } = {
  getGroup: (p): p is { groupIndex: number } => isObj(p) && isNonNegInt(p.groupIndex),
  getStepGroup: (p): p is { stepIndex: number } => isObj(p) && isNonNegInt(p.stepIndex),
  revealLine: (p): p is { line: number; file?: string } => isObj(p) && isNonNegInt(p.line) && (p.file === undefined || typeof p.file === 'string'),
};

export function isMethodName(v: unknown): v is MethodName {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(paramChecks, v);
}

export function isWebviewToHost(m: unknown): m is WebviewToHost {
  if (!isObj(m)) return false;
  switch (m.kind) {
    case 'ready':
      return true;
    case 'request':
      return isNonNegInt(m.id) && isMethodName(m.method) && paramChecks[m.method](m.params);
    case 'notify':
      return m.method === 'log' && isObj(m.params) && typeof m.params.message === 'string' &&
        (m.params.level === 'info' || m.params.level === 'error');
    default:
      return false;
  }
}

export function isHostToWebview(m: unknown): m is HostToWebview {
  if (!isObj(m)) return false;
  if (m.kind === 'init') return isObj(m.params) && typeof m.params.file === 'string' && isNonNegInt(m.params.groups);
  if (m.kind === 'summary') return isObj(m.params) && (m.params.state === 'running' || m.params.state === 'done' || m.params.state === 'failed');
  if (m.kind === 'update') return isObj(m.params) && isNonNegInt(m.params.groups) && isNonNegInt(m.params.records) && Array.isArray(m.params.steps);
  if (m.kind === 'response') {
    return isNonNegInt(m.id) && (m.ok === true || (m.ok === false && typeof m.error === 'string'));
  }
  return false;
}
