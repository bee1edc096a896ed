/**
 * The SIMD module's elementwise kernels (simd-module.ts assembles them): tanh (Eigen's float
 * rational approximation) and relu with their backwards through the output, column sums (bias
 * gradients) and a transpose.
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

export function tanhKernel(): FunctionDef {
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
export const reluKernel = () =>
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
export const tanhBackward = () =>
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
export const reluBackward = () =>
  elementwise(
    "reluBackward",
    (v) =>
      v128.store(at(v, "p"), v128.and(v128.load(at(v, "p")), f32x4.gt(v128.load(at(v, "q")), f32x4.c(0)))),
    (v) => ifElse(f32.gt(f32.load(at(v, "q")), f32.c(0)), [], [f32.store(at(v, "p"), f32.c(0))]),
  );

/** dst[j] = (flags & 1 ? dst[j] : 0) + sum over `rows` rows of src[r][j] (row length `cols`). */
export const colSum = () =>
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
export const transpose = () =>
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
