/**
 * Action distributions: tensor functions for losses (log-probabilities and entropies, built
 * from one-hot masks so they differentiate on wasm) and plain-array functions for acting
 * (sampling with the project's Rng, no tensors, no await).
 */
import type { Rng } from "../core/rng.js";
import { type Tensor, tf } from "./backend.js";
import { oneHotMask } from "./ops.js";

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** log softmax over the last axis; subtracts the row max first, so extreme logits stay finite. */
export function categoricalLogProbs(logits: Tensor): Tensor {
  return tf.logSoftmax(logits);
}

/** log pi(a | s) for int actions [batch], from logits [batch, n]. */
export function categoricalLogProb(logits: Tensor, actions: Tensor): Tensor {
  const n = logits.shape[logits.rank - 1]!;
  return tf.sum(tf.mul(tf.logSoftmax(logits), oneHotMask(actions, n)), -1);
}

/** Entropy per row, -sum p log p, from logits [batch, n]. */
export function categoricalEntropy(logits: Tensor): Tensor {
  const logp = tf.logSoftmax(logits);
  return tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), -1));
}

/**
 * log N(a | mean, exp(logStd)) summed over action dimensions: mean and actions [batch, dim],
 * logStd [dim] (state-independent, CleanRL/SB3) or [batch, dim].
 */
export function gaussianLogProb(mean: Tensor, logStd: Tensor, actions: Tensor): Tensor {
  const z = tf.div(tf.sub(actions, mean), tf.exp(logStd));
  return tf.neg(tf.sum(tf.add(tf.mul(0.5, tf.square(z)), tf.add(logStd, HALF_LOG_2PI)), -1));
}

/** Entropy of a diagonal Gaussian, sum over dims of 0.5 + 0.5 log(2 pi) + logStd. */
export function gaussianEntropy(logStd: Tensor): Tensor {
  return tf.sum(tf.add(logStd, 0.5 + HALF_LOG_2PI), -1);
}

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

/** Softmax probabilities (float64) of logits[offset .. offset + n). */
export function softmaxProbs(
  logits: ArrayLike<number>,
  offset = 0,
  n = logits.length - offset,
  out?: Float64Array,
) {
  const p = out ?? new Float64Array(n);
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[offset + i]!);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    p[i] = Math.exp(logits[offset + i]! - max);
    sum += p[i]!;
  }
  for (let i = 0; i < n; i++) p[i] = p[i]! / sum;
  return p;
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
