// Local jobs (Node, no vscode): start a job through the detached wrapper (wrapper.ts), read its status
// file, tell whether it is still alive, and stop its whole process group.
//
// Files of one job, all in its own folder (workspace storage in the extension):
//   output.log    the job's stdout + stderr (appended by the job itself)
//   status.json   WrapperStatus, replaced atomically by the wrapper
//   status.json.stop   written by stopLocal before signalling: the end state is `cancelled`
// The spec handed to the wrapper (with the env) is written 0600 and deleted by the wrapper on start.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { JobState, ResolvedJob } from './types';

export interface WrapperSpec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  logFile: string;
  statusFile: string;
}

export interface WrapperStatus {
  state: 'starting' | 'running' | 'completed' | 'failed' | 'cancelled';
  wrapperPid: number;
  startedAt: number;
  /** The job's main process; also its process group (setsid). */
  pid?: number;
  pgid?: number;
  exitCode?: number | null;
  signal?: string | null;
  endedAt?: number;
  reason?: string;
}

export interface LocalStart {
  pid: number;
  pgid: number;
  wrapperPid: number;
  logFile: string;
  statusFile: string;
}

export interface LocalStartOptions {
  /** dist/jobWrapper.js */
  wrapperPath: string;
  /** The job's own folder (created). */
  dir: string;
  /** The environment the job starts from (the profile's env is laid over it). */
  baseEnv: NodeJS.ProcessEnv;
  /** The Node binary that runs the wrapper (default: this process's; Electron runs as Node via ELECTRON_RUN_AS_NODE). */
  nodePath?: string;
  /** How long to wait for the job to start (default 15 s). */
  timeoutMs?: number;
}

/** Start `job` through the wrapper; resolves once the job runs (or rejects with why it could not start). */
export async function startLocal(job: ResolvedJob, opts: LocalStartOptions): Promise<LocalStart> {
  fs.mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const logFile = path.join(opts.dir, 'output.log');
  const statusFile = path.join(opts.dir, 'status.json');
  const specFile = path.join(opts.dir, 'spec.json');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.baseEnv)) if (v !== undefined) env[k] = v;
  Object.assign(env, job.env);
  const spec: WrapperSpec = { command: job.command, args: job.args, cwd: job.cwd, env, logFile, statusFile };
  fs.writeFileSync(specFile, JSON.stringify(spec), { mode: 0o600 });
  fs.writeFileSync(logFile, '', { mode: 0o600, flag: 'a' });
  const wrapper = spawn(opts.nodePath ?? process.execPath, [opts.wrapperPath, specFile], {
    detached: true,
    stdio: 'ignore',
    cwd: opts.dir,
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  wrapper.unref();
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  for (;;) {
    const s = readStatus(statusFile);
    if (s?.state === 'running' && s.pid && s.pgid) return { pid: s.pid, pgid: s.pgid, wrapperPid: s.wrapperPid, logFile, statusFile };
    if (s && s.state !== 'starting' && s.state !== 'running') {
      if (s.reason) throw new Error(s.reason);
      // it ran and ended before we looked: still a start
      return { pid: s.pid ?? 0, pgid: s.pgid ?? 0, wrapperPid: s.wrapperPid, logFile, statusFile };
    }
    if (Date.now() > deadline) throw new Error(`the job wrapper did not start the job within ${Math.round((opts.timeoutMs ?? 15_000) / 1000)} s (${opts.wrapperPath})`);
    await sleep(50);
  }
}

export function readStatus(statusFile: string): WrapperStatus | null {
  try {
    return JSON.parse(fs.readFileSync(statusFile, 'utf8')) as WrapperStatus;
  } catch {
    return null;
  }
}

export function pidAlive(pid: number | undefined): boolean {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Does any process of group `pgid` remain? */
export function groupAlive(pgid: number | undefined): boolean {
  if (!pgid || pgid <= 1) return false;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface LocalState {
  state: JobState;
  exitCode: number | null;
  reason?: string;
  endedAt?: number;
}

/**
 * Where a local job stands, from its status file and its processes: the wrapper's final word when
 * written; `lost` when it says running but neither the wrapper nor any process of the group is alive
 * (the machine rebooted, the wrapper was killed with the job).
 */
export function localState(rec: { statusFile?: string; pid?: number; pgid?: number }): LocalState {
  const s = rec.statusFile ? readStatus(rec.statusFile) : null;
  if (s && (s.state === 'completed' || s.state === 'failed' || s.state === 'cancelled')) {
    const reason = s.reason ?? (s.signal ? `killed by ${s.signal}` : s.exitCode !== 0 && s.exitCode !== null && s.exitCode !== undefined ? `exit code ${s.exitCode}` : undefined);
    return { state: s.state, exitCode: s.exitCode ?? null, ...(reason ? { reason } : {}), ...(s.endedAt ? { endedAt: s.endedAt } : {}) };
  }
  const pgid = s?.pgid ?? rec.pgid;
  if (groupAlive(pgid) || pidAlive(s?.wrapperPid)) return { state: s?.state === 'starting' ? 'starting' : 'running', exitCode: null };
  return { state: 'lost', exitCode: null, reason: 'the job and its wrapper are gone without a final status' };
}

/**
 * Stop a local job: mark it stopped, SIGTERM its whole process group, SIGKILL what is left after
 * `graceMs`. Resolves when no process of the group remains (or after the SIGKILL settles).
 */
export async function stopLocal(rec: { statusFile?: string; pgid?: number }, graceMs = 10_000): Promise<{ forced: boolean; remaining: boolean }> {
  if (rec.statusFile) {
    try {
      fs.writeFileSync(`${rec.statusFile}.stop`, String(Date.now()));
    } catch {
      /* the status folder is gone: signal anyway */
    }
  }
  const pgid = rec.pgid;
  if (!groupAlive(pgid)) return { forced: false, remaining: false };
  signalGroup(pgid!, 'SIGTERM');
  const t0 = Date.now();
  while (Date.now() - t0 < graceMs) {
    if (!groupAlive(pgid)) return { forced: false, remaining: false };
    await sleep(100);
  }
  signalGroup(pgid!, 'SIGKILL');
  for (let i = 0; i < 30 && groupAlive(pgid); i++) await sleep(100);
  return { forced: true, remaining: groupAlive(pgid) };
}

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    /* gone */
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
