/**
 * Test helpers for the loss tests (not part of the public API): backend setup, float64 reference
 * math and central finite differences. References are written from the formulas in plain
 * JavaScript doubles, independently of tfjs, so a test compares float32 tfjs against float64.
 *
 * The backend comes from src/nn/backend.ts, so the gradients under test are the project's own
 * (src/nn/gradients.ts), the ones training runs with, not tfjs's stock set.
 */
import { type BackendName, initBackend, tf } from "../../nn/backend.js";

/** Backends every loss test runs on; wasm is where the gradient traps of STACK.md live. */
export const BACKENDS: readonly BackendName[] = ["cpu", "wasm"];

export async function useBackend(name: BackendName): Promise<void> {
  await initBackend(name);
}

export function logSoftmax64(row: readonly number[], tau = 1): number[] {
  const z = row.map((v) => v / tau);
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((acc, v) => acc + Math.exp(v - m), 0));
  return z.map((v) => v - lse);
}

export function kl64(lp: readonly number[], lq: readonly number[]): number {
  return lp.reduce((acc, l, i) => acc + Math.exp(l) * (l - lq[i]!), 0);
}

export function mean64(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Central finite differences of f at x, in float64. */
export function finiteDiff(f: (x: number[]) => number, x: readonly number[], h = 1e-5): number[] {
  return x.map((_, i) => {
    const up = [...x];
    const down = [...x];
    up[i] = up[i]! + h;
    down[i] = down[i]! - h;
    return (f(up) - f(down)) / (2 * h);
  });
}

/** Gradient of a tfjs loss with respect to a [rows, cols] input, flattened. */
export function tfGrad(loss: (x: tf.Tensor) => tf.Scalar, x: readonly number[], shape: number[]): number[] {
  return tf.tidy(() => Array.from(tf.grad(loss)(tf.tensor(x, shape)).dataSync()));
}

/** Splits a flat row-major array into rows of `cols`. */
export function rows(flat: readonly number[], cols: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < flat.length; i += cols) out.push(flat.slice(i, i + cols));
  return out;
}

/** Largest |a - b| / max(1, |b|) over the entries. */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++)
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

export function value(t: tf.Tensor): number {
  return t.dataSync()[0]!;
}
