/**
 * The loop of a multi-task or lifelong run, after its tasks, student and trainer are set up:
 *
 *   until every live task has collected its env-step budget (cfg.steps, or its taskSteps/stageSteps entry):
 *     trainer.iterate(progress)                      (collect for each live task, then train)
 *     log rollout/ train/ time/ to progress.jsonl; yield to the event loop (Ctrl-C)
 *     at every evalEvery: evaluate every task's head (return, retention; agreement with the live
 *       teachers, or with the stored targets for earlier tasks), log eval/<task>/..., checkpoint
 *   final evaluation of every task with finalEpisodes
 *
 * Retention of each task is measured against its own teacher and random policy
 * (`TaskBaseline`), measured once when the task was loaded.
 */
import { checkInterrupt, InterruptedError } from "../../core/interrupt.js";
import type { Logger } from "../../core/logger.js";
import { argmaxRows } from "../../nn/distributions.js";
import type { EnvFactory } from "../evaluation.js";
import type { Teacher } from "../teacher.js";
import type { MultiTaskHyper } from "./config.js";
import type { MultiHeadStudent } from "./multi-head-student.js";
import type { ReservoirMemory } from "./reservoir.js";
import { evaluateTask, type TaskBaseline, type TaskEval, taskSlug } from "./tasks.js";
import type { TaskTrainer } from "./trainer.js";

/** One task as the loop evaluates it. */
export interface EvalTask {
  id: number;
  env: string;
  makeEnv: EnvFactory;
  baseline: TaskBaseline;
  /** The live teacher (agreement on the student's states); absent for earlier tasks. */
  teacher?: Teacher;
}

export interface TasksCheckpoint {
  progress: number;
  step: number;
  tasks: Record<string, TaskEval>;
  mean_retention: number | null;
}

export interface TasksLoopOptions {
  cfg: MultiTaskHyper;
  student: MultiHeadStudent;
  trainer: TaskTrainer;
  tasks: readonly EvalTask[];
  memory?: ReservoirMemory;
  logger: Logger;
  evalSeed: number;
  print: (line: string) => void;
  shouldStop?: () => boolean;
  /** Aborted at Ctrl-C: the loop stops at the next round (or evaluation) and returns what it has. */
  signal?: AbortSignal;
  /** Called after each evaluation (save a checkpoint). */
  onCheckpoint?: (c: TasksCheckpoint) => void;
}

/** Mean of the non-null retentions. */
export function meanRetention(evals: Record<string, TaskEval>): number | null {
  const xs = Object.values(evals)
    .map((e) => e.retention)
    .filter((r): r is number => r !== null);
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

/** Greedy agreement of the student's head with the stored teacher targets of a task (earlier tasks). */
export function memoryAgreement(
  student: MultiHeadStudent,
  memory: ReservoirMemory | undefined,
  task: number,
  rows = 2000,
): number | null {
  if (!memory) return null;
  const take = memory.rowsOf(task, rows);
  if (take.length === 0) return null;
  const batch = memory.gather(take);
  const outs = student.forward(batch.input, batch.n, batch.groups);
  const k = student.layout.task(task).actions;
  const s = argmaxRows(outs[0]!, batch.n, k);
  const t = argmaxRows(batch.targets[0]!, batch.n, k);
  let agree = 0;
  for (let r = 0; r < batch.n; r++) if (s[r] === t[r]) agree++;
  return agree / batch.n;
}

/** Evaluates every task; returns the figures by task name. */
export async function evaluateTasks(
  o: Pick<TasksLoopOptions, "student" | "tasks" | "memory" | "cfg" | "signal">,
  episodes: number,
  seed: number,
  states: number,
): Promise<Record<string, TaskEval>> {
  const out: Record<string, TaskEval> = {};
  for (const t of o.tasks) {
    const e = await evaluateTask(o.student, t.id, t.makeEnv, t.baseline, {
      episodes,
      seed: seed + 10_000 * t.id,
      teacher: t.teacher,
      signal: o.signal,
      similarityStates: states,
    });
    if (!t.teacher) e.agreement = memoryAgreement(o.student, o.memory, t.id, states);
    out[t.env] = e;
    await checkInterrupt(o.signal);
  }
  return out;
}

function logEvals(
  logger: Logger,
  evals: Record<string, TaskEval>,
  progress: number,
  step: number,
): number | null {
  const mean = meanRetention(evals);
  logger.record("eval/progress", progress);
  for (const [env, e] of Object.entries(evals)) {
    const key = taskSlug(env);
    logger.record(`eval/${key}/mean_return`, e.mean_return);
    if (e.retention !== null) logger.record(`eval/${key}/retention`, e.retention);
    if (e.agreement !== null) logger.record(`eval/${key}/agreement`, e.agreement);
  }
  if (mean !== null) logger.record("eval/mean_retention", mean);
  logger.dump(step);
  return mean;
}

/** Progress fractions at which to evaluate (evalEvery, 2 evalEvery, ..., 1). */
function evalPoints(every: number): number[] {
  const n = Math.ceil(1 / every - 1e-9);
  return Array.from({ length: n }, (_, k) => Math.min(1, Number(((k + 1) * every).toFixed(10))));
}

export async function runTasksLoop(
  o: TasksLoopOptions,
): Promise<{ steps: number; interrupted: boolean; checkpoints: TasksCheckpoint[] }> {
  const { cfg, logger } = o;
  // Progress (the schedules' and evalEvery's clock) is the share of all live tasks' budgets collected.
  const budget = o.trainer.budget;
  const points = evalPoints(cfg.evalEvery);
  const checkpoints: TasksCheckpoint[] = [];
  let steps = 0;
  let next = 0;
  const t0 = performance.now();
  const stopped = () => o.signal?.aborted === true || o.shouldStop?.() === true;
  try {
    while (o.trainer.unfinished && !stopped()) {
      steps += await o.trainer.iterate(steps / budget, o.signal);
      const p = Math.min(1, steps / budget);
      logger.record("time/fps", Math.round(steps / ((performance.now() - t0) / 1000)));
      logger.record("time/progress", p);
      logger.dump(steps);
      if (stopped()) break;
      while (next < points.length && points[next]! <= p + 1e-12) {
        const evals = await evaluateTasks(
          o,
          cfg.evalEpisodes,
          o.evalSeed,
          Math.min(cfg.similarityStates, 1000),
        );
        const mean = logEvals(logger, evals, points[next]!, steps);
        const c = { progress: points[next]!, step: steps, tasks: evals, mean_retention: mean };
        checkpoints.push(c);
        o.onCheckpoint?.(c);
        const parts = Object.entries(evals).map(
          ([env, e]) => `${taskSlug(env)} ${e.retention === null ? "-" : e.retention.toFixed(2)}`,
        );
        o.print(
          `  ${String(Math.round(points[next]! * 100)).padStart(3)}%  step ${String(steps).padStart(8)}  retention ${parts.join(", ")}  mean ${mean === null ? "-" : mean.toFixed(3)}`,
        );
        next++;
      }
    }
  } catch (err) {
    // Ctrl-C during an evaluation: stop there, keeping what was learnt.
    if (!(err instanceof InterruptedError)) throw err;
  }
  const interrupted = o.trainer.unfinished || stopped();
  return { steps, interrupted, checkpoints };
}
