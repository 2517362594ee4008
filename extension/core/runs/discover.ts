// Run discovery with fast-glob: rollout logs matched by the user's globs, grouped into runs, with
// the run's HF-Trainer-style checkpoints (`checkpoint-N/`). Pure (no `vscode`): used by the Runs
// tree, the CLI and the tests.
import fg from 'fast-glob';
import * as path from 'path';

export interface CheckpointInfo {
  dir: string;
  step: number | null;
  hasTrainerState: boolean;
}

export interface RunInfo {
  /** The run folder (absolute). */
  dir: string;
  /** Display name: the run folder's name. */
  name: string;
  /** Rollout logs of the run (absolute, sorted). */
  logs: string[];
  checkpoints: CheckpointInfo[];
}

/** Folder names that hold a run's logs rather than being the run themselves. */
const LOG_FOLDERS = new Set(['rollouts', 'completions', 'logs', 'rollout_data', 'rollout_data_dir', 'debug_logs']);

export function runDirOf(logFile: string): string {
  const parent = path.dirname(logFile);
  return LOG_FOLDERS.has(path.basename(parent).toLowerCase()) ? path.dirname(parent) : parent;
}

export const DEFAULT_IGNORE = ['**/node_modules/**', '**/.git/**', '**/.tools/**', '**/wandb/**/files/media/images/**'];

export async function discoverRuns(root: string, globs: readonly string[], ignore: readonly string[] = DEFAULT_IGNORE): Promise<RunInfo[]> {
  const files = await fg([...globs], { cwd: root, absolute: true, onlyFiles: true, ignore: [...ignore], suppressErrors: true, followSymbolicLinks: true });
  const byRun = new Map<string, string[]>();
  for (const f of files.map((x) => path.normalize(x)).sort()) {
    const dir = runDirOf(f);
    const list = byRun.get(dir) ?? [];
    list.push(f);
    byRun.set(dir, list);
  }
  const runs: RunInfo[] = [];
  for (const [dir, logs] of [...byRun.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    runs.push({ dir, name: path.basename(dir), logs, checkpoints: await discoverCheckpoints(dir) });
  }
  return runs;
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
