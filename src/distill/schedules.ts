/** The schedules live in src/core/schedules.ts (shared with RL); this path keeps old imports working. */
export {
  constant,
  cosine,
  exponential,
  formatSchedule,
  linear,
  parseSchedule,
  piecewise,
  SCHEDULE_FORMS,
  type Schedule,
  type ScheduleSpec,
  scheduleFromJSON,
  scheduleToJSON,
} from "../core/schedules.js";
