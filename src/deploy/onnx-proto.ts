/**
 * The encoder and decoder of the ONNX protobuf subset in onnx-schema.ts (its types are
 * re-exported here), and tensor helpers. Fields we do not model are skipped when reading.
 */
import { ArtifactError } from "../core/errors.js";
import {
  ATTR,
  ATTR_TYPE,
  DataType,
  DIM,
  ENTRY,
  GRAPH,
  MODEL,
  NODE,
  type OnnxAttribute,
  type OnnxGraph,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
  OPSET,
  SHAPE,
  TENSOR,
  TENSOR_TYPE,
  TYPE,
  VALUE_INFO,
} from "./onnx-schema.js";
import { littleEndianBytes, ProtoFields, ProtoWriter, readFloats } from "./protobuf.js";

export type {
  OnnxAttribute,
  OnnxGraph,
  OnnxModel,
  OnnxNode,
  OnnxTensor,
  OnnxValueInfo,
} from "./onnx-schema.js";
export { DataType } from "./onnx-schema.js";

// ---------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------
// Encoding

export function encodeTensor(t: OnnxTensor): Uint8Array {
  const w = new ProtoWriter();
  // dims and the other int lists are proto2 without [packed=true]: written unpacked.
  for (const d of t.dims) w.int(TENSOR.dims, d);
  w.int(TENSOR.dataType, t.dataType);
  if (t.floatData) w.packedFloats(TENSOR.floatData, t.floatData);
  if (t.int32Data) w.packedVarints(TENSOR.int32Data, t.int32Data);
  if (t.int64Data) w.packedVarints(TENSOR.int64Data, t.int64Data);
  if (t.doubleData) w.bytes(TENSOR.doubleData, new Uint8Array(t.doubleData.buffer.slice(0)));
  w.string(TENSOR.name, t.name);
  if (t.rawData) w.bytes(TENSOR.rawData, t.rawData);
  return w.finish();
}

function encodeAttribute(a: OnnxAttribute): Uint8Array {
  const w = new ProtoWriter().string(ATTR.name, a.name);
  switch (a.type) {
    case "float":
      return w.float(ATTR.f, a.f).int(ATTR.type, ATTR_TYPE.FLOAT).finish();
    case "int":
      return w.int(ATTR.i, a.i).int(ATTR.type, ATTR_TYPE.INT).finish();
    case "string":
      return w.string(ATTR.s, a.s).int(ATTR.type, ATTR_TYPE.STRING).finish();
    case "tensor":
      return w.bytes(ATTR.t, encodeTensor(a.t)).int(ATTR.type, ATTR_TYPE.TENSOR).finish();
    case "floats":
      for (const f of a.floats) w.float(ATTR.floats, f);
      return w.int(ATTR.type, ATTR_TYPE.FLOATS).finish();
    case "ints":
      for (const i of a.ints) w.int(ATTR.ints, i);
      return w.int(ATTR.type, ATTR_TYPE.INTS).finish();
    default:
      throw new ArtifactError(`attribute ${a.name}: cannot encode attribute type code ${a.code}`);
  }
}

function encodeNode(n: OnnxNode): Uint8Array {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(NODE.input, i);
  for (const o of n.outputs) w.string(NODE.output, o);
  if (n.name) w.string(NODE.name, n.name);
  w.string(NODE.opType, n.opType);
  for (const a of n.attributes ?? []) w.bytes(NODE.attribute, encodeAttribute(a));
  if (n.domain) w.string(NODE.domain, n.domain);
  return w.finish();
}

export function encodeValueInfo(v: OnnxValueInfo): Uint8Array {
  const tensorType = new ProtoWriter().int(TENSOR_TYPE.elemType, v.elemType);
  if (v.shape) {
    const shape = new ProtoWriter();
    for (const d of v.shape) {
      const dim = new ProtoWriter();
      if (typeof d === "number") dim.int(DIM.value, d);
      else if (typeof d === "string") dim.string(DIM.param, d);
      shape.bytes(SHAPE.dim, dim.finish());
    }
    tensorType.bytes(TENSOR_TYPE.shape, shape.finish());
  }
  const type = new ProtoWriter().bytes(TYPE.tensorType, tensorType.finish()).finish();
  return new ProtoWriter().string(VALUE_INFO.name, v.name).bytes(VALUE_INFO.type, type).finish();
}

export function encodeGraph(g: Partial<OnnxGraph>): Uint8Array {
  const w = new ProtoWriter();
  for (const n of g.nodes ?? []) w.bytes(GRAPH.node, encodeNode(n));
  if (g.name) w.string(GRAPH.name, g.name);
  for (const t of g.initializers ?? []) w.bytes(GRAPH.initializer, encodeTensor(t));
  for (const i of g.inputs ?? []) w.bytes(GRAPH.input, encodeValueInfo(i));
  for (const o of g.outputs ?? []) w.bytes(GRAPH.output, encodeValueInfo(o));
  return w.finish();
}

export function encodeModel(m: OnnxModel): Uint8Array {
  const w = new ProtoWriter().int(MODEL.irVersion, m.irVersion);
  if (m.producerName) w.string(MODEL.producerName, m.producerName);
  if (m.producerVersion) w.string(MODEL.producerVersion, m.producerVersion);
  w.bytes(MODEL.graph, encodeGraph(m.graph));
  for (const o of m.opsetImports) {
    const op = new ProtoWriter();
    if (o.domain) op.string(OPSET.domain, o.domain);
    w.bytes(MODEL.opsetImport, op.int(OPSET.version, o.version).finish());
  }
  for (const [key, value] of Object.entries(m.metadata ?? {})) {
    w.bytes(
      MODEL.metadataProps,
      new ProtoWriter().string(ENTRY.key, key).string(ENTRY.value, value).finish(),
    );
  }
  return w.finish();
}

/**
 * Adds graph outputs to an encoded model without decoding it: protobuf merges a repeated
 * occurrence of the singular `graph` field into the first, so every field we do not model
 * (subgraphs, functions, value_info) survives untouched.
 */
export function appendGraphOutputs(model: Uint8Array, outputs: OnnxValueInfo[]): Uint8Array {
  const extra = new ProtoWriter().bytes(MODEL.graph, encodeGraph({ outputs })).finish();
  const out = new Uint8Array(model.length + extra.length);
  out.set(model, 0);
  out.set(extra, model.length);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

export function decodeTensor(bytes: Uint8Array): OnnxTensor {
  const f = ProtoFields.parse("TensorProto", bytes);
  const t: OnnxTensor = {
    name: f.string(TENSOR.name),
    dims: f.repeatedInts(TENSOR.dims),
    dataType: f.int(TENSOR.dataType),
  };
  if (f.has(TENSOR.rawData)) t.rawData = f.bytes(TENSOR.rawData);
  if (f.has(TENSOR.floatData)) t.floatData = f.repeatedFloats(TENSOR.floatData);
  if (f.has(TENSOR.int32Data)) t.int32Data = f.repeatedInts(TENSOR.int32Data);
  if (f.has(TENSOR.int64Data)) t.int64Data = f.repeatedInts(TENSOR.int64Data);
  if (f.has(TENSOR.doubleData)) {
    const b = f.bytes(TENSOR.doubleData)!;
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    t.doubleData = Float64Array.from({ length: b.length / 8 }, (_, i) => view.getFloat64(i * 8, true));
  }
  return t;
}

function decodeAttribute(bytes: Uint8Array): OnnxAttribute {
  const f = ProtoFields.parse("AttributeProto", bytes);
  const name = f.string(ATTR.name);
  // Very old exporters leave `type` unset: infer it from the field present.
  const type =
    f.int(ATTR.type) ||
    (f.has(ATTR.f) ? ATTR_TYPE.FLOAT : 0) ||
    (f.has(ATTR.i) ? ATTR_TYPE.INT : 0) ||
    (f.has(ATTR.s) ? ATTR_TYPE.STRING : 0) ||
    (f.has(ATTR.t) ? ATTR_TYPE.TENSOR : 0) ||
    (f.has(ATTR.floats) ? ATTR_TYPE.FLOATS : 0) ||
    (f.has(ATTR.ints) ? ATTR_TYPE.INTS : 0);
  switch (type) {
    case ATTR_TYPE.FLOAT:
      return { name, type: "float", f: f.float(ATTR.f) };
    case ATTR_TYPE.INT:
      return { name, type: "int", i: f.int(ATTR.i) };
    case ATTR_TYPE.STRING:
      return { name, type: "string", s: f.string(ATTR.s) };
    case ATTR_TYPE.TENSOR:
      return { name, type: "tensor", t: decodeTensor(f.bytes(ATTR.t) ?? new Uint8Array()) };
    case ATTR_TYPE.FLOATS:
      return { name, type: "floats", floats: Array.from(f.repeatedFloats(ATTR.floats)) };
    case ATTR_TYPE.INTS:
      return { name, type: "ints", ints: f.repeatedInts(ATTR.ints) };
    default:
      return { name, type: "other", code: type };
  }
}

function decodeNode(bytes: Uint8Array): OnnxNode {
  const f = ProtoFields.parse("NodeProto", bytes);
  return {
    opType: f.string(NODE.opType),
    inputs: f.repeatedStrings(NODE.input),
    outputs: f.repeatedStrings(NODE.output),
    name: f.string(NODE.name),
    domain: f.string(NODE.domain),
    attributes: f.repeatedBytes(NODE.attribute).map(decodeAttribute),
  };
}

function decodeValueInfo(bytes: Uint8Array): OnnxValueInfo {
  const f = ProtoFields.parse("ValueInfoProto", bytes);
  const info: OnnxValueInfo = { name: f.string(VALUE_INFO.name), elemType: 0 };
  const type = f.bytes(VALUE_INFO.type);
  const tensorType = type && ProtoFields.parse("TypeProto", type).bytes(TYPE.tensorType);
  if (!tensorType) return info;
  const tt = ProtoFields.parse("TypeProto.Tensor", tensorType);
  info.elemType = tt.int(TENSOR_TYPE.elemType);
  const shape = tt.bytes(TENSOR_TYPE.shape);
  if (shape) {
    info.shape = ProtoFields.parse("TensorShapeProto", shape)
      .repeatedBytes(SHAPE.dim)
      .map((d) => {
        const dim = ProtoFields.parse("Dimension", d);
        if (dim.has(DIM.value)) return dim.int(DIM.value);
        if (dim.has(DIM.param)) return dim.string(DIM.param);
        return null;
      });
  }
  return info;
}

export function decodeModel(bytes: Uint8Array): OnnxModel {
  const m = ProtoFields.parse("ModelProto", bytes);
  const graphParts = m.repeatedBytes(MODEL.graph);
  if (graphParts.length === 0)
    throw new ArtifactError("ONNX model: no graph (field 7 missing); is this an ONNX file?");
  // Repeated occurrences of a singular message field merge (see appendGraphOutputs).
  const graph: OnnxGraph = { name: "", nodes: [], initializers: [], inputs: [], outputs: [] };
  for (const part of graphParts) {
    const g = ProtoFields.parse("GraphProto", part);
    graph.name = g.string(GRAPH.name, graph.name);
    graph.nodes.push(...g.repeatedBytes(GRAPH.node).map(decodeNode));
    graph.initializers.push(...g.repeatedBytes(GRAPH.initializer).map(decodeTensor));
    graph.inputs.push(...g.repeatedBytes(GRAPH.input).map(decodeValueInfo));
    graph.outputs.push(...g.repeatedBytes(GRAPH.output).map(decodeValueInfo));
  }
  const metadata: Record<string, string> = {};
  for (const e of m.repeatedBytes(MODEL.metadataProps)) {
    const entry = ProtoFields.parse("StringStringEntryProto", e);
    metadata[entry.string(ENTRY.key)] = entry.string(ENTRY.value);
  }
  return {
    irVersion: m.int(MODEL.irVersion),
    producerName: m.string(MODEL.producerName),
    producerVersion: m.string(MODEL.producerVersion),
    opsetImports: m.repeatedBytes(MODEL.opsetImport).map((b) => {
      const o = ProtoFields.parse("OperatorSetIdProto", b);
      return { domain: o.string(OPSET.domain), version: o.int(OPSET.version) };
    }),
    graph,
    metadata,
  };
}

// ---------------------------------------------------------------------------------------------
// Tensor helpers

export function floatTensor(name: string, dims: number[], data: Float32Array): OnnxTensor {
  return { name, dims, dataType: DataType.FLOAT, rawData: littleEndianBytes(data) };
}

export function int8Tensor(name: string, dims: number[], data: Int8Array): OnnxTensor {
  return { name, dims, dataType: DataType.INT8, rawData: littleEndianBytes(data) };
}

export function int64Tensor(name: string, dims: number[], data: number[]): OnnxTensor {
  return {
    name,
    dims,
    dataType: DataType.INT64,
    rawData: littleEndianBytes(BigInt64Array.from(data.map(BigInt))),
  };
}

function elementCount(t: OnnxTensor): number {
  return t.dims.reduce((a, b) => a * b, 1);
}

/** A FLOAT (or DOUBLE, narrowed) tensor's elements, from raw_data or the typed field. */
export function tensorFloats(t: OnnxTensor): Float32Array {
  let out: Float32Array;
  if (t.dataType === DataType.FLOAT) {
    out = t.rawData && t.rawData.length > 0 ? readFloats(t.rawData) : (t.floatData ?? new Float32Array());
  } else if (t.dataType === DataType.DOUBLE) {
    if (t.rawData && t.rawData.length > 0) {
      const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
      out = Float32Array.from({ length: t.rawData.length / 8 }, (_, i) => view.getFloat64(i * 8, true));
    } else out = Float32Array.from(t.doubleData ?? []);
  } else {
    throw new ArtifactError(
      `initializer "${t.name}": data_type ${t.dataType} is not float (1) or double (11)`,
    );
  }
  if (out.length !== elementCount(t)) {
    throw new ArtifactError(`initializer "${t.name}": ${out.length} values for dims [${t.dims.join(", ")}]`);
  }
  return out;
}

/** An INT8 tensor's elements, from raw_data or int32_data. */
export function tensorInt8(t: OnnxTensor): Int8Array {
  if (t.dataType !== DataType.INT8)
    throw new ArtifactError(`initializer "${t.name}": data_type ${t.dataType} is not int8 (3)`);
  const out =
    t.rawData && t.rawData.length > 0
      ? new Int8Array(t.rawData.slice().buffer)
      : Int8Array.from(t.int32Data ?? []);
  if (out.length !== elementCount(t)) {
    throw new ArtifactError(`initializer "${t.name}": ${out.length} values for dims [${t.dims.join(", ")}]`);
  }
  return out;
}

/** An INT64/INT32 tensor's elements as numbers (shapes, axes). */
export function tensorInts(t: OnnxTensor): number[] {
  if (t.dataType === DataType.INT64) {
    if (t.rawData && t.rawData.length > 0) {
      const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
      return Array.from({ length: t.rawData.length / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
    }
    return t.int64Data ?? [];
  }
  if (t.dataType === DataType.INT32) {
    if (t.rawData && t.rawData.length > 0) {
      const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
      return Array.from({ length: t.rawData.length / 4 }, (_, i) => view.getInt32(i * 4, true));
    }
    return t.int32Data ?? [];
  }
  throw new ArtifactError(`initializer "${t.name}": data_type ${t.dataType} is not int64 (7) or int32 (6)`);
}
