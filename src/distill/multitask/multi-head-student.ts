/**
 * One student for several tasks: a shared trunk (conv and dense layers over the padded input of a
 * `TaskLayout`), one linear policy head per task of that task's action count, and optionally a
 * learned task embedding added to the first dense layer's pre-activation (equivalent to a one-hot
 * task input; it lets vector tasks padded into one input tell themselves apart). Rusu et al. 2016
 * (multi-task policy distillation) used a shared trunk with per-game output layers.
 *
 *   const s = new MultiHeadStudent({ layout, arch: parseArch("conv16x3,fc128"), rng });
 *   const outs = s.forward(input, n, [{ task: 0, start: 0, count: 64 }, { task: 3, start: 64, count: 64 }]);
 *   ... dOut[g] = dLoss/d(outs[g]) ...
 *   s.backward(dOut);                               // s.grad = dLoss/dParams
 *   const spec = s.specFor(3);                      // task 3's own deployable PolicySpec
 *
 * Parameters live in one flat array: the trunk [w0, b0, ...], then per task its head (weight,
 * bias) and its embedding, so adding a task (lifelong distillation) appends and leaves every
 * earlier offset in place. The forward and backward run on src/nn's SIMD kernels (`KernelNet`),
 * without the tape.
 *
 * `specFor(t)` folds task t's padding and embedding into an ordinary sequential PolicySpec: the
 * first layer keeps only the weights of the entries task t fills (the others read zeros), the
 * embedding is added to the first dense bias, and the task's observation normalisation is the
 * spec's. The result takes the env's own observations and runs in compileSpec, ONNX and the
 * standalone runtime like any student.
 */
import { ConfigError } from "../../core/errors.js";
import type { Rng } from "../../core/rng.js";
import { type Architecture, archLayers } from "../../nn/arch.js";
import { GAIN_POLICY } from "../../nn/init.js";
import { KernelNet } from "../../nn/kernels/net.js";
import {
  countParams,
  flattenParams,
  layerNames,
  tensorSizes,
  unflattenParams,
} from "../../nn/kernels/plan.js";
import type { ParamGroup } from "../../nn/optim.js";
import { mlpLayers } from "../../nn/sequential.js";
import type { Activation, DenseLayerSpec, LayerSpec, PolicySpec } from "../../nn/spec.js";
import type { TaskLayout, TaskShape } from "./layout.js";

export interface MultiHeadStudentOptions {
  layout: TaskLayout;
  /** The trunk: convolutions, then dense widths (at least one); each task's head follows its last layer. */
  arch: Architecture;
  /** Hidden activation. Default "relu" with convolutions, else "tanh". */
  activation?: Activation;
  /** A learned per-task vector added to the first dense layer's pre-activation. Default false. */
  taskEmbedding?: boolean;
  rng: Rng;
}

/** Rows [start, start + count) of a batch belong to `task`. */
export interface TaskGroup {
  task: number;
  start: number;
  count: number;
}

interface Head {
  net: KernelNet;
  template: DenseLayerSpec[];
  /** Offset of the head's weights in `values`; its embedding follows them. */
  offset: number;
  embOffset: number;
}

export class MultiHeadStudent {
  readonly arch: Architecture;
  readonly activation: Activation;
  readonly taskEmbedding: boolean;
  layout: TaskLayout;
  /** Every trainable number: trunk, then per task its head and embedding. */
  values: Float32Array;
  grad: Float32Array;
  readonly trunk: KernelNet;
  private readonly trunkTemplate: LayerSpec[];
  private readonly heads: Head[] = [];
  /** Name and width of the layer the embedding is added to (the first dense layer). */
  private readonly embLayer: string;
  private readonly embWidth: number;
  private readonly width: number;
  private rng: Rng;
  private stale = true;
  private lastGroups: TaskGroup[] = [];
  private lastBatch = 0;

  constructor(opts: MultiHeadStudentOptions) {
    this.arch = opts.arch;
    this.activation = opts.activation ?? (opts.arch.convs.length ? "relu" : "tanh");
    this.taskEmbedding = opts.taskEmbedding ?? false;
    this.layout = opts.layout;
    this.rng = opts.rng;
    if (opts.arch.hidden.length === 0)
      throw new ConfigError(
        "student",
        "a multi-task trunk needs at least one dense layer, e.g. conv16x3,fc128 or 64,64",
      );
    this.trunkTemplate = archLayers(
      opts.arch,
      opts.layout.inputShape,
      { activation: this.activation, outGain: 0, outSize: undefined },
      opts.rng,
    );
    this.trunk = new KernelNet(this.trunkTemplate, "student trunk");
    const names = layerNames(this.trunkTemplate);
    const first = this.trunkTemplate.findIndex((l) => l.kind === "dense");
    this.embLayer = names[first]!;
    this.embWidth = (this.trunkTemplate[first] as DenseLayerSpec).outSize;
    this.width = this.trunk.outSize;
    if (this.taskEmbedding) this.trunk.trackPreActivationGrad(this.embLayer);
    this.values = flattenParams(this.trunkTemplate);
    this.grad = new Float32Array(this.values.length);
    for (const t of opts.layout.tasks) this.appendHead(t);
  }

  /** Number of tasks (heads). */
  get tasks(): number {
    return this.heads.length;
  }

  /** Every parameter: trunk, heads and embeddings (what the student costs to store and train). */
  get params(): number {
    return this.values.length;
  }

  /** Parameters of task t's deployed policy (`specFor(t)`: its inputs only, one head, embedding folded). */
  taskParams(t: number): number {
    return countParams(this.specFor(t).layers);
  }

  private appendHead(task: TaskShape): void {
    const template = mlpLayers(
      { inSize: this.width, hidden: [], outSize: task.actions, outGain: GAIN_POLICY },
      this.rng,
    );
    const offset = this.values.length;
    const headSize = countParams(template);
    const embSize = this.taskEmbedding ? this.embWidth : 0;
    const grown = new Float32Array(offset + headSize + embSize);
    grown.set(this.values);
    flattenParams(template, grown, offset);
    this.values = grown;
    this.grad = new Float32Array(grown.length);
    this.heads.push({
      net: new KernelNet(template, `head ${task.name}`),
      template,
      offset,
      embOffset: offset + headSize,
    });
    this.stale = true;
  }

  /**
   * Adds heads for new tasks (lifelong distillation). `layout` must be the old one with the new
   * tasks appended (same input). The old values keep their offsets; rebuild the optimizer after.
   */
  addTasks(layout: TaskLayout, rng?: Rng): void {
    if (rng) this.rng = rng;
    if (layout.inputSize !== this.layout.inputSize || layout.tasks.length < this.layout.tasks.length)
      throw new ConfigError("teacher", "new tasks must keep the student's input and add to its task list");
    const added = layout.tasks.slice(this.heads.length);
    this.layout = layout;
    for (const t of added) this.appendHead(t);
  }

  /** The values as one optimizer group. */
  paramGroup(): ParamGroup {
    const sizes = [...tensorSizes(this.trunkTemplate)];
    for (const h of this.heads) {
      sizes.push(...tensorSizes(h.template));
      if (this.taskEmbedding) sizes.push(this.embWidth);
    }
    return { values: this.values, grad: this.grad, sizes };
  }

  /** Call after changing `values` (an optimizer step). */
  paramsChanged(): void {
    this.stale = true;
  }

  private load(): void {
    if (!this.stale) return;
    this.trunk.setParams(this.values, 0);
    for (const h of this.heads) h.net.setParams(this.values, h.offset);
    this.stale = false;
  }

  private checkGroups(groups: readonly TaskGroup[], n: number): void {
    const seen = new Set<number>();
    let next = 0;
    for (const g of groups) {
      if (!(g.task >= 0 && g.task < this.heads.length))
        throw new ConfigError("task", `task id ${g.task} is not in [0, ${this.heads.length})`);
      if (seen.has(g.task)) throw new ConfigError("task", `task ${g.task} appears twice in one batch`);
      if (g.start !== next || g.count < 1)
        throw new ConfigError("task", "groups must be contiguous, non-empty and in row order");
      seen.add(g.task);
      next += g.count;
    }
    if (next !== n) throw new ConfigError("task", `groups cover ${next} rows of ${n}`);
  }

  /**
   * Policy outputs (logits) of `n` input rows, grouped by task (contiguous, each task at most
   * once): one array [count, actions of the task] per group.
   */
  forward(input: ArrayLike<number>, n: number, groups: readonly TaskGroup[]): Float32Array[] {
    this.checkGroups(groups, n);
    this.load();
    const opts = this.taskEmbedding
      ? { addBeforeActivation: { [this.embLayer]: this.embeddingRows(groups, n) } }
      : {};
    const h = this.trunk.forward(input, n, opts);
    const w = this.width;
    this.lastGroups = groups.map((g) => ({ ...g }));
    this.lastBatch = n;
    return groups.map((g) =>
      this.heads[g.task]!.net.forward(h.subarray(g.start * w, (g.start + g.count) * w), g.count).slice(),
    );
  }

  private embeddingRows(groups: readonly TaskGroup[], n: number): Float32Array {
    const e = this.embWidth;
    const rows = new Float32Array(n * e);
    for (const g of groups) {
      const emb = this.values.subarray(this.heads[g.task]!.embOffset, this.heads[g.task]!.embOffset + e);
      for (let r = 0; r < g.count; r++) rows.set(emb, (g.start + r) * e);
    }
    return rows;
  }

  /** Fills `grad` with dLoss/dParams from dLoss/d(outputs) of the last forward, one array per group. */
  backward(dOut: readonly Float32Array[]): void {
    const groups = this.lastGroups;
    if (this.lastBatch === 0) throw new ConfigError("backward", "needs a forward first");
    if (dOut.length !== groups.length)
      throw new ConfigError("backward", `expected ${groups.length} gradients, got ${dOut.length}`);
    this.grad.fill(0);
    const w = this.width;
    const dH = new Float32Array(this.lastBatch * w);
    groups.forEach((g, i) => {
      const head = this.heads[g.task]!;
      head.net.backward(dOut[i]!, this.grad, head.offset, { inputGrad: true });
      dH.set(head.net.inputGrad(), g.start * w);
    });
    this.trunk.backward(dH, this.grad, 0);
    if (!this.taskEmbedding) return;
    const e = this.embWidth;
    const dPre = this.trunk.preActivationGrad(this.embLayer);
    for (const g of groups) {
      const at = this.heads[g.task]!.embOffset;
      for (let r = g.start; r < g.start + g.count; r++)
        for (let j = 0; j < e; j++) this.grad[at + j] = this.grad[at + j]! + dPre[r * e + j]!;
    }
  }

  /** Task t's deployable policy over the env's own observations (padding and embedding folded away). */
  specFor(t: number): PolicySpec {
    const task = this.layout.task(t);
    const head = this.heads[t]!;
    const layers = unflattenParams(this.trunkTemplate, this.values, 0);
    const firstIdx = layers.findIndex((l) => l.kind !== "flatten");
    const first = layers[firstIdx]!;
    const index = this.layout.inputIndex(t);
    if (first.kind === "conv2d") {
      // HWIO weights: keep the task's own channels (the first c of each kernel position).
      const c = task.obsShape[2]!;
      const C = first.inShape[2];
      const k2 = first.kernelSize * first.kernelSize;
      const o = first.outChannels;
      const weight = new Float32Array(k2 * c * o);
      for (let p = 0; p < k2; p++) weight.set(first.weight.subarray(p * C * o, p * C * o + c * o), p * c * o);
      layers[firstIdx] = { ...first, inShape: [first.inShape[0], first.inShape[1], c], weight };
    } else if (first.kind === "dense") {
      const o = first.outSize;
      const weight = new Float32Array(index.length * o);
      index.forEach((src, i) => {
        weight.set(first.weight.subarray(src * o, (src + 1) * o), i * o);
      });
      layers[firstIdx] = { ...first, inSize: index.length, weight };
    }
    if (this.taskEmbedding) {
      const d = layers.findIndex((l) => l.kind === "dense");
      const l = layers[d] as DenseLayerSpec;
      const bias = l.bias.slice();
      for (let j = 0; j < bias.length; j++) bias[j] = bias[j]! + this.values[head.embOffset + j]!;
      layers[d] = { ...l, bias };
    }
    layers.push(...unflattenParams(head.template, this.values, head.offset));
    const spec: PolicySpec = {
      obsShape: [...task.obsShape],
      output: "logits",
      actionSize: task.actions,
      layers,
    };
    if (task.obsNorm) spec.obsNorm = task.obsNorm;
    return spec;
  }

  /** Offsets of every task's parameters (head and embedding) in `values`: [start, end) per task. */
  taskRanges(): Array<[number, number]> {
    return this.heads.map((h, i) => [h.offset, this.heads[i + 1]?.offset ?? this.values.length]);
  }

  /** Numbers of the shared trunk (values[0, trunkSize)). */
  get trunkSize(): number {
    return countParams(this.trunkTemplate);
  }

  /** Replaces the values (a checkpoint of the same architecture and tasks). */
  loadValues(values: Float32Array): void {
    if (values.length !== this.values.length)
      throw new ConfigError(
        "student",
        `the checkpoint has ${values.length} parameters, this student ${this.values.length}`,
      );
    this.values.set(values);
    this.stale = true;
  }
}
