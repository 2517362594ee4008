// A tiny ONNX model (y = x + x over float[3]) encoded by hand, with no onnx/protobuf dependency.
// Used to check that onnxruntime-node's native binary loads and runs on this platform before any
// judge model is involved. Pure: bytes only.
const varint = (n: number): number[] => {
  const b: number[] = [];
  do {
    let x = n & 0x7f;
    n >>>= 7;
    if (n) x |= 0x80;
    b.push(x);
  } while (n);
  return b;
};
const key = (f: number, wt: number) => varint((f << 3) | wt);
const vfield = (f: number, n: number) => [...key(f, 0), ...varint(n)];
const lfield = (f: number, bytes: number[]) => [...key(f, 2), ...varint(bytes.length), ...bytes];
const str = (s: string) => [...new TextEncoder().encode(s)];
const tensorType = (dims: number[]) => lfield(1, [...vfield(1, 1 /* FLOAT */), ...lfield(2, dims.flatMap((d) => lfield(1, vfield(1, d))))]);
const valueInfo = (name: string, dims: number[]) => [...lfield(1, str(name)), ...lfield(2, tensorType(dims))];

export function selfTestModel(): Uint8Array {
  const node = [...lfield(1, str('x')), ...lfield(1, str('x')), ...lfield(2, str('y')), ...lfield(4, str('Add'))];
  const graph = [...lfield(1, node), ...lfield(2, str('g')), ...lfield(11, valueInfo('x', [3])), ...lfield(12, valueInfo('y', [3]))];
  return Uint8Array.from([...vfield(1, 8 /* ir_version */), ...lfield(7, graph), ...lfield(8, vfield(2, 13 /* opset */))]);
}
