/**
 * A Q-network on the SIMD kernels (the tape-free counterpart of models.ts's `QNetwork`): a trunk
 * of any layers (dense, or conv then dense) and either a Q output layer at its end or dueling
 * heads (Wang et al. 2016), Q = V + A - mean_a A, on its last hidden layer.
 *
 *   const q = new KernelQNetwork({ trunk, value, advantage });   // heads only when dueling
 *   q.setParams(values, 0);                                      // [trunk, value head, advantage head]
 *   const out = q.forward(obs, batch);                           // [batch, actions], a fresh array
 *   q.backward(dLossDQ, grad, 0);                                // dLoss/dParams, same layout
 *
 * The parameter order is `QNetwork.variables`' (trunk, value head, advantage head), so optimizer
 * states line up with the tfjs model's.
 */
import { ConfigError } from "../../core/errors.js";
import type { DenseLayerSpec, LayerSpec } from "../spec.js";
import { KernelNet } from "./net.js";
import { tensorSizes } from "./plan.js";

export interface QLayers {
  /** The whole network (no heads), or the trunk up to the last hidden layer (dueling). */
  trunk: LayerSpec[];
  /** Dueling heads on the trunk's output: V (1 output) and A (one per action), both linear. */
  value?: DenseLayerSpec;
  advantage?: DenseLayerSpec;
}

export class KernelQNetwork {
  readonly trunk: KernelNet;
  private readonly value?: KernelNet;
  private readonly advantage?: KernelNet;
  /** Weights and biases in all, and their tensor sizes in order (for optimizer states). */
  readonly paramCount: number;
  readonly sizes: number[];
  readonly actions: number;
  private batch = 0;

  constructor(layers: QLayers) {
    if (!layers.value !== !layers.advantage) {
      throw new ConfigError("dueling", "needs both a value and an advantage head, or neither");
    }
    this.trunk = new KernelNet(layers.trunk, "trunk");
    if (layers.value && layers.advantage) {
      this.value = new KernelNet([layers.value], "value head");
      this.advantage = new KernelNet([layers.advantage], "advantage head");
      if (
        this.value.outSize !== 1 ||
        this.value.inSize !== this.trunk.outSize ||
        this.advantage.inSize !== this.trunk.outSize
      ) {
        throw new ConfigError(
          "dueling",
          "the heads must read the trunk's output, the value head give one number",
        );
      }
    }
    this.actions = this.advantage ? this.advantage.outSize : this.trunk.outSize;
    this.paramCount =
      this.trunk.paramCount + (this.value?.paramCount ?? 0) + (this.advantage?.paramCount ?? 0);
    this.sizes = [
      ...tensorSizes(layers.trunk),
      ...(layers.value ? tensorSizes([layers.value]) : []),
      ...(layers.advantage ? tensorSizes([layers.advantage]) : []),
    ];
  }

  setParams(flat: Float32Array, offset: number): void {
    this.trunk.setParams(flat, offset);
    if (!this.value || !this.advantage) return;
    this.value.setParams(flat, offset + this.trunk.paramCount);
    this.advantage.setParams(flat, offset + this.trunk.paramCount + this.value.paramCount);
  }

  /** Copies all weights out, in the parameter order, into flat[offset ..]. */
  getParams(flat: Float32Array, offset = 0): void {
    this.trunk.getParams(flat, offset);
    if (!this.value || !this.advantage) return;
    this.value.getParams(flat, offset + this.trunk.paramCount);
    this.advantage.getParams(flat, offset + this.trunk.paramCount + this.value.paramCount);
  }

  /** Q-values [batch, actions] (a new array when dueling, else a view valid until the next forward). */
  forward(obs: ArrayLike<number>, batch: number): Float32Array {
    this.batch = batch;
    const h = this.trunk.forward(obs, batch);
    if (!this.value || !this.advantage) return h;
    const v = this.value.forward(h, batch);
    const a = this.advantage.forward(h, batch);
    const n = this.actions;
    const q = new Float32Array(batch * n);
    for (let b = 0; b < batch; b++) {
      let mean = 0;
      for (let j = 0; j < n; j++) mean += a[b * n + j]!;
      mean /= n;
      for (let j = 0; j < n; j++) q[b * n + j] = v[b]! + (a[b * n + j]! - mean);
    }
    return q;
  }

  /** dLoss/dParams into grad[offset ..] from dLoss/dQ of the last forward. */
  backward(dQ: Float32Array, grad: Float32Array, offset: number): void {
    if (!this.value || !this.advantage) {
      this.trunk.backward(dQ, grad, offset);
      return;
    }
    // Q = V + A - mean(A): dV = sum_j dQ_j, dA_j = dQ_j - mean_k dQ_k.
    const n = this.actions;
    const B = this.batch;
    const dV = new Float32Array(B);
    const dA = new Float32Array(B * n);
    for (let b = 0; b < B; b++) {
      let sum = 0;
      for (let j = 0; j < n; j++) sum += dQ[b * n + j]!;
      dV[b] = sum;
      for (let j = 0; j < n; j++) dA[b * n + j] = dQ[b * n + j]! - sum / n;
    }
    const vAt = offset + this.trunk.paramCount;
    this.value.backward(dV, grad, vAt, { inputGrad: true });
    const dh = this.value.inputGrad().slice();
    this.advantage.backward(dA, grad, vAt + this.value.paramCount, { inputGrad: true });
    const dhA = this.advantage.inputGrad();
    for (let i = 0; i < dh.length; i++) dh[i] = dh[i]! + dhA[i]!;
    this.trunk.backward(dh, grad, offset);
  }
}
