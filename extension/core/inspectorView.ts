// Builds the Rollout Inspector's view payloads from canonical rollouts. Pure: the host passes
// `toUrl`, which turns a resolved image path into a webview URL (asWebviewUri) or null.
import type { Box, LogIssue, Rollout } from './model';
import type { BoxView, GroupView, ImageView, IssueView, RolloutView, SummaryView } from '../protocol/inspector';
import type { ScaleSummary } from './scale/summarize';
import type { RolloutCheck } from './rewards/check';
import { bestIous } from './geometry/iou';

export type ToUrl = (absolutePath: string) => string | null;

function boxViews(boxes: readonly Box[], others: readonly Box[]): BoxView[] {
  const ious = bestIous(boxes.map((b) => b.box), others.map((b) => b.box));
  return boxes.map((b, i) => ({
    box: b.box,
    label: b.label ?? null,
    frame: b.frame,
    frameAssumed: b.frameAssumed === true,
    span: b.span ?? null,
    part: b.part ?? null,
    iou: ious[i] ?? 0,
    ...(b.candidates ? { candidates: b.candidates.map((c) => ({ frame: c.frame, iou: c.iou })) } : {}),
  }));
}

export function issueView(i: LogIssue): IssueView {
  const v: IssueView = { file: i.file, line: i.line, message: i.message, severity: i.severity };
  if (i.unit === 'row') v.unit = 'row';
  return v;
}

export function rolloutView(recordIndex: number, r: Rollout, issues: readonly LogIssue[], toUrl: ToUrl, check?: RolloutCheck): RolloutView {
  const images: ImageView[] = r.prompt.images.map((im) => ({
    path: im.path,
    url: im.resolved ? toUrl(im.resolved) : null,
    width: im.width ?? null,
    height: im.height ?? null,
    orientation: im.orientation ?? null,
  }));
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
    pred: boxViews(r.predicted, r.reference.boxes),
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
    verdict: r.verdict ? { label: r.verdict.label, source: r.verdict.source, rationale: r.verdict.rationale ?? null } : null,
    issues: issues.map(issueView),
    length: r.completion.length,
    lengthUnit: 'chars',
    truncated: null,
    truncatedWhy: null,
    generatedImages: [],
    formatOk: null,
    correct: null,
  };
}

/** Population standard deviation is zero (all rewards equal) — GRPO gets no learning signal from the group. */
export function isZeroVariance(rewards: ReadonlyArray<number | null>): boolean {
  const xs = rewards.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  if (xs.length < 2) return false;
  return xs.every((x) => Math.abs(x - xs[0]!) < 1e-9);
}

export interface GroupPosition {
  groupIndex: number;
  groupCount: number;
  step: number;
  stepIndex: number;
  stepCount: number;
  groupId: string;
}

export function groupView(pos: GroupPosition, rollouts: RolloutView[], issues: readonly LogIssue[]): GroupView {
  return {
    ...pos,
    rollouts,
    issues: issues.map(issueView),
    zeroVariance: isZeroVariance(rollouts.map((r) => r.reward)),
    zeroVarianceKind: null,
    recurrences: [],
    frameOverride: null,
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
