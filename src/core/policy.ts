/**
 * The role interface every acting thing implements (trained agents, students, teachers, exported
 * runtimes, random baselines), so evaluation, collection and robustness code take any of them.
 */
import type { Rng } from "./rng.js";

/** A discrete action index, or a continuous action vector. */
export type Action = number | Float32Array;

export interface ActOptions {
  /** Greedy / mean action when true (default true for evaluation helpers). */
  deterministic?: boolean;
  /** Generator for stochastic actions; required when deterministic is false. */
  rng?: Rng;
}

export interface Policy {
  /** Chooses an action for one observation. Synchronous: no await in the acting loop. */
  act(obs: Float32Array, opts?: ActOptions): Action;
}

/** What a policy says about one observation, for similarity metrics (agreement, JS, KL). */
export type ActionDistribution =
  | { kind: "categorical"; probs: Float64Array }
  | { kind: "gaussian"; mean: Float64Array; std: Float64Array };

/** A policy that can also expose its action distribution. */
export interface DistributionPolicy extends Policy {
  distribution(obs: Float32Array): ActionDistribution;
}
