/** Adam on plain Float32Array parameter groups (the tape-free training path), and flat-gradient clipping. */
import { ArtifactError, ConfigError } from "../core/errors.js";
import { type AdamConfig, AdamMoments, type AdamState, resolveAdamConfig } from "./adam-moments.js";

/**
 * Parameters trained without tfjs: plain values with a gradient of the same length, split into
 * `sizes` tensors (a network's w0, b0, w1, ...) for the optimizer state, as `Adam`'s variables.
 */
export interface ParamGroup {
  values: Float32Array;
  grad: Float32Array;
  /** How the values split into tensors (checkpointed moments per tensor). Default: one. */
  sizes?: readonly number[];
}

/**
 * Adam over plain arrays (the tape-free training path): the same update and state layout as
 * `Adam`, so a model trained here saves and resumes like one trained on tfjs variables.
 *
 *   const opt = new ArrayAdam([{ values: params, grad, sizes }], { lr: 1e-3 });
 *   ... fill grad ...
 *   const norm = opt.clipGradNorm(0.5);   // optional
 *   opt.step();
 */
export class ArrayAdam {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Updates applied so far (t in the bias corrections). */
  step = 0;
  private readonly groups: ParamGroup[];
  private readonly moments: AdamMoments;
  private readonly sizes: number[];

  constructor(groups: readonly ParamGroup[], config: AdamConfig = {}) {
    ({ lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps } = resolveAdamConfig(config));
    if (groups.length === 0) throw new ConfigError("params", "Adam needs at least one parameter group");
    this.groups = [...groups];
    this.sizes = [];
    for (const [i, g] of this.groups.entries()) {
      if (g.grad.length !== g.values.length)
        throw new ConfigError(
          `params[${i}].grad`,
          `has ${g.grad.length} values, the parameters ${g.values.length}`,
        );
      const sizes = g.sizes ?? [g.values.length];
      if (sizes.reduce((a, b) => a + b, 0) !== g.values.length)
        throw new ConfigError(`params[${i}].sizes`, `must add up to ${g.values.length}`);
      this.sizes.push(...sizes);
    }
    this.moments = new AdamMoments(this.groups.reduce((n, g) => n + g.values.length, 0));
  }

  /** Total number of parameters. */
  get size(): number {
    return this.moments.size;
  }

  /** Scales every group's gradient so the global norm is at most `maxNorm` (see `clipInPlace`); returns the norm. */
  clipGradNorm(maxNorm: number): number {
    let sq = 0;
    for (const g of this.groups) for (let i = 0; i < g.grad.length; i++) sq += g.grad[i]! * g.grad[i]!;
    const norm = Math.sqrt(sq);
    if (Number.isFinite(maxNorm)) {
      const coef = Math.min(maxNorm / (norm + 1e-6), 1);
      if (coef < 1)
        for (const g of this.groups) for (let i = 0; i < g.grad.length; i++) g.grad[i] = g.grad[i]! * coef;
    }
    return norm;
  }

  /**
   * One Adam update of every group from its `grad`. Groups with `active[i] === false` had no
   * gradient this step (not in the loss, as a tape leaves them out): they and their moments are
   * left alone, as PyTorch skips parameters whose grad is None.
   */
  apply(active?: readonly boolean[]): void {
    this.step += 1;
    const h = {
      stepSize: this.lr / (1 - this.beta1 ** this.step),
      sqrtBc2: Math.sqrt(1 - this.beta2 ** this.step),
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
    };
    let off = 0;
    this.groups.forEach((g, i) => {
      if (active?.[i] !== false) this.moments.update(g.values, g.grad, 0, off, g.values.length, h);
      off += g.values.length;
    });
  }

  getState(): AdamState {
    const m: Float32Array[] = [];
    const v: Float32Array[] = [];
    const { m: mAll, v: vAll } = this.moments;
    let off = 0;
    for (const n of this.sizes) {
      m.push(mAll.slice(off, off + n));
      v.push(vAll.slice(off, off + n));
      off += n;
    }
    return { step: this.step, m, v };
  }

  /** Restores a state from `getState` (or from `Adam.getState` of the same model). */
  setState(state: AdamState): void {
    if (state.m.length !== this.sizes.length || state.v.length !== this.sizes.length) {
      throw new ArtifactError(
        `optimizer state has ${state.m.length} moments, this Adam has ${this.sizes.length} tensors`,
      );
    }
    const { m, v } = this.moments;
    let off = 0;
    this.sizes.forEach((n, i) => {
      if (state.m[i]!.length !== n || state.v[i]!.length !== n)
        throw new ArtifactError(
          `optimizer state tensor ${i} has ${state.m[i]!.length} values, expected ${n}`,
        );
      m.set(state.m[i]!, off);
      v.set(state.v[i]!, off);
      off += n;
    });
    this.step = state.step;
  }
}

/**
 * Global-norm clipping of a flat gradient in place, as `clipByGlobalNorm` (coefficient
 * maxNorm / (norm + 1e-6), capped at 1; no clipping for an infinite maxNorm). Returns the norm
 * before clipping.
 */
export function clipInPlace(g: Float32Array, maxNorm: number): number {
  let sq = 0;
  for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
  const norm = Math.sqrt(sq);
  if (Number.isFinite(maxNorm)) {
    const coef = Math.min(maxNorm / (norm + 1e-6), 1);
    if (coef < 1) for (let i = 0; i < g.length; i++) g[i] = g[i]! * coef;
  }
  return norm;
}
