/**
 * The one flat config of a distillation run (`rldistill distill`, `distill()`), defaults written
 * once in `DISTILL_SCHEMA`, validated at the edge by `resolveDistillConfig` with errors that name
 * the field and what is allowed. Per-env presets (presets/distill.json) sit between the defaults
 * and the user's values: defaults < preset < --config file < flags and --set.
 *
 * Schedules (`tau`, `alpha`, `beta`) are strings: a constant ("0.7") or "start:end:shape"
 * ("5:1:linear"), parsed by src/distill/schedules.ts, functions of training progress in [0, 1].
 */

import { type ConfigOf, type ConfigSchema, parseAssignment, resolveConfig } from "../core/config.js";
import { ConfigError, describeValue } from "../core/errors.js";
import { loadPreset } from "../core/presets.js";
import { formatArch, formatConv, parseArch, parseConvs } from "../nn/arch.js";
import { PRIORITISATIONS } from "./buffer.js";
import { COLLECTOR_MODES } from "./collect.js";
import { parseWeights } from "./feature-pairs.js";
import { getLoss } from "./losses/registry.js";
import { TAU_MODES } from "./objectives.js";
import { parseSchedule } from "./schedules.js";

export const DISTILL_METHODS = ["policy", "ppo", "dqn", "feature", "residual", "attention"] as const;
export type DistillMethod = (typeof DISTILL_METHODS)[number];

export const DISTILL_SCHEMA = {
  env: { type: "string", default: "", help: "env id to distil on (see `rldistill envs`)" },
  out: { type: "string", default: "", help: "run folder; default runs/distill-<env>-<method>-s<seed>" },
  method: {
    type: "string",
    default: "policy",
    choices: DISTILL_METHODS,
    help: "policy (supervised on collected data), ppo (DistilledPPO), dqn (Q distillation), feature (hidden features, then outputs), residual (teacher-feature adapter, annealed away), attention (policy loss + attention transfer between conv layers)",
  },
  student: {
    type: "integer[]",
    default: [32, 32],
    min: 1,
    minLength: 0,
    help: "student dense hidden widths (after studentConvs, if any); an architecture string is accepted too, e.g. conv16x3,fc64 (see studentConvs) or 64,64",
  },
  studentConvs: {
    type: "string",
    default: "",
    help: "student convolutions before its dense layers (image observations), e.g. conv8x3 or conv16x3,conv16x3s2same; set together with student by an architecture string (--student conv8x3,fc32)",
  },
  studentActivation: {
    type: "string",
    default: "tanh",
    choices: ["tanh", "relu"],
    help: "student hidden activation",
  },
  loss: {
    type: "string",
    default: "kl",
    help: "distillation loss from the registry (kl, mse, nll, js, ...)",
  },
  tau: {
    type: "string",
    default: "1",
    help: "temperature schedule on teacher and student logits, e.g. 5:1:linear (Rusu et al. 2016 used 0.01 on Atari Q-values; on an Acrobot DQN teacher here 1 did better, see src/distill/README.md)",
  },

  tauMode: {
    type: "string",
    default: "spread",
    choices: TAU_MODES,
    help: "Q-value teachers: spread (softmax(Q / (tau * std_a Q)), a temperature relative to each state's Q spread; the default: on CartPole's DQN teacher 78-82% agreement at tau 1 and 84-86% at 0.3, against 71-80% for fixed tau 1 and 71-73% for 0.01) or fixed (softmax(Q / tau), Rusu et al. 2016)",
  },
  alpha: {
    type: "string",
    default: "1",
    help: "weight of the distillation loss against the student's own RL loss (ppo: PPO loss, dqn: TD loss); 1 = pure distillation; a schedule, or qdagger / dynamic (updated at each evaluation from return / agreement)",
  },
  steps: { type: "integer", default: 50_000, min: 1, help: "environment steps collected (the data budget)" },
  seed: { type: "integer", default: 0, min: 0, help: "seed of every generator in the run" },
  numEnvs: { type: "integer", default: 8, min: 1, help: "environments stepped side by side" },
  rolloutSteps: { type: "integer", default: 64, min: 1, help: "steps per env per collection round" },
  collector: {
    type: "string",
    default: "mixed",
    choices: COLLECTOR_MODES,
    help: "who acts while collecting: teacher, student (DAgger) or mixed (teacher with probability beta)",
  },
  beta: {
    type: "string",
    default: "1:0:linear",
    help: "probability schedule that the teacher acts (collector=mixed)",
  },
  teacherDeterministic: {
    type: "boolean",
    default: false,
    help: "teacher acts greedily when collecting (else sampled)",
  },
  ensemble: {
    type: "string",
    default: "mean",
    choices: ["mean", "confidence"],
    help: "how several --teacher combine: mean of probabilities, or confidence-weighted (inverse entropy); per-task routing is library-only (EnsembleTeacher)",
  },
  // Teacher sources (src/distill/teachers/load.ts): one value for every teacher, or one per teacher separated by ";".
  teacherOutput: {
    type: "string",
    default: "",
    help: "ONNX teachers: the policy tensor (an output or any tensor name); default: recognised from the graph, else an error listing the outputs",
  },
  teacherKind: {
    type: "string",
    default: "",
    help: "what the teacher's policy output holds: logits, probs, q or mean[,logstd=NAME|VALUE]; default: from the model",
  },
  teacherValue: {
    type: "string",
    default: "",
    help: "ONNX teachers: the state-value tensor (or none); default: an output named value, or SB3's values",
  },
  teacherArch: {
    type: "string",
    default: "",
    help: "plain PyTorch state_dict teachers: [PREFIX:]ACTIVATION of the nn.Sequential actor, e.g. actor:tanh (CleanRL)",
  },
  obsNorm: {
    type: "string",
    default: "",
    help: "JSON file of VecNormalize statistics (mean, var, epsilon, clip) folded into the teacher and copied into the student (docs/byom.md)",
  },
  teacherTemperature: {
    type: "string",
    default: "",
    help: "ensembles: per-teacher temperatures (1;0.1) turning each member's logits or Q-values into probabilities before averaging",
  },
  learningRate: { type: "number", default: 1e-3, min: 0, exclusiveMin: true, help: "Adam learning rate" },
  batchSize: { type: "integer", default: 256, min: 1, help: "samples per gradient step" },
  trainRatio: {
    type: "number",
    default: 0.125,
    min: 0,
    exclusiveMin: true,
    help: "gradient steps per collected transition (0.125 = one step per 8 transitions)",
  },
  maxGradNorm: {
    type: "number",
    default: 1,
    min: 0,
    exclusiveMin: true,
    help: "global-norm gradient clipping",
  },
  bufferSize: { type: "integer", default: 100_000, min: 1, help: "replay buffer capacity (transitions)" },
  prioritisation: {
    type: "string",
    default: "none",
    choices: PRIORITISATIONS,
    help: "teacher-prioritised sampling by confidence: none, entropy (inverse entropy 1 / (H + 0.05)) or qgap (best minus second-best Q)",
  },
  priorityAlpha: { type: "number", default: 0.6, min: 0, help: "priority exponent (0 = uniform)" },
  priorityBeta: {
    type: "number",
    default: 0.4,
    min: 0,
    max: 1,
    help: "importance-weight exponent (1 = unbiased)",
  },
  valueCoef: {
    type: "number",
    default: 0,
    min: 0,
    help: "value distillation: weight of the student value head's loss on the teacher's V(s) (or Q(s, .)); 0 = off",
  },
  quantizeAware: {
    type: "boolean",
    default: false,
    help: "quantization-aware distillation: the student trains through int8 fake quantization (per output channel, straight-through gradients) and acts, is evaluated and saved with int8-grid weights, so `rldistill export --quantize int8` ships the network that was trained",
  },
  quantizeAwareStart: {
    type: "number",
    default: 0,
    min: 0,
    max: 1,
    help: "quantizeAware: progress from which fake quantization is on (before it the student trains in float; the final student is int8 either way)",
  },
  evalEvery: {
    type: "number",
    default: 0.2,
    min: 0,
    max: 1,
    exclusiveMin: true,
    help: "evaluate (and checkpoint) at every this fraction of training",
  },
  evalEpisodes: { type: "integer", default: 10, min: 1, help: "episodes per intermediate evaluation" },
  finalEpisodes: {
    type: "integer",
    default: 30,
    min: 1,
    help: "episodes of the final teacher/student/random evaluation",
  },
  similarityStates: {
    type: "integer",
    default: 5000,
    min: 1,
    help: "states (visited by the greedy student) on which agreement and JS divergence are measured",
  },
  video: {
    type: "boolean",
    default: true,
    help: "at the end, record one greedy episode of teacher and student as teacher.gif / student.gif in the run folder (when the env can render; false skips them)",
  },
  // DistilledPPO (method=ppo)
  ppoSteps: { type: "integer", default: 128, min: 1, help: "ppo: rollout length per env" },
  ppoEpochs: { type: "integer", default: 4, min: 1, help: "ppo: epochs per rollout" },
  ppoMinibatches: { type: "integer", default: 4, min: 1, help: "ppo: minibatches per epoch" },
  clipRange: { type: "number", default: 0.2, min: 0, exclusiveMin: true, help: "ppo: ratio clip" },
  entCoef: { type: "number", default: 0, min: 0, help: "ppo: entropy bonus" },
  vfCoef: { type: "number", default: 0.5, min: 0, help: "ppo: critic loss weight" },
  gamma: { type: "number", default: 0.99, min: 0, max: 1, help: "ppo/dqn: discount" },
  gaeLambda: { type: "number", default: 0.95, min: 0, max: 1, help: "ppo: GAE lambda" },
  // Q distillation (method=dqn)
  advantageCoef: {
    type: "number",
    default: 0.5,
    min: 0,
    help: "dqn: weight of the dual target, MSE between student and teacher advantages Q - mean(Q)",
  },
  targetUpdate: {
    type: "integer",
    default: 500,
    min: 1,
    help: "dqn: gradient steps between target-network copies (TD mix)",
  },
  // Feature distillation (method=feature, residual)
  featureLayers: {
    type: "string",
    default: "auto",
    help: "feature/residual: teacher features to use (hidden0,hidden1 or auto = pair the last hidden layers)",
  },
  featureWeights: {
    type: "string",
    default: "",
    help: "feature: per-layer weights, comma separated (default all 1)",
  },
  featureCoef: {
    type: "number",
    default: 0,
    min: 0,
    help: "feature: weight of the feature loss kept alongside the policy loss after featureStage (0 = FitNets: outputs alone; featureStage=0 featureCoef=1 = KL + features from the start)",
  },
  featureStage: {
    type: "number",
    default: 0.3,
    min: 0,
    max: 1,
    help: "feature: fraction of training spent on features alone before the outputs are distilled",
  },
  // Attention transfer (method=attention)
  attentionLayers: {
    type: "string",
    default: "auto",
    help: "attention: teacher conv layers whose spatial attention maps the student's conv layers match (conv0,conv1 or auto = all, paired from the output end; spatial sizes must match)",
  },
  attentionWeights: {
    type: "string",
    default: "",
    help: "attention: per-layer weights beta, comma separated (default 1000 each, Zagoruyko and Komodakis's value for a loss averaged over positions)",
  },
  attentionP: {
    type: "integer",
    default: 2,
    min: 1,
    help: "attention: exponent p of the map mean_c |F_c|^p",
  },
  adapterEnd: {
    type: "number",
    default: 0.6,
    min: 0,
    max: 1,
    exclusiveMin: true,
    help: "residual: progress by which the teacher-feature adapter has been annealed to zero",
  },
} as const satisfies ConfigSchema;

/** alpha values that are not schedules: weights updated from evaluations (src/distill/weights.ts). */
export const ADAPTIVE_ALPHAS: readonly string[] = ["qdagger", "dynamic"];

export type DistillHyper = ConfigOf<typeof DISTILL_SCHEMA>;

/** The student's architecture as one string ("conv8x3,fc32", "32,32"), as --student takes it. */
export function studentArch(cfg: Pick<DistillHyper, "student" | "studentConvs">): string {
  return formatArch({ convs: parseConvs(cfg.studentConvs, "studentConvs"), hidden: cfg.student });
}

/** Everything a run needs: the teachers' paths plus the flat schema fields. */
export interface DistillConfig extends DistillHyper {
  teachers: string[];
}

/** What `distill()` accepts: any subset of the config; `student` may be an architecture string ("conv8x3,fc32"). */
export type DistillInput = Omit<Partial<DistillConfig>, "student"> & { student?: number[] | string };

/** Checks what the schema cannot: the loss name, schedules, the teacher list. */
function checkCross(cfg: DistillConfig): void {
  if (!Array.isArray(cfg.teachers) || cfg.teachers.length === 0) {
    throw new ConfigError("teacher", "at least one teacher file is needed (--teacher PATH)");
  }
  for (const [i, t] of cfg.teachers.entries()) {
    if (typeof t !== "string" || t === "")
      throw new ConfigError(`teacher[${i}]`, `expected a file path, got ${describeValue(t)}`);
  }
  if (cfg.env === "") throw new ConfigError("env", "required: the env id to distil on (--env CartPole-v1)");
  getLoss(cfg.loss, "loss");
  parseConvs(cfg.studentConvs, "studentConvs");
  if (cfg.student.length === 0 && cfg.studentConvs === "")
    throw new ConfigError("student", "needs at least one layer, e.g. 32,32 or conv8x3,fc32");
  for (const key of ["tau", "beta"] as const) parseSchedule(cfg[key], key);
  if (!ADAPTIVE_ALPHAS.includes(cfg.alpha)) parseSchedule(cfg.alpha, "alpha");
  parseWeights(cfg.featureWeights, "featureWeights");
  parseWeights(cfg.attentionWeights, "attentionWeights");
}

/**
 * Resolves a config from layers, later ones winning: schema defaults, then the env's preset
 * (presets/distill.json, unless `preset: false`), then each given object. Unknown keys, bad values,
 * unknown losses and malformed schedules throw a ConfigError naming the field.
 */
export function resolveDistillConfig(
  ...layers: Array<DistillInput | Record<string, unknown>>
): DistillConfig {
  const merged: Record<string, unknown> = {};
  for (const l of layers) for (const [k, v] of Object.entries(l)) if (v !== undefined) merged[k] = v;
  const { teachers, ...rest } = merged as { teachers?: unknown } & Record<string, unknown>;
  // An architecture string sets both fields: "conv8x3,fc32" -> student [32], studentConvs "conv8x3".
  if (typeof rest.student === "string") {
    const arch = parseArch(rest.student, "student");
    rest.student = arch.hidden;
    rest.studentConvs = arch.convs.map(formatConv).join(",");
  }
  const env = typeof rest.env === "string" ? rest.env : "";
  const preset = env ? loadPreset("distill", env, DISTILL_SCHEMA).config : {};
  const hyper = resolveConfig(DISTILL_SCHEMA, { ...preset, ...rest }, "distill");
  const cfg: DistillConfig = { ...hyper, teachers: (teachers as string[] | undefined) ?? [] };
  if (cfg.out === "") cfg.out = `runs/distill-${cfg.env}-${cfg.method}-s${cfg.seed}`;
  checkCross(cfg);
  return cfg;
}

/** `--set key=value` for the distillation schema. */
export function parseDistillAssignment(assignment: string): [string, unknown] {
  return parseAssignment(DISTILL_SCHEMA, assignment, "distill");
}
