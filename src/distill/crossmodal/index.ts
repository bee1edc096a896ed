/**
 * Cross-modal distillation (README.md here): a teacher that sees one view of an env teaches a
 * student that sees another view of the same steps.
 */
export { CROSSMODAL_SCHEMA, type CrossModalConfig, resolveCrossModalConfig } from "./config.js";
export { type CrossModalSummary, distillCrossModal, obsStatistics, stepsToTarget } from "./crossmodal.js";
export { PairedCollector, pairedAgreement } from "./paired-collector.js";
export { formatView, type PairedEnv, parseView, type View, ViewPair } from "./views.js";
