// Slurm, the pure part: the batch script we submit, and parsers for what sbatch, squeue, sacct and scontrol
// print (Slurm 22.05 and later), plus the per-poll state decision of a job we follow. No child_process and no
// `vscode`: slurmBackend.ts runs the commands and hands their output to these functions.
//
// What the commands look like (recorded from a real 22.05 cluster in test/fixtures/slurm):
// - `sbatch --parsable script` prints `123` (or `123;cluster`); plain sbatch prints `Submitted batch job 123`.
// - `squeue --noheader --format=SQUEUE_FORMAT` prints one `|`-separated line per active job (PENDING, RUNNING,
//   COMPLETING…; finished jobs are not listed unless `--states=all`). `(null)` marks an empty field (the
//   command of a `--wrap` job). A pending array job's remaining tasks are one line with an id like `12_[2-5]`.
// - `sacct` fails with "Slurm accounting storage is disabled" on clusters without slurmdbd; otherwise each job
//   has a line of its own and one per step (`123.batch`, `123.extern`, `123.0`), folded into the job here.
//   Its State may read `CANCELLED by 1000` (the uid that cancelled).
// - `scontrol show job [-o] 123` prints `Key=Value` pairs, one record per line with `-o`, else on indented
//   lines. Values may contain spaces (JobName, Command, WorkDir, StdOut…). Finished jobs stay there for
//   MinJobAge seconds (300 by default), then `slurm_load_jobs error: Invalid job id specified`.
//   Its StdOut has `%j`-style patterns expanded, but naively: a `%%` in the pattern is not undone.
//
// The batch script holds the job's environment values (they may be API keys): slurmBackend.ts writes it with
// mode 0600. sbatch reads it on the submitting machine and hands a copy to slurmctld, which keeps it (readable
// by the job's owner and Slurm admins through `scontrol write batch_script`) while the job is known.
import * as path from 'path';
import { FINAL_STATES, type JobState, type ResolvedJob, type SlurmOptions } from './types';

/** One Slurm job as far as the command that listed it knows (fields it does not print are null). */
export interface SlurmJobInfo {
  /** `123`, or `123_4` for an array task (`123_[5-9]` for the pending rest of an array). */
  id: string;
  name: string;
  /** Slurm's state as printed: `PENDING`, `RUNNING`, `CANCELLED by 1000`, `OUT_OF_MEMORY`… */
  state: string;
  jobState: JobState;
  /** Slurm's reason (`Priority`, `Resources`, `NonZeroExitCode`), null for `None`. */
  reason: string | null;
  user: string | null;
  partition: string | null;
  /** Run time so far / in all (`1:02:03`, `00:00:05`). */
  elapsed: string | null;
  /** `UNLIMITED`, `1-00:00:00`, `30:00`. */
  timeLimit: string | null;
  workDir: string | null;
  /** The batch script's path (batch jobs), or the command line (srun/salloc jobs). */
  command: string | null;
  stdout: string | null;
  stderr: string | null;
  /** From `ExitCode=3:0`: the exit status (3) and the signal that ended it (null when 0). */
  exitCode: number | null;
  signal: number | null;
  /** The nodes it runs on (empty while pending). */
  nodes: string | null;
}

// ---------------------------------------------------------------------------------------------------------
// States

const QUEUED = new Set(['PENDING', 'PD', 'CONFIGURING', 'CF', 'REQUEUED', 'RQ', 'REQUEUE_HOLD', 'RH', 'REQUEUE_FED', 'RF', 'RESV_DEL_HOLD', 'RD']);
const RUNNING = new Set(['RUNNING', 'R', 'COMPLETING', 'CG', 'SUSPENDED', 'S', 'STOPPED', 'ST', 'SIGNALING', 'SI', 'STAGE_OUT', 'SO', 'RESIZING', 'RS']);
const FAILED = new Set([
  'FAILED', 'F', 'TIMEOUT', 'TO', 'OUT_OF_MEMORY', 'OOM', 'NODE_FAIL', 'NF', 'BOOT_FAIL', 'BF', 'DEADLINE', 'DL',
  'PREEMPTED', 'PR', 'SPECIAL_EXIT', 'SE',
]);
const KNOWN_NAMES: Record<string, string> = {
  PD: 'PENDING', CF: 'CONFIGURING', RQ: 'REQUEUED', RH: 'REQUEUE_HOLD', RF: 'REQUEUE_FED', RD: 'RESV_DEL_HOLD', R: 'RUNNING',
  CG: 'COMPLETING', S: 'SUSPENDED', ST: 'STOPPED', SI: 'SIGNALING', SO: 'STAGE_OUT', RS: 'RESIZING', CD: 'COMPLETED',
  CA: 'CANCELLED', F: 'FAILED', TO: 'TIMEOUT', OOM: 'OUT_OF_MEMORY', NF: 'NODE_FAIL', BF: 'BOOT_FAIL', DL: 'DEADLINE',
  PR: 'PREEMPTED', SE: 'SPECIAL_EXIT', RV: 'REVOKED',
};

/** `CANCELLED by 1000` → `CANCELLED`; `CANCELLED+` (sacct's truncation mark) → `CANCELLED`; short codes → long. */
function baseState(raw: string): string {
  const word = raw.trim().split(/\s+/)[0]?.replace(/\+$/, '').toUpperCase() ?? '';
  return KNOWN_NAMES[word] ?? word;
}

/**
 * Slurm's job state (long or compact form, as squeue / sacct / scontrol print it) as a JobState. PENDING,
 * CONFIGURING and the requeue states are queued; RUNNING, COMPLETING, SUSPENDED and other transient states are
 * running; TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, BOOT_FAIL, DEADLINE and PREEMPTED are failures. A state we do
 * not know is taken as running (describeReason says which it is), never as final.
 */
export function slurmState(raw: string): JobState {
  const s = baseState(raw);
  if (QUEUED.has(s)) return 'queued';
  if (RUNNING.has(s)) return 'running';
  if (s === 'COMPLETED') return 'completed';
  if (s === 'CANCELLED' || s === 'REVOKED') return 'cancelled';
  if (FAILED.has(s)) return 'failed';
  return 'running';
}

const SIGNALS: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 15: 'SIGTERM' };

/** What the job's state means, in a few words: `waiting: Priority`, `failed: exit code 3`, `timed out`… */
export function describeReason(info: Pick<SlurmJobInfo, 'state' | 'jobState' | 'reason' | 'exitCode' | 'signal'> & Partial<Pick<SlurmJobInfo, 'nodes'>>): string {
  const s = baseState(info.state);
  const reason = info.reason && info.reason !== 'None' ? info.reason : null;
  switch (info.jobState) {
    case 'queued':
      if (s === 'REQUEUED' || s === 'REQUEUE_HOLD' || s === 'REQUEUE_FED') return reason ? `requeued: ${reason}` : 'requeued';
      if (s === 'CONFIGURING') return 'starting: nodes are being configured';
      return reason ? `waiting: ${reason}` : 'waiting';
    case 'running':
      if (s === 'SUSPENDED' || s === 'STOPPED') return 'suspended';
      if (s === 'COMPLETING') return 'finishing';
      if (!RUNNING.has(s)) return `Slurm state ${info.state.trim() || 'unknown'}`;
      return info.nodes ? `on ${info.nodes}` : '';
    case 'completed':
      return 'completed';
    case 'cancelled': {
      const by = /\bby\s+(\S+)/.exec(info.state);
      return by ? `cancelled by ${by[1]}` : 'cancelled';
    }
    case 'failed':
      switch (s) {
        case 'TIMEOUT':
          return 'timed out';
        case 'OUT_OF_MEMORY':
          return 'out of memory';
        case 'NODE_FAIL':
          return 'node failure';
        case 'BOOT_FAIL':
          return 'node boot failure';
        case 'DEADLINE':
          return 'deadline reached';
        case 'PREEMPTED':
          return 'preempted';
        default:
          if (info.exitCode !== null && info.exitCode !== 0) return `failed: exit code ${info.exitCode}`;
          if (reason === 'JobLaunchFailure') return 'failed to launch (JobLaunchFailure: is the log folder there on the node?)';
          if (reason && reason !== 'NonZeroExitCode') return `failed: ${reason}`;
          if (info.signal !== null) return `failed: signal ${SIGNALS[info.signal] ?? info.signal}`;
          return 'failed';
      }
    default:
      return reason ?? '';
  }
}

/** `3:0` → exit 3, no signal; `0:15` → exit 0, signal 15; anything else → nulls. */
export function parseExitCode(text: string | null | undefined): { exitCode: number | null; signal: number | null } {
  const m = /^\s*(\d+):(\d+)\s*$/.exec(text ?? '');
  if (!m) return { exitCode: null, signal: null };
  const signal = Number(m[2]);
  return { exitCode: Number(m[1]), signal: signal === 0 ? null : signal };
}

function emptyInfo(id: string): SlurmJobInfo {
  return {
    id, name: '', state: '', jobState: 'running', reason: null, user: null, partition: null, elapsed: null, timeLimit: null,
    workDir: null, command: null, stdout: null, stderr: null, exitCode: null, signal: null, nodes: null,
  };
}

/** Slurm's ways of printing "nothing". */
function val(v: string | undefined): string | null {
  if (v === undefined) return null;
  const t = v.trim();
  return t === '' || t === '(null)' || t === 'N/A' ? null : t;
}

function reasonOf(v: string | undefined): string | null {
  const r = val(v);
  return r === null || r === 'None' ? null : r;
}

// ---------------------------------------------------------------------------------------------------------
// sbatch

/**
 * The job id from sbatch's standard output: `Submitted batch job 123` (optionally `on cluster x`), or the
 * `--parsable` form `123` / `123;cluster`. Anything else throws, with the text.
 */
export function parseSbatchOutput(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    const plain = /^Submitted batch job (\d+)(?:\s+on cluster \S+)?$/.exec(line);
    if (plain) return plain[1]!;
    const parsable = /^(\d+)(?:;\S+)?$/.exec(line);
    if (parsable) return parsable[1]!;
  }
  throw new Error(`sbatch did not report a job id: ${text.trim() || '(no output)'}`);
}

// ---------------------------------------------------------------------------------------------------------
// squeue

/**
 * squeue's `--format`: job id, name, state (long), reason, user, partition, elapsed, time limit, nodes, work
 * dir, command. Use with `--noheader`. Free-text fields come last: a `|` inside the work dir or command is
 * kept (the line is split on the first nine `|` only).
 */
export const SQUEUE_FORMAT = '%i|%j|%T|%r|%u|%P|%M|%l|%N|%Z|%o';
const SQUEUE_FIELDS = 11;

/** The lines of `squeue --noheader --format=SQUEUE_FORMAT`. Lines that do not fit are skipped. */
export function parseSqueue(text: string): SlurmJobInfo[] {
  const out: SlurmJobInfo[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const parts = line.split('|');
    if (parts.length < SQUEUE_FIELDS) continue;
    // A `|` in the name would shift everything; a `|` in the work dir or command is joined back into the command.
    const [id, name, state, reason, user, partition, elapsed, limit, nodes, workDir] = parts;
    const command = parts.slice(SQUEUE_FIELDS - 1).join('|');
    if (!id || !/^\d/.test(id.trim()) || !state) continue;
    const info: SlurmJobInfo = {
      ...emptyInfo(id.trim()),
      name: name ?? '',
      state: state.trim(),
      jobState: slurmState(state),
      reason: reasonOf(reason),
      user: val(user),
      partition: val(partition),
      elapsed: val(elapsed),
      timeLimit: val(limit),
      nodes: val(nodes),
      workDir: val(workDir),
      command: val(command),
    };
    out.push(info);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// sacct

/** sacct's `--format` (use with `--parsable2 --noheader`); WorkDir last so a `|` in it is kept. */
export const SACCT_FORMAT = 'JobID,JobName,State,ExitCode,Reason,User,Partition,Elapsed,Timelimit,NodeList,WorkDir';
const SACCT_FIELDS = 11;

/** sacct's message when the cluster keeps no accounting (no slurmdbd): poll falls back to scontrol. */
export function isAccountingDisabled(text: string): boolean {
  return /accounting storage is disabled/i.test(text);
}

/**
 * The lines of `sacct --parsable2 --noheader --format=SACCT_FORMAT`, one SlurmJobInfo per job: step lines
 * (`123.batch`, `123.extern`, `123.0`, `123_4.batch`) are folded into their job, and only fill what the job's
 * own line leaves empty. A job seen only through its steps takes the batch step's state.
 */
export function parseSacct(text: string): SlurmJobInfo[] {
  const jobs = new Map<string, SlurmJobInfo>();
  const fromJobLine = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const parts = line.split('|');
    if (parts.length < SACCT_FIELDS) continue;
    const [rawId, name, state, exit, reason, user, partition, elapsed, limit, nodes] = parts;
    const workDir = parts.slice(SACCT_FIELDS - 1).join('|');
    const id = (rawId ?? '').trim();
    if (!/^\d/.test(id) || !state) continue;
    const dot = id.indexOf('.');
    const jobId = dot < 0 ? id : id.slice(0, dot);
    const step = dot < 0 ? null : id.slice(dot + 1);
    const { exitCode, signal } = parseExitCode(exit);
    const info: SlurmJobInfo = {
      ...emptyInfo(jobId),
      // A step's "name" is `batch`, `extern` or the program: not the job's name.
      name: step === null ? (name ?? '') : '',
      state: state.trim(),
      jobState: slurmState(state),
      reason: reasonOf(reason),
      user: val(user),
      partition: val(partition),
      elapsed: val(elapsed),
      timeLimit: val(limit),
      nodes: nodes === 'None assigned' ? null : val(nodes),
      workDir: val(workDir),
      exitCode,
      signal,
    };
    const prev = jobs.get(jobId);
    if (step === null) {
      // The job's own line wins over anything its steps said; a later line (a requeued run) wins over an earlier one.
      jobs.set(jobId, prev && !fromJobLine.has(jobId) ? fillFrom(info, prev) : info);
      fromJobLine.add(jobId);
    } else if (!prev) {
      jobs.set(jobId, info);
    } else if (!fromJobLine.has(jobId) && step === 'batch') {
      jobs.set(jobId, fillFrom(info, prev));
    } else {
      jobs.set(jobId, fillFrom(prev, info));
    }
  }
  return [...jobs.values()];
}

/** `a` with its null fields (and an empty name) taken from `b`. */
function fillFrom(a: SlurmJobInfo, b: SlurmJobInfo): SlurmJobInfo {
  const out: SlurmJobInfo = { ...a };
  for (const k of Object.keys(out) as Array<keyof SlurmJobInfo>) {
    if (out[k] === null && b[k] !== null) (out as unknown as Record<string, unknown>)[k] = b[k];
  }
  if (!out.name) out.name = b.name;
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// scontrol show job

/** Keys `scontrol show job` prints (22.05); a value of a free-text key runs on until the next of these. */
const SCONTROL_KEYS = new Set(
  (
    'JobId ArrayJobId ArrayTaskId ArrayTaskThrottle HetJobId HetJobOffset HetJobIdSet JobName UserId GroupId MCS_label ' +
    'Priority Nice Account QOS WCKey JobState Reason Dependency Requeue Restarts BatchFlag Reboot ExitCode DerivedExitCode ' +
    'RunTime TimeLimit TimeMin SubmitTime EligibleTime AccrueTime StartTime EndTime Deadline PreemptEligibleTime ' +
    'PreemptTime SuspendTime SecsPreSuspend LastSchedEval Scheduler Partition AllocNode:Sid ReqNodeList ExcNodeList ' +
    'NodeList BatchHost SchedNodeList NumNodes NumCPUs NumTasks CPUs/Task ReqB:S:C:T TRES Socks/Node NtasksPerN:B:S:C ' +
    'CoreSpec ThreadSpec JOB_GRES Nodes CPU_IDs Mem GRES MinCPUsNode MinMemoryNode MinMemoryCPU MinTmpDiskNode Features ' +
    'ClusterFeatures Prefer BatchFeatures DelayBoot OverSubscribe Contiguous Licenses Network Command WorkDir StdErr StdIn ' +
    'StdOut Power Comment AdminComment SystemComment Extra Reservation BurstBuffer BurstBufferState CpusPerTres ' +
    'MemPerTres TresBind TresFreq TresPerJob TresPerNode TresPerSocket TresPerTask NtasksPerTRES MailUser MailType ' +
    'CpuFreqMin CpuFreqMax CpuFreqGov Container ContainerID SELinuxContext Switches Wait-for-Switch ResvPorts ' +
    'KillOInInvalidDependent FedOrigin FedViableSiblings FedActiveSiblings SiblingsActive SiblingsViable ResizeTime ' +
    'Shared SrunHost:Pid'
  ).split(/\s+/),
);
/** Keys whose values may contain spaces. */
const FREE_TEXT = new Set(['JobName', 'Command', 'WorkDir', 'StdOut', 'StdErr', 'StdIn', 'Comment', 'AdminComment', 'SystemComment', 'Reason', 'Extra', 'Dependency']);

/** One line of `Key=Value` pairs. */
function scontrolPairs(line: string, into: Map<string, string>): void {
  // Candidate boundaries: a space, then something shaped like a key, then `=`.
  const re = /(?:^|\s+)([A-Za-z][A-Za-z0-9_:/-]*)=/g;
  const marks: Array<{ key: string; start: number; valueStart: number }> = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) {
    marks.push({ key: m[1]!, start: m.index, valueStart: m.index + m[0].length });
  }
  // A free-text value swallows the following marks until one is a known key.
  const kept: typeof marks = [];
  for (const mark of marks) {
    const last = kept[kept.length - 1];
    if (last && FREE_TEXT.has(last.key) && !SCONTROL_KEYS.has(mark.key)) continue;
    kept.push(mark);
  }
  for (let i = 0; i < kept.length; i++) {
    const end = i + 1 < kept.length ? kept[i + 1]!.start : line.length;
    const key = kept[i]!.key;
    const value = line.slice(kept[i]!.valueStart, end);
    into.set(key, FREE_TEXT.has(key) ? value.replace(/\s+$/, '') : value.trim());
  }
}

function infoFromScontrol(kv: Map<string, string>): SlurmJobInfo | null {
  const jobId = val(kv.get('JobId'));
  if (!jobId) return null;
  const arrayJob = val(kv.get('ArrayJobId'));
  const arrayTask = val(kv.get('ArrayTaskId'));
  const id = arrayJob && arrayTask ? (/^\d+$/.test(arrayTask) ? `${arrayJob}_${arrayTask}` : `${arrayJob}_[${arrayTask}]`) : jobId;
  const state = (kv.get('JobState') ?? '').trim();
  const { exitCode, signal } = parseExitCode(kv.get('ExitCode'));
  const user = val(kv.get('UserId'));
  return {
    id,
    name: kv.get('JobName') ?? '',
    state,
    jobState: slurmState(state),
    reason: reasonOf(kv.get('Reason')),
    user: user ? user.replace(/\(\d+\)$/, '') : null,
    partition: val(kv.get('Partition')),
    elapsed: val(kv.get('RunTime')),
    timeLimit: val(kv.get('TimeLimit')),
    workDir: val(kv.get('WorkDir')),
    command: val(kv.get('Command')),
    stdout: val(kv.get('StdOut')),
    stderr: val(kv.get('StdErr')),
    exitCode,
    signal,
    nodes: val(kv.get('NodeList')),
  };
}

/** Every job in `scontrol show job [-o]` output (an array job prints one record per task). */
export function parseScontrolShowJobs(text: string): SlurmJobInfo[] {
  const out: SlurmJobInfo[] = [];
  let kv: Map<string, string> | null = null;
  const flush = (): void => {
    if (kv) {
      const info = infoFromScontrol(kv);
      if (info) out.push(info);
    }
    kv = null;
  };
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    // Each record starts with JobId= at the start of a line (both forms).
    if (/^JobId=/.test(line.trim()) && !/^\s/.test(line)) flush();
    if (!kv) {
      if (!/^\s*JobId=/.test(line)) continue;
      kv = new Map();
    }
    scontrolPairs(line, kv);
  }
  flush();
  return out;
}

/** The job in `scontrol show job -o <id>` output (or its multi-line form); null for "Invalid job id". */
export function parseScontrolShowJob(text: string): SlurmJobInfo | null {
  return parseScontrolShowJobs(text)[0] ?? null;
}

/** scontrol's / squeue's answer for a job id the controller does not (or no longer) know. */
export function isInvalidJobId(text: string): boolean {
  return /Invalid job id/i.test(text);
}

// ---------------------------------------------------------------------------------------------------------
// The state of a followed job, from one poll

export interface SlurmObservation {
  /** Which command listed the job: squeue (active), sacct (accounting), scontrol (the controller's memory), or none. */
  source: 'squeue' | 'sacct' | 'scontrol' | 'none';
  info: SlurmJobInfo | null;
}

export interface NextState {
  state: JobState;
  reason: string;
  exitCode: number | null;
}

/** How many polls in a row a just-submitted (`starting`) job may be missing before it counts as lost. */
export const STARTING_GRACE_POLLS = 3;

/**
 * A followed job's state after one poll. A final state never changes again (the job's record already says how
 * it ended). Listed anywhere → that state and describeReason. Listed nowhere → `lost`, "no longer known to
 * Slurm": the job finished more than MinJobAge ago (300 s by default) on a cluster without accounting, or was
 * purged; we cannot tell how it ended, so we do not claim `completed`. A job that was never seen (`starting`,
 * right after sbatch) gets STARTING_GRACE_POLLS polls (`misses`, counted by the caller) before that.
 */
export function nextState(prev: JobState, observed: SlurmObservation, misses = 1): NextState {
  if (FINAL_STATES.has(prev)) return { state: prev, reason: '', exitCode: null };
  const info = observed.info;
  if (observed.source === 'none' || !info) {
    if (prev === 'starting' && misses < STARTING_GRACE_POLLS) return { state: 'starting', reason: 'not listed by Slurm yet', exitCode: null };
    return { state: 'lost', reason: 'no longer known to Slurm', exitCode: null };
  }
  return { state: info.jobState, reason: describeReason(info), exitCode: FINAL_STATES.has(info.jobState) ? info.exitCode : null };
}

// ---------------------------------------------------------------------------------------------------------
// The batch script

/** POSIX single quotes (plain words stay as they are). */
function shq(s: string): string {
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * An `#SBATCH` option value: sbatch splits the rest of the line at white space, honouring "double" and 'single'
 * quotes and a backslash inside double quotes. A value with anything but plain characters is double-quoted.
 */
function sbatchValue(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./\-[\]]+$/.test(s)) return s;
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function refuseNewline(what: string, v: string): void {
  if (/[\r\n\0]/.test(v)) throw new Error(`Slurm option ${what} must be a single line: a line break would add lines to the batch script (${JSON.stringify(v)})`);
}

function positiveInt(what: string, v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < 1) throw new Error(`Slurm option ${what} must be a positive whole number, got ${String(v)}`);
  return v;
}

/** sbatch options as `#SBATCH` lines, validated (no line breaks anywhere; counts are positive integers). */
export function sbatchDirectives(opts: SlurmOptions | undefined, base: { jobName: string; logFile: string }): string[] {
  const o = opts ?? {};
  const lines: string[] = [];
  const add = (flag: string, v: string | number | undefined): void => {
    if (v === undefined || v === '') return;
    const s = String(v);
    refuseNewline(flag, s);
    lines.push(`#SBATCH ${flag}=${sbatchValue(s)}`);
  };
  add('--job-name', base.jobName);
  // `%` starts a filename pattern (`%j`); `%%` is a literal percent sign. stderr goes to the same file.
  refuseNewline('--output', base.logFile);
  add('--output', base.logFile.replace(/%/g, '%%'));
  add('--partition', o.partition);
  add('--gpus', o.gpus);
  add('--time', o.time);
  add('--account', o.account);
  add('--qos', o.qos);
  add('--nodes', positiveInt('nodes', o.nodes));
  add('--cpus-per-task', positiveInt('cpusPerTask', o.cpusPerTask));
  add('--mem', o.mem);
  for (const e of o.extra ?? []) {
    refuseNewline('extra', e);
    if (!e.trim()) continue;
    lines.push(`#SBATCH ${e.trim()}`);
  }
  return lines;
}

/**
 * The batch script for a job: `#SBATCH` lines (name, output — stdout and stderr both go to `logFile` — and the
 * profile's Slurm options), `cd` to the job's folder, `export` of its environment, the profile's setup lines
 * verbatim (they are the user's own shell), then the command with each argument in POSIX single quotes. The
 * command is the last line, so its exit status is the job's. Holds env values: write it with mode 0600.
 */
export function batchScript(job: ResolvedJob, opts: { logFile: string; jobName: string }): string {
  const lines = ['#!/bin/bash', ...sbatchDirectives(job.slurm, opts)];
  lines.push(`# Written by Rollout Lens for ${JSON.stringify(job.name).replace(/[\r\n]/g, ' ')} (${job.kind}).`);
  lines.push(`cd ${shq(job.cwd)} || exit 1`);
  for (const [name, value] of Object.entries(job.env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`Environment variable name ${JSON.stringify(name)} is not valid in a shell script`);
    lines.push(`export ${name}=${shq(value)}`);
  }
  for (const s of job.slurm?.setup ?? []) lines.push(s);
  // A command word with `=` would be taken as a variable assignment: always quote it.
  const cmd = job.command.includes('=') ? `'${job.command.replace(/'/g, `'\\''`)}'` : shq(job.command);
  lines.push([cmd, ...job.args.map(shq)].join(' '));
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------------
// Attach: where does a job write its output?

/** Shell-like words of a command line or script (quotes removed; `$`-expansions left as written). */
function words(text: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\\.|[^\s"'\\;|&<>()]+)|(\s+|[;|&<>()])/g;
  let cur: string | null = null;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    if (m[4] !== undefined) {
      if (cur !== null) out.push(cur);
      cur = null;
      continue;
    }
    const piece = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2] !== undefined ? m[2] : m[3]!.replace(/\\(.)/g, '$1');
    cur = (cur ?? '') + piece;
  }
  if (cur !== null) out.push(cur);
  return out;
}

/** Output-folder flags, best first; `dirname` takes the folder of a file path. */
const OUTPUT_FLAGS: Array<{ re: RegExp; dirname?: boolean }> = [
  { re: /^--output[_-]dir$/ },
  { re: /^(?:\+{0,2}trainer\.)?rollout_data_dir$/ },
  { re: /^(?:\+{0,2}trainer\.)?default_local_dir$/ },
  { re: /^LOG_PATH$/, dirname: true },
];

/**
 * An output folder named on a job's command line or in its batch script (Attach to Slurm Job): `--output_dir X`,
 * `--output_dir=X`, `--output-dir`, `trainer.rollout_data_dir=X`, `trainer.default_local_dir=X`, or the folder of
 * `LOG_PATH=X`. Relative paths are taken from `workDir`. Values with `$` expansions cannot be resolved and are
 * skipped. Null when nothing fits.
 */
export function guessOutputDir(info: { workDir?: string | null; command?: string | null; args?: string[] }): string | null {
  // Comment lines of a batch script (`#SBATCH …`, notes) say nothing about where the command writes.
  const ws = info.args ? [...(info.command ? [info.command] : []), ...info.args] : words((info.command ?? '').replace(/^[ \t]*#.*$/gm, ''));
  const found: Array<string | null> = OUTPUT_FLAGS.map(() => null);
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i]!;
    const eq = w.indexOf('=');
    const key = eq > 0 ? w.slice(0, eq) : w;
    const k = OUTPUT_FLAGS.findIndex((f) => f.re.test(key));
    if (k < 0 || found[k] !== null) continue;
    let value: string | undefined;
    if (eq > 0) value = w.slice(eq + 1);
    else if (key.startsWith('--')) value = ws[i + 1];
    if (!value || value.startsWith('-') || /[$`]/.test(value)) continue;
    found[k] = OUTPUT_FLAGS[k]!.dirname ? path.posix.dirname(value) : value;
  }
  const hit = found.find((f): f is string => f !== null);
  if (!hit) return null;
  if (path.posix.isAbsolute(hit)) return path.posix.normalize(hit).replace(/(.)\/$/, '$1');
  if (hit.startsWith('~') || !info.workDir) return null;
  return path.posix.join(info.workDir, hit).replace(/(.)\/$/, '$1');
}
