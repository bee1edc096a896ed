/**
 * Data collection for distillation: who acts, and the teacher labels every visited state.
 *
 * - `teacher`: the teacher acts (classic policy distillation, Rusu et al. 2016). The student only
 *   ever sees the teacher's state distribution, so its own small errors lead it to states nobody
 *   labelled (compounding error, Ross et al. 2011).
 * - `student`: the student acts and the teacher labels (DAgger; Czarnecki et al. 2019 find
 *   student-driven distillation reaches the teacher about 3x faster).
 * - `mixed`: at each step the teacher acts with probability beta (scheduled, typically 1 -> 0),
 *   else the student: DAgger's pi_i = beta_i pi* + (1 - beta_i) pi_hat_i.
 *
 * - action noise (DART, Laskey et al. 2017): with `noise` > 0 the executed action of whoever acts is
 *   perturbed by Gaussian noise of std noise * (high - low) / 2 per dimension, clipped to the box.
 *   The buffer then also holds the states just off the actor's trajectories (where a slightly wrong
 *   student drifts), each labelled with the teacher's un-noised output. Continuous actions only.
 *
 * - early restarts (`resetProb`): after each step that did not end its episode, the env is reset
 *   with this probability, so collection episodes last about 1 / resetProb steps and the states of
 *   the first strides after a reset, where a small student may fall, are that much more common in
 *   the buffer. A cut episode is a truncation (stored as not terminated, flagged as truncated in
 *   the step given to onStep) and is not counted in the returned episode statistics.
 *
 *   const c = new Collector({ envs, teacher, student, mode: "student", rng, seed });
 *   const stats = await c.collect(128, buffer, beta);   // 128 steps in each env
 *   await c.collect(128, buffer, beta, undefined, 0.2); // with DART noise of 0.2 half-ranges
 *
 * Environments step in lockstep so the teacher labels all of them in one batched call; an env that
 * ends is reset at once (its stream continues from the first seeded reset).
 */

import type { Env } from "../core/env.js";
import { ConfigError } from "../core/errors.js";
import { yieldIfDue } from "../core/interrupt.js";
import type { Action, Policy } from "../core/policy.js";
import type { Rng } from "../core/rng.js";
import { Box, Discrete } from "../core/spaces.js";
import type { DistillBuffer } from "./buffer.js";
import { type Teacher, type TeacherBatch, teacherActions } from "./teacher.js";

export type CollectorMode = "teacher" | "student" | "mixed";
export const COLLECTOR_MODES: readonly CollectorMode[] = ["teacher", "student", "mixed"];

export type ActingEnv = Env<Float32Array, Action>;

export interface CollectorOptions {
  envs: readonly ActingEnv[];
  teacher: Teacher;
  /** Acts in `student` and `mixed` mode; may be omitted in `teacher` mode. */
  student?: Policy;
  mode: CollectorMode;
  rng: Rng;
  /** Env k is first reset with seed + k. */
  seed: number;
  /** Teacher actions greedy (true) or sampled from its distribution (false, default: wider coverage). */
  teacherDeterministic?: boolean;
  /** Student actions greedy or sampled (default false: sampled, as DAgger rolls out the learner). */
  studentDeterministic?: boolean;
  /** Teacher features to record with each state. */
  features?: readonly string[];
  /** Probability per step that a running episode is cut and the env reset (0, the default: never). */
  resetProb?: number;
  /** Task id of each env (multi-task distillation); default 0. */
  taskIds?: readonly number[];
  /**
   * Called with each batch of teacher labels before it is stored: a distiller may add derived
   * features (attention maps computed from conv features, far smaller to keep than the maps).
   */
  onLabels?: (labels: TeacherBatch) => void;
}

export interface CollectStats {
  /** Transitions added. */
  steps: number;
  /** Returns of the episodes that ended during this call. */
  episodeReturns: number[];
  episodeLengths: number[];
  /** Fraction of steps where the teacher chose the action. */
  teacherActed: number;
}

/** One observation of a step, labelled; what `onStep` hooks (and the buffer) receive. */
export interface LabelledStep {
  obs: Float32Array;
  teacher: TeacherBatch;
  actions: Float32Array;
  rewards: Float32Array;
  nextObs: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  taskIds: Int32Array;
}

/**
 * Adds Gaussian noise of std `noise` half-ranges to each dimension of a continuous action, clipped
 * to the box; returns a new array (the actor's own action is left as it was).
 */
export function perturbAction(action: Float32Array, box: Box, noise: number, rng: Rng): Float32Array {
  const out = new Float32Array(action.length);
  for (let j = 0; j < action.length; j++) {
    const lo = box.low[j]!;
    const hi = box.high[j]!;
    const v = action[j]! + noise * 0.5 * (hi - lo) * rng.normal();
    out[j] = Math.min(Math.max(v, lo), hi);
  }
  return out;
}

/**
 * Refuses collection noise where it has no meaning: a discrete action space, or a box with an
 * infinite bound (no half-range to scale the std by).
 */
export function checkCollectNoise(space: { readonly type: string }, noise: number): void {
  if (!(noise > 0)) return;
  if (!(space instanceof Box)) {
    throw new ConfigError(
      "collectNoise",
      `applies to continuous (Box) action spaces only; this env's actions are ${space.type}: allowed: 0`,
    );
  }
  for (let j = 0; j < space.size; j++) {
    if (!Number.isFinite(space.low[j]!) || !Number.isFinite(space.high[j]!))
      throw new ConfigError(
        "collectNoise",
        `needs finite action bounds (its std is a fraction of each half-range); dimension ${j} is [${space.low[j]}, ${space.high[j]}]: allowed: 0`,
      );
  }
}

/** Writes an action into a flat float row (index for discrete, vector for continuous). */
export function actionToRow(a: Action, out: Float32Array, offset: number): void {
  if (typeof a === "number") out[offset] = a;
  else out.set(a, offset);
}

export class Collector {
  readonly envs: readonly ActingEnv[];
  readonly obsSize: number;
  readonly actionDim: number;
  /** The acting student; replace it with a fresh snapshot after each round of training. */
  student: Policy | undefined;
  private readonly opts: CollectorOptions;
  private readonly current: Float32Array[];
  private readonly epReturn: Float64Array;
  private readonly epLength: Int32Array;
  private readonly taskIds: Int32Array;

  constructor(opts: CollectorOptions) {
    if (opts.envs.length === 0) throw new ConfigError("numEnvs", "need at least one env");
    if (opts.mode !== "teacher" && !opts.student) {
      throw new ConfigError("collector", `"${opts.mode}" collection needs a student policy`);
    }
    const p = opts.resetProb ?? 0;
    if (!(p >= 0 && p < 1)) throw new ConfigError("collectResetProb", `must be in [0, 1), got ${p}`);
    if (!COLLECTOR_MODES.includes(opts.mode)) {
      throw new ConfigError(
        "collector",
        `"${opts.mode}" is not allowed; allowed: ${COLLECTOR_MODES.join(", ")}`,
      );
    }
    this.opts = opts;
    this.student = opts.student;
    this.envs = opts.envs;
    this.obsSize = opts.teacher.obsSize;
    const space = opts.envs[0]!.actionSpace;
    this.actionDim = space instanceof Discrete ? 1 : space.shape.reduce((a, b) => a * b, 1);
    this.current = opts.envs.map((env, k) => Float32Array.from(env.reset({ seed: opts.seed + k }).obs));
    this.epReturn = new Float64Array(opts.envs.length);
    this.epLength = new Int32Array(opts.envs.length);
    this.taskIds = Int32Array.from(opts.envs, (_, k) => opts.taskIds?.[k] ?? 0);
  }

  /**
   * Steps every env `stepsPerEnv` times. `beta` is the probability that the teacher acts in
   * `mixed` mode; `noise` the std of the action noise in half-ranges (0: none, and no draws, so a
   * run without noise keeps its random stream). Each labelled step goes to `buffer` (if given)
   * and to `onStep`; the stored actions are the executed (perturbed) ones.
   */
  async collect(
    stepsPerEnv: number,
    buffer?: DistillBuffer,
    beta = 1,
    onStep?: (s: LabelledStep) => void,
    noise = 0,
  ): Promise<CollectStats> {
    const { teacher, mode, rng } = this.opts;
    const space = this.envs[0]!.actionSpace;
    checkCollectNoise(space, noise);
    const resetProb = this.opts.resetProb ?? 0;
    const student = this.student;
    const m = this.envs.length;
    const d = this.obsSize;
    const ad = this.actionDim;
    const stats: CollectStats = { steps: 0, episodeReturns: [], episodeLengths: [], teacherActed: 0 };
    let teacherSteps = 0;
    for (let t = 0; t < stepsPerEnv; t++) {
      await yieldIfDue(); // Ctrl-C within a second (src/core/interrupt.ts)
      const obs = new Float32Array(m * d);
      this.current.forEach((o, k) => {
        obs.set(o, k * d);
      });
      const labels = await teacher.predict(obs, m, { features: this.opts.features, taskIds: this.taskIds });
      this.opts.onLabels?.(labels);
      const teacherActs =
        mode === "student"
          ? undefined
          : teacherActions(labels, teacher.actionSpace, {
              deterministic: this.opts.teacherDeterministic ?? false,
              rng,
            });
      const step: LabelledStep = {
        obs,
        teacher: labels,
        actions: new Float32Array(m * ad),
        rewards: new Float32Array(m),
        nextObs: new Float32Array(m * d),
        terminated: new Uint8Array(m),
        truncated: new Uint8Array(m),
        taskIds: this.taskIds,
      };
      for (let k = 0; k < m; k++) {
        const byTeacher = mode === "teacher" || (mode === "mixed" && rng.random() < beta);
        const acted = byTeacher
          ? teacherActs![k]!
          : student!.act(this.current[k]!, { deterministic: this.opts.studentDeterministic ?? false, rng });
        const action = noise > 0 ? perturbAction(acted as Float32Array, space as Box, noise, rng) : acted;
        if (byTeacher) teacherSteps++;
        actionToRow(action, step.actions, k * ad);
        const res = this.envs[k]!.step(action);
        step.rewards[k] = res.reward;
        step.nextObs.set(res.obs, k * d);
        step.terminated[k] = res.terminated ? 1 : 0;
        step.truncated[k] = res.truncated ? 1 : 0;
        this.epReturn[k] = this.epReturn[k]! + res.reward;
        this.epLength[k] = this.epLength[k]! + 1;
        const ended = res.terminated || res.truncated;
        // An early restart is a truncation: the stored next state is still the one the env reached.
        const cut = !ended && resetProb > 0 && rng.random() < resetProb;
        if (cut) step.truncated[k] = 1;
        if (ended) {
          stats.episodeReturns.push(this.epReturn[k]!);
          stats.episodeLengths.push(this.epLength[k]!);
        }
        if (ended || cut) {
          this.epReturn[k] = 0;
          this.epLength[k] = 0;
          this.current[k] = Float32Array.from(this.envs[k]!.reset().obs);
        } else this.current[k] = Float32Array.from(res.obs);
      }
      buffer?.add({
        obs,
        teacher: labels,
        actions: step.actions,
        rewards: step.rewards,
        nextObs: step.nextObs,
        terminated: step.terminated,
        taskIds: this.taskIds,
      });
      onStep?.(step);
      stats.steps += m;
    }
    stats.teacherActed = stats.steps ? teacherSteps / stats.steps : 0;
    return stats;
  }
}
