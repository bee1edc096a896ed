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
import * as tf from "@tensorflow/tfjs-core";
import {
  checkBatch,
  checkRank,
  checkSameShape,
  type LossResult,
  type SampleWeightArgs,
  weightedMean,
} from "./common.js";
import type { GaussianPolicyTensors } from "./gaussian.js";

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
