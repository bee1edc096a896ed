/**
 * Plain-data description of a policy network: the layers as Float32Arrays, with no tfjs in sight.
 *
 * It is the hand-off format between training (tfjs modules export to it), fast inference (the
 * synchronous Float32Array forward), checkpoints, ONNX export/import, quantization and the
 * standalone runtime. A `PolicySpec` is a sequential stack from the (normalised) observation to
 * the action output: logits for discrete actions, Q-values for DQN (act = argmax), or action
 * means for continuous actions. Dueling Q heads are folded into one dense layer on export
 * (Q = V + A - mean(A) is linear in the last hidden layer).
 */

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
