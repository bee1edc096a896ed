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

// ---- the tape-free forms: plain arrays in, loss, metrics and gradients out ----------------------
//
// Every registry loss also has an array form (`LossSpec.arrays`) that returns dLoss/dInput for
// the student-side inputs, written from the same formula as its tensor form and tested against
// it under the gradient tape and against finite differences. Distillers train with these.

/** `SampleWeightArgs` with the weights as a plain array [B]. */
export interface ArrayWeightArgs {
  weights?: ArrayLike<number>;
  weightNormalization?: "batch" | "weights";
}

/** A loss's options with array weights instead of a tensor. */
export type ArrayArgs<T> = Omit<T, "weights"> & ArrayWeightArgs;

/** Per-sample multipliers c_i with sum_i c_i l_i = the reduction `weightedMean` applies. */
export function sampleScales(batch: number, args: ArrayWeightArgs): Float64Array {
  const { weightNormalization = "batch" } = args;
  if (weightNormalization !== "batch" && weightNormalization !== "weights") {
    throw new ConfigError(
      "weightNormalization",
      `expected "batch" or "weights", got ${String(weightNormalization)}`,
    );
  }
  const c = new Float64Array(batch);
  const w = args.weights;
  if (w === undefined) return c.fill(1 / batch);
  if (w.length !== batch) {
    throw new ConfigError("weights", `expected ${batch} values (one weight per sample), got ${w.length}`);
  }
  let denominator = batch;
  if (weightNormalization === "weights") {
    denominator = 0;
    for (let i = 0; i < batch; i++) denominator += w[i]!;
  }
  for (let i = 0; i < batch; i++) c[i] = w[i]! / denominator;
  return c;
}

/** Width of each of `batch` rows of `values`, checking it divides evenly; names the input. */
export function rowWidth(name: string, values: ArrayLike<number>, batch: number): number {
  const w = values.length / batch;
  if (!Number.isInteger(batch) || batch < 1 || !Number.isInteger(w) || w < 1) {
    throw new ConfigError(name, `has ${values.length} values, not ${batch} rows of at least one`);
  }
  return w;
}

/** Throws unless `b` has as many values as `a`, naming both. */
export function checkSameLength(
  nameA: string,
  a: ArrayLike<number>,
  nameB: string,
  b: ArrayLike<number>,
): void {
  if (a.length !== b.length) {
    throw new ConfigError(
      nameB,
      `has ${b.length} values, ${nameA} has ${a.length}; both must have the same shape`,
    );
  }
}

/** Loss value, metrics (plain numbers) and the gradient with respect to the student's input. */
export interface ArrayLossResult {
  loss: number;
  metrics: Record<string, number>;
  /** dLoss/d(student input) for each student-side input the loss read, same layout. */
  grads: {
    studentLogits?: Float32Array;
    studentMean?: Float32Array;
    studentLogStd?: Float32Array;
    studentValues?: Float32Array;
    studentFeatures?: Record<string, Float32Array>;
  };
}
