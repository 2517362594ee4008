// Write ONNX model bytes by hand (protobuf wire format), with no onnx/protobuf dependency: enough for the
// small test models (the runtime self-test, the tiny NLI cross-encoder and CLIP encoders the tests, the demo
// and the benchmark use). Field numbers are those of onnx.proto. Pure: bytes only.

export const DT = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9 } as const;
export type DataType = (typeof DT)[keyof typeof DT];

type Bytes = number[];

/** Varint of a non-negative or negative (two's complement, 10 bytes) integer. */
export function varint(n: number | bigint): Bytes {
  let v = BigInt.asUintN(64, BigInt(n));
  const b: Bytes = [];
  do {
    let x = Number(v & 0x7fn);
    v >>= 7n;
    if (v) x |= 0x80;
    b.push(x);
  } while (v);
  return b;
}
const key = (f: number, wt: number): Bytes => varint((f << 3) | wt);
export const vfield = (f: number, n: number | bigint): Bytes => [...key(f, 0), ...varint(n)];
export const lfield = (f: number, bytes: Bytes | Uint8Array): Bytes => [...key(f, 2), ...varint(bytes.length), ...bytes];
export const str = (s: string): Bytes => [...new TextEncoder().encode(s)];
const f32 = (f: number, x: number): Bytes => {
  const buf = new Uint8Array(4);
  new DataView(buf.buffer).setFloat32(0, x, true);
  return [...key(f, 5), ...buf];
};

/** A dimension: a number, or a symbolic name ("batch", "sequence"). */
export type Dim = number | string;

export function tensorType(elem: DataType, dims: readonly Dim[]): Bytes {
  const shape = dims.flatMap((d) => lfield(1, typeof d === 'number' ? vfield(1, d) : lfield(2, str(d))));
  return lfield(1, [...vfield(1, elem), ...lfield(2, shape)]);
}

export function valueInfo(name: string, elem: DataType, dims: readonly Dim[]): Bytes {
  return [...lfield(1, str(name)), ...lfield(2, tensorType(elem, dims))];
}

/** An initializer (constant tensor), stored as raw little-endian bytes. */
export function tensor(name: string, elem: DataType, dims: readonly number[], values: ArrayLike<number>): Bytes {
  let raw: Uint8Array;
  if (elem === DT.FLOAT) raw = new Uint8Array(Float32Array.from(values).buffer);
  else if (elem === DT.INT64) raw = new Uint8Array(BigInt64Array.from(Array.from(values, (v) => BigInt(v))).buffer);
  else if (elem === DT.INT32) raw = new Uint8Array(Int32Array.from(values).buffer);
  else raw = Uint8Array.from(values);
  return [...dims.flatMap((d) => vfield(1, d)), ...vfield(2, elem), ...lfield(8, str(name)), ...lfield(9, raw)];
}

export type Attr = { name: string } & ({ i: number } | { f: number } | { ints: number[] } | { s: string });

function attribute(a: Attr): Bytes {
  const name = lfield(1, str(a.name));
  if ('i' in a) return [...name, ...vfield(3, a.i), ...vfield(20, 2)];
  if ('f' in a) return [...name, ...f32(2, a.f), ...vfield(20, 1)];
  if ('s' in a) return [...name, ...lfield(4, str(a.s)), ...vfield(20, 3)];
  return [...name, ...a.ints.flatMap((x) => vfield(8, x)), ...vfield(20, 7)];
}

export function node(op: string, inputs: readonly string[], outputs: readonly string[], attrs: readonly Attr[] = [], name = ''): Bytes {
  return [
    ...inputs.flatMap((i) => lfield(1, str(i))),
    ...outputs.flatMap((o) => lfield(2, str(o))),
    ...(name ? lfield(3, str(name)) : []),
    ...lfield(4, str(op)),
    ...attrs.flatMap((a) => lfield(5, attribute(a))),
  ];
}

export interface GraphSpec {
  name: string;
  nodes: Bytes[];
  initializers?: Bytes[];
  inputs: Bytes[];
  outputs: Bytes[];
}

/** A whole model (IR version 8, default-domain opset `opset`, 13 unless said). */
export function model(g: GraphSpec, opset = 13): Uint8Array {
  const graph = [
    ...g.nodes.flatMap((n) => lfield(1, n)),
    ...lfield(2, str(g.name)),
    ...(g.initializers ?? []).flatMap((t) => lfield(5, t)),
    ...g.inputs.flatMap((v) => lfield(11, v)),
    ...g.outputs.flatMap((v) => lfield(12, v)),
  ];
  return Uint8Array.from([...vfield(1, 8), ...lfield(2, str('rollout-lens')), ...lfield(7, graph), ...lfield(8, vfield(2, opset))]);
}
