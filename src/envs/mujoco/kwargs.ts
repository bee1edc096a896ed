/**
 * Kwargs of the MuJoCo envs: Gymnasium's `__init__` arguments in camelCase, each checked with an
 * error naming `<Env>.<kwarg>` and what is allowed.
 *
 * Ranges (`healthyZRange`, ...) are `[low, high]`; `null` stands for an open end (Gymnasium's
 * `float("inf")`, which JSON cannot spell), and `Infinity` is accepted too.
 */
import { ConfigError, checkBoolean, checkKnownKeys, checkNumber, describeValue } from "../../core/errors.js";

/** Physical parameters every MuJoCo env takes, for the robustness suite. */
export interface PhysicsKwargs {
  /** Multiplies every geom's friction coefficients (sliding, torsional, rolling). Default 1. */
  frictionScale?: number;
  /** Multiplies every body's mass and rotational inertia (density scale). Default 1. */
  massScale?: number;
  /** Magnitude of gravity along -z, m/s^2. Default: the model's (9.81). */
  gravity?: number;
  /** Physics steps per env step (Gymnasium's `frame_skip`). Default: the env's. */
  frameSkip?: number;
}

export const PHYSICS_KWARGS = ["frictionScale", "massScale", "gravity", "frameSkip"] as const;

export type Range = readonly [number | null, number | null];

export interface KwargReader {
  num(key: string, fallback: number, opts?: { positive?: boolean; min?: number; max?: number }): number;
  int(key: string, fallback: number, opts?: { min?: number; max?: number }): number;
  bool(key: string, fallback: boolean): boolean;
  /** `[low, high]` with low <= high; open ends become -Infinity / +Infinity. */
  range(key: string, fallback: readonly [number, number]): [number, number];
  /** The raw value (for kwargs of a custom type), or undefined when absent. */
  raw(key: string): unknown;
}

export function readKwargs(owner: string, kwargs: object, allowed: readonly string[]): KwargReader {
  const kw = kwargs as Record<string, unknown>;
  checkKnownKeys(owner, kw, [...allowed, ...PHYSICS_KWARGS]);
  const field = (key: string): string => `${owner}.${key}`;
  return {
    num: (key, fallback, opts = {}) => checkNumber(field(key), kw[key] ?? fallback, opts),
    int: (key, fallback, opts = {}) =>
      checkNumber(field(key), kw[key] ?? fallback, { integer: true, ...opts }),
    bool: (key, fallback) => checkBoolean(field(key), kw[key] ?? fallback),
    range: (key, fallback) => {
      const v = kw[key];
      if (v === undefined) return [fallback[0], fallback[1]];
      if (!Array.isArray(v) || v.length !== 2) {
        throw new ConfigError(
          field(key),
          `expected [low, high] (null for an open end), got ${describeValue(v)}`,
        );
      }
      const end = (x: unknown, open: number, which: string): number => {
        if (x === null) return open;
        if (typeof x !== "number" || Number.isNaN(x)) {
          throw new ConfigError(field(key), `${which} must be a number or null, got ${describeValue(x)}`);
        }
        return x;
      };
      const low = end(v[0], Number.NEGATIVE_INFINITY, "low");
      const high = end(v[1], Number.POSITIVE_INFINITY, "high");
      if (low > high) throw new ConfigError(field(key), `low ${low} must be <= high ${high}`);
      return [low, high];
    },
    raw: (key) => kw[key],
  };
}
