/**
 * Action distributions: tensor functions for losses (log-probabilities and entropies, built
 * from one-hot masks so they differentiate on wasm). The plain-array functions for acting
 * (argmax, softmax, sampling with the project's Rng) live in ./probs.ts, free of tfjs, and are
 * re-exported here.
 */
import { type Tensor, tf } from "./backend.js";
import { oneHotMask } from "./ops.js";

export { argmax, safeLog, sampleCategorical, sampleGaussian, softmaxProbs } from "./probs.js";

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
