// Jobs as VS Code tasks of type `rollout-lens`: the task provider (tasks.json entries of our type resolve to a
// CustomExecution) and the pseudoterminal that starts a job — or reattaches to a running one — and shows
// its log as it grows, with a state line and a last line with the exit code. Closing the terminal detaches
// (the job keeps running; Stop Job stops it), so a window reload never kills a job.
import * as vscode from 'vscode';
import * as path from 'path';
import { FINAL_STATES, type JobVariables, type ResolvedJob } from '../../core/jobs/types';
import { resolveProfile, validateProfile } from '../../core/jobs/profile';
import { commandLine, redactArgs, redactText } from '../../core/jobs/quote';
import { LogTail } from '../../core/jobs/tail';
import type { JobManager, LiveJob } from './manager';

export const TASK_TYPE = 'rollout-lens';

/** The definition of a task we create: a profile plus what the launch chose. */
export interface JobTaskDefinition extends vscode.TaskDefinition {
  type: typeof TASK_TYPE;
  /** Set by our commands: the job id to use (so the command knows which job the task started). */
  jobId?: string;
  /** Set by Show Job Output after a reload: follow this existing job instead of starting one. */
  attach?: string;
  /** The profile's own label, when the task's name says more (an eval's checkpoint and dataset). */
  profileLabel?: string;
}

export const TRUST_MESSAGE =
  'Rollout Lens: jobs run commands from this workspace\'s files, so they are disabled in Restricted Mode. Trust this workspace (Workspaces: Manage Workspace Trust) to launch or stop jobs.';

/** Refuse in untrusted workspaces (with the message shown); true when allowed. */
export function jobsAllowed(): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showErrorMessage(TRUST_MESSAGE, 'Manage Workspace Trust').then((c) => {
    if (c) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  return false;
}

function folderOf(scope: vscode.TaskScope | vscode.WorkspaceFolder | undefined): vscode.WorkspaceFolder | undefined {
  return typeof scope === 'object' ? scope : vscode.workspace.workspaceFolders?.[0];
}

/** The variables of a launch: the workspace folder, the environment, and what the user picked. */
export function launchVariables(folder: vscode.WorkspaceFolder | undefined, def: { checkpoint?: string; dataset?: string; datasets?: string[] }): JobVariables {
  const ckpt = def.checkpoint;
  return {
    ...(folder ? { workspaceFolder: folder.uri.fsPath } : {}),
    ...(ckpt ? { checkpoint: ckpt } : {}),
    ...(def.dataset ?? def.datasets?.[0] ? { dataset: def.dataset ?? def.datasets![0]! } : {}),
    env: process.env,
  };
}

/** Validate and resolve a task definition into the job to run; throws with every problem listed. */
export function resolveDefinition(def: vscode.TaskDefinition, folder: vscode.WorkspaceFolder | undefined, name: string): ResolvedJob {
  const { profile, errors } = validateProfile(stripTaskFields(def));
  if (!profile) throw new Error(`the job profile "${name}" is not valid: ${errors.join('; ')}`);
  return resolveProfile(profile, launchVariables(folder, profile), name);
}

/** A task definition without what tasks.json adds around the profile. */
function stripTaskFields(def: vscode.TaskDefinition): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(def)) if (!['jobId', 'attach', 'profileLabel', 'label', 'problemMatcher', 'group', 'presentation', 'detail', 'dependsOn', 'isBackground', 'runOptions', 'icon', 'hide', 'promptOnClose'].includes(k)) out[k] = v;
  return out;
}

/** The task that runs (or shows) a job. */
export function jobTask(manager: JobManager, def: JobTaskDefinition, scope: vscode.TaskScope | vscode.WorkspaceFolder, name: string): vscode.Task {
  // the raw definition, not VS Code's resolved one: our own substitution runs once, so a value chosen at
  // launch (a dataset named `${env:HOME}` or `$(…)`) is never expanded again
  const task = new vscode.Task(def, scope, name, 'Rollout Lens', new vscode.CustomExecution(async () => new JobTerminal(manager, def, folderOf(scope), name)), []);
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: false, echo: false };
  task.isBackground = false;
  task.detail = def.kind === 'eval' ? 'Rollout Lens eval job' : 'Rollout Lens training job';
  return task;
}

/** The task that shows an existing job's log (Show Job Output, or its terminal coming back after a reload). */
export function attachTask(manager: JobManager, live: LiveJob, reveal = vscode.TaskRevealKind.Always): vscode.Task {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const def: JobTaskDefinition = { type: TASK_TYPE, kind: live.rec.kind, command: live.rec.job.command, attach: live.rec.id };
  const task = jobTask(manager, def, folder ?? vscode.TaskScope.Workspace, live.rec.name);
  task.presentationOptions = { ...task.presentationOptions, reveal };
  return task;
}

export class JobTaskProvider implements vscode.TaskProvider {
  constructor(private readonly manager: JobManager) {}
  provideTasks(): vscode.Task[] {
    return [];
  }
  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const def = task.definition as JobTaskDefinition;
    if (def.type !== TASK_TYPE) return undefined;
    return jobTask(this.manager, def, task.scope ?? vscode.TaskScope.Workspace, task.name);
  }
}

const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
const RED = '\x1b[31m';
const GREEN = '\x1b[32m';
const YELLOW = '\x1b[33m';

/** Terminal output: lone LF → CRLF (a pseudoterminal needs both), CR kept for tqdm's redraws. */
export function toTerminal(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/** The pseudoterminal of one job: starts it (or attaches), tails its log, closes with its exit code. */
export class JobTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private tail: LogTail | undefined;
  private sub: vscode.Disposable | undefined;
  private live: LiveJob | undefined;
  private secrets: Record<string, string> = {};
  private lastState = '';
  private closed = false;

  constructor(
    private readonly manager: JobManager,
    private readonly def: JobTaskDefinition,
    private readonly folder: vscode.WorkspaceFolder | undefined,
    private readonly name: string,
  ) {}

  open(): void {
    void this.run();
  }

  private line(text: string): void {
    this.writeEmitter.fire(toTerminal(`${text}\n`));
  }

  private async run(): Promise<void> {
    try {
      if (this.def.attach) {
        const live = this.manager.get(this.def.attach);
        if (!live) throw new Error(`no job ${this.def.attach} is known in this workspace`);
        this.line(`${DIM}Rollout Lens: following ${live.rec.name} (${live.rec.backend === 'slurm' ? `Slurm job ${live.rec.slurmJobId}` : `pid ${live.rec.pid}`}), started ${new Date(live.rec.startedAt).toLocaleString()}${RESET}`);
        this.attach(live);
        return;
      }
      if (!vscode.workspace.isTrusted) throw new Error(TRUST_MESSAGE.replace(/^Rollout Lens: /, ''));
      const job = resolveDefinition(this.def, this.folder, this.def.profileLabel ?? this.name);
      this.secrets = job.env;
      const shown = redactText(commandLine(job.command, redactArgs(job.args), 'posix'), job.env);
      this.line(`${DIM}Rollout Lens: ${job.kind} job "${job.name}" ${job.backend === 'slurm' ? 'submitted to Slurm' : 'started'} in ${job.cwd}${RESET}`);
      this.line(`${DIM}$ ${shown}${RESET}`);
      const live = await this.manager.start(job, {
        ...(this.def.jobId ? { id: this.def.jobId } : {}),
        ...(typeof this.def.checkpoint === 'string' ? { checkpoint: this.def.checkpoint } : {}),
        ...(typeof this.def.dataset === 'string' ? { dataset: this.def.dataset } : {}),
      });
      if (live.rec.backend === 'slurm') this.line(`${DIM}Submitted batch job ${live.rec.slurmJobId}; output: ${live.rec.logFile}${RESET}`);
      else this.line(`${DIM}pid ${live.rec.pid} (process group ${live.rec.pgid}); output: ${live.rec.logFile}${RESET}`);
      this.attach(live);
    } catch (e) {
      const msg = (e as Error).message;
      this.line(`${RED}Rollout Lens: cannot start "${this.name}": ${msg}${RESET}`);
      void vscode.window.showErrorMessage(`Rollout Lens: cannot start "${this.name}": ${msg}`);
      this.finish(1);
    }
  }

  private attach(live: LiveJob): void {
    this.live = live;
    this.tail = new LogTail(live.rec.logFile, (text) => this.writeEmitter.fire(toTerminal(redactText(text, this.secrets))), { intervalMs: 200 }).start();
    this.showState(live);
    this.sub = this.manager.onDidChange((j) => {
      if (j.rec.id === live.rec.id) this.showState(j);
    });
  }

  private showState(live: LiveJob): void {
    const r = live.rec;
    const key = `${r.state}:${r.reason ?? ''}`;
    if (key === this.lastState) return;
    this.lastState = key;
    if (r.state === 'queued') this.line(`${YELLOW}Rollout Lens: queued${r.reason ? ` (${r.reason})` : ''}${RESET}`);
    if (!FINAL_STATES.has(r.state)) return;
    this.tail?.stop();
    const took = r.endedAt ? ` after ${duration(r.endedAt - r.startedAt)}` : '';
    const code = r.exitCode ?? null;
    const reason = r.reason && !/^exit code/.test(r.reason) ? ` (${r.reason})` : '';
    if (r.state === 'completed') this.line(`\n${GREEN}Rollout Lens: job completed${took}${code !== null ? ` (exit code ${code})` : ''}.${RESET}`);
    else this.line(`\n${r.state === 'cancelled' ? YELLOW : RED}Rollout Lens: job ${r.state}${took}${code !== null ? `, exit code ${code}` : ''}${reason}.${RESET}`);
    this.finish(r.state === 'completed' ? 0 : code && code > 0 ? code : 1);
  }

  handleInput(data: string): void {
    if (data === '\x03' && this.live && !FINAL_STATES.has(this.live.rec.state)) {
      this.line(`${YELLOW}^C — stopping the job…${RESET}`);
      void vscode.commands.executeCommand('rolloutLens.stopJob', this.live.rec.id);
    }
  }

  private finish(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.sub?.dispose();
    setTimeout(() => this.closeEmitter.fire(code), 50);
  }

  close(): void {
    // detach only: the job keeps running (Stop Job stops it); a reload also lands here
    this.tail?.stop();
    this.sub?.dispose();
    this.closed = true;
  }
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** The task (and terminal) name of an eval launch: the job's name as resolveProfile gives it (`Fake eval (checkpoint-4, shapes-count)`). */
export function evalTaskName(label: string, checkpoint: string, dataset: string | undefined): string {
  return `${label} (${path.basename(checkpoint.replace(/[\\/]+$/, ''))}${dataset ? `, ${dataset}` : ''})`;
}
