import type { Env, ResetOptions, ResetResult, StepResult } from "../../core/env.js";
import { Wrapper } from "../../core/env.js";
import { ConfigError, checkKnownKeys, checkNumber } from "../../core/errors.js";
import { Rng } from "../../core/rng.js";
import { Box, type Discrete, type MultiDiscrete } from "../../core/spaces.js";
import { reseededNoiseRng, SALT } from "./noise-rng.js";
import { perEntry, requireKnownSpace } from "./space-checks.js";

export interface ActionNoiseArgs {
  /** Box actions: standard deviation of the Gaussian added to the action (one, or one per entry). */
  std?: number | ArrayLike<number>;
  /** Discrete / MultiDiscrete actions: probability of replacing the action by a uniform random one. */
  p?: number;
  /** Seed of the wrapper's own generator. Default 0. */
  seed?: number;
}

/**
 * Perturbs actions before the env sees them (an imprecise actuator, for robustness tests).
 * Continuous (Box): Gaussian noise, then clipped to the action space bounds. Discrete and
 * MultiDiscrete: with probability `p` the whole action is replaced by a uniform random one (which
 * may equal the original). Seeded like `ObservationNoise`; the caller's action is never modified.
 */
export class ActionNoise<O = unknown> extends Wrapper<O, unknown> {
  readonly std?: Float64Array;
  readonly p: number;
  readonly seed: number;
  private readonly space: Box | Discrete | MultiDiscrete;
  private rng: Rng;

  constructor(env: Env<O, unknown>, args: ActionNoiseArgs) {
    super(env);
    checkKnownKeys("ActionNoise", args ?? {}, ["std", "p", "seed"]);
    this.space = requireKnownSpace(env.actionSpace, "ActionNoise.actionSpace");
    if (this.space instanceof Box) {
      if (args.p !== undefined) {
        throw new ConfigError(
          "ActionNoise.p",
          `applies to Discrete/MultiDiscrete actions; for ${this.space} use std`,
        );
      }
      this.std = perEntry("ActionNoise.std", args.std as number, this.space.size);
      this.p = 0;
    } else {
      if (args.std !== undefined) {
        throw new ConfigError("ActionNoise.std", `applies to Box actions; for ${this.space} use p`);
      }
      this.p = checkNumber("ActionNoise.p", args.p, { min: 0, max: 1 });
    }
    this.seed = checkNumber("ActionNoise.seed", args.seed ?? 0, { integer: true });
    this.rng = new Rng(this.seed);
  }

  override reset(opts?: ResetOptions): ResetResult<O> {
    if (opts?.seed !== undefined) this.rng = reseededNoiseRng(opts.seed, this.seed, SALT.actionNoise);
    return this.env.reset(opts);
  }

  override step(action: unknown): StepResult<O> {
    return this.env.step(this.perturb(action));
  }

  private perturb(action: unknown): unknown {
    const space = this.space;
    if (space instanceof Box) {
      const a = action as ArrayLike<number>;
      const out = space.alloc();
      for (let i = 0; i < out.length; i++) {
        const v = a[i]! + this.std![i]! * this.rng.normal();
        out[i] = Math.min(Math.max(v, space.low[i]!), space.high[i]!);
      }
      return out;
    }
    // One draw per step whatever the outcome, so the stream does not depend on the actions.
    if (this.rng.random() >= this.p) return action;
    if (space.type === "Discrete") return space.start + this.rng.integer(space.n);
    const out = new Int32Array(space.nvec.length);
    for (let i = 0; i < out.length; i++) out[i] = this.rng.integer(space.nvec[i]!);
    return out;
  }
}
