/**
 * rldistill's public API: each area's own index lists what it offers; this file gathers them.
 * Where two areas use the same name, the more general one is exported here and the other is
 * reachable under an explicit alias.
 */
export * from "./core/env.js";
export * from "./core/errors.js";
export * from "./core/policy.js";
export { Rng } from "./core/rng.js";
export * from "./core/spaces.js";
export * from "./deploy/index.js";
export * from "./distill/index.js";
export * from "./envs/index.js";
// Names both the RL and another area define: the general ones win here.
export { RunningMeanStd } from "./envs/index.js";
export * from "./eval/index.js";
export * from "./nn/index.js";
export * from "./report/index.js";
export * from "./rl/index.js";
