export * from "./make-vec.js";
export * from "./sync-vector-env.js";
export * from "./vector-env.js";
export * from "./worker-vector-env.js";
