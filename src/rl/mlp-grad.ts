/**
 * Gradients of dense networks without tfjs's gradient tape, for the training loops' hot path.
 *
 * The tape costs more than the arithmetic for CleanRL-sized networks on wasm (a PPO minibatch
 * step dispatched about 360 kernels, half of them Identity/Reshape bookkeeping). Here the
 * forward keeps the layer inputs and outputs, the loss and its gradient with respect to the
 * network outputs are computed in plain JS by the caller (losses.ts), and `denseBackward` runs
 * the same backward pass as `dense` in ops.ts (dx = dy W^T, dW = x^T dy, db = sum dy, explicit
 * transposes; tanh' = 1 - y^2, relu' = step): the same math in about a fifth of the dispatches.
 *
 * Only SAC and TD3 (off-policy-nets.ts) still train through this. PPO, DQN and every distiller
 * run on src/nn's SIMD kernels (`KernelNet`: the same backward written once for dense and conv
 * layers, no tfjs, 2-7x faster per step in bench/nn.ts); SAC and TD3 can move there the same way,
 * and this module can then go.
 */
import { type Tensor, type Tensor2D, tf, type Variable } from "../nn/backend.js";
import type { Activation, LayerSpec } from "../nn/spec.js";

/** A stack of dense layers: variables [w0, b0, w1, b1, ...] (w: [in, out]) and their activations. */
export interface DenseStack {
  vars: readonly Variable[];
  activations: readonly Activation[];
}

/** What `denseBackward` needs from the forward. */
export interface DenseTrace {
  inputs: Tensor2D[];
  outputs: Tensor2D[];
  out: Tensor2D;
}

/** A DenseStack from a Sequential's variables and its layer specs; null if a layer is not dense. */
export function denseStack(vars: readonly Variable[], layers: readonly LayerSpec[]): DenseStack | null {
  if (!layers.every((l) => l.kind === "dense") || vars.length !== 2 * layers.length) return null;
  return { vars, activations: layers.map((l) => (l.kind === "dense" ? l.activation : "linear")) };
}

/**
 * ops.ts's `tanh` without its customGrad wrapper (not needed off the tape, and 20% of the op's
 * cost): the Tanh kernel up to 1024 elements, else 2 sigmoid(2x) - 1 (vectorised on wasm).
 */
function tanhNoTape(z: Tensor): Tensor {
  if (z.size <= 1024) return tf.tanh(z);
  const s = tf.sigmoid(tf.add(z, z));
  return tf.sub(tf.add(s, s), 1);
}

/** Forward on [batch, in] (no tape; call inside tf.tidy). */
export function denseForward(net: DenseStack, x: Tensor2D): DenseTrace {
  const inputs: Tensor2D[] = [];
  const outputs: Tensor2D[] = [];
  let h = x;
  net.activations.forEach((act, i) => {
    inputs.push(h);
    const w = net.vars[2 * i] as unknown as Tensor2D;
    const b = net.vars[2 * i + 1]!;
    const z = tf.fused.matMul({ a: h, b: w, bias: b, activation: act === "relu" ? "relu" : "linear" });
    h = (act === "tanh" ? tanhNoTape(z) : z) as Tensor2D;
    outputs.push(h);
  });
  return { inputs, outputs, out: h };
}

/**
 * Gradients of [w0, b0, w1, b1, ...] given dLoss/dOut [batch, out] (call inside tf.tidy):
 * tensors whose values, read one after the other (`readInto`), are the flat gradient.
 *
 * `inputT1`, the first layer's input transposed with a row of ones appended ([in + 1, batch],
 * cheap to build in JS), turns w0's and b0's gradients into one product x1^T dy ([in + 1, out]:
 * w0's rows, then b0), saving a transpose, a Sum over the batch and a read.
 */
export function denseBackward(
  net: DenseStack,
  trace: DenseTrace,
  dOut: Tensor2D,
  inputT1?: Tensor2D,
): Tensor[] {
  const L = net.activations.length;
  const grads: Tensor[] = new Array(2 * L);
  let dh: Tensor2D = dOut;
  for (let i = L - 1; i >= 0; i--) {
    const act = net.activations[i];
    const y = trace.outputs[i]!;
    let dz: Tensor2D = dh;
    if (act === "tanh") dz = tf.mul(dh, tf.sub(1, tf.square(y)));
    else if (act === "relu") dz = tf.mul(dh, tf.step(y));
    if (i === 0 && inputT1) {
      grads.splice(0, 2, tf.matMul(inputT1, dz));
      break;
    }
    grads[2 * i] = tf.matMul(tf.transpose(trace.inputs[i]!), dz);
    grads[2 * i + 1] = tf.sum(dz, 0);
    if (i > 0) dh = tf.matMul(dz, tf.transpose(net.vars[2 * i] as unknown as Tensor2D));
  }
  return grads;
}

/** [batch, n] row-major values as [n + 1, batch]: transposed, then a row of ones (see `denseBackward`). */
export function transposeWithOnes(x: ArrayLike<number>, batch: number, n: number): Float32Array {
  const out = new Float32Array((n + 1) * batch);
  for (let b = 0; b < batch; b++) for (let j = 0; j < n; j++) out[j * batch + b] = x[b * n + j]!;
  out.fill(1, n * batch);
  return out;
}

/** Copies tensors' values one after the other into `flat` from `offset`; returns the next offset. */
export function readInto(flat: Float32Array, offset: number, tensors: readonly Tensor[]): number {
  let at = offset;
  for (const t of tensors) {
    flat.set(t.dataSync() as Float32Array, at);
    at += t.size;
  }
  return at;
}
