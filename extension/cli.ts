// The `rollout-lens` command line over extension/core.
//   rollout-lens summary PATH… [--json] [--image-root DIR]…
//   rollout-lens show PATH --record N [--json] [--explain] [--image-root DIR]…
//   rollout-lens check PATH… [--json] [--image-root DIR]…
//   rollout-lens compare A B [C…] [--slice FIELD] [--metric M] [--json | --markdown | --csv] [--step-pattern RE]
//   rollout-lens judge PATH… [--model DIR] [--endpoint URL --endpoint-model NAME] [--verdicts FILE] [--json]

import * as path from 'path';
import type { Box, ImageRef, LogIssue, Rollout } from './core/model';
import { errorMessage } from './core/formats/rolloutLensJsonl';
import { FORMAT_LABELS, type RolloutLog } from './core/formats/log';
import { LogSpec, findLogs, openSpec } from './core/formats/all';
import { Summary, SummaryError, addSpec } from './core/summary';
import { ScaleSummaryBuilder, type ScaleSummary } from './core/scale/summarize';
import { LogCheckBuilder, checkRollout, type LogCheck, type RolloutCheck } from './core/rewards/check';
import { FRAME_KINDS } from './core/geometry/frames';
import { bestIous } from './core/geometry/iou';
import type { ReadOptions } from './core/formats/log';
import { readRunContextSafe, type RunContextRequest } from './core/runs/contextForRun';
import { runDirOf } from './core/runs/discover';
import { benchMain } from './bench';
import { judgeOneLog, openJudges, renderJudge, type JudgeLogJson } from './cliJudge';
import { compileStepPattern, loadSource, resolveSources } from './core/compare/sources';
import { compare } from './core/compare/compare';
import { comparisonCsv, comparisonMarkdown } from './core/compare/exportTable';
import { METRIC_IDS, METRIC_LABELS, type CellStat, type Comparison, type DeltaStat, type Flips, type LoadedSource, type MetricId } from './core/compare/types';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const defaultIo: CliIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

export const USAGE = `Usage:
  rollout-lens summary PATH... [--json] [--image-root DIR]...
  rollout-lens show PATH --record N [--json] [--explain] [--image-root DIR]...
  rollout-lens check PATH... [--json] [--image-root DIR]...
  rollout-lens compare A B [C...] [--slice FIELD] [--metric M] [--json | --markdown | --csv]
                       [--step-pattern RE] [--image-root DIR]...
  rollout-lens judge PATH... [--model DIR] [--endpoint URL --endpoint-model NAME] [--verdicts FILE]
                     [--source KIND] [--cache DIR] [--batch-size N] [--json]
  rollout-lens bench [--records N] [--json] [--keep]
  rollout-lens --help

PATH is a log file or a folder. Formats are recognised from content: rollout-lens JSONL, TRL
completions_*.parquet and wandb completions tables, verl <step>.jsonl dumps, ms-swift
completions.jsonl, VLM-R1 / R1-V / Visual-RFT / multimodal_cot debug logs (with their _format
companions), EasyR1 generations.log, and eval outputs (*.eval.jsonl, R1-V {accuracy, results},
generated_responses.json). A folder is searched (8 levels, checkpoints and node_modules skipped);
per-step files of one folder form one log. Records are numbered in file order (a folder's files
in natural sort order).

  --json            stable JSON on stdout (see docs/format-and-cli.md)
  --record N        0-based record index (records are the readable lines, in file order)
  --explain         show: walk each recomputed reward step by step (answer, box, sizes, IoU)

check recomputes the rewards whose definition is known for the log's framework (VLM-R1 iou and
format rewards, R1-V / TRL format rules, verl geo3k, …), compares them with the logged values
(relative tolerance 1e-6, 1e-5 where the log stores float32) and lists mismatches per reward
function with examples; custom reward functions are listed as not recomputed. Exit code 1 when
there are mismatches.
  --image-root DIR  where to look for logged image paths missing on this machine, matched by
                    trailing path segments (repeatable)
  --group-size G    completions per prompt, when the run's config files do not say
  --frame F         the frame predicted boxes are written in, when inference gets it wrong:
                    original, model-input, norm1000, norm1, bins1000, bins1024

compare puts checkpoints side by side on the same eval samples. Each of A, B, C… is a checkpoint
folder (checkpoint-N, global_step_N: the run's eval outputs linked to step N), an eval-only step
folder (eval/checkpoint-50), an eval file, or a run folder (its newest checkpoint with evals).
Eval outputs are *.eval.jsonl, *results*.json (R1-V, VLM-R1 rec_results_*), generated_responses.json
and verl validation_data*/<N>.jsonl, linked to a step by folder, by name, or by their checkpoint
field. Answers are matched by sample id, else by image names + question. It prints per dataset
(and slice) each source's metric, the difference against A (†: significant after Holm), the
flips (right in one, wrong in the other) and the samples a source lacks.
  --slice FIELD     break each dataset down by a slice field (category, split, …)
  --metric M        the metric of the text table: ${METRIC_IDS.join(', ')}
  --markdown        paste-ready Markdown tables; --csv: one line per dataset × source × metric
  --step-pattern RE regex with one capture group for the step in eval file names
                    (default: (?:checkpoint|global_step|step|steps|ckpt|iter)[-_]?(\\d+))

judge gives every completion an alignment verdict (does the reasoning support the answer?) from
each source: the log's own verdicts, the built-in rules (always), a judge output file (--verdicts,
JSONL keyed by completion_sha256 or sample_id), a local NLI model exported to ONNX (--model DIR:
model.onnx, tokenizer.json, config.json) and an OpenAI-compatible endpoint (--endpoint, e.g. a
local vLLM at http://127.0.0.1:8000/v1; the key is read from ROLLOUT_LENS_JUDGE_KEY). It prints
the alignment rate per source, the agreement between sources (Cohen's κ, confusion table) and the
rate's first and last step. Model verdicts are cached by content and model hash in --cache DIR
(default $XDG_CACHE_HOME/rollout-lens/verdicts, which the extension also reads), so a second run
infers nothing.
  --source KIND     which source the per-step rate uses: auto, log, file, http, onnx, rules

Problems are written to stderr as file:line: message. The exit code is non-zero only when
nothing could be read (compare: fewer than two sources).
`;

interface Args {
  command: string | null;
  paths: string[];
  json: boolean;
  record: number | null;
  imageRoots: string[];
  groupSize: number | null;
  frame: string | null;
  help: boolean;
  explain: boolean;
  slice: string | null;
  metric: MetricId | null;
  markdown: boolean;
  csv: boolean;
  stepPattern: string | null;
  model: string | null;
  endpoint: string | null;
  endpointModel: string | null;
  promptFile: string | null;
  verdicts: string | null;
  source: string | null;
  cache: string | null;
  batchSize: number | null;
}

function parseArgs(argv: string[]): Args | string {
  const a: Args = {
    command: null, paths: [], json: false, record: null, imageRoots: [], groupSize: null, frame: null, help: false, explain: false,
    slice: null, metric: null, markdown: false, csv: false, stepPattern: null,
    model: null, endpoint: null, endpointModel: null, promptFile: null, verdicts: null, source: null, cache: null, batchSize: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | null => (inline !== undefined ? inline : i + 1 < argv.length ? argv[++i] : null);
    if (flag === '--help' || flag === '-h') a.help = true;
    else if (flag === '--explain') a.explain = true;
    else if (flag === '--json') a.json = true;
    else if (flag === '--record') {
      const v = value();
      if (v === null || !/^\d+$/.test(v)) return `--record needs a record index (0, 1, …), got ${v ?? 'nothing'}`;
      a.record = Number(v);
    } else if (flag === '--group-size') {
      const v = value();
      if (v === null || !/^[1-9]\d*$/.test(v)) return `--group-size needs a positive integer, got ${v ?? 'nothing'}`;
      a.groupSize = Number(v);
    } else if (flag === '--frame') {
      const v = value();
      if (v === null || !(FRAME_KINDS as readonly string[]).includes(v)) return `--frame needs one of ${FRAME_KINDS.join(', ')}, got ${v ?? 'nothing'}`;
      a.frame = v;
    } else if (flag === '--markdown') a.markdown = true;
    else if (flag === '--csv') a.csv = true;
    else if (flag === '--slice') {
      const v = value();
      if (v === null || v === '') return '--slice needs a slice field (category, split, …)';
      a.slice = v;
    } else if (flag === '--metric') {
      const v = value();
      if (v === null || !(METRIC_IDS as readonly string[]).includes(v)) return `--metric needs one of ${METRIC_IDS.join(', ')}, got ${v ?? 'nothing'}`;
      a.metric = v as MetricId;
    } else if (flag === '--step-pattern') {
      const v = value();
      if (v === null) return '--step-pattern needs a regular expression with one capture group';
      try {
        compileStepPattern(v);
      } catch (e) {
        return `--step-pattern: ${errorMessage(e)}`;
      }
      a.stepPattern = v;
    } else if (flag === '--model' || flag === '--endpoint' || flag === '--endpoint-model' || flag === '--prompt-file' || flag === '--verdicts' || flag === '--cache' || flag === '--source') {
      const v = value();
      if (v === null || v === '') return `${flag} needs a value`;
      if (flag === '--source' && !['auto', 'log', 'file', 'http', 'onnx', 'rules'].includes(v)) return `--source needs one of auto, log, file, http, onnx, rules, got ${v}`;
      const k = ({ '--model': 'model', '--endpoint': 'endpoint', '--endpoint-model': 'endpointModel', '--prompt-file': 'promptFile', '--verdicts': 'verdicts', '--cache': 'cache', '--source': 'source' } as const)[flag];
      a[k] = v;
    } else if (flag === '--batch-size') {
      const v = value();
      if (v === null || !/^[1-9]\d*$/.test(v)) return `--batch-size needs a positive integer, got ${v ?? 'nothing'}`;
      a.batchSize = Number(v);
    } else if (flag === '--image-root') {
      const v = value();
      if (v === null) return '--image-root needs a folder';
      a.imageRoots.push(path.resolve(v));
    } else if (arg.startsWith('-') && arg !== '-') return `unknown option ${arg}`;
    else if (a.command === null) a.command = arg;
    else a.paths.push(arg);
  }
  return a;
}

/** Run the command line; returns the exit code. */
export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  if (argv[0] === 'bench') return benchMain(argv.slice(1), io.out);
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    io.err(`rollout-lens: ${args}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.out(USAGE);
    return 0;
  }
  if (args.command === null) {
    io.err(USAGE);
    return 2;
  }
  if (!['summary', 'show', 'check', 'compare', 'judge'].includes(args.command)) {
    io.err(`rollout-lens: unknown command ${args.command}\n\n${USAGE}`);
    return 2;
  }
  if (args.paths.length === 0) {
    io.err(`rollout-lens: ${args.command} needs a PATH\n\n${USAGE}`);
    return 2;
  }
  if (args.command === 'check') return checkCommand(args, io);
  if (args.command === 'compare') return compareCommand(args, io);
  if (args.command === 'judge') return judgeCommand(args, io);
  return args.command === 'summary' ? summaryCommand(args, io) : showCommand(args, io);
}

/** Files and folders → logs (folders searched), plus problems found on the way. */
export async function collectLogs(paths: string[]): Promise<{ specs: LogSpec[]; errors: SummaryError[] }> {
  return findLogs(paths);
}

/** Read options for one log: image roots, and the run context of the log's run folder (--group-size wins). */
async function readOptions(args: Args, spec: LogSpec): Promise<ReadOptions> {
  const opts: ReadOptions = { imageRoots: args.imageRoots };
  const isFolder = spec.target !== spec.files[0];
  const flags = [args.groupSize !== null ? '--group-size' : '', args.frame !== null ? '--frame' : ''].filter(Boolean);
  const req: RunContextRequest = { format: spec.format, overridesAre: 'force', overridesSource: flags.join(', ') || 'command line' };
  if (args.groupSize !== null || args.frame !== null) {
    req.overrides = {};
    if (args.groupSize !== null) req.overrides.groupSize = args.groupSize;
    if (args.frame !== null) req.overrides.boxFrame = args.frame;
  }
  const ctx = await readRunContextSafe(runDirOf(spec.target, isFolder), req);
  if (ctx) opts.context = ctx;
  return opts;
}

export function formatIssue(i: { file: string; line: number; message: string; severity?: string; unit?: string }): string {
  const where = i.line > 0 ? (i.unit === 'row' ? `${i.file}: row ${i.line}` : `${i.file}:${i.line}`) : i.file;
  return `${where}: ${i.severity === 'warning' ? 'warning: ' : ''}${i.message}`;
}

async function summaryCommand(args: Args, io: CliIo): Promise<number> {
  const { specs, errors } = await collectLogs(args.paths);
  const acc = new ScaleSummaryBuilder();
  for (const spec of specs) await addSpec(acc, spec, await readOptions(args, spec));
  const summary: ScaleSummary = acc.result();
  summary.errors = [...errors, ...summary.errors];
  for (const e of summary.errors) io.err(formatIssue(e) + '\n');
  io.out(args.json ? JSON.stringify(summary, null, 2) + '\n' : renderSummary(summary));
  const nothing = summary.files.length === 0 || (summary.records === 0 && summary.errors.some((e) => e.severity === 'error'));
  return nothing ? 1 : 0;
}

async function showCommand(args: Args, io: CliIo): Promise<number> {
  if (args.record === null) {
    io.err(`rollout-lens: show needs --record N\n\n${USAGE}`);
    return 2;
  }
  if (args.paths.length !== 1) {
    io.err(`rollout-lens: show takes one PATH, got ${args.paths.length}\n`);
    return 2;
  }
  const { specs, errors } = await collectLogs(args.paths);
  for (const e of errors) io.err(formatIssue(e) + '\n');
  if (specs.length !== 1) {
    if (specs.length > 1) io.err(`${args.paths[0]}: holds ${specs.length} logs; pass one of them:\n${specs.map((f) => `  ${f.target} (${FORMAT_LABELS[f.format]})\n`).join('')}`);
    return 1;
  }
  const file = specs[0].target;
  let log: RolloutLog;
  try {
    log = await openSpec(specs[0], await readOptions(args, specs[0]));
  } catch (e) {
    io.err(`${file}: cannot read: ${errorMessage(e)}\n`);
    return 1;
  }
  try {
    if (args.record >= log.recordCount) {
      for (const i of log.issues) io.err(formatIssue(i) + '\n');
      io.err(`${file}: no record ${args.record}: the log has ${log.recordCount} readable records (0-based)\n`);
      return 1;
    }
    const { rollout, issues } = log.read(args.record);
    for (const i of issues) io.err(formatIssue(i) + '\n');
    if (!rollout) return 1;
    const src = log.sourceOf(args.record);
    const check = checkRollout(rollout, log.context, log.format);
    if (args.json) {
      const j = showJson(src.file, src.line, rollout, issues, log);
      j.record.recomputed = Object.fromEntries(check.comparisons.map((c) => [c.name, c.recomputed]));
      j.record.rewardCheck = check.comparisons;
      j.record.notRecomputed = check.notRecomputed;
      if (args.explain) j.record.explain = check.explain;
      io.out(JSON.stringify(j, null, 2) + '\n');
    } else {
      io.out(renderRollout(src.file, args.record, rollout));
      io.out(renderCheck(check, args.explain));
    }
    return 0;
  } finally {
    log.close();
  }
}

/** Open each log found under `specs` in turn (a log that cannot be opened is reported and skipped), closing it after `fn`. */
async function eachLog(args: Args, io: CliIo, specs: LogSpec[], fn: (spec: LogSpec, log: RolloutLog) => Promise<void>): Promise<void> {
  for (const spec of specs) {
    let log: RolloutLog;
    try {
      log = await openSpec(spec, await readOptions(args, spec));
    } catch (e) {
      io.err(`${spec.target}: cannot read: ${errorMessage(e)}\n`);
      continue;
    }
    try {
      await fn(spec, log);
    } finally {
      log.close();
    }
  }
}

async function checkCommand(args: Args, io: CliIo): Promise<number> {
  const { specs, errors } = await collectLogs(args.paths);
  for (const e of errors) io.err(formatIssue(e) + '\n');
  const logs: LogCheck[] = [];
  await eachLog(args, io, specs, async (spec, log) => {
    const b = new LogCheckBuilder(spec.target, log.format);
    for (let i = 0; i < log.recordCount; i++) {
      const { rollout } = log.read(i);
      if (rollout) b.add(i, log.sourceOf(i), checkRollout(rollout, log.context, log.format));
    }
    logs.push(b.result());
  });
  const mismatches = logs.reduce((a, l) => a + l.mismatches, 0);
  if (args.json) io.out(JSON.stringify({ mismatches, logs }, null, 2) + '\n');
  else io.out(renderChecks(logs));
  if (logs.length === 0) return 1;
  return mismatches > 0 ? 1 : 0;
}

async function judgeCommand(args: Args, io: CliIo): Promise<number> {
  const { specs, errors } = await collectLogs(args.paths);
  for (const e of errors) io.err(formatIssue(e) + '\n');
  let judges: Awaited<ReturnType<typeof openJudges>>;
  try {
    judges = await openJudges(args);
  } catch (e) {
    io.err(`rollout-lens: ${errorMessage(e)}\n`);
    return 1;
  }
  const results: JudgeLogJson[] = [];
  try {
    await eachLog(args, io, specs, async (spec, log) => {
      try {
        for (const i of log.issues) io.err(formatIssue(i) + '\n');
        results.push(await judgeOneLog(spec.target, log, args, judges, io));
      } catch (e) {
        io.err(`${spec.target}: ${errorMessage(e)}\n`);
      }
    });
  } finally {
    for (const j of judges) await j.engine.dispose();
  }
  io.out(args.json ? JSON.stringify({ logs: results }, null, 2) + '\n' : renderJudge(results));
  return results.length === 0 ? 1 : 0;
}

async function compareCommand(args: Args, io: CliIo): Promise<number> {
  if (args.paths.length < 2) {
    io.err(`rollout-lens: compare needs two or more checkpoints, eval files or runs (got ${args.paths.length})\n\n${USAGE}`);
    return 2;
  }
  const { sources, errors } = await resolveSources(args.paths, args.stepPattern !== null ? { stepPattern: args.stepPattern } : {});
  const problems: Array<{ file: string; line: number; message: string }> = [];
  for (const e of errors) {
    io.err(`${e}\n`);
    const colon = e.indexOf(': ');
    problems.push({ file: colon > 0 ? e.slice(0, colon) : e, line: 0, message: colon > 0 ? e.slice(colon + 2) : e });
  }
  const loaded: LoadedSource[] = [];
  for (const src of sources) {
    try {
      loaded.push(await loadSource(src, { imageRoots: args.imageRoots }));
    } catch (e) {
      const message = errorMessage(e);
      io.err(`${src.name}: ${message}\n`);
      problems.push({ file: src.path, line: 0, message });
    }
  }
  if (loaded.length < 2) {
    io.err(`rollout-lens: compare read ${loaded.length} source${loaded.length === 1 ? '' : 's'}; it needs two or more\n`);
    return 1;
  }
  const c = compare(loaded, { slice: args.slice });
  for (const i of c.issues) io.err(formatIssue(i) + '\n');
  if (args.json) {
    const j = compareJson(c);
    j.issues = [...problems, ...j.issues];
    io.out(JSON.stringify(j, null, 2) + '\n');
  } else if (args.markdown) io.out(comparisonMarkdown(c, args.metric !== null ? { metric: args.metric } : {}));
  else if (args.csv) io.out(comparisonCsv(c));
  else io.out(renderComparison(c, args.metric));
  return 0;
}

// ---- compare: JSON (stable; documented in README.md and docs/format-and-cli.md) ----

export interface CompareSourceJson {
  name: string;
  path: string;
  step: number | null;
  /** Over every sample of the source (all datasets): metric → value (mean over prompts of the mean@N). */
  metrics: Partial<Record<MetricId, number | null>>;
  /** Prompts the source has (the largest n over its metrics). */
  n: number;
}

export interface CompareJson {
  [letter: string]: unknown;
  slice: string | null;
  slices: Array<{
    dataset: string;
    slice: string | null;
    checkpoints: Array<{
      name: string;
      metrics: Partial<Record<MetricId, { value: number | null; n: number }>>;
      delta: Partial<Record<MetricId, Omit<DeltaStat, 'n'>>> | null;
    }>;
  }>;
  flips: FlipsJson | null;
  pairwise?: Array<{ a: string; b: string; flips: FlipsJson }>;
  unmatched: { count: number; bySource: Array<{ name: string; missing: string[] }> };
  matchedBy: 'id' | 'question';
  issues: Array<{ file: string; line: number; message: string }>;
}

interface FlipsJson {
  aOnly: string[];
  bOnly: string[];
  both: number;
  neither: number;
}

/** JSON key of the i-th source: a, b, c, … z, then source27, source28, … */
export function sourceLetter(i: number): string {
  return i < 26 ? String.fromCharCode(97 + i) : `source${i + 1}`;
}

function flipsJson(f: Flips): FlipsJson {
  return { aOnly: f.aOnly, bOnly: f.bOnly, both: f.both, neither: f.neither };
}

/** The `compare --json` object of a comparison. */
export function compareJson(c: Comparison): CompareJson {
  const out: Record<string, unknown> = {};
  c.sources.forEach((src, i) => {
    const metrics: Partial<Record<MetricId, number | null>> = {};
    let n = 0;
    for (const m of c.metrics) {
      const st = c.overall[i]?.[m];
      metrics[m] = st ? st.value : null;
      n = Math.max(n, st?.n ?? 0);
    }
    const j: CompareSourceJson = { name: src.name, path: src.path, step: src.step, metrics, n };
    out[sourceLetter(i)] = j;
  });
  out.slice = c.slice;
  out.slices = c.rows.map((r) => ({
    dataset: r.dataset,
    slice: r.slice,
    checkpoints: c.sources.map((src, i) => {
      const metrics: Partial<Record<MetricId, { value: number | null; n: number }>> = {};
      for (const m of c.metrics) {
        const st: CellStat | undefined = r.metrics[i]?.[m];
        metrics[m] = { value: st ? st.value : null, n: st ? st.n : 0 };
      }
      const d = r.deltas[i];
      let delta: Partial<Record<MetricId, Omit<DeltaStat, 'n'>>> | null = null;
      if (i > 0) {
        delta = {};
        for (const m of c.metrics) {
          const x = d?.[m];
          if (x) delta[m] = { delta: x.delta, ci: x.ci, p: x.p, pAdjusted: x.pAdjusted, test: x.test, significant: x.significant };
        }
      }
      return { name: src.name, metrics, delta };
    }),
  }));
  const f1 = c.flips[1];
  out.flips = f1 ? flipsJson(f1) : null;
  if (c.sources.length > 2) {
    out.pairwise = c.sources.slice(1).map((src, k) => ({ a: c.sources[0]!.name, b: src.name, flips: flipsJson(c.flips[k + 1]!) }));
  }
  const missingAny = new Set(c.unmatched.flatMap((u) => u.missing));
  out.unmatched = { count: missingAny.size, bySource: c.unmatched.map((u) => ({ name: u.name, missing: u.missing })) };
  out.matchedBy = c.matchedBy;
  out.issues = c.issues.map((i) => ({ file: i.file, line: i.line, message: i.message }));
  return out as CompareJson;
}

// ---- compare: text ----

import { SIGNIFICANT_MARK as SIGNIFICANT } from './core/compare/exportTable';

function metricText(m: MetricId, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  return m === 'length' ? v.toFixed(1) : (v * 100).toFixed(1);
}

function deltaText(m: MetricId, d: DeltaStat | undefined): string {
  if (!d) return '';
  const v = m === 'length' ? d.delta.toFixed(1) : (d.delta * 100).toFixed(1);
  return `${d.delta >= 0 && !v.startsWith('-') ? '+' : ''}${v}${d.significant ? SIGNIFICANT : ''}`;
}

function padTable(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, k) => (widths[k] = Math.max(widths[k] ?? 0, [...cell].length)));
  return rows.map((r) => r.map((cell, k) => (k === r.length - 1 ? cell : cell + ' '.repeat(widths[k]! - [...cell].length))).join('  ').trimEnd());
}

/** A readable comparison: the table of one metric, the others overall, the flips, the unmatched samples. */
export function renderComparison(c: Comparison, wanted: MetricId | null = null): string {
  const out: string[] = [];
  c.sources.forEach((src, i) => {
    const step = src.step !== null ? `step ${src.step}, ` : '';
    out.push(`${sourceLetter(i).toUpperCase()}  ${src.name}  (${src.kind}, ${step}${src.evalFiles.length} eval file${src.evalFiles.length === 1 ? '' : 's'}${src.rewards ? `; rewards: ${src.rewards.join(', ')}` : ''})`);
  });
  out.push('');
  let metric: MetricId | null = wanted !== null && c.metrics.includes(wanted) ? wanted : c.metrics.includes('accuracy') ? 'accuracy' : (c.metrics[0] ?? null);
  if (wanted !== null && metric !== wanted) out.push(`no source has ${METRIC_LABELS[wanted]}; showing ${metric === null ? 'nothing' : METRIC_LABELS[metric]}`);
  const first = c.sources[0]!.name;
  if (metric !== null) {
    const unit = metric === 'length' ? '' : ' %';
    out.push(`${METRIC_LABELS[metric]}${unit} (n = prompts; Δ vs ${first}${metric === 'length' ? '' : ' in points'} over the prompts both have; ${SIGNIFICANT} significant after Holm, α = ${c.alpha})`);
    const rows: string[][] = [['dataset', ...c.sources.map((s) => s.name)]];
    for (const r of c.rows) {
      const label = r.slice === null ? r.dataset : `  ${c.slice}=${r.slice}`;
      rows.push([
        label,
        ...c.sources.map((_, i) => {
          const st = r.metrics[i]?.[metric!];
          if (!st || st.n === 0) return '-';
          const d = i > 0 ? deltaText(metric!, r.deltas[i]?.[metric!]) : '';
          return `${metricText(metric!, st.value)} (${st.n})${d ? ` Δ ${d}` : ''}`;
        }),
      ]);
    }
    rows.push(['all', ...c.sources.map((_, i) => {
      const st = c.overall[i]?.[metric!];
      return st && st.n > 0 ? `${metricText(metric!, st.value)} (${st.n})` : '-';
    })]);
    out.push(...padTable(rows));
    const others = c.metrics.filter((m) => m !== metric);
    if (others.length) {
      out.push('');
      out.push('other metrics, all samples:');
      const orows: string[][] = [['metric', ...c.sources.map((s) => s.name)]];
      for (const m of others) orows.push([`${METRIC_LABELS[m]}${m === 'length' ? '' : ' %'}`, ...c.sources.map((_, i) => metricText(m, c.overall[i]?.[m]?.value))]);
      out.push(...padTable(orows).map((l) => `  ${l}`));
    }
  } else out.push('no metric to compare: no source has a scored answer');
  out.push('');
  out.push(`flips on accuracy vs ${first} (prompts both have; right = per-prompt accuracy ≥ 0.5):`);
  c.sources.forEach((src, i) => {
    const f = c.flips[i];
    if (!f) return;
    out.push(`  ${src.name}: ${f.bOnly.length} right only here, ${f.aOnly.length} right only in ${first}, ${f.both} right in both, ${f.neither} wrong in both`);
  });
  const missingAny = new Set(c.unmatched.flatMap((u) => u.missing));
  out.push('');
  if (missingAny.size === 0) out.push(`unmatched: none (every prompt is in every source; matched by ${c.matchedBy === 'id' ? 'sample id' : 'sample id, else image + question'})`);
  else {
    out.push(`unmatched: ${missingAny.size} prompt${missingAny.size === 1 ? '' : 's'} not in every source (left out of Δ and flips; --json lists them):`);
    for (const u of c.unmatched) {
      if (u.missing.length === 0) continue;
      const some = u.missing.slice(0, 5).join(', ');
      out.push(`  ${u.name} lacks ${u.missing.length}: ${some}${u.missing.length > 5 ? ', …' : ''}`);
    }
  }
  const errs = c.issues.filter((i) => i.severity === 'error').length;
  out.push(`issues   ${c.issues.length === 0 ? 'none' : `${errs} errors, ${c.issues.length - errs} warnings (listed on stderr)`}`);
  return out.join('\n') + '\n';
}

export function renderChecks(logs: LogCheck[]): string {
  const out: string[] = [];
  for (const l of logs) {
    out.push(`${l.target}  (${l.format}, ${l.records} records)`);
    const names = Object.keys(l.rewards);
    if (names.length === 0) out.push('  no reward of this log has a known definition: nothing recomputed');
    for (const n of names) {
      const s = l.rewards[n]!;
      const state = s.mismatches > 0 ? `MISMATCH in ${s.mismatches} of ${s.compared}` : `ok (${s.compared} compared)`;
      out.push(`  ${n}: ${state}${s.notComputable ? `, ${s.notComputable} not computable (see show --explain)` : ''}`);
      for (const ex of s.examples) {
        const where = ex.unit === 'row' ? `${ex.file}: row ${ex.line}` : `${ex.file}:${ex.line}`;
        out.push(`    record ${ex.record} (${where}): logged ${ex.logged} vs recomputed ${ex.recomputed}`);
      }
    }
    if (l.notRecomputed.length) out.push(`  not recomputed (definition unknown): ${l.notRecomputed.join(', ')}`);
  }
  const total = logs.reduce((a, l) => a + l.mismatches, 0);
  out.push(total > 0 ? `${total} mismatches` : 'no mismatches');
  return out.join('\n') + '\n';
}

function renderCheck(c: RolloutCheck, explain: boolean): string {
  const out: string[] = [];
  for (const x of c.comparisons) {
    const mark = x.mismatch ? '  MISMATCH' : '';
    out.push(`recomputed ${x.name}: ${x.recomputed === null ? 'not computable' : num(x.recomputed)} (logged ${x.logged === null ? '-' : num(x.logged)})${mark}`);
    if (explain) for (const st of c.explain[x.name]?.steps ?? []) out.push(`    ${st.label}: ${st.value}`);
  }
  if (c.notRecomputed.length) out.push(`not recomputed (definition unknown): ${c.notRecomputed.join(', ')}`);
  return out.length ? out.join('\n') + '\n' : '';
}

// ---- JSON shapes (stable; documented in docs/format-and-cli.md) ----

export interface ShowJson {
  file: string;
  line: number;
  /** 'row' for tabular formats (Parquet, JSON arrays). */
  unit?: 'row';
  format?: string;
  record: Record<string, unknown>;
  issues: Array<{ file: string; line: number; message: string; severity: 'error' | 'warning' }>;
}

export function showJson(file: string, line: number, r: Rollout, issues: LogIssue[], log?: RolloutLog): ShowJson {
  const record: Record<string, unknown> = { step: r.step, groupId: r.groupId, indexInGroup: r.indexInGroup };
  if (r.sampleId !== undefined) record.sampleId = r.sampleId;
  record.prompt = { text: r.prompt.text, images: r.prompt.images.map(imageJson) };
  record.completion = r.completion;
  if (r.answer !== undefined) record.answer = r.answer;
  const reference: Record<string, unknown> = {};
  if (r.reference.answer !== undefined) reference.answer = r.reference.answer;
  reference.boxes = r.reference.boxes.map(boxJson);
  record.reference = reference;
  const gtIous = bestIous(r.predicted.map((b) => b.box), r.reference.boxes.map((b) => b.box));
  record.predicted = r.predicted.map((b, i) => ({ ...boxJson(b), iou: r.reference.boxes.length ? gtIous[i] : null }));
  record.rewards = r.rewards;
  record.reward = r.reward;
  record.advantage = r.advantage;
  record.advantageSource = r.advantageSource;
  if (r.verdict) record.verdict = r.verdict;
  record.generatedImages = r.generatedImages.map(imageJson);
  record.extra = r.extra;
  if (r.eval) record.eval = r.eval;
  const out: ShowJson = { file, line, record, issues: issues.map((i) => ({ file: i.file, line: i.line, message: i.message, severity: i.severity })) };
  if (r.source.unit === 'row') out.unit = 'row';
  if (log) {
    out.format = log.format;
    record.stepKind = log.stepKind;
    if (r.advantageSource === 'recomputed' && log.advantage.assumptions) record.advantageAssumptions = log.advantage.assumptions;
  }
  return out;
}

function imageJson(im: ImageRef): Record<string, unknown> {
  const o: Record<string, unknown> = { path: im.path, resolved: im.resolved ?? null, width: im.width ?? null, height: im.height ?? null };
  if (im.inputWidth !== undefined) o.inputWidth = im.inputWidth;
  if (im.inputHeight !== undefined) o.inputHeight = im.inputHeight;
  if (im.orientation !== undefined) o.orientation = im.orientation;
  return o;
}

function boxJson(b: Box): Record<string, unknown> {
  const o: Record<string, unknown> = { box: b.box, raw: b.raw, label: b.label ?? null, frame: b.frame };
  if (b.frameAssumed) o.frameAssumed = true;
  if (b.span) o.span = b.span;
  if (b.part) o.part = b.part;
  if (b.imageIndex !== undefined) o.imageIndex = b.imageIndex;
  if (b.candidates) o.frameCandidates = b.candidates;
  return o;
}

// ---- human output ----

function num(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/0+$/, '');
}

function fmtCoords(b: readonly number[]): string {
  return `[${b.map((n) => (Number.isInteger(n) ? String(n) : n.toFixed(1))).join(', ')}]`;
}

export function renderSummary(s: Summary & { perStep?: ScaleSummary['perStep'] }): string {
  const lines: string[] = [];
  lines.push(`format   ${s.format === null ? '(nothing read)' : s.format === 'mixed' ? 'mixed' : `${s.format} (${FORMAT_LABELS[s.format]})`}`);
  if (s.logs.length > 1 || s.logs.some((l) => l.files > 1)) {
    for (const l of s.logs) lines.push(`  log    ${l.target}  ${l.format}, ${l.files} file${l.files === 1 ? '' : 's'}, ${l.records} records, ${l.groups} groups`);
  }
  for (const l of s.logs) {
    if (l.stepKind === 'batch-ordinal') lines.push(`  note   ${path.basename(l.target)}: no step in this format; steps are batch ordinals`);
    if (l.advantage.source === 'recomputed') lines.push(`  note   ${path.basename(l.target)}: advantages recomputed: ${l.advantage.assumptions ?? ''}`);
    if (l.grouping.method === 'blocks' && l.grouping.groupSize) lines.push(`  note   ${path.basename(l.target)}: groups = blocks of G = ${l.grouping.groupSize}${l.grouping.groupSizeSource ? ` (${l.grouping.groupSizeSource})` : ''}`);
    if (l.grouping.method === 'none' && l.stepKind !== 'none') lines.push(`  note   ${path.basename(l.target)}: group size unknown; pass --group-size G or set it in rollout-lens.json`);
  }
  lines.push(`files    ${s.files.length}${s.files.length > 0 && s.files.length <= 5 ? `  (${s.files.join(', ')})` : ''}`);
  lines.push(`records  ${s.records}`);
  lines.push(`groups   ${s.groups}${s.zeroVarianceGroups > 0 ? `  (${s.zeroVarianceGroups} with zero reward variance)` : ''}`);
  lines.push(`steps    ${s.steps ? `${s.steps.min}–${s.steps.max} (${s.steps.count} distinct)` : '-'}`);
  const names = Object.keys(s.rewards);
  if (names.length === 0) lines.push('rewards  -');
  else {
    const w = Math.max(...names.map((n) => n.length));
    lines.push('rewards  name' + ' '.repeat(Math.max(1, w - 3)) + ' mean      count');
    for (const n of names) {
      const r = s.rewards[n];
      lines.push(`         ${n.padEnd(w)}  ${num(r.mean).padEnd(9)} ${r.count}`);
    }
  }
  const per = s.perStep ?? [];
  if (per.length > 1) {
    const rows = per.length <= 12 ? per : [...per.slice(0, 6), null, ...per.slice(-6)];
    lines.push('per step step      records  groups  mean reward  no-signal groups');
    for (const r of rows) {
      if (r === null) {
        lines.push(`         … ${per.length - 12} more steps (--json has them all)`);
        continue;
      }
      lines.push(
        `         ${String(r.step).padEnd(9)} ${String(r.records).padEnd(8)} ${String(r.groups).padEnd(7)} ${(r.meanReward === null ? '-' : num(r.meanReward)).padEnd(12)} ${r.zeroVarianceGroups}`,
      );
    }
  }
  const errs = s.errors.filter((e) => e.severity === 'error').length;
  const warns = s.errors.length - errs;
  lines.push(`issues   ${s.errors.length === 0 ? 'none' : `${errs} errors, ${warns} warnings (listed on stderr)`}`);
  return lines.join('\n') + '\n';
}

export function renderRollout(file: string, index: number, r: Rollout): string {
  const out: string[] = [];
  out.push(`${file}${r.source.unit === 'row' ? `: row ${r.source.line}` : `:${r.source.line}`}  record ${index}`);
  out.push(`step ${r.step}  group ${r.groupId}  #${r.indexInGroup}${r.sampleId !== undefined ? `  sample ${r.sampleId}` : ''}`);
  out.push('');
  out.push('prompt:');
  out.push(indent(r.prompt.text || '(no text)'));
  r.prompt.images.forEach((im, i) => out.push(`image ${i}: ${describeImage(im)}`));
  r.generatedImages.forEach((im, i) => out.push(`generated image ${i}: ${describeImage(im)}`));
  out.push('');
  out.push('completion:');
  out.push(indent(r.completion));
  out.push('');
  if (r.answer !== undefined) out.push(`answer: ${r.answer}`);
  if (r.reference.answer !== undefined) out.push(`reference answer: ${r.reference.answer}`);
  if (r.reference.boxes.length > 0) {
    out.push('reference boxes (original pixels):');
    for (const b of r.reference.boxes) out.push(`  ${describeBox(b)}`);
  }
  if (r.predicted.length > 0) {
    out.push('predicted boxes (original pixels):');
    for (const b of r.predicted) out.push(`  ${describeBox(b)}`);
  }
  const rw = Object.entries(r.rewards).map(([k, v]) => `${k} ${v === null ? 'null' : num(v)}`);
  out.push(`rewards: ${rw.length > 0 ? rw.join('  ') : '-'}`);
  out.push(`reward: ${r.reward === null ? '-' : num(r.reward)}   advantage: ${r.advantage === null ? '-' : `${num(r.advantage)} (${r.advantageSource})`}`);
  if (r.verdict) {
    const v = r.verdict;
    out.push(`verdict: ${v.label} (${v.source}${v.confidence !== undefined ? `, ${num(v.confidence)}` : ''})${v.rationale ? ` — ${v.rationale}` : ''}`);
  }
  const extraKeys = Object.keys(r.extra);
  if (extraKeys.length > 0) out.push(`extra: ${JSON.stringify(r.extra)}`);
  return out.join('\n') + '\n';
}

function describeImage(im: ImageRef): string {
  const size = im.width !== undefined && im.height !== undefined ? `${im.width}×${im.height}` : 'size unknown';
  const input = im.inputWidth !== undefined ? `, model input ${im.inputWidth}×${im.inputHeight}` : '';
  const orient = im.orientation !== undefined && im.orientation !== 1 ? `, EXIF orientation ${im.orientation}` : '';
  return `${im.path} → ${im.resolved ?? '(not found)'} (${size}${input}${orient})`;
}

function describeBox(b: Box): string {
  const parts = [fmtCoords(b.box)];
  if (b.label !== undefined) parts.push(JSON.stringify(b.label));
  const where: string[] = [];
  if (b.frame !== 'original') where.push(`${b.frame} ${fmtCoords(b.raw)}`);
  if (b.frameAssumed) where.push('frame assumed');
  if (b.part) where.push(b.part);
  if (b.span) where.push(`chars ${b.span[0]}–${b.span[1]}`);
  return parts.join(' ') + (where.length > 0 ? `  (${where.join(', ')})` : '');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`rollout-lens: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
