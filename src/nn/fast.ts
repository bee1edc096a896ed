/**
 * Synchronous Float32Array inference from a PolicySpec: no tensors, no await, no allocation per
 * call once the scratch buffers fit the batch. This is what rollout loops act with (batch 1),
 * and what evaluation and the standalone runtime run.
 *
 * Arithmetic is float64 inside (so it is at least as accurate as tfjs's float32) and matches the
 * tfjs forward to about 1e-6; observation normalisation is computed in float32 exactly as the
 * tfjs op does it (obs-norm.ts), since the clip can amplify its rounding. The layers run on the
 * float64 kernels of kernels/exact.ts (the standalone runtime reproduces their sums bit for bit);
 * batched inference and training use the float32 SIMD kernels (kernels/net.ts) instead.
 */
import { ConfigError } from "../core/errors.js";
import type { Action, ActionDistribution, ActOptions, DistributionPolicy } from "../core/policy.js";
import { argmax, sampleCategorical, softmaxProbs } from "./distributions.js";
import { ExactStack } from "./kernels/exact.js";
import { compileObsNorm } from "./obs-norm.js";
import type { PolicySpec } from "./spec.js";

/** One or more observations laid end to end: float32, or uint8 for image observations (MinAtar). */
export type FastObs = Float32Array | Uint8Array;

export interface CompileOptions {
  /** Temperature of the softmax that `distribution` applies to Q-values. Default 1. */
  qTemperature?: number;
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
  forward(obs: FastObs, batch?: number, out?: Float32Array): Float32Array;
  /** V(s) per observation; only when the spec has `valueLayers`. */
  value?(obs: FastObs, batch?: number, out?: Float32Array): Float32Array;
  /**
   * One observation: argmax of logits or Q-values, or the mean clipped to [actionLow, actionHigh]
   * (a fresh Float32Array). With `deterministic: false`, logits and Gaussian policies sample
   * from `rng`; Q policies stay greedy (exploration belongs to the agent).
   */
  act(obs: FastObs, opts?: ActOptions): Action;
  distribution(obs: FastObs): ActionDistribution;
}

/** Compiles a spec into a synchronous policy with preallocated scratch buffers. */
export function compileSpec(spec: PolicySpec, opts: CompileOptions = {}): CompiledPolicy {
  const policy = new ExactStack(spec.layers, "spec.layers");
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
  const critic = spec.valueLayers ? new ExactStack(spec.valueLayers, "spec.valueLayers") : undefined;
  if (critic && (critic.inSize !== obsSize || critic.outSize !== 1)) {
    throw new ConfigError("spec.valueLayers", `must map ${obsSize} inputs to 1 output`);
  }
  const norm = spec.obsNorm ? compileObsNorm(spec.obsNorm, obsSize) : undefined;
  const tau = opts.qTemperature ?? 1;
  if (!(tau > 0)) throw new ConfigError("qTemperature", `must be > 0, got ${tau}`);
  const n = spec.actionSize;
  let outBuf = new Float32Array(n);
  let valueBuf = new Float32Array(1);
  const one = new Float32Array(n);
  const std = spec.logStd ? Float64Array.from(spec.logStd, Math.exp) : undefined;

  const load = (stack: ExactStack, obs: FastObs, batch: number): void => {
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

  const forward = (obs: FastObs, batch = 1, out?: Float32Array): Float32Array => {
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
    act(obs: FastObs, actOpts: ActOptions = {}): Action {
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
    distribution(obs: FastObs): ActionDistribution {
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
    compiled.value = (obs: FastObs, batch = 1, out?: Float32Array): Float32Array => {
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
