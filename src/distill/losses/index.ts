/**
 * Distillation losses: pure functions of tensors returning `{ loss, metrics }`, their array forms
 * with gradients (the tape-free training path, `*Arrays`), and their registry.
 */

export type { AttentionArgs, AttentionLayersArgs } from "./attention.js";
export {
  attentionMap,
  attentionTransferArrays,
  attentionTransferLayers,
  attentionTransferLoss,
} from "./attention.js";
export type { TemperedArgs } from "./categorical.js";
export {
  jsLoss,
  jsLossArrays,
  klLoss,
  klLossArrays,
  nllLoss,
  nllLossArrays,
  reverseKlLoss,
  reverseKlLossArrays,
} from "./categorical.js";
export { combineLosses } from "./combine.js";
export type { ArrayLossResult, ArrayWeightArgs, LossResult, SampleWeightArgs } from "./common.js";
export { temperedLogSoftmax } from "./common.js";
export type { ArrayFeatureProjector, FeaturePair, FeatureProjector } from "./features.js";
export {
  createArrayFeatureProjector,
  createFeatureProjector,
  featureL2Loss,
  featureL2LossArrays,
} from "./features.js";
export type { GaussianKlArgs, GaussianPolicyTensors } from "./gaussian.js";
export { gaussianKlLoss, gaussianKlLossArrays } from "./gaussian.js";
export type { LossArrays, LossInputName, LossInputs, LossName, LossSpec } from "./registry.js";
export { getLoss, lossNames, lossRegistry } from "./registry.js";
export type { HuberArgs, ValueArgs } from "./regression.js";
export {
  huberElementwise,
  huberLoss,
  huberLossArrays,
  mseLoss,
  mseLossArrays,
  valueMseLoss,
  valueMseLossArrays,
} from "./regression.js";
export { gaussianW2Loss, gaussianW2LossArrays, meanMseLoss, meanMseLossArrays } from "./wasserstein.js";
