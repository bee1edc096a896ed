/**
 * A layer stack on the float32 SIMD kernels: the batched forward (keeping every activation) and
 * the backward that turns dLoss/dOutput into the gradients of all weights and biases, without a
 * gradient tape. This is the training path of PPO, DQN and every distillation method, and the
 * batched inference path of teachers without onnxruntime.
 *
 *   const net = new KernelNet(layers);           // LayerSpec[] (dense, conv2d, flatten)
 *   net.setParams(flat, 0);                      // weights and biases [w0, b0, w1, b1, ...]
 *   const out = net.forward(obs, batch);         // a view, valid until the next call
 *   ... dOut = dLoss/dOut, [batch, outSize] ...
 *   net.backward(dOut, grad, 0);                 // grad[0 .. net.paramCount) = dLoss/dParams
 *
 * The parameter order is `Sequential`'s (`fc0.weight`, `fc0.bias`, ...), so a flat vector and
 * Adam moments line up with the tfjs variables and with saved optimizer states. The math is the
 * plan's (plan.ts): dense Z = X W + b; conv Z = im2col(X) W + b; Y = act(Z). Backward: dZ =
 * dY act'(Y); dW = X^T dZ; db = sum over rows of dZ; dX = dZ W^T (conv: col2im of dZ W^T).
 * Hidden layers can receive extra gradient (feature losses) and extra pre-activation input (a
 * residual adapter); both are by layer name.
 */
import { ConfigError } from "../../core/errors.js";
import type { LayerSpec } from "../spec.js";
import { type ConvStep, flattenParams, type Plan, planLayers, type Step } from "./plan.js";
import { type CompressedRows, type PatchGeometry, SimdWorkspace } from "./simd.js";

/**
 * The first layer treats its input (or, for a conv, its patch matrix) as a sparse matrix when its
 * rows are at least SPARSE_MIN_WIDTH long and at most SPARSE_MAX_DENSITY of it is non-zero: 0/1
 * image observations (MinAtar: 1-8% ones) then cost in proportion to their ones, in the forward
 * and the weight gradient. Measured (bench/nn.ts, "sparse first layer"): 256 x 400 x 64 at 8%
 * ones, forward 195 instead of 334 us and weight gradient 198 instead of 389; break-even near
 * 15%; 36-wide conv patches lose at every density (too little work per row), so they stay dense.
 */
export const SPARSE_MAX_DENSITY = 0.12;
export const SPARSE_MIN_WIDTH = 64;

interface StepBuffers {
  /** Offsets in the workspace (floats). */
  weight: number;
  bias: number;
  /** W^T, for dX = dZ W^T; refreshed from `weight` when needed (`transposed` false after setParams). */
  weightT: number;
  transposed: boolean;
  gradWeight: number;
  gradBias: number;
  weightSize: number;
  biasSize: number;
  /** Per-batch buffers: the activation Y [batch, outSize]; conv: the patch matrix and its gradient. */
  out: number;
  patches: number;
  dPatches: number;
}

export interface ForwardOptions {
  /** Added to a layer's pre-activation (X W + b) before its activation, [batch, outSize], by layer name. */
  addBeforeActivation?: Record<string, ArrayLike<number>>;
}

export interface BackwardOptions {
  /** Extra dLoss/dActivation for hidden layers, [batch, size], by layer name (feature losses). */
  hiddenGrads?: Record<string, ArrayLike<number>>;
  /** Also compute dLoss/dInput (see `inputGrad`). Default false. */
  inputGrad?: boolean;
  /**
   * Compute the weight and bias gradients (default true). False with `inputGrad: true` gives only
   * dLoss/dInput, at about half the cost, and leaves `grad` untouched (an actor's gradient through a
   * critic's action input, SAC and TD3).
   */
  paramGrads?: boolean;
}

export class KernelNet {
  readonly plan: Plan;
  /** Number of weights and biases. */
  readonly paramCount: number;
  private readonly ws = new SimdWorkspace();
  private readonly bufs: StepBuffers[];
  private capacity = 0;
  private input = 0;
  /** Two gradient buffers the backward alternates between, each [capacity, widest]. */
  private gradA = 0;
  private gradB = 0;
  private dInput = -1;
  private readonly widest: number;
  private batch = 0;
  /** Per named layer: the gradient of its pre-activation from the last backward (only when asked). */
  private readonly preActGrad = new Map<string, Float32Array>();
  /** The first layer's input as compressed rows (and columns, for its weight gradient), when it qualifies. */
  private sparse?: { rows: CompressedRows; cols: CompressedRows; next: number; maxNnz: number };
  /** Whether the last forward's first-layer input is held in `sparse` (and was multiplied sparsely). */
  private sparseFirst = false;

  constructor(layers: readonly LayerSpec[], field = "layers") {
    this.plan = planLayers(layers, field);
    let count = 0;
    this.bufs = this.plan.steps.map((s) => {
      const weightSize = s.layer.weight.length;
      const biasSize = s.layer.bias.length;
      count += weightSize + biasSize;
      const b: StepBuffers = {
        weight: this.ws.alloc(weightSize),
        bias: this.ws.alloc(biasSize),
        weightT: this.ws.alloc(weightSize),
        transposed: false,
        gradWeight: this.ws.alloc(weightSize),
        gradBias: this.ws.alloc(biasSize),
        weightSize,
        biasSize,
        out: 0,
        patches: 0,
        dPatches: 0,
      };
      return b;
    });
    this.paramCount = count;
    this.widest = Math.max(this.plan.inSize, ...this.plan.steps.map((s) => s.outSize));
    // The weights the specs came with, so a frozen net works without setParams.
    this.setParams(flattenParams(layers), 0);
  }

  /** Whether the first layer's input of the last forward was held sparse (its forward and weight gradient). */
  get sparseInput(): boolean {
    return this.sparseFirst;
  }

  get inSize(): number {
    return this.plan.inSize;
  }

  get outSize(): number {
    return this.plan.outSize;
  }

  /** Copies the weights and biases (`paramCount` values from `offset`, in layer order) in. */
  setParams(flat: ArrayLike<number>, offset: number): void {
    const f = this.ws.f32;
    let at = offset;
    for (const b of this.bufs) {
      for (const [dst, n] of [
        [b.weight, b.weightSize],
        [b.bias, b.biasSize],
      ] as const) {
        if (flat instanceof Float32Array) f.set(flat.subarray(at, at + n), dst);
        else for (let j = 0; j < n; j++) f[dst + j] = flat[at + j]!;
        at += n;
      }
      b.transposed = false;
    }
  }

  /** Copies the weights and biases out into flat[offset ..]. */
  getParams(flat: Float32Array, offset: number): void {
    this.copyOut("weight", "bias", flat, offset);
  }

  /** Copies per-layer buffers (weights or their gradients, then biases) out, in parameter order. */
  private copyOut(
    w: "weight" | "gradWeight",
    b: "bias" | "gradBias",
    flat: Float32Array,
    offset: number,
  ): void {
    const f = this.ws.f32;
    let at = offset;
    for (const buf of this.bufs) {
      flat.set(f.subarray(buf[w], buf[w] + buf.weightSize), at);
      at += buf.weightSize;
      flat.set(f.subarray(buf[b], buf[b] + buf.biasSize), at);
      at += buf.biasSize;
    }
  }

  /** Makes room for `batch` samples (allocates only when the batch grows past the capacity). */
  reserve(batch: number): void {
    if (batch <= this.capacity) return;
    const cap = Math.max(batch, Math.ceil(this.capacity * 1.5));
    this.input = this.ws.alloc(cap * this.plan.inSize);
    this.gradA = this.ws.alloc(cap * this.widest);
    this.gradB = this.ws.alloc(cap * this.widest);
    this.dInput = -1;
    this.plan.steps.forEach((s, i) => {
      const b = this.bufs[i]!;
      b.out = this.ws.alloc(cap * s.outSize);
      if (s.kind === "conv2d") {
        b.patches = this.ws.alloc(cap * s.pixels * s.patch);
        b.dPatches = this.ws.alloc(cap * s.pixels * s.patch);
      }
    });
    const first = this.plan.steps[0]!;
    const [rows, width] = first.kind === "dense" ? [cap, first.inSize] : [cap * first.pixels, first.patch];
    if (width >= SPARSE_MIN_WIDTH) {
      const maxNnz = Math.floor(rows * width * SPARSE_MAX_DENSITY);
      const compressed = (n: number) => ({
        ptr: this.ws.alloc(n + 1),
        idx: this.ws.alloc(maxNnz),
        vals: this.ws.alloc(maxNnz),
      });
      this.sparse = { rows: compressed(rows), cols: compressed(width), next: this.ws.alloc(width), maxNnz };
    }
    this.capacity = cap;
  }

  /**
   * Runs `batch` samples (row-major, `inSize` numbers each; float or uint8) and returns the output
   * [batch, outSize] as a view into the workspace, valid until the next forward or reserve.
   */
  forward(x: ArrayLike<number>, batch: number, opts: ForwardOptions = {}): Float32Array {
    if (!Number.isInteger(batch) || batch < 1)
      throw new ConfigError("batch", `must be a positive integer, got ${batch}`);
    const n = batch * this.plan.inSize;
    if (x.length < n) throw new ConfigError("obs", `has ${x.length} numbers, ${batch} samples need ${n}`);
    this.reserve(batch);
    this.batch = batch;
    const f = this.ws.f32;
    if (x instanceof Float32Array || x instanceof Uint8Array)
      f.set(x.length === n ? x : x.subarray(0, n), this.input);
    else for (let i = 0; i < n; i++) f[this.input + i] = x[i]!;
    let src = this.input;
    this.sparseFirst = false;
    this.plan.steps.forEach((s, i) => {
      const b = this.bufs[i]!;
      if (s.kind === "conv2d") this.ws.im2col(src, b.patches, this.patchGeometry(s, batch));
      const [a, m, k, n] =
        s.kind === "dense"
          ? [src, batch, s.inSize, s.outSize]
          : [b.patches, batch * s.pixels, s.patch, s.outChannels];
      if (i === 0 && this.compress(a, m, k)) {
        this.ws.spmm(this.sparse!.rows, m, b.weight, n, b.out, b.bias);
      } else {
        this.ws.gemm({ a, b: b.weight, c: b.out, m, k, n, bias: b.bias });
      }
      const add = opts.addBeforeActivation?.[s.name];
      if (add) this.addInto(b.out, add, batch * s.outSize, `addBeforeActivation.${s.name}`);
      if (s.activation === "relu") this.ws.relu(b.out, batch * s.outSize);
      else if (s.activation === "tanh") this.ws.tanh(b.out, batch * s.outSize);
      src = b.out;
    });
    return this.view(src, batch * this.plan.outSize);
  }

  /** A hidden (or the output) activation of the last forward, [batch, size], by layer name. */
  activation(name: string): Float32Array {
    const i = this.plan.steps.findIndex((s) => s.name === name);
    if (i < 0) {
      throw new ConfigError(
        "layer",
        `no layer "${name}"; layers: ${this.plan.steps.map((s) => s.name).join(", ")}`,
      );
    }
    return this.view(this.bufs[i]!.out, this.batch * this.plan.steps[i]!.outSize);
  }

  /**
   * Gradients of the loss with respect to every weight and bias, written to grad[offset ..
   * offset + paramCount), from dLoss/dOutput [batch, outSize] of the last forward.
   */
  backward(dOut: ArrayLike<number>, grad: Float32Array, offset: number, opts: BackwardOptions = {}): void {
    const batch = this.batch;
    if (batch === 0) throw new ConfigError("backward", "needs a forward first");
    const params = opts.paramGrads ?? true;
    if (!params && !opts.inputGrad)
      throw new ConfigError("paramGrads", "false needs inputGrad: true (else nothing is computed)");
    const steps = this.plan.steps;
    let dy = this.gradA;
    let spare = this.gradB;
    this.copyIn(dy, dOut, batch * this.plan.outSize, "dOut");
    for (let i = steps.length - 1; i >= 0; i--) {
      const s = steps[i]!;
      const b = this.bufs[i]!;
      const rows = s.kind === "dense" ? batch : batch * s.pixels;
      const width = s.kind === "dense" ? s.outSize : s.outChannels;
      const extra = opts.hiddenGrads?.[s.name];
      if (extra) this.addInto(dy, extra, batch * s.outSize, `hiddenGrads.${s.name}`);
      if (s.activation === "relu") this.ws.reluBackward(dy, b.out, rows * width);
      else if (s.activation === "tanh") this.ws.tanhBackward(dy, b.out, rows * width);
      if (this.preActGrad.has(s.name)) this.preActGrad.set(s.name, this.view(dy, rows * width).slice());
      // dW = X^T dZ (X read transposed; a sparse first input by its columns), db = column sums of dZ.
      const x = s.kind === "dense" ? (i === 0 ? this.input : this.bufs[i - 1]!.out) : b.patches;
      const inWidth = s.kind === "dense" ? s.inSize : s.patch;
      if (params && i === 0 && this.sparseFirst) {
        const sp = this.sparse!;
        this.ws.csrTranspose(sp.rows, rows, inWidth, sp.cols, sp.next);
        this.ws.spmm(sp.cols, inWidth, dy, width, b.gradWeight);
      } else if (params) {
        this.ws.gemm({ a: x, transA: true, b: dy, c: b.gradWeight, m: inWidth, k: rows, n: width });
      }
      if (params) this.ws.colSum(dy, rows, width, b.gradBias);
      if (i > 0 || opts.inputGrad) {
        const dx = i > 0 ? spare : this.inputGradBuffer();
        if (!b.transposed) {
          const [rows, cols] = s.kind === "dense" ? [s.inSize, s.outSize] : [s.patch, s.outChannels];
          this.ws.transpose(b.weight, rows, cols, b.weightT);
          b.transposed = true;
        }
        if (s.kind === "dense") {
          this.ws.gemm({ a: dy, b: b.weightT, c: dx, m: rows, k: width, n: s.inSize });
        } else {
          this.ws.gemm({ a: dy, b: b.weightT, c: b.dPatches, m: rows, k: width, n: s.patch });
          this.ws.f32.fill(0, dx, dx + batch * s.inSize);
          this.ws.col2im(b.dPatches, dx, this.patchGeometry(s, batch));
        }
        spare = dy;
        dy = dx;
      }
    }
    if (params) this.copyOut("gradWeight", "gradBias", grad, offset);
  }

  /** dLoss/dInput [batch, inSize] of the last backward with `inputGrad: true`. */
  inputGrad(): Float32Array {
    if (this.dInput < 0) throw new ConfigError("inputGrad", "run backward with inputGrad: true first");
    return this.view(this.dInput, this.batch * this.plan.inSize);
  }

  /** Keeps dLoss/d(pre-activation) of layer `name` at each backward (the gradient of an `addBeforeActivation` input). */
  trackPreActivationGrad(name: string): void {
    if (!this.plan.steps.some((s) => s.name === name)) throw new ConfigError("layer", `no layer "${name}"`);
    this.preActGrad.set(name, new Float32Array(0));
  }

  /** The tracked pre-activation gradient of the last backward, [batch, size]. */
  preActivationGrad(name: string): Float32Array {
    const g = this.preActGrad.get(name);
    if (!g) throw new ConfigError("layer", `call trackPreActivationGrad("${name}") first`);
    return g;
  }

  /**
   * Compresses the first layer's input A [m, k] into `sparse` when it qualifies (wide enough rows,
   * at most SPARSE_MAX_DENSITY non-zero); true when it did.
   */
  private compress(a: number, m: number, k: number): boolean {
    const sp = this.sparse;
    this.sparseFirst =
      sp !== undefined &&
      k >= SPARSE_MIN_WIDTH &&
      this.ws.csr(a, m, k, sp.rows, Math.min(sp.maxNnz, Math.floor(m * k * SPARSE_MAX_DENSITY))) >= 0;
    return this.sparseFirst;
  }

  private inputGradBuffer(): number {
    if (this.dInput < 0) this.dInput = this.ws.alloc(this.capacity * this.plan.inSize);
    return this.dInput;
  }

  private patchGeometry(s: ConvStep, batch: number): PatchGeometry {
    return {
      batch,
      h: s.h,
      w: s.w,
      channels: s.channels,
      kernel: s.kernel,
      stride: s.stride,
      padTop: s.geometry.padTop,
      padLeft: s.geometry.padLeft,
      outH: s.geometry.outH,
      outW: s.geometry.outW,
    };
  }

  private view(at: number, n: number): Float32Array {
    return this.ws.f32.subarray(at, at + n);
  }

  private copyIn(at: number, values: ArrayLike<number>, n: number, what: string): void {
    if (values.length !== n) throw new ConfigError(what, `has ${values.length} values, expected ${n}`);
    const f = this.ws.f32;
    if (values instanceof Float32Array) f.set(values, at);
    else for (let i = 0; i < n; i++) f[at + i] = values[i]!;
  }

  private addInto(at: number, values: ArrayLike<number>, n: number, what: string): void {
    if (values.length !== n) throw new ConfigError(what, `has ${values.length} values, expected ${n}`);
    const f = this.ws.f32;
    for (let i = 0; i < n; i++) f[at + i] = f[at + i]! + values[i]!;
  }
}

export type { Step };
