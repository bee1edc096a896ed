/**
 * A plain Float32Array forward over a `PolicySpec` that also keeps every hidden activation, for
 * teachers whose intermediate features a student is distilled on (FitNets-style hints, Romero et
 * al. 2015). Outputs-only inference uses src/nn's compiled forward, which is faster; this one
 * exists because features must be read out, and it needs no tfjs.
 */
import type { Activation, Conv2dLayerSpec, DenseLayerSpec, LayerSpec, PolicySpec } from "../../nn/spec.js";

export interface SpecForwardResult {
  /** Output of the last layer, [n, outSize]. */
  output: Float32Array;
  /** Output of each hidden (non-final, non-flatten) layer after its activation, [n, width]. */
  hidden: Float32Array[];
}

function activate(x: Float32Array, act: Activation): void {
  if (act === "relu") for (let i = 0; i < x.length; i++) x[i] = Math.max(x[i]!, 0);
  else if (act === "tanh") for (let i = 0; i < x.length; i++) x[i] = Math.tanh(x[i]!);
}

function dense(x: Float32Array, n: number, l: DenseLayerSpec): Float32Array {
  const { inSize, outSize, weight, bias } = l;
  const y = new Float32Array(n * outSize);
  for (let r = 0; r < n; r++) {
    const yo = r * outSize;
    for (let j = 0; j < outSize; j++) y[yo + j] = bias[j]!;
    for (let i = 0; i < inSize; i++) {
      const xi = x[r * inSize + i]!;
      if (xi === 0) continue;
      const wo = i * outSize;
      for (let j = 0; j < outSize; j++) y[yo + j] = y[yo + j]! + xi * weight[wo + j]!;
    }
  }
  activate(y, l.activation);
  return y;
}

/** Output spatial size and leading pad for TF-style "same"/"valid" padding. */
function convGeometry(inDim: number, k: number, stride: number, padding: "valid" | "same"): [number, number] {
  if (padding === "valid") return [Math.floor((inDim - k) / stride) + 1, 0];
  const out = Math.ceil(inDim / stride);
  const total = Math.max((out - 1) * stride + k - inDim, 0);
  return [out, Math.floor(total / 2)];
}

function conv2d(x: Float32Array, n: number, l: Conv2dLayerSpec): Float32Array {
  const [h, w, c] = l.inShape;
  const k = l.kernelSize;
  const co = l.outChannels;
  const [oh, padT] = convGeometry(h, k, l.stride, l.padding);
  const [ow, padL] = convGeometry(w, k, l.stride, l.padding);
  const y = new Float32Array(n * oh * ow * co);
  for (let r = 0; r < n; r++) {
    const xb = r * h * w * c;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const yo = ((r * oh + oy) * ow + ox) * co;
        for (let o = 0; o < co; o++) y[yo + o] = l.bias[o]!;
        for (let ky = 0; ky < k; ky++) {
          const iy = oy * l.stride + ky - padT;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < k; kx++) {
            const ix = ox * l.stride + kx - padL;
            if (ix < 0 || ix >= w) continue;
            for (let ci = 0; ci < c; ci++) {
              const xv = x[xb + (iy * w + ix) * c + ci]!;
              const wo = ((ky * k + kx) * c + ci) * co;
              for (let o = 0; o < co; o++) y[yo + o] = y[yo + o]! + xv * l.weight[wo + o]!;
            }
          }
        }
      }
    }
  }
  activate(y, l.activation);
  return y;
}

/** Observation normalisation of the spec, if any (a copy; the input is not changed). */
export function normaliseObs(spec: PolicySpec, obs: Float32Array, n: number): Float32Array {
  const norm = spec.obsNorm;
  if (!norm) return obs;
  const d = norm.mean.length;
  const out = new Float32Array(obs.length);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) {
      const v = (obs[r * d + i]! - norm.mean[i]!) / Math.sqrt(norm.var[i]! + norm.epsilon);
      out[r * d + i] = Math.min(Math.max(v, -norm.clip), norm.clip);
    }
  }
  return out;
}

/** Runs a layer stack on already-normalised inputs. */
export function forwardLayers(layers: readonly LayerSpec[], x: Float32Array, n: number): SpecForwardResult {
  const hidden: Float32Array[] = [];
  let cur = x;
  layers.forEach((l, i) => {
    if (l.kind === "flatten") return; // NHWC is already row-major: flattening is a no-op on the data.
    cur = l.kind === "dense" ? dense(cur, n, l) : conv2d(cur, n, l);
    if (i < layers.length - 1) hidden.push(cur);
  });
  return { output: cur, hidden };
}

/**
 * Name and width of each hidden activation `forwardLayers` returns, in order, named as src/nn's
 * `Sequential.forward` names them (fc0, fc1, ... for dense layers, conv0, ... for convolutions),
 * so a teacher's and a student's layers can be paired by name.
 */
export function hiddenInfo(layers: readonly LayerSpec[]): Array<{ name: string; size: number }> {
  const out: Array<{ name: string; size: number }> = [];
  let nDense = 0;
  let nConv = 0;
  layers.forEach((l, i) => {
    if (l.kind === "flatten") return;
    const name = l.kind === "dense" ? `fc${nDense++}` : `conv${nConv++}`;
    if (i === layers.length - 1) return;
    if (l.kind === "dense") out.push({ name, size: l.outSize });
    else {
      const [oh] = convGeometry(l.inShape[0], l.kernelSize, l.stride, l.padding);
      const [ow] = convGeometry(l.inShape[1], l.kernelSize, l.stride, l.padding);
      out.push({ name, size: oh * ow * l.outChannels });
    }
  });
  return out;
}

/** Number of weights and biases in a layer stack. */
export function countLayerParams(layers: readonly LayerSpec[]): number {
  let n = 0;
  for (const l of layers) if (l.kind !== "flatten") n += l.weight.length + l.bias.length;
  return n;
}
