/** Env wrappers, named `<Transform><Target>` as in Gymnasium. */
export * from "./action-noise.js";
export * from "./clip-action.js";
export * from "./frame-stack-observation.js";
export * from "./mask-observation.js";
export * from "./normalize-observation.js";
export * from "./normalize-reward.js";
export * from "./observation-noise.js";
export * from "./order-enforcing.js";
export * from "./record-episode.js";
export * from "./record-episode-statistics.js";
export * from "./running-mean-std.js";
export * from "./sticky-action.js";
export * from "./time-limit.js";
