// Reader for hiyouga/EasyR1 outputs in `save_checkpoint_path` (reference/formats.md §3.2):
// - `generations.log` (FileGenerationLogger, validation samples only):
//     f.write(f"[prompt] {inp}\n[output] {out}\n[ground_truth] {lab}\n[score] {score}\n\n")
//   Values are multi-line; a record is split on lines that start with the four markers, in that order
//   (a marker line out of order is part of the value being read).
// - `experiment_log.jsonl` (FileLogger): one `{"step": N, **unflatten_dict(metrics)}` per line, flattened
//   back to `a/b/c` keys by `readEasyR1ExperimentLog` (for charts).
// No step, no group, no advantage in generations.log: stepKind 'none', grouping 'none'.
// Pure: no `vscode`. Never writes.

import * as fs from 'fs';
import type { Box, BoxCoords, LogIssue, Rollout, SourceRef } from '../model';
import { extractAnswer, parseQwen25Boxes } from '../geometry/qwen25';
import { parseJsonLenient, scanLines } from './lineIndex';
import { FormatReader, LogBuilder, ReadOptions, RolloutLog } from './log';
import { parsePyFloat, parsePythonLiteral } from './pythonLiteral';

export const EASYR1_FORMAT_ID = 'easyr1-generations' as const;

const MARKERS = ['prompt', 'output', 'ground_truth', 'score'] as const;
type Marker = (typeof MARKERS)[number];

/** `[name] value` or `[name]` alone: the marker and where its value starts, else null. */
function markerAt(line: string, expected: Marker): number {
  const tag = `[${expected}]`;
  if (!line.startsWith(tag)) return -1;
  if (line.length === tag.length) return tag.length;
  return line.charCodeAt(tag.length) === 0x20 ? tag.length + 1 : -1;
}

export interface EasyR1Record {
  prompt: string;
  output?: string;
  groundTruth?: string;
  /** The `[score]` text as written. */
  scoreText?: string;
  problems: Array<{ line: number; message: string; severity: 'error' | 'warning' }>;
}

/**
 * Parse one record's text (from its `[prompt]` line up to the next record). Lines are 0-based from the
 * `[prompt]` line. Never throws.
 */
export function parseEasyR1Record(text: string): EasyR1Record {
  const out: EasyR1Record = { prompt: '', problems: [] };
  try {
    const lines = (typeof text === 'string' ? text : '').replace(/\r\n/g, '\n').split('\n');
    let at = markerAt(lines[0] ?? '', 'prompt');
    if (at < 0) {
      out.problems.push({ line: 0, message: 'the record does not start with a [prompt] line', severity: 'error' });
      return out;
    }
    const starts: number[] = [0];
    const valueStarts: number[] = [at];
    for (let i = 1, m = 1; i < lines.length && m < MARKERS.length; i++) {
      at = markerAt(lines[i], MARKERS[m]);
      if (at >= 0) {
        starts.push(i);
        valueStarts.push(at);
        m++;
      }
    }
    const value = (k: number): string => {
      const from = starts[k];
      // the score is one line; the others run to the line before the next marker
      const to = k + 1 < starts.length ? starts[k + 1] : k === 3 ? from + 1 : lines.length;
      const first = lines[from].slice(valueStarts[k]);
      return to - from <= 1 ? first : first + '\n' + lines.slice(from + 1, to).join('\n');
    };
    out.prompt = value(0);
    if (starts.length > 1) out.output = value(1);
    if (starts.length > 2) out.groundTruth = value(2);
    if (starts.length > 3) {
      out.scoreText = value(3);
      const s = starts[3] + 1;
      let junk = -1;
      for (let i = s; i < lines.length && junk < 0; i++) if (!/^[ \t]*$/.test(lines[i])) junk = i;
      if (junk >= 0) {
        out.problems.push({ line: junk, message: `unexpected text after the [score] line ignored: ${JSON.stringify(clip(lines[junk], 60))}`, severity: 'warning' });
      }
    } else {
      // strip the blank line a truncated record may end with
      const missing = MARKERS.slice(starts.length).map((m) => `[${m}]`).join(', ');
      out.problems.push({ line: starts[starts.length - 1], message: `the record has no ${missing} line (truncated?)`, severity: 'warning' });
      if (starts.length === 1) out.prompt = out.prompt.replace(/\n+$/, '');
      else if (starts.length === 2 && out.output !== undefined) out.output = out.output.replace(/\n+$/, '');
      else if (starts.length === 3 && out.groundTruth !== undefined) out.groundTruth = out.groundTruth.replace(/\n+$/, '');
    }
  } catch (e) {
    out.problems.push({ line: 0, message: `cannot parse the record: ${e instanceof Error ? e.message : String(e)}`, severity: 'error' });
  }
  return out;
}

/** `[score]` text → rewards: a number gives {score}; a dict of numbers gives one reward per key. */
export function scoreRewards(text: string | undefined): Record<string, number | null> {
  if (text === undefined) return { score: null };
  const t = text.trim();
  const n = parsePyFloat(t);
  if (!Number.isNaN(n) || /^-?nan$/i.test(t)) return { score: Number.isFinite(n) ? n : null };
  const lit = parsePythonLiteral(t);
  if (lit.ok && lit.value !== null && typeof lit.value === 'object' && !Array.isArray(lit.value)) {
    const out: Record<string, number | null> = {};
    for (const [k, v] of Object.entries(lit.value)) out[k] = typeof v === 'number' && Number.isFinite(v) ? v : null;
    if (Object.keys(out).length > 0) return out;
  }
  if (lit.ok && typeof lit.value === 'number') return { score: Number.isFinite(lit.value) ? lit.value : null };
  return { score: null };
}

export function sniffEasyR1Generations(file: string, head: Buffer | Uint8Array): boolean {
  const text = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('utf8').replace(/^\uFEFF/, '');
  const start = text.replace(/^\s+/, '');
  if (!/^\[prompt\](?: |\r?\n)/.test(start)) return false;
  if (/\n\[output\](?: |\r?\n)/.test(start)) return true;
  // a prompt longer than the head: trust the file name
  return head.byteLength >= 64 * 1024 && /generations\.log$/i.test(file);
}

export async function openEasyR1Generations(files: string[], opts: ReadOptions & { target?: string } = {}): Promise<RolloutLog> {
  if (files.length === 0) throw new Error('no files to open');
  const builder = new LogBuilder(opts.maxIssues ?? 1000);
  const starts: number[] = [];
  const ends: number[] = [];
  const fileOf: number[] = [];
  const lineOf: number[] = [];
  let bytes = 0;
  const sizes = files.map((f) => {
    try {
      return fs.statSync(f).size;
    } catch {
      return 0;
    }
  });
  const total = sizes.reduce((a, b) => a + b, 0);
  let before = 0;
  for (let fi = 0; fi < files.length; fi++) {
    const file = files[fi];
    builder.addFile(file);
    let state = 0; // index of the next marker expected; 4 = after [score]
    let cur = -1; // record being read
    let junkLine = 0;
    let junkCount = 0;
    let scoreText: string | undefined;
    const flushJunk = (): void => {
      if (junkCount > 0) builder.issue({ file, line: junkLine, message: `${junkCount} line${junkCount === 1 ? '' : 's'} outside any [prompt] … [score] record ignored`, severity: 'warning' });
      junkCount = 0;
    };
    const finish = (end: number): void => {
      if (cur < 0) return;
      ends[cur] = end;
      if (state < 2) {
        builder.issue({ file, line: lineOf[cur], message: 'a record with no [output] line (truncated?) left out', severity: 'warning' });
        starts.pop();
        ends.pop();
        fileOf.pop();
        lineOf.pop();
      } else {
        if (state < 4) builder.issue({ file, line: lineOf[cur], message: `the record has no ${MARKERS.slice(state).map((m) => `[${m}]`).join(', ')} line (truncated?)`, severity: 'warning' });
        const rewards = scoreRewards(state >= 4 ? scoreText : undefined);
        if (state >= 4 && Object.values(rewards).every((v) => v === null)) {
          builder.issue({ file, line: lineOf[cur], message: `the score is not a number: ${JSON.stringify(clip(scoreText ?? '', 40))}`, severity: 'warning' });
        }
        builder.add({ file: fi, line: lineOf[cur], step: 0, rewards });
      }
      cur = -1;
      scoreText = undefined;
    };
    const { bytes: b } = await scanLines(
      file,
      (buf, s, e, lineNo, offset) => {
        const b0 = buf[s];
        if (b0 === 0x5b /* [ */) {
          const line = buf.toString('utf8', s, Math.min(e, s + 64));
          if (state === 4 || state === 0 || cur < 0) {
            if (markerAt(line, 'prompt') >= 0) {
              finish(offset);
              flushJunk();
              cur = starts.length;
              starts.push(offset);
              ends.push(offset);
              fileOf.push(fi);
              lineOf.push(lineNo);
              state = 1;
              return;
            }
          } else if (markerAt(line, MARKERS[state]) >= 0) {
            if (state === 3) scoreText = buf.toString('utf8', s + '[score]'.length, e).replace(/^ /, '');
            state++;
            return;
          }
        }
        if (cur < 0 || state === 4) {
          if (state === 4) {
            builder.issue({ file, line: lineNo, message: 'unexpected text after the [score] line ignored', severity: 'warning' });
            return;
          }
          if (junkCount++ === 0) junkLine = lineNo;
        }
      },
      { chunkSize: opts.chunkSize, onProgress: opts.onProgress ? (x) => opts.onProgress!(before + x, total) : undefined },
    );
    finish(b);
    flushJunk();
    bytes += b;
    before += sizes[fi];
  }

  let fd: number | null = null;
  let fdFile = -1;
  const readText = (i: number): string => {
    if (fd === null || fdFile !== fileOf[i]) {
      if (fd !== null) fs.closeSync(fd);
      fd = fs.openSync(files[fileOf[i]], 'r');
      fdFile = fileOf[i];
    }
    const len = ends[i] - starts[i];
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const m = fs.readSync(fd, buf, got, len - got, starts[i] + got);
      if (m === 0) break;
      got += m;
    }
    if (got < len) throw new Error('the file is shorter than when it was indexed (was it truncated or rewritten?)');
    return buf.toString('utf8');
  };

  const read = (i: number, source: SourceRef): { rollout: Rollout | null; issues: LogIssue[] } => {
    const file = files[fileOf[i]];
    let text: string;
    try {
      text = readText(i);
    } catch (e) {
      return { rollout: null, issues: [{ file, line: source.line, message: `cannot read the record: ${e instanceof Error ? e.message : String(e)}`, severity: 'error' }] };
    }
    const rec = parseEasyR1Record(text);
    const issues: LogIssue[] = rec.problems.map((p) => ({ file, line: source.line + p.line, message: p.message, severity: p.severity }));
    if (rec.output === undefined) return { rollout: null, issues: issues.length ? issues : [{ file, line: source.line, message: 'the record changed since it was indexed', severity: 'error' }] };
    return { rollout: toRollout(rec, source), issues };
  };

  return builder.finish({
    format: EASYR1_FORMAT_ID,
    file: opts.target ?? files[0],
    stepKind: 'none',
    grouping: 'none',
    estimator: null,
    context: opts.context ?? null,
    bytes,
    read,
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
}

function toRollout(rec: EasyR1Record, source: SourceRef): Rollout {
  const completion = rec.output ?? '';
  const rollout: Rollout = {
    step: 0,
    groupId: '',
    indexInGroup: 0,
    prompt: { text: rec.prompt, images: [] },
    completion,
    reference: { boxes: [] },
    predicted: [],
    rewards: scoreRewards(rec.scoreText),
    reward: null,
    advantage: null,
    advantageSource: null,
    generatedImages: [],
    extra: {},
    source,
  };
  const answer = extractAnswer(completion);
  if (answer !== undefined) rollout.answer = answer;
  if (rec.groundTruth !== undefined) {
    rollout.reference.answer = rec.groundTruth;
    const lit = parsePythonLiteral(rec.groundTruth.trim());
    if (lit.ok && Array.isArray(lit.value) && lit.value.length === 4 && lit.value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      const raw = lit.value as BoxCoords;
      // EasyR1 does not log the image: the frame of a ground-truth box is not known
      rollout.reference.boxes.push({ box: raw, raw, frame: 'original', frameAssumed: true });
    }
  }
  if (rec.scoreText !== undefined) rollout.extra.score_text = rec.scoreText;
  // Qwen2.5-VL boxes are in model-input pixels; EasyR1 logs no image, so they stay as written
  for (const t of parseQwen25Boxes(completion)) {
    const box: Box = { box: t.raw, raw: t.raw, frame: 'model-input', frameAssumed: true, span: t.span, part: t.part };
    if (t.label !== undefined) box.label = t.label;
    rollout.predicted.push(box);
  }
  return rollout;
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

export const easyR1GenerationsReader: FormatReader = {
  id: EASYR1_FORMAT_ID,
  sniff: (file, head) => sniffEasyR1Generations(file, head),
  open: (files, opts) => openEasyR1Generations(files, opts),
};

// ---------------------------------------------------------------------------------------------------
// experiment_log.jsonl

export interface EasyR1ExperimentRow {
  step: number;
  /** Numeric metrics with nested keys joined by '/' ("reward/overall", "critic/score/mean"). */
  metrics: Record<string, number>;
}

/**
 * Read EasyR1's `experiment_log.jsonl`; bad lines become issues (file + line). Never throws.
 * Numbers are kept (non-finite dropped), booleans become 1 / 0, strings and lists are left out.
 */
export function readEasyR1ExperimentLog(file: string): { rows: EasyR1ExperimentRow[]; issues: LogIssue[] } {
  const rows: EasyR1ExperimentRow[] = [];
  const issues: LogIssue[] = [];
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return { rows, issues: [{ file, line: 0, message: `cannot read the file: ${e instanceof Error ? e.message : String(e)}`, severity: 'error' }] };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n');
  lines.forEach((raw, k) => {
    const line = raw.trim();
    if (line.length === 0) return;
    const lineNo = k + 1;
    let v: unknown;
    try {
      v = parseJsonLenient(line).value;
    } catch (e) {
      const last = k === lines.length - 1 || (k === lines.length - 2 && lines[lines.length - 1].trim() === '');
      issues.push({ file, line: lineNo, message: `not valid JSON${last ? ' (a half-written last line?)' : ''}: ${e instanceof Error ? e.message : String(e)}`, severity: last ? 'warning' : 'error' });
      return;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      issues.push({ file, line: lineNo, message: 'not a JSON object', severity: 'error' });
      return;
    }
    const o = v as Record<string, unknown>;
    if (typeof o.step !== 'number' || !Number.isFinite(o.step)) {
      issues.push({ file, line: lineNo, message: 'no numeric "step"', severity: 'error' });
      return;
    }
    const metrics: Record<string, number> = {};
    for (const [key, val] of Object.entries(o)) if (key !== 'step') flatten(val, key, metrics, 0);
    rows.push({ step: o.step, metrics });
  });
  return { rows, issues };
}

function flatten(v: unknown, prefix: string, out: Record<string, number>, depth: number): void {
  if (depth > 32) return;
  if (typeof v === 'number') {
    if (Number.isFinite(v)) out[prefix] = v;
  } else if (typeof v === 'boolean') {
    out[prefix] = v ? 1 : 0;
  } else if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, `${prefix}/${k}`, out, depth + 1);
  }
}
