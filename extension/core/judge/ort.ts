// onnxruntime-node, loaded lazily by whatever needs it (never at activation or CLI start), with a clear
// message when its native binary is missing for this platform. Pure of `vscode`: used by the extension,
// the judge worker thread and the CLI.
export type Ort = typeof import('onnxruntime-node');
let cached: Ort | undefined;

export class OnnxRuntimeUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxRuntimeUnavailable';
  }
}

export function loadOnnxRuntime(): Ort {
  if (cached) return cached;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cached = require('onnxruntime-node') as Ort;
    return cached;
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new OnnxRuntimeUnavailable(
      `The local judge runtime (onnxruntime-node) is not available for ${process.platform}-${process.arch}: ${why}. ` +
        'Install the Rollout Lens build for this platform; imported verdicts, the rules and the HTTP judge still work.',
    );
  }
}
