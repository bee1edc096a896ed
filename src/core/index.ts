/**
 * Plumbing every area shares: the config schema and its validation, presets, the logger and
 * schedules of progress. It sits below rl/ and distill/ so neither reaches into the other for it.
 */
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
  ConsoleWriter,
  CsvWriter,
  JsonlWriter,
  Logger,
  type LogRow,
  type LogValue,
  type LogWriter,
} from "./logger.js";
export { checkPreset, loadPreset, type Preset, presetsDir, readPresetTable } from "./presets.js";
export { constantSchedule, linearSchedule, type Schedule } from "./schedules.js";
