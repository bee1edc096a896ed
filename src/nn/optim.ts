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
  private readonly m: Variable[];
  private readonly v: Variable[];

  constructor(variables: Variable[], config: AdamConfig = {}) {
    this.lr = checkNumber("lr", config.lr ?? 3e-4, { min: 0 });
    this.beta1 = checkNumber("beta1", config.beta1 ?? 0.9, { min: 0, max: 0.999999 });
    this.beta2 = checkNumber("beta2", config.beta2 ?? 0.999, { min: 0, max: 0.999999999 });
    this.eps = checkNumber("eps", config.eps ?? 1e-8, { positive: true });
    if (variables.length === 0) throw new ConfigError("variables", "Adam needs at least one variable");
    this.variables = variables;
    // tf.variable keeps its initial tensor alive as a separate object: build inside tidy.
    this.m = tf.tidy(() => variables.map((p) => tf.variable(tf.zeros(p.shape), false)));
    this.v = tf.tidy(() => variables.map((p) => tf.variable(tf.zeros(p.shape), false)));
  }

  /**
   * Applies one update from gradients aligned with `variables` (undefined: no gradient, the
   * variable and its moments are left alone, as PyTorch skips parameters whose grad is None).
   */
  apply(grads: readonly (Tensor | undefined)[]): void {
    if (grads.length !== this.variables.length) {
      throw new ConfigError("grads", `got ${grads.length} gradients for ${this.variables.length} variables`);
    }
    this.step += 1;
    const bc1 = 1 - this.beta1 ** this.step;
    const bc2 = 1 - this.beta2 ** this.step;
    const stepSize = this.lr / bc1;
    const sqrtBc2 = Math.sqrt(bc2);
    tf.tidy(() => {
      grads.forEach((g, i) => {
        if (g === undefined) return;
        const m = this.m[i]!;
        const v = this.v[i]!;
        const p = this.variables[i]!;
        const m1 = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
        const v1 = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        const denom = tf.add(tf.div(tf.sqrt(v1), sqrtBc2), this.eps);
        m.assign(m1);
        v.assign(v1);
        p.assign(tf.sub(p, tf.mul(tf.div(m1, denom), stepSize)));
      });
    });
  }

  getState(): AdamState {
    return {
      step: this.step,
      m: this.m.map((t) => Float32Array.from(t.dataSync())),
      v: this.v.map((t) => Float32Array.from(t.dataSync())),
    };
  }

  /** Restores a state from `getState` (ArtifactError if it does not fit these variables). */
  setState(state: AdamState): void {
    if (state.m.length !== this.m.length || state.v.length !== this.v.length) {
      throw new ArtifactError(
        `optimizer state has ${state.m.length} moments, this Adam has ${this.m.length} variables`,
      );
    }
    const check = (arr: Float32Array, t: Variable, what: string, i: number) => {
      if (arr.length !== t.size) {
        throw new ArtifactError(`optimizer state ${what}[${i}] has ${arr.length} values, expected ${t.size}`);
      }
    };
    for (let i = 0; i < this.m.length; i++) {
      check(state.m[i]!, this.m[i]!, "m", i);
      check(state.v[i]!, this.v[i]!, "v", i);
    }
    tf.tidy(() => {
      for (let i = 0; i < this.m.length; i++) {
        this.m[i]!.assign(tf.tensor(state.m[i]!, this.m[i]!.shape));
        this.v[i]!.assign(tf.tensor(state.v[i]!, this.v[i]!.shape));
      }
    });
    this.step = state.step;
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
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
  const coef = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
  return { grads: grads.map((g) => (g === undefined ? undefined : tf.mul(g, coef))), norm };
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
    const ordered = optimizer.variables.map((v) => grads[v.name]);
    const clipped = clipByGlobalNorm(ordered, maxNorm);
    optimizer.apply(clipped.grads);
    return tf.stack([value, clipped.norm, ...kept.map((m) => tf.reshape(m, []))]);
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
