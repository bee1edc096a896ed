/**
 * The SIMD module's sparse-input kernels (simd-module.ts assembles them) for 0/1 image
 * observations (MinAtar's are 1-8% ones): compress a matrix to rows of non-zeros, transpose the
 * compressed form, and multiply it by a dense matrix.
 */
import {
  type Code,
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
 * csr(a, M, K, rowPtr, idx, vals, maxNnz) -> nnz: the non-zero entries of A [M, K] (row-major)
 * in compressed rows: for row i, entries rowPtr[i] .. rowPtr[i+1] hold column idx[e] and value
 * vals[e] (rowPtr, idx int32). Zero runs are skipped four at a time. Returns -1 as soon as more
 * than maxNnz entries are found (the caller then multiplies densely).
 */
export function csr(): FunctionDef {
  const params = { a: I32, M: I32, K: I32, rowPtr: I32, idx: I32, vals: I32, maxNnz: I32 };
  const locals = { i: I32, k: I32, p: I32, nnz: I32, x: F32 };
  return func(
    "csr",
    params,
    locals,
    (v) => {
      /** Records entry k (at p) when non-zero; false when the budget is exceeded. */
      const one = (lane: number) =>
        seq(
          set(v.x, f32.load(get(v.p), 4 * lane)),
          ifElse(f32.ne(get(v.x), f32.c(0)), [
            ifElse(i32.geS(get(v.nnz), get(v.maxNnz)), [i32.c(-1), [0x0f]]),
            i32.store(i32.add(get(v.idx), i32.shl(get(v.nnz), c(2))), i32.add(get(v.k), c(lane))),
            f32.store(i32.add(get(v.vals), i32.shl(get(v.nnz), c(2))), get(v.x)),
            inc(v.nnz, c(1)),
          ]),
        );
      return seq(
        set(v.p, get(v.a)),
        set(v.i, c(0)),
        whileLoop(
          i32.ltS(get(v.i), get(v.M)),
          i32.store(i32.add(get(v.rowPtr), i32.shl(get(v.i), c(2))), get(v.nnz)),
          set(v.k, c(0)),
          whileLoop(
            i32.leS(i32.add(get(v.k), c(4)), get(v.K)),
            ifElse(v128.anyTrue(f32x4.ne(v128.load(get(v.p)), f32x4.c(0))), [one(0), one(1), one(2), one(3)]),
            inc(v.p, c(16)),
            inc(v.k, c(4)),
          ),
          whileLoop(i32.ltS(get(v.k), get(v.K)), one(0), inc(v.p, c(4)), inc(v.k, c(1))),
          inc(v.i, c(1)),
        ),
        i32.store(i32.add(get(v.rowPtr), i32.shl(get(v.M), c(2))), get(v.nnz)),
        get(v.nnz),
      );
    },
    [I32],
  );
}

/**
 * csrTranspose(rowPtr, idx, vals, M, K, colPtr, rowIdx, colVals, next): the same entries by
 * column (a counting sort): column k's entries are colPtr[k] .. colPtr[k+1], rows in increasing
 * order; `next` is K ints of scratch.
 */
export function csrTranspose(): FunctionDef {
  const params = {
    rowPtr: I32,
    idx: I32,
    vals: I32,
    M: I32,
    K: I32,
    colPtr: I32,
    rowIdx: I32,
    colVals: I32,
    next: I32,
  };
  const locals = { i: I32, e: I32, end: I32, k: I32, pos: I32, sum: I32, n: I32 };
  return func("csrTranspose", params, locals, (v) => {
    const int = (base: number, index: Code) => i32.add(get(base), i32.shl(index, c(2)));
    return seq(
      // Counts per column into next[k], then exclusive prefix sums into colPtr and next.
      set(v.k, c(0)),
      whileLoop(i32.ltS(get(v.k), get(v.K)), i32.store(int(v.next, get(v.k)), c(0)), inc(v.k, c(1))),
      set(v.end, i32.load(int(v.rowPtr, get(v.M)))),
      set(v.e, c(0)),
      whileLoop(
        i32.ltS(get(v.e), get(v.end)),
        set(v.k, i32.load(int(v.idx, get(v.e)))),
        i32.store(int(v.next, get(v.k)), i32.add(i32.load(int(v.next, get(v.k))), c(1))),
        inc(v.e, c(1)),
      ),
      set(v.sum, c(0)),
      set(v.k, c(0)),
      whileLoop(
        i32.ltS(get(v.k), get(v.K)),
        set(v.n, i32.load(int(v.next, get(v.k)))),
        i32.store(int(v.colPtr, get(v.k)), get(v.sum)),
        i32.store(int(v.next, get(v.k)), get(v.sum)),
        inc(v.sum, get(v.n)),
        inc(v.k, c(1)),
      ),
      i32.store(int(v.colPtr, get(v.K)), get(v.sum)),
      set(v.i, c(0)),
      whileLoop(
        i32.ltS(get(v.i), get(v.M)),
        set(v.e, i32.load(int(v.rowPtr, get(v.i)))),
        set(v.end, i32.load(int(v.rowPtr, i32.add(get(v.i), c(1))))),
        whileLoop(
          i32.ltS(get(v.e), get(v.end)),
          set(v.k, i32.load(int(v.idx, get(v.e)))),
          set(v.pos, i32.load(int(v.next, get(v.k)))),
          i32.store(int(v.rowIdx, get(v.pos)), get(v.i)),
          f32.store(int(v.colVals, get(v.pos)), f32.load(int(v.vals, get(v.e)))),
          i32.store(int(v.next, get(v.k)), i32.add(get(v.pos), c(1))),
          inc(v.e, c(1)),
        ),
        inc(v.i, c(1)),
      ),
    );
  });
}

/**
 * spmm(ptr, idx, vals, M, b, N, c, bias, flags): C[i][:] = (flags & 2 ? bias : 0) +
 * sum over row i's entries (k, x) of x B[k][:], for compressed rows (ptr, idx, vals) of an [M, K]
 * matrix and dense B [K, N], C [M, N] (row strides N). 32 columns of a row are accumulated in
 * eight vector registers over the row's entries, then 16 in four, then 4 in one, then single ones.
 */
export function spmm(): FunctionDef {
  const params = { ptr: I32, idx: I32, vals: I32, M: I32, b: I32, N: I32, c: I32, bias: I32, flags: I32 };
  const locals = {
    i: I32,
    j: I32,
    e: I32,
    end: I32,
    rowBytes: I32,
    pc: I32,
    pb: I32,
    s: V128,
    x0: V128,
    x1: V128,
    x2: V128,
    x3: V128,
    x4: V128,
    x5: V128,
    x6: V128,
    x7: V128,
    y: F32,
  };
  return func("spmm", params, locals, (v) => {
    const acc = [v.x0, v.x1, v.x2, v.x3, v.x4, v.x5, v.x6, v.x7];
    const int = (base: number, index: Code) => i32.add(get(base), i32.shl(index, c(2)));
    const chunk = (vecs: number, scalar: boolean) => {
      const k = scalar ? f32 : f32x4;
      const load = scalar ? f32.load : v128.load;
      const store = scalar ? f32.store : v128.store;
      const regs = scalar ? [v.y] : acc.slice(0, vecs);
      const colBytes = i32.shl(get(v.j), c(2));
      return seq(
        set(v.pc, i32.add(i32.add(get(v.c), i32.mul(get(v.i), get(v.rowBytes))), colBytes)),
        ...regs.map((r, q) =>
          ifElse(
            i32.and(get(v.flags), c(2)),
            [set(r, load(i32.add(get(v.bias), colBytes), 16 * q))],
            [set(r, scalar ? f32.c(0) : f32x4.c(0))],
          ),
        ),
        set(v.e, i32.load(int(v.ptr, get(v.i)))),
        set(v.end, i32.load(int(v.ptr, i32.add(get(v.i), c(1))))),
        whileLoop(
          i32.ltS(get(v.e), get(v.end)),
          set(
            v.pb,
            i32.add(i32.add(get(v.b), i32.mul(i32.load(int(v.idx, get(v.e))), get(v.rowBytes))), colBytes),
          ),
          scalar ? [] : set(v.s, v128.load32Splat(int(v.vals, get(v.e)))),
          ...regs.map((r, q) =>
            set(
              r,
              k.add(
                get(r),
                k.mul(scalar ? f32.load(int(v.vals, get(v.e))) : get(v.s), load(get(v.pb), 16 * q)),
              ),
            ),
          ),
          inc(v.e, c(1)),
        ),
        ...regs.map((r, q) => store(get(v.pc), get(r), 16 * q)),
      );
    };
    return seq(
      set(v.rowBytes, i32.shl(get(v.N), c(2))),
      set(v.i, c(0)),
      whileLoop(
        i32.ltS(get(v.i), get(v.M)),
        set(v.j, c(0)),
        whileLoop(i32.leS(i32.add(get(v.j), c(32)), get(v.N)), chunk(8, false), inc(v.j, c(32))),
        ifElse(i32.leS(i32.add(get(v.j), c(16)), get(v.N)), [chunk(4, false), inc(v.j, c(16))]),
        whileLoop(i32.leS(i32.add(get(v.j), c(4)), get(v.N)), chunk(1, false), inc(v.j, c(4))),
        whileLoop(i32.ltS(get(v.j), get(v.N)), chunk(1, true), inc(v.j, c(1))),
        inc(v.i, c(1)),
      ),
    );
  });
}
