/**
 * Resizing an RgbFrame by a factor, with area averaging: each output pixel is the mean of the
 * source area it covers (fractional coverage at the borders). Upscaling by an integer repeats
 * pixels exactly (MinAtar's cells stay crisp); downscaling blends edges, a cheap anti-aliasing.
 */
import type { RgbFrame } from "../../core/env.js";
import { ConfigError } from "../../core/errors.js";

/** For each output index along one axis: the source indices it covers and their weights (sum 1). */
function axisWeights(
  inSize: number,
  outSize: number,
): { idx: Int32Array; w: Float64Array; start: Int32Array } {
  const ratio = inSize / outSize;
  const idx: number[] = [];
  const w: number[] = [];
  const start = new Int32Array(outSize + 1);
  for (let o = 0; o < outSize; o++) {
    start[o] = idx.length;
    const lo = o * ratio;
    const hi = Math.min(inSize, (o + 1) * ratio);
    for (let i = Math.floor(lo); i < hi; i++) {
      const cover = Math.min(hi, i + 1) - Math.max(lo, i);
      if (cover > 1e-12) {
        idx.push(i);
        w.push(cover / (hi - lo));
      }
    }
  }
  start[outSize] = idx.length;
  return { idx: Int32Array.from(idx), w: Float64Array.from(w), start };
}

/** The output size of `scaleFrame(frame, factor)`: round(width * factor) x round(height * factor), at least 1. */
export function scaledSize(width: number, height: number, factor: number): { width: number; height: number } {
  if (!(Number.isFinite(factor) && factor > 0 && factor <= 64))
    throw new ConfigError("scale", `must be a number in (0, 64], got ${factor}`);
  return { width: Math.max(1, Math.round(width * factor)), height: Math.max(1, Math.round(height * factor)) };
}

/** The frame resized by `factor` (1 returns it unchanged). */
export function scaleFrame(frame: RgbFrame, factor: number): RgbFrame {
  const out = scaledSize(frame.width, frame.height, factor);
  if (out.width === frame.width && out.height === frame.height) return frame;
  const k = Math.round(1 / factor);
  if (frame.width === out.width * k && frame.height === out.height * k) return shrinkBy(frame, k);
  if (out.width === frame.width * Math.round(factor) && out.height === frame.height * Math.round(factor))
    return growBy(frame, Math.round(factor));
  const xs = axisWeights(frame.width, out.width);
  const ys = axisWeights(frame.height, out.height);
  // Separable: rows first (into float), then columns.
  const tmp = new Float64Array(frame.height * out.width * 3);
  const src = frame.data;
  for (let y = 0; y < frame.height; y++) {
    const row = y * frame.width * 3;
    for (let ox = 0; ox < out.width; ox++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = xs.start[ox]!; k < xs.start[ox + 1]!; k++) {
        const i = row + xs.idx[k]! * 3;
        const wk = xs.w[k]!;
        r += wk * src[i]!;
        g += wk * src[i + 1]!;
        b += wk * src[i + 2]!;
      }
      const t = (y * out.width + ox) * 3;
      tmp[t] = r;
      tmp[t + 1] = g;
      tmp[t + 2] = b;
    }
  }
  const data = new Uint8Array(out.width * out.height * 3);
  for (let oy = 0; oy < out.height; oy++) {
    for (let ox = 0; ox < out.width; ox++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = ys.start[oy]!; k < ys.start[oy + 1]!; k++) {
        const t = (ys.idx[k]! * out.width + ox) * 3;
        const wk = ys.w[k]!;
        r += wk * tmp[t]!;
        g += wk * tmp[t + 1]!;
        b += wk * tmp[t + 2]!;
      }
      const o = (oy * out.width + ox) * 3;
      data[o] = Math.round(r);
      data[o + 1] = Math.round(g);
      data[o + 2] = Math.round(b);
    }
  }
  return { width: out.width, height: out.height, data };
}

/** Downscaling by a whole number: the mean of each k x k block (integer sums, the common case). */
function shrinkBy(frame: RgbFrame, k: number): RgbFrame {
  const w = frame.width / k;
  const h = frame.height / k;
  const src = frame.data;
  const rowBytes = frame.width * 3;
  const data = new Uint8Array(w * h * 3);
  const area = k * k;
  const half = area >> 1;
  for (let oy = 0; oy < h; oy++) {
    for (let ox = 0; ox < w; ox++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let y = oy * k; y < oy * k + k; y++) {
        for (let x = 0, i = y * rowBytes + ox * k * 3; x < k; x++, i += 3) {
          r += src[i]!;
          g += src[i + 1]!;
          b += src[i + 2]!;
        }
      }
      const o = (oy * w + ox) * 3;
      // Rounded to nearest, as the general path does.
      data[o] = Math.floor((r + half) / area);
      data[o + 1] = Math.floor((g + half) / area);
      data[o + 2] = Math.floor((b + half) / area);
    }
  }
  return { width: w, height: h, data };
}

/** Upscaling by a whole number: each pixel becomes a k x k block. */
function growBy(frame: RgbFrame, k: number): RgbFrame {
  const w = frame.width * k;
  const data = new Uint8Array(w * frame.height * k * 3);
  const src = frame.data;
  for (let y = 0; y < frame.height; y++) {
    const row = y * k * w * 3;
    for (let x = 0; x < frame.width; x++) {
      const i = (y * frame.width + x) * 3;
      for (let d = 0; d < k; d++) {
        const o = row + (x * k + d) * 3;
        data[o] = src[i]!;
        data[o + 1] = src[i + 1]!;
        data[o + 2] = src[i + 2]!;
      }
    }
    for (let r = 1; r < k; r++) data.copyWithin(row + r * w * 3, row, row + w * 3);
  }
  return { width: w, height: frame.height * k, data };
}
