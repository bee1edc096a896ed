/**
 * A workspace for the SIMD kernels: one WebAssembly instance with its own memory, a bump
 * allocator over it, and the kernels as typed calls on float offsets (indices into `f32`).
 *
 *   const ws = new SimdWorkspace();
 *   const a = ws.alloc(m * k), b = ws.alloc(k * n), c = ws.alloc(m * n);
 *   ws.f32.set(aValues, a); ws.f32.set(bValues, b);
 *   ws.gemm({ a, b, c, m, k, n });           // c = a b
 *   const result = ws.f32.subarray(c, c + m * n);
 *
 * Growing the memory (an `alloc` past the end) replaces the ArrayBuffer: read `ws.f32` again
 * after allocating, never keep a view across an `alloc`. The module is compiled once per process
 * (synchronously: it is about 5 KB); each workspace is a cheap instance of it.
 */
import { INITIAL_PAGES, simdModuleBytes } from "./simd-module.js";

interface Exports {
  memory: WebAssembly.Memory;
  gemm(
    a: number,
    ai: number,
    ak: number,
    b: number,
    bs: number,
    c: number,
    cs: number,
    bias: number,
    m: number,
    k: number,
    n: number,
    flags: number,
  ): void;
  relu(p: number, n: number): void;
  tanh(p: number, n: number): void;
  reluBackward(dy: number, y: number, n: number): void;
  tanhBackward(dy: number, y: number, n: number): void;
  colSum(src: number, rows: number, cols: number, dst: number, flags: number): void;
  transpose(src: number, rows: number, cols: number, dst: number): void;
  im2col(...args: number[]): void;
  col2im(...args: number[]): void;
  adam(
    p: number,
    g: number,
    m: number,
    v: number,
    n: number,
    stepSize: number,
    sqrtBc2: number,
    b1: number,
    b2: number,
    eps: number,
  ): void;
}

let compiled: WebAssembly.Module | undefined;

function simdModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(simdModuleBytes() as BufferSource);
  return compiled;
}

/** Geometry of an im2col / col2im call (NHWC input, patches in (ky, kx, channel) order). */
export interface PatchGeometry {
  batch: number;
  h: number;
  w: number;
  channels: number;
  kernel: number;
  stride: number;
  padTop: number;
  padLeft: number;
  outH: number;
  outW: number;
}

/** Arguments of `gemm`: C = A B (+ bias) (+ C); offsets and strides in floats. */
export interface GemmArgs {
  a: number;
  b: number;
  c: number;
  m: number;
  k: number;
  n: number;
  /** Read A as its transpose: A(i, k) at a + k * m + i (A stored [k, m]). Default false. */
  transA?: boolean;
  /** Row stride of A (when not transposed), B and C. Defaults: k, n, n. */
  lda?: number;
  ldb?: number;
  ldc?: number;
  /** Offset of a bias [n] added to every row. */
  bias?: number;
  /** Add the product to C instead of overwriting it. */
  accumulate?: boolean;
}

export class SimdWorkspace {
  private readonly exports: Exports;
  private view: Float32Array;
  /** Next free float (16-byte aligned). */
  private top = 0;

  constructor() {
    const instance = new WebAssembly.Instance(simdModule(), {});
    this.exports = instance.exports as unknown as Exports;
    this.view = new Float32Array(this.exports.memory.buffer);
  }

  /** The memory as floats (a fresh view after growth: do not keep it across `alloc`). */
  get f32(): Float32Array {
    if (this.view.buffer !== this.exports.memory.buffer)
      this.view = new Float32Array(this.exports.memory.buffer);
    return this.view;
  }

  /** Floats allocated so far. */
  get used(): number {
    return this.top;
  }

  /** Reserves `floats` floats (zeroed) and returns their offset; grows the memory if needed. */
  alloc(floats: number): number {
    const at = this.top;
    this.top += Math.ceil(floats / 4) * 4;
    const needBytes = this.top * 4;
    const have = this.exports.memory.buffer.byteLength;
    if (needBytes > have) {
      const pages = Math.ceil((needBytes - have) / 65536);
      // Grow by at least half again, so repeated small growths stay rare.
      this.exports.memory.grow(Math.max(pages, Math.ceil(have / 65536 / 2), INITIAL_PAGES));
    }
    this.f32.fill(0, at, at + floats);
    return at;
  }

  /** C = A B (+ bias) (+ C) with float offsets; see `GemmArgs`. */
  gemm(g: GemmArgs): void {
    const lda = g.lda ?? (g.transA ? g.m : g.k);
    const ai = g.transA ? 4 : lda * 4;
    const ak = g.transA ? lda * 4 : 4;
    const flags = (g.accumulate ? 1 : 0) | (g.bias !== undefined ? 2 : 0);
    this.exports.gemm(
      g.a * 4,
      ai,
      ak,
      g.b * 4,
      (g.ldb ?? g.n) * 4,
      g.c * 4,
      (g.ldc ?? g.n) * 4,
      (g.bias ?? 0) * 4,
      g.m,
      g.k,
      g.n,
      flags,
    );
  }

  /**
   * Adam on n parameters at p with gradient g and moments m, v (see simd-module.ts: float64
   * arithmetic, the same results as the scalar formula).
   */
  adam(
    at: { p: number; g: number; m: number; v: number },
    n: number,
    h: { stepSize: number; sqrtBc2: number; beta1: number; beta2: number; eps: number },
  ): void {
    this.exports.adam(
      at.p * 4,
      at.g * 4,
      at.m * 4,
      at.v * 4,
      n,
      h.stepSize,
      h.sqrtBc2,
      h.beta1,
      h.beta2,
      h.eps,
    );
  }

  relu(p: number, n: number): void {
    this.exports.relu(p * 4, n);
  }

  tanh(p: number, n: number): void {
    this.exports.tanh(p * 4, n);
  }

  /** dy *= relu'(x), from relu's output y (0 where y <= 0). */
  reluBackward(dy: number, y: number, n: number): void {
    this.exports.reluBackward(dy * 4, y * 4, n);
  }

  /** dy *= 1 - y^2, from tanh's output y. */
  tanhBackward(dy: number, y: number, n: number): void {
    this.exports.tanhBackward(dy * 4, y * 4, n);
  }

  /** dst[j] (+)= sum_r src[r][j] over a rows x cols matrix. */
  colSum(src: number, rows: number, cols: number, dst: number, accumulate = false): void {
    this.exports.colSum(src * 4, rows, cols, dst * 4, accumulate ? 1 : 0);
  }

  transpose(src: number, rows: number, cols: number, dst: number): void {
    this.exports.transpose(src * 4, rows, cols, dst * 4);
  }

  /** Patch matrix [batch * outH * outW, kernel^2 * channels] of the NHWC input at x. */
  im2col(x: number, cols: number, g: PatchGeometry): void {
    this.exports.im2col(x * 4, cols * 4, ...patchArgs(g));
  }

  /** Adds the patch matrix's entries back onto the (zeroed) input gradient dx: im2col's adjoint. */
  col2im(cols: number, dx: number, g: PatchGeometry): void {
    this.exports.col2im(dx * 4, cols * 4, ...patchArgs(g));
  }
}

function patchArgs(g: PatchGeometry): number[] {
  return [g.batch, g.h, g.w, g.channels, g.kernel, g.stride, g.padTop, g.padLeft, g.outH, g.outW];
}

let supported: boolean | undefined;

/** Whether this engine runs the SIMD module (every supported Node and modern browser does). */
export function simdSupported(): boolean {
  if (supported === undefined) {
    try {
      supported = WebAssembly.validate(simdModuleBytes() as BufferSource);
    } catch {
      supported = false;
    }
  }
  return supported;
}
