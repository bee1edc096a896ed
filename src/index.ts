/**
 * rldistill's public API. Named exports only; each area's own index lists what it offers.
 */
export * from "./core/env.js";
export * from "./core/errors.js";
export { Rng } from "./core/rng.js";
export * from "./core/spaces.js";
export { getRegistration, listEnvs, make, register } from "./envs/registry.js";
export type { EnvRegistration, MakeOptions } from "./envs/registry.js";
export * from "./nn/spec.js";
export * from "./core/policy.js";
