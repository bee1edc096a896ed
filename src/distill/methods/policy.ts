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
 * Greedy-action term (argmaxCoef > 0, discrete teachers): cross-entropy on the teacher's argmax
 * beside the policy loss. Agreement and greedy return judge the student's argmax; where a
 * stochastic teacher's top two actions are nearly tied, the KL alone barely cares which side of
 * the tie the student lands on, this term does.
 *
 * Critic-guided term (criticGuideCoef = alpha > 0; Gaussian teachers saved with a Q critic,
 * loss mean-mse): TD3+BC's actor objective (Fujimoto & Gu 2021) with the teacher's fixed critic
 * and the teacher's action as the regression target. MSE weighs every action error alike; the
 * critic says which ones cost return (objectives.ts, criticGuideObjective).
 *
 *   L = L_policy(student, teacher; tau(p)) + argmaxCoef * CE(student, argmax teacher)
 *       + valueCoef * MSE(V_student, V_teacher)
 *       - lambda * mean_b Q1_teacher(s_b, clip(mu_b)),  lambda = alpha(p) / mean_b |Q1| (constant)
 */
import { ConfigError } from "../../core/errors.js";
import { parseSchedule, type Schedule, scheduleRange } from "../../core/schedules.js";
import type { Box } from "../../core/spaces.js";
import type { DistillSample } from "../buffer.js";
import type { DistillContext, Distiller } from "../loop.js";
import { getLoss } from "../losses/registry.js";
import { addScaled, criticGuideObjective, scaled, valueObjective } from "../objectives.js";
import { ReplayDistiller, type StepResult, sampleWeights, trainMetrics } from "../replay-distiller.js";

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

/**
 * The criticGuideCoef schedule, checked against the teacher and the loss (before any work):
 * undefined when the term is off throughout.
 */
export function criticGuideFor(ctx: DistillContext): Schedule | undefined {
  const { cfg, teacher } = ctx;
  const coef = parseSchedule(cfg.criticGuideCoef ?? "0", "criticGuideCoef");
  const [lo, hi] = scheduleRange(coef);
  if (lo < 0)
    throw new ConfigError("criticGuideCoef", `takes values down to ${lo}; allowed: a weight >= 0 throughout`);
  if (hi === 0) return undefined;
  if (teacher.kind !== "gaussian" || !teacher.qCritic) {
    throw new ConfigError(
      "criticGuideCoef",
      `${teacher.name} has no Q critic to guide with (a ${teacher.kind} teacher${teacher.kind === "gaussian" ? " without saved critics" : ""}); allowed: a continuous SAC or TD3 agent checkpoint (its twin critics are saved with it), else criticGuideCoef=0`,
    );
  }
  if (cfg.loss !== "mean-mse")
    throw new ConfigError(
      "criticGuideCoef",
      `applies with loss mean-mse (the regression TD3+BC adds it to), got loss ${cfg.loss}; set loss=mean-mse or criticGuideCoef=0`,
    );
  return coef;
}

export class PolicyDistiller extends ReplayDistiller {
  /** criticGuideCoef by progress; undefined when off. */
  private readonly criticGuide?: Schedule;

  constructor(ctx: DistillContext) {
    super(
      ctx,
      ctx.newStudent({
        output: ctx.teacher.kind === "gaussian" ? "mean" : "logits",
        valueWidth: valueWidthFor(ctx),
      }),
    );
    if (ctx.cfg.argmaxCoef > 0 && ctx.teacher.kind === "gaussian") {
      throw new ConfigError(
        "argmaxCoef",
        `${ctx.teacher.name} has continuous actions: there is no greedy action to classify; set argmaxCoef=0`,
      );
    }
    this.criticGuide = criticGuideFor(ctx);
  }

  /** The greedy-action cross-entropy, tape-free (loss nll). */
  private readonly argmaxLoss = getLoss("nll").arrays!;

  protected step(s: DistillSample, progress: number): StepResult {
    const { objective, tau, cfg, teacher } = this.ctx;
    const n = s.n;
    const weights = sampleWeights(s);
    const f = this.student.forward(s.obs, n);
    const targets = { batch: n, teacherOut: s.teacherOut, teacherLogStd: s.teacherLogStd, weights };
    const pol = objective(this.student, f.out, targets, tau(progress));
    const metrics = trainMetrics(pol.metrics);
    if (cfg.argmaxCoef > 0) {
      const ce = this.argmaxLoss({ batch: n, studentLogits: f.out, teacherLogits: s.teacherOut, weights });
      metrics["train/argmax_nll"] = ce.loss;
      pol.loss += cfg.argmaxCoef * ce.loss;
      pol.dOut = addScaled(pol.dOut, ce.grads.studentLogits!, cfg.argmaxCoef);
    }
    const guide = this.criticGuide?.(progress) ?? 0;
    if (guide > 0) {
      const box = teacher.actionSpace as Box;
      const g = criticGuideObjective(teacher.qCritic!, s.obs, f.out, n, box, guide, weights);
      Object.assign(metrics, g.metrics);
      pol.loss += g.loss;
      pol.dOut = addScaled(pol.dOut, g.dOut, 1);
    }
    if (!f.value) {
      this.student.backward({ out: pol.dOut, logStd: pol.dLogStd });
      return { loss: pol.loss, metrics };
    }
    const target = teacher.kind === "q" ? s.teacherOut : s.teacherValue!;
    const v = valueObjective(f.value, target, n, weights);
    metrics["train/value_mse"] = v.loss;
    this.student.backward({ out: pol.dOut, logStd: pol.dLogStd, value: scaled(v.dOut, cfg.valueCoef) });
    return { loss: pol.loss + cfg.valueCoef * v.loss, metrics };
  }
}

export const policyDistiller = (ctx: DistillContext): Distiller => new PolicyDistiller(ctx);
