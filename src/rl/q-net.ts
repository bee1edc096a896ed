/**
 * DQN's Q-network on src/nn's SIMD kernels: any layer stack (dense, or conv layers then dense),
 * optionally with dueling heads (Wang et al. 2016: Q = V + A - mean_a A on the trunk's last hidden
 * layer), forward and backward without the gradient tape.
 *
 *   const q = new QNet(trunk, heads);   // heads undefined: the trunk is the whole Q-network
 *   q.setParams(values, 0);             // [trunk, value head, advantage head] (QNetwork's order)
 *   const out = q.forward(obs, batch);  // [batch, numActions], a view until the next forward
 *   q.backward(dQ, grad, 0);            // grad = dLoss/dParams in the same order
 *
 * The parameter names (`qParamNames`) are the tfjs QNetwork's ("net/fc0.weight", "net/conv0.bias",
 * "value/fc0.weight", "advantage/fc0.bias"), so checkpoints written before keep loading.
 */
import { ConfigError } from "../core/errors.js";
import { foldDueling } from "../nn/index.js";
import { KernelNet } from "../nn/kernels/net.js";
import { countParams, layerNames, unflattenParams } from "../nn/kernels/plan.js";
import type { DenseLayerSpec, LayerSpec } from "../nn/spec.js";

export interface DuelingHeads {
  /** h -> V(s), one output. */
  value: DenseLayerSpec;
  /** h -> A(s, .), one output per action. */
  advantage: DenseLayerSpec;
}

export class QNet {
  readonly trunk: KernelNet;
  readonly numActions: number;
  readonly paramCount: number;
  private readonly value?: KernelNet;
  private readonly advantage?: KernelNet;
  private q = new Float32Array(0);
  private batch = 0;

  constructor(trunk: readonly LayerSpec[], heads?: DuelingHeads) {
    this.trunk = new KernelNet(trunk, "q.trunk");
    if (heads) {
      if (heads.value.inSize !== this.trunk.outSize || heads.advantage.inSize !== this.trunk.outSize)
        throw new ConfigError("dueling", `heads must read the trunk's ${this.trunk.outSize} outputs`);
      if (heads.value.outSize !== 1) throw new ConfigError("dueling", "the value head has one output");
      this.value = new KernelNet([heads.value], "q.value");
      this.advantage = new KernelNet([heads.advantage], "q.advantage");
    }
    this.numActions = heads ? heads.advantage.outSize : this.trunk.outSize;
    this.paramCount =
      this.trunk.paramCount + (this.value?.paramCount ?? 0) + (this.advantage?.paramCount ?? 0);
  }

  /** Loads `paramCount` values from values[offset ..]. */
  setParams(values: Float32Array, offset: number): void {
    this.trunk.setParams(values, offset);
    if (this.value && this.advantage) {
      this.value.setParams(values, offset + this.trunk.paramCount);
      this.advantage.setParams(values, offset + this.trunk.paramCount + this.value.paramCount);
    }
  }

  /** Q-values [batch, numActions] of `batch` observations (a view, valid until the next forward). */
  forward(x: ArrayLike<number>, batch: number): Float32Array {
    const h = this.trunk.forward(x, batch);
    this.batch = batch;
    if (!this.value || !this.advantage) return h;
    const n = this.numActions;
    const v = this.value.forward(h, batch);
    const a = this.advantage.forward(h, batch);
    if (this.q.length < batch * n) this.q = new Float32Array(batch * n);
    for (let r = 0; r < batch; r++) {
      let mean = 0;
      for (let j = 0; j < n; j++) mean += a[r * n + j]!;
      mean /= n;
      for (let j = 0; j < n; j++) this.q[r * n + j] = v[r]! + a[r * n + j]! - mean;
    }
    return this.q.subarray(0, batch * n);
  }

  /** dLoss/dParams into grad[offset ..] from dLoss/dQ [batch, numActions] of the last forward. */
  backward(dQ: Float32Array, grad: Float32Array, offset: number): void {
    if (!this.value || !this.advantage) {
      this.trunk.backward(dQ, grad, offset);
      return;
    }
    const batch = this.batch;
    const n = this.numActions;
    // Q_j = V + A_j - mean_k A_k: dV = sum_j dQ_j, dA_j = dQ_j - mean_k dQ_k.
    const dV = new Float32Array(batch);
    const dA = new Float32Array(batch * n);
    for (let r = 0; r < batch; r++) {
      let sum = 0;
      for (let j = 0; j < n; j++) sum += dQ[r * n + j]!;
      dV[r] = sum;
      for (let j = 0; j < n; j++) dA[r * n + j] = dQ[r * n + j]! - sum / n;
    }
    const vOff = offset + this.trunk.paramCount;
    this.value.backward(dV, grad, vOff, { inputGrad: true });
    const dh = this.value.inputGrad().slice();
    this.advantage.backward(dA, grad, vOff + this.value.paramCount, { inputGrad: true });
    const dhA = this.advantage.inputGrad();
    for (let i = 0; i < dh.length; i++) dh[i] = dh[i]! + dhA[i]!;
    this.trunk.backward(dh, grad, offset);
  }
}

/** Name, size and shape of each parameter tensor of a Q-network, in parameter order. */
export function qParamNames(
  trunk: readonly LayerSpec[],
  heads?: DuelingHeads,
): Array<{ name: string; size: number; shape: number[] }> {
  const out: Array<{ name: string; size: number; shape: number[] }> = [];
  const add = (prefix: string, layers: readonly LayerSpec[]) => {
    const names = layerNames(layers);
    layers.forEach((l, i) => {
      if (l.kind === "flatten") return;
      const shape =
        l.kind === "dense"
          ? [l.inSize, l.outSize]
          : [l.kernelSize, l.kernelSize, l.inShape[2], l.outChannels];
      out.push({ name: `${prefix}${names[i]}.weight`, size: l.weight.length, shape });
      out.push({ name: `${prefix}${names[i]}.bias`, size: l.bias.length, shape: [l.bias.length] });
    });
  };
  add("net/", trunk);
  if (heads) {
    add("value/", [heads.value]);
    add("advantage/", [heads.advantage]);
  }
  return out;
}

/** The Q-network's layers with weights read from values[offset ..] (dueling heads folded: the exported form). */
export function qSpecLayers(
  trunk: readonly LayerSpec[],
  heads: DuelingHeads | undefined,
  values: Float32Array,
  offset = 0,
): LayerSpec[] {
  const layers = unflattenParams(trunk, values, offset);
  if (!heads) return layers;
  const [value, advantage] = unflattenParams(
    [heads.value, heads.advantage],
    values,
    offset + countParams(trunk),
  ) as DenseLayerSpec[];
  return [...layers, foldDueling(value!, advantage!)];
}
