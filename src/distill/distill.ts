/**
 * `distill()`: one distillation run from a flat config, the library call behind
 * `rldistill distill`.
 *
 *   const { summary, runDir } = await distill({
 *     teachers: ["models/cartpole-ppo.rldistill"], env: "CartPole-v1", student: [32, 32], seed: 1,
 *   });
 *   summary.retention; summary.agreement; summary.checkpoints;   // see run-dir.ts
 *
 * Steps: resolve and validate the config (defaults < preset < given), load the teacher(s) and
 * check them against the env, build the distiller (which checks the method against the teacher)
 * - all before the run folder is touched - then open the folder (locked; a folder holding files
 * needs `overwrite` or `resume`), evaluate teacher and random policy, run the distiller in the
 * common loop (evaluations and checkpoints at every `evalEvery`), evaluate the final student and
 * write the summary. With `signal` aborted (Ctrl-C) the run stops within a second, saves the
 * student and writes a summary with `interrupted: true` (and no figures it did not measure).
 */
import type { Env } from "../core/env.js";
import { ConfigError } from "../core/errors.js";
import { JsonlWriter, Logger } from "../core/logger.js";
import { Rng } from "../core/rng.js";
import { openRunFolder, type RunFolder } from "../core/run-dir.js";
import { scheduleRange } from "../core/schedules.js";
import { type Box, spaceFromJSON } from "../core/spaces.js";
import { make, prepareEnv } from "../envs/registry.js";
import { describeNetwork } from "../eval/describe.js";
import { retention, retentionCI } from "../eval/evaluate.js";
import { formatCI95 } from "../eval/stats.js";
import { parseConvs } from "../nn/arch.js";
import { initBackend } from "../nn/backend.js";
import { encodeArtifact, encodePolicySpec, POLICY_KIND } from "../nn/checkpoint.js";
import { compileSpec } from "../nn/fast.js";
import type { PolicySpec } from "../nn/spec.js";
import { checkCollectNoise } from "./collect.js";
import {
  type DistillConfig,
  type DistillInput,
  type DistillMethod,
  resolveDistillConfig,
  studentArch,
} from "./config.js";
import {
  type EnvFactory,
  evaluateRandom,
  evaluateTeacher,
  figures,
  finalStudentFigures,
} from "./evaluation.js";
import { formatHeadline, writeRunHeadline } from "./headline.js";
import { type DistillContext, type Distiller, runLoop } from "./loop.js";
import { DISTILLERS } from "./methods/registry.js";
import { policyObjective, type TauMode } from "./objectives.js";
import { type ResumeState, readResumeState, restoreStudent, STUDENT_FILE } from "./resume.js";
import type { DistillSummary } from "./run-dir.js";
import { alphaOf, scalesByTauSquared, teacherNotes, teacherWarning } from "./run-setup.js";
import { parseSchedule } from "./schedules.js";
import { Student } from "./student.js";
import { studentInputNorm } from "./student-norm.js";
import { checkCompatible, type Teacher } from "./teacher.js";
import type { EnsembleMode } from "./teachers/ensemble.js";
import { loadTeachers, teacherSourcesFromConfig } from "./teachers/load.js";
import { SpecTeacher } from "./teachers/spec-teacher.js";

export { DISTILLERS } from "./methods/registry.js";
export { STUDENT_FILE } from "./resume.js";
export { scalesByTauSquared, teacherWarning } from "./run-setup.js";

export interface DistillOptions {
  /** A teacher built in code (instead of loading `teachers` files). */
  teacher?: Teacher;
  /** Env factory (instead of `make(cfg.env)`), e.g. fakes in tests. */
  makeEnv?: EnvFactory;
  /** Console lines (what was built, notes, progress, evaluations). Default: silent. */
  print?: (line: string) => void;
  /** Aborted = stop within a second (the CLI aborts it at Ctrl-C); the student and summary are still saved. */
  signal?: AbortSignal;
  /** Polled between rounds: true stops early, as an aborted `signal` does. */
  shouldStop?: () => boolean;
  /** Empty the run folder first when it holds an earlier run (else such a folder is refused). */
  overwrite?: boolean;
  /** Continue the run in `config.out` (see resume.ts); `config` then holds only fields given again. */
  resume?: boolean;
  /** Recorded in the folder's lock (e.g. the command line). */
  command?: string;
  /**
   * Weights the student starts from instead of its seeded initialisation (same architecture), e.g.
   * the global model of a federated round (src/search/federated).
   */
  initialStudent?: Pick<PolicySpec, "layers" | "logStd">;
  /**
   * Task id of training env `index` (multi-task distillation: a routing teacher answers each row by
   * its env's task). Default: no task ids.
   */
  envTask?: (index: number) => number;
  /** Called after summary.json is written, while the folder is still locked (the CLI writes the report). */
  onFinish?: (folder: RunFolder, summary: DistillSummary) => void | Promise<void>;
}

export interface DistillResult {
  config: DistillConfig;
  summary: DistillSummary;
  /** Absolute path of the run folder. */
  runDir: string;
  /** The deployable student. */
  studentSpec: PolicySpec;
  studentFile: string;
}

export async function distill(config: DistillInput, opts: DistillOptions = {}): Promise<DistillResult> {
  let folder: RunFolder | undefined;
  let resume: ResumeState | undefined;
  let cfg: DistillConfig;
  if (opts.resume) {
    if (typeof config.out !== "string" || config.out === "")
      throw new ConfigError("--resume", "needs the run folder to continue");
    folder = openRunFolder(config.out, { mode: "resume", command: opts.command });
    try {
      resume = readResumeState(folder, config as Record<string, unknown>);
      cfg = resolveDistillConfig({ ...resume.cfg, out: config.out });
    } catch (err) {
      folder.release();
      throw err;
    }
  } else {
    const given =
      opts.teacher && !config.teachers?.length ? { ...config, teachers: [opts.teacher.name] } : config;
    cfg = resolveDistillConfig(given);
  }
  try {
    return await run(cfg, opts, folder, resume);
  } finally {
    folder?.release();
  }
}

async function run(
  cfg: DistillConfig,
  opts: DistillOptions,
  resumeFolder: RunFolder | undefined,
  resume: ResumeState | undefined,
): Promise<DistillResult> {
  const print = opts.print ?? (() => {});
  const t0 = performance.now() - 1000 * (resume?.wallSeconds ?? 0);
  const factory = DISTILLERS[cfg.method as DistillMethod];
  await initBackend();
  // Only registry envs need preparing (e.g. loading MuJoCo); an env factory brings its own.
  if (!opts.makeEnv) await prepareEnv(cfg.env);
  const makeEnv: EnvFactory = opts.makeEnv ?? (() => make(cfg.env));
  const probe = makeEnv(0) as Env<unknown, unknown>;
  const ownsTeacher = !opts.teacher;
  let teacher: Teacher | undefined;
  let distiller: Distiller | undefined;
  try {
    // Before the teacher is loaded or evaluated: DART noise needs a continuous action box.
    if (cfg.collectNoise !== undefined)
      checkCollectNoise(probe.actionSpace, scheduleRange(parseSchedule(cfg.collectNoise, "collectNoise"))[1]);
    teacher =
      opts.teacher ??
      (await loadTeachers(cfg.teachers, cfg.ensemble as EnsembleMode, {
        env: probe,
        ...teacherSourcesFromConfig(cfg, cfg.teachers.length),
      }));
    checkCompatible(teacher, probe);
    const rewardThreshold = probe.spec?.rewardThreshold;
    const actionSpace = spaceFromJSON(probe.actionSpace.toJSON());
    const observationSpace = spaceFromJSON(probe.observationSpace.toJSON());
    probe.close();
    const scaleByTauSquared = scalesByTauSquared(cfg);
    const objective = policyObjective(cfg.loss, teacher.kind, {
      tauMode: cfg.tauMode as TauMode,
      scaleByTauSquared,
    });
    const stopped = () => opts.signal?.aborted === true;
    const root = new Rng(cfg.seed);
    const initRng = root.spawn(0);
    const obsNorm =
      teacher.obsNorm ??
      (teacher instanceof SpecTeacher ? teacher.spec.obsNorm : undefined) ??
      studentInputNorm(teacher, makeEnv, observationSpace, cfg);
    const tau = parseSchedule(cfg.tau, "tau");
    const beta = parseSchedule(cfg.beta ?? "1", "beta");
    let alpha: (p: number) => number = () => 1; // set once teacher and random returns are known
    const logger = new Logger();
    const t = teacher;
    const ctx: DistillContext = {
      cfg,
      taskIds: opts.envTask ? Array.from({ length: cfg.numEnvs }, (_, i) => opts.envTask!(i)) : undefined,
      teacher: t,
      makeEnv,
      rng: root.spawn(1),
      logger,
      tau: (p) => tau(p),
      alpha: (p) => alpha(p),
      beta: (p) => beta(p),
      objective,
      obsNorm,
      newStudent: (extra = {}) =>
        new Student({
          obsSize: t.obsSize,
          obsShape: observationSpace.type === "Box" ? (observationSpace as Box).shape : undefined,
          actionSpace,
          hidden: cfg.student,
          convs: parseConvs(cfg.studentConvs, "studentConvs"),
          activation: cfg.studentActivation as "tanh" | "relu",
          output: t.kind === "gaussian" ? "mean" : "logits",
          obsNorm,
          rng: initRng,
          ...extra,
        }),
      stopRequested: stopped,
    };
    // Building the distiller checks the method against the teacher (Q-values for dqn, a value
    // head for valueCoef, features for feature/residual): still before any work.
    distiller = factory(ctx);
    if (resume) restoreStudent(distiller.student, resume.spec);
    else if (opts.initialStudent) restoreStudent(distiller.student, opts.initialStudent);
    const folder =
      resumeFolder ??
      openRunFolder(cfg.out, { mode: opts.overwrite ? "overwrite" : "new", command: opts.command });
    try {
      return await train({
        cfg,
        opts,
        print,
        folder,
        resume,
        teacher: t,
        distiller,
        ctx,
        logger,
        t0,
        observationSpace: observationSpace.toJSON(),
        actionSpace: actionSpace.toJSON(),
        scaleByTauSquared,
        rewardThreshold,
        setAlpha: (a) => {
          alpha = a;
        },
      });
    } finally {
      if (!resumeFolder) folder.release();
    }
  } finally {
    probe.close();
    distiller?.dispose();
    if (ownsTeacher) teacher?.dispose?.();
  }
}

interface TrainArgs {
  cfg: DistillConfig;
  opts: DistillOptions;
  print: (line: string) => void;
  folder: RunFolder;
  resume: ResumeState | undefined;
  teacher: Teacher;
  distiller: Distiller;
  ctx: DistillContext;
  logger: Logger;
  t0: number;
  observationSpace: unknown;
  actionSpace: unknown;
  scaleByTauSquared: boolean;
  rewardThreshold: number | undefined;
  setAlpha: (alpha: (p: number) => number) => void;
}

/** The run proper, in its opened (locked) folder. */
async function train(a: TrainArgs): Promise<DistillResult> {
  const { cfg, opts, print, folder, resume, teacher, distiller, logger } = a;
  for (const n of [...folder.notes, ...(resume?.notes ?? [])]) print(`note: ${n}`);
  folder.writeJson("config.json", resume ? { ...cfg, resumes: resume.resumes } : cfg);
  logger.writers.push(new JsonlWriter(folder.path("progress.jsonl"), { append: resume !== undefined }));
  const weights = cfg.quantizeAware ? "int8 weights (quantization-aware)" : "float32 weights";
  const spec0 = distiller.deployedSpec?.() ?? distiller.student.toSpec();
  print(
    `built: method ${cfg.method}, student ${describeNetwork(spec0)}, ${weights}, ${distiller.student.params} parameters` +
      ` (teacher ${teacher.name}: ${teacher.params}), loss ${cfg.loss}${a.scaleByTauSquared ? " x tau^2" : ""}, ${cfg.steps} steps`,
  );
  const evalSeed = cfg.seed * 1000 + 100_000;
  const finalSeed = cfg.seed * 1000 + 200_000;
  const deployed = (d: Distiller) => {
    const spec = d.deployedSpec?.() ?? d.student.toSpec();
    return { spec, policy: compileSpec(spec) };
  };
  const studentFile = folder.path(STUDENT_FILE);
  const saveStudent = (spec: PolicySpec, extra: Record<string, unknown>) => {
    const { structure, tensors } = encodePolicySpec(spec);
    const meta = {
      kind: "student",
      env: cfg.env,
      observationSpace: a.observationSpace,
      actionSpace: a.actionSpace,
      teacher: teacher.name,
      method: cfg.method,
      seed: cfg.seed,
      weights: cfg.quantizeAware ? "int8" : "float32",
      wallSeconds: (performance.now() - a.t0) / 1000,
      ...extra,
    };
    folder.writeText(STUDENT_FILE, encodeArtifact({ kind: POLICY_KIND, config: structure, meta, tensors }));
  };

  print(`teacher ${teacher.name}: ${teacher.params} parameters; evaluating teacher and random policy...`);
  for (const note of teacherNotes(teacher)) print(`  note: ${note}`);
  const teacherEval = await evaluateTeacher(
    teacher,
    a.ctx.makeEnv,
    cfg.finalEpisodes,
    finalSeed,
    opts.signal,
  );
  const randomEval = await evaluateRandom(a.ctx.makeEnv, cfg.finalEpisodes, finalSeed, opts.signal);
  print(
    `  teacher return ${teacherEval.meanReturn.toFixed(1)} +- ${teacherEval.stdReturn.toFixed(1)}, random ${randomEval.meanReturn.toFixed(1)}`,
  );
  const warning = teacherWarning(teacherEval, randomEval, a.rewardThreshold, cfg.obsNorm !== "");
  if (warning) print(`  WARNING: ${warning}`);
  const { alpha, weight } = alphaOf(cfg, teacherEval.meanReturn, randomEval.meanReturn);
  a.setAlpha(alpha);
  // A resumed run replays the evaluations it restored into an adaptive weight (qdagger, dynamic).
  for (const r of resume?.checkpoints ?? [])
    weight?.update({ meanReturn: r.mean_return, agreement: r.agreement ?? undefined });

  print(`distilling: ${cfg.steps} steps${resume ? `, from step ${resume.step}` : ""}`);
  let loop: Awaited<ReturnType<typeof runLoop>>;
  try {
    loop = await runLoop(a.ctx, distiller, {
      evalSeed,
      policyOf: deployed,
      signal: opts.signal,
      shouldStop: opts.shouldStop,
      startStep: resume?.step,
      checkpoints: resume?.checkpoints,
      print,
      onEval: (r) => weight?.update({ meanReturn: r.mean_return, agreement: r.agreement ?? undefined }),
      onCheckpoint: (r, spec) => saveStudent(spec, { progress: r.progress, step: r.step }),
    });
  } catch (err) {
    // Keep what was learnt: a crash or a bad batch mid-run still leaves a loadable student.
    saveStudent(deployed(distiller).spec, { crashed: String(err) });
    throw err;
  } finally {
    logger.close();
  }
  const { spec, policy } = deployed(distiller);
  saveStudent(spec, {
    progress: Math.min(1, loop.steps / cfg.steps),
    step: loop.steps,
    interrupted: loop.interrupted,
  });
  const { interrupted, studentEval, sim } = loop.interrupted
    ? { interrupted: true, studentEval: null, sim: null }
    : await finalStudentFigures(teacher, policy, a.ctx.makeEnv, cfg, finalSeed, opts.signal);
  const summary: DistillSummary = {
    env: cfg.env,
    method: cfg.method,
    seed: cfg.seed,
    steps: loop.steps,
    wall_seconds: (performance.now() - a.t0) / 1000,
    interrupted,
    ...(resume ? { resumed_from_step: resume.step } : {}),
    teacher: { name: teacher.name, files: cfg.teachers, params: teacher.params, eval: figures(teacherEval) },
    student: {
      params: distiller.student.params,
      hidden: cfg.student,
      arch: studentArch(cfg),
      file: STUDENT_FILE,
      eval: studentEval ? figures(studentEval) : null,
      weights: cfg.quantizeAware ? "int8" : "float32",
    },
    random: { eval: figures(randomEval) },
    agreement: sim?.agreement ?? null,
    js_divergence: sim?.js_divergence ?? null,
    retention: studentEval
      ? retention(studentEval.meanReturn, teacherEval.meanReturn, randomEval.meanReturn)
      : null,
    retention_ci95: studentEval
      ? retentionCI(studentEval.returns, teacherEval.returns, randomEval.returns, { seed: finalSeed })
      : null,
    checkpoints: loop.checkpoints,
  };
  folder.writeJson("summary.json", summary);
  if (studentEval) {
    // The end-of-run headline (sizes, act() latency, GIFs): measured only for a finished student.
    const { headline, videos } = writeRunHeadline(folder, {
      teacher,
      student: spec,
      env: a.ctx.makeEnv,
      seed: finalSeed,
      summary,
      video: cfg.video,
    });
    print(
      `student return ${studentEval.meanReturn.toFixed(1)} +- ${studentEval.stdReturn.toFixed(1)} (teacher ${teacherEval.meanReturn.toFixed(1)}), ` +
        `retention ${summary.retention?.toFixed(3) ?? "n/a"}${formatCI95(summary.retention_ci95)}, ` +
        `${distiller.student.params} vs ${teacher.params} parameters` +
        (sim?.agreement == null ? "" : `, agreement ${(100 * sim.agreement).toFixed(1)}%`),
    );
    print(formatHeadline(headline, videos));
  }
  await opts.onFinish?.(folder, summary);
  return { config: cfg, summary, runDir: folder.dir, studentSpec: spec, studentFile };
}
