/**
 * Post-training int8 weight quantization: symmetric, per output channel, zero-point 0, biases
 * kept in float32 (the scheme of ONNX's per-axis QuantizeLinear and of most int8 runtimes).
 * `dequantizeSpec` gives back a float PolicySpec whose weights are exactly what an int8 runtime
 * computes with (each weight is `fround(q * scale)`), so the fast float forward simulates it.
 * Quantization-aware training (fake-quantize.ts) runs the same `quantizeSymmetric`, so the
 * weights a QAT student trains with are bit for bit those exported, and quantizing its saved
 * (int8-grid) weights again gives the same integers and scales (quantize.test.ts).
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

/** 1.5 * 2^52: adding it leaves no fraction bits, so the FPU rounds (its default mode: ties to even). */
const ROUND_MAGIC = 2 ** 52 + 2 ** 51;

/**
 * Round to nearest, ties to even (ONNX QuantizeLinear's rule, and tf.round's; Math.round sends
 * ties up). Every double of magnitude >= 2^51 is already an integer. Zero comes back as +0.
 */
export function roundHalfToEven(x: number): number {
  return Math.abs(x) < 2 ** 51 ? x + ROUND_MAGIC - ROUND_MAGIC : x;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** The next float32 below a positive finite float32. */
function nextDownF32(x: number): number {
  f32[0] = x;
  u32[0] = u32[0]! - 1;
  return f32[0]!;
}
/** The smallest positive float32 (a denormal): channels too small for m / qmax keep this scale. */
const MIN_SCALE = 2 ** -149;

/**
 * The float32 scale of a channel whose largest |value| is `maxAbs`, for integers in [-qmax, qmax]:
 * fround(maxAbs / qmax); 1 for an all-zero channel (every q is 0 anyway); at least the smallest
 * denormal (a channel of denormals would otherwise get scale 0); and stepped down where
 * fround(qmax * s) would overflow, so dequantized weights stay finite at the float32 extremes.
 * Re-quantizing a dequantized channel (exporting a quantization-aware student, saved with
 * int8-grid weights) finds the same scale again: its max is fround(qmax * s), and
 * fround(fround(qmax * s) / qmax) = s for every such s (checked exhaustively over a binade of
 * maxAbs in quantize.test.ts).
 */
export function symmetricScale(maxAbs: number, qmax: number): number {
  if (!(maxAbs > 0)) return 1;
  let s = Math.max(Math.fround(maxAbs / qmax), MIN_SCALE);
  while (!Number.isFinite(Math.fround(qmax * s))) s = nextDownF32(s);
  return s;
}

export interface SymmetricOptions {
  /** Integer width: values in [-(2^(bits-1) - 1), 2^(bits-1) - 1]. Default 8. */
  bits?: number;
  /** Entry i belongs to channel floor(i / stride) % channels. Default 1 (channels on the last axis). */
  stride?: number;
}

/** The integer of one value: clamp(roundHalfToEven(fround(value / scale)), -qmax, qmax). */
function quantizeValue(value: number, scale: number, qmax: number): number {
  return Math.min(qmax, Math.max(-qmax, roundHalfToEven(Math.fround(value / scale))));
}

/** Checked options, qmax, and each channel's scale (`symmetricScale` of its max |value|). */
function channelScales(
  values: Float32Array,
  channels: number,
  opts: SymmetricOptions,
): { qmax: number; stride: number; scale: Float32Array } {
  const bits = opts.bits ?? 8;
  const stride = opts.stride ?? 1;
  if (!Number.isInteger(bits) || bits < 2 || bits > 16)
    throw new ConfigError("bits", `must be an integer in [2, 16], got ${bits}`);
  if (
    !Number.isInteger(channels) ||
    channels <= 0 ||
    !Number.isInteger(stride) ||
    stride <= 0 ||
    values.length % (channels * stride) !== 0
  ) {
    throw new ConfigError(
      "weight",
      `length ${values.length} is not a multiple of ${channels} channels` +
        (stride > 1 ? ` x ${stride}` : ""),
    );
  }
  const qmax = 2 ** (bits - 1) - 1;
  // Entry i's channel is floor(i / stride) % channels: walked with counters (hot in QAT forwards).
  const maxAbs = new Float64Array(channels);
  for (let i = 0, c = 0, k = 0; i < values.length; i++) {
    const a = Math.abs(values[i]!);
    if (!(a <= Number.MAX_VALUE))
      throw new ConfigError("weight", `entry ${i} is ${values[i]}; cannot quantize a non-finite weight`);
    if (a > maxAbs[c]!) maxAbs[c] = a;
    if (++k === stride) {
      k = 0;
      if (++c === channels) c = 0;
    }
  }
  return { qmax, stride, scale: Float32Array.from(maxAbs, (m) => symmetricScale(m, qmax)) };
}

/**
 * The one definition of symmetric quantization here, used by export (`quantizeWeights`) and by
 * quantization-aware training (`quantizeDequantize`, behind `fakeQuantize`), so both give the same
 * integers and scales: one float32 scale per channel (`symmetricScale` of the channel's max
 * |value|), zero-point 0, and
 *
 *   q = clamp(roundHalfToEven(fround(value / scale)), -qmax, qmax)
 *
 * (float32 division and ties to even, as ONNX QuantizeLinear computes it).
 */
export function quantizeSymmetric(
  values: Float32Array,
  channels: number,
  opts: SymmetricOptions = {},
): { q: Int16Array; scale: Float32Array } {
  const { qmax, stride, scale } = channelScales(values, channels, opts);
  const q = new Int16Array(values.length);
  for (let i = 0, c = 0, k = 0; i < values.length; i++) {
    q[i] = quantizeValue(values[i]!, scale[c]!, qmax);
    if (++k === stride) {
      k = 0;
      if (++c === channels) c = 0;
    }
  }
  return { q, scale };
}

/**
 * The values an integer runtime multiplies with after `quantizeSymmetric`: fround(q * scale), as
 * DequantizeLinear. Quantization-aware training's forward (fake quantization) is this; one pass,
 * without materialising the integers.
 */
export function quantizeDequantize(
  values: Float32Array,
  channels: number,
  opts: SymmetricOptions = {},
): Float32Array {
  const { qmax, stride, scale } = channelScales(values, channels, opts);
  const out = new Float32Array(values.length);
  for (let i = 0, c = 0, k = 0; i < values.length; i++) {
    const s = scale[c]!;
    out[i] = quantizeValue(values[i]!, s, qmax) * s;
    if (++k === stride) {
      k = 0;
      if (++c === channels) c = 0;
    }
  }
  return out;
}

/** Symmetric per-channel int8 quantization of a weight whose last axis has `channels` entries. */
export function quantizeWeights(weight: Float32Array, channels: number): QuantizedTensor {
  const { q, scale } = quantizeSymmetric(weight, channels);
  return { data: Int8Array.from(q), scale, channels };
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
