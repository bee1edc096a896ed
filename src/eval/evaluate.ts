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
import { checkInterrupt } from "../core/interrupt.js";
import type { Action, ActOptions, Policy } from "../core/policy.js";
import { Rng } from "../core/rng.js";
import { type AnySpace, spaceFromJSON } from "../core/spaces.js";
import { make } from "../envs/registry.js";
import { SyncVectorEnv } from "../envs/vector/sync-vector-env.js";
import type { VectorObs } from "../envs/vector/vector-env.js";
import { bootstrapCI, bootstrapMeansCI, iqm, mean, std } from "./stats.js";

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
  /**
   * `evaluatePolicyAsync` only: once aborted (Ctrl-C), the evaluation stops and throws its reason
   * (an InterruptedError). The async loop also yields to the event loop every 5 ms, so signals
   * are seen.
   */
  signal?: AbortSignal;
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

/**
 * The bookkeeping of one evaluation, shared by the sync and async loops: the vector env, SB3's
 * per-env episode targets, running returns, and the summary at the end.
 */
class EpisodeLoop {
  readonly numEnvs: number;
  readonly actOpts: ActOptions[];
  private readonly venv: SyncVectorEnv;
  private readonly targets: number[];
  private readonly counts: number[];
  private readonly curReturn: number[];
  private readonly curLength: number[];
  private readonly returns: number[] = [];
  private readonly lengths: number[] = [];
  private readonly actions: Float32Array | Int32Array;
  private obs: VectorObs;
  /** Lane observations converted to float32 when the env's are uint8 (policies act on float32). */
  private readonly laneObs: Float32Array[];

  constructor(
    private readonly source: EnvSource,
    private readonly opts: EvaluateOptions,
    readonly seed = opts.seed ?? 0,
    readonly deterministic = opts.deterministic ?? true,
  ) {
    const episodes = checkEpisodes(opts.episodes);
    const n = opts.numEnvs ?? 1;
    if (!(Number.isInteger(n) && n >= 1))
      throw new ConfigError("numEnvs", `must be an integer >= 1, got ${n}`);
    this.numEnvs = n;
    this.venv = openVector(source, n, opts);
    const root = new Rng(this.seed);
    this.actOpts = Array.from({ length: n }, (_, i) => ({
      deterministic: this.deterministic,
      rng: root.spawn(i),
    }));
    this.targets = Array.from({ length: n }, (_, i) => Math.floor((episodes + i) / n));
    this.counts = new Array<number>(n).fill(0);
    this.curReturn = new Array<number>(n).fill(0);
    this.curLength = new Array<number>(n).fill(0);
    const size = n * this.venv.actSize;
    this.actions = this.venv.singleActionSpace.type === "Box" ? new Float32Array(size) : new Int32Array(size);
    this.obs = this.venv.reset({ seed: this.seed }).obs;
    this.laneObs =
      this.venv.obsDtype === "uint8"
        ? Array.from({ length: n }, () => new Float32Array(this.venv.obsSize))
        : [];
  }

  done(): boolean {
    return this.counts.every((c, i) => c >= this.targets[i]!);
  }

  /** Lanes that still need episodes. A lane past its target keeps its last action: SB3 steps it too, and discards its results. */
  activeLanes(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.numEnvs; i++) if (this.counts[i]! < this.targets[i]!) out.push(i);
    return out;
  }

  /** Lane i's current observation (a view or a reused copy, valid until the next step). */
  obsOf(i: number): Float32Array {
    const d = this.venv.obsSize;
    const row = this.obs.subarray(i * d, (i + 1) * d);
    if (row instanceof Float32Array) return row;
    const out = this.laneObs[i]!;
    out.set(row);
    return out;
  }

  setAction(i: number, a: Action): void {
    const d = this.venv.actSize;
    if (typeof a === "number") this.actions[i * d] = a;
    else this.actions.set(a, i * d);
  }

  step(): void {
    const out = this.venv.step(this.actions);
    this.obs = out.obs;
    for (let i = 0; i < this.numEnvs; i++) {
      this.curReturn[i]! += out.rewards[i]!;
      this.curLength[i]!++;
      if (out.terminated[i] || out.truncated[i]) {
        if (this.counts[i]! < this.targets[i]!) {
          this.returns.push(this.curReturn[i]!);
          this.lengths.push(this.curLength[i]!);
          this.counts[i]!++;
        }
        this.curReturn[i] = 0;
        this.curLength[i] = 0;
      }
    }
  }

  close(): void {
    this.venv.close();
  }

  result(): EvalResult {
    const { returns, lengths, seed } = this;
    const threshold = this.venv.envs[0]!.spec?.rewardThreshold;
    return {
      env: typeof this.source === "string" ? this.source : null,
      episodes: returns.length,
      returns,
      lengths,
      meanReturn: mean(returns),
      stdReturn: std(returns),
      iqm: iqm(returns),
      ci95: bootstrapCI(returns, { seed, resamples: this.opts.bootstrapResamples }),
      successRate:
        threshold === undefined ? null : returns.filter((r) => r >= threshold).length / returns.length,
      rewardThreshold: threshold ?? null,
      meanLength: mean(lengths),
      seed,
      deterministic: this.deterministic,
    };
  }
}

/** Runs `policy` for exactly `opts.episodes` episodes and summarises the returns. */
export function evaluatePolicy(policy: Policy, source: EnvSource, opts: EvaluateOptions): EvalResult {
  const loop = new EpisodeLoop(source, opts);
  try {
    while (!loop.done()) {
      for (const i of loop.activeLanes()) loop.setAction(i, policy.act(loop.obsOf(i), loop.actOpts[i]));
      loop.step();
    }
  } finally {
    loop.close();
  }
  return loop.result();
}

/** A policy whose `act` may be asynchronous (an onnxruntime session, a remote model). */
export interface AsyncPolicy {
  act(obs: Float32Array, opts?: ActOptions): Action | Promise<Action>;
}

/**
 * `evaluatePolicy` for an asynchronous policy (or a synchronous one in a long command that must stay
 * responsive to Ctrl-C), with the same semantics and results: the lanes of one step are asked
 * together (`Promise.all`), then the envs step; every 5 ms the event loop gets a turn, and an
 * aborted `opts.signal` stops the evaluation with its reason.
 */
export async function evaluatePolicyAsync(
  policy: AsyncPolicy,
  source: EnvSource,
  opts: EvaluateOptions,
): Promise<EvalResult> {
  const loop = new EpisodeLoop(source, opts);
  try {
    while (!loop.done()) {
      const lanes = loop.activeLanes();
      // Copy the observations: the vector env's buffer is only valid until the next step.
      const acts = await Promise.all(lanes.map((i) => policy.act(loop.obsOf(i).slice(), loop.actOpts[i])));
      lanes.forEach((i, k) => {
        loop.setAction(i, acts[k]!);
      });
      loop.step();
      await checkInterrupt(opts.signal);
    }
  } finally {
    loop.close();
  }
  return loop.result();
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
 * Retention, (G_student - G_random) / (G_teacher - G_random): the share of the teacher's
 * improvement over uniform random actions that the student keeps (1 = as good as the teacher; it
 * can exceed 1; 0 = no better than random). Measuring from the random return (not from 0) makes it
 * meaningful for negative returns (Acrobot, Pendulum: teacher -80, random -500, student -85 gives
 * 0.988, where G_s / G_t would give 1.06). Null when the teacher is no better than random's span
 * (equal returns) or a return is not finite. The one definition: eval and distill both use it.
 */
export function retention(studentReturn: number, teacherReturn: number, randomReturn: number): number | null {
  const span = teacherReturn - randomReturn;
  const r = (studentReturn - randomReturn) / span;
  return span === 0 || !Number.isFinite(r) ? null : r;
}

/**
 * 95% percentile-bootstrap interval of `retention` from the three policies' episode returns,
 * each resampled on its own (they come from separate evaluations). Why it is reported: on a game
 * whose returns spread as widely as their mean (MinAtar Asterix: 25 +- 16), 500 episodes each
 * still leave it +-0.08 wide (100: about +-0.18), so a retention figure next to a 0.95 target
 * decides little without it. Null when a resample's retention is undefined (the teacher's and
 * random's resampled means meet).
 */
export function retentionCI(
  studentReturns: ArrayLike<number>,
  teacherReturns: ArrayLike<number>,
  randomReturns: ArrayLike<number>,
  opts: { seed?: number; resamples?: number } = {},
): [number, number] | null {
  return bootstrapMeansCI(
    [studentReturns, teacherReturns, randomReturns],
    ([s, t, r]) => retention(s!, t!, r!),
    { ...opts, confidence: 0.95 },
  );
}
