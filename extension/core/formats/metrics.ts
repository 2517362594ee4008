// Scalar training curves for the run overview: HF / TRL / VLM-R1 `trainer_state.json` (`log_history`),
// verl's file logger (`{"step": N, "data": {...}}` JSONL) and EasyR1's `experiment_log.jsonl` (nested keys).
// Each reader returns rows {step, metrics}; `canonicalSeries` maps the frameworks' names onto one set of
// series (reward, reward_std, completion_length, kl, rewards/<name> …). Bad lines are issues with file and
// line, never errors. Pure Node (fs, path); no `vscode`.

import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import type { LogIssue } from '../model';
import { parseJsonLenient } from './lineIndex';

export interface MetricRow {
  step: number;
  metrics: Record<string, number>;
  /** 1-based line of the row in its file (for trainer_state.json: the line its log_history entry starts on). */
  line?: number;
}

export type MetricFileKind = 'trainer-state' | 'verl-file-logger' | 'easyr1-experiment-log';

export interface MetricFile {
  file: string;
  kind: MetricFileKind;
  rows: MetricRow[];
  issues: LogIssue[];
}

export interface TrainerStateMetrics extends MetricFile {
  kind: 'trainer-state';
  globalStep: number | null;
  maxSteps: number | null;
  /** Training rows of log_history (eval rows, whose keys start with `eval_`, are in `evalRows`). */
  logHistory: MetricRow[];
  evalRows: MetricRow[];
  /** The closing entry (train_runtime, train_loss, total_flos…), when training finished. */
  trainSummary: Record<string, number> | null;
}

/** Longest file read whole (trainer_state.json of very long runs is tens of MB). */
const MAX_STATE_BYTES = 256 * 1024 * 1024;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Nested objects → flat keys joined with '/': {reward: {overall: 1}} → {"reward/overall": 1}. Non-numbers are dropped. */
export function flattenMetrics(obj: Record<string, unknown>, prefix = '', out: Record<string, number> = {}): Record<string, number> {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}/${k}` : k;
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = v;
    else if (typeof v === 'boolean') out[key] = v ? 1 : 0;
    else if (isObj(v)) flattenMetrics(v, key, out);
  }
  return out;
}

function lineAtOffset(text: string, offset: number, from = { offset: 0, line: 1 }): number {
  let line = from.line;
  for (let i = from.offset; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Start offsets of the elements of the top-level `"log_history": [ … ]` array (strings skipped). */
function logHistoryOffsets(text: string): number[] {
  const out: number[] = [];
  const key = text.indexOf('"log_history"');
  if (key < 0) return out;
  let i = text.indexOf('[', key);
  if (i < 0) return out;
  let depth = 0;
  let inString = false;
  let expecting = false;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    if (depth === 1 && expecting && c !== 0x5d) {
      out.push(i);
      expecting = false;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth === 1) expecting = true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
      if (depth === 0) break;
    } else if (c === 0x2c && depth === 1) expecting = true;
  }
  return out;
}

function jsonErrorLine(text: string, e: unknown): number {
  const msg = (e as Error).message ?? '';
  const lm = /line (\d+)/.exec(msg);
  if (lm) return Number(lm[1]);
  const pm = /position (\d+)/.exec(msg);
  return pm ? lineAtOffset(text, Number(pm[1])) : 0;
}

/** HF Trainer state: log_history rows (train / eval), the train summary, global_step. */
export async function readTrainerState(file: string): Promise<TrainerStateMetrics> {
  const res: TrainerStateMetrics = {
    file,
    kind: 'trainer-state',
    rows: [],
    issues: [],
    globalStep: null,
    maxSteps: null,
    logHistory: [],
    evalRows: [],
    trainSummary: null,
  };
  const issue = (line: number, message: string, severity: 'error' | 'warning' = 'error'): void => void res.issues.push({ file, line, message, severity });
  let text: string;
  try {
    const st = await fs.promises.stat(file);
    if (st.size > MAX_STATE_BYTES) {
      issue(0, `skipped: ${st.size} bytes is more than the ${MAX_STATE_BYTES} read for trainer_state.json`);
      return res;
    }
    text = (await fs.promises.readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  } catch (e) {
    issue(0, `cannot read: ${(e as Error).message}`);
    return res;
  }
  let data: unknown;
  try {
    const parsed = parseJsonLenient(text);
    data = parsed.value;
    if (parsed.replacedNonFinite) issue(0, 'NaN / Infinity values (Python json) were read as missing', 'warning');
  } catch (e) {
    issue(jsonErrorLine(text, e), `not valid JSON: ${(e as Error).message}`);
    return res;
  }
  if (!isObj(data)) {
    issue(1, 'expected a JSON object (trainer_state.json)');
    return res;
  }
  if (typeof data.global_step === 'number') res.globalStep = data.global_step;
  if (typeof data.max_steps === 'number') res.maxSteps = data.max_steps;
  const hist = data.log_history;
  if (hist === undefined) {
    issue(0, 'no log_history', 'warning');
    return res;
  }
  if (!Array.isArray(hist)) {
    issue(lineAtOffset(text, Math.max(0, text.indexOf('"log_history"'))), 'log_history must be a list');
    return res;
  }
  const offsets = logHistoryOffsets(text);
  const sameShape = offsets.length === hist.length;
  let cursor = { offset: 0, line: 1 };
  const lineOf = (k: number): number => {
    if (!sameShape) return 0;
    const line = lineAtOffset(text, offsets[k], cursor);
    cursor = { offset: offsets[k], line };
    return line;
  };
  hist.forEach((entry, k) => {
    const line = lineOf(k);
    if (!isObj(entry)) {
      issue(line, `log_history[${k}] is not an object`);
      return;
    }
    const metrics = flattenMetrics(entry);
    const step = typeof entry.step === 'number' && Number.isFinite(entry.step) ? entry.step : null;
    if ('train_runtime' in entry || 'train_loss' in entry) {
      delete metrics.step;
      res.trainSummary = metrics;
      return;
    }
    if (step === null) {
      issue(line, `log_history[${k}] has no numeric step`);
      return;
    }
    delete metrics.step;
    const row: MetricRow = { step, metrics, line };
    if (Object.keys(metrics).some((m) => m.startsWith('eval_')) && !('loss' in metrics) && !('reward' in metrics)) res.evalRows.push(row);
    else res.logHistory.push(row);
  });
  res.rows = res.logHistory;
  return res;
}

/** JSONL rows with `step`; `data` nested (verl) or the whole line nested (EasyR1). */
async function readStepJsonl(file: string, kind: 'verl-file-logger' | 'easyr1-experiment-log'): Promise<MetricFile> {
  const res: MetricFile = { file, kind, rows: [], issues: [] };
  const issue = (line: number, message: string, severity: 'error' | 'warning' = 'error'): void => void res.issues.push({ file, line, message, severity });
  let input: fs.ReadStream;
  try {
    await fs.promises.access(file, fs.constants.R_OK);
    input = fs.createReadStream(file, { encoding: 'utf8' });
  } catch (e) {
    issue(0, `cannot read: ${(e as Error).message}`);
    return res;
  }
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  let nonFinite = 0;
  try {
    for await (const raw of rl) {
      line++;
      const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (text.trim() === '') continue;
      let v: unknown;
      try {
        const parsed = parseJsonLenient(text);
        v = parsed.value;
        if (parsed.replacedNonFinite) nonFinite++;
      } catch (e) {
        issue(line, `not valid JSON: ${(e as Error).message}`);
        continue;
      }
      if (!isObj(v)) {
        issue(line, 'expected a JSON object');
        continue;
      }
      const step = typeof v.step === 'number' && Number.isFinite(v.step) ? v.step : typeof v.step === 'string' && /^\d+$/.test(v.step) ? Number(v.step) : null;
      if (step === null) {
        issue(line, `no numeric step (got ${JSON.stringify(v.step) ?? 'nothing'})`);
        continue;
      }
      let metrics: Record<string, number>;
      if (kind === 'verl-file-logger') {
        if (!isObj(v.data)) {
          issue(line, 'expected {"step": N, "data": {...}}');
          continue;
        }
        metrics = flattenMetrics(v.data);
      } else {
        const { step: _s, ...rest } = v;
        void _s;
        metrics = flattenMetrics(rest);
      }
      res.rows.push({ step, metrics, line });
    }
  } catch (e) {
    issue(line, `read failed: ${(e as Error).message}`);
  }
  if (nonFinite > 0) issue(0, `${nonFinite} lines had NaN / Infinity values (read as missing)`, 'warning');
  return res;
}

/** verl `trainer.logger=[file]`: `{"step": N, "data": {"critic/score/mean": …}}` per line. */
export function readVerlFileLogger(file: string): Promise<MetricFile> {
  return readStepJsonl(file, 'verl-file-logger');
}

/** EasyR1 FileLogger: `{"step": N, "reward": {"overall": …}, "actor": {…}}` per line; keys flattened with '/'. */
export function readEasyR1ExperimentLog(file: string): Promise<MetricFile> {
  return readStepJsonl(file, 'easyr1-experiment-log');
}

export function readMetricFile(file: string, kind: MetricFileKind): Promise<MetricFile> {
  if (kind === 'trainer-state') return readTrainerState(file);
  return readStepJsonl(file, kind);
}

export interface MetricFileRef {
  file: string;
  kind: MetricFileKind;
}

function listDir(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function headOf(file: string, bytes = 4096): string {
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(bytes);
    const n = fs.readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/** Is the first line a verl file-logger row? */
export function sniffVerlFileLogger(head: string): boolean {
  const first = head.replace(/^\uFEFF/, '').split('\n', 1)[0].trim();
  return /^\{\s*"step"\s*:\s*\d+\s*,\s*"data"\s*:\s*\{/.test(first);
}

/**
 * Metric files of a run (bounded, no deep search): EasyR1 `experiment_log.jsonl`; verl file-logger JSONL
 * in the run folder or its `logs/` / `metrics/` folder (sniffed by content); `trainer_state.json` of the
 * run folder and of the latest `checkpoint-N/` (the one with the higher global_step is the fuller history;
 * both are listed, latest checkpoint first).
 */
export function findMetricFiles(runDir: string): MetricFileRef[] {
  const out: MetricFileRef[] = [];
  const easy = path.join(runDir, 'experiment_log.jsonl');
  if (fs.existsSync(easy)) out.push({ file: easy, kind: 'easyr1-experiment-log' });
  for (const sub of ['', 'logs', 'metrics']) {
    const dir = path.join(runDir, sub);
    for (const e of listDir(dir).slice(0, 500)) {
      if (!e.isFile() || !/\.jsonl$/i.test(e.name) || e.name === 'experiment_log.jsonl') continue;
      const f = path.join(dir, e.name);
      if (sniffVerlFileLogger(headOf(f))) out.push({ file: f, kind: 'verl-file-logger' });
    }
  }
  let best: { n: number; dir: string } | null = null;
  for (const e of listDir(runDir)) {
    const m = /^checkpoint-(\d+)$/.exec(e.name);
    if (!m) continue;
    const state = path.join(runDir, e.name, 'trainer_state.json');
    if (!fs.existsSync(state)) continue;
    const n = Number(m[1]);
    if (!best || n > best.n) best = { n, dir: path.join(runDir, e.name) };
  }
  if (best) out.push({ file: path.join(best.dir, 'trainer_state.json'), kind: 'trainer-state' });
  const top = path.join(runDir, 'trainer_state.json');
  if (fs.existsSync(top)) out.push({ file: top, kind: 'trainer-state' });
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Canonical series

/** Canonical series and the framework names that feed them, first match wins per row. */
export const CANONICAL_SOURCES: Record<string, string[]> = {
  reward: ['reward', 'critic/score/mean', 'reward/overall', 'train/reward', 'critic/rewards/mean'],
  reward_std: ['reward_std', 'train/reward_std'],
  frac_reward_zero_std: ['frac_reward_zero_std', 'train/frac_reward_zero_std'],
  completion_length: ['completions/mean_length', 'completion_length', 'response_length/mean', 'train/completions/mean_length'],
  completion_clipped_ratio: ['completions/clipped_ratio', 'response_length/clip_ratio'],
  kl: ['kl', 'actor/kl_loss', 'critic/kl', 'actor/ppo_kl', 'train/kl'],
  loss: ['loss', 'actor/pg_loss', 'train/loss'],
  entropy: ['entropy', 'actor/entropy', 'actor/entropy_loss'],
  grad_norm: ['grad_norm', 'actor/grad_norm'],
  learning_rate: ['learning_rate', 'actor/lr'],
  clip_ratio: ['clip_ratio/region_mean', 'clip_ratio', 'actor/pg_clipfrac'],
  advantage_mean: ['critic/advantages/mean'],
};

export const CANONICAL_LABELS: Record<string, string> = {
  reward: 'reward (mean)',
  reward_std: 'reward std',
  frac_reward_zero_std: 'groups with zero reward std',
  completion_length: 'completion length (tokens)',
  completion_clipped_ratio: 'completions cut at max length',
  kl: 'KL',
  loss: 'loss',
  entropy: 'entropy',
  grad_norm: 'grad norm',
  learning_rate: 'learning rate',
  clip_ratio: 'clip ratio',
  advantage_mean: 'advantage mean',
};

/**
 * The reward function a per-function metric key names, or null:
 * TRL ≥ 0.17 `rewards/<name>/mean`, TRL < 0.17 and VLM-R1 `rewards/<name>`, EasyR1 `reward/<name>` (not `overall`),
 * wandb-prefixed `train/rewards/<name>/mean`.
 */
export function rewardFunctionOf(key: string): string | null {
  const k = key.startsWith('train/') ? key.slice(6) : key;
  let m = /^rewards\/(.+)\/mean$/.exec(k);
  if (m) return m[1];
  m = /^rewards\/([^/]+)$/.exec(k);
  if (m) return m[1];
  m = /^reward\/([^/]+)$/.exec(k);
  if (m && m[1] !== 'overall' && m[1] !== 'mean' && m[1] !== 'std') return m[1];
  return null;
}

/**
 * Rows → canonical series {reward, reward_std, frac_reward_zero_std, completion_length, kl, …,
 * "rewards/<name>"} as [step, value] pairs sorted by step (a repeated step keeps its last value).
 */
export function canonicalSeries(rows: readonly MetricRow[]): Record<string, Array<[number, number]>> {
  const acc = new Map<string, Map<number, number>>();
  const put = (name: string, step: number, v: number): void => {
    let m = acc.get(name);
    if (!m) acc.set(name, (m = new Map()));
    m.set(step, v);
  };
  for (const row of rows) {
    for (const [name, keys] of Object.entries(CANONICAL_SOURCES)) {
      for (const k of keys) {
        const v = row.metrics[k];
        if (typeof v === 'number' && Number.isFinite(v)) {
          put(name, row.step, v);
          break;
        }
      }
    }
    // per-function rewards: the /mean form wins over the bare form in the same row
    const perFn = new Map<string, { v: number; mean: boolean }>();
    for (const [k, v] of Object.entries(row.metrics)) {
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      const fn = rewardFunctionOf(k);
      if (!fn) continue;
      const mean = k.endsWith('/mean');
      const prev = perFn.get(fn);
      if (!prev || (mean && !prev.mean)) perFn.set(fn, { v, mean });
    }
    for (const [fn, { v }] of perFn) put(`rewards/${fn}`, row.step, v);
  }
  const out: Record<string, Array<[number, number]>> = {};
  for (const [name, m] of acc) out[name] = [...m.entries()].sort((a, b) => a[0] - b[0]);
  return out;
}

/** Read every metric file of a run and merge their canonical series (earlier files in `findMetricFiles` order win per step). */
export async function readRunMetrics(runDir: string): Promise<{ files: MetricFile[]; series: Record<string, Array<[number, number]>>; issues: LogIssue[] }> {
  const refs = findMetricFiles(runDir);
  const files: MetricFile[] = [];
  for (const r of refs) files.push(await readMetricFile(r.file, r.kind));
  // of several trainer_state.json files only the fullest history is used
  const states = files.filter((f) => f.kind === 'trainer-state') as TrainerStateMetrics[];
  const fullest = states.sort((a, b) => (b.globalStep ?? 0) - (a.globalStep ?? 0) || b.rows.length - a.rows.length)[0];
  const used = files.filter((f) => f.kind !== 'trainer-state' || f === fullest);
  const series: Record<string, Array<[number, number]>> = {};
  for (const f of used) {
    for (const [name, pts] of Object.entries(canonicalSeries(f.rows))) {
      if (!series[name]) series[name] = pts;
      else {
        const have = new Set(series[name].map((p) => p[0]));
        series[name] = [...series[name], ...pts.filter((p) => !have.has(p[0]))].sort((a, b) => a[0] - b[0]);
      }
    }
  }
  return { files, series, issues: files.flatMap((f) => f.issues) };
}
