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
import { categoricalLogProb, sampleCategorical, sampleGaussian } from "../../nn/distributions.js";
import type { CompiledPolicy } from "../../nn/fast.js";
import { ArrayAdam } from "../../nn/optim.js";
import { ppoLossGrad } from "../../rl/losses.js";
import { RolloutBuffer } from "../../rl/rollout-buffer.js";
import { normalizeAdvantages } from "../../rl/stats.js";
import type { ActingEnv } from "../collect.js";
import type { DistillContext, Distiller } from "../loop.js";
import { trainMetrics } from "../replay-distiller.js";
import type { Student } from "../student.js";

export class DistilledPPO implements Distiller {
  readonly student: Student;
  private readonly ctx: DistillContext;
  private readonly envs: ActingEnv[];
  private readonly optimizer: ArrayAdam;
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
    this.optimizer = new ArrayAdam([this.student.paramGroup()], { lr: cfg.learningRate, eps: 1e-5 });
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
          const a = sampleCategorical(out, rng, i * k, k);
          logProbs[i] = categoricalLogProb(out, i * k, k, a);
          actions[i] = a;
          action = a;
        } else {
          logProbs[i] = sampleGaussian(out, i * k, logStd, k, rng, actions, i * k);
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
    const { cfg, teacher, logger, rng, tau, alpha } = this.ctx;
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
        const res = this.gradientStep(mb, tOut, tLog, a, t);
        const gradNorm = this.optimizer.clipGradNorm(cfg.maxGradNorm);
        this.optimizer.apply();
        this.student.paramsChanged();
        logger.recordMean("train/grad_norm", gradNorm);
        this.updates++;
        logger.recordMean("train/loss", res.loss);
        for (const [name, v] of Object.entries(res.metrics)) logger.recordMean(name, v);
      }
    }
    logger.record("train/updates", this.updates);
    return this.buffer.size;
  }

  /**
   * alpha KL_tau(teacher || student) + (1 - alpha) L_PPO on one minibatch, forward and backward
   * without the tape: L_PPO is src/rl's (`ppoLossGrad`: CleanRL's clipped surrogate on
   * per-minibatch normalised advantages, clipped value loss, entropy bonus).
   */
  private gradientStep(
    mb: ReturnType<RolloutBuffer["gather"]>,
    teacherOut: Float32Array,
    teacherLogStd: Float32Array | undefined,
    alpha: number,
    tau: number,
  ): { loss: number; metrics: Record<string, number> } {
    const { cfg, objective } = this.ctx;
    const n = mb.size;
    const k = this.student.actionSize;
    const f = this.student.forward(mb.obs, n);
    const kd = objective(this.student, f.out, { batch: n, teacherOut, teacherLogStd }, tau);
    const metrics = trainMetrics(kd.metrics);
    const dLogStd = new Float32Array(this.discrete ? 0 : k);
    if (kd.dLogStd)
      for (let i = 0; i < kd.dLogStd.length; i++) dLogStd[i % k] = dLogStd[i % k]! + alpha * kd.dLogStd[i]!;
    if (alpha >= 1) {
      this.student.backward({ out: kd.dOut, logStd: this.discrete ? undefined : dLogStd });
      return { loss: kd.loss, metrics };
    }
    const advantages = Float32Array.from(mb.advantages);
    if (n > 1) normalizeAdvantages(advantages);
    const ppo = ppoLossGrad(
      {
        size: n,
        out: f.out,
        value: f.value!,
        actions: mb.actions,
        logStd: this.discrete ? undefined : this.student.logStd,
        oldLogProb: mb.logProbs,
        advantages,
        returns: mb.returns,
        oldValues: mb.values,
      },
      k,
      this.discrete,
      { clipCoef: cfg.clipRange, clipVloss: true, entCoef: cfg.entCoef, vfCoef: cfg.vfCoef },
    );
    trainMetrics(ppo.metrics, metrics);
    const dOut = new Float32Array(n * k);
    for (let i = 0; i < dOut.length; i++) dOut[i] = alpha * kd.dOut[i]! + (1 - alpha) * ppo.dOut[i]!;
    const dValue = new Float32Array(n);
    for (let i = 0; i < n; i++) dValue[i] = (1 - alpha) * ppo.dValue[i]!;
    for (let j = 0; j < ppo.dLogStd.length; j++) dLogStd[j] = dLogStd[j]! + (1 - alpha) * ppo.dLogStd[j]!;
    this.student.backward({ out: dOut, value: dValue, logStd: this.discrete ? undefined : dLogStd });
    return { loss: alpha * kd.loss + (1 - alpha) * ppo.loss, metrics };
  }

  dispose(): void {
    this.student.dispose();
    for (const env of this.envs) env.close();
  }
}

export const ppoDistiller = (ctx: DistillContext): Distiller => new DistilledPPO(ctx);
