/**
 * Attention transfer as a distiller (Zagoruyko and Komodakis 2017, "Paying More Attention to
 * Attention", https://arxiv.org/abs/1612.03928): the student's policy learns the teacher's outputs
 * while its convolutional layers learn where the teacher's look.
 *
 *   L = L_policy(student, teacher; tau) + sum_l beta_l * mean_i (a_s,l,i - a_t,l,i)^2
 *   a_l = Q_l / ||Q_l||_2,   Q_l,i = mean_c |F_l,i,c|^p   (one number per position i = (y, x))
 *
 * Teacher and student conv layers pair up from the output end (`attentionLayers`); their spatial
 * sizes must match, their channel counts need not (that is the point: no adapter). The teacher's
 * normalised maps are computed when its labels arrive and stored in their place (H*W numbers per
 * state instead of H*W*C). With several teachers' conv layers and one student conv layer, the last
 * teacher map is used. See src/distill/README.md for when it helps.
 */
import type { DistillSample } from "../buffer.js";
import { type AttentionPair, pairAttentionMaps } from "../feature-pairs.js";
import type { DistillContext, Distiller } from "../loop.js";
import { attentionMapArrays, attentionTransferToMaps } from "../losses/attention.js";
import { ReplayDistiller, type StepResult, sampleWeights, trainMetrics } from "../replay-distiller.js";
import type { TeacherBatch } from "../teacher.js";

/** Buffer name of a teacher layer's normalised attention map. */
const mapName = (teacherLayer: string) => `attention/${teacherLayer}`;

export class AttentionDistiller extends ReplayDistiller {
  readonly pairs: readonly AttentionPair[];

  constructor(ctx: DistillContext) {
    const student = ctx.newStudent();
    const pairs = pairAttentionMaps(ctx.teacher.features, student.hiddenInfo(), ctx.cfg);
    const p = ctx.cfg.attentionP;
    super(ctx, student, {
      derived: {
        features: pairs.map((x) => ({ name: mapName(x.teacher), size: x.positions })),
        requires: pairs.map((x) => x.teacher),
        compute: (labels: TeacherBatch) => {
          const out: Record<string, Float32Array> = {};
          for (const x of pairs) {
            out[mapName(x.teacher)] = attentionMapArrays(
              labels.features[x.teacher]!,
              labels.n,
              { positions: x.positions, channels: x.teacherChannels },
              p,
            );
          }
          return out;
        },
      },
    });
    this.pairs = pairs;
  }

  protected step(s: DistillSample, progress: number): StepResult {
    const { objective, tau, cfg } = this.ctx;
    const n = s.n;
    const weights = sampleWeights(s);
    const f = this.student.forward(s.obs, n);
    const pol = objective(
      this.student,
      f.out,
      { batch: n, teacherOut: s.teacherOut, teacherLogStd: s.teacherLogStd, weights },
      tau(progress),
    );
    const metrics = trainMetrics(pol.metrics);
    const hidden: Record<string, Float32Array> = {};
    let loss = pol.loss;
    for (const x of this.pairs) {
      const at = attentionTransferToMaps(
        this.student.hiddenActivation(x.student),
        s.features[mapName(x.teacher)]!,
        n,
        { positions: x.positions, channels: x.studentChannels },
        { p: cfg.attentionP, weights, scale: x.weight },
      );
      metrics[`train/attention/${x.student}`] = at.loss;
      loss += x.weight * at.loss;
      const g = hidden[x.student] ?? new Float32Array(at.grad.length);
      for (let i = 0; i < g.length; i++) g[i] = g[i]! + at.grad[i]!;
      hidden[x.student] = g;
    }
    this.student.backward({ out: pol.dOut, logStd: pol.dLogStd, hidden });
    return { loss, metrics };
  }
}

export const attentionDistiller = (ctx: DistillContext): Distiller => new AttentionDistiller(ctx);
