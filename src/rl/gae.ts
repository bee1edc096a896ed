/**
 * Generalised Advantage Estimation (Schulman et al. 2016, https://arxiv.org/abs/1506.02438) over a
 * rollout of `numSteps` x `numEnvs` transitions stored row-major (`t * numEnvs + i`).
 *
 * Episode ends are handled as Gymnasium defines them:
 * - terminated: the MDP ended; the next state has value 0.
 * - truncated (time limit): the episode was cut; bootstrap from V(finalObs), the observation
 *   the env returned before the vector env auto-reset it (`finalValues`).
 * In both cases the recursion does not cross into the next episode. This is the same estimate
 * Stable-Baselines3 gets by adding gamma * V(finalObs) to the reward of truncated steps.
 *
 *   delta_t = r_t + gamma * V_next(t) - V(s_t)
 *   A_t     = delta_t + gamma * lambda * (1 - done_t) * A_{t+1}
 *   R_t     = A_t + V(s_t)
 */

export interface GaeInput {
  numSteps: number;
  numEnvs: number;
  /** [numSteps * numEnvs] rewards r_t. */
  rewards: ArrayLike<number>;
  /** [numSteps * numEnvs] V(s_t) from the critic at acting time. */
  values: ArrayLike<number>;
  /** [numSteps * numEnvs] 1 where step t ended the episode by termination. */
  terminated: ArrayLike<number>;
  /** [numSteps * numEnvs] 1 where step t ended the episode by truncation (and not termination). */
  truncated: ArrayLike<number>;
  /** [numSteps * numEnvs] V(finalObs) where truncated; ignored elsewhere. */
  finalValues: ArrayLike<number>;
  /** [numEnvs] V of the observation after the last step (bootstrap for unfinished episodes). */
  lastValues: ArrayLike<number>;
  gamma: number;
  lambda: number;
}

/** Fills `advantages` and `returns` ([numSteps * numEnvs] each); accumulates in float64. */
export function computeGae(input: GaeInput, advantages: Float32Array, returns: Float32Array): void {
  const { numSteps: T, numEnvs: N, rewards, values, terminated, truncated, finalValues, lastValues } = input;
  const { gamma, lambda } = input;
  const size = T * N;
  for (const [name, arr] of [
    ["rewards", rewards],
    ["values", values],
    ["terminated", terminated],
    ["truncated", truncated],
    ["finalValues", finalValues],
    ["advantages", advantages],
    ["returns", returns],
  ] as const) {
    if (arr.length !== size)
      throw new RangeError(`computeGae: ${name} has ${arr.length} entries, expected ${size}`);
  }
  if (lastValues.length !== N)
    throw new RangeError(`computeGae: lastValues has ${lastValues.length} entries, expected ${N}`);
  for (let i = 0; i < N; i++) {
    let next = 0; // A_{t+1}
    for (let t = T - 1; t >= 0; t--) {
      const k = t * N + i;
      const term = terminated[k]! !== 0;
      const trunc = !term && truncated[k]! !== 0;
      let nextValue: number;
      if (term) nextValue = 0;
      else if (trunc) nextValue = finalValues[k]!;
      else nextValue = t === T - 1 ? lastValues[i]! : values[k + N]!;
      const delta = rewards[k]! + gamma * nextValue - values[k]!;
      const carry = term || trunc ? 0 : gamma * lambda * next;
      const adv = delta + carry;
      advantages[k] = adv;
      returns[k] = adv + values[k]!;
      next = adv;
    }
  }
}
