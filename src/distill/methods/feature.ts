/**
 * Feature distillation, staged as in FitNets (Romero et al. 2015, https://arxiv.org/abs/1412.6550):
 *
 *   progress < featureStage:  L = sum_l w_l * || P_l(h_student,l) - h_teacher,l ||^2   (hints)
 *   afterwards:               L = L_policy(student, teacher; tau)                      (outputs)
 *
 * P_l is a learned linear projection where the widths differ (src/distill/losses/features.ts),
 * trained with the student and dropped at deployment. Layers pair up from the output end: the
 * student's last hidden layer with the teacher's last (or with the teacher features listed in
 * `featureLayers`, in order), so a shallower student matches the teacher's most abstract layers.
 * Per-layer weights come from `featureWeights` (default 1 each). Conv maps of the same spatial
 * size pair per position: P_l is then a learned 1x1 convolution from the student's channels to
 * the teacher's (feature-pairs.ts).
 *
 * With `featureCoef` > 0 the hints stay on after the stage, alongside the policy loss:
 *
 *   afterwards:  L = L_policy + featureCoef * sum_l w_l || P_l(h_s,l) - h_t,l ||^2
 *
 * (featureStage = 0, featureCoef = 1: KL + feature distillation from the first step.)
 */
import { ConfigError } from "../../core/errors.js";
import type { DistillSample } from "../buffer.js";
import { type FeatureConfigLike, type FeaturePairing, pairFeatures } from "../feature-pairs.js";
import type { DistillContext, Distiller } from "../loop.js";
import { type ArrayFeatureProjector, createArrayFeatureProjector } from "../losses/features.js";
import { getLoss } from "../losses/registry.js";
import { ReplayDistiller, type StepResult, sampleWeights, trainMetrics } from "../replay-distiller.js";

export class FeatureDistiller extends ReplayDistiller {
  private readonly projector: ArrayFeatureProjector;
  private readonly pairing: FeaturePairing;

  constructor(ctx: DistillContext) {
    const student = ctx.newStudent();
    const pairing = pairFeatures(ctx.teacher.features, student.hiddenInfo(), ctx.cfg as FeatureConfigLike);
    const projector = createArrayFeatureProjector(pairing.pairs, ctx.rng.spawn(7));
    super(ctx, student, {
      features: pairing.pairs.map((p) => p.name),
      extraParams: [{ values: projector.values, grad: projector.grad, sizes: projector.sizes }],
    });
    this.projector = projector;
    this.pairing = pairing;
  }

  /** The hint loss on this batch's features (after the forward): its value, metrics and dLoss/dHidden by student layer. */
  private hints(s: DistillSample, scale: number) {
    const studentFeatures: Record<string, Float32Array> = {};
    for (const [teacherName, studentName] of this.pairing.studentOf) {
      studentFeatures[teacherName] = this.student.hiddenActivation(studentName);
    }
    const res = getLoss("feature-l2").arrays!(
      { batch: s.n, studentFeatures, teacherFeatures: s.features, weights: sampleWeights(s) },
      { projector: this.projector },
    );
    const hidden: Record<string, Float32Array> = {};
    for (const [teacherName, studentName] of this.pairing.studentOf) {
      const g = res.grads.studentFeatures![teacherName]!;
      const prev = hidden[studentName] ?? new Float32Array(g.length);
      for (let i = 0; i < g.length; i++) prev[i] = prev[i]! + scale * g[i]!;
      hidden[studentName] = prev;
    }
    if (scale !== 1) for (let i = 0; i < this.projector.grad.length; i++) this.projector.grad[i]! *= scale;
    return { loss: res.loss, metrics: res.metrics, hidden };
  }

  protected step(s: DistillSample, progress: number): StepResult {
    const { cfg, objective, tau } = this.ctx;
    const n = s.n;
    const f = this.student.forward(s.obs, n);
    if (progress < cfg.featureStage) {
      const h = this.hints(s, 1);
      this.student.backward({ hidden: h.hidden });
      return { loss: h.loss, metrics: trainMetrics(h.metrics) };
    }
    const pol = objective(
      this.student,
      f.out,
      { batch: n, teacherOut: s.teacherOut, teacherLogStd: s.teacherLogStd, weights: sampleWeights(s) },
      tau(progress),
    );
    if (!(cfg.featureCoef > 0)) {
      this.student.backward({ out: pol.dOut, logStd: pol.dLogStd });
      // The projections are not in this loss: Adam leaves them alone (as the tape would).
      return { loss: pol.loss, metrics: trainMetrics(pol.metrics), active: [true, false] };
    }
    const h = this.hints(s, cfg.featureCoef);
    this.student.backward({ out: pol.dOut, logStd: pol.dLogStd, hidden: h.hidden });
    return {
      loss: pol.loss + cfg.featureCoef * h.loss,
      metrics: trainMetrics({ ...pol.metrics, ...h.metrics }),
    };
  }
}

export const featureDistiller = (ctx: DistillContext): Distiller => {
  if (ctx.teacher.features.length === 0) {
    throw new ConfigError(
      "method",
      `feature distillation needs a teacher with hidden features; ${ctx.teacher.name} has none`,
    );
  }
  return new FeatureDistiller(ctx);
};
