// Readers for evaluation outputs (no steps, no groups; every record carries `eval`: correct / scores / slice).
//
// 1. `eval-jsonl` — Rollout Lens eval JSONL (`*.eval.jsonl`): one JSON object per line, one evaluated sample.
//      sample_id   string | number   REQUIRED. The sample's identity (dataset id, question id).
//      completion  string            REQUIRED. The model output.
//      prompt      string | {text: string, images: [...]}   The question or chat prompt.
//      images      [path | {path, width?, height?, input_width?, input_height?}]   Prompt images
//                  (`image`: one path or object). Sizes in pixels; input_* = the model-input size after the
//                  processor's resize, which lets predicted Qwen2.5-VL boxes be mapped exactly.
//      reference   {answer?: any, boxes?: [[x1, y1, x2, y2] | {bbox, label?, frame?, image_index?}]}
//                  The ground truth, as in the rollout-lens format (boxes in original-image pixels unless
//                  `frame` says 'model-input' | 'norm1000' | 'norm1').
//      correct     true | false | null   Whether the answer was judged correct (null or absent: not judged).
//      scores      {name: number | null}  Per-metric scores (iou, f1, accuracy…).
//      slice       {dataset?, category?, split?, …: string}   What the sample belongs to (for breakdowns).
//      checkpoint  string            The checkpoint evaluated (a path or a step label).
//      extra       object            Anything else, shown as is (unknown top-level keys are kept there too).
//    Predicted boxes are parsed from the completion as for rollout logs. A line with `group_id` is a rollout
//    log line, not an eval line. Lines are indexed by byte offset and parsed again when shown.
// 2. `r1v-eval-json` — R1-V `src/eval/logs/*.json`: `{accuracy, results: [{question: {image_path, question,
//    ground_truth} | string, ground_truth, model_output, extracted_answer, is_correct? | correct?}]}`, and
//    VLM-R1 `src/eval/test_rec_r1.py` `rec_results_*.json`: results `{image, question, ground_truth (box,
//    original pixels), model_output, input_size [H, W], image_size [H, W], extracted_answer, correct 0/1}`.
//    NB VLM-R1's `resize_bbox` maps the box in place before it is written, so `extracted_answer` is already
//    in original pixels; the predicted box parsed from `model_output` is in model-input pixels and is mapped
//    with the logged input_size / image_size (known, not assumed).
// 3. `generated-responses-json` — `[{true_response, predicted_response}]` (Jakhongir0103/VLM-R1 results).
// JSON files are read whole (eval-sized). Correctness the file does not state is recomputed and marked
// `extra.correct_source = 'recomputed'` (else 'logged'). Pure: no `vscode`.

import * as fs from 'fs';
import * as path from 'path';
import type { BoxCoords, EvalInfo, ImageRef, LogIssue, Rollout, SourceRef } from '../model';
import { FormatId, FormatReader, LogBuilder, ReadOptions, RolloutLog } from './log';
import { GrowableF64, parseJsonLenient, scanLines } from './lineIndex';
import { extractAnswer } from '../geometry/qwen25';
import { iou } from '../geometry/iou';
import { toRollout } from './rolloutLensRecord';
import {
  RecordFields,
  boxesFromValue,
  buildRollout,
  fmtBox,
  isObject,
  makeImageLookup,
  parseLoose,
  pixelBudget,
  show,
  withUnit,
} from './recordCommon';

/** Per-log facts of an eval file, attached to the returned log as `evalMeta`. */
export interface EvalLogMeta {
  /** The accuracy the file states (R1-V and VLM-R1 write a percentage, 0–100); null when it states none. */
  reportedAccuracy: number | null;
  /** correct / judged over the records read (0–1); null when no record is judged. */
  accuracy: number | null;
  /** Records with a verdict (correct true or false). */
  judged: number;
  correct: number;
  /** Records whose correctness the reader recomputed (the file did not state it). */
  recomputed: number;
  /** Top-level fields of the file other than the results (model_path, …). */
  fields: Record<string, unknown>;
}

export interface EvalRolloutLog extends RolloutLog {
  readonly evalMeta: EvalLogMeta;
}

// ---------------------------------------------------------------------------------------------------
// Readers

export const evalJsonlReader: FormatReader = {
  id: 'eval-jsonl',
  sniff(file, head) {
    if (/\.eval\.jsonl$/i.test(file)) return true;
    const line = firstLine(head);
    if (line === null || !line.text.startsWith('{')) return false;
    if (line.complete) {
      try {
        const v = parseJsonLenient(line.text).value;
        return isEvalShaped(v);
      } catch {
        return false;
      }
    }
    const t = line.text;
    return /"completion"\s*:/.test(t) && /"sample_id"\s*:/.test(t) && /"(correct|scores)"\s*:/.test(t) && !/"group_id"\s*:/.test(t);
  },
  open: (files, opts) => openEvalJsonl(one(files, 'an eval JSONL log'), opts),
};

export const r1vEvalReader: FormatReader = {
  id: 'r1v-eval-json',
  sniff(_file, head) {
    const t = stripBom(head.toString('utf8')).trimStart();
    return t.startsWith('{') && /"results"\s*:\s*\[/.test(t) && /"model_output"\s*:/.test(t);
  },
  open: (files, opts) => openR1vEval(one(files, 'an eval results JSON'), opts),
};

export const generatedResponsesReader: FormatReader = {
  id: 'generated-responses-json',
  sniff(_file, head) {
    const t = stripBom(head.toString('utf8')).trimStart();
    return t.startsWith('[') && /"predicted_response"\s*:/.test(t) && /"true_response"\s*:/.test(t);
  },
  open: (files, opts) => openGeneratedResponses(one(files, 'a generated_responses JSON'), opts),
};

function one(files: string[], what: string): string {
  if (files.length !== 1) throw new Error(`${what} is one file; got ${files.length}`);
  return files[0];
}

function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

function firstLine(head: Buffer): { text: string; complete: boolean } | null {
  const text = stripBom(head.toString('utf8'));
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const line = text.slice(pos, nl < 0 ? text.length : nl).trim();
    if (line.length > 0) return { text: line, complete: nl >= 0 };
    if (nl < 0) break;
    pos = nl + 1;
  }
  return null;
}

function isEvalShaped(v: unknown): boolean {
  return isObject(v) && 'completion' in v && 'sample_id' in v && ('correct' in v || 'scores' in v) && !('group_id' in v);
}

// ---------------------------------------------------------------------------------------------------
// Eval JSONL

const EVAL_KEYS = ['correct', 'scores', 'slice', 'checkpoint'] as const;

/** One parsed eval line: the value, its eval info, and what was off. Never throws. */
export interface EvalLine {
  value: Record<string, unknown>;
  sampleId: string;
  eval: EvalInfo;
  problems: string[];
}

/** Parse and check one eval JSONL line. `{ error }` when it cannot be used (not JSON, required fields bad). */
export function parseEvalLine(text: string): EvalLine | { error: string } {
  let value: unknown;
  const problems: string[] = [];
  try {
    const p = parseJsonLenient(text);
    value = p.value;
    if (p.replacedNonFinite) problems.push('NaN/Infinity in the line read as null');
  } catch (e) {
    return { error: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!isObject(value)) return { error: `not a JSON object (got ${Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value})` };
  const o = value;
  if (!('sample_id' in o)) return { error: 'missing required field sample_id' };
  if (!('completion' in o)) return { error: 'missing required field completion' };
  const sid = o.sample_id;
  if (!(typeof sid === 'string' || (typeof sid === 'number' && Number.isFinite(sid)))) return { error: `field sample_id must be a string or a number, got ${show(sid)}` };
  if (typeof o.completion !== 'string') return { error: `field completion must be a string, got ${show(o.completion)}` };
  if ('group_id' in o) problems.push('group_id in an eval line: ignored (eval records are not grouped)');
  const info: EvalInfo = { correct: null, scores: {}, slice: {} };
  if (typeof o.correct === 'boolean') info.correct = o.correct;
  else if (o.correct === 0 || o.correct === 1) info.correct = o.correct === 1;
  else if (o.correct !== undefined && o.correct !== null) problems.push(`correct must be true, false or null, got ${show(o.correct)} (read as not judged)`);
  if (isObject(o.scores)) {
    for (const [k, v] of Object.entries(o.scores)) {
      if (v === null || (typeof v === 'number' && Number.isFinite(v))) info.scores[k] = v;
      else if (typeof v === 'boolean') info.scores[k] = v ? 1 : 0;
      else {
        info.scores[k] = null;
        problems.push(`score ${k} must be a number or null, got ${show(v)}`);
      }
    }
  } else if (o.scores !== undefined && o.scores !== null) problems.push(`scores must be an object, got ${show(o.scores)}`);
  if (isObject(o.slice)) {
    for (const [k, v] of Object.entries(o.slice)) {
      if (typeof v === 'string') info.slice[k] = v;
      else if (typeof v === 'number' || typeof v === 'boolean') info.slice[k] = String(v);
      else if (v !== null && v !== undefined) problems.push(`slice.${k} must be a string, got ${show(v)}`);
    }
  } else if (o.slice !== undefined && o.slice !== null) problems.push(`slice must be an object, got ${show(o.slice)}`);
  if (typeof o.checkpoint === 'string') info.checkpoint = o.checkpoint;
  else if (typeof o.checkpoint === 'number') info.checkpoint = String(o.checkpoint);
  else if (o.checkpoint !== undefined && o.checkpoint !== null) problems.push(`checkpoint must be a string, got ${show(o.checkpoint)}`);
  return { value: o, sampleId: String(sid), eval: info, problems };
}

export async function openEvalJsonl(file: string, opts: ReadOptions & { target?: string } = {}): Promise<EvalRolloutLog> {
  const builder = new LogBuilder(opts.maxIssues ?? 1000);
  builder.addFile(file);
  const starts = new GrowableF64(1024, 0);
  const ends = new GrowableF64(1024, 0);
  const seen = new Map<string, number>();
  const meta = emptyMeta();
  const { bytes } = await scanLines(
    file,
    (buf, s, e, line, offset) => {
      const parsed = parseEvalLine(buf.toString('utf8', s, e));
      if ('error' in parsed) {
        builder.issue({ file, line, message: parsed.error, severity: 'error' });
        return;
      }
      for (const p of parsed.problems) builder.issue({ file, line, message: p, severity: 'warning' });
      const dup = seen.get(parsed.sampleId);
      if (dup !== undefined) builder.issue({ file, line, message: `sample_id ${parsed.sampleId} also on line ${dup}`, severity: 'warning' });
      else seen.set(parsed.sampleId, line);
      count(meta, parsed.eval.correct, false);
      builder.add({ file: 0, line, step: 0 });
      starts.push(offset);
      ends.push(offset + (e - s));
    },
    { chunkSize: opts.chunkSize, onProgress: opts.onProgress },
  );
  finishMeta(meta);
  const startArr = starts.toArray();
  const endArr = ends.toArray();
  const logDir = path.dirname(path.resolve(file));
  const lookupImage = makeImageLookup({ logDir }, opts);
  let fd: number | null = null;
  const log = builder.finish({
    format: 'eval-jsonl',
    file: opts.target ?? file,
    stepKind: 'none',
    grouping: 'none',
    estimator: null,
    context: opts.context ?? null,
    bytes,
    read(i, source) {
      const fail = (message: string): { rollout: null; issues: LogIssue[] } => ({ rollout: null, issues: [{ file, line: source.line, message, severity: 'error' }] });
      let text: string;
      try {
        if (fd === null) fd = fs.openSync(file, 'r');
        const len = endArr[i] - startArr[i];
        const buf = Buffer.allocUnsafe(len);
        let got = 0;
        while (got < len) {
          const r = fs.readSync(fd, buf, got, len - got, startArr[i] + got);
          if (r === 0) break;
          got += r;
        }
        if (got < len) return fail('the file is shorter than when it was indexed (was it truncated or rewritten?)');
        text = buf.toString('utf8');
      } catch (e) {
        return fail(`cannot read the line: ${e instanceof Error ? e.message : String(e)}`);
      }
      const parsed = parseEvalLine(text);
      if ('error' in parsed) return fail(parsed.error);
      return evalLineToRollout(parsed, { file, line: source.line, lookupImage, imageRoots: opts.imageRoots ?? [] });
    },
    close() {
      if (fd !== null) {
        try {
          fs.closeSync(fd);
        } catch {
          /* already closed */
        }
        fd = null;
      }
    },
  });
  return Object.assign(log, { evalMeta: meta });
}

/** The Rollout of a parsed eval line (images, reference and boxes read as in the rollout-lens format). */
export function evalLineToRollout(
  parsed: EvalLine,
  ctx: { file: string; line: number; lookupImage: Parameters<typeof toRollout>[1]['lookupImage']; imageRoots: readonly string[] },
): { rollout: Rollout | null; issues: LogIssue[] } {
  const o = { ...parsed.value };
  delete o.group_id;
  const asRecord = { ...o, step: 0, group_id: parsed.sampleId, index_in_group: 0 };
  const out = toRollout(asRecord, { file: ctx.file, line: ctx.line, lookupImage: ctx.lookupImage, imageRoots: ctx.imageRoots });
  const pre: LogIssue[] = parsed.problems.map((message) => ({ file: ctx.file, line: ctx.line, message, severity: 'warning' }));
  const r = out.rollout;
  if (r) {
    for (const k of EVAL_KEYS) delete r.extra[k];
    r.sampleId = parsed.sampleId;
    r.eval = parsed.eval;
    if (parsed.eval.correct !== null) r.extra.correct_source = 'logged';
  }
  return { rollout: r, issues: [...pre, ...out.issues] };
}

function emptyMeta(): EvalLogMeta {
  return { reportedAccuracy: null, accuracy: null, judged: 0, correct: 0, recomputed: 0, fields: {} };
}

function count(meta: EvalLogMeta, correct: boolean | null, recomputed: boolean): void {
  if (correct === null) return;
  meta.judged++;
  if (correct) meta.correct++;
  if (recomputed) meta.recomputed++;
}

function finishMeta(meta: EvalLogMeta): void {
  meta.accuracy = meta.judged > 0 ? meta.correct / meta.judged : null;
}

// ---------------------------------------------------------------------------------------------------
// JSON array files

/**
 * 1-based line where each element of a JSON array starts: the top-level array (`key` null) or the array under
 * the top-level key `key`. Strings are skipped (escapes honoured). Never throws.
 */
export function jsonArrayElementLines(text: string, key: string | null): number[] {
  const out: number[] = [];
  let line = 1;
  let depth = 0;
  let target = -1;
  let awaiting = false;
  let lastString: string | null = null;
  let keyOfNext: string | null = null;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      line++;
      continue;
    }
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0xfeff) continue;
    if (depth === target && awaiting && c !== 0x5d) {
      out.push(line);
      awaiting = false;
    }
    if (c === 0x22) {
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 0x5c) {
          j += 2;
          continue;
        }
        if (d === 0x22) break;
        if (d === 0x0a) line++;
        j++;
      }
      if (depth === 1 && key !== null) lastString = text.slice(i + 1, Math.min(j, i + 1 + 200));
      i = j;
      continue;
    }
    if (c === 0x3a) {
      if (depth === 1) keyOfNext = lastString;
      continue;
    }
    if (c === 0x2c) {
      if (depth === target) awaiting = true;
      if (depth === 1) keyOfNext = null;
      continue;
    }
    if (c === 0x5b || c === 0x7b) {
      depth++;
      if (c === 0x5b && target === -1 && ((key === null && depth === 1) || (key !== null && depth === 2 && keyOfNext === key))) {
        target = depth;
        awaiting = true;
      }
      continue;
    }
    if (c === 0x5d || c === 0x7d) {
      if (depth === target) target = -2;
      depth--;
    }
  }
  return out;
}

interface ArrayFile {
  text: string;
  value: unknown;
  replacedNonFinite: boolean;
  bytes: number;
}

function readJsonFile(file: string): ArrayFile {
  const buf = fs.readFileSync(file);
  const text = stripBom(buf.toString('utf8'));
  const p = parseJsonLenient(text);
  return { text, value: p.value, replacedNonFinite: p.replacedNonFinite, bytes: buf.length };
}

interface ElementRecord {
  fields: RecordFields;
  eval: EvalInfo;
  issues: string[];
  /** Mapped predicted box vs extracted_answer, checked at read time (REC). */
  extracted?: BoxCoords;
  /** The reference boxes are original pixels by the file's own definition (VLM-R1 REC eval). */
  referenceFrameKnown?: boolean;
}

/** Build a log over a JSON array's elements (kept in memory; eval-sized). */
function arrayLog(
  format: FormatId,
  file: string,
  opts: ReadOptions & { target?: string },
  loaded: ArrayFile,
  elements: unknown[],
  key: string | null,
  toRecord: (el: unknown, index: number) => ElementRecord | { error: string },
  meta: EvalLogMeta,
  extraIssues: LogIssue[],
): EvalRolloutLog {
  const builder = new LogBuilder(opts.maxIssues ?? 1000);
  builder.addFile(file);
  for (const i of extraIssues) builder.issue(i);
  let lines = jsonArrayElementLines(loaded.text, key);
  const unit: 'line' | 'row' = lines.length === elements.length ? 'line' : 'row';
  if (unit === 'row') lines = elements.map((_, k) => k + 1);
  const unitOf = unit === 'row' ? 'row' : undefined;
  if (loaded.replacedNonFinite) builder.issue({ file, line: 0, message: 'NaN/Infinity in the file read as null', severity: 'warning' });
  const records: ElementRecord[] = [];
  elements.forEach((el, k) => {
    const rec = toRecord(el, k);
    if ('error' in rec) {
      builder.issue(withUnit({ file, line: lines[k], message: rec.error, severity: 'error' }, unitOf));
      return;
    }
    for (const m of rec.issues) builder.issue(withUnit({ file, line: lines[k], message: m, severity: 'warning' }, unitOf));
    count(meta, rec.eval.correct, rec.fields.extra.correct_source === 'recomputed');
    records.push(rec);
    builder.add({ file: 0, line: lines[k], step: 0 });
  });
  finishMeta(meta);
  if (meta.reportedAccuracy !== null && meta.accuracy !== null && Math.abs(meta.reportedAccuracy - meta.accuracy * 100) > 0.05) {
    builder.issue({
      file,
      line: 0,
      message: `the file states accuracy ${round(meta.reportedAccuracy)} %; the ${meta.judged} results read give ${round(meta.accuracy * 100)} %${meta.recomputed ? ` (${meta.recomputed} judged by the reader)` : ''}`,
      severity: 'warning',
    });
  }
  const lookupImage = makeImageLookup({ logDir: path.dirname(path.resolve(file)) }, opts);
  const pixels = pixelBudget(opts.context);
  const log = builder.finish({
    format,
    file: opts.target ?? file,
    stepKind: 'none',
    grouping: 'none',
    estimator: null,
    context: opts.context ?? null,
    bytes: loaded.bytes,
    read(i, source0) {
      const source: SourceRef = unit === 'row' ? { ...source0, unit } : source0;
      const rec = records[i];
      const fields: RecordFields = { ...rec.fields, images: rec.fields.images.map((im) => ({ ...im })), extra: { ...rec.fields.extra } };
      const out = buildRollout(fields, { source, lookupImage, imageRoots: opts.imageRoots ?? [], pixels });
      const r = out.rollout;
      r.eval = { ...rec.eval, scores: { ...rec.eval.scores }, slice: { ...rec.eval.slice } };
      if (rec.referenceFrameKnown) for (const b of r.reference.boxes) delete b.frameAssumed;
      const issues = [...out.issues];
      if (rec.extracted && r.predicted.length > 0) {
        const p = r.predicted[0];
        const far = (a: BoxCoords, b: BoxCoords): boolean => a.some((v, k) => Math.abs(v - b[k]) > 1);
        if (far(p.box, rec.extracted)) {
          const note = !far(p.raw, rec.extracted) ? ' (it equals the raw model-input box: the file did not map it)' : '';
          issues.push(withUnit({ file, line: source.line, message: `extracted_answer ${fmtBox(rec.extracted)} differs from the predicted box mapped to original pixels ${fmtBox(p.box)}${note}`, severity: 'warning' }, source.unit));
        }
      }
      return { rollout: r, issues };
    },
  });
  if (unit === 'row') {
    const inner = log.sourceOf;
    return Object.assign(log, { evalMeta: meta, sourceOf: (i: number): SourceRef => ({ ...inner(i), unit }) });
  }
  return Object.assign(log, { evalMeta: meta });
}

function round(x: number): string {
  return String(Math.round(x * 100) / 100);
}

// ---------------------------------------------------------------------------------------------------
// R1-V / VLM-R1 eval results

export async function openR1vEval(file: string, opts: ReadOptions & { target?: string } = {}): Promise<EvalRolloutLog> {
  const loaded = readJsonFile(file);
  const v = loaded.value;
  if (!isObject(v) || !Array.isArray(v.results)) throw new Error('not an R1-V style eval file: no "results" list');
  const meta = emptyMeta();
  const issues: LogIssue[] = [];
  if (typeof v.accuracy === 'number' && Number.isFinite(v.accuracy)) meta.reportedAccuracy = v.accuracy;
  else if (v.accuracy !== undefined) issues.push({ file, line: 0, message: `accuracy is ${show(v.accuracy)}, not a number`, severity: 'warning' });
  for (const [k, x] of Object.entries(v)) if (k !== 'results' && k !== 'accuracy') meta.fields[k] = x;
  const checkpoint = typeof v.model_path === 'string' ? v.model_path : typeof v.checkpoint === 'string' ? v.checkpoint : undefined;
  return arrayLog('r1v-eval-json', file, opts, loaded, v.results, 'results', (el) => r1vRecord(el, checkpoint), meta, issues);
}

const R1V_KEYS = new Set([
  'question',
  'ground_truth',
  'model_output',
  'extracted_answer',
  'is_correct',
  'correct',
  'image',
  'image_path',
  'input_size',
  'image_size',
  'id',
  'sample_id',
  'solution',
  'problem',
]);

function sizePair(v: unknown): [number, number] | null {
  return Array.isArray(v) && v.length === 2 && v.every((n) => typeof n === 'number' && Number.isFinite(n) && n > 0) ? [v[0], v[1]] : null;
}

function asBox(v: unknown): BoxCoords | null {
  const b = boxesFromValue(typeof v === 'string' ? parseLoose(v) : v);
  return b.length === 1 ? b[0].raw : null;
}

/** A numeric value of a number or a numeric string (undefined when neither). */
function numeric(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

/** `extracted == ground truth`: numerically when both are numbers, else as trimmed lower-case text. */
export function answersEqual(extracted: unknown, truth: unknown): boolean {
  if (extracted === null || extracted === undefined) return false;
  const a = numeric(extracted);
  const b = numeric(truth);
  if (a !== undefined && b !== undefined) return a === b;
  const norm = (x: unknown): string => (typeof x === 'string' ? x : JSON.stringify(x) ?? '').trim().toLowerCase().replace(/\s+/g, ' ');
  return norm(extracted) === norm(truth);
}

function r1vRecord(el: unknown, checkpoint: string | undefined): ElementRecord | { error: string } {
  if (!isObject(el)) return { error: `result is ${show(el)}, not an object` };
  const issues: string[] = [];
  const q = el.question;
  const qo = isObject(q) ? q : null;
  const output = el.model_output ?? el.output ?? el.response;
  if (typeof output !== 'string') return { error: `model_output must be a string, got ${show(output)}` };
  let prompt = '';
  if (typeof q === 'string') prompt = q;
  else if (qo) {
    const t = qo.question ?? qo.problem;
    if (typeof t === 'string') prompt = t;
  } else if (typeof el.problem === 'string') prompt = el.problem;
  const images: ImageRef[] = [];
  const imgVal = el.image ?? el.image_path ?? qo?.image_path ?? qo?.image;
  for (const p of Array.isArray(imgVal) ? imgVal : imgVal === undefined || imgVal === null ? [] : [imgVal]) {
    if (typeof p === 'string' && p.length > 0) images.push({ path: p });
    else issues.push(`image ${show(p)} is not a path`);
  }
  const imageSize = sizePair(el.image_size);
  const inputSize = sizePair(el.input_size);
  if (el.image_size !== undefined && !imageSize) issues.push(`image_size ${show(el.image_size)} is not [height, width]`);
  if (el.input_size !== undefined && !inputSize) issues.push(`input_size ${show(el.input_size)} is not [height, width]`);
  if (images[0] && imageSize) {
    images[0].height = imageSize[0];
    images[0].width = imageSize[1];
    if (inputSize) {
      images[0].inputHeight = inputSize[0];
      images[0].inputWidth = inputSize[1];
    }
  } else if (!images[0] && imageSize) issues.push('image_size given without an image');
  const truth = el.ground_truth ?? qo?.ground_truth ?? qo?.solution ?? el.solution;
  const extracted = el.extracted_answer;
  const extra: Record<string, unknown> = {};
  if (extracted !== undefined) extra.extracted_answer = extracted;
  const info: EvalInfo = { correct: null, scores: {}, slice: {} };
  if (checkpoint) info.checkpoint = checkpoint;
  const stated = el.is_correct ?? el.correct;
  const truthBox = asBox(truth);
  const extractedBox = asBox(extracted);
  if (typeof stated === 'boolean' || stated === 0 || stated === 1) {
    info.correct = stated === true || stated === 1;
    extra.correct_source = 'logged';
  } else {
    if (stated !== undefined && stated !== null) issues.push(`${'is_correct' in el ? 'is_correct' : 'correct'} is ${show(stated)}: recomputed instead`);
    if (truthBox && (extractedBox || extracted === null || extracted === undefined)) {
      info.correct = extractedBox ? iou(extractedBox, truthBox) > 0.5 : false;
      extra.correct_rule = 'IoU(extracted_answer, ground_truth) > 0.5';
    } else {
      info.correct = answersEqual(extracted, truth);
      extra.correct_rule = 'extracted_answer == ground_truth (numerically when both are numbers)';
    }
    extra.correct_source = 'recomputed';
  }
  if (truthBox && extractedBox) info.scores.iou = iou(extractedBox, truthBox);
  for (const [k, x] of Object.entries(el)) {
    if (R1V_KEYS.has(k)) continue;
    if (x === null || (typeof x === 'number' && Number.isFinite(x))) info.scores[k] = x;
    else extra[k] = x;
  }
  if (qo) for (const [k, x] of Object.entries(qo)) if (!['question', 'problem', 'image_path', 'image', 'ground_truth', 'solution'].includes(k)) extra[`question.${k}`] = x;
  let sampleId: string | undefined;
  const id = el.id ?? el.sample_id ?? qo?.id;
  if (typeof id === 'string' || typeof id === 'number') sampleId = String(id);
  const fields: RecordFields = { prompt, images, completion: output, rewards: {}, advantage: null, extra };
  if (truth !== undefined && truth !== null) fields.reference = truth;
  if (sampleId !== undefined) fields.sampleId = sampleId;
  const rec: ElementRecord = { fields, eval: info, issues };
  // VLM-R1 REC: extracted_answer is the box after resize_bbox (original pixels); check it against ours
  if (extractedBox && inputSize && imageSize) rec.extracted = extractedBox;
  if (truthBox && imageSize) rec.referenceFrameKnown = true;
  return rec;
}

// ---------------------------------------------------------------------------------------------------
// generated_responses.json

/** Normalised `<answer>` text: trimmed, lower case, inner whitespace collapsed, a trailing period dropped. */
export function normaliseAnswer(s: string): string {
  return s.trim().toLowerCase().replace(/\s+/g, ' ').replace(/\.$/, '').trim();
}

export async function openGeneratedResponses(file: string, opts: ReadOptions & { target?: string } = {}): Promise<EvalRolloutLog> {
  const loaded = readJsonFile(file);
  if (!Array.isArray(loaded.value)) throw new Error('not a generated_responses file: the top level is not a list');
  const meta = emptyMeta();
  return arrayLog('generated-responses-json', file, opts, loaded, loaded.value, null, generatedRecord, meta, []);
}

function generatedRecord(el: unknown): ElementRecord | { error: string } {
  if (!isObject(el)) return { error: `element is ${show(el)}, not an object` };
  const pred = el.predicted_response;
  const truth = el.true_response;
  if (typeof pred !== 'string') return { error: `predicted_response must be a string, got ${show(pred)}` };
  const issues: string[] = [];
  const extra: Record<string, unknown> = {};
  const info: EvalInfo = { correct: null, scores: {}, slice: {} };
  let reference: string | undefined;
  if (typeof truth === 'string') {
    reference = extractAnswer(truth) ?? truth.trim();
    const got = extractAnswer(pred);
    info.correct = got !== undefined && normaliseAnswer(got) === normaliseAnswer(reference);
    extra.correct_source = 'recomputed';
    extra.correct_rule = 'normalised exact match of the <answer> content';
  } else if (truth !== undefined && truth !== null) issues.push(`true_response is ${show(truth)}, not a string: not judged`);
  let prompt = '';
  const images: ImageRef[] = [];
  for (const [k, x] of Object.entries(el)) {
    if (k === 'predicted_response' || k === 'true_response') continue;
    if ((k === 'question' || k === 'problem' || k === 'prompt') && typeof x === 'string') prompt = x;
    else if ((k === 'image' || k === 'image_path') && typeof x === 'string' && x) images.push({ path: x });
    else extra[k] = x;
  }
  const fields: RecordFields = { prompt, images, completion: pred, rewards: {}, advantage: null, extra };
  if (reference !== undefined) fields.reference = reference;
  const id = el.id ?? el.sample_id;
  if (typeof id === 'string' || typeof id === 'number') fields.sampleId = String(id);
  return { fields, eval: info, issues };
}
