import type { Env, ResetOptions, ResetResult, StepResult } from "../../core/env.js";
import { Wrapper } from "../../core/env.js";
import { describeValue, InvalidActionError, ResetNeededError } from "../../core/errors.js";
import { Box, Discrete, MultiDiscrete, type ObsStorage, type Space } from "../../core/spaces.js";

/**
 * What an action space takes, in words: the action names where the env has them (MinAtar's
 * `actionNames`), else the integer range, the shape, or the bounds.
 */
export function describeAllowedActions(space: Space<unknown>, names?: unknown): string {
  if (space instanceof Discrete) {
    const last = space.start + space.n - 1;
    if (Array.isArray(names) && names.length === space.n)
      return names.map((name, i) => `${space.start + i} (${String(name)})`).join(", ");
    return space.n === 1 ? `${space.start}` : `an integer from ${space.start} to ${last}`;
  }
  if (space instanceof MultiDiscrete)
    return `${space.nvec.length} integers (array or Int32Array), entry i from 0 to nvec[i] - 1`;
  if (space instanceof Box)
    return `a number array (Float32Array or number[]) of shape [${space.shape.join(", ")}] within ${space.toString()}'s bounds`;
  return `a member of ${space.toString()}`;
}

/**
 * Enforces the reset/step protocol and validates actions, with errors that say what was wrong:
 * `step` before the first `reset`, `step` after the episode ended, and actions outside the action
 * space (wrong type, shape, or value). `make()` puts it directly around the raw env.
 */
export class OrderEnforcing<O, A> extends Wrapper<O, A> {
  private needsReset = true;
  private everReset = false;
  private readonly checkActions: boolean;
  /** The wrapped env's action space (spaces are readonly: read once, not through getters per step). */
  private readonly space: Space<A>;

  constructor(env: Env<O, A>, opts: { checkActions?: boolean } = {}) {
    super(env);
    this.checkActions = opts.checkActions ?? true;
    this.space = env.actionSpace;
  }

  override reset(opts?: ResetOptions): ResetResult<O> {
    const result = this.env.reset(opts);
    this.needsReset = false;
    this.everReset = true;
    return result;
  }

  override step(action: A): StepResult<O> {
    this.checkStep(action);
    const result = this.env.step(action);
    if (result.terminated || result.truncated) this.needsReset = true;
    return result;
  }

  /** `step` with the observation written into `out` (see `Env.stepInto`; only when the env has it). */
  stepInto(action: A, out: ObsStorage, offset: number): StepResult<null> {
    this.checkStep(action);
    const result = this.env.stepInto!(action, out, offset);
    if (result.terminated || result.truncated) this.needsReset = true;
    return result;
  }

  /** Kept small so that it inlines into step: the messages are built out of line. */
  private checkStep(action: A): void {
    if (this.needsReset) this.refuseStep();
    if (this.checkActions && !this.space.contains(action)) this.refuseAction(action);
  }

  private refuseStep(): never {
    const id = this.spec?.id ?? this.unwrapped.constructor.name;
    throw new ResetNeededError(
      this.everReset
        ? `${id}: step() called after the episode ended (terminated or truncated); call reset() first`
        : `${id}: step() called before reset(); call reset() first`,
    );
  }

  private refuseAction(action: A): never {
    const names = (this.unwrapped as { actionNames?: unknown }).actionNames;
    throw new InvalidActionError(
      `${this.spec?.id ?? this.unwrapped.constructor.name}: action ${describeValue(action)} is not in the action space ${this.space.toString()}; allowed: ${describeAllowedActions(this.space, names)}`,
    );
  }
}
