// The Slurm backend against a real Slurm: a throwaway single-node cluster (scripts/slurm-cluster.sh: munged,
// slurmctld and slurmd, everything in a temp folder) started before and stopped after these tests. Every Slurm
// command gets SLURM_CONF through SlurmBackend's env. Skipped (never passed) where the Slurm packages cannot be
// had (the script exits 3). The cluster keeps no accounting, so finished jobs are read back through scontrol.
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { guessOutputDir } from '../../extension/core/jobs/slurm';
import { SlurmBackend, type SlurmPoll } from '../../extension/core/jobs/slurmBackend';
import { FINAL_STATES, type JobState, type ResolvedJob } from '../../extension/core/jobs/types';

const ROOT = path.resolve(__dirname, '../../..');
const CLUSTER_SCRIPT = path.join(ROOT, 'scripts', 'slurm-cluster.sh');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A stand-in training script: prints `step i/N` with pauses, writes into its output dir, exits as told. */
const TRAIN_JS = `
const fs = require('fs'), path = require('path');
const arg = (name, dflt) => { const i = process.argv.indexOf('--' + name); return i > 0 ? process.argv[i + 1] : dflt; };
const out = arg('output_dir', 'out'), steps = Number(arg('steps', '3')), pause = Number(arg('pause', '1000')), exit = Number(arg('exit', '0'));
fs.mkdirSync(out, { recursive: true });
let i = 0;
const tick = () => {
  i++;
  console.log('step ' + i + '/' + steps);
  fs.appendFileSync(path.join(out, 'rollouts.jsonl'), JSON.stringify({ step: i }) + '\\n');
  if (steps > 0 && i >= steps) { console.error('done, exiting with ' + exit); process.exit(exit); }
  setTimeout(tick, pause);
};
tick();
`;

/** Live (not zombie) munged / slurmctld / slurmd / slurmstepd processes of the cluster in `dir`, from /proc. */
function clusterProcesses(dir: string): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (/^\S+ \(.*\) Z/.test(stat)) continue;
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (!/^(\S*\/)?(munged|slurmctld|slurmd|slurmstepd)\b/.test(cmd)) continue;
      let cwd = '';
      try {
        cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        // not ours to read
      }
      if (cmd.includes(dir) || cwd.startsWith(dir)) out.push(`${pid} ${cmd}`);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe('Slurm backend on a real single-node cluster', function () {
  this.timeout(120000);
  let base = '';
  let clusterDir = '';
  let work = '';
  let backend: SlurmBackend;
  let started = false;
  let cpus = 1;
  const toCancel = new Set<string>();

  function stopCluster(): void {
    if (!clusterDir || !started) return;
    const r = spawnSync('bash', [CLUSTER_SCRIPT, 'stop', clusterDir], { encoding: 'utf8', timeout: 90000 });
    if (r.status !== 0) console.log(`    slurm-cluster.sh stop: exit ${r.status}\n${r.stdout}${r.stderr}`);
    started = false;
  }
  const onExit = (): void => stopCluster();
  // Interrupted (Ctrl-C, a CI timeout): stop the cluster before going.
  const onSignal = (sig: NodeJS.Signals): void => {
    stopCluster();
    if (base) fs.rmSync(base, { recursive: true, force: true });
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };

  before(function () {
    this.timeout(420000); // a first run may install slurm-wlm and munge from Debian packages
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-slurm-'));
    clusterDir = path.join(base, 'cluster');
    work = path.join(base, 'work dir');
    fs.mkdirSync(work, { recursive: true });
    fs.writeFileSync(path.join(work, 'train.js'), TRAIN_JS);
    const t0 = Date.now();
    started = true; // from here on, stop (even a half-started cluster)
    process.once('exit', onExit);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const r = spawnSync('bash', [CLUSTER_SCRIPT, 'start', clusterDir], { encoding: 'utf8', timeout: 400000 });
    if (r.status === 3) {
      stopCluster();
      console.log(`    Slurm tests skipped: ${(r.stderr || r.stdout).trim()}`);
      this.skip();
    }
    if (r.status !== 0) {
      const logs = ['slurmctld.log', 'slurmd.log'].map((f) => {
        try {
          return fs.readFileSync(path.join(clusterDir, 'log', f), 'utf8').split('\n').slice(-15).join('\n');
        } catch {
          return '';
        }
      });
      stopCluster();
      throw new Error(`slurm-cluster.sh start failed (exit ${r.status}):\n${r.stdout}${r.stderr}\n${logs.join('\n')}`);
    }
    console.log(`    cluster up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    backend = new SlurmBackend({ env: { SLURM_CONF: path.join(clusterDir, 'slurm.conf') } });
    cpus = Number(spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()) || os.cpus().length;
  });

  after(async function () {
    this.timeout(120000);
    for (const id of toCancel) await backend?.cancel(id).catch(() => undefined);
    const t0 = Date.now();
    stopCluster();
    process.removeListener('exit', onExit);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    if (clusterDir) console.log(`    cluster stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const left = clusterDir ? clusterProcesses(clusterDir) : [];
    if (base) fs.rmSync(base, { recursive: true, force: true });
    assert.deepEqual(left, [], 'no daemon of the test cluster is left running');
  });

  function trainJob(name: string, opts: { steps?: number; pause?: number; exit?: number; marker?: string; outputDir?: string } & Partial<ResolvedJob> = {}): ResolvedJob {
    const out = opts.outputDir ?? path.join(work, 'outputs', name);
    const args = [path.join(work, 'train.js'), '--output_dir', out, '--steps', String(opts.steps ?? 3), '--pause', String(opts.pause ?? 1000), '--exit', String(opts.exit ?? 0)];
    if (opts.marker) args.push('--marker', opts.marker);
    return {
      kind: 'train',
      backend: 'slurm',
      name,
      command: process.execPath,
      args,
      cwd: work,
      env: { ROLLOUT_LENS_TEST: 'yes' },
      outputDir: out,
      ...(opts.slurm ? { slurm: opts.slurm } : {}),
    };
  }

  async function submit(job: ResolvedJob, logName = `${job.name}.log`): Promise<{ id: string; logFile: string; scriptFile: string }> {
    const logFile = path.join(work, 'logs', logName);
    const scriptFile = path.join(work, '.jobs', `${job.name.replace(/\W+/g, '_')}.sbatch`);
    const id = await backend.submit(job, { scriptFile, logFile, jobName: job.name });
    toCancel.add(id);
    return { id, logFile, scriptFile };
  }

  /** Polls every 300 ms until `until(poll)`; returns the last poll and every state seen. */
  async function follow(id: string, until: (p: SlurmPoll) => boolean, prev: JobState = 'starting', ms = 60000): Promise<{ last: SlurmPoll; seen: JobState[]; state: JobState }> {
    const seen: JobState[] = [];
    const t0 = Date.now();
    let state = prev;
    for (;;) {
      const p = await backend.poll(id, state);
      state = p.state;
      if (seen[seen.length - 1] !== state) seen.push(state);
      if (until(p)) return { last: p, seen, state };
      if (FINAL_STATES.has(state)) throw new Error(`job ${id} ended ${state} (${p.reason}) before the expected state; seen ${seen.join(' → ')}`);
      if (Date.now() - t0 > ms) throw new Error(`job ${id}: timed out; seen ${seen.join(' → ')} (${p.reason})`);
      await sleep(300);
    }
  }

  function processesWith(marker: string): string[] {
    const r = spawnSync('pgrep', ['-f', marker], { encoding: 'utf8' });
    return r.stdout.split('\n').filter(Boolean).filter((p) => {
      // Zombies (exited, not yet reaped) are gone for our purpose.
      try {
        return !/^\S+ \(.*\) Z/.test(fs.readFileSync(`/proc/${p}/stat`, 'utf8'));
      } catch {
        return false;
      }
    });
  }

  it('is available with SLURM_CONF, and refuses a bad partition with sbatch\'s message', async () => {
    assert.equal(await backend.available(), true);
    await assert.rejects(submit(trainJob('bad-partition', { slurm: { partition: 'gpu-a100' } })), /sbatch failed: .*invalid partition/i);
  });

  it('runs a job to completion: queued/running → completed, exit 0, the log holds its output', async () => {
    const t0 = Date.now();
    // A name with spaces, quotes, # and a backslash, a log path with a space and a % (sbatch filename patterns are escaped).
    const job = trainJob('grpo "demo" #1 \\ run', { steps: 3, pause: 1500 });
    const { id, logFile, scriptFile } = await submit(job, '100% done.log');
    assert.match(id, /^\d+$/);
    assert.equal(fs.statSync(scriptFile).mode & 0o777, 0o600);
    const running = await follow(id, (p) => p.state === 'running');
    assert.ok(running.seen.every((s) => s === 'starting' || s === 'queued' || s === 'running'), running.seen.join(' → '));
    const shown = await backend.show(id);
    assert.equal(shown?.name, 'grpo "demo" #1 \\ run');
    const done = await follow(id, (p) => FINAL_STATES.has(p.state), 'running');
    assert.equal(done.state, 'completed', done.last.reason);
    assert.equal(done.last.exitCode, 0);
    assert.equal(done.last.reason, 'completed');
    const log = fs.readFileSync(logFile, 'utf8');
    assert.match(log, /step 1\/3\nstep 2\/3\nstep 3\/3\n/);
    assert.match(log, /done, exiting with 0/, 'stderr goes to the same log');
    assert.equal(fs.readFileSync(path.join(job.outputDir!, 'rollouts.jsonl'), 'utf8').trim().split('\n').length, 3);
    console.log(`      submit → completed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });

  it('cancels a running job: cancelled, and its processes are gone', async () => {
    const marker = `rl-marker-${randomUUID()}`;
    const { id } = await submit(trainJob('long-run', { steps: 0, pause: 500, marker }));
    await follow(id, (p) => p.state === 'running');
    // The job's process is there, found by its marker argument.
    for (let i = 0; i < 50 && processesWith(marker).length === 0; i++) await sleep(100);
    assert.ok(processesWith(marker).length > 0, 'the job process runs');
    await backend.cancel(id);
    const end = await follow(id, (p) => FINAL_STATES.has(p.state), 'running', 30000);
    assert.equal(end.state, 'cancelled', end.last.reason);
    assert.equal(end.last.reason, 'cancelled');
    for (let i = 0; i < 100 && processesWith(marker).length > 0; i++) await sleep(100);
    assert.deepEqual(processesWith(marker), [], 'no process of the job is left');
    toCancel.delete(id);
  });

  it('reports a failing job: failed, exit code 3, with a reason', async () => {
    const { id, logFile } = await submit(trainJob('fails', { steps: 1, pause: 100, exit: 3 }));
    const end = await follow(id, (p) => FINAL_STATES.has(p.state));
    assert.equal(end.state, 'failed');
    assert.equal(end.last.exitCode, 3);
    assert.equal(end.last.reason, 'failed: exit code 3');
    assert.equal(end.last.info?.reason, 'NonZeroExitCode');
    assert.match(fs.readFileSync(logFile, 'utf8'), /done, exiting with 3/);
  });

  it('lists my running job with its work dir; show gives StdOut; the output dir is found for Attach', async () => {
    const job = trainJob('attach-me', { steps: 0, pause: 500 });
    const { id, logFile } = await submit(job);
    await follow(id, (p) => p.state === 'running');
    const mine = await backend.listMine();
    const listed = mine.find((j) => j.id === id);
    assert.ok(listed, `job ${id} in squeue --me: ${mine.map((j) => j.id).join(',')}`);
    assert.equal(listed.jobState, 'running');
    assert.equal(listed.workDir, work);
    assert.equal(listed.name, 'attach-me');
    const shown = await backend.show(id);
    assert.equal(shown?.stdout, logFile);
    assert.equal(shown?.workDir, work);
    const script = await backend.batchScriptOf(id);
    assert.ok(script && script.includes('#SBATCH --job-name=attach-me'));
    assert.equal(guessOutputDir({ workDir: shown?.workDir ?? null, command: script }), job.outputDir);
    assert.equal(await backend.outputDirOf(id), job.outputDir);
    assert.equal(await backend.show('999999'), null);
    await backend.cancel(id);
    await follow(id, (p) => FINAL_STATES.has(p.state), 'running', 30000);
    toCancel.delete(id);
  });

  it('shows a job waiting for resources as queued with a reason', async () => {
    const a = await submit(trainJob('hog-a', { steps: 0, pause: 500, slurm: { cpusPerTask: cpus } }));
    const b = await submit(trainJob('hog-b', { steps: 0, pause: 500, slurm: { cpusPerTask: cpus } }));
    await follow(a.id, (p) => p.state === 'running');
    const waiting = await follow(b.id, (p) => p.state === 'queued');
    assert.match(waiting.last.reason, /^waiting: (Resources|Priority)$/);
    // Still queued a moment later (the first one holds every CPU).
    await sleep(1000);
    assert.equal((await backend.poll(b.id, 'queued')).state, 'queued');
    await backend.cancel(b.id);
    await backend.cancel(a.id);
    const endB = await follow(b.id, (p) => FINAL_STATES.has(p.state), 'queued', 30000);
    const endA = await follow(a.id, (p) => FINAL_STATES.has(p.state), 'running', 30000);
    assert.equal(endB.state, 'cancelled');
    assert.equal(endA.state, 'cancelled');
    toCancel.delete(a.id);
    toCancel.delete(b.id);
  });
});
