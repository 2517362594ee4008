import * as vscode from 'vscode';
import * as path from 'path';
import type { RunsTreeProvider } from './runsTree';
import { openInInspector } from './runsTree';
import { FORMAT_LABELS } from '../core/formats/log';

/**
 * "Rollout Lens: Open Rollout Log…": from the Explorer context menu (a uri is passed), or from the
 * command palette (a quick pick of the logs found in the workspace, plus "Browse…").
 */
export function registerOpenLogCommand(runs: RunsTreeProvider): vscode.Disposable {
  return vscode.commands.registerCommand('rolloutLens.openLog', async (uri?: vscode.Uri) => {
    if (uri instanceof vscode.Uri) return openInInspector(uri);
    const found = (await runs.getRuns()).flatMap((r) => r.logs.map((log) => ({ log, run: r.name })));
    type Pick = vscode.QuickPickItem & { file?: string };
    const items: Pick[] = found.map(({ log, run }) => ({
      label: path.basename(log.target) + (log.target !== log.files[0] ? `/ (${log.files.length} files)` : ''),
      description: `${run} · ${FORMAT_LABELS[log.format]}`,
      detail: vscode.workspace.asRelativePath(log.target),
      file: log.target,
    }));
    items.push({ label: '$(folder-opened) Browse…', description: 'pick a rollout log file or a folder of per-step logs', alwaysShow: true });
    const pick = await vscode.window.showQuickPick(items, {
      title: 'Rollout Lens: Open Rollout Log',
      placeHolder: found.length ? 'Pick a rollout log' : 'No rollout logs found in this workspace — browse for one',
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (!pick) return undefined;
    if (pick.file) return openInInspector(vscode.Uri.file(pick.file));
    const chosen = await vscode.window.showOpenDialog({
      canSelectMany: false,
      canSelectFolders: true,
      canSelectFiles: true,
      openLabel: 'Open Rollout Log',
      filters: { 'Rollout logs': ['jsonl', 'parquet', 'json', 'txt', 'log'], 'All files': ['*'] },
    });
    return chosen?.[0] ? openInInspector(chosen[0]) : undefined;
  });
}
