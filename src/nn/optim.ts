/**
 * Adam on tfjs variables, gradient clipping and the one-call training step (Adam on plain arrays
 * is array-adam.ts; the moments and update both share are adam-moments.ts).
 *
 * Our own Adam (not tf.train.adam) so its state is plain Float32Arrays that checkpoints store
 * and restore bit for bit. The update follows PyTorch's torch.optim.Adam:
 *   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
 *   p <- p - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * CleanRL's PPO uses eps = 1e-5; the default here is PyTorch's 1e-8.
 */
import { ArtifactError, ConfigError } from "../core/errors.js";
import { type AdamConfig, AdamMoments, type AdamState, resolveAdamConfig } from "./adam-moments.js";
import { clipInPlace } from "./array-adam.js";
import { type Scalar, type Tensor, tf, type Variable } from "./backend.js";

export type { AdamConfig, AdamState } from "./adam-moments.js";
export { ArrayAdam, clipInPlace, type ParamGroup } from "./array-adam.js";

export class Adam {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Number of updates applied so far (t in the bias corrections). */
  step = 0;
  readonly variables: Variable[];
  /**
   * Moments of all variables in one flat vector each, kept as plain Float32Arrays: the update
   * runs in JS (one loop over all parameters), which on wasm beats a dozen tfjs op dispatches,
   * and the parameters are written back in place (see `writeParam`).
   */
  private readonly moments: AdamMoments;
  private readonly sizes: number[];
  private readonly offsets: number[];
  /** Per variable, the values last written and the dataId they were written as. */
  private readonly cache: ({ dataId: object; data: Float32Array } | undefined)[] = [];

  constructor(variables: Variable[], config: AdamConfig = {}) {
    ({ lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps } = resolveAdamConfig(config));
    if (variables.length === 0) throw new ConfigError("variables", "Adam needs at least one variable");
    this.variables = variables;
    this.sizes = variables.map((p) => p.size);
    this.offsets = [];
    let total = 0;
    for (const n of this.sizes) {
      this.offsets.push(total);
      total += n;
    }
    this.moments = new AdamMoments(total);
  }

  /** Total number of parameters (the length of a flat gradient). */
  get size(): number {
    return this.moments.size;
  }

  /**
   * All gradients as one flat vector aligned with the moments (zeros where a variable has no
   * gradient) and, when some are missing, which variables have one.
   */
  flatten(grads: readonly (Tensor | undefined)[]): { flat: Tensor; present?: boolean[] } {
    if (grads.length !== this.variables.length) {
      throw new ConfigError("grads", `got ${grads.length} gradients for ${this.variables.length} variables`);
    }
    const parts = grads.map((g, i) => (g === undefined ? tf.zeros([this.sizes[i]!]) : tf.reshape(g, [-1])));
    const flat = parts.length === 1 ? parts[0]! : tf.concat(parts);
    return grads.every((g) => g !== undefined)
      ? { flat }
      : { flat, present: grads.map((g) => g !== undefined) };
  }

  /**
   * Applies one update from gradients aligned with `variables` (undefined: no gradient, the
   * variable and its moments are left alone, as PyTorch skips parameters whose grad is None).
   */
  apply(grads: readonly (Tensor | undefined)[]): void {
    const flat = tf.tidy(() => this.flatten(grads));
    try {
      this.applyFlat(flat.flat, flat.present);
    } finally {
      flat.flat.dispose();
    }
  }

  /** One update from a flat gradient tensor (see `flatten`); variables not `present` are left alone. */
  applyFlat(g: Tensor, present?: readonly boolean[]): void {
    this.applyArray(g.dataSync() as Float32Array, present);
  }

  /**
   * One update from a flat gradient in a plain array (`size` values in the variables' order).
   * The arithmetic is PyTorch's, per element in float64, stored as float32.
   */
  applyArray(g: Float32Array, present?: readonly boolean[]): void {
    if (g.length !== this.size)
      throw new ConfigError("grads", `flat gradient has ${g.length} values, expected ${this.size}`);
    this.step += 1;
    const h = this.hyper();
    for (let k = 0; k < this.variables.length; k++) {
      if (present && !present[k]) continue;
      const p = this.variables[k]!;
      const data = this.readParam(k);
      const off = this.offsets[k]!;
      this.moments.update(data, g, off, off, this.sizes[k]!, h);
      const t = tf.tensor(data, p.shape, "float32");
      p.assign(t);
      t.dispose();
      // On wasm the tensor holds its own copy, so `data` stays equal to the variable's values
      // until something else assigns it (which gives it a new dataId).
      this.cache[k] = tf.getBackend() === "wasm" ? { dataId: p.dataId, data } : undefined;
    }
  }

  /** The values of variable k as an array to update: the copy written last step if still current. */
  private readParam(k: number): Float32Array {
    const p = this.variables[k]!;
    const c = this.cache[k];
    if (c && c.dataId === p.dataId) return c.data;
    // wasm's dataSync returns a copy; the cpu backend's returns its own buffer.
    const read = p.dataSync() as Float32Array;
    return tf.getBackend() === "wasm" ? read : read.slice();
  }

  /** This step's constants of the update. */
  private hyper() {
    return {
      stepSize: this.lr / (1 - this.beta1 ** this.step),
      sqrtBc2: Math.sqrt(1 - this.beta2 ** this.step),
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
    };
  }

  getState(): AdamState {
    const split = (flat: Float32Array) =>
      this.sizes.map((n, i) => flat.slice(this.offsets[i]!, this.offsets[i]! + n));
    return { step: this.step, m: split(this.moments.m), v: split(this.moments.v) };
  }

  /** Restores a state from `getState` (ArtifactError if it does not fit these variables). */
  setState(state: AdamState): void {
    if (state.m.length !== this.sizes.length || state.v.length !== this.sizes.length) {
      throw new ArtifactError(
        `optimizer state has ${state.m.length} moments, this Adam has ${this.sizes.length} variables`,
      );
    }
    this.sizes.forEach((n, i) => {
      for (const [what, arr] of [
        ["m", state.m[i]!],
        ["v", state.v[i]!],
      ] as const) {
        if (arr.length !== n)
          throw new ArtifactError(`optimizer state ${what}[${i}] has ${arr.length} values, expected ${n}`);
      }
    });
    const { m, v } = this.moments;
    this.sizes.forEach((_, i) => {
      m.set(state.m[i]!, this.offsets[i]!);
      v.set(state.v[i]!, this.offsets[i]!);
    });
    this.step = state.step;
  }

  dispose(): void {
    // The moments are plain arrays: nothing to free.
  }
}

/**
 * Scales gradients so their global L2 norm is at most `maxNorm`, as PyTorch's
 * clip_grad_norm_ does (coefficient maxNorm / (norm + 1e-6), capped at 1). Returns the clipped
 * gradients and the norm before clipping (a scalar tensor: reading it is left to the caller).
 */
export function clipByGlobalNorm(
  grads: readonly (Tensor | undefined)[],
  maxNorm: number,
): { grads: (Tensor | undefined)[]; norm: Scalar } {
  const present = grads.filter((g): g is Tensor => g !== undefined);
  const norm = globalNorm(present);
  if (!Number.isFinite(maxNorm)) return { grads: [...grads], norm };
  const coef = clipCoefficient(norm, maxNorm);
  return { grads: grads.map((g) => (g === undefined ? undefined : tf.mul(g, coef))), norm };
}

function clipCoefficient(norm: Tensor, maxNorm: number): Tensor {
  return tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
}

function globalNorm(grads: readonly Tensor[]): Scalar {
  if (grads.length === 0) return tf.scalar(0);
  const sq = grads.map((g) => tf.sum(tf.square(g)));
  return tf.sqrt(sq.length === 1 ? sq[0]! : tf.addN(sq)) as Scalar;
}

/** What a loss function gives `trainStep`: the loss alone, or the loss plus scalar metrics to log. */
export type LossOutput = Scalar | { loss: Scalar; metrics?: Record<string, Scalar> };

export interface TrainStepOptions {
  /** Clip the global gradient norm to this (CleanRL PPO: 0.5). Default: no clipping. */
  maxGradNorm?: number;
}

export interface TrainStepResult {
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  metrics: Record<string, number>;
}

/**
 * One optimisation step: gradients of `lossFn` with respect to the optimizer's variables,
 * optional global-norm clipping, the Adam update, all inside tf.tidy; the loss, the norm and
 * the metrics come back in a single device read.
 */
export function trainStep(
  optimizer: Adam,
  lossFn: () => LossOutput,
  opts: TrainStepOptions = {},
): TrainStepResult {
  const maxNorm = opts.maxGradNorm ?? Number.POSITIVE_INFINITY;
  if (!(maxNorm > 0)) throw new ConfigError("maxGradNorm", `must be > 0, got ${maxNorm}`);
  let metricNames: string[] = [];
  // variableGrads disposes whatever the loss function created except the loss, so metrics are
  // kept here and released after the read.
  let kept: Scalar[] = [];
  let present: boolean[] | undefined;
  const packed = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      const out = lossFn();
      if (!("loss" in out)) return out;
      const metrics = out.metrics ?? {};
      metricNames = Object.keys(metrics);
      kept = metricNames.map((k) => tf.keep(metrics[k]!));
      return out.loss;
    }, optimizer.variables);
    const f = optimizer.flatten(optimizer.variables.map((v) => grads[v.name]));
    present = f.present;
    // One read: the loss, the metrics, then the flat gradient.
    return tf.concat([tf.stack([value, ...kept.map((m) => tf.reshape(m, []))]), f.flat]);
  });
  let values: Float32Array;
  try {
    values = packed.dataSync() as Float32Array;
  } finally {
    packed.dispose();
    for (const t of kept) t.dispose();
  }
  const g = values.subarray(1 + metricNames.length);
  const gradNorm = clipInPlace(g, maxNorm);
  optimizer.applyArray(g, present);
  const metrics: Record<string, number> = {};
  metricNames.forEach((k, i) => {
    metrics[k] = values[1 + i]!;
  });
  return { loss: values[0]!, gradNorm, metrics };
}
