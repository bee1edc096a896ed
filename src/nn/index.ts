/**
 * rldistill's neural core: backend set-up, layers, models, optimizer, fast inference and
 * checkpoints. Import tf from here (never from @tensorflow/tfjs-core directly).
 */

export type { Scalar, Tensor, Tensor1D, Tensor2D, Tensor4D, Variable } from "./backend.js";
export { activeBackend, BACKENDS, type BackendName, defaultBackend, initBackend, tf } from "./backend.js";
export {
  type Artifact,
  adamStateFromTensors,
  adamStateToTensors,
  crc32,
  decodeArtifact,
  decodePolicySpec,
  encodeArtifact,
  encodePolicySpec,
  FORMAT_VERSION,
  type LoadedArtifact,
  libraryVersion,
  loadArtifact,
  loadPolicy,
  MAGIC,
  POLICY_KIND,
  type PolicyStructure,
  recordedEnvId,
  type StoredArray,
  type StoredDType,
  type StoredTensor,
  saveArtifact,
  savePolicy,
} from "./checkpoint.js";
export {
  argmax,
  argmaxRows,
  categoricalLogProb,
  entropyRows,
  gaussianEntropy,
  gaussianLogProb,
  logSoftmax,
  qGapRows,
  safeLog,
  sampleCategorical,
  sampleGaussian,
  sampleRow,
  softmaxProbs,
  softmaxRows,
} from "./distributions.js";
export { type CompiledPolicy, type CompileOptions, compileSpec } from "./fast.js";
export { DIFFERENTIABLE_KERNELS, registerGradients } from "./gradients.js";
export {
  GAIN_HIDDEN,
  GAIN_POLICY,
  GAIN_VALUE,
  orthogonal,
  orthogonalConv,
  orthogonalDense,
  orthogonalize,
} from "./init.js";
export { ExactStack, gemm } from "./kernels/exact.js";
export {
  type BackwardOptions,
  type ForwardOptions,
  KernelNet,
  SPARSE_MAX_DENSITY,
  SPARSE_MIN_WIDTH,
} from "./kernels/net.js";
export {
  countParams,
  flattenParams,
  hiddenActivations,
  layerNames,
  type Plan,
  planFlops,
  planLayers,
  type Step,
  tensorSizes,
  unflattenParams,
} from "./kernels/plan.js";
export { KernelQNetwork, type QLayers } from "./kernels/q-network.js";
export { SimdWorkspace, simdSupported } from "./kernels/simd.js";
export {
  type ActionConfig,
  ActorCritic,
  type ActorCriticConfig,
  actionConfigFromSpace,
  type BodyConfig,
  type EvaluateResult,
} from "./models.js";
export { compileObsNorm, normalizeObservations, type ObsNormalizer } from "./obs-norm.js";
export {
  activate,
  categoricalEntropyTensor,
  categoricalLogProbTensor,
  conv2d,
  dense,
  gaussianEntropyTensor,
  gaussianLogProbTensor,
  huber,
  maximum,
  minimum,
  mse,
  normalizeObs,
  oneHotMask,
  pickActions,
  tanh,
} from "./ops.js";
export {
  Adam,
  type AdamConfig,
  type AdamState,
  ArrayAdam,
  clipByGlobalNorm,
  type LossOutput,
  type ParamGroup,
  type TrainStepOptions,
  type TrainStepResult,
  trainStep,
} from "./optim.js";
export { type FloatArray, Params } from "./params.js";
export { foldDueling, QNetwork, type QNetworkConfig } from "./q-network.js";
export {
  Cnn,
  type CnnConfig,
  type ConvConfig,
  cnnLayers,
  type ForwardResult,
  Mlp,
  type MlpConfig,
  mlpLayers,
  Sequential,
} from "./sequential.js";
export * from "./spec.js";
