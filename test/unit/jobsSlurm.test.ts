// Slurm parsing, the batch script and the per-poll state decision (extension/core/jobs/slurm.ts), on command
// output recorded from a real Slurm 22.05 cluster plus hand-written output for states a single node without
// accounting cannot produce (test/fixtures/slurm/README.md). The backend's command sequence runs on a scripted exec.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  SACCT_FORMAT,
  SQUEUE_FORMAT,
  batchScript,
  describeReason,
  guessOutputDir,
  isAccountingDisabled,
  isInvalidJobId,
  nextState,
  parseExitCode,
  parseSacct,
  parseSbatchOutput,
  parseScontrolShowJob,
  parseScontrolShowJobs,
  parseSqueue,
  slurmState,
  type SlurmJobInfo,
} from '../../extension/core/jobs/slurm';
import { SlurmBackend, type ExecFn, type ExecResult } from '../../extension/core/jobs/slurmBackend';
import { FINAL_STATES, type JobState, type ResolvedJob } from '../../extension/core/jobs/types';
import { FIXTURES } from './helpers';

const fx = (name: string): string => fs.readFileSync(path.join(FIXTURES, 'slurm', name), 'utf8');
const byId = (jobs: SlurmJobInfo[], id: string): SlurmJobInfo => {
  const j = jobs.find((x) => x.id === id);
  assert.ok(j, `job ${id} in ${jobs.map((x) => x.id).join(',')}`);
  return j;
};

function job(over: Partial<ResolvedJob> = {}): ResolvedJob {
  return {
    kind: 'train',
    backend: 'slurm',
    name: 'qwen2vl-grpo',
    command: 'python',
    args: ['-m', 'verl.trainer.main_ppo'],
    cwd: '/home/alice/runs/grpo',
    env: {},
    outputDir: null,
    ...over,
  };
}

describe('jobs/slurm: sbatch output', () => {
  it('reads the job id from recorded plain and --parsable output', () => {
    assert.equal(parseSbatchOutput(fx('sbatch-plain.txt')), '1');
    assert.equal(parseSbatchOutput(fx('sbatch-parsable.txt')), '2');
    assert.equal(parseSbatchOutput('4242;gpu-cluster\n'), '4242');
    assert.equal(parseSbatchOutput('Submitted batch job 77 on cluster rltest\n'), '77');
    assert.equal(parseSbatchOutput('sbatch: warning: something\n901\n'), '901');
  });

  it('throws with the text on anything else', () => {
    assert.throws(() => parseSbatchOutput(fx('sbatch-error-partition.txt')), /did not report a job id: sbatch: error: invalid partition specified: gpu-a100/);
    assert.throws(() => parseSbatchOutput(''), /\(no output\)/);
    assert.throws(() => parseSbatchOutput('Submitted batch job abc'), /Submitted batch job abc/);
  });
});

describe('jobs/slurm: states and reasons', () => {
  it('maps every Slurm state, long and compact', () => {
    const cases: Array<[string, JobState]> = [
      ['PENDING', 'queued'], ['PD', 'queued'], ['CONFIGURING', 'queued'], ['REQUEUED', 'queued'], ['REQUEUE_HOLD', 'queued'],
      ['RUNNING', 'running'], ['R', 'running'], ['COMPLETING', 'running'], ['CG', 'running'], ['SUSPENDED', 'running'],
      ['COMPLETED', 'completed'], ['CD', 'completed'],
      ['CANCELLED', 'cancelled'], ['CANCELLED by 1000', 'cancelled'], ['CANCELLED+', 'cancelled'], ['CA', 'cancelled'],
      ['FAILED', 'failed'], ['TIMEOUT', 'failed'], ['OUT_OF_MEMORY', 'failed'], ['OOM', 'failed'], ['NODE_FAIL', 'failed'],
      ['BOOT_FAIL', 'failed'], ['DEADLINE', 'failed'], ['PREEMPTED', 'failed'],
      ['running', 'running'], ['SOMETHING_NEW', 'running'], ['', 'running'],
    ];
    for (const [raw, want] of cases) assert.equal(slurmState(raw), want, raw);
  });

  it('describes the reason in words', () => {
    const d = (state: string, reason: string | null, exit = '0:0'): string =>
      describeReason({ state, jobState: slurmState(state), reason, ...parseExitCode(exit) });
    assert.equal(d('PENDING', 'Priority'), 'waiting: Priority');
    assert.equal(d('PENDING', 'Resources'), 'waiting: Resources');
    assert.equal(d('PENDING', null), 'waiting');
    assert.equal(d('FAILED', 'NonZeroExitCode', '3:0'), 'failed: exit code 3');
    assert.equal(d('FAILED', null, '0:9'), 'failed: signal SIGKILL');
    assert.equal(d('FAILED', 'JobLaunchFailure', '0:53'), 'failed to launch (JobLaunchFailure: is the log folder there on the node?)');
    assert.equal(d('TIMEOUT', 'TimeLimit', '143:0'), 'timed out');
    assert.equal(d('OUT_OF_MEMORY', 'OutOfMemory', '0:125'), 'out of memory');
    assert.equal(d('NODE_FAIL', null), 'node failure');
    assert.equal(d('PREEMPTED', null), 'preempted');
    assert.equal(d('CANCELLED', null, '0:15'), 'cancelled');
    assert.equal(d('CANCELLED by 1000', null), 'cancelled by 1000');
    assert.equal(d('COMPLETED', null), 'completed');
    assert.equal(d('SUSPENDED', null), 'suspended');
    assert.equal(d('COMPLETING', null), 'finishing');
    assert.equal(d('SOMETHING_NEW', null), 'Slurm state SOMETHING_NEW');
    assert.equal(d('REQUEUED', 'BeginTime'), 'requeued: BeginTime');
  });

  it('parses ExitCode', () => {
    assert.deepEqual(parseExitCode('3:0'), { exitCode: 3, signal: null });
    assert.deepEqual(parseExitCode('0:15'), { exitCode: 0, signal: 15 });
    assert.deepEqual(parseExitCode(''), { exitCode: null, signal: null });
    assert.deepEqual(parseExitCode(undefined), { exitCode: null, signal: null });
  });
});

describe('jobs/slurm: squeue', () => {
  it('uses a |-separated format with the command last', () => {
    assert.equal(SQUEUE_FORMAT.split('|').length, 11);
    assert.ok(SQUEUE_FORMAT.endsWith('%Z|%o'));
  });

  it('parses recorded pending jobs, a pending array and a job name with spaces and quotes', () => {
    const jobs = parseSqueue(fx('squeue-mine.txt'));
    assert.deepEqual(jobs.map((j) => j.id), ['3', '4', '5', '6_[0-3]', '7']);
    const j3 = byId(jobs, '3');
    assert.equal(j3.jobState, 'queued');
    assert.equal(j3.reason, 'Resources');
    assert.equal(j3.user, 'alice');
    assert.equal(j3.partition, 'debug');
    assert.equal(j3.timeLimit, '10:00');
    assert.equal(j3.nodes, null);
    assert.equal(j3.workDir, '/home/alice/runs/grpo-qwen2vl');
    assert.equal(j3.command, '/home/alice/runs/grpo-qwen2vl/.jobs/qwen2vl-grpo.sbatch');
    assert.equal(describeReason(j3), 'waiting: Resources');
    assert.equal(byId(jobs, '4').name, 'eval: refcoco "val"');
    assert.equal(byId(jobs, '6_[0-3]').reason, 'Priority');
  });

  it('parses recorded running jobs', () => {
    const jobs = parseSqueue(fx('squeue-running.txt'));
    assert.equal(jobs.length, 2);
    for (const j of jobs) {
      assert.equal(j.jobState, 'running');
      assert.equal(j.reason, null);
      assert.equal(j.nodes, 'node01');
      assert.match(j.elapsed ?? '', /^\d+:\d\d$/);
    }
    const mixed = parseSqueue(fx('squeue-mine-later.txt'));
    assert.deepEqual(mixed.map((j) => j.jobState), ['queued', 'queued', 'queued', 'running']);
  });

  it('parses recorded --states=all output with finished jobs', () => {
    const jobs = parseSqueue(fx('squeue-states-all.txt'));
    assert.equal(byId(jobs, '3').jobState, 'cancelled');
    assert.equal(byId(jobs, '1').jobState, 'completed');
    assert.equal(byId(jobs, '4').jobState, 'failed');
    assert.equal(byId(jobs, '4').reason, 'NonZeroExitCode');
  });

  it('parses cluster states: COMPLETING, SUSPENDED, CONFIGURING, REQUEUED, array tasks, a --wrap job', () => {
    const jobs = parseSqueue(fx('squeue-cluster.txt'));
    assert.equal(jobs.length, 11);
    assert.equal(describeReason(byId(jobs, '2051')), 'waiting: Priority');
    assert.equal(describeReason(byId(jobs, '2052')), 'waiting: Dependency');
    assert.equal(byId(jobs, '2053').reason, 'ReqNodeNotAvail,_Reserved_for_maintenance');
    assert.equal(byId(jobs, '2046_6').jobState, 'running');
    assert.equal(byId(jobs, '2046_[7-9%2]').reason, 'JobArrayTaskLimit');
    const wrap = byId(jobs, '2054');
    assert.equal(wrap.jobState, 'running');
    assert.equal(wrap.command, null);
    assert.equal(describeReason(wrap), 'finishing');
    assert.equal(byId(jobs, '2055').jobState, 'running');
    assert.equal(describeReason(byId(jobs, '2055')), 'suspended');
    assert.equal(byId(jobs, '2056').jobState, 'queued');
    assert.equal(byId(jobs, '2057').jobState, 'queued');
  });

  it('keeps a | inside the work dir or command, skips junk lines, and reads nothing from an error', () => {
    const [j] = parseSqueue('9|n|RUNNING|None|alice|gpu|1:00|2:00|gpu1|/home/alice/a|b|/home/alice/a|b/run.sh\n');
    assert.equal(j!.workDir, '/home/alice/a');
    assert.equal(j!.command, 'b|/home/alice/a|b/run.sh');
    assert.deepEqual(parseSqueue('JOBID PARTITION NAME\nnot|a|job\n'), []);
    assert.deepEqual(parseSqueue(fx('squeue-unknown-job.txt')), []);
    assert.ok(isInvalidJobId(fx('squeue-unknown-job.txt')));
  });
});

describe('jobs/slurm: sacct', () => {
  it('uses --parsable2 fields with WorkDir last', () => {
    assert.equal(SACCT_FORMAT.split(',').length, 11);
    assert.ok(SACCT_FORMAT.startsWith('JobID,JobName,State,ExitCode'));
    assert.ok(SACCT_FORMAT.endsWith(',WorkDir'));
  });

  it('recognises the recorded "accounting storage is disabled" error', () => {
    assert.ok(isAccountingDisabled(fx('sacct-disabled.txt')));
    assert.deepEqual(parseSacct(fx('sacct-disabled.txt')), []);
    assert.ok(!isAccountingDisabled(fx('sacct-finished.txt')));
  });

  it('folds steps into their job and reads each final state', () => {
    const jobs = parseSacct(fx('sacct-finished.txt'));
    assert.deepEqual(
      jobs.map((j) => j.id),
      ['2041', '2042', '2043', '2044', '2045', '2046_0', '2046_1', '2046_[2-5]', '2047', '2048', '2049', '2050'],
    );
    const ok = byId(jobs, '2041');
    assert.equal(ok.jobState, 'completed');
    assert.equal(ok.exitCode, 0);
    assert.equal(ok.name, 'qwen2vl-grpo');
    assert.equal(ok.user, 'alice');
    assert.equal(ok.workDir, '/home/alice/runs/grpo-qwen2vl');
    const failed = byId(jobs, '2042');
    assert.equal(failed.jobState, 'failed');
    assert.equal(failed.exitCode, 3);
    assert.equal(describeReason(failed), 'failed: exit code 3');
    const timeout = byId(jobs, '2043');
    assert.equal(timeout.jobState, 'failed', 'TIMEOUT of the job wins over CANCELLED of its batch step');
    assert.equal(describeReason(timeout), 'timed out');
    assert.equal(timeout.workDir, '/home/alice/runs/long run');
    const oom = byId(jobs, '2044');
    assert.equal(describeReason(oom), 'out of memory');
    assert.equal(oom.signal, 125);
    const cancelled = byId(jobs, '2045');
    assert.equal(cancelled.jobState, 'cancelled');
    assert.equal(cancelled.state, 'CANCELLED by 1000');
    assert.equal(describeReason(cancelled), 'cancelled by 1000');
    assert.equal(byId(jobs, '2046_0').jobState, 'completed');
    assert.equal(byId(jobs, '2046_1').exitCode, 1);
    const pendingArray = byId(jobs, '2046_[2-5]');
    assert.equal(pendingArray.jobState, 'queued');
    assert.equal(pendingArray.nodes, null);
    assert.equal(describeReason(byId(jobs, '2047')), 'node failure');
    assert.equal(byId(jobs, '2047').nodes, 'gpu-a100-[07-08]');
    assert.equal(describeReason(byId(jobs, '2048')), 'preempted');
    assert.equal(describeReason(byId(jobs, '2049')), 'waiting: Resources');
    assert.equal(byId(jobs, '2050').jobState, 'running');
  });

  it('builds a job from its steps alone, and the job line wins when it comes later', () => {
    const [a] = parseSacct('77.batch|batch|FAILED|2:0||||00:00:03||n1|\n77.extern|extern|COMPLETED|0:0||||00:00:03||n1|\n');
    assert.equal(a!.id, '77');
    assert.equal(a!.jobState, 'failed');
    assert.equal(a!.exitCode, 2);
    assert.equal(a!.name, '');
    const [b] = parseSacct('78.batch|batch|CANCELLED|0:15||||00:00:03||n1|\n78|train|TIMEOUT|0:0|TimeLimit|alice|gpu|00:00:03|00:01:00|n1|/w\n');
    assert.equal(b!.state, 'TIMEOUT');
    assert.equal(b!.name, 'train');
    assert.equal(b!.workDir, '/w');
  });
});

describe('jobs/slurm: scontrol show job', () => {
  it('parses the recorded one-line and multi-line forms of the same running job alike', () => {
    const one = parseScontrolShowJob(fx('scontrol-running.txt'));
    const multi = parseScontrolShowJob(fx('scontrol-running-multiline.txt'));
    assert.ok(one && multi);
    assert.deepEqual({ ...one, elapsed: null }, { ...multi, elapsed: null });
    assert.equal(one.id, '2');
    assert.equal(one.name, 'qwen2vl-grpo');
    assert.equal(one.jobState, 'running');
    assert.equal(one.user, 'alice');
    assert.equal(one.nodes, 'node01');
    assert.equal(one.timeLimit, '00:10:00');
    assert.equal(one.workDir, '/home/alice/runs/grpo-qwen2vl');
    assert.equal(one.command, '/home/alice/runs/grpo-qwen2vl/.jobs/qwen2vl-grpo.sbatch');
    assert.equal(one.stdout, '/home/alice/runs/grpo-qwen2vl/logs/qwen2vl-grpo.log');
    assert.equal(one.stderr, one.stdout);
    assert.equal(one.exitCode, 0);
    assert.equal(one.signal, null);
  });

  it('parses recorded pending jobs (one-line and multi-line)', () => {
    for (const f of ['scontrol-pending.txt', 'scontrol-pending-o.txt']) {
      const j = parseScontrolShowJob(fx(f));
      assert.ok(j);
      assert.equal(j.id, '5');
      assert.equal(j.jobState, 'queued');
      assert.equal(j.reason, 'Priority');
      assert.equal(j.nodes, null);
      assert.equal(describeReason(j), 'waiting: Priority');
    }
  });

  it('parses the recorded final states: completed, failed with exit 3, cancelled, timeout, launch failure', () => {
    const completed = parseScontrolShowJob(fx('scontrol-completed.txt'))!;
    assert.equal(completed.jobState, 'completed');
    assert.equal(completed.reason, null);
    assert.equal(completed.exitCode, 0);
    const failed = parseScontrolShowJob(fx('scontrol-failed.txt'))!;
    assert.equal(failed.name, 'eval: refcoco "val"');
    assert.equal(failed.command, '/home/alice/runs/grpo-qwen2vl/.jobs/eval: refcoco "val".sbatch');
    assert.equal(failed.stdout, '/home/alice/runs/grpo-qwen2vl/logs/eval: refcoco "val".log');
    assert.equal(failed.jobState, 'failed');
    assert.equal(failed.exitCode, 3);
    assert.equal(failed.reason, 'NonZeroExitCode');
    assert.equal(describeReason(failed), 'failed: exit code 3');
    const cancelled = parseScontrolShowJob(fx('scontrol-cancelled.txt'))!;
    assert.equal(cancelled.jobState, 'cancelled');
    assert.equal(cancelled.signal, 15);
    assert.equal(describeReason(cancelled), 'cancelled');
    const timeout = parseScontrolShowJob(fx('scontrol-timeout.txt'))!;
    assert.equal(timeout.jobState, 'failed');
    assert.equal(timeout.reason, 'TimeLimit');
    assert.equal(timeout.exitCode, 143);
    assert.equal(describeReason(timeout), 'timed out');
    const launch = parseScontrolShowJob(fx('scontrol-launch-failure.txt'))!;
    assert.equal(launch.jobState, 'failed');
    assert.match(describeReason(launch), /JobLaunchFailure/);
  });

  it('names array tasks 6_3 and the pending rest 6_[0-3]', () => {
    const pending = parseScontrolShowJobs(fx('scontrol-array.txt'));
    assert.deepEqual(pending.map((j) => j.id), ['6_[0-3]']);
    assert.equal(pending[0]!.jobState, 'queued');
    const done = parseScontrolShowJobs(fx('scontrol-array-done.txt'));
    assert.ok(done.length >= 2);
    for (const j of done) assert.match(j.id, /^6_(\d+|\[[\d,-]+\])$/);
  });

  it('keeps free-text values whole: a comment with key=value, an srun command line with KEY=value arguments', () => {
    const oom = parseScontrolShowJob(fx('scontrol-oom-gpu.txt'))!;
    assert.equal(oom.jobState, 'failed');
    assert.equal(describeReason(oom), 'out of memory');
    assert.equal(oom.stdout, '/home/alice/runs/72b/logs/slurm-2044.out');
    const srun = parseScontrolShowJob(fx('scontrol-srun-command.txt'))!;
    assert.equal(srun.command, 'python -m open_r1.grpo_rec --output_dir output/Qwen2.5-VL-3B-rec Debug=true LOG_PATH=./debug_log_3b.txt');
    assert.equal(srun.workDir, '/home/alice/VLM-R1/src');
    assert.equal(srun.stdout, null);
  });

  it('returns null for the recorded "Invalid job id" error and for empty output', () => {
    assert.equal(parseScontrolShowJob(fx('scontrol-invalid.txt')), null);
    assert.ok(isInvalidJobId(fx('scontrol-invalid.txt')));
    assert.equal(parseScontrolShowJob(''), null);
  });
});

describe('jobs/slurm: nextState', () => {
  const info = (state: string, exit = '0:0', reason: string | null = null): SlurmJobInfo => ({
    id: '1', name: 'x', state, jobState: slurmState(state), reason, user: null, partition: null, elapsed: null, timeLimit: null,
    workDir: null, command: null, stdout: null, stderr: null, nodes: null, ...parseExitCode(exit),
  });

  it('follows what squeue, sacct and scontrol say', () => {
    assert.deepEqual(nextState('starting', { source: 'squeue', info: info('PENDING', '0:0', 'Priority') }), { state: 'queued', reason: 'waiting: Priority', exitCode: null });
    assert.equal(nextState('queued', { source: 'squeue', info: info('RUNNING') }).state, 'running');
    assert.deepEqual(nextState('running', { source: 'sacct', info: info('FAILED', '3:0') }), { state: 'failed', reason: 'failed: exit code 3', exitCode: 3 });
    assert.deepEqual(nextState('running', { source: 'scontrol', info: info('COMPLETED') }), { state: 'completed', reason: 'completed', exitCode: 0 });
    // A requeued job goes back to the queue (not a final state).
    assert.equal(nextState('running', { source: 'squeue', info: info('REQUEUED') }).state, 'queued');
  });

  it('is lost once no command knows the job; a just-submitted job gets a few polls first', () => {
    assert.deepEqual(nextState('running', { source: 'none', info: null }), { state: 'lost', reason: 'no longer known to Slurm', exitCode: null });
    assert.equal(nextState('queued', { source: 'none', info: null }).state, 'lost');
    assert.equal(nextState('starting', { source: 'none', info: null }, 1).state, 'starting');
    assert.equal(nextState('starting', { source: 'none', info: null }, 3).state, 'lost');
  });

  it('never leaves a final state (property)', () => {
    const states: JobState[] = ['starting', 'queued', 'running', 'completed', 'failed', 'cancelled', 'lost'];
    const raw = ['PENDING', 'RUNNING', 'COMPLETING', 'COMPLETED', 'FAILED', 'CANCELLED by 0', 'TIMEOUT', 'OUT_OF_MEMORY', 'REQUEUED', 'WEIRD'];
    const obs = fc.oneof(
      fc.record({ source: fc.constantFrom('squeue' as const, 'sacct' as const, 'scontrol' as const), st: fc.constantFrom(...raw) }).map((o) => ({ source: o.source, info: info(o.st) })),
      fc.constant({ source: 'none' as const, info: null }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...states), fc.array(obs, { maxLength: 12 }), fc.array(fc.nat(5), { maxLength: 12 }), (start, seq, misses) => {
        let s = start;
        let finalSeen: JobState | null = FINAL_STATES.has(start) ? start : null;
        seq.forEach((o, i) => {
          s = nextState(s, o, misses[i] ?? 1).state;
          if (finalSeen) assert.equal(s, finalSeen);
          if (FINAL_STATES.has(s)) finalSeen = s;
        });
      }),
    );
  });
});

describe('jobs/slurm: batchScript', () => {
  it('writes #SBATCH lines, cd, exports, setup lines and the quoted command, in that order', () => {
    const text = batchScript(
      job({
        args: ['-m', 'verl.trainer.main_ppo', 'data.train_files=/data/ref coco/train.parquet', 'trainer.total_epochs=2'],
        env: { WANDB_API_KEY: "k'ey", HF_HOME: '/scratch/hf' },
        slurm: { partition: 'gpu', gpus: 'a100:4', time: '1-00:00:00', account: 'vision-lab', qos: 'high', nodes: 1, cpusPerTask: 16, mem: '128G', extra: ['--constraint=a100', '--exclusive'], setup: ['module load cuda/12.1', 'source .venv/bin/activate'] },
      }),
      { logFile: '/home/alice/.rl/jobs/7/output.log', jobName: 'qwen2vl grpo' },
    );
    assert.equal(
      text,
      [
        '#!/bin/bash',
        '#SBATCH --job-name="qwen2vl grpo"',
        '#SBATCH --output=/home/alice/.rl/jobs/7/output.log',
        '#SBATCH --partition=gpu',
        '#SBATCH --gpus=a100:4',
        '#SBATCH --time=1-00:00:00',
        '#SBATCH --account=vision-lab',
        '#SBATCH --qos=high',
        '#SBATCH --nodes=1',
        '#SBATCH --cpus-per-task=16',
        '#SBATCH --mem=128G',
        '#SBATCH --constraint=a100',
        '#SBATCH --exclusive',
        '# Written by Rollout Lens for "qwen2vl-grpo" (train).',
        'cd /home/alice/runs/grpo || exit 1',
        `export WANDB_API_KEY='k'\\''ey'`,
        'export HF_HOME=/scratch/hf',
        'module load cuda/12.1',
        'source .venv/bin/activate',
        `python -m verl.trainer.main_ppo 'data.train_files=/data/ref coco/train.parquet' trainer.total_epochs=2`,
        '',
      ].join('\n'),
    );
  });

  it('escapes % in the log file (sbatch filename patterns) and quotes odd option values', () => {
    const text = batchScript(job({ slurm: { partition: 'gpu a"b' } }), { logFile: '/runs/100%/out %j.log', jobName: 'n' });
    assert.match(text, /^#SBATCH --output="\/runs\/100%%\/out %%j.log"$/m);
    assert.match(text, /^#SBATCH --partition="gpu a\\"b"$/m);
  });

  it('refuses line breaks in any option value, bad counts and bad env names', () => {
    assert.throws(() => batchScript(job({ slurm: { partition: 'gpu\n#SBATCH --qos=high' } }), { logFile: '/l', jobName: 'n' }), /--partition must be a single line/);
    assert.throws(() => batchScript(job({ slurm: { extra: ['--comment=a\rb'] } }), { logFile: '/l', jobName: 'n' }), /extra must be a single line/);
    assert.throws(() => batchScript(job(), { logFile: '/l\n/m', jobName: 'n' }), /--output must be a single line/);
    assert.throws(() => batchScript(job(), { logFile: '/l', jobName: 'a\nb' }), /--job-name must be a single line/);
    assert.throws(() => batchScript(job({ slurm: { time: '1:00\n' } }), { logFile: '/l', jobName: 'n' }), /--time/);
    assert.throws(() => batchScript(job({ slurm: { cpusPerTask: 2.5 } }), { logFile: '/l', jobName: 'n' }), /cpusPerTask must be a positive whole number/);
    assert.throws(() => batchScript(job({ slurm: { nodes: 0 } }), { logFile: '/l', jobName: 'n' }), /nodes must be a positive whole number/);
    assert.throws(() => batchScript(job({ env: { 'BAD-NAME': 'x' } }), { logFile: '/l', jobName: 'n' }), /not valid in a shell script/);
  });

  it('passes arguments through bash unchanged: spaces, quotes, $(…), backticks, globs, newlines', function () {
    const bash = spawnSync('bash', ['--version']);
    if (bash.status !== 0) this.skip();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-slurm-script-'));
    try {
      const marker = path.join(dir, 'PWNED');
      const args = [
        'refcoco val',
        `it's "quoted"`,
        `$(touch ${marker})`,
        `\`touch ${marker}\``,
        '$HOME',
        '*',
        'line1\nline2',
        '',
        '--output_dir=out dir',
        ';touch ' + marker,
      ];
      const env = { DATASET_NOTE: `$(touch ${marker}) 'x' "y"`, EMPTY: '' };
      const text = batchScript(job({ command: 'printf', args: ['%s\\n', ...args], cwd: dir, env, slurm: { setup: ['echo "setup:$DATASET_NOTE"'] } }), { logFile: path.join(dir, 'out.log'), jobName: 'quote test' });
      const script = path.join(dir, 'job.sbatch');
      fs.writeFileSync(script, text, { mode: 0o600 });
      const r = spawnSync('bash', [script], { cwd: os.tmpdir(), encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `setup:${env.DATASET_NOTE}\n` + args.map((a) => a + '\n').join(''));
      assert.ok(!fs.existsSync(marker), 'no command substitution ran');
      // The exit status of the command is the script's.
      const failing = path.join(dir, 'fail.sbatch');
      fs.writeFileSync(failing, batchScript(job({ command: 'bash', args: ['-c', 'exit 3'], cwd: dir }), { logFile: 'x', jobName: 'f' }));
      assert.equal(spawnSync('bash', [failing]).status, 3);
      // A command word with `=` is run, not taken as a variable assignment.
      const assign = path.join(dir, 'assign.sbatch');
      fs.writeFileSync(assign, batchScript(job({ command: 'FOO=bar', args: [], cwd: dir }), { logFile: 'x', jobName: 'f' }));
      const ra = spawnSync('bash', [assign], { encoding: 'utf8' });
      assert.equal(ra.status, 127);
      assert.match(ra.stderr, /FOO=bar: command not found/);
      // A missing folder stops the script before the command.
      const missing = path.join(dir, 'nf.sbatch');
      fs.writeFileSync(missing, batchScript(job({ command: 'touch', args: [marker], cwd: path.join(dir, 'nope') }), { logFile: 'x', jobName: 'f' }));
      assert.equal(spawnSync('bash', [missing]).status, 1);
      assert.ok(!fs.existsSync(marker));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('jobs/slurm: guessOutputDir', () => {
  it('finds the output folder in the recorded batch script', () => {
    assert.equal(guessOutputDir({ workDir: '/home/alice/runs/grpo-qwen2vl', command: fx('batch-script.txt') }), '/home/alice/runs/grpo-qwen2vl/outputs/qwen2vl-grpo');
  });

  it('reads the usual flags, relative to the work dir', () => {
    const g = (args: string[], workDir = '/w'): string | null => guessOutputDir({ workDir, command: 'python', args });
    assert.equal(g(['train.py', '--output_dir', 'out/run1']), '/w/out/run1');
    assert.equal(g(['train.py', '--output_dir=/abs/run1/']), '/abs/run1');
    assert.equal(g(['train.py', '--output-dir', '../runs/x']), '/runs/x');
    assert.equal(g(['-m', 'verl.trainer.main_ppo', 'trainer.rollout_data_dir=/data/rollouts', 'trainer.default_local_dir=/ckpt']), '/data/rollouts');
    assert.equal(g(['-m', 'verl.trainer.main_ppo', 'trainer.default_local_dir=ckpt/grpo']), '/w/ckpt/grpo');
    assert.equal(g(['train.py', '--output_dir', '$OUT']), null);
    assert.equal(g(['train.py', '--output_dir']), null);
    assert.equal(g(['train.py']), null);
    assert.equal(g(['train.py', '--output_dir', 'rel'], ''), null);
  });

  it('reads command lines and scripts: quotes, LOG_PATH (its folder), comments ignored', () => {
    const srun = parseScontrolShowJob(fx('scontrol-srun-command.txt'))!;
    assert.equal(guessOutputDir({ workDir: srun.workDir, command: srun.command }), '/home/alice/VLM-R1/src/output/Qwen2.5-VL-3B-rec');
    assert.equal(guessOutputDir({ workDir: '/w', command: 'export LOG_PATH="/logs/run 1/debug_log.txt"\ntorchrun src/grpo.py' }), '/logs/run 1');
    const script = ['#!/bin/bash', '#SBATCH --output=/x/slurm.log', '# --output_dir /old/place', "python train.py --output_dir 'runs/new place' --bf16"].join('\n');
    assert.equal(guessOutputDir({ workDir: '/home/alice', command: script }), '/home/alice/runs/new place');
    assert.equal(guessOutputDir({ workDir: '/w', command: 'python train.py' }), null);
    assert.equal(guessOutputDir({}), null);
  });
});

describe('jobs/slurm: SlurmBackend on scripted commands', () => {
  type Call = { cmd: string; args: string[]; cwd?: string; env?: NodeJS.ProcessEnv };
  function scripted(answers: Record<string, ExecResult | ((args: string[]) => ExecResult)>): { exec: ExecFn; calls: Call[] } {
    const calls: Call[] = [];
    const exec: ExecFn = async (cmd, args, o) => {
      calls.push({ cmd, args, cwd: o?.cwd, env: o?.env });
      const key = path.basename(cmd) + (cmd.endsWith('scontrol') ? ' ' + args[0] : '');
      const a = answers[key] ?? answers[path.basename(cmd)];
      if (!a) return { stdout: '', stderr: `${cmd}: not scripted`, code: -1 };
      return typeof a === 'function' ? a(args) : a;
    };
    return { exec, calls };
  }
  const ok = (stdout: string): ExecResult => ({ stdout, stderr: '', code: 0 });
  const err = (stderr: string, code = 1): ExecResult => ({ stdout: '', stderr, code });

  it('poll: squeue lists it → its state, no further commands', async () => {
    const { exec, calls } = scripted({ squeue: ok(fx('squeue-running.txt')) });
    const b = new SlurmBackend({ exec });
    const r = await b.poll('2', 'queued');
    assert.equal(r.state, 'running');
    assert.equal(r.source, 'squeue');
    assert.equal(r.reason, 'on node01');
    assert.deepEqual(calls.map((c) => c.cmd), ['squeue']);
    assert.deepEqual(calls[0]!.args, ['--noheader', `--format=${SQUEUE_FORMAT}`, '-j', '2']);
  });

  it('poll: not in squeue, accounting disabled → scontrol decides (recorded outputs)', async () => {
    const { exec, calls } = scripted({ squeue: ok(''), sacct: err(fx('sacct-disabled.txt')), 'scontrol show': ok(fx('scontrol-failed.txt')) });
    const r = await new SlurmBackend({ exec }).poll('4', 'running');
    assert.deepEqual({ state: r.state, reason: r.reason, exitCode: r.exitCode, source: r.source }, { state: 'failed', reason: 'failed: exit code 3', exitCode: 3, source: 'scontrol' });
    assert.deepEqual(calls.map((c) => c.cmd), ['squeue', 'sacct', 'scontrol']);
  });

  it('poll: sacct with a final state decides; a lagging RUNNING in sacct defers to scontrol', async () => {
    const done = scripted({ squeue: err(fx('squeue-unknown-job.txt')), sacct: ok(fx('sacct-finished.txt')) });
    const r = await new SlurmBackend({ exec: done.exec }).poll('2044', 'running');
    assert.equal(r.state, 'failed');
    assert.equal(r.reason, 'out of memory');
    assert.equal(r.source, 'sacct');
    const lag = scripted({ squeue: ok(''), sacct: ok(fx('sacct-finished.txt')), 'scontrol show': ok(fx('scontrol-completed.txt').replace('JobId=5 ', 'JobId=2050 ')) });
    const r2 = await new SlurmBackend({ exec: lag.exec }).poll('2050', 'running');
    assert.equal(r2.state, 'completed');
    assert.equal(r2.source, 'scontrol');
  });

  it('poll: nothing knows the job → lost; a command failing otherwise keeps the state', async () => {
    const gone = scripted({ squeue: err(fx('squeue-unknown-job.txt')), sacct: err(fx('sacct-disabled.txt')), 'scontrol show': err(fx('scontrol-invalid.txt')) });
    const r = await new SlurmBackend({ exec: gone.exec }).poll('9', 'running');
    assert.deepEqual({ state: r.state, reason: r.reason }, { state: 'lost', reason: 'no longer known to Slurm' });
    const down = scripted({ squeue: err('slurm_load_jobs error: Unable to contact slurm controller (connect failure)') });
    const r2 = await new SlurmBackend({ exec: down.exec }).poll('9', 'running');
    assert.equal(r2.state, 'running');
    assert.match(r2.reason, /cannot reach Slurm: .*Unable to contact slurm controller/);
    const final = await new SlurmBackend({ exec: down.exec }).poll('9', 'completed');
    assert.equal(final.state, 'completed');
  });

  it('poll: a just-submitted job missing everywhere stays starting for a few polls, then is lost', async () => {
    const gone = scripted({ squeue: err(fx('squeue-unknown-job.txt')), sacct: err(fx('sacct-disabled.txt')), 'scontrol show': err(fx('scontrol-invalid.txt')) });
    const b = new SlurmBackend({ exec: gone.exec });
    assert.equal((await b.poll('9', 'starting')).state, 'starting');
    assert.equal((await b.poll('9', 'starting')).state, 'starting');
    assert.equal((await b.poll('9', 'starting')).state, 'lost');
  });

  it('submit writes the script 0600, creates the log folder, runs sbatch --parsable in the job folder', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-slurm-submit-'));
    try {
      const { exec, calls } = scripted({ sbatch: ok('4242\n') });
      const b = new SlurmBackend({ exec, bin: { sbatch: '/opt/slurm/bin/sbatch' }, env: { SLURM_CONF: '/etc/slurm-test/slurm.conf' } });
      const scriptFile = path.join(dir, 'jobs', 'a', 'job.sbatch');
      const logFile = path.join(dir, 'logs', 'deep', 'out.log');
      fs.mkdirSync(path.dirname(scriptFile), { recursive: true });
      fs.writeFileSync(scriptFile, 'old', { mode: 0o644 });
      const id = await b.submit(job({ cwd: dir, env: { TOKEN: 'secret' } }), { scriptFile, logFile, jobName: 'n' });
      assert.equal(id, '4242');
      assert.equal(fs.statSync(scriptFile).mode & 0o777, 0o600);
      assert.match(fs.readFileSync(scriptFile, 'utf8'), /^export TOKEN=secret$/m);
      assert.ok(fs.statSync(path.dirname(logFile)).isDirectory());
      assert.equal(calls[0]!.cmd, '/opt/slurm/bin/sbatch');
      assert.deepEqual(calls[0]!.args, ['--parsable', scriptFile]);
      assert.equal(calls[0]!.cwd, dir);
      assert.equal(calls[0]!.env?.SLURM_CONF, '/etc/slurm-test/slurm.conf');
      const refused = scripted({ sbatch: err(fx('sbatch-error-partition.txt')) });
      await assert.rejects(new SlurmBackend({ exec: refused.exec }).submit(job({ cwd: dir }), { scriptFile, logFile, jobName: 'n' }), /sbatch failed: sbatch: error: invalid partition specified: gpu-a100/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('listMine uses --me, and -u <user> where --me is unknown', async () => {
    const modern = scripted({ squeue: ok(fx('squeue-mine.txt')) });
    assert.equal((await new SlurmBackend({ exec: modern.exec }).listMine()).length, 5);
    assert.equal(modern.calls[0]!.args[0], '--me');
    const old = scripted({ squeue: (args) => (args[0] === '--me' ? err("squeue: unrecognized option '--me'") : ok(fx('squeue-running.txt'))) });
    const b = new SlurmBackend({ exec: old.exec });
    assert.equal((await b.listMine()).length, 2);
    assert.deepEqual(old.calls.map((c) => c.args[0]), ['--me', '-u']);
    await b.listMine();
    assert.equal(old.calls.length, 3, '--me is not tried again');
    const broken = scripted({ squeue: err('squeue: error: Unable to contact slurm controller') });
    await assert.rejects(new SlurmBackend({ exec: broken.exec }).listMine(), /squeue failed: .*Unable to contact/);
  });

  it('show, batchScriptOf, outputDirOf, cancel, available', async () => {
    const { exec, calls } = scripted({
      'scontrol show': (args) => (args[3] === '999' ? err(fx('scontrol-invalid.txt')) : ok(fx('scontrol-running.txt'))),
      'scontrol write': (args) => (args[2] === '999' ? { stdout: '', stderr: fx('batch-script-invalid.txt'), code: 0 } : ok(fx('batch-script.txt'))),
      scancel: ok(''),
      squeue: ok('slurm-wlm 22.05.8\n'),
    });
    const b = new SlurmBackend({ exec });
    assert.equal((await b.show('2'))?.stdout, '/home/alice/runs/grpo-qwen2vl/logs/qwen2vl-grpo.log');
    assert.equal(await b.show('999'), null);
    assert.match((await b.batchScriptOf('2')) ?? '', /^#SBATCH --job-name=qwen2vl-grpo$/m);
    assert.equal(await b.batchScriptOf('999'), null, 'scontrol write batch_script exits 0 on an invalid id');
    assert.equal(await b.outputDirOf('2'), '/home/alice/runs/grpo-qwen2vl/outputs/qwen2vl-grpo');
    await b.cancel('2');
    assert.deepEqual(calls.find((c) => c.cmd === 'scancel')?.args, ['2']);
    assert.equal(await b.available(), true);
    const none = scripted({});
    assert.equal(await new SlurmBackend({ exec: none.exec }).available(), false);
    const refused = scripted({ scancel: err('scancel: error: Kill job error on job id 5: Access/permission denied') });
    await assert.rejects(new SlurmBackend({ exec: refused.exec }).cancel('5'), /scancel failed: .*permission denied/);
  });
});
