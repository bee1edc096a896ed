import type { Env, ResetOptions, ResetResult, StepResult } from "../../core/env.js";
import { Wrapper } from "../../core/env.js";
import { checkNumber } from "../../core/errors.js";
import type { ObsStorage } from "../../core/spaces.js";

/** Truncates an episode after `maxEpisodeSteps` steps (sets `truncated`, leaves `terminated`). */
export class TimeLimit<O, A> extends Wrapper<O, A> {
  readonly maxEpisodeSteps: number;
  private elapsed = 0;

  constructor(env: Env<O, A>, maxEpisodeSteps: number) {
    super(env);
    this.maxEpisodeSteps = checkNumber("maxEpisodeSteps", maxEpisodeSteps, { integer: true, min: 1 });
  }

  /** Steps taken in the current episode. */
  get elapsedSteps(): number {
    return this.elapsed;
  }

  override reset(opts?: ResetOptions): ResetResult<O> {
    this.elapsed = 0;
    return this.env.reset(opts);
  }

  override step(action: A): StepResult<O> {
    const result = this.env.step(action);
    this.elapsed++;
    if (this.elapsed >= this.maxEpisodeSteps) result.truncated = true;
    return result;
  }

  /** `step` with the observation written into `out` (see `Env.stepInto`; only when the env has it). */
  stepInto(action: A, out: ObsStorage, offset: number): StepResult<null> {
    const result = this.env.stepInto!(action, out, offset);
    this.elapsed++;
    if (this.elapsed >= this.maxEpisodeSteps) result.truncated = true;
    return result;
  }
}
