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
import { KernelNet } from "../../nn/kernels/net.js";
import type { DistillSample } from "../buffer.js";
import type { DistillContext, Distiller } from "../loop.js";
import { getLoss } from "../losses/registry.js";
import { ReplayDistiller, type StepResult, sampleWeights, trainMetrics } from "../replay-distiller.js";

/** q - mean over actions, per row of [n, k]. */
function centred(q: Float32Array, n: number, k: number): Float32Array {
  const out = new Float32Array(n * k);
  for (let r = 0; r < n; r++) {
    let m = 0;
    for (let j = 0; j < k; j++) m += q[r * k + j]!;
    m /= k;
    for (let j = 0; j < k; j++) out[r * k + j] = q[r * k + j]! - m;
  }
  return out;
}

/** Mean over actions of each row of [n, k]. */
function rowMeans(q: Float32Array, n: number, k: number): Float32Array {
  const out = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    let m = 0;
    for (let j = 0; j < k; j++) m += q[r * k + j]!;
    out[r] = m / k;
  }
  return out;
}

/**
 * The dual target's terms on the student's Q [n, k]: advantageCoef MSE(A_s, A_t) + stateValueCoef
 * MSE(mean_a Q_s, mean_a Q_t), A = Q - mean_a Q. Adds their gradient with respect to Q into `dq`
 * (through the centring: g - mean(g) per row; through the mean: g / k) and their values to
 * `metrics`; returns their weighted sum.
 */
export function dualTargetTerms(
  q: Float32Array,
  teacherQ: Float32Array,
  n: number,
  k: number,
  coefs: { advantageCoef: number; stateValueCoef: number },
  dq: Float32Array,
  metrics: Record<string, number>,
  weights?: Float32Array,
): number {
  const mse = getLoss("value-mse").arrays!;
  let loss = 0;
  if (coefs.advantageCoef > 0) {
    const adv = mse({
      batch: n,
      studentValues: centred(q, n, k),
      teacherValues: centred(teacherQ, n, k),
      weights,
    });
    metrics["train/advantage_mse"] = adv.loss;
    loss += coefs.advantageCoef * adv.loss;
    const g = centred(adv.grads.studentValues!, n, k);
    for (let i = 0; i < n * k; i++) dq[i] = dq[i]! + coefs.advantageCoef * g[i]!;
  }
  if (coefs.stateValueCoef > 0) {
    const v = mse({
      batch: n,
      studentValues: rowMeans(q, n, k),
      teacherValues: rowMeans(teacherQ, n, k),
      weights,
    });
    metrics["train/value_mse"] = v.loss;
    loss += coefs.stateValueCoef * v.loss;
    const g = v.grads.studentValues!;
    for (let i = 0; i < n * k; i++) dq[i] = dq[i]! + (coefs.stateValueCoef * g[Math.floor(i / k)]!) / k;
  }
  return loss;
}

export class DqnDistiller extends ReplayDistiller {
  /** The TD target's network: a float copy of the student's Q-network, refreshed every targetUpdate steps. */
  private readonly target: KernelNet;

  constructor(ctx: DistillContext) {
    if (ctx.teacher.kind !== "q") {
      throw new ConfigError(
        "method",
        `dqn distils Q-values, but ${ctx.teacher.name} gives ${ctx.teacher.kind}; use --method policy`,
      );
    }
    super(ctx, ctx.newStudent({ output: "q" }), { transitions: true });
    this.target = new KernelNet(this.student.toSpec().layers, "target");
    this.target.setParams(this.student.values, 0);
  }

  protected step(s: DistillSample, progress: number): StepResult {
    const { cfg, objective, tau, alpha } = this.ctx;
    const n = s.n;
    const k = this.student.actionSize;
    const weights = sampleWeights(s);
    const q = this.student.forward(s.obs, n).out;
    const kd = objective(this.student, q, { batch: n, teacherOut: s.teacherOut, weights }, tau(progress));
    const metrics = trainMetrics(kd.metrics);
    const dq = Float32Array.from(kd.dOut);
    const distill =
      kd.loss +
      dualTargetTerms(
        q,
        s.teacherOut,
        n,
        k,
        { advantageCoef: cfg.advantageCoef, stateValueCoef: cfg.stateValueCoef },
        dq,
        metrics,
        weights,
      );
    const a = alpha(progress);
    if (a >= 1) {
      this.student.backward({ out: dq });
      return { loss: distill, metrics };
    }
    // TD target r + gamma (1 - done) max_a' Q_target(s', a'), computed without gradient.
    const qTaken = new Float32Array(n);
    for (let r = 0; r < n; r++) qTaken[r] = q[r * k + s.actions![r]!]!;
    const next = this.target.forward(this.student.input(s.nextObs!, n), n);
    const y = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      let best = next[r * k]!;
      for (let j = 1; j < k; j++) best = Math.max(best, next[r * k + j]!);
      y[r] = s.rewards![r]! + best * (1 - s.terminated![r]!) * cfg.gamma;
    }
    const td = getLoss("huber").arrays!({ batch: n, studentValues: qTaken, teacherValues: y, weights });
    metrics["train/td_loss"] = td.loss;
    const gTd = td.grads.studentValues!;
    for (let i = 0; i < n * k; i++) dq[i] = a * dq[i]!;
    for (let r = 0; r < n; r++) {
      const i = r * k + s.actions![r]!;
      dq[i] = dq[i]! + (1 - a) * gTd[r]!;
    }
    this.student.backward({ out: dq });
    return { loss: a * distill + (1 - a) * td.loss, metrics };
  }

  protected override afterStep(): void {
    if (this.updates % this.ctx.cfg.targetUpdate === 0) this.target.setParams(this.student.values, 0);
  }
}

export const dqnDistiller = (ctx: DistillContext): Distiller => new DqnDistiller(ctx);
