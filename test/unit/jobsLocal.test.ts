// Local jobs for real: the detached wrapper, the process group, stop, status, survival of the launcher,
// and the log tail.
import { strict as assert } from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { groupAlive, localState, pidAlive, readStatus, startLocal, stopLocal } from '../../extension/core/jobs/local';
import { LogTail, tailLines } from '../../extension/core/jobs/tail';
import type { ResolvedJob } from '../../extension/core/jobs/types';

const WRAPPER = path.resolve(__dirname, '../../extension/core/jobs/wrapper.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(fn: () => T | undefined | null | false, ms = 15000, what = 'condition'): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function nodeJob(script: string, extra: Partial<ResolvedJob> = {}): ResolvedJob {
  return { kind: 'train', backend: 'local', name: 'test job', command: process.execPath, args: ['-e', script], cwd: os.tmpdir(), env: {}, outputDir: null, ...extra };
}

/** Pids of the processes in group `pgid` (from ps). */
function groupMembers(pgid: number): number[] {
  const out = spawnSync('ps', ['-eo', 'pid=,pgid='], { encoding: 'utf8' }).stdout;
  return out.split('\n').map((l) => l.trim().split(/\s+/).map(Number)).filter((x) => x[1] === pgid).map((x) => x[0]!);
}

// a "torchrun": two ranks that would outlive their parent, and progress on stdout
const TREE = `
const { spawn } = require('child_process');
for (let r = 0; r < 2; r++) spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
let i = 0;
setInterval(() => { i++; console.log('step ' + i + '/100'); }, 50);
`;

describe('local jobs (wrapper, process group)', function () {
  this.timeout(30000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-jobs-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('starts a job in its own process group, and Stop kills the whole tree', async () => {
    const s = await startLocal(nodeJob(TREE), { wrapperPath: WRAPPER, dir: path.join(dir, 'j1'), baseEnv: process.env });
    assert.equal(s.pgid, s.pid, 'the job leads its own group (setsid)');
    assert.notEqual(s.pgid, process.pid);
    await until(() => groupMembers(s.pgid).length >= 3, 10000, 'the job and its two ranks');
    await until(() => fs.readFileSync(s.logFile, 'utf8').includes('step 3/100'), 10000, 'output in the log');
    assert.equal(localState({ statusFile: s.statusFile, pgid: s.pgid }).state, 'running');
    const r = await stopLocal({ statusFile: s.statusFile, pgid: s.pgid }, 5000);
    assert.deepEqual(r, { forced: false, remaining: false });
    assert.deepEqual(groupMembers(s.pgid), [], 'no process of the group is left');
    const st = await until(() => { const x = localState({ statusFile: s.statusFile, pgid: s.pgid }); return x.state !== 'running' && x; }, 10000, 'final status');
    assert.equal(st.state, 'cancelled');
    assert.equal(readStatus(s.statusFile)?.reason, 'stopped');
    assert.ok(!fs.existsSync(path.join(dir, 'j1', 'spec.json')), 'the spec (with the env) is deleted once read');
  });

  it('a failing job ends failed with its exit code; leftovers of its group are cleaned up', async () => {
    const script = `require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); console.error('Traceback: boom'); setTimeout(() => process.exit(3), 200);`;
    const s = await startLocal(nodeJob(script), { wrapperPath: WRAPPER, dir: path.join(dir, 'j2'), baseEnv: process.env });
    const st = await until(() => { const x = localState(s); return x.state !== 'running' && x; }, 15000, 'the end');
    assert.equal(st.state, 'failed');
    assert.equal(st.exitCode, 3);
    assert.equal(st.reason, 'exit code 3');
    assert.equal(groupAlive(s.pgid), false, 'the orphaned rank was killed with the group');
    assert.deepEqual(tailLines(s.logFile, 2), ['Traceback: boom']);
  });

  it('passes the profile env over the base env and completes with exit code 0', async () => {
    const s = await startLocal(nodeJob(`console.log('A=' + process.env.RL_A + ' B=' + process.env.RL_B + ' E=' + (process.env.ELECTRON_RUN_AS_NODE ?? 'unset'))`, { env: { RL_B: 'from profile' } }), {
      wrapperPath: WRAPPER, dir: path.join(dir, 'j3'), baseEnv: { ...process.env, RL_A: 'base', RL_B: 'base' },
    });
    const st = await until(() => { const x = localState(s); return x.state === 'completed' && x; }, 15000, 'completion');
    assert.equal(st.exitCode, 0);
    assert.equal(fs.readFileSync(s.logFile, 'utf8').trim(), 'A=base B=from profile E=unset');
  });

  it('a command that does not exist is a clear error', async () => {
    await assert.rejects(
      startLocal(nodeJob('', { command: 'no-such-trainer-xyz', args: [] }), { wrapperPath: WRAPPER, dir: path.join(dir, 'j4'), baseEnv: process.env }),
      /no-such-trainer-xyz: command not found/,
    );
  });

  it('the job outlives the process that launched it (a window reload), and its status is found again', async () => {
    // a separate launcher process starts the job and exits at once, as an extension host does on reload
    const launcher = `
      const { startLocal } = require(${JSON.stringify(path.resolve(__dirname, '../../extension/core/jobs/local.js'))});
      startLocal({ kind: 'train', backend: 'local', name: 'x', command: process.execPath, args: ['-e', "let i=0; const t=setInterval(() => { console.log('step ' + (++i) + '/6'); if (i === 6) { clearInterval(t); } }, 150)"], cwd: ${JSON.stringify(os.tmpdir())}, env: {}, outputDir: null },
        { wrapperPath: ${JSON.stringify(WRAPPER)}, dir: ${JSON.stringify(path.join(dir, 'j5'))}, baseEnv: process.env })
        .then((s) => { console.log(JSON.stringify(s)); process.exit(0); });`;
    const out = execFileSync(process.execPath, ['-e', launcher], { encoding: 'utf8' });
    const s = JSON.parse(out.trim()) as { pgid: number; statusFile: string; logFile: string; wrapperPid: number };
    assert.ok(pidAlive(s.wrapperPid), 'the wrapper still runs after its launcher exited');
    const st = await until(() => { const x = localState(s); return x.state === 'completed' && x; }, 15000, 'completion after the launcher died');
    assert.equal(st.exitCode, 0);
    assert.match(fs.readFileSync(s.logFile, 'utf8'), /step 6\/6/);
  });

  it('Stop escalates to SIGKILL when the job ignores SIGTERM', async () => {
    const s = await startLocal(nodeJob(`process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('up'); setInterval(() => {}, 1000);`), {
      wrapperPath: WRAPPER, dir: path.join(dir, 'j6'), baseEnv: process.env,
    });
    await until(() => fs.readFileSync(s.logFile, 'utf8').includes('up'), 10000, 'the job to start');
    const r = await stopLocal(s, 600);
    assert.deepEqual(r, { forced: true, remaining: false });
    const st = await until(() => { const x = localState(s); return x.state !== 'running' && x; }, 10000, 'final status');
    assert.equal(st.state, 'cancelled');
    assert.match(fs.readFileSync(s.logFile, 'utf8'), /ignoring SIGTERM/);
  });

  it('a job whose wrapper and processes vanished without a word is lost', () => {
    const statusFile = path.join(dir, 'status.json');
    fs.writeFileSync(statusFile, JSON.stringify({ state: 'running', wrapperPid: 2 ** 22 + 17, startedAt: 1, pid: 2 ** 22 + 18, pgid: 2 ** 22 + 18 }));
    assert.equal(localState({ statusFile }).state, 'lost');
  });
});

describe('LogTail', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-tail-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('follows appends, waits for a missing file, decodes UTF-8 split across reads, restarts after truncation', () => {
    const f = path.join(dir, 'out.log');
    let got = '';
    const t = new LogTail(f, (x) => (got += x), { intervalMs: 60_000 }).start();
    assert.equal(got, '');
    fs.writeFileSync(f, 'a\n');
    t.readNow();
    assert.equal(got, 'a\n');
    const bytes = Buffer.from('█▍ ok\n', 'utf8');
    fs.appendFileSync(f, bytes.subarray(0, 2));
    t.readNow();
    fs.appendFileSync(f, bytes.subarray(2));
    t.readNow();
    assert.equal(got, 'a\n█▍ ok\n');
    fs.writeFileSync(f, 'new\n');
    t.readNow();
    assert.equal(got, 'a\n█▍ ok\nnew\n');
    t.stop();
  });

  it('fromEnd skips what was there; tailLines keeps the last redraw of tqdm lines', () => {
    const f = path.join(dir, 'out.log');
    fs.writeFileSync(f, 'old\n');
    let got = '';
    const t = new LogTail(f, (x) => (got += x), { fromEnd: true, intervalMs: 60_000 }).start();
    fs.appendFileSync(f, ' 10%|█ | 1/10\r 20%|██ | 2/10\r\x1b[31merror\x1b[0m: x\n');
    t.readNow();
    t.stop();
    assert.ok(!got.includes('old'));
    assert.deepEqual(tailLines(f, 1), ['error: x']);
  });
});
