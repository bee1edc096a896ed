/**
 * DQN's weights by name and in their exported form. The names are the tfjs QNetwork's
 * ("net/fc0.weight", "net/conv0.bias", ...; "value/fc0.*" and "advantage/fc0.*" for dueling heads),
 * so checkpoints written before the kernels replaced tfjs keep loading.
 */
import type { Rng } from "../core/rng.js";
import { torchDefaultInit } from "../nn/arch.js";
import { foldDueling } from "../nn/index.js";
import { countParams, layerNames, unflattenParams } from "../nn/kernels/plan.js";
import type { QLayers } from "../nn/kernels/q-network.js";
import type { DenseLayerSpec, LayerSpec } from "../nn/spec.js";

/** Name, size and shape of each parameter tensor of a Q-network, in parameter order (trunk, value head, advantage head). */
export function qParamNames(q: QLayers): Array<{ name: string; size: number; shape: number[] }> {
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
  add("net/", q.trunk);
  if (q.value) add("value/", [q.value]);
  if (q.advantage) add("advantage/", [q.advantage]);
  return out;
}

/** The Q-network's layers with weights from values[offset ..], dueling heads folded into one layer (the exported form). */
export function qSpecLayers(q: QLayers, values: Float32Array, offset = 0): LayerSpec[] {
  const layers = unflattenParams(q.trunk, values, offset);
  if (!q.value || !q.advantage) return layers;
  const at = offset + countParams(q.trunk);
  const [value, advantage] = unflattenParams([q.value, q.advantage], values, at) as DenseLayerSpec[];
  return [...layers, foldDueling(value!, advantage!)];
}

/**
 * PyTorch's `nn.Linear` default (what CleanRL's DQN, SAC and TD3 use): weight and bias uniform in
 * +-1/sqrt(fanIn). Weight in the tfjs layout [in][out].
 */
export function torchDefaultDense(
  inSize: number,
  outSize: number,
  rng: Rng,
): { weight: Float32Array; bias: Float32Array } {
  const layer: DenseLayerSpec = {
    kind: "dense",
    inSize,
    outSize,
    weight: new Float32Array(inSize * outSize),
    bias: new Float32Array(outSize),
    activation: "linear",
  };
  torchDefaultInit([layer], rng);
  return { weight: layer.weight, bias: layer.bias };
}
