// Palette commands of the judges. Each acts on the inspector panel in front (the panel's Verdicts card has
// the same buttons).
import * as vscode from 'vscode';
import type { InspectorEditorProvider } from '../inspector/editor';
import type { JudgeService } from './service';

export function registerJudgeCommands(service: JudgeService, inspector: InspectorEditorProvider): vscode.Disposable[] {
  const onActive = (kind: 'onnx' | 'http' | 'file') => async (file?: unknown) => {
    const session = inspector.activeSession();
    if (!session) {
      void vscode.window.showInformationMessage('Rollout Lens: open a rollout log in the inspector first, then judge it.');
      return;
    }
    await service.run(session, kind, typeof file === 'string' ? file : file instanceof vscode.Uri ? file.fsPath : undefined);
  };
  return [
    vscode.commands.registerCommand('rolloutLens.judgeWithModel', onActive('onnx')),
    vscode.commands.registerCommand('rolloutLens.judgeWithEndpoint', onActive('http')),
    vscode.commands.registerCommand('rolloutLens.importVerdicts', onActive('file')),
    vscode.commands.registerCommand('rolloutLens.setJudgeApiKey', () => service.setApiKey()),
    vscode.commands.registerCommand('rolloutLens.editJudgePrompt', () => service.editPrompt()),
  ];
}
