import { describe, expect, it } from "vitest";
import { Rng } from "../../core/rng.js";
import { SimdWorkspace, simdSupported } from "./simd.js";

/** float64 reference of C = op(A) B + bias (+ C0). */
function refGemm(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  bias?: Float32Array,
  c0?: Float32Array,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = (c0?.[i * n + j] ?? 0) + (bias?.[j] ?? 0);
      for (let p = 0; p < k; p++) s += (transA ? a[p * m + i]! : a[i * k + p]!) * b[p * n + j]!;
      c[i * n + j] = s;
    }
  }
  return c;
}

function maxErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < b.length; i++) e = Math.max(e, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return e;
}

describe("SIMD kernels", () => {
  it("run on this engine", () => {
    expect(simdSupported()).toBe(true);
  });

  it("gemm matches float64 for every edge shape, transposed A, bias and accumulation", () => {
    const rng = new Rng(1);
    const ws = new SimdWorkspace();
    for (const [m, k, n] of [
      [1, 1, 1],
      [3, 5, 2],
      [4, 7, 8],
      [5, 3, 13],
      [9, 17, 12],
      [33, 64, 6],
      [64, 40, 30],
    ] as const) {
      for (const transA of [false, true]) {
        const a = rng.fillNormal(new Float32Array(m * k));
        const b = rng.fillNormal(new Float32Array(k * n));
        const bias = rng.fillNormal(new Float32Array(n));
        const c0 = rng.fillNormal(new Float32Array(m * n));
        const pa = ws.alloc(a.length);
        const pb = ws.alloc(b.length);
        const pbias = ws.alloc(n);
        const pc = ws.alloc(m * n);
        const f = ws.f32;
        f.set(a, pa);
        f.set(b, pb);
        f.set(bias, pbias);
        ws.gemm({ a: pa, b: pb, c: pc, m, k, n, transA, bias: pbias });
        expect(maxErr(ws.f32.subarray(pc, pc + m * n), refGemm(a, b, m, k, n, transA, bias))).toBeLessThan(
          1e-5,
        );
        ws.f32.set(c0, pc);
        ws.gemm({ a: pa, b: pb, c: pc, m, k, n, transA, accumulate: true });
        expect(
          maxErr(ws.f32.subarray(pc, pc + m * n), refGemm(a, b, m, k, n, transA, undefined, c0)),
        ).toBeLessThan(1e-5);
      }
    }
  });

  it("activations, their backward passes, column sums and transpose", () => {
    const rng = new Rng(2);
    const ws = new SimdWorkspace();
    const n = 23;
    const x = Float32Array.from({ length: n }, () => rng.normal(0, 4));
    x[0] = 0;
    x[1] = -20;
    x[2] = 20;
    const p = ws.alloc(n);
    ws.f32.set(x, p);
    ws.tanh(p, n);
    const y = ws.f32.slice(p, p + n);
    for (let i = 0; i < n; i++) expect(Math.abs(y[i]! - Math.tanh(x[i]!))).toBeLessThan(3e-7);
    const dy = rng.fillNormal(new Float32Array(n));
    const q = ws.alloc(n);
    ws.f32.set(dy, q);
    ws.tanhBackward(q, p, n);
    for (let i = 0; i < n; i++) expect(ws.f32[q + i]).toBeCloseTo(dy[i]! * (1 - y[i]! * y[i]!), 6);
    ws.f32.set(x, p);
    ws.relu(p, n);
    for (let i = 0; i < n; i++) expect(ws.f32[p + i]).toBe(Math.max(x[i]!, 0));
    ws.f32.set(dy, q);
    ws.reluBackward(q, p, n);
    for (let i = 0; i < n; i++) expect(ws.f32[q + i]).toBe(x[i]! > 0 ? dy[i]! : 0);

    const rows = 7;
    const cols = 6;
    const mat = rng.fillNormal(new Float32Array(rows * cols));
    const pm = ws.alloc(mat.length);
    const ps = ws.alloc(cols);
    const pt = ws.alloc(mat.length);
    ws.f32.set(mat, pm);
    ws.colSum(pm, rows, cols, ps);
    ws.transpose(pm, rows, cols, pt);
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let r = 0; r < rows; r++) {
        s += mat[r * cols + j]!;
        expect(ws.f32[pt + j * rows + r]).toBe(mat[r * cols + j]);
      }
      expect(ws.f32[ps + j]).toBeCloseTo(s, 5);
    }
  });

  it("im2col and col2im follow the (ky, kx, channel) patch order with zero padding, col2im is the adjoint", () => {
    const rng = new Rng(3);
    for (const g of [
      { batch: 2, h: 5, w: 4, channels: 3, kernel: 3, stride: 1, padTop: 1, padLeft: 1, outH: 5, outW: 4 },
      { batch: 1, h: 6, w: 7, channels: 5, kernel: 2, stride: 2, padTop: 0, padLeft: 0, outH: 3, outW: 3 },
      { batch: 3, h: 4, w: 4, channels: 1, kernel: 3, stride: 2, padTop: 0, padLeft: 0, outH: 1, outW: 1 },
    ]) {
      const ws = new SimdWorkspace();
      const { batch, h, w, channels: c, kernel: k, stride: s, padTop, padLeft, outH, outW } = g;
      const patch = k * k * c;
      const x = rng.fillNormal(new Float32Array(batch * h * w * c));
      const px = ws.alloc(x.length);
      const pcols = ws.alloc(batch * outH * outW * patch);
      ws.f32.set(x, px);
      ws.im2col(px, pcols, g);
      const ref = new Float32Array(batch * outH * outW * patch);
      let r = 0;
      for (let b = 0; b < batch; b++)
        for (let oy = 0; oy < outH; oy++)
          for (let ox = 0; ox < outW; ox++, r++)
            for (let ky = 0; ky < k; ky++)
              for (let kx = 0; kx < k; kx++)
                for (let ci = 0; ci < c; ci++) {
                  const iy = oy * s + ky - padTop;
                  const ix = ox * s + kx - padLeft;
                  const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
                  ref[r * patch + (ky * k + kx) * c + ci] = inside ? x[((b * h + iy) * w + ix) * c + ci]! : 0;
                }
      expect(Array.from(ws.f32.subarray(pcols, pcols + ref.length))).toEqual(Array.from(ref));
      // <im2col(x), y> = <x, col2im(y)> for any y.
      const y = rng.fillNormal(new Float32Array(ref.length));
      const pdx = ws.alloc(x.length);
      ws.f32.set(y, pcols);
      ws.col2im(pcols, pdx, g);
      let lhs = 0;
      let rhs = 0;
      for (let i = 0; i < ref.length; i++) lhs += ref[i]! * y[i]!;
      for (let i = 0; i < x.length; i++) rhs += x[i]! * ws.f32[pdx + i]!;
      expect(rhs).toBeCloseTo(lhs, 3);
    }
  });

  it("keeps values across memory growth", () => {
    const ws = new SimdWorkspace();
    const a = ws.alloc(4);
    ws.f32.set([1, 2, 3, 4], a);
    const big = ws.alloc(2_000_000);
    expect(Array.from(ws.f32.subarray(a, a + 4))).toEqual([1, 2, 3, 4]);
    expect(ws.f32[big + 1_999_999]).toBe(0);
  });
});
