/**
 * `distill()`: one distillation run from a flat config, the library call behind
 * `rldistill distill`.
 *
 *   const { summary, runDir } = await distill({
 *     teachers: ["models/cartpole-ppo.rldistill"], env: "CartPole-v1", student: [32, 32], seed: 1,
 *   });
 *   summary.retention; summary.agreement; summary.checkpoints;   // see run-dir.ts
 *
 * Steps: resolve the config (defaults < preset < given), load and check the teacher(s), evaluate
 * teacher and random policy, run the chosen distiller in the common loop (evaluations and
 * checkpoints at every `evalEvery`), evaluate the final student, write the run folder.
 */
import type { Env } from "../core/env.js";
import { Rng } from "../core/rng.js";
import { type Box, spaceFromJSON } from "../core/spaces.js";
import { make, prepareEnv } from "../envs/registry.js";
import { parseConvs } from "../nn/arch.js";
import { initBackend } from "../nn/backend.js";
import { savePolicy } from "../nn/checkpoint.js";
import { compileSpec } from "../nn/fast.js";
import type { PolicySpec } from "../nn/spec.js";
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
  evaluateReturns,
  evaluateTeacher,
  figures,
  measureSimilarity,
} from "./evaluation.js";
import { formatHeadline, writeRunHeadline } from "./headline.js";
import { type DistillContext, type Distiller, type DistillerFactory, runLoop } from "./loop.js";
import { attentionDistiller } from "./methods/attention.js";
import { dqnDistiller } from "./methods/dqn.js";
import { featureDistiller } from "./methods/feature.js";
import { policyDistiller } from "./methods/policy.js";
import { ppoDistiller } from "./methods/ppo.js";
import { residualDistiller } from "./methods/residual.js";
import { policyObjective, type TauMode } from "./objectives.js";
import { type DistillSummary, RunDir, retentionOf } from "./run-dir.js";
import { parseSchedule } from "./schedules.js";
import { Student } from "./student.js";
import { checkCompatible, type Teacher } from "./teacher.js";
import type { EnsembleMode } from "./teachers/ensemble.js";
import { loadTeachers, teacherSourcesFromConfig } from "./teachers/load.js";
import { SpecTeacher } from "./teachers/spec-teacher.js";
import { type DistillWeight, DynamicDistillWeight, QDaggerWeight } from "./weights.js";

/** Distillers by `method`. */
export const DISTILLERS: Record<DistillMethod, DistillerFactory> = {
  policy: policyDistiller,
  ppo: ppoDistiller,
  dqn: dqnDistiller,
  feature: featureDistiller,
  residual: residualDistiller,
  attention: attentionDistiller,
};

export interface DistillOptions {
  /** A teacher built in code (instead of loading `teachers` files). */
  teacher?: Teacher;
  /** Env factory (instead of `make(cfg.env)`), e.g. fakes in tests. */
  makeEnv?: EnvFactory;
  /** Console lines (progress, evaluations). Default: silent. */
  print?: (line: string) => void;
  /** Polled between rounds: true stops early (the CLI sets it on Ctrl-C); the run is still saved. */
  shouldStop?: () => boolean;
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

/** The student checkpoint in the run folder (src/nn checkpoint format, the agents' extension). */
export const STUDENT_FILE = "student.rldistill";

/** alpha: a schedule string, or "qdagger" / "dynamic" weights updated at every evaluation. */
function alphaOf(
  cfg: DistillConfig,
  teacherReturn: number,
  randomReturn: number,
): {
  alpha: (p: number) => number;
  weight?: DistillWeight;
} {
  if (cfg.alpha === "qdagger") {
    const weight = new QDaggerWeight({
      teacherReturn,
      randomReturn: randomReturn < teacherReturn ? randomReturn : undefined,
    });
    return { alpha: () => weight.value, weight };
  }
  if (cfg.alpha === "dynamic") {
    const weight = new DynamicDistillWeight();
    return { alpha: () => weight.value, weight };
  }
  const s = parseSchedule(cfg.alpha, "alpha");
  return { alpha: (p) => s(p) };
}

/** Notes of the teacher and of each ensemble member (how ambiguous models were read). */
function teacherNotes(t: Teacher): string[] {
  const own = (t.notes ?? []).map((n) => `${t.name}: ${n}`);
  const members = (t as { members?: readonly Teacher[] }).members ?? [];
  return [...own, ...members.flatMap(teacherNotes)];
}

/**
 * A teacher that does little better than random actions (or short of the env's reward threshold)
 * is usually a loading problem, most often observation normalisation the model was trained with
 * (VecNormalize) and was not given: distilling it would copy a broken policy.
 */
export function teacherWarning(
  teacher: { meanReturn: number; stdReturn: number },
  random: { meanReturn: number; stdReturn: number },
  rewardThreshold: number | undefined,
  hasObsNorm: boolean,
): string | undefined {
  const hint = hasObsNorm
    ? "check the teacher's output kind (--teacher-kind) and the --obs-norm statistics"
    : "if it was trained with VecNormalize, give its statistics with --obs-norm; check --teacher-kind too";
  const gap = teacher.meanReturn - random.meanReturn;
  const scale = Math.max(Math.abs(random.meanReturn), random.stdReturn, 1);
  if (gap < 0.1 * scale)
    return `the teacher's return ${teacher.meanReturn.toFixed(1)} is near a random policy's ${random.meanReturn.toFixed(1)}; ${hint}`;
  if (rewardThreshold !== undefined && teacher.meanReturn < 0.5 * rewardThreshold && rewardThreshold > 0)
    return `the teacher's return ${teacher.meanReturn.toFixed(1)} is far below the env's reward threshold ${rewardThreshold}; ${hint}`;
  return undefined;
}

export async function distill(config: DistillInput, opts: DistillOptions = {}): Promise<DistillResult> {
  const given =
    opts.teacher && !config.teachers?.length ? { ...config, teachers: [opts.teacher.name] } : config;
  const cfg = resolveDistillConfig(given);
  const print = opts.print ?? (() => {});
  const factory = DISTILLERS[cfg.method as DistillMethod];
  await initBackend();
  // Only registry envs need preparing (e.g. loading MuJoCo); an env factory brings its own.
  if (!opts.makeEnv) await prepareEnv(cfg.env);
  const makeEnv: EnvFactory = opts.makeEnv ?? (() => make(cfg.env));
  const probe = makeEnv(0) as Env<unknown, unknown>;
  const ownsTeacher = !opts.teacher;
  const teacher =
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
  const objective = policyObjective(cfg.loss, teacher.kind, { tauMode: cfg.tauMode as TauMode });

  const run = new RunDir(cfg.out);
  run.writeJson("config.json", cfg);
  const logger = run.logger();
  const t0 = performance.now();
  const root = new Rng(cfg.seed);
  const evalSeed = cfg.seed * 1000 + 100_000;
  const finalSeed = cfg.seed * 1000 + 200_000;

  print(`teacher ${teacher.name}: ${teacher.params} parameters; evaluating teacher and random policy...`);
  for (const note of teacherNotes(teacher)) print(`  note: ${note}`);
  const teacherEval = await evaluateTeacher(teacher, makeEnv, cfg.finalEpisodes, finalSeed);
  const randomEval = evaluateRandom(makeEnv, cfg.finalEpisodes, finalSeed);
  print(
    `  teacher return ${teacherEval.meanReturn.toFixed(1)} +- ${teacherEval.stdReturn.toFixed(1)}, random ${randomEval.meanReturn.toFixed(1)}`,
  );
  const warning = teacherWarning(teacherEval, randomEval, rewardThreshold, cfg.obsNorm !== "");
  if (warning) print(`  WARNING: ${warning}`);
  const { alpha, weight } = alphaOf(cfg, teacherEval.meanReturn, randomEval.meanReturn);

  const tau = parseSchedule(cfg.tau, "tau");
  const beta = parseSchedule(cfg.beta, "beta");
  const initRng = root.spawn(0);
  const obsNorm = teacher.obsNorm ?? (teacher instanceof SpecTeacher ? teacher.spec.obsNorm : undefined);
  const ctx: DistillContext = {
    cfg,
    taskIds: opts.envTask ? Array.from({ length: cfg.numEnvs }, (_, i) => opts.envTask!(i)) : undefined,
    teacher,
    makeEnv,
    rng: root.spawn(1),
    logger,
    tau: (p) => tau(p),
    alpha,
    beta: (p) => beta(p),
    objective,
    obsNorm,
    newStudent: (extra = {}) =>
      new Student({
        obsSize: teacher.obsSize,
        obsShape: observationSpace.type === "Box" ? (observationSpace as Box).shape : undefined,
        actionSpace,
        hidden: cfg.student,
        convs: parseConvs(cfg.studentConvs, "studentConvs"),
        activation: cfg.studentActivation as "tanh" | "relu",
        output: teacher.kind === "gaussian" ? "mean" : "logits",
        obsNorm,
        rng: initRng,
        ...extra,
      }),
  };
  const distiller: Distiller = factory(ctx);
  if (opts.initialStudent)
    distiller.student.loadWeights(opts.initialStudent.layers, opts.initialStudent.logStd);
  const deployed = (d: Distiller) => {
    const spec = d.deployedSpec?.() ?? d.student.toSpec();
    return { spec, policy: compileSpec(spec) };
  };
  const studentFile = run.path(STUDENT_FILE);
  const saveStudent = (spec: PolicySpec, extra: Record<string, unknown>) =>
    savePolicy(studentFile, spec, {
      kind: "student",
      env: cfg.env,
      observationSpace: observationSpace.toJSON(),
      actionSpace: actionSpace.toJSON(),
      teacher: teacher.name,
      method: cfg.method,
      seed: cfg.seed,
      ...extra,
    });
  print(
    `distilling into a ${studentArch(cfg)} student (${distiller.student.params} parameters), method ${cfg.method}, ${cfg.steps} steps`,
  );
  let loop: Awaited<ReturnType<typeof runLoop>>;
  try {
    loop = await runLoop(ctx, distiller, {
      evalSeed,
      policyOf: deployed,
      shouldStop: opts.shouldStop,
      print,
      onEval: (r) => weight?.update({ meanReturn: r.mean_return, agreement: r.agreement ?? undefined }),
      onCheckpoint: (r, spec) => saveStudent(spec, { progress: r.progress, step: r.step }),
    });
  } catch (err) {
    // Keep what was learnt: a crash or a bad batch mid-run still leaves a loadable student.
    saveStudent(deployed(distiller).spec, { crashed: String(err) });
    distiller.dispose();
    throw err;
  }

  const { spec, policy } = deployed(distiller);
  saveStudent(spec, {
    progress: Math.min(1, loop.steps / cfg.steps),
    step: loop.steps,
    interrupted: loop.interrupted,
  });
  const studentEval = evaluateReturns(policy, makeEnv, cfg.finalEpisodes, finalSeed);
  const sim = await measureSimilarity(teacher, policy, makeEnv, cfg.similarityStates, finalSeed);
  const summary: DistillSummary = {
    env: cfg.env,
    method: cfg.method,
    seed: cfg.seed,
    steps: loop.steps,
    wall_seconds: (performance.now() - t0) / 1000,
    interrupted: loop.interrupted,
    teacher: { name: teacher.name, files: cfg.teachers, params: teacher.params, eval: figures(teacherEval) },
    student: {
      params: distiller.student.params,
      hidden: cfg.student,
      arch: studentArch(cfg),
      file: STUDENT_FILE,
      eval: figures(studentEval),
    },
    random: { eval: figures(randomEval) },
    agreement: sim.agreement,
    js_divergence: sim.js_divergence,
    retention: retentionOf(studentEval.meanReturn, teacherEval.meanReturn, randomEval.meanReturn),
    checkpoints: loop.checkpoints,
  };
  run.writeJson("summary.json", summary);
  const { headline, videos } = writeRunHeadline(run, {
    teacher,
    student: spec,
    env: makeEnv,
    seed: finalSeed,
    summary,
    video: cfg.video,
  });
  logger.close();
  const studentParams = distiller.student.params;
  distiller.dispose();
  if (ownsTeacher) teacher.dispose?.();
  print(
    `student return ${studentEval.meanReturn.toFixed(1)} +- ${studentEval.stdReturn.toFixed(1)} (teacher ${teacherEval.meanReturn.toFixed(1)}), ` +
      `retention ${summary.retention?.toFixed(3) ?? "n/a"}, ${studentParams} vs ${teacher.params} parameters` +
      (sim.agreement === null ? "" : `, agreement ${(100 * sim.agreement).toFixed(1)}%`),
  );
  print(formatHeadline(headline, videos));
  return { config: cfg, summary, runDir: run.dir, studentSpec: spec, studentFile };
}
