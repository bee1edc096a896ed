import type { Env, ResetOptions, ResetResult, StepResult } from "../../core/env.js";
import { Wrapper } from "../../core/env.js";
import { checkKnownKeys, checkNumber } from "../../core/errors.js";
import { Rng } from "../../core/rng.js";
import type { Box, BoxValue } from "../../core/spaces.js";
import { reseededNoiseRng, SALT } from "./noise-rng.js";
import { perEntry, requireBox } from "./space-checks.js";

export interface ObservationNoiseArgs {
  /** Standard deviation of the Gaussian noise: one number, or one per observation entry. */
  std: number | ArrayLike<number>;
  /** Seed of the wrapper's own generator. Default 0. */
  seed?: number;
}

/**
 * Adds Gaussian noise to Box observations (a noisy sensor, for robustness tests). The noisy value
 * is clipped to the finite bounds of the observation space, as a sensor cannot read outside its
 * range and the observation stays in the space. Noise comes from the wrapper's own generator:
 * seeded by `seed`, and restarted deterministically whenever `reset` gets a seed.
 */
export class ObservationNoise<A = unknown> extends Wrapper<BoxValue, A, unknown, A> {
  readonly std: Float64Array;
  readonly seed: number;
  private readonly box: Box;
  private rng: Rng;

  constructor(env: Env<unknown, A>, args: ObservationNoiseArgs) {
    super(env);
    checkKnownKeys("ObservationNoise", args ?? {}, ["std", "seed"]);
    this.box = requireBox(env.observationSpace, "ObservationNoise.observationSpace");
    this.std = perEntry("ObservationNoise.std", args?.std, this.box.size);
    this.seed = checkNumber("ObservationNoise.seed", args.seed ?? 0, { integer: true });
    this.rng = new Rng(this.seed);
  }

  override reset(opts?: ResetOptions): ResetResult<BoxValue> {
    const result = this.env.reset(opts);
    if (opts?.seed !== undefined) this.rng = reseededNoiseRng(opts.seed, this.seed, SALT.observationNoise);
    return { obs: this.noisy(result.obs as ArrayLike<number>), info: result.info };
  }

  override step(action: A): StepResult<BoxValue> {
    const result = this.env.step(action) as unknown as StepResult<BoxValue>;
    result.obs = this.noisy(result.obs);
    return result;
  }

  private noisy(obs: ArrayLike<number>): BoxValue {
    const out = this.box.alloc();
    const { low, high } = this.box;
    for (let i = 0; i < out.length; i++) {
      const std = this.std[i]!;
      const v = std === 0 ? obs[i]! : obs[i]! + std * this.rng.normal();
      out[i] = Math.min(Math.max(v, low[i]!), high[i]!);
    }
    return out;
  }
}
