/**
 * KL divergence between diagonal Gaussian policies (continuous actions), from means and log
 * standard deviations [B, D].
 *
 * For one dimension, with r = logStd_q - logStd_p:
 *   KL(N(mu_p, s_p^2) || N(mu_q, s_q^2)) = r + (exp(-2 r) + (mu_p - mu_q)^2 exp(-2 logStd_q)) / 2 - 1/2,
 * summed over the D independent dimensions. Working in log-std avoids dividing by a variance that
 * can underflow, and exp(-2 r) is the variance ratio s_p^2 / s_q^2.
 */

import { ConfigError } from "../../core/errors.js";
import { tf } from "../../nn/backend.js";
import {
  checkBatch,
  checkRank,
  checkSameShape,
  type LossResult,
  type SampleWeightArgs,
  weightedMean,
} from "./common.js";

export interface GaussianKlArgs extends SampleWeightArgs {
  /**
   * "forward" (default): KL(teacher || student), mode-covering, the usual distillation target.
   * "reverse": KL(student || teacher), mode-seeking.
   */
  direction?: "forward" | "reverse";
}

export interface GaussianPolicyTensors {
  mean: tf.Tensor;
  logStd: tf.Tensor;
}

/** Per-sample KL(p || q) [B] for diagonal Gaussians p, q given as means and log-stds [B, D]. */
function gaussianKlRows(p: GaussianPolicyTensors, q: GaussianPolicyTensors): tf.Tensor {
  const r = tf.sub(q.logStd, p.logStd);
  const meanTerm = tf.mul(tf.square(tf.sub(p.mean, q.mean)), tf.exp(tf.mul(q.logStd, -2)));
  const perDim = tf.add(r, tf.mul(tf.add(tf.exp(tf.mul(r, -2)), meanTerm), 0.5));
  return tf.sub(tf.sum(perDim, -1), 0.5 * p.mean.shape[1]!);
}

export function gaussianKlLoss(
  student: GaussianPolicyTensors,
  teacher: GaussianPolicyTensors,
  args: GaussianKlArgs = {},
): LossResult {
  checkRank("studentMean", student.mean, 2, "[batch, actionDims]");
  checkBatch("studentMean", student.mean);
  checkSameShape("studentMean", student.mean, "studentLogStd", student.logStd);
  checkSameShape("studentMean", student.mean, "teacherMean", teacher.mean);
  checkSameShape("studentMean", student.mean, "teacherLogStd", teacher.logStd);
  const direction = args.direction ?? "forward";
  if (direction !== "forward" && direction !== "reverse") {
    throw new ConfigError("direction", `expected "forward" or "reverse", got ${String(direction)}`);
  }
  const rows = direction === "forward" ? gaussianKlRows(teacher, student) : gaussianKlRows(student, teacher);
  const gaussianKl = weightedMean(rows, args, "studentMean");
  return {
    loss: gaussianKl,
    metrics: {
      gaussianKl,
      meanAbsError: tf.mean(tf.abs(tf.sub(student.mean, teacher.mean))),
      studentLogStd: tf.mean(student.logStd),
    },
  };
}
