import type { Env, ResetOptions, ResetResult, StepResult } from "../../core/env.js";
import { Wrapper } from "../../core/env.js";
import { describeValue, InvalidActionError, ResetNeededError } from "../../core/errors.js";

/**
 * Enforces the reset/step protocol and validates actions, with errors that say what was wrong:
 * `step` before the first `reset`, `step` after the episode ended, and actions outside the action
 * space (wrong type, shape, or value). `make()` puts it directly around the raw env.
 */
export class OrderEnforcing<O, A> extends Wrapper<O, A> {
  private needsReset = true;
  private everReset = false;
  private readonly checkActions: boolean;

  constructor(env: Env<O, A>, opts: { checkActions?: boolean } = {}) {
    super(env);
    this.checkActions = opts.checkActions ?? true;
  }

  override reset(opts?: ResetOptions): ResetResult<O> {
    const result = this.env.reset(opts);
    this.needsReset = false;
    this.everReset = true;
    return result;
  }

  override step(action: A): StepResult<O> {
    if (this.needsReset) {
      const id = this.spec?.id ?? this.unwrapped.constructor.name;
      throw new ResetNeededError(
        this.everReset
          ? `${id}: step() called after the episode ended (terminated or truncated); call reset() first`
          : `${id}: step() called before reset(); call reset() first`,
      );
    }
    if (this.checkActions && !this.actionSpace.contains(action)) {
      throw new InvalidActionError(
        `${this.spec?.id ?? this.unwrapped.constructor.name}: action ${describeValue(action)} is not in the action space ${this.actionSpace.toString()}`,
      );
    }
    const result = this.env.step(action);
    if (result.terminated || result.truncated) this.needsReset = true;
    return result;
  }
}
