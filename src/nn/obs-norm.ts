/**
 * Observation normalisation as a PolicySpec defines it, clip((x - mean) / sqrt(var + eps), -clip,
 * clip), on plain arrays: the one implementation every array forward uses (compileSpec, teachers,
 * the training kernels). It rounds to float32 after every operation, exactly as the tfjs op
 * (`normalizeObs` in ops.ts) and onnxruntime compute it, because the clip can amplify a
 * difference in rounding into a different input.
 */
import { ConfigError } from "../core/errors.js";
import type { ObsNormSpec } from "./spec.js";

/** dst[i] = normalised obs[i] for `count` numbers laid out as observations of `obsSize`. */
export type ObsNormalizer = (obs: ArrayLike<number>, dst: Float32Array | Float64Array, count: number) => void;

/** Compiles the normalisation of `obsSize`-number observations (constants computed once). */
export function compileObsNorm(norm: ObsNormSpec, obsSize: number, field = "spec.obsNorm"): ObsNormalizer {
  if (norm.mean.length !== obsSize || norm.var.length !== obsSize) {
    throw new ConfigError(field, `mean and var need ${obsSize} entries`);
  }
  const f = Math.fround;
  const mean = Float32Array.from(norm.mean);
  const sd = new Float32Array(obsSize);
  for (let i = 0; i < obsSize; i++) sd[i] = f(Math.sqrt(f(norm.var[i]! + f(norm.epsilon))));
  const clip = f(norm.clip);
  return (obs, dst, count) => {
    for (let i = 0, j = 0; i < count; i++, j = j + 1 === obsSize ? 0 : j + 1) {
      const z = f(f(obs[i]! - mean[j]!) / sd[j]!);
      dst[i] = Math.min(Math.max(z, -clip), clip);
    }
  };
}

/** Normalised copy of `n` observations (float32). */
export function normalizeObservations(norm: ObsNormSpec, obs: ArrayLike<number>, n: number): Float32Array {
  const obsSize = norm.mean.length;
  const out = new Float32Array(n * obsSize);
  compileObsNorm(norm, obsSize)(obs, out, n * obsSize);
  return out;
}
