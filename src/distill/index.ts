/**
 * Distillation: teachers, collectors, the replay buffer, distillers and the `distill()` run.
 *
 *   import { distill } from "rldistill";
 *   const { summary } = await distill({ teachers: ["teacher.rldistill"], env: "CartPole-v1", student: [32, 32] });
 */
export {
  DistillBuffer,
  type DistillBufferOptions,
  type DistillSample,
  PRIORITISATIONS,
  type Prioritisation,
} from "./buffer.js";
export {
  COLLECTOR_MODES,
  Collector,
  type CollectorMode,
  type CollectorOptions,
  type CollectStats,
} from "./collect.js";
export {
  ADAPTIVE_ALPHAS,
  DISTILL_METHODS,
  DISTILL_SCHEMA,
  type DistillConfig,
  type DistillMethod,
  describeDistillFields,
  METHOD_CONFIGS,
  methodSchema,
  parseDistillAssignment,
  resolveDistillConfig,
} from "./config.js";
export { COMMON_FIELDS, type MethodConfig, REPLAY_FIELDS } from "./config-fields.js";
export * from "./crossmodal/index.js";
export {
  DISTILLERS,
  type DistillOptions,
  type DistillResult,
  distill,
  STUDENT_FILE,
  scalesByTauSquared,
} from "./distill.js";
export { evaluateTeacher, measureSimilarity, type SimilarityFigures } from "./evaluation.js";
export { type FeaturePairing, pairFeatures } from "./feature-pairs.js";
export { type DistillContext, type Distiller, type DistillerFactory, evalPoints, runLoop } from "./loop.js";
export * from "./losses/index.js";
export { DqnDistiller } from "./methods/dqn.js";
export { FeatureDistiller } from "./methods/feature.js";
export { PolicyDistiller } from "./methods/policy.js";
export { DistilledPPO } from "./methods/ppo.js";
export { adapterGate, ResidualDistiller } from "./methods/residual.js";
export * from "./multitask/index.js";
export { type PolicyObjective, policyObjective, valueObjective } from "./objectives.js";
export { RESUMABLE_FIELDS, restoreStudent } from "./resume.js";
export type { CheckpointRecord, DistillSummary, EvalFigures } from "./run-dir.js";
export * from "./schedules.js";
export { checkHidden, Student, type StudentOptions } from "./student.js";
export {
  type ConfidenceMeasure,
  checkCompatible,
  type PredictOptions,
  type Teacher,
  type TeacherBatch,
  type TeacherKind,
  teacherActions,
  teacherConfidence,
  teacherPolicy,
  teacherProbs,
} from "./teacher.js";
export {
  ENSEMBLE_MODES,
  type EnsembleMode,
  type EnsembleOptions,
  EnsembleTeacher,
} from "./teachers/ensemble.js";
export {
  detectModelFormat,
  type LoadTeacherOptions,
  type LoadTeachersOptions,
  loadTeacher,
  loadTeachers,
  type ModelFormat,
  readModelSpec,
  type TeacherSourceOptions,
} from "./teachers/load.js";
export { obsNormFromJSON, readObsNormFile } from "./teachers/obs-norm.js";
export { OnnxTeacher, type OnnxTeacherOptions } from "./teachers/onnx-teacher.js";
export { ONNX_MIN_FLOPS, SpecTeacher, teacherBackend } from "./teachers/spec-teacher.js";
export { readPickle } from "./teachers/torch/pickle.js";
export { sb3ArchiveSpec, stateDictSpec, type TorchSpec } from "./teachers/torch/sb3.js";
export { parseTorchArch, type TorchArch } from "./teachers/torch/sequential.js";
export { readStateDict, type StateDict } from "./teachers/torch/state-dict.js";
export * from "./weights.js";
