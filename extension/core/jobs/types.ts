// Jobs: training and eval runs launched from the editor (issue 8). Shared types of the pure core
// (profiles, progress, quoting, Slurm parsing) and the Node backends (local wrapper, Slurm CLI).
// No `vscode` import anywhere under extension/core/jobs/.

export type JobKind = 'train' | 'eval';
export type JobBackendKind = 'local' | 'slurm';

/** sbatch options of a `backend: slurm` profile (each becomes one `#SBATCH` line). */
export interface SlurmOptions {
  partition?: string;
  /** `--gpus` (a count, or `type:count`). */
  gpus?: string | number;
  /** `--time` (`HH:MM:SS`, `D-HH:MM:SS`, minutes). */
  time?: string;
  account?: string;
  qos?: string;
  nodes?: number;
  cpusPerTask?: number;
  mem?: string;
  /** The job's name in squeue (default: the profile's label). */
  jobName?: string;
  /** Further sbatch options, verbatim, one per entry (`--constraint=a100`). */
  extra?: string[];
  /** Lines run before the command in the batch script (`module load cuda`, `source venv/bin/activate`). */
  setup?: string[];
}

/**
 * A job profile: the `taskDefinition` of type `rollout-lens` that users keep in tasks.json. `command` and
 * `args` are an argument vector, never one shell string. Strings may use `${checkpoint}`, `${dataset}`,
 * `${outputDir}`, `${workspaceFolder}`, `${env:NAME}`, `${checkpointStep}`.
 */
export interface JobProfile {
  type: 'rollout-lens';
  kind: JobKind;
  command: string;
  args?: string[];
  cwd?: string;
  env?: Record<string, string>;
  /** Where the job writes rollout logs and checkpoints (watched while it runs; the tree and inspector follow it). */
  outputDir?: string;
  backend?: JobBackendKind;
  slurm?: SlurmOptions;
  /** Eval: datasets offered when the profile is launched (`${dataset}`); the first is the default. */
  datasets?: string[];
  /** Filled in at launch for eval profiles (the chosen checkpoint folder / dataset). */
  checkpoint?: string;
  dataset?: string;
}

/** The variables a profile's strings may use, as known at launch. */
export interface JobVariables {
  workspaceFolder?: string;
  checkpoint?: string;
  /** The step of the chosen checkpoint (`checkpoint-150` → 150). */
  checkpointStep?: number | null;
  dataset?: string;
  outputDir?: string;
  /** For `${env:NAME}` (defaults to none: a missing env variable is an error). */
  env?: Record<string, string | undefined>;
}

/** A profile with every variable substituted: what is actually run. */
export interface ResolvedJob {
  kind: JobKind;
  backend: JobBackendKind;
  /** A human name (the task's label, plus the checkpoint for evals). */
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  outputDir: string | null;
  slurm?: SlurmOptions;
}

/** Lifecycle of a job. Local: starting → running → completed | failed | cancelled. Slurm adds queued. */
export type JobState = 'starting' | 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'lost';

export const FINAL_STATES: ReadonlySet<JobState> = new Set(['completed', 'failed', 'cancelled', 'lost']);

/** Progress read from a job's output (see progress.ts). */
export interface JobProgress {
  /** The current step / item count, when the output says. */
  step: number | null;
  /** The total, when the output says. */
  total: number | null;
  /** step / total in [0, 1], or null. */
  fraction: number | null;
  /** Seconds left, when the output gives an ETA (tqdm's `<mm:ss`, `ETA 0:01:23`, `eta: 5m`). */
  etaSeconds: number | null;
  /** Rate as printed (`1.52it/s`, `3.1s/it`), or null. */
  rate: string | null;
  /** A short description: the tqdm bar's description (`Training`), or null. */
  label: string | null;
}

/** What the extension keeps in workspace storage about one job, so a reloaded window finds it again. */
export interface JobRecord {
  id: string;
  name: string;
  kind: JobKind;
  backend: JobBackendKind;
  /** The profile as run (env values that look like secrets are stored as "***"). */
  job: ResolvedJob;
  state: JobState;
  /** Why it is in that state: Slurm's reason (`Priority`, `Resources`), a signal, `exit code 3`. */
  reason?: string;
  exitCode?: number | null;
  startedAt: number;
  endedAt?: number;
  /** The output log the terminal tails (local: written by the wrapper; Slurm: the job's StdOut). */
  logFile: string;
  /** Local: the wrapper's status file (JSON, see local.ts). */
  statusFile?: string;
  /** Local: the wrapper's pid and the job's process group (the job's own pid; setsid). */
  pid?: number;
  pgid?: number;
  /** Slurm: the job id (`12345` or `12345_7` for an array task). */
  slurmJobId?: string;
  /** Attached (not launched by us): Stop asks before cancelling. */
  attached?: boolean;
  /** The checkpoint an eval ran on (Compare with previous uses it). */
  checkpoint?: string;
  dataset?: string;
}
