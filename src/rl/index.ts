/**
 * Teacher training: PPO and DQN in Stable-Baselines3's shape, with their plumbing (buffers, GAE,
 * schedules, normalisation, logger, callbacks, presets) and the run-folder driver the CLI uses.
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
export {
  type ConfigOf,
  type ConfigSchema,
  checkField,
  defaultsOf,
  describeSchema,
  type FieldSpec,
  parseAssignment,
  resolveConfig,
} from "./config.js";
export { DQN, DQN_SCHEMA, type DqnConfig, type DqnOptions } from "./dqn.js";
export { computeGae, type GaeInput } from "./gae.js";
export {
  ConsoleWriter,
  CsvWriter,
  JsonlWriter,
  Logger,
  type LogRow,
  type LogValue,
  type LogWriter,
} from "./logger.js";
export { dqnLoss, type PpoLossCoefs, type PpoLossInputs, ppoLoss, tdTarget } from "./losses.js";
export { RunningMeanStd, VecNormalize, type VecNormalizeOptions } from "./normalize.js";
export { PPO, PPO_SCHEMA, type PpoConfig, type PpoOptions } from "./ppo.js";
export { checkPreset, loadPreset, type Preset, presetsDir, readPresetTable } from "./presets.js";
export { type ReplayBatch, ReplayBuffer } from "./replay-buffer.js";
export { type RolloutBatch, RolloutBuffer } from "./rollout-buffer.js";
export { type TrainRunOptions, type TrainSummary, trainRun } from "./run.js";
export { constantSchedule, linearSchedule, type Schedule } from "./schedules.js";
export { explainedVariance, normalizeAdvantages } from "./stats.js";
