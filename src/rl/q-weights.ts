/**
 * A DQN Q-network's weights as plain arrays, named as `QNetwork.getWeights()` names them
 * ("net/fc0.weight", ...; "value/fc0.*" and "advantage/fc0.*" for dueling heads), so they exist
 * before tfjs is initialised and load into a `QNetwork` with `setWeights`. `qLayers` turns them
 * into the dense layers of a PolicySpec, folding dueling heads into one layer.
 */
import type { Rng } from "../core/rng.js";
import { foldDueling, mlpLayers, type QNetworkConfig } from "../nn/index.js";
import type { FloatArray } from "../nn/params.js";
import type { DenseLayerSpec } from "../nn/spec.js";

/** The dense layers computing Q(s, .) from these weights (dueling heads folded). */
export function qLayers(w: Record<string, FloatArray>, config: QNetworkConfig): DenseLayerSpec[] {
  const hidden = config.body!.hidden!;
  const activation = config.body!.activation!;
  const widths = [config.obsShape.reduce((a, b) => a * b, 1), ...hidden];
  const layers: DenseLayerSpec[] = [];
  const nTrunk = config.dueling ? hidden.length : hidden.length + 1;
  for (let k = 0; k < nTrunk; k++) {
    const last = k === hidden.length;
    layers.push({
      kind: "dense",
      inSize: widths[k]!,
      outSize: last ? config.numActions : widths[k + 1]!,
      weight: w[`net/fc${k}.weight`]!.data,
      bias: w[`net/fc${k}.bias`]!.data,
      activation: last ? "linear" : activation,
    });
  }
  if (config.dueling) {
    const h = widths[widths.length - 1]!;
    const head = (prefix: string, outSize: number): DenseLayerSpec => ({
      kind: "dense",
      inSize: h,
      outSize,
      weight: w[`${prefix}.weight`]!.data,
      bias: w[`${prefix}.bias`]!.data,
      activation: "linear",
    });
    layers.push(foldDueling(head("value/fc0", 1), head("advantage/fc0", config.numActions)));
  }
  return layers;
}

export type QInit = "torch" | "orthogonal";

/**
 * PyTorch's `nn.Linear` default (what CleanRL's DQN uses): weight and bias uniform in
 * +-1/sqrt(fanIn) (kaiming_uniform with a = sqrt(5)). Weight in the tfjs layout [in][out].
 */
export function torchDefaultDense(
  inSize: number,
  outSize: number,
  rng: Rng,
): { weight: Float32Array; bias: Float32Array } {
  const bound = 1 / Math.sqrt(inSize);
  const weight = rng.fillUniform(new Float32Array(inSize * outSize), -bound, bound);
  const bias = rng.fillUniform(new Float32Array(outSize), -bound, bound);
  return { weight, bias };
}

/**
 * Fresh weights in QNetwork's naming: "torch" = PyTorch's default init (CleanRL's DQN),
 * "orthogonal" = QNetwork's own (gain sqrt(2) hidden, 1 output, zero biases).
 */
export function initialQWeights(
  config: QNetworkConfig,
  rng: Rng,
  init: QInit = "orthogonal",
): Record<string, FloatArray> {
  const hidden = config.body!.hidden!;
  const widths = [config.obsShape.reduce((a, b) => a * b, 1), ...hidden];
  const w: Record<string, FloatArray> = {};
  const layer = (prefix: string, inSize: number, outSize: number, gain: number) => {
    const l =
      init === "torch"
        ? torchDefaultDense(inSize, outSize, rng)
        : mlpLayers({ inSize, hidden: [], outSize, outGain: gain }, rng)[0]!;
    w[`${prefix}.weight`] = { data: l.weight, shape: [inSize, outSize] };
    w[`${prefix}.bias`] = { data: l.bias, shape: [outSize] };
  };
  const outs = config.dueling ? hidden : [...hidden, config.numActions];
  outs.forEach((outSize, k) => {
    layer(`net/fc${k}`, widths[k]!, outSize, k < hidden.length ? Math.SQRT2 : 1);
  });
  if (config.dueling) {
    const h = hidden[hidden.length - 1]!;
    layer("value/fc0", h, 1, 1);
    layer("advantage/fc0", h, config.numActions, 1);
  }
  return w;
}
