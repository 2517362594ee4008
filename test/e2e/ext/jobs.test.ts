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

  after(() => {
    // the workbench UI test launches the same profile on a clean folder
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
    assert.ok(pgid > 1 && groupMembers(pgid).length >= 3, `the trainer and its two workers run in group ${pgid}`);
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
});
