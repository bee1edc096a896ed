/** Distillation losses: pure functions of tensors returning `{ loss, metrics }`, and their registry. */

export type { AttentionArgs, AttentionLayersArgs } from "./attention.js";
export { attentionMap, attentionTransferLayers, attentionTransferLoss } from "./attention.js";
export type { TemperedArgs } from "./categorical.js";
export { jsLoss, klLoss, nllLoss, reverseKlLoss } from "./categorical.js";
export { combineLosses } from "./combine.js";
export type { LossResult, SampleWeightArgs } from "./common.js";
export { temperedLogSoftmax } from "./common.js";
export type { FeaturePair, FeatureProjector } from "./features.js";
export { createFeatureProjector, featureL2Loss } from "./features.js";
export type { GaussianKlArgs, GaussianPolicyTensors } from "./gaussian.js";
export { gaussianKlLoss } from "./gaussian.js";
export type { LossInputName, LossInputs, LossName, LossSpec } from "./registry.js";
export { getLoss, lossNames, lossRegistry } from "./registry.js";
export type { HuberArgs, ValueArgs } from "./regression.js";
export { huberElementwise, huberLoss, mseLoss, valueMseLoss } from "./regression.js";
export { gaussianW2Loss, meanMseLoss } from "./wasserstein.js";
