/**
 * What SAC and TD3 share: plain-array MLPs with PyTorch's default init, the critics' input rows
 * [obs, action], the backward of a dense stack down to its input (the actor's gradient through the
 * critics), squashed actions to env bounds, the deterministic policy spec (tanh head, then a
 * diagonal layer to the bounds), and the checkpoint layout of networks and replay buffers.
 */
import { ArtifactError } from "../core/errors.js";
import type { Rng } from "../core/rng.js";
import type { StoredTensor } from "../nn/checkpoint.js";
import { type Tensor2D, tf } from "../nn/index.js";
import type { DenseLayerSpec, ObsNormSpec, PolicySpec } from "../nn/spec.js";
import type { DenseStack, DenseTrace } from "./mlp-grad.js";
import { torchDefaultDense } from "./q-weights.js";
import { ReplayBuffer } from "./replay-buffer.js";

/** An MLP with ReLU hidden layers and a linear output, PyTorch's default init (CleanRL's SAC and TD3). */
export function mlp(inSize: number, hidden: readonly number[], outSize: number, rng: Rng): DenseLayerSpec[] {
  const widths = [inSize, ...hidden, outSize];
  return widths.slice(1).map((out, k) => {
    const { weight, bias } = torchDefaultDense(widths[k]!, out, rng);
    return {
      kind: "dense",
      inSize: widths[k]!,
      outSize: out,
      weight,
      bias,
      activation: k === hidden.length ? "linear" : "relu",
    };
  });
}

export function copyLayers(layers: readonly DenseLayerSpec[]): DenseLayerSpec[] {
  return layers.map((l) => ({ ...l, weight: l.weight.slice(), bias: l.bias.slice() }));
}

export function countParams(layers: readonly DenseLayerSpec[]): number {
  return layers.reduce((n, l) => n + l.weight.length + l.bias.length, 0);
}

/** Rows [obs_i, action_i] of the critics' input. */
export function concatRows(
  obs: Float32Array,
  actions: Float32Array,
  B: number,
  O: number,
  A: number,
): Float32Array {
  const x = new Float32Array(B * (O + A));
  for (let b = 0; b < B; b++) {
    x.set(obs.subarray(b * O, (b + 1) * O), b * (O + A));
    x.set(actions.subarray(b * A, (b + 1) * A), b * (O + A) + O);
  }
  return x;
}

/** dLoss/d(input) [B, in] of a dense stack given dLoss/dOut (mlp-grad.ts's backward, down to x). */
export function inputGradient(net: DenseStack, trace: DenseTrace, dOut: Tensor2D): Tensor2D {
  let dh = dOut;
  for (let i = net.activations.length - 1; i >= 0; i--) {
    const act = net.activations[i];
    const y = trace.outputs[i]!;
    const dz =
      act === "relu" ? tf.mul(dh, tf.step(y)) : act === "tanh" ? tf.mul(dh, tf.sub(1, tf.square(y))) : dh;
    dh = tf.matMul(dz, tf.transpose(net.vars[2 * i] as unknown as Tensor2D)) as Tensor2D;
  }
  return dh;
}

/** Squashed actions in [-1, 1] to the bounds [low, high] (per dimension, rows of `low.length`). */
export function toBounds(
  a: ArrayLike<number>,
  low: ArrayLike<number>,
  high: ArrayLike<number>,
  out = new Float32Array(a.length),
): Float32Array {
  const A = low.length;
  for (let i = 0; i < a.length; i++) out[i] = low[i % A]! + 0.5 * (a[i]! + 1) * (high[i % A]! - low[i % A]!);
  return out;
}

/**
 * The deterministic policy tanh(head(trunk(obs))) scaled to the bounds, as a spec: the actor's
 * layers with the head cut to its first A outputs and a tanh, then (unless the bounds are
 * [-1, 1]) a diagonal layer mapping [-1, 1] to [low, high].
 */
export function squashedPolicySpec(
  actor: readonly DenseLayerSpec[],
  obsShape: readonly number[],
  A: number,
  low: Float32Array,
  high: Float32Array,
  obsNorm?: ObsNormSpec,
): PolicySpec {
  const head = actor[actor.length - 1]!;
  const weight = new Float32Array(head.inSize * A);
  for (let r = 0; r < head.inSize; r++)
    for (let j = 0; j < A; j++) weight[r * A + j] = head.weight[r * head.outSize + j]!;
  const layers: DenseLayerSpec[] = [
    ...actor.slice(0, -1),
    {
      kind: "dense",
      inSize: head.inSize,
      outSize: A,
      weight,
      bias: head.bias.slice(0, A),
      activation: "tanh",
    },
  ];
  if (!low.every((v, i) => v === -1 && high[i] === 1)) {
    const scale = new Float32Array(A * A);
    for (let j = 0; j < A; j++) scale[j * A + j] = 0.5 * (high[j]! - low[j]!);
    const shift = Float32Array.from({ length: A }, (_, j) => 0.5 * (high[j]! + low[j]!));
    layers.push({ kind: "dense", inSize: A, outSize: A, weight: scale, bias: shift, activation: "linear" });
  }
  return {
    obsShape: [...obsShape],
    obsNorm,
    output: "mean",
    actionSize: A,
    layers,
    actionLow: low,
    actionHigh: high,
  };
}

/** Checkpoint tensors `<name>/fc<k>.weight|bias` of a network. */
export function layersToTensors(
  name: string,
  layers: readonly DenseLayerSpec[],
): Record<string, StoredTensor> {
  const out: Record<string, StoredTensor> = {};
  layers.forEach((l, k) => {
    out[`${name}/fc${k}.weight`] = { data: l.weight, shape: [l.inSize, l.outSize] };
    out[`${name}/fc${k}.bias`] = { data: l.bias, shape: [l.outSize] };
  });
  return out;
}

/** The network `name` from checkpoint tensors, shaped like `template`. */
export function layersFromTensors(
  name: string,
  template: readonly DenseLayerSpec[],
  t: Record<string, StoredTensor>,
): DenseLayerSpec[] {
  return template.map((l, k) => {
    const w = t[`${name}/fc${k}.weight`];
    const bias = t[`${name}/fc${k}.bias`];
    if (
      !(w?.data instanceof Float32Array) ||
      w.data.length !== l.weight.length ||
      !(bias?.data instanceof Float32Array) ||
      bias.data.length !== l.bias.length
    ) {
      throw new ArtifactError(`tensor ${name}/fc${k}: missing or not ${l.weight.length} float32 values`);
    }
    return { ...l, weight: w.data, bias: bias.data };
  });
}

export function replayToTensors(rb: ReplayBuffer): Record<string, StoredTensor> {
  return {
    "replay/obs": { data: rb.obs, shape: [rb.capacity, rb.obsSize] },
    "replay/nextObs": { data: rb.nextObs, shape: [rb.capacity, rb.obsSize] },
    "replay/actions": { data: rb.actions, shape: [rb.capacity, rb.actionSize] },
    "replay/rewards": { data: rb.rewards, shape: [rb.capacity] },
    "replay/terminated": { data: rb.terminated, shape: [rb.capacity] },
  };
}

/** The replay buffer saved by `replayToTensors`, or null when the artifact has none. */
export function replayFromTensors(
  t: Record<string, StoredTensor>,
  state: unknown,
  capacity: number,
  obsSize: number,
  actionSize: number,
): ReplayBuffer | null {
  if (!t["replay/obs"] || !state) return null;
  const rb = new ReplayBuffer(capacity, obsSize, actionSize);
  rb.obs.set(t["replay/obs"].data);
  rb.nextObs.set(t["replay/nextObs"]!.data);
  rb.actions.set(t["replay/actions"]!.data);
  rb.rewards.set(t["replay/rewards"]!.data);
  rb.terminated.set(t["replay/terminated"]!.data);
  rb.setState(state as { pos: number; count: number });
  return rb;
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}
