// Judge output files the user points to: verdicts made elsewhere (a script, another judge), matched to the
// completions of the open log. Reads only; never writes. Pure: no `vscode`.
//
// Format: JSONL (one object per line) or a JSON array of objects (also `{"verdicts": […]}` and the like).
// Keys of one object:
// - which completion: `completion_sha256` / `completion_hash` (sha256 hex of the completion text, UTF-8), or
//   `sample_id` (+ optional `step`, `index_in_group` / `index`), or `id` (a sha256 hex is a completion hash,
//   anything else a sample id);
// - the verdict: `verdict` | `label` | `judgement` | `judgment`, a string or an object with label / confidence /
//   rationale; synonyms yes / true / consistent / entailment → supported, no / false / inconsistent /
//   contradiction → contradicted, neutral → unsupported;
// - `confidence` (0–1; 1–100 is read as a percentage), `rationale` | `reason` | `explanation`.
// A bad line is skipped and reported with the file and its 1-based line (JSON arrays: the 1-based row); the
// rest are kept.
//
// Matching (ImportedVerdicts.lookup), first hit wins: completion hash; sample_id + step + index; sample_id +
// step (entries without an index, one per key); sample_id + index (entries without a step, one per key);
// sample_id alone (an entry without step and index, only when the file has one entry for that sample).

import * as fs from 'fs';
import * as path from 'path';
import { StringDecoder } from 'string_decoder';
import type { LogIssue, Rollout, Verdict, VerdictLabel } from '../model';
import { completionHash } from './items';

export interface VerdictEntry {
  verdict: Verdict;
  /** sha256 hex of the completion text, lower case. */
  hash?: string;
  sampleId?: string;
  step?: number;
  index?: number;
  /** 1-based line (JSONL) or row (JSON array) in the file. */
  line: number;
}

export interface VerdictFile {
  entries: VerdictEntry[];
  issues: LogIssue[];
}

/** Issues reported per file at most (one more says how many were left out). */
export const MAX_ISSUES = 200;

const LABEL_SYNONYMS: Readonly<Record<string, VerdictLabel>> = {
  supported: 'supported', support: 'supported', supports: 'supported', yes: 'supported', true: 'supported', consistent: 'supported',
  entailment: 'supported', entailed: 'supported', entails: 'supported', aligned: 'supported', faithful: 'supported',
  contradicted: 'contradicted', contradiction: 'contradicted', contradicts: 'contradicted', contradict: 'contradicted',
  contradictory: 'contradicted', no: 'contradicted', false: 'contradicted', inconsistent: 'contradicted', misaligned: 'contradicted',
  unsupported: 'unsupported', 'not supported': 'unsupported', neutral: 'unsupported', insufficient: 'unsupported', 'not enough info': 'unsupported',
  unknown: 'unknown', unclear: 'unknown', 'n/a': 'unknown', na: 'unknown', none: 'unknown', abstain: 'unknown', undetermined: 'unknown',
};

/** A verdict label from a judge's word for it; null when not recognised. */
export function normaliseVerdictLabel(v: unknown): VerdictLabel | null {
  if (typeof v === 'boolean') return v ? 'supported' : 'contradicted';
  if (typeof v !== 'string') return null;
  const k = v.trim().toLowerCase().replace(/[\s_-]+/g, ' ').replace(/[.!]+$/, '');
  return LABEL_SYNONYMS[k] ?? null;
}

const HASH_KEYS = ['completion_sha256', 'completion_hash'];
const LABEL_KEYS = ['verdict', 'label', 'judgement', 'judgment'];
const RATIONALE_KEYS = ['rationale', 'reason', 'explanation'];
const INDEX_KEYS = ['index_in_group', 'index'];
const WRAPPER_KEYS = ['verdicts', 'results', 'items', 'data', 'records', 'entries', 'judgements', 'judgments'];
const HEX64 = /^[0-9a-f]{64}$/i;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function first(o: Record<string, unknown>, keys: readonly string[]): unknown {
  for (const k of keys) if (o[k] !== undefined && o[k] !== null) return o[k];
  return undefined;
}

function toInt(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return Number(v);
  return undefined;
}

function toConfidence(v: unknown): number | undefined | 'bad' {
  if (v === undefined || v === null) return undefined;
  const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(x) || x < 0 || x > 100) return 'bad';
  return x > 1 ? x / 100 : x;
}

/**
 * One object of a judge file as an entry; a string says why it cannot be used. `warnings` receives problems
 * that do not make the entry unusable.
 */
export function parseVerdictRecord(o: unknown, source: string, line: number, warnings: string[] = []): VerdictEntry | string {
  if (!isObject(o)) return `not a JSON object (${Array.isArray(o) ? 'an array' : o === null ? 'null' : typeof o})`;
  let hash: string | undefined;
  const h = first(o, HASH_KEYS);
  if (h !== undefined) {
    if (typeof h === 'string' && HEX64.test(h.trim())) hash = h.trim().toLowerCase();
    else warnings.push(`completion hash is not 64 hex digits: ${JSON.stringify(h).slice(0, 80)}`);
  }
  let sampleId: string | undefined;
  const sid = o.sample_id;
  if (typeof sid === 'string' && sid !== '') sampleId = sid;
  else if (typeof sid === 'number' && Number.isFinite(sid)) sampleId = String(sid);
  const id = o.id;
  if (typeof id === 'string' && HEX64.test(id.trim())) hash ??= id.trim().toLowerCase();
  else if (sampleId === undefined && ((typeof id === 'string' && id !== '') || (typeof id === 'number' && Number.isFinite(id)))) sampleId = String(id);
  if (hash === undefined && sampleId === undefined) return 'no completion_sha256 / completion_hash, sample_id or id to match it by';

  const raw = first(o, LABEL_KEYS);
  if (raw === undefined) return `no verdict (expected one of ${LABEL_KEYS.join(', ')})`;
  let labelRaw: unknown = raw;
  let conf: unknown = o.confidence;
  let rationale: unknown = first(o, RATIONALE_KEYS);
  if (isObject(raw)) {
    labelRaw = first(raw, ['label', 'verdict', 'judgement', 'judgment']);
    if (raw.confidence !== undefined) conf = raw.confidence;
    const r = first(raw, RATIONALE_KEYS);
    if (r !== undefined) rationale = r;
  }
  const label = normaliseVerdictLabel(labelRaw);
  if (!label) return `unknown verdict ${JSON.stringify(labelRaw)?.slice(0, 80) ?? String(labelRaw)} (expected supported, unsupported, contradicted or unknown, or a synonym)`;
  const verdict: Verdict = { label, source };
  const c = toConfidence(conf);
  if (c === 'bad') warnings.push(`confidence ${JSON.stringify(conf)?.slice(0, 40)} ignored (expected a number in 0–1)`);
  else if (c !== undefined) verdict.confidence = c;
  if (typeof rationale === 'string' && rationale.trim()) verdict.rationale = rationale.trim();

  const e: VerdictEntry = { verdict, line };
  if (hash !== undefined) e.hash = hash;
  if (sampleId !== undefined) {
    e.sampleId = sampleId;
    const step = toInt(o.step);
    if (step !== undefined) e.step = step;
    const index = toInt(first(o, INDEX_KEYS));
    if (index !== undefined) e.index = index;
  }
  return e;
}

/** The verdict source name of a judge file: `file:<basename>`. */
export function fileSourceName(file: string): string {
  return `file:${path.basename(file)}`;
}

class IssueList {
  readonly issues: LogIssue[] = [];
  private dropped = 0;
  constructor(private readonly file: string) {}
  add(line: number, message: string, severity: 'error' | 'warning' = 'error', unit?: 'row'): void {
    if (this.issues.length >= MAX_ISSUES) {
      this.dropped++;
      return;
    }
    const i: LogIssue = { file: this.file, line, message, severity };
    if (unit) i.unit = unit;
    this.issues.push(i);
  }
  done(): LogIssue[] {
    if (this.dropped > 0) this.issues.push({ file: this.file, line: 0, message: `${this.dropped} more problems not listed`, severity: 'warning' });
    return this.issues;
  }
}

/** Read a judge output file (JSONL or JSON). Throws only when the file cannot be read at all. */
export function readVerdictFile(file: string): VerdictFile {
  const source = fileSourceName(file);
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(4096);
    const got = fs.readSync(fd, head, 0, head.length, 0);
    const firstChar = /\S/.exec(head.subarray(0, got).toString('utf8').replace(/^\uFEFF/, ''))?.[0];
    if (firstChar === '[') return parseJsonText(fs.readFileSync(file, 'utf8'), file, source);
    const res = readJsonLines(fd, file, source);
    if (firstChar === '{' && res.entries.length === 0 && res.issues.length > 0 && res.issues[0]!.line === 1) {
      // Perhaps one pretty-printed object (a wrapper with an array of verdicts).
      const size = fs.fstatSync(fd).size;
      if (size < 512 * 1024 * 1024) {
        const text = fs.readFileSync(file, 'utf8');
        try {
          JSON.parse(text.replace(/^\uFEFF/, ''));
          return parseJsonText(text, file, source);
        } catch {
          /* not one JSON value: keep the line report */
        }
      }
    }
    return res;
  } finally {
    fs.closeSync(fd);
  }
}

/** Parse the text of a judge file (JSONL, or a JSON array / wrapper object) already in memory. */
export function parseVerdictText(text: string, file: string): VerdictFile {
  const source = fileSourceName(file);
  const t = text.replace(/^\uFEFF/, '');
  const c = /\S/.exec(t)?.[0];
  if (c === '[') return parseJsonText(t, file, source);
  const issues = new IssueList(file);
  const entries: VerdictEntry[] = [];
  let line = 0;
  for (const l of t.split('\n')) jsonLine(l, ++line, source, entries, issues);
  const res = { entries, issues: issues.done() };
  if (c === '{' && entries.length === 0 && res.issues[0]?.line === 1) {
    try {
      JSON.parse(t);
      return parseJsonText(t, file, source);
    } catch {
      /* keep the line report */
    }
  }
  return res;
}

function jsonLine(l: string, line: number, source: string, entries: VerdictEntry[], issues: IssueList): void {
  const s = l.trim();
  if (!s) return;
  let o: unknown;
  try {
    o = JSON.parse(s);
  } catch (e) {
    issues.add(line, `not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  const warnings: string[] = [];
  const r = parseVerdictRecord(o, source, line, warnings);
  if (typeof r === 'string') issues.add(line, r);
  else entries.push(r);
  for (const w of warnings) issues.add(line, w, 'warning');
}

function readJsonLines(fd: number, file: string, source: string): VerdictFile {
  const issues = new IssueList(file);
  const entries: VerdictEntry[] = [];
  const buf = Buffer.alloc(1 << 20);
  const dec = new StringDecoder('utf8');
  let pos = 0;
  let rest = '';
  let line = 0;
  let firstChunk = true;
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, pos);
    if (n <= 0) break;
    pos += n;
    let chunk = rest + dec.write(buf.subarray(0, n));
    if (firstChunk) {
      chunk = chunk.replace(/^\uFEFF/, '');
      firstChunk = false;
    }
    let start = 0;
    let nl: number;
    while ((nl = chunk.indexOf('\n', start)) >= 0) {
      jsonLine(chunk.slice(start, nl), ++line, source, entries, issues);
      start = nl + 1;
    }
    rest = chunk.slice(start);
  }
  rest += dec.end();
  if (rest.trim()) jsonLine(rest, ++line, source, entries, issues);
  return { entries, issues: issues.done() };
}

function parseJsonText(text: string, file: string, source: string): VerdictFile {
  const issues = new IssueList(file);
  const entries: VerdictEntry[] = [];
  const t = text.replace(/^\uFEFF/, '');
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const at = /position (\d+)/.exec(msg);
    const line = at ? lineAt(t, Number(at[1])) : 0;
    issues.add(line, `not valid JSON: ${msg}`);
    return { entries, issues: issues.done() };
  }
  let rows: unknown[] | null = Array.isArray(v) ? v : null;
  if (!rows && isObject(v)) {
    for (const k of WRAPPER_KEYS) {
      if (Array.isArray(v[k])) {
        rows = v[k] as unknown[];
        break;
      }
    }
    if (!rows) rows = [v];
  }
  if (!rows) {
    issues.add(0, 'expected a JSON array of verdict objects');
    return { entries, issues: issues.done() };
  }
  rows.forEach((o, i) => {
    const warnings: string[] = [];
    const r = parseVerdictRecord(o, source, i + 1, warnings);
    if (typeof r === 'string') issues.add(i + 1, r, 'error', 'row');
    else entries.push(r);
    for (const w of warnings) issues.add(i + 1, w, 'warning', 'row');
  });
  return { entries, issues: issues.done() };
}

function lineAt(text: string, pos: number): number {
  let line = 1;
  const end = Math.min(pos, text.length);
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

// ---------------------------------------------------------------------------------------------------
// Matching

export type MatchKind = 'hash' | 'sample-step-index' | 'sample-step' | 'sample-index' | 'sample';

export interface MatchStats {
  /** Completions looked up. */
  total: number;
  /** Completions that got a verdict. */
  matched: number;
  /** Matched completions per key kind. */
  by: Record<MatchKind, number>;
  /** Entries of the file that matched at least one completion. */
  entriesUsed: number;
  /** Entries of the file. */
  entries: number;
}

const SEP = '\u0000';

/** The verdicts of one judge file, indexed for lookup by completion. */
export class ImportedVerdicts {
  /** Verdict source name: `file:<basename>` (or the entries' own source when no file is given). */
  readonly source: string;
  readonly size: number;
  /** Entries whose full key (hash, or sample + step + index) repeats an earlier one: the later one wins. */
  readonly duplicates: number;
  private readonly byHash = new Map<string, VerdictEntry>();
  private readonly bySSI = new Map<string, VerdictEntry>();
  private readonly bySS = new Map<string, VerdictEntry | null>();
  private readonly bySI = new Map<string, VerdictEntry | null>();
  private readonly bySample = new Map<string, VerdictEntry | null>();

  constructor(entries: readonly VerdictEntry[], file?: string) {
    this.source = file ? fileSourceName(file) : entries[0]?.verdict.source ?? 'file';
    this.size = entries.length;
    let dup = 0;
    const perSample = new Map<string, number>();
    for (const e of entries) if (e.sampleId !== undefined) perSample.set(e.sampleId, (perSample.get(e.sampleId) ?? 0) + 1);
    const once = (m: Map<string, VerdictEntry | null>, k: string, e: VerdictEntry): void => {
      m.set(k, m.has(k) ? null : e); // a second entry for a partial key makes it ambiguous
    };
    for (const src of entries) {
      const e: VerdictEntry = file ? { ...src, verdict: { ...src.verdict, source: this.source } } : src;
      if (e.hash !== undefined) {
        if (this.byHash.has(e.hash)) dup++;
        this.byHash.set(e.hash, e);
      }
      const sid = e.sampleId;
      if (sid === undefined) continue;
      const hasStep = e.step !== undefined;
      const hasIndex = e.index !== undefined;
      if (hasStep && hasIndex) {
        const k = sid + SEP + e.step + SEP + e.index;
        if (this.bySSI.has(k)) dup++;
        this.bySSI.set(k, e);
      } else if (hasStep) once(this.bySS, sid + SEP + e.step, e);
      else if (hasIndex) once(this.bySI, sid + SEP + e.index, e);
      else if (perSample.get(sid) === 1) this.bySample.set(sid, e);
    }
    this.duplicates = dup;
  }

  /** The entry for a completion and how it was matched, or undefined. */
  find(r: Rollout): { entry: VerdictEntry; by: MatchKind } | undefined {
    if (this.byHash.size > 0 && typeof r.completion === 'string') {
      const e = this.byHash.get(completionHash(r.completion));
      if (e) return { entry: e, by: 'hash' };
    }
    const sid = r.sampleId;
    if (sid === undefined || sid === null) return undefined;
    const s = String(sid);
    let e: VerdictEntry | null | undefined = this.bySSI.get(s + SEP + r.step + SEP + r.indexInGroup);
    if (e) return { entry: e, by: 'sample-step-index' };
    e = this.bySS.get(s + SEP + r.step);
    if (e) return { entry: e, by: 'sample-step' };
    e = this.bySI.get(s + SEP + r.indexInGroup);
    if (e) return { entry: e, by: 'sample-index' };
    e = this.bySample.get(s);
    if (e) return { entry: e, by: 'sample' };
    return undefined;
  }

  /** The imported verdict of a completion, or undefined when the file has none for it. */
  lookup(r: Rollout): Verdict | undefined {
    return this.find(r)?.entry.verdict;
  }

  /** The verdict of every record of a log that has one, as [record index, verdict] (unreadable records are skipped). */
  matchLog(log: { readonly recordCount: number; read(i: number): { rollout: Rollout | null } }): Array<[number, Verdict]> {
    const out: Array<[number, Verdict]> = [];
    for (let i = 0; i < log.recordCount; i++) {
      const { rollout } = log.read(i);
      const v = rollout ? this.lookup(rollout) : undefined;
      if (v) out.push([i, v]);
    }
    return out;
  }

  /** How many of these completions the file has a verdict for, and by which key. */
  matchStats(rollouts: Iterable<Rollout>): MatchStats {
    const by: Record<MatchKind, number> = { hash: 0, 'sample-step-index': 0, 'sample-step': 0, 'sample-index': 0, sample: 0 };
    const used = new Set<VerdictEntry>();
    let total = 0;
    let matched = 0;
    for (const r of rollouts) {
      total++;
      const f = this.find(r);
      if (!f) continue;
      matched++;
      by[f.by]++;
      used.add(f.entry);
    }
    return { total, matched, by, entriesUsed: used.size, entries: this.size };
  }

  /** Completions of `rollouts` that got a verdict. */
  matchedCount(rollouts: Iterable<Rollout>): number {
    let n = 0;
    for (const r of rollouts) if (this.find(r)) n++;
    return n;
  }
}
