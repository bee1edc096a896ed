/**
 * How alike two policies act, measured on a shared set of states:
 *
 *   const states = collectStates(teacher, "CartPole-v1", { steps: 2000, seed: 0 });
 *   const sim = policySimilarity(teacher, student, states);
 *   // { agreement: 0.97, jsDivergence: 0.01, klTeacherStudent: 0.02, ... }
 *
 * States come from rolling out the teacher (the states the student must imitate), the student
 * (the states it will really visit), or a mixture (`mixturePolicy`, DAgger-style) - Czarnecki et
 * al. 2019 show the choice matters, so it is the caller's.
 */
import type { Env } from "../core/env.js";
import { ConfigError } from "../core/errors.js";
import type { Action, ActionDistribution, ActOptions, DistributionPolicy, Policy } from "../core/policy.js";
import { Rng } from "../core/rng.js";
import { make } from "../envs/registry.js";
import { argmax } from "../nn/distributions.js";
import { categoricalJS, categoricalKL, gaussianJS, gaussianKL } from "./divergence.js";

/** A batch of observations, row-major: `obs.length === count * obsSize`. */
export interface StateBatch {
  obs: Float32Array;
  obsSize: number;
  count: number;
}

export function stateBatch(obs: Float32Array, obsSize: number): StateBatch {
  if (!(Number.isInteger(obsSize) && obsSize >= 1))
    throw new ConfigError("obsSize", `must be an integer >= 1, got ${obsSize}`);
  if (obs.length % obsSize !== 0) {
    throw new ConfigError("states", `length ${obs.length} is not a multiple of obsSize ${obsSize}`);
  }
  return { obs, obsSize, count: obs.length / obsSize };
}

export interface Similarity {
  /** Number of states compared. */
  states: number;
  kind: ActionDistribution["kind"];
  /** Fraction of states where the greedy actions are equal (discrete); null for continuous. */
  agreement: number | null;
  /** Mean L2 distance between the action means (continuous); null for discrete. */
  meanActionDistance: number | null;
  /**
   * Continuous: mean L2 distance between the deterministic actions (`act(obs, { deterministic:
   * true })`, in the env's action units; for a tanh-squashed SAC policy that is tanh(mean) scaled to
   * the bounds, not the pre-squash mean); null for discrete.
   */
  actionDistance: number | null;
  /**
   * Continuous, with `actionRange`: share of states where every dimension of the student's
   * deterministic action is within `tolerance` (10%) of the action range of the teacher's.
   */
  actionAgreement: number | null;
  /** Mean Jensen-Shannon divergence, natural log, in [0, ln 2]. */
  jsDivergence: number;
  /** Mean KL(teacher || student). */
  klTeacherStudent: number;
}

export interface SimilarityOptions {
  /** Seed of the Monte Carlo JS estimate for Gaussian policies. Default 0. */
  seed?: number;
  /** Monte Carlo draws per state for the Gaussian JS estimate. Default 256. */
  jsSamples?: number;
  /** Bounds of a continuous action space, for `actionAgreement` (see `actionRangeOf`). */
  actionRange?: { low: ArrayLike<number>; high: ArrayLike<number> };
  /** Share of the action range within which two continuous actions agree. Default 0.1. */
  tolerance?: number;
}

/** The bounds of an env's Box action space (undefined for other spaces or unbounded boxes). */
export function actionRangeOf(env: Env): { low: Float32Array; high: Float32Array } | undefined {
  const space = env.actionSpace as { type?: string; low?: ArrayLike<number>; high?: ArrayLike<number> };
  if (space.type !== "Box" || !space.low || !space.high) return undefined;
  const low = Float32Array.from(space.low);
  const high = Float32Array.from(space.high);
  return low.every(Number.isFinite) && high.every(Number.isFinite) ? { low, high } : undefined;
}

/** The deterministic action of a continuous policy: `act()` when it gives a vector, else the mean. */
function deterministicAction(
  policy: DistributionPolicy,
  obs: Float32Array,
  mean: Float64Array,
): ArrayLike<number> {
  const a = policy.act(obs, { deterministic: true });
  return typeof a !== "number" && a.length === mean.length ? a : mean;
}

/** Agreement, JS and KL of `student` against `teacher` on the same states. */
export function policySimilarity(
  teacher: DistributionPolicy,
  student: DistributionPolicy,
  states: StateBatch,
  opts: SimilarityOptions = {},
): Similarity {
  if (states.count < 1) throw new ConfigError("states", "needs at least one state");
  const rng = new Rng(opts.seed ?? 0);
  let kind: ActionDistribution["kind"] | undefined;
  let agree = 0;
  let dist = 0;
  let js = 0;
  let kl = 0;
  let actDist = 0;
  let actAgree = 0;
  const tolerance = opts.tolerance ?? 0.1;
  if (!(tolerance >= 0)) throw new ConfigError("tolerance", `must be >= 0, got ${tolerance}`);
  const range = opts.actionRange;
  for (let s = 0; s < states.count; s++) {
    const obs = states.obs.subarray(s * states.obsSize, (s + 1) * states.obsSize);
    const p = teacher.distribution(obs);
    const q = student.distribution(obs);
    kind ??= p.kind;
    if (p.kind === "categorical" && q.kind === "categorical") {
      if (p.probs.length !== q.probs.length) {
        throw new ConfigError("student", `has ${q.probs.length} actions, the teacher ${p.probs.length}`);
      }
      if (argmax(p.probs) === argmax(q.probs)) agree++;
      js += categoricalJS(p.probs, q.probs);
      kl += categoricalKL(p.probs, q.probs);
    } else if (p.kind === "gaussian" && q.kind === "gaussian") {
      if (p.mean.length !== q.mean.length) {
        throw new ConfigError(
          "student",
          `has ${q.mean.length} action dimensions, the teacher ${p.mean.length}`,
        );
      }
      let d2 = 0;
      for (let i = 0; i < p.mean.length; i++) d2 += (p.mean[i]! - q.mean[i]!) ** 2;
      dist += Math.sqrt(d2);
      const at = deterministicAction(teacher, obs, p.mean);
      const as = deterministicAction(student, obs, q.mean);
      let a2 = 0;
      let within = true;
      for (let i = 0; i < at.length; i++) {
        const diff = Math.abs(at[i]! - as[i]!);
        a2 += diff * diff;
        if (range && diff > tolerance * (range.high[i]! - range.low[i]!)) within = false;
      }
      actDist += Math.sqrt(a2);
      if (within) actAgree++;
      js += gaussianJS(p.mean, p.std, q.mean, q.std, rng, opts.jsSamples);
      kl += gaussianKL(p.mean, p.std, q.mean, q.std);
    } else {
      throw new ConfigError("student", `gives ${q.kind} distributions, the teacher ${p.kind}`);
    }
  }
  const n = states.count;
  const discrete = kind === "categorical";
  return {
    states: n,
    kind: kind!,
    agreement: discrete ? agree / n : null,
    meanActionDistance: discrete ? null : dist / n,
    actionDistance: discrete ? null : actDist / n,
    actionAgreement: discrete || !range ? null : actAgree / n,
    jsDivergence: js / n,
    klTeacherStudent: kl / n,
  };
}

/**
 * A policy that acts as `teacher` with probability `teacherProb` and as `student` otherwise,
 * per step, from its own seeded generator (the DAgger-style mixed rollout).
 */
export function mixturePolicy(
  teacher: Policy,
  student: Policy,
  opts: { teacherProb: number; seed?: number },
): Policy {
  const p = opts.teacherProb;
  if (!(p >= 0 && p <= 1)) throw new ConfigError("teacherProb", `must be in [0, 1], got ${p}`);
  const rng = new Rng(opts.seed ?? 0);
  return {
    act(obs: Float32Array, actOpts?: ActOptions): Action {
      return rng.random() < p ? teacher.act(obs, actOpts) : student.act(obs, actOpts);
    },
  };
}

export interface CollectOptions {
  /** Number of states to collect (env steps). */
  steps: number;
  /** Seed of the env resets and of stochastic actions. */
  seed: number;
  /** Greedy actions (default true: the states the deployed policy visits). */
  deterministic?: boolean;
  /** Passed to `make()` when an env id is given. */
  kwargs?: Record<string, unknown>;
}

/** Rolls out `policy` for `steps` steps (resetting at episode ends) and returns the observations seen. */
export function collectStates(policy: Policy, envOrId: string | Env, opts: CollectOptions): StateBatch {
  const steps = opts.steps;
  if (!(Number.isInteger(steps) && steps >= 1))
    throw new ConfigError("steps", `must be an integer >= 1, got ${steps}`);
  const env = (typeof envOrId === "string" ? make(envOrId, opts.kwargs ?? {}) : envOrId) as Env<
    ArrayLike<number>,
    Action
  >;
  const rng = new Rng(opts.seed).spawn(1);
  const actOpts: ActOptions = { deterministic: opts.deterministic ?? true, rng };
  let obs = Float32Array.from(env.reset({ seed: opts.seed }).obs);
  const size = obs.length;
  const out = new Float32Array(steps * size);
  for (let t = 0; t < steps; t++) {
    out.set(obs, t * size);
    const r = env.step(policy.act(obs, actOpts));
    obs = Float32Array.from(r.terminated || r.truncated ? env.reset().obs : r.obs);
  }
  if (typeof envOrId === "string") env.close();
  return { obs: out, obsSize: size, count: steps };
}
