/**
 * Plain-data description of a policy network: the layers as Float32Arrays, with no tfjs in sight.
 *
 * It is the hand-off format between training (tfjs modules export to it), fast inference (the
 * synchronous Float32Array forward), checkpoints, ONNX export/import, quantization and the
 * standalone runtime. A `PolicySpec` is a sequential stack from the (normalised) observation to
 * the action output: logits for discrete actions, Q-values for DQN (act = argmax), or action
 * means for continuous actions. Dueling Q heads are folded into one dense layer on export
 * (Q = V + A - mean(A) is linear in the last hidden layer).
 *
 * The layer geometry (conv output sizes and padding, the shape after each layer) is defined here
 * once, for every forward (tfjs, Float32Array kernels), the exporters and the checks.
 */
import { ConfigError } from "../core/errors.js";

export type Activation = "linear" | "relu" | "tanh";

export interface DenseLayerSpec {
  kind: "dense";
  inSize: number;
  outSize: number;
  /** Row-major [inSize][outSize] (tfjs layout: y = x W + b). */
  weight: Float32Array;
  bias: Float32Array;
  activation: Activation;
}

export interface Conv2dLayerSpec {
  kind: "conv2d";
  /** Input [height, width, channels] (NHWC, channels last, as tfjs). */
  inShape: [number, number, number];
  outChannels: number;
  kernelSize: number;
  stride: number;
  padding: "valid" | "same";
  /** [kernelSize][kernelSize][inChannels][outChannels] (tfjs HWIO layout). */
  weight: Float32Array;
  bias: Float32Array;
  activation: Activation;
}

/** Flattens an NHWC feature map to a vector (row-major over h, w, c). */
export interface FlattenLayerSpec {
  kind: "flatten";
}

export type LayerSpec = DenseLayerSpec | Conv2dLayerSpec | FlattenLayerSpec;

/** Observation normalisation applied before the first layer: clip((x - mean) / sqrt(var + eps), -clip, clip). */
export interface ObsNormSpec {
  mean: Float32Array;
  var: Float32Array;
  epsilon: number;
  clip: number;
}

export interface PolicySpec {
  /** Shape of one observation, e.g. [4] or [10, 10, 4]. */
  obsShape: number[];
  obsNorm?: ObsNormSpec;
  /** What the last layer outputs. */
  output: "logits" | "q" | "mean";
  /** Number of actions (discrete) or action dimensions (continuous). */
  actionSize: number;
  layers: LayerSpec[];
  /** Continuous policies: state-independent log standard deviation, one per action dimension. */
  logStd?: Float32Array;
  /** Continuous policies: actions are clipped to [low, high] when acting, as Stable-Baselines3 does. */
  actionLow?: Float32Array;
  actionHigh?: Float32Array;
  /** Optional value head over the same observation (own stack, CleanRL-style separate critic). */
  valueLayers?: LayerSpec[];
}

const ACTIVATIONS: readonly Activation[] = ["linear", "relu", "tanh"];

/** Convolution geometry with TensorFlow's "same" rule (the odd padding pixel goes after: bottom/right). */
export interface ConvGeometry {
  outH: number;
  outW: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

/** Output size of a convolution along one axis, with TensorFlow's "same"/"valid" rules. */
export function convOutSize(
  inSize: number,
  kernel: number,
  stride: number,
  padding: "valid" | "same",
): number {
  return padding === "same" ? Math.ceil(inSize / stride) : Math.floor((inSize - kernel) / stride) + 1;
}

/** Zero padding before/after along one axis for "same" (TensorFlow puts the extra one after). */
export function samePadding(inSize: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + kernel - inSize, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Output size and padding of a conv layer: the one definition every forward, exporter and loss uses. */
export function convGeometry(
  layer: Pick<Conv2dLayerSpec, "inShape" | "kernelSize" | "stride" | "padding">,
): ConvGeometry {
  const [h, w] = layer.inShape;
  const { kernelSize: k, stride: s, padding } = layer;
  const [padTop, padBottom] = padding === "same" ? samePadding(h, k, s) : [0, 0];
  const [padLeft, padRight] = padding === "same" ? samePadding(w, k, s) : [0, 0];
  return {
    outH: convOutSize(h, k, s, padding),
    outW: convOutSize(w, k, s, padding),
    padTop,
    padLeft,
    padBottom,
    padRight,
  };
}

function positive(field: string, n: unknown): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
    throw new ConfigError(field, `expected a positive integer, got ${JSON.stringify(n)}`);
  }
  return n;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * Shape of one sample after each layer, starting from `inShape` (default: the first layer's own
 * input). Checks everything a forward relies on and throws a ConfigError naming the first bad
 * field: sizes that do not chain, weight and bias lengths, padding, activation, a kernel larger
 * than its input, an unknown kind.
 */
export function layerShapes(
  layers: readonly LayerSpec[],
  field = "layers",
  inShape?: readonly number[],
): number[][] {
  if (layers.length === 0) throw new ConfigError(field, "a network needs at least one layer");
  const first = layers[0]!;
  if (!inShape && first.kind === "flatten")
    throw new ConfigError(`${field}[0].kind`, "a network cannot start with flatten");
  let shape: number[] = inShape
    ? [...inShape]
    : first.kind === "dense"
      ? [first.inSize]
      : [...(first as Conv2dLayerSpec).inShape];
  return layers.map((l, i) => {
    const at = `${field}[${i}]`;
    if (l.kind === "flatten") {
      shape = [shape.reduce((a, b) => a * b, 1)];
      return shape;
    }
    if (l.kind === "dense") {
      if (shape.length !== 1 || shape[0] !== l.inSize) {
        throw new ConfigError(
          `${at}.inSize`,
          `is ${l.inSize} but the incoming shape is ${shapeText(shape)} (add a flatten layer before a dense layer after a conv)`,
        );
      }
      positive(`${at}.outSize`, l.outSize);
      if (l.weight.length !== l.inSize * l.outSize) {
        throw new ConfigError(
          `${at}.weight`,
          `has ${l.weight.length} entries; expected inSize*outSize = ${l.inSize * l.outSize}`,
        );
      }
      if (l.bias.length !== l.outSize)
        throw new ConfigError(`${at}.bias`, `has ${l.bias.length} entries; expected outSize = ${l.outSize}`);
      shape = [l.outSize];
    } else if (l.kind === "conv2d") {
      if (shape.length !== 3 || shape.some((v, k) => v !== l.inShape[k])) {
        throw new ConfigError(
          `${at}.inShape`,
          `is ${shapeText(l.inShape)} but the incoming shape is ${shapeText(shape)}`,
        );
      }
      if (l.padding !== "valid" && l.padding !== "same")
        throw new ConfigError(`${at}.padding`, `"${l.padding}" is not allowed; allowed: valid, same`);
      positive(`${at}.kernelSize`, l.kernelSize);
      positive(`${at}.stride`, l.stride);
      positive(`${at}.outChannels`, l.outChannels);
      const expected = l.kernelSize * l.kernelSize * l.inShape[2] * l.outChannels;
      if (l.weight.length !== expected)
        throw new ConfigError(
          `${at}.weight`,
          `has ${l.weight.length} entries; expected k*k*inC*outC = ${expected}`,
        );
      if (l.bias.length !== l.outChannels)
        throw new ConfigError(
          `${at}.bias`,
          `has ${l.bias.length} entries; expected outChannels = ${l.outChannels}`,
        );
      const g = convGeometry(l);
      if (g.outH < 1 || g.outW < 1)
        throw new ConfigError(
          `${at}.kernelSize`,
          `${l.kernelSize} is larger than the input ${shapeText(shape)}`,
        );
      shape = [g.outH, g.outW, l.outChannels];
    } else {
      throw new ConfigError(
        `${at}.kind`,
        `"${(l as { kind: string }).kind}" is not allowed; allowed: dense, conv2d, flatten`,
      );
    }
    if (!ACTIVATIONS.includes(l.activation)) {
      throw new ConfigError(
        `${at}.activation`,
        `${JSON.stringify(l.activation)} is not allowed; allowed: ${ACTIVATIONS.join(", ")}`,
      );
    }
    return shape;
  });
}
