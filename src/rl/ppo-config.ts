/** PPO's config: one flat schema (type, default, bounds, help per field), validated by resolveConfig. */
import type { ConfigOf, ConfigSchema } from "../core/config.js";

/** PPO's hyperparameters; defaults are CleanRL's ppo.py (classic control). */
export const PPO_SCHEMA = {
  learningRate: { type: "number", default: 2.5e-4, min: 0, exclusiveMin: true, help: "Adam learning rate" },
  numEnvs: { type: "integer", default: 4, min: 1, help: "parallel envs in the rollout" },
  numSteps: { type: "integer", default: 128, min: 1, help: "steps per env per rollout" },
  annealLr: { type: "boolean", default: true, help: "decay the learning rate linearly to 0" },
  gamma: { type: "number", default: 0.99, min: 0, max: 1, help: "discount factor" },
  gaeLambda: { type: "number", default: 0.95, min: 0, max: 1, help: "GAE lambda" },
  numMinibatches: { type: "integer", default: 4, min: 1, help: "minibatches per epoch" },
  updateEpochs: { type: "integer", default: 4, min: 1, help: "passes over each rollout" },
  normAdv: { type: "boolean", default: true, help: "normalise advantages per minibatch" },
  clipCoef: { type: "number", default: 0.2, min: 0, exclusiveMin: true, help: "surrogate clipping epsilon" },
  clipVloss: { type: "boolean", default: true, help: "clip the value loss around the old values" },
  entCoef: {
    type: "number",
    default: 0.01,
    help: "entropy bonus coefficient; a negative one penalises entropy (sharpens a trained policy, e.g. a teacher before distillation)",
  },
  vfCoef: { type: "number", default: 0.5, min: 0, help: "value loss coefficient" },
  maxGradNorm: {
    type: "number",
    default: 0.5,
    min: 0,
    exclusiveMin: true,
    help: "global gradient-norm clip",
  },
  targetKl: {
    type: "number",
    default: null,
    nullable: true,
    min: 0,
    help: "stop the epochs early above this KL",
  },
  hiddenSizes: {
    type: "integer[]",
    default: [64, 64],
    min: 1,
    minLength: 1,
    help: "dense hidden widths of actor and critic (after the convolutions, if any)",
  },
  convs: {
    type: "string",
    default: "",
    help: "convolutions before the dense layers (image observations), e.g. conv16x3 (MinAtar's baseline) or conv16x3,conv32x3s2same; empty = an MLP",
  },
  sharedTrunk: {
    type: "boolean",
    default: false,
    help: "actor and critic share their hidden layers, with two linear heads (CleanRL's ppo_atari; halves a CNN's training cost)",
  },
  activation: { type: "string", default: "tanh", choices: ["tanh", "relu"], help: "hidden activation" },
  adamEps: {
    type: "number",
    default: 1e-5,
    min: 0,
    exclusiveMin: true,
    help: "Adam epsilon (CleanRL: 1e-5)",
  },
  logStdInit: { type: "number", default: 0, help: "initial log std (continuous actions)" },
  normalizeObs: { type: "boolean", default: false, help: "running observation normalisation" },
  normalizeReward: { type: "boolean", default: false, help: "scale rewards by the return std" },
  logInterval: { type: "integer", default: 1, min: 1, help: "iterations between log dumps" },
} satisfies ConfigSchema;

/** PPO's flat config (see `PPO_SCHEMA` for each field's default and bounds). */
export type PpoConfig = ConfigOf<typeof PPO_SCHEMA>;
