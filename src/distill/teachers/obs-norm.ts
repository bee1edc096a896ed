/**
 * Observation normalisation statistics given with a teacher (`--obs-norm FILE`): Stable-Baselines3
 * `VecNormalize` statistics as pickle-free JSON, folded into the teacher so it sees observations
 * as it did in training, and copied into the student.
 *
 * The file holds `{ "mean": [...], "var": [...], "epsilon": 1e-8, "clip": 10 }` (SB3's attribute
 * names `obs_rms.mean`, `obs_rms.var`, `epsilon`, `clip_obs` are accepted too); the teacher then
 * sees clip((obs - mean) / sqrt(var + epsilon), -clip, clip), VecNormalize's formula. Two lines
 * of Python write it from a saved VecNormalize (docs/byom.md):
 *
 *   import pickle, json; v = pickle.load(open("vec_normalize.pkl", "rb"))
 *   json.dump({"mean": v.obs_rms.mean.tolist(), "var": v.obs_rms.var.tolist(), "epsilon": v.epsilon, "clip": v.clip_obs}, open("obs_norm.json", "w"))
 */
import { readFileSync } from "node:fs";
import { ConfigError, describeValue } from "../../core/errors.js";
import { normalizeObservations } from "../../nn/obs-norm.js";
import type { ObsNormSpec } from "../../nn/spec.js";

function numbers(field: string, v: unknown, size: number): Float32Array {
  if (!Array.isArray(v) || v.some((x) => typeof x !== "number" || !Number.isFinite(x)))
    throw new ConfigError(field, `expected a list of ${size} finite numbers, got ${describeValue(v)}`);
  const flat = v as number[];
  if (flat.length !== size)
    throw new ConfigError(field, `has ${flat.length} values, the observations have ${size}`);
  return Float32Array.from(flat);
}

/** Statistics from a parsed JSON object (see the file comment), checked against the observation size. */
export function obsNormFromJSON(value: unknown, obsSize: number, where = "obsNorm"): ObsNormSpec {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ConfigError(
      where,
      `expected a JSON object with mean, var, epsilon, clip; got ${describeValue(value)}`,
    );
  const o = value as Record<string, unknown>;
  const rms = (o.obs_rms ?? {}) as Record<string, unknown>;
  const mean = numbers(`${where}.mean`, o.mean ?? rms.mean, obsSize);
  const variance = numbers(`${where}.var`, o.var ?? rms.var, obsSize);
  if (variance.some((x) => x < 0)) throw new ConfigError(`${where}.var`, "variances must be >= 0");
  const epsilon = o.epsilon ?? 1e-8;
  const clip = o.clip ?? o.clip_obs ?? 10;
  if (typeof epsilon !== "number" || !(epsilon >= 0))
    throw new ConfigError(`${where}.epsilon`, `expected a number >= 0, got ${describeValue(epsilon)}`);
  if (typeof clip !== "number" || !(clip > 0))
    throw new ConfigError(`${where}.clip`, `expected a number > 0, got ${describeValue(clip)}`);
  return { mean, var: variance, epsilon, clip };
}

/** Reads an obs-norm JSON file. */
export function readObsNormFile(path: string, obsSize: number): ObsNormSpec {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError("obsNorm", `cannot read "${path}": ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      "obsNorm",
      `${path} is not JSON (${(err as Error).message}); write VecNormalize statistics as JSON (docs/byom.md)`,
    );
  }
  return obsNormFromJSON(value, obsSize, `obsNorm (${path})`);
}

/** clip((obs - mean) / sqrt(var + eps), -clip, clip) for a batch (a copy), via src/nn's one implementation. */
export function normaliseObservations(norm: ObsNormSpec, obs: Float32Array, n: number): Float32Array {
  return normalizeObservations(norm, obs, n);
}
