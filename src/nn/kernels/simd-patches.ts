/** The SIMD module's convolution patches (simd-module.ts assembles them): im2col and col2im. */
import {
  type Code,
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
  v128,
  whileLoop,
} from "./wasm-asm.js";

const c = i32.c;

/**
 * im2col / col2im over NHWC input x [batch, h, w, ch] and the patch matrix [batch*oh*ow, k*k*ch]
 * (row order (oy, ox), column order (ky, kx, ch): the HWIO weight's rows). Each patch row (fixed
 * ky) is one contiguous run of input pixels, so it is copied (im2col) or added back (col2im, into
 * a zeroed dx) as a run of floats, with zeros where the patch hangs over the padding.
 */
export function patches(fname: "im2col" | "col2im"): FunctionDef {
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
