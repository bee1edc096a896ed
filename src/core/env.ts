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
import type { Space } from "./spaces.js";

export type Info = Record<string, unknown>;

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
  /** The kwargs `make()` was called with (after defaults were merged). */
  kwargs: Record<string, unknown>;
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
}
