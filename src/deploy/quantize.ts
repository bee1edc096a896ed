/**
 * Post-training int8 weight quantization: symmetric, per output channel, zero-point 0, biases
 * kept in float32 (the scheme of ONNX's per-axis QuantizeLinear and of most int8 runtimes).
 * `dequantizeSpec` gives back a float PolicySpec whose weights are exactly what an int8 runtime
 * computes with (each weight is `fround(q * scale)`), so the fast float forward simulates it.
 */
import { ConfigError } from "../core/errors.js";
import type { Conv2dLayerSpec, DenseLayerSpec, LayerSpec, PolicySpec } from "../nn/spec.js";

/** int8 values with one float32 scale per output channel; value = q * scale[channel]. */
export interface QuantizedTensor {
  data: Int8Array;
  scale: Float32Array;
  /** Output channels are the last axis in both our layouts (dense [in][out], conv HWIO). */
  channels: number;
}

export type QuantizedDenseSpec = Omit<DenseLayerSpec, "weight"> & { weight: QuantizedTensor };
export type QuantizedConv2dSpec = Omit<Conv2dLayerSpec, "weight"> & { weight: QuantizedTensor };
export type QuantizedLayerSpec = QuantizedDenseSpec | QuantizedConv2dSpec | { kind: "flatten" };

export interface QuantizedPolicySpec extends Omit<PolicySpec, "layers" | "valueLayers"> {
  quantization: "int8";
  layers: QuantizedLayerSpec[];
  valueLayers?: QuantizedLayerSpec[];
}

export const INT8_MAX = 127;

/** Symmetric per-channel int8 quantization of a weight whose last axis has `channels` entries. */
export function quantizeWeights(weight: Float32Array, channels: number): QuantizedTensor {
  if (channels <= 0 || weight.length % channels !== 0) {
    throw new ConfigError(
      "weight",
      `length ${weight.length} is not a multiple of ${channels} output channels`,
    );
  }
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < weight.length; i++) {
    const c = i % channels;
    const a = Math.abs(weight[i]!);
    if (!Number.isFinite(a))
      throw new ConfigError("weight", `entry ${i} is ${weight[i]}; cannot quantize a non-finite weight`);
    if (a > maxAbs[c]!) maxAbs[c] = a;
  }
  // An all-zero channel gets scale 1 (every q is 0 anyway) rather than a 0 that would divide.
  const scale = Float32Array.from(maxAbs, (m) => (m > 0 ? m / INT8_MAX : 1));
  const data = new Int8Array(weight.length);
  for (let i = 0; i < weight.length; i++) {
    const q = Math.round(weight[i]! / scale[i % channels]!);
    data[i] = Math.max(-INT8_MAX, Math.min(INT8_MAX, q));
  }
  return { data, scale, channels };
}

/** The float32 weights an int8 runtime multiplies with: fround(q * scale), as DequantizeLinear. */
export function dequantizeWeights(q: QuantizedTensor): Float32Array {
  const out = new Float32Array(q.data.length);
  for (let i = 0; i < out.length; i++) out[i] = q.data[i]! * q.scale[i % q.channels]!;
  return out;
}

function quantizeLayer(layer: LayerSpec): QuantizedLayerSpec {
  if (layer.kind === "flatten") return { kind: "flatten" };
  const channels = layer.kind === "dense" ? layer.outSize : layer.outChannels;
  return { ...layer, weight: quantizeWeights(layer.weight, channels) };
}

function dequantizeLayer(layer: QuantizedLayerSpec): LayerSpec {
  if (layer.kind === "flatten") return { kind: "flatten" };
  return { ...layer, weight: dequantizeWeights(layer.weight) } as LayerSpec;
}

export function quantizeSpec(spec: PolicySpec): QuantizedPolicySpec {
  const { layers, valueLayers, ...rest } = spec;
  const q: QuantizedPolicySpec = { ...rest, quantization: "int8", layers: layers.map(quantizeLayer) };
  if (valueLayers) q.valueLayers = valueLayers.map(quantizeLayer);
  return q;
}

export function dequantizeSpec(q: QuantizedPolicySpec): PolicySpec {
  const { layers, valueLayers, quantization: _, ...rest } = q;
  const spec: PolicySpec = { ...rest, layers: layers.map(dequantizeLayer) };
  if (valueLayers) spec.valueLayers = valueLayers.map(dequantizeLayer);
  return spec;
}

export function isQuantizedSpec(spec: PolicySpec | QuantizedPolicySpec): spec is QuantizedPolicySpec {
  return (spec as QuantizedPolicySpec).quantization === "int8";
}

export interface SpecSizes {
  /** Bytes of layer weights (float32: 4 per entry; int8: 1 per entry). */
  weightBytes: number;
  /** Bytes of per-channel scales (int8 only). */
  scaleBytes: number;
  /** Bytes of biases (always float32). */
  biasBytes: number;
  /** Bytes of observation normalisation, log-std and action bounds. */
  otherBytes: number;
  totalBytes: number;
}

/** Parameter bytes of a float or int8 spec (the payload of its weight file, without headers). */
export function specSizes(spec: PolicySpec | QuantizedPolicySpec): SpecSizes {
  const s = { weightBytes: 0, scaleBytes: 0, biasBytes: 0, otherBytes: 0, totalBytes: 0 };
  const layers: Array<LayerSpec | QuantizedLayerSpec> = [...spec.layers, ...(spec.valueLayers ?? [])];
  for (const layer of layers) {
    if (layer.kind === "flatten") continue;
    const w = layer.weight;
    if (w instanceof Float32Array) s.weightBytes += w.byteLength;
    else {
      s.weightBytes += w.data.byteLength;
      s.scaleBytes += w.scale.byteLength;
    }
    s.biasBytes += layer.bias.byteLength;
  }
  for (const a of [spec.obsNorm?.mean, spec.obsNorm?.var, spec.logStd, spec.actionLow, spec.actionHigh]) {
    s.otherBytes += a?.byteLength ?? 0;
  }
  s.totalBytes = s.weightBytes + s.scaleBytes + s.biasBytes + s.otherBytes;
  return s;
}
