/**
 * Adam, gradient clipping and the one-call training step.
 *
 * Our own Adam (not tf.train.adam) so its state is plain Float32Arrays that checkpoints store
 * and restore bit for bit. The update follows PyTorch's torch.optim.Adam:
 *   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
 *   p <- p - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * CleanRL's PPO uses eps = 1e-5; the default here is PyTorch's 1e-8.
 */
import { ArtifactError, ConfigError, checkNumber } from "../core/errors.js";
import { type Scalar, type Tensor, tf, type Variable } from "./backend.js";

export interface AdamConfig {
  /** Learning rate; change it any time with `optimizer.lr = ...` (annealing). Default 3e-4. */
  lr?: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8 (PyTorch); CleanRL's PPO uses 1e-5. */
  eps?: number;
}

/** Optimizer state as plain data, keyed by the variables' order in the optimizer. */
export interface AdamState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

export class Adam {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Number of updates applied so far (t in the bias corrections). */
  step = 0;
  readonly variables: Variable[];
  /**
   * Moments of all variables in one flat vector each: the update is a dozen ops whatever the
   * number of variables (per-op dispatch, not arithmetic, dominates small models on wasm).
   */
  private readonly m: Variable;
  private readonly v: Variable;
  private readonly sizes: number[];
  /** Constant scalars, uploaded once instead of at every op. */
  private readonly consts: Record<"b1" | "omb1" | "b2" | "omb2" | "eps", Scalar>;

  constructor(variables: Variable[], config: AdamConfig = {}) {
    this.lr = checkNumber("lr", config.lr ?? 3e-4, { min: 0 });
    this.beta1 = checkNumber("beta1", config.beta1 ?? 0.9, { min: 0, max: 0.999999 });
    this.beta2 = checkNumber("beta2", config.beta2 ?? 0.999, { min: 0, max: 0.999999999 });
    this.eps = checkNumber("eps", config.eps ?? 1e-8, { positive: true });
    if (variables.length === 0) throw new ConfigError("variables", "Adam needs at least one variable");
    this.variables = variables;
    this.sizes = variables.map((p) => p.size);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    // tf.variable keeps its initial tensor alive as a separate object: build inside tidy.
    this.m = tf.tidy(() => tf.variable(tf.zeros([total]), false));
    this.v = tf.tidy(() => tf.variable(tf.zeros([total]), false));
    this.consts = {
      b1: tf.scalar(this.beta1),
      omb1: tf.scalar(1 - this.beta1),
      b2: tf.scalar(this.beta2),
      omb2: tf.scalar(1 - this.beta2),
      eps: tf.scalar(this.eps),
    };
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
    tf.tidy(() => {
      const { flat, present } = this.flatten(grads);
      this.applyFlat(flat, present);
    });
  }

  /** One update from a flat gradient (see `flatten`); variables not `present` are left alone. */
  applyFlat(g: Tensor, present?: readonly boolean[]): void {
    this.step += 1;
    const stepSize = this.lr / (1 - this.beta1 ** this.step);
    const sqrtBc2 = Math.sqrt(1 - this.beta2 ** this.step);
    const c = this.consts;
    tf.tidy(() => {
      let m1 = tf.add(tf.mul(this.m, c.b1), tf.mul(g, c.omb1));
      let v1 = tf.add(tf.mul(this.v, c.b2), tf.mul(tf.square(g), c.omb2));
      const update = tf.mul(tf.div(m1, tf.add(tf.div(tf.sqrt(v1), sqrtBc2), c.eps)), stepSize);
      if (present) {
        const mask = tf.concat(this.sizes.map((n, i) => tf.fill([n], present[i] ? 1 : 0, "bool")));
        m1 = tf.where(mask, m1, this.m);
        v1 = tf.where(mask, v1, this.v);
      }
      this.m.assign(m1);
      this.v.assign(v1);
      const parts = this.sizes.length === 1 ? [update] : tf.split(update, this.sizes);
      this.variables.forEach((p, i) => {
        if (present && !present[i]) return;
        p.assign(tf.sub(p, tf.reshape(parts[i]!, p.shape)));
      });
    });
  }

  getState(): AdamState {
    const split = (flat: Variable) => {
      const all = flat.dataSync() as Float32Array;
      const out: Float32Array[] = [];
      let at = 0;
      for (const n of this.sizes) {
        out.push(all.slice(at, at + n));
        at += n;
      }
      return out;
    };
    return { step: this.step, m: split(this.m), v: split(this.v) };
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
    const join = (arrs: Float32Array[]) => {
      const out = new Float32Array(this.m.size);
      let at = 0;
      for (const a of arrs) {
        out.set(a, at);
        at += a.length;
      }
      return out;
    };
    tf.tidy(() => {
      this.m.assign(tf.tensor1d(join(state.m)));
      this.v.assign(tf.tensor1d(join(state.v)));
    });
    this.step = state.step;
  }

  dispose(): void {
    tf.dispose([this.m, this.v, ...Object.values(this.consts)]);
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
  const packed = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      const out = lossFn();
      if (!("loss" in out)) return out;
      const metrics = out.metrics ?? {};
      metricNames = Object.keys(metrics);
      kept = metricNames.map((k) => tf.keep(metrics[k]!));
      return out.loss;
    }, optimizer.variables);
    const { flat, present } = optimizer.flatten(optimizer.variables.map((v) => grads[v.name]));
    const norm = tf.sqrt(tf.sum(tf.square(flat)));
    const clipped = Number.isFinite(maxNorm) ? tf.mul(flat, clipCoefficient(norm, maxNorm)) : flat;
    optimizer.applyFlat(clipped, present);
    return tf.stack([value, norm, ...kept.map((m) => tf.reshape(m, []))]);
  });
  let values: Float32Array;
  try {
    values = packed.dataSync() as Float32Array;
  } finally {
    packed.dispose();
    for (const t of kept) t.dispose();
  }
  const metrics: Record<string, number> = {};
  metricNames.forEach((k, i) => {
    metrics[k] = values[2 + i]!;
  });
  return { loss: values[0]!, gradNorm: values[1]!, metrics };
}
