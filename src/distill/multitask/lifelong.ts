/**
 * `distillStage()`: one stage of lifelong (continual) distillation. Tasks arrive one at a time;
 * each stage teaches the student a new task from its teacher while it keeps the earlier ones, with
 *
 * - a replay memory of stored teacher targets (states and the teacher's outputs on them), bounded
 *   and filled by reservoir sampling over every stage's data (reservoir.ts): a share `replayRatio`
 *   of each batch is drawn from the earlier tasks' rows, so the earlier teachers are not needed
 *   any more;
 * - optionally an EWC penalty (ewc.ts) anchoring the parameters the earlier tasks depend on.
 *
 * With `memorySize: 0` and `ewc: 0` a stage is naive sequential fine-tuning (the baseline that
 * forgets). The library call behind
 *
 *   rldistill distill --teacher MinAtar/Breakout-v1=... --lifelong --out runs/s1
 *   rldistill distill --continue-from runs/s1 --teacher MinAtar/Freeway-v1=... --out runs/s2
 *
 * The run folder holds what the next stage continues from: student.rldistill (the multi-task
 * student with every task's record and the forgetting matrix so far, plus the EWC state),
 * memory.rldistill (the replay memory), students/<task>.rldistill, and summary.json
 * (`kind: "lifelong"`: the forgetting matrix, retention after every stage on every task).
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError } from "../../core/errors.js";
import { JsonlWriter, Logger } from "../../core/logger.js";
import { Rng } from "../../core/rng.js";
import { openRunFolder, type RunFolder } from "../../core/run-dir.js";
import { formatArch, parseArch } from "../../nn/arch.js";
import { initBackend } from "../../nn/backend.js";
import { encodeArtifact, loadArtifact, type StoredTensor } from "../../nn/checkpoint.js";
import { policyObjective } from "../objectives.js";
import { parseSchedule } from "../schedules.js";
import { type LifelongConfig, resolveLifelongConfig, stageBudget } from "./config.js";
import { diagonalFisher, EwcPenalty } from "./ewc.js";
import {
  type ForgettingFigures,
  type ForgettingMatrix,
  forgettingFigures,
  formatMatrix,
} from "./forgetting.js";
import { TaskLayout } from "./layout.js";
import { MultiHeadStudent } from "./multi-head-student.js";
import {
  defaultTrunk,
  formatTasksTable,
  MULTITASK_STUDENT_FILE,
  type TaskSummary,
  type TasksRunOptions,
  taskSummaries,
} from "./multitask.js";
import { type MemoryBalance, ReservoirMemory } from "./reservoir.js";
import { type EvalTask, evaluateTasks, meanRetention, runTasksLoop, type TasksCheckpoint } from "./run.js";
import { studentVisitedRows } from "./student-rows.js";
import {
  type LoadedTask,
  loadMultiTask,
  loadTask,
  saveMultiTask,
  type TaskRecord,
  taskBaseline,
  taskEnvFactory,
} from "./tasks.js";
import { TaskTrainer } from "./trainer.js";

export const MEMORY_FILE = "memory.rldistill";
const MEMORY_KIND = "lifelong-memory";

export interface LifelongSummary {
  kind: "lifelong";
  /** 1-based. */
  stage: number;
  seed: number;
  /** The task this stage learnt. */
  task: string;
  steps: number;
  wall_seconds: number;
  interrupted: boolean;
  continue_from: string | null;
  student: { arch: string; params: number; trunk_params: number; file: string; input_shape: number[] };
  teachers_params: number;
  memory: {
    capacity: number;
    rows: number;
    rows_per_task: Record<string, number>;
    bytes: number;
    replay_ratio: number;
    /** How a full memory shares its rows among tasks (memoryBalance). */
    balance: MemoryBalance;
    /** This stage task's rows replaced by states its final student visits (memoryStudentShare). */
    student_rows: number;
  };
  ewc: number;
  /** Every task learnt so far, in arrival order, with the final figures of this stage. */
  tasks: TaskSummary[];
  /** matrix[k][j]: retention of task j after stage k + 1 (null before it arrived). */
  matrix: Array<Array<number | null>>;
  task_names: string[];
  forgetting: ForgettingFigures;
  mean_retention: number | null;
  /** Every intermediate evaluation (all tasks). */
  evaluations: TasksCheckpoint[];
}

interface Previous {
  student: MultiHeadStudent;
  layout: TaskLayout;
  records: TaskRecord[];
  matrix: Array<Array<number | null>>;
  memory?: { meta: Record<string, unknown>; tensors: Record<string, StoredTensor> };
  ewc?: { fisher: Float32Array; anchor: Float32Array };
  dir: string;
}

function loadPrevious(dir: string, cfg: LifelongConfig): Previous {
  const file = join(dir, MULTITASK_STUDENT_FILE);
  if (!existsSync(file))
    throw new ConfigError(
      "continueFrom",
      `${dir} holds no ${MULTITASK_STUDENT_FILE}; give the folder of a finished lifelong stage`,
    );
  const prev = loadMultiTask(file);
  if (prev.meta["complete"] === false)
    throw new ConfigError(
      "continueFrom",
      `${dir} is an unfinished stage (interrupted or crashed); rerun that stage (--overwrite) before continuing from it`,
    );
  if (prev.meta["lifelong"] !== true)
    throw new ConfigError(
      "continueFrom",
      `${dir} is a multi-task run, not a lifelong stage (it has no forgetting matrix to continue)`,
    );
  const arch = formatArch(prev.student.arch);
  if (cfg.student !== "auto" && formatArch(parseArch(cfg.student, "student")) !== arch)
    throw new ConfigError(
      "student",
      `the student continued from ${dir} is ${arch}; leave --student out (or give ${arch})`,
    );
  if (cfg.taskEmbedding !== prev.student.taskEmbedding)
    throw new ConfigError(
      "taskEmbedding",
      `the student continued from ${dir} has taskEmbedding=${prev.student.taskEmbedding}`,
    );
  const memFile = join(dir, MEMORY_FILE);
  let memory: Previous["memory"];
  if (existsSync(memFile)) {
    const a = loadArtifact(memFile, MEMORY_KIND);
    memory = { meta: a.meta ?? {}, tensors: a.tensors };
  }
  const f = prev.tensors["ewc/fisher"];
  const anchor = prev.tensors["ewc/anchor"];
  return {
    student: prev.student,
    layout: prev.layout,
    records: prev.tasks,
    matrix: (prev.meta["matrix"] as Array<Array<number | null>>) ?? [],
    memory,
    ewc: f && anchor ? { fisher: f.data as Float32Array, anchor: anchor.data as Float32Array } : undefined,
    dir,
  };
}

export async function distillStage(
  input: Partial<LifelongConfig> | Record<string, unknown>,
  opts: TasksRunOptions = {},
) {
  const cfg = resolveLifelongConfig(input);
  const print = opts.print ?? (() => {});
  await initBackend();
  const prev = cfg.continueFrom ? loadPrevious(resolve(cfg.continueFrom), cfg) : undefined;
  const spec = cfg.tasks[0]!;
  if (prev?.records.some((r) => r.env === spec.env))
    throw new ConfigError(
      "teacher",
      `task ${spec.env} was already learnt in stage ${prev.records.find((r) => r.env === spec.env)!.stage}; a stage brings a new task`,
    );
  const stage = (prev?.matrix.length ?? 0) + 1;
  // This stage's budget; recorded as `steps` in its config.json.
  cfg.steps = stageBudget(cfg, stage);
  const task = await loadTask(spec.env, spec.teacher, "teacher");
  const root = new Rng(cfg.seed * 7919 + stage);
  let student: MultiHeadStudent;
  let layout: TaskLayout;
  if (prev) {
    layout = prev.layout.withTasks([task.shape]);
    student = prev.student;
    student.addTasks(layout, root.spawn(0));
  } else {
    layout = new TaskLayout([task.shape], { padTo: cfg.padTo });
    student = new MultiHeadStudent({
      layout,
      arch: parseArch(cfg.student === "auto" ? defaultTrunk(layout) : cfg.student, "student"),
      activation: cfg.activation === "auto" ? undefined : (cfg.activation as "tanh" | "relu"),
      taskEmbedding: cfg.taskEmbedding,
      rng: root.spawn(0),
    });
  }
  const maxActions = Math.max(...layout.tasks.map((t) => t.actions));
  const memory = prev?.memory
    ? ReservoirMemory.fromArtifact(
        prev.memory.meta,
        prev.memory.tensors,
        cfg.memorySize,
        root.spawn(2),
        cfg.memoryBalance as MemoryBalance,
      )
    : new ReservoirMemory({
        capacity: cfg.memorySize,
        inputSize: layout.inputSize,
        inputDtype: layout.inputDtype,
        width: maxActions,
        balance: cfg.memoryBalance as MemoryBalance,
      });
  const ewc =
    cfg.ewc > 0 && prev?.ewc ? new EwcPenalty(cfg.ewc, prev.ewc.fisher, prev.ewc.anchor) : undefined;

  const folder = openRunFolder(cfg.out, {
    mode: opts.overwrite ? "overwrite" : "new",
    command: opts.command,
  });
  try {
    return await runStage({
      cfg,
      opts,
      print,
      folder,
      prev,
      task,
      stage,
      root,
      student,
      layout,
      memory,
      ewc,
    });
  } finally {
    folder.release();
    task.teacher.dispose?.();
  }
}

interface StageArgs {
  cfg: LifelongConfig;
  opts: TasksRunOptions;
  print: (line: string) => void;
  folder: RunFolder;
  prev: Previous | undefined;
  task: LoadedTask;
  stage: number;
  root: Rng;
  student: MultiHeadStudent;
  layout: TaskLayout;
  memory: ReservoirMemory;
  ewc: EwcPenalty | undefined;
}

async function runStage(a: StageArgs) {
  const { cfg, opts, print, folder, prev, task, stage, root, student, layout, memory } = a;
  let ewc = a.ewc;
  const id = layout.tasks.length - 1;
  for (const n of folder.notes) print(`note: ${n}`);
  folder.writeJson("config.json", cfg);
  const logger = new Logger([new JsonlWriter(folder.path("progress.jsonl"))]);
  const t0 = performance.now();
  const evalSeed = cfg.seed * 1000 + 100_000;
  const finalSeed = cfg.seed * 1000 + 200_000;
  const evalEnv = (env: string) => taskEnvFactory(env, cfg.maxEpisodeSteps);
  print(
    `built: stage ${stage}, ${task.env}${prev ? ` after ${prev.records.map((r) => r.env).join(", ")}` : ""}; ${formatArch(student.arch)} student with ${student.tasks} heads (${student.params} parameters, input [${layout.inputShape}])`,
  );
  print("evaluating its teacher and a random policy...");
  const baseline = await taskBaseline(task, evalEnv(task.env), cfg.finalEpisodes, finalSeed, opts.signal);
  print(
    `  teacher ${baseline.teacher.mean_return.toFixed(1)}, random ${baseline.random.mean_return.toFixed(1)}; memory ${memory.size} rows of ${memory.capacity}, replay ${cfg.replayRatio}, ewc ${cfg.ewc}`,
  );
  const records: TaskRecord[] = [
    ...(prev?.records ?? []),
    { env: task.env, teacherFile: task.teacherFile, teacherKind: task.teacher.kind, baseline, stage },
  ];
  const current = records[records.length - 1]!;
  const tau = parseSchedule(cfg.tau, "tau");
  const beta = parseSchedule(cfg.beta, "beta");
  const trainer = new TaskTrainer({
    cfg,
    student,
    layout,
    live: [{ id, env: task.env, teacher: task.teacher, makeEnv: task.makeEnv }],
    objectives: records.map((r) => policyObjective(cfg.loss, r.teacherKind)),
    weights: records.map(() => 1),
    memory,
    replayRatio: cfg.replayRatio,
    ewc,
    rng: root.spawn(1),
    logger,
    tau: (p) => tau(p),
    beta: (p) => beta(p),
    seed: cfg.seed + 1000 * stage,
  });
  const evalTasks: EvalTask[] = records.map((r, i) => ({
    id: i,
    env: r.env,
    makeEnv: evalEnv(r.env),
    baseline: r.baseline,
    teacher: i === id ? task.teacher : undefined,
  }));
  const save = (matrix: ForgettingMatrix, extra: Record<string, unknown>) => {
    const tensors: Record<string, StoredTensor> = {};
    if (ewc) {
      tensors["ewc/fisher"] = { data: ewc.fisher, shape: [ewc.fisher.length] };
      tensors["ewc/anchor"] = { data: ewc.anchor, shape: [ewc.anchor.length] };
    }
    const meta = { seed: cfg.seed, lifelong: true, stage, matrix, ...extra };
    return saveMultiTask(folder, MULTITASK_STUDENT_FILE, student, records, meta, tensors);
  };
  let loop: Awaited<ReturnType<typeof runTasksLoop>>;
  try {
    loop = await runTasksLoop({
      cfg,
      student,
      trainer,
      tasks: evalTasks,
      memory,
      logger,
      evalSeed,
      print,
      shouldStop: opts.shouldStop,
      signal: opts.signal,
      onCheckpoint: (c) => save(prev?.matrix ?? [], { progress: c.progress, step: c.step, complete: false }),
    });
  } catch (err) {
    save(prev?.matrix ?? [], { crashed: String(err), complete: false });
    trainer.dispose();
    logger.close();
    throw err;
  }
  if (cfg.ewc > 0 && !loop.interrupted) {
    print(`  EWC: Fisher of ${task.env} on ${cfg.fisherSamples} states`);
    const fisher = diagonalFisher(student, trainer.recentStates(cfg.fisherSamples), root.spawn(3));
    ewc = ewc
      ? ewc.consolidated(fisher, student.values)
      : new EwcPenalty(cfg.ewc, fisher, Float32Array.from(student.values));
  }
  trainer.dispose();
  let studentRows = 0;
  const want = Math.round(cfg.memoryStudentShare * (memory.countByTask()[id] ?? 0));
  if (want > 0 && !loop.interrupted) {
    const rows = await studentVisitedRows({
      student,
      task: id,
      layout,
      teacher: task.teacher,
      makeEnv: task.makeEnv,
      n: want,
      numEnvs: cfg.numEnvs,
      seed: cfg.seed + 1000 * stage + 500,
      rng: root.spawn(4),
    });
    studentRows = memory.replaceRows(id, rows.input, rows.n, rows.outputs, rows.actions, root.spawn(5));
    print(`  memory: ${studentRows} of ${task.env}'s rows now hold states its final student visits`);
  }
  // An interrupted stage adds no row to the matrix (and cannot be continued from): its figures are
  // those of its last evaluation, if any.
  const evals = loop.interrupted
    ? (loop.checkpoints[loop.checkpoints.length - 1]?.tasks ?? {})
    : await evaluateTasks(
        { student, tasks: evalTasks, memory, cfg, signal: opts.signal },
        cfg.finalEpisodes,
        finalSeed,
        cfg.similarityStates,
      );
  const prior = (prev?.matrix ?? []).map((r) => [...r]);
  const matrix = loop.interrupted ? prior : [...prior, records.map((r) => evals[r.env]?.retention ?? null)];
  current.steps = loop.steps;
  const files = save(matrix, {
    step: loop.steps,
    interrupted: loop.interrupted,
    complete: !loop.interrupted,
  });
  const mem = memory.toArtifact();
  folder.writeText(MEMORY_FILE, encodeArtifact({ kind: MEMORY_KIND, meta: mem.meta, tensors: mem.tensors }));
  const counts = memory.countByTask();
  const summary: LifelongSummary = {
    kind: "lifelong",
    stage,
    seed: cfg.seed,
    task: task.env,
    steps: loop.steps,
    wall_seconds: (performance.now() - t0) / 1000,
    interrupted: loop.interrupted,
    continue_from: prev ? prev.dir : null,
    student: {
      arch: formatArch(student.arch),
      params: student.params,
      trunk_params: student.trunkSize,
      file: MULTITASK_STUDENT_FILE,
      input_shape: [...layout.inputShape],
    },
    teachers_params: records.reduce((acc, r) => acc + r.baseline.teacherParams, 0),
    memory: {
      capacity: memory.capacity,
      rows: memory.size,
      rows_per_task: Object.fromEntries(records.map((r, i) => [r.env, counts[i] ?? 0])),
      bytes: memory.bytes,
      replay_ratio: cfg.replayRatio,
      balance: memory.balance,
      student_rows: studentRows,
    },
    ewc: cfg.ewc,
    tasks: taskSummaries(
      records.map((r) => ({ env: r.env, teacherFile: r.teacherFile })),
      records.map((r) => r.baseline),
      evals,
      student,
      files,
      records.map(() => 1),
      records.map((r) => r.steps),
    ),
    matrix,
    task_names: records.map((r) => r.env),
    forgetting: forgettingFigures(matrix),
    mean_retention: meanRetention(evals),
    evaluations: loop.checkpoints,
  };
  folder.writeJson("summary.json", summary);
  logger.close();
  print(formatTasksTable(summary.tasks));
  print(`forgetting matrix (retention after each stage):\n${formatMatrix(matrix, summary.task_names)}`);
  if (loop.interrupted)
    print("interrupted: this stage is not complete (no row in the matrix); rerun it with --overwrite");
  await opts.onFinish?.(folder, summary);
  return { config: cfg, summary, runDir: folder.dir, studentFile: folder.path(MULTITASK_STUDENT_FILE) };
}
