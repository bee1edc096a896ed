/**
 * Teacher-feature residual student: during training the student's last hidden layer also
 * receives a teacher feature through a learned linear adapter, gated by g(p) that anneals from 1
 * to 0 by `adapterEnd` of training:
 *
 *   h_L = act(h_{L-1} W_L + b_L + g(p) (f_teacher A + c)),   g(p) = max(0, 1 - p / adapterEnd)
 *
 * trained with the policy loss on the output. After adapterEnd the gate is 0 and the rest of
 * the budget trains the plain student, which is what is evaluated, saved and deployed: the
 * teacher is not needed at inference.
 *
 * When it helps, and when not (measured with bench/distill.ts and 6-unit students over 3000 steps,
 * seeds 1-3): on Acrobot-v1 and CartPole-v1 it did not beat plain policy distillation (final
 * agreement 0.955 / 0.961 / 0.970 against 0.954 / 0.961 / 0.962 on Acrobot), and its early
 * checkpoints, evaluated without the adapter as deployed, were worse (agreement at 20%: 0.40-0.89
 * against 0.92): the adapter carries the decision while the gate is open. The mechanism pays
 * when the student's own layers learn features slowly relative to the budget (deep or
 * convolutional students on image observations, very short budgets) and the teacher's features
 * are informative: the head is trained on good features at once, and the student's layers then
 * learn, through the same output loss, to supply what the gate withdraws. Keep adapterEnd well
 * before 1, so the plain student has time to recover after the gate closes.
 */
import { ConfigError } from "../../core/errors.js";
import { type Tensor, tf, type Variable } from "../../nn/backend.js";
import { activate, dense } from "../../nn/ops.js";
import type { LossOutput } from "../../nn/optim.js";
import type { Activation } from "../../nn/spec.js";
import { pairFeatures } from "../feature-pairs.js";
import type { DistillContext, Distiller } from "../loop.js";
import { type BatchTensors, ReplayDistiller, trainMetrics } from "../replay-distiller.js";

/** The adapter gate at progress p: 1 at the start, 0 from adapterEnd on. */
export function adapterGate(progress: number, adapterEnd: number): number {
  return Math.max(0, 1 - progress / adapterEnd);
}

export class ResidualDistiller extends ReplayDistiller {
  private readonly feature: string;
  private readonly kernel: Variable;
  private readonly bias: Variable;

  constructor(ctx: DistillContext) {
    const student = ctx.newStudent();
    const hidden = student.hiddenInfo();
    // The adapter feeds the student's last hidden layer from one teacher feature: the last chosen.
    const pairing = pairFeatures(ctx.teacher.features, hidden.slice(-1), { ...ctx.cfg, featureWeights: "" });
    const pair = pairing.pairs[pairing.pairs.length - 1];
    if (!pair)
      throw new ConfigError(
        "method",
        `residual needs a teacher with hidden features; ${ctx.teacher.name} has none`,
      );
    const rng = ctx.rng.spawn(11);
    // Small initial adapter (Glorot limit / 10) so the student's own path is not swamped at start.
    const limit = Math.sqrt(6 / (pair.teacherWidth + pair.studentWidth)) / 10;
    const values = rng.fillUniform(new Float32Array(pair.teacherWidth * pair.studentWidth), -limit, limit);
    // Inside tidy, so the initial tensors (sharing the variables' data) are released.
    const kernel = tf.tidy(() =>
      tf.variable(tf.tensor2d(values, [pair.teacherWidth, pair.studentWidth]), true),
    );
    const bias = tf.tidy(() => tf.variable(tf.zeros([pair.studentWidth]), true));
    super(ctx, student, { features: [pair.name], extraVariables: [kernel, bias] });
    this.feature = pair.name;
    this.kernel = kernel;
    this.bias = bias;
  }

  /** The student's forward with the gated adapter on its last hidden layer. */
  private forward(obs: Tensor, teacherFeature: Tensor, gate: number): Tensor {
    const params = this.student.net.params;
    const act = this.ctx.cfg.studentActivation as Activation;
    const depth = this.student.hidden.length;
    let h = this.student.input(obs);
    for (let i = 0; i < depth; i++) {
      const w = this.student.layerWeight(i); // fake-quantized under quantizeAware
      const b = params.get(`fc${i}.bias`);
      if (i < depth - 1 || gate === 0) h = dense(h, w, b, act);
      else {
        const adapter = tf.add(tf.matMul(teacherFeature, this.kernel), this.bias);
        h = activate(tf.add(dense(h, w, b, "linear"), tf.mul(adapter, gate)), act);
      }
    }
    return dense(h, this.student.layerWeight(depth), params.get(`fc${depth}.bias`), "linear");
  }

  protected loss(b: BatchTensors, progress: number): LossOutput {
    const { cfg, objective, tau, logger } = this.ctx;
    const gate = adapterGate(progress, cfg.adapterEnd);
    const out = this.forward(b.obs, b.features[this.feature]!, gate) as BatchTensors["obs"];
    const pol = objective(
      this.student,
      out,
      { teacherOut: b.teacherOut, teacherLogStd: b.teacherLogStd, weights: b.weights },
      tau(progress),
    );
    logger.record("train/adapter_gate", gate);
    return { loss: pol.loss, metrics: trainMetrics(pol.metrics) };
  }

  override dispose(): void {
    this.kernel.dispose();
    this.bias.dispose();
    super.dispose();
  }
}

export const residualDistiller = (ctx: DistillContext): Distiller => new ResidualDistiller(ctx);
