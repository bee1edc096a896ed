/**
 * Architecture search for students (`search()`), trial engines (in this thread, worker threads, a
 * BullMQ queue) and the pieces they are built from. See src/search/README.md.
 */
export { resolveSearchConfig, SEARCH_SCHEMA, type SearchConfig } from "./config.js";
export {
  type ClientConfig,
  FEDERATED_SCHEMA,
  type FederatedConfig,
  resolveFederatedConfig,
} from "./federated/config.js";
export { type FederatedOptions, type FederatedSummary, fedAvg, federated } from "./federated/federated.js";
export {
  type EngineChoice,
  engineFor,
  InlineEngine,
  ThreadEngine,
  TrialAborted,
  type TrialEngine,
} from "./queue/index.js";
export { meetsTarget, paretoFront, parseTarget, rankTrials, shortfall, type Target } from "./rank.js";
export type { TrialRecord } from "./runner.js";
export { type BracketPlan, hyperbandPlan, type RungPlan } from "./schedule.js";
export { type SearchOptions, type SearchResult, type SearchSummary, search } from "./search.js";
export { type Candidate, type SearchSpace, STUDENT_KINDS, type StudentKind, sizesOf } from "./space.js";
export { makeTrial, type TrialOutcome, type TrialSpec } from "./trial.js";
