/**
 * Policy distillation (Rusu et al. 2016, https://arxiv.org/abs/1511.06295): supervised learning
 * of the teacher's action distribution on teacher-labelled states, with any registry loss
 * (KL on softmax(z / tau) by default; tau on both sides, Hinton et al. 2015), optionally
 * teacher-prioritised sampling, and the state distribution chosen by the collector
 * (teacher-driven as in the paper, DAgger student-driven, or mixed with a scheduled beta).
 *
 * Value distillation (valueCoef > 0): a separate student value head regresses the teacher's
 * V(s) (actor-critic teachers) or Q(s, .) (Q teachers) alongside the policy, so the student
 * can be fine-tuned with RL afterwards without a cold critic.
 *
 *   L = L_policy(student, teacher; tau(p)) + valueCoef * MSE(V_student, V_teacher)
 */
import { ConfigError } from "../../core/errors.js";
import { type Scalar, tf } from "../../nn/backend.js";
import type { LossOutput } from "../../nn/optim.js";
import type { DistillContext, Distiller } from "../loop.js";
import { valueObjective } from "../objectives.js";
import { type BatchTensors, ReplayDistiller, trainMetrics } from "../replay-distiller.js";

/** Value-head width for value distillation from this teacher: 1 for V(s), the actions for Q(s, .). */
export function valueWidthFor(ctx: DistillContext): number {
  const { cfg, teacher } = ctx;
  if (!(cfg.valueCoef > 0)) return 0;
  if (teacher.kind === "q") return teacher.actionSize;
  if (!teacher.hasValue) {
    throw new ConfigError(
      "valueCoef",
      `${teacher.name} has no value head to distil (it gives ${teacher.kind} only); set valueCoef=0`,
    );
  }
  return 1;
}

export class PolicyDistiller extends ReplayDistiller {
  constructor(ctx: DistillContext) {
    super(
      ctx,
      ctx.newStudent({
        output: ctx.teacher.kind === "gaussian" ? "mean" : "logits",
        valueWidth: valueWidthFor(ctx),
      }),
    );
  }

  protected loss(b: BatchTensors, progress: number): LossOutput {
    const { objective, tau, cfg, teacher } = this.ctx;
    const f = this.student.forward(b.obs);
    const pol = objective(
      this.student,
      f.out,
      { teacherOut: b.teacherOut, teacherLogStd: b.teacherLogStd, weights: b.weights },
      tau(progress),
    );
    const metrics = trainMetrics(pol.metrics);
    if (!f.value) return { loss: pol.loss, metrics };
    const target = teacher.kind === "q" ? b.teacherOut : b.teacherValue!;
    const v = valueObjective(f.value, target, b.weights);
    metrics["train/value_mse"] = v.loss;
    return { loss: tf.add(pol.loss, tf.mul(v.loss, cfg.valueCoef)) as Scalar, metrics };
  }
}

export const policyDistiller = (ctx: DistillContext): Distiller => new PolicyDistiller(ctx);
