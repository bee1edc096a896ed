/**
 * rldistill's public API: each area's own index lists what it offers; this file gathers them.
 * A name two areas export (`Schedule`, `RunningMeanStd`) is one shared implementation.
 */
export * from "./core/env.js";
export * from "./core/errors.js";
export * from "./core/index.js";
export { NumpyRandomState } from "./core/numpy-random.js";
export * from "./core/policy.js";
export { Rng } from "./core/rng.js";
export * from "./core/spaces.js";
export * from "./deploy/index.js";
export * from "./distill/index.js";
export * from "./envs/index.js";
export * from "./eval/index.js";
export * from "./nn/index.js";
export * from "./report/index.js";
export * from "./rl/index.js";
export * from "./search/index.js";
