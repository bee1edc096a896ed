/**
 * What both Adams (optim.ts on tfjs variables, array-adam.ts on plain arrays) share: the config
 * and its checks, the state layout checkpoints store, and the moments with PyTorch's update.
 */
import { checkNumber } from "../core/errors.js";
import { SimdWorkspace } from "./kernels/simd.js";

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

/** The hyperparameters with their defaults, checked (the field named in the error). */
export function resolveAdamConfig(config: AdamConfig): Required<AdamConfig> {
  return {
    lr: checkNumber("lr", config.lr ?? 3e-4, { min: 0 }),
    beta1: checkNumber("beta1", config.beta1 ?? 0.9, { min: 0, max: 0.999999 }),
    beta2: checkNumber("beta2", config.beta2 ?? 0.999, { min: 0, max: 0.999999999 }),
    eps: checkNumber("eps", config.eps ?? 1e-8, { positive: true }),
  };
}

/**
 * Adam's moments, kept in a SIMD workspace, and PyTorch's update:
 *   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  p <- p - stepSize m / (sqrt(v) / sqrtBc2 + eps)
 * with stepSize = lr / (1 - b1^t), sqrtBc2 = sqrt(1 - b2^t), per element in float64 and stored as
 * float32 (the WebAssembly kernel does the same operations in the same order as that scalar
 * formula, two elements per instruction: identical results, several times faster). Both
 * optimizers update through this.
 */
export class AdamMoments {
  private readonly ws = new SimdWorkspace();
  private readonly at: { p: number; g: number; m: number; v: number };

  constructor(readonly size: number) {
    // Allocated once: the memory never grows afterwards, so `m` and `v` views stay valid.
    this.at = {
      p: this.ws.alloc(size),
      g: this.ws.alloc(size),
      m: this.ws.alloc(size),
      v: this.ws.alloc(size),
    };
  }

  get m(): Float32Array {
    return this.ws.f32.subarray(this.at.m, this.at.m + this.size);
  }

  get v(): Float32Array {
    return this.ws.f32.subarray(this.at.v, this.at.v + this.size);
  }

  /** Updates params[0 .. n) from grads[gOff .. gOff + n) with the moments at `off`. */
  update(
    params: Float32Array,
    grads: Float32Array,
    gOff: number,
    off: number,
    n: number,
    h: { stepSize: number; sqrtBc2: number; beta1: number; beta2: number; eps: number },
  ): void {
    const f = this.ws.f32;
    f.set(params.length === n ? params : params.subarray(0, n), this.at.p);
    f.set(grads.subarray(gOff, gOff + n), this.at.g);
    this.ws.adam({ p: this.at.p, g: this.at.g, m: this.at.m + off, v: this.at.v + off }, n, h);
    params.set(f.subarray(this.at.p, this.at.p + n));
  }
}
