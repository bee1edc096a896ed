/**
 * What SAC and TD3 share: plain-array MLPs with PyTorch's default init, `DenseNets` (networks on
 * src/nn's SIMD kernels with one flat parameter vector, Polyak targets and the gradient down to a
 * critic's input), the critics' input rows [obs, action], squashed actions to env bounds, the
 * deterministic policy spec (tanh head, then a diagonal layer to the bounds), and the checkpoint
 * layout of networks and replay buffers.
 */
import { ArtifactError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import type { LoadedArtifact } from "../nn/artifact-format.js";
import type { StoredTensor } from "../nn/checkpoint.js";
import { KernelNet } from "../nn/kernels/net.js";
import { countParams, flattenParams, tensorSizes, unflattenParams } from "../nn/kernels/plan.js";
import type { ParamGroup } from "../nn/optim.js";
import type { DenseLayerSpec, ObsNormSpec, PolicySpec } from "../nn/spec.js";
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

/**
 * Dense networks on the SIMD kernels (`KernelNet`) sharing one flat parameter vector and gradient,
 * so one `ArrayAdam` group trains them all: SAC's and TD3's twin critics are one `DenseNets` of two
 * networks, the actor one of one. Tensors are ordered w0, b0, w1, ... network after network, the
 * order of the tfjs variables these networks had before, so saved optimizer states still load.
 *
 *   const critics = new DenseNets([q1Layers, q2Layers]);
 *   const q1 = critics.forward(0, sa, B);              // a view, valid until network 0's next forward
 *   critics.backward(0, dQ1);                          // critics.grad (network 0's part) = dLoss/dParams
 *   opt.apply(); critics.paramsChanged();              // opt = new ArrayAdam([critics.group()])
 *   const dSa = critics.inputGrad(1, dQ2);             // dLoss/d[obs, action] of network 1 only
 *   targets.blendFrom(critics, 0.005);                 // targets = critics.copy(): Polyak
 */
export class DenseNets {
  readonly values: Float32Array;
  readonly grad: Float32Array;
  private readonly nets: KernelNet[];
  private readonly offsets: number[];
  private readonly templates: DenseLayerSpec[][];

  constructor(layers: readonly (readonly DenseLayerSpec[])[]) {
    this.templates = layers.map((l) => [...l]);
    this.offsets = [];
    let n = 0;
    for (const t of this.templates) {
      this.offsets.push(n);
      n += countParams(t);
    }
    this.values = new Float32Array(n);
    this.grad = new Float32Array(n);
    for (const [i, t] of this.templates.entries()) flattenParams(t, this.values, this.offsets[i]);
    this.nets = this.templates.map((t) => new KernelNet(t));
  }

  /** The parameters as one optimizer group, split per tensor (w0, b0, ...) for the saved moments. */
  group(): ParamGroup {
    return { values: this.values, grad: this.grad, sizes: this.templates.flatMap((t) => tensorSizes(t)) };
  }

  /** Reloads the kernels' weights from `values` (after an optimizer step or a Polyak update). */
  paramsChanged(): void {
    for (const [i, net] of this.nets.entries()) net.setParams(this.values, this.offsets[i]!);
  }

  /** Network i's output for `batch` rows of `x` (a view into its workspace). */
  forward(i: number, x: ArrayLike<number>, batch: number): Float32Array {
    return this.nets[i]!.forward(x, batch);
  }

  /** dLoss/dParams of network i (its part of `grad`) from dLoss/dOut of its last forward. */
  backward(i: number, dOut: ArrayLike<number>): void {
    this.nets[i]!.backward(dOut, this.grad, this.offsets[i]!);
  }

  /** dLoss/dInput [batch, in] of network i's last forward, without its parameter gradients (a copy). */
  inputGrad(i: number, dOut: ArrayLike<number>): Float32Array {
    const net = this.nets[i]!;
    net.backward(dOut, this.grad, 0, { inputGrad: true, paramGrads: false });
    return net.inputGrad().slice();
  }

  /** Network i's current weights as layer specs (copies). */
  layers(i: number): DenseLayerSpec[] {
    return unflattenParams(this.templates[i]!, this.values, this.offsets[i]) as DenseLayerSpec[];
  }

  /** Networks of the same shapes holding a copy of these weights (target networks). */
  copy(): DenseNets {
    return new DenseNets(this.templates.map((_, i) => this.layers(i)));
  }

  /** Polyak averaging, as SB3's polyak_update: this <- (1 - tau) this + tau source. */
  blendFrom(source: DenseNets, tau: number): void {
    const t = this.values;
    const v = source.values;
    if (v.length !== t.length)
      throw new ArtifactError(`Polyak update between ${v.length} and ${t.length} parameters`);
    for (let i = 0; i < t.length; i++) t[i] = t[i]! * (1 - tau) + tau * v[i]!;
    this.paramsChanged();
  }
}

/** The twin critics' and their targets' current weights (copies), as SAC and TD3 store them. */
export function criticLayers(
  critics: DenseNets,
  targets: DenseNets,
): Record<"q1" | "q2" | "q1Target" | "q2Target", DenseLayerSpec[]> {
  return {
    q1: critics.layers(0),
    q2: critics.layers(1),
    q1Target: targets.layers(0),
    q2Target: targets.layers(1),
  };
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

/**
 * The twin critics (q1, q2) of a saved SAC or TD3 agent: ReLU MLPs of the recorded hiddenSizes
 * on rows [obs, action in [-1, 1]] (observations normalised first when the agent normalised
 * them). Throws an ArtifactError when the artifact records no hiddenSizes or lacks the tensors.
 */
export function savedCriticLayers(a: LoadedArtifact, inSize: number): [DenseLayerSpec[], DenseLayerSpec[]] {
  const hidden = (a.config as { hiddenSizes?: number[] } | undefined)?.hiddenSizes;
  if (!Array.isArray(hidden))
    throw new ArtifactError(`a ${a.kind} artifact that does not record its hiddenSizes`);
  // Only the shapes matter: the weights are replaced by the saved ones.
  const template = mlp(inSize, hidden, 1, new Rng(0));
  return [layersFromTensors("q1", template, a.tensors), layersFromTensors("q2", template, a.tensors)];
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
