// The fake trainer and fake eval used by the job tests and the demo workspace (test/fixtures/jobs/*.mjs), run
// for real: what they write opens with Rollout Lens's own readers and run discovery; failures, signals and the
// worker processes behave as the job backends expect; the demo's bundled copies and tasks.json work.
// The demo part needs the bundles: run `node scripts/build.mjs --no-tsc` first (npm test does).
import { strict as assert } from 'assert';
import { spawn, spawnSync, type SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, type ParseError } from 'jsonc-parser';
import { openPath } from '../../extension/core/formats/all';
import { DEFAULT_RUN_GLOBS, discoverRuns } from '../../extension/core/runs/discover';
import { DEMO_EVAL_TASK, DEMO_TRAIN_TASK, demoJobProfiles, writeDemoJobs } from '../../extension/demo/jobs';

const TRAINER = path.resolve(__dirname, '../../../test/fixtures/jobs/fake-trainer.mjs');
const EVAL = path.resolve(__dirname, '../../../test/fixtures/jobs/fake-eval.mjs');

function node(script: string, args: string[], cwd?: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 30_000, ...(cwd ? { cwd } : {}) });
}

interface EvalLine {
  sample_id: string;
  checkpoint: string;
  completion: string;
  correct: boolean;
  slice: { dataset: string };
}

function evalLines(file: string): EvalLine[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as EvalLine);
}

/** Alive and not a zombie. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true;
  }
}

async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('fake trainer and fake eval (test/fixtures/jobs)', function () {
  this.timeout(30_000);
  let root: string;
  let run: string;
  let train: SpawnSyncReturns<string>;

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-fake-trainer-'));
    run = path.join(root, 'runs', 'fake');
    train = node(TRAINER, ['--output_dir', run, '--steps', '3', '--step_seconds', '0.05', '--save_steps', '2', '--seed', '5']);
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('runs to the end and prints like HF Trainer: a tqdm bar on stderr, metric dicts and a summary on stdout', () => {
    assert.equal(train.status, 0, train.stderr);
    const lines = train.stdout.split('\n');
    assert.equal(lines.filter((l) => l.startsWith("{'loss': ")).length, 3);
    assert.ok(lines.some((l) => /^\{'loss': -?[\d.e-]+, .*'reward': [\d.]+, .*'epoch': 0\.33\}$/.test(l)), train.stdout);
    assert.ok(lines.some((l) => l.startsWith("{'train_runtime': ")));
    assert.ok(lines.includes('Training completed.'));
    assert.match(train.stderr, /\r {2}0%\| {10}\| 0\/3 \[00:00<\?, \?it\/s\]/);
    assert.match(train.stderr, /\r100%\|██████████\| 3\/3 \[\d\d:\d\d<00:00, +[\d.]+(it\/s|s\/it)\]/);
  });

  it('writes TRL completions parquet per step (atomically) and HF checkpoints every save_steps and at the end', () => {
    assert.deepEqual(fs.readdirSync(path.join(run, 'completions')).sort(), ['completions_00001.parquet', 'completions_00002.parquet', 'completions_00003.parquet']);
    assert.deepEqual(fs.readdirSync(run).filter((f) => !f.startsWith('.')).sort(), ['checkpoint-2', 'checkpoint-3', 'completions']);
    const state = JSON.parse(fs.readFileSync(path.join(run, 'checkpoint-2', 'trainer_state.json'), 'utf8'));
    assert.equal(state.global_step, 2);
    assert.equal(state.max_steps, 3);
    assert.deepEqual(state.log_history.map((e: { step: number }) => e.step), [1, 2]);
    for (const k of ['loss', 'reward', 'reward_std', 'rewards/accuracy_reward/mean', 'learning_rate', 'epoch']) assert.equal(typeof state.log_history[0][k], 'number', k);
    assert.equal(JSON.parse(fs.readFileSync(path.join(run, 'checkpoint-2', 'config.json'), 'utf8')).model_type, 'qwen2_5_vl');
    const st = fs.readFileSync(path.join(run, 'checkpoint-2', 'model.safetensors'));
    const headerLen = Number(st.readBigUInt64LE(0));
    assert.equal(st.length, 8 + headerLen);
    assert.ok('__metadata__' in JSON.parse(st.subarray(8).toString('utf8')));
  });

  it('the completions folder opens as a TRL log: 3 steps of prompts × G rows, logged advantages that are GRPO', async () => {
    const log = await openPath(path.join(run, 'completions'));
    try {
      assert.equal(log.format, 'trl-parquet');
      assert.deepEqual(log.steps, [1, 2, 3]);
      assert.equal(log.recordCount, 3 * 2 * 4);
      for (const s of [1, 2, 3]) {
        const groups = log.groups.filter((g) => g.step === s);
        assert.deepEqual(groups.map((g) => g.records.length), [4, 4], `step ${s}`);
      }
      assert.equal(log.advantage.source, 'logged');
      for (const g of log.groups) {
        const rs = g.records.map((i) => log.read(i).rollout!);
        const total = rs.map((r) => Object.values(r.rewards).reduce<number>((a, b) => a + (b ?? 0), 0));
        const mean = total.reduce((a, b) => a + b, 0) / total.length;
        const std = Math.sqrt(total.reduce((a, b) => a + (b - mean) ** 2, 0) / (total.length - 1));
        rs.forEach((r, k) => assert.ok(Math.abs(r.advantage! - (total[k] - mean) / (std + 1e-4)) < 1e-9));
        assert.deepEqual(Object.keys(rs[0].rewards), ['accuracy_reward', 'iou_reward', 'format_reward']);
        assert.match(rs[0].prompt.text, /^system\nYou are a helpful assistant\.\nuser\nHow many /);
      }
      const rollouts = log.groups.flatMap((g) => g.records.map((i) => log.read(i).rollout!));
      assert.ok(rollouts.some((r) => r.predicted.length > 0 && r.predicted.every((b) => b.part === 'think')), 'boxes in <think> are read as predicted boxes');
      const completions = rollouts.map((r) => r.completion);
      assert.ok(completions.some((c) => /^<think>[\s\S]*"bbox_2d": \[\d+, \d+, \d+, \d+\][\s\S]*<\/think>\n<answer>\d+<\/answer>$/.test(c)));
    } finally {
      log.close();
    }
  });

  it('run discovery finds the run with its log and both checkpoints', async () => {
    const runs = await discoverRuns(root, DEFAULT_RUN_GLOBS);
    assert.deepEqual(runs.map((r) => r.dir), [run]);
    assert.deepEqual(runs[0]!.logs.map((l) => [l.format, l.target, l.files.length]), [['trl-parquet', path.join(run, 'completions'), 3]]);
    assert.deepEqual(runs[0]!.checkpoints.map((c) => [c.step, path.basename(c.dir), c.hasTrainerState]), [[2, 'checkpoint-2', true], [3, 'checkpoint-3', true]]);
  });

  it('fake-eval writes <checkpoint>/eval/<dataset>.eval.jsonl, linked to that checkpoint; accuracy depends on the step', async () => {
    const r2 = node(EVAL, ['--checkpoint', path.join(run, 'checkpoint-2'), '--dataset', 'shapes-count', '--samples', '30', '--seconds', '0.05']);
    assert.equal(r2.status, 0, r2.stderr);
    assert.match(r2.stderr, /\rEvaluating shapes-count: 100%\|██████████\| 30\/30 /);
    assert.match(r2.stdout, /^\{'eval_accuracy': [\d.]+, 'eval_samples': 30, 'step': 2\}$/m);
    const file2 = path.join(run, 'checkpoint-2', 'eval', 'shapes-count.eval.jsonl');
    assert.deepEqual(fs.readdirSync(path.dirname(file2)), ['shapes-count.eval.jsonl']);
    const log = await openPath(file2);
    try {
      assert.equal(log.format, 'eval-jsonl');
      assert.equal(log.recordCount, 30);
      assert.ok(log.read(0).rollout!.eval);
    } finally {
      log.close();
    }
    const runs = await discoverRuns(root, DEFAULT_RUN_GLOBS);
    assert.equal(runs.length, 1);
    const ckpt = runs[0]!.checkpoints;
    assert.deepEqual(ckpt.map((c) => [c.step, c.evalOnly ?? false, (c.evals ?? []).map((e) => [e.path, e.step, e.linkedBy])]), [
      [2, false, [[file2, 2, 'folder']]],
      [3, false, []],
    ]);

    const r3 = node(EVAL, ['--checkpoint', path.join(run, 'checkpoint-3'), '--dataset', 'shapes-count', '--samples', '30', '--seconds', '0']);
    assert.equal(r3.status, 0, r3.stderr);
    const a = evalLines(file2);
    const b = evalLines(path.join(run, 'checkpoint-3', 'eval', 'shapes-count.eval.jsonl'));
    assert.deepEqual(a.map((x) => x.sample_id), b.map((x) => x.sample_id));
    assert.deepEqual([a[0].checkpoint, b[0].checkpoint], ['checkpoint-2', 'checkpoint-3']);
    assert.notDeepEqual(a.map((x) => x.correct), b.map((x) => x.correct));
  });

  it('fake-eval refuses a checkpoint folder that does not exist (exit 2) and keeps an odd dataset name as data', () => {
    const missing = node(EVAL, ['--checkpoint', path.join(run, 'checkpoint-99'), '--dataset', 'x']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /checkpoint folder not found/);
    assert.ok(!fs.existsSync(path.join(run, 'checkpoint-99')));

    const odd = `it's "odd" $(touch pwned) \`touch pwned2\``;
    const r = node(EVAL, ['--checkpoint', path.join(run, 'checkpoint-3'), '--dataset', odd, '--samples', '3', '--seconds', '0'], root);
    assert.equal(r.status, 0, r.stderr);
    const files = fs.readdirSync(path.join(run, 'checkpoint-3', 'eval')).sort();
    assert.deepEqual(files, ['it_s_odd_touch_pwned_touch_pwned2_.eval.jsonl', 'shapes-count.eval.jsonl']);
    assert.equal(evalLines(path.join(run, 'checkpoint-3', 'eval', files[0]!))[0].slice.dataset, odd);
    assert.ok(!fs.existsSync(path.join(root, 'pwned')) && !fs.existsSync(path.join(root, 'pwned2')));
  });

  it('--fail_at 2 prints a Python traceback and exits 3 with step 1 written', () => {
    const out = path.join(root, 'failing');
    const r = node(TRAINER, ['--output_dir', out, '--steps', '4', '--step_seconds', '0.02', '--fail_at', '2']);
    assert.equal(r.status, 3);
    assert.match(r.stderr, /Traceback \(most recent call last\):[\s\S]*\nKeyError: 'bbox_2d'/);
    assert.deepEqual(fs.readdirSync(path.join(out, 'completions')), ['completions_00001.parquet']);
    assert.ok(!r.stdout.includes('Training completed.'));
  });

  it('rejects bad arguments with exit 2 (argparse style) and is deterministic for a seed', () => {
    const none = node(TRAINER, []);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /error: the following arguments are required: --output_dir/);
    const bad = node(TRAINER, ['--output_dir', path.join(root, 'bad'), '--steps', 'many']);
    assert.equal(bad.status, 2);
    const unknown = node(TRAINER, ['--output_dir', path.join(root, 'bad'), '--images', 'x']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unrecognized arguments: --images/);

    const [a, b] = ['det-a', 'det-b'].map((d) => path.join(root, d));
    for (const d of [a, b]) assert.equal(node(TRAINER, ['--output_dir', d, '--steps', '2', '--step_seconds', '0', '--seed', '9']).status, 0);
    for (const f of ['completions/completions_00001.parquet', 'completions/completions_00002.parquet', 'checkpoint-2/trainer_state.json']) {
      assert.ok(fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))), f);
    }
  });

  describe('worker processes and signals', () => {
    const started: number[] = [];
    afterEach(() => {
      for (const pid of started.splice(0)) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    });

    async function startDetached(dir: string): Promise<{ child: ReturnType<typeof spawn>; workers: number[]; stdout: () => string }> {
      // detached: its own session and process group (pgid = its pid), as the job wrapper starts jobs
      const child = spawn(process.execPath, [TRAINER, '--output_dir', dir, '--steps', '50', '--step_seconds', '5', '--workers', '3'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      started.push(child.pid!);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.resume();
      const pidsFile = path.join(dir, '.fake-trainer-pids.json');
      await waitFor('the pid file', () => fs.existsSync(pidsFile));
      const pids = JSON.parse(fs.readFileSync(pidsFile, 'utf8')) as { pid: number; workers: number[] };
      assert.equal(pids.pid, child.pid);
      assert.equal(pids.workers.length, 2);
      await waitFor('both workers to start', () => (out.match(/\[rank\d\]: worker started/g) ?? []).length === 2);
      return { child, workers: pids.workers, stdout: () => out };
    }

    it('the workers outlive the trainer and go only when their process group is signalled', async () => {
      const { child, workers } = await startDetached(path.join(root, 'orphans'));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      process.kill(child.pid!, 'SIGKILL');
      assert.equal(await exited, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(workers.map(alive), [true, true]);
      process.kill(-child.pid!, 'SIGTERM');
      await waitFor('the workers to end', () => workers.every((p) => !alive(p)));
    });

    it('SIGTERM to the group: the trainer prints "Received SIGTERM, stopping" and exits 143; the workers end too', async () => {
      const { child, workers, stdout } = await startDetached(path.join(root, 'stopped'));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      process.kill(-child.pid!, 'SIGTERM');
      assert.equal(await exited, 143);
      assert.match(stdout(), /^Received SIGTERM, stopping$/m);
      await waitFor('the workers to end', () => workers.every((p) => !alive(p)));
    });
  });
});

describe('demo workspace jobs (writeDemoJobs, needs dist/demo from scripts/build.mjs)', function () {
  this.timeout(30_000);
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-demo-jobs-'));
    fs.mkdirSync(path.join(root, '.vscode'));
    fs.writeFileSync(path.join(root, '.vscode', 'settings.json'), '{\n  "rolloutLens.judge.modelPath": "models/tiny-nli"\n}\n');
    fs.writeFileSync(
      path.join(root, '.vscode', 'tasks.json'),
      '// mine\n{\n  "version": "2.0.0",\n  "tasks": [\n    { "label": "Build", "type": "shell", "command": "make" }, // trailing\n  ]\n}\n',
    );
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('copies the bundled tools and writes both profiles into tasks.json (JSONC, other tasks and settings.json kept)', () => {
    const res = writeDemoJobs(root);
    writeDemoJobs(root); // twice: the profiles are replaced, not repeated
    assert.equal(res.tasksFile, path.join(root, '.vscode', 'tasks.json'));
    assert.equal(res.trainer, path.join(root, 'tools', 'fake-trainer.js'));
    assert.deepEqual(fs.readdirSync(path.join(root, 'tools')).sort(), ['fake-eval.js', 'fake-trainer.js']);
    const text = fs.readFileSync(res.tasksFile, 'utf8');
    assert.match(text, /^\/\/ Rollout Lens job profiles/);
    const errors: ParseError[] = [];
    const tasks = parse(text, errors) as { version: string; tasks: Array<Record<string, unknown>> };
    assert.deepEqual(errors, []);
    assert.equal(tasks.version, '2.0.0');
    assert.deepEqual(tasks.tasks.map((t) => t.label), ['Build', DEMO_TRAIN_TASK, DEMO_EVAL_TASK]);
    assert.deepEqual(tasks.tasks.slice(1), demoJobProfiles());
    const trainTask = tasks.tasks[1]!;
    assert.deepEqual([trainTask.type, trainTask.kind, trainTask.command, trainTask.outputDir], ['rollout-lens', 'train', 'node', '${workspaceFolder}/runs/fake-grpo']);
    const evalTask = tasks.tasks[2]!;
    assert.deepEqual([evalTask.kind, evalTask.datasets, evalTask.outputDir], ['eval', ['shapes-count', 'shapes-mc'], '${checkpoint}/eval']);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(root, '.vscode', 'settings.json'), 'utf8')), { 'rolloutLens.judge.modelPath': 'models/tiny-nli' });
  });

  it('the copied tools run with plain node from the workspace (no node_modules) and write a run Rollout Lens reads', async () => {
    const out = path.join(root, 'runs', 'fake-grpo');
    const t = node(path.join(root, 'tools', 'fake-trainer.js'), ['--output_dir', out, '--steps', '1', '--step_seconds', '0.01'], root);
    assert.equal(t.status, 0, t.stderr);
    assert.ok(fs.existsSync(path.join(out, 'completions', 'completions_00001.parquet')));
    const log = await openPath(path.join(out, 'completions'));
    try {
      assert.equal(log.recordCount, 8);
    } finally {
      log.close();
    }
    const e = node(path.join(root, 'tools', 'fake-eval.js'), ['--checkpoint', path.join(out, 'checkpoint-1'), '--dataset', 'shapes-mc', '--seconds', '0'], root);
    assert.equal(e.status, 0, e.stderr);
    assert.equal(evalLines(path.join(out, 'checkpoint-1', 'eval', 'shapes-mc.eval.jsonl')).length, 20);
  });
});
