/**
 * Sequential networks (dense, conv2d, flatten) with named tf.Variables, and the two builders the
 * project uses: `Mlp` and `Cnn`. A network converts losslessly to and from `LayerSpec[]`, the
 * plain-data format of spec.ts.
 */
import { ConfigError } from "../core/errors.js";
import type { Rng } from "../core/rng.js";
import { type Tensor, type Tensor2D, tf, type Variable } from "./backend.js";
import { GAIN_HIDDEN, orthogonalConv, orthogonalDense } from "./init.js";
import { conv2d, dense } from "./ops.js";
import { Params } from "./params.js";
import {
  type Activation,
  type Conv2dLayerSpec,
  convOutSize,
  type DenseLayerSpec,
  type LayerSpec,
  layerShapes,
} from "./spec.js";

export interface ForwardResult {
  /** Output of the last layer, [batch, outSize]. */
  out: Tensor2D;
  /** Output (after activation) of every layer but the last, by name: "conv0", ..., "fc0", ... */
  hidden: Record<string, Tensor>;
}

interface LayerState {
  spec: LayerSpec;
  name: string;
  w?: Variable;
  b?: Variable;
  /** Shape of one sample after this layer. */
  outShape: number[];
}

const ACTIVATIONS: readonly Activation[] = ["linear", "relu", "tanh"];

function checkActivation(field: string, a: unknown): Activation {
  if (!ACTIVATIONS.includes(a as Activation)) {
    throw new ConfigError(
      field,
      `unknown activation ${JSON.stringify(a)}; allowed: ${ACTIVATIONS.join(", ")}`,
    );
  }
  return a as Activation;
}

function checkSize(field: string, n: unknown): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
    throw new ConfigError(field, `expected a positive integer, got ${JSON.stringify(n)}`);
  }
  return n;
}

export class Sequential {
  /** Shape of one input sample, e.g. [4] or [10, 10, 4]. */
  readonly inShape: number[];
  readonly outSize: number;
  readonly params: Params;
  private readonly layers: LayerState[];

  constructor(layers: readonly LayerSpec[], name = "net") {
    const shapes = layerShapes(layers);
    const last = shapes[shapes.length - 1]!;
    if (last.length !== 1) throw new ConfigError("layers", "the last layer must give a vector (add flatten)");
    const first = layers[0]!;
    this.inShape = first.kind === "dense" ? [first.inSize] : [...(first as Conv2dLayerSpec).inShape];
    this.outSize = last[0]!;
    this.params = new Params(name);
    let nConv = 0;
    let nDense = 0;
    this.layers = layers.map((spec, i) => {
      const outShape = shapes[i]!;
      if (spec.kind === "flatten") return { spec, name: "flatten", outShape };
      checkActivation(`layers[${i}].activation`, spec.activation);
      const lname = spec.kind === "dense" ? `fc${nDense++}` : `conv${nConv++}`;
      const wShape =
        spec.kind === "dense"
          ? [spec.inSize, spec.outSize]
          : [spec.kernelSize, spec.kernelSize, spec.inShape[2], spec.outChannels];
      const outUnits = spec.kind === "dense" ? spec.outSize : spec.outChannels;
      const w = this.params.add(`${lname}.weight`, spec.weight, wShape);
      const b = this.params.add(`${lname}.bias`, spec.bias, [outUnits]);
      return { spec, name: lname, w, b, outShape };
    });
  }

  /** Rebuilds a network (fresh variables) from plain layer specs. */
  static fromSpec(layers: readonly LayerSpec[], name?: string): Sequential {
    return new Sequential(layers, name);
  }

  get variables(): Variable[] {
    return this.params.list();
  }

  /** Runs the network on [batch, ...inShape] (or [batch, prod(inShape)]) float32 input. */
  forward(x: Tensor): ForwardResult {
    const batch = x.shape[0]!;
    let h: Tensor = tf.reshape(x, [batch, ...this.inShape]);
    const hidden: Record<string, Tensor> = {};
    this.layers.forEach((l, i) => {
      const s = l.spec;
      if (s.kind === "flatten") h = tf.reshape(h, [batch, l.outShape[0]!]);
      else if (s.kind === "dense") h = dense(h, l.w!, l.b!, s.activation);
      else h = conv2d(h, l.w!, l.b!, s.stride, s.padding, s.activation);
      if (i < this.layers.length - 1 && s.kind !== "flatten") hidden[l.name] = h;
    });
    return { out: h as Tensor2D, hidden };
  }

  /** Names of the layers with weights, in order ("conv0", ..., "fc0", ...). */
  layerNames(): string[] {
    return this.layers.filter((l) => l.spec.kind !== "flatten").map((l) => l.name);
  }

  /** Shape of one sample of each named hidden activation (as `forward` returns them). */
  hiddenShapes(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    this.layers.slice(0, -1).forEach((l) => {
      if (l.spec.kind !== "flatten") out[l.name] = l.outShape.slice();
    });
    return out;
  }

  paramCount(): number {
    return this.params.count();
  }

  /** Multiply-adds counted as 2 flops per weight use, plus one flop per non-linear activation output. */
  flopsPerForward(): number {
    let flops = 0;
    for (const l of this.layers) {
      const s = l.spec;
      if (s.kind === "flatten") continue;
      const outUnits = l.outShape.reduce((a, b) => a * b, 1);
      const fanIn = s.kind === "dense" ? s.inSize : s.kernelSize * s.kernelSize * s.inShape[2];
      flops += 2 * fanIn * outUnits + (s.activation === "linear" ? 0 : outUnits);
    }
    return flops;
  }

  /** Plain-data copy of the architecture and current weights. */
  toSpec(): LayerSpec[] {
    return this.layers.map((l) => {
      const s = l.spec;
      if (s.kind === "flatten") return { kind: "flatten" };
      const weight = Float32Array.from(l.w!.dataSync());
      const bias = Float32Array.from(l.b!.dataSync());
      return { ...s, weight, bias } as DenseLayerSpec | Conv2dLayerSpec;
    });
  }

  /** Loads weights from specs of the same architecture (ConfigError naming the first mismatch). */
  loadWeights(layers: readonly LayerSpec[]): void {
    if (layers.length !== this.layers.length) {
      throw new ConfigError("layers", `has ${layers.length} layers, this network has ${this.layers.length}`);
    }
    const values: Record<string, Float32Array> = {};
    layers.forEach((given, i) => {
      const own = this.layers[i]!;
      const s = own.spec;
      if (given.kind !== s.kind)
        throw new ConfigError(`layers[${i}].kind`, `is ${given.kind}, expected ${s.kind}`);
      if (given.kind === "flatten" || s.kind === "flatten") return;
      for (const key of [
        "inSize",
        "outSize",
        "outChannels",
        "kernelSize",
        "stride",
        "padding",
        "activation",
      ]) {
        const a = (given as unknown as Record<string, unknown>)[key];
        const b = (s as unknown as Record<string, unknown>)[key];
        if (a !== b) throw new ConfigError(`layers[${i}].${key}`, `is ${String(a)}, expected ${String(b)}`);
      }
      values[`${own.name}.weight`] = given.weight;
      values[`${own.name}.bias`] = given.bias;
    });
    this.params.write(values, "layers");
  }

  /** this <- other (same architecture), in the graph: the DQN target-network update. */
  copyWeightsFrom(other: Sequential): void {
    this.params.copyFrom(other.params);
  }

  dispose(): void {
    this.params.dispose();
  }
}

export interface MlpConfig {
  inSize: number;
  /** Hidden layer widths, e.g. [64, 64]. */
  hidden: number[];
  outSize: number;
  /** Hidden activation. Default "tanh" (CleanRL's PPO). */
  activation?: Activation;
  /** Output activation. Default "linear". */
  outActivation?: Activation;
  /** Orthogonal gain of hidden layers. Default sqrt(2). */
  hiddenGain?: number;
  /** Orthogonal gain of the output layer: 0.01 policy head, 1 value head (the default). */
  outGain?: number;
  /** Prefix of the variable names. Default "mlp". */
  name?: string;
}

function denseSpec(
  inSize: number,
  outSize: number,
  activation: Activation,
  gain: number,
  rng: Rng,
): DenseLayerSpec {
  return {
    kind: "dense",
    inSize,
    outSize,
    weight: orthogonalDense(inSize, outSize, gain, rng),
    bias: new Float32Array(outSize),
    activation,
  };
}

/** Freshly initialised dense layers for an MLP config. */
export function mlpLayers(config: MlpConfig, rng: Rng): DenseLayerSpec[] {
  const act = checkActivation("activation", config.activation ?? "tanh");
  const outAct = checkActivation("outActivation", config.outActivation ?? "linear");
  const widths = [
    checkSize("inSize", config.inSize),
    ...config.hidden.map((h, i) => checkSize(`hidden[${i}]`, h)),
  ];
  const layers: DenseLayerSpec[] = [];
  for (let i = 1; i < widths.length; i++) {
    layers.push(denseSpec(widths[i - 1]!, widths[i]!, act, config.hiddenGain ?? GAIN_HIDDEN, rng));
  }
  layers.push(
    denseSpec(
      widths[widths.length - 1]!,
      checkSize("outSize", config.outSize),
      outAct,
      config.outGain ?? 1,
      rng,
    ),
  );
  return layers;
}

export class Mlp extends Sequential {
  constructor(config: MlpConfig, rng: Rng) {
    super(mlpLayers(config, rng), config.name ?? "mlp");
  }
}

export interface ConvConfig {
  channels: number;
  kernelSize: number;
  /** Default 1. */
  stride?: number;
  /** Default "valid". */
  padding?: "valid" | "same";
}

export interface CnnConfig {
  /** One observation [height, width, channels] (NHWC). */
  inShape: [number, number, number];
  convs: ConvConfig[];
  /** Dense hidden widths after the flatten, e.g. [128]. */
  hidden: number[];
  /** Output units; omit to end at the last hidden layer (a trunk, e.g. for dueling heads). */
  outSize?: number;
  /** Activation of conv and hidden layers. Default "relu". */
  activation?: Activation;
  outActivation?: Activation;
  hiddenGain?: number;
  outGain?: number;
  name?: string;
}

/** Freshly initialised conv, flatten and dense layers for a CNN config. */
export function cnnLayers(config: CnnConfig, rng: Rng): LayerSpec[] {
  const act = checkActivation("activation", config.activation ?? "relu");
  const gain = config.hiddenGain ?? GAIN_HIDDEN;
  const layers: LayerSpec[] = [];
  let shape: [number, number, number] = [
    checkSize("inShape[0]", config.inShape[0]),
    checkSize("inShape[1]", config.inShape[1]),
    checkSize("inShape[2]", config.inShape[2]),
  ];
  config.convs.forEach((c, i) => {
    const k = checkSize(`convs[${i}].kernelSize`, c.kernelSize);
    const stride = checkSize(`convs[${i}].stride`, c.stride ?? 1);
    const padding = c.padding ?? "valid";
    if (padding !== "valid" && padding !== "same") {
      throw new ConfigError(
        `convs[${i}].padding`,
        `unknown padding ${JSON.stringify(padding)}; allowed: valid, same`,
      );
    }
    const outC = checkSize(`convs[${i}].channels`, c.channels);
    layers.push({
      kind: "conv2d",
      inShape: shape,
      outChannels: outC,
      kernelSize: k,
      stride,
      padding,
      weight: orthogonalConv(k, shape[2], outC, gain, rng),
      bias: new Float32Array(outC),
      activation: act,
    });
    shape = [convOutSize(shape[0], k, stride, padding), convOutSize(shape[1], k, stride, padding), outC];
    if (shape[0] < 1 || shape[1] < 1)
      throw new ConfigError(`convs[${i}].kernelSize`, "too large for its input");
  });
  layers.push({ kind: "flatten" });
  let width = shape[0] * shape[1] * shape[2];
  config.hidden.forEach((h, i) => {
    layers.push(denseSpec(width, checkSize(`hidden[${i}]`, h), act, gain, rng));
    width = h;
  });
  if (config.outSize !== undefined) {
    const outAct = checkActivation("outActivation", config.outActivation ?? "linear");
    layers.push(denseSpec(width, checkSize("outSize", config.outSize), outAct, config.outGain ?? 1, rng));
  }
  return layers;
}

export class Cnn extends Sequential {
  constructor(config: CnnConfig, rng: Rng) {
    super(cnnLayers(config, rng), config.name ?? "cnn");
  }
}
