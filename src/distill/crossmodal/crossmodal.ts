/**
 * `distillCrossModal()`: a teacher that sees one view of an env teaches a student that sees
 * another view of the same states: a MinAtar state-vector teacher teaches a pixel student, or the
 * reverse; a privileged teacher with the full state teaches a student with partial observations
 * (e.g. CartPole without velocities, with frame stacking). rsl_rl's Distillation runner ships
 * legged-robot policies this way (privileged teacher, deployable student).
 *
 *   const { summary } = await distillCrossModal({
 *     env: "CartPole-v1", teacher: "models/cartpole-ppo.rldistill",
 *     teacherView: "full", studentView: "drop:1,3", frameStack: 4, steps: 20_000, seed: 1,
 *   });
 *   summary.retention; summary.steps_to_target;   // env steps to reach 90% of the teacher
 *
 * Each collected step: the env steps once (as the student's env); the teacher labels its own view
 * of the state (views.ts, PairedCollector); the student's view and the label go to the buffer; the
 * student (src/distill/student.ts) is trained on them with the registry loss, as in policy
 * distillation. Every `evalEvery` env steps the student is evaluated on its own view, so the run
 * reports the env steps it took to reach `target` (0.9) retention, the figure to compare with RL
 * from scratch on the student's view (bench/multitask.ts).
 *
 * A student on vector views gets observation normalisation from the first collected round (the
 * teacher's statistics are for the teacher's view); the statistics are frozen and saved with it.
 */

import type { Env } from "../../core/env.js";
import { ConfigError } from "../../core/errors.js";
import { InterruptedError, yieldIfDue } from "../../core/interrupt.js";
import { JsonlWriter, Logger } from "../../core/logger.js";
import { Rng } from "../../core/rng.js";
import { openRunFolder, type RunFolder } from "../../core/run-dir.js";
import { Box, type Discrete, obsStorageDtypeOf } from "../../core/spaces.js";
import { retention } from "../../eval/evaluate.js";
import { type Architecture, formatArch, parseArch } from "../../nn/arch.js";
import { initBackend } from "../../nn/backend.js";
import { encodeArtifact, encodePolicySpec, POLICY_KIND } from "../../nn/checkpoint.js";
import { compileSpec } from "../../nn/fast.js";
import { ArrayAdam } from "../../nn/optim.js";
import type { ObsNormSpec } from "../../nn/spec.js";
import { DistillBuffer } from "../buffer.js";
import type { CollectorMode } from "../collect.js";
import { evaluateRandom, evaluateReturns, evaluateTeacher, figures } from "../evaluation.js";
import type { TasksRunOptions } from "../multitask/multitask.js";
import { policyObjective } from "../objectives.js";
import type { EvalFigures } from "../run-dir.js";
import { parseSchedule } from "../schedules.js";
import { Student } from "../student.js";
import { checkCompatible, type Teacher } from "../teacher.js";
import { loadTeacher } from "../teachers/load.js";
import { type CrossModalConfig, resolveCrossModalConfig } from "./config.js";
import { PairedCollector, pairedAgreement } from "./paired-collector.js";
import { obsStatistics, stepsToTarget } from "./stats.js";
import { ViewPair } from "./views.js";

export { obsStatistics, stepsToTarget } from "./stats.js";

export interface CrossModalRecord {
  step: number;
  mean_return: number;
  std_return: number;
  retention: number | null;
}

export interface CrossModalSummary {
  kind: "crossmodal";
  env: string;
  teacher_view: string;
  student_view: string;
  frame_stack: number;
  seed: number;
  steps: number;
  wall_seconds: number;
  interrupted: boolean;
  teacher: { file: string; params: number; obs_shape: number[]; eval: EvalFigures };
  /** `eval` is null when the run was interrupted (no final evaluation). */
  student: { arch: string; params: number; obs_shape: number[]; file: string; eval: EvalFigures | null };
  random: { eval: EvalFigures };
  retention: number | null;
  agreement: number | null;
  target: number;
  /** Env steps at the first evaluation whose retention reached `target`; null if none did. */
  steps_to_target: number | null;
  /** Env steps from which every later evaluation stayed at or above `target`; null if the last one is below. */
  steps_to_target_sustained: number | null;
  evaluations: CrossModalRecord[];
}

export const CROSSMODAL_STUDENT_FILE = "student.rldistill";

export async function distillCrossModal(
  input: Partial<CrossModalConfig> | Record<string, unknown>,
  opts: TasksRunOptions = {},
) {
  const cfg = resolveCrossModalConfig(input);
  const print = opts.print ?? (() => {});
  await initBackend();
  const pair = new ViewPair(cfg.env, {
    teacher: cfg.teacherView,
    student: cfg.studentView,
    frameStack: cfg.frameStack,
    maxEpisodeSteps: cfg.maxEpisodeSteps,
  });
  const probeTeacher = pair.makeTeacherEnv() as Env<unknown, unknown>;
  const teacher = await loadTeacher(cfg.teacher, { env: probeTeacher });
  try {
    checkCompatible(teacher, probeTeacher);
  } catch (err) {
    throw new ConfigError(
      "teacherView",
      `the teacher's view "${cfg.teacherView}" of ${cfg.env} does not fit the teacher: ${(err as Error).message}`,
    );
  } finally {
    probeTeacher.close();
  }
  if (teacher.kind === "gaussian")
    throw new ConfigError("teacher", "cross-modal distillation here needs a discrete-action teacher");
  const { student: studentSpace } = pair.spaces();
  const probe = pair.makeStudentEnv();
  const actionSpace = probe.actionSpace as unknown as Discrete;
  probe.close();
  const image = studentSpace.shape.length === 3;
  const obsShape = image ? [...studentSpace.shape] : [studentSpace.size];
  const arch = parseArch(
    cfg.student === "auto" ? (image ? "conv16x3,fc128" : "64,64") : cfg.student,
    "student",
  );
  if (arch.convs.length && !image)
    throw new ConfigError(
      "student",
      `convolutions need an image view; the student sees ${cfg.studentView} ([${studentSpace.shape}])`,
    );
  const normalize =
    cfg.normalizeStudentObs === "on" ||
    (cfg.normalizeStudentObs === "auto" && !image && studentSpace.dtype !== "uint8");

  const folder = openRunFolder(cfg.out, {
    mode: opts.overwrite ? "overwrite" : "new",
    command: opts.command,
  });
  try {
    return await runCrossModal({
      cfg,
      opts,
      print,
      folder,
      pair,
      teacher,
      studentSpace,
      actionSpace,
      obsShape,
      arch,
      normalize,
    });
  } finally {
    folder.release();
    teacher.dispose?.();
  }
}

interface RunArgs {
  cfg: CrossModalConfig;
  opts: TasksRunOptions;
  print: (line: string) => void;
  folder: RunFolder;
  pair: ViewPair;
  teacher: Teacher;
  studentSpace: Box;
  actionSpace: Discrete;
  obsShape: number[];
  arch: Architecture;
  normalize: boolean;
}

async function runCrossModal(a: RunArgs) {
  const { cfg, opts, print, folder, pair, teacher, studentSpace, arch } = a;
  for (const n of folder.notes) print(`note: ${n}`);
  folder.writeJson("config.json", cfg);
  const logger = new Logger([new JsonlWriter(folder.path("progress.jsonl"))]);
  const t0 = performance.now();
  const root = new Rng(cfg.seed);
  const evalSeed = cfg.seed * 1000 + 100_000;
  const finalSeed = cfg.seed * 1000 + 200_000;
  const stopped = () => opts.signal?.aborted === true || opts.shouldStop?.() === true;
  print(
    `built: ${pair.describe()}; a ${formatArch(arch)} student; evaluating the teacher (its view) and a random policy...`,
  );
  const teacherEval = await evaluateTeacher(
    teacher,
    pair.makeTeacherEnv,
    cfg.finalEpisodes,
    finalSeed,
    opts.signal,
  );
  const randomEval = await evaluateRandom(pair.makeStudentEnv, cfg.finalEpisodes, finalSeed, opts.signal);
  print(
    `  teacher ${teacherEval.meanReturn.toFixed(1)} (${teacher.params} parameters), random ${randomEval.meanReturn.toFixed(1)}`,
  );
  const buffer = new DistillBuffer({
    capacity: cfg.bufferSize,
    obsSize: studentSpace.size,
    actionSize: teacher.actionSize,
    obsDtype: obsStorageDtypeOf(studentSpace),
  });
  const rng = root.spawn(1);
  const collector = new PairedCollector({
    pair,
    numEnvs: cfg.numEnvs,
    teacher,
    mode: cfg.collector as CollectorMode,
    rng: rng.spawn(1),
    seed: cfg.seed,
    teacherDeterministic: cfg.teacherDeterministic,
  });
  try {
    const beta = parseSchedule(cfg.beta, "beta");
    const tau = parseSchedule(cfg.tau, "tau");
    // The first round: the teacher acts (there is no student yet), and its states give the student's statistics.
    const first = await collector.collect(cfg.rolloutSteps, buffer, 1, "teacher");
    let steps = first.steps;
    let obsNorm: ObsNormSpec | undefined;
    if (a.normalize) {
      const all = buffer.gather(Int32Array.from({ length: buffer.size }, (_, i) => i));
      obsNorm = obsStatistics(all.obs, all.n, studentSpace.size);
    }
    const student = new Student({
      obsSize: studentSpace.size,
      obsShape: a.obsShape,
      actionSpace: a.actionSpace,
      hidden: arch.hidden,
      convs: arch.convs,
      activation:
        cfg.activation === "auto"
          ? arch.convs.length
            ? "relu"
            : "tanh"
          : (cfg.activation as "tanh" | "relu"),
      output: "logits",
      obsNorm,
      rng: root.spawn(0),
    });
    const objective = policyObjective(cfg.loss, teacher.kind);
    const optimizer = new ArrayAdam([student.paramGroup()], { lr: cfg.learningRate });
    print(
      `distilling into a ${formatArch(arch)} student (${student.params} parameters) over ${cfg.steps} env steps`,
    );
    const evaluations: CrossModalRecord[] = [];
    const evaluate = async () => {
      const r = await evaluateReturns(
        student.policy(),
        pair.makeStudentEnv,
        cfg.evalEpisodes,
        evalSeed,
        opts.signal,
      );
      const rec = {
        step: steps,
        mean_return: r.meanReturn,
        std_return: r.stdReturn,
        retention: retention(r.meanReturn, teacherEval.meanReturn, randomEval.meanReturn),
      };
      evaluations.push(rec);
      logger.record("eval/mean_return", rec.mean_return);
      if (rec.retention !== null) logger.record("eval/retention", rec.retention);
      logger.dump(steps);
      print(
        `  step ${String(steps).padStart(8)}  return ${rec.mean_return.toFixed(1)}  retention ${rec.retention?.toFixed(3) ?? "-"}`,
      );
    };
    let updates = 0;
    const train = async (n: number, progress: number) => {
      for (let i = 0; i < n && !stopped(); i++) {
        const s = buffer.sample(Math.min(cfg.batchSize, buffer.size), rng);
        const f = student.forward(s.obs, s.n);
        const res = objective(student, f.out, { batch: s.n, teacherOut: s.teacherOut }, tau(progress));
        student.backward({ out: res.dOut });
        const norm = optimizer.clipGradNorm(cfg.maxGradNorm);
        optimizer.apply();
        student.paramsChanged();
        updates++;
        logger.recordMean("train/loss", res.loss);
        logger.recordMean("train/grad_norm", norm);
        if (res.metrics["agreement"] !== undefined)
          logger.recordMean("train/agreement", res.metrics["agreement"]);
        await yieldIfDue();
      }
    };
    const reached = () => stepsToTarget(evaluations, cfg.target) !== null;
    let interrupted = false;
    try {
      await train(Math.max(1, Math.round(cfg.trainRatio * first.steps)), 0);
      let nextEval = cfg.evalEvery;
      while (steps < cfg.steps && !stopped()) {
        if (steps >= nextEval) {
          await evaluate();
          nextEval += cfg.evalEvery;
          if (cfg.stopAtTarget && reached()) break;
        }
        const progress = steps / cfg.steps;
        collector.student = student.policy();
        const stats = await collector.collect(cfg.rolloutSteps, buffer, beta(progress));
        steps += stats.steps;
        for (const r of stats.episodeReturns) logger.recordMean("rollout/ep_rew_mean", r);
        logger.record("rollout/teacher_acted", stats.teacherActed);
        await train(Math.max(1, Math.round(cfg.trainRatio * stats.steps)), progress);
        logger.record("train/updates", updates);
        logger.record("time/fps", Math.round(steps / ((performance.now() - t0) / 1000)));
        logger.dump(steps);
        await yieldIfDue();
      }
      interrupted = stopped();
      const last = evaluations[evaluations.length - 1];
      if (!interrupted && last?.step !== steps && !(cfg.stopAtTarget && reached())) await evaluate();
    } catch (err) {
      // Ctrl-C during an evaluation: stop there, keeping what was learnt.
      if (!(err instanceof InterruptedError)) throw err;
      interrupted = true;
    }
    const spec = student.toSpec();
    const studentEnv = pair.makeStudentEnv();
    const { structure, tensors } = encodePolicySpec(spec);
    const meta = {
      kind: "student",
      env: cfg.env,
      view: cfg.studentView,
      frameStack: cfg.frameStack,
      observationSpace: studentEnv.observationSpace.toJSON(),
      actionSpace: studentEnv.actionSpace.toJSON(),
      teacher: cfg.teacher,
      teacherView: cfg.teacherView,
      method: "crossmodal",
      seed: cfg.seed,
      interrupted,
    };
    studentEnv.close();
    folder.writeText(
      CROSSMODAL_STUDENT_FILE,
      encodeArtifact({ kind: POLICY_KIND, config: structure, meta, tensors }),
    );
    // An interrupted run is not evaluated again (no final figures are claimed for it).
    const policy = compileSpec(spec);
    const final = interrupted
      ? null
      : await evaluateReturns(policy, pair.makeStudentEnv, cfg.finalEpisodes, finalSeed, opts.signal);
    const agreement = interrupted
      ? null
      : await pairedAgreement(teacher, policy, pair, cfg.similarityStates, finalSeed);
    const summary: CrossModalSummary = {
      kind: "crossmodal",
      env: cfg.env,
      teacher_view: cfg.teacherView,
      student_view: cfg.studentView,
      frame_stack: cfg.frameStack,
      seed: cfg.seed,
      steps,
      wall_seconds: (performance.now() - t0) / 1000,
      interrupted,
      teacher: {
        file: cfg.teacher,
        params: teacher.params,
        obs_shape:
          teacher.observationSpace instanceof Box ? [...teacher.observationSpace.shape] : [teacher.obsSize],
        eval: figures(teacherEval),
      },
      student: {
        arch: formatArch(arch),
        params: student.params,
        obs_shape: [...studentSpace.shape],
        file: CROSSMODAL_STUDENT_FILE,
        eval: final ? figures(final) : null,
      },
      random: { eval: figures(randomEval) },
      retention: final ? retention(final.meanReturn, teacherEval.meanReturn, randomEval.meanReturn) : null,
      agreement,
      target: cfg.target,
      steps_to_target: stepsToTarget(evaluations, cfg.target),
      steps_to_target_sustained: stepsToTarget(evaluations, cfg.target, { sustained: true }),
      evaluations,
    };
    folder.writeJson("summary.json", summary);
    print(
      final
        ? `student ${final.meanReturn.toFixed(1)} +- ${final.stdReturn.toFixed(1)} (teacher ${teacherEval.meanReturn.toFixed(1)}), retention ${summary.retention?.toFixed(3) ?? "-"}` +
            `, agreement ${agreement === null ? "-" : `${(100 * agreement).toFixed(1)}%`}, ${cfg.target * 100}% of the teacher ${summary.steps_to_target === null ? "not reached" : `at ${summary.steps_to_target} env steps (stays from ${summary.steps_to_target_sustained ?? "-"})`}`
        : `interrupted at ${steps} env steps: the student is saved; no final evaluation`,
    );
    await opts.onFinish?.(folder, summary);
    return { config: cfg, summary, runDir: folder.dir, studentFile: folder.path(CROSSMODAL_STUDENT_FILE) };
  } finally {
    collector.close();
    logger.close();
  }
}
