// The canonical model of Rollout Lens. Pure TypeScript: no `vscode`, no DOM.
// Every log reader maps its format into these types and records what it could not know.

/** x1, y1, x2, y2 with x1 <= x2 and y1 <= y2 once normalised. */
export type BoxCoords = [number, number, number, number];

/**
 * The coordinate frame a box was written in.
 * - `original`: pixels of the image file as stored on disk (what the viewer draws on)
 * - `model-input`: pixels of the image after the processor resized it (Qwen2.5-VL smart_resize)
 * - `norm1000`: integers in [0, 1000) (Qwen2-VL, InternVL, Qwen3-VL)
 * - `norm1`: floats in [0, 1]
 * - `bins1000`: Florence-2 `<loc_N>` location bins, 1000 per axis (floor quantizer: centre at (b + 0.5)·W/1000)
 * - `bins1024`: PaliGemma `<locNNNN>` bins, 1024 per axis (written y first; `raw` keeps x1, y1, x2, y2 order)
 */
export type FrameKind = 'original' | 'model-input' | 'norm1000' | 'norm1' | 'bins1000' | 'bins1024';

export type TracePart = 'think' | 'answer' | 'other';

export interface Box {
  /** Coordinates in original-image pixels (what is drawn). */
  box: BoxCoords;
  /** Coordinates exactly as written in the log, in `frame`. */
  raw: BoxCoords;
  /** The frame `raw` was written in. */
  frame: FrameKind;
  /** True when the frame was assumed rather than known from the log. */
  frameAssumed?: boolean;
  label?: string;
  /** Character span [start, end) of the box mention in the completion text (predicted boxes only). */
  span?: [number, number];
  /** Which part of the trace the mention is in (predicted boxes only). */
  part?: TracePart;
  /** Which prompt image the box refers to (0 when there is one). */
  imageIndex?: number;
  /**
   * When the frame was only assumed and several fit the values: the box under each candidate frame and its
   * best IoU with the ground truth (null when the sizes that frame needs are unknown).
   */
  candidates?: Array<{ frame: FrameKind; box: BoxCoords; iou: number | null }>;
}

export interface ImageRef {
  /** The path as logged. */
  path: string;
  /** The path on this machine, when it could be found (absolute). */
  resolved?: string;
  /** Original image size in pixels, from the log or read from the file header. */
  width?: number;
  height?: number;
  /** The model-input size (after the processor's resize), when logged. */
  inputWidth?: number;
  inputHeight?: number;
  /** EXIF orientation tag (1 = default) when the file header was read. */
  orientation?: number;
}

export type VerdictLabel = 'supported' | 'unsupported' | 'contradicted' | 'unknown';

export interface Verdict {
  label: VerdictLabel;
  source: string;
  confidence?: number;
  rationale?: string;
}

/** Where a record came from: file and 1-based line number (for tabular formats — Parquet, JSON arrays — the 1-based row, with `unit: 'row'`). */
export interface SourceRef {
  file: string;
  line: number;
  unit?: 'line' | 'row';
}

export type AdvantageSource = 'logged' | 'recomputed';

export interface Rollout {
  step: number;
  groupId: string;
  indexInGroup: number;
  /** Stable sample identity when the log carries one (dataset id, problem id). */
  sampleId?: string;
  prompt: { text: string; images: ImageRef[] };
  completion: string;
  /** Extracted final answer (`<answer>…</answer>` content), when present. */
  answer?: string;
  reference: { answer?: string; boxes: Box[] };
  predicted: Box[];
  rewards: Record<string, number | null>;
  reward: number | null;
  advantage: number | null;
  advantageSource: AdvantageSource | null;
  verdict?: Verdict;
  generatedImages: ImageRef[];
  extra: Record<string, unknown>;
  /** Eval outputs only: correctness, per-metric scores and the slice fields (dataset, category, split…). */
  eval?: EvalInfo;
  source: SourceRef;
}

export interface EvalInfo {
  /** Whether the answer was judged correct, when the file says so (null: not stated). */
  correct: boolean | null;
  scores: Record<string, number | null>;
  slice: Record<string, string>;
  /** Checkpoint the eval ran on, when the file names it. */
  checkpoint?: string;
}

/** A problem found while reading a log: always names the file and the 1-based line. */
export interface LogIssue {
  file: string;
  /** 1-based line (or row when `unit` is 'row'); 0 when the problem concerns the whole file. */
  line: number;
  unit?: 'line' | 'row';
  message: string;
  severity: 'error' | 'warning';
}

export interface StepRange {
  min: number;
  max: number;
  count: number;
}
