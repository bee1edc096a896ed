/**
 * The distillation terms every distiller shares, over the loss registry (src/distill/losses) in
 * its tape-free array form: the policy term (student outputs against teacher outputs, any
 * registry loss, tempered when the loss takes a temperature) and the value term (student value
 * head against the teacher's V(s) or Q(s, .)). Each returns the loss, its metrics and its
 * gradient with respect to the student's outputs, ready for `Student.backward`. Distillers add
 * their own terms (PPO, TD, features) on top.
 */
import { ConfigError } from "../core/errors.js";
import { type ArrayLossResult, sampleScales } from "./losses/common.js";
import { getLoss, type LossArrays, type LossSpec, lossNames } from "./losses/registry.js";
import type { Student } from "./student.js";
import type { TeacherKind } from "./teacher.js";
import type { TeacherCritic } from "./teachers/critic.js";

/** Teacher targets for one batch of `batch` rows. */
export interface PolicyTargets {
  batch: number;
  /** Teacher logits, Q-values or Gaussian means [B, A]. */
  teacherOut: Float32Array;
  /** Gaussian teachers: [B, A]. */
  teacherLogStd?: Float32Array;
  /** Per-sample (importance) weights [B]. */
  weights?: Float32Array;
}

/** A loss term's value, metrics and gradients with respect to the student's outputs. */
export interface ObjectiveResult {
  loss: number;
  metrics: Record<string, number>;
  /** dLoss/dOut [B, A]. */
  dOut: Float32Array;
  /** Gaussian students: dLoss/dLogStd per row [B, A]. */
  dLogStd?: Float32Array;
}

/** A registry loss bound to how a teacher of one kind is compared with a student. */
export interface PolicyObjective {
  /** The registry loss actually used. */
  spec: LossSpec;
  /** student outputs [B, A] (logits, Q or means) against the targets at temperature tau. */
  (student: Student, out: Float32Array, targets: PolicyTargets, tau: number): ObjectiveResult;
}

const POLICY_INPUTS = ["studentLogits", "teacherLogits"];

function arraysOf(spec: LossSpec): NonNullable<LossSpec["arrays"]> {
  if (!spec.arrays) throw new ConfigError("loss", `"${spec.name}" has no tape-free form to train with`);
  return spec.arrays;
}

function onOutputs(
  res: ArrayLossResult,
  key: "studentLogits" | "studentMean" | "studentValues",
): ObjectiveResult {
  return { loss: res.loss, metrics: res.metrics, dOut: res.grads[key]!, dLogStd: res.grads.studentLogStd };
}

/** Losses on a Gaussian teacher that fit the student's log std as well as its mean. */
const GAUSSIAN_STD_LOSSES = ["kl", "gaussian-kl", "gaussian-w2"];
/** Losses on a Gaussian teacher that fit the means only (its log std stays at its initial 0). */
const GAUSSIAN_MEAN_LOSSES = ["mse", "mean-mse", "value-mse"];

/**
 * Whether the student acts greedily when it collects (`studentDeterministic`). "auto" is greedy
 * exactly when sampling would use an untrained std: a Gaussian student whose loss fits its mean
 * only (mean-mse, mse, value-mse; kl, gaussian-kl and gaussian-w2 train the log std) keeps its
 * initial std of 1, and on a [-1, 1] box that noise is as large as the actions (on Hopper-v5 it
 * filled the buffer with falls: bench/README.md). Students of discrete teachers sample from the
 * distribution they are trained on. Booleans are configs saved before the field took "auto".
 */
export function studentActsGreedily(setting: string | boolean, kind: TeacherKind, loss: string): boolean {
  if (setting === true || setting === "true") return true;
  if (setting === false || setting === "false") return false;
  return kind === "gaussian" && !GAUSSIAN_STD_LOSSES.includes(loss);
}

/**
 * The policy objective for loss `name` and a teacher of `kind`. Discrete teachers take every
 * registry loss on (student, teacher) logits; Gaussian teachers take `gaussian-kl` (`kl` is read
 * as the Gaussian KL there) or `gaussian-w2` (both need the teacher's log std), or `mean-mse` /
 * `mse` / `value-mse` on the means (a squashed SAC teacher's exported spec gives means only).
 * Anything else is a ConfigError naming the loss and the allowed ones. `scaleByTauSquared`
 * multiplies a tempered loss by tau^2 (Hinton et al. 2015), for runs that mix it with other terms
 * (distill.ts decides).
 */
export function policyObjective(
  name: string,
  kind: TeacherKind,
  opts: { tauMode?: TauMode; scaleByTauSquared?: boolean } = {},
): PolicyObjective {
  const requested = getLoss(name, "loss");
  if (kind === "gaussian") {
    const allowed = [...GAUSSIAN_STD_LOSSES, ...GAUSSIAN_MEAN_LOSSES];
    if (!allowed.includes(name)) {
      throw new ConfigError(
        "loss",
        `"${name}" does not apply to a Gaussian (continuous) teacher; allowed: ${allowed.join(", ")}`,
      );
    }
    if (GAUSSIAN_STD_LOSSES.includes(name)) {
      const spec = getLoss(name === "gaussian-w2" ? "gaussian-w2" : "gaussian-kl");
      const fn = arraysOf(spec);
      return Object.assign(
        (student: Student, out: Float32Array, t: PolicyTargets) => {
          if (!t.teacherLogStd)
            throw new ConfigError("loss", `${spec.name} needs a teacher with a log std; use mean-mse`);
          const res = fn({
            batch: t.batch,
            studentMean: out,
            studentLogStd: student.logStdRows(t.batch),
            teacherMean: t.teacherOut,
            teacherLogStd: t.teacherLogStd,
            weights: t.weights,
          });
          return onOutputs(res, "studentMean");
        },
        { spec },
      );
    }
    if (name === "mean-mse") {
      const spec = getLoss("mean-mse");
      const fn = arraysOf(spec);
      return Object.assign(
        (_s: Student, out: Float32Array, t: PolicyTargets) =>
          onOutputs(
            fn({ batch: t.batch, studentMean: out, teacherMean: t.teacherOut, weights: t.weights }),
            "studentMean",
          ),
        { spec },
      );
    }
    const spec = getLoss("value-mse");
    const fn = arraysOf(spec);
    return Object.assign(
      (_s: Student, out: Float32Array, t: PolicyTargets) =>
        onOutputs(
          fn({ batch: t.batch, studentValues: out, teacherValues: t.teacherOut, weights: t.weights }),
          "studentValues",
        ),
      { spec },
    );
  }
  const fitsLogits = requested.inputs.every((i) => POLICY_INPUTS.includes(i));
  if (!fitsLogits || requested.continuousOnly) {
    const ok = lossNames.filter((n) => {
      const s = getLoss(n);
      return !s.continuousOnly && s.inputs.every((i) => POLICY_INPUTS.includes(i));
    });
    throw new ConfigError(
      "loss",
      `"${name}" does not compare action outputs of a discrete teacher; allowed: ${ok.join(", ")}` +
        (name === "feature-l2" || name === "attention" ? " (hidden features: use --method feature)" : ""),
    );
  }
  const tempered = requested.options.includes("tau");
  const fn = arraysOf(requested);
  const spread = kind === "q" && opts.tauMode === "spread";
  return Object.assign(
    (_s: Student, out: Float32Array, t: PolicyTargets, tau: number) => {
      const inputs: LossArrays = {
        batch: t.batch,
        studentLogits: out,
        teacherLogits: spread ? spreadScaled(t.teacherOut, t.batch, out.length / t.batch) : t.teacherOut,
        weights: t.weights,
      };
      const options = tempered ? { tau, scaleByTauSquared: opts.scaleByTauSquared === true } : {};
      return onOutputs(fn(inputs, options), "studentLogits");
    },
    { spec: requested },
  );
}

/**
 * How tau applies to a Q-value teacher: "fixed" divides its Q-values by tau (Rusu et al. 2016);
 * "spread" divides each state's Q-values by tau times their standard deviation over the actions,
 * so the target's sharpness does not depend on the scale of that state's values (near-tied
 * actions stay near-tied, clear choices stay clear, whatever the reward scale). Logit teachers
 * are unaffected.
 */
export type TauMode = "fixed" | "spread";
export const TAU_MODES: readonly TauMode[] = ["fixed", "spread"];

/** Each row of Q [n, k] divided by its standard deviation over the k actions (+ 1e-6): Q / std_a(Q). */
export function spreadScaled(q: Float32Array, n: number, k: number): Float32Array {
  const out = new Float32Array(n * k);
  for (let r = 0; r < n; r++) {
    let mean = 0;
    for (let j = 0; j < k; j++) mean += q[r * k + j]!;
    mean /= k;
    let v = 0;
    for (let j = 0; j < k; j++) v += (q[r * k + j]! - mean) ** 2;
    const std = Math.sqrt(v / k) + 1e-6;
    for (let j = 0; j < k; j++) out[r * k + j] = q[r * k + j]! / std;
  }
  return out;
}

/**
 * Value distillation: the student's value head [B, W] against the teacher's V [B] or Q [B, A]
 * (value-mse); the gradient is with respect to the value head's output.
 */
export function valueObjective(
  studentValue: Float32Array,
  teacherValue: Float32Array,
  batch: number,
  weights?: Float32Array,
): ObjectiveResult {
  if (studentValue.length !== teacherValue.length) {
    throw new ConfigError(
      "valueCoef",
      `the student's value head gives ${studentValue.length / batch} values per state, the teacher ${teacherValue.length / batch}`,
    );
  }
  const res = getLoss("value-mse").arrays!({
    batch,
    studentValues: studentValue,
    teacherValues: teacherValue,
    weights,
  });
  return onOutputs(res, "studentValues");
}

/** Floor on mean |Q| in lambda's denominator, so a critic near 0 on a batch gives a finite weight. */
const CRITIC_Q_FLOOR = 1e-6;

/**
 * The critic-guided term of TD3+BC's actor objective (Fujimoto & Gu 2021), with the teacher's
 * fixed critic: -lambda * mean_b Q1(s_b, clip(mu_b, low, high)), lambda = alpha / mean_b |Q1|
 * taken as a constant (not differentiated), as their code does (Q at the policy's own action).
 * Rows are weighted as the registry losses weight them (1 / B, or w_b / B with importance
 * weights), so beside mean-mse (its gradient 2 (mu - a) / (B * A)) the two terms keep the
 * formula's relative scale. The deployed action is clipped to the box, so dQ/dmu is 0 in a
 * dimension where mu lies outside it.
 */
export function criticGuideObjective(
  critic: TeacherCritic,
  obs: Float32Array,
  mean: Float32Array,
  batch: number,
  box: { low: ArrayLike<number>; high: ArrayLike<number> },
  alpha: number,
  weights?: Float32Array,
): ObjectiveResult {
  const A = mean.length / batch;
  const action = new Float32Array(mean.length);
  for (let i = 0; i < mean.length; i++)
    action[i] = Math.min(Math.max(mean[i]!, box.low[i % A]!), box.high[i % A]!);
  const { q, dQda } = critic.q1WithActionGrad(obs, action, batch);
  const c = sampleScales(batch, { weights });
  let absQ = 0;
  let meanQ = 0;
  let loss = 0;
  for (let b = 0; b < batch; b++) {
    absQ += Math.abs(q[b]!);
    meanQ += q[b]!;
    loss += c[b]! * q[b]!;
  }
  const lambda = alpha / Math.max(absQ / batch, CRITIC_Q_FLOOR);
  const dOut = new Float32Array(mean.length);
  for (let i = 0; i < mean.length; i++) {
    const b = Math.floor(i / A);
    if (action[i] === mean[i]) dOut[i] = -lambda * c[b]! * dQda[i]!;
  }
  return {
    loss: -lambda * loss,
    metrics: { "train/critic_q": meanQ / batch, "train/critic_lambda": lambda },
    dOut,
  };
}

/** a + c * b, elementwise into a new array (combining gradients of loss terms). */
export function addScaled(a: Float32Array, b: Float32Array, c: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + c * b[i]!;
  return out;
}

/** c * a, elementwise into a new array. */
export function scaled(a: Float32Array, c: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = c * a[i]!;
  return out;
}
