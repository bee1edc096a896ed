/**
 * Fake quantization for quantization-aware distillation: the forward pass sees the weights an
 * int8 runtime would use (symmetric, zero-point 0, per channel along `axis` or per tensor), the
 * backward pass is the straight-through estimator (identity), since rounding has zero gradient
 * almost everywhere. Bengio et al. 2013 (arXiv:1308.3432); Jacob et al. 2018 (arXiv:1712.05877).
 */
import { ConfigError } from "../core/errors.js";
import { type Tensor, tf } from "../nn/backend.js";

/**
 * Quantize-dequantize `x` to `bits`-bit symmetric integers (scale = max|x| / (2^(bits-1) - 1)),
 * per slice along `axis` (e.g. the output-channel axis: 1 for a dense [in, out] weight, 3 for a
 * conv HWIO weight) or per tensor when `axis` is undefined. Gradient: identity.
 */
export function fakeQuantize<T extends Tensor>(x: T, bits = 8, axis?: number): T {
  if (!Number.isInteger(bits) || bits < 2 || bits > 16)
    throw new ConfigError("bits", `must be an integer in [2, 16], got ${bits}`);
  const rank = x.rank;
  if (axis !== undefined && (!Number.isInteger(axis) || axis < -rank || axis >= rank)) {
    throw new ConfigError(
      "axis",
      `must be an integer in [${-rank}, ${rank - 1}] for a rank-${rank} tensor, got ${axis}`,
    );
  }
  const qmax = 2 ** (bits - 1) - 1;
  const keep = axis === undefined ? undefined : (axis + rank) % rank;
  const reduceAxes = keep === undefined ? undefined : [...Array(rank).keys()].filter((a) => a !== keep);
  const op = tf.customGrad((input) => {
    const t = input as Tensor;
    const value = tf.tidy(() => {
      const maxAbs = tf.max(tf.abs(t), reduceAxes, true);
      // All-zero slices: any positive scale gives q = 0, and avoids dividing by 0.
      const scale = tf.div(tf.maximum(maxAbs, 1e-30), qmax);
      return tf.mul(tf.clipByValue(tf.round(tf.div(t, scale)), -qmax, qmax), scale);
    });
    return { value, gradFunc: (dy: Tensor) => [dy] };
  });
  return op(x) as T;
}
