/**
 * Shared plumbing of the distillers that learn from a replay of teacher-labelled states
 * (policy, dqn, feature, residual): a collector (teacher-, student-driven or mixed), the
 * distillation buffer (uniform or teacher-prioritised), Adam with global-norm clipping, and the
 * round itself:
 *
 *   collect cfg.rolloutSteps in each env with the current student snapshot acting
 *   -> round(trainRatio * collected) gradient steps on batches drawn from the buffer
 *
 * A subclass only says which teacher features and transitions to keep and writes `step`: the
 * student's forward, the loss terms (array forms of the registry losses, with their gradients)
 * and `student.backward`. No gradient tape: the step runs on src/nn's SIMD kernels, and the
 * tests check its gradients against the tape (methods.test.ts).
 */
import { ConfigError } from "../core/errors.js";
import { yieldIfDue } from "../core/interrupt.js";
import type { Policy } from "../core/policy.js";
import { parseSchedule, type Schedule, scheduleRange } from "../core/schedules.js";
import { obsStorageDtypeOf } from "../core/spaces.js";
import { ArrayAdam, type ParamGroup } from "../nn/optim.js";
import type { PolicySpec } from "../nn/spec.js";
import { DistillBuffer, type DistillSample } from "./buffer.js";
import { type ActingEnv, Collector, type CollectorMode, checkCollectNoise } from "./collect.js";
import type { DistillContext, Distiller } from "./loop.js";
import { studentActsGreedily } from "./objectives.js";
import type { Student } from "./student.js";
import type { TeacherBatch } from "./teacher.js";

/** Features computed from the teacher's labels when they arrive, stored in their place. */
export interface DerivedFeatures {
  /** What is stored per state, by name (e.g. "attention/conv0", H*W numbers). */
  features: ReadonlyArray<{ name: string; size: number }>;
  /** Teacher features the computation reads (asked of the teacher, not stored). */
  requires: readonly string[];
  /** The derived features of a batch of labels, [n, size] each by name. */
  compute(labels: TeacherBatch): Record<string, Float32Array>;
}

export interface ReplayOptions {
  /** Teacher features to store with each state. */
  features?: readonly string[];
  /** Features derived from the teacher's at labelling time (stored instead of what they read). */
  derived?: DerivedFeatures;
  /** Store (action, reward, next obs, terminated) for TD losses. */
  transitions?: boolean;
  /** Trained along with the student (feature projections, adapters). */
  extraParams?: ParamGroup[];
}

/** What a step reports: the loss and its metrics (logged under train/). */
export interface StepResult {
  loss: number;
  metrics: Record<string, number>;
  /** Per optimizer group (student first, then the extra parameters): false when the loss did not use it. */
  active?: boolean[];
}

/** The sample's importance weights, or undefined when they are all 1 (uniform sampling). */
export function sampleWeights(s: DistillSample): Float32Array | undefined {
  return s.weights.some((w) => w !== 1) ? s.weights : undefined;
}

/** Prefixes loss metrics with "train/". */
export function trainMetrics(
  metrics: Record<string, number>,
  out: Record<string, number> = {},
): Record<string, number> {
  for (const [k, v] of Object.entries(metrics)) out[`train/${k}`] = v;
  return out;
}

export abstract class ReplayDistiller implements Distiller {
  readonly student: Student;
  protected readonly ctx: DistillContext;
  protected readonly buffer: DistillBuffer;
  protected readonly collector: Collector;
  protected readonly optimizer: ArrayAdam;
  /** The factor on cfg.learningRate by progress (lrSchedule; config.ts checks it stays in [0, 1]). */
  private readonly lrFactor: (progress: number) => number;
  /** DART action noise while collecting, in half-ranges, by progress (collectNoise; 0 = off). */
  private readonly collectNoise: Schedule;
  /** Gradient steps taken so far. */
  protected updates = 0;

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
    const discrete = teacher.kind !== "gaussian";
    const derived = opts.derived;
    for (const name of derived?.requires ?? []) {
      if (!teacher.features.some((x) => x.name === name)) {
        throw new ConfigError(
          "featureLayers",
          `${teacher.name} has no feature "${name}"; available: ${teacher.features.map((x) => x.name).join(", ") || "(none)"}`,
        );
      }
    }
    this.buffer = new DistillBuffer({
      capacity: cfg.bufferSize,
      obsSize: teacher.obsSize,
      actionSize: teacher.actionSize,
      actionDim: discrete ? 1 : teacher.actionSize,
      features: [...features, ...(derived?.features ?? [])],
      transitions: opts.transitions,
      prioritisation: cfg.prioritisation as DistillBuffer["prioritisation"],
      priorityAlpha: cfg.priorityAlpha,
      // Raw observations are stored (the student normalises its input): uint8 frames stay uint8.
      obsDtype: obsStorageDtypeOf(teacher.observationSpace),
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
      resetProb: cfg.collectResetProb,
      studentDeterministic: studentActsGreedily(cfg.studentDeterministic, teacher.kind, cfg.loss),
      features: [...features.map((f) => f.name), ...(derived?.requires ?? [])],
      taskIds: ctx.taskIds,
      onLabels: derived ? (labels) => Object.assign(labels.features, derived.compute(labels)) : undefined,
    });
    this.optimizer = new ArrayAdam([student.paramGroup(), ...(opts.extraParams ?? [])], {
      lr: cfg.learningRate,
    });
    this.lrFactor = parseSchedule(cfg.lrSchedule, "lrSchedule");
    this.collectNoise = parseSchedule(cfg.collectNoise ?? "0", "collectNoise");
    // Refused here too (distill() checks before loading the teacher) for callers that build a distiller directly.
    checkCollectNoise(envs[0]!.actionSpace, scheduleRange(this.collectNoise)[1]);
  }

  /**
   * One gradient step's forward and backward on a sampled batch: fills the student's (and the
   * extra parameters') gradients; `progress` in [0, 1] drives schedules.
   */
  protected abstract step(batch: DistillSample, progress: number): StepResult;

  /** Who acts for the student while collecting. Default: a snapshot of the current student. */
  protected actingPolicy(): Policy {
    return this.student.policy();
  }

  /** Hook after each gradient step (target-network copies). */
  protected afterStep(): void {}

  async iterate(progress: number): Promise<number> {
    const { cfg, logger } = this.ctx;
    this.collector.student = this.actingPolicy();
    const noise = this.collectNoise(progress);
    const stats = await this.collector.collect(
      cfg.rolloutSteps,
      this.buffer,
      this.ctx.beta(progress),
      undefined,
      noise,
    );
    if (noise > 0) logger.record("schedule/collect_noise", noise);
    for (const r of stats.episodeReturns) logger.recordMean("rollout/ep_rew_mean", r);
    for (const l of stats.episodeLengths) logger.recordMean("rollout/ep_len_mean", l);
    logger.record("rollout/teacher_acted", stats.teacherActed);
    logger.record("rollout/buffer_size", this.buffer.size);
    // Set from progress each round (not stepped), so a resumed run continues the same decay.
    this.optimizer.lr = cfg.learningRate * this.lrFactor(progress);
    logger.record("train/learning_rate", this.optimizer.lr);
    const steps = Math.max(1, Math.round(cfg.trainRatio * stats.steps));
    const batch = Math.min(cfg.batchSize, this.buffer.size);
    const rng = this.ctx.rng;
    for (let i = 0; i < steps; i++) {
      await yieldIfDue(); // Ctrl-C within a second (src/core/interrupt.ts)
      if (this.ctx.stopRequested()) break;
      const s = this.buffer.sample(batch, rng, cfg.priorityBeta);
      const res = this.step(s, progress);
      const gradNorm = this.optimizer.clipGradNorm(cfg.maxGradNorm);
      this.optimizer.apply(res.active);
      this.student.paramsChanged();
      this.updates++;
      this.afterStep();
      logger.recordMean("train/loss", res.loss);
      logger.recordMean("train/grad_norm", gradNorm);
      for (const [k, v] of Object.entries(res.metrics)) logger.recordMean(k, v);
    }
    logger.record("train/updates", this.updates);
    return stats.steps;
  }

  deployedSpec(): PolicySpec {
    return this.student.toSpec();
  }

  dispose(): void {
    this.student.dispose();
    for (const env of this.collector.envs) env.close();
  }
}
