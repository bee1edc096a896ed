/**
 * Configs of the multi-task modes, each one flat documented schema with its defaults written once:
 *
 * - `MULTITASK_SCHEMA` (`distillMultiTask`, `rldistill distill --teacher ENV=PATH ...`): several
 *   teachers, one per task, into one student with a shared trunk and per-task heads.
 * - `LIFELONG_SCHEMA` (`distillStage`, `rldistill distill --continue-from DIR --teacher ENV=PATH`):
 *   the same fields plus the replay memory and the EWC penalty of continual distillation.
 *
 * Tasks are `ENV=PATH` pairs: the env id is the task's name and identity (its teacher's spaces must
 * be the env's), so the task of every collected state is the env it came from.
 */
import { type ConfigOf, type ConfigSchema, parseAssignment, resolveConfig } from "../../core/config.js";
import { ConfigError, describeValue } from "../../core/errors.js";
import { parseArch } from "../../nn/arch.js";
import { COLLECTOR_MODES } from "../collect.js";
import { checkScheduleRange } from "../config.js";
import { getLoss } from "../losses/registry.js";
import { parseSchedule } from "../schedules.js";
import { MEMORY_BALANCES } from "./reservoir.js";

export const MULTITASK_SCHEMA = {
  out: {
    type: "string",
    default: "",
    help: "run folder; default runs/multitask-s<seed> (lifelong: runs/lifelong-<task>-s<seed>)",
  },
  student: {
    type: "string",
    default: "auto",
    help: "the shared trunk as an architecture string (conv16x3,fc128 or 64,64; every task gets its own linear head after it); auto = conv16x3,fc128 for image tasks, 64,64 for vectors",
  },
  activation: {
    type: "string",
    default: "auto",
    choices: ["auto", "tanh", "relu"],
    help: "trunk activation; auto = relu with convolutions, else tanh",
  },
  taskEmbedding: {
    type: "boolean",
    default: true,
    help: "a learned per-task vector added to the trunk's first dense layer (a one-hot task input; folded into the bias of each task's exported policy)",
  },
  padTo: {
    type: "integer",
    default: 0,
    min: 0,
    help: "pad observations to this many channels (images) or entries (vectors); 0 = the most of any task (MinAtar: 10, Seaquest's)",
  },
  taskWeights: {
    type: "string",
    default: "",
    help: "per-task loss weights in task order, comma separated (e.g. 1,2,1); empty = all 1",
  },
  taskSteps: {
    type: "string",
    default: "",
    help: "per-task env-step budgets in task order, comma separated (e.g. 100000,100000,200000), instead of steps for every task; the tasks collect in proportion to their budgets, so all finish together; empty = steps each",
  },
  loss: {
    type: "string",
    default: "kl",
    help: "distillation loss between each head and its task's teacher (kl, mse, nll, js, ...)",
  },
  tau: {
    type: "string",
    default: "1",
    help: "temperature schedule on teacher and student logits, e.g. 5:1:linear",
  },
  steps: {
    type: "integer",
    default: 50_000,
    min: 1,
    help: "environment steps collected per task (each task the same budget; taskSteps or, lifelong, stageSteps set one per task or stage)",
  },
  seed: { type: "integer", default: 0, min: 0, help: "seed of every generator in the run" },
  numEnvs: { type: "integer", default: 4, min: 1, help: "environments per task stepped side by side" },
  rolloutSteps: { type: "integer", default: 64, min: 1, help: "steps per env per collection round" },
  collector: {
    type: "string",
    default: "mixed",
    choices: COLLECTOR_MODES,
    help: "who acts while collecting: teacher, student (DAgger) or mixed",
  },
  beta: {
    type: "string",
    default: "1:0:linear",
    help: "probability schedule that the teacher acts (collector=mixed)",
  },
  teacherDeterministic: {
    type: "boolean",
    default: false,
    help: "teachers act greedily when collecting (else sampled)",
  },
  studentDeterministic: {
    type: "boolean",
    default: false,
    help: "the student acts greedily when collecting (collector student or mixed; else sampled from its head, as DAgger rolls out the learner); with teacherDeterministic, collection visits the states of the greedy play that evaluation scores",
  },
  learningRate: { type: "number", default: 1e-3, min: 0, exclusiveMin: true, help: "Adam learning rate" },
  lrSchedule: {
    type: "string",
    default: "1",
    help: "schedule in [0, 1] of the factor on learningRate over the run, e.g. piecewise:0=1,0.7=1,1=0.05 (a decay over the last 30%); 1 = constant",
  },
  argmaxCoef: {
    type: "number",
    default: 0,
    min: 0,
    help: "weight of a cross-entropy term on each task's teacher greedy action (loss nll) beside the distillation loss, so near-tied states are decided the teacher's way; 0 = off",
  },
  batchSize: {
    type: "integer",
    default: 256,
    min: 1,
    help: "samples per gradient step, split evenly across the tasks (balanced sampling)",
  },
  trainRatio: {
    type: "number",
    default: 0.125,
    min: 0,
    exclusiveMin: true,
    help: "gradient steps per collected transition (all tasks together)",
  },
  maxGradNorm: {
    type: "number",
    default: 1,
    min: 0,
    exclusiveMin: true,
    help: "global-norm gradient clipping",
  },
  bufferSize: {
    type: "integer",
    default: 50_000,
    min: 1,
    help: "replay capacity per task (transitions of the current run's tasks)",
  },
  evalEvery: {
    type: "number",
    default: 0.2,
    min: 0,
    max: 1,
    exclusiveMin: true,
    help: "evaluate every task (and checkpoint) at every this fraction of training",
  },
  evalEpisodes: {
    type: "integer",
    default: 10,
    min: 1,
    help: "episodes per task per intermediate evaluation",
  },
  finalEpisodes: {
    type: "integer",
    default: 30,
    min: 1,
    help: "episodes per task of the final evaluation (teacher, student, random)",
  },
  similarityStates: {
    type: "integer",
    default: 2000,
    min: 1,
    help: "states per task (visited by the greedy student) for agreement and JS divergence",
  },
  maxEpisodeSteps: {
    type: "integer",
    default: 0,
    min: 0,
    help: "cap on evaluation episode length (0 = the env's own limit); MinAtar registers none and a good Breakout player can play on for long",
  },
} as const satisfies ConfigSchema;

export const LIFELONG_SCHEMA = {
  ...MULTITASK_SCHEMA,
  continueFrom: {
    type: "string",
    default: "",
    help: "the run folder of the previous stage (its student, replay memory and EWC state); empty = the first stage",
  },
  stageSteps: {
    type: "string",
    default: "",
    help: "env-step budget of each stage in stage order, comma separated (e.g. 30000,30000,30000,120000,60000); stage k takes entry k instead of steps, so every stage of a chain can be given the same list; empty = steps",
  },
  memorySize: {
    type: "integer",
    default: 20_000,
    min: 0,
    help: "replay memory of stored teacher targets, rows over all tasks (reservoir sampling); 0 = none (naive sequential fine-tuning when ewc is 0 too)",
  },
  memoryBalance: {
    type: "string",
    default: "stream",
    choices: MEMORY_BALANCES,
    help: "how a full memory shares its rows among tasks: stream = in proportion to each task's rows offered (reservoir sampling over all of them), task = equal shares per task whatever its stage's budget (class-balanced reservoir)",
  },
  replayRatio: {
    type: "number",
    default: 0.5,
    min: 0,
    max: 0.95,
    help: "share of each batch drawn from the memory's earlier tasks (when it holds any)",
  },
  memoryStudentShare: {
    type: "number",
    default: 0,
    min: 0,
    max: 1,
    help: "at the end of a stage, this share of the new task's memory rows is replaced by states its final (greedy) student visits, labelled by the teacher; 0 = the collection stream's states only",
  },
  ewc: {
    type: "number",
    default: 0,
    min: 0,
    help: "EWC penalty weight lambda (0 = off): (lambda/2) sum F_i (theta_i - theta*_i)^2",
  },
  fisherSamples: {
    type: "integer",
    default: 512,
    min: 1,
    help: "states per stage for the EWC Fisher estimate",
  },
} as const satisfies ConfigSchema;

export type MultiTaskHyper = ConfigOf<typeof MULTITASK_SCHEMA>;
export type LifelongHyper = ConfigOf<typeof LIFELONG_SCHEMA>;

/** One task: an env id and the teacher trained on it. */
export interface TaskTeacher {
  env: string;
  teacher: string;
}

export interface MultiTaskConfig extends MultiTaskHyper {
  tasks: TaskTeacher[];
}

export interface LifelongConfig extends LifelongHyper {
  tasks: TaskTeacher[];
}

/** "ENV=PATH" (e.g. MinAtar/Breakout-v1=models/minatar-breakout.rldistill) as a task. */
export function parseTaskTeacher(text: string, field = "teacher"): TaskTeacher {
  const eq = typeof text === "string" ? text.indexOf("=") : -1;
  if (eq <= 0 || eq === text.length - 1) {
    throw new ConfigError(
      field,
      `expected ENV=PATH (the task's env id and its teacher, e.g. MinAtar/Breakout-v1=models/minatar-breakout.rldistill), got ${describeValue(text)}`,
    );
  }
  return { env: text.slice(0, eq).trim(), teacher: text.slice(eq + 1).trim() };
}

/** True when a --teacher value names its task (ENV=PATH) rather than being a plain path. */
export function isTaskTeacher(text: string): boolean {
  const eq = text.indexOf("=");
  return eq > 0 && /-v\d+$/.test(text.slice(0, eq).trim());
}

/** The per-task loss weights of `taskWeights` for `n` tasks. */
export function parseTaskWeights(text: string, n: number): number[] {
  if (text.trim() === "") return Array(n).fill(1);
  const parts = text.split(",").map((s) => Number(s.trim()));
  if (
    parts.length !== n ||
    parts.some((w) => !(w >= 0 && Number.isFinite(w))) ||
    parts.every((w) => w === 0)
  ) {
    throw new ConfigError(
      "taskWeights",
      `expected ${n} non-negative numbers (one per task, not all 0), got "${text}"`,
    );
  }
  return parts;
}

/**
 * A comma-separated list of env-step budgets (`taskSteps`, `stageSteps`): positive integers, `n` of
 * them when `n` is given. Empty text is an empty list.
 */
export function parseStepBudgets(text: string, field: string, n?: number, per = "task"): number[] {
  if (text.trim() === "") return [];
  const parts = text.split(",").map((s) => s.trim());
  const values = parts.map(Number);
  const bad =
    parts.some((s) => !/^[0-9]+$/.test(s)) || values.some((v) => !(v > 0 && Number.isSafeInteger(v)));
  if (bad || (n !== undefined && values.length !== n)) {
    throw new ConfigError(
      field,
      `expected ${n === undefined ? "" : `${n} `}positive integers (env steps of each ${per}, in ${per} order, comma separated), got "${text}"`,
    );
  }
  return values;
}

/** The env-step budget of each of `n` tasks: `taskSteps`, else `steps` for every task. */
export function taskBudgets(cfg: Pick<MultiTaskHyper, "steps" | "taskSteps">, n: number): number[] {
  const list = parseStepBudgets(cfg.taskSteps, "taskSteps", n);
  return list.length ? list : Array(n).fill(cfg.steps);
}

/**
 * The env-step budget of lifelong stage `stage` (1-based): entry `stage` of `stageSteps`, else
 * `steps`. A list too short for this stage is refused (before the stage does any work).
 */
export function stageBudget(cfg: Pick<LifelongHyper, "steps" | "stageSteps">, stage: number): number {
  const list = parseStepBudgets(cfg.stageSteps, "stageSteps", undefined, "stage");
  if (list.length === 0) return cfg.steps;
  if (stage > list.length)
    throw new ConfigError(
      "stageSteps",
      `has ${list.length} entries (stages 1-${list.length}) but this is stage ${stage}; give one budget per stage`,
    );
  return list[stage - 1]!;
}

function checkTasks(tasks: unknown, field: string, min: number): TaskTeacher[] {
  if (!Array.isArray(tasks) || tasks.length < min)
    throw new ConfigError(
      field,
      `needs ${min === 1 ? "a task" : `at least ${min} tasks`}: --teacher ENV=PATH`,
    );
  const out = tasks.map((t, i) => {
    const task = typeof t === "string" ? parseTaskTeacher(t, `${field}[${i}]`) : (t as TaskTeacher);
    if (
      !task ||
      typeof task.env !== "string" ||
      typeof task.teacher !== "string" ||
      !task.env ||
      !task.teacher
    )
      throw new ConfigError(
        `${field}[${i}]`,
        `expected { env, teacher } or "ENV=PATH", got ${describeValue(t)}`,
      );
    return { env: task.env, teacher: task.teacher };
  });
  const envs = out.map((t) => t.env);
  const dup = envs.find((e, i) => envs.indexOf(e) !== i);
  if (dup) throw new ConfigError(field, `task ${dup} is given twice; each env is one task`);
  return out;
}

function checkCommon(cfg: MultiTaskConfig): void {
  getLoss(cfg.loss, "loss");
  for (const key of ["tau", "beta"] as const) parseSchedule(cfg[key], key);
  checkScheduleRange("lrSchedule", cfg.lrSchedule, {
    min: 0,
    max: 1,
    allowed: "a factor in [0, 1] on learningRate throughout",
  });
  if (cfg.student !== "auto") parseArch(cfg.student, "student");
  parseTaskWeights(cfg.taskWeights, cfg.tasks.length);
  taskBudgets(cfg, cfg.tasks.length);
}

function split(input: Record<string, unknown>): { tasks: unknown; rest: Record<string, unknown> } {
  const { tasks, ...rest } = input;
  for (const [k, v] of Object.entries(rest)) if (v === undefined) delete rest[k];
  return { tasks, rest };
}

/** Validates a multi-task config (unknown keys and bad values name the field). */
export function resolveMultiTaskConfig(
  input: Partial<MultiTaskConfig> | Record<string, unknown>,
): MultiTaskConfig {
  const { tasks, rest } = split(input as Record<string, unknown>);
  const hyper = resolveConfig(MULTITASK_SCHEMA, rest, "multitask");
  const cfg: MultiTaskConfig = { ...hyper, tasks: checkTasks(tasks, "teacher", 1) };
  if (cfg.out === "") cfg.out = `runs/multitask-s${cfg.seed}`;
  checkCommon(cfg);
  return cfg;
}

/** Validates a lifelong stage's config: one new task per stage. */
export function resolveLifelongConfig(
  input: Partial<LifelongConfig> | Record<string, unknown>,
): LifelongConfig {
  const { tasks, rest } = split(input as Record<string, unknown>);
  const hyper = resolveConfig(LIFELONG_SCHEMA, rest, "lifelong");
  const cfg: LifelongConfig = { ...hyper, tasks: checkTasks(tasks, "teacher", 1) };
  if (cfg.tasks.length !== 1)
    throw new ConfigError(
      "teacher",
      `a lifelong stage learns one new task; got ${cfg.tasks.length} (run one stage per task with --continue-from)`,
    );
  if (cfg.taskWeights !== "")
    throw new ConfigError("taskWeights", "applies to multi-task runs; a lifelong stage has one new task");
  if (cfg.taskSteps !== "")
    throw new ConfigError(
      "taskSteps",
      "applies to multi-task runs; a lifelong stage's budget is steps, or its entry in stageSteps",
    );
  parseStepBudgets(cfg.stageSteps, "stageSteps", undefined, "stage");
  if (cfg.out === "") {
    const name = cfg.tasks[0]!.env.replace(/^MinAtar\//, "").replace(/[^A-Za-z0-9-]+/g, "_");
    cfg.out = `runs/lifelong-${name}-s${cfg.seed}`;
  }
  checkCommon({ ...cfg, taskWeights: "" });
  return cfg;
}

/** `--set key=value` for the lifelong schema (a superset of the multi-task one). */
export function parseTasksAssignment(assignment: string, lifelong: boolean): [string, unknown] {
  return lifelong
    ? parseAssignment(LIFELONG_SCHEMA, assignment, "lifelong")
    : parseAssignment(MULTITASK_SCHEMA, assignment, "multitask");
}
