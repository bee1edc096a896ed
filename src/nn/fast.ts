/**
 * Synchronous Float32Array inference from a PolicySpec: no tensors, no await, no allocation per
 * call once the scratch buffers fit the batch. This is what rollout loops act with (batch 1),
 * and what evaluation and the standalone runtime run.
 *
 * Arithmetic is float64 inside (so it is at least as accurate as tfjs's float32) and matches the
 * tfjs forward to about 1e-6; observation normalisation is computed in float32 exactly as the
 * tfjs op does it (Math.fround at every step), since the clip can amplify its rounding.
 */
import { ConfigError } from "../core/errors.js";
import type { Action, ActionDistribution, ActOptions, DistributionPolicy } from "../core/policy.js";
import { argmax, sampleCategorical, softmaxProbs } from "./distributions.js";
import { samePadding } from "./ops.js";
import { layerShapes } from "./sequential.js";
import type { Activation, Conv2dLayerSpec, DenseLayerSpec, LayerSpec, PolicySpec } from "./spec.js";

export interface CompileOptions {
  /** Temperature of the softmax that `distribution` applies to Q-values. Default 1. */
  qTemperature?: number;
}

/** A layer stack compiled to loops over preallocated float64 buffers. */
class Stack {
  readonly inSize: number;
  readonly outSize: number;
  private readonly layers: readonly LayerSpec[];
  private readonly sizes: number[];
  private capacity = 0;
  private bufA = new Float64Array(0);
  private bufB = new Float64Array(0);

  constructor(layers: readonly LayerSpec[], field: string) {
    const shapes = layerShapes(layers, field);
    const first = layers[0]!;
    this.inSize =
      first.kind === "dense" ? first.inSize : (first as Conv2dLayerSpec).inShape.reduce((a, b) => a * b, 1);
    this.sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
    this.outSize = this.sizes[this.sizes.length - 1]!;
    this.layers = layers;
    this.reserve(1);
  }

  /** Grows the scratch buffers to hold `batch` samples (the only allocation, and only on growth). */
  reserve(batch: number): void {
    if (batch <= this.capacity) return;
    const widest = Math.max(this.inSize, ...this.sizes);
    this.bufA = new Float64Array(widest * batch);
    this.bufB = new Float64Array(widest * batch);
    this.capacity = batch;
  }

  /** The input buffer to fill with `batch` normalised observations before `run`. */
  input(batch: number): Float64Array {
    this.reserve(batch);
    return this.bufA;
  }

  /** Runs the stack on the input buffer; returns the buffer holding the output. */
  run(batch: number): Float64Array {
    let src = this.bufA;
    let dst = this.bufB;
    for (const l of this.layers) {
      if (l.kind === "flatten") continue; // NHWC row-major is already flat
      if (l.kind === "dense") denseForward(l, src, dst, batch);
      else convForward(l, src, dst, batch);
      const tmp = src;
      src = dst;
      dst = tmp;
    }
    return src;
  }
}

function activateInPlace(buf: Float64Array, n: number, activation: Activation): void {
  if (activation === "relu") {
    for (let i = 0; i < n; i++) if (buf[i]! < 0) buf[i] = 0;
  } else if (activation === "tanh") {
    for (let i = 0; i < n; i++) buf[i] = Math.tanh(buf[i]!);
  }
}

/**
 * y = x W + b, W row-major [in][out]. Four batch rows share each pass over a weight row (register
 * blocking), and the inner loop runs over contiguous outputs; zero inputs (after relu) are skipped.
 */
function denseForward(l: DenseLayerSpec, x: Float64Array, y: Float64Array, batch: number): void {
  const nIn = l.inSize;
  const nOut = l.outSize;
  const w = l.weight;
  const bias = l.bias;
  let b = 0;
  for (; b + 4 <= batch; b += 4) {
    const y0 = b * nOut;
    const y1 = y0 + nOut;
    const y2 = y1 + nOut;
    const y3 = y2 + nOut;
    for (let o = 0; o < nOut; o++) {
      const bo = bias[o]!;
      y[y0 + o] = bo;
      y[y1 + o] = bo;
      y[y2 + o] = bo;
      y[y3 + o] = bo;
    }
    const x0 = b * nIn;
    for (let i = 0; i < nIn; i++) {
      const a0 = x[x0 + i]!;
      const a1 = x[x0 + nIn + i]!;
      const a2 = x[x0 + 2 * nIn + i]!;
      const a3 = x[x0 + 3 * nIn + i]!;
      const wi = i * nOut;
      for (let o = 0; o < nOut; o++) {
        const wv = w[wi + o]!;
        y[y0 + o] += a0 * wv;
        y[y1 + o] += a1 * wv;
        y[y2 + o] += a2 * wv;
        y[y3 + o] += a3 * wv;
      }
    }
  }
  for (; b < batch; b++) {
    const yb = b * nOut;
    for (let o = 0; o < nOut; o++) y[yb + o] = bias[o]!;
    const xb = b * nIn;
    for (let i = 0; i < nIn; i++) {
      const a = x[xb + i]!;
      if (a === 0) continue;
      const wi = i * nOut;
      for (let o = 0; o < nOut; o++) y[yb + o] += a * w[wi + o]!;
    }
  }
  activateInPlace(y, batch * nOut, l.activation);
}

/** Direct NHWC convolution with the HWIO weight; taps outside the (padded) input are zeros. */
function convForward(l: Conv2dLayerSpec, x: Float64Array, y: Float64Array, batch: number): void {
  const [h, wd, c] = l.inShape;
  const k = l.kernelSize;
  const s = l.stride;
  const oc = l.outChannels;
  const [padTop] = l.padding === "same" ? samePadding(h, k, s) : [0];
  const [padLeft] = l.padding === "same" ? samePadding(wd, k, s) : [0];
  const oh = l.padding === "same" ? Math.ceil(h / s) : Math.floor((h - k) / s) + 1;
  const ow = l.padding === "same" ? Math.ceil(wd / s) : Math.floor((wd - k) / s) + 1;
  const w = l.weight;
  const inSize = h * wd * c;
  const outSize = oh * ow * oc;
  for (let b = 0; b < batch; b++) {
    const xb = b * inSize;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const yo = b * outSize + (oy * ow + ox) * oc;
        for (let o = 0; o < oc; o++) y[yo + o] = l.bias[o]!;
        for (let ky = 0; ky < k; ky++) {
          const iy = oy * s + ky - padTop!;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < k; kx++) {
            const ix = ox * s + kx - padLeft!;
            if (ix < 0 || ix >= wd) continue;
            const xi = xb + (iy * wd + ix) * c;
            const wk = (ky * k + kx) * c * oc;
            for (let ci = 0; ci < c; ci++) {
              const a = x[xi + ci]!;
              if (a === 0) continue;
              const wo = wk + ci * oc;
              for (let o = 0; o < oc; o++) y[yo + o] += a * w[wo + o]!;
            }
          }
        }
      }
    }
  }
  activateInPlace(y, batch * outSize, l.activation);
}

export interface CompiledPolicy extends DistributionPolicy {
  readonly spec: PolicySpec;
  /** Numbers in one observation. */
  readonly obsSize: number;
  /** Numbers the policy network outputs per observation (actionSize). */
  readonly outSize: number;
  /**
   * Raw outputs (logits, Q-values or action means) of `batch` observations laid end to end.
   * Without `out`, the result is an internal buffer overwritten by the next call.
   */
  forward(obs: Float32Array, batch?: number, out?: Float32Array): Float32Array;
  /** V(s) per observation; only when the spec has `valueLayers`. */
  value?(obs: Float32Array, batch?: number, out?: Float32Array): Float32Array;
  /**
   * One observation: argmax of logits or Q-values, or the mean clipped to [actionLow, actionHigh]
   * (a fresh Float32Array). With `deterministic: false`, logits and Gaussian policies sample
   * from `rng`; Q policies stay greedy (exploration belongs to the agent).
   */
  act(obs: Float32Array, opts?: ActOptions): Action;
}

/** Compiles a spec into a synchronous policy with preallocated scratch buffers. */
export function compileSpec(spec: PolicySpec, opts: CompileOptions = {}): CompiledPolicy {
  const policy = new Stack(spec.layers, "spec.layers");
  const obsSize = spec.obsShape.reduce((a, b) => a * b, 1);
  if (policy.inSize !== obsSize) {
    throw new ConfigError(
      "spec.layers[0]",
      `takes ${policy.inSize} inputs, obsShape [${spec.obsShape}] has ${obsSize}`,
    );
  }
  if (policy.outSize !== spec.actionSize) {
    throw new ConfigError("spec.actionSize", `is ${spec.actionSize}, the last layer gives ${policy.outSize}`);
  }
  const critic = spec.valueLayers ? new Stack(spec.valueLayers, "spec.valueLayers") : undefined;
  if (critic && (critic.inSize !== obsSize || critic.outSize !== 1)) {
    throw new ConfigError("spec.valueLayers", `must map ${obsSize} inputs to 1 output`);
  }
  const norm = compileNorm(spec, obsSize);
  const tau = opts.qTemperature ?? 1;
  if (!(tau > 0)) throw new ConfigError("qTemperature", `must be > 0, got ${tau}`);
  const n = spec.actionSize;
  let outBuf = new Float32Array(n);
  let valueBuf = new Float32Array(1);
  const one = new Float32Array(n);
  const std = spec.logStd ? Float64Array.from(spec.logStd, Math.exp) : undefined;

  const load = (stack: Stack, obs: Float32Array, batch: number): void => {
    if (!Number.isInteger(batch) || batch < 1)
      throw new ConfigError("batch", `must be a positive integer, got ${batch}`);
    if (obs.length < batch * obsSize) {
      throw new ConfigError(
        "obs",
        `has ${obs.length} numbers, ${batch} observations need ${batch * obsSize}`,
      );
    }
    const input = stack.input(batch);
    if (norm) norm(obs, input, batch * obsSize);
    else for (let i = 0; i < batch * obsSize; i++) input[i] = obs[i]!;
  };

  const forward = (obs: Float32Array, batch = 1, out?: Float32Array): Float32Array => {
    load(policy, obs, batch);
    const res = policy.run(batch);
    if (!out) {
      // Exact-size buffer, reallocated only when the batch size changes.
      if (outBuf.length !== batch * n) outBuf = new Float32Array(batch * n);
      out = outBuf;
    }
    for (let i = 0; i < batch * n; i++) out[i] = res[i]!;
    return out;
  };

  const clipInPlace = (a: Float32Array): Float32Array => {
    if (spec.actionLow && spec.actionHigh) {
      for (let i = 0; i < a.length; i++)
        a[i] = Math.min(Math.max(a[i]!, spec.actionLow[i]!), spec.actionHigh[i]!);
    }
    return a;
  };

  const compiled: CompiledPolicy = {
    spec,
    obsSize,
    outSize: n,
    forward,
    act(obs: Float32Array, actOpts: ActOptions = {}): Action {
      const y = forward(obs, 1, one);
      const deterministic = actOpts.deterministic ?? true;
      if (spec.output === "q") return argmax(y, 0, n);
      if (!deterministic && !actOpts.rng)
        throw new ConfigError("rng", "required when deterministic is false");
      if (spec.output === "logits")
        return deterministic ? argmax(y, 0, n) : sampleCategorical(y, actOpts.rng!, 0, n);
      const a = Float32Array.from(y);
      if (!deterministic && std) for (let i = 0; i < n; i++) a[i] = a[i]! + std[i]! * actOpts.rng!.normal();
      return clipInPlace(a);
    },
    distribution(obs: Float32Array): ActionDistribution {
      const y = forward(obs, 1, one);
      if (spec.output === "mean") {
        return { kind: "gaussian", mean: Float64Array.from(y), std: std ? std.slice() : new Float64Array(n) };
      }
      if (spec.output === "q") {
        const scaled = new Float64Array(n);
        for (let i = 0; i < n; i++) scaled[i] = y[i]! / tau;
        return { kind: "categorical", probs: softmaxProbs(scaled, 0, n) };
      }
      return { kind: "categorical", probs: softmaxProbs(y, 0, n) };
    },
  };
  if (critic) {
    compiled.value = (obs: Float32Array, batch = 1, out?: Float32Array): Float32Array => {
      load(critic, obs, batch);
      const res = critic.run(batch);
      if (!out) {
        if (valueBuf.length !== batch) valueBuf = new Float32Array(batch);
        out = valueBuf;
      }
      for (let i = 0; i < batch; i++) out[i] = res[i]!;
      return out;
    };
  }
  return compiled;
}

/** Float32-exact normalisation (as tfjs computes it), or undefined without obsNorm. */
function compileNorm(
  spec: PolicySpec,
  obsSize: number,
): ((obs: Float32Array, dst: Float64Array, count: number) => void) | undefined {
  const nrm = spec.obsNorm;
  if (!nrm) return undefined;
  if (nrm.mean.length !== obsSize || nrm.var.length !== obsSize) {
    throw new ConfigError("spec.obsNorm", `mean and var need ${obsSize} entries`);
  }
  const f = Math.fround;
  const mean = Float32Array.from(nrm.mean);
  const sd = new Float32Array(obsSize);
  for (let i = 0; i < obsSize; i++) sd[i] = f(Math.sqrt(f(nrm.var[i]! + f(nrm.epsilon))));
  const clip = f(nrm.clip);
  return (obs, dst, count) => {
    for (let i = 0, j = 0; i < count; i++, j = j + 1 === obsSize ? 0 : j + 1) {
      const z = f(f(obs[i]! - mean[j]!) / sd[j]!);
      dst[i] = Math.min(Math.max(z, -clip), clip);
    }
  };
}
