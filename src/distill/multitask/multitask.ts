/**
 * `distillMultiTask()`: several teachers, each on its own env (task), into one student with a
 * shared trunk and a head per task (Rusu et al. 2016, multi-task policy distillation; 10 Atari
 * games into one network at 89.3% of the teachers). The library call behind
 * `rldistill distill --teacher ENV=PATH --teacher ENV=PATH ...`.
 *
 *   const { summary, runDir } = await distillMultiTask({
 *     tasks: [{ env: "CartPole-v1", teacher: "models/cartpole-ppo.rldistill" },
 *             { env: "Acrobot-v1", teacher: "models/acrobot-ppo.rldistill" }],
 *     student: "64,64", steps: 30_000, seed: 1,
 *   });
 *   summary.mean_retention; summary.tasks[0].retention; summary.param_ratio;
 *
 * Run folder: config.json, progress.jsonl (eval/<task>/retention, ...), student.rldistill (the
 * whole multi-task student), students/<task>.rldistill (each task's own policy, for eval/export),
 * summary.json (`kind: "multitask"`).
 */

import { JsonlWriter, Logger } from "../../core/logger.js";
import { Rng } from "../../core/rng.js";
import { openRunFolder, type RunFolder } from "../../core/run-dir.js";
import { formatArch, parseArch } from "../../nn/arch.js";
import { initBackend } from "../../nn/backend.js";
import { policyObjective } from "../objectives.js";
import { parseSchedule } from "../schedules.js";
import { type MultiTaskConfig, parseTaskWeights, resolveMultiTaskConfig, taskBudgets } from "./config.js";
import { TaskLayout } from "./layout.js";
import { MultiHeadStudent } from "./multi-head-student.js";
import { evaluateTasks, meanRetention, runTasksLoop, type TasksCheckpoint } from "./run.js";
import {
  type LoadedTask,
  loadTask,
  saveMultiTask,
  type TaskBaseline,
  type TaskEval,
  type TaskRecord,
  taskBaseline,
  taskEnvFactory,
} from "./tasks.js";
import { TaskTrainer } from "./trainer.js";

export interface TasksRunOptions {
  /** Console lines. Default: silent. */
  print?: (line: string) => void;
  /** Aborted at Ctrl-C: the run stops within a second and saves what it has (src/core/interrupt.ts). */
  signal?: AbortSignal;
  /** Polled between rounds: true stops early, as an aborted `signal` does. */
  shouldStop?: () => boolean;
  /** Empty a folder that holds an earlier run (else such a folder is refused). */
  overwrite?: boolean;
  /** Recorded in the run folder's lock. */
  command?: string;
  /** Called with the still-locked folder after the summary is written (the CLI writes the report here). */
  onFinish?: (folder: RunFolder, summary: { kind: string; interrupted: boolean }) => void | Promise<void>;
}

/** One task's row of a multi-task summary. */
export interface TaskSummary {
  env: string;
  teacher: { file: string; params: number; kind: string; eval: TaskBaseline["teacher"] };
  random: { eval: TaskBaseline["random"] };
  /** The student's figures on the task (null where an interrupted run did not measure them). */
  student: Nullable<TaskEval> & { file: string; params: number };
  retention: number | null;
  loss_weight: number;
  /** Env steps collected for the task: in this run (multi-task), or in the stage that learnt it (lifelong; null for stages saved before this was recorded). */
  env_steps: number | null;
}

type Nullable<T> = { [K in keyof T]: T[K] | null };

const UNMEASURED: Nullable<TaskEval> = {
  mean_return: null,
  std_return: null,
  retention: null,
  agreement: null,
  js_divergence: null,
  episodes: null,
};

export interface MultiTaskSummary {
  kind: "multitask";
  seed: number;
  /** Env steps collected, over all tasks. */
  steps: number;
  /** The `steps` setting (every task's budget unless taskSteps is set). */
  steps_per_task: number;
  /** Each task's env-step budget, in task order (taskSteps, else steps each). */
  task_steps: number[];
  wall_seconds: number;
  interrupted: boolean;
  /** False when interrupted: the per-task figures are those of the last intermediate evaluation (null without one). */
  final_evaluation: boolean;
  student: {
    arch: string;
    params: number;
    trunk_params: number;
    file: string;
    task_embedding: boolean;
    input_shape: number[];
  };
  teachers_params: number;
  /** Student parameters / the teachers' together. */
  param_ratio: number;
  tasks: TaskSummary[];
  mean_retention: number | null;
  min_retention: number | null;
  /** Every intermediate evaluation (all tasks). */
  evaluations: TasksCheckpoint[];
}

export const MULTITASK_STUDENT_FILE = "student.rldistill";

/** The default trunk for a layout: MinAtar's baseline network for images, 64-64 for vectors. */
export function defaultTrunk(layout: TaskLayout): string {
  return layout.kind === "image" ? "conv16x3,fc128" : "64,64";
}

export function taskSummaries(
  tasks: readonly LoadedTask[] | readonly { env: string; teacherFile: string }[],
  baselines: readonly TaskBaseline[],
  evals: Record<string, TaskEval>,
  student: MultiHeadStudent,
  files: readonly string[],
  weights: readonly number[],
  envSteps: readonly (number | null | undefined)[],
): TaskSummary[] {
  return tasks.map((t, i) => {
    const b = baselines[i]!;
    const e = evals[t.env];
    return {
      env: t.env,
      teacher: { file: t.teacherFile, params: b.teacherParams, kind: b.teacherKind, eval: b.teacher },
      random: { eval: b.random },
      student: { ...(e ?? UNMEASURED), file: files[i]!, params: student.taskParams(i) },
      retention: e?.retention ?? null,
      loss_weight: weights[i] ?? 1,
      env_steps: envSteps[i] ?? null,
    };
  });
}

export async function distillMultiTask(
  input: Partial<MultiTaskConfig> | Record<string, unknown>,
  opts: TasksRunOptions = {},
) {
  const cfg = resolveMultiTaskConfig(input);
  const print = opts.print ?? (() => {});
  await initBackend();
  const tasks: LoadedTask[] = [];
  for (const [i, t] of cfg.tasks.entries()) tasks.push(await loadTask(t.env, t.teacher, `teacher[${i}]`));
  try {
    const layout = new TaskLayout(
      tasks.map((t) => t.shape),
      { padTo: cfg.padTo },
    );
    const weights = parseTaskWeights(cfg.taskWeights, tasks.length);
    const budgets = taskBudgets(cfg, tasks.length);
    const arch = parseArch(cfg.student === "auto" ? defaultTrunk(layout) : cfg.student, "student");
    const root = new Rng(cfg.seed);
    const student = new MultiHeadStudent({
      layout,
      arch,
      activation: cfg.activation === "auto" ? undefined : (cfg.activation as "tanh" | "relu"),
      taskEmbedding: cfg.taskEmbedding,
      rng: root.spawn(0),
    });
    const folder = openRunFolder(cfg.out, {
      mode: opts.overwrite ? "overwrite" : "new",
      command: opts.command,
    });
    try {
      return await runMultiTask(cfg, opts, print, folder, tasks, layout, weights, budgets, student, root);
    } finally {
      folder.release();
    }
  } finally {
    for (const t of tasks) t.teacher.dispose?.();
  }
}

async function runMultiTask(
  cfg: MultiTaskConfig,
  opts: TasksRunOptions,
  print: (line: string) => void,
  folder: RunFolder,
  tasks: LoadedTask[],
  layout: TaskLayout,
  weights: number[],
  budgets: number[],
  student: MultiHeadStudent,
  root: Rng,
) {
  for (const n of folder.notes) print(`note: ${n}`);
  folder.writeJson("config.json", cfg);
  const logger = new Logger([new JsonlWriter(folder.path("progress.jsonl"))]);
  const t0 = performance.now();
  const evalSeed = cfg.seed * 1000 + 100_000;
  const finalSeed = cfg.seed * 1000 + 200_000;
  const evalEnv = (env: string) => taskEnvFactory(env, cfg.maxEpisodeSteps);
  print(
    `built: ${tasks.length} tasks into one ${formatArch(student.arch)} student with a head per task (${student.params} parameters, input [${layout.inputShape}])`,
  );
  print("evaluating the teachers and random policies...");
  const baselines: TaskBaseline[] = [];
  for (const t of tasks) {
    const b = await taskBaseline(t, evalEnv(t.env), cfg.finalEpisodes, finalSeed, opts.signal);
    baselines.push(b);
    print(
      `  ${t.env}: teacher ${b.teacher.mean_return.toFixed(1)} (${b.teacherParams} parameters), random ${b.random.mean_return.toFixed(1)}`,
    );
  }
  const teachersParams = baselines.reduce((a, b) => a + b.teacherParams, 0);
  const tau = parseSchedule(cfg.tau, "tau");
  const beta = parseSchedule(cfg.beta, "beta");
  const trainer = new TaskTrainer({
    cfg,
    student,
    layout,
    live: tasks.map((t, id) => ({ id, env: t.env, teacher: t.teacher, makeEnv: t.makeEnv })),
    objectives: tasks.map((t) => policyObjective(cfg.loss, t.teacher.kind)),
    weights,
    rng: root.spawn(1),
    logger,
    tau: (p) => tau(p),
    beta: (p) => beta(p),
    seed: cfg.seed,
    budgets,
  });
  const evalTasks = tasks.map((t, id) => ({
    id,
    env: t.env,
    makeEnv: evalEnv(t.env),
    baseline: baselines[id]!,
    teacher: t.teacher,
  }));
  const records: TaskRecord[] = tasks.map((t, i) => ({
    env: t.env,
    teacherFile: t.teacherFile,
    teacherKind: t.teacher.kind,
    baseline: baselines[i]!,
    stage: 1,
  }));
  const save = (extra: Record<string, unknown>) =>
    saveMultiTask(folder, MULTITASK_STUDENT_FILE, student, records, { seed: cfg.seed, ...extra });
  const uniform = budgets.every((b) => b === budgets[0]);
  print(
    `distilling ${uniform ? `${budgets[0]} steps per task` : `${budgets.join(" / ")} steps (task order)`}, ${student.params} student parameters vs ${teachersParams} in the teachers (${((100 * student.params) / teachersParams).toFixed(1)}%)`,
  );
  let loop: Awaited<ReturnType<typeof runTasksLoop>>;
  try {
    loop = await runTasksLoop({
      cfg,
      student,
      trainer,
      tasks: evalTasks,
      logger,
      evalSeed,
      print,
      shouldStop: opts.shouldStop,
      signal: opts.signal,
      onCheckpoint: (c) => save({ progress: c.progress, step: c.step }),
    });
  } catch (err) {
    save({ crashed: String(err) });
    trainer.dispose();
    logger.close();
    throw err;
  } finally {
    trainer.dispose();
  }
  const files = save({
    progress: Math.min(1, loop.steps / trainer.budget),
    step: loop.steps,
    interrupted: loop.interrupted,
  });
  // An interrupted run is not evaluated again: its figures are those of its last evaluation (if any).
  const evals = loop.interrupted
    ? (loop.checkpoints[loop.checkpoints.length - 1]?.tasks ?? {})
    : await evaluateTasks(
        { student, tasks: evalTasks, cfg, signal: opts.signal },
        cfg.finalEpisodes,
        finalSeed,
        cfg.similarityStates,
      );
  const collected = trainer.collectedByTask();
  const rows = taskSummaries(
    tasks,
    baselines,
    evals,
    student,
    files,
    weights,
    tasks.map((_, id) => collected.get(id)),
  );
  const rets = rows.map((r) => r.retention).filter((r): r is number => r !== null);
  const summary: MultiTaskSummary = {
    kind: "multitask",
    seed: cfg.seed,
    steps: loop.steps,
    steps_per_task: cfg.steps,
    task_steps: budgets,
    wall_seconds: (performance.now() - t0) / 1000,
    interrupted: loop.interrupted,
    final_evaluation: !loop.interrupted,
    student: {
      arch: formatArch(student.arch),
      params: student.params,
      trunk_params: student.trunkSize,
      file: MULTITASK_STUDENT_FILE,
      task_embedding: student.taskEmbedding,
      input_shape: [...layout.inputShape],
    },
    teachers_params: teachersParams,
    param_ratio: student.params / teachersParams,
    tasks: rows,
    mean_retention: meanRetention(evals),
    min_retention: rets.length ? Math.min(...rets) : null,
    evaluations: loop.checkpoints,
  };
  folder.writeJson("summary.json", summary);
  logger.close();
  print(formatTasksTable(summary.tasks));
  print(
    `mean retention ${summary.mean_retention?.toFixed(3) ?? "-"}, student ${student.params} parameters = ${(100 * summary.param_ratio).toFixed(1)}% of the teachers' ${teachersParams}` +
      (loop.interrupted ? " (interrupted: figures of the last evaluation)" : ""),
  );
  await opts.onFinish?.(folder, summary);
  return { config: cfg, summary, runDir: folder.dir, studentFile: folder.path(MULTITASK_STUDENT_FILE) };
}

/** Per-task figures as a small text table. */
export function formatTasksTable(rows: readonly TaskSummary[]): string {
  const head = ["task", "teacher", "student", "random", "retention", "agreement"];
  const body = rows.map((r) => [
    r.env,
    r.teacher.eval.mean_return.toFixed(1),
    r.student.mean_return === null ? "-" : r.student.mean_return.toFixed(1),
    r.random.eval.mean_return.toFixed(1),
    r.retention === null ? "-" : r.retention.toFixed(3),
    r.student.agreement === null ? "-" : `${(100 * r.student.agreement).toFixed(1)}%`,
  ]);
  const all = [head, ...body];
  const w = head.map((_, c) => Math.max(...all.map((row) => row[c]!.length)));
  return all
    .map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(w[c]!) : cell.padStart(w[c]!))).join("  "))
    .join("\n");
}
