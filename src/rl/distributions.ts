/**
 * Log-probabilities on plain arrays, for storing pi_old(a|s) while acting in rollouts without
 * tfjs. Sampling and argmax come from src/nn/distributions.ts; the tensor versions used in the
 * loss are there too, and both must agree (tested in ppo.test.ts).
 */
import type { Rng } from "../core/rng.js";

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** log softmax(logits[offset .. offset + n))[action], max-subtracted for stability. */
export function categoricalLogProb(
  logits: ArrayLike<number>,
  offset: number,
  n: number,
  action: number,
): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < n; j++) max = Math.max(max, logits[offset + j]!);
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(logits[offset + j]! - max);
  return logits[offset + action]! - max - Math.log(sum);
}

/** log N(action | mean, exp(logStd)) summed over the `d` dimensions. */
export function gaussianLogProb(
  action: ArrayLike<number>,
  aOffset: number,
  mean: ArrayLike<number>,
  mOffset: number,
  logStd: ArrayLike<number>,
  d: number,
): number {
  let lp = 0;
  for (let j = 0; j < d; j++) {
    const z = (action[aOffset + j]! - mean[mOffset + j]!) / Math.exp(logStd[j]!);
    lp += -0.5 * z * z - logStd[j]! - LOG_SQRT_2PI;
  }
  return lp;
}

/** Writes mean + exp(logStd) * N(0, 1) into `out[outOffset ..]`; returns its log-probability. */
export function sampleGaussian(
  mean: ArrayLike<number>,
  mOffset: number,
  logStd: ArrayLike<number>,
  d: number,
  rng: Rng,
  out: Float32Array,
  outOffset: number,
): number {
  for (let j = 0; j < d; j++) out[outOffset + j] = mean[mOffset + j]! + Math.exp(logStd[j]!) * rng.normal();
  return gaussianLogProb(out, outOffset, mean, mOffset, logStd, d);
}
