/** Cross-modal runs' small statistics: steps to a retention target, and frozen observation statistics. */
import type { ObsNormSpec } from "../../nn/spec.js";

/**
 * Env steps at the first evaluation whose retention reached `target`, or (sustained) at the first
 * one from which every later evaluation stays at or above it; null when none does. The same rule
 * measures RL from scratch in bench/multitask.ts.
 */
export function stepsToTarget(
  evals: ReadonlyArray<{ step: number; retention: number | null }>,
  target: number,
  opts: { sustained?: boolean } = {},
): number | null {
  if (!opts.sustained) return evals.find((e) => e.retention !== null && e.retention >= target)?.step ?? null;
  let from: number | null = null;
  for (const e of evals) {
    const ok = e.retention !== null && e.retention >= target;
    if (!ok) from = null;
    else if (from === null) from = e.step;
  }
  return from;
}

/** Mean and variance of the rows (population), as frozen observation statistics. */
export function obsStatistics(rows: Float32Array, n: number, size: number): ObsNormSpec {
  const mean = new Float64Array(size);
  const m2 = new Float64Array(size);
  for (let r = 0; r < n; r++) for (let j = 0; j < size; j++) mean[j] = mean[j]! + rows[r * size + j]! / n;
  for (let r = 0; r < n; r++)
    for (let j = 0; j < size; j++) {
      const d = rows[r * size + j]! - mean[j]!;
      m2[j] = m2[j]! + (d * d) / n;
    }
  return { mean: Float32Array.from(mean), var: Float32Array.from(m2), epsilon: 1e-8, clip: 10 };
}
