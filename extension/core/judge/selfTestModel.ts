// A tiny ONNX model (y = x + x over float[3]), used to check that onnxruntime-node's native binary loads and
// runs on this platform before any judge model is involved. Pure: bytes only.
import { DT, model, node, valueInfo } from './onnxBytes';

export function selfTestModel(): Uint8Array {
  return model({ name: 'g', nodes: [node('Add', ['x', 'x'], ['y'])], inputs: [valueInfo('x', DT.FLOAT, [3])], outputs: [valueInfo('y', DT.FLOAT, [3])] });
}
