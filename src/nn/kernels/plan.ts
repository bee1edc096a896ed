/**
 * The one definition of what a layer stack computes, shared by every forward and backward: the
 * steps in order (dense: Y = act(X W + b); conv2d: Y = act(im2col(X) W + b) with patches in
 * (ky, kx, channel) order, the rows of the HWIO weight; flatten: nothing, since NHWC row-major is
 * already the flat order), their sizes and geometry, and the names of the hidden activations
 * (`fc0`, `fc1`, ... for dense layers, `conv0`, ... for convolutions, as `Sequential` names its
 * variables). The kernels (exact.ts in float64 for acting, simd.ts in float32 for batches and
 * training) and the tfjs `Sequential` each execute this; tests check they agree.
 */
import {
  type Activation,
  type Conv2dLayerSpec,
  type ConvGeometry,
  convGeometry,
  type DenseLayerSpec,
  type LayerSpec,
  layerShapes,
} from "../spec.js";

export interface DenseStep {
  kind: "dense";
  layer: DenseLayerSpec;
  name: string;
  /** Index of the layer in the stack (flatten layers included). */
  index: number;
  inSize: number;
  outSize: number;
  activation: Activation;
}

export interface ConvStep {
  kind: "conv2d";
  layer: Conv2dLayerSpec;
  name: string;
  index: number;
  inSize: number;
  outSize: number;
  activation: Activation;
  geometry: ConvGeometry;
  /** Input [h, w, channels]. */
  h: number;
  w: number;
  channels: number;
  kernel: number;
  stride: number;
  outChannels: number;
  /** Output pixels per sample, outH * outW: the rows of the patch matrix per sample. */
  pixels: number;
  /** Patch length, kernel^2 * channels: the columns of the patch matrix. */
  patch: number;
}

export type Step = DenseStep | ConvStep;

export interface Plan {
  steps: Step[];
  /** Numbers per input sample and per output sample. */
  inSize: number;
  outSize: number;
  /** Shape of one sample after each layer (flatten included). */
  shapes: number[][];
}

/** Name of each weighted layer (dense `fc<i>`, conv `conv<i>`, counted separately); flatten: "". */
export function layerNames(layers: readonly LayerSpec[]): string[] {
  let nDense = 0;
  let nConv = 0;
  return layers.map((l) =>
    l.kind === "dense" ? `fc${nDense++}` : l.kind === "conv2d" ? `conv${nConv++}` : "",
  );
}

/** Checks the stack (layerShapes) and lays out its steps. */
export function planLayers(
  layers: readonly LayerSpec[],
  field = "layers",
  inShape?: readonly number[],
): Plan {
  const shapes = layerShapes(layers, field, inShape);
  const names = layerNames(layers);
  const first = layers[0]!;
  const inDims = inShape ?? (first.kind === "dense" ? [first.inSize] : (first as Conv2dLayerSpec).inShape);
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const steps: Step[] = [];
  let inSize = size(inDims);
  layers.forEach((l, index) => {
    const outSize = size(shapes[index]!);
    if (l.kind === "dense") {
      steps.push({
        kind: "dense",
        layer: l,
        name: names[index]!,
        index,
        inSize,
        outSize,
        activation: l.activation,
      });
    } else if (l.kind === "conv2d") {
      const geometry = convGeometry(l);
      const [h, w, channels] = l.inShape;
      steps.push({
        kind: "conv2d",
        layer: l,
        name: names[index]!,
        index,
        inSize,
        outSize,
        activation: l.activation,
        geometry,
        h,
        w,
        channels,
        kernel: l.kernelSize,
        stride: l.stride,
        outChannels: l.outChannels,
        pixels: geometry.outH * geometry.outW,
        patch: l.kernelSize * l.kernelSize * channels,
      });
    }
    inSize = outSize;
  });
  return {
    steps,
    inSize: size(inDims),
    outSize: size(shapes[shapes.length - 1]!),
    shapes: shapes.map((s) => [...s]),
  };
}

/**
 * Name, size (numbers per sample) and shape of every hidden activation: the output of each
 * weighted layer but the stack's last layer (as `Sequential.forward` returns them).
 */
export function hiddenActivations(plan: Plan): Array<{ name: string; size: number; shape: number[] }> {
  const last = plan.shapes.length - 1;
  return plan.steps
    .filter((s) => s.index !== last)
    .map((s) => ({ name: s.name, size: s.outSize, shape: plan.shapes[s.index]! }));
}

/** Multiply-adds of one sample's forward, counted as 2 flops each (activations not counted). */
export function planFlops(plan: Plan): number {
  let flops = 0;
  for (const s of plan.steps) {
    flops += s.kind === "dense" ? 2 * s.inSize * s.outSize : 2 * s.patch * s.outChannels * s.pixels;
  }
  return flops;
}

/** Number of weights and biases in a layer stack. */
export function countParams(layers: readonly LayerSpec[]): number {
  let n = 0;
  for (const l of layers) if (l.kind !== "flatten") n += l.weight.length + l.bias.length;
  return n;
}

/** Writes the stack's weights and biases, layer by layer [w0, b0, w1, b1, ...], into out[offset ..]. */
export function flattenParams(
  layers: readonly LayerSpec[],
  out: Float32Array = new Float32Array(countParams(layers)),
  offset = 0,
): Float32Array {
  let at = offset;
  for (const l of layers) {
    if (l.kind === "flatten") continue;
    out.set(l.weight, at);
    at += l.weight.length;
    out.set(l.bias, at);
    at += l.bias.length;
  }
  return out;
}

/** The stack's layers with copies of the weights and biases read from values[offset ..] (`flattenParams`'s inverse). */
export function unflattenParams(
  template: readonly LayerSpec[],
  values: Float32Array,
  offset = 0,
): LayerSpec[] {
  let at = offset;
  return template.map((l) => {
    if (l.kind === "flatten") return l;
    const weight = values.slice(at, at + l.weight.length);
    at += l.weight.length;
    const bias = values.slice(at, at + l.bias.length);
    at += l.bias.length;
    return { ...l, weight, bias };
  });
}

/** Tensor sizes of a stack's parameters in order (w0, b0, w1, b1, ...), for optimizer states. */
export function tensorSizes(layers: readonly LayerSpec[]): number[] {
  return layers.flatMap((l) => (l.kind === "flatten" ? [] : [l.weight.length, l.bias.length]));
}
