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
 * Per-layer weights come from `featureWeights` (default 1 each).
 *
 * Attention transfer (Zagoruyko and Komodakis 2017; loss "attention" in the registry) needs
 * convolutional feature maps on both sides; the students here are MLPs, so it is not offered.
 */
import { ConfigError } from "../../core/errors.js";
import type { LossOutput } from "../../nn/optim.js";
import { type FeatureConfigLike, type FeaturePairing, pairFeatures } from "../feature-pairs.js";
import type { DistillContext, Distiller } from "../loop.js";
import { createFeatureProjector, type FeatureProjector } from "../losses/features.js";
import { getLoss } from "../losses/registry.js";
import { type BatchTensors, ReplayDistiller, trainMetrics } from "../replay-distiller.js";

export class FeatureDistiller extends ReplayDistiller {
  private readonly projector: FeatureProjector;
  private readonly pairing: FeaturePairing;

  constructor(ctx: DistillContext) {
    const student = ctx.newStudent();
    const pairing = pairFeatures(ctx.teacher.features, student.hiddenInfo(), ctx.cfg as FeatureConfigLike);
    const projector = createFeatureProjector(pairing.pairs, ctx.rng.spawn(7));
    super(ctx, student, { features: pairing.pairs.map((p) => p.name), extraVariables: projector.variables });
    this.projector = projector;
    this.pairing = pairing;
  }

  protected loss(b: BatchTensors, progress: number): LossOutput {
    const { cfg, objective, tau } = this.ctx;
    const f = this.student.forward(b.obs);
    if (progress < cfg.featureStage) {
      const studentFeatures: Record<string, BatchTensors["obs"]> = {};
      for (const [teacherName, studentName] of this.pairing.studentOf) {
        studentFeatures[teacherName] = f.hidden[studentName] as BatchTensors["obs"];
      }
      const res = getLoss("feature-l2").fn(
        { studentFeatures, teacherFeatures: b.features, weights: b.weights },
        { projector: this.projector },
      );
      return { loss: res.loss, metrics: trainMetrics(res.metrics) };
    }
    const pol = objective(
      this.student,
      f.out,
      { teacherOut: b.teacherOut, teacherLogStd: b.teacherLogStd, weights: b.weights },
      tau(progress),
    );
    return { loss: pol.loss, metrics: trainMetrics(pol.metrics) };
  }

  override dispose(): void {
    this.projector.dispose();
    super.dispose();
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
