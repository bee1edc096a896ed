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

  protected step(s: DistillSample, progress: number): StepResult {
    const { cfg, objective, tau } = this.ctx;
    const n = s.n;
    const weights = sampleWeights(s);
    const f = this.student.forward(s.obs, n);
    if (progress < cfg.featureStage) {
      const studentFeatures: Record<string, Float32Array> = {};
      for (const [teacherName, studentName] of this.pairing.studentOf) {
        studentFeatures[teacherName] = this.student.hiddenActivation(studentName);
      }
      const res = getLoss("feature-l2").arrays!(
        { batch: n, studentFeatures, teacherFeatures: s.features, weights },
        { projector: this.projector },
      );
      const hidden: Record<string, Float32Array> = {};
      for (const [teacherName, studentName] of this.pairing.studentOf) {
        const g = res.grads.studentFeatures![teacherName]!;
        const prev = hidden[studentName];
        hidden[studentName] = prev ? prev.map((v, i) => v + g[i]!) : g;
      }
      this.student.backward({ hidden });
      return { loss: res.loss, metrics: trainMetrics(res.metrics) };
    }
    const pol = objective(
      this.student,
      f.out,
      { batch: n, teacherOut: s.teacherOut, teacherLogStd: s.teacherLogStd, weights },
      tau(progress),
    );
    this.student.backward({ out: pol.dOut, logStd: pol.dLogStd });
    // The projections are not in this loss: Adam leaves them alone (as the tape would).
    return { loss: pol.loss, metrics: trainMetrics(pol.metrics), active: [true, false] };
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
