/**
 * Multi-task and lifelong distillation (README.md here): one student for several teachers on
 * different envs, and tasks that arrive one after another with a replay memory of stored targets.
 */
export {
  isTaskTeacher,
  LIFELONG_SCHEMA,
  type LifelongConfig,
  MULTITASK_SCHEMA,
  type MultiTaskConfig,
  parseTaskTeacher,
  parseTaskWeights,
  resolveLifelongConfig,
  resolveMultiTaskConfig,
  type TaskTeacher,
} from "./config.js";
export { diagonalFisher, EwcPenalty } from "./ewc.js";
export {
  type ForgettingFigures,
  type ForgettingMatrix,
  forgettingFigures,
  formatMatrix,
} from "./forgetting.js";
export { MINATAR_MAX_CHANNELS, TaskLayout, type TaskShape } from "./layout.js";
export { distillStage, type LifelongSummary, MEMORY_FILE } from "./lifelong.js";
export { MultiHeadStudent, type MultiHeadStudentOptions, type TaskGroup } from "./multi-head-student.js";
export {
  distillMultiTask,
  type MultiTaskSummary,
  type TaskSummary,
  type TasksRunOptions,
} from "./multitask.js";
export { type MemoryBatch, ReservoirMemory, type ReservoirOptions } from "./reservoir.js";
export { loadMultiTask, MULTITASK_KIND, saveMultiTask } from "./tasks.js";
