// Run discovery with fast-glob: rollout logs matched by the user's globs, grouped into runs, with
// the run's HF-Trainer-style checkpoints (`checkpoint-N/`, verl `global_step_N/`) and the eval outputs linked
// to each (eval-only checkpoints included). Pure (no `vscode`): used by the Runs tree, the CLI and the tests.
import fg from 'fast-glob';
import * as path from 'path';
import type { FormatId } from '../formats/log';
import { naturalCompare } from '../formats/log';
import { detectFile, isCompanionFile, isMultiFileFormat } from '../formats/all';
import { LOG_FOLDERS, checkpointEvals, discoverEvals, runFolderOf, stepFolderOf, type DiscoverEvalsOptions, type EvalFileInfo } from '../compare/sources';

export interface CheckpointInfo {
  dir: string;
  step: number | null;
  hasTrainerState: boolean;
  /** Eval outputs linked to this checkpoint (compare/sources.ts discoverEvals), in path order. */
  evals?: EvalFileInfo[];
  /** No checkpoint folder in the run, only evals of this step (`dir` is the folder holding them). */
  evalOnly?: true;
}

/** One log of a run: a file, or a folder of per-step files (TRL parquet, verl, wandb tables). */
export interface LogEntry {
  format: FormatId;
  /** The file, or the folder of a multi-file log (absolute). */
  target: string;
  files: string[];
}

export interface RunInfo {
  /** The run folder (absolute). */
  dir: string;
  /** Display name: the run folder's name. */
  name: string;
  /** Rollout logs of the run, sorted by target. */
  logs: LogEntry[];
  checkpoints: CheckpointInfo[];
}

export { LOG_FOLDERS };

/**
 * The run a log (file or per-step folder) belongs to: wandb tables belong to the folder holding `wandb/`; else
 * the log's folder, walked up past step-named folders (checkpoint-100, step_200 …) and one log folder (eval/,
 * logs/, rollouts/ …): `<run>/eval/checkpoint-100/x.eval.jsonl` and `<run>/evals/step_200/x.json` belong to `<run>`.
 */
export function runDirOf(logPath: string, isFolder = false): string {
  const parts = logPath.split(/[\\/]/);
  const w = parts.lastIndexOf('wandb');
  if (w > 0) return parts.slice(0, w).join(path.sep) || path.sep;
  return runFolderOf(isFolder ? logPath : path.dirname(logPath));
}

export const DEFAULT_IGNORE = [
  '**/node_modules/**',
  '**/.git/**',
  '**/.tools/**',
  '**/wandb/**/files/media/images/**',
  '**/checkpoint-*/**',
  '**/global_step*/**',
];

/** Default `rolloutLens.runGlobs`: where each framework writes its rollouts (every match is still checked by content). */
export const DEFAULT_RUN_GLOBS = [
  '**/*.rollouts.jsonl',
  '**/*.eval.jsonl',
  '**/completions/completions_*.parquet',
  '**/wandb/*/files/media/table/completions_*.table.json',
  '**/completions.jsonl',
  '**/*debug_log*.txt',
  '**/[0-9]*.jsonl',
  '**/generations.log',
  '**/*results*.json',
  '**/generated_responses.json',
];

/**
 * Logs matched by the globs (bounded: `maxFiles`), kept only when their content is a format Rollout Lens
 * reads, grouped into runs; per-step files of one folder form one log; companion files are left out.
 */
export async function discoverRuns(
  root: string,
  globs: readonly string[],
  ignore: readonly string[] = DEFAULT_IGNORE,
  maxFiles = 20000,
  evalOptions: DiscoverEvalsOptions = {},
): Promise<RunInfo[]> {
  let files = await fg([...globs], { cwd: root, absolute: true, onlyFiles: true, ignore: [...ignore], suppressErrors: true, followSymbolicLinks: true, deep: 8 });
  files = files.map((x) => path.normalize(x)).sort(naturalCompare).slice(0, maxFiles);
  const entries = new Map<string, LogEntry>();
  for (const f of files) {
    const format = detectFile(f);
    if (format === null || isCompanionFile(f, format)) continue;
    if (isMultiFileFormat(format)) {
      const dir = path.dirname(f);
      const key = `${format}\u0000${dir}`;
      const e = entries.get(key) ?? { format, target: dir, files: [] };
      e.files.push(f);
      entries.set(key, e);
    } else entries.set(`${format}\u0000${f}`, { format, target: f, files: [f] });
  }
  const byRun = new Map<string, LogEntry[]>();
  for (const e of entries.values()) {
    const dir = runDirOf(e.target, e.target !== e.files[0]);
    const list = byRun.get(dir) ?? [];
    list.push(e);
    byRun.set(dir, list);
  }
  // eval outputs (inside checkpoint folders too): one search of the root, shared out to the runs
  const evalsByRun = new Map<string, EvalFileInfo[]>();
  for (const e of await discoverEvals(root, evalOptions)) {
    const dir = runDirOf(e.path);
    const list = evalsByRun.get(dir) ?? [];
    list.push(e);
    evalsByRun.set(dir, list);
  }
  // runs that have only evals linked to checkpoints are runs too
  for (const [dir, evals] of evalsByRun) if (!byRun.has(dir) && evals.some((e) => e.step !== null)) byRun.set(dir, []);
  const runs: RunInfo[] = [];
  for (const [dir, logs] of [...byRun.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    logs.sort((a, b) => naturalCompare(a.target, b.target));
    const checkpoints = withEvals(dir, await discoverCheckpoints(dir), evalsByRun.get(dir) ?? []);
    runs.push({ dir, name: path.basename(dir), logs, checkpoints });
  }
  return runs;
}

/**
 * Checkpoints with the evals linked to their step; a step with evals and no checkpoint folder becomes an
 * eval-only checkpoint (dir: the step folder holding the evals, e.g. `eval/checkpoint-50`).
 */
export function withEvals(runDir: string, checkpoints: CheckpointInfo[], evals: readonly EvalFileInfo[]): CheckpointInfo[] {
  const out = [...checkpoints];
  for (const g of checkpointEvals(runDir, evals)) {
    const same = out.filter((c) => c.step === g.step && !c.evalOnly);
    const hit = same.find((c) => g.dir !== null && path.normalize(c.dir) === path.normalize(g.dir)) ?? same[0];
    if (hit) hit.evals = g.evals;
    else out.push({ dir: stepFolderOf(g.evals) ?? runDir, step: g.step, hasTrainerState: false, evalOnly: true, evals: g.evals });
  }
  return out.sort((a, b) => (a.step ?? Infinity) - (b.step ?? Infinity) || a.dir.localeCompare(b.dir));
}

export async function discoverCheckpoints(runDir: string): Promise<CheckpointInfo[]> {
  const dirs = await fg(['checkpoint-*', 'global_step_*'], { cwd: runDir, onlyDirectories: true, absolute: true, deep: 1, suppressErrors: true });
  const states = new Set(
    (await fg(['checkpoint-*/trainer_state.json'], { cwd: runDir, absolute: true, deep: 2, suppressErrors: true })).map((f) => path.normalize(path.dirname(f))),
  );
  return dirs
    .map((d) => path.normalize(d))
    .map((d) => {
      const m = /(?:checkpoint-|global_step_)(\d+)$/.exec(path.basename(d));
      return { dir: d, step: m ? Number(m[1]) : null, hasTrainerState: states.has(d) };
    })
    .sort((a, b) => (a.step ?? Infinity) - (b.step ?? Infinity) || a.dir.localeCompare(b.dir));
}
