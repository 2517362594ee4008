// The sample table: one row per record of a log, as typed columns, for the filter language (core/query) and
// the sample list. Base columns come from the log's index (rewards, advantage, groups) and are there at once;
// derived columns (IoU, length, truncation, mismatch, boxes, correctness, verdict …) are filled by `scan`,
// which reads every record once in the background, yielding to the event loop between chunks. Pure: no `vscode`.
//
// Memory: typed arrays only, nothing per row on the JS heap. About 110 bytes a row on top of the log's own
// columns (twelve Float64 columns, three Int32 columns, one byte of flags): ≈ 110 MB for a million rows.
// Prompts are kept as a 53-bit hash per row (two independent 32-bit hashes; a false "same prompt" needs a
// collision, ≈ n² / 2^54), completions as a 32-bit hash (used only to tell identical completions apart).

import type { Rollout } from '../model';
import type { RolloutLog } from '../formats/log';
import type { FieldDef, QueryTable } from '../query/types';
import type { FieldInfo, SampleRow } from '../../protocol/inspector';
import { ZERO_VARIANCE_TOL, deriveRecord, hash53 } from './derive';
import { VERDICT_LABELS, VERDICT_SOURCES, chosenSource, verdictCode, type VerdictChoice, type VerdictSourceKind } from '../judge/types';


export interface ScanOptions {
  signal?: AbortSignal;
  onProgress?(done: number, total: number): void;
  /** Records read between two yields to the event loop (default 500). */
  chunk?: number;
}

export interface ScanResult {
  /** Every row is scanned (false: aborted). */
  complete: boolean;
  scanned: number;
}

/** Fields filled by the scan (not ready until it has read every record). */
export const DERIVED_FIELDS: readonly string[] = ['iou', 'length', 'truncated', 'mismatch', 'boxes', 'degenerate', 'correct', 'verdict', 'verdict_log', 'verdict_rules', 'sample_id'];

const FIXED_FIELDS: readonly FieldDef[] = [
  { name: 'record', type: 'number', description: 'record number in the log (0-based, file order)' },
  { name: 'step', type: 'number', description: 'training step' },
  { name: 'group', type: 'number', description: 'group number (0-based, in step order)' },
  { name: 'index', type: 'number', description: 'position of the completion in its group (0-based)' },
  { name: 'reward', type: 'number', description: 'total reward (logged, else the sum of the reward functions)' },
  { name: 'advantage', type: 'number', description: 'advantage (logged or recomputed)' },
];

const TAIL_FIELDS: readonly FieldDef[] = [
  { name: 'zero_std', type: 'bool', description: "the completion's group has ≥ 2 rewards, all equal (no learning signal)" },
  { name: 'correct', type: 'bool', description: 'correct: the accuracy reward ≥ 0.5 (a reward named acc…/correct…), else the eval verdict' },
  { name: 'iou', type: 'number', description: 'mean over the GT boxes of the best IoU with a predicted box (null: no GT box; 0: nothing predicted)' },
  { name: 'length', type: 'number', description: 'completion length in tokens when the log states them, else in characters' },
  { name: 'truncated', type: 'bool', description: 'cut at the max completion length (logged flag, token count, or an unclosed <answer>)' },
  { name: 'boxes', type: 'number', description: 'number of predicted boxes' },
  { name: 'degenerate', type: 'bool', description: 'a predicted box has zero area, covers the whole image, repeats an earlier one or lies outside the image' },
  { name: 'mismatch', type: 'bool', description: 'a recomputed reward differs from the logged one' },
  { name: 'verdict', type: 'string', description: 'alignment verdict (supported, unsupported, contradicted, unknown) from the chosen source: auto = the log, a judge file, the HTTP judge, the local model, then the rules' },
  { name: 'verdict_log', type: 'string', description: 'verdict written in the log itself' },
  { name: 'verdict_file', type: 'string', description: 'verdict from an imported judge output file' },
  { name: 'verdict_http', type: 'string', description: 'verdict of the HTTP (chat-completions) judge' },
  { name: 'verdict_onnx', type: 'string', description: 'verdict of the local NLI model (onnx)' },
  { name: 'verdict_rules', type: 'string', description: 'verdict of the built-in consistency rules' },
  { name: 'sample_id', type: 'string', description: 'sample id (dataset id, problem id) when the log has one' },
  { name: 'text', type: 'string', description: 'the completion text', text: true },
  { name: 'prompt', type: 'string', description: 'the prompt text', text: true },
  { name: 'answer', type: 'string', description: 'the extracted answer (<answer> content)', text: true },
];

const FIXED_NAMES = new Set([...FIXED_FIELDS, ...TAIL_FIELDS].map((f) => f.name));


interface RewardField {
  /** As logged (the key of SampleRow.rewards). */
  logged: string;
  /** Field name in filters. */
  name: string;
  aliases: string[];
}

/** Value of a text field (`text`, `prompt`, `answer`) of a record, for the query worker. */
export function textFieldValue(r: Rollout, field: string): string | null {
  switch (field) {
    case 'text':
      return r.completion;
    case 'prompt':
      return r.prompt.text;
    case 'answer':
      return r.answer ?? null;
    default:
      return null;
  }
}

/** Candidate aliases of a logged reward name: `rewards/iou_reward` → `iou_reward`, `iou`; `format_reward` → `format`. */
export function rewardAliases(logged: string): string[] {
  const out: string[] = [];
  const add = (s: string): void => {
    const t = s.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
    if (t && /^[A-Za-z_]/.test(t) && t !== logged && !out.includes(t)) out.push(t);
  };
  const last = logged.includes('/') ? logged.slice(logged.lastIndexOf('/') + 1) : logged;
  add(logged);
  add(last);
  const m = /^(.+?)_rewards?$/i.exec(last) ?? /^rewards?_(.+)$/i.exec(last);
  if (m) add(m[1]!);
  return out;
}

class Strings {
  codes: Int32Array;
  readonly dict: string[] = [];
  private readonly index = new Map<string, number>();
  constructor(cap: number) {
    this.codes = new Int32Array(cap).fill(-1);
  }
  code(s: string): number {
    let c = this.index.get(s);
    if (c === undefined) {
      c = this.dict.length;
      this.dict.push(s);
      this.index.set(s, c);
    }
    return c;
  }
  clear(): void {
    this.codes.fill(-1);
    this.dict.length = 0;
    this.index.clear();
  }
}

function growF64(a: Float64Array, cap: number, n: number): Float64Array {
  const b = new Float64Array(cap).fill(NaN);
  b.set(a.subarray(0, n));
  return b;
}

export class SampleTable implements QueryTable {
  private n = 0;
  private cap = 0;
  private scannedRows = 0;
  private scanning: Promise<ScanResult> | null = null;

  // base (from the log's index)
  private reward: Float64Array = new Float64Array(0);
  private advantage: Float64Array = new Float64Array(0);
  /** True when the log has no columns: reward and advantage come from the scan. */
  private baseFromScan = false;
  private rewardCols = new Map<string, Float64Array>();
  private rewardFields: RewardField[] = [];
  private step: Float64Array = new Float64Array(0);
  private group: Float64Array = new Float64Array(0);
  private index: Float64Array = new Float64Array(0);
  private zeroStd: Float64Array = new Float64Array(0);
  private recordCol: Float64Array | null = null;

  // derived (scan)
  private iou: Float64Array = new Float64Array(0);
  private length: Float64Array = new Float64Array(0);
  private truncated: Float64Array = new Float64Array(0);
  private mismatch: Float64Array = new Float64Array(0);
  private boxes: Float64Array = new Float64Array(0);
  private degenerate: Float64Array = new Float64Array(0);
  private correct: Float64Array = new Float64Array(0);
  private promptKey: Float64Array = new Float64Array(0);
  private textHash: Int32Array = new Int32Array(0);
  /** Bit 0: length in tokens. */
  private flags: Uint8Array = new Uint8Array(0);
  /** Verdict codes (index in VERDICT_LABELS, -1 none) per source: log and rules from the scan, the others set by judges. */
  private vcodes = new Map<VerdictSourceKind, Int8Array>();
  private vchoice: VerdictChoice = 'auto';
  private resolvedVerdicts: { version: number; codes: Int32Array } | null = null;
  private sourceVerdicts = new Map<VerdictSourceKind, { version: number; codes: Int32Array }>();
  private sampleId = new Strings(0);
  private lengthUnits = { tokens: 0, chars: 0 };
  private correctByCounts = new Map<string, number>();
  /** The reward column `correct` is prefilled from (first name matching /acc|correct/i), if any. */
  private correctColumn: string | null = null;

  private fieldCache: FieldDef[] | null = null;
  private lookup = new Map<string, string>();
  private groups: RolloutLog['groups'] = [];
  /** Bumped whenever rows or values change (caches of derived statistics key on it). */
  private version = 0;

  private constructor() {}

  /** A table over a log opened with `columns: true` (without columns, reward and advantage wait for the scan). */
  static fromLog(log: RolloutLog): SampleTable {
    const t = new SampleTable();
    t.grow(log, { reset: true });
    return t;
  }

  get rowCount(): number {
    return this.n;
  }

  /** Rows the scan has read (rows [0, scanned) have their derived values). */
  get scanned(): number {
    return this.scannedRows;
  }

  get scanComplete(): boolean {
    return this.scannedRows >= this.n;
  }

  /** Scan progress 0–1. */
  get progress(): number {
    return this.n === 0 ? 1 : Math.min(1, this.scannedRows / this.n);
  }

  /** Changes whenever rows are added or the scan fills values. */
  get changeCount(): number {
    return this.version;
  }

  /** Logged reward names, in the log's order. */
  rewardNames(): string[] {
    return this.rewardFields.map((f) => f.logged);
  }

  /** A reward column by its logged name. */
  rewardColumn(logged: string): Float64Array | null {
    const c = this.rewardCols.get(logged);
    return c ? c.subarray(0, this.n) : null;
  }

  /** Whether `lengths` are tokens, characters, or both (mixed logs). */
  get lengthUnit(): 'tokens' | 'chars' | 'mixed' {
    const { tokens, chars } = this.lengthUnits;
    return tokens > 0 && chars > 0 ? 'mixed' : tokens > 0 ? 'tokens' : 'chars';
  }

  /** How `correct` is decided, in words (the most common rule over the scanned rows), or null when unknown. */
  get correctBy(): string | null {
    let best: string | null = null;
    let bestN = 0;
    let total = 0;
    for (const [k, v] of this.correctByCounts) {
      total += v;
      if (v > bestN) {
        best = k;
        bestN = v;
      }
    }
    if (best !== null) return bestN < total ? `${best} (mostly)` : best;
    return this.correctColumn ? `${this.correctColumn} ≥ 0.5` : null;
  }

  /** Whether `correct` has values for rows not yet scanned (prefilled from an accuracy reward column). */
  get correctPrefilled(): boolean {
    return this.correctColumn !== null;
  }

  /** Whether row i has been scanned (its derived values are final). */
  isScanned(i: number): boolean {
    return i < this.scannedRows;
  }

  /** Prompt hash of row i (NaN until scanned). */
  promptKeyOf(i: number): number {
    return this.promptKey[i] ?? NaN;
  }

  /** Completion hash of row i (0 until scanned; check isScanned). */
  textHashOf(i: number): number {
    return this.textHash[i] ?? 0;
  }

  // ------------------------------------------------------------------------------------------------
  // QueryTable

  fields(): FieldDef[] {
    if (this.fieldCache) return this.fieldCache;
    const rewards: FieldDef[] = this.rewardFields.map((f) => {
      const renamed = f.name !== f.logged ? ` (logged as "${f.logged}"; renamed: "${f.logged}" is another field)` : '';
      const d: FieldDef = { name: f.name, type: 'number', description: `reward function ${f.logged}${renamed}`, reward: f.logged };
      if (f.aliases.length) d.aliases = [...f.aliases];
      return d;
    });
    this.fieldCache = [...FIXED_FIELDS.map((f) => ({ ...f })), ...rewards, ...TAIL_FIELDS.map((f) => ({ ...f }))];
    return this.fieldCache;
  }

  /** The field a name or alias means (undefined: none). */
  resolve(name: string): string | undefined {
    this.fields();
    return this.lookup.get(name);
  }

  numeric(name: string): Float64Array | null {
    const f = this.resolve(name);
    if (f === undefined) return null;
    const n = this.n;
    switch (f) {
      case 'record': {
        if (!this.recordCol || this.recordCol.length !== n) {
          this.recordCol = new Float64Array(n);
          for (let i = 0; i < n; i++) this.recordCol[i] = i;
        }
        return this.recordCol;
      }
      case 'step':
        return this.step.subarray(0, n);
      case 'group':
        return this.group.subarray(0, n);
      case 'index':
        return this.index.subarray(0, n);
      case 'reward':
        return this.reward.subarray(0, n);
      case 'advantage':
        return this.advantage.subarray(0, n);
      case 'zero_std':
        return this.zeroStd.subarray(0, n);
      case 'correct':
        return this.correct.subarray(0, n);
      case 'iou':
        return this.iou.subarray(0, n);
      case 'length':
        return this.length.subarray(0, n);
      case 'truncated':
        return this.truncated.subarray(0, n);
      case 'boxes':
        return this.boxes.subarray(0, n);
      case 'degenerate':
        return this.degenerate.subarray(0, n);
      case 'mismatch':
        return this.mismatch.subarray(0, n);
    }
    const rf = this.rewardFields.find((x) => x.name === f);
    if (rf) return this.rewardColumn(rf.logged);
    return null;
  }

  strings(name: string): { codes: Int32Array; dict: readonly string[] } | null {
    const f = this.resolve(name);
    if (f === 'verdict') return { codes: this.verdictCodes(), dict: VERDICT_LABELS };
    if (f?.startsWith('verdict_')) {
      const kind = f.slice('verdict_'.length) as VerdictSourceKind;
      if (!(VERDICT_SOURCES as readonly string[]).includes(kind)) return null;
      let c = this.sourceVerdicts.get(kind);
      if (!c || c.version !== this.version || c.codes.length !== this.n) {
        const src = this.vcodes.get(kind);
        const codes = new Int32Array(this.n).fill(-1);
        if (src) for (let i = 0, m = Math.min(this.n, src.length); i < m; i++) codes[i] = src[i]!;
        c = { version: this.version, codes };
        this.sourceVerdicts.set(kind, c);
      }
      return { codes: c.codes, dict: VERDICT_LABELS };
    }
    if (f === 'sample_id') return { codes: this.sampleId.codes.subarray(0, this.n), dict: this.sampleId.dict };
    return null;
  }

  ready(name: string): boolean {
    const f = this.resolve(name) ?? name;
    if (f === 'verdict_file' || f === 'verdict_http' || f === 'verdict_onnx') return true;
    if (DERIVED_FIELDS.includes(f)) return this.scanComplete;
    if ((f === 'reward' || f === 'advantage') && this.baseFromScan) return this.scanComplete;
    return true;
  }

  fieldInfos(): FieldInfo[] {
    return this.fields().map((f) => {
      const info: FieldInfo = { name: f.name, type: f.type, description: f.description, ready: this.ready(f.name) };
      if (f.reward !== undefined) info.reward = f.reward;
      return info;
    });
  }

  // ------------------------------------------------------------------------------------------------
  // Rows for the list

  sampleRows(rows: Uint32Array, offset: number, limit: number): SampleRow[] {
    const out: SampleRow[] = [];
    const end = Math.min(rows.length, Math.max(0, offset) + Math.max(0, limit));
    const num = (v: number | undefined): number | null => (v === undefined || Number.isNaN(v) ? null : v);
    for (let k = Math.max(0, offset); k < end; k++) {
      const r = rows[k]!;
      if (r >= this.n) continue;
      const rewards: Record<string, number | null> = {};
      for (const f of this.rewardFields) rewards[f.logged] = num(this.rewardCols.get(f.logged)?.[r]);
      const vc = this.verdictAt(r);
      out.push({
        recordIndex: r,
        step: this.step[r]!,
        groupIndex: this.group[r]!,
        indexInGroup: this.index[r]!,
        reward: num(this.reward[r]),
        advantage: num(this.advantage[r]),
        rewards,
        iou: num(this.iou[r]),
        length: num(this.length[r]),
        verdict: vc >= 0 ? VERDICT_LABELS[vc]! : null,
        mismatch: this.mismatch[r] === 1,
        zeroStd: this.zeroStd[r] === 1,
        truncated: this.truncated[r] === 1,
      });
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------------
  // Recurring prompts

  /**
   * Other groups whose first record has the same prompt (text and image paths), in step order, with their
   * mean total reward. Before the scan is complete this covers only groups whose first record it has read
   * (it reads in record order, so earlier steps come first); reading every group's first record up front
   * would cost a read per group, which is not cheap on large logs. [] when the group's own first record is
   * not scanned yet. O(groups) per call.
   */
  recurrences(groupIndex: number): Array<{ groupIndex: number; step: number; meanReward: number | null }> {
    const g = this.groups[groupIndex];
    if (!g || g.records.length === 0) return [];
    const key = this.promptKey[g.records[0]!]!;
    if (Number.isNaN(key) || !this.isScanned(g.records[0]!)) return [];
    const out: Array<{ groupIndex: number; step: number; meanReward: number | null }> = [];
    for (let h = 0; h < this.groups.length; h++) {
      if (h === groupIndex) continue;
      const o = this.groups[h]!;
      const first = o.records[0];
      if (first === undefined || first >= this.n || this.promptKey[first] !== key) continue;
      let sum = 0;
      let cnt = 0;
      for (const r of o.records) {
        const v = this.reward[r]!;
        if (!Number.isNaN(v)) {
          sum += v;
          cnt++;
        }
      }
      out.push({ groupIndex: h, step: o.step, meanReward: cnt ? sum / cnt : null });
    }
    out.sort((a, b) => a.step - b.step || a.groupIndex - b.groupIndex);
    return out;
  }

  // ------------------------------------------------------------------------------------------------
  // Verdicts

  private sourceColumn(kind: VerdictSourceKind): Int8Array {
    let c = this.vcodes.get(kind);
    if (!c || c.length < this.cap) {
      const b = new Int8Array(Math.max(this.cap, this.n)).fill(-1);
      if (c) b.set(c.subarray(0, Math.min(c.length, b.length)));
      this.vcodes.set(kind, (c = b));
    }
    return c;
  }

  /** Which source `verdict` (filters, the list, the alignment rate) uses. */
  get verdictChoice(): VerdictChoice {
    return this.vchoice;
  }

  setVerdictChoice(choice: VerdictChoice): void {
    if (choice === this.vchoice) return;
    this.vchoice = choice;
    this.version++;
  }

  /**
   * Set one judge's verdicts (file, http, onnx) as [row, verdict] pairs. Rows not named keep what they had (a
   * judge run over part of the log, or in chunks).
   */
  setVerdicts(kind: VerdictSourceKind, entries: ReadonlyArray<readonly [number, { readonly label: string }]>): void {
    const c = this.sourceColumn(kind);
    for (const [r, v] of entries) if (r >= 0 && r < c.length) c[r] = verdictCode(v.label);
    this.version++;
  }

  /** Forget one judge's verdicts. */
  clearVerdicts(kind: VerdictSourceKind): void {
    this.vcodes.get(kind)?.fill(-1);
    this.version++;
  }

  /** Verdict code of row r from one source (-1: none). */
  sourceVerdictAt(kind: VerdictSourceKind, r: number): number {
    const c = this.vcodes.get(kind);
    return c && r < c.length ? c[r]! : -1;
  }

  /** Sources that have at least one verdict (in VERDICT_SOURCES order). */
  verdictSources(): VerdictSourceKind[] {
    return VERDICT_SOURCES.filter((k) => {
      const c = this.vcodes.get(k);
      if (!c) return false;
      for (let i = 0, m = Math.min(this.n, c.length); i < m; i++) if (c[i]! >= 0) return true;
      return false;
    });
  }

  /** The raw per-source codes (length ≥ rowCount; -1 none), or null when that source has none. */
  verdictColumn(kind: VerdictSourceKind): Int8Array | null {
    const c = this.vcodes.get(kind);
    return c ? c.subarray(0, this.n) : null;
  }

  /** The source the chosen verdict of row r comes from (null: none). `auto`: the first source with a label other than unknown, else the first with unknown. */
  verdictKindAt(r: number): VerdictSourceKind | null {
    return chosenSource(this.vchoice, (k) => {
      const c = this.sourceVerdictAt(k, r);
      return c < 0 ? null : VERDICT_LABELS[c]!;
    });
  }

  /** Code of the chosen verdict of row r (-1: none). */
  verdictAt(r: number): number {
    const k = this.verdictKindAt(r);
    return k === null ? -1 : this.sourceVerdictAt(k, r);
  }

  private verdictCodes(): Int32Array {
    const c = this.resolvedVerdicts;
    if (c && c.version === this.version && c.codes.length === this.n) return c.codes;
    const codes = new Int32Array(this.n);
    for (let i = 0; i < this.n; i++) codes[i] = this.verdictAt(i);
    this.resolvedVerdicts = { version: this.version, codes };
    return codes;
  }

  // ------------------------------------------------------------------------------------------------
  // Growth

  /**
   * Take in records appended to the log since (indices are stable: records are only appended). Base columns
   * and the group structure are rebuilt from the log; derived values of new rows wait for `scan`, which then
   * goes on from where it stopped. `reset` (the log re-indexed from scratch, `refresh()` said so) or a log
   * that shrank drops every derived value and scans again from the first record.
   */
  grow(log: RolloutLog, opts: { reset?: boolean } = {}): { added: number; reset: boolean } {
    const n = log.recordCount;
    const old = this.n;
    const reset = opts.reset === true || n < old;
    if (reset) this.clearDerived();
    this.ensureCapacity(n);
    this.n = n;
    const from = reset ? 0 : old;
    for (let i = from; i < n; i++) this.step[i] = log.stepOf(i);
    // base columns: views of the log's own arrays (never copied)
    const cols = log.columns;
    this.baseFromScan = cols === null;
    if (cols) {
      this.reward = cols.reward;
      this.advantage = cols.advantage;
      const before = [...this.rewardCols.keys()].join('\u0000');
      this.rewardCols = new Map(cols.rewards);
      if ([...this.rewardCols.keys()].join('\u0000') !== before || this.rewardFields.length === 0) this.buildRewardFields();
    } else {
      if (this.reward.length < this.cap) this.reward = growF64(this.reward, this.cap, old);
      if (this.advantage.length < this.cap) this.advantage = growF64(this.advantage, this.cap, old);
      if (reset) {
        this.reward.fill(NaN);
        this.advantage.fill(NaN);
      }
      this.rewardCols = new Map();
      this.buildRewardFields();
    }
    this.rebuildGroups(log);
    this.prefillCorrect(from, n);
    if (this.recordCol && this.recordCol.length !== n) this.recordCol = null;
    this.version++;
    return { added: reset ? n : n - old, reset };
  }

  private ensureCapacity(n: number): void {
    if (n <= this.cap) return;
    const cap = Math.max(n, Math.ceil(this.cap * 1.5), 1024);
    const keep = this.n;
    this.step = growF64(this.step, cap, keep);
    this.group = growF64(this.group, cap, keep);
    this.index = growF64(this.index, cap, keep);
    this.zeroStd = growF64(this.zeroStd, cap, keep);
    this.iou = growF64(this.iou, cap, keep);
    this.length = growF64(this.length, cap, keep);
    this.truncated = growF64(this.truncated, cap, keep);
    this.mismatch = growF64(this.mismatch, cap, keep);
    this.boxes = growF64(this.boxes, cap, keep);
    this.degenerate = growF64(this.degenerate, cap, keep);
    this.correct = growF64(this.correct, cap, keep);
    this.promptKey = growF64(this.promptKey, cap, keep);
    const th = new Int32Array(cap);
    th.set(this.textHash.subarray(0, keep));
    this.textHash = th;
    const fl = new Uint8Array(cap);
    fl.set(this.flags.subarray(0, keep));
    this.flags = fl;
    for (const s of [this.sampleId]) {
      const c = new Int32Array(cap).fill(-1);
      c.set(s.codes.subarray(0, keep));
      s.codes = c;
    }
    for (const [k, a] of this.vcodes) {
      const c = new Int8Array(cap).fill(-1);
      c.set(a.subarray(0, Math.min(keep, a.length)));
      this.vcodes.set(k, c);
    }
    this.cap = cap;
  }

  private clearDerived(): void {
    for (const a of [this.iou, this.length, this.truncated, this.mismatch, this.boxes, this.degenerate, this.correct, this.promptKey]) a.fill(NaN);
    this.textHash.fill(0);
    this.flags.fill(0);
    for (const k of ['log', 'rules'] as const) this.vcodes.get(k)?.fill(-1);
    this.sampleId.clear();
    this.lengthUnits = { tokens: 0, chars: 0 };
    this.correctByCounts.clear();
    this.scannedRows = 0;
  }

  private buildRewardFields(): void {
    const taken = new Set<string>(FIXED_NAMES);
    const fields: RewardField[] = [];
    for (const logged of this.rewardCols.keys()) {
      let name = logged;
      if (taken.has(name)) {
        const base = logged.replace(/[^A-Za-z0-9_]+/g, '_');
        const tries = [`${base}_reward`, `reward_${base}`];
        name = tries.find((t) => !taken.has(t)) ?? '';
        for (let k = 2; !name; k++) if (!taken.has(`${base}_reward_${k}`)) name = `${base}_reward_${k}`;
      }
      taken.add(name);
      fields.push({ logged, name, aliases: [] });
    }
    // aliases after every primary name is taken, so that an alias never shadows a logged name
    for (const f of fields) {
      for (const a of rewardAliases(f.logged)) {
        if (taken.has(a)) continue;
        taken.add(a);
        f.aliases.push(a);
      }
    }
    this.rewardFields = fields;
    this.correctColumn = [...this.rewardCols.keys()].find((k) => /acc|correct/i.test(k)) ?? null;
    this.fieldCache = null;
    this.lookup = new Map();
    for (const f of [...FIXED_FIELDS, ...TAIL_FIELDS]) this.lookup.set(f.name, f.name);
    for (const f of fields) {
      this.lookup.set(f.name, f.name);
      for (const a of f.aliases) this.lookup.set(a, f.name);
    }
  }

  private rebuildGroups(log: RolloutLog): void {
    this.groups = log.groups;
    const n = this.n;
    const reward = this.reward;
    for (let gi = 0; gi < this.groups.length; gi++) {
      const recs = this.groups[gi]!.records;
      let first = NaN;
      let finite = 0;
      let equal = true;
      for (let k = 0; k < recs.length; k++) {
        const r = recs[k]!;
        if (r >= n) continue;
        this.group[r] = gi;
        this.index[r] = k;
        const v = reward[r]!;
        if (Number.isNaN(v)) continue;
        if (finite === 0) first = v;
        else if (Math.abs(v - first) >= ZERO_VARIANCE_TOL) equal = false;
        finite++;
      }
      const z = finite >= 2 && equal ? 1 : 0;
      for (const r of recs) if (r < n) this.zeroStd[r] = z;
    }
  }

  /** `correct` from the first accuracy-like reward column, until the scan gives the final value. */
  private prefillCorrect(from: number, to: number): void {
    const names = [...this.rewardCols.keys()].filter((k) => /acc|correct/i.test(k));
    if (names.length === 0) return;
    const cols = names.map((k) => this.rewardCols.get(k)!);
    for (let i = Math.max(from, this.scannedRows); i < to; i++) {
      for (const c of cols) {
        const v = c[i]!;
        if (Number.isFinite(v)) {
          this.correct[i] = v >= 0.5 ? 1 : 0;
          break;
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Scan

  /**
   * Read every record not yet scanned, in order, and fill the derived columns. Yields to the event loop after
   * each chunk. Resolves (never rejects) when done or aborted; a later call goes on from where it stopped and
   * also covers rows added by `grow`. A call while a scan runs returns that scan.
   */
  scan(log: RolloutLog, opts: ScanOptions = {}): Promise<ScanResult> {
    if (this.scanning) return this.scanning;
    const run = async (): Promise<ScanResult> => {
      const chunk = Math.max(1, Math.floor(opts.chunk ?? 500));
      while (this.scannedRows < this.n) {
        if (opts.signal?.aborted) return { complete: false, scanned: this.scannedRows };
        const end = Math.min(this.n, this.scannedRows + chunk);
        for (let i = this.scannedRows; i < end; i++) this.scanOne(log, i);
        this.scannedRows = end;
        this.version++;
        try {
          opts.onProgress?.(this.scannedRows, this.n);
        } catch {
          // a progress callback's failure must not stop the scan
        }
        await new Promise<void>((r) => setImmediate(r));
      }
      // without log columns the rewards came from the scan: zero_std can only be computed now
      if (this.baseFromScan) this.rebuildGroups(log);
      return { complete: true, scanned: this.scannedRows };
    };
    this.scanning = run().finally(() => {
      this.scanning = null;
    });
    return this.scanning;
  }

  private scanOne(log: RolloutLog, i: number): void {
    let rollout: Rollout | null = null;
    try {
      rollout = log.read(i).rollout;
    } catch {
      rollout = null;
    }
    if (!rollout) return;
    if (this.baseFromScan) {
      this.reward[i] = rollout.reward ?? NaN;
      this.advantage[i] = rollout.advantage ?? NaN;
    }
    let d;
    try {
      d = deriveRecord(rollout, log.context, log.format);
    } catch {
      return;
    }
    this.iou[i] = d.iou ?? NaN;
    this.length[i] = d.length;
    if (d.lengthUnit === 'tokens') {
      this.flags[i] |= 1;
      this.lengthUnits.tokens++;
    } else this.lengthUnits.chars++;
    this.truncated[i] = d.truncated === null ? NaN : d.truncated ? 1 : 0;
    this.mismatch[i] = d.mismatch ? 1 : 0;
    this.boxes[i] = rollout.predicted.length;
    this.degenerate[i] = d.degenerate ? 1 : 0;
    this.correct[i] = d.correct === null ? NaN : d.correct ? 1 : 0;
    if (d.correctBy) this.correctByCounts.set(d.correctBy, (this.correctByCounts.get(d.correctBy) ?? 0) + 1);
    this.promptKey[i] = hash53(d.promptKey);
    this.textHash[i] = d.textHash;
    this.sourceColumn('log')[i] = verdictCode(d.verdict);
    this.sourceColumn('rules')[i] = verdictCode(d.ruleVerdict.label);
    this.sampleId.codes[i] = rollout.sampleId === undefined ? -1 : this.sampleId.code(rollout.sampleId);
  }
}
