/**
 * Running a trial where it landed (this thread, a worker thread, a queue worker): `executeTrial`
 * dispatches on the trial's role.
 *
 *   search, confirm   distill() of the candidate into the trial's folder; returns the summary
 *   federated         distill() starting from the global weights on the client's private env with
 *                     its own teacher; returns only { samples, weights } (no observation, reward or
 *                     evaluation leaves the client)
 *   label             the client's teacher's action probabilities on the server's public states;
 *                     returns only { samples, labels } (the client's env is not stepped)
 *   centralised       distill() on the pooled variants, each training env labelled by its own teacher
 *   evaluate          no training: the given weights against the teacher (return, retention, agreement)
 */
import type { Env } from "../core/env.js";
import { ConfigError } from "../core/errors.js";
import { distill } from "../distill/distill.js";
import {
  evaluateRandom,
  evaluateReturns,
  evaluateTeacher,
  measureSimilarity,
} from "../distill/evaluation.js";
import { type PredictOptions, type Teacher, teacherProbs } from "../distill/teacher.js";
import { EnsembleTeacher } from "../distill/teachers/ensemble.js";
import { loadTeacher } from "../distill/teachers/load.js";
import { SpecTeacher } from "../distill/teachers/spec-teacher.js";
import { make, prepareEnv } from "../envs/registry.js";
import { retention } from "../eval/evaluate.js";
import { compileSpec } from "../nn/fast.js";
import type { Activation, DenseLayerSpec, PolicySpec } from "../nn/spec.js";
import type { StudentWeights, TeacherRef, TrialOutcome, TrialSpec } from "./trial.js";

/** make(env, kwargs) for every env index of a trial. */
export function envFactory(env: string, kwargs: Record<string, number>): (index: number) => Env {
  return () => make(env, kwargs) as Env;
}

/** Loads a teacher file for trials on this env (checked against the env's spaces by distill()). */
export async function loadTrialTeacher(
  path: string,
  env: string,
  kwargs: Record<string, number>,
): Promise<Teacher> {
  await prepareEnv(env);
  const probe = make(env, kwargs) as Env<unknown, unknown>;
  try {
    return await loadTeacher(path, { env: probe });
  } finally {
    probe.close();
  }
}

/** Who is running this (for the record of which worker ran which trial). */
export function workerName(): string {
  return `${process.env.HOSTNAME ?? "local"}:${process.pid}`;
}

/** Where a trial's teachers come from: (ref, env, kwargs) -> a loaded teacher. */
export type TeacherSource = (
  ref: TeacherRef,
  env: string,
  kwargs: Record<string, number>,
) => Promise<Teacher>;

/**
 * Several teachers, one per task: rows with task ids are answered by their task's teacher (an
 * `EnsembleTeacher` in route mode); rows without (distill's evaluations, on env 0) by task 0's.
 */
export function routedTeacher(members: Teacher[]): Teacher {
  const route = new EnsembleTeacher(members, "route");
  const first = members[0]!;
  const pick = (opts?: PredictOptions): Teacher => (opts?.taskIds ? route : first);
  return {
    name: route.name,
    observationSpace: route.observationSpace,
    actionSpace: route.actionSpace,
    kind: route.kind,
    obsSize: route.obsSize,
    actionSize: route.actionSize,
    params: first.params,
    hasValue: route.hasValue,
    features: route.features,
    predict: (obs, n, opts) => pick(opts).predict(obs, n, opts),
    predictSync: route.predictSync ? (obs, n, opts) => pick(opts).predictSync!(obs, n, opts) : undefined,
  };
}

export function weightsOf(spec: Pick<PolicySpec, "layers" | "logStd">): StudentWeights {
  const w: StudentWeights = {
    layers: spec.layers.flatMap((l) =>
      l.kind === "flatten" ? [] : [{ weight: Array.from(l.weight), bias: Array.from(l.bias) }],
    ),
  };
  if (spec.logStd) w.logStd = Array.from(spec.logStd);
  return w;
}

/** Dense layers carrying `w` (shapes from the arrays: bias = outputs, weight = inputs x outputs). */
export function layersFromWeights(w: StudentWeights, activation: Activation): DenseLayerSpec[] {
  return w.layers.map((l, i) => ({
    kind: "dense",
    inSize: l.weight.length / l.bias.length,
    outSize: l.bias.length,
    weight: Float32Array.from(l.weight),
    bias: Float32Array.from(l.bias),
    activation: i < w.layers.length - 1 ? activation : "linear",
  }));
}

function initialStudent(spec: TrialSpec): Pick<PolicySpec, "layers" | "logStd"> | undefined {
  if (!spec.init) return undefined;
  const out: Pick<PolicySpec, "layers" | "logStd"> = {
    layers: layersFromWeights(spec.init, spec.candidate.activation),
  };
  if (spec.init.logStd) out.logStd = Float32Array.from(spec.init.logStd);
  return out;
}

async function evaluate(
  spec: TrialSpec,
  teacher: Teacher,
  worker: string,
  t0: number,
): Promise<TrialOutcome> {
  const cfg = spec.config;
  const makeEnv = envFactory(spec.env, spec.envKwargs);
  const probe = makeEnv(0);
  const box = probe.actionSpace as unknown as { low?: Float32Array; high?: Float32Array };
  probe.close();
  const init = initialStudent(spec)!;
  const student: PolicySpec = {
    obsShape: [teacher.obsSize],
    output: teacher.kind === "gaussian" ? "mean" : "logits",
    actionSize: teacher.actionSize,
    layers: init.layers,
  };
  const obsNorm = teacher instanceof SpecTeacher ? teacher.spec.obsNorm : undefined;
  if (obsNorm) student.obsNorm = obsNorm;
  if (student.output === "mean") {
    student.logStd = init.logStd ?? new Float32Array(teacher.actionSize);
    student.actionLow = Float32Array.from(box.low ?? []);
    student.actionHigh = Float32Array.from(box.high ?? []);
  }
  const policy = compileSpec(student);
  const seed = cfg.seed * 1000 + 200_000;
  const s = await evaluateReturns(policy, makeEnv, cfg.finalEpisodes, seed);
  const t = await evaluateTeacher(teacher, makeEnv, cfg.finalEpisodes, seed);
  const r = await evaluateRandom(makeEnv, cfg.finalEpisodes, seed);
  const sim = await measureSimilarity(teacher, policy, makeEnv, cfg.similarityStates, seed);
  return {
    key: spec.key,
    evaluation: {
      retention: retention(s.meanReturn, t.meanReturn, r.meanReturn),
      agreement: sim.agreement,
      student_return: s.meanReturn,
      teacher_return: t.meanReturn,
      random_return: r.meanReturn,
      episodes: cfg.finalEpisodes,
    },
    worker,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}

/** A soft-label client: its teacher's probabilities on the server's states; its env is never stepped. */
async function label(spec: TrialSpec, teacher: Teacher, worker: string, t0: number): Promise<TrialOutcome> {
  const states = Float32Array.from(spec.states ?? []);
  const n = states.length / teacher.obsSize;
  if (!(Number.isInteger(n) && n >= 1))
    throw new ConfigError("trial.states", `holds ${states.length} numbers, not rows of ${teacher.obsSize}`);
  if (teacher.kind === "gaussian")
    throw new ConfigError("mode", "soft labels need discrete actions (a distribution over actions)");
  const probs = teacherProbs(await teacher.predict(states, n));
  return {
    key: spec.key,
    message: { samples: n, labels: Array.from(probs) },
    worker,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}

/**
 * Runs the trial (see the file comment). `shouldStop` is polled between distillation rounds; a
 * stopped trial comes back with `summary.interrupted` and must not be recorded as finished.
 */
export async function executeTrial(
  spec: TrialSpec,
  dir: string,
  teachers: TeacherSource,
  opts: { shouldStop?: () => boolean; worker?: string } = {},
): Promise<TrialOutcome> {
  const t0 = performance.now();
  const worker = opts.worker ?? workerName();
  await prepareEnv(spec.env); // engines that load asynchronously (MuJoCo) before make()
  const tasks = spec.tasks ?? [{ envKwargs: spec.envKwargs, teacher: spec.teacher }];
  const members = await Promise.all(tasks.map((t) => teachers(t.teacher, spec.env, t.envKwargs)));
  const teacher = members.length === 1 ? members[0]! : routedTeacher(members);
  if (spec.role === "evaluate") return evaluate(spec, teacher, worker, t0);
  if (spec.role === "label") return label(spec, teacher, worker, t0);
  const k = tasks.length;
  const { summary, studentSpec } = await distill(
    { ...spec.config, teachers: [spec.teacher.name], out: dir },
    {
      teacher,
      makeEnv: (i) => make(spec.env, tasks[i % k]!.envKwargs) as Env,
      envTask: k > 1 ? (i) => i % k : undefined,
      initialStudent: initialStudent(spec),
      shouldStop: opts.shouldStop,
      // The trial's folder is the search's own: a trial cut short earlier is run again from scratch.
      overwrite: true,
    },
  );
  const wallSeconds = (performance.now() - t0) / 1000;
  if (spec.role === "federated") {
    if (summary.interrupted) return { key: spec.key, summary, worker, wallSeconds };
    return {
      key: spec.key,
      message: { samples: summary.steps, weights: weightsOf(studentSpec) },
      worker,
      wallSeconds,
    };
  }
  return { key: spec.key, summary, worker, wallSeconds };
}
