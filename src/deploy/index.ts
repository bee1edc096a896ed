/**
 * Deployment: ONNX export/import, onnxruntime inference (optional dependency), int8 weight
 * quantization (post-training and fake-quant for quantization-aware distillation), and the
 * standalone dependency-free runtime.
 */

export { fakeQuantize } from "./fake-quantize.js";
export { type ExportOnnxOptions, exportOnnx } from "./onnx-export.js";
export { type ImportOnnxOptions, importOnnx } from "./onnx-import.js";
export {
  chooseOutputs,
  type OutputChoice,
  type OutputChoiceOptions,
  POLICY_OUTPUT_KINDS,
  type PolicyOutputKind,
  parseKindSpec,
} from "./onnx-outputs.js";
export { loadOnnxRuntime, type OnnxOutput, OnnxPolicy, type OnnxPolicyOptions } from "./onnx-runtime.js";
export {
  dequantizeSpec,
  dequantizeWeights,
  isQuantizedSpec,
  type QuantizedConv2dSpec,
  type QuantizedDenseSpec,
  type QuantizedLayerSpec,
  type QuantizedPolicySpec,
  type QuantizedTensor,
  quantizeSpec,
  quantizeWeights,
  type SpecSizes,
  specSizes,
} from "./quantize.js";
export {
  ALL_RUNTIME_FEATURES,
  compactRuntime,
  type RuntimeFeatures,
  runtimeFeatures,
  runtimeSource,
} from "./runtime-compact.js";
export {
  type ExportRuntimeOptions,
  exportRuntime,
  packRuntime,
  RUNTIME_FILES,
  RUNTIME_MODULE,
  type RuntimeBundle,
  runtimeModule,
} from "./runtime-export.js";
export type { RuntimeModule, RuntimePolicy } from "./runtime-source.js";
