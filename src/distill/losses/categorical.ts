/**
 * Losses between categorical (discrete-action) policies given as logits [B, A].
 *
 * The teacher's "logits" may also be Q-values: softmax(Q / tau) is then the target policy, as in
 * Rusu et al. 2016 (Policy Distillation), where KL with tau = 0.01 on a DQN teacher's Q-values
 * distilled best. The temperature divides BOTH teacher and student logits (Hinton et al. 2015;
 * CleanRL's QDagger does the same), so the student matches the tempered teacher with tempered
 * logits of its own and its greedy action is unchanged by tau.
 *
 * Notation: ls = log softmax(s / tau), lt = log softmax(t / tau) over the A actions of one sample;
 * ps = exp(ls), pt = exp(lt). Per-sample losses are reduced by `weightedMean` (common.ts).
 */

import { ConfigError } from "../../core/errors.js";
import { tf } from "../../nn/backend.js";
import { argmax, logSoftmax } from "../../nn/distributions.js";
import {
  type ArrayArgs,
  type ArrayLossResult,
  argmaxAgreement,
  checkBatch,
  checkRank,
  checkSameLength,
  checkSameShape,
  checkTau,
  type LossResult,
  meanEntropy,
  rowWidth,
  type SampleWeightArgs,
  sampleScales,
  temperedLogSoftmax,
  weightedMean,
} from "./common.js";

export interface TemperedArgs extends SampleWeightArgs {
  /** Temperature applied to teacher and student logits, > 0. Default 1. */
  tau?: number;
  /**
   * Multiply the loss by tau^2 (Hinton et al. 2015): the gradient of a tempered KL scales as
   * 1/tau^2, so this keeps its magnitude comparable across temperatures when the loss is mixed
   * with others. Default false.
   */
  scaleByTauSquared?: boolean;
}

function checkLogits(studentLogits: tf.Tensor, teacherLogits: tf.Tensor): void {
  checkRank("studentLogits", studentLogits, 2, "[batch, actions]");
  checkRank("teacherLogits", teacherLogits, 2, "[batch, actions]");
  checkSameShape("studentLogits", studentLogits, "teacherLogits", teacherLogits);
  checkBatch("studentLogits", studentLogits);
  if (studentLogits.shape[1]! < 1) throw new ConfigError("studentLogits", "needs at least one action");
}

/** Shared body of the tempered divergences: checks, log-probabilities, scaling, metrics. */
function tempered(
  studentLogits: tf.Tensor,
  teacherLogits: tf.Tensor,
  args: TemperedArgs,
  metricName: string,
  perSample: (ls: tf.Tensor, lt: tf.Tensor) => tf.Tensor,
): LossResult {
  checkLogits(studentLogits, teacherLogits);
  const tau = checkTau(args.tau ?? 1);
  if (args.scaleByTauSquared !== undefined && typeof args.scaleByTauSquared !== "boolean") {
    throw new ConfigError(
      "scaleByTauSquared",
      `expected true or false, got ${String(args.scaleByTauSquared)}`,
    );
  }
  const ls = temperedLogSoftmax(studentLogits, tau);
  const lt = temperedLogSoftmax(teacherLogits, tau);
  const divergence = weightedMean(perSample(ls, lt), args, "studentLogits");
  const loss = args.scaleByTauSquared ? tf.mul(divergence, tau * tau) : divergence;
  return {
    loss: loss as tf.Scalar,
    metrics: {
      [metricName]: divergence,
      agreement: argmaxAgreement(studentLogits, teacherLogits),
      studentEntropy: meanEntropy(ls),
      teacherEntropy: meanEntropy(lt),
    },
  };
}

/** sum_a exp(la) (la - lb): KL(pa || pb) per sample, from log-probabilities [B, A]. */
function klRows(la: tf.Tensor, lb: tf.Tensor): tf.Tensor {
  return tf.sum(tf.mul(tf.exp(la), tf.sub(la, lb)), -1);
}

/**
 * Forward KL, KL(pt || ps) = sum_a pt (lt - ls): mode-covering, the usual distillation loss
 * (Hinton et al. 2015; Rusu et al. 2016). Terms where pt underflows to 0 contribute exactly 0,
 * since lt itself stays finite.
 */
export function klLoss(
  studentLogits: tf.Tensor,
  teacherLogits: tf.Tensor,
  args: TemperedArgs = {},
): LossResult {
  return tempered(studentLogits, teacherLogits, args, "kl", (ls, lt) => klRows(lt, ls));
}

/**
 * Reverse KL, KL(ps || pt) = sum_a ps (ls - lt): mode-seeking; the student may drop teacher
 * actions but is penalised for putting mass where the teacher puts none (Czarnecki et al. 2019
 * discuss both directions).
 */
export function reverseKlLoss(
  studentLogits: tf.Tensor,
  teacherLogits: tf.Tensor,
  args: TemperedArgs = {},
): LossResult {
  return tempered(studentLogits, teacherLogits, args, "reverseKl", (ls, lt) => klRows(ls, lt));
}

/**
 * log(exp(a) + exp(b)) elementwise = max(a, b) + log1p(exp(-|a - b|)); exact and finite for
 * finite inputs, and built from ops whose gradients exist on every tfjs backend.
 */
function logAddExp(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.add(tf.maximum(a, b), tf.log1p(tf.exp(tf.neg(tf.abs(tf.sub(a, b))))));
}

/**
 * Jensen-Shannon divergence, JS = 1/2 KL(ps || m) + 1/2 KL(pt || m), m = (ps + pt) / 2, with
 * log m = logaddexp(ls, lt) - log 2 so that m never has to be formed and logged. Symmetric and
 * bounded by log 2, so a single confidently wrong action cannot dominate the batch.
 */
export function jsLoss(
  studentLogits: tf.Tensor,
  teacherLogits: tf.Tensor,
  args: TemperedArgs = {},
): LossResult {
  return tempered(studentLogits, teacherLogits, args, "js", (ls, lt) => {
    const lm = tf.sub(logAddExp(ls, lt), Math.LN2);
    return tf.mul(tf.add(klRows(ls, lm), klRows(lt, lm)), 0.5);
  });
}

/**
 * Negative log-likelihood of the teacher's greedy action, -log softmax(s)[argmax_a t] (the "NLL"
 * loss of Rusu et al. 2016: behaviour cloning of the teacher's argmax). The target is a one-hot
 * mask, not a gather, because `tf.gather` has no gradient on the wasm backend. Ties in the
 * teacher's argmax go to the lowest index.
 */
export function nllLoss(
  studentLogits: tf.Tensor,
  teacherLogits: tf.Tensor,
  args: SampleWeightArgs = {},
): LossResult {
  checkLogits(studentLogits, teacherLogits);
  const actions = studentLogits.shape[1]!;
  const target = tf.oneHot(tf.argMax(teacherLogits, -1), actions);
  const ls = tf.logSoftmax(studentLogits);
  const nll = weightedMean(tf.neg(tf.sum(tf.mul(target, ls), -1)), args, "studentLogits");
  return {
    loss: nll,
    metrics: {
      nll,
      agreement: argmaxAgreement(studentLogits, teacherLogits),
      studentEntropy: meanEntropy(ls),
    },
  };
}

// ---- array forms (tape-free training; see common.ts) ----------------------------------------

/**
 * Per-row divergence of log-probabilities ls (student), lt (teacher), with their exponentials ps,
 * pt, and its gradient dz with respect to the tempered student logits z = s / tau.
 */
type RowDivergence = (
  ls: Float64Array,
  lt: Float64Array,
  ps: Float64Array,
  pt: Float64Array,
  dz: Float64Array,
) => number;

function checkLogitArrays(student: Float32Array, teacher: Float32Array, batch: number): number {
  checkSameLength("studentLogits", student, "teacherLogits", teacher);
  return rowWidth("studentLogits", student, batch);
}

/** Shared body of the tempered divergences on arrays (the array form of `tempered`). */
function temperedArrays(
  student: Float32Array,
  teacher: Float32Array,
  batch: number,
  args: ArrayArgs<TemperedArgs>,
  metricName: string,
  row: RowDivergence,
): ArrayLossResult {
  const k = checkLogitArrays(student, teacher, batch);
  const tau = checkTau(args.tau ?? 1);
  if (args.scaleByTauSquared !== undefined && typeof args.scaleByTauSquared !== "boolean") {
    throw new ConfigError(
      "scaleByTauSquared",
      `expected true or false, got ${String(args.scaleByTauSquared)}`,
    );
  }
  const scale = args.scaleByTauSquared ? tau * tau : 1;
  const c = sampleScales(batch, args);
  const ls = new Float64Array(k);
  const lt = new Float64Array(k);
  const ps = new Float64Array(k);
  const pt = new Float64Array(k);
  const dz = new Float64Array(k);
  const grad = new Float32Array(batch * k);
  let divergence = 0;
  let agree = 0;
  let entS = 0;
  let entT = 0;
  for (let r = 0; r < batch; r++) {
    const o = r * k;
    logSoftmax(student, o, k, ls, tau, ps);
    logSoftmax(teacher, o, k, lt, tau, pt);
    for (let j = 0; j < k; j++) {
      entS -= ps[j]! * ls[j]!;
      entT -= pt[j]! * lt[j]!;
    }
    divergence += c[r]! * row(ls, lt, ps, pt, dz);
    const g = (c[r]! * scale) / tau;
    for (let j = 0; j < k; j++) grad[o + j] = g * dz[j]!;
    if (argmax(student, o, k) === argmax(teacher, o, k)) agree++;
  }
  return {
    loss: divergence * scale,
    metrics: {
      [metricName]: divergence,
      agreement: agree / batch,
      studentEntropy: entS / batch,
      teacherEntropy: entT / batch,
    },
    grads: { studentLogits: grad },
  };
}

/** KL(pt || ps) = sum pt (lt - ls); d/dz = ps - pt. */
const forwardKlRow: RowDivergence = (ls, lt, ps, pt, dz) => {
  let v = 0;
  for (let j = 0; j < ls.length; j++) {
    v += pt[j]! * (lt[j]! - ls[j]!);
    dz[j] = ps[j]! - pt[j]!;
  }
  return v;
};

/** KL(ps || pt) = f = sum ps (ls - lt); d/dz_j = ps_j ((ls_j - lt_j) - f). */
const reverseKlRow: RowDivergence = (ls, lt, ps, _pt, dz) => {
  let v = 0;
  for (let j = 0; j < ls.length; j++) v += ps[j]! * (ls[j]! - lt[j]!);
  for (let j = 0; j < ls.length; j++) dz[j] = ps[j]! * (ls[j]! - lt[j]! - v);
  return v;
};

/**
 * JS = (KL(ps || m) + KL(pt || m)) / 2 with log m = logaddexp(ls, lt) - log 2; dJS/dps_j =
 * (ls_j - lm_j) / 2 = g_j, so d/dz_j = ps_j (g_j - sum_k ps_k g_k).
 */
const jsRow: RowDivergence = (ls, lt, ps, pt, dz) => {
  let v = 0;
  let mean = 0;
  for (let j = 0; j < ls.length; j++) {
    const a = ls[j]!;
    const b = lt[j]!;
    const lm = Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b))) - Math.LN2;
    v += 0.5 * (ps[j]! * (a - lm) + pt[j]! * (b - lm));
    dz[j] = 0.5 * (a - lm);
    mean += ps[j]! * dz[j]!;
  }
  for (let j = 0; j < ls.length; j++) dz[j] = ps[j]! * (dz[j]! - mean);
  return v;
};

/** `klLoss` on arrays [batch, actions], with dLoss/dStudentLogits. */
export function klLossArrays(
  student: Float32Array,
  teacher: Float32Array,
  batch: number,
  args: ArrayArgs<TemperedArgs> = {},
): ArrayLossResult {
  return temperedArrays(student, teacher, batch, args, "kl", forwardKlRow);
}

/** `reverseKlLoss` on arrays, with dLoss/dStudentLogits. */
export function reverseKlLossArrays(
  student: Float32Array,
  teacher: Float32Array,
  batch: number,
  args: ArrayArgs<TemperedArgs> = {},
): ArrayLossResult {
  return temperedArrays(student, teacher, batch, args, "reverseKl", reverseKlRow);
}

/** `jsLoss` on arrays, with dLoss/dStudentLogits. */
export function jsLossArrays(
  student: Float32Array,
  teacher: Float32Array,
  batch: number,
  args: ArrayArgs<TemperedArgs> = {},
): ArrayLossResult {
  return temperedArrays(student, teacher, batch, args, "js", jsRow);
}

/** `nllLoss` on arrays: -log softmax(s)[argmax t] (first maximum on ties); d/ds = ps - onehot. */
export function nllLossArrays(
  student: Float32Array,
  teacher: Float32Array,
  batch: number,
  args: ArrayArgs<SampleWeightArgs> = {},
): ArrayLossResult {
  const k = checkLogitArrays(student, teacher, batch);
  const c = sampleScales(batch, args);
  const ls = new Float64Array(k);
  const grad = new Float32Array(batch * k);
  let nll = 0;
  let agree = 0;
  let entS = 0;
  for (let r = 0; r < batch; r++) {
    const o = r * k;
    logSoftmax(student, o, k, ls);
    const a = argmax(teacher, o, k);
    nll -= c[r]! * ls[a]!;
    for (let j = 0; j < k; j++) {
      const ps = Math.exp(ls[j]!);
      grad[o + j] = c[r]! * (ps - (j === a ? 1 : 0));
      entS -= ps * ls[j]!;
    }
    if (argmax(student, o, k) === a) agree++;
  }
  return {
    loss: nll,
    metrics: { nll, agreement: agree / batch, studentEntropy: entS / batch },
    grads: { studentLogits: grad },
  };
}
