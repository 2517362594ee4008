import * as vscode from 'vscode';
import * as path from 'path';
import * as fs from 'fs';
import { discoverRuns, type CheckpointInfo, type LogEntry, type RunInfo } from '../core/runs/discover';
import type { EvalFileInfo } from '../core/compare/sources';
import { openPath } from '../core/formats/all';
import { FORMAT_LABELS, type RolloutLog, type StepKind } from '../core/formats/log';
import { openSpec } from '../core/formats/all';
import {
  buildStepTree, groupDescription, groupStats, groupTooltip, shortGroupId, stepDescription, stepLabel, stepTooltip, visibleGroups,
  type GroupStats, type StepStats, type StepTree,
} from '../core/runs/stepTree';
import { evalStepPattern, runGlobs } from './config';
import { INSPECTOR_VIEW_TYPE, logOpenOptions, opensAsCustomEditor, type InspectorEditorProvider } from './inspector/editor';
import { errorMessage } from './inspector/session';

export const RUNS_VIEW_ID = 'rolloutLens.runs';
/** `contextValue` of the tree's nodes (package.json `view/item/context` menus use them). */
export const VIEW_ITEMS = {
  run: 'run',
  log: 'rolloutLog',
  step: 'rolloutStep',
  group: 'rolloutGroup',
  more: 'rolloutMoreGroups',
  checkpoint: 'checkpoint',
  /** A checkpoint with eval files (can be compared). */
  evaluated: 'checkpointEvaluated',
  evalFile: 'evalFile',
} as const;
/** How often expanded logs are re-checked for appended records while the view is visible. */
export const TREE_POLL_MS = 5000;
/** Logs kept open for the tree (least recently used closed first). */
export const OPEN_LOGS = 3;

export type RunsNode =
  | { kind: 'run'; run: RunInfo }
  | { kind: 'log'; log: LogEntry; run: RunInfo }
  | { kind: 'checkpoint'; run: RunInfo; ckpt: CheckpointInfo; headline: EvalHeadline[] }
  | { kind: 'evalFile'; run: RunInfo; ckpt: CheckpointInfo; info: EvalFileInfo; headline: EvalHeadline | undefined }
  | { kind: 'step'; log: LogEntry; stats: StepStats; stepKind: StepKind }
  | { kind: 'group'; log: LogEntry; stats: GroupStats }
  | { kind: 'more'; log: LogEntry; step: number; firstGroup: number; count: number }
  | { kind: 'message'; text: string; tooltip?: string; icon?: string };
type Node = RunsNode;

/** Is `x` a node of the Runs tree that names a place in a log (what the tree's menus and clicks pass to commands)? */
export function isLogPlaceNode(x: unknown): x is Extract<RunsNode, { kind: 'log' | 'step' | 'group' | 'more' }> {
  if (typeof x !== 'object' || x === null) return false;
  const k = (x as { kind?: unknown }).kind;
  const log = (x as { log?: { target?: unknown } }).log;
  return (k === 'log' || k === 'step' || k === 'group' || k === 'more') && typeof log?.target === 'string';
}

/** The accuracy an eval file states or that its records give, for the tree's descriptions. */
export interface EvalHeadline {
  file: string;
  dataset: string;
  accuracy: number | null;
  samples: number;
}

/** Eval files larger than this are not read for the tree's headline numbers (the comparison still reads them). */
const HEADLINE_MAX_BYTES = 64 * 1024 * 1024;
const headlineCache = new Map<string, { key: string; value: EvalHeadline }>();

/** Headline of one eval file (cached by size + mtime); undefined when it cannot be read cheaply. */
export async function evalHeadline(info: EvalFileInfo): Promise<EvalHeadline | undefined> {
  let st: fs.Stats;
  try {
    st = fs.statSync(info.path);
  } catch {
    return undefined;
  }
  if (!st.isFile() || st.size > HEADLINE_MAX_BYTES) return undefined;
  const key = `${st.size}:${st.mtimeMs}`;
  const hit = headlineCache.get(info.path);
  if (hit?.key === key) return hit.value;
  try {
    const log = await openPath(info.path);
    try {
      const meta = (log as RolloutLog & { evalMeta?: { accuracy: number | null; reportedAccuracy: number | null } }).evalMeta;
      const accuracy = meta ? meta.accuracy ?? (meta.reportedAccuracy !== null ? meta.reportedAccuracy / 100 : null) : null;
      const value: EvalHeadline = { file: info.path, dataset: info.dataset, accuracy, samples: log.recordCount };
      headlineCache.set(info.path, { key, value });
      return value;
    } finally {
      log.close();
    }
  } catch {
    return undefined;
  }
}

/** `shapes-count 58.3 %` */
export function headlineText(h: EvalHeadline): string {
  return `${h.dataset} ${h.accuracy === null ? `${h.samples} samples` : `${(h.accuracy * 100).toFixed(1)} %`}`;
}

interface CachedLog {
  target: string;
  promise: Promise<RolloutLog>;
  log?: RolloutLog;
  tree?: StepTree;
  closed: boolean;
  refreshing: boolean;
}

/** A few logs opened for the tree (LRU): each opened as the inspector opens it, so group numbers agree. */
class OpenLogCache implements vscode.Disposable {
  private readonly entries = new Map<string, CachedLog>();
  constructor(private readonly max: number) {}

  get(target: string): CachedLog {
    const hit = this.entries.get(target);
    if (hit) {
      this.entries.delete(target);
      this.entries.set(target, hit);
      return hit;
    }
    const entry: CachedLog = {
      target,
      closed: false,
      refreshing: false,
      promise: logOpenOptions(target).then(({ spec, opts }) => openSpec(spec, opts)),
    };
    entry.promise.then(
      (log) => {
        if (entry.closed) log.close();
        else entry.log = log;
      },
      () => {
        // a failed open is not kept: expanding again retries
        if (this.entries.get(target) === entry) this.entries.delete(target);
      },
    );
    this.entries.set(target, entry);
    while (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value as string;
      this.close(oldest);
    }
    return entry;
  }

  has(target: string): boolean {
    return this.entries.has(target);
  }

  loaded(): CachedLog[] {
    return [...this.entries.values()].filter((e) => e.log && !e.closed);
  }

  treeOf(entry: CachedLog, log: RolloutLog): StepTree {
    if (!entry.tree || entry.tree.records !== log.recordCount) entry.tree = buildStepTree(log, log.recordCount);
    return entry.tree;
  }

  close(target: string): void {
    const e = this.entries.get(target);
    if (!e) return;
    this.entries.delete(target);
    e.closed = true;
    e.log?.close();
    e.log = undefined;
  }

  clear(): void {
    for (const t of [...this.entries.keys()]) this.close(t);
  }

  dispose(): void {
    this.clear();
  }
}

/**
 * The Runs view: runs found with fast-glob under each workspace folder → their rollout logs (→ steps →
 * groups, read lazily when a log is expanded) and checkpoints.
 */
export class RunsTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private runs: Promise<RunInfo[]> | undefined;
  private readonly logs = new OpenLogCache(OPEN_LOGS);
  /** One node object per log (the tree refreshes a node by identity). */
  private logNodes = new Map<string, Extract<Node, { kind: 'log' }>>();
  private readonly expanded = new Set<string>();
  private view: vscode.TreeView<Node> | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;

  refresh(): void {
    this.runs = undefined;
    this.logNodes = new Map();
    this.logs.clear();
    this.changed.fire(undefined);
  }

  /** The tree view showing this provider: its visibility gates polling, its expansions say which logs to poll. */
  setView(view: vscode.TreeView<Node>): void {
    this.view = view;
    this.disposables.push(
      view.onDidExpandElement((e) => {
        if (e.element.kind === 'log') this.expanded.add(e.element.log.target);
      }),
      view.onDidCollapseElement((e) => {
        if (e.element.kind === 'log') this.expanded.delete(e.element.log.target);
      }),
    );
    this.timer = setInterval(() => void this.poll(), TREE_POLL_MS);
  }

  /**
   * Re-check the expanded logs for appended records (while the view is visible; always when `force`);
   * a log node whose log grew is refreshed. Resolves with the number of records added over all logs.
   */
  async poll(force = false): Promise<number> {
    if (!force && !this.view?.visible) return 0;
    let total = 0;
    await Promise.all(
      this.logs.loaded().map(async (entry) => {
        const log = entry.log;
        if (!log?.refresh || entry.refreshing || (!force && !this.expanded.has(entry.target))) return;
        entry.refreshing = true;
        try {
          const { added, reset } = await log.refresh();
          if (added > 0 || reset) {
            total += added;
            entry.tree = undefined;
            const node = this.logNodes.get(entry.target);
            if (node && !entry.closed) this.changed.fire(node);
          }
        } catch (e) {
          console.warn('[rollout-lens] refreshing a log in the Runs view failed:', errorMessage(e));
        } finally {
          entry.refreshing = false;
        }
      }),
    );
    return total;
  }

  /** All runs found (used by "Open Rollout Log…" and tests). */
  getRuns(): Promise<RunInfo[]> {
    if (!this.runs) {
      const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
      const stepPattern = evalStepPattern();
      this.runs = Promise.all(folders.map((f) => discoverRuns(f, runGlobs(), undefined, undefined, stepPattern ? { stepPattern } : {}))).then((all) => all.flat());
    }
    return this.runs;
  }

  private logNode(log: LogEntry, run: RunInfo): Extract<Node, { kind: 'log' }> {
    let n = this.logNodes.get(log.target);
    if (!n || n.run.dir !== run.dir) {
      n = { kind: 'log', log, run };
      this.logNodes.set(log.target, n);
    }
    return n;
  }

  /** The log behind a node, opened (or taken from the cache) with a progress bar in the view. */
  private async openLog(entry: LogEntry): Promise<{ log: RolloutLog; tree: StepTree; cached: CachedLog }> {
    const cached = this.logs.get(entry.target);
    const log = cached.log ?? (await vscode.window.withProgress({ location: { viewId: RUNS_VIEW_ID } }, () => cached.promise));
    return { log, tree: this.logs.treeOf(cached, log), cached };
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (!node) return (await this.getRuns()).map((run) => ({ kind: 'run', run }));
    switch (node.kind) {
      case 'run':
        return [
          ...node.run.logs.map((log): Node => this.logNode(log, node.run)),
          ...(await Promise.all(
            node.run.checkpoints.map(async (ckpt): Promise<Node> => {
              const headline = (await Promise.all((ckpt.evals ?? []).map(evalHeadline))).filter((h): h is EvalHeadline => h !== undefined);
              return { kind: 'checkpoint', run: node.run, ckpt, headline };
            }),
          )),
        ];
      case 'checkpoint':
        return (node.ckpt.evals ?? []).map((info): Node => ({ kind: 'evalFile', run: node.run, ckpt: node.ckpt, info, headline: node.headline.find((h) => h.file === info.path) }));
      case 'log': {
        this.expanded.add(node.log.target);
        try {
          const { log, tree } = await this.openLog(node.log);
          if (tree.steps.length === 0) return [{ kind: 'message', text: 'no groups yet', icon: 'info' }];
          return tree.steps.map((stats): Node => ({ kind: 'step', log: node.log, stats, stepKind: log.stepKind }));
        } catch (e) {
          return [{ kind: 'message', text: `cannot read this log: ${errorMessage(e)}`, tooltip: errorMessage(e), icon: 'error' }];
        }
      }
      case 'step': {
        try {
          const { log, tree } = await this.openLog(node.log);
          const all = tree.groupsByStep.get(node.stats.step) ?? [];
          const { shown, more } = visibleGroups(all);
          const nodes: Node[] = shown.map((gi): Node => ({ kind: 'group', log: node.log, stats: groupStats(log, gi) }));
          if (more > 0) nodes.push({ kind: 'more', log: node.log, step: node.stats.step, firstGroup: all[shown.length]!, count: more });
          return nodes;
        } catch (e) {
          return [{ kind: 'message', text: `cannot read this log: ${errorMessage(e)}`, tooltip: errorMessage(e), icon: 'error' }];
        }
      }
      default:
        return [];
    }
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'run': {
        const item = new vscode.TreeItem(node.run.name, vscode.TreeItemCollapsibleState.Expanded);
        const rel = vscode.workspace.asRelativePath(node.run.dir);
        item.description = rel !== node.run.name ? rel : undefined;
        item.iconPath = new vscode.ThemeIcon('beaker');
        item.tooltip = `${node.run.dir}\n${node.run.logs.length} rollout log(s), ${node.run.checkpoints.length} checkpoint(s)`;
        item.contextValue = VIEW_ITEMS.run;
        return item;
      }
      case 'log': {
        const { log } = node;
        const folder = log.target !== log.files[0];
        const item = new vscode.TreeItem(
          folder ? `${path.basename(log.target)}/ (${log.files.length} files)` : path.basename(log.target),
          vscode.TreeItemCollapsibleState.Collapsed,
        );
        const rel = path.relative(node.run.dir, path.dirname(log.target));
        item.description = [FORMAT_LABELS[log.format], rel || undefined].filter(Boolean).join(' · ');
        item.iconPath = new vscode.ThemeIcon(folder ? 'files' : 'list-flat');
        item.resourceUri = vscode.Uri.file(log.target);
        item.tooltip = `${log.target}\n${FORMAT_LABELS[log.format]}${folder ? `, ${log.files.length} files` : ''}\nExpand for its steps and groups.`;
        item.contextValue = VIEW_ITEMS.log;
        item.command = { command: 'rolloutLens.openLogFromTree', title: 'Open Rollout Log', arguments: [vscode.Uri.file(log.target)] };
        return item;
      }
      case 'step': {
        const item = new vscode.TreeItem(stepLabel(node.stats.step, node.stepKind), vscode.TreeItemCollapsibleState.Collapsed);
        item.description = stepDescription(node.stats);
        item.tooltip = stepTooltip(node.stats, node.stepKind);
        item.iconPath = new vscode.ThemeIcon('milestone');
        item.contextValue = VIEW_ITEMS.step;
        return item;
      }
      case 'group': {
        const item = new vscode.TreeItem(shortGroupId(node.stats.groupId), vscode.TreeItemCollapsibleState.None);
        item.description = groupDescription(node.stats);
        item.tooltip = groupTooltip(node.stats);
        item.iconPath = new vscode.ThemeIcon(node.stats.zeroVariance ? 'circle-slash' : 'symbol-array');
        item.contextValue = VIEW_ITEMS.group;
        item.command = { command: 'rolloutLens.openInInspector', title: 'Open in Rollout Inspector', arguments: [node] };
        return item;
      }
      case 'more': {
        const item = new vscode.TreeItem(`… ${node.count} more group${node.count === 1 ? '' : 's'} (open the inspector)`, vscode.TreeItemCollapsibleState.None);
        item.tooltip = 'Only the first groups of a step are listed here; the inspector shows them all.';
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.contextValue = VIEW_ITEMS.more;
        item.command = { command: 'rolloutLens.openInInspector', title: 'Open in Rollout Inspector', arguments: [node] };
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        if (node.tooltip) item.tooltip = node.tooltip;
        if (node.icon) item.iconPath = new vscode.ThemeIcon(node.icon);
        item.contextValue = 'message';
        return item;
      }
      case 'checkpoint': {
        const { ckpt } = node;
        const evals = ckpt.evals ?? [];
        const label = ckpt.evalOnly ? (ckpt.step !== null ? `checkpoint-${ckpt.step}` : path.basename(ckpt.dir)) : path.basename(ckpt.dir);
        const item = new vscode.TreeItem(label, evals.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        const parts = [ckpt.step !== null ? `step ${ckpt.step}` : null, ...node.headline.map(headlineText), ckpt.evalOnly ? 'evals only' : null];
        item.description = parts.filter(Boolean).join(' · ');
        item.iconPath = new vscode.ThemeIcon(ckpt.evalOnly ? 'graph' : 'package');
        item.tooltip = [
          ckpt.dir,
          ckpt.evalOnly ? 'Eval outputs for this step; the checkpoint folder itself is not here.' : ckpt.hasTrainerState ? 'trainer_state.json present' : 'no trainer_state.json',
          ...evals.map((e) => {
            const h = node.headline.find((x) => x.file === e.path);
            return `${path.relative(node.run.dir, e.path)}: ${h ? headlineText(h) : e.dataset}${h && h.accuracy !== null ? ` of ${h.samples}` : ''}`;
          }),
          evals.length ? 'Select two or more and choose Compare Checkpoints, or Compare with Previous Checkpoint.' : 'No eval outputs linked to this checkpoint.',
        ].join('\n');
        item.contextValue = evals.length ? VIEW_ITEMS.evaluated : VIEW_ITEMS.checkpoint;
        item.id = `ckpt:${ckpt.dir}:${ckpt.step ?? ''}`;
        return item;
      }
      case 'evalFile': {
        const item = new vscode.TreeItem(path.basename(node.info.path), vscode.TreeItemCollapsibleState.None);
        item.description = node.headline ? headlineText(node.headline) + (node.headline.accuracy !== null ? ` of ${node.headline.samples}` : '') : node.info.dataset;
        item.iconPath = new vscode.ThemeIcon('checklist');
        item.resourceUri = vscode.Uri.file(node.info.path);
        item.tooltip = `${node.info.path}\n${FORMAT_LABELS[node.info.format] ?? node.info.format}${node.info.linkedBy ? ` · linked to step ${node.ckpt.step} by ${node.info.linkedBy}` : ''}`;
        item.contextValue = VIEW_ITEMS.evalFile;
        item.command = { command: 'rolloutLens.openLogFromTree', title: 'Open Rollout Log', arguments: [vscode.Uri.file(node.info.path)] };
        return item;
      }
    }
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.logs.dispose();
    this.changed.dispose();
  }
}

let provider: InspectorEditorProvider | undefined;
export function setInspectorProvider(p: InspectorEditorProvider): void {
  provider = p;
}

/** Open a log file or a per-step folder in the inspector: the custom editor for its own file types, a panel otherwise. */
export async function openInInspector(uri: vscode.Uri): Promise<unknown> {
  let isDir = false;
  try {
    isDir = fs.statSync(uri.fsPath).isDirectory();
  } catch {
    void vscode.window.showErrorMessage(`Rollout Lens: ${uri.fsPath} does not exist.`);
    return undefined;
  }
  if (!isDir && opensAsCustomEditor(uri.fsPath)) return vscode.commands.executeCommand('vscode.openWith', uri, INSPECTOR_VIEW_TYPE);
  return provider?.openPanel(uri);
}

/** "Open in Rollout Inspector" on a node of the Runs tree: the log, at the step's first group, or at the group. */
export async function openNodeInInspector(node: Extract<RunsNode, { kind: 'log' | 'step' | 'group' | 'more' }>): Promise<unknown> {
  const uri = vscode.Uri.file(node.log.target);
  const at = node.kind === 'step' ? node.stats.firstGroup : node.kind === 'group' ? node.stats.groupIndex : node.kind === 'more' ? node.firstGroup : null;
  if (at === null) return openInInspector(uri);
  try {
    return await provider?.openAt(uri, at, 0);
  } catch (e) {
    void vscode.window.showErrorMessage(`Rollout Lens: cannot show group ${at + 1} of ${path.basename(node.log.target)}: ${errorMessage(e)}`);
    return undefined;
  }
}
