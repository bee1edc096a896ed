/**
 * Per-env hyperparameters, as rl-baselines3-zoo's YAML files but in JSON: `presets/<algo>.json`
 * maps an env id to config fields, plus `totalTimesteps` (the budget the preset was tuned for)
 * and an optional `_comment`.
 *
 *   { "CartPole-v1": { "totalTimesteps": 100000, "numEnvs": 8, "hiddenSizes": [256, 256] } }
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type ConfigSchema, checkField } from "./config.js";
import { ConfigError, describeValue } from "./errors.js";

export interface Preset {
  /** Config fields (checked against the algorithm's schema). */
  config: Record<string, unknown>;
  /** Budget the preset was tuned for; the CLI's default for `--timesteps`. */
  totalTimesteps?: number;
}

/** The presets/ folder of the package (beside src/ and dist/). */
export function presetsDir(): string {
  return fileURLToPath(new URL("../../presets/", import.meta.url));
}

/** Reads `presets/<algo>.json` (or `file`); an empty table when the file does not exist. */
export function readPresetTable(algo: string, file?: string): Record<string, unknown> {
  const path = file ?? `${presetsDir()}${algo}.json`;
  if (!existsSync(path)) return {};
  let table: unknown;
  try {
    table = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ConfigError(path, `not valid JSON: ${(err as Error).message}`);
  }
  if (typeof table !== "object" || table === null || Array.isArray(table)) {
    throw new ConfigError(path, "must be a JSON object mapping env ids to presets");
  }
  return table as Record<string, unknown>;
}

/** Checks one preset entry against `schema`; `where` names it in errors (e.g. "presets/ppo.json[CartPole-v1]"). */
export function checkPreset(schema: ConfigSchema, entry: unknown, where: string): Preset {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    throw new ConfigError(where, `must be an object of config fields, got ${describeValue(entry)}`);
  }
  const config: Record<string, unknown> = {};
  let totalTimesteps: number | undefined;
  for (const [key, value] of Object.entries(entry)) {
    if (key === "_comment") continue;
    if (key === "totalTimesteps") {
      if (!(typeof value === "number" && Number.isInteger(value) && value >= 1)) {
        throw new ConfigError(
          `${where}.totalTimesteps`,
          `expected an integer >= 1, got ${describeValue(value)}`,
        );
      }
      totalTimesteps = value;
      continue;
    }
    const spec = schema[key];
    if (!spec) {
      throw new ConfigError(
        `${where}.${key}`,
        `unknown option; allowed: ${["totalTimesteps", ...Object.keys(schema)].join(", ")}`,
      );
    }
    config[key] = checkField(`${where}.${key}`, spec, value);
  }
  return { config, totalTimesteps };
}

/** The preset for `envId` in `presets/<algo>.json`, or an empty one. */
export function loadPreset(algo: string, envId: string, schema: ConfigSchema, file?: string): Preset {
  const table = readPresetTable(algo, file);
  if (!(envId in table)) return { config: {} };
  return checkPreset(schema, table[envId], `presets/${algo}.json[${envId}]`);
}
