// Builds the Rollout Inspector's view payloads from canonical rollouts. Pure: the host passes
// `toUrl`, which turns a resolved image path into a webview URL (asWebviewUri) or null.
import type { Box, LogIssue, Rollout } from './model';
import type { BoxView, GroupView, ImageView, IssueView, RolloutView, VerdictView, SummaryView, ZeroVarianceKind } from '../protocol/inspector';
import type { ScaleSummary } from './scale/summarize';
import type { RolloutCheck } from './rewards/check';
import type { RunContext } from './runs/context';
import { iou } from './geometry/iou';
import { chooseVerdict, verdictView } from './judge/sources';
import type { Verdict, VerdictChoice, VerdictSourceKind } from './judge/types';
import { ZERO_VARIANCE_TOL, deriveRecord, imagePlaceholderOffsets, zeroVarianceKindOf, type BoxFlag } from './table/derive';

export type ToUrl = (absolutePath: string) => string | null;

/** Best IoU of each box with a box of the other set that refers to the same image (0 when none). */
function boxViews(boxes: readonly Box[], others: readonly Box[], flags?: readonly BoxFlag[][]): BoxView[] {
  return boxes.map((b, i) => {
    const img = b.imageIndex ?? 0;
    let best = 0;
    for (const o of others) if ((o.imageIndex ?? 0) === img) best = Math.max(best, iou(b.box, o.box));
    const v: BoxView = {
      box: b.box,
      label: b.label ?? null,
      frame: b.frame,
      frameAssumed: b.frameAssumed === true,
      span: b.span ?? null,
      part: b.part ?? null,
      iou: best,
      ...(b.candidates ? { candidates: b.candidates.map((c) => ({ frame: c.frame, iou: c.iou })) } : {}),
    };
    if (flags) v.flags = [...(flags[i] ?? [])];
    if (b.imageIndex !== undefined) v.imageIndex = b.imageIndex;
    return v;
  });
}

export function issueView(i: LogIssue): IssueView {
  const v: IssueView = { file: i.file, line: i.line, message: i.message, severity: i.severity };
  if (i.unit === 'row') v.unit = 'row';
  return v;
}

/** What the per-completion values need from the log: the run context (max completion length) and the format. */
export interface ViewContext {
  context: RunContext | null;
  format: string;
  /** Verdicts of the judges (file, http, onnx) on this completion; the log's and the rules' are added here. */
  judged?: ReadonlyArray<{ kind: VerdictSourceKind; verdict: Verdict }>;
  /** Which source `verdict` shows (default auto). */
  choice?: VerdictChoice;
}

/**
 * One completion as the inspector shows it. `check` (the reward recomputation, when the host ran one) is reused
 * for the mismatch marks; `vctx` gives truncation by the run's max completion length (without it, truncation
 * is read from the logged flag and the tags only).
 */
export function rolloutView(recordIndex: number, r: Rollout, issues: readonly LogIssue[], toUrl: ToUrl, check?: RolloutCheck, vctx?: ViewContext): RolloutView {
  const image = (im: Rollout['prompt']['images'][number]): ImageView => ({
    path: im.path,
    url: im.resolved ? toUrl(im.resolved) : null,
    width: im.width ?? null,
    height: im.height ?? null,
    orientation: im.orientation ?? null,
  });
  const images: ImageView[] = r.prompt.images.map(image);
  const d = deriveRecord(r, vctx?.context ?? null, vctx?.format ?? '', { check: check ?? null });
  const at = r.generatedImages.length ? imagePlaceholderOffsets(r.completion, r.generatedImages.length) : [];
  const verdicts: VerdictView[] = [];
  if (r.verdict) verdicts.push(verdictView('log', r.verdict));
  for (const j of vctx?.judged ?? []) verdicts.push(verdictView(j.kind, j.verdict));
  verdicts.push(verdictView('rules', d.ruleVerdict));
  return {
    recordIndex,
    file: r.source.file,
    line: r.source.line,
    unit: r.source.unit ?? 'line',
    step: r.step,
    groupId: r.groupId,
    indexInGroup: r.indexInGroup,
    sampleId: r.sampleId ?? null,
    promptText: r.prompt.text,
    images,
    completion: r.completion,
    answer: r.answer ?? null,
    referenceAnswer: r.reference.answer ?? null,
    gt: boxViews(r.reference.boxes, r.predicted),
    pred: boxViews(r.predicted, r.reference.boxes, d.boxFlags),
    rewards: Object.entries(r.rewards).map(([name, value]) => {
      const c = check?.comparisons.find((x) => x.name === name);
      if (!c) return { name, value };
      return {
        name,
        value,
        recomputed: c.recomputed,
        mismatch: c.mismatch,
        explain: (check?.explain[name]?.steps ?? []).map((st) => `${st.label}: ${st.value}`),
      };
    }),
    reward: r.reward,
    advantage: r.advantage,
    advantageSource: r.advantageSource,
    verdict: chooseVerdict(verdicts, vctx?.choice ?? 'auto'),
    verdicts,
    issues: issues.map(issueView),
    length: d.length,
    lengthUnit: d.lengthUnit,
    truncated: d.truncated,
    truncatedWhy: d.truncatedWhy,
    generatedImages: r.generatedImages.map((im, k) => ({ ...image(im), at: at[k] ?? null })),
    formatOk: d.formatOk,
    correct: d.correct,
  };
}

/** Population standard deviation is zero (all rewards equal) — GRPO gets no learning signal from the group. */
export function isZeroVariance(rewards: ReadonlyArray<number | null>): boolean {
  const xs = rewards.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  if (xs.length < 2) return false;
  return xs.every((x) => Math.abs(x - xs[0]!) < ZERO_VARIANCE_TOL);
}

export interface GroupPosition {
  groupIndex: number;
  groupCount: number;
  step: number;
  stepIndex: number;
  stepCount: number;
  groupId: string;
}

export interface GroupExtras {
  /** Other groups with the same prompt (SampleTable.recurrences), in step order. */
  recurrences?: GroupView['recurrences'];
  /** The run-level frame override in force. */
  frameOverride?: string | null;
}

/**
 * Why a zero-variance group has no signal (null when the rewards vary). In this order: every completion text the
 * same → 'identical'; correctness known for all and all correct → 'all-pass', none correct → 'all-fail'; every
 * reward ≤ 0 → 'all-fail'; else 'same-reward'. See table/derive.ts `zeroVarianceKindOf`.
 */
export function groupZeroVarianceKind(rollouts: readonly RolloutView[]): ZeroVarianceKind | null {
  if (!isZeroVariance(rollouts.map((r) => r.reward))) return null;
  const identical = rollouts.length >= 2 && rollouts.every((r) => r.completion === rollouts[0]!.completion);
  return zeroVarianceKindOf(identical, rollouts.map((r) => r.correct), rollouts.map((r) => r.reward));
}

export function groupView(pos: GroupPosition, rollouts: RolloutView[], issues: readonly LogIssue[], extras: GroupExtras = {}): GroupView {
  const kind = groupZeroVarianceKind(rollouts);
  return {
    ...pos,
    rollouts,
    issues: issues.map(issueView),
    zeroVariance: kind !== null,
    zeroVarianceKind: kind,
    recurrences: extras.recurrences ?? [],
    frameOverride: extras.frameOverride ?? null,
  };
}

/** The whole-log summary as the inspector header shows it. */
export function summaryView(s: ScaleSummary): SummaryView {
  let sum = 0;
  let n = 0;
  for (const st of s.perStep) {
    if (st.meanReward === null) continue;
    sum += st.meanReward * st.records;
    n += st.records;
  }
  const view: SummaryView = {
    state: 'done',
    records: s.records,
    groups: s.groups,
    zeroVarianceGroups: s.zeroVarianceGroups,
    meanReward: n > 0 ? sum / n : null,
    rewards: Object.entries(s.rewards).map(([name, r]) => ({ name, mean: r.mean })),
  };
  const first = s.perStep[0];
  const last = s.perStep[s.perStep.length - 1];
  if (first && last && s.perStep.length > 1) {
    view.firstStep = { step: first.step, meanReward: first.meanReward };
    view.lastStep = { step: last.step, meanReward: last.meanReward };
  }
  return view;
}
