/**
 * Reading pieces of an ONNX graph: node attributes, constant tensors (initializers, Constant
 * nodes and small constant subgraphs such as DequantizeLinear of int8 weights), broadcasting and
 * NCHW -> NHWC reordering of constants. Used by the importer.
 */

import { ArtifactError } from "../core/errors.js";
import {
  DataType,
  type OnnxAttribute,
  type OnnxNode,
  type OnnxTensor,
  tensorFloats,
  tensorInt8,
  tensorInts,
} from "./onnx-proto.js";
export type Const = { data: Float32Array; dims: number[] };

export function attr(node: OnnxNode, name: string): OnnxAttribute | undefined {
  return node.attributes?.find((a) => a.name === name);
}
export function intAttr(node: OnnxNode, name: string, fallback: number): number {
  const a = attr(node, name);
  return a?.type === "int" ? a.i : fallback;
}
export function floatAttr(node: OnnxNode, name: string, fallback: number): number {
  const a = attr(node, name);
  return a?.type === "float" ? a.f : fallback;
}
export function intsAttr(node: OnnxNode, name: string): number[] | undefined {
  const a = attr(node, name);
  return a?.type === "ints" ? a.ints : undefined;
}
export function label(node: OnnxNode): string {
  return `${node.opType} node "${node.name || node.outputs[0]}"`;
}

/** Constant tensors: initializers, Constant nodes, and Identity/DequantizeLinear/Add/Sqrt of constants. */
export class Constants {
  private cache = new Map<string, Const | null>();
  constructor(
    private readonly inits: Map<string, OnnxTensor>,
    private readonly producer: Map<string, OnnxNode>,
  ) {}

  get(name: string): Const | undefined {
    if (!this.cache.has(name)) this.cache.set(name, this.compute(name) ?? null);
    return this.cache.get(name) ?? undefined;
  }

  ints(name: string): number[] | undefined {
    const t = this.inits.get(name) ?? this.constantNodeTensor(name);
    return t && (t.dataType === DataType.INT64 || t.dataType === DataType.INT32) ? tensorInts(t) : undefined;
  }

  private constantNodeTensor(name: string): OnnxTensor | undefined {
    const n = this.producer.get(name);
    const v = n?.opType === "Constant" ? attr(n, "value") : undefined;
    return v?.type === "tensor" ? v.t : undefined;
  }

  private compute(name: string): Const | undefined {
    const t = this.inits.get(name) ?? this.constantNodeTensor(name);
    if (t) {
      if (t.dataType === DataType.FLOAT || t.dataType === DataType.DOUBLE)
        return { data: tensorFloats(t), dims: t.dims };
      if (t.dataType === DataType.INT8) return { data: Float32Array.from(tensorInt8(t)), dims: t.dims };
      if (t.dataType === DataType.UINT8 && t.rawData)
        return { data: Float32Array.from(t.rawData), dims: t.dims };
      return undefined;
    }
    const n = this.producer.get(name);
    if (!n) return undefined;
    if (n.opType === "Constant") {
      const a = n.attributes?.[0];
      if (a?.type === "float") return { data: Float32Array.of(a.f), dims: [] };
      if (a?.type === "floats") return { data: Float32Array.from(a.floats), dims: [a.floats.length] };
      return undefined;
    }
    const ins = n.inputs.filter((i) => i !== "").map((i) => this.get(i));
    if (ins.some((c) => !c)) return undefined;
    const [a, b, c] = ins as Const[];
    if (n.opType === "Identity") return a;
    // torch's newer exporter writes nn.Linear as MatMul(x, Transpose(weight)).
    if (n.opType === "Transpose" && a!.dims.length === 2) {
      const perm = intsAttr(n, "perm") ?? [1, 0];
      if (perm.join() !== "1,0") return a;
      const [r, c] = a!.dims as [number, number];
      const t = new Float32Array(a!.data.length);
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = a!.data[i * c + j]!;
      return { data: t, dims: [c, r] };
    }
    if (n.opType === "Sqrt") return { data: a!.data.map(Math.sqrt), dims: a!.dims };
    if (n.opType === "Add" && b) {
      if (b.data.length === 1) return { data: a!.data.map((v) => v + b.data[0]!), dims: a!.dims };
      if (a!.data.length === 1) return { data: b.data.map((v) => v + a!.data[0]!), dims: b.dims };
      if (a!.data.length === b.data.length)
        return { data: a!.data.map((v, i) => v + b.data[i]!), dims: a!.dims };
    }
    if (n.opType === "DequantizeLinear" && b) return dequantize(n, a!, b, c);
    return undefined;
  }
}

/** (q - zero_point) * scale in float32, per tensor or along `axis`, as ONNX DequantizeLinear. */
export function dequantize(node: OnnxNode, q: Const, scale: Const, zero?: Const): Const {
  const rank = q.dims.length;
  const axis = (intAttr(node, "axis", 1) + rank) % rank;
  const inner = q.dims.slice(axis + 1).reduce((x, y) => x * y, 1);
  const channels = scale.data.length === 1 ? 1 : q.dims[axis]!;
  const out = new Float32Array(q.data.length);
  for (let i = 0; i < out.length; i++) {
    const c = channels === 1 ? 0 : Math.floor(i / inner) % channels;
    out[i] = (q.data[i]! - (zero?.data[c] ?? 0)) * scale.data[c]!;
  }
  return { data: out, dims: q.dims };
}

/** Numpy-style broadcast of a constant to a per-sample shape (a leading batch dim of 1 allowed). */
export function broadcastTo(what: string, c: Const, target: number[]): Float32Array {
  const dims = c.dims.slice();
  while (dims.length > target.length && dims[0] === 1) dims.shift();
  if (dims.length > target.length)
    throw new ArtifactError(
      `${what}: constant of shape [${c.dims.join(", ")}] does not broadcast to [${target.join(", ")}]`,
    );
  const padded = [...Array(target.length - dims.length).fill(1), ...dims];
  if (padded.some((d, i) => d !== 1 && d !== target[i])) {
    throw new ArtifactError(
      `${what}: constant of shape [${c.dims.join(", ")}] does not broadcast to [${target.join(", ")}]`,
    );
  }
  const n = target.reduce((x, y) => x * y, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let src = 0;
    let stride = 1;
    for (let d = target.length - 1; d >= 0; d--) {
      const idx = rem % target[d]!;
      rem = Math.floor(rem / target[d]!);
      if (padded[d] !== 1) src += idx * stride;
      stride *= padded[d]!;
    }
    out[i] = c.data[src]!;
  }
  return out;
}

/** CHW-ordered array -> HWC order. */
export function chwToHwc(a: Float32Array, c: number, h: number, w: number, rowsOf = 1): Float32Array {
  const out = new Float32Array(a.length);
  for (let ci = 0; ci < c; ci++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const from = ((ci * h + y) * w + x) * rowsOf;
        const to = ((y * w + x) * c + ci) * rowsOf;
        out.set(a.subarray(from, from + rowsOf), to);
      }
  return out;
}
