/** Evaluation: returns, statistics, policy similarity, latency and size, robustness, `runEval`. */
export {
  categoricalJS,
  categoricalKL,
  distributionJS,
  distributionKL,
  gaussianJS,
  gaussianKL,
} from "./divergence.js";
export {
  type AsyncPolicy,
  type EnvSource,
  type EvalResult,
  type EvaluateOptions,
  evaluatePolicy,
  evaluatePolicyAsync,
  randomPolicy,
  randomPolicyReturn,
  retention,
  retentionCI,
} from "./evaluate.js";
export {
  INFERENCE_PATHS,
  type InferencePathName,
  type InferencePathResult,
  type InferencePathsOptions,
  type InferencePathsResult,
  measureInferencePaths,
} from "./inference-paths.js";
export {
  type ActLatencyOptions,
  type Efficiency,
  type EfficiencyOptions,
  efficiencyOf,
  type Latency,
  type LatencyOptions,
  measureActLatencies,
  measureLatency,
  measureLatencyAsync,
} from "./latency.js";
export { type Recording, type RecordOptions, recordEpisodes } from "./record.js";
export {
  defaultPerturbations,
  evaluateRobustness,
  type Perturbation,
  type PerturbationKind,
  type PerturbationResult,
  type RobustnessOptions,
  type RobustnessPoint,
  type RobustnessResult,
} from "./robustness.js";
export {
  type EvalFile,
  type PolicyInput,
  type PolicyReport,
  type RunEvalOptions,
  runEval,
  runEvalAsync,
  writeEvalFile,
} from "./run.js";
export {
  type CollectOptions,
  collectStates,
  mixturePolicy,
  policySimilarity,
  type Similarity,
  type SimilarityOptions,
  type StateBatch,
  stateBatch,
} from "./similarity.js";
export {
  type BootstrapOptions,
  bootstrapCI,
  bootstrapMeansCI,
  formatCI95,
  iqm,
  mean,
  median,
  percentile,
  percentiles,
  type Summary,
  std,
  summarize,
} from "./stats.js";
