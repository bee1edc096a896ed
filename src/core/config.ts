/**
 * Flat, typed configs validated at the edge.
 *
 * Each algorithm declares one `ConfigSchema`: for every field its type, its default (written once,
 * here), its bounds or allowed values and a one-line help. `resolveConfig` merges user values over
 * the defaults and rejects unknown keys and bad values with a `ConfigError` that names the field
 * and what is allowed. `parseAssignment` turns a CLI `--set key=value` into a typed value.
 */
import { ConfigError, describeValue } from "./errors.js";

export type FieldSpec =
  | {
      type: "number";
      default: number | null;
      help: string;
      min?: number;
      max?: number;
      exclusiveMin?: boolean;
      nullable?: boolean;
    }
  | { type: "integer"; default: number | null; help: string; min?: number; max?: number; nullable?: boolean }
  | { type: "boolean"; default: boolean; help: string }
  | { type: "string"; default: string; help: string; choices?: readonly string[] }
  | { type: "integer[]"; default: number[]; help: string; min?: number; minLength?: number };

export type ConfigSchema = Record<string, FieldSpec>;

/** The plain value type a schema describes. */
export type ConfigOf<S extends ConfigSchema> = {
  -readonly [K in keyof S]: S[K] extends { type: "boolean" }
    ? boolean
    : S[K] extends { type: "string" }
      ? string
      : S[K] extends { type: "integer[]" }
        ? number[]
        : S[K] extends { nullable: true }
          ? number | null
          : number;
};

function describeAllowed(spec: FieldSpec): string {
  switch (spec.type) {
    case "boolean":
      return "true or false";
    case "string":
      return spec.choices ? `one of ${spec.choices.join(", ")}` : "a string";
    case "integer[]":
      return `a list of integers${spec.min !== undefined ? ` >= ${spec.min}` : ""}, e.g. [64, 64]`;
    default: {
      const kind = spec.type === "integer" ? "an integer" : "a number";
      const parts: string[] = [];
      if (spec.min !== undefined)
        parts.push(`${"exclusiveMin" in spec && spec.exclusiveMin ? ">" : ">="} ${spec.min}`);
      if (spec.max !== undefined) parts.push(`<= ${spec.max}`);
      return `${kind}${parts.length ? ` ${parts.join(" and ")}` : ""}${spec.nullable ? " (or null)" : ""}`;
    }
  }
}

/** Checks one value against its field spec; returns it (copied for arrays) or throws a ConfigError. */
export function checkField(field: string, spec: FieldSpec, value: unknown): unknown {
  const bad = (): never => {
    throw new ConfigError(field, `expected ${describeAllowed(spec)}, got ${describeValue(value)}`);
  };
  switch (spec.type) {
    case "boolean":
      if (typeof value !== "boolean") bad();
      return value;
    case "string":
      if (typeof value !== "string") bad();
      if (spec.choices && !spec.choices.includes(value as string)) bad();
      return value;
    case "integer[]": {
      if (!Array.isArray(value)) bad();
      const arr = value as unknown[];
      if (arr.length < (spec.minLength ?? 0)) bad();
      for (const v of arr) {
        if (typeof v !== "number" || !Number.isInteger(v) || (spec.min !== undefined && v < spec.min)) bad();
      }
      return [...(arr as number[])];
    }
    default: {
      if (value === null && spec.nullable) return null;
      if (typeof value !== "number" || !Number.isFinite(value)) bad();
      const v = value as number;
      if (spec.type === "integer" && !Number.isInteger(v)) bad();
      if (spec.min !== undefined) {
        const exclusive = spec.type === "number" && spec.exclusiveMin;
        if (exclusive ? !(v > spec.min) : v < spec.min) bad();
      }
      if (spec.max !== undefined && v > spec.max) bad();
      return v;
    }
  }
}

/** Schema defaults as a plain object. */
export function defaultsOf<S extends ConfigSchema>(schema: S): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) {
    out[key] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
  }
  return out as ConfigOf<S>;
}

/**
 * Merges `given` over the defaults, checking every key. `what` prefixes field names in errors
 * (e.g. "ppo" gives "ppo.learningRate: ..."). `undefined` values mean "use the default".
 */
export function resolveConfig<S extends ConfigSchema>(schema: S, given: object, what: string): ConfigOf<S> {
  const out = defaultsOf(schema) as Record<string, unknown>;
  const allowed = Object.keys(schema);
  for (const [key, value] of Object.entries(given)) {
    const spec = schema[key];
    if (!spec) throw new ConfigError(`${what}.${key}`, `unknown option; allowed: ${allowed.join(", ")}`);
    if (value === undefined) continue;
    out[key] = checkField(`${what}.${key}`, spec, value);
  }
  return out as ConfigOf<S>;
}

/**
 * Parses `key=value` (from `--set`) into a typed value for `schema[key]`. Numbers accept `1e5` and
 * `1_000`, booleans `true`/`false`, integer lists `64,64` or `[64,64]`, and `null` where allowed.
 */
export function parseAssignment(schema: ConfigSchema, assignment: string, what: string): [string, unknown] {
  const eq = assignment.indexOf("=");
  if (eq <= 0) throw new ConfigError("--set", `expected key=value, got "${assignment}"`);
  const key = assignment.slice(0, eq).trim();
  const raw = assignment.slice(eq + 1).trim();
  const spec = schema[key];
  if (!spec) {
    throw new ConfigError(`${what}.${key}`, `unknown option; allowed: ${Object.keys(schema).join(", ")}`);
  }
  const field = `${what}.${key}`;
  let value: unknown;
  switch (spec.type) {
    case "boolean":
      value = raw === "true" ? true : raw === "false" ? false : raw;
      break;
    case "string":
      value = raw;
      break;
    case "integer[]": {
      const body = raw.replace(/^\[|\]$/g, "").trim();
      value =
        body === "" ? [] : body.split(",").map((s) => (s.trim() === "" ? Number.NaN : Number(s.trim())));
      break;
    }
    default:
      if (raw === "null") value = null;
      else {
        const n = Number(raw.replaceAll("_", ""));
        value = raw === "" || Number.isNaN(n) ? raw : n;
      }
  }
  return [key, checkField(field, spec, value)];
}

/**
 * One line per field: `name (type, default X): help`, for `--help` output and docs. With `preset`
 * (the values an env's preset sets, named by `presetName`), the value that run would use is shown
 * beside the default: `hiddenSizes (integer[], default [64,64]; CartPole-v1 preset: [256,256])`.
 */
export function describeSchema(
  schema: ConfigSchema,
  preset: Record<string, unknown> = {},
  presetName = "preset",
): string {
  return Object.entries(schema)
    .map(([k, s]) => {
      const used = k in preset ? `; ${presetName}: ${JSON.stringify(preset[k])}` : "";
      return `  ${k} (${s.type}, default ${JSON.stringify(s.default)}${used}): ${s.help}`;
    })
    .join("\n");
}
