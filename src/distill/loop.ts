/**
 * The loop every distiller runs in, so the algorithm files hold only their math:
 *
 *   for (;;) {
 *     used = await distiller.iterate(progress);   // collect, then train steps (clipped, seeded)
 *     log rollout/ train/ time/ to progress.jsonl
 *     at every `evalEvery` of the budget: evaluate the student (return, agreement, JS on the
 *       states it visits), log eval/, checkpoint the student file
 *     stop at the step budget, or early when asked (Ctrl-C), leaving a loadable checkpoint
 *   }
 *
 * Ctrl-C: `hooks.signal` (aborted at the first Ctrl-C) is checked between rounds; inside a round the
 * distillers call `await yieldIfDue()` and stop early once `ctx.stopRequested()` (a round can take
 * seconds with large trainRatio or batches); an evaluation under way is abandoned (its figures
 * would describe a student that is not the one saved). The caller saves the student.
 */

import { InterruptedError } from "../core/interrupt.js";
import type { Logger } from "../core/logger.js";
import type { Rng } from "../core/rng.js";
import type { CompiledPolicy } from "../nn/fast.js";
import type { ObsNormSpec, PolicySpec } from "../nn/spec.js";
import type { DistillConfig } from "./config.js";
import { type EnvFactory, evaluateReturns, measureSimilarity } from "./evaluation.js";
import type { PolicyObjective } from "./objectives.js";
import type { CheckpointRecord } from "./run-dir.js";
import type { Student, StudentOptions } from "./student.js";
import type { Teacher } from "./teacher.js";

/** Everything a distiller is built from. */
export interface DistillContext {
  readonly cfg: DistillConfig;
  readonly teacher: Teacher;
  /** Training env `index` (env i is first reset with seed + i by the collectors). */
  readonly makeEnv: EnvFactory;
  /** The distiller's own generator (weights, sampling, exploration), derived from cfg.seed. */
  readonly rng: Rng;
  readonly logger: Logger;
  /** Temperature, distillation weight and teacher-acting probability, as functions of progress. */
  readonly tau: (progress: number) => number;
  readonly alpha: (progress: number) => number;
  readonly beta: (progress: number) => number;
  /** The policy term of cfg.loss for this teacher's kind. */
  readonly objective: PolicyObjective;
  /** The teacher's observation normalisation, which the student copies. */
  readonly obsNorm?: ObsNormSpec;
  /** Task id of each training env (routing teachers), when the run has tasks. */
  readonly taskIds?: readonly number[];
  /** A fresh student of cfg.student's shape for this teacher and env, with `extra` options. */
  newStudent(extra?: Partial<StudentOptions>): Student;
  /**
   * True once a stop was asked for (Ctrl-C): long loops inside `iterate` (train steps, rollouts)
   * end the round early. They also `await yieldIfDue()` (src/core/interrupt.ts) so the signal is seen.
   */
  stopRequested(): boolean;
}

export interface Distiller {
  readonly student: Student;
  /** One round of collection and training; resolves to the environment steps used. */
  iterate(progress: number): Promise<number>;
  /** The deployable student (what is evaluated and saved). Default: the student's own spec. */
  deployedSpec?(): PolicySpec;
  dispose(): void;
}

export type DistillerFactory = (ctx: DistillContext) => Distiller;

export interface LoopHooks {
  /** Aborted = stop early (Ctrl-C); checked between rounds and inside evaluations. */
  signal?: AbortSignal;
  /** Checked before each round: true stops the run early, as an aborted `signal` does. */
  shouldStop?: () => boolean;
  /** Resumed runs: the step to start from and the evaluations already done. Default 0, none. */
  startStep?: number;
  checkpoints?: CheckpointRecord[];
  /** Called after each evaluation with the deployable spec (save it). */
  onCheckpoint?: (record: CheckpointRecord, spec: PolicySpec) => void;
  /** Called after each evaluation (dynamic distillation weights listen here). */
  onEval?: (record: CheckpointRecord) => void;
  /** One line per evaluation, for the console. */
  print?: (line: string) => void;
  /** Env factory for evaluations (default ctx.makeEnv). */
  makeEvalEnv?: EnvFactory;
  /** Seed of evaluation episodes (the same at every checkpoint, so they compare). */
  evalSeed: number;
  /** Deployable policy of a distiller. */
  policyOf: (d: Distiller) => { spec: PolicySpec; policy: CompiledPolicy };
}

export interface LoopResult {
  steps: number;
  checkpoints: CheckpointRecord[];
  interrupted: boolean;
}

/** Small non-negative figures (divergences) readably: 0.0123, or 4.56e-6 below 0.001. */
export function formatSmall(v: number): string {
  return v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toFixed(4);
}

/** Progress fractions at which to evaluate: evalEvery, 2 evalEvery, ..., always ending at 1. */
export function evalPoints(evalEvery: number): number[] {
  const n = Math.ceil(1 / evalEvery - 1e-9);
  return Array.from({ length: n }, (_, k) => Math.min(1, Number(((k + 1) * evalEvery).toFixed(10))));
}

export async function runLoop(
  ctx: DistillContext,
  distiller: Distiller,
  hooks: LoopHooks,
): Promise<LoopResult> {
  const { cfg, logger } = ctx;
  const points = evalPoints(cfg.evalEvery);
  const checkpoints: CheckpointRecord[] = [...(hooks.checkpoints ?? [])];
  const makeEvalEnv = hooks.makeEvalEnv ?? ctx.makeEnv;
  const stopped = () => hooks.signal?.aborted === true || hooks.shouldStop?.() === true;
  let steps = hooks.startStep ?? 0;
  let next = points.filter((p) => p <= steps / cfg.steps + 1e-12).length;
  let interrupted = false;
  const t0 = performance.now();
  const startSteps = steps;
  try {
    while (steps < cfg.steps) {
      if (stopped()) {
        interrupted = true;
        break;
      }
      const progress = steps / cfg.steps;
      distiller.student.fakeQuant = quantizeAwareAt(cfg, progress);
      steps += await distiller.iterate(progress);
      const p = Math.min(1, steps / cfg.steps);
      logger.record("time/fps", Math.round((steps - startSteps) / ((performance.now() - t0) / 1000)));
      logger.record("time/progress", p);
      logger.record("schedule/tau", ctx.tau(progress));
      if (cfg.alpha !== undefined) logger.record("schedule/alpha", ctx.alpha(progress));
      if (cfg.collector === "mixed") logger.record("schedule/beta", ctx.beta(progress));
      logger.dump(steps);
      // A round cut short by Ctrl-C is not evaluated: stop now.
      if (hooks.signal?.aborted) {
        interrupted = steps < cfg.steps || next < points.length;
        if (interrupted) break;
      }
      while (next < points.length && points[next]! <= p + 1e-12) {
        const record = await evaluateCheckpoint(ctx, distiller, hooks, makeEvalEnv, points[next]!, steps);
        checkpoints.push(record);
        next++;
      }
    }
  } catch (err) {
    if (!(err instanceof InterruptedError)) throw err;
    interrupted = true; // an evaluation abandoned at Ctrl-C
  }
  // The deployed student of a quantization-aware run is int8 even if training stopped before quantizeAwareStart.
  if (cfg.quantizeAware) distiller.student.fakeQuant = true;
  return { steps, checkpoints, interrupted };
}

/** Whether the student trains through int8 fake quantization at `progress` (cfg.quantizeAware). */
export function quantizeAwareAt(
  cfg: Pick<DistillConfig, "quantizeAware" | "quantizeAwareStart">,
  progress: number,
): boolean {
  return cfg.quantizeAware === true && progress >= cfg.quantizeAwareStart;
}

async function evaluateCheckpoint(
  ctx: DistillContext,
  distiller: Distiller,
  hooks: LoopHooks,
  makeEvalEnv: EnvFactory,
  progress: number,
  step: number,
): Promise<CheckpointRecord> {
  const { cfg, logger } = ctx;
  const { spec, policy } = hooks.policyOf(distiller);
  const ret = await evaluateReturns(policy, makeEvalEnv, cfg.evalEpisodes, hooks.evalSeed, hooks.signal);
  const sim = await measureSimilarity(
    ctx.teacher,
    policy,
    makeEvalEnv,
    cfg.similarityStates,
    hooks.evalSeed,
    hooks.signal,
  );
  const record: CheckpointRecord = {
    progress,
    step,
    mean_return: ret.meanReturn,
    std_return: ret.stdReturn,
    agreement: sim.agreement,
    js_divergence: sim.js_divergence,
  };
  logger.record("eval/progress", progress);
  logger.record("eval/mean_return", ret.meanReturn);
  logger.record("eval/std_return", ret.stdReturn);
  if (sim.agreement !== null) logger.record("eval/agreement", sim.agreement);
  logger.record("eval/js_divergence", sim.js_divergence);
  logger.dump(step);
  hooks.onEval?.(record);
  hooks.onCheckpoint?.(record, spec);
  const agree = sim.agreement === null ? "" : `  agreement ${(100 * sim.agreement).toFixed(1)}%`;
  hooks.print?.(
    `  ${String(Math.round(progress * 100)).padStart(3)}%  step ${String(step).padStart(7)}  return ${ret.meanReturn.toFixed(1)} +- ${ret.stdReturn.toFixed(1)}${agree}  JS ${formatSmall(sim.js_divergence)}`,
  );
  return record;
}
