// The data model of checkpoint comparison. Pure: no `vscode`, no DOM.
//
// A comparison reads two or more *sources* (a checkpoint with its eval files, an eval file, a run), reduces
// every evaluated answer to an `EvalSample`, matches samples across sources by a key (the sample id when the
// format has one, else image names + question), and computes per dataset and slice: the metrics of each
// source, the difference of each source against the first with a paired test, and the flips.
//
// Modules:
//   metrics.ts   option-set F1, per-sample scores, per-prompt aggregation (mean@N) → CellStat
//   stats.ts     McNemar (exact), paired bootstrap over prompts (seeded), Holm adjustment
//   samples.ts   Rollout → EvalSample (what correctness, IoU, format, alignment, length mean for each format)
//   sources.ts   CLI / tree arguments → CompareSource; checkpoint eval linking; loading a source's samples
//   compare.ts   LoadedSource[] → Comparison (tables, deltas, flips, unmatched)
//   exportTable.ts  Comparison → Markdown / CSV (paste-ready, like the tables of the papers)

import type { LogIssue } from '../model';

/** Metrics of the comparison table, in display order. */
export const METRIC_IDS = ['accuracy', 'f1', 'iou', 'iou50', 'format', 'alignment', 'length'] as const;
export type MetricId = (typeof METRIC_IDS)[number];

export const METRIC_LABELS: Record<MetricId, string> = {
  accuracy: 'Accuracy',
  f1: 'F1',
  iou: 'mean IoU',
  iou50: 'IoU@0.5',
  format: 'Format',
  alignment: 'Alignment',
  length: 'Length',
};

/** Binary metrics: one 0/1 value per answer (McNemar applies when there is one answer per prompt). */
export const BINARY_METRICS: ReadonlySet<MetricId> = new Set<MetricId>(['accuracy', 'iou50', 'format', 'alignment']);

/** One evaluated answer, reduced to what a comparison needs. */
export interface EvalSample {
  /**
   * Matching key across sources, unique per prompt within a dataset: `<dataset>:<sample id>`, or
   * `<dataset>:q:<hash of image file names + question>` when the format has no id. Several answers with the same
   * key (evals that sample N answers per prompt) are averaged per prompt (mean@N).
   */
  key: string;
  /** The sample id as the file gives it (null when the format has none). */
  sampleId: string | null;
  /** The dataset (slice field `dataset`, else the eval file's name). */
  dataset: string;
  /** Slice fields (dataset, category, split, domain, …) as strings. */
  slice: Record<string, string>;
  /** Per-answer scores; null when the source cannot tell. */
  scores: Record<MetricId, number | null>;
  /** Where the answer is: file, 0-based record index in the log opened on `log`, 1-based line. */
  log: string;
  record: number;
  file: string;
  line: number;
  /** A short label for lists: the question, first 160 characters. */
  question: string;
  answer: string | null;
  reference: string | null;
}

export type SourceKind = 'checkpoint' | 'eval-file' | 'run' | 'step';

/** Something the user compares: a checkpoint with its evals, one eval file, a run (its newest evaluated checkpoint). */
export interface CompareSource {
  /** Shown in tables and as the JSON `name`: `checkpoint-100`, `run/checkpoint-200`, a file name. */
  name: string;
  kind: SourceKind;
  /** The path the user gave or picked. */
  path: string;
  /** Training step (checkpoint number), when known. */
  step: number | null;
  /** The eval logs read for it (files, or folders of per-step files). */
  evalFiles: string[];
  /** Rewards the training used, when the run says (trainer_state `rewards/<name>/mean` keys): ✓/✗ columns of ablation tables. */
  rewards?: string[];
}

export interface LoadedSource {
  source: CompareSource;
  samples: EvalSample[];
  /** Problems while reading (bad lines are skipped and named here; the rest still counts). */
  issues: LogIssue[];
}

/** A metric of one source over one cell (dataset × slice value). */
export interface CellStat {
  /** Mean over prompts of the per-prompt mean over answers (mean@N); null when no answer has the metric. */
  value: number | null;
  /** Prompts with at least one scored answer. */
  n: number;
  /** Scored answers (n × N for mean@N evals). */
  answers: number;
}

export type TestKind = 'mcnemar' | 'bootstrap';

/** The difference of one source against the first over the prompts both have, with its test. */
export interface DeltaStat {
  /** value(this) − value(first) over the paired prompts. */
  delta: number;
  /** 95 % paired-bootstrap interval of the delta. */
  ci: [number, number];
  /** Two-sided p: exact McNemar for binary metrics with one answer per prompt, else the paired bootstrap. */
  p: number;
  test: TestKind;
  /** Holm-adjusted over the cells of the table for this metric and pair. */
  pAdjusted: number;
  /** pAdjusted < alpha. */
  significant: boolean;
  /** Paired prompts. */
  n: number;
}

export interface TableRow {
  dataset: string;
  /** The slice value of this row; null for the dataset's all-samples row. */
  slice: string | null;
  /** Per source, in source order: metric → stat (only metrics some source has). */
  metrics: Array<Partial<Record<MetricId, CellStat>>>;
  /** Per source: metric → delta against source 0 (index 0 is null). */
  deltas: Array<Partial<Record<MetricId, DeltaStat>> | null>;
}

export interface Flips {
  /** Keys right in the first and wrong in the other. */
  aOnly: string[];
  /** Keys wrong in the first and right in the other. */
  bOnly: string[];
  both: number;
  neither: number;
  bothKeys: string[];
  neitherKeys: string[];
}

export interface CompareOptions {
  /** Slice field for the breakdown rows (null: per dataset only). */
  slice: string | null;
  /** Bootstrap resamples (default 2000). */
  iterations?: number;
  /** RNG seed of the bootstrap (default 1): the same inputs give the same intervals. */
  seed?: number;
  /** Significance level after Holm (default 0.05). */
  alpha?: number;
}

export interface Comparison {
  sources: CompareSource[];
  /** Metrics present in at least one source, in METRIC_IDS order. */
  metrics: MetricId[];
  /** Slice field used (null: none). */
  slice: string | null;
  /** Slice fields the samples carry (for the picker), `dataset` excluded. */
  sliceFields: string[];
  /** Per source, over every matched sample of every dataset. */
  overall: Array<Partial<Record<MetricId, CellStat>>>;
  /** Dataset rows (slice null) each followed by its slice rows when a slice field is chosen. */
  rows: TableRow[];
  /** Per source other than the first: flips on correctness against the first (index 0 is null). */
  flips: Array<Flips | null>;
  /**
   * Per source: keys another source has and this one lacks (never silently dropped: listed here and left out
   * of the paired statistics, which use only keys both sides have).
   */
  unmatched: Array<{ source: number; name: string; missing: string[] }>;
  /** How samples were matched. */
  matchedBy: 'id' | 'question';
  /** Test parameters used. */
  iterations: number;
  seed: number;
  alpha: number;
  /** Everything noted while reading (file:line). */
  issues: LogIssue[];
}

/** One metric of one dataset across checkpoints (steps), for the scale-up style curves. */
export interface Curve {
  dataset: string;
  metric: MetricId;
  /** In step order; one point per evaluated checkpoint. */
  points: Array<{ step: number; source: string; value: number | null; n: number }>;
}
