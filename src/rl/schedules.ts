/** The schedules live in src/core/schedules.ts (shared with distillation); this path keeps old imports working. */
export { constantSchedule, linearSchedule, type Schedule } from "../core/schedules.js";
