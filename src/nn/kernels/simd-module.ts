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
 */
import {
  assemble,
  type Code,
  F32,
  F64,
  type FunctionDef,
  f32,
  f32x4,
  f64,
  f64c,
  f64x2,
  func,
  get,
  I32,
  i32,
  ifElse,
  seq,
  set,
  V128,
  v128,
  whileLoop,
} from "./wasm-asm.js";

const inc = (v: number, by: Code): number[] => set(v, i32.add(get(v), by));
const c = i32.c;

/**
 * gemm(a, ai, ak, b, bs, c, cs, bias, M, K, N, flags): C[i][j] = sum_k A(i, k) B[k][j], where
 * A(i, k) is at a + i*ai + k*ak, B[k][j] at b + k*bs + 4j, C[i][j] at c + i*cs + 4j (all bytes).
 * flags: 1 = add to the existing C, 2 = add bias[j] (at `bias`).
 */
function gemm(): FunctionDef {
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

/**
 * An elementwise kernel over n floats: `vec(i)` for each 4 at byte offset i (relative), then
 * `scalar(i)` for the rest. Parameters (p, q, n): two arrays and a count.
 */
function elementwise(
  fname: string,
  vec: (v: Record<string, number>) => Code,
  scalar: (v: Record<string, number>) => Code,
): FunctionDef {
  return func(fname, { p: I32, q: I32, n: I32 }, { i: I32, end: I32, x: V128, y: F32 }, (v) =>
    seq(
      set(v.i, c(0)),
      set(v.end, i32.shl(get(v.n), c(2))),
      whileLoop(i32.leS(i32.add(get(v.i), c(16)), get(v.end)), vec(v), inc(v.i, c(16))),
      whileLoop(i32.ltS(get(v.i), get(v.end)), scalar(v), inc(v.i, c(4))),
    ),
  );
}

const at = (v: Record<string, number>, base: string) => i32.add(get(v[base]!), get(v.i!));

// Eigen's float tanh (clamped odd rational, numerator degree 13, denominator 6).
const TANH_CLAMP = 7.99881172180176;
const TANH_P = [
  -2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11, 5.12229709037114e-8,
  1.48572235717979e-5, 6.37261928875436e-4, 4.89352455891786e-3,
];
const TANH_Q = [1.19825839466702e-6, 1.18534705686654e-4, 2.268434632439e-3, 4.89352518554385e-3];

function tanhKernel(): FunctionDef {
  return func("tanh", { p: I32, n: I32 }, { i: I32, end: I32, x: V128, x2: V128, s: F32, s2: F32 }, (v) => {
    const lim = (vec: boolean) => (vec ? f32x4.c(TANH_CLAMP) : f32.c(TANH_CLAMP));
    const body = (vec: boolean) => {
      const k = vec ? f32x4 : f32;
      const xl = vec ? v.x : v.s;
      const x2l = vec ? v.x2 : v.s2;
      const load = vec ? v128.load : f32.load;
      const store = vec ? v128.store : f32.store;
      const neg = vec ? f32x4.c(-TANH_CLAMP) : f32.c(-TANH_CLAMP);
      return seq(
        set(xl, k.max(k.min(load(i32.add(get(v.p), get(v.i))), lim(vec)), neg)),
        set(x2l, k.mul(get(xl), get(xl))),
        store(i32.add(get(v.p), get(v.i)), tanhRatio(get(xl), x2l, vec)),
      );
    };
    return seq(
      set(v.i, c(0)),
      set(v.end, i32.shl(get(v.n), c(2))),
      whileLoop(i32.leS(i32.add(get(v.i), c(16)), get(v.end)), body(true), inc(v.i, c(16))),
      whileLoop(i32.ltS(get(v.i), get(v.end)), body(false), inc(v.i, c(4))),
    );
  });
}

/** p(x^2) x / q(x^2) for an already clamped x (x2 in a local). */
function tanhRatio(x: Code, x2: number, vector: boolean): number[] {
  const k = vector ? f32x4 : f32;
  const cst = vector ? f32x4.c : f32.c;
  let p: number[] = cst(TANH_P[0]!);
  for (const a of TANH_P.slice(1)) p = k.add(k.mul(p, get(x2)), cst(a));
  let q: number[] = cst(TANH_Q[0]!);
  for (const b of TANH_Q.slice(1)) q = k.add(k.mul(q, get(x2)), cst(b));
  return k.div(k.mul(p, x), q);
}

/** relu in place over (p, n). */
const reluKernel = () =>
  func("relu", { p: I32, n: I32 }, { i: I32, end: I32 }, (v) =>
    seq(
      set(v.i, c(0)),
      set(v.end, i32.shl(get(v.n), c(2))),
      whileLoop(
        i32.leS(i32.add(get(v.i), c(16)), get(v.end)),
        v128.store(at(v, "p"), f32x4.max(v128.load(at(v, "p")), f32x4.c(0))),
        inc(v.i, c(16)),
      ),
      whileLoop(
        i32.ltS(get(v.i), get(v.end)),
        f32.store(at(v, "p"), f32.max(f32.load(at(v, "p")), f32.c(0))),
        inc(v.i, c(4)),
      ),
    ),
  );

/** dy (at p) *= 1 - y^2 (y at q): the backward of tanh through its output. */
const tanhBackward = () =>
  elementwise(
    "tanhBackward",
    (v) =>
      seq(
        set(v.x!, v128.load(at(v, "q"))),
        v128.store(
          at(v, "p"),
          f32x4.mul(v128.load(at(v, "p")), f32x4.sub(f32x4.c(1), f32x4.mul(get(v.x!), get(v.x!)))),
        ),
      ),
    (v) =>
      seq(
        set(v.y!, f32.load(at(v, "q"))),
        f32.store(
          at(v, "p"),
          f32.mul(f32.load(at(v, "p")), f32.sub(f32.c(1), f32.mul(get(v.y!), get(v.y!)))),
        ),
      ),
  );

/** dy (at p) = 0 where y (at q) <= 0: the backward of relu through its output. */
const reluBackward = () =>
  elementwise(
    "reluBackward",
    (v) =>
      v128.store(at(v, "p"), v128.and(v128.load(at(v, "p")), f32x4.gt(v128.load(at(v, "q")), f32x4.c(0)))),
    (v) => ifElse(f32.gt(f32.load(at(v, "q")), f32.c(0)), [], [f32.store(at(v, "p"), f32.c(0))]),
  );

/** dst[j] = (flags & 1 ? dst[j] : 0) + sum over `rows` rows of src[r][j] (row length `cols`). */
const colSum = () =>
  func(
    "colSum",
    { src: I32, rows: I32, cols: I32, dst: I32, flags: I32 },
    { j: I32, r: I32, p: I32, rowBytes: I32, acc: V128, s: F32 },
    (v) => {
      const sumInto = (vector: boolean) => {
        const k = vector ? f32x4 : f32;
        const load = vector ? v128.load : f32.load;
        const store = vector ? v128.store : f32.store;
        const acc = vector ? v.acc : v.s;
        const dst = i32.add(get(v.dst), i32.shl(get(v.j), c(2)));
        return seq(
          ifElse(
            i32.and(get(v.flags), c(1)),
            [set(acc, load(dst))],
            [set(acc, vector ? f32x4.c(0) : f32.c(0))],
          ),
          set(v.p, i32.add(get(v.src), i32.shl(get(v.j), c(2)))),
          set(v.r, get(v.rows)),
          whileLoop(
            get(v.r),
            set(acc, k.add(get(acc), load(get(v.p)))),
            inc(v.p, get(v.rowBytes)),
            set(v.r, i32.sub(get(v.r), c(1))),
          ),
          store(dst, get(acc)),
        );
      };
      return seq(
        set(v.rowBytes, i32.shl(get(v.cols), c(2))),
        set(v.j, c(0)),
        whileLoop(i32.leS(i32.add(get(v.j), c(4)), get(v.cols)), sumInto(true), inc(v.j, c(4))),
        whileLoop(i32.ltS(get(v.j), get(v.cols)), sumInto(false), inc(v.j, c(1))),
      );
    },
  );

/** dst[c][r] = src[r][c] for a rows x cols matrix. */
const transpose = () =>
  func("transpose", { src: I32, rows: I32, cols: I32, dst: I32 }, { r: I32, col: I32, ps: I32 }, (v) =>
    seq(
      set(v.ps, get(v.src)),
      set(v.r, c(0)),
      whileLoop(
        i32.ltS(get(v.r), get(v.rows)),
        set(v.col, c(0)),
        whileLoop(
          i32.ltS(get(v.col), get(v.cols)),
          f32.store(
            i32.add(get(v.dst), i32.shl(i32.add(i32.mul(get(v.col), get(v.rows)), get(v.r)), c(2))),
            f32.load(get(v.ps)),
          ),
          inc(v.ps, c(4)),
          inc(v.col, c(1)),
        ),
        inc(v.r, c(1)),
      ),
    ),
  );

/**
 * im2col / col2im over NHWC input x [batch, h, w, ch] and the patch matrix [batch*oh*ow, k*k*ch]
 * (row order (oy, ox), column order (ky, kx, ch): the HWIO weight's rows). Each patch row (fixed
 * ky) is one contiguous run of input pixels, so it is copied (im2col) or added back (col2im, into
 * a zeroed dx) as a run of floats, with zeros where the patch hangs over the padding.
 */
function patches(fname: "im2col" | "col2im"): FunctionDef {
  const gather = fname === "im2col";
  const params = {
    x: I32,
    cols: I32,
    batch: I32,
    h: I32,
    w: I32,
    ch: I32,
    k: I32,
    stride: I32,
    padTop: I32,
    padLeft: I32,
    oh: I32,
    ow: I32,
  };
  const locals = {
    b: I32,
    oy: I32,
    ox: I32,
    ky: I32,
    iy: I32,
    ix0: I32,
    kx0: I32,
    kx1: I32,
    pc: I32,
    px: I32,
    n: I32,
    e: I32,
    rowFloats: I32,
  };
  return func(fname, params, locals, (v) => {
    const bytes = (x: Code) => i32.shl(x, c(2));
    /** Zeroes `count` floats at pc (im2col only; col2im skips padding). */
    const zeroRun = (count: Code) =>
      gather
        ? seq(
            set(v.e, i32.add(get(v.pc), bytes(count))),
            whileLoop(i32.ltS(get(v.pc), get(v.e)), f32.store(get(v.pc), f32.c(0)), inc(v.pc, c(4))),
          )
        : set(v.pc, i32.add(get(v.pc), bytes(count)));
    /** Copies (or adds) n floats between px (input) and pc (patch row), 4 at a time then 1. */
    const run = () => {
      const vecStep = gather
        ? v128.store(get(v.pc), v128.load(get(v.px)))
        : v128.store(get(v.px), f32x4.add(v128.load(get(v.px)), v128.load(get(v.pc))));
      const oneStep = gather
        ? f32.store(get(v.pc), f32.load(get(v.px)))
        : f32.store(get(v.px), f32.add(f32.load(get(v.px)), f32.load(get(v.pc))));
      return seq(
        set(v.e, i32.add(get(v.pc), bytes(get(v.n)))),
        whileLoop(i32.leS(i32.add(get(v.pc), c(16)), get(v.e)), vecStep, inc(v.pc, c(16)), inc(v.px, c(16))),
        whileLoop(i32.ltS(get(v.pc), get(v.e)), oneStep, inc(v.pc, c(4)), inc(v.px, c(4))),
      );
    };
    const patchRow = seq(
      set(v.iy, i32.sub(i32.add(i32.mul(get(v.oy), get(v.stride)), get(v.ky)), get(v.padTop))),
      ifElse(
        i32.or(i32.ltS(get(v.iy), c(0)), i32.geS(get(v.iy), get(v.h))),
        [zeroRun(get(v.rowFloats))],
        [
          // Valid kx range [kx0, kx1): ix = ix0 + kx inside [0, w).
          set(v.kx0, c(0)),
          ifElse(i32.ltS(get(v.ix0), c(0)), [set(v.kx0, i32.sub(c(0), get(v.ix0)))]),
          set(v.kx1, get(v.k)),
          ifElse(i32.gtS(i32.add(get(v.ix0), get(v.k)), get(v.w)), [
            set(v.kx1, i32.sub(get(v.w), get(v.ix0))),
          ]),
          zeroRun(i32.mul(get(v.kx0), get(v.ch))),
          set(
            v.px,
            i32.add(
              get(v.x),
              bytes(
                i32.mul(
                  i32.add(
                    i32.mul(i32.add(i32.mul(get(v.b), get(v.h)), get(v.iy)), get(v.w)),
                    i32.add(get(v.ix0), get(v.kx0)),
                  ),
                  get(v.ch),
                ),
              ),
            ),
          ),
          set(v.n, i32.mul(i32.sub(get(v.kx1), get(v.kx0)), get(v.ch))),
          run(),
          zeroRun(i32.mul(i32.sub(get(v.k), get(v.kx1)), get(v.ch))),
        ],
      ),
    );
    return seq(
      set(v.rowFloats, i32.mul(get(v.k), get(v.ch))),
      set(v.pc, get(v.cols)),
      set(v.b, c(0)),
      whileLoop(
        i32.ltS(get(v.b), get(v.batch)),
        set(v.oy, c(0)),
        whileLoop(
          i32.ltS(get(v.oy), get(v.oh)),
          set(v.ox, c(0)),
          whileLoop(
            i32.ltS(get(v.ox), get(v.ow)),
            set(v.ix0, i32.sub(i32.mul(get(v.ox), get(v.stride)), get(v.padLeft))),
            set(v.ky, c(0)),
            whileLoop(i32.ltS(get(v.ky), get(v.k)), patchRow, inc(v.ky, c(1))),
            inc(v.ox, c(1)),
          ),
          inc(v.oy, c(1)),
        ),
        inc(v.b, c(1)),
      ),
    );
  });
}

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

// ---- sparse inputs (0/1 image observations: MinAtar's are 1-8% ones) -------------------------

/**
 * csr(a, M, K, rowPtr, idx, vals, maxNnz) -> nnz: the non-zero entries of A [M, K] (row-major)
 * in compressed rows: for row i, entries rowPtr[i] .. rowPtr[i+1] hold column idx[e] and value
 * vals[e] (rowPtr, idx int32). Zero runs are skipped four at a time. Returns -1 as soon as more
 * than maxNnz entries are found (the caller then multiplies densely).
 */
function csr(): FunctionDef {
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
function csrTranspose(): FunctionDef {
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
function spmm(): FunctionDef {
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
