/**
 * `evaluatePolicy`: Stable-Baselines3's `evaluate_policy`, for any `Policy`.
 *
 *   const r = evaluatePolicy(policy, "CartPole-v1", { episodes: 10, seed: 0 });
 *   console.log(`${r.meanReturn} +- ${r.stdReturn}`);
 *
 * Semantics kept from SB3 so numbers compare: with `numEnvs` envs, env i runs exactly
 * `floor((episodes + i) / numEnvs)` episodes (SB3's per-env targets, which avoid the bias towards
 * short episodes that "first n episodes to finish" has); returns are listed in completion order;
 * the std is the population std. The envs run in a `SyncVectorEnv` (same-step auto-reset, as
 * SB3's DummyVecEnv); env i is seeded with `seed + i` at its first reset (SB3's `VecEnv.seed`),
 * later resets continue its stream, and stochastic actions draw from a per-env generator, so the
 * same seed gives the same result whatever the number of envs finishing first.
 */
import type { Env } from "../core/env.js";
import { ConfigError } from "../core/errors.js";
import type { Action, ActOptions, Policy } from "../core/policy.js";
import { Rng } from "../core/rng.js";
import { type AnySpace, spaceFromJSON } from "../core/spaces.js";
import { make } from "../envs/registry.js";
import { SyncVectorEnv } from "../envs/vector/sync-vector-env.js";
import { bootstrapCI, iqm, mean, std } from "./stats.js";

/** An env id for `make()`, or a factory of env `index` (e.g. for fakes in tests). */
export type EnvSource = string | ((index: number) => Env);

export interface EvaluateOptions {
  /** Episodes to run in total. */
  episodes: number;
  /** Greedy actions. Default true. */
  deterministic?: boolean;
  /** Env i starts from `seed + i`; stochastic actions are seeded from it too. Default 0. */
  seed?: number;
  /** Envs stepped side by side. Default 1. */
  numEnvs?: number;
  /** kwargs for `make()` (physical parameters), when the source is an env id. */
  kwargs?: Record<string, unknown>;
  /** Wraps each env after `make()` (noise wrappers in the robustness suite). */
  wrap?: (env: Env, index: number) => Env;
  /** Resamples of the bootstrap CI. Default 2000. */
  bootstrapResamples?: number;
}

export interface EvalResult {
  env: string | null;
  episodes: number;
  /** Episode returns, in completion order. */
  returns: number[];
  lengths: number[];
  meanReturn: number;
  /** Population std, as SB3. */
  stdReturn: number;
  iqm: number;
  /** Percentile-bootstrap 95% CI of the mean return. */
  ci95: [number, number];
  /** Fraction of episodes with return >= the env's reward threshold; null when it has none. */
  successRate: number | null;
  rewardThreshold: number | null;
  meanLength: number;
  seed: number;
  deterministic: boolean;
}

function checkEpisodes(value: number): number {
  if (!(Number.isInteger(value) && value >= 1))
    throw new ConfigError("episodes", `must be an integer >= 1, got ${value}`);
  return value;
}

/** The vector env an evaluation steps: SB3's DummyVecEnv semantics (same-step auto-reset). */
function openVector(source: EnvSource, numEnvs: number, opts: EvaluateOptions): SyncVectorEnv {
  const factory = (i: number): Env => {
    const env: Env = typeof source === "string" ? make(source, opts.kwargs ?? {}) : source(i);
    return opts.wrap ? opts.wrap(env, i) : env;
  };
  return new SyncVectorEnv(factory, numEnvs);
}

/** Runs `policy` for exactly `opts.episodes` episodes and summarises the returns. */
export function evaluatePolicy(policy: Policy, source: EnvSource, opts: EvaluateOptions): EvalResult {
  const episodes = checkEpisodes(opts.episodes);
  const numEnvs = opts.numEnvs ?? 1;
  if (!(Number.isInteger(numEnvs) && numEnvs >= 1))
    throw new ConfigError("numEnvs", `must be an integer >= 1, got ${numEnvs}`);
  const seed = opts.seed ?? 0;
  const deterministic = opts.deterministic ?? true;
  const venv = openVector(source, numEnvs, opts);
  const root = new Rng(seed);
  const actOpts: ActOptions[] = Array.from({ length: numEnvs }, (_, i) => ({
    deterministic,
    rng: root.spawn(i),
  }));
  const targets = Array.from({ length: numEnvs }, (_, i) => Math.floor((episodes + i) / numEnvs));
  const counts = new Array<number>(numEnvs).fill(0);
  const curReturn = new Array<number>(numEnvs).fill(0);
  const curLength = new Array<number>(numEnvs).fill(0);
  const returns: number[] = [];
  const lengths: number[] = [];
  const { obsSize, actSize } = venv;
  const actions =
    venv.singleActionSpace.type === "Box"
      ? new Float32Array(numEnvs * actSize)
      : new Int32Array(numEnvs * actSize);
  try {
    let obs = venv.reset({ seed }).obs;
    while (counts.some((c, i) => c < targets[i]!)) {
      for (let i = 0; i < numEnvs; i++) {
        // A lane past its target keeps its last action: its results are discarded (SB3 steps it too).
        if (counts[i]! >= targets[i]!) continue;
        const a = policy.act(obs.subarray(i * obsSize, (i + 1) * obsSize), actOpts[i]);
        if (typeof a === "number") actions[i * actSize] = a;
        else actions.set(a, i * actSize);
      }
      const out = venv.step(actions);
      obs = out.obs;
      for (let i = 0; i < numEnvs; i++) {
        curReturn[i]! += out.rewards[i]!;
        curLength[i]!++;
        if (out.terminated[i] || out.truncated[i]) {
          if (counts[i]! < targets[i]!) {
            returns.push(curReturn[i]!);
            lengths.push(curLength[i]!);
            counts[i]!++;
          }
          curReturn[i] = 0;
          curLength[i] = 0;
        }
      }
    }
  } finally {
    venv.close();
  }
  const threshold = venv.envs[0]!.spec?.rewardThreshold;
  return {
    env: typeof source === "string" ? source : null,
    episodes,
    returns,
    lengths,
    meanReturn: mean(returns),
    stdReturn: std(returns),
    iqm: iqm(returns),
    ci95: bootstrapCI(returns, { seed, resamples: opts.bootstrapResamples }),
    successRate:
      threshold === undefined ? null : returns.filter((r) => r >= threshold).length / returns.length,
    rewardThreshold: threshold ?? null,
    meanLength: mean(lengths),
    seed,
    deterministic,
  };
}

/** A policy that samples uniformly from an action space, from its own seeded generator. */
export function randomPolicy(actionSpace: AnySpace | Env["actionSpace"], seed = 0): Policy {
  // A private copy of the space, so sampling does not move the env's own space generator.
  const space = spaceFromJSON(actionSpace.toJSON());
  space.seed(seed);
  return { act: () => space.sample() as Action };
}

/** Mean return of uniform random actions: the zero point of normalised scores and retention. */
export function randomPolicyReturn(
  source: EnvSource,
  opts: { episodes: number; seed?: number; kwargs?: Record<string, unknown>; numEnvs?: number },
): EvalResult {
  const probe = typeof source === "string" ? make(source, opts.kwargs ?? {}) : source(0);
  const policy = randomPolicy(probe.actionSpace, opts.seed ?? 0);
  probe.close();
  return evaluatePolicy(policy, source, { ...opts, deterministic: false });
}

/**
 * Normalised score of the student: (student - random) / (teacher - random), so 1 means the
 * teacher's return kept and 0 means no better than random. Null when teacher equals random.
 */
export function retention(studentReturn: number, teacherReturn: number, randomReturn: number): number | null {
  const span = teacherReturn - randomReturn;
  return span === 0 ? null : (studentReturn - randomReturn) / span;
}
