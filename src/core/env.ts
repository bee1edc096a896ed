/**
 * The environment contract, with Gymnasium 1.x semantics, synchronous.
 *
 *   const env = make("CartPole-v1");
 *   let { obs } = env.reset({ seed: 42 });
 *   for (;;) {
 *     const { obs: next, reward, terminated, truncated } = env.step(policy(obs));
 *     if (terminated || truncated) ({ obs } = env.reset()); else obs = next;
 *   }
 *
 * Randomness only through `reset({ seed })` (reseeds the env's generator; later resets without a
 * seed continue that stream) and `actionSpace.seed()` / `observationSpace.seed()`.
 */
import { ConfigError, checkKnownKeys, describeValue } from "./errors.js";
import type { Rng } from "./rng.js";
import type { ObsStorage, Space } from "./spaces.js";

export type Info = Record<string, unknown>;

/**
 * The info of a step with nothing to report. Shared and frozen, so that a step allocates only its
 * observation and result: wrappers that add to an info copy it (`{ ...info, episode }`).
 */
export const EMPTY_INFO: Info = Object.freeze({});

export interface ResetOptions {
  seed?: number;
  /** Env-specific options, e.g. `{ state: [...] }` to start from a given internal state. */
  options?: Record<string, unknown>;
}

export interface ResetResult<O> {
  obs: O;
  info: Info;
}

export interface StepResult<O> {
  obs: O;
  reward: number;
  /** The episode ended inside the MDP (pole fell, goal reached). Do not bootstrap. */
  terminated: boolean;
  /** The episode was cut outside the MDP (time limit). Bootstrap from `obs`. */
  truncated: boolean;
  info: Info;
}

export interface EnvSpec {
  id: string;
  /** Steps after which `TimeLimit` truncates; undefined for no limit. */
  maxEpisodeSteps?: number;
  /** Mean return at which the task counts as solved; undefined where Gymnasium gives none. */
  rewardThreshold?: number;
  /** The kwargs `make()` was called with (the env fills in its own defaults for missing ones). */
  kwargs: Record<string, unknown>;
}

/**
 * One picture of an env, as Gymnasium's `render_mode="rgb_array"` gives it: `height` rows of
 * `width` pixels, 3 bytes (R, G, B) per pixel, row-major from the top-left corner.
 */
export interface RgbFrame {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface Env<O = unknown, A = unknown> {
  readonly observationSpace: Space<O>;
  readonly actionSpace: Space<A>;
  /** Set by `make()`; undefined for an env constructed directly. */
  spec?: EnvSpec;
  reset(opts?: ResetOptions): ResetResult<O>;
  step(action: A): StepResult<O>;
  close(): void;
  /** The innermost env, below all wrappers. */
  readonly unwrapped: Env<unknown, unknown>;
  /**
   * The internal physical state (Gymnasium's `env.unwrapped.state` layout), where the env has one.
   * Wrappers forward it.
   */
  getState?(): number[];
  /** A picture of the current state, where the env can draw itself. Wrappers forward it. */
  render?(): RgbFrame;
  /**
   * Optional fast path for vector envs, which copy every observation into their batch anyway:
   * `step(action)` with the observation written into `out` from `offset` on (flattened, in the
   * observation space's dtype) instead of returned as a new array; the result's `obs` is null. The
   * same trajectory as `step`. Only wrappers that leave observations alone have it (OrderEnforcing,
   * TimeLimit): `canStepInto(env)` says whether every layer does.
   */
  stepInto?(action: A, out: ObsStorage, offset: number): StepResult<null>;
}

/**
 * True when `env` and every wrapper under it have `stepInto` (a wrapper without it, e.g. one that
 * transforms observations, must not be skipped), so a vector env may call it instead of `step`.
 */
export function canStepInto(env: Env<unknown, unknown>): boolean {
  for (let layer: Env<unknown, unknown> = env; ; layer = (layer as Wrapper).env) {
    if (typeof layer.stepInto !== "function") return false;
    if (!(layer instanceof Wrapper)) return true;
  }
}

/** A classic-control style env: Box observations, and a known internal state. */
export type VectorObsEnv<A = number | Float32Array> = Env<Float32Array, A>;

/**
 * Base class for wrappers: forwards everything to the wrapped env. Subclasses override what they
 * change, and are named `<Transform><Target>` as in Gymnasium (e.g. `ClipAction`).
 */
export class Wrapper<O = unknown, A = unknown, InnerO = O, InnerA = A> implements Env<O, A> {
  readonly env: Env<InnerO, InnerA>;
  spec?: EnvSpec;

  constructor(env: Env<InnerO, InnerA>) {
    this.env = env;
    this.spec = env.spec;
  }

  get observationSpace(): Space<O> {
    return this.env.observationSpace as unknown as Space<O>;
  }

  get actionSpace(): Space<A> {
    return this.env.actionSpace as unknown as Space<A>;
  }

  get unwrapped(): Env<unknown, unknown> {
    return this.env.unwrapped;
  }

  reset(opts?: ResetOptions): ResetResult<O> {
    return this.env.reset(opts) as unknown as ResetResult<O>;
  }

  step(action: A): StepResult<O> {
    return this.env.step(action as unknown as InnerA) as unknown as StepResult<O>;
  }

  close(): void {
    this.env.close();
  }

  getState(): number[] {
    const inner = this.env.getState;
    if (!inner) throw new TypeError(`${this.unwrapped.constructor.name} has no internal state to return`);
    return inner.call(this.env);
  }

  render(): RgbFrame {
    const inner = this.env.render;
    if (!inner) throw new TypeError(`${this.unwrapped.constructor.name} cannot render`);
    return inner.call(this.env);
  }
}

/*
 * Reset helpers for envs with a physical state. They check what users type by hand (seeds, start
 * states, bounds) and name the bad field, because a silently ignored typo in `options` would start
 * every episode from the default distribution.
 */

/** Reseeds `rng` from `reset({ seed })` when a seed is given. */
export function applyResetSeed(env: string, rng: Rng, seed: unknown): void {
  if (seed === undefined) return;
  if (typeof seed !== "number" || !Number.isInteger(seed)) {
    throw new ConfigError(`${env}.reset.seed`, `expected an integer, got ${describeValue(seed)}`);
  }
  rng.reseed(seed);
}

/** Rejects option keys the env does not know (`state` plus the env's own, e.g. `low`/`high`). */
export function checkResetOptions(
  env: string,
  options: Record<string, unknown> | undefined,
  allowed: readonly string[],
): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new ConfigError(`${env}.reset.options`, `expected an object, got ${describeValue(options)}`);
  }
  checkKnownKeys(`${env}.reset.options`, options, allowed);
  return options;
}

/**
 * `options.state`: a start state in Gymnasium's `env.unwrapped.state` layout, one finite number per
 * entry of `names`. Undefined when not given (the env draws a random start).
 */
export function readStartState(
  env: string,
  options: Record<string, unknown>,
  names: readonly string[],
): number[] | undefined {
  const state = options["state"];
  if (state === undefined) return undefined;
  const field = `${env}.reset.options.state`;
  const layout = `[${names.join(", ")}]`;
  if (!Array.isArray(state) && !(state instanceof Float64Array) && !(state instanceof Float32Array)) {
    throw new ConfigError(field, `expected an array ${layout}, got ${describeValue(state)}`);
  }
  if (state.length !== names.length) {
    throw new ConfigError(field, `expected ${names.length} numbers ${layout}, got ${state.length}`);
  }
  const out: number[] = [];
  for (let i = 0; i < names.length; i++) {
    const v: unknown = state[i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new ConfigError(
        field,
        `${names[i]} (entry ${i}) must be a finite number, got ${describeValue(v)}`,
      );
    }
    out.push(v);
  }
  for (const key of Object.keys(options)) {
    if (key !== "state") throw new ConfigError(field, `cannot be combined with options.${key}`);
  }
  return out;
}

/** A numeric reset option, or `fallback` when absent. */
export function readResetNumber(
  env: string,
  options: Record<string, unknown>,
  key: string,
  fallback: number,
): number {
  const v = options[key];
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new ConfigError(`${env}.reset.options.${key}`, `expected a finite number, got ${describeValue(v)}`);
  }
  return v;
}

/**
 * Bounds of the uniform random start as Gymnasium's `maybe_parse_reset_bounds`: `options[lowKey]`
 * and `options[highKey]` override the defaults, and low must not exceed high.
 */
export function readResetBounds(
  env: string,
  options: Record<string, unknown>,
  defaultLow: number,
  defaultHigh: number,
  lowKey = "low",
  highKey = "high",
): { low: number; high: number } {
  const low = readResetNumber(env, options, lowKey, defaultLow);
  const high = readResetNumber(env, options, highKey, defaultHigh);
  if (low > high) {
    throw new ConfigError(`${env}.reset.options.${lowKey}`, `${low} must be <= ${highKey} (${high})`);
  }
  return { low, high };
}
