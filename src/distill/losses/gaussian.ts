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
  type ArrayArgs,
  type ArrayLossResult,
  checkBatch,
  checkRank,
  checkSameLength,
  checkSameShape,
  type LossResult,
  rowWidth,
  type SampleWeightArgs,
  sampleScales,
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

// ---- array form (tape-free training; see common.ts) -----------------------------------------

/** Means and log-stds [batch, D] as plain arrays. */
export interface GaussianPolicyArrays {
  mean: Float32Array;
  logStd: Float32Array;
}

/**
 * `gaussianKlLoss` on arrays, with dLoss/dStudentMean and dLoss/dStudentLogStd ([batch, D]; a
 * state-independent log std sums the rows). Per dimension, KL(p || q) = r + (e^{-2r} + (mu_p -
 * mu_q)^2 e^{-2 ls_q}) / 2 - 1/2 with r = ls_q - ls_p; the student is q (forward) or p (reverse).
 */
export function gaussianKlLossArrays(
  student: GaussianPolicyArrays,
  teacher: GaussianPolicyArrays,
  batch: number,
  args: ArrayArgs<GaussianKlArgs> = {},
): ArrayLossResult {
  const d = rowWidth("studentMean", student.mean, batch);
  checkSameLength("studentMean", student.mean, "studentLogStd", student.logStd);
  checkSameLength("studentMean", student.mean, "teacherMean", teacher.mean);
  checkSameLength("studentMean", student.mean, "teacherLogStd", teacher.logStd);
  const direction = args.direction ?? "forward";
  if (direction !== "forward" && direction !== "reverse") {
    throw new ConfigError("direction", `expected "forward" or "reverse", got ${String(direction)}`);
  }
  const c = sampleScales(batch, args);
  const dMean = new Float32Array(batch * d);
  const dLogStd = new Float32Array(batch * d);
  let kl = 0;
  let absErr = 0;
  let logStdSum = 0;
  for (let r = 0; r < batch; r++) {
    let row = 0;
    for (let j = 0; j < d; j++) {
      const i = r * d + j;
      const ms = student.mean[i]!;
      const ls = student.logStd[i]!;
      const mt = teacher.mean[i]!;
      const lt = teacher.logStd[i]!;
      const diff2 = (ms - mt) * (ms - mt);
      absErr += Math.abs(ms - mt);
      logStdSum += ls;
      if (direction === "forward") {
        // p = teacher, q = student: r = ls - lt.
        const rr = ls - lt;
        const inv = Math.exp(-2 * ls);
        row += rr + 0.5 * (Math.exp(-2 * rr) + diff2 * inv) - 0.5;
        dMean[i] = c[r]! * (ms - mt) * inv;
        dLogStd[i] = c[r]! * (1 - Math.exp(-2 * rr) - diff2 * inv);
      } else {
        // p = student, q = teacher: r = lt - ls.
        const rr = lt - ls;
        const inv = Math.exp(-2 * lt);
        row += rr + 0.5 * (Math.exp(-2 * rr) + diff2 * inv) - 0.5;
        dMean[i] = c[r]! * (ms - mt) * inv;
        dLogStd[i] = c[r]! * (Math.exp(-2 * rr) - 1);
      }
    }
    kl += c[r]! * row;
  }
  return {
    loss: kl,
    metrics: { gaussianKl: kl, meanAbsError: absErr / (batch * d), studentLogStd: logStdSum / (batch * d) },
    grads: { studentMean: dMean, studentLogStd: dLogStd },
  };
}
