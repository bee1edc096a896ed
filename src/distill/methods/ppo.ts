/**
 * DistilledPPO: the student learns from its own rollouts with
 *
 *   L = alpha(p) * KL_tau(pi_teacher || pi_student) + (1 - alpha(p)) * L_PPO
 *
 * where L_PPO is CleanRL's clipped surrogate with value loss and entropy bonus (Schulman et al.
 * 2017), on GAE advantages (src/rl/gae.ts, src/rl/rollout-buffer.ts). The teacher labels every
 * state the student visits (on-policy distillation, as Kickstarting, Schmitt et al. 2018; and
 * Czarnecki et al. 2019, whose student-driven variant learns fastest). With alpha decaying to 0
 * (e.g. "1:0:linear", or "qdagger") the student starts as an imitator and ends as an RL agent that
 * may outgrow its teacher; alpha = 1 is pure on-policy distillation.
 */
import { ConfigError } from "../../core/errors.js";
import { yieldIfDue } from "../../core/interrupt.js";
import type { Action } from "../../core/policy.js";
import { type Scalar, type Tensor, tf } from "../../nn/backend.js";
import {
  categoricalEntropy,
  categoricalLogProb,
  gaussianEntropy,
  gaussianLogProb,
} from "../../nn/distributions.js";
import type { CompiledPolicy } from "../../nn/fast.js";
import { Adam, type LossOutput, trainStep } from "../../nn/optim.js";
import { RolloutBuffer } from "../../rl/rollout-buffer.js";
import type { ActingEnv } from "../collect.js";
import type { DistillContext, Distiller } from "../loop.js";
import { logSoftmaxRow, sampleGaussianRow, sampleRow } from "../probs.js";
import { trainMetrics } from "../replay-distiller.js";
import type { Student } from "../student.js";

export class DistilledPPO implements Distiller {
  readonly student: Student;
  private readonly ctx: DistillContext;
  private readonly envs: ActingEnv[];
  private readonly optimizer: Adam;
  private readonly buffer: RolloutBuffer;
  private readonly teacherOut: Float32Array;
  private readonly teacherLogStd?: Float32Array;
  private readonly discrete: boolean;
  private readonly current: Float32Array[];
  private readonly epReturn: Float64Array;
  private readonly epLength: Int32Array;
  private updates = 0;

  constructor(ctx: DistillContext) {
    const { cfg, teacher } = ctx;
    if (teacher.kind === "q") {
      throw new ConfigError(
        "method",
        `ppo needs a policy teacher (logits or Gaussian); ${teacher.name} gives Q-values`,
      );
    }
    this.ctx = ctx;
    this.discrete = teacher.kind === "logits";
    this.student = ctx.newStudent({ output: this.discrete ? "logits" : "mean", valueWidth: 1 });
    this.optimizer = new Adam(this.student.variables, { lr: cfg.learningRate, eps: 1e-5 });
    const n = cfg.numEnvs;
    const k = teacher.actionSize;
    this.buffer = new RolloutBuffer(cfg.ppoSteps, n, teacher.obsSize, this.discrete ? 1 : k);
    this.teacherOut = new Float32Array(cfg.ppoSteps * n * k);
    if (!this.discrete) this.teacherLogStd = new Float32Array(cfg.ppoSteps * n * k);
    this.envs = Array.from({ length: n }, (_, i) => ctx.makeEnv(i) as ActingEnv);
    this.current = this.envs.map((env, i) => Float32Array.from(env.reset({ seed: cfg.seed + i }).obs));
    this.epReturn = new Float64Array(n);
    this.epLength = new Int32Array(n);
  }

  /** Steps every env cfg.ppoSteps times with the student sampling; the teacher labels each state. */
  private async rollout(policy: CompiledPolicy): Promise<void> {
    const { cfg, teacher, logger, rng } = this.ctx;
    const n = this.envs.length;
    const d = teacher.obsSize;
    const k = teacher.actionSize;
    const ad = this.discrete ? 1 : k;
    const logStd = policy.spec.logStd ?? new Float32Array(0);
    const scratch = new Float64Array(k);
    this.buffer.reset();
    for (let t = 0; t < cfg.ppoSteps; t++) {
      await yieldIfDue(); // Ctrl-C within a second (src/core/interrupt.ts)
      const obs = new Float32Array(n * d);
      this.current.forEach((o, i) => {
        obs.set(o, i * d);
      });
      const labels = await teacher.predict(obs, n);
      this.teacherOut.set(labels.outputs, t * n * k);
      if (this.teacherLogStd && labels.logStd) this.teacherLogStd.set(labels.logStd, t * n * k);
      const out = Float32Array.from(policy.forward(obs, n));
      const values = Float32Array.from(policy.value!(obs, n));
      const actions = new Float32Array(n * ad);
      const logProbs = new Float32Array(n);
      const rewards = new Float32Array(n);
      const terminated = new Uint8Array(n);
      const truncated = new Uint8Array(n);
      const finals: Array<[number, Float32Array]> = [];
      for (let i = 0; i < n; i++) {
        let action: Action;
        if (this.discrete) {
          logSoftmaxRow(out, i * k, k, scratch);
          const a = sampleRow(scratch.map(Math.exp), 0, k, rng.random());
          logProbs[i] = scratch[a]!;
          actions[i] = a;
          action = a;
        } else {
          logProbs[i] = sampleGaussianRow(out, i * k, logStd, k, () => rng.normal(), actions, i * k);
          // The buffer keeps the unclipped sample (its log-prob); the env gets it clipped to the box.
          const clipped = actions.slice(i * k, (i + 1) * k);
          const { actionLow: lo, actionHigh: hi } = policy.spec;
          if (lo && hi)
            for (let j = 0; j < k; j++) clipped[j] = Math.min(Math.max(clipped[j]!, lo[j]!), hi[j]!);
          action = clipped;
        }
        const res = this.envs[i]!.step(action);
        rewards[i] = res.reward;
        terminated[i] = res.terminated ? 1 : 0;
        truncated[i] = res.truncated ? 1 : 0;
        this.epReturn[i] = this.epReturn[i]! + res.reward;
        this.epLength[i] = this.epLength[i]! + 1;
        if (res.terminated || res.truncated) {
          logger.recordMean("rollout/ep_rew_mean", this.epReturn[i]!);
          logger.recordMean("rollout/ep_len_mean", this.epLength[i]!);
          this.epReturn[i] = 0;
          this.epLength[i] = 0;
          if (res.truncated && !res.terminated) finals.push([i, Float32Array.from(res.obs)]);
          this.current[i] = Float32Array.from(this.envs[i]!.reset().obs);
        } else this.current[i] = Float32Array.from(res.obs);
      }
      this.buffer.add(obs, actions, logProbs, values, rewards, terminated, truncated);
      // Time-limit truncation bootstraps from V(final obs), as SB3 and src/rl's PPO do.
      for (const [i, o] of finals) this.buffer.setFinalValue(i, policy.value!(o, 1)[0]!);
    }
    const last = new Float32Array(n * d);
    this.current.forEach((o, i) => {
      last.set(o, i * d);
    });
    this.buffer.computeReturnsAndAdvantages(
      Float32Array.from(policy.value!(last, n)),
      cfg.gamma,
      cfg.gaeLambda,
    );
  }

  async iterate(progress: number): Promise<number> {
    const { cfg, teacher, logger, rng, objective, tau, alpha } = this.ctx;
    const policy = this.student.policy();
    await this.rollout(policy);
    const k = teacher.actionSize;
    const a = alpha(progress);
    const t = tau(progress);
    const mbSize = Math.max(1, Math.floor(this.buffer.size / cfg.ppoMinibatches));
    for (let epoch = 0; epoch < cfg.ppoEpochs; epoch++) {
      for (const idx of this.buffer.minibatchIndices(mbSize, rng)) {
        await yieldIfDue();
        if (this.ctx.stopRequested()) break;
        const mb = this.buffer.gather(idx);
        const tOut = new Float32Array(mb.size * k);
        const tLog = this.teacherLogStd ? new Float32Array(mb.size * k) : undefined;
        for (let j = 0; j < mb.size; j++) {
          tOut.set(this.teacherOut.subarray(idx[j]! * k, (idx[j]! + 1) * k), j * k);
          tLog?.set(this.teacherLogStd!.subarray(idx[j]! * k, (idx[j]! + 1) * k), j * k);
        }
        const res = trainStep(
          this.optimizer,
          (): LossOutput => {
            const obs = tf.tensor2d(mb.obs, [mb.size, teacher.obsSize]);
            const f = this.student.forward(obs);
            const teacherOut = tf.tensor2d(tOut, [mb.size, k]);
            const kd = objective(
              this.student,
              f.out,
              { teacherOut, teacherLogStd: tLog ? tf.tensor2d(tLog, [mb.size, k]) : undefined },
              t,
            );
            const metrics = trainMetrics(kd.metrics);
            if (a >= 1) return { loss: kd.loss, metrics };
            const ppo = this.ppoLoss(f.out, f.value!, mb, metrics);
            return { loss: tf.add(tf.mul(kd.loss, a), tf.mul(ppo, 1 - a)) as Scalar, metrics };
          },
          { maxGradNorm: cfg.maxGradNorm },
        );
        this.updates++;
        logger.recordMean("train/loss", res.loss);
        logger.recordMean("train/grad_norm", res.gradNorm);
        for (const [name, v] of Object.entries(res.metrics)) logger.recordMean(name, v);
      }
    }
    logger.record("train/updates", this.updates);
    return this.buffer.size;
  }

  /** CleanRL's PPO loss: clipped surrogate on normalised advantages, value MSE, entropy bonus. */
  private ppoLoss(
    out: Tensor,
    value: Tensor,
    mb: ReturnType<RolloutBuffer["gather"]>,
    metrics: Record<string, Scalar>,
  ): Scalar {
    const { cfg } = this.ctx;
    let logp: Tensor;
    let entropy: Tensor;
    if (this.discrete) {
      const actions = tf.tensor1d(Int32Array.from(mb.actions), "int32");
      logp = categoricalLogProb(out, actions);
      entropy = tf.mean(categoricalEntropy(out));
    } else {
      const dims = out.shape[1]!;
      logp = gaussianLogProb(out, this.student.logStd!, tf.tensor2d(mb.actions, [mb.size, dims]));
      entropy = gaussianEntropy(this.student.logStd!);
    }
    const advRaw = tf.tensor1d(mb.advantages);
    const { mean, variance } = tf.moments(advRaw);
    const adv = mb.size > 1 ? tf.div(tf.sub(advRaw, mean), tf.add(tf.sqrt(variance), 1e-8)) : advRaw;
    const ratio = tf.exp(tf.sub(logp, tf.tensor1d(mb.logProbs)));
    const clipped = tf.clipByValue(ratio, 1 - cfg.clipRange, 1 + cfg.clipRange);
    const pg = tf.neg(tf.mean(tf.minimum(tf.mul(ratio, adv), tf.mul(clipped, adv))));
    const vLoss = tf.mul(0.5, tf.mean(tf.square(tf.sub(tf.reshape(value, [-1]), tf.tensor1d(mb.returns)))));
    metrics["train/policy_loss"] = pg as Scalar;
    metrics["train/value_loss"] = vLoss as Scalar;
    metrics["train/entropy"] = entropy as Scalar;
    return tf.add(tf.sub(pg, tf.mul(entropy, cfg.entCoef)), tf.mul(vLoss, cfg.vfCoef)) as Scalar;
  }

  dispose(): void {
    this.optimizer.dispose();
    this.student.dispose();
    for (const env of this.envs) env.close();
  }
}

export const ppoDistiller = (ctx: DistillContext): Distiller => new DistilledPPO(ctx);
