/**
 * The MuJoCo envs (Gymnasium v5 semantics on the `mujoco-js` WebAssembly engine). Load the engine
 * once with `await loadMujoco()` (or `await prepareEnv(id)`) before `make()`.
 */
export { AntEnv, type AntKwargs } from "./ant.js";
export { HalfCheetahEnv, type HalfCheetahKwargs } from "./half-cheetah.js";
export { HopperEnv, type HopperKwargs } from "./hopper.js";
export { InvertedDoublePendulumEnv, type InvertedDoublePendulumKwargs } from "./inverted-double-pendulum.js";
export { InvertedPendulumEnv, type InvertedPendulumKwargs } from "./inverted-pendulum.js";
export type { PhysicsKwargs } from "./kwargs.js";
export { MujocoEnv } from "./mujoco-env.js";
export type { PlanarWalkerKwargs } from "./planar-walker.js";
export { ReacherEnv, type ReacherKwargs } from "./reacher.js";
export { isMujocoLoaded, loadMujoco } from "./runtime.js";
export { Walker2dEnv, type Walker2dKwargs } from "./walker2d.js";
