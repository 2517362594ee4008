// The inspector's answers, without VS Code: groups as views, steps, records, the run overview, step
// statistics, sample-list queries, the frame override and exports. The extension's session (features/
// inspector/session.ts) adds only what needs VS Code (webview URLs and resource roots, dialogs, clipboard);
// the webview tests drive this same class. Pure: no `vscode`.

import * as fs from 'fs';
import * as path from 'path';
import type { RolloutLog } from './formats/log';
import type { FrameKind, LogIssue, Rollout } from './model';
import { imagePlaceholderOffsets } from './table/derive';
import { checkRollout, type RolloutCheck } from './rewards/check';
import { groupView, rolloutView, type ToUrl } from './inspectorView';
import { SampleTable, textFieldValue } from './table/sampleTable';
import { metricSeries, overviewView, stepStats } from './table/overview';
import { QueryService, type TextMatcher } from './table/queryService';
import { groupToCsv, groupToMarkdown, rowsToCsv, rowsToMarkdown } from './table/export';
import { FRAME_KINDS } from './geometry/frames';
import { runDirOf } from './runs/discover';
import { alignmentSeries, verdictsView } from './judge/sources';
import { isVerdictChoice, type Verdict, type VerdictSourceKind } from './judge/types';
import type {
  ExportParams, GroupView, InspectorMethods, MethodName, OverviewView, QueryParams, QueryResult, RolloutView, StepStatsView, VerdictsView,
} from '../protocol/inspector';

/** The requests the backend answers alone; the others (export, savePng, copyLink, revealLine) need the editor. */
export const BACKEND_METHODS = [
  'getGroup', 'getStepGroup', 'getStepByValue', 'getRecord', 'getOverview', 'getStepStats', 'query', 'setFrame', 'setVerdictSource', 'getImageSimilarity',
] as const;
export type BackendMethod = (typeof BACKEND_METHODS)[number];

export function isBackendMethod(m: MethodName): m is BackendMethod {
  return (BACKEND_METHODS as readonly string[]).includes(m);
}

export interface BackendOptions {
  /** What was opened (file or folder): names exports, finds the run folder's metric files. */
  target: string;
  /** Image path → webview URL (null: not reachable). Called after `onImageDirs` for the group. */
  toUrl: ToUrl;
  /** The image folders a group needs, before its URLs are made (the session widens its resource roots). */
  onImageDirs?(dirs: Set<string>): void;
  /** Text conditions in a worker (regexes, large logs); absent: in process. */
  textJob?: TextMatcher['job'];
  /** CLIP similarity of generated images with a text (null: no CLIP model configured). */
  similarity?(pairs: Array<{ image: string | null; text: string }>): Promise<{ model: string; scores: Array<number | null> } | null>;
}

/** What the host knows about the judges (configured names, a run in progress, the last outcome). */
export type JudgeStatus = Pick<VerdictsView, 'judges' | 'running' | 'last'>;

type Sourced<T> = { value: T; source: string; assumed: boolean };

/**
 * What each generated image of a completion is compared with: the text that describes it, i.e. the completion
 * text since the previous image (or the start) up to its placeholder, its last 300 characters; the prompt when
 * that is empty (as the text-to-multimodal research's alignment reward: description vs generated image).
 */
export function imageDescriptions(r: Rollout): Array<{ image: string | null; text: string }> {
  const at = imagePlaceholderOffsets(r.completion, r.generatedImages.length);
  let from = 0;
  return r.generatedImages.map((im, k) => {
    const end = at[k] ?? r.completion.length;
    let text = r.completion.slice(from, end).replace(/<[^>]{1,40}>/g, ' ').replace(/\s+/g, ' ').trim();
    from = end;
    if (text.length > 300) text = text.slice(text.length - 300).replace(/^\S*\s/, '');
    return { image: im.resolved ?? null, text: text || r.prompt.text };
  });
}

export class InspectorBackend {
  readonly table: SampleTable;
  private readonly queries: QueryService;
  private stepFirstGroup: number[] = [];
  private metrics: ReturnType<typeof metricSeries> | undefined;
  private scanning: Promise<void> | undefined;
  private savedFrame: Sourced<FrameKind> | null | undefined;
  frameOverride: string | null = null;
  /** Verdicts of the judges (file, http, onnx) by record, with the judge's name. */
  private readonly judged = new Map<VerdictSourceKind, { name: string; byRecord: Map<number, Verdict> }>();
  judgeStatus: JudgeStatus = { judges: { onnx: null, http: null, clip: null }, running: null, last: null };

  constructor(readonly log: RolloutLog, private readonly opts: BackendOptions) {
    this.table = SampleTable.fromLog(log);
    const matcher: TextMatcher = {
      read: (row) => {
        const { rollout } = log.read(row);
        return rollout ? { completion: textFieldValue(rollout, 'text'), prompt: textFieldValue(rollout, 'prompt'), answer: textFieldValue(rollout, 'answer') } : null;
      },
    };
    if (opts.textJob) matcher.job = opts.textJob;
    this.queries = new QueryService(this.table, matcher);
  }

  /** The log grew (or was rewritten: `reset`): extend the table; call `scan` again afterwards. */
  grow(reset: boolean): void {
    this.stepFirstGroup = [];
    this.table.grow(this.log, { reset });
  }

  /**
   * Read every record not yet scanned, in the background (the table yields between chunks). `onProgress` gets
   * 0…1 and finally 1; records appended meanwhile are scanned too.
   */
  scan(signal: AbortSignal, onProgress: (p: number) => void): Promise<void> {
    if (this.scanning) return this.scanning;
    const run = async (): Promise<void> => {
      let last = -1;
      for (;;) {
        const r = await this.table.scan(this.log, {
          signal,
          onProgress: (done, total) => {
            const p = total > 0 ? done / total : 1;
            if (p < 1 && p - last >= 0.02) {
              last = p;
              onProgress(p);
            }
          },
        });
        if (!r.complete) return;
        if (this.table.scanComplete) break;
      }
      onProgress(1);
    };
    this.scanning = run().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  cancel(): void {
    this.queries.cancel();
  }

  /** Answer one webview request (params already checked at the boundary). */
  async answer<M extends BackendMethod>(method: M, params: InspectorMethods[M]['params']): Promise<InspectorMethods[M]['result']> {
    type R = InspectorMethods[M]['result'];
    const p = params as Record<string, unknown>;
    switch (method) {
      case 'getGroup':
        return this.group(p.groupIndex as number) as R;
      case 'getStepGroup':
        return this.group(this.stepGroupIndex(p.stepIndex as number)) as R;
      case 'getStepByValue':
        return this.group(this.groupIndexOfStep(p.step as number)) as R;
      case 'getRecord':
        return this.record(p.recordIndex as number) as R;
      case 'getOverview':
        return (await this.overview()) as R;
      case 'getStepStats':
        return this.stepStats(p.step as number) as R;
      case 'query':
        return (await this.query(params as QueryParams)) as R;
      case 'setFrame':
        this.setFrame(p.frame as string | null);
        return null as R;
      case 'setVerdictSource':
        this.setVerdictSource(p.source as string);
        return this.verdictsView() as R;
      case 'getImageSimilarity':
        return (await this.imageSimilarity(p.recordIndex as number)) as R;
      default:
        throw new Error(`not a backend request: ${String(method)}`);
    }
  }

  // ---------------- groups ----------------

  group(groupIndex: number): GroupView {
    const log = this.log;
    const g = log.groups[groupIndex];
    if (!g) throw new Error(`group ${groupIndex} is out of range (the log has ${log.groups.length})`);
    const rollouts: RolloutView[] = [];
    const groupIssues: LogIssue[] = [];
    const reads = g.records.map((ri) => ({ ri, ...log.read(ri) }));
    const dirs = new Set<string>();
    for (const { rollout } of reads) {
      for (const im of [...(rollout?.prompt.images ?? []), ...(rollout?.generatedImages ?? [])]) if (im.resolved) dirs.add(path.dirname(im.resolved));
    }
    this.opts.onImageDirs?.(dirs);
    for (const { ri, rollout, issues } of reads) {
      if (!rollout) {
        groupIssues.push(...issues);
        continue;
      }
      let check: RolloutCheck | undefined;
      try {
        check = checkRollout(rollout, log.context, log.format);
      } catch (e) {
        console.warn('[rollout-lens] reward recomputation failed:', e instanceof Error ? e.message : String(e));
      }
      rollouts.push(
        rolloutView(ri, rollout, issues, this.opts.toUrl, check, { context: log.context, format: log.format, judged: this.judgedOf(ri), choice: this.table.verdictChoice }),
      );
    }
    return groupView(
      { groupIndex, groupCount: log.groups.length, step: g.step, stepIndex: log.steps.indexOf(g.step), stepCount: log.steps.length, groupId: g.groupId },
      rollouts,
      groupIssues,
      { recurrences: this.table.recurrences(groupIndex), frameOverride: this.frameOverride },
    );
  }

  /** The first group of the step at `stepIndex` of the sorted steps. */
  stepGroupIndex(stepIndex: number): number {
    if (this.stepFirstGroup.length !== this.log.steps.length) {
      const at = new Map(this.log.steps.map((s, i) => [s, i]));
      this.stepFirstGroup = [];
      this.log.groups.forEach((g, gi) => {
        const si = at.get(g.step);
        if (si !== undefined && this.stepFirstGroup[si] === undefined) this.stepFirstGroup[si] = gi;
      });
    }
    const gi = this.stepFirstGroup[stepIndex];
    if (gi === undefined) throw new Error(`no step at index ${stepIndex}`);
    return gi;
  }

  /** The first group of `step`, else of the nearest step that has one (a click on a curve). */
  groupIndexOfStep(step: number): number {
    const steps = this.log.steps;
    if (steps.length === 0) throw new Error('the log has no groups');
    let best = 0;
    for (let i = 1; i < steps.length; i++) if (Math.abs(steps[i]! - step) < Math.abs(steps[best]! - step)) best = i;
    return this.stepGroupIndex(best);
  }

  record(recordIndex: number): { group: GroupView; completion: number } {
    if (recordIndex >= this.log.recordCount) throw new Error(`record ${recordIndex} is out of range (the log has ${this.log.recordCount})`);
    const group = this.group(this.log.groupOf(recordIndex));
    return { group, completion: Math.max(0, group.rollouts.findIndex((r) => r.recordIndex === recordIndex)) };
  }

  // ---------------- overview, statistics, queries ----------------

  async overview(): Promise<OverviewView> {
    if (!this.metrics) {
      const t = this.opts.target;
      const isFolder = fs.existsSync(t) && fs.statSync(t).isDirectory();
      this.metrics = metricSeries(runDirOf(t, isFolder));
    }
    return overviewView(this.table, this.log, await this.metrics, { view: this.verdictsView(), series: alignmentSeries(this.table, this.sourceNames()) });
  }

  // ---------------- verdicts ----------------

  private judgedOf(ri: number): Array<{ kind: VerdictSourceKind; verdict: Verdict }> {
    const out: Array<{ kind: VerdictSourceKind; verdict: Verdict }> = [];
    for (const [kind, j] of this.judged) {
      const v = j.byRecord.get(ri);
      if (v) out.push({ kind, verdict: v });
    }
    return out;
  }

  private sourceNames(): Partial<Record<VerdictSourceKind, string>> {
    const names: Partial<Record<VerdictSourceKind, string>> = {};
    for (const [k, j] of this.judged) names[k] = j.name;
    return names;
  }

  /** Add (or replace) a judge's verdicts on some records. */
  applyVerdicts(kind: 'file' | 'http' | 'onnx', name: string, entries: ReadonlyArray<readonly [number, Verdict]>): void {
    let j = this.judged.get(kind);
    if (!j || j.name !== name) {
      if (j) this.table.clearVerdicts(kind);
      j = { name, byRecord: new Map() };
      this.judged.set(kind, j);
    }
    for (const [ri, v] of entries) j.byRecord.set(ri, v);
    this.table.setVerdicts(kind, entries);
  }

  /** How many records a judge has verdicts for. */
  judgedCount(kind: VerdictSourceKind): number {
    return this.judged.get(kind)?.byRecord.size ?? 0;
  }

  setVerdictSource(source: string): void {
    if (!isVerdictChoice(source)) throw new Error(`unknown verdict source "${source}" (auto, log, file, http, onnx or rules)`);
    this.table.setVerdictChoice(source);
  }

  verdictsView(): VerdictsView {
    return verdictsView(this.table, { names: this.sourceNames(), ...this.judgeStatus });
  }

  async imageSimilarity(recordIndex: number): Promise<{ model: string; scores: Array<number | null> } | null> {
    if (!this.opts.similarity) return null;
    const { rollout } = this.log.read(recordIndex);
    if (!rollout || rollout.generatedImages.length === 0) return null;
    return this.opts.similarity(imageDescriptions(rollout));
  }

  stepStats(step: number): StepStatsView {
    return stepStats(this.table, this.log, step);
  }

  query(p: QueryParams): Promise<QueryResult> {
    return this.queries.run(p);
  }

  // ---------------- frame override ----------------

  /**
   * Read predicted boxes in `frame` for this run (null: back to the frames the log implies). Changes the run
   * context the reader consults on every read, in memory only: nothing is written anywhere.
   */
  setFrame(frame: string | null): void {
    if (frame !== null && !(FRAME_KINDS as readonly string[]).includes(frame)) throw new Error(`unknown frame "${frame}" (one of ${FRAME_KINDS.join(', ')})`);
    const ctx = this.log.context as { boxFrame?: Sourced<FrameKind> } | null;
    if (!ctx) throw new Error('this log was opened without a run context; set boxFrame in rollout-lens.json next to it');
    if (frame === null) {
      if (this.savedFrame !== undefined) {
        if (this.savedFrame === null) delete ctx.boxFrame;
        else ctx.boxFrame = this.savedFrame;
        this.savedFrame = undefined;
      }
    } else {
      if (this.savedFrame === undefined) this.savedFrame = ctx.boxFrame ?? null;
      ctx.boxFrame = { value: frame as FrameKind, source: 'chosen in the inspector', assumed: false };
    }
    this.frameOverride = frame;
  }

  // ---------------- exports ----------------

  /** The text of an export and a file name for it. */
  async exportText(p: ExportParams): Promise<{ text: string; name: string }> {
    const stem = path.basename(this.opts.target).replace(/\.[^.]+$/, '').replace(/\.rollouts$/, '');
    const ext = p.format === 'csv' ? 'csv' : 'md';
    if (p.what === 'group') {
      const g = this.group(p.groupIndex ?? 0);
      return { text: p.format === 'csv' ? groupToCsv(g) : groupToMarkdown(g), name: `${stem}-step${g.step}-group${g.groupIndex + 1}.${ext}` };
    }
    const q: QueryParams = { filter: p.query?.filter ?? '', search: p.query?.search ?? '', sort: p.query?.sort ?? null, desc: p.query?.desc ?? false, offset: 0, limit: 1 };
    const res = await this.queries.run(q);
    if (res.error) throw new Error(`the filter has an error at character ${res.error.at + 1}: ${res.error.message}`);
    const all = this.queries.lastRows() ?? new Uint32Array(0);
    const rows = this.table.sampleRows(all, 0, all.length);
    const names = this.table.rewardNames();
    return { text: p.format === 'csv' ? rowsToCsv(rows, names) : rowsToMarkdown(rows, names), name: `${stem}-samples.${ext}` };
  }
}
