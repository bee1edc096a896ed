/**
 * Shared plumbing of the distillers that learn from a replay of teacher-labelled states
 * (policy, dqn, feature, residual): a collector (teacher-, student-driven or mixed), the
 * distillation buffer (uniform or teacher-prioritised), Adam with global-norm clipping, and the
 * round itself:
 *
 *   collect cfg.rolloutSteps in each env with the current student snapshot acting
 *   -> round(trainRatio * collected) gradient steps on batches drawn from the buffer
 *
 * A subclass only says which teacher features and transitions to keep and writes `loss`.
 */
import { ConfigError } from "../core/errors.js";
import { yieldIfDue } from "../core/interrupt.js";
import type { Policy } from "../core/policy.js";
import { type Tensor, type Tensor1D, type Tensor2D, tf, type Variable } from "../nn/backend.js";
import { Adam, type LossOutput, trainStep } from "../nn/optim.js";
import type { PolicySpec } from "../nn/spec.js";
import { DistillBuffer, type DistillSample } from "./buffer.js";
import { type ActingEnv, Collector, type CollectorMode } from "./collect.js";
import type { DistillContext, Distiller } from "./loop.js";
import type { Student } from "./student.js";

/** One sampled batch as tensors (created inside the training step, so they are freed with it). */
export interface BatchTensors {
  n: number;
  obs: Tensor2D;
  teacherOut: Tensor2D;
  teacherLogStd?: Tensor2D;
  teacherValue?: Tensor1D;
  features: Record<string, Tensor2D>;
  /** Importance weights of prioritised sampling; undefined when uniform. */
  weights?: Tensor1D;
  /** Taken actions [n] as int32 (discrete) or [n, dims] (continuous); with transitions only. */
  actions?: Tensor;
  rewards?: Tensor1D;
  nextObs?: Tensor2D;
  terminated?: Tensor1D;
}

export interface ReplayOptions {
  /** Teacher features to store with each state. */
  features?: readonly string[];
  /** Store (action, reward, next obs, terminated) for TD losses. */
  transitions?: boolean;
  /** Trained along with the student (feature projections, adapters). */
  extraVariables?: Variable[];
}

export function sampleTensors(
  s: DistillSample,
  obsSize: number,
  actionSize: number,
  discrete: boolean,
): BatchTensors {
  const n = s.n;
  const b: BatchTensors = {
    n,
    obs: tf.tensor2d(s.obs, [n, obsSize]),
    teacherOut: tf.tensor2d(s.teacherOut, [n, actionSize]),
    features: {},
  };
  if (s.teacherLogStd) b.teacherLogStd = tf.tensor2d(s.teacherLogStd, [n, actionSize]);
  if (s.teacherValue) b.teacherValue = tf.tensor1d(s.teacherValue);
  for (const [name, f] of Object.entries(s.features)) b.features[name] = tf.tensor2d(f, [n, f.length / n]);
  if (s.weights.some((w) => w !== 1)) b.weights = tf.tensor1d(s.weights);
  if (s.actions) {
    b.actions = discrete
      ? tf.tensor1d(Int32Array.from(s.actions), "int32")
      : tf.tensor2d(s.actions, [n, s.actions.length / n]);
    b.rewards = tf.tensor1d(s.rewards!);
    b.nextObs = tf.tensor2d(s.nextObs!, [n, obsSize]);
    b.terminated = tf.tensor1d(Float32Array.from(s.terminated!));
  }
  return b;
}

/** Prefixes loss metrics with "train/". */
export function trainMetrics(
  metrics: Record<string, tf.Scalar>,
  out: Record<string, tf.Scalar> = {},
): Record<string, tf.Scalar> {
  for (const [k, v] of Object.entries(metrics)) out[`train/${k}`] = v;
  return out;
}

export abstract class ReplayDistiller implements Distiller {
  readonly student: Student;
  protected readonly ctx: DistillContext;
  protected readonly buffer: DistillBuffer;
  protected readonly collector: Collector;
  protected readonly optimizer: Adam;
  /** Gradient steps taken so far. */
  protected updates = 0;
  private readonly discrete: boolean;

  constructor(ctx: DistillContext, student: Student, opts: ReplayOptions = {}) {
    this.ctx = ctx;
    this.student = student;
    const { cfg, teacher } = ctx;
    const features = (opts.features ?? []).map((name) => {
      const f = teacher.features.find((x) => x.name === name);
      if (!f) {
        throw new ConfigError(
          "featureLayers",
          `${teacher.name} has no feature "${name}"; available: ${teacher.features.map((x) => x.name).join(", ") || "(none)"}`,
        );
      }
      return f;
    });
    this.discrete = teacher.kind !== "gaussian";
    this.buffer = new DistillBuffer({
      capacity: cfg.bufferSize,
      obsSize: teacher.obsSize,
      actionSize: teacher.actionSize,
      actionDim: this.discrete ? 1 : teacher.actionSize,
      features,
      transitions: opts.transitions,
      prioritisation: cfg.prioritisation as DistillBuffer["prioritisation"],
      priorityAlpha: cfg.priorityAlpha,
    });
    const envs = Array.from({ length: cfg.numEnvs }, (_, i) => ctx.makeEnv(i) as ActingEnv);
    this.collector = new Collector({
      envs,
      teacher,
      student: student.policy(),
      mode: cfg.collector as CollectorMode,
      rng: ctx.rng.spawn(1),
      seed: cfg.seed,
      teacherDeterministic: cfg.teacherDeterministic,
      features: features.map((f) => f.name),
      taskIds: ctx.taskIds,
    });
    this.optimizer = new Adam([...student.variables, ...(opts.extraVariables ?? [])], {
      lr: cfg.learningRate,
    });
  }

  /** The batch loss (inside a gradient step); `progress` in [0, 1] drives schedules. */
  protected abstract loss(batch: BatchTensors, progress: number): LossOutput;

  /** Who acts for the student while collecting. Default: a snapshot of the current student. */
  protected actingPolicy(): Policy {
    return this.student.policy();
  }

  /** Hook after each gradient step (target-network copies). */
  protected afterStep(): void {}

  async iterate(progress: number): Promise<number> {
    const { cfg, logger } = this.ctx;
    this.collector.student = this.actingPolicy();
    const stats = await this.collector.collect(cfg.rolloutSteps, this.buffer, this.ctx.beta(progress));
    for (const r of stats.episodeReturns) logger.recordMean("rollout/ep_rew_mean", r);
    for (const l of stats.episodeLengths) logger.recordMean("rollout/ep_len_mean", l);
    logger.record("rollout/teacher_acted", stats.teacherActed);
    logger.record("rollout/buffer_size", this.buffer.size);
    const steps = Math.max(1, Math.round(cfg.trainRatio * stats.steps));
    const batch = Math.min(cfg.batchSize, this.buffer.size);
    const rng = this.ctx.rng;
    for (let i = 0; i < steps; i++) {
      await yieldIfDue(); // Ctrl-C within a second (src/core/interrupt.ts)
      if (this.ctx.stopRequested()) break;
      const s = this.buffer.sample(batch, rng, cfg.priorityBeta);
      const res = trainStep(
        this.optimizer,
        () =>
          this.loss(sampleTensors(s, this.buffer.obsSize, this.buffer.actionSize, this.discrete), progress),
        { maxGradNorm: cfg.maxGradNorm },
      );
      this.updates++;
      this.afterStep();
      logger.recordMean("train/loss", res.loss);
      logger.recordMean("train/grad_norm", res.gradNorm);
      for (const [k, v] of Object.entries(res.metrics)) logger.recordMean(k, v);
    }
    logger.record("train/updates", this.updates);
    return stats.steps;
  }

  deployedSpec(): PolicySpec {
    return this.student.toSpec();
  }

  dispose(): void {
    this.optimizer.dispose();
    this.student.dispose();
    for (const env of this.collector.envs) env.close();
  }
}
