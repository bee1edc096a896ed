/**
 * Plumbing every area shares: the config schema and its validation, presets, the logger,
 * schedules of progress, run folders (locks, atomic writes) and Ctrl-C handling. It sits below
 * rl/ and distill/ so neither reaches into the other for it.
 */

export {
  appendLine,
  removeTempFiles,
  setWriteFault,
  type WriteFault,
  writeFileAtomic,
  writeJsonAtomic,
  writeViaTemp,
} from "./atomic-write.js";
export {
  type ConfigOf,
  type ConfigSchema,
  checkField,
  defaultsOf,
  describeSchema,
  type FieldSpec,
  parseAssignment,
  resolveConfig,
} from "./config.js";
export {
  checkInterrupt,
  InterruptedError,
  type InterruptHandle,
  type InterruptOptions,
  onInterrupt,
  writeLineSync,
  yieldIfDue,
} from "./interrupt.js";
export {
  ConsoleWriter,
  CsvWriter,
  JsonlWriter,
  Logger,
  type LogRow,
  type LogValue,
  type LogWriter,
  truncateProgress,
} from "./logger.js";
export { checkPreset, loadPreset, type Preset, presetsDir, readPresetTable } from "./presets.js";
export {
  LOCK_FILE,
  type LockInfo,
  type OpenRunFolderOptions,
  openRunFolder,
  RunFolder,
  type RunFolderMode,
  RunLockedError,
  readLock,
} from "./run-dir.js";
export { constantSchedule, linearSchedule, type Schedule } from "./schedules.js";
