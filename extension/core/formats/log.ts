// The one interface every log reader returns, whatever the format, and a builder that readers use to
// turn rows into groups, steps, reward columns and (when the log has none) recomputed advantages.
// Pure: no `vscode`. Readers stay thin: they extract per-record fields and know how to read one record.

import type { LogIssue, Rollout, SourceRef } from '../model';
import type { RunContext } from '../runs/context';
import { GrowableF64 } from './lineIndex';

export type FormatId =
  | 'rollout-lens-jsonl'
  | 'trl-parquet'
  | 'trl-wandb-table'
  | 'verl-jsonl'
  | 'ms-swift-jsonl'
  | 'vlm-r1-debug'
  | 'easyr1-generations'
  | 'eval-jsonl'
  | 'r1v-eval-json'
  | 'generated-responses-json';

export const FORMAT_LABELS: Record<FormatId, string> = {
  'rollout-lens-jsonl': 'Rollout Lens JSONL',
  'trl-parquet': 'TRL completions (Parquet)',
  'trl-wandb-table': 'TRL completions (wandb table)',
  'verl-jsonl': 'verl rollout dump',
  'ms-swift-jsonl': 'ms-swift completions.jsonl',
  'vlm-r1-debug': 'VLM-R1 family debug log',
  'easyr1-generations': 'EasyR1 generations.log',
  'eval-jsonl': 'Rollout Lens eval JSONL',
  'r1v-eval-json': 'R1-V style eval results',
  'generated-responses-json': 'generated_responses.json',
};

export interface LogGroup {
  step: number;
  groupId: string;
  /** Record indices in display order (index in group, else file order). */
  records: number[];
}

/** Per-record values gathered while indexing (NaN = absent or null). */
export interface LogColumns {
  /** Logged total reward, else the (weighted) sum of the non-null rewards. */
  reward: Float64Array;
  /** Logged advantage, else the recomputed one (see `advantageSource`), else NaN. */
  advantage: Float64Array;
  /** One column per reward name, in order of first appearance. */
  rewards: Map<string, Float64Array>;
}

/**
 * What `step` means in a log: a training step read from the log, a batch ordinal the reader assigned
 * (VLM-R1 debug logs carry no step), or nothing (eval outputs).
 */
export type StepKind = 'step' | 'batch-ordinal' | 'none';

/** How the advantages of a log were obtained. */
export interface AdvantageInfo {
  source: 'logged' | 'recomputed' | 'none';
  /** For recomputed advantages: estimator and the values assumed, in words ("GRPO, ε = 1e-4, G = 8 (assumed)"). */
  assumptions?: string;
}

/** How the groups of a log were formed. */
export interface GroupingInfo {
  /** 'field': the log names groups; 'key': rows with the same key (e.g. verl input + gts); 'blocks': consecutive blocks of G rows. */
  method: 'field' | 'key' | 'blocks' | 'none';
  /** The expected group size when known, and where it came from. */
  groupSize?: number;
  groupSizeSource?: string;
  groupSizeAssumed?: boolean;
  /** Groups whose size differs from `groupSize`. */
  irregular: number;
}

export interface RolloutLog {
  readonly format: FormatId;
  /** What was opened: a file, or a folder of per-step files. */
  readonly file: string;
  /** Files read, in natural order (record numbers follow this order). */
  readonly files: readonly string[];
  readonly recordCount: number;
  /** Bytes read while indexing. */
  readonly bytes: number;
  readonly stepKind: StepKind;
  /** File and 1-based line (or row, for tabular formats) of a record. */
  sourceOf(recordIndex: number): SourceRef;
  /** 1-based line (or row) of a record in its file. */
  lineOf(recordIndex: number): number;
  stepOf(recordIndex: number): number;
  /** Index into `groups`. */
  groupOf(recordIndex: number): number;
  /** In (step, first appearance) order. */
  readonly groups: LogGroup[];
  /** Distinct steps, sorted. */
  readonly steps: number[];
  readonly issues: LogIssue[];
  /** Present when opened with `columns: true` (always present for formats that must read every row anyway). */
  readonly columns: LogColumns | null;
  readonly advantage: AdvantageInfo;
  readonly grouping: GroupingInfo;
  /** The run context the reader used (values read and assumed), when one was given or found. */
  readonly context: RunContext | null;
  /** Parse one record. */
  read(recordIndex: number): { rollout: Rollout | null; issues: LogIssue[] };
  /**
   * Growing logs (line formats): re-check the files and index what was appended since (a half-written last
   * line is left for later). Counts, groups and steps then include the new records. Absent: the format is
   * read once.
   */
  refresh?(): Promise<{ added: number; reset?: boolean }>;
  /** False while a progressive open is still indexing (see ReadOptions.onPartial). Absent means true. */
  readonly complete?: boolean;
  close(): void;
}

/** One log format: how to recognise its files and open them. */
export interface FormatReader {
  id: FormatId;
  /** Content-based check (the first 64 KB of the file, possibly cut mid-line) plus the name where it helps. */
  sniff(file: string, head: Buffer): boolean;
  /**
   * Open one or more files of this format as one log; records are numbered in the order of `files`
   * (the registry passes them in natural sort order). `opts.target` is what the user opened (file or folder).
   */
  open(files: string[], opts: ReadOptions & { target?: string }): Promise<RolloutLog>;
  /** True for files read only together with another one (VLM-R1 `_format.txt` …): not listed as logs of their own. */
  isCompanion?(file: string): boolean;
}

/** Options every reader accepts. */
export interface ReadOptions {
  /** Folders where missing image paths are looked for by trailing path segments. */
  imageRoots?: string[];
  /** Folders relative image paths are tried against after the log's own folder. */
  baseDirs?: string[];
  onProgress?(bytes: number, total: number): void;
  /** Injectable existence check (tests). */
  exists?: (p: string) => boolean;
  /** Read size while indexing (default 4 MB). */
  chunkSize?: number;
  /** Most issues kept (default 1000); the rest are counted in one final issue. */
  maxIssues?: number;
  /** Gather per-record reward / advantage columns (line formats only; tabular formats always do). */
  columns?: boolean;
  /** Run context (group size, reward weights, estimator, pixels…); readers fall back to their framework's defaults. */
  context?: RunContext | null;
  /** Folder for persisted indexes (keyed by path + size + mtime; never next to the log). Absent: no cache. */
  cacheDir?: string;
  /**
   * Progressive open (large line formats): called once, as soon as the first records are indexed, with the
   * log object whose counts keep growing until the returned promise resolves (`complete` turns true).
   */
  onPartial?(log: RolloutLog): void;
}

export interface BuilderRow {
  /** Index into the builder's `files`. */
  file: number;
  /** 1-based line or row. */
  line: number;
  step: number;
  /** Group key within the step ('key' grouping), or the group id the log names ('field' grouping). */
  groupKey?: string;
  /** Order within the group when the log gives one. */
  indexInGroup?: number;
  /** Logged total reward (NaN when absent). */
  reward?: number;
  /** Logged advantage (NaN when absent). */
  advantage?: number;
  rewards?: Record<string, number | null> | null;
}

export interface FinishOptions {
  format: FormatId;
  /** What was opened. */
  file: string;
  stepKind: StepKind;
  grouping: 'field' | 'key' | 'blocks' | 'none';
  /** For 'blocks' (required unless it can be inferred from advantages) and for checking group sizes. */
  groupSize?: number;
  groupSizeSource?: string;
  groupSizeAssumed?: boolean;
  /** Estimator for recomputed advantages when no row has a logged one. Null: do not recompute. */
  estimator?: AdvantageEstimator | null;
  /** Reward weights by name (missing names weigh 1) for the total when no total is logged. */
  weights?: Record<string, number>;
  context?: RunContext | null;
  bytes: number;
  /** 'row' for tabular formats: sources and issues then say row, not line. */
  unit?: 'line' | 'row';
  /** Fill a record's null `reward` from the summed rewards (default true; false for eval scores that do not add up). */
  totalFromRewards?: boolean;
  /**
   * 'all': the summed total (and so the recomputed advantages of its group) is unknown when any reward
   * function of the log is missing for the record — for logs that drop entries (VLM-R1 writes an accuracy
   * entry only when reward ≤ 1.0). Default 'any': the sum of the rewards present.
   */
  totalNeeds?: 'any' | 'all';
  read(recordIndex: number, source: SourceRef): { rollout: Rollout | null; issues: LogIssue[] };
  close?(): void;
}

export interface AdvantageEstimator {
  /** 'grpo': (r − mean)/(std + ε); 'dr-grpo': r − mean (TRL scale_rewards="none"); 'rloo': leave-one-out baseline; 'batch': (r − mean_group)/(std_batch + ε) per step. */
  kind: 'grpo' | 'dr-grpo' | 'rloo' | 'batch';
  epsilon: number;
  /** Where the choice came from, for "assumed" labels. */
  source: string;
  assumed: boolean;
}

/** Collects rows in file order and builds a RolloutLog. */
export class LogBuilder {
  readonly files: string[] = [];
  readonly issues: LogIssue[] = [];
  private suppressed = 0;
  private readonly fileOf = new GrowableF64(4096, 0);
  private readonly lines = new GrowableF64(4096, 0);
  private readonly steps = new GrowableF64(4096, 0);
  private readonly iig = new GrowableF64(4096);
  private readonly reward = new GrowableF64(4096);
  private readonly advantage = new GrowableF64(4096);
  private readonly rewardCols = new Map<string, GrowableF64>();
  private readonly keys: (string | undefined)[] = [];
  private anyAdvantage = false;

  constructor(private readonly maxIssues = 1000) {}

  get count(): number {
    return this.steps.length;
  }

  addFile(file: string): number {
    this.files.push(file);
    return this.files.length - 1;
  }

  issue(issue: LogIssue): void {
    if (this.issues.length < this.maxIssues) this.issues.push(issue);
    else this.suppressed++;
  }

  add(row: BuilderRow): number {
    const r = this.steps.length;
    this.fileOf.push(row.file);
    this.lines.push(row.line);
    this.steps.push(row.step);
    this.iig.set(r, row.indexInGroup ?? NaN);
    this.keys.push(row.groupKey);
    const total = row.reward ?? NaN;
    this.reward.set(r, total);
    const adv = row.advantage ?? NaN;
    if (!Number.isNaN(adv)) this.anyAdvantage = true;
    this.advantage.set(r, adv);
    if (row.rewards) {
      for (const [name, v] of Object.entries(row.rewards)) {
        let col = this.rewardCols.get(name);
        if (!col) this.rewardCols.set(name, (col = new GrowableF64(4096)));
        if (typeof v === 'number' && Number.isFinite(v)) col.set(r, v);
      }
    }
    return r;
  }

  finish(o: FinishOptions): RolloutLog {
    const n = this.steps.length;
    const fileArr = this.fileOf.toArray();
    const lineArr = this.lines.toArray();
    const stepArr = this.steps.toArray();
    const iigArr = (this.iig.extendTo(n), this.iig.toArray());
    const rewards = new Map<string, Float64Array>();
    for (const [k, c] of this.rewardCols) {
      c.extendTo(n);
      rewards.set(k, c.toArray());
    }
    this.reward.extendTo(n);
    const reward = this.reward.toArray();
    // total reward: logged, else the weighted sum of the known per-function rewards
    if (rewards.size > 0) {
      for (let r = 0; r < n; r++) {
        if (!Number.isNaN(reward[r])) continue;
        let sum = 0;
        let any = false;
        let missing = false;
        for (const [name, col] of rewards) {
          const v = col[r];
          if (!Number.isNaN(v)) {
            sum += v * (o.weights?.[name] ?? 1);
            any = true;
          } else missing = true;
        }
        if (any && !(missing && o.totalNeeds === 'all')) reward[r] = sum;
      }
    }
    this.advantage.extendTo(n);
    const advantage = this.advantage.toArray();

    // groups
    let groupSize = o.groupSize;
    let groupSizeSource = o.groupSizeSource;
    let groupSizeAssumed = o.groupSizeAssumed;
    if (o.grouping === 'blocks' && !(groupSize && groupSize > 0)) {
      const inferred = this.anyAdvantage ? inferGroupSize(stepArr, advantage) : null;
      if (inferred) {
        groupSize = inferred;
        groupSizeSource = 'inferred from the logged advantages (each block of G sums to 0)';
        groupSizeAssumed = true;
      }
    }
    const rawGroups: LogGroup[] = [];
    const groupOfRec = new Uint32Array(n);
    if (o.grouping === 'blocks' && groupSize && groupSize > 0) {
      let cur = -1;
      let curStep = NaN;
      let inBlock = 0;
      let ordinal = 0;
      for (let r = 0; r < n; r++) {
        if (stepArr[r] !== curStep || inBlock >= groupSize) {
          if (stepArr[r] !== curStep) ordinal = 0;
          curStep = stepArr[r];
          cur = rawGroups.length;
          rawGroups.push({ step: curStep, groupId: String(ordinal++), records: [] });
          inBlock = 0;
        }
        rawGroups[cur].records.push(r);
        groupOfRec[r] = cur;
        inBlock++;
      }
    } else if (o.grouping === 'blocks' || o.grouping === 'none') {
      // no group size: one group per record (no group statistics are possible)
      const perStep = new Map<number, number>();
      for (let r = 0; r < n; r++) {
        const k = perStep.get(stepArr[r]) ?? 0;
        perStep.set(stepArr[r], k + 1);
        groupOfRec[r] = rawGroups.length;
        rawGroups.push({ step: stepArr[r], groupId: String(k), records: [r] });
      }
    } else {
      const byKey = new Map<string, number>();
      let lastKey: string | undefined;
      let lastStep = NaN;
      let last = -1;
      for (let r = 0; r < n; r++) {
        const key = this.keys[r] ?? '';
        if (key !== lastKey || stepArr[r] !== lastStep) {
          const full = `${stepArr[r]}\u0000${key}`;
          let g = byKey.get(full);
          if (g === undefined) {
            g = rawGroups.length;
            byKey.set(full, g);
            rawGroups.push({ step: stepArr[r], groupId: o.grouping === 'field' ? key : String(rawGroups.length), records: [] });
          }
          last = g;
          lastKey = key;
          lastStep = stepArr[r];
        }
        rawGroups[last].records.push(r);
        groupOfRec[r] = last;
      }
      if (o.grouping === 'key') {
        // number key groups per step in order of first appearance
        const perStep = new Map<number, number>();
        for (const g of rawGroups) {
          const k = perStep.get(g.step) ?? 0;
          perStep.set(g.step, k + 1);
          g.groupId = String(k);
        }
      }
    }
    this.keys.length = 0;
    const order = rawGroups.map((_, i) => i).sort((a, b) => rawGroups[a].step - rawGroups[b].step || a - b);
    const groups = order.map((i) => rawGroups[i]);
    const remap = new Uint32Array(rawGroups.length);
    order.forEach((oldIdx, newIdx) => (remap[oldIdx] = newIdx));
    for (let r = 0; r < n; r++) groupOfRec[r] = remap[groupOfRec[r]];
    for (const g of groups) {
      if (g.records.some((r) => !Number.isNaN(iigArr[r]))) {
        g.records.sort((a, b) => (iigArr[a] || 0) - (iigArr[b] || 0) || a - b);
      }
    }

    // group sizes
    let irregular = 0;
    const MAX_GROUP_WARNINGS = 20;
    if (groupSize && groupSize > 0 && o.grouping !== 'none') {
      for (const g of groups) {
        if (g.records.length !== groupSize) {
          irregular++;
          if (irregular > MAX_GROUP_WARNINGS) continue;
          const first = g.records[0];
          this.issue({
            file: this.files[fileArr[first]] ?? o.file,
            line: lineArr[first],
            message: groupSizeMessage(g.groupId, g.step, g.records.length, groupSize, groupSizeAssumed === true, o.grouping === 'key' ? 'the same prompt' : undefined),
            severity: 'warning',
            ...(o.unit === 'row' ? { unit: 'row' as const } : {}),
          });
        }
      }
    }

    if (irregular > MAX_GROUP_WARNINGS) {
      this.issue({
        file: o.file,
        line: 0,
        message: `${irregular} groups in all hold a number of completions other than G = ${groupSize}${groupSizeAssumed ? ' (assumed)' : ''}; the first ${MAX_GROUP_WARNINGS} are listed`,
        severity: 'warning',
      });
    }

    // advantages
    let advInfo: AdvantageInfo = { source: this.anyAdvantage ? 'logged' : 'none' };
    const recomputed = !this.anyAdvantage && o.estimator && o.grouping !== 'none' && groups.some((g) => g.records.length > 1);
    if (recomputed && o.estimator) {
      recomputeAdvantages(groups, reward, advantage, o.estimator);
      const est = o.estimator;
      advInfo = {
        source: 'recomputed',
        assumptions: `${estimatorLabel(est)}, ε = ${est.epsilon}${est.assumed ? ` (assumed: ${est.source})` : ` (${est.source})`}; G = ${groupSize ?? 'as grouped'}${groupSize && groupSizeAssumed ? ` (assumed${groupSizeSource ? `: ${groupSizeSource}` : ''})` : groupSizeSource ? ` (${groupSizeSource})` : ''}; reward = ${o.weights && Object.keys(o.weights).length ? 'weighted' : 'unweighted'} sum of the logged rewards`,
      };
    }

    this.issues.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
    if (this.suppressed > 0) this.issues.push({ file: o.file, line: 0, message: `${this.suppressed} more issues not listed`, severity: 'warning' });
    const stepList = [...new Set(groups.map((g) => g.step))].sort((a, b) => a - b);
    const files = [...this.files];
    const inRange = (i: number): boolean => Number.isInteger(i) && i >= 0 && i < n;
    const unit = o.unit;
    const sourceOf = (i: number): SourceRef =>
      unit === 'row' ? { file: files[fileArr[i]] ?? o.file, line: lineArr[i], unit } : { file: files[fileArr[i]] ?? o.file, line: lineArr[i] };
    const totalFromRewards = o.totalFromRewards !== false;
    const grouping: GroupingInfo = {
      method: o.grouping === 'blocks' && !(groupSize && groupSize > 0) ? 'none' : o.grouping,
      irregular,
    };
    if (groupSize) grouping.groupSize = groupSize;
    if (groupSizeSource) grouping.groupSizeSource = groupSizeSource;
    if (groupSizeAssumed !== undefined) grouping.groupSizeAssumed = groupSizeAssumed;
    const anyAdv = this.anyAdvantage;
    return {
      format: o.format,
      file: o.file,
      files,
      recordCount: n,
      bytes: o.bytes,
      stepKind: o.stepKind,
      sourceOf,
      lineOf: (i) => lineArr[i],
      stepOf: (i) => stepArr[i],
      groupOf: (i) => groupOfRec[i],
      groups,
      steps: stepList,
      issues: this.issues,
      columns: { reward, advantage, rewards },
      advantage: advInfo,
      grouping,
      context: o.context ?? null,
      read(i) {
        if (!inRange(i)) {
          return { rollout: null, issues: [{ file: o.file, line: 0, message: `no record ${i}: the log has ${n} records`, severity: 'error' }] };
        }
        const out = o.read(i, sourceOf(i));
        const r = out.rollout;
        if (r) {
          r.step = stepArr[i];
          const g = groups[groupOfRec[i]];
          r.groupId = g.groupId;
          r.indexInGroup = g.records.indexOf(i);
          if (r.advantage === null && !anyAdv && !Number.isNaN(advantage[i])) {
            r.advantage = advantage[i];
            r.advantageSource = 'recomputed';
          }
          if (r.reward === null && totalFromRewards && !Number.isNaN(reward[i])) r.reward = reward[i];
        }
        return out;
      },
      close() {
        o.close?.();
      },
    };
  }
}

/** The warning for a group whose size is not G; a multiple of G under key grouping means prompts that cannot be told apart. */
export function groupSizeMessage(groupId: string, step: number, size: number, G: number, assumed: boolean, keyWords?: string): string {
  const base = `group ${groupId} at step ${step} holds ${size} completion${size === 1 ? '' : 's'}, expected G = ${G}${assumed ? ' (assumed)' : ''}`;
  if (keyWords && size > G && size % G === 0) {
    return `${base}: ${size / G} prompts with ${keyWords} share it (the log holds nothing that tells their completions apart)`;
  }
  return base;
}

export function estimatorLabel(e: AdvantageEstimator): string {
  switch (e.kind) {
    case 'grpo':
      return 'GRPO (r − mean) / (std + ε), unbiased std';
    case 'dr-grpo':
      return 'Dr. GRPO r − mean (no std scaling)';
    case 'rloo':
      return 'RLOO r − mean of the others';
    case 'batch':
      return 'GRPO with batch std (r − group mean) / (batch std + ε)';
  }
}

/** Unbiased (n − 1) standard deviation; NaN for fewer than two values, as torch.std gives. */
function stdUnbiased(vals: number[], mean: number): number {
  if (vals.length < 2) return NaN;
  let s = 0;
  for (const v of vals) s += (v - mean) * (v - mean);
  return Math.sqrt(s / (vals.length - 1));
}

/** Fill `advantage` per group from `reward` with the estimator (NaN rewards give NaN advantages). */
export function recomputeAdvantages(groups: readonly LogGroup[], reward: Float64Array, advantage: Float64Array, est: AdvantageEstimator): void {
  const batchStd = new Map<number, number>();
  if (est.kind === 'batch') {
    const perStep = new Map<number, number[]>();
    for (const g of groups) {
      const list = perStep.get(g.step) ?? [];
      for (const r of g.records) if (!Number.isNaN(reward[r])) list.push(reward[r]);
      perStep.set(g.step, list);
    }
    for (const [step, vals] of perStep) {
      const mean = vals.reduce((a, b) => a + b, 0) / (vals.length || 1);
      batchStd.set(step, stdUnbiased(vals, mean));
    }
  }
  for (const g of groups) {
    const vals = g.records.map((r) => reward[r]);
    if (vals.some((v) => Number.isNaN(v)) || vals.length < 2) continue;
    const sum = vals.reduce((a, b) => a + b, 0);
    const mean = sum / vals.length;
    const std = est.kind === 'grpo' ? stdUnbiased(vals, mean) : NaN;
    g.records.forEach((r, k) => {
      const v = vals[k];
      switch (est.kind) {
        case 'grpo':
          advantage[r] = (v - mean) / (std + est.epsilon);
          break;
        case 'dr-grpo':
          advantage[r] = v - mean;
          break;
        case 'rloo':
          advantage[r] = v - (sum - v) / (vals.length - 1);
          break;
        case 'batch':
          advantage[r] = (v - mean) / ((batchStd.get(g.step) ?? NaN) + est.epsilon);
          break;
      }
    });
  }
}

/**
 * Smallest G ≥ 2 that splits every step's rows into consecutive blocks whose logged advantages sum to
 * about 0 (GRPO-style advantages are centred per group). Null when none does.
 */
export function inferGroupSize(steps: Float64Array, advantage: Float64Array): number | null {
  const n = steps.length;
  if (n < 2) return null;
  const runs: Array<[number, number]> = [];
  let s = 0;
  for (let r = 1; r <= n; r++) {
    if (r === n || steps[r] !== steps[s]) {
      runs.push([s, r]);
      s = r;
    }
  }
  let maxLen = 0;
  for (const [a, b] of runs) if (b - a > maxLen) maxLen = b - a;
  for (let G = 2; G <= Math.min(maxLen, 1024); G++) {
    let ok = true;
    let tested = 0;
    for (const [a, b] of runs) {
      if ((b - a) % G !== 0) {
        ok = false;
        break;
      }
      for (let k = a; k < b && ok; k += G) {
        let sum = 0;
        let scale = 0;
        for (let j = k; j < k + G; j++) {
          const v = advantage[j];
          if (Number.isNaN(v)) {
            ok = false;
            break;
          }
          sum += v;
          scale += Math.abs(v);
        }
        if (ok && Math.abs(sum) > 1e-3 * Math.max(1, scale)) ok = false;
        tested++;
      }
      if (!ok) break;
    }
    if (ok && tested > 0) return G;
  }
  return null;
}

/**
 * Replace `read` on the log itself with `post(read(i), i)` (its other members, getters and refresh() stay
 * untouched, which a wrapper object would break for live logs). Returns the same log.
 */
export function wrapRead(
  log: RolloutLog,
  post: (out: { rollout: Rollout | null; issues: LogIssue[] }, i: number) => { rollout: Rollout | null; issues: LogIssue[] },
): RolloutLog {
  const read = log.read.bind(log);
  Object.defineProperty(log, 'read', { configurable: true, writable: true, value: (i: number) => post(read(i), i) });
  return log;
}

/** Natural sort ("2.jsonl" before "10.jsonl"). */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'variant' });
}
