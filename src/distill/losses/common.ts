/**
 * Shared pieces of the distillation losses: the result type, shape checks that name the tensors,
 * a stable tempered log-softmax and the per-sample weighted mean.
 *
 * Every loss is a pure function of tensors. It returns the scalar to minimise and its metrics as
 * scalar tensors, so a training step reads them all with one sync (`tf.dataSync` per metric
 * after the step, or one `Promise.all` of `.data()`), not one GPU/wasm round trip per metric.
 * Inside `tf.variableGrads` / `optimizer.minimize` only the returned loss survives the tidy: wrap
 * metrics in `tf.keep` there if you want to read them after the step.
 */

import { ConfigError, checkNumber } from "../../core/errors.js";
import { tf } from "../../nn/backend.js";

export interface LossResult {
  /** The scalar to minimise. */
  loss: tf.Scalar;
  /** Diagnostics (not scaled by any loss weight), named without namespace; e.g. `kl`, `agreement`. */
  metrics: Record<string, tf.Scalar>;
}

/** Options every per-sample loss accepts. */
export interface SampleWeightArgs {
  /**
   * Per-sample weights [B] (importance weights of prioritised replay, Schaul et al. 2016, or
   * teacher-prioritised sampling). Default: all ones.
   */
  weights?: tf.Tensor;
  /**
   * How weighted per-sample losses are reduced. "batch" (default): sum_i w_i l_i / B, the
   * importance-sampling convention (weights already normalised, e.g. by their max). "weights":
   * sum_i w_i l_i / sum_i w_i, a self-normalised weighted mean.
   */
  weightNormalization?: "batch" | "weights";
}

export function shapeText(t: tf.Tensor): string {
  return `[${t.shape.join(", ")}]`;
}

/** Throws unless `t` has the given rank. */
export function checkRank(name: string, t: tf.Tensor, rank: number, layout: string): void {
  if (t.rank !== rank) {
    throw new ConfigError(name, `expected a rank-${rank} tensor ${layout}, got shape ${shapeText(t)}`);
  }
}

/** Throws unless `b` has exactly the shape of `a`, naming both tensors. */
export function checkSameShape(nameA: string, a: tf.Tensor, nameB: string, b: tf.Tensor): void {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ConfigError(
      nameB,
      `shape ${shapeText(b)} does not match ${nameA} ${shapeText(a)}; both must have the same shape`,
    );
  }
}

/** Throws unless `t` is rank >= 1 with at least one sample. */
export function checkBatch(name: string, t: tf.Tensor): number {
  const b = t.shape[0];
  if (t.rank < 1 || b === undefined || b < 1) {
    throw new ConfigError(name, `needs a batch axis with at least one sample, got shape ${shapeText(t)}`);
  }
  return b;
}

export function checkTau(tau: unknown): number {
  return checkNumber("tau", tau, { positive: true });
}

/**
 * log softmax(z / tau) along the last axis. `tf.logSoftmax` subtracts the row max before
 * exponentiating, so logits of +-1e4 divided by tau = 1e-3 (1e7 in float32) stay finite; the log
 * of a softmax would underflow to log(0) = -inf there.
 */
export function temperedLogSoftmax(logits: tf.Tensor, tau: number): tf.Tensor {
  return tf.logSoftmax(tau === 1 ? logits : tf.div(logits, tau));
}

/**
 * Reduces per-sample losses [B] to a scalar with optional weights (see `SampleWeightArgs`).
 * `perSampleName` is the tensor the losses came from, for the error message.
 */
export function weightedMean(perSample: tf.Tensor, args: SampleWeightArgs, perSampleName: string): tf.Scalar {
  const { weights, weightNormalization = "batch" } = args;
  if (weightNormalization !== "batch" && weightNormalization !== "weights") {
    throw new ConfigError(
      "weightNormalization",
      `expected "batch" or "weights", got ${String(weightNormalization)}`,
    );
  }
  if (weights === undefined) return tf.mean(perSample);
  if (weights.rank !== 1 || weights.shape[0] !== perSample.shape[0]) {
    throw new ConfigError(
      "weights",
      `expected shape [${perSample.shape[0]}] (one weight per sample of ${perSampleName}), got ${shapeText(weights)}`,
    );
  }
  const total = tf.sum(tf.mul(perSample, weights));
  if (weightNormalization === "weights") return tf.div(total, tf.sum(weights));
  return tf.div(total, perSample.shape[0]!);
}

/** Fraction of samples whose argmax actions agree (a metric; carries no gradient). */
export function argmaxAgreement(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.mean(tf.cast(tf.equal(tf.argMax(a, -1), tf.argMax(b, -1)), "float32"));
}

/** Mean over the batch of the entropy -sum p log p, given log p [B, A]. */
export function meanEntropy(logP: tf.Tensor): tf.Scalar {
  return tf.mean(tf.neg(tf.sum(tf.mul(tf.exp(logP), logP), -1)));
}
