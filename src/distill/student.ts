/**
 * The student: a small policy network (dense, or conv layers then dense) trained by a distiller
 * without the gradient tape, with an optional value head and, for Gaussian students, a
 * state-independent log std.
 *
 *   const s = new Student({ obsSize: 4, actionSpace, hidden: [32, 32], output: "logits", rng });
 *   const { out, value } = s.forward(obs, batch);     // views [batch, actions], [batch, width]
 *   ... dOut = dLoss/dOut (a registry loss's array form) ...
 *   s.backward(batch, { out: dOut });                 // s.grad = dLoss/dParams
 *   opt = new ArrayAdam([s.paramGroup()], { lr });    // then opt.apply(); s.paramsChanged();
 *   const policy = s.policy();                        // synchronous snapshot for acting
 *   const spec = s.toSpec();                          // PolicySpec for checkpoints/ONNX
 *
 * The weights live in one flat Float32Array (`values`): the policy layers [w0, b0, w1, b1, ...],
 * then the log std, then the value head's layers, the order of the tfjs variables they replace;
 * the forward and backward run on src/nn's SIMD kernels (KernelNet). Convolutional students
 * (`convs`, with `obsShape` [h, w, c]) take uint8 or float observations (MinAtar).
 *
 * Observation normalisation is copied (frozen) from the teacher when it has one, so both see the
 * same inputs.
 *
 * Quantization-aware distillation (`s.fakeQuant = true`, set by the loop from cfg.quantizeAware):
 * the forward multiplies with the int8 grid of the weights (symmetric, per output channel), as
 * `quantizeSpec` exports them, and the gradient passes straight through to the float weights
 * (Bengio et al. 2013); `toSpec` / `policy` give the int8-grid weights, so the student that acts,
 * is evaluated and is saved is exactly the one `rldistill export --quantize int8` ships.
 */
import { ConfigError } from "../core/errors.js";
import type { Rng } from "../core/rng.js";
import { type AnySpace, Box, Discrete } from "../core/spaces.js";
import { dequantizeSpec, quantizeSpec } from "../deploy/quantize.js";
import { checkHidden } from "../nn/arch.js";
import { type CompiledPolicy, compileSpec } from "../nn/fast.js";
import { GAIN_POLICY, GAIN_VALUE } from "../nn/init.js";
import { type ForwardOptions, KernelNet } from "../nn/kernels/net.js";
import {
  countParams,
  flattenParams,
  hiddenActivations,
  tensorSizes,
  unflattenParams,
} from "../nn/kernels/plan.js";
import { compileObsNorm, type ObsNormalizer } from "../nn/obs-norm.js";
import type { ParamGroup } from "../nn/optim.js";
import { type ConvConfig, cnnLayers, mlpLayers } from "../nn/sequential.js";
import type { Activation, LayerSpec, ObsNormSpec, PolicySpec } from "../nn/spec.js";

export { checkHidden } from "../nn/arch.js";

export type StudentOutput = PolicySpec["output"];

export interface StudentOptions {
  obsSize: number;
  /** One observation's shape. Default [obsSize]; conv students need [height, width, channels]. */
  obsShape?: readonly number[];
  actionSpace: AnySpace;
  /** Dense hidden widths (after the convolutions, if any), each >= 1; at least one without convs. */
  hidden: readonly number[];
  /** Convolutions before the dense layers (NHWC, then a flatten), e.g. [{ channels: 16, kernelSize: 3 }]. */
  convs?: readonly ConvConfig[];
  activation?: Activation;
  /** logits (policy), q (Q-values, acts by argmax) or mean (Gaussian). */
  output: StudentOutput;
  /** Width of a separate value head (1 for V(s), the action count for Q(s, .)); 0 = none. */
  valueWidth?: number;
  /** Dense hidden widths of the value head (after the same convolutions). Default: the policy's. */
  valueHidden?: readonly number[];
  /** Initial log std of a Gaussian student. Default 0. */
  initLogStd?: number;
  obsNorm?: ObsNormSpec;
  rng: Rng;
}

/** What `forward` gives: views into the kernels' buffers, valid until the next forward. */
export interface StudentForward {
  /** [batch, actionSize]: logits, Q-values or Gaussian means. */
  out: Float32Array;
  /** [batch, valueWidth], with a value head. */
  value?: Float32Array;
}

/** dLoss/d(what forward gave), for `backward`; anything left out has zero gradient. */
export interface StudentGrads {
  /** [batch, actionSize]. */
  out?: Float32Array;
  /** [batch, valueWidth]. */
  value?: Float32Array;
  /** dLoss/dLogStd, [actionSize] or per row [batch, actionSize] (summed). */
  logStd?: Float32Array;
  /** dLoss/d(hidden activation) by layer name, [batch, size] (feature losses). */
  hidden?: Record<string, Float32Array>;
}

export class Student {
  readonly obsSize: number;
  readonly obsShape: number[];
  readonly actionSpace: AnySpace;
  readonly actionSize: number;
  readonly output: StudentOutput;
  readonly hidden: number[];
  readonly convs: ConvConfig[];
  readonly obsNorm?: ObsNormSpec;
  readonly activation: Activation;
  /** All trainable values (policy layers, log std, value layers) and their gradient. */
  readonly values: Float32Array;
  readonly grad: Float32Array;
  /** The policy network (its weights are loaded from `values` before each forward that needs them). */
  readonly net: KernelNet;
  readonly valueNet?: KernelNet;
  private readonly layers: LayerSpec[];
  private readonly valueLayers?: LayerSpec[];
  private readonly logStdOffset: number;
  private readonly valueOffset: number;
  private readonly norm?: ObsNormalizer;
  private normBuf = new Float32Array(0);
  private stale = true;
  private quantized = false;
  private lastBatch = 0;

  constructor(opts: StudentOptions) {
    this.convs = [...(opts.convs ?? [])];
    this.hidden = checkHidden("student", opts.hidden, this.convs.length > 0);
    this.obsSize = opts.obsSize;
    this.obsShape = [...(opts.obsShape ?? [opts.obsSize])];
    if (this.obsShape.reduce((a, b) => a * b, 1) !== opts.obsSize) {
      throw new ConfigError("obsShape", `[${this.obsShape}] does not hold ${opts.obsSize} numbers`);
    }
    if (this.convs.length && this.obsShape.length !== 3) {
      throw new ConfigError(
        "obsShape",
        `conv layers need observations [height, width, channels], got [${this.obsShape}]`,
      );
    }
    this.actionSpace = opts.actionSpace;
    this.output = opts.output;
    if (opts.actionSpace instanceof Discrete) {
      if (opts.output === "mean")
        throw new ConfigError("student", "a Gaussian student cannot act in a Discrete space");
      this.actionSize = opts.actionSpace.n;
    } else if (opts.actionSpace instanceof Box) {
      if (opts.output !== "mean")
        throw new ConfigError("student", `a ${opts.output} student cannot act in a Box space`);
      this.actionSize = opts.actionSpace.size;
    } else throw new ConfigError("actionSpace", `allowed: Discrete, Box; got ${opts.actionSpace.toString()}`);
    this.obsNorm = opts.obsNorm;
    this.activation = opts.activation ?? "tanh";
    // Output gain 0.01 (CleanRL): a near-uniform initial policy, so early KL gradients are tame.
    this.layers = this.build(this.hidden, this.actionSize, GAIN_POLICY, opts.rng);
    const logStdSize = opts.output === "mean" ? this.actionSize : 0;
    if (opts.valueWidth) {
      const valueHidden = checkHidden("valueHidden", opts.valueHidden ?? this.hidden, this.convs.length > 0);
      this.valueLayers = this.build(valueHidden, opts.valueWidth, GAIN_VALUE, opts.rng);
    }
    this.logStdOffset = countParams(this.layers);
    this.valueOffset = this.logStdOffset + logStdSize;
    this.values = new Float32Array(this.valueOffset + (this.valueLayers ? countParams(this.valueLayers) : 0));
    this.grad = new Float32Array(this.values.length);
    flattenParams(this.layers, this.values, 0);
    this.values.fill(opts.initLogStd ?? 0, this.logStdOffset, this.valueOffset);
    if (this.valueLayers) flattenParams(this.valueLayers, this.values, this.valueOffset);
    this.net = new KernelNet(this.layers, "student");
    if (this.valueLayers) this.valueNet = new KernelNet(this.valueLayers, "student value");
    if (opts.obsNorm) this.norm = compileObsNorm(opts.obsNorm, this.obsSize);
  }

  private build(hidden: readonly number[], outSize: number, outGain: number, rng: Rng): LayerSpec[] {
    if (this.convs.length === 0) {
      return mlpLayers(
        { inSize: this.obsSize, hidden: [...hidden], outSize, activation: this.activation, outGain },
        rng,
      );
    }
    return cnnLayers(
      {
        inShape: this.obsShape as [number, number, number],
        convs: this.convs,
        hidden: [...hidden],
        outSize,
        activation: this.activation,
        outGain,
      },
      rng,
    );
  }

  /** Quantization-aware training: int8-grid weights in forward, toSpec and policy. */
  get fakeQuant(): boolean {
    return this.quantized;
  }

  set fakeQuant(on: boolean) {
    if (on !== this.quantized) this.stale = true;
    this.quantized = on;
  }

  /** The trainable values as one optimizer group (tensor sizes in the tfjs variables' order). */
  paramGroup(): ParamGroup {
    const sizes = [...tensorSizes(this.layers)];
    if (this.valueOffset > this.logStdOffset) sizes.push(this.valueOffset - this.logStdOffset);
    if (this.valueLayers) sizes.push(...tensorSizes(this.valueLayers));
    return { values: this.values, grad: this.grad, sizes };
  }

  /**
   * Starts from given weights (a previous student of the same architecture): the policy layers
   * and, for Gaussian students, the log std. ConfigError naming the first mismatch.
   */
  loadWeights(layers: readonly LayerSpec[], logStd?: Float32Array): void {
    if (layers.length !== this.layers.length) {
      throw new ConfigError("layers", `has ${layers.length} layers, this student has ${this.layers.length}`);
    }
    layers.forEach((given, i) => {
      const own = this.layers[i]!;
      if (given.kind !== own.kind)
        throw new ConfigError(`layers[${i}].kind`, `is ${given.kind}, expected ${own.kind}`);
      if (given.kind === "flatten" || own.kind === "flatten") return;
      if (given.weight.length !== own.weight.length || given.bias.length !== own.bias.length) {
        throw new ConfigError(
          `layers[${i}].weight`,
          `has ${given.weight.length} weights and ${given.bias.length} biases, expected ${own.weight.length} and ${own.bias.length}`,
        );
      }
    });
    flattenParams(layers, this.values, 0);
    if (logStd && this.output === "mean") {
      if (logStd.length !== this.actionSize)
        throw new ConfigError("logStd", `expected ${this.actionSize} values`);
      this.values.set(logStd, this.logStdOffset);
    }
    this.stale = true;
  }

  /**
   * The weights the forward multiplies with (under QAT the int8 grid, what gradients are taken
   * through), as layer specs of the policy and of the value head.
   */
  forwardLayers(): { layers: LayerSpec[]; valueLayers?: LayerSpec[] } {
    this.load();
    const read = (net: KernelNet, template: readonly LayerSpec[]) => {
      const flat = new Float32Array(net.paramCount);
      net.getParams(flat, 0);
      return unflattenParams(template, flat, 0);
    };
    return {
      layers: read(this.net, this.layers),
      valueLayers: this.valueNet ? read(this.valueNet, this.valueLayers!) : undefined,
    };
  }

  /** Call after changing `values` (an optimizer step): the next forward reloads the weights. */
  paramsChanged(): void {
    this.stale = true;
  }

  /** Parameters used to act (the deployed network and log std; the value head is not counted). */
  get params(): number {
    return this.valueOffset;
  }

  /** The state-independent log std (a view of `values`; empty unless Gaussian). */
  get logStd(): Float32Array {
    return this.values.subarray(this.logStdOffset, this.valueOffset);
  }

  /** Names, sizes (numbers per sample) and shapes ([width] or [h, w, channels]) of the hidden activations (conv0, ..., fc0, ...). */
  hiddenInfo(): Array<{ name: string; size: number; shape: number[] }> {
    return hiddenActivations(this.net.plan).map(({ name, size, shape }) => ({ name, size, shape }));
  }

  /** The observations as the networks see them (normalised into a reused buffer when the teacher's statistics were copied). */
  input(obs: ArrayLike<number>, batch: number): ArrayLike<number> {
    if (!this.norm) return obs;
    const n = batch * this.obsSize;
    if (this.normBuf.length < n) this.normBuf = new Float32Array(n);
    this.norm(obs, this.normBuf, n);
    return this.normBuf;
  }

  /** Loads the weights the forward uses (the int8 grid under QAT) into the kernels. */
  private load(): void {
    if (!this.stale) return;
    if (this.quantized) {
      this.net.setParams(this.quantizedValues(this.layers, 0), 0);
      this.valueNet?.setParams(this.quantizedValues(this.valueLayers!, this.valueOffset), 0);
    } else {
      this.net.setParams(this.values, 0);
      this.valueNet?.setParams(this.values, this.valueOffset);
    }
    this.stale = false;
  }

  /** A stack's weights on quantizeSpec's int8 grid (biases unchanged), flat in layer order. */
  private quantizedValues(template: readonly LayerSpec[], offset: number): Float32Array {
    const layers = unflattenParams(template, this.values, offset);
    const outSize = layers.reduce((n, l) => (l.kind === "dense" ? l.outSize : n), 0);
    const grid = dequantizeSpec(
      quantizeSpec({ obsShape: [...this.obsShape], output: "q", actionSize: outSize, layers }),
    );
    return flattenParams(grid.layers);
  }

  /**
   * Policy (and value) outputs of `batch` raw observations, keeping what `backward` needs.
   * `opts` reaches the policy network (extra pre-activation input of a layer, by name).
   */
  forward(obs: ArrayLike<number>, batch: number, opts: ForwardOptions = {}): StudentForward {
    this.load();
    const x = this.input(obs, batch);
    this.lastBatch = batch;
    const res: StudentForward = { out: this.net.forward(x, batch, opts) };
    if (this.valueNet) res.value = this.valueNet.forward(x, batch);
    return res;
  }

  /** A hidden activation of the last forward, [batch, size] (a view). */
  hiddenActivation(name: string): Float32Array {
    return this.net.activation(name);
  }

  /** The log std as [batch, actionSize] rows (Gaussian students), for the Gaussian losses. */
  logStdRows(batch: number): Float32Array {
    if (this.output !== "mean") throw new ConfigError("student", "has no log std (not a Gaussian student)");
    const k = this.actionSize;
    const rows = new Float32Array(batch * k);
    for (let r = 0; r < batch; r++) rows.set(this.logStd, r * k);
    return rows;
  }

  /** Fills `grad` with dLoss/dParams from the gradients of the last forward's outputs. */
  backward(g: StudentGrads): void {
    const batch = this.lastBatch;
    if (batch === 0) throw new ConfigError("backward", "needs a forward first");
    this.grad.fill(0);
    const k = this.actionSize;
    this.net.backward(g.out ?? new Float32Array(batch * k), this.grad, 0, { hiddenGrads: g.hidden });
    if (g.logStd) {
      if (this.output !== "mean") throw new ConfigError("student", "has no log std (not a Gaussian student)");
      for (let i = 0; i < g.logStd.length; i++) {
        const j = this.logStdOffset + (i % k);
        this.grad[j] = this.grad[j]! + g.logStd[i]!;
      }
    }
    if (this.valueNet) {
      const width = this.valueNet.outSize;
      this.valueNet.backward(g.value ?? new Float32Array(batch * width), this.grad, this.valueOffset);
    } else if (g.value) throw new ConfigError("student", "has no value head");
  }

  private valueLayersFrom(): LayerSpec[] {
    return unflattenParams(this.valueLayers!, this.values, this.valueOffset);
  }

  /** The float network (no quantization) with the current weights. */
  private floatSpec(): PolicySpec {
    const spec: PolicySpec = {
      obsShape: [...this.obsShape],
      output: this.output,
      actionSize: this.actionSize,
      layers: unflattenParams(this.layers, this.values, 0),
    };
    if (this.obsNorm) spec.obsNorm = this.obsNorm;
    if (this.output === "mean") {
      spec.logStd = this.logStd.slice();
      const box = this.actionSpace as Box;
      spec.actionLow = Float32Array.from(box.low);
      spec.actionHigh = Float32Array.from(box.high);
    }
    if (this.valueLayers) spec.valueLayers = this.valueLayersFrom();
    return spec;
  }

  /** The deployable network (under QAT: int8-grid weights, exactly what quantizeSpec exports). */
  toSpec(): PolicySpec {
    const spec = this.floatSpec();
    // A PolicySpec's value head is V(s); a Q-shaped head (distilled Q(s, .)) is not exported.
    if (spec.valueLayers && this.valueNet!.outSize !== 1) delete spec.valueLayers;
    return this.quantized ? dequantizeSpec(quantizeSpec(spec)) : spec;
  }

  /** A synchronous snapshot of the current weights (src/nn's compiled forward), for acting and evaluation. */
  policy(): CompiledPolicy {
    return compileSpec(this.toSpec());
  }

  dispose(): void {
    // Plain arrays and WebAssembly memory: the garbage collector frees them.
  }
}
