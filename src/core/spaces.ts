/**
 * Gymnasium-style spaces: `Discrete`, `Box` and `MultiDiscrete`.
 *
 * Values: a `Discrete` element is a number; a `Box` element is a Float32Array (dtype float32), a
 * Float64Array (dtype float64) or a Uint8Array (dtype uint8: images, MinAtar's binary planes) of
 * `size` entries, row-major for multi-dimensional shapes; a `MultiDiscrete` element is an Int32Array. `contains()` also accepts plain number arrays.
 * Each space has its own generator for `sample()`, seeded with `seed()` as in Gymnasium.
 */
import { ConfigError } from "./errors.js";
import { Rng } from "./rng.js";

export type BoxDtype = "float32" | "float64" | "uint8";
export type BoxValue = Float32Array | Float64Array | Uint8Array;
const BOX_DTYPES: readonly BoxDtype[] = ["float32", "float64", "uint8"];

export type SpaceJSON =
  | { type: "Discrete"; n: number; start: number }
  // Unbounded entries are ±Infinity in memory and null after a JSON round trip (JSON has no Infinity).
  | { type: "Box"; low: Array<number | null>; high: Array<number | null>; shape: number[]; dtype: BoxDtype }
  | { type: "MultiDiscrete"; nvec: number[] };

export interface Space<T> {
  readonly type: SpaceJSON["type"];
  /** Shape of one element (`[]` for Discrete). */
  readonly shape: readonly number[];
  sample(): T;
  contains(x: unknown): boolean;
  /** Seeds the space's own sampler; without a seed, picks one from the clock-free default 0. */
  seed(seed?: number): void;
  toJSON(): SpaceJSON;
  toString(): string;
}

function isNumericArray(x: unknown): x is ArrayLike<number> {
  return (
    Array.isArray(x) ||
    x instanceof Float32Array ||
    x instanceof Float64Array ||
    x instanceof Int32Array ||
    x instanceof Uint8Array ||
    x instanceof Int8Array ||
    x instanceof Uint32Array ||
    x instanceof Int16Array ||
    x instanceof Uint16Array
  );
}

function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export class Discrete implements Space<number> {
  readonly type = "Discrete" as const;
  readonly shape: readonly number[] = [];
  readonly n: number;
  readonly start: number;
  private rng = new Rng(0);

  constructor(n: number, opts: { start?: number; seed?: number } = {}) {
    if (!Number.isInteger(n) || n < 1)
      throw new ConfigError("Discrete.n", `must be an integer >= 1, got ${n}`);
    const start = opts.start ?? 0;
    if (!Number.isInteger(start)) throw new ConfigError("Discrete.start", `must be an integer, got ${start}`);
    this.n = n;
    this.start = start;
    if (opts.seed !== undefined) this.seed(opts.seed);
  }

  sample(): number {
    return this.start + this.rng.integer(this.n);
  }

  contains(x: unknown): boolean {
    return typeof x === "number" && Number.isInteger(x) && x >= this.start && x < this.start + this.n;
  }

  seed(seed = 0): void {
    this.rng.reseed(seed);
  }

  toJSON(): SpaceJSON {
    return { type: "Discrete", n: this.n, start: this.start };
  }

  toString(): string {
    return this.start === 0 ? `Discrete(${this.n})` : `Discrete(${this.n}, start=${this.start})`;
  }
}

/**
 * `V` names the element type for callers that know the dtype (`Box<Float32Array>` for float32,
 * `Box<Uint8Array>` for uint8), so an env's observation space can be typed `Space<Float32Array>`; it
 * defaults to any of them.
 *
 * A uint8 Box holds integers: its bounds must be integers in [0, 255], `sample()` draws integers
 * uniformly in [low, high] (as Gymnasium for integer dtypes) and `contains()` wants integers.
 */
export class Box<V extends BoxValue = BoxValue> implements Space<V> {
  readonly type = "Box" as const;
  readonly shape: readonly number[];
  readonly dtype: BoxDtype;
  readonly low: V;
  readonly high: V;
  /** Number of scalar entries in one element. */
  readonly size: number;
  private rng = new Rng(0);

  /**
   * `low` and `high` are scalars (broadcast to `shape`) or arrays of `size` entries.
   * `shape` defaults to the length of `low` or `high` when one of them is an array.
   */
  constructor(
    low: number | ArrayLike<number>,
    high: number | ArrayLike<number>,
    opts: { shape?: readonly number[]; dtype?: BoxDtype; seed?: number } = {},
  ) {
    const inferred =
      typeof low !== "number" ? [low.length] : typeof high !== "number" ? [high.length] : undefined;
    const shape = opts.shape ?? inferred;
    if (!shape) throw new ConfigError("Box.shape", "required when low and high are both scalars");
    if (!shape.every((d) => Number.isInteger(d) && d >= 1)) {
      throw new ConfigError("Box.shape", `must be positive integers, got [${shape.join(", ")}]`);
    }
    this.shape = [...shape];
    this.size = product(shape);
    this.dtype = opts.dtype ?? "float32";
    if (!BOX_DTYPES.includes(this.dtype)) {
      throw new ConfigError("Box.dtype", `allowed: ${BOX_DTYPES.join(", ")}; got ${String(this.dtype)}`);
    }
    if (this.dtype === "uint8") checkUint8Bounds(low, high);
    this.low = this.alloc();
    this.high = this.alloc();
    for (const [name, src, dst] of [
      ["low", low, this.low],
      ["high", high, this.high],
    ] as const) {
      if (typeof src === "number") dst.fill(src);
      else {
        if (src.length !== this.size) {
          throw new ConfigError(
            `Box.${name}`,
            `has ${src.length} entries, shape [${shape.join(", ")}] needs ${this.size}`,
          );
        }
        for (let i = 0; i < this.size; i++) dst[i] = src[i]!;
      }
    }
    for (let i = 0; i < this.size; i++) {
      if (Number.isNaN(this.low[i]!) || Number.isNaN(this.high[i]!) || this.low[i]! > this.high[i]!) {
        throw new ConfigError("Box.low", `entry ${i}: low ${this.low[i]} must be <= high ${this.high[i]}`);
      }
    }
    if (opts.seed !== undefined) this.seed(opts.seed);
  }

  /** A zero-filled array of this space's dtype and size. */
  alloc(): V {
    const n = this.size;
    const dtype = this.dtype;
    return (
      dtype === "float32" ? new Float32Array(n) : dtype === "uint8" ? new Uint8Array(n) : new Float64Array(n)
    ) as V;
  }

  isBounded(): boolean {
    for (let i = 0; i < this.size; i++) {
      if (!Number.isFinite(this.low[i]!) || !Number.isFinite(this.high[i]!)) return false;
    }
    return true;
  }

  /**
   * As Gymnasium: uniform where bounded, shifted exponential where half-bounded, normal where
   * unbounded; for uint8, integers uniform in [low, high].
   */
  sample(): V {
    const out = this.alloc();
    if (this.dtype === "uint8") {
      for (let i = 0; i < this.size; i++)
        out[i] = this.low[i]! + this.rng.integer(this.high[i]! - this.low[i]! + 1);
      return out;
    }
    for (let i = 0; i < this.size; i++) {
      const lo = this.low[i]!;
      const hi = this.high[i]!;
      const loF = Number.isFinite(lo);
      const hiF = Number.isFinite(hi);
      let v: number;
      if (loF && hiF) v = this.rng.uniform(lo, hi);
      else if (loF) v = lo - Math.log(1 - this.rng.random());
      else if (hiF) v = hi + Math.log(1 - this.rng.random());
      else v = this.rng.normal();
      out[i] = v;
    }
    if (this.dtype === "float32") {
      // Rounding to float32 may land just outside a bound; clamp so sample() is always contained.
      for (let i = 0; i < this.size; i++) out[i] = Math.min(Math.max(out[i]!, this.low[i]!), this.high[i]!);
    }
    return out;
  }

  contains(x: unknown): boolean {
    if (!isNumericArray(x) || x.length !== this.size) return false;
    for (let i = 0; i < this.size; i++) {
      const v = x[i]!;
      if (typeof v !== "number" || Number.isNaN(v)) return false;
      if (this.dtype === "uint8" && !Number.isInteger(v)) return false;
      const c = this.dtype === "float32" ? Math.fround(v) : v;
      if (c < this.low[i]! || c > this.high[i]!) return false;
    }
    return true;
  }

  seed(seed = 0): void {
    this.rng.reseed(seed);
  }

  toJSON(): SpaceJSON {
    return {
      type: "Box",
      low: Array.from(this.low),
      high: Array.from(this.high),
      shape: [...this.shape],
      dtype: this.dtype,
    };
  }

  toString(): string {
    // numpy's spelling of infinities, so the string reads like Gymnasium's.
    const num = (v: number): string =>
      v === Number.POSITIVE_INFINITY
        ? "inf"
        : v === Number.NEGATIVE_INFINITY
          ? "-inf"
          : String(Number(v.toPrecision(6)));
    const fmt = (a: BoxValue): string => {
      const first = a[0]!;
      if (a.every((v) => v === first)) return num(first);
      return `[${Array.from(a, num).join(" ")}]`;
    };
    return `Box(${fmt(this.low)}, ${fmt(this.high)}, (${this.shape.join(", ")}${this.shape.length === 1 ? "," : ""}), ${this.dtype})`;
  }
}

/** uint8 bounds: integers in [0, 255] (a scalar or each entry of an array). */
function checkUint8Bounds(low: number | ArrayLike<number>, high: number | ArrayLike<number>): void {
  for (const [name, src] of [
    ["low", low],
    ["high", high],
  ] as const) {
    const values = typeof src === "number" ? [src] : Array.from(src);
    const bad = values.findIndex((v) => !Number.isInteger(v) || v < 0 || v > 255);
    if (bad >= 0) {
      throw new ConfigError(`Box.${name}`, `a uint8 Box needs integers in [0, 255], got ${values[bad]}`);
    }
  }
}

export class MultiDiscrete implements Space<Int32Array> {
  readonly type = "MultiDiscrete" as const;
  readonly shape: readonly number[];
  readonly nvec: Int32Array;
  private rng = new Rng(0);

  constructor(nvec: ArrayLike<number>, opts: { seed?: number } = {}) {
    if (nvec.length < 1) throw new ConfigError("MultiDiscrete.nvec", "must have at least one entry");
    for (let i = 0; i < nvec.length; i++) {
      const n = nvec[i]!;
      if (!Number.isInteger(n) || n < 1) {
        throw new ConfigError("MultiDiscrete.nvec", `entry ${i} must be an integer >= 1, got ${n}`);
      }
    }
    this.nvec = Int32Array.from(nvec);
    this.shape = [nvec.length];
    if (opts.seed !== undefined) this.seed(opts.seed);
  }

  sample(): Int32Array {
    const out = new Int32Array(this.nvec.length);
    for (let i = 0; i < out.length; i++) out[i] = this.rng.integer(this.nvec[i]!);
    return out;
  }

  contains(x: unknown): boolean {
    if (!isNumericArray(x) || x.length !== this.nvec.length) return false;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (!Number.isInteger(v) || v < 0 || v >= this.nvec[i]!) return false;
    }
    return true;
  }

  seed(seed = 0): void {
    this.rng.reseed(seed);
  }

  toJSON(): SpaceJSON {
    return { type: "MultiDiscrete", nvec: Array.from(this.nvec) };
  }

  toString(): string {
    return `MultiDiscrete([${Array.from(this.nvec).join(" ")}])`;
  }
}

export type AnySpace = Discrete | Box | MultiDiscrete;

/**
 * Element type of stored observations (vector envs, replay and rollout buffers): "uint8" keeps
 * images such as MinAtar's at one byte per entry (a quarter of float32), "float32" suits the rest.
 * Batches sampled for training are float32 either way.
 */
export type ObsStorageDtype = "float32" | "uint8";
export const OBS_STORAGE_DTYPES: readonly ObsStorageDtype[] = ["float32", "uint8"];
export type ObsStorage = Float32Array | Uint8Array;

/** The storage dtype that keeps a space's observations exactly: uint8 for a uint8 Box, else float32. */
export function obsStorageDtypeOf(space: Space<unknown>): ObsStorageDtype {
  return space instanceof Box && space.dtype === "uint8" ? "uint8" : "float32";
}

/** Checks a storage dtype option (named `field` in the error). */
export function checkObsStorageDtype(field: string, dtype: unknown): ObsStorageDtype {
  if (!OBS_STORAGE_DTYPES.includes(dtype as ObsStorageDtype)) {
    throw new ConfigError(field, `allowed: ${OBS_STORAGE_DTYPES.join(", ")}; got ${JSON.stringify(dtype)}`);
  }
  return dtype as ObsStorageDtype;
}

/** A zeroed array of `n` observation entries of `dtype`. */
export function allocObsStorage(dtype: ObsStorageDtype, n: number): ObsStorage {
  return dtype === "uint8" ? new Uint8Array(n) : new Float32Array(n);
}

/**
 * Throws when `values` cannot be stored in uint8 storage without change (not integers in
 * [0, 255], e.g. normalised observations). A Uint8Array passes at once.
 */
export function checkUint8Storable(field: string, values: ArrayLike<number>): void {
  if (values instanceof Uint8Array) return;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v <= 255 && Number.isInteger(v))) {
      throw new ConfigError(
        field,
        `uint8 storage holds integers in [0, 255]; entry ${i} is ${v} (store float32 for normalised observations)`,
      );
    }
  }
}

/** Rebuilds a space from `toJSON()` output (used by checkpoints). */
export function spaceFromJSON(json: SpaceJSON): AnySpace {
  switch (json.type) {
    case "Discrete":
      return new Discrete(json.n, { start: json.start });
    case "Box":
      return new Box(
        // JSON has no Infinity: JSON.stringify writes unbounded entries as null.
        json.low.map((v) => (v === null ? Number.NEGATIVE_INFINITY : v)),
        json.high.map((v) => (v === null ? Number.POSITIVE_INFINITY : v)),
        { shape: json.shape, dtype: json.dtype },
      );
    case "MultiDiscrete":
      return new MultiDiscrete(json.nvec);
    default:
      throw new ConfigError(
        "space.type",
        `allowed: Discrete, Box, MultiDiscrete; got ${(json as { type: string }).type}`,
      );
  }
}

/** Number of scalars a flat encoding of one element takes (Discrete counts as 1 index). */
export function flatSize(space: Space<unknown>): number {
  return product(space.shape);
}

/** Structural equality of two spaces (bounds compared as float32 for float32 boxes). */
export function spacesEqual(a: Space<unknown>, b: Space<unknown>): boolean {
  return JSON.stringify(a.toJSON()) === JSON.stringify(b.toJSON());
}
