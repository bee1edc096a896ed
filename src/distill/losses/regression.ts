/**
 * Regression losses: MSE on logits or Q-values, value MSE (V or Q) and Huber.
 *
 * Rusu et al. 2016 found MSE on a DQN teacher's Q-values the worst of their distillation losses
 * (KL on softmax(Q / 0.01) the best): regressing every action's value spends capacity on actions
 * the policy never takes. Value regression is still the right tool for distilling a critic.
 */

import { ConfigError, checkNumber } from "../../core/errors.js";
import { tf } from "../../nn/backend.js";
import { argmax } from "../../nn/distributions.js";
import {
  type ArrayArgs,
  type ArrayLossResult,
  argmaxAgreement,
  checkBatch,
  checkRank,
  checkSameLength,
  checkSameShape,
  type LossResult,
  rowWidth,
  type SampleWeightArgs,
  sampleScales,
  shapeText,
  weightedMean,
} from "./common.js";

export interface ValueArgs extends SampleWeightArgs {
  /**
   * Taken actions [B] (int32) for Q-values [B, A]: regress only Q(s, a_taken), as a one-hot mask
   * (no `tf.gather`, which has no gradient on wasm). Default: all actions.
   */
  actions?: tf.Tensor;
  /**
   * Explicit mask [B, A] (0/1 or fractional) for Q-values; per sample, the loss is
   * sum_a m_a e_a / sum_a m_a (a row of zeros contributes 0). Exclusive with `actions`.
   */
  mask?: tf.Tensor;
}

export interface HuberArgs extends ValueArgs {
  /** Where the loss turns from quadratic to linear, > 0. Default 1 (as DQN's smooth L1). */
  delta?: number;
}

/**
 * Huber per element without `tf.where` (whose gradient fails inside tfjs gradients):
 * with d = |x| and c = min(d, delta), huber = c^2 / 2 + delta (d - c). For d <= delta that is
 * d^2 / 2; above, delta d - delta^2 / 2.
 */
export function huberElementwise(x: tf.Tensor, delta: number): tf.Tensor {
  const d = tf.abs(x);
  const c = tf.minimum(d, delta);
  return tf.add(tf.mul(tf.square(c), 0.5), tf.mul(tf.sub(d, c), delta));
}

/** Per-sample mean of elementwise errors [B, ...] over all trailing axes, or masked over actions. */
function perSample(elem: tf.Tensor, names: [string, string], args: ValueArgs): tf.Tensor {
  const b = elem.shape[0]!;
  const flat = tf.reshape(elem, [b, -1]);
  const { actions, mask } = args;
  if (actions !== undefined && mask !== undefined) {
    throw new ConfigError("actions", "give either actions or mask, not both");
  }
  if (actions === undefined && mask === undefined) return tf.mean(flat, -1);
  if (elem.rank !== 2) {
    throw new ConfigError(
      actions ? "actions" : "mask",
      `needs Q-values [batch, actions]; ${names[0]} is ${shapeText(elem)}`,
    );
  }
  let m: tf.Tensor;
  if (actions !== undefined) {
    if (actions.rank !== 1 || actions.shape[0] !== b) {
      throw new ConfigError(
        "actions",
        `expected shape [${b}] (one action per sample of ${names[0]}), got ${shapeText(actions)}`,
      );
    }
    m = tf.oneHot(tf.cast(actions, "int32"), elem.shape[1]!);
  } else {
    checkSameShape(names[0], elem, "mask", mask!);
    m = mask!;
  }
  const count = tf.maximum(tf.sum(m, -1), 1e-8);
  return tf.div(tf.sum(tf.mul(m, flat), -1), count);
}

function elementwiseLoss(
  student: tf.Tensor,
  teacher: tf.Tensor,
  names: [string, string],
  args: ValueArgs,
  elementwise: (diff: tf.Tensor) => tf.Tensor,
): tf.Scalar {
  checkBatch(names[0], student);
  checkSameShape(names[0], student, names[1], teacher);
  return weightedMean(perSample(elementwise(tf.sub(student, teacher)), names, args), args, names[0]);
}

/**
 * MSE between student and teacher logits (or Q-values) [B, A]: per sample
 * 1/A sum_a (s_a - t_a)^2, then the (weighted) batch mean.
 */
export function mseLoss(
  studentLogits: tf.Tensor,
  teacherLogits: tf.Tensor,
  args: SampleWeightArgs = {},
): LossResult {
  checkRank("studentLogits", studentLogits, 2, "[batch, actions]");
  const mse = elementwiseLoss(
    studentLogits,
    teacherLogits,
    ["studentLogits", "teacherLogits"],
    args,
    tf.square,
  );
  return { loss: mse, metrics: { mse, agreement: argmaxAgreement(studentLogits, teacherLogits) } };
}

/**
 * Value regression: V as [B] or [B, 1], or Q as [B, A] (all actions, or the taken ones via
 * `actions` / `mask`): per sample the mean of (v_s - v_t)^2, then the (weighted) batch mean.
 */
export function valueMseLoss(
  studentValues: tf.Tensor,
  teacherValues: tf.Tensor,
  args: ValueArgs = {},
): LossResult {
  const valueMse = elementwiseLoss(
    studentValues,
    teacherValues,
    ["studentValues", "teacherValues"],
    args,
    tf.square,
  );
  return { loss: valueMse, metrics: { valueMse } };
}

/**
 * Huber loss between student and teacher values (V or Q, same masking as `valueMseLoss`):
 * quadratic within `delta`, linear beyond, so outlier targets give bounded gradients.
 */
export function huberLoss(
  studentValues: tf.Tensor,
  teacherValues: tf.Tensor,
  args: HuberArgs = {},
): LossResult {
  const delta = checkNumber("delta", args.delta ?? 1, { positive: true });
  const huber = elementwiseLoss(studentValues, teacherValues, ["studentValues", "teacherValues"], args, (d) =>
    huberElementwise(d, delta),
  );
  return { loss: huber, metrics: { huber } };
}

// ---- array forms (tape-free training; see common.ts) ----------------------------------------

/** `ValueArgs` on arrays: actions [B] or a mask [B, A] select the entries regressed per sample. */
export interface ValueArrayArgs extends ArrayArgs<SampleWeightArgs> {
  actions?: ArrayLike<number>;
  mask?: ArrayLike<number>;
  /** Huber only: where the loss turns linear, > 0. Default 1. */
  delta?: number;
}

/**
 * Per sample the (masked) mean over the row of e(s - t), then the weighted batch mean, with the
 * gradient d/ds = e'(s - t) m / count scaled by the sample's weight. `e` returns [value, slope].
 */
function elementwiseArrays(
  student: Float32Array,
  teacher: Float32Array,
  batch: number,
  names: [string, string],
  args: ValueArrayArgs,
  e: (d: number) => [number, number],
): { loss: number; grad: Float32Array } {
  checkSameLength(names[0], student, names[1], teacher);
  const w = rowWidth(names[0], student, batch);
  const { actions, mask } = args;
  if (actions !== undefined && mask !== undefined) {
    throw new ConfigError("actions", "give either actions or mask, not both");
  }
  if (actions !== undefined && actions.length !== batch) {
    throw new ConfigError(
      "actions",
      `expected ${batch} values (one action per sample), got ${actions.length}`,
    );
  }
  if (mask !== undefined) checkSameLength(names[0], student, "mask", mask);
  const c = sampleScales(batch, args);
  const grad = new Float32Array(student.length);
  let loss = 0;
  for (let r = 0; r < batch; r++) {
    const o = r * w;
    let count = w;
    if (actions) count = 1;
    else if (mask) {
      count = 0;
      for (let j = 0; j < w; j++) count += mask[o + j]!;
      count = Math.max(count, 1e-8);
    }
    let sum = 0;
    for (let j = 0; j < w; j++) {
      const m = actions ? (j === actions[r] ? 1 : 0) : mask ? mask[o + j]! : 1;
      if (m === 0) continue;
      const [v, slope] = e(student[o + j]! - teacher[o + j]!);
      sum += m * v;
      grad[o + j] = (c[r]! * m * slope) / count;
    }
    loss += (c[r]! * sum) / count;
  }
  return { loss, grad };
}

const squared = (d: number): [number, number] => [d * d, 2 * d];

/** `mseLoss` on arrays [batch, actions], with dLoss/dStudentLogits. */
export function mseLossArrays(
  student: Float32Array,
  teacher: Float32Array,
  batch: number,
  args: ArrayArgs<SampleWeightArgs> = {},
): ArrayLossResult {
  const { loss, grad } = elementwiseArrays(
    student,
    teacher,
    batch,
    ["studentLogits", "teacherLogits"],
    args,
    squared,
  );
  const k = student.length / batch;
  let agree = 0;
  for (let r = 0; r < batch; r++) if (argmax(student, r * k, k) === argmax(teacher, r * k, k)) agree++;
  return { loss, metrics: { mse: loss, agreement: agree / batch }, grads: { studentLogits: grad } };
}

/** `valueMseLoss` on arrays (V [batch] or Q [batch, A], optionally masked), with dLoss/dStudentValues. */
export function valueMseLossArrays(
  student: Float32Array,
  teacher: Float32Array,
  batch: number,
  args: ValueArrayArgs = {},
): ArrayLossResult {
  const { loss, grad } = elementwiseArrays(
    student,
    teacher,
    batch,
    ["studentValues", "teacherValues"],
    args,
    squared,
  );
  return { loss, metrics: { valueMse: loss }, grads: { studentValues: grad } };
}

/** `huberLoss` on arrays, with dLoss/dStudentValues (the slope clip(d, -delta, delta)). */
export function huberLossArrays(
  student: Float32Array,
  teacher: Float32Array,
  batch: number,
  args: ValueArrayArgs = {},
): ArrayLossResult {
  const delta = checkNumber("delta", args.delta ?? 1, { positive: true });
  const { loss, grad } = elementwiseArrays(
    student,
    teacher,
    batch,
    ["studentValues", "teacherValues"],
    args,
    (d) => {
      const a = Math.abs(d);
      const cl = Math.min(a, delta);
      return [0.5 * cl * cl + delta * (a - cl), Math.min(Math.max(d, -delta), delta)];
    },
  );
  return { loss, metrics: { huber: loss }, grads: { studentValues: grad } };
}
