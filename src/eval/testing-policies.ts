/**
 * Hand-written policies for tests and examples: their behaviour is known without training.
 */
import type { ActionDistribution, DistributionPolicy, Policy } from "../core/policy.js";

/**
 * CartPole: push towards where the pole is falling (angle plus a share of angular velocity, and a
 * little cart velocity). Balances for the full 500 steps from Gymnasium's initial states.
 */
export const cartPoleHeuristic: Policy = {
  act: (obs) => (obs[2]! + 0.5 * obs[3]! + 0.1 * obs[1]! > 0 ? 1 : 0),
};

/** Always the same discrete action. */
export function constantPolicy(action: number): Policy {
  return { act: () => action };
}

/**
 * CartPole as a distribution: P(push right) = sigmoid(sharpness * lean), lean as in
 * `cartPoleHeuristic`. Greedy acting equals the heuristic; lower sharpness is a "blurrier" copy.
 */
export function cartPoleSoftmax(sharpness: number): DistributionPolicy {
  const distribution = (obs: Float32Array): ActionDistribution => {
    const lean = obs[2]! + 0.5 * obs[3]! + 0.1 * obs[1]!;
    const right = 1 / (1 + Math.exp(-sharpness * lean));
    return { kind: "categorical", probs: Float64Array.of(1 - right, right) };
  };
  return {
    distribution,
    act(obs, opts) {
      const p = (distribution(obs) as { probs: Float64Array }).probs;
      if (opts?.deterministic === false && opts.rng) return opts.rng.random() < p[1]! ? 1 : 0;
      return p[1]! > p[0]! ? 1 : 0;
    },
  };
}
