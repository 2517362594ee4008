// onnxruntime-node, loaded lazily inside the feature that needs it (never at activation), with a
// clear message when its native binary is missing for this platform. Judge models (a later issue)
// run through `loadOnnxRuntime()`; "Rollout Lens: Check Local Judge Runtime" proves it works here.
import * as vscode from 'vscode';
import { selfTestModel } from '../../core/judge/selfTestModel';
import { OnnxRuntimeUnavailable, loadOnnxRuntime } from '../../core/judge/ort';

export { OnnxRuntimeUnavailable, loadOnnxRuntime };

export interface RuntimeCheck { version: string; platform: string; output: number[] }

export async function checkRuntime(): Promise<RuntimeCheck> {
  const ort = loadOnnxRuntime();
  const session = await ort.InferenceSession.create(selfTestModel());
  const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3]), [3]) });
  const y = out['y'];
  if (!y) throw new Error('the self-test model produced no output');
  return { version: ort.env.versions.node ?? 'unknown', platform: `${process.platform}-${process.arch}`, output: Array.from(y.data as Float32Array) };
}

export function registerRuntimeCommand(): vscode.Disposable {
  return vscode.commands.registerCommand('rolloutLens.checkJudgeRuntime', async () => {
    try {
      const r = await checkRuntime();
      void vscode.window.showInformationMessage(`Rollout Lens: local judge runtime OK — onnxruntime-node ${r.version} on ${r.platform} (self-test 1,2,3 → ${r.output.join(',')})`);
      return r;
    } catch (e) {
      void vscode.window.showErrorMessage(e instanceof Error ? e.message : String(e));
      return undefined;
    }
  });
}
