// The job manager: every job this workspace launched or attached, live. Starts local jobs through the
// detached wrapper and Slurm jobs through sbatch; watches their state (status file / squeue-sacct-scontrol),
// their progress (parsed from the log) and their output folder (new rollout files, checkpoints); stops them;
// and keeps their records in workspace storage so a reloaded window finds running jobs again.
import * as vscode from 'vscode';
import * as fs from 'fs';
import * as path from 'path';
import * as crypto from 'crypto';
import fg from 'fast-glob';
import { FINAL_STATES, type JobProgress, type JobRecord, type JobState, type ResolvedJob } from '../../core/jobs/types';
import { localState, startLocal, stopLocal } from '../../core/jobs/local';
import { LogTail } from '../../core/jobs/tail';
import { ProgressParser, stripAnsi } from '../../core/jobs/progress';
import { redactArgs, redactEnv, redactText } from '../../core/jobs/quote';
import { SlurmBackend } from '../../core/jobs/slurmBackend';
import { describeReason, guessOutputDir, type SlurmJobInfo } from '../../core/jobs/slurm';
import { runGlobs } from '../config';

const STORE_KEY = 'rolloutLens.jobs';
/** Records kept in workspace storage (finished ones beyond this are forgotten, oldest first). */
const KEEP_RECORDS = 30;
const LOCAL_POLL_MS = 1000;
const SLURM_POLL_MS = 5000;
const OUTPUT_POLL_MS = 2000;

export interface LiveJob {
  rec: JobRecord;
  progress: JobProgress | null;
  /** The last line of output (for the status bar's tooltip). */
  lastLine: string;
  /** Files seen in the output folder (path → size:mtime). */
  outputs: Map<string, string>;
}

export interface OutputChange {
  job: LiveJob;
  added: string[];
  changed: string[];
}

export function newJobId(): string {
  return `job-${Date.now().toString(36)}-${crypto.randomBytes(3).toString('hex')}`;
}

export class JobManager implements vscode.Disposable {
  private readonly jobs = new Map<string, LiveJob>();
  private readonly tails = new Map<string, LogTail>();
  private readonly changedEmitter = new vscode.EventEmitter<LiveJob>();
  private readonly endedEmitter = new vscode.EventEmitter<LiveJob>();
  private readonly outputEmitter = new vscode.EventEmitter<OutputChange>();
  /** A job's state or progress changed. */
  readonly onDidChange = this.changedEmitter.event;
  /** A job reached a final state (fired once per job per window). */
  readonly onDidEnd = this.endedEmitter.event;
  /** New or grown files in a job's output folder. */
  readonly onDidOutput = this.outputEmitter.event;
  private timers: ReturnType<typeof setInterval>[] = [];
  private lastSlurmPoll = 0;
  private polling = false;
  readonly slurm: SlurmBackend;

  constructor(
    private readonly state: vscode.Memento,
    /** Folder for the jobs' logs and status files (workspace storage). */
    readonly storageDir: string,
    private readonly wrapperPath: string,
    slurm?: SlurmBackend,
  ) {
    this.slurm = slurm ?? new SlurmBackend();
    for (const rec of this.state.get<JobRecord[]>(STORE_KEY, [])) {
      const live: LiveJob = { rec, progress: null, lastLine: '', outputs: new Map() };
      this.jobs.set(rec.id, live);
      if (!FINAL_STATES.has(rec.state)) this.follow(live, true);
    }
    this.timers.push(setInterval(() => void this.pollStates(), LOCAL_POLL_MS));
    this.timers.push(setInterval(() => void this.pollOutputs(), OUTPUT_POLL_MS));
  }

  all(): LiveJob[] {
    return [...this.jobs.values()].sort((a, b) => b.rec.startedAt - a.rec.startedAt);
  }

  active(): LiveJob[] {
    return this.all().filter((j) => !FINAL_STATES.has(j.rec.state));
  }

  get(id: string): LiveJob | undefined {
    return this.jobs.get(id);
  }

  /** Start a job (local or Slurm). Rejects with a readable message when it cannot start. */
  async start(job: ResolvedJob, meta: { id?: string; checkpoint?: string; dataset?: string } = {}): Promise<LiveJob> {
    const id = meta.id ?? newJobId();
    const dir = path.join(this.storageDir, id);
    const rec: JobRecord = {
      id, name: job.name, kind: job.kind, backend: job.backend,
      // what is stored in workspace storage: no secret-looking env value or argument
      job: { ...job, env: redactEnv(job.env), args: redactArgs(job.args).map((a) => redactText(a, job.env)) },
      state: 'starting', startedAt: Date.now(), logFile: path.join(dir, 'output.log'),
      ...(meta.checkpoint ? { checkpoint: meta.checkpoint } : {}),
      ...(meta.dataset ? { dataset: meta.dataset } : {}),
    };
    if (job.backend === 'slurm') {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const logDir = job.outputDir ?? job.cwd;
      fs.mkdirSync(logDir, { recursive: true });
      const jobName = (job.slurm?.jobName ?? job.name).replace(/[^\w.+-]+/g, '_').slice(0, 60) || 'rollout-lens';
      // our own unique name (no %j pattern: the batch script escapes %, and scontrol misreports escaped names)
      const logFile = path.join(logDir, `slurm-${jobName}-${id}.out`);
      const slurmId = await this.slurm.submit(job, { scriptFile: path.join(dir, 'job.sbatch'), logFile, jobName });
      rec.slurmJobId = slurmId;
      rec.logFile = logFile;
      rec.state = 'queued';
    } else {
      const started = await startLocal(job, { wrapperPath: this.wrapperPath, dir, baseEnv: process.env });
      rec.pid = started.pid;
      rec.pgid = started.pgid;
      rec.statusFile = started.statusFile;
      rec.logFile = started.logFile;
      rec.state = 'running';
    }
    const live: LiveJob = { rec, progress: null, lastLine: '', outputs: new Map() };
    this.jobs.set(id, live);
    this.follow(live, false);
    this.save();
    this.changedEmitter.fire(live);
    void this.pollStates();
    return live;
  }

  /** Follow a Slurm job that was not launched from here (Attach to Slurm Job…). */
  attachSlurm(info: SlurmJobInfo, script?: string): LiveJob {
    const existing = this.all().find((j) => j.rec.slurmJobId === info.id);
    if (existing && !FINAL_STATES.has(existing.rec.state)) return existing;
    const outputDir = guessOutputDir({ ...(info.workDir ? { workDir: info.workDir } : {}), ...(script ?? info.command ? { command: script ?? info.command } : {}) });
    const logFile = info.stdout ?? (info.workDir ? path.join(info.workDir, `slurm-${info.id}.out`) : '');
    const rec: JobRecord = {
      id: newJobId(), name: `${info.name} (Slurm ${info.id})`, kind: 'train', backend: 'slurm', attached: true,
      job: { kind: 'train', backend: 'slurm', name: info.name, command: info.command ?? '', args: [], cwd: info.workDir ?? '', env: {}, outputDir },
      state: info.jobState, startedAt: Date.now(), logFile, slurmJobId: info.id,
      ...(info.reason ? { reason: info.reason } : {}),
    };
    const live: LiveJob = { rec, progress: null, lastLine: '', outputs: new Map() };
    this.jobs.set(rec.id, live);
    this.follow(live, true);
    this.save();
    this.changedEmitter.fire(live);
    return live;
  }

  /** Stop a job: the whole process group (local) or scancel (Slurm). Resolves when it is gone. */
  async stop(id: string): Promise<void> {
    const live = this.jobs.get(id);
    if (!live || FINAL_STATES.has(live.rec.state)) return;
    if (live.rec.backend === 'slurm') {
      if (!live.rec.slurmJobId) throw new Error('this job has no Slurm job id');
      await this.slurm.cancel(live.rec.slurmJobId);
      live.rec.reason = 'cancelled from the editor';
      this.lastSlurmPoll = 0;
      await this.pollStates(true);
      return;
    }
    const { remaining, forced } = await stopLocal(live.rec);
    if (remaining) throw new Error(`processes of group ${live.rec.pgid} are still alive after SIGKILL`);
    if (forced) live.rec.reason = 'stopped (killed after the grace period)';
    // the wrapper writes the final status a moment after the group is gone
    for (let i = 0; i < 50 && localState(live.rec).state === 'running'; i++) await new Promise((r) => setTimeout(r, 100));
    await this.pollStates(true);
  }

  /** Forget finished jobs (the records only; logs stay in workspace storage until it is cleared). */
  clearFinished(): void {
    for (const [id, j] of this.jobs) if (FINAL_STATES.has(j.rec.state)) this.jobs.delete(id);
    this.save();
  }

  private follow(live: LiveJob, fromReload: boolean): void {
    if (this.tails.has(live.rec.id) || !live.rec.logFile) return;
    const parser = new ProgressParser();
    let pending = '';
    const tail = new LogTail(live.rec.logFile, (text) => {
      const p = parser.push(text);
      if (p) live.progress = p;
      pending = (pending + text).slice(-4096);
      const lines = pending.split(/[\r\n]+/).map((l) => l.trim()).filter(Boolean);
      if (lines.length) live.lastLine = stripAnsi(lines[lines.length - 1]!).slice(0, 200);
      if (p) this.changedEmitter.fire(live);
    }, { intervalMs: 500 });
    this.tails.set(live.rec.id, tail.start());
    if (fromReload && live.rec.job.outputDir) void this.scanOutputs(live, true);
  }

  private unfollow(id: string): void {
    this.tails.get(id)?.stop();
    this.tails.delete(id);
  }

  private async pollStates(forceSlurm = false): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const slurmDue = forceSlurm || Date.now() - this.lastSlurmPoll >= SLURM_POLL_MS;
      if (slurmDue) this.lastSlurmPoll = Date.now();
      for (const live of this.active()) {
        const rec = live.rec;
        let next: { state: JobState; exitCode?: number | null; reason?: string; endedAt?: number } | null = null;
        if (rec.backend === 'local') {
          next = localState(rec);
        } else if (slurmDue && rec.slurmJobId) {
          try {
            const r = await this.slurm.poll(rec.slurmJobId, rec.state);
            next = { state: r.state, exitCode: r.info?.exitCode ?? null, reason: r.info ? describeReason(r.info) : r.reason };
            if (rec.attached && r.info?.stdout && r.info.stdout !== rec.logFile && !r.info.stdout.includes('%')) {
              this.unfollow(rec.id);
              rec.logFile = r.info.stdout;
              this.follow(live, false);
            }
          } catch (e) {
            live.lastLine = `cannot ask Slurm: ${(e as Error).message}`;
          }
        }
        if (!next) continue;
        const changed = next.state !== rec.state || (next.reason ?? '') !== (rec.reason ?? '');
        if (!changed) continue;
        rec.state = next.state;
        if (next.reason !== undefined) rec.reason = next.reason;
        if (next.exitCode !== undefined) rec.exitCode = next.exitCode;
        if (FINAL_STATES.has(rec.state)) {
          rec.endedAt = next.endedAt ?? Date.now();
          // the last lines written before the end, and the last outputs
          this.tails.get(rec.id)?.readNow();
          this.unfollow(rec.id);
          await this.scanOutputs(live, false);
        }
        this.save();
        this.changedEmitter.fire(live);
        if (FINAL_STATES.has(rec.state)) this.endedEmitter.fire(live);
      }
    } finally {
      this.polling = false;
    }
  }

  private async pollOutputs(): Promise<void> {
    for (const live of this.active()) await this.scanOutputs(live, false);
  }

  /** Compare the output folder with what was seen last; fire onDidOutput for new or grown files. */
  private async scanOutputs(live: LiveJob, quiet: boolean): Promise<void> {
    const dir = live.rec.job.outputDir;
    if (!dir || !fs.existsSync(dir)) return;
    let entries: fg.Entry[];
    try {
      entries = await fg([...runGlobs(), '**/checkpoint-*/trainer_state.json', '**/global_step_*'], {
        cwd: dir, absolute: true, stats: true, onlyFiles: false, deep: 6, suppressErrors: true, followSymbolicLinks: false,
        ignore: ['**/node_modules/**', '**/.git/**'],
      });
    } catch {
      return;
    }
    const added: string[] = [];
    const changed: string[] = [];
    const now = new Map<string, string>();
    for (const e of entries) {
      const key = `${e.stats?.size ?? 0}:${e.stats?.mtimeMs ?? 0}`;
      now.set(e.path, key);
      const before = live.outputs.get(e.path);
      if (before === undefined) added.push(e.path);
      else if (before !== key) changed.push(e.path);
    }
    live.outputs = now;
    if (!quiet && (added.length || changed.length)) this.outputEmitter.fire({ job: live, added, changed });
  }

  private save(): void {
    const recs = this.all().map((j) => j.rec);
    const keep = [...recs.filter((r) => !FINAL_STATES.has(r.state)), ...recs.filter((r) => FINAL_STATES.has(r.state)).slice(0, KEEP_RECORDS)];
    void this.state.update(STORE_KEY, keep);
  }

  dispose(): void {
    for (const t of this.timers) clearInterval(t);
    for (const id of [...this.tails.keys()]) this.unfollow(id);
    this.changedEmitter.dispose();
    this.endedEmitter.dispose();
    this.outputEmitter.dispose();
  }
}
