// The jobs feature in the workbench: commands (Launch Training…, Evaluate Checkpoint…, Stop Job, Show Job
// Output, New Job Profile…, Attach to Slurm Job…), the status bar item with live progress, the exit
// notifications, and the links to the Runs tree and the inspector (refresh on new outputs, follow newest).
import * as vscode from 'vscode';
import * as fs from 'fs';
import * as path from 'path';
import { FINAL_STATES } from '../../core/jobs/types';
import { formatProgress } from '../../core/jobs/progress';
import { JOB_TEMPLATES, addTaskToTasksJson } from '../../core/jobs/profile';
import { tailLines } from '../../core/jobs/tail';
import { discoverRuns, type RunInfo } from '../../core/runs/discover';
import { runGlobs, evalStepPattern } from '../config';
import type { RunsNode, RunsTreeProvider } from '../runsTree';
import { openInInspector } from '../runsTree';
import type { InspectorEditorProvider } from '../inspector/editor';
import { isUnder } from '../inspector/session';
import { JobManager, newJobId, type LiveJob } from './manager';
import { JobTaskProvider, TASK_TYPE, attachTask, duration, evalTaskName, jobTask, jobsAllowed, type JobTaskDefinition } from './tasks';

type CkptNode = Extract<RunsNode, { kind: 'checkpoint' }>;

export interface JobsApi {
  readonly manager: JobManager;
  /** The last exit notification shown (tests read it). */
  lastNotice: { job: string; text: string; actions: string[] } | undefined;
}

/** Profiles of type rollout-lens (tasks.json and any other provider), optionally of one kind. */
async function profiles(kind?: 'train' | 'eval'): Promise<vscode.Task[]> {
  const tasks = await vscode.tasks.fetchTasks({ type: TASK_TYPE });
  return tasks.filter((t) => !kind || (t.definition as JobTaskDefinition).kind === kind);
}

function isCkptNode(x: unknown): x is CkptNode {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'checkpoint' && typeof (x as CkptNode).ckpt?.dir === 'string';
}

async function pickProfile(kind: 'train' | 'eval'): Promise<vscode.Task | undefined> {
  const all = await profiles(kind);
  if (all.length === 0) {
    const c = await vscode.window.showInformationMessage(
      `Rollout Lens: no ${kind === 'train' ? 'training' : 'eval'} job profile in this workspace. Job profiles are tasks of type "rollout-lens" in .vscode/tasks.json.`,
      'New Job Profile…',
    );
    if (c) await vscode.commands.executeCommand('rolloutLens.newJobProfile');
    return undefined;
  }
  if (all.length === 1) return all[0];
  const picked = await vscode.window.showQuickPick(
    all.map((t) => {
      const d = t.definition as JobTaskDefinition;
      const args = Array.isArray(d.args) ? (d.args as string[]).join(' ') : '';
      return { label: t.name, description: d.backend === 'slurm' ? 'Slurm' : 'local', detail: `${String(d.command)} ${args}`.slice(0, 200), task: t };
    }),
    { title: kind === 'train' ? 'Launch training' : 'Evaluate checkpoint: eval profile', placeHolder: 'Pick a job profile (tasks.json)', matchOnDetail: true },
  );
  return picked?.task;
}

export function registerJobs(
  context: vscode.ExtensionContext,
  runs: RunsTreeProvider,
  inspector: InspectorEditorProvider,
): { api: JobsApi; disposables: vscode.Disposable[] } {
  const storage = context.storageUri ?? context.globalStorageUri;
  const manager = new JobManager(context.workspaceState, path.join(storage.fsPath, 'jobs'), path.join(context.extensionUri.fsPath, 'dist', 'jobWrapper.js'));
  const api: JobsApi = { manager, lastNotice: undefined };
  const status = vscode.window.createStatusBarItem('rolloutLens.jobs', vscode.StatusBarAlignment.Left, 50);
  status.name = 'Rollout Lens Jobs';
  status.command = 'rolloutLens.showJobOutput';

  const updateStatus = (): void => {
    const active = manager.active();
    if (active.length === 0) {
      status.hide();
      return;
    }
    const first = active[0]!;
    const spin = active.some((j) => j.rec.state === 'running') ? '$(sync~spin)' : '$(clock)';
    const what = first.rec.state === 'queued' ? `queued${first.rec.reason ? ` (${first.rec.reason})` : ''}` : first.progress ? formatProgress(first.progress) : first.rec.state;
    status.text = active.length === 1 ? `${spin} ${first.rec.name}: ${what}` : `${spin} ${active.length} jobs · ${first.rec.name}: ${what}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = false;
    for (const j of active) {
      md.appendMarkdown(`**${escapeMd(j.rec.name)}** — ${j.rec.state}${j.progress ? ` · ${escapeMd(formatProgress(j.progress))}` : ''}${j.rec.backend === 'slurm' ? ` · Slurm ${escapeMd(j.rec.slurmJobId ?? '')}` : ''}\n\n`);
      if (j.lastLine) md.appendCodeblock(j.lastLine, 'text');
    }
    md.appendMarkdown('Click to show a job\'s output.');
    status.tooltip = md;
    status.accessibilityInformation = { label: `Rollout Lens: ${active.length} job${active.length === 1 ? '' : 's'} running. ${first.rec.name}: ${what}` };
    status.show();
  };

  /** Show a job's terminal: its task's terminal when still open, else a new one that follows the job's log. */
  const showOutput = async (live: LiveJob): Promise<void> => {
    const term = vscode.window.terminals.find((t) => t.name === live.rec.name || t.name.endsWith(live.rec.name));
    if (term && term.exitStatus === undefined) {
      term.show(false);
      return;
    }
    await vscode.tasks.executeTask(attachTask(manager, live));
  };

  const pickJob = async (filter: (j: LiveJob) => boolean, title: string): Promise<LiveJob | undefined> => {
    const list = manager.all().filter(filter);
    if (list.length === 0) {
      void vscode.window.showInformationMessage('Rollout Lens: no jobs' + (title.startsWith('Stop') ? ' running.' : ' in this workspace yet.'));
      return undefined;
    }
    if (list.length === 1) return list[0];
    const p = await vscode.window.showQuickPick(
      list.map((j) => ({
        label: j.rec.name,
        description: `${j.rec.state}${j.progress ? ` · ${formatProgress(j.progress)}` : ''}`,
        detail: `${j.rec.backend === 'slurm' ? `Slurm ${j.rec.slurmJobId}` : `pid ${j.rec.pid}`} · started ${new Date(j.rec.startedAt).toLocaleTimeString()}${j.rec.endedAt ? ` · took ${duration(j.rec.endedAt - j.rec.startedAt)}` : ''}`,
        job: j,
      })),
      { title },
    );
    return p?.job;
  };

  const launch = async (task: vscode.Task, extra: Partial<JobTaskDefinition>, name: string): Promise<string> => {
    const id = newJobId();
    const def = { ...(task.definition as JobTaskDefinition), ...extra, jobId: id } as JobTaskDefinition;
    await vscode.tasks.executeTask(jobTask(manager, def, task.scope ?? vscode.TaskScope.Workspace, name));
    return id;
  };

  const evaluate = async (node?: unknown): Promise<string | undefined> => {
    if (!jobsAllowed()) return undefined;
    let ckptDir: string | undefined = isCkptNode(node) ? node.ckpt.dir : node instanceof vscode.Uri ? node.fsPath : undefined;
    const task = await pickProfile('eval');
    if (!task) return undefined;
    if (!ckptDir) ckptDir = await pickCheckpoint(runs);
    if (!ckptDir) return undefined;
    const def = task.definition as JobTaskDefinition;
    const datasets = Array.isArray(def.datasets) ? (def.datasets as string[]) : [];
    let dataset: string | undefined = typeof def.dataset === 'string' ? def.dataset : datasets[0];
    if (datasets.length > 1) {
      const d = await vscode.window.showQuickPick(datasets, { title: `Evaluate ${path.basename(ckptDir)}: dataset`, placeHolder: 'Dataset (${dataset})' });
      if (!d) return undefined;
      dataset = d;
    }
    return launch(task, { checkpoint: ckptDir, profileLabel: task.name, ...(dataset ? { dataset } : {}) }, evalTaskName(task.name, ckptDir, dataset));
  };

  const notifyEnd = async (live: LiveJob): Promise<void> => {
    const r = live.rec;
    const took = r.endedAt ? ` in ${duration(r.endedAt - r.startedAt)}` : '';
    if (r.state === 'completed') {
      const actions: string[] = [];
      const logs = await outputLogs(live);
      if (logs.length) actions.push('Open Rollouts');
      const ckptRun = r.kind === 'eval' && r.checkpoint ? await checkpointNode(r.checkpoint) : undefined;
      if (ckptRun) actions.push('Compare with Previous Checkpoint');
      const text = `Rollout Lens: "${r.name}" completed${took}.`;
      api.lastNotice = { job: r.id, text, actions };
      const c = await vscode.window.showInformationMessage(text, ...actions);
      if (c === 'Open Rollouts' && logs[0]) await openInInspector(vscode.Uri.file(logs[0]));
      if (c === 'Compare with Previous Checkpoint' && ckptRun) await vscode.commands.executeCommand('rolloutLens.compareWithPrevious', ckptRun);
      return;
    }
    if (r.state === 'cancelled') {
      const text = `Rollout Lens: "${r.name}" was stopped${took}.`;
      api.lastNotice = { job: r.id, text, actions: [] };
      void vscode.window.showInformationMessage(text);
      return;
    }
    const lines = tailLines(r.logFile, 3).map((l) => l.slice(0, 160));
    const text = `Rollout Lens: "${r.name}" ${r.state === 'lost' ? 'was lost' : 'failed'}${took}${r.exitCode !== null && r.exitCode !== undefined ? ` with exit code ${r.exitCode}` : ''}${r.reason && !/^exit code/.test(r.reason) ? ` (${r.reason})` : ''}.${lines.length ? ` Last output: ${lines.join(' ⏎ ')}` : ''}`;
    api.lastNotice = { job: r.id, text, actions: ['Show Output'] };
    const c = await vscode.window.showErrorMessage(text, 'Show Output');
    if (c) await showOutput(live);
  };

  /** Rollout logs in a job's output folder, newest first. */
  const outputLogs = async (live: LiveJob): Promise<string[]> => {
    const dir = live.rec.job.outputDir;
    if (!dir || !fs.existsSync(dir)) return [];
    const found = await discoverRuns(dir, runGlobs(), undefined, undefined, evalStepPattern() ? { stepPattern: evalStepPattern() } : {});
    return found.flatMap((run) => run.logs.map((l) => l.target)).sort((a, b) => mtime(b) - mtime(a));
  };

  /** The tree node of the checkpoint an eval ran on (for Compare with Previous Checkpoint). */
  const checkpointNode = async (ckpt: string): Promise<CkptNode | undefined> => {
    runs.refresh();
    const all: RunInfo[] = await runs.getRuns();
    for (const run of all) {
      const c = run.checkpoints.find((x) => path.resolve(x.dir) === path.resolve(ckpt));
      if (c && (c.evals?.length ?? 0) > 0) return { kind: 'checkpoint', run, ckpt: c, headline: [] };
    }
    return undefined;
  };

  // refresh the tree (debounced) and nudge inspectors under a job's output folder when files appear
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  const disposables: vscode.Disposable[] = [
    manager,
    status,
    vscode.tasks.registerTaskProvider(TASK_TYPE, new JobTaskProvider(manager)),
    manager.onDidChange(updateStatus),
    manager.onDidEnd((j) => {
      updateStatus();
      runs.refresh();
      void notifyEnd(j);
    }),
    manager.onDidOutput((c) => {
      if (!refreshTimer) {
        refreshTimer = setTimeout(() => {
          refreshTimer = undefined;
          runs.refresh();
        }, 500);
      }
      const dir = c.job.rec.job.outputDir;
      if (dir) for (const s of inspector.sessions) if (isUnder(s.target, [dir])) void s.poll();
    }),
    { dispose: () => refreshTimer && clearTimeout(refreshTimer) },
    vscode.commands.registerCommand('rolloutLens.launchTraining', async (): Promise<string | undefined> => {
      if (!jobsAllowed()) return undefined;
      const task = await pickProfile('train');
      if (!task) return undefined;
      return launch(task, {}, task.name);
    }),
    vscode.commands.registerCommand('rolloutLens.evaluateCheckpoint', evaluate),
    vscode.commands.registerCommand('rolloutLens.stopJob', async (id?: unknown): Promise<boolean> => {
      if (!jobsAllowed()) return false;
      const live = typeof id === 'string' ? manager.get(id) : await pickJob((j) => !FINAL_STATES.has(j.rec.state), 'Stop job');
      if (!live) return false;
      if (live.rec.attached) {
        const ok = await vscode.window.showWarningMessage(`Cancel Slurm job ${live.rec.slurmJobId} ("${live.rec.name}")? It was not started from this editor.`, { modal: true }, 'Cancel Job');
        if (ok !== 'Cancel Job') return false;
      }
      try {
        await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Stopping ${live.rec.name}…` }, () => manager.stop(live.rec.id));
        return true;
      } catch (e) {
        void vscode.window.showErrorMessage(`Rollout Lens: cannot stop "${live.rec.name}": ${(e as Error).message}`);
        return false;
      }
    }),
    vscode.commands.registerCommand('rolloutLens.showJobOutput', async (id?: unknown) => {
      const live = typeof id === 'string' ? manager.get(id) : await pickJob(() => true, 'Show job output');
      if (live) await showOutput(live);
    }),
    vscode.commands.registerCommand('rolloutLens.newJobProfile', () => newJobProfile()),
    vscode.commands.registerCommand('rolloutLens.attachSlurmJob', async (): Promise<string | undefined> => {
      if (!jobsAllowed()) return undefined;
      if (!(await manager.slurm.available())) {
        void vscode.window.showErrorMessage('Rollout Lens: Slurm commands (squeue) are not available on this machine. Attach from the cluster\'s login node (Remote-SSH).');
        return undefined;
      }
      const mine = await manager.slurm.listMine();
      if (mine.length === 0) {
        void vscode.window.showInformationMessage('Rollout Lens: squeue --me lists no jobs of yours.');
        return undefined;
      }
      const pick = await vscode.window.showQuickPick(
        mine.map((j) => ({ label: `${j.id} ${j.name}`, description: `${j.state}${j.reason && j.reason !== 'None' ? ` (${j.reason})` : ''}${j.elapsed ? ` · ${j.elapsed}` : ''}`, detail: j.workDir ?? '', info: j })),
        { title: 'Attach to Slurm job', placeHolder: 'Your jobs (squeue --me)', matchOnDescription: true, matchOnDetail: true },
      );
      if (!pick) return undefined;
      const info = (await manager.slurm.show(pick.info.id)) ?? pick.info;
      const script = await manager.slurm.batchScriptOf(info.id).catch(() => undefined);
      const live = manager.attachSlurm(info, script ?? undefined);
      await showOutput(live);
      if (!live.rec.job.outputDir) void vscode.window.showWarningMessage(`Rollout Lens: could not tell where Slurm job ${info.id} writes its rollouts; its output is followed, but the Runs view will not follow new files.`);
      return live.rec.id;
    }),
  ];
  updateStatus();
  // jobs that were running before a reload: their terminals come back (not focused)
  for (const live of manager.active()) {
    // tasks are not available in Restricted Mode: the status bar still shows the job
    vscode.tasks.executeTask(attachTask(manager, live, vscode.TaskRevealKind.Silent)).then(undefined, () => undefined);
  }
  return { api, disposables };
}

/** Quick pick over every checkpoint of the workspace's runs (or a folder chosen in a dialog). */
async function pickCheckpoint(runs: RunsTreeProvider): Promise<string | undefined> {
  const all = await runs.getRuns();
  type Item = vscode.QuickPickItem & { dir?: string; browse?: true };
  const items: Item[] = [];
  for (const run of all) {
    const ckpts = run.checkpoints.filter((c) => !c.evalOnly);
    if (!ckpts.length) continue;
    items.push({ label: run.name, kind: vscode.QuickPickItemKind.Separator });
    for (const c of [...ckpts].reverse()) items.push({ label: path.basename(c.dir), description: c.step !== null ? `step ${c.step}` : '', detail: vscode.workspace.asRelativePath(c.dir), dir: c.dir });
  }
  items.push({ label: '$(folder-opened) Choose a checkpoint folder…', browse: true, alwaysShow: true });
  const p = await vscode.window.showQuickPick(items, { title: 'Evaluate checkpoint', placeHolder: 'Checkpoint (${checkpoint})', matchOnDetail: true });
  if (!p) return undefined;
  if (p.browse) {
    const u = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: 'Checkpoint folder to evaluate', openLabel: 'Evaluate' });
    return u?.[0]?.fsPath;
  }
  return p.dir;
}

/** New Job Profile…: pick a template, append it to .vscode/tasks.json (comments kept), open it there. */
async function newJobProfile(): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showErrorMessage('Rollout Lens: open a folder first; job profiles live in its .vscode/tasks.json.');
    return;
  }
  const pick = await vscode.window.showQuickPick(
    JOB_TEMPLATES.map((t) => ({ label: t.label, description: t.framework, detail: t.description, t })),
    { title: 'New job profile', placeHolder: 'A starter for your framework (edit it in tasks.json afterwards)', matchOnDetail: true },
  );
  if (!pick) return;
  const file = vscode.Uri.joinPath(folder.uri, '.vscode', 'tasks.json');
  let text: string | null = null;
  try {
    text = new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
  } catch {
    text = null;
  }
  let out: { text: string; label: string };
  try {
    out = addTaskToTasksJson(text, pick.t.task);
  } catch (e) {
    void vscode.window.showErrorMessage(`Rollout Lens: cannot add the profile to ${vscode.workspace.asRelativePath(file)}: ${(e as Error).message}`);
    return;
  }
  await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(out.text));
  const doc = await vscode.workspace.openTextDocument(file);
  const editor = await vscode.window.showTextDocument(doc);
  const at = doc.getText().lastIndexOf(JSON.stringify(out.label));
  if (at >= 0) {
    const pos = doc.positionAt(at);
    editor.selection = new vscode.Selection(pos, pos);
    editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenter);
  }
  void vscode.window.showInformationMessage(`Rollout Lens: added the job profile "${out.label}" to tasks.json. Edit the placeholders, then run Rollout Lens: ${pick.t.task.kind === 'eval' ? 'Evaluate Checkpoint…' : 'Launch Training…'}`);
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

function mtime(p: string): number {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}
