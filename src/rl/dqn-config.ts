/** DQN's config: one flat schema (type, default, bounds, help per field), validated by resolveConfig. */
import type { ConfigOf, ConfigSchema } from "../core/config.js";

/** DQN's hyperparameters; defaults are CleanRL's dqn.py (classic control). */
export const DQN_SCHEMA = {
  learningRate: { type: "number", default: 2.5e-4, min: 0, exclusiveMin: true, help: "Adam learning rate" },
  numEnvs: { type: "integer", default: 1, min: 1, help: "parallel envs" },
  bufferSize: { type: "integer", default: 10_000, min: 1, help: "replay buffer capacity" },
  gamma: { type: "number", default: 0.99, min: 0, max: 1, help: "discount factor" },
  tau: { type: "number", default: 1, min: 0, max: 1, help: "target update weight (1 = hard copy)" },
  targetNetworkFrequency: { type: "integer", default: 500, min: 1, help: "env steps between target updates" },
  batchSize: { type: "integer", default: 128, min: 1, help: "transitions per gradient step" },
  startE: { type: "number", default: 1, min: 0, max: 1, help: "initial exploration epsilon" },
  endE: { type: "number", default: 0.05, min: 0, max: 1, help: "final exploration epsilon" },
  explorationFraction: {
    type: "number",
    default: 0.5,
    min: 0,
    max: 1,
    exclusiveMin: true,
    help: "fraction of training to decay epsilon over",
  },
  learningStarts: { type: "integer", default: 10_000, min: 0, help: "env steps before learning starts" },
  trainFrequency: { type: "integer", default: 10, min: 1, help: "env steps between gradient steps" },
  gradientSteps: { type: "integer", default: 1, min: 1, help: "gradient steps each time training runs" },
  doubleQ: { type: "boolean", default: false, help: "double DQN targets" },
  dueling: { type: "boolean", default: false, help: "dueling value/advantage heads" },
  loss: {
    type: "string",
    default: "mse",
    choices: ["mse", "huber"],
    help: "TD loss (CleanRL: mse, SB3: huber)",
  },
  maxGradNorm: {
    type: "number",
    default: null,
    nullable: true,
    min: 0,
    exclusiveMin: true,
    help: "global gradient-norm clip (SB3: 10)",
  },
  init: {
    type: "string",
    default: "torch",
    choices: ["torch", "orthogonal"],
    help: "weight init: PyTorch's nn.Linear/nn.Conv2d default (CleanRL) or orthogonal",
  },
  hiddenSizes: {
    type: "integer[]",
    default: [120, 84],
    min: 1,
    minLength: 1,
    help: "dense hidden widths (after the convolutions, if any)",
  },
  convs: {
    type: "string",
    default: "",
    help: "convolutions before the dense layers (image observations), e.g. conv16x3 (MinAtar's baseline); empty = an MLP",
  },
  activation: { type: "string", default: "relu", choices: ["tanh", "relu"], help: "hidden activation" },
  adamEps: { type: "number", default: 1e-8, min: 0, exclusiveMin: true, help: "Adam epsilon" },
  normalizeObs: { type: "boolean", default: false, help: "running observation normalisation" },
  logInterval: { type: "integer", default: 1000, min: 1, help: "env steps between log dumps" },
} satisfies ConfigSchema;

/** DQN's flat config (see `DQN_SCHEMA` for each field's default and bounds). */
export type DqnConfig = ConfigOf<typeof DQN_SCHEMA>;
