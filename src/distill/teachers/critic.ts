/**
 * A teacher's action-value critic Q(s, a), for terms that ask what an action error costs in
 * return (the policy method's criticGuideCoef). Saved SAC and TD3 agents ship twin critics q1, q2
 * beside their actor: ReLU MLPs on rows [obs, action in [-1, 1]], the observations normalised
 * first when the agent normalised them. This reads Q1 (TD3+BC's choice, Fujimoto & Gu 2021: one
 * network, and a gradient that does not switch between two critics from state to state) and runs
 * it on src/nn's kernels, with its gradient down to the action input.
 *
 *   const critic = teacherCriticFromArtifact(artifact, spec);   // undefined: no critics saved
 *   const { q, dQda } = critic.q1WithActionGrad(obs, actions, n); // actions in the env's bounds
 */
import { ConfigError } from "../../core/errors.js";
import type { LoadedArtifact } from "../../nn/artifact-format.js";
import { compileObsNorm, type ObsNormalizer } from "../../nn/obs-norm.js";
import type { DenseLayerSpec, PolicySpec } from "../../nn/spec.js";
import { DenseNets, savedCriticLayers } from "../../rl/off-policy-nets.js";

/** Agent kinds whose artifacts hold twin critics q1, q2 in the off-policy layout. */
const CRITIC_KINDS = ["sac-agent", "td3-agent"];

export interface TeacherCritic {
  /** Parameters of the critic used (Q1). */
  readonly params: number;
  /**
   * Q1(s, a) [n] and dQ1/da [n, A] for `n` raw observations and actions inside the env's bounds,
   * the gradient in the env's action units.
   */
  q1WithActionGrad(
    obs: Float32Array,
    actions: Float32Array,
    n: number,
  ): { q: Float32Array; dQda: Float32Array };
}

export interface MlpCriticOptions {
  obsSize: number;
  actionSize: number;
  /** The env's action bounds; the critic sees actions mapped to [-1, 1]. */
  low: ArrayLike<number>;
  high: ArrayLike<number>;
  /** The agent's observation normalisation, applied before the critic. */
  obsNorm?: PolicySpec["obsNorm"];
}

/** Q1 of a twin-critic agent (one dense ReLU network with a linear scalar output). */
export class MlpCritic implements TeacherCritic {
  readonly params: number;
  private readonly net: DenseNets;
  private readonly O: number;
  private readonly A: number;
  private readonly low: Float32Array;
  /** (high - low) / 2 per dimension: env action = low + (a + 1) * half. */
  private readonly half: Float32Array;
  private readonly norm?: ObsNormalizer;

  constructor(q1: readonly DenseLayerSpec[], opts: MlpCriticOptions) {
    const { obsSize: O, actionSize: A } = opts;
    if (q1[0]?.inSize !== O + A || q1[q1.length - 1]?.outSize !== 1)
      throw new ConfigError("critic", `expected a network from ${O + A} inputs ([obs, action]) to 1 output`);
    this.net = new DenseNets([q1]);
    this.params = this.net.values.length;
    this.O = O;
    this.A = A;
    this.low = Float32Array.from(opts.low);
    this.half = Float32Array.from({ length: A }, (_, j) => 0.5 * (opts.high[j]! - opts.low[j]!));
    if (this.half.some((h) => !(h > 0 && Number.isFinite(h))))
      throw new ConfigError("critic", "needs finite action bounds with high > low in every dimension");
    if (opts.obsNorm) this.norm = compileObsNorm(opts.obsNorm, O);
  }

  q1WithActionGrad(
    obs: Float32Array,
    actions: Float32Array,
    n: number,
  ): { q: Float32Array; dQda: Float32Array } {
    const { O, A } = this;
    const x = new Float32Array(n * (O + A));
    const row = new Float32Array(O);
    for (let b = 0; b < n; b++) {
      const o = obs.subarray(b * O, (b + 1) * O);
      if (this.norm) this.norm(o, row, O);
      x.set(this.norm ? row : o, b * (O + A));
      for (let j = 0; j < A; j++)
        x[b * (O + A) + O + j] = (actions[b * A + j]! - this.low[j]!) / this.half[j]! - 1;
    }
    const q = this.net.forward(0, x, n).slice();
    const dx = this.net.inputGrad(0, new Float32Array(n).fill(1));
    const dQda = new Float32Array(n * A);
    // Chain rule through the map to [-1, 1]: d a_critic / d a_env = 1 / half.
    for (let b = 0; b < n; b++)
      for (let j = 0; j < A; j++) dQda[b * A + j] = dx[b * (O + A) + O + j]! / this.half[j]!;
    return { q, dQda };
  }
}

/**
 * Q1 of a saved SAC or TD3 agent whose deployed policy is `spec` (its spaces, bounds and
 * observation normalisation), or undefined for artifacts without critics (policies, students,
 * PPO and DQN agents).
 */
export function teacherCriticFromArtifact(a: LoadedArtifact, spec: PolicySpec): MlpCritic | undefined {
  if (!CRITIC_KINDS.includes(a.kind) || !a.tensors["q1/fc0.weight"]) return undefined;
  if (!spec.actionLow || !spec.actionHigh) return undefined;
  const O = spec.obsShape.reduce((p, d) => p * d, 1);
  const [q1] = savedCriticLayers(a, O + spec.actionSize);
  return new MlpCritic(q1, {
    obsSize: O,
    actionSize: spec.actionSize,
    low: spec.actionLow,
    high: spec.actionHigh,
    obsNorm: spec.obsNorm,
  });
}
