// Jobs in the real extension host, on the demo workspace's job profiles (.vscode/tasks.json, the fake trainer
// and fake eval under tools/): launch → progress and new step files → the Runs tree and a following inspector
// → stop (no process left) → eval of a checkpoint from the tree's node → a failing job's notice.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import * as vscode from 'vscode';
import type { RolloutLensApi } from '../../../extension/main';
import type { RunsNode } from '../../../extension/features/runsTree';

const EXT_ID = 'rollout-lens.rollout-lens';
const TRAIN = 'Fake GRPO training (demo)';

async function api(): Promise<RolloutLensApi> {
  const ext = vscode.extensions.getExtension<RolloutLensApi>(EXT_ID);
  assert.ok(ext, `extension ${EXT_ID} is not loaded`);
  return ext.activate();
}

async function until<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, ms: number, what: string): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function groupMembers(pgid: number): number[] {
  const out = spawnSync('ps', ['-eo', 'pid=,pgid='], { encoding: 'utf8' }).stdout;
  return out.split('\n').map((l) => l.trim().split(/\s+/).map(Number)).filter((x) => x[1] === pgid).map((x) => x[0]!);
}

describe('Jobs', function () {
  this.timeout(120_000);
  const ws = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const outDir = () => path.join(ws(), 'runs', 'fake-grpo');

  after(async () => {
    // nothing of ours keeps running into the workbench UI test, which launches the same profile on a clean folder
    const { jobs } = await api();
    for (const j of jobs.manager.active()) await jobs.manager.stop(j.rec.id).catch(() => undefined);
    fs.rmSync(outDir(), { recursive: true, force: true });
  });

  it('the demo profiles are tasks of type rollout-lens, resolved to our custom execution', async () => {
    await api();
    const tasks = await vscode.tasks.fetchTasks({ type: 'rollout-lens' });
    const names = tasks.map((t) => t.name);
    assert.ok(names.includes(TRAIN), names.join(', '));
    assert.ok(names.some((n) => n.startsWith('Fake eval')), names.join(', '));
    const cmds = await vscode.commands.getCommands(true);
    for (const c of ['rolloutLens.launchTraining', 'rolloutLens.evaluateCheckpoint', 'rolloutLens.stopJob', 'rolloutLens.showJobOutput', 'rolloutLens.newJobProfile', 'rolloutLens.attachSlurmJob']) {
      assert.ok(cmds.includes(c), `missing command ${c}`);
    }
  });

  let pgid = 0;
  it('Launch Training… runs the fake trainer: progress, new steps in the tree and a following inspector, then Stop leaves no process', async () => {
    const { jobs, runs, inspector } = await api();
    const id = (await vscode.commands.executeCommand<string>('rolloutLens.launchTraining'))!;
    assert.ok(id, 'the command returns the job id');
    const live = await until(() => jobs.manager.get(id), 20_000, 'the job to start');
    assert.strictEqual(live.rec.backend, 'local');
    pgid = live.rec.pgid!;
    assert.ok(pgid > 1, 'the job leads a process group of its own');
    await until(() => groupMembers(pgid).length >= 3, 20_000, `the trainer and its two workers in group ${pgid}`);
    const p = await until(() => live.progress && (live.progress.step ?? 0) >= 2 && live.progress, 60_000, 'progress step ≥ 2 parsed from the output');
    assert.strictEqual(p.total, 30);

    // the Runs tree shows the job's run with its completions folder
    const run = await until(async () => {
      runs.refresh();
      const roots = await runs.getChildren();
      return roots.find((n): n is Extract<RunsNode, { kind: 'run' }> => n.kind === 'run' && n.run.name === 'fake-grpo' && n.run.logs.length > 0);
    }, 30_000, 'the fake-grpo run in the Runs tree');
    const log = run.run.logs[0]!;

    // the inspector on the growing folder sees new steps arrive
    const session = inspector.openPanel(vscode.Uri.file(log.target))!;
    const first = session.lastInit ?? (await new Promise<{ steps: number[] }>((r) => { const d = session.onDidInit((i) => { d.dispose(); r(i); }); }));
    const stepsAtOpen = first.steps.length;
    const update = await new Promise<{ steps: number[] }>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no new steps after ${stepsAtOpen}`)), 30_000);
      const d = session.onDidUpdate((u) => {
        if (u.steps.length > stepsAtOpen) {
          clearTimeout(t);
          d.dispose();
          resolve(u);
        }
      });
    });
    assert.ok(update.steps.length > stepsAtOpen);

    // Stop: the whole group goes, the job ends cancelled, the notice says so
    const stopped = await vscode.commands.executeCommand<boolean>('rolloutLens.stopJob', id);
    assert.strictEqual(stopped, true);
    assert.deepStrictEqual(groupMembers(pgid), [], 'no process of the job is left');
    await until(() => live.rec.state === 'cancelled', 15_000, 'state cancelled');
    await until(() => jobs.lastNotice?.job === id, 10_000, 'the end notice');
    assert.match(jobs.lastNotice!.text, /was stopped/);
    assert.ok(fs.existsSync(path.join(outDir(), 'checkpoint-2', 'trainer_state.json')), 'checkpoint-2 was written before the stop');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Evaluate Checkpoint… on a checkpoint node runs the eval profile and its results appear under the checkpoint', async () => {
    const { jobs, runs } = await api();
    runs.refresh();
    const roots = await runs.getChildren();
    const run = roots.find((n) => n.kind === 'run' && n.run.name === 'fake-grpo')!;
    assert.ok(run, 'fake-grpo run');
    const ckpt = (await runs.getChildren(run)).find((n): n is Extract<RunsNode, { kind: 'checkpoint' }> => n.kind === 'checkpoint' && n.ckpt.step === 2);
    assert.ok(ckpt, 'checkpoint-2 node');
    assert.strictEqual(runs.getTreeItem(ckpt).contextValue, 'checkpoint', 'the node carries the context value the Evaluate menu is bound to');
    // the dataset quick pick: take the first (shapes-count)
    const launched = vscode.commands.executeCommand<string>('rolloutLens.evaluateCheckpoint', ckpt);
    await new Promise((r) => setTimeout(r, 1500));
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    const id = (await launched)!;
    assert.ok(id, 'an eval job id');
    const live = await until(() => jobs.manager.get(id), 20_000, 'the eval job to start');
    assert.strictEqual(live.rec.kind, 'eval');
    assert.strictEqual(live.rec.checkpoint, ckpt.ckpt.dir);
    await until(() => live.rec.state === 'completed', 60_000, `the eval to complete (state ${live.rec.state})`);
    assert.strictEqual(live.rec.exitCode, 0);
    await until(() => jobs.lastNotice?.job === id, 10_000, 'the completion notice');
    assert.match(jobs.lastNotice!.text, /completed/);
    assert.ok(jobs.lastNotice!.actions.includes('Compare with Previous Checkpoint'), jobs.lastNotice!.actions.join(', '));
    runs.refresh();
    const again = (await runs.getChildren((await runs.getChildren()).find((n) => n.kind === 'run' && n.run.name === 'fake-grpo')!))
      .find((n): n is Extract<RunsNode, { kind: 'checkpoint' }> => n.kind === 'checkpoint' && n.ckpt.step === 2)!;
    assert.ok((again.ckpt.evals ?? []).some((e) => e.dataset === 'shapes-count'), JSON.stringify(again.ckpt.evals));
  });

  it('a failing job ends with its exit code and the tail of its output in the notice', async () => {
    const { jobs } = await api();
    const trainer = path.join(ws(), 'tools', 'fake-trainer.js');
    const live = await jobs.manager.start({
      kind: 'train', backend: 'local', name: 'failing run', command: process.execPath,
      args: [trainer, '--output_dir', path.join(ws(), 'runs', 'fake-fail'), '--steps', '4', '--step_seconds', '0.2', '--fail_at', '2'],
      cwd: ws(), env: { ELECTRON_RUN_AS_NODE: '1' }, outputDir: path.join(ws(), 'runs', 'fake-fail'),
    });
    await until(() => live.rec.state === 'failed', 30_000, `the failure (state ${live.rec.state})`);
    assert.strictEqual(live.rec.exitCode, 3);
    await until(() => jobs.lastNotice?.job === live.rec.id, 10_000, 'the failure notice');
    assert.match(jobs.lastNotice!.text, /failed.*exit code 3/);
    assert.match(jobs.lastNotice!.text, /Error|Traceback/);
    fs.rmSync(path.join(ws(), 'runs', 'fake-fail'), { recursive: true, force: true });
  });
  it('never shows a secret-looking env value: the echo, the output and the stored record say ***', async () => {
    const { jobs } = await api();
    const { JobTerminal } = await import('../../../extension/features/jobs/tasks');
    const secret = 'hf_' + 'Q7x9Lm2Pz4Rt8Vw1Ys6Bn3Kd5Hf0Jg2Ac';
    const def = {
      type: 'rollout-lens' as const, kind: 'train', command: 'node',
      args: ['-e', "console.log('token is ' + process.env.HF_TOKEN)", '--', '--hub_token', '${env:RL_TEST_SECRET}'],
      env: { HF_TOKEN: secret, WANDB_MODE: 'offline' },
    };
    process.env.RL_TEST_SECRET = secret;
    const term = new JobTerminal(jobs.manager, def, vscode.workspace.workspaceFolders![0], 'secret echo');
    let out = '';
    term.onDidWrite((t) => (out += t));
    const closed = new Promise<number | void>((r) => term.onDidClose(r));
    term.open();
    assert.strictEqual(await closed, 0, out);
    delete process.env.RL_TEST_SECRET;
    assert.match(out, /token is \*\*\*/);
    assert.ok(!out.includes(secret), `the secret shows in the terminal:\n${out}`);
    const rec = jobs.manager.all().find((j) => j.rec.name === 'secret echo')!.rec;
    assert.strictEqual(rec.job.env.HF_TOKEN, '***');
    assert.strictEqual(rec.job.env.WANDB_MODE, 'offline');
    assert.ok(!JSON.stringify(rec).includes(secret), 'the stored record holds no secret');
  });

  it('Slurm: a backend "slurm" profile goes through sbatch, queued/running → completed; an outside job is attached and cancelled', async function () {
    const conf = process.env.SLURM_CONF;
    if (!conf) {
      console.log('      (skipped: no test Slurm cluster, see scripts/slurm-cluster.sh)');
      this.skip();
    }
    const { jobs } = await api();
    const out = path.join(ws(), 'runs', 'fake-slurm');
    const trainer = path.join(ws(), 'tools', 'fake-trainer.js');
    const live = await jobs.manager.start({
      kind: 'train', backend: 'slurm', name: 'slurm fake run', command: process.execPath,
      args: [trainer, '--output_dir', out, '--steps', '3', '--step_seconds', '0.5', '--save_steps', '3'],
      cwd: ws(), env: { ELECTRON_RUN_AS_NODE: '1' }, outputDir: out, slurm: { time: '00:05:00', jobName: 'rl-e2e' },
    });
    assert.match(live.rec.slurmJobId ?? '', /^\d+$/);
    assert.strictEqual(live.rec.state, 'queued');
    await until(() => live.rec.state === 'completed' || live.rec.state === 'failed', 90_000, `the Slurm job to end (state ${live.rec.state}, ${live.rec.reason})`);
    assert.strictEqual(live.rec.state, 'completed', `${live.rec.reason}: ${fs.readFileSync(live.rec.logFile, 'utf8').slice(-500)}`);
    assert.strictEqual(live.rec.exitCode, 0);
    assert.match(fs.readFileSync(live.rec.logFile, 'utf8'), /Training completed/);
    assert.ok(fs.existsSync(path.join(out, 'checkpoint-3', 'trainer_state.json')));

    // a job submitted outside the editor: Attach finds it in squeue --me, follows it, Stop cancels it
    const script = path.join(out, 'outside.sbatch');
    fs.writeFileSync(script, `#!/bin/bash\n#SBATCH --job-name=outside-run\n#SBATCH --output=${out}/outside-%j.out\n${process.execPath} ${trainer} --output_dir ${out}/outside --steps 200 --step_seconds 0.5\n`);
    const sub = spawnSync('sbatch', ['--parsable', script], { encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    assert.strictEqual(sub.status, 0, sub.stderr);
    const outsideId = sub.stdout.trim().split(';')[0]!;
    const listed = await until(async () => (await jobs.manager.slurm.listMine()).find((j) => j.id === outsideId && j.jobState === 'running'), 60_000, 'the outside job running in squeue --me');
    const info = (await jobs.manager.slurm.show(outsideId)) ?? listed;
    const attached = jobs.manager.attachSlurm(info, (await jobs.manager.slurm.batchScriptOf(outsideId)) ?? undefined);
    assert.strictEqual(attached.rec.attached, true);
    assert.strictEqual(attached.rec.job.outputDir, path.join(out, 'outside'));
    await until(() => attached.progress && (attached.progress.step ?? 0) >= 1, 60_000, 'progress of the attached job');
    await jobs.manager.stop(attached.rec.id);
    await until(() => attached.rec.state === 'cancelled', 30_000, `the attached job cancelled (state ${attached.rec.state})`);
    fs.rmSync(out, { recursive: true, force: true });
  });
  it('New Job Profile… appends a template to tasks.json, keeping its comments, and the profile is a task at once', async () => {
    await api();
    const file = path.join(ws(), '.vscode', 'tasks.json');
    const before = fs.readFileSync(file, 'utf8');
    try {
      const done = vscode.commands.executeCommand('rolloutLens.newJobProfile');
      await new Promise((r) => setTimeout(r, 1500));
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await done;
      const after = fs.readFileSync(file, 'utf8');
      assert.ok(after.startsWith(before.split('\n')[0]!), 'the leading comment is kept');
      assert.match(after, /"log_completions"|--log_completions/);
      const tasks = await until(async () => {
        const t = await vscode.tasks.fetchTasks({ type: 'rollout-lens' });
        return t.length >= 3 && t;
      }, 20_000, 'the new profile among the tasks');
      assert.ok(tasks.some((t) => /TRL/.test(t.name)), tasks.map((t) => t.name).join(', '));
    } finally {
      fs.writeFileSync(file, before);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });
});
