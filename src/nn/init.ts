/**
 * Weight initialisation from the project's seeded Rng, so the same seed gives the same network.
 *
 * Orthogonal init as CleanRL/SB3 use it (PyTorch `nn.init.orthogonal_`): hidden layers with gain
 * sqrt(2), the policy head with 0.01, the value head with 1, biases at 0. The QR factorisation
 * runs in float64 (Householder); signs are fixed so R has a positive diagonal, which makes Q
 * unique and equal to what PyTorch computes from the same normal matrix.
 */
import type { Rng } from "../core/rng.js";

export const GAIN_HIDDEN = Math.SQRT2;
export const GAIN_POLICY = 0.01;
export const GAIN_VALUE = 1;

/**
 * Orthogonal [rows][cols] matrix (row-major, float64) scaled by `gain`, in PyTorch's
 * convention: rows = output units, cols = fan-in. Rows are orthonormal when rows <= cols,
 * columns otherwise.
 */
export function orthogonal(rows: number, cols: number, gain: number, rng: Rng): Float64Array {
  const flat = new Float64Array(rows * cols);
  for (let i = 0; i < flat.length; i++) flat[i] = rng.normal();
  return orthogonalize(flat, rows, cols, gain);
}

/**
 * The orthogonal factor of a given row-major [rows][cols] matrix, as PyTorch's `orthogonal_`
 * computes it from its normal draws: QR of the matrix (or of its transpose when rows < cols),
 * columns of Q signed by diag(R), times `gain`.
 */
export function orthogonalize(flat: Float64Array, rows: number, cols: number, gain: number): Float64Array {
  const transposed = rows < cols;
  const m = transposed ? cols : rows;
  const n = transposed ? rows : cols;
  // a is m x n, column-major, so Householder reflections work on contiguous columns.
  const a = new Float64Array(m * n);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = transposed ? c : r;
      const j = transposed ? r : c;
      a[j * m + i] = flat[r * cols + c]!;
    }
  }
  const q = householderQ(a, m, n);
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = transposed ? c : r;
      const j = transposed ? r : c;
      out[r * cols + c] = gain * q[j * m + i]!;
    }
  }
  return out;
}

/** Thin Q (m x n, column-major) of a column-major m x n matrix (m >= n), with diag(R) > 0. */
function householderQ(a: Float64Array, m: number, n: number): Float64Array {
  const vs: Float64Array[] = [];
  const rDiag = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += a[k * m + i]! ** 2;
    norm = Math.sqrt(norm);
    const x0 = a[k * m + k]!;
    const alpha = x0 >= 0 ? -norm : norm;
    const v = new Float64Array(m - k);
    for (let i = k; i < m; i++) v[i - k] = a[k * m + i]!;
    v[0] = x0 - alpha;
    let vn = 0;
    for (let i = 0; i < v.length; i++) vn += v[i]! ** 2;
    vn = Math.sqrt(vn);
    if (vn > 0) for (let i = 0; i < v.length; i++) v[i] = v[i]! / vn;
    vs.push(v);
    for (let j = k; j < n; j++) reflect(a, j * m + k, v);
    rDiag[k] = a[k * m + k]!;
  }
  // Q = H_0 H_1 ... H_{n-1} applied to the first n columns of the identity.
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) {
    q[j * m + j] = 1;
    for (let k = n - 1; k >= 0; k--) reflect(q, j * m + k, vs[k]!);
    if (rDiag[j]! < 0) for (let i = 0; i < m; i++) q[j * m + i] = -q[j * m + i]!;
  }
  return q;
}

/** Applies (I - 2 v v^T) in place to the vector segment starting at `offset`. */
function reflect(buf: Float64Array, offset: number, v: Float64Array): void {
  let dot = 0;
  for (let i = 0; i < v.length; i++) dot += v[i]! * buf[offset + i]!;
  dot *= 2;
  for (let i = 0; i < v.length; i++) buf[offset + i] = buf[offset + i]! - dot * v[i]!;
}

/** Dense weight in the tfjs layout [inSize][outSize], orthogonal with `gain`. */
export function orthogonalDense(inSize: number, outSize: number, gain: number, rng: Rng): Float32Array {
  const torch = orthogonal(outSize, inSize, gain, rng);
  const w = new Float32Array(inSize * outSize);
  for (let o = 0; o < outSize; o++) {
    for (let i = 0; i < inSize; i++) w[i * outSize + o] = torch[o * inSize + i]!;
  }
  return w;
}

/**
 * Conv weight in the tfjs HWIO layout [k][k][inC][outC], orthogonal over PyTorch's flattening
 * (out, in * k * k), as `orthogonal_` treats a conv kernel.
 */
export function orthogonalConv(
  kernel: number,
  inC: number,
  outC: number,
  gain: number,
  rng: Rng,
): Float32Array {
  const fanIn = inC * kernel * kernel;
  const torch = orthogonal(outC, fanIn, gain, rng);
  const w = new Float32Array(kernel * kernel * inC * outC);
  for (let o = 0; o < outC; o++) {
    for (let c = 0; c < inC; c++) {
      for (let y = 0; y < kernel; y++) {
        for (let x = 0; x < kernel; x++) {
          w[((y * kernel + x) * inC + c) * outC + o] = torch[o * fanIn + (c * kernel + y) * kernel + x]!;
        }
      }
    }
  }
  return w;
}
