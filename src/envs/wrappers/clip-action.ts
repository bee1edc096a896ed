import type { Env, StepResult } from "../../core/env.js";
import { Wrapper } from "../../core/env.js";
import { Box, type BoxValue } from "../../core/spaces.js";
import { requireBox } from "./space-checks.js";

/**
 * Clips continuous actions to the bounds of the env's Box action space. As in Gymnasium 1.x, the
 * wrapper's own action space is unbounded (any finite action is accepted, then clipped), which is
 * what a Gaussian policy emits.
 */
export class ClipAction<O = unknown> extends Wrapper<O, ArrayLike<number>, O, BoxValue> {
  private readonly inner: Box;
  private readonly outer: Box;

  constructor(env: Env<O, unknown>) {
    super(env as Env<O, BoxValue>);
    this.inner = requireBox(env.actionSpace, "ClipAction.actionSpace");
    this.outer = new Box(-Infinity, Infinity, { shape: this.inner.shape, dtype: this.inner.dtype });
  }

  override get actionSpace(): Box {
    return this.outer;
  }

  override step(action: ArrayLike<number>): StepResult<O> {
    const { low, high } = this.inner;
    const out = this.inner.alloc();
    for (let i = 0; i < out.length; i++) out[i] = Math.min(Math.max(action[i]!, low[i]!), high[i]!);
    return this.env.step(out);
  }
}
