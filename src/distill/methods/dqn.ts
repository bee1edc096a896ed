/**
 * Q-value distillation (Rusu et al. 2016, https://arxiv.org/abs/1511.06295): a Q-network student
 * learns a DQN teacher's Q-values on teacher-labelled replay.
 *
 *   L_distill = KL(softmax(Q_t / tau) || softmax(Q_s / tau))        (cfg.loss, kl by default)
 *             + advantageCoef * MSE(A_s, A_t)                        A = Q - mean_a Q
 *             + stateValueCoef * MSE(mean_a Q_s, mean_a Q_t)
 *   L = alpha * L_distill + (1 - alpha) * Huber(Q_s(s, a), r + gamma (1 - done) max_a' Q_target(s', a'))
 *
 * The softmax target with a low temperature carries the teacher's action ranking (Rusu et al.
 * found tau = 0.01 best, MSE on raw Q worst). It is blind to a per-state offset of Q, so the dual
 * target adds the Q = V + A decomposition: the advantages (the ranking, with scale) and the state
 * value (the offset) with their own weights; with both on, the student's Q matches the teacher's
 * and can keep learning by TD. The TD mix (alpha < 1) is CleanRL's DQN loss against a target
 * network copied every `targetUpdate` steps, on the same replay. Teacher-prioritised sampling by
 * Q-gap (prioritisation=qgap) spends updates where the teacher's greedy choice is clear.
 */
import { ConfigError } from "../../core/errors.js";
import { type Scalar, type Tensor, tf } from "../../nn/backend.js";
import { pickActions } from "../../nn/ops.js";
import type { LossOutput } from "../../nn/optim.js";
import { Sequential } from "../../nn/sequential.js";
import type { DistillContext, Distiller } from "../loop.js";
import { getLoss } from "../losses/registry.js";
import { type BatchTensors, ReplayDistiller, trainMetrics } from "../replay-distiller.js";

function centred(q: Tensor): Tensor {
  return tf.sub(q, tf.mean(q, -1, true));
}

export class DqnDistiller extends ReplayDistiller {
  private readonly target: Sequential;

  constructor(ctx: DistillContext) {
    if (ctx.teacher.kind !== "q") {
      throw new ConfigError(
        "method",
        `dqn distils Q-values, but ${ctx.teacher.name} gives ${ctx.teacher.kind}; use --method policy`,
      );
    }
    super(ctx, ctx.newStudent({ output: "q" }), { transitions: true });
    this.target = Sequential.fromSpec(this.student.net.toSpec(), "student-target");
  }

  protected loss(b: BatchTensors, progress: number): LossOutput {
    const { cfg, objective, tau, alpha } = this.ctx;
    const q = this.student.forward(b.obs).out;
    const kd = objective(this.student, q, { teacherOut: b.teacherOut, weights: b.weights }, tau(progress));
    const metrics = trainMetrics(kd.metrics);
    const mse = getLoss("value-mse");
    let distill: Tensor = kd.loss;
    if (cfg.advantageCoef > 0) {
      const adv = mse.fn({
        studentValues: centred(q),
        teacherValues: centred(b.teacherOut),
        weights: b.weights,
      });
      metrics["train/advantage_mse"] = adv.loss;
      distill = tf.add(distill, tf.mul(adv.loss, cfg.advantageCoef));
    }
    if (cfg.stateValueCoef > 0) {
      const v = mse.fn({
        studentValues: tf.mean(q, -1),
        teacherValues: tf.mean(b.teacherOut, -1),
        weights: b.weights,
      });
      metrics["train/value_mse"] = v.loss;
      distill = tf.add(distill, tf.mul(v.loss, cfg.stateValueCoef));
    }
    const a = alpha(progress);
    if (a >= 1) return { loss: distill as Scalar, metrics };
    const next = this.target.forward(this.student.input(b.nextObs!)).out;
    const notDone = tf.sub(1, b.terminated!);
    const y = tf.add(b.rewards!, tf.mul(tf.mul(tf.max(next, -1), notDone), cfg.gamma));
    const td = getLoss("huber").fn({
      studentValues: pickActions(q, b.actions!),
      teacherValues: y,
      weights: b.weights,
    });
    metrics["train/td_loss"] = td.loss;
    return { loss: tf.add(tf.mul(distill, a), tf.mul(td.loss, 1 - a)) as Scalar, metrics };
  }

  protected override afterStep(): void {
    if (this.updates % this.ctx.cfg.targetUpdate === 0) this.target.copyWeightsFrom(this.student.net);
  }

  override dispose(): void {
    this.target.dispose();
    super.dispose();
  }
}

export const dqnDistiller = (ctx: DistillContext): Distiller => new DqnDistiller(ctx);
