/**
 * The subset of the ONNX protobuf schema that policy networks use, as plain TypeScript objects,
 * and the field numbers of onnx/onnx.proto (IR version 7+) that onnx-proto.ts reads and writes.
 */
/** TensorProto.DataType values we read or write. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, DOUBLE: 11 } as const;

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** Little-endian packed elements (the usual form); otherwise one of the typed fields below. */
  rawData?: Uint8Array;
  floatData?: Float32Array;
  /** int32_data also carries int8/uint8 elements, one per entry. */
  int32Data?: number[];
  int64Data?: number[];
  doubleData?: Float64Array;
}

export type OnnxAttribute =
  | { name: string; type: "float"; f: number }
  | { name: string; type: "int"; i: number }
  | { name: string; type: "string"; s: string }
  | { name: string; type: "tensor"; t: OnnxTensor }
  | { name: string; type: "floats"; floats: number[] }
  | { name: string; type: "ints"; ints: number[] }
  | { name: string; type: "other"; code: number };

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attributes?: OnnxAttribute[];
}

/** A tensor-typed graph input or output. `shape` entries: a size, a symbolic name, or unknown. */
export interface OnnxValueInfo {
  name: string;
  elemType: number;
  shape?: Array<number | string | null>;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  opsetImports: Array<{ domain: string; version: number }>;
  producerName?: string;
  producerVersion?: string;
  graph: OnnxGraph;
  /** metadata_props as key -> value. */
  metadata?: Record<string, string>;
}

// Field numbers, from onnx.proto.
export const MODEL = {
  irVersion: 1,
  producerName: 2,
  producerVersion: 3,
  graph: 7,
  opsetImport: 8,
  metadataProps: 14,
};
export const OPSET = { domain: 1, version: 2 };
export const ENTRY = { key: 1, value: 2 };
export const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12 };
export const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 };
export const ATTR = { name: 1, f: 2, i: 3, s: 4, t: 5, floats: 7, ints: 8, type: 20 };
export const ATTR_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 };
export const TENSOR = {
  dims: 1,
  dataType: 2,
  floatData: 4,
  int32Data: 5,
  int64Data: 7,
  name: 8,
  rawData: 9,
  doubleData: 10,
};
export const VALUE_INFO = { name: 1, type: 2 };
export const TYPE = { tensorType: 1 };
export const TENSOR_TYPE = { elemType: 1, shape: 2 };
export const SHAPE = { dim: 1 };
export const DIM = { value: 1, param: 2 };
