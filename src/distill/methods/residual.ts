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
import { KernelNet } from "../../nn/kernels/net.js";
import type { DistillSample } from "../buffer.js";
import { pairFeatures } from "../feature-pairs.js";
import type { DistillContext, Distiller } from "../loop.js";
import { scaled } from "../objectives.js";
import { ReplayDistiller, type StepResult, sampleWeights, trainMetrics } from "../replay-distiller.js";

/** The adapter gate at progress p: 1 at the start, 0 from adapterEnd on. */
export function adapterGate(progress: number, adapterEnd: number): number {
  return Math.max(0, 1 - progress / adapterEnd);
}

export class ResidualDistiller extends ReplayDistiller {
  private readonly feature: string;
  /** The student layer the adapter feeds (its last hidden layer). */
  private readonly layer: string;
  /** f_teacher A + c, a dense linear layer; its kernel and bias are trained with the student. */
  private readonly adapter: KernelNet;
  private readonly adapterValues: Float32Array;
  private readonly adapterGrad: Float32Array;

  constructor(ctx: DistillContext) {
    const student = ctx.newStudent();
    const hidden = student.hiddenInfo();
    // The adapter feeds the student's last hidden layer from one teacher feature: the last chosen.
    const pairing = pairFeatures(
      ctx.teacher.features,
      hidden.slice(-1),
      { ...ctx.cfg, featureWeights: "" },
      { perPosition: false },
    );
    const pair = pairing.pairs[pairing.pairs.length - 1];
    if (!pair)
      throw new ConfigError(
        "method",
        `residual needs a teacher with hidden features; ${ctx.teacher.name} has none`,
      );
    const rng = ctx.rng.spawn(11);
    // Small initial adapter (Glorot limit / 10) so the student's own path is not swamped at start.
    const limit = Math.sqrt(6 / (pair.teacherWidth + pair.studentWidth)) / 10;
    const kernel = rng.fillUniform(new Float32Array(pair.teacherWidth * pair.studentWidth), -limit, limit);
    const adapter = new KernelNet([
      {
        kind: "dense",
        inSize: pair.teacherWidth,
        outSize: pair.studentWidth,
        weight: kernel,
        bias: new Float32Array(pair.studentWidth),
        activation: "linear",
      },
    ]);
    const values = new Float32Array(adapter.paramCount);
    adapter.getParams(values, 0);
    const grad = new Float32Array(values.length);
    super(ctx, student, {
      features: [pair.name],
      extraParams: [{ values, grad, sizes: [kernel.length, pair.studentWidth] }],
    });
    this.feature = pair.name;
    this.layer = hidden[hidden.length - 1]!.name;
    this.adapter = adapter;
    this.adapterValues = values;
    this.adapterGrad = grad;
    student.net.trackPreActivationGrad(this.layer);
  }

  protected step(s: DistillSample, progress: number): StepResult {
    const { cfg, objective, tau, logger } = this.ctx;
    const n = s.n;
    const gate = adapterGate(progress, cfg.adapterEnd);
    let add: Float32Array | undefined;
    if (gate > 0) {
      this.adapter.setParams(this.adapterValues, 0);
      add = scaled(this.adapter.forward(s.features[this.feature]!, n), gate);
    }
    const f = this.student.forward(s.obs, n, add ? { addBeforeActivation: { [this.layer]: add } } : {});
    const pol = objective(
      this.student,
      f.out,
      { batch: n, teacherOut: s.teacherOut, teacherLogStd: s.teacherLogStd, weights: sampleWeights(s) },
      tau(progress),
    );
    this.student.backward({ out: pol.dOut, logStd: pol.dLogStd });
    logger.record("train/adapter_gate", gate);
    if (gate === 0) return { loss: pol.loss, metrics: trainMetrics(pol.metrics), active: [true, false] };
    // d/d(adapter output) = gate * dLoss/d(pre-activation of the fed layer).
    this.adapter.backward(scaled(this.student.net.preActivationGrad(this.layer), gate), this.adapterGrad, 0);
    return { loss: pol.loss, metrics: trainMetrics(pol.metrics) };
  }
}

export const residualDistiller = (ctx: DistillContext): Distiller => new ResidualDistiller(ctx);
