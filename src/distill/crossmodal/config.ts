/**
 * The config of a cross-modal distillation run (`distillCrossModal`, `rldistill distill
 * --teacher-view V --student-view W`): one flat documented schema, defaults written once.
 */
import { type ConfigOf, type ConfigSchema, parseAssignment, resolveConfig } from "../../core/config.js";
import { ConfigError } from "../../core/errors.js";
import { parseArch } from "../../nn/arch.js";
import { COLLECTOR_MODES } from "../collect.js";
import { getLoss } from "../losses/registry.js";
import { parseSchedule } from "../schedules.js";
import { parseView } from "./views.js";

export const CROSSMODAL_SCHEMA = {
  env: { type: "string", default: "", help: "env id (the one env both views come from)" },
  teacher: { type: "string", default: "", help: "the teacher's model file (trained on the teacher's view)" },
  teacherView: {
    type: "string",
    default: "full",
    help: "what the teacher sees: full, pixels or state (MinAtar), keep:I,J,... or drop:I,J,... (entries of the full observation)",
  },
  studentView: {
    type: "string",
    default: "full",
    help: "what the student sees (same choices as teacherView)",
  },
  frameStack: {
    type: "integer",
    default: 1,
    min: 1,
    help: "frames the student stacks (its last k observations; 1 = none)",
  },
  out: {
    type: "string",
    default: "",
    help: "run folder; default runs/crossmodal-<env>-<teacherView>-to-<studentView>-s<seed>",
  },
  student: {
    type: "string",
    default: "auto",
    help: "student architecture (conv16x3,fc128 / 64,64); auto = conv16x3,fc128 on images, 64,64 on vectors",
  },
  activation: {
    type: "string",
    default: "auto",
    choices: ["auto", "tanh", "relu"],
    help: "hidden activation; auto = relu with convolutions, else tanh",
  },
  normalizeStudentObs: {
    type: "string",
    default: "auto",
    choices: ["auto", "on", "off"],
    help: "normalise the student's vector observations with statistics of the first collected round (frozen; saved in the student); auto = on for float vectors, off for images",
  },
  loss: { type: "string", default: "kl", help: "distillation loss (kl, mse, nll, js, ...)" },
  tau: { type: "string", default: "1", help: "temperature schedule on teacher and student logits" },
  steps: { type: "integer", default: 50_000, min: 1, help: "environment steps collected (the data budget)" },
  seed: { type: "integer", default: 0, min: 0, help: "seed of every generator in the run" },
  numEnvs: { type: "integer", default: 8, min: 1, help: "environments stepped side by side" },
  rolloutSteps: { type: "integer", default: 64, min: 1, help: "steps per env per collection round" },
  collector: {
    type: "string",
    default: "mixed",
    choices: COLLECTOR_MODES,
    help: "who acts: teacher, student (DAgger) or mixed",
  },
  beta: {
    type: "string",
    default: "1:0:linear",
    help: "probability schedule that the teacher acts (collector=mixed)",
  },
  teacherDeterministic: {
    type: "boolean",
    default: false,
    help: "the teacher acts greedily when collecting (else sampled)",
  },
  learningRate: { type: "number", default: 1e-3, min: 0, exclusiveMin: true, help: "Adam learning rate" },
  batchSize: { type: "integer", default: 256, min: 1, help: "samples per gradient step" },
  trainRatio: {
    type: "number",
    default: 0.125,
    min: 0,
    exclusiveMin: true,
    help: "gradient steps per collected transition",
  },
  maxGradNorm: {
    type: "number",
    default: 1,
    min: 0,
    exclusiveMin: true,
    help: "global-norm gradient clipping",
  },
  bufferSize: { type: "integer", default: 100_000, min: 1, help: "replay capacity (transitions)" },
  evalEvery: {
    type: "integer",
    default: 5000,
    min: 1,
    help: "evaluate the student every this many env steps (steps to the target are counted on this grid)",
  },
  evalEpisodes: { type: "integer", default: 10, min: 1, help: "episodes per intermediate evaluation" },
  finalEpisodes: {
    type: "integer",
    default: 30,
    min: 1,
    help: "episodes of the final evaluation (teacher, student, random)",
  },
  similarityStates: {
    type: "integer",
    default: 2000,
    min: 1,
    help: "states (visited by the greedy student) on which agreement with the teacher is measured",
  },
  target: {
    type: "number",
    default: 0.9,
    min: 0,
    max: 1,
    exclusiveMin: true,
    help: "retention that counts as reaching the teacher (steps_to_target)",
  },
  stopAtTarget: {
    type: "boolean",
    default: false,
    help: "stop at the first evaluation that reaches the target",
  },
  maxEpisodeSteps: {
    type: "integer",
    default: 0,
    min: 0,
    help: "cap on episode length (0 = the env's own limit; MinAtar registers none)",
  },
} as const satisfies ConfigSchema;

export type CrossModalConfig = ConfigOf<typeof CROSSMODAL_SCHEMA>;

export function resolveCrossModalConfig(
  input: Partial<CrossModalConfig> | Record<string, unknown>,
): CrossModalConfig {
  const rest = { ...(input as Record<string, unknown>) };
  for (const [k, v] of Object.entries(rest)) if (v === undefined) delete rest[k];
  const cfg = resolveConfig(CROSSMODAL_SCHEMA, rest, "crossmodal");
  if (cfg.env === "")
    throw new ConfigError("env", "required: the env id both views come from (--env MinAtar/Breakout-v1)");
  if (cfg.teacher === "")
    throw new ConfigError("teacher", "required: the teacher's model file (--teacher PATH)");
  parseView(cfg.teacherView, "teacherView");
  parseView(cfg.studentView, "studentView");
  if (cfg.teacherView === cfg.studentView && cfg.frameStack === 1)
    throw new ConfigError(
      "studentView",
      `the student sees what the teacher sees (${cfg.teacherView}); that is plain distillation (rldistill distill without views)`,
    );
  getLoss(cfg.loss, "loss");
  for (const key of ["tau", "beta"] as const) parseSchedule(cfg[key], key);
  if (cfg.student !== "auto") parseArch(cfg.student, "student");
  if (cfg.out === "") {
    const slug = (s: string) => s.replace(/^MinAtar\//, "").replace(/[^A-Za-z0-9-]+/g, "_");
    cfg.out = `runs/crossmodal-${slug(cfg.env)}-${slug(cfg.teacherView)}-to-${slug(cfg.studentView)}-s${cfg.seed}`;
  }
  return cfg;
}

export function parseCrossModalAssignment(assignment: string): [string, unknown] {
  return parseAssignment(CROSSMODAL_SCHEMA, assignment, "crossmodal");
}
