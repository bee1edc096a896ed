/**
 * The distillation terms every distiller shares, over the loss registry (src/distill/losses):
 * the policy term (student outputs against teacher outputs, any registry loss, tempered when the
 * loss takes a temperature) and the value term (student value head against the teacher's V(s) or
 * Q(s, .)). Distillers add their own terms (PPO, TD, features) on top.
 */
import { ConfigError } from "../core/errors.js";
import { type Tensor, type Tensor2D, tf } from "../nn/backend.js";
import type { LossResult } from "./losses/common.js";
import { getLoss, type LossInputs, type LossSpec, lossNames } from "./losses/registry.js";
import type { Student } from "./student.js";
import type { TeacherKind } from "./teacher.js";

/** Teacher targets for one batch. */
export interface PolicyTargets {
  /** Teacher logits, Q-values or Gaussian means [B, A]. */
  teacherOut: Tensor2D;
  /** Gaussian teachers: [B, A]. */
  teacherLogStd?: Tensor2D;
  /** Per-sample (importance) weights [B]. */
  weights?: Tensor;
}

/** A registry loss bound to how a teacher of one kind is compared with a student. */
export interface PolicyObjective {
  /** The registry loss actually used. */
  spec: LossSpec;
  /** student outputs [B, A] (logits, Q or means) against the targets at temperature tau. */
  (student: Student, out: Tensor2D, targets: PolicyTargets, tau: number): LossResult;
}

const POLICY_INPUTS = ["studentLogits", "teacherLogits"];

/**
 * The policy objective for loss `name` and a teacher of `kind`. Discrete teachers take every
 * registry loss on (student, teacher) logits; Gaussian teachers take `gaussian-kl` (`kl` is read
 * as the Gaussian KL there) or `gaussian-w2` (both need the teacher's log std), or `mean-mse` /
 * `mse` / `value-mse` on the means (a squashed SAC teacher's exported spec gives means only). Anything else is a ConfigError
 * naming the loss and the allowed ones. `scaleByTauSquared` multiplies a tempered loss by tau^2
 * (Hinton et al. 2015), for runs that mix it with other terms (distill.ts decides).
 */
export function policyObjective(
  name: string,
  kind: TeacherKind,
  opts: { scaleByTauSquared?: boolean } = {},
): PolicyObjective {
  const requested = getLoss(name, "loss");
  if (kind === "gaussian") {
    const allowed = ["kl", "gaussian-kl", "gaussian-w2", "mse", "mean-mse", "value-mse"];
    if (!allowed.includes(name)) {
      throw new ConfigError(
        "loss",
        `"${name}" does not apply to a Gaussian (continuous) teacher; allowed: ${allowed.join(", ")}`,
      );
    }
    if (name === "kl" || name === "gaussian-kl" || name === "gaussian-w2") {
      const spec = getLoss(name === "gaussian-w2" ? "gaussian-w2" : "gaussian-kl");
      return Object.assign(
        (student: Student, out: Tensor2D, t: PolicyTargets) => {
          if (!t.teacherLogStd)
            throw new ConfigError("loss", `${spec.name} needs a teacher with a log std; use mean-mse`);
          return spec.fn({
            studentMean: out,
            studentLogStd: student.logStdRows(out.shape[0]),
            teacherMean: t.teacherOut,
            teacherLogStd: t.teacherLogStd,
            weights: t.weights,
          });
        },
        { spec },
      );
    }
    if (name === "mean-mse") {
      const spec = getLoss("mean-mse");
      return Object.assign(
        (_s: Student, out: Tensor2D, t: PolicyTargets) =>
          spec.fn({ studentMean: out, teacherMean: t.teacherOut, weights: t.weights }),
        { spec },
      );
    }
    const spec = getLoss("value-mse");
    return Object.assign(
      (_s: Student, out: Tensor2D, t: PolicyTargets) =>
        spec.fn({ studentValues: out, teacherValues: t.teacherOut, weights: t.weights }),
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
  return Object.assign(
    (_s: Student, out: Tensor2D, t: PolicyTargets, tau: number) => {
      const inputs: LossInputs = { studentLogits: out, teacherLogits: t.teacherOut, weights: t.weights };
      return requested.fn(
        inputs,
        tempered ? { tau, scaleByTauSquared: opts.scaleByTauSquared === true } : {},
      );
    },
    { spec: requested },
  );
}

/** Value distillation: the student's value head [B, W] against the teacher's V [B] or Q [B, A]. */
export function valueObjective(studentValue: Tensor2D, teacherValue: Tensor, weights?: Tensor): LossResult {
  // A V head is [B, 1] and the teacher's V is [B]: compare them as [B].
  const student = teacherValue.rank === 1 ? tf.reshape(studentValue, [-1]) : studentValue;
  return getLoss("value-mse").fn({ studentValues: student, teacherValues: teacherValue, weights });
}
