/**
 * PPO's actor and critic on src/nn's SIMD kernels, as one flat parameter vector trained by one
 * Adam: either two separate networks (CleanRL's ppo.py) or, with `shared`, one trunk and two
 * linear heads (CleanRL's ppo_atari.py: the image features are computed once for both, which
 * halves the cost of a CNN's gradient step).
 *
 *   const ac = new ActorCriticNets(actorLayers, criticLayers, logStd, { shared: true });
 *   const { out, value } = ac.forward(obs, batch);    // views, valid until the next forward
 *   ac.backward(dOut, dLogStd, dValue);               // ac.grad = dLoss/dParams
 *   ... clip, Adam on ac.group() ...; ac.paramsChanged();
 *   const { actor, critic, logStd } = ac.layers();    // plain specs (the trunk copied into both)
 *
 * Parameter order: separate [actor, logStd, critic] (the tfjs ActorCritic's variable order, so
 * Adam states saved before load here); shared [trunk, actor head, logStd, critic head].
 */
import { ConfigError } from "../core/errors.js";
import { KernelNet } from "../nn/kernels/net.js";
import { countParams, flattenParams, tensorSizes, unflattenParams } from "../nn/kernels/plan.js";
import type { ParamGroup } from "../nn/optim.js";
import type { LayerSpec } from "../nn/spec.js";

interface Part {
  net: KernelNet;
  template: LayerSpec[];
  offset: number;
}

export class ActorCriticNets {
  readonly shared: boolean;
  readonly values: Float32Array;
  readonly grad: Float32Array;
  readonly logStdOffset: number;
  private readonly logStdSize: number;
  private readonly sizes: number[];
  /** Separate: actor, critic. Shared: trunk, actor head, critic head. */
  private readonly parts: Part[];

  constructor(actor: LayerSpec[], critic: LayerSpec[], logStd: Float32Array, opts: { shared: boolean }) {
    this.shared = opts.shared;
    this.logStdSize = logStd.length;
    let templates: LayerSpec[][];
    if (this.shared) {
      const trunk = actor.slice(0, -1);
      const actorHead = actor.slice(-1);
      const criticHead = critic.slice(-1);
      if (trunk.length === 0 || actorHead[0]!.kind !== "dense" || criticHead[0]!.kind !== "dense")
        throw new ConfigError("sharedTrunk", "needs hidden layers and dense output layers");
      templates = [trunk, actorHead, criticHead];
    } else templates = [actor, critic];
    const [first, ...rest] = templates;
    let offset = 0;
    this.parts = [];
    const sizes: number[] = [];
    const place = (template: LayerSpec[], name: string) => {
      this.parts.push({ net: new KernelNet(template, name), template, offset });
      sizes.push(...tensorSizes(template));
      offset += countParams(template);
    };
    place(first!, this.shared ? "trunk" : "actor");
    if (this.shared) place(rest[0]!, "actor head");
    this.logStdOffset = offset;
    if (this.logStdSize > 0) sizes.push(this.logStdSize);
    offset += this.logStdSize;
    place(rest[rest.length - 1]!, this.shared ? "critic head" : "critic");
    this.sizes = sizes;
    this.values = new Float32Array(offset);
    this.grad = new Float32Array(offset);
    for (const p of this.parts) flattenParams(p.template, this.values, p.offset);
    this.values.set(logStd, this.logStdOffset);
    this.paramsChanged();
  }

  /** The values as one optimizer group (per-tensor sizes, for the saved Adam state). */
  group(): ParamGroup {
    return { values: this.values, grad: this.grad, sizes: this.sizes };
  }

  /** Reloads the kernels' weights from `values` (after an optimizer step). */
  paramsChanged(): void {
    for (const p of this.parts) p.net.setParams(this.values, p.offset);
  }

  /** The log std (a view of `values`; empty for discrete actions). */
  get logStd(): Float32Array {
    return this.values.subarray(this.logStdOffset, this.logStdOffset + this.logStdSize);
  }

  /** Policy outputs [batch, actions] and V(s) [batch] of `batch` observations (views). */
  forward(obs: ArrayLike<number>, batch: number): { out: Float32Array; value: Float32Array } {
    const [a, b, c] = this.parts;
    if (!this.shared) return { out: a!.net.forward(obs, batch), value: b!.net.forward(obs, batch) };
    const h = a!.net.forward(obs, batch);
    return { out: b!.net.forward(h, batch), value: c!.net.forward(h, batch) };
  }

  /** V(s) alone [batch] (separate networks skip the actor). */
  value(obs: ArrayLike<number>, batch: number): Float32Array {
    if (!this.shared) return this.parts[1]!.net.forward(obs, batch);
    return this.forward(obs, batch).value;
  }

  /** dLoss/dParams into `grad` from the gradients of the last forward's outputs. */
  backward(dOut: Float32Array, dLogStd: Float32Array, dValue: Float32Array): void {
    const [a, b, c] = this.parts;
    this.grad.set(dLogStd, this.logStdOffset);
    if (!this.shared) {
      a!.net.backward(dOut, this.grad, a!.offset);
      b!.net.backward(dValue, this.grad, b!.offset);
      return;
    }
    b!.net.backward(dOut, this.grad, b!.offset, { inputGrad: true });
    const dh = b!.net.inputGrad().slice();
    c!.net.backward(dValue, this.grad, c!.offset, { inputGrad: true });
    const dhValue = c!.net.inputGrad();
    for (let i = 0; i < dh.length; i++) dh[i] = dh[i]! + dhValue[i]!;
    a!.net.backward(dh, this.grad, a!.offset);
  }

  /** Plain layer specs of the current weights: actor and critic (a shared trunk is copied into both). */
  layers(): { actor: LayerSpec[]; critic: LayerSpec[]; logStd: Float32Array } {
    const read = (p: Part) => unflattenParams(p.template, this.values, p.offset);
    const logStd = this.logStd.slice();
    if (!this.shared) return { actor: read(this.parts[0]!), critic: read(this.parts[1]!), logStd };
    const trunk = read(this.parts[0]!);
    const copy = unflattenParams(this.parts[0]!.template, this.values, 0);
    return { actor: [...trunk, ...read(this.parts[1]!)], critic: [...copy, ...read(this.parts[2]!)], logStd };
  }
}
