// Answers the Checkpoint Comparison webview's requests from loaded sources. Pure: no `vscode`. The host passes
// `toUrl` (image path → webview URL) and `openLog` (opens an eval log to show one answer side by side); save
// dialogs, clipboard and revealing a line stay in features/compare/panel.ts. The webview test drives this class.

import * as path from 'path';
import type { LogIssue, Rollout } from '../model';
import type { RolloutLog } from '../formats/log';
import { iou } from '../geometry/iou';
import { issueView, rolloutView, type ToUrl } from '../inspectorView';
import type { CompareInit, CompareMethodName, CompareMethods, FlipRow, FlipsParams, PairView, SourceView, TableView } from '../../protocol/compare';
import { RIGHT_AT, compare, curves, groupBy, tableLegend } from './compare';
import { cellStat } from './metrics';
import { comparisonCsv, comparisonMarkdown } from './exportTable';
import { METRIC_IDS, METRIC_LABELS, type Comparison, type Curve, type EvalSample, type LoadedSource, type MetricId } from './types';

/** The methods the backend answers by itself (export and revealLine need the host). */
export const COMPARE_BACKEND_METHODS = ['getTable', 'getFlips', 'getPair', 'getCurves'] as const;
export type CompareBackendMethod = (typeof COMPARE_BACKEND_METHODS)[number];
export function isCompareBackendMethod(m: CompareMethodName): m is CompareBackendMethod {
  return (COMPARE_BACKEND_METHODS as readonly string[]).includes(m);
}

export interface CompareBackendOptions {
  toUrl: ToUrl;
  /** Open an eval log (the backend keeps it open until `close`). */
  openLog(target: string): Promise<RolloutLog>;
  /** Loaded sources for the curves: every evaluated checkpoint of the runs compared (default: the sources). */
  curveSources?: readonly LoadedSource[];
  iterations?: number;
  seed?: number;
  alpha?: number;
}

/** Slice fields tried first for the initial breakdown, in order. */
const PREFERRED_SLICES = ['domain', 'split', 'category', 'subset', 'type'];

export class CompareBackend {
  private readonly byKey: Array<Map<string, EvalSample[]>>;
  private readonly tables = new Map<string, Comparison>();
  private readonly logs = new Map<string, Promise<RolloutLog>>();
  private curveCache: Curve[] | undefined;

  constructor(readonly loaded: readonly LoadedSource[], private readonly opts: CompareBackendOptions) {
    if (loaded.length < 2) throw new Error(`a comparison needs two or more checkpoints or eval files; got ${loaded.length}`);
    this.byKey = loaded.map((l) => groupBy(l.samples, (s) => s.key));
  }

  comparison(slice: string | null): Comparison {
    const k = slice ?? '\u0000';
    let c = this.tables.get(k);
    if (!c) {
      c = compare(this.loaded, { slice, iterations: this.opts.iterations, seed: this.opts.seed, alpha: this.opts.alpha });
      this.tables.set(k, c);
    }
    return c;
  }

  init(title: string): CompareInit {
    const base = this.comparison(null);
    const slice = PREFERRED_SLICES.find((f) => base.sliceFields.includes(f)) ?? null;
    const issues = base.issues;
    return {
      title,
      sources: this.loaded.map((l): SourceView => ({
        name: l.source.name,
        kind: l.source.kind,
        path: l.source.path,
        step: l.source.step,
        evalFiles: [...l.source.evalFiles],
        rewards: l.source.rewards ? [...l.source.rewards] : null,
        samples: l.samples.length,
      })),
      sliceFields: base.sliceFields,
      slice,
      metrics: base.metrics,
      matchedBy: base.matchedBy,
      unmatched: base.unmatched.map((u) => ({ source: u.source, name: u.name, count: u.missing.length, examples: u.missing.slice(0, 50) })),
      issues: issues.slice(0, 200).map(issueView),
      issueCount: issues.length,
      curvePoints: new Set((this.opts.curveSources ?? this.loaded).filter((l) => l.source.step !== null).map((l) => l.source.step)).size,
      iterations: base.iterations,
      alpha: base.alpha,
    };
  }

  table(slice: string | null): TableView {
    const c = this.comparison(slice);
    return {
      slice: c.slice,
      metrics: c.metrics,
      rows: c.rows,
      overall: c.overall,
      flips: c.flips.map((f) => (f ? { aOnly: f.aOnly.length, bOnly: f.bOnly.length, both: f.both, neither: f.neither } : null)),
      legend: tableLegend(c),
    };
  }

  flips(p: FlipsParams): { total: number; rows: FlipRow[] } {
    if (p.against >= this.loaded.length) throw new Error(`there is no source ${p.against + 1}: ${this.loaded.length} are compared`);
    const f = this.comparison(null).flips[p.against];
    if (!f) throw new Error('flips are counted against the first source only');
    const keys = p.kind === 'aOnly' ? f.aOnly : p.kind === 'bOnly' ? f.bOnly : p.kind === 'both' ? f.bothKeys : f.neitherKeys;
    const a = this.byKey[0];
    const b = this.byKey[p.against];
    const filtered = p.dataset === null ? keys : keys.filter((k) => a.get(k)?.[0]?.dataset === p.dataset);
    const rows = filtered.slice(p.offset, p.offset + p.limit).map((key): FlipRow => {
      const sa = a.get(key)?.[0];
      const sb = b.get(key)?.[0];
      const s = sa ?? sb;
      const side = (x: EvalSample | undefined) => ({ correct: x ? asBool(x.scores.accuracy) : null, answer: x?.answer ?? null });
      return { key, dataset: s?.dataset ?? '', slice: { ...(s?.slice ?? {}) }, question: s?.question ?? '', a: side(sa), b: side(sb) };
    });
    return { total: filtered.length, rows };
  }

  async pair(key: string, which: [number, number]): Promise<PairView> {
    for (const i of which) if (i >= this.loaded.length) throw new Error(`there is no source ${i + 1}: ${this.loaded.length} are compared`);
    const sides = await Promise.all(
      which.map(async (i) => {
        const samples = this.byKey[i].get(key) ?? [];
        const first = samples[0];
        let rollout: Rollout | null = null;
        let view = null;
        if (first) {
          const log = await this.log(first.log);
          const read = log.read(first.record);
          rollout = read.rollout;
          const issues: LogIssue[] = read.issues;
          if (rollout) view = rolloutView(first.record, rollout, issues, this.opts.toUrl);
        }
        const scores: Partial<Record<MetricId, number | null>> = {};
        // the key's answers: one, or N for mean@N evals
        if (first) for (const m of METRIC_IDS) if (first.scores[m] !== null) scores[m] = cellStat(samples, m).value;
        return { side: { source: i, name: this.loaded[i].source.name, rollout: view, scores, answers: samples.length }, rollout, sample: first };
      }),
    );
    const s = sides[0].sample ?? sides[1].sample;
    if (!s) throw new Error(`no source has the sample ${key}`);
    return {
      key,
      dataset: s.dataset,
      question: s.question,
      sides: sides.map((x) => x.side),
      changes: describeChanges(sides[0], sides[1]),
    };
  }

  curves(): Curve[] {
    this.curveCache ??= curves(this.opts.curveSources ?? this.loaded);
    return this.curveCache;
  }

  exportText(format: 'markdown' | 'csv', slice: string | null): string {
    const c = this.comparison(slice);
    return format === 'markdown' ? comparisonMarkdown(c) : comparisonCsv(c);
  }

  /** A default file name for exports: `compare-<a>-vs-<b>`. */
  exportName(format: 'markdown' | 'csv'): string {
    const names = this.loaded.map((l) => l.source.name.replace(/[^\w.-]+/g, '_')).slice(0, 3).join('-vs-');
    return `compare-${names}.${format === 'markdown' ? 'md' : 'csv'}`;
  }

  async answer<M extends CompareBackendMethod>(method: M, params: CompareMethods[M]['params']): Promise<CompareMethods[M]['result']> {
    type R = CompareMethods[M]['result'];
    switch (method) {
      case 'getTable':
        return this.table((params as CompareMethods['getTable']['params']).slice) as R;
      case 'getFlips':
        return this.flips(params as FlipsParams) as R;
      case 'getPair': {
        const p = params as CompareMethods['getPair']['params'];
        return (await this.pair(p.key, p.sources)) as R;
      }
      case 'getCurves':
        return this.curves() as R;
      default:
        throw new Error(`unknown method ${String(method)}`);
    }
  }

  private log(target: string): Promise<RolloutLog> {
    let p = this.logs.get(target);
    if (!p) {
      p = this.opts.openLog(target);
      this.logs.set(target, p);
      p.catch(() => this.logs.delete(target));
    }
    return p;
  }

  close(): void {
    for (const p of this.logs.values()) void p.then((l) => l.close()).catch(() => undefined);
    this.logs.clear();
  }
}

/** Right or wrong as the flips count it. */
function asBool(v: number | null): boolean | null {
  return v === null ? null : v >= RIGHT_AT;
}

interface SideFacts {
  side: { name: string };
  rollout: Rollout | null;
  sample: EvalSample | undefined;
}

function fmt(m: MetricId, v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (m === 'length') return String(Math.round(v));
  if (m === 'iou') return v.toFixed(3);
  return `${(v * 100).toFixed(1)} %`;
}

/** What changed from the first side to the second, in words. */
export function describeChanges(a: SideFacts, b: SideFacts): string[] {
  const out: string[] = [];
  if (!a.sample) return [`not evaluated by ${a.side.name}`];
  if (!b.sample) return [`not evaluated by ${b.side.name}`];
  const ca = asBool(a.sample.scores.accuracy);
  const cb = asBool(b.sample.scores.accuracy);
  if (ca !== null && cb !== null && ca !== cb) out.push(ca ? `right in ${a.side.name}, wrong in ${b.side.name}` : `wrong in ${a.side.name}, right in ${b.side.name}`);
  const ans = (s: EvalSample) => (s.answer ?? '').trim();
  if (ans(a.sample) !== ans(b.sample)) out.push(`answer ${quote(ans(a.sample))} → ${quote(ans(b.sample))}${a.sample.reference !== null ? ` (reference ${quote(a.sample.reference)})` : ''}`);
  else out.push(`same answer ${quote(ans(a.sample))}`);
  for (const m of METRIC_IDS) {
    if (m === 'accuracy') continue;
    const va = a.sample.scores[m];
    const vb = b.sample.scores[m];
    if (va === null && vb === null) continue;
    if (va !== vb) out.push(`${METRIC_LABELS[m]} ${fmt(m, va)} → ${fmt(m, vb)}`);
  }
  if (a.rollout && b.rollout) {
    const pa = answerBoxes(a.rollout);
    const pb = answerBoxes(b.rollout);
    if (pa.length !== pb.length) out.push(`${pa.length} → ${pb.length} predicted box${pb.length === 1 ? '' : 'es'}`);
    else if (pa.length > 0) {
      let sum = 0;
      for (const x of pb) sum += Math.max(...pa.map((y) => iou(x, y)));
      const overlap = sum / pb.length;
      out.push(overlap > 0.999 ? 'same boxes' : `boxes moved: IoU between the two predictions ${overlap.toFixed(2)}`);
    }
    const ta = (a.rollout.completion.match(/\S+/g) ?? []).length;
    const tb = (b.rollout.completion.match(/\S+/g) ?? []).length;
    if (ta !== tb) out.push(`reasoning ${ta} → ${tb} words`);
  }
  return out;
}

function answerBoxes(r: Rollout): Array<[number, number, number, number]> {
  const inAnswer = r.predicted.filter((b) => b.part === 'answer');
  return (inAnswer.length ? inAnswer : r.predicted).map((b) => b.box);
}

function quote(s: string): string {
  const t = s.length > 60 ? `${s.slice(0, 57)}…` : s;
  return `“${t}”`;
}

/** A title for the panel: `checkpoint-100 vs checkpoint-200`. */
export function compareTitle(names: readonly string[]): string {
  const short = names.map((n) => path.basename(n));
  return short.length <= 3 ? short.join(' vs ') : `${short[0]} vs ${short.length - 1} others`;
}
