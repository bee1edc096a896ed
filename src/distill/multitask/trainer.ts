/**
 * The training round of multi-task and lifelong distillation:
 *
 *   for each live task t: collect rolloutSteps in each of its envs (its own teacher labels them;
 *     the student's head t acts as the collector asks) -> task t's buffer (and the replay memory);
 *     with per-task budgets, a task with a smaller budget collects its proportional share instead
 *     (budget_t / the largest budget of the rolloutSteps x numEnvs the largest-budget task collects)
 *   then trainRatio * collected gradient steps, each on one batch of
 *     (1 - replayRatio) B rows split evenly over the live tasks (balanced sampling) and
 *     replayRatio B rows of earlier tasks from the memory (lifelong stages), grouped by task:
 *     L = sum_groups (w_task * rows / B) * [L_task(head_task(trunk(x)), teacher targets; tau)
 *                                           + argmaxCoef * CE(head_task, argmax teacher)]
 *         + EWC penalty
 *   at the learning rate learningRate * lrSchedule(progress).
 *
 * One trunk forward per step for all tasks, one head forward per task; the gradients of every
 * head meet in the trunk's backward (MultiHeadStudent). Each task's loss is the registry loss for
 * its teacher's kind (logits or Q-values), so DQN and PPO teachers mix.
 */
import { yieldIfDue } from "../../core/interrupt.js";
import type { Logger } from "../../core/logger.js";
import type { Rng } from "../../core/rng.js";
import { compileSpec } from "../../nn/fast.js";
import { ArrayAdam } from "../../nn/optim.js";
import { DistillBuffer } from "../buffer.js";
import { type ActingEnv, Collector, type CollectorMode } from "../collect.js";
import type { EnvFactory } from "../evaluation.js";
import { getLoss } from "../losses/registry.js";
import { addScaled, type ObjectiveResult, type PolicyObjective } from "../objectives.js";
import { parseSchedule } from "../schedules.js";
import type { Student } from "../student.js";
import type { Teacher } from "../teacher.js";
import type { MultiTaskHyper } from "./config.js";
import type { EwcPenalty } from "./ewc.js";
import type { TaskLayout } from "./layout.js";
import type { MultiHeadStudent, TaskGroup } from "./multi-head-student.js";
import type { ReservoirMemory } from "./reservoir.js";

/** A task trained from fresh data in this run: its env, teacher, collector and buffer. */
export interface LiveTask {
  /** Task id (the student's head). */
  id: number;
  env: string;
  teacher: Teacher;
  makeEnv: EnvFactory;
}

export interface TrainerOptions {
  cfg: MultiTaskHyper;
  student: MultiHeadStudent;
  layout: TaskLayout;
  live: readonly LiveTask[];
  /** The loss of each task id (by its teacher's kind), old tasks included. */
  objectives: readonly PolicyObjective[];
  /** Loss weight of each task id. */
  weights: readonly number[];
  memory?: ReservoirMemory;
  /** Share of a batch drawn from the memory's tasks that are not live. */
  replayRatio?: number;
  ewc?: EwcPenalty;
  rng: Rng;
  logger: Logger;
  tau: (progress: number) => number;
  beta: (progress: number) => number;
  /** Seed of the first env reset of live task i's env k: seed + 1000 i + k. */
  seed: number;
  /** Env-step budget of each live task (in `live` order); default cfg.steps each. */
  budgets?: readonly number[];
}

interface LiveState extends LiveTask {
  collector: Collector;
  buffer: DistillBuffer;
  envs: ActingEnv[];
  budget: number;
  /** Env steps collected so far. */
  collected: number;
}

/** The greedy-action cross-entropy, tape-free (loss nll; the argmax of logits or Q-values alike). */
const argmaxLoss = getLoss("nll").arrays!;

/**
 * One task's loss on its rows: the distillation objective of its teacher's kind at temperature
 * tau, plus `argmaxCoef` times the cross-entropy on the teacher's greedy action (when > 0). The
 * metrics are the objective's, with `argmax_nll` added.
 */
export function taskLoss(
  objective: PolicyObjective,
  out: Float32Array,
  teacherOut: Float32Array,
  rows: number,
  tau: number,
  argmaxCoef: number,
): ObjectiveResult {
  // The student argument only matters for Gaussian students; multi-task heads are discrete.
  const res = objective(null as unknown as Student, out, { batch: rows, teacherOut }, tau);
  if (!(argmaxCoef > 0)) return res;
  const ce = argmaxLoss({ batch: rows, studentLogits: out, teacherLogits: teacherOut });
  return {
    loss: res.loss + argmaxCoef * ce.loss,
    metrics: { ...res.metrics, argmax_nll: ce.loss },
    dOut: addScaled(res.dOut, ce.grads.studentLogits!, argmaxCoef),
  };
}

/** Splits `total` into `parts` near-equal counts (the first ones get the remainder). */
export function evenSplit(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

export class TaskTrainer {
  readonly optimizer: ArrayAdam;
  private readonly o: TrainerOptions;
  private readonly live: LiveState[];
  private readonly liveIds: Set<number>;
  /** The factor on cfg.learningRate by progress (lrSchedule; config.ts checks it stays in [0, 1]). */
  private readonly lrFactor: (progress: number) => number;
  private readonly maxBudget: number;
  private updates = 0;

  constructor(o: TrainerOptions) {
    this.o = o;
    const { cfg, layout, student } = o;
    const budgets = o.budgets ?? o.live.map(() => cfg.steps);
    if (budgets.length !== o.live.length || budgets.some((b) => !(b > 0 && Number.isSafeInteger(b))))
      throw new Error(`TaskTrainer: budgets must be ${o.live.length} positive integers, got [${budgets}]`);
    this.maxBudget = Math.max(...budgets);
    this.liveIds = new Set(o.live.map((t) => t.id));
    this.live = o.live.map((t, i) => {
      const envs = Array.from({ length: cfg.numEnvs }, (_, k) => t.makeEnv(k) as ActingEnv);
      const collector = new Collector({
        envs,
        teacher: t.teacher,
        student: compileSpec(student.specFor(t.id)),
        mode: cfg.collector as CollectorMode,
        rng: o.rng.spawn(100 + i),
        seed: o.seed + 1000 * i,
        teacherDeterministic: cfg.teacherDeterministic,
        studentDeterministic: cfg.studentDeterministic,
      });
      const buffer = new DistillBuffer({
        capacity: cfg.bufferSize,
        obsSize: layout.inputSize,
        actionSize: layout.task(t.id).actions,
        obsDtype: layout.inputDtype,
      });
      return { ...t, collector, buffer, envs, budget: budgets[i]!, collected: 0 };
    });
    this.optimizer = new ArrayAdam([student.paramGroup()], { lr: cfg.learningRate });
    this.lrFactor = parseSchedule(cfg.lrSchedule, "lrSchedule");
  }

  /** Env steps of every live task's budget together. */
  get budget(): number {
    return this.live.reduce((a, t) => a + t.budget, 0);
  }

  /** True while some live task has collected less than its budget. */
  get unfinished(): boolean {
    return this.live.some((t) => t.collected < t.budget);
  }

  /** Env steps collected so far by each live task, by task id. */
  collectedByTask(): Map<number, number> {
    return new Map(this.live.map((t) => [t.id, t.collected]));
  }

  /**
   * Steps per env that live task `t` collects this round. A task with the largest budget collects
   * rolloutSteps per env (so equal budgets collect as without any); a smaller budget keeps pace
   * in proportion, so every task's states are spread over the whole run (the same tau, beta and
   * learning-rate schedule for all) rather than one task finishing early. 0 once the budget is met.
   */
  private roundSteps(t: LiveState): number {
    const { rolloutSteps, numEnvs } = this.o.cfg;
    if (t.collected >= t.budget) return 0;
    if (t.budget === this.maxBudget) return rolloutSteps;
    const leader = this.live.find((l) => l.budget === this.maxBudget)!;
    // The leader's total after this round (it rounds up to whole rounds, as equal budgets do).
    const lead = leader.collected < leader.budget ? leader.collected + rolloutSteps * numEnvs : leader.budget;
    const target = Math.min(t.budget, Math.ceil((t.budget * lead) / this.maxBudget));
    return Math.max(0, Math.ceil((target - t.collected) / numEnvs));
  }

  /**
   * One round: collect for every live task, then train; resolves to the env steps collected. Yields
   * to the event loop every few ms and stops training early once `signal` is aborted (Ctrl-C).
   */
  async iterate(progress: number, signal?: AbortSignal): Promise<number> {
    const { cfg, logger, layout, student, memory, rng } = this.o;
    let collected = 0;
    for (const t of this.live) {
      const perEnv = this.roundSteps(t);
      if (perEnv === 0) continue;
      t.collector.student = compileSpec(student.specFor(t.id));
      const stats = await t.collector.collect(perEnv, undefined, this.o.beta(progress), (s) => {
        const input = layout.allocInput(s.teacher.n);
        layout.toInput(t.id, s.obs, s.teacher.n, input);
        t.buffer.add({ obs: input, teacher: s.teacher });
        memory?.add(t.id, input, s.teacher.n, s.teacher.outputs, s.teacher.actionSize, rng);
      });
      collected += stats.steps;
      t.collected += stats.steps;
      for (const r of stats.episodeReturns) logger.recordMean(`rollout/${t.env}/ep_rew_mean`, r);
      logger.record(`rollout/${t.env}/teacher_acted`, stats.teacherActed);
    }
    const steps = Math.max(1, Math.round(cfg.trainRatio * collected));
    // Set from progress each round, so a lifelong stage or a resumed run follows the same decay.
    this.optimizer.lr = cfg.learningRate * this.lrFactor(progress);
    logger.record("train/learning_rate", this.optimizer.lr);
    for (let i = 0; i < steps && !signal?.aborted; i++) {
      this.step(progress);
      await yieldIfDue();
    }
    logger.record("train/updates", this.updates);
    if (memory) logger.record("memory/rows", memory.size);
    return collected;
  }

  /** The batch of one step: live tasks' rows first (balanced), then the memory's earlier tasks. */
  private batch(): { input: Float32Array; groups: TaskGroup[]; targets: Float32Array[] } {
    const { cfg, layout, memory, rng } = this.o;
    const B = cfg.batchSize;
    const old = memory
      ? memory.sample(Math.round(B * (this.o.replayRatio ?? 0)), rng, (t) => !this.liveIds.has(t))
      : new Int32Array(0);
    const fromMemory = old.length ? memory!.gather(old) : undefined;
    const counts = evenSplit(B - old.length, this.live.length);
    const n = B;
    const input = new Float32Array(n * layout.inputSize);
    const groups: TaskGroup[] = [];
    const targets: Float32Array[] = [];
    let row = 0;
    this.live.forEach((t, i) => {
      const c = Math.min(counts[i]!, Math.max(t.buffer.size, 0));
      if (c === 0 || t.buffer.size === 0) return;
      const s = t.buffer.sample(c, rng);
      input.set(s.obs, row * layout.inputSize);
      groups.push({ task: t.id, start: row, count: c });
      targets.push(s.teacherOut);
      row += c;
    });
    if (fromMemory) {
      input.set(fromMemory.input, row * layout.inputSize);
      fromMemory.groups.forEach((g, i) => {
        groups.push({ task: g.task, start: row + g.start, count: g.count });
        targets.push(fromMemory.targets[i]!);
      });
      row += fromMemory.n;
    }
    return { input: row === n ? input : input.subarray(0, row * layout.inputSize), groups, targets };
  }

  private step(progress: number): void {
    const { cfg, student, objectives, weights, logger, ewc } = this.o;
    const { input, groups, targets } = this.batch();
    const n = groups.reduce((a, g) => a + g.count, 0);
    if (n === 0) return;
    const outs = student.forward(input, n, groups);
    const tau = this.o.tau(progress);
    let loss = 0;
    const grads = groups.map((g, i) => {
      const name = this.o.layout.task(g.task).name;
      const res = taskLoss(objectives[g.task]!, outs[i]!, targets[i]!, g.count, tau, cfg.argmaxCoef);
      const scale = (weights[g.task]! * g.count) / n;
      loss += scale * res.loss;
      logger.recordMean(`train/${name}/loss`, res.loss);
      if (res.metrics["agreement"] !== undefined)
        logger.recordMean(`train/${name}/agreement`, res.metrics["agreement"]);
      if (res.metrics["argmax_nll"] !== undefined)
        logger.recordMean(`train/${name}/argmax_nll`, res.metrics["argmax_nll"]);
      const d = res.dOut;
      for (let j = 0; j < d.length; j++) d[j] = d[j]! * scale;
      return d;
    });
    student.backward(grads);
    if (ewc) {
      const penalty = ewc.apply(student.values, student.grad);
      logger.recordMean("train/ewc_penalty", penalty);
      loss += penalty;
    }
    const gradNorm = this.optimizer.clipGradNorm(cfg.maxGradNorm);
    this.optimizer.apply();
    student.paramsChanged();
    this.updates++;
    logger.recordMean("train/loss", loss);
    logger.recordMean("train/grad_norm", gradNorm);
  }

  /** Input rows and task ids of up to `n` recent states of every live task (for the EWC Fisher). */
  recentStates(n: number): { input: Float32Array; tasks: Int32Array; n: number } {
    const { layout, rng } = this.o;
    const per = evenSplit(n, this.live.length);
    const parts = this.live.map((t, i) => (t.buffer.size ? t.buffer.sample(per[i]!, rng) : undefined));
    const total = parts.reduce((a, p) => a + (p?.n ?? 0), 0);
    const input = new Float32Array(total * layout.inputSize);
    const tasks = new Int32Array(total);
    let row = 0;
    parts.forEach((p, i) => {
      if (!p) return;
      input.set(p.obs, row * layout.inputSize);
      tasks.fill(this.live[i]!.id, row, row + p.n);
      row += p.n;
    });
    return { input, tasks, n: total };
  }

  dispose(): void {
    for (const t of this.live) for (const env of t.envs) env.close();
  }
}
