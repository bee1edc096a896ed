/**
 * The fields every distillation run has (COMMON_FIELDS), those of the methods that learn from a
 * replay of teacher-labelled states (REPLAY_FIELDS: policy, dqn, feature, residual, attention), and fields
 * several methods declare with one meaning (alpha, gamma, featureLayers). Each method's own
 * fields are in methods/<method>.config.ts; config.ts puts them together.
 */
import type { ConfigSchema } from "../core/config.js";
import { PRIORITISATIONS } from "./buffer.js";
import { COLLECTOR_MODES } from "./collect.js";
import { TAU_MODES } from "./objectives.js";

export const DISTILL_METHODS = ["policy", "ppo", "dqn", "feature", "residual", "attention"] as const;
export type DistillMethod = (typeof DISTILL_METHODS)[number];

export const COMMON_FIELDS = {
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
    help: "temperature schedule (> 0) on teacher and student logits, e.g. 5:1:linear (Rusu et al. 2016 used 0.01 on Atari Q-values; on an Acrobot DQN teacher here 1 did better, see src/distill/README.md)",
  },
  tauMode: {
    type: "string",
    default: "spread",
    choices: TAU_MODES,
    help: "Q-value teachers: spread (softmax(Q / (tau * std_a Q)), a temperature relative to each state's Q spread; the default: on CartPole's DQN teacher 78-82% agreement at tau 1 and 84-86% at 0.3, against 71-80% for fixed tau 1 and 71-73% for 0.01) or fixed (softmax(Q / tau), Rusu et al. 2016)",
  },
  scaleByTauSquared: {
    type: "string",
    default: "auto",
    choices: ["auto", "true", "false"],
    help: "multiply a tempered loss (kl, reverse-kl, js) by tau^2 so its gradients keep their size as tau changes (Hinton et al. 2015); auto = on when the method mixes it with another term (ppo and dqn with alpha < 1, dqn's advantage/state-value terms, policy with valueCoef > 0), off when it is the only term",
  },
  steps: { type: "integer", default: 50_000, min: 1, help: "environment steps collected (the data budget)" },
  seed: { type: "integer", default: 0, min: 0, help: "seed of every generator in the run" },
  numEnvs: { type: "integer", default: 8, min: 1, help: "environments stepped side by side" },
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
  studentObsNorm: {
    type: "integer",
    default: 0,
    min: 0,
    help: "normalise the student's inputs with the mean and variance of this many states of greedy teacher rollouts (frozen, saved in the student, as VecNormalize's statistics would be) when the teacher has no normalisation of its own; for float vector observations; 0 = off",
  },
  learningRate: { type: "number", default: 1e-3, min: 0, exclusiveMin: true, help: "Adam learning rate" },
  maxGradNorm: {
    type: "number",
    default: 1,
    min: 0,
    exclusiveMin: true,
    help: "global-norm gradient clipping",
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
} as const satisfies ConfigSchema;

/** Collection and replay: the methods that learn from teacher-labelled states (all but ppo). */
export const REPLAY_FIELDS = {
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
    help: "schedule of the probability (in [0, 1]) that the teacher acts (collector=mixed)",
  },
  collectNoise: {
    type: "string",
    default: "0",
    help: "DART action noise while collecting (Laskey et al. 2017): Gaussian std as a fraction of each action dimension's half-range, added to whoever acts (teacher or student) and clipped to the box; the teacher still labels the visited states with its un-noised output; never applied in evaluation. A constant (0.2) or a schedule like beta's (0.3:0:linear); continuous actions only; 0 = off",
  },
  collectResetProb: {
    type: "number",
    default: 0,
    min: 0,
    max: 0.5,
    help: "probability per collection step that a running episode is cut and its env reset, so collection episodes last about 1 / p steps and the states just after a reset (the first strides, where a small student may fall) are oversampled; cut episodes are truncations and are left out of rollout/ep_*; never applied in evaluation; 0 = off",
  },
  teacherDeterministic: {
    type: "boolean",
    default: false,
    help: "teacher acts greedily when collecting (else sampled; a Gaussian teacher with means only, such as a SAC or TD3 actor, always acts with its mean)",
  },
  studentDeterministic: {
    type: "string",
    default: "auto",
    choices: ["auto", "true", "false"],
    help: "student acts greedily when collecting (collector student or mixed; false: sampled from its own distribution, as DAgger rolls out the learner); auto = greedy when the student has no trained std (a continuous student on mean-mse, mse or value-mse keeps its initial std 1, which swamps a [-1, 1] action box), else sampled",
  },
  batchSize: { type: "integer", default: 256, min: 1, help: "samples per gradient step" },
  lrSchedule: {
    type: "string",
    default: "1",
    help: "schedule in [0, 1] of the factor on learningRate over the run, e.g. 1:0:cosine or piecewise:0=1,0.7=1,1=0.05 (a decay at the end); 1 = constant",
  },
  trainRatio: {
    type: "number",
    default: 0.125,
    min: 0,
    exclusiveMin: true,
    help: "gradient steps per collected transition (0.125 = one step per 8 transitions)",
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
} as const satisfies ConfigSchema;

/** Declared by ppo and dqn, with this one meaning. */
export const ALPHA_FIELD = {
  type: "string",
  default: "1",
  help: "weight in [0, 1] of the distillation loss against the student's own RL loss (ppo: PPO loss, dqn: TD loss); 1 = pure distillation; a schedule, or qdagger / dynamic (updated at each evaluation from return / agreement)",
} as const;

/** Declared by ppo and dqn. */
export const GAMMA_FIELD = {
  type: "number",
  default: 0.99,
  min: 0,
  max: 1,
  help: "discount of the RL loss",
} as const;

/** Declared by feature and residual. */
export const FEATURE_LAYERS_FIELD = {
  type: "string",
  default: "auto",
  help: "teacher features to use (hidden0,hidden1 or auto = pair the last hidden layers)",
} as const;

/** What a method declares: its own fields, and whether it learns from the replay (REPLAY_FIELDS). */
export interface MethodConfig<S extends ConfigSchema = ConfigSchema> {
  method: DistillMethod;
  replay: boolean;
  fields: S;
}
