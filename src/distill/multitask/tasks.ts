/**
 * What multi-task and lifelong runs share: loading a task (its env, its teacher, checked against
 * each other), evaluating every task (student head, teacher, random policy), and the multi-task
 * checkpoint (the whole student with its tasks, plus one ordinary policy file per task).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Env } from "../../core/env.js";
import { ConfigError } from "../../core/errors.js";
import { Rng } from "../../core/rng.js";
import type { RunFolder } from "../../core/run-dir.js";
import { type AnySpace, Box, Discrete, obsStorageDtypeOf } from "../../core/spaces.js";
import { make, prepareEnv } from "../../envs/registry.js";
import { retention } from "../../eval/evaluate.js";
import { type Architecture, formatArch, parseArch } from "../../nn/arch.js";
import {
  encodeArtifact,
  encodePolicySpec,
  type LoadedArtifact,
  loadArtifact,
  POLICY_KIND,
  type StoredTensor,
} from "../../nn/checkpoint.js";
import { compileSpec } from "../../nn/fast.js";
import type { Activation, ObsNormSpec } from "../../nn/spec.js";
import {
  type EnvFactory,
  evaluateRandom,
  evaluateReturns,
  evaluateTeacher,
  figures,
  measureSimilarity,
} from "../evaluation.js";
import type { EvalFigures } from "../run-dir.js";
import { checkCompatible, type Teacher, type TeacherKind } from "../teacher.js";
import { loadTeacher } from "../teachers/load.js";
import { SpecTeacher } from "../teachers/spec-teacher.js";
import { TaskLayout, type TaskShape } from "./layout.js";
import { MultiHeadStudent } from "./multi-head-student.js";

/** A task ready to train on: its env factory, its teacher and its shape for the layout. */
export interface LoadedTask {
  env: string;
  teacherFile: string;
  teacher: Teacher;
  shape: TaskShape;
  makeEnv: EnvFactory;
}

/** Env factory of a task id; `maxEpisodeSteps` > 0 caps episodes (MinAtar registers no limit). */
export function taskEnvFactory(env: string, maxEpisodeSteps = 0): EnvFactory {
  return () => (maxEpisodeSteps > 0 ? make(env, {}, { maxEpisodeSteps }) : make(env)) as Env;
}

/** Loads task `env`'s teacher and checks it against the env (spaces, discrete actions). */
export async function loadTask(env: string, teacherFile: string, field = "teacher"): Promise<LoadedTask> {
  await prepareEnv(env).catch((err: unknown) => {
    throw err instanceof ConfigError ? new ConfigError(field, `task ${env}: ${err.message}`) : err;
  });
  let probe: Env;
  try {
    probe = make(env) as Env;
  } catch (err) {
    throw err instanceof ConfigError ? new ConfigError(field, `task ${env}: ${err.message}`) : err;
  }
  try {
    const teacher = await loadTeacher(teacherFile, { env: probe as Env<unknown, unknown> });
    try {
      checkCompatible(teacher, probe as Env<unknown, unknown>);
    } catch (err) {
      throw new ConfigError(field, `task ${env}: ${(err as Error).message}`);
    }
    if (!(probe.actionSpace instanceof Discrete) || teacher.kind === "gaussian")
      throw new ConfigError(
        field,
        `task ${env}: multi-task students need discrete actions, the env takes ${String(probe.actionSpace)}`,
      );
    const obs = probe.observationSpace as unknown as AnySpace;
    if (!(obs instanceof Box))
      throw new ConfigError(field, `task ${env}: needs Box observations, got ${String(obs)}`);
    const obsNorm: ObsNormSpec | undefined =
      teacher.obsNorm ?? (teacher instanceof SpecTeacher ? teacher.spec.obsNorm : undefined);
    const shape: TaskShape = {
      name: env,
      obsShape: obs.shape.length === 3 ? [...obs.shape] : [obs.size],
      dtype: obsStorageDtypeOf(obs),
      actions: (probe.actionSpace as Discrete).n,
      obsNorm,
    };
    return { env, teacherFile, teacher, shape, makeEnv: taskEnvFactory(env) };
  } finally {
    probe.close();
  }
}

/** Teacher and random-policy figures of a task: the two ends of its retention scale. */
export interface TaskBaseline {
  teacher: EvalFigures;
  random: EvalFigures;
  teacherParams: number;
  teacherKind: TeacherKind;
}

export async function taskBaseline(
  task: LoadedTask,
  makeEnv: EnvFactory,
  episodes: number,
  seed: number,
  signal?: AbortSignal,
): Promise<TaskBaseline> {
  const t = await evaluateTeacher(task.teacher, makeEnv, episodes, seed, signal);
  const r = await evaluateRandom(makeEnv, episodes, seed, signal);
  return {
    teacher: figures(t),
    random: figures(r),
    teacherParams: task.teacher.params,
    teacherKind: task.teacher.kind,
  };
}

/** A task's student figures against its baseline. */
export interface TaskEval {
  mean_return: number;
  std_return: number;
  retention: number | null;
  agreement: number | null;
  js_divergence: number | null;
  episodes: number;
}

/** Evaluates head t of the student on its env; agreement against the teacher when one is given. */
export async function evaluateTask(
  student: MultiHeadStudent,
  t: number,
  makeEnv: EnvFactory,
  baseline: TaskBaseline,
  opts: { episodes: number; seed: number; teacher?: Teacher; similarityStates: number; signal?: AbortSignal },
): Promise<TaskEval> {
  const policy = compileSpec(student.specFor(t));
  const ret = await evaluateReturns(policy, makeEnv, opts.episodes, opts.seed, opts.signal);
  const sim = opts.teacher
    ? await measureSimilarity(opts.teacher, policy, makeEnv, opts.similarityStates, opts.seed, opts.signal)
    : undefined;
  return {
    mean_return: ret.meanReturn,
    std_return: ret.stdReturn,
    retention: retention(ret.meanReturn, baseline.teacher.mean_return, baseline.random.mean_return),
    agreement: sim ? sim.agreement : null,
    js_divergence: sim ? sim.js_divergence : null,
    episodes: ret.returns.length,
  };
}

/** File-name-safe short name of a task (MinAtar/Breakout-v1 -> Breakout-v1). */
export function taskSlug(env: string): string {
  return env.replace(/^MinAtar\//, "").replace(/[^A-Za-z0-9._-]+/g, "_");
}

/** What the multi-task checkpoint records of each task besides its shape. */
export interface TaskRecord {
  env: string;
  teacherFile: string;
  teacherKind: TeacherKind;
  baseline: TaskBaseline;
  /** Lifelong: the stage (1-based) that learnt it; multi-task runs: 1. */
  stage: number;
  /** Lifelong: env steps collected in that stage (absent in files saved before it was recorded, and until the stage ends). */
  steps?: number;
}

export const MULTITASK_KIND = "multitask-student";

/** Everything a multi-task checkpoint holds. */
export interface MultiTaskCheckpoint {
  student: MultiHeadStudent;
  layout: TaskLayout;
  tasks: TaskRecord[];
  meta: Record<string, unknown>;
  tensors: Record<string, StoredTensor>;
}

/**
 * Writes the student into the run folder as `file` (kind "multitask-student": the flat values, the
 * layout, every task's record and normalisation, plus `extra` tensors such as the EWC state) and
 * each task's deployable policy as `students/<task>.rldistill` (an ordinary policy file: eval,
 * export, runtime), each atomically. Returns the task files' paths relative to the folder.
 */
export function saveMultiTask(
  folder: Pick<RunFolder, "path" | "writeText">,
  file: string,
  student: MultiHeadStudent,
  tasks: readonly TaskRecord[],
  meta: Record<string, unknown>,
  extra: Record<string, StoredTensor> = {},
): string[] {
  const tensors: Record<string, StoredTensor> = {
    values: { data: student.values.slice(), shape: [student.values.length] },
    ...extra,
  };
  student.layout.tasks.forEach((t, i) => {
    if (!t.obsNorm) return;
    tensors[`obsNorm/${i}/mean`] = { data: t.obsNorm.mean, shape: [t.obsNorm.mean.length] };
    tensors[`obsNorm/${i}/var`] = { data: t.obsNorm.var, shape: [t.obsNorm.var.length] };
  });
  const config = {
    arch: formatArch(student.arch),
    activation: student.activation,
    taskEmbedding: student.taskEmbedding,
    layout: student.layout.toJSON(),
    obsNorm: student.layout.tasks.map((t) =>
      t.obsNorm ? { epsilon: t.obsNorm.epsilon, clip: t.obsNorm.clip } : null,
    ),
    tasks,
  };
  folder.writeText(file, encodeArtifact({ kind: MULTITASK_KIND, config, meta, tensors }));
  mkdirSync(folder.path("students"), { recursive: true });
  return tasks.map((task, i) => {
    const name = join("students", `${taskSlug(task.env)}.rldistill`);
    const shape = student.layout.task(i);
    const { structure, tensors: t } = encodePolicySpec(student.specFor(i));
    const policyMeta = {
      kind: "student",
      env: task.env,
      observationSpace: make(task.env).observationSpace.toJSON(),
      actionSpace: new Discrete(shape.actions).toJSON(),
      teacher: task.teacherFile,
      method: "multitask",
      multitask: file,
    };
    folder.writeText(
      name,
      encodeArtifact({ kind: POLICY_KIND, config: structure, meta: policyMeta, tensors: t }),
    );
    return name;
  });
}

/** Reads a multi-task checkpoint back (the student with its trained values). */
export function loadMultiTask(file: string): MultiTaskCheckpoint {
  let a: LoadedArtifact;
  try {
    a = loadArtifact(file, MULTITASK_KIND);
  } catch (err) {
    throw new ConfigError("continueFrom", `${file}: ${(err as Error).message}`);
  }
  const config = a.config as {
    arch: string;
    activation: Activation;
    taskEmbedding: boolean;
    layout: ReturnType<TaskLayout["toJSON"]>;
    obsNorm: Array<{ epsilon: number; clip: number } | null>;
    tasks: TaskRecord[];
  };
  const shapes: TaskShape[] = config.layout.tasks.map((t, i) => {
    const n = config.obsNorm[i];
    const obsNorm = n
      ? {
          mean: a.tensors[`obsNorm/${i}/mean`]!.data as Float32Array,
          var: a.tensors[`obsNorm/${i}/var`]!.data as Float32Array,
          epsilon: n.epsilon,
          clip: n.clip,
        }
      : undefined;
    return { name: t.name, obsShape: t.obsShape, dtype: t.dtype, actions: t.actions, obsNorm };
  });
  const pad = config.layout.kind === "image" ? config.layout.inputShape[2]! : config.layout.inputShape[0]!;
  const layout = new TaskLayout(shapes, { padTo: pad });
  const arch: Architecture = parseArch(config.arch, "student");
  const student = new MultiHeadStudent({
    layout,
    arch,
    activation: config.activation,
    taskEmbedding: config.taskEmbedding,
    rng: new Rng(0),
  });
  student.loadValues(a.tensors["values"]!.data as Float32Array);
  return { student, layout, tasks: config.tasks, meta: a.meta ?? {}, tensors: a.tensors };
}
