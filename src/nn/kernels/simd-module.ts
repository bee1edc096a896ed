/**
 * The float32 SIMD kernels (WebAssembly, 128-bit f32x4 lanes) behind the batched forward and the
 * tape-free backward: one general matrix product, im2col / col2im for convolutions, activations
 * and their derivatives, column sums and a transpose. Arguments are byte offsets into the
 * instance's memory and sizes in elements; simd.ts wraps them for TypeScript.
 *
 * The matrix product C = A B (+ bias) (+ C) reads A through two strides, so the same code does
 * X W (forward), X^T dY (weight gradients: A read column-wise) and, with a transposed copy of W,
 * dY W^T (input gradients). It accumulates a 4 x 8 block of C in eight vector registers while
 * walking k (each B row's 8 values loaded once per 4 rows, each A value splatted once per 8
 * columns), with 4-wide and scalar edges. Measured on this machine (Xeon, V8 11.3): about 43
 * GFLOP/s for 256 x 256 x 256 and 256 x 400 x 64, against 3.5 GFLOP/s for the float64 JS loops
 * and 15-20 for tfjs-wasm's XNNPACK matMul once its dispatch is counted (bench/nn.ts).
 *
 * Rounding: products and sums are float32 (as tfjs and PyTorch on CPU), summed in k order per
 * output; `tanh` is Eigen's float rational approximation (max error about 2 ulp), which XNNPACK
 * also uses.
 *
 * The kernels live by role: simd-gemm.ts (the matrix product), simd-elementwise.ts (activations,
 * their backwards, column sums, transpose), simd-patches.ts (im2col / col2im), simd-sparse.ts
 * (compressed sparse inputs); Adam and the assembly of the module are here.
 */

import { colSum, reluBackward, reluKernel, tanhBackward, tanhKernel, transpose } from "./simd-elementwise.js";
import { gemm } from "./simd-gemm.js";
import { patches } from "./simd-patches.js";
import { csr, csrTranspose, spmm } from "./simd-sparse.js";
import {
  assemble,
  type Code,
  F64,
  type FunctionDef,
  f32,
  f64,
  f64c,
  f64x2,
  func,
  get,
  I32,
  i32,
  inc,
  seq,
  set,
  V128,
  v128,
  whileLoop,
} from "./wasm-asm.js";

const c = i32.c;

/**
 * adam(p, g, m, v, n, stepSize, sqrtBc2, b1, b2, eps): PyTorch's Adam step on n float32 values in
 * float64 arithmetic, two per pass (f64x2), with the same operations in the same order as the
 * scalar JavaScript formula, so the result is identical to it bit for bit:
 *   m' = b1 m + (1 - b1) g;  v' = b2 v + (1 - b2) g g;  p -= stepSize m' / (sqrt(v') / sqrtBc2 + eps)
 * (m' and v' unrounded in the update, stored as float32).
 */
function adam(): FunctionDef {
  const params = {
    p: I32,
    g: I32,
    m: I32,
    v: I32,
    n: I32,
    stepSize: F64,
    sqrtBc2: F64,
    b1: F64,
    b2: F64,
    eps: F64,
  };
  const locals = { i: I32, end: I32, gv: V128, mv: V128, vv: V128, gs: F64, ms: F64, vs: F64 };
  return func("adam", params, locals, (l) => {
    const at = (base: number) => i32.add(get(base), get(l.i));
    const vec = (x: number) => f64x2.splat(get(x));
    const one = (x: number) => get(x);
    const update = (lanes: boolean) => {
      const k = lanes ? f64x2 : f64;
      const c = lanes ? vec : one;
      const load = (base: number) =>
        lanes ? f64x2.promoteLow(v128.load64Zero(at(base))) : f64.promote(f32.load(at(base)));
      const store = (base: number, x: Code) =>
        lanes ? v128.store64Low(at(base), f64x2.demote(x)) : f32.store(at(base), f64.demote(x));
      const [g, m, v] = lanes ? [l.gv, l.mv, l.vv] : [l.gs, l.ms, l.vs];
      const oneMinus = (b: number) =>
        lanes ? f64x2.sub(f64x2.splat(f64c(1)), vec(b)) : f64.sub(f64c(1), get(b));
      return seq(
        set(g!, load(l.g)),
        set(m!, k.add(k.mul(c(l.b1), load(l.m)), k.mul(oneMinus(l.b1), get(g!)))),
        set(v!, k.add(k.mul(c(l.b2), load(l.v)), k.mul(k.mul(oneMinus(l.b2), get(g!)), get(g!)))),
        store(l.m, get(m!)),
        store(l.v, get(v!)),
        store(
          l.p,
          k.sub(
            load(l.p),
            k.div(k.mul(c(l.stepSize), get(m!)), k.add(k.div(k.sqrt(get(v!)), c(l.sqrtBc2)), c(l.eps))),
          ),
        ),
      );
    };
    return seq(
      set(l.i, c(0)),
      set(l.end, i32.shl(get(l.n), c(2))),
      whileLoop(i32.leS(i32.add(get(l.i), c(8)), get(l.end)), update(true), inc(l.i, c(8))),
      whileLoop(i32.ltS(get(l.i), get(l.end)), update(false), inc(l.i, c(4))),
    );
  });
}

/** Pages of 64 KiB the memory starts with (grown on demand by simd.ts). */
export const INITIAL_PAGES = 16;

/** The module's binary, assembled once per process. */
export function simdModuleBytes(): Uint8Array {
  return assemble(
    [
      gemm(),
      reluKernel(),
      tanhKernel(),
      reluBackward(),
      tanhBackward(),
      colSum(),
      transpose(),
      patches("im2col"),
      patches("col2im"),
      adam(),
      csr(),
      csrTranspose(),
      spmm(),
    ],
    INITIAL_PAGES,
  );
}
