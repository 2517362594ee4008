// The job wrapper (bundled as dist/jobWrapper.js). The extension starts it detached — in a session of its
// own, stdio closed — so it outlives a window reload or a crashed extension host:
//
//   node jobWrapper.js <spec.json>
//
// It reads the spec (command, args, cwd, env, logFile, statusFile) and deletes it at once (the env may
// hold secrets), opens the log for appending and starts the job in a new session (setsid, through Node's
// `detached`) whose process group is the job's pid: Stop signals that whole group, so torchrun's ranks and
// dataloader workers go with it. The job's stdout and stderr go straight to the log (no pipe through this
// process: a dead wrapper never blocks the job). The status file (JSON, replaced atomically) says where the
// job is — see WrapperStatus in local.ts. When the job's main process exits, what is left of its group is
// sent SIGTERM and, 5 s later, SIGKILL (a terminal's hangup does the same), then the final status is written.
// A `<statusFile>.stop` marker written by Stop makes the end state `cancelled` rather than `failed`.
import { spawn } from 'child_process';
import * as fs from 'fs';
import { groupAlive, type WrapperSpec, type WrapperStatus } from './local';

function writeStatus(file: string, s: WrapperStatus): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(s));
  fs.renameSync(tmp, file);
}

function main(): void {
  const specFile = process.argv[2];
  if (!specFile) {
    process.stderr.write('usage: jobWrapper.js <spec.json>\n');
    process.exit(2);
  }
  const spec = JSON.parse(fs.readFileSync(specFile, 'utf8')) as WrapperSpec;
  fs.rmSync(specFile, { force: true });
  const startedAt = Date.now();
  const base: WrapperStatus = { state: 'starting', wrapperPid: process.pid, startedAt };
  writeStatus(spec.statusFile, base);
  const log = fs.openSync(spec.logFile, 'a', 0o600);
  const env = { ...spec.env };
  delete env.ELECTRON_RUN_AS_NODE;
  let child;
  try {
    child = spawn(spec.command, spec.args, { cwd: spec.cwd, env, detached: true, stdio: ['ignore', log, log] });
  } catch (e) {
    fail(spec, base, log, e as Error);
    return;
  }
  child.once('error', (e) => fail(spec, base, log, e));
  child.once('spawn', () => {
    writeStatus(spec.statusFile, { ...base, state: 'running', pid: child.pid, pgid: child.pid });
  });
  child.once('exit', (code, signal) => {
    const pgid = child.pid!;
    const stopped = fs.existsSync(`${spec.statusFile}.stop`);
    const finish = (): void => {
      const state = stopped ? 'cancelled' : code === 0 ? 'completed' : 'failed';
      writeStatus(spec.statusFile, {
        ...base, state, pid: pgid, pgid, exitCode: code, signal: signal ?? null, endedAt: Date.now(),
        ...(stopped ? { reason: 'stopped' } : {}),
      });
      fs.closeSync(log);
      process.exit(0);
    };
    // what the main process leaves behind in its group goes too
    if (!groupAlive(pgid)) return finish();
    try {
      process.kill(-pgid, 'SIGTERM');
    } catch {
      /* gone meanwhile */
    }
    const t0 = Date.now();
    const timer = setInterval(() => {
      if (!groupAlive(pgid)) {
        clearInterval(timer);
        finish();
      } else if (Date.now() - t0 > 5000) {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          /* gone */
        }
        clearInterval(timer);
        setTimeout(finish, 200);
      }
    }, 100);
  });
}

function fail(spec: WrapperSpec, base: WrapperStatus, log: number, e: Error): void {
  const code = (e as NodeJS.ErrnoException).code;
  const reason = code === 'ENOENT' ? `${spec.command}: command not found (not on PATH, or cwd ${spec.cwd} missing)` : `cannot start ${spec.command}: ${e.message}`;
  try {
    fs.writeSync(log, `[rollout-lens] ${reason}\n`);
  } catch {
    /* the log is best effort */
  }
  writeStatus(spec.statusFile, { ...base, state: 'failed', exitCode: 127, signal: null, endedAt: Date.now(), reason });
  process.exit(0);
}

main();
