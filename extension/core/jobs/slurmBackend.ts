// Slurm jobs (Node, no vscode): submit a batch script with sbatch, follow it with squeue / sacct / scontrol,
// cancel it with scancel. Every command is run with an argument vector (execFile, never a shell); the parsing
// and the state decision are in slurm.ts.
//
// Following a job (poll): `squeue -j ID` lists it while it is pending or running; once it is not listed,
// `sacct -j ID` says how it ended; on clusters without accounting ("Slurm accounting storage is disabled")
// or while the accounting database lags behind, `scontrol show job ID` does, for MinJobAge seconds after the
// end (300 by default). After that the job is `lost` ("no longer known to Slurm"). A command that fails for
// any other reason (controller unreachable, timeout) leaves the state as it was, with the error as reason.
//
// The batch script holds the job's env values (tokens, keys): it is written with mode 0600 in a folder of the
// caller's choosing (workspace storage), and Slurm keeps its own copy while it knows the job.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  SACCT_FORMAT,
  SQUEUE_FORMAT,
  batchScript,
  guessOutputDir,
  isInvalidJobId,
  nextState,
  parseSacct,
  parseSbatchOutput,
  parseScontrolShowJobs,
  parseSqueue,
  type SlurmJobInfo,
  type SlurmObservation,
} from './slurm';
import { FINAL_STATES, type JobState, type ResolvedJob } from './types';

export type SlurmCommand = 'sbatch' | 'squeue' | 'sacct' | 'scontrol' | 'scancel';

export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** The exit status; -1 when the command could not be run or was killed (timeout). */
  code: number;
}

export type ExecFn = (cmd: string, args: string[], opts?: ExecOptions) => Promise<ExecResult>;

export interface SlurmBackendOptions {
  /** Runs one command (default: child_process.execFile). Tests point it at a throwaway cluster. */
  exec?: ExecFn;
  /** Paths of the Slurm commands (default: their names, found on PATH). */
  bin?: Partial<Record<SlurmCommand, string>>;
  /** Extra environment for every command (`SLURM_CONF`), on top of process.env. */
  env?: Record<string, string>;
  /** Per-command time limit (default 30 s). */
  timeoutMs?: number;
}

export interface SlurmPoll {
  state: JobState;
  info: SlurmJobInfo | null;
  reason: string;
  exitCode: number | null;
  /** Which command's answer decided the state (`none`: no command knew the job, or a command failed). */
  source: SlurmObservation['source'];
}

/** child_process.execFile, collected: never rejects; a missing command or a timeout is code -1 with the error in stderr. */
export const execCollect: ExecFn = (cmd, args, opts = {}) =>
  new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 32 * 1024 * 1024, encoding: 'utf8', killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr, code: 0 });
        const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
        const code = typeof e.code === 'number' ? e.code : -1;
        const why = typeof e.code === 'string' ? `${cmd}: ${e.code === 'ENOENT' ? 'command not found' : e.message}` : e.killed ? `${cmd}: timed out` : '';
        resolve({ stdout: stdout ?? '', stderr: [stderr, why].filter(Boolean).join('\n'), code });
      },
    );
  });

/** Writes `text` to `file` with mode 0600, also when the file already exists (its mode is reset). */
export function writePrivateFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'w', 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

function lastLines(text: string): string {
  return text.trim().split(/\r?\n/).filter(Boolean).slice(-3).join(' / ') || '(no output)';
}

export class SlurmBackend {
  private readonly exec: ExecFn;
  private readonly bin: Record<SlurmCommand, string>;
  private readonly env: Record<string, string> | undefined;
  private readonly timeoutMs: number;
  /** Polls in a row that found no trace of a job still `starting` (see nextState). */
  private readonly misses = new Map<string, number>();
  /** Whether `squeue --me` failed as an unknown option (Slurm before 20.11): then `-u <user>`. */
  private noMe = false;

  constructor(opts: SlurmBackendOptions = {}) {
    this.exec = opts.exec ?? execCollect;
    this.bin = { sbatch: 'sbatch', squeue: 'squeue', sacct: 'sacct', scontrol: 'scontrol', scancel: 'scancel', ...opts.bin };
    this.env = opts.env;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  private run(cmd: SlurmCommand, args: string[], cwd?: string): Promise<ExecResult> {
    const o: ExecOptions = { timeoutMs: this.timeoutMs };
    if (cwd) o.cwd = cwd;
    if (this.env) o.env = { ...process.env, ...this.env };
    return this.exec(this.bin[cmd], args, o);
  }

  /** Whether the Slurm commands are here and configured (`squeue --version` needs a slurm.conf too). */
  async available(): Promise<boolean> {
    const r = await this.run('squeue', ['--version']);
    return r.code === 0 && /slurm/i.test(r.stdout);
  }

  /**
   * Writes the job's batch script to `scriptFile` (mode 0600) and submits it from the job's folder. Returns
   * the job id; throws with sbatch's own message when it refuses (bad partition, time limit, account…).
   */
  async submit(job: ResolvedJob, opts: { scriptFile: string; logFile: string; jobName: string }): Promise<string> {
    const text = batchScript(job, { logFile: opts.logFile, jobName: opts.jobName });
    writePrivateFile(opts.scriptFile, text);
    // Slurm does not create the output file's folder: without it the job fails at launch (JobLaunchFailure,
    // ExitCode 0:53). The folder must be on a file system the compute node shares.
    fs.mkdirSync(path.dirname(path.resolve(job.cwd, opts.logFile)), { recursive: true });
    const r = await this.run('sbatch', ['--parsable', opts.scriptFile], job.cwd);
    if (r.code !== 0) throw new Error(`sbatch failed: ${r.stderr.trim() || r.stdout.trim() || `exit code ${r.code}`}`);
    return parseSbatchOutput(r.stdout);
  }

  /** The user's pending and running jobs (`squeue --me`). */
  async listMine(): Promise<SlurmJobInfo[]> {
    const fmt = ['--noheader', `--format=${SQUEUE_FORMAT}`];
    if (!this.noMe) {
      const r = await this.run('squeue', ['--me', ...fmt]);
      if (r.code === 0) return parseSqueue(r.stdout);
      if (!/unrecognized option|invalid option|unknown option/i.test(r.stderr)) throw new Error(`squeue failed: ${lastLines(r.stderr)}`);
      this.noMe = true;
    }
    const r = await this.run('squeue', ['-u', os.userInfo().username, ...fmt]);
    if (r.code !== 0) throw new Error(`squeue failed: ${lastLines(r.stderr)}`);
    return parseSqueue(r.stdout);
  }

  /** What the controller knows about a job (`scontrol show job -o`); null once it does not know it. */
  async show(id: string): Promise<SlurmJobInfo | null> {
    const r = await this.run('scontrol', ['show', 'job', '-o', id]);
    if (r.code !== 0 || isInvalidJobId(r.stderr)) {
      if (isInvalidJobId(r.stderr) || isInvalidJobId(r.stdout)) return null;
      throw new Error(`scontrol show job failed: ${lastLines(r.stderr)}`);
    }
    const all = parseScontrolShowJobs(r.stdout);
    return all.find((j) => j.id === id) ?? all[0] ?? null;
  }

  /** The job's batch script as Slurm keeps it (`scontrol write batch_script ID -`); null when Slurm will not say. */
  async batchScriptOf(id: string): Promise<string | null> {
    const r = await this.run('scontrol', ['write', 'batch_script', id, '-']);
    // 22.05 exits 0 even for "job script retrieval failed: Invalid job id specified".
    if (r.code !== 0 || /failed|error/i.test(r.stderr) || !r.stdout.trim()) return null;
    return r.stdout;
  }

  /** Attach: the job's output folder, guessed from its batch script (or its command line); null when unknown. */
  async outputDirOf(id: string, info?: SlurmJobInfo | null): Promise<string | null> {
    const job = info === undefined ? await this.show(id) : info;
    const script = await this.batchScriptOf(id);
    const workDir = job?.workDir ?? null;
    return (script ? guessOutputDir({ workDir, command: script }) : null) ?? guessOutputDir({ workDir, command: job?.command ?? null });
  }

  /** One look at a job: squeue, then sacct, then scontrol (see the header); the state follows nextState. */
  async poll(id: string, prev: JobState): Promise<SlurmPoll> {
    if (FINAL_STATES.has(prev)) return { state: prev, info: null, reason: '', exitCode: null, source: 'none' };
    const observed = await this.observe(id);
    if ('error' in observed) return { state: prev, info: null, reason: observed.error, exitCode: null, source: 'none' };
    const misses = observed.info ? 0 : (this.misses.get(id) ?? 0) + 1;
    if (observed.info) this.misses.delete(id);
    else this.misses.set(id, misses);
    const next = nextState(prev, observed, misses);
    if (FINAL_STATES.has(next.state)) this.misses.delete(id);
    return { ...next, info: observed.info, source: observed.source };
  }

  private async observe(id: string): Promise<SlurmObservation | { error: string }> {
    const sq = await this.run('squeue', ['--noheader', `--format=${SQUEUE_FORMAT}`, '-j', id]);
    if (sq.code === 0) {
      const listed = parseSqueue(sq.stdout).find((j) => j.id === id);
      if (listed) return { source: 'squeue', info: listed };
    } else if (!isInvalidJobId(sq.stderr)) {
      return { error: `cannot reach Slurm: ${lastLines(sq.stderr)}` };
    }
    const sa = await this.run('sacct', ['--parsable2', '--noheader', `--format=${SACCT_FORMAT}`, '-j', id]);
    let fromSacct: SlurmJobInfo | null = null;
    if (sa.code === 0) {
      fromSacct = parseSacct(sa.stdout).find((j) => j.id === id) ?? null;
      // Final in accounting: that is how it ended. Not final (the database lags): ask the controller.
      if (fromSacct && FINAL_STATES.has(fromSacct.jobState)) return { source: 'sacct', info: fromSacct };
    }
    // sacct failed (most often "Slurm accounting storage is disabled", see isAccountingDisabled) or lags: the
    // controller still knows jobs that ended less than MinJobAge seconds ago.
    const sc = await this.run('scontrol', ['show', 'job', '-o', id]);
    if (sc.code === 0 && !isInvalidJobId(sc.stderr)) {
      const all = parseScontrolShowJobs(sc.stdout);
      const info = all.find((j) => j.id === id) ?? all[0] ?? null;
      if (info) return { source: 'scontrol', info };
    } else if (!isInvalidJobId(sc.stderr)) {
      return { error: `cannot reach Slurm: ${lastLines(sc.stderr)}` };
    }
    if (fromSacct) return { source: 'sacct', info: fromSacct };
    return { source: 'none', info: null };
  }

  /** Cancels a job (`scancel ID`); throws with scancel's message when it refuses. */
  async cancel(id: string): Promise<void> {
    const r = await this.run('scancel', [id]);
    if (r.code !== 0) throw new Error(`scancel failed: ${lastLines(r.stderr)}`);
  }
}

