/**
 * Teacher training: PPO and DQN in Stable-Baselines3's shape, with their plumbing (buffers, GAE,
 * normalisation, callbacks) and the run-folder driver the CLI uses.
 */

export {
  Algorithm,
  type CommonOptions,
  type LearnOptions,
  MODEL_EXTENSION,
  type SaveOptions,
  type SpaceInfo,
  withModelExtension,
} from "./algorithm.js";
export { ALGORITHMS, type AlgoName, isAlgoName } from "./algos.js";
export {
  BaseCallback,
  type CallbackContext,
  CallbackList,
  CheckpointCallback,
  EvalCallback,
  type EvalCallbackOptions,
  type EvalListener,
  ProgressBar,
  StopTrainingOnRewardThreshold,
  StopTrainingWhen,
  type TrainableModel,
} from "./callbacks.js";
export { DQN, DQN_SCHEMA, type DqnConfig, type DqnOptions } from "./dqn.js";
export { computeGae, type GaeInput } from "./gae.js";
export { dqnLoss, type PpoLossCoefs, type PpoLossInputs, ppoLoss, tdTarget } from "./losses.js";
export { RunningMeanStd, VecNormalize, type VecNormalizeOptions } from "./normalize.js";
export { PPO, PPO_SCHEMA, type PpoConfig, type PpoOptions } from "./ppo.js";
export { type ReplayBatch, ReplayBuffer } from "./replay-buffer.js";
export { type RolloutBatch, RolloutBuffer } from "./rollout-buffer.js";
export { type TrainRunOptions, type TrainSummary, trainRun } from "./run.js";
export { explainedVariance, normalizeAdvantages } from "./stats.js";
