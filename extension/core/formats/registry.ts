// Every format Rollout Lens reads, how a file's format is recognised (from its content, helped by its
// name), and how files and folders become logs. Pure: no `vscode`.

import * as fs from 'fs';
import * as path from 'path';
import fg from 'fast-glob';
import type { LogIssue } from '../model';
import { detectFormat } from './detect';
import { FormatId, FormatReader, ReadOptions, RolloutLog, naturalCompare } from './log';
import { errorMessage, openRolloutLensJsonl } from './rolloutLensJsonl';
import { withDatasetJoin } from './datasetEnrich';
import { withBoxes } from './boxEnrich';

export const rolloutLensReader: FormatReader = {
  id: 'rollout-lens-jsonl',
  sniff: (file, head) => detectFormat(file, head) !== null,
  async open(files, opts) {
    if (files.length !== 1) throw new Error(`a rollout-lens JSONL log is one file; got ${files.length}`);
    return openRolloutLensJsonl(files[0], opts);
  },
};

/** Readers in detection order: the most specific first, the project's own (most permissive) format last. */
const READERS: FormatReader[] = [];
let registered = false;

/** Register readers (the module of each format calls nothing itself: `formats/all.ts` lists them). */
export function registerReaders(readers: FormatReader[]): void {
  for (const r of readers) if (!READERS.some((x) => x.id === r.id)) READERS.push(r);
  registered = true;
}

export function readers(): readonly FormatReader[] {
  if (!registered) registerReaders([]);
  return [...READERS, rolloutLensReader];
}

export function readerFor(id: FormatId): FormatReader | undefined {
  return readers().find((r) => r.id === id);
}

/** Formats whose files in one folder form one log (per-step files of one run). */
const MULTI_FILE: ReadonlySet<FormatId> = new Set<FormatId>(['trl-parquet', 'trl-wandb-table', 'verl-jsonl']);

export function isMultiFileFormat(f: FormatId): boolean {
  return MULTI_FILE.has(f);
}

export const DETECT_BYTES = 64 * 1024;

/** The format of a file from its first 64 KB (and its name), or null. */
export function detectFile(file: string): FormatId | null {
  let fd: number | undefined;
  let head: Buffer;
  try {
    fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(DETECT_BYTES);
    const n = fs.readSync(fd, buf, 0, DETECT_BYTES, 0);
    head = buf.subarray(0, n);
  } catch {
    return null;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  return detectHead(file, head);
}

export function detectHead(file: string, head: Buffer): FormatId | null {
  if (/\.rollouts\.jsonl$/i.test(file)) return 'rollout-lens-jsonl';
  for (const r of readers()) {
    try {
      if (r.sniff(file, head)) return r.id;
    } catch {
      /* a sniffer must not decide for others */
    }
  }
  return null;
}

export function isCompanionFile(file: string, format: FormatId): boolean {
  const r = readerFor(format);
  try {
    return r?.isCompanion?.(file) ?? false;
  } catch {
    return false;
  }
}

/** What to open as one log: a format, the files (natural order), and what the user pointed at. */
export interface LogSpec {
  format: FormatId;
  /** The file, or the folder of a multi-file log. */
  target: string;
  files: string[];
}

export interface FindOptions {
  /** Folder depth searched (default 8: wandb tables sit five folders below the run). */
  deep?: number;
  /** Most candidate files looked at per folder given (default 20 000); more is reported. */
  maxFiles?: number;
}

/** Names never looked at when a folder is searched (bounded globbing). */
export const SEARCH_IGNORE = [
  '**/node_modules/**',
  '**/.git/**',
  '**/.tools/**',
  '**/checkpoint-*/**',
  '**/global_step*/**',
  '**/wandb/**/files/media/images/**',
  '**/wandb/**/logs/**',
  '**/*.rollout-lens-cache/**',
];
const CANDIDATES = ['**/*.jsonl', '**/*.json', '**/*.parquet', '**/*.txt', '**/*.log'];
/** JSON files that are never rollout logs (configs, states) — skipped without reading. */
const NOT_LOGS = /(^|[\\/])(trainer_state|config|args|experiment_config|preprocessor_config|tokenizer(_config)?|package(-lock)?|tsconfig|rollout-lens|special_tokens_map|generation_config|adapter_config|checkpoint_tracker|wandb-metadata|wandb-summary|requirements|output)\.json$|\.schema\.json$|(^|[\\/])(requirements|output|LICENSE|README)[^\\/]*\.txt$/i;

/**
 * Files and folders → logs. A file is one log (its format detected); a folder is searched (bounded) and
 * every log in it is returned: the per-step files of one run folder (TRL parquet, wandb tables, verl
 * `<step>.jsonl`) as one log per folder, companion files (VLM-R1 `_format.txt` …) left to their main log.
 */
export async function findLogs(paths: string[], opts: FindOptions = {}): Promise<{ specs: LogSpec[]; errors: LogIssue[] }> {
  const specs: LogSpec[] = [];
  const errors: LogIssue[] = [];
  const seen = new Set<string>();
  for (const p0 of paths) {
    const p = path.resolve(p0);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      errors.push({ file: p0, line: 0, message: 'no such file or folder', severity: 'error' });
      continue;
    }
    if (!stat.isDirectory()) {
      const format = detectFile(p);
      if (format === null) {
        errors.push({ file: p0, line: 0, message: `format not recognised (${supportedList()})`, severity: 'error' });
        continue;
      }
      if (!seen.has(p)) {
        seen.add(p);
        specs.push({ format, target: p, files: [p] });
      }
      continue;
    }
    const maxFiles = opts.maxFiles ?? 20000;
    let found: string[];
    try {
      found = await fg(CANDIDATES, {
        cwd: p,
        absolute: true,
        onlyFiles: true,
        deep: opts.deep ?? 8,
        ignore: SEARCH_IGNORE,
        suppressErrors: true,
        followSymbolicLinks: false,
      });
    } catch (e) {
      errors.push({ file: p0, line: 0, message: `cannot search the folder: ${errorMessage(e)}`, severity: 'error' });
      continue;
    }
    found = found.map((f) => path.normalize(f)).filter((f) => !NOT_LOGS.test(f));
    found.sort(naturalCompare);
    if (found.length > maxFiles) {
      errors.push({ file: p0, line: 0, message: `${found.length} candidate files; only the first ${maxFiles} were looked at`, severity: 'warning' });
      found = found.slice(0, maxFiles);
    }
    const multi = new Map<string, LogSpec>();
    const before = specs.length;
    for (const f of found) {
      if (seen.has(f)) continue;
      const format = detectFile(f);
      if (format === null || isCompanionFile(f, format)) continue;
      seen.add(f);
      if (MULTI_FILE.has(format)) {
        const dir = path.dirname(f);
        const key = `${format}\u0000${dir}`;
        let spec = multi.get(key);
        if (!spec) {
          spec = { format, target: dir, files: [] };
          multi.set(key, spec);
          specs.push(spec);
        }
        spec.files.push(f);
      } else specs.push({ format, target: f, files: [f] });
    }
    if (specs.length === before) errors.push({ file: p0, line: 0, message: `no rollout logs in this folder (${supportedList()})`, severity: 'error' });
  }
  for (const s of specs) s.files.sort(naturalCompare);
  return { specs, errors };
}

/** Open one log spec with its reader (records of formats without images joined to the run's dataset when the context names one). */
export async function openSpec(spec: LogSpec, opts: ReadOptions = {}): Promise<RolloutLog> {
  const r = readerFor(spec.format);
  if (!r) throw new Error(`no reader for ${spec.format}`);
  const log = await r.open(spec.files, { ...opts, target: spec.target });
  return withBoxes(await withDatasetJoin(log, opts), opts);
}

/** The one log a file or folder holds; throws, naming them, when a folder holds several (or none). */
export async function onlySpec(target: string): Promise<LogSpec> {
  const { specs, errors } = await findLogs([target]);
  if (specs.length === 0) throw new Error(errors[0]?.message ?? 'no rollout log found');
  if (specs.length > 1) throw new Error(`holds ${specs.length} logs; open one of them: ${specs.map((s) => s.target).join(', ')}`);
  return specs[0]!;
}

/** Open one file or folder as one log; a folder must hold exactly one log. */
export async function openPath(target: string, opts: ReadOptions = {}): Promise<RolloutLog> {
  return openSpec(await onlySpec(target), opts);
}

function supportedList(): string {
  return 'Rollout Lens reads rollout-lens JSONL, TRL completions parquet and wandb tables, verl rollout dumps, ms-swift completions.jsonl, VLM-R1 / R1-V / Visual-RFT debug logs, EasyR1 generations.log and eval outputs';
}
