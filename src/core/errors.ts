/**
 * Errors raised by rldistill. Every message names what was wrong and, where it is a choice,
 * what is allowed, so a user can fix the call without reading the source.
 */
export class RlDistillError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RlDistillError";
  }
}

/** A bad value for a named field (a kwarg, a config key, a CLI flag). */
export class ConfigError extends RlDistillError {
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.name = "ConfigError";
    this.field = field;
  }
}

/** An action that is not in the action space, or of the wrong type or shape. */
export class InvalidActionError extends RlDistillError {
  constructor(message: string) {
    super(message);
    this.name = "InvalidActionError";
  }
}

/** The reset/step protocol was broken (step before reset, or after the episode ended). */
export class ResetNeededError extends RlDistillError {
  constructor(message: string) {
    super(message);
    this.name = "ResetNeededError";
  }
}

/** A file that cannot be read as what it claims to be (corrupt, wrong version, wrong kind). */
export class ArtifactError extends RlDistillError {
  constructor(message: string) {
    super(message);
    this.name = "ArtifactError";
  }
}

/** Short printable form of any value, for error messages. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  // JSON would print NaN and the infinities as null.
  if (typeof value === "number") return String(value);
  if (ArrayBuffer.isView(value)) {
    const arr = Array.from(value as unknown as ArrayLike<number>);
    return `${value.constructor.name}[${arr.slice(0, 8).join(", ")}${arr.length > 8 ? ", ..." : ""}]`;
  }
  try {
    const s = JSON.stringify(value);
    if (s === undefined) return String(value);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(value);
  }
}

/** Checks a numeric kwarg: finite, and optionally > 0 or in a range. Returns the value. */
export function checkNumber(
  field: string,
  value: unknown,
  opts: { positive?: boolean; min?: number; max?: number; integer?: boolean } = {},
): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new ConfigError(field, `expected a finite number, got ${describeValue(value)}`);
  }
  if (opts.integer && !Number.isInteger(value)) {
    throw new ConfigError(field, `expected an integer, got ${value}`);
  }
  if (opts.positive && !(value > 0)) throw new ConfigError(field, `must be > 0, got ${value}`);
  if (opts.min !== undefined && value < opts.min)
    throw new ConfigError(field, `must be >= ${opts.min}, got ${value}`);
  if (opts.max !== undefined && value > opts.max)
    throw new ConfigError(field, `must be <= ${opts.max}, got ${value}`);
  return value;
}

/** Checks a boolean kwarg (no truthy/falsy coercion: `"false"` must not mean true). Returns the value. */
export function checkBoolean(field: string, value: unknown): boolean {
  if (typeof value !== "boolean")
    throw new ConfigError(field, `expected true or false, got ${describeValue(value)}`);
  return value;
}

/**
 * Rejects keys that a kwargs object does not know, listing the allowed ones
 * (a typo such as `polelength` must not be silently ignored).
 */
export function checkKnownKeys(what: string, given: object, allowed: readonly string[]): void {
  for (const key of Object.keys(given)) {
    if (!allowed.includes(key)) {
      throw new ConfigError(
        `${what}.${key}`,
        `unknown option; allowed: ${allowed.length ? allowed.join(", ") : "(none)"}`,
      );
    }
  }
}

/**
 * Validates a kwargs object of numbers: unknown keys are refused (listing the allowed ones), and
 * the returned reader gives each key's value, or its default when absent, checked by `checkNumber`
 * with the field named `<owner>.<key>`.
 */
export function numericKwargs(
  owner: string,
  kwargs: object,
  allowed: readonly string[],
): (key: string, fallback: number, opts?: { positive?: boolean; min?: number; max?: number }) => number {
  const kw = kwargs as Record<string, unknown>;
  checkKnownKeys(owner, kw, allowed);
  return (key, fallback, opts = {}) =>
    checkNumber(`${owner}.${key}`, kw[key] === undefined ? fallback : kw[key], opts);
}
