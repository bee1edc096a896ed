/**
 * The envs area's public API: the built-in environments (classic control, MinAtar, MuJoCo), the
 * registry, wrappers, vector envs and the env checker. (Test fakes live in testing-fakes.ts and are not part of the API.)
 */
export { AcrobotEnv, type AcrobotKwargs } from "./acrobot.js";
export { CartPoleEnv, type CartPoleKwargs } from "./cartpole.js";
export { type CheckEnvOptions, checkEnv } from "./checker.js";
export {
  MINATAR_GAMES,
  MINATAR_OBS_TYPES,
  MinAtarEnv,
  type MinAtarEnvOptions,
  type MinAtarGameName,
  type MinAtarKwargs,
  type MinAtarObs,
  type MinAtarObsType,
  minatarPalette,
} from "./minatar/index.js";
export {
  MOUNTAIN_CAR_MAX_POSITION,
  MOUNTAIN_CAR_MAX_SPEED,
  MOUNTAIN_CAR_MIN_POSITION,
  MountainCarEnv,
  type MountainCarKwargs,
} from "./mountain-car.js";
export { MountainCarContinuousEnv, type MountainCarContinuousKwargs } from "./mountain-car-continuous.js";
export {
  AntEnv,
  type AntKwargs,
  HalfCheetahEnv,
  type HalfCheetahKwargs,
  HopperEnv,
  type HopperKwargs,
  InvertedDoublePendulumEnv,
  type InvertedDoublePendulumKwargs,
  InvertedPendulumEnv,
  type InvertedPendulumKwargs,
  isMujocoLoaded,
  loadMujoco,
  MujocoEnv,
  type PhysicsKwargs,
  ReacherEnv,
  type ReacherKwargs,
  Walker2dEnv,
  type Walker2dKwargs,
} from "./mujoco/index.js";
export { PendulumEnv, type PendulumKwargs } from "./pendulum.js";
export {
  type EnvRegistration,
  getRegistration,
  listEnvs,
  type MakeOptions,
  make,
  prepareEnv,
  RENDER_MODES,
  type RenderMode,
  register,
} from "./registry.js";
export { BLACK, Canvas, type Point, type Rgb, rotateTranslate, WHITE } from "./render/canvas.js";
export {
  ACROBOT_SIZE,
  CARTPOLE_SIZE,
  drawAcrobot,
  drawCartPole,
  drawMountainCar,
  drawPendulum,
  MOUNTAIN_CAR_SIZE,
  PENDULUM_SIZE,
} from "./render/classic.js";
export { encodeGif, type GifOptions } from "./render/gif.js";
export { scaledSize, scaleFrame } from "./render/scale.js";
export { type MakeVecOptions, makeVec } from "./vector/make-vec.js";
export { SyncVectorEnv, type SyncVectorEnvOptions } from "./vector/sync-vector-env.js";
export type {
  FinalInfo,
  VectorActions,
  VectorEnv,
  VectorResetOptions,
  VectorResetResult,
  VectorStepResult,
} from "./vector/vector-env.js";
export { WorkerVectorEnv, type WorkerVectorEnvOptions } from "./vector/worker-vector-env.js";
export { ActionNoise, type ActionNoiseArgs } from "./wrappers/action-noise.js";
export { ClipAction } from "./wrappers/clip-action.js";
export { FrameStackObservation, type FrameStackObservationArgs } from "./wrappers/frame-stack-observation.js";
export { NormalizeObservation, type NormalizeObservationArgs } from "./wrappers/normalize-observation.js";
export {
  NormalizeReward,
  type NormalizeRewardArgs,
  type NormalizeRewardStats,
} from "./wrappers/normalize-reward.js";
export { ObservationNoise, type ObservationNoiseArgs } from "./wrappers/observation-noise.js";
export { OrderEnforcing } from "./wrappers/order-enforcing.js";
export { RecordEpisode, type RecordEpisodeArgs, type RecordedEpisode } from "./wrappers/record-episode.js";
export {
  type EpisodeStatistics,
  RecordEpisodeStatistics,
  type RecordEpisodeStatisticsArgs,
} from "./wrappers/record-episode-statistics.js";
export { RunningMeanStd, type RunningMeanStdState } from "./wrappers/running-mean-std.js";
export { StickyAction, type StickyActionArgs } from "./wrappers/sticky-action.js";
export { TimeLimit } from "./wrappers/time-limit.js";
