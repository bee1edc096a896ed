/**
 * The float64 kernels: the plan (plan.ts) executed in plain JS for compileSpec's synchronous
 * forward, the acting path (batch 1 and small batches; the standalone runtime reproduces these
 * sums bit for bit).
 *
 * Every layer is a matrix product Y = X W + b over rows (samples for dense, output pixels for
 * conv after an im2col copy), done by one register-blocked kernel: weights are transposed once
 * at compile time so each output is a dot product over contiguous memory, summed in input order
 * from 0 with the bias added last, and 2 rows x 4 outputs are accumulated in locals per pass
 * (8 accumulators fit the registers V8 gives us; measured against a 4 x 4 block and an axpy loop
 * in bench/nn.ts's history). Each layer keeps its own output buffer, so hidden activations can be
 * read after a run (teacher features).
 */
import type { Activation, LayerSpec } from "../spec.js";
import { type ConvStep, type DenseStep, type Plan, planLayers } from "./plan.js";

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
  run(x: Float64Array, batch: number): void;
  /** The layer's output [capacity, outSize]. */
  out: Float64Array;
}

function compileDense(s: DenseStep): CompiledLayer {
  const { inSize: nIn, outSize: nOut, layer: l } = s;
  const wt = new Float64Array(nIn * nOut);
  for (let i = 0; i < nIn; i++) for (let o = 0; o < nOut; o++) wt[o * nIn + i] = l.weight[i * nOut + o]!;
  const bias = Float64Array.from(l.bias);
  const layer: CompiledLayer = {
    out: new Float64Array(0),
    reserve: (batch) => {
      if (layer.out.length < batch * nOut) layer.out = new Float64Array(batch * nOut);
    },
    run: (x, batch) => {
      gemm(x, wt, bias, layer.out, batch, nIn, nOut);
      activateInPlace(layer.out, batch * nOut, l.activation);
    },
  };
  return layer;
}

/** Conv as im2col into a scratch matrix (rows = output pixels, order ky, kx, c), then gemm. */
function compileConv(s: ConvStep): CompiledLayer {
  const { h, w, channels: c, kernel: k, stride: st, outChannels: oc, patch, pixels, layer: l } = s;
  const { padTop, padLeft, outH: oh, outW: ow } = s.geometry;
  const wt = new Float64Array(patch * oc);
  for (let p = 0; p < patch; p++) for (let o = 0; o < oc; o++) wt[o * patch + p] = l.weight[p * oc + o]!;
  const bias = Float64Array.from(l.bias);
  let cols = new Float64Array(0);
  const layer: CompiledLayer = {
    out: new Float64Array(0),
    reserve: (batch) => {
      if (cols.length < batch * pixels * patch) cols = new Float64Array(batch * pixels * patch);
      if (layer.out.length < batch * pixels * oc) layer.out = new Float64Array(batch * pixels * oc);
    },
    run: (x, batch) => {
      let dst = 0;
      for (let b = 0; b < batch; b++) {
        const xb = b * h * w * c;
        for (let oy = 0; oy < oh; oy++) {
          for (let ox = 0; ox < ow; ox++) {
            for (let ky = 0; ky < k; ky++) {
              const iy = oy * st + ky - padTop;
              for (let kx = 0; kx < k; kx++) {
                const ix = ox * st + kx - padLeft;
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
      gemm(cols, wt, bias, layer.out, batch * pixels, patch, oc);
      activateInPlace(layer.out, batch * pixels * oc, l.activation);
    },
  };
  return layer;
}

/** A layer stack compiled to loops over preallocated float64 buffers. */
export class ExactStack {
  readonly plan: Plan;
  private readonly layers: CompiledLayer[];
  private capacity = 0;
  private inputBuf: Float64Array = new Float64Array(0);

  constructor(layers: readonly LayerSpec[], field: string) {
    this.plan = planLayers(layers, field);
    this.layers = this.plan.steps.map((s) => (s.kind === "dense" ? compileDense(s) : compileConv(s)));
    this.reserve(1);
  }

  get inSize(): number {
    return this.plan.inSize;
  }

  get outSize(): number {
    return this.plan.outSize;
  }

  /** Grows the buffers to hold `batch` samples (the only allocation, and only on growth). */
  reserve(batch: number): void {
    if (batch <= this.capacity) return;
    this.inputBuf = new Float64Array(this.plan.inSize * batch);
    for (const l of this.layers) l.reserve(batch);
    this.capacity = batch;
  }

  /** The input buffer to fill with `batch` normalised observations before `run`. */
  input(batch: number): Float64Array {
    this.reserve(batch);
    return this.inputBuf;
  }

  /** Runs the stack on the input buffer; returns the buffer holding the output. */
  run(batch: number): Float64Array {
    let src = this.inputBuf;
    for (const l of this.layers) {
      l.run(src, batch);
      src = l.out;
    }
    return src;
  }

  /** Output of the layer called `name` in the last run, [batch, size] (a view). */
  activation(name: string, batch: number): Float64Array {
    const i = this.plan.steps.findIndex((s) => s.name === name);
    if (i < 0) throw new RangeError(`no layer "${name}"`);
    return this.layers[i]!.out.subarray(0, batch * this.plan.steps[i]!.outSize);
  }
}
