/**
 * Plain-array probability kernels, one row at a time, without tfjs (so eval, the distillation
 * buffers and acting code use them without loading a backend): argmax, temperature softmax,
 * safe log, and sampling with the project's Rng. Batch forms are in src/distill/probs.ts.
 */
import type { Rng } from "../core/rng.js";

/** Index of the largest of values[offset .. offset + n) (first one on ties). */
export function argmax(values: ArrayLike<number>, offset = 0, n = values.length - offset): number {
  let best = 0;
  let bestValue = values[offset]!;
  for (let i = 1; i < n; i++) {
    const v = values[offset + i]!;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/**
 * Softmax probabilities of logits[offset .. offset + n) / tau into out[outOffset ..] (a new
 * Float64Array by default), the row max subtracted first: exp never overflows, and a tiny tau
 * gives a one-hot, not NaN.
 */
export function softmaxProbs<T extends Float32Array | Float64Array = Float64Array>(
  logits: ArrayLike<number>,
  offset = 0,
  n = logits.length - offset,
  out?: T,
  tau = 1,
  outOffset = 0,
): T {
  const p = out ?? (new Float64Array(n) as T);
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[offset + i]!);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp((logits[offset + i]! - max) / tau);
    p[outOffset + i] = e;
    sum += e;
  }
  for (let i = 0; i < n; i++) p[outOffset + i] = p[outOffset + i]! / sum;
  return p;
}

/** log(p) with p clamped away from 0 (1e-12), for divergences and logits built from probabilities. */
export function safeLog(p: number): number {
  return Math.log(Math.max(p, 1e-12));
}

/** Draws an action index from softmax(logits[offset .. offset + n)) with one uniform from `rng`. */
export function sampleCategorical(
  logits: ArrayLike<number>,
  rng: Rng,
  offset = 0,
  n = logits.length - offset,
): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[offset + i]!);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(logits[offset + i]! - max);
  let u = rng.random() * sum;
  for (let i = 0; i < n; i++) {
    u -= Math.exp(logits[offset + i]! - max);
    if (u < 0) return i;
  }
  // Rounding can leave u at a hair above 0: the last action with non-zero probability.
  for (let i = n - 1; i >= 0; i--) if (logits[offset + i]! - max > -745) return i;
  return n - 1;
}

/** out[i] = mean[i] + exp(logStd[i]) * N(0, 1), drawn from `rng`. */
export function sampleGaussian(
  mean: ArrayLike<number>,
  logStd: ArrayLike<number>,
  rng: Rng,
  out: Float32Array = new Float32Array(mean.length),
): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = mean[i]! + Math.exp(logStd[i]!) * rng.normal();
  return out;
}
