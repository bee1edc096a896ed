/**
 * The loops behind compileSpec: a layer stack compiled to float64 buffers.
 *
 * Every layer is a matrix product Y = X W + b over rows (samples for dense, output pixels for
 * conv after an im2col copy), done by one register-blocked kernel: weights are transposed once
 * at compile time so each output is a dot product over contiguous memory, and 2 rows x 4
 * outputs are accumulated in locals per pass (8 accumulators fit the registers V8 gives us;
 * measured against a 4 x 4 block and an axpy loop in bench/nn.ts's history).
 */
import {
  type Activation,
  type Conv2dLayerSpec,
  type DenseLayerSpec,
  type LayerSpec,
  layerShapes,
  samePadding,
} from "./spec.js";

/** Y[r][o] = bias[o] + sum_i X[r][i] * WT[o][i], for `rows` rows. */
export function gemm(
  x: Float64Array,
  wt: Float64Array,
  bias: Float64Array,
  y: Float64Array,
  rows: number,
  nIn: number,
  nOut: number,
): void {
  let r = 0;
  for (; r + 2 <= rows; r += 2) {
    const x0 = r * nIn;
    const x1 = x0 + nIn;
    const y0 = r * nOut;
    const y1 = y0 + nOut;
    let o = 0;
    for (; o + 4 <= nOut; o += 4) {
      const w0 = o * nIn;
      const w1 = w0 + nIn;
      const w2 = w1 + nIn;
      const w3 = w2 + nIn;
      let a00 = 0;
      let a01 = 0;
      let a02 = 0;
      let a03 = 0;
      let a10 = 0;
      let a11 = 0;
      let a12 = 0;
      let a13 = 0;
      for (let i = 0; i < nIn; i++) {
        const p0 = x[x0 + i]!;
        const p1 = x[x1 + i]!;
        const q0 = wt[w0 + i]!;
        const q1 = wt[w1 + i]!;
        const q2 = wt[w2 + i]!;
        const q3 = wt[w3 + i]!;
        a00 += p0 * q0;
        a01 += p0 * q1;
        a02 += p0 * q2;
        a03 += p0 * q3;
        a10 += p1 * q0;
        a11 += p1 * q1;
        a12 += p1 * q2;
        a13 += p1 * q3;
      }
      y[y0 + o] = a00 + bias[o]!;
      y[y0 + o + 1] = a01 + bias[o + 1]!;
      y[y0 + o + 2] = a02 + bias[o + 2]!;
      y[y0 + o + 3] = a03 + bias[o + 3]!;
      y[y1 + o] = a10 + bias[o]!;
      y[y1 + o + 1] = a11 + bias[o + 1]!;
      y[y1 + o + 2] = a12 + bias[o + 2]!;
      y[y1 + o + 3] = a13 + bias[o + 3]!;
    }
    for (; o < nOut; o++) {
      const w0 = o * nIn;
      let a0 = 0;
      let a1 = 0;
      for (let i = 0; i < nIn; i++) {
        const q = wt[w0 + i]!;
        a0 += x[x0 + i]! * q;
        a1 += x[x1 + i]! * q;
      }
      y[y0 + o] = a0 + bias[o]!;
      y[y1 + o] = a1 + bias[o]!;
    }
  }
  for (; r < rows; r++) {
    const x0 = r * nIn;
    const y0 = r * nOut;
    let o = 0;
    for (; o + 4 <= nOut; o += 4) {
      const w0 = o * nIn;
      const w1 = w0 + nIn;
      const w2 = w1 + nIn;
      const w3 = w2 + nIn;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let i = 0; i < nIn; i++) {
        const p = x[x0 + i]!;
        a0 += p * wt[w0 + i]!;
        a1 += p * wt[w1 + i]!;
        a2 += p * wt[w2 + i]!;
        a3 += p * wt[w3 + i]!;
      }
      y[y0 + o] = a0 + bias[o]!;
      y[y0 + o + 1] = a1 + bias[o + 1]!;
      y[y0 + o + 2] = a2 + bias[o + 2]!;
      y[y0 + o + 3] = a3 + bias[o + 3]!;
    }
    for (; o < nOut; o++) {
      const w0 = o * nIn;
      let a = 0;
      for (let i = 0; i < nIn; i++) a += x[x0 + i]! * wt[w0 + i]!;
      y[y0 + o] = a + bias[o]!;
    }
  }
}

function activateInPlace(buf: Float64Array, n: number, activation: Activation): void {
  if (activation === "relu") {
    for (let i = 0; i < n; i++) if (buf[i]! < 0) buf[i] = 0;
  } else if (activation === "tanh") {
    for (let i = 0; i < n; i++) buf[i] = Math.tanh(buf[i]!);
  }
}

interface CompiledLayer {
  /** Makes room for `batch` samples (allocates only when growing). */
  reserve(batch: number): void;
  run(x: Float64Array, y: Float64Array, batch: number): void;
}

function compileDense(l: DenseLayerSpec): CompiledLayer {
  const nIn = l.inSize;
  const nOut = l.outSize;
  const wt = new Float64Array(nIn * nOut);
  for (let i = 0; i < nIn; i++) for (let o = 0; o < nOut; o++) wt[o * nIn + i] = l.weight[i * nOut + o]!;
  const bias = Float64Array.from(l.bias);
  return {
    reserve: () => {},
    run: (x, y, batch) => {
      gemm(x, wt, bias, y, batch, nIn, nOut);
      activateInPlace(y, batch * nOut, l.activation);
    },
  };
}

/** Conv as im2col into a scratch matrix (rows = output pixels, order ky, kx, c), then gemm. */
function compileConv(l: Conv2dLayerSpec): CompiledLayer {
  const [h, w, c] = l.inShape;
  const k = l.kernelSize;
  const s = l.stride;
  const oc = l.outChannels;
  const padTop = l.padding === "same" ? samePadding(h, k, s)[0] : 0;
  const padLeft = l.padding === "same" ? samePadding(w, k, s)[0] : 0;
  const oh = l.padding === "same" ? Math.ceil(h / s) : Math.floor((h - k) / s) + 1;
  const ow = l.padding === "same" ? Math.ceil(w / s) : Math.floor((w - k) / s) + 1;
  const patch = k * k * c;
  const wt = new Float64Array(patch * oc);
  for (let p = 0; p < patch; p++) for (let o = 0; o < oc; o++) wt[o * patch + p] = l.weight[p * oc + o]!;
  const bias = Float64Array.from(l.bias);
  let cols = new Float64Array(oh * ow * patch);
  return {
    reserve: (batch) => {
      if (cols.length < batch * oh * ow * patch) cols = new Float64Array(batch * oh * ow * patch);
    },
    run: (x, y, batch) => {
      let dst = 0;
      for (let b = 0; b < batch; b++) {
        const xb = b * h * w * c;
        for (let oy = 0; oy < oh; oy++) {
          for (let ox = 0; ox < ow; ox++) {
            for (let ky = 0; ky < k; ky++) {
              const iy = oy * s + ky - padTop;
              for (let kx = 0; kx < k; kx++) {
                const ix = ox * s + kx - padLeft;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                  cols.fill(0, dst, dst + c);
                } else {
                  const src = xb + (iy * w + ix) * c;
                  for (let ci = 0; ci < c; ci++) cols[dst + ci] = x[src + ci]!;
                }
                dst += c;
              }
            }
          }
        }
      }
      gemm(cols, wt, bias, y, batch * oh * ow, patch, oc);
      activateInPlace(y, batch * oh * ow * oc, l.activation);
    },
  };
}

/** A layer stack compiled to loops over preallocated float64 buffers. */
export class Stack {
  readonly inSize: number;
  readonly outSize: number;
  private readonly layers: CompiledLayer[];
  private readonly widest: number;
  private capacity = 0;
  private bufA = new Float64Array(0);
  private bufB = new Float64Array(0);

  constructor(layers: readonly LayerSpec[], field: string) {
    const shapes = layerShapes(layers, field);
    const first = layers[0]!;
    this.inSize =
      first.kind === "dense" ? first.inSize : (first as Conv2dLayerSpec).inShape.reduce((a, b) => a * b, 1);
    const sizes = shapes.map((sh) => sh.reduce((a, b) => a * b, 1));
    this.outSize = sizes[sizes.length - 1]!;
    this.widest = Math.max(this.inSize, ...sizes);
    // Flatten is a no-op: NHWC row-major is already the flat order.
    this.layers = layers.flatMap((l) =>
      l.kind === "dense" ? [compileDense(l)] : l.kind === "conv2d" ? [compileConv(l)] : [],
    );
    this.reserve(1);
  }

  /** Grows the scratch buffers to hold `batch` samples (the only allocation, and only on growth). */
  reserve(batch: number): void {
    if (batch <= this.capacity) return;
    this.bufA = new Float64Array(this.widest * batch);
    this.bufB = new Float64Array(this.widest * batch);
    for (const l of this.layers) l.reserve(batch);
    this.capacity = batch;
  }

  /** The input buffer to fill with `batch` normalised observations before `run`. */
  input(batch: number): Float64Array {
    this.reserve(batch);
    return this.bufA;
  }

  /** Runs the stack on the input buffer; returns the buffer holding the output. */
  run(batch: number): Float64Array {
    let src = this.bufA;
    let dst = this.bufB;
    for (const l of this.layers) {
      l.run(src, dst, batch);
      const tmp = src;
      src = dst;
      dst = tmp;
    }
    return src;
  }
}
