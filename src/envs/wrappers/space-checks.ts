import { ConfigError } from "../../core/errors.js";
import { Box, Discrete, MultiDiscrete, type Space } from "../../core/spaces.js";

/** The space as a Box, or a ConfigError naming who needed one. */
export function requireBox(space: Space<unknown>, field: string): Box {
  if (!(space instanceof Box)) throw new ConfigError(field, `needs a Box space, got ${String(space)}`);
  return space;
}

/** The space as one of the three built-in kinds, or a ConfigError. */
export function requireKnownSpace(space: Space<unknown>, field: string): Box | Discrete | MultiDiscrete {
  if (space instanceof Box || space instanceof Discrete || space instanceof MultiDiscrete) return space;
  throw new ConfigError(field, `needs a Box, Discrete or MultiDiscrete space, got ${String(space)}`);
}

/** A per-entry parameter given as one number or one number per entry, checked and expanded. */
export function perEntry(
  field: string,
  value: number | ArrayLike<number>,
  size: number,
  min = 0,
): Float64Array {
  if (value === undefined || value === null) {
    throw new ConfigError(field, `required: a number or ${size} numbers`);
  }
  const out = new Float64Array(size);
  if (typeof value === "number") out.fill(value);
  else {
    if (value.length !== size) {
      throw new ConfigError(
        field,
        `expected a number or ${size} numbers, got ${value.length ?? typeof value} entries`,
      );
    }
    out.set(Array.from(value));
  }
  for (let i = 0; i < size; i++) {
    if (!Number.isFinite(out[i]!) || out[i]! < min) {
      throw new ConfigError(field, `entries must be finite and >= ${min}, got ${out[i]}`);
    }
  }
  return out;
}
