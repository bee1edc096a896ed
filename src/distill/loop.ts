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
 */

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
  /** Checked before each round: true stops the run early (Ctrl-C), still checkpointing. */
  shouldStop?: () => boolean;
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
  const checkpoints: CheckpointRecord[] = [];
  const makeEvalEnv = hooks.makeEvalEnv ?? ctx.makeEnv;
  let steps = 0;
  let next = 0;
  let interrupted = false;
  const t0 = performance.now();
  while (steps < cfg.steps) {
    if (hooks.shouldStop?.()) {
      interrupted = true;
      break;
    }
    const progress = steps / cfg.steps;
    distiller.student.fakeQuant = quantizeAwareAt(cfg, progress);
    steps += await distiller.iterate(progress);
    const p = Math.min(1, steps / cfg.steps);
    logger.record("time/fps", Math.round(steps / ((performance.now() - t0) / 1000)));
    logger.record("time/progress", p);
    logger.record("schedule/tau", ctx.tau(progress));
    logger.record("schedule/alpha", ctx.alpha(progress));
    if (cfg.collector === "mixed") logger.record("schedule/beta", ctx.beta(progress));
    logger.dump(steps);
    while (next < points.length && points[next]! <= p + 1e-12) {
      const record = await evaluateCheckpoint(ctx, distiller, hooks, makeEvalEnv, points[next]!, steps);
      checkpoints.push(record);
      next++;
    }
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
  const ret = evaluateReturns(policy, makeEvalEnv, cfg.evalEpisodes, hooks.evalSeed);
  const sim = await measureSimilarity(ctx.teacher, policy, makeEvalEnv, cfg.similarityStates, hooks.evalSeed);
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
