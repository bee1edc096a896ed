/**
 * Hyperband's plan (Li et al. 2018, "Hyperband: a novel bandit-based approach to hyperparameter
 * optimization", JMLR 18): brackets of successive halving over the distillation budget (env steps).
 *
 *   s_max = floor(log_eta(maxSteps / minSteps))
 *   bracket s = s_max .. 0:  n = ceil((s_max + 1) / (s + 1) * eta^s) candidates at r = maxSteps * eta^-s steps,
 *   rung i = 0 .. s:         n_i = floor(n * eta^-i) trials of r_i = r * eta^i steps; the best n_{i+1} go on.
 *
 * The most exploratory bracket tries many candidates on short budgets; the last one trains a few at
 * the full budget from the start (in case short runs mislead). Each trial trains from scratch at its
 * rung's budget, so a trial is fully described by (candidate, seed, steps): that is what makes it
 * idempotent and keyable. The plan depends only on the numbers given, never on timing.
 */
import { ConfigError } from "../core/errors.js";

export interface RungPlan {
  /** Trials run at this rung. */
  n: number;
  /** Distillation budget (env steps) of each trial. */
  steps: number;
}

export interface BracketPlan {
  s: number;
  rungs: RungPlan[];
}

export function hyperbandPlan(maxSteps: number, minSteps: number, eta: number, brackets = 0): BracketPlan[] {
  if (!(Number.isInteger(maxSteps) && maxSteps >= 1))
    throw new ConfigError("maxSteps", `expected an integer >= 1, got ${maxSteps}`);
  if (!(Number.isInteger(minSteps) && minSteps >= 1 && minSteps <= maxSteps))
    throw new ConfigError("minSteps", `expected an integer in [1, maxSteps = ${maxSteps}], got ${minSteps}`);
  if (!(Number.isInteger(eta) && eta >= 2))
    throw new ConfigError("eta", `expected an integer >= 2, got ${eta}`);
  // The tolerance lets a rounded minSteps (50000 / 27 = 1851.9 given as 1852) still count as eta^3.
  const sMax = Math.floor(Math.log(maxSteps / minSteps) / Math.log(eta) + 1e-3);
  const count = brackets === 0 ? sMax + 1 : Math.min(brackets, sMax + 1);
  const plan: BracketPlan[] = [];
  for (let s = sMax; s > sMax - count; s--) {
    const n = Math.ceil(((sMax + 1) / (s + 1)) * eta ** s);
    const r = maxSteps * eta ** -s;
    const rungs: RungPlan[] = [];
    for (let i = 0; i <= s; i++) {
      rungs.push({ n: Math.max(1, Math.floor(n * eta ** -i)), steps: Math.round(r * eta ** i) });
    }
    plan.push({ s, rungs });
  }
  return plan;
}

/** Total env steps the plan trains for (before confirmation), for progress and the report. */
export function planSteps(plan: readonly BracketPlan[]): number {
  return plan.reduce((t, b) => t + b.rungs.reduce((u, r) => u + r.n * r.steps, 0), 0);
}
