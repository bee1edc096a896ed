/**
 * Losses between diagonal Gaussian policies that need no density ratio: the squared
 * 2-Wasserstein distance, and the squared error of the means alone.
 *
 * For diagonal Gaussians the optimal coupling is per dimension, and
 *   W2^2(N(mu_p, s_p^2), N(mu_q, s_q^2)) = sum_d (mu_p - mu_q)^2 + (s_p - s_q)^2
 * (Givens and Shortt 1984; Olkin and Pukelsheim 1982 for the general case). Unlike the KL it stays
 * bounded and well-scaled when the teacher's std is tiny (a nearly deterministic SAC or TD3
 * teacher), where KL(teacher || student) weights mean errors by 1 / s^2. It is symmetric, so it has
 * no direction.
 */
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
import type { GaussianPolicyArrays, GaussianPolicyTensors } from "./gaussian.js";

/** Mean over the batch of W2^2 between student and teacher diagonal Gaussians (means, log-stds [B, D]). */
export function gaussianW2Loss(
  student: GaussianPolicyTensors,
  teacher: GaussianPolicyTensors,
  args: SampleWeightArgs = {},
): LossResult {
  checkRank("studentMean", student.mean, 2, "[batch, actionDims]");
  checkBatch("studentMean", student.mean);
  checkSameShape("studentMean", student.mean, "studentLogStd", student.logStd);
  checkSameShape("studentMean", student.mean, "teacherMean", teacher.mean);
  checkSameShape("studentMean", student.mean, "teacherLogStd", teacher.logStd);
  const meanSq = tf.square(tf.sub(student.mean, teacher.mean));
  const stdSq = tf.square(tf.sub(tf.exp(student.logStd), tf.exp(teacher.logStd)));
  const w2 = weightedMean(tf.sum(tf.add(meanSq, stdSq), -1), args, "studentMean");
  return {
    loss: w2,
    metrics: {
      gaussianW2: w2,
      meanAbsError: tf.mean(tf.abs(tf.sub(student.mean, teacher.mean))),
      studentLogStd: tf.mean(student.logStd),
    },
  };
}

/** Mean over batch and dimensions of (mu_student - mu_teacher)^2: behaviour cloning of the mean action. */
export function meanMseLoss(
  studentMean: tf.Tensor,
  teacherMean: tf.Tensor,
  args: SampleWeightArgs = {},
): LossResult {
  checkRank("studentMean", studentMean, 2, "[batch, actionDims]");
  checkBatch("studentMean", studentMean);
  checkSameShape("studentMean", studentMean, "teacherMean", teacherMean);
  const rows = tf.mean(tf.square(tf.sub(studentMean, teacherMean)), -1);
  const loss = weightedMean(rows, args, "studentMean");
  return {
    loss,
    metrics: { meanMse: loss, meanAbsError: tf.mean(tf.abs(tf.sub(studentMean, teacherMean))) },
  };
}

// ---- array forms (tape-free training; see common.ts) ----------------------------------------

/**
 * `gaussianW2Loss` on arrays: per sample sum_d (mu_s - mu_t)^2 + (s_s - s_t)^2 with s = e^logStd;
 * d/dmu_s = 2 (mu_s - mu_t), d/dlogStd_s = 2 (s_s - s_t) s_s, each times the sample's weight.
 */
export function gaussianW2LossArrays(
  student: GaussianPolicyArrays,
  teacher: GaussianPolicyArrays,
  batch: number,
  args: ArrayArgs<SampleWeightArgs> = {},
): ArrayLossResult {
  const d = rowWidth("studentMean", student.mean, batch);
  checkSameLength("studentMean", student.mean, "studentLogStd", student.logStd);
  checkSameLength("studentMean", student.mean, "teacherMean", teacher.mean);
  checkSameLength("studentMean", student.mean, "teacherLogStd", teacher.logStd);
  const c = sampleScales(batch, args);
  const dMean = new Float32Array(batch * d);
  const dLogStd = new Float32Array(batch * d);
  let w2 = 0;
  let absErr = 0;
  let logStdSum = 0;
  for (let r = 0; r < batch; r++) {
    let row = 0;
    for (let j = r * d; j < (r + 1) * d; j++) {
      const dm = student.mean[j]! - teacher.mean[j]!;
      const ss = Math.exp(student.logStd[j]!);
      const ds = ss - Math.exp(teacher.logStd[j]!);
      row += dm * dm + ds * ds;
      dMean[j] = c[r]! * 2 * dm;
      dLogStd[j] = c[r]! * 2 * ds * ss;
      absErr += Math.abs(dm);
      logStdSum += student.logStd[j]!;
    }
    w2 += c[r]! * row;
  }
  return {
    loss: w2,
    metrics: { gaussianW2: w2, meanAbsError: absErr / (batch * d), studentLogStd: logStdSum / (batch * d) },
    grads: { studentMean: dMean, studentLogStd: dLogStd },
  };
}

/** `meanMseLoss` on arrays: per sample the mean over dimensions of (mu_s - mu_t)^2; d/dmu_s = 2 (mu_s - mu_t) / D. */
export function meanMseLossArrays(
  studentMean: Float32Array,
  teacherMean: Float32Array,
  batch: number,
  args: ArrayArgs<SampleWeightArgs> = {},
): ArrayLossResult {
  const d = rowWidth("studentMean", studentMean, batch);
  checkSameLength("studentMean", studentMean, "teacherMean", teacherMean);
  const c = sampleScales(batch, args);
  const dMean = new Float32Array(batch * d);
  let loss = 0;
  let absErr = 0;
  for (let r = 0; r < batch; r++) {
    let row = 0;
    for (let j = r * d; j < (r + 1) * d; j++) {
      const dm = studentMean[j]! - teacherMean[j]!;
      row += dm * dm;
      dMean[j] = (c[r]! * 2 * dm) / d;
      absErr += Math.abs(dm);
    }
    loss += (c[r]! * row) / d;
  }
  return {
    loss,
    metrics: { meanMse: loss, meanAbsError: absErr / (batch * d) },
    grads: { studentMean: dMean },
  };
}
