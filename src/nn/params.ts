/**
 * Named trainable variables of one module, with plain-array read/write for checkpoints and
 * in-graph copies for target networks.
 */
import { ConfigError } from "../core/errors.js";
import { type Tensor, tf, type Variable } from "./backend.js";

/** A float32 tensor as plain data (checkpoints, specs, optimizer state). */
export interface FloatArray {
  data: Float32Array;
  shape: number[];
}

let nextId = 0;

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export class Params {
  private readonly vars = new Map<string, Variable>();
  /** tfjs variable names are global: a per-instance id keeps two models' "fc0.weight" apart. */
  private readonly scope: string;

  constructor(prefix: string) {
    this.scope = `${prefix}#${nextId++}`;
  }

  add(name: string, data: Float32Array, shape: number[], trainable = true): Variable {
    if (this.vars.has(name)) throw new ConfigError(name, "parameter name used twice in one module");
    // Inside tidy, so the initial tensor (a separate object sharing the data) is released.
    const v = tf.tidy(() =>
      tf.variable(tf.tensor(data, shape, "float32"), trainable, `${this.scope}/${name}`),
    );
    this.vars.set(name, v);
    return v;
  }

  get(name: string): Variable {
    const v = this.vars.get(name);
    if (!v) throw new ConfigError("name", `no parameter ${name}; have: ${this.names().join(", ")}`);
    return v;
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  /** Variables in insertion order (the order optimizers and gradient lists use). */
  list(): Variable[] {
    return [...this.vars.values()];
  }

  count(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  /** Copies every parameter to plain arrays (one device read per parameter). */
  read(): Record<string, FloatArray> {
    const out: Record<string, FloatArray> = {};
    for (const [name, v] of this.vars)
      out[name] = { data: Float32Array.from(v.dataSync()), shape: v.shape.slice() };
    return out;
  }

  /** Overwrites parameters from plain arrays; every name must be present with the same size. */
  write(values: Record<string, FloatArray | Float32Array>, field = "weights"): void {
    for (const [name, v] of this.vars) {
      const given = values[name];
      if (given === undefined) throw new ConfigError(`${field}.${name}`, "missing");
      const data = given instanceof Float32Array ? given : given.data;
      if (!(given instanceof Float32Array) && !sameShape(given.shape, v.shape)) {
        throw new ConfigError(`${field}.${name}`, `shape [${given.shape}] does not match [${v.shape}]`);
      }
      if (data.length !== v.size) {
        throw new ConfigError(
          `${field}.${name}`,
          `has ${data.length} values, expected ${v.size} ([${v.shape}])`,
        );
      }
      tf.tidy(() => v.assign(tf.tensor(data, v.shape, "float32")));
    }
  }

  /** this <- other, inside the graph (no device read); shapes must match name by name. */
  copyFrom(other: Params): void {
    this.blendFrom(other, 1);
  }

  /** Polyak update this <- tau * other + (1 - tau) * this (tau = 1 is a hard copy). */
  blendFrom(other: Params, tau: number): void {
    for (const [name, v] of this.vars) {
      const src = other.vars.get(name);
      if (!src || !sameShape(src.shape, v.shape)) {
        throw new ConfigError(`weights.${name}`, "the source module has a different architecture");
      }
      tf.tidy(() => {
        const next: Tensor = tau === 1 ? src : tf.add(tf.mul(src, tau), tf.mul(v, 1 - tau));
        v.assign(tau === 1 ? tf.clone(next) : next);
      });
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
