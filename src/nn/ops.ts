/**
 * The layer and loss ops models are built from. Each is written so that its backward pass runs
 * on the wasm backend at full speed (see /work/shared/docs/STACK.md): plain matMuls only,
 * convolution as im2col, one-hot masks instead of gather.
 */

import { type Tensor, type Tensor2D, tf } from "./backend.js";
import { HALF_LOG_2PI } from "./distributions.js";
import { type Activation, convOutSize, type ObsNormSpec, samePadding } from "./spec.js";

type Saved = (tensors: Tensor[]) => void;

/**
 * y = x W + b with its own gradient: dx = dy W^T and dW = x^T dy computed by an explicit
 * transpose followed by a plain matMul (tfjs's stock matMul gradient uses transpose flags,
 * 13-20x slower on wasm).
 */
const denseOp = tf.customGrad(((x: Tensor2D, w: Tensor2D, b: Tensor, save: Saved) => {
  save([x, w]);
  const value = tf.add(tf.matMul(x, w), b);
  const gradFunc = (dy: Tensor2D, saved: Tensor[]) => {
    const [sx, sw] = saved as [Tensor2D, Tensor2D];
    return [tf.matMul(dy, tf.transpose(sw)), tf.matMul(tf.transpose(sx), dy), tf.sum(dy, 0)];
  };
  return { value, gradFunc };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: Tensor, w: Tensor, b: Tensor) => Tensor2D;

/**
 * tanh(x) = 2 sigmoid(2x) - 1, with the usual gradient dy (1 - y^2). The wasm backend's Tanh
 * kernel is scalar libm (about 15 ns per element, 250 us for 256 x 64), its Sigmoid is
 * vectorised: this form is 3-4x faster and within 2e-7 of tf.tanh.
 */
const sigmoidTanh = tf.customGrad(((x: Tensor, save: Saved) => {
  const s = tf.sigmoid(tf.add(x, x));
  const value = tf.sub(tf.add(s, s), 1);
  save([value]);
  return { value, gradFunc: (dy: Tensor, [y]: Tensor[]) => tf.mul(dy, tf.sub(1, tf.square(y!))) };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: Tensor) => Tensor;

/** Below this many elements the Tanh kernel wins: the sigmoid form costs three more op dispatches. */
const TANH_KERNEL_MAX_SIZE = 1024;

/** tanh that picks the faster wasm route by size (see sigmoidTanh); same gradient either way. */
export function tanh(x: Tensor): Tensor {
  return x.size <= TANH_KERNEL_MAX_SIZE ? tf.tanh(x) : sigmoidTanh(x);
}

/**
 * Elementwise min(a, b) as a - relu(a - b): same value (to rounding of a - b) and the same
 * gradient routing as tf.minimum (ties go to a), 10x faster on wasm, whose Minimum and
 * comparison kernels take 70-150 us for 256 x 64. Use it for PPO's clipped surrogate.
 */
export function minimum(a: Tensor, b: Tensor): Tensor {
  return tf.sub(a, tf.relu(tf.sub(a, b)));
}

/** Elementwise max(a, b) as a + relu(b - a) (ties go to a); see `minimum`. */
export function maximum(a: Tensor, b: Tensor): Tensor {
  return tf.add(a, tf.relu(tf.sub(b, a)));
}

export function activate(x: Tensor, activation: Activation): Tensor {
  switch (activation) {
    case "linear":
      return x;
    case "relu":
      return tf.relu(x);
    case "tanh":
      return tanh(x);
  }
}

/** Fully connected layer on [batch, in] inputs with weight [in, out] and bias [out]. */
export function dense(x: Tensor, w: Tensor, b: Tensor, activation: Activation = "linear"): Tensor2D {
  return activate(denseOp(x, w, b), activation) as Tensor2D;
}

/**
 * 2-D convolution, NHWC input [batch, h, w, c], HWIO weight [k, k, c, out], written as im2col:
 * the k*k shifted views of the input are concatenated along channels (order dy, dx, c, which is
 * the row order of the HWIO weight reshaped to [k*k*c, out]) and multiplied by the weight.
 * Conv2DBackpropFilter is missing on wasm; this form trains there and matches tf.conv2d.
 */
export function conv2d(
  x: Tensor,
  w: Tensor,
  b: Tensor,
  stride: number,
  padding: "valid" | "same",
  activation: Activation = "linear",
): Tensor {
  const [batch, h, wd, c] = x.shape as [number, number, number, number];
  const [k, , , outC] = w.shape as [number, number, number, number];
  let input = x;
  if (padding === "same") {
    const ph = samePadding(h, k, stride);
    const pw = samePadding(wd, k, stride);
    if (ph[0] + ph[1] + pw[0] + pw[1] > 0) input = tf.pad(x, [[0, 0], ph, pw, [0, 0]]);
  }
  const oh = convOutSize(h, k, stride, padding);
  const ow = convOutSize(wd, k, stride, padding);
  const patches: Tensor[] = [];
  for (let dy = 0; dy < k; dy++) {
    for (let dx = 0; dx < k; dx++) {
      patches.push(
        stride === 1
          ? tf.slice(input, [0, dy, dx, 0], [batch, oh, ow, c])
          : stridedView(input, dy, dx, oh, ow, stride),
      );
    }
  }
  const cols = patches.length === 1 ? patches[0]! : tf.concat(patches, 3);
  const flat = tf.reshape(cols, [batch * oh * ow, k * k * c]);
  const y = denseOp(flat, tf.reshape(w, [k * k * c, outC]), b);
  return activate(tf.reshape(y, [batch, oh, ow, outC]), activation);
}

/**
 * Every `stride`-th row and column starting at (dy, dx), built from a plain slice plus reshapes
 * (whose gradients are plain pads), so no StridedSlice gradient is needed.
 */
function stridedView(x: Tensor, dy: number, dx: number, oh: number, ow: number, stride: number): Tensor {
  const [batch, h, w, c] = x.shape as [number, number, number, number];
  // Pad so that oh*stride rows and ow*stride columns exist from (dy, dx), then keep index 0 of
  // each stride-sized group.
  const needH = dy + oh * stride;
  const needW = dx + ow * stride;
  let t = x;
  if (needH > h || needW > w) {
    t = tf.pad(t, [
      [0, 0],
      [0, Math.max(0, needH - h)],
      [0, Math.max(0, needW - w)],
      [0, 0],
    ]);
  }
  t = tf.slice(t, [0, dy, dx, 0], [batch, oh * stride, ow * stride, c]);
  t = tf.reshape(t, [batch, oh, stride, ow, stride, c]);
  t = tf.slice(t, [0, 0, 0, 0, 0, 0], [batch, oh, 1, ow, 1, c]);
  return tf.reshape(t, [batch, oh, ow, c]);
}

/** clip((x - mean) / sqrt(var + eps), -clip, clip) over the last axis, as ObsNormSpec defines. */
export function normalizeObs(x: Tensor, norm: ObsNormSpec): Tensor {
  const std = tf.sqrt(tf.add(tf.tensor1d(norm.var), norm.epsilon));
  const z = tf.div(tf.sub(x, tf.tensor1d(norm.mean)), std);
  return tf.clipByValue(z, -norm.clip, norm.clip);
}

/** Mean squared error. */
export function mse(pred: Tensor, target: Tensor): Tensor {
  return tf.mean(tf.square(tf.sub(pred, target)));
}

/**
 * Mean Huber loss (equal to PyTorch's smooth_l1_loss for delta = 1, as SB3's DQN uses):
 * 0.5 d^2 for |d| <= delta, delta (|d| - delta / 2) beyond. Written with a clip (fast on
 * wasm), not where or minimum (slow there).
 */
export function huber(pred: Tensor, target: Tensor, delta = 1): Tensor {
  const a = tf.abs(tf.sub(pred, target));
  const q = tf.clipByValue(a, 0, delta);
  return tf.mean(tf.add(tf.mul(0.5, tf.square(q)), tf.mul(delta, tf.sub(a, q))));
}

/** One-hot float mask [batch, n] of int actions, the gather-free way to pick per-action values. */
export function oneHotMask(actions: Tensor, n: number): Tensor2D {
  const idx = actions.dtype === "int32" ? actions : tf.cast(actions, "int32");
  return tf.cast(tf.oneHot(tf.reshape(idx, [-1]) as tf.Tensor1D, n), "float32") as Tensor2D;
}

/** Picks values[i, actions[i]] for each row: the Q(s, a) of DQN. */
export function pickActions(values: Tensor, actions: Tensor): Tensor {
  const n = values.shape[values.rank - 1]!;
  return tf.sum(tf.mul(values, oneHotMask(actions, n)), -1);
}

// ---- action distributions on tensors (the tape forms of distributions.ts, tested against it) ----

/** log pi(a | s) for int actions [batch], from logits [batch, n] (a one-hot mask, not a gather). */
export function categoricalLogProbTensor(logits: Tensor, actions: Tensor): Tensor {
  const n = logits.shape[logits.rank - 1]!;
  return tf.sum(tf.mul(tf.logSoftmax(logits), oneHotMask(actions, n)), -1);
}

/** Entropy per row, -sum p log p, from logits [batch, n]. */
export function categoricalEntropyTensor(logits: Tensor): Tensor {
  const logp = tf.logSoftmax(logits);
  return tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), -1));
}

/**
 * log N(a | mean, exp(logStd)) summed over action dimensions: mean and actions [batch, dim],
 * logStd [dim] (state-independent, CleanRL/SB3) or [batch, dim].
 */
export function gaussianLogProbTensor(mean: Tensor, logStd: Tensor, actions: Tensor): Tensor {
  const z = tf.div(tf.sub(actions, mean), tf.exp(logStd));
  return tf.neg(tf.sum(tf.add(tf.mul(0.5, tf.square(z)), tf.add(logStd, HALF_LOG_2PI)), -1));
}

/** Entropy of a diagonal Gaussian, sum over dims of 0.5 + 0.5 log(2 pi) + logStd. */
export function gaussianEntropyTensor(logStd: Tensor): Tensor {
  return tf.sum(tf.add(logStd, 0.5 + HALF_LOG_2PI), -1);
}
