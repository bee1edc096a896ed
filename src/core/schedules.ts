/**
 * Schedules: functions of training progress p in [0, 1] (0 at the start, 1 at the end) for the
 * temperature tau, the distillation weight alpha, a learning rate or DQN's exploration epsilon
 * (one module for distillation and RL). Stable-Baselines3 passes
 * the remaining progress (1 -> 0) instead; here p counts up, so `linear(5, 1)` goes from 5 to 1.
 *
 * A `Schedule` is callable and carries its plain-data `spec`, so a resolved config can be written
 * to JSON and read back (`scheduleToJSON` / `scheduleFromJSON`) and printed in the CLI's own
 * syntax (`formatSchedule`, the inverse of `parseSchedule`).
 */
import { ConfigError, describeValue } from "./errors.js";

export type ScheduleSpec =
  | { kind: "constant"; value: number }
  | { kind: "linear"; from: number; to: number }
  | { kind: "exponential"; from: number; to: number }
  | { kind: "cosine"; from: number; to: number }
  | { kind: "piecewise"; points: [number, number][] };

export interface Schedule {
  /** The value at progress p; p is clamped to [0, 1] (the last update may overshoot a little). */
  (progress: number): number;
  readonly spec: ScheduleSpec;
}

export const SCHEDULE_FORMS =
  '"0.7" (constant), "5:1:linear", "5:1:exp", "1e-3:0:cosine", "piecewise:0=5,0.5=2,1=1"';

function progressOf(p: number): number {
  if (Number.isNaN(p)) throw new ConfigError("progress", "expected a number in [0, 1], got NaN");
  return Math.min(1, Math.max(0, p));
}

function finite(field: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new ConfigError(field, `expected a finite number, got ${describeValue(v)}`);
  }
  return v;
}

function make(spec: ScheduleSpec, f: (p: number) => number): Schedule {
  const s = (p: number) => f(progressOf(p));
  return Object.assign(s, { spec: Object.freeze(spec) });
}

export function constant(value: number, field = "schedule"): Schedule {
  const v = finite(`${field}.value`, value);
  return make({ kind: "constant", value: v }, () => v);
}

/** (1 - p) from + p to: exact at both ends. */
export function linear(from: number, to: number, field = "schedule"): Schedule {
  const a = finite(`${field}.from`, from);
  const b = finite(`${field}.to`, to);
  return make({ kind: "linear", from: a, to: b }, (p) => (1 - p) * a + p * b);
}

/** `constant` under the RL naming. */
export function constantSchedule(value: number): Schedule {
  return constant(value, "constantSchedule");
}

/**
 * Goes linearly from `start` to `end` over the first `endFraction` of training, then stays at
 * `end` (`linear` when endFraction = 1, else a two-point `piecewise`). CleanRL's DQN epsilon is
 * `linearSchedule(1, 0.05, 0.5)`; its PPO learning-rate annealing is `linearSchedule(lr, 0)`
 * evaluated at the start of each iteration.
 */
export function linearSchedule(start: number, end: number, endFraction = 1): Schedule {
  if (!(endFraction > 0 && endFraction <= 1))
    throw new RangeError(`linearSchedule: endFraction must be in (0, 1], got ${endFraction}`);
  return endFraction === 1
    ? linear(start, end, "linearSchedule")
    : piecewise(
        [
          [0, start],
          [endFraction, end],
        ],
        "linearSchedule",
      );
}

/**
 * Geometric interpolation from (to / from)^p: equal ratios per unit of progress, the natural
 * decay for learning rates and temperatures. from and to must be nonzero with the same sign.
 */
export function exponential(from: number, to: number, field = "schedule"): Schedule {
  const a = finite(`${field}.from`, from);
  const b = finite(`${field}.to`, to);
  if (a === 0 || b === 0 || a > 0 !== b > 0) {
    throw new ConfigError(
      field,
      `exponential needs from and to nonzero with the same sign, got ${a} and ${b}`,
    );
  }
  return make({ kind: "exponential", from: a, to: b }, (p) => (p === 1 ? b : a * (b / a) ** p));
}

/** Half a cosine (Loshchilov and Hutter 2017, SGDR without restarts): to + (from - to)(1 + cos(pi p)) / 2. */
export function cosine(from: number, to: number, field = "schedule"): Schedule {
  const a = finite(`${field}.from`, from);
  const b = finite(`${field}.to`, to);
  return make({ kind: "cosine", from: a, to: b }, (p) =>
    p === 1 ? b : b + ((a - b) * (1 + Math.cos(Math.PI * p))) / 2,
  );
}

/**
 * Linear interpolation between points [p_k, v_k] with strictly increasing p_k in [0, 1]; constant
 * before the first point and after the last.
 */
export function piecewise(points: readonly (readonly [number, number])[], field = "schedule"): Schedule {
  if (!Array.isArray(points) || points.length === 0) {
    throw new ConfigError(`${field}.points`, "expected at least one [progress, value] point");
  }
  const pts = points.map((pt, i): [number, number] => {
    if (!Array.isArray(pt) || pt.length !== 2) {
      throw new ConfigError(`${field}.points[${i}]`, `expected [progress, value], got ${describeValue(pt)}`);
    }
    const p = finite(`${field}.points[${i}][0]`, pt[0]);
    if (p < 0 || p > 1)
      throw new ConfigError(`${field}.points[${i}][0]`, `progress must be in [0, 1], got ${p}`);
    return [p, finite(`${field}.points[${i}][1]`, pt[1])];
  });
  for (let i = 1; i < pts.length; i++) {
    if (!(pts[i]![0] > pts[i - 1]![0])) {
      throw new ConfigError(
        `${field}.points`,
        `progress must strictly increase, got ${pts[i - 1]![0]} then ${pts[i]![0]}`,
      );
    }
  }
  return make({ kind: "piecewise", points: pts }, (p) => {
    if (p <= pts[0]![0]) return pts[0]![1];
    for (let i = 1; i < pts.length; i++) {
      const [p1, v1] = pts[i]!;
      if (p <= p1) {
        const [p0, v0] = pts[i - 1]!;
        const w = (p - p0) / (p1 - p0);
        return (1 - w) * v0 + w * v1;
      }
    }
    return pts[pts.length - 1]![1];
  });
}

const KINDS = ["constant", "linear", "exponential", "cosine", "piecewise"] as const;

/** The schedule described by a spec (e.g. read from a resolved config's JSON). */
export function scheduleFromJSON(json: unknown, field = "schedule"): Schedule {
  if (typeof json === "number") return constant(json, field);
  if (typeof json === "string") return parseSchedule(json, field);
  const spec = json as Partial<Record<string, unknown>> | null;
  if (spec === null || typeof spec !== "object" || !KINDS.includes(spec["kind"] as never)) {
    throw new ConfigError(
      field,
      `expected a number, a schedule string (${SCHEDULE_FORMS}) or {kind: ${KINDS.join(" | ")}, ...}, got ${describeValue(json)}`,
    );
  }
  switch (spec["kind"] as ScheduleSpec["kind"]) {
    case "constant":
      return constant(spec["value"] as number, field);
    case "linear":
      return linear(spec["from"] as number, spec["to"] as number, field);
    case "exponential":
      return exponential(spec["from"] as number, spec["to"] as number, field);
    case "cosine":
      return cosine(spec["from"] as number, spec["to"] as number, field);
    case "piecewise":
      return piecewise(spec["points"] as [number, number][], field);
  }
}

/** Plain data for JSON (the spec; points copied). */
export function scheduleToJSON(schedule: Schedule): ScheduleSpec {
  const spec = schedule.spec;
  return spec.kind === "piecewise"
    ? { kind: "piecewise", points: spec.points.map(([p, v]) => [p, v]) }
    : { ...spec };
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function parseNumber(text: string, field: string, whole: string): number {
  const t = text.trim();
  if (!NUMBER.test(t)) {
    throw new ConfigError(
      field,
      `cannot read ${JSON.stringify(t)} as a number in ${JSON.stringify(whole)}; allowed forms: ${SCHEDULE_FORMS}`,
    );
  }
  return Number(t);
}

/**
 * Reads the CLI form of a schedule: "0.7" (constant), "from:to:linear", "from:to:exp"
 * (exponential), "from:to:cosine", or "piecewise:p0=v0,p1=v1,...".
 */
export function parseSchedule(text: string, field = "schedule"): Schedule {
  if (typeof text !== "string" || text.trim() === "") {
    throw new ConfigError(
      field,
      `expected a schedule, got ${describeValue(text)}; allowed forms: ${SCHEDULE_FORMS}`,
    );
  }
  const whole = text.trim();
  if (whole.startsWith("piecewise:")) {
    const points = whole
      .slice("piecewise:".length)
      .split(",")
      .map((pair): [number, number] => {
        const parts = pair.split("=");
        if (parts.length !== 2) {
          throw new ConfigError(
            field,
            `expected progress=value in ${JSON.stringify(whole)}; allowed forms: ${SCHEDULE_FORMS}`,
          );
        }
        return [parseNumber(parts[0]!, field, whole), parseNumber(parts[1]!, field, whole)];
      });
    return piecewise(points, field);
  }
  const parts = whole.split(":");
  if (parts.length === 1) return constant(parseNumber(parts[0]!, field, whole), field);
  if (parts.length === 3) {
    const from = parseNumber(parts[0]!, field, whole);
    const to = parseNumber(parts[1]!, field, whole);
    switch (parts[2]!.trim()) {
      case "linear":
        return linear(from, to, field);
      case "exp":
      case "exponential":
        return exponential(from, to, field);
      case "cosine":
        return cosine(from, to, field);
    }
  }
  throw new ConfigError(field, `cannot parse ${JSON.stringify(whole)}; allowed forms: ${SCHEDULE_FORMS}`);
}

/** The CLI form of a schedule; `parseSchedule(formatSchedule(s))` gives the same schedule. */
export function formatSchedule(schedule: Schedule | ScheduleSpec): string {
  const spec = typeof schedule === "function" ? schedule.spec : schedule;
  switch (spec.kind) {
    case "constant":
      return String(spec.value);
    case "linear":
      return `${spec.from}:${spec.to}:linear`;
    case "exponential":
      return `${spec.from}:${spec.to}:exp`;
    case "cosine":
      return `${spec.from}:${spec.to}:cosine`;
    case "piecewise":
      return `piecewise:${spec.points.map(([p, v]) => `${p}=${v}`).join(",")}`;
  }
}

/**
 * The smallest and largest value a schedule takes over progress [0, 1]: every form is monotone
 * between its ends (or piecewise points), so they bound it. For range checks such as alpha in
 * [0, 1] or tau > 0.
 */
export function scheduleRange(schedule: Schedule | ScheduleSpec): [number, number] {
  const spec = typeof schedule === "function" ? schedule.spec : schedule;
  const values =
    spec.kind === "constant"
      ? [spec.value]
      : spec.kind === "piecewise"
        ? spec.points.map((p) => p[1])
        : [spec.from, spec.to];
  return [Math.min(...values), Math.max(...values)];
}
