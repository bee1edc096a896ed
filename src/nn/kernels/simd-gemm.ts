/**
 * The SIMD module's matrix product (simd-module.ts assembles it): C = A B (+ bias) (+ C), with A
 * read through two strides so one kernel does X W, X^T dY and dY W^T; a 4 x 8 register block of C
 * walks k, with 4-wide and scalar edges.
 */
import {
  F32,
  type FunctionDef,
  f32,
  f32x4,
  func,
  get,
  I32,
  i32,
  ifElse,
  inc,
  seq,
  set,
  V128,
  v128,
  whileLoop,
} from "./wasm-asm.js";

const c = i32.c;

/**
 * gemm(a, ai, ak, b, bs, c, cs, bias, M, K, N, flags): C[i][j] = sum_k A(i, k) B[k][j], where
 * A(i, k) is at a + i*ai + k*ak, B[k][j] at b + k*bs + 4j, C[i][j] at c + i*cs + 4j (all bytes).
 * flags: 1 = add to the existing C, 2 = add bias[j] (at `bias`).
 */
export function gemm(): FunctionDef {
  const params = {
    a: I32,
    ai: I32,
    ak: I32,
    b: I32,
    bs: I32,
    c: I32,
    cs: I32,
    bias: I32,
    M: I32,
    K: I32,
    N: I32,
    flags: I32,
  };
  const locals = {
    i: I32,
    j: I32,
    k: I32,
    pa0: I32,
    pa1: I32,
    pa2: I32,
    pa3: I32,
    pb: I32,
    pc: I32,
    b0: V128,
    b1: V128,
    s: V128,
    x0: V128,
    x1: V128,
    x2: V128,
    x3: V128,
    x4: V128,
    x5: V128,
    x6: V128,
    x7: V128,
    bs0: F32,
    y0: F32,
    y1: F32,
    y2: F32,
    y3: F32,
  };
  return func("gemm", params, locals, (v) => {
    const pa = [v.pa0, v.pa1, v.pa2, v.pa3];
    const vecAcc = [v.x0, v.x1, v.x2, v.x3, v.x4, v.x5, v.x6, v.x7];
    const scalarAcc = [v.y0, v.y1, v.y2, v.y3];

    /** One R x W tile at (i, j): W = 8 (two vectors per row), 4 (one) or 1 (scalar). */
    const tile = (R: number, W: 8 | 4 | 1): number[] => {
      const vecs = W === 8 ? 2 : 1;
      const acc = (r: number, q: number) => (W === 1 ? scalarAcc[r]! : vecAcc[r * vecs + q]!);
      const cAddr = (r: number) =>
        i32.add(i32.add(get(v.c), i32.mul(i32.add(get(v.i), c(r)), get(v.cs))), i32.shl(get(v.j), c(2)));
      const biasAddr = i32.add(get(v.bias), i32.shl(get(v.j), c(2)));
      const load = W === 1 ? f32.load : v128.load;
      const add = W === 1 ? f32.add : f32x4.add;
      const zero = W === 1 ? f32.c(0) : f32x4.c(0);
      const init: number[][] = [];
      const fromC: number[][] = [];
      const plusBias: number[][] = [];
      for (let r = 0; r < R; r++) {
        for (let q = 0; q < vecs; q++) {
          init.push(set(acc(r, q), zero));
          fromC.push(set(acc(r, q), load(cAddr(r), 16 * q)));
          plusBias.push(set(acc(r, q), add(get(acc(r, q)), load(biasAddr, 16 * q))));
        }
      }
      const step: number[][] = [];
      if (W === 1) {
        step.push(set(v.bs0, f32.load(get(v.pb))));
        for (let r = 0; r < R; r++) {
          step.push(set(acc(r, 0), f32.add(get(acc(r, 0)), f32.mul(f32.load(get(pa[r]!)), get(v.bs0)))));
        }
      } else {
        step.push(set(v.b0, v128.load(get(v.pb))));
        if (vecs === 2) step.push(set(v.b1, v128.load(get(v.pb), 16)));
        for (let r = 0; r < R; r++) {
          step.push(set(v.s, v128.load32Splat(get(pa[r]!))));
          for (let q = 0; q < vecs; q++) {
            const bq = q === 0 ? v.b0 : v.b1;
            step.push(set(acc(r, q), f32x4.add(get(acc(r, q)), f32x4.mul(get(v.s), get(bq)))));
          }
        }
      }
      for (let r = 0; r < R; r++) step.push(inc(pa[r]!, get(v.ak)));
      step.push(inc(v.pb, get(v.bs)));
      const store: number[][] = [];
      const storeOp = W === 1 ? f32.store : v128.store;
      for (let r = 0; r < R; r++) {
        store.push(set(v.pc, cAddr(r)));
        for (let q = 0; q < vecs; q++) store.push(storeOp(get(v.pc), get(acc(r, q)), 16 * q));
      }
      const setA: number[][] = [];
      for (let r = 0; r < R; r++) {
        setA.push(set(pa[r]!, i32.add(get(v.a), i32.mul(i32.add(get(v.i), c(r)), get(v.ai)))));
      }
      return seq(
        ifElse(i32.and(get(v.flags), c(1)), fromC, init),
        ifElse(i32.and(get(v.flags), c(2)), plusBias),
        ...setA,
        set(v.pb, i32.add(get(v.b), i32.shl(get(v.j), c(2)))),
        set(v.k, get(v.K)),
        whileLoop(get(v.k), ...step, set(v.k, i32.sub(get(v.k), c(1)))),
        ...store,
      );
    };

    /** All tiles of R rows starting at row i. */
    const rowBlock = (R: number): number[] =>
      seq(
        set(v.j, c(0)),
        whileLoop(i32.leS(i32.add(get(v.j), c(8)), get(v.N)), tile(R, 8), inc(v.j, c(8))),
        ifElse(i32.leS(i32.add(get(v.j), c(4)), get(v.N)), [tile(R, 4), inc(v.j, c(4))]),
        whileLoop(i32.ltS(get(v.j), get(v.N)), tile(R, 1), inc(v.j, c(1))),
      );

    return seq(
      set(v.i, c(0)),
      whileLoop(i32.leS(i32.add(get(v.i), c(4)), get(v.M)), rowBlock(4), inc(v.i, c(4))),
      whileLoop(i32.ltS(get(v.i), get(v.M)), rowBlock(1), inc(v.i, c(1))),
    );
  });
}
