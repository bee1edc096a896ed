/**
 * Fake quantization for quantization-aware distillation: the forward pass sees the weights an
 * int8 runtime would use (symmetric, zero-point 0, per channel along `axis` or per tensor), the
 * backward pass is the straight-through estimator (identity), since rounding has zero gradient
 * almost everywhere. Bengio et al. 2013 (arXiv:1308.3432); Jacob et al. 2018 (arXiv:1712.05877).
 *
 * The forward values come from `quantizeDequantize` (quantize.ts), the same code export runs, so a
 * quantization-aware student trains with bit for bit the weights `quantizeSpec` exports: same
 * scales, same rounding (float32 division, ties to even). The weights are read back to compute
 * them (a copy of the student's weights per forward; small next to a batch's activations).
 */
import { ConfigError } from "../core/errors.js";
import { type Tensor, tf } from "../nn/backend.js";
import { quantizeDequantize } from "./quantize.js";

/**
 * Quantize-dequantize `x` to `bits`-bit symmetric integers (scale = max|x| / (2^(bits-1) - 1), as
 * `symmetricScale` settles it), per slice along `axis` (the output-channel axis: 1 for a dense
 * [in, out] weight, 3 for a conv HWIO weight) or per tensor when `axis` is undefined.
 * Gradient: identity.
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
  const keep = axis === undefined ? undefined : (axis + rank) % rank;
  const channels = keep === undefined ? 1 : x.shape[keep]!;
  // Entries of one channel repeat every `stride` (the size of the axes after it).
  const stride = keep === undefined ? 1 : x.shape.slice(keep + 1).reduce((a, b) => a * b, 1);
  const op = tf.customGrad((input) => {
    const t = input as Tensor;
    const values = quantizeDequantize(t.dataSync() as Float32Array, channels, { bits, stride });
    return { value: tf.tensor(values, t.shape, "float32"), gradFunc: (dy: Tensor) => [dy] };
  });
  return op(x) as T;
}
