import * as vscode from 'vscode';
import * as path from 'path';
import type { RunsTreeProvider } from './runsTree';
import { openInInspector } from './runsTree';

/**
 * "Rollout Lens: Open Rollout Log…": from the Explorer context menu (a uri is passed), or from the
 * command palette (a quick pick of the logs found in the workspace, plus "Browse…").
 */
export function registerOpenLogCommand(runs: RunsTreeProvider): vscode.Disposable {
  return vscode.commands.registerCommand('rolloutLens.openLog', async (uri?: vscode.Uri) => {
    if (uri instanceof vscode.Uri) return openInInspector(uri);
    const found = (await runs.getRuns()).flatMap((r) => r.logs.map((file) => ({ file, run: r.name })));
    type Pick = vscode.QuickPickItem & { file?: string };
    const items: Pick[] = found.map(({ file, run }) => ({
      label: path.basename(file),
      description: run,
      detail: vscode.workspace.asRelativePath(file),
      file,
    }));
    items.push({ label: '$(folder-opened) Browse…', description: 'pick a rollout log file on disk', alwaysShow: true });
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
      openLabel: 'Open Rollout Log',
      filters: { 'Rollout logs': ['jsonl'], 'All files': ['*'] },
    });
    return chosen?.[0] ? openInInspector(chosen[0]) : undefined;
  });
}
