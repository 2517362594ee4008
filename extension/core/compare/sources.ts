// What a comparison reads: eval files found in a run folder and linked to their checkpoint (step), command-line
// and tree arguments turned into CompareSources, and a source's samples loaded. Pure: no `vscode`.
//
// Eval files are found with fast-glob (DEFAULT_EVAL_GLOBS, configurable), inside checkpoint folders too, and
// kept only when their content is an eval format (eval JSONL, R1-V `{accuracy, results}`,
// generated_responses.json) or a verl validation dump (`<dir matching *val*>/<N>.jsonl`: step N).
// Step linking, first that applies:
//   folder  an ancestor folder below the run named checkpoint-N, global_step_N, global_stepN, step-N, step_N,
//           steps_N, ckpt-N or iter_N
//   name    the file name matches the step pattern (a regex with one capture group, DEFAULT_STEP_PATTERN), or
//           VLM-R1 `rec_results_{DATASET}_{RUN}_{STEPS}.json` (trailing `_N.json`); verl `<N>.jsonl`
//   record  the file's first record names a checkpoint (`checkpoint` / `model_path`) holding such a token

import * as fs from 'fs';
import * as path from 'path';
import fg from 'fast-glob';
import type { LogIssue } from '../model';
import { FORMAT_LABELS, naturalCompare, type FormatId, type ReadOptions, type RolloutLog } from '../formats/log';
import { detectFile, openPath } from '../formats/all';
import { parseEvalLine } from '../formats/evalOutputs';
import { errorMessage } from '../formats/rolloutLensJsonl';
import { datasetNameOf, evalSampleOf, stepOfFolderName } from './samples';
import type { CompareSource, EvalSample, LoadedSource, SourceKind } from './types';

export interface EvalFileInfo {
  /** The eval file (absolute). */
  path: string;
  format: FormatId;
  /** Dataset name from the file name (datasetNameOf). */
  dataset: string;
  /** The checkpoint step it evaluates, when it could be linked. */
  step: number | null;
  /** How the step was found (null: not linked). */
  linkedBy: 'folder' | 'name' | 'record' | null;
}

/** The evals of one checkpoint (step) of a run. */
export interface CheckpointEvals {
  step: number;
  /** The run's checkpoint-N / global_step_N folder when it exists; null for an eval-only checkpoint. */
  dir: string | null;
  evals: EvalFileInfo[];
}

export interface DiscoverEvalsOptions {
  /** Globs relative to the run folder (default DEFAULT_EVAL_GLOBS). */
  globs?: readonly string[];
  /** Regex with one capture group for the step in a file name (default DEFAULT_STEP_PATTERN). */
  stepPattern?: string;
  /** Most candidate files looked at (default 5000). */
  maxFiles?: number;
}

/** Where eval outputs are looked for in a run folder (every match is still checked by content). */
export const DEFAULT_EVAL_GLOBS: readonly string[] = [
  '**/*.eval.jsonl',
  '**/*results*.json',
  '**/generated_responses.json',
  '**/validation_data*/[0-9]*.jsonl',
  '**/val_data*/[0-9]*.jsonl',
];

/** Step token in a file name or a checkpoint label. */
export const DEFAULT_STEP_PATTERN = String.raw`(?:checkpoint|global_step|step|steps|ckpt|iter)[-_]?(\d+)`;

const EVAL_IGNORE = ['**/node_modules/**', '**/.git/**', '**/.tools/**', '**/wandb/**', '**/*.rollout-lens-cache/**'];

/** Formats that are eval outputs (verl validation dumps count too, see isEvalCandidate). */
export const EVAL_FORMATS: ReadonlySet<FormatId> = new Set<FormatId>(['eval-jsonl', 'r1v-eval-json', 'generated-responses-json']);

/** Folder names that hold a run's logs rather than being the run themselves. */
export const LOG_FOLDERS: ReadonlySet<string> = new Set([
  'rollouts',
  'completions',
  'logs',
  'log',
  'rollout_data',
  'rollout_data_dir',
  'validation_data',
  'validation_data_dir',
  'val_data',
  'debug_logs',
  'eval',
  'evals',
  'results',
  'eval_results',
]);

const VERL_STEP_FILE = /^(\d+)\.jsonl$/i;
const REC_RESULTS = /^rec_results_.*_(\d+)\.json$/i;

export { stepOfFolderName };

/**
 * The run a folder of logs belongs to: up past step-named folders (eval/checkpoint-100), one log folder
 * (eval/, logs/, validation_data/ …) and step-named folders again (checkpoint-100/eval).
 */
export function runFolderOf(dir: string): string {
  let d = dir;
  const up = (): boolean => {
    const parent = path.dirname(d);
    if (parent === d) return false;
    d = parent;
    return true;
  };
  while (stepOfFolderName(path.basename(d)) !== null && up());
  if (LOG_FOLDERS.has(path.basename(d).toLowerCase())) up();
  while (stepOfFolderName(path.basename(d)) !== null && up());
  return d;
}

/** The step pattern as a regex (case-insensitive); throws when it is not a regex with a capture group. */
export function compileStepPattern(pattern: string = DEFAULT_STEP_PATTERN): RegExp {
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'i');
  } catch (e) {
    throw new Error(`step pattern ${pattern} is not a regular expression: ${errorMessage(e)}`);
  }
  const groups = new RegExp(`${pattern}|`).exec('')!.length - 1;
  if (groups < 1) throw new Error(`step pattern ${pattern} needs a capture group for the step number`);
  return re;
}

function stepFrom(re: RegExp, text: string): number | null {
  const m = re.exec(text);
  if (!m) return null;
  const g = m.slice(1).find((x) => x !== undefined && /^\d+$/.test(x));
  return g === undefined ? null : Number(g);
}

/** Is a file of this format an eval for the comparison? verl step files count in a validation folder. */
function isEvalCandidate(file: string, format: FormatId | null, explicit = false): format is FormatId {
  if (format === null) return false;
  if (EVAL_FORMATS.has(format)) return true;
  if (format !== 'verl-jsonl') return false;
  return explicit || (VERL_STEP_FILE.test(path.basename(file)) && /val/i.test(path.basename(path.dirname(file))));
}

function readHead(file: string, bytes = 64 * 1024): string {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(bytes);
    const n = fs.readSync(fd, buf, 0, bytes, 0);
    return buf.toString('utf8', 0, n);
  } catch {
    return '';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The checkpoint the file's first record names (eval JSONL `checkpoint`; R1-V `model_path` / `checkpoint`). */
function checkpointLabelOf(file: string, format: FormatId): string | null {
  const head = readHead(file).replace(/^\uFEFF/, '');
  if (format === 'eval-jsonl') {
    for (const line of head.split('\n')) {
      if (!line.trim()) continue;
      const p = parseEvalLine(line);
      return 'error' in p ? null : (p.eval.checkpoint ?? null);
    }
    return null;
  }
  const m = /"(?:checkpoint|model_path|model_name_or_path)"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(head);
  return m ? m[1] : null;
}

/** The step a checkpoint label names: a step token anywhere, a step-named path segment, or a bare number. */
export function stepOfCheckpointLabel(label: string, re: RegExp = compileStepPattern()): number | null {
  const t = label.trim();
  if (/^\d+$/.test(t)) return Number(t);
  for (const seg of t.split(/[\\/]/).reverse()) {
    const s = stepOfFolderName(seg);
    if (s !== null) return s;
  }
  return stepFrom(re, t);
}

/** The step an eval file is linked to, and how (folder below `runDir`, name, first record). */
export function linkStep(file: string, format: FormatId, runDir: string | null, re: RegExp = compileStepPattern()): { step: number | null; linkedBy: EvalFileInfo['linkedBy'] } {
  const base = path.basename(file);
  if (format === 'verl-jsonl') {
    const v = VERL_STEP_FILE.exec(base);
    if (v) return { step: Number(v[1]), linkedBy: 'name' };
  }
  // folder: ancestors below the run (nearest first); without a run, the three nearest
  const rel = runDir === null ? null : path.relative(runDir, path.dirname(file));
  const segs = rel === null ? path.dirname(file).split(/[\\/]/).slice(-3) : rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(/[\\/]/) : [];
  for (const seg of segs.reverse()) {
    const s = stepOfFolderName(seg);
    if (s !== null) return { step: s, linkedBy: 'folder' };
  }
  const byName = stepFrom(re, base);
  if (byName !== null) return { step: byName, linkedBy: 'name' };
  const rec = REC_RESULTS.exec(base);
  if (rec) return { step: Number(rec[1]), linkedBy: 'name' };
  const label = checkpointLabelOf(file, format);
  if (label) {
    const s = stepOfCheckpointLabel(label, re);
    if (s !== null) return { step: s, linkedBy: 'record' };
  }
  return { step: null, linkedBy: null };
}

/** Eval files under a run folder (checkpoint folders included), each linked to a step when possible. */
export async function discoverEvals(runDir: string, opts: DiscoverEvalsOptions = {}): Promise<EvalFileInfo[]> {
  const root = path.resolve(runDir);
  const re = compileStepPattern(opts.stepPattern);
  const globs = [...(opts.globs ?? DEFAULT_EVAL_GLOBS)];
  // a validation dump folder given as the run: its own <N>.jsonl files
  if (/val/i.test(path.basename(root))) globs.push('[0-9]*.jsonl');
  let files: string[];
  try {
    files = await fg(globs, { cwd: root, absolute: true, onlyFiles: true, ignore: EVAL_IGNORE, suppressErrors: true, followSymbolicLinks: true, deep: 8 });
  } catch {
    return [];
  }
  files = [...new Set(files.map((f) => path.normalize(f)))].sort(naturalCompare).slice(0, opts.maxFiles ?? 5000);
  const out: EvalFileInfo[] = [];
  for (const f of files) {
    const format = detectFile(f);
    if (!isEvalCandidate(f, format)) continue;
    out.push({ path: f, format, dataset: datasetNameOf(f), ...linkStep(f, format, root, re) });
  }
  return out;
}

/** The run's own folder for a step: checkpoint-N, global_step_N or global_stepN, when it exists. */
export function checkpointDirOf(runDir: string, step: number): string | null {
  for (const name of [`checkpoint-${step}`, `global_step_${step}`, `global_step${step}`]) {
    const d = path.join(runDir, name);
    try {
      if (fs.statSync(d).isDirectory()) return d;
    } catch {
      /* not there */
    }
  }
  return null;
}

/** Evals grouped by the step they are linked to (unlinked ones left out), in step order. */
export function checkpointEvals(runDir: string, evals: readonly EvalFileInfo[]): CheckpointEvals[] {
  const by = new Map<number, EvalFileInfo[]>();
  for (const e of evals) {
    if (e.step === null) continue;
    const list = by.get(e.step) ?? [];
    list.push(e);
    by.set(e.step, list);
  }
  return [...by.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([step, list]) => ({ step, dir: checkpointDirOf(runDir, step), evals: list.sort((a, b) => naturalCompare(a.path, b.path)) }));
}

/** The folder an eval-only checkpoint is shown as: the step-named folder holding its evals, else the first eval's folder. */
export function stepFolderOf(evals: readonly EvalFileInfo[]): string | null {
  for (const e of evals) {
    let d = path.dirname(e.path);
    for (let i = 0; i < 4; i++) {
      if (stepOfFolderName(path.basename(d)) === e.step) return d;
      const up = path.dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  return evals.length ? path.dirname(evals[0].path) : null;
}

// ---------------------------------------------------------------------------------------------------
// Rewards the run trained with

/** Largest trainer_state.json read for its reward names. */
const MAX_STATE_BYTES = 64 * 1024 * 1024;

function rewardNamesIn(file: string): string[] | null {
  let text: string;
  try {
    if (fs.statSync(file).size > MAX_STATE_BYTES) return null;
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const names: string[] = [];
  const re = /"rewards\/([^"\/\\]+)(?:\/mean)?"\s*:/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) if (!names.includes(m[1])) names.push(m[1]);
  return names.length ? names : null;
}

/**
 * Reward functions the run trained with: the `rewards/<name>/mean` (TRL ≥ 0.17) or `rewards/<name>` (older TRL,
 * VLM-R1) keys of trainer_state.json — the step's own checkpoint first, else the fullest one of the run. Null when
 * unknown.
 */
export function checkpointRewards(runDir: string, step: number | null): string[] | null {
  if (step !== null) {
    const own = rewardNamesIn(path.join(runDir, `checkpoint-${step}`, 'trainer_state.json'));
    if (own) return own;
  }
  const states: Array<{ file: string; size: number }> = [];
  const consider = (file: string): void => {
    try {
      const st = fs.statSync(file);
      if (st.isFile()) states.push({ file, size: st.size });
    } catch {
      /* absent */
    }
  };
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(runDir);
  } catch {
    return null;
  }
  for (const e of entries) if (/^checkpoint-\d+$/.test(e)) consider(path.join(runDir, e, 'trainer_state.json'));
  consider(path.join(runDir, 'trainer_state.json'));
  states.sort((a, b) => b.size - a.size);
  for (const s of states) {
    const names = rewardNamesIn(s.file);
    if (names) return names;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------
// Arguments → sources

export interface ResolveOptions {
  stepPattern?: string;
  cwd?: string;
  /** Eval globs (default DEFAULT_EVAL_GLOBS). */
  globs?: readonly string[];
}

function stripEvalExt(base: string): string {
  return base.replace(/\.eval\.jsonl$/i, '').replace(/\.(jsonl|json)$/i, '');
}

/** Does a step-named folder hold a checkpoint (weights, trainer state, verl actor) rather than only evals? */
function looksLikeCheckpoint(dir: string): boolean {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return false;
  }
  return names.some((n) => /^(trainer_state|config|adapter_config|preprocessor_config)\.json$|\.(safetensors|bin|pt|pth)$|^(actor|critic)$/i.test(n));
}

interface Draft {
  source: CompareSource;
  /** Names that tell equal names apart, in order of preference (the parent folder's first). */
  prefixes: string[];
}

/**
 * Command-line or tree arguments → sources: an eval file; a checkpoint folder (checkpoint-N, global_step_N: the
 * run's evals linked to step N plus the eval files inside it); an eval-only step folder (eval/checkpoint-50); a run
 * folder (its newest step with evals, or its unlinked evals when none is linked). Arguments without an eval file
 * become error strings naming them and what was looked for.
 */
export async function resolveSources(args: readonly string[], opts: ResolveOptions = {}): Promise<{ sources: CompareSource[]; errors: string[] }> {
  const cwd = opts.cwd ?? process.cwd();
  const re = compileStepPattern(opts.stepPattern);
  const globs = opts.globs ?? DEFAULT_EVAL_GLOBS;
  const dopts: DiscoverEvalsOptions = { globs, stepPattern: opts.stepPattern };
  const cache = new Map<string, Promise<EvalFileInfo[]>>();
  const discover = (dir: string): Promise<EvalFileInfo[]> => {
    let p = cache.get(dir);
    if (!p) {
      p = discoverEvals(dir, dopts);
      cache.set(dir, p);
    }
    return p;
  };
  const lookedFor = `looked for ${globs.map((g) => g.replace(/^\*\*\//, '')).join(', ')}`;
  const drafts: Draft[] = [];
  const errors: string[] = [];
  for (const arg of args) {
    const p = path.resolve(cwd, arg);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      errors.push(`${arg}: no such file or folder`);
      continue;
    }
    if (!stat.isDirectory()) {
      const format = detectFile(p);
      if (format === null) {
        errors.push(`${arg}: not an eval file: format not recognised (eval JSONL, R1-V {accuracy, results}, generated_responses.json, verl <step>.jsonl)`);
        continue;
      }
      if (!isEvalCandidate(p, format, true)) {
        errors.push(`${arg}: a ${FORMAT_LABELS[format]} log, not an eval output`);
        continue;
      }
      const { step } = linkStep(p, format, null, re);
      const run = runFolderOf(path.dirname(p));
      const source: CompareSource = { name: stripEvalExt(path.basename(p)), kind: 'eval-file', path: p, step, evalFiles: [p] };
      const rewards = step !== null ? checkpointRewards(run, step) : null;
      if (rewards) source.rewards = rewards;
      drafts.push({ source, prefixes: [path.basename(path.dirname(p)), path.basename(run)] });
      continue;
    }
    const base = path.basename(p);
    const n = stepOfFolderName(base);
    if (n !== null) {
      const run = runFolderOf(p);
      const kind: SourceKind = looksLikeCheckpoint(p) ? 'checkpoint' : 'step';
      const linked = (await discover(run)).filter((e) => e.step === n).map((e) => e.path);
      const inside = (await discover(p)).map((e) => e.path);
      const evalFiles = [...new Set([...linked, ...inside])].sort(naturalCompare);
      if (evalFiles.length === 0) {
        errors.push(`${arg}: no eval files linked to ${base}: ${lookedFor} in ${run} (linked by a ${base}-style folder, a step in the file name, or the records' checkpoint)`);
        continue;
      }
      const source: CompareSource = { name: base, kind, path: p, step: n, evalFiles };
      const rewards = checkpointRewards(run, n);
      if (rewards) source.rewards = rewards;
      drafts.push({ source, prefixes: [path.basename(path.dirname(p)), path.basename(run)] });
      continue;
    }
    const evals = await discover(p);
    const groups = checkpointEvals(p, evals);
    const newest = groups[groups.length - 1];
    let source: CompareSource;
    if (newest) {
      const label = newest.dir ? path.basename(newest.dir) : `checkpoint-${newest.step}`;
      source = { name: `${base}@${label}`, kind: 'run', path: p, step: newest.step, evalFiles: newest.evals.map((e) => e.path) };
    } else {
      const loose = evals.filter((e) => e.step === null).map((e) => e.path);
      if (loose.length === 0) {
        errors.push(`${arg}: no eval files in this run: ${lookedFor} in ${p}`);
        continue;
      }
      source = { name: base, kind: 'run', path: p, step: null, evalFiles: loose };
    }
    const rewards = checkpointRewards(p, source.step);
    if (rewards) source.rewards = rewards;
    drafts.push({ source, prefixes: [path.basename(path.dirname(p))] });
  }
  // equal names: prefixed with the parent folder's name (else the run's, when that tells them apart); still equal: numbered
  const byName = new Map<string, Draft[]>();
  for (const d of drafts) byName.set(d.source.name, [...(byName.get(d.source.name) ?? []), d]);
  for (const [name, group] of byName) {
    if (group.length < 2) continue;
    const depth = Math.max(...group.map((d) => d.prefixes.length));
    let k = 0;
    for (; k < depth; k++) {
      const names = group.map((d) => `${d.prefixes[Math.min(k, d.prefixes.length - 1)]}/${name}`);
      if (new Set(names).size === names.length) break;
    }
    if (k === depth) k = 0;
    for (const d of group) d.source.name = `${d.prefixes[Math.min(k, d.prefixes.length - 1)]}/${name}`;
  }
  const seen = new Map<string, number>();
  for (const d of drafts) {
    const k = (seen.get(d.source.name) ?? 0) + 1;
    seen.set(d.source.name, k);
    if (k > 1) d.source.name = `${d.source.name} (${k})`;
  }
  return { sources: drafts.map((d) => d.source), errors };
}

// ---------------------------------------------------------------------------------------------------
// Loading

/** Read warnings kept per eval file (the rest are counted in one issue). */
const MAX_READ_WARNINGS = 20;

/**
 * Read every answer of a source's eval files as EvalSamples. Bad lines are skipped and named in `issues`
 * (file:line); never throws on a bad record. Throws, naming the file, when an eval file cannot be opened at all
 * (with several files, the others are still read and the failure is an issue; it throws when none opens).
 */
export async function loadSource(src: CompareSource, opts: ReadOptions = {}): Promise<LoadedSource> {
  const samples: EvalSample[] = [];
  const issues: LogIssue[] = [];
  let opened = 0;
  let firstError: Error | null = null;
  for (const file of src.evalFiles) {
    let log: RolloutLog;
    try {
      log = await openPath(file, opts);
    } catch (e) {
      const message = `cannot read: ${errorMessage(e)}`;
      if (src.evalFiles.length === 1) throw new Error(`${file}: ${message}`);
      firstError ??= new Error(`${file}: ${message}`);
      issues.push({ file, line: 0, message, severity: 'error' });
      continue;
    }
    opened++;
    try {
      let repeated = 0;
      for (const i of log.issues) {
        if (/^sample_id .* also on line \d+$/.test(i.message)) repeated++;
        else issues.push(i);
      }
      if (repeated > 0) issues.push({ file, line: 0, message: `${repeated} answers repeat a sample_id of an earlier line: averaged per prompt (mean@N)`, severity: 'warning' });
      const fallback = new Map<string, string>();
      let warnings = 0;
      let dropped = 0;
      for (let i = 0; i < log.recordCount; i++) {
        let got: ReturnType<RolloutLog['read']>;
        try {
          got = log.read(i);
        } catch (e) {
          const src0 = safeSource(log, i, file);
          issues.push({ ...src0, message: `cannot read the record: ${errorMessage(e)}`, severity: 'error' });
          continue;
        }
        for (const iss of got.issues) {
          if (iss.severity === 'error') issues.push(iss);
          else if (warnings < MAX_READ_WARNINGS) {
            warnings++;
            issues.push(iss);
          } else dropped++;
        }
        const r = got.rollout;
        if (!r) continue;
        const f = r.source.file;
        let ds = fallback.get(f);
        if (ds === undefined) {
          ds = datasetNameOf(f);
          fallback.set(f, ds);
        }
        samples.push(evalSampleOf(r, { log: file, record: i, datasetFallback: ds }));
      }
      if (dropped > 0) issues.push({ file, line: 0, message: `${dropped} more warnings while reading (not listed)`, severity: 'warning' });
    } finally {
      log.close();
    }
  }
  if (opened === 0 && firstError) throw firstError;
  return { source: src, samples, issues };
}

function safeSource(log: RolloutLog, i: number, file: string): { file: string; line: number } {
  try {
    const s = log.sourceOf(i);
    return { file: s.file, line: s.line };
  } catch {
    return { file, line: 0 };
  }
}
