import type { Env, ResetOptions, ResetResult, StepResult } from "../../core/env.js";
import { Wrapper } from "../../core/env.js";
import { ConfigError, checkKnownKeys, checkNumber } from "../../core/errors.js";
import { Rng } from "../../core/rng.js";
import { reseededNoiseRng, SALT } from "./noise-rng.js";

export interface StickyActionArgs {
  /** Probability of executing the previous action instead of the given one, in [0, 1). */
  p: number;
  /** Seed of the wrapper's own generator. Default 0. */
  seed?: number;
}

/**
 * With probability `p` the env executes the previously executed action instead of the agent's
 * (sticky actions, Machado et al. 2018, "Revisiting the Arcade Learning Environment", section 5.2).
 * The first step after a reset always uses the agent's action, as in Gymnasium's `StickyAction`.
 * Seeded like `ObservationNoise`.
 */
export class StickyAction<O = unknown, A = unknown> extends Wrapper<O, A> {
  readonly p: number;
  readonly seed: number;
  private rng: Rng;
  private last: A | undefined;

  constructor(env: Env<O, A>, args: StickyActionArgs) {
    super(env);
    checkKnownKeys("StickyAction", args ?? {}, ["p", "seed"]);
    this.p = checkNumber("StickyAction.p", args?.p, { min: 0 });
    if (this.p >= 1) throw new ConfigError("StickyAction.p", `must be in [0, 1), got ${this.p}`);
    this.seed = checkNumber("StickyAction.seed", args.seed ?? 0, { integer: true });
    this.rng = new Rng(this.seed);
  }

  override reset(opts?: ResetOptions): ResetResult<O> {
    if (opts?.seed !== undefined) this.rng = reseededNoiseRng(opts.seed, this.seed, SALT.stickyAction);
    this.last = undefined;
    return this.env.reset(opts);
  }

  override step(action: A): StepResult<O> {
    let executed = action;
    if (this.last !== undefined && this.rng.random() < this.p) executed = this.last;
    // Copy array actions: callers (vector envs) reuse their action buffers between steps.
    this.last = copyAction(executed);
    return this.env.step(executed);
  }
}

function copyAction<A>(action: A): A {
  if (ArrayBuffer.isView(action)) return (action as unknown as Float32Array).slice() as A;
  if (Array.isArray(action)) return [...action] as A;
  return action;
}
