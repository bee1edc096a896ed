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
  csr(a: number, m: number, k: number, rowPtr: number, idx: number, vals: number, maxNnz: number): number;
  csrTranspose(
    rowPtr: number,
    idx: number,
    vals: number,
    m: number,
    k: number,
    colPtr: number,
    rowIdx: number,
    colVals: number,
    next: number,
  ): void;
  spmm(
    ptr: number,
    idx: number,
    vals: number,
    m: number,
    b: number,
    n: number,
    c: number,
    bias: number,
    flags: number,
  ): void;
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

/** Rows of a transposed A per block of a long reduction (see `gemm`). */
const TRANS_BLOCK = 256;

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

/** A sparse matrix in compressed rows (or columns): offsets of its arrays in the workspace, in floats. */
export interface CompressedRows {
  /** Row starts, rows + 1 int32. */
  ptr: number;
  /** Column of each entry, int32. */
  idx: number;
  /** Value of each entry. */
  vals: number;
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

  /**
   * C = A B (+ bias) (+ C) with float offsets; see `GemmArgs`. A long reduction over a transposed
   * A (a weight gradient X^T dY over many rows, e.g. a conv's patches) runs in blocks of
   * TRANS_BLOCK rows accumulated into C, so each block of A and B stays in cache while every
   * 4 x 8 tile of C reads it (streaming them whole once per tile made it memory-bound: 12 instead
   * of 40 GFLOP/s for 36 x 16384 x 16).
   */
  gemm(g: GemmArgs): void {
    if (g.transA && g.k > 2 * TRANS_BLOCK && g.bias === undefined && (g.lda ?? g.m) === g.m) {
      const ldb = g.ldb ?? g.n;
      for (let k0 = 0; k0 < g.k; k0 += TRANS_BLOCK) {
        this.gemm({
          ...g,
          a: g.a + k0 * g.m,
          b: g.b + k0 * ldb,
          k: Math.min(TRANS_BLOCK, g.k - k0),
          ldb,
          accumulate: g.accumulate || k0 > 0,
        });
      }
      return;
    }
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

  /**
   * The non-zero entries of A [m, k] at `a` in compressed rows (offsets `rowPtr` [m + 1], `idx`
   * and `vals` [up to maxNnz], all in floats; the ints are stored in the same memory). Returns
   * their number, or -1 when there are more than maxNnz.
   */
  csr(a: number, m: number, k: number, sparse: CompressedRows, maxNnz: number): number {
    return this.exports.csr(a * 4, m, k, sparse.ptr * 4, sparse.idx * 4, sparse.vals * 4, maxNnz);
  }

  /** The compressed rows of an [m, k] matrix as compressed columns (`next`: k ints of scratch). */
  csrTranspose(rows: CompressedRows, m: number, k: number, cols: CompressedRows, next: number): void {
    this.exports.csrTranspose(
      rows.ptr * 4,
      rows.idx * 4,
      rows.vals * 4,
      m,
      k,
      cols.ptr * 4,
      cols.idx * 4,
      cols.vals * 4,
      next * 4,
    );
  }

  /** C [m, n] = (bias) + A B for A in compressed rows [m, k] and dense B [k, n]. */
  spmm(a: CompressedRows, m: number, b: number, n: number, c: number, bias?: number): void {
    this.exports.spmm(
      a.ptr * 4,
      a.idx * 4,
      a.vals * 4,
      m,
      b * 4,
      n,
      c * 4,
      (bias ?? 0) * 4,
      bias === undefined ? 0 : 2,
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
