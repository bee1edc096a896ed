import type { Env, ResetOptions, ResetResult, StepResult } from "../../core/env.js";
import { Wrapper } from "../../core/env.js";
import { ConfigError, checkKnownKeys, checkNumber, describeValue } from "../../core/errors.js";
import { Box, type BoxValue } from "../../core/spaces.js";
import { requireBox } from "./space-checks.js";

export interface FrameStackObservationArgs {
  /** Number of observations stacked, >= 1. */
  stackSize: number;
  /**
   * What fills the stack after a reset: "reset" repeats the reset observation (Gymnasium 1.x's
   * default), "zero" uses zeros, or give one observation to use as padding. Default "reset".
   */
  paddingType?: "reset" | "zero" | ArrayLike<number>;
}

/**
 * Stacks the last `stackSize` Box observations, oldest first, along a new leading axis: the
 * observation space becomes `Box` of shape `[stackSize, ...shape]` with the bounds repeated
 * (Gymnasium 1.x `FrameStackObservation`). Each returned observation is a fresh array.
 */
export class FrameStackObservation<A = unknown> extends Wrapper<BoxValue, A, unknown, A> {
  readonly stackSize: number;
  readonly paddingType: "reset" | "zero" | "custom";
  private readonly inner: Box;
  private readonly space: Box;
  private readonly stack: BoxValue;
  private readonly padding: BoxValue;

  constructor(env: Env<unknown, A>, args: FrameStackObservationArgs) {
    super(env);
    checkKnownKeys("FrameStackObservation", args ?? {}, ["stackSize", "paddingType"]);
    this.inner = requireBox(env.observationSpace, "FrameStackObservation.observationSpace");
    this.stackSize = checkNumber("FrameStackObservation.stackSize", args?.stackSize, {
      integer: true,
      min: 1,
    });
    const k = this.stackSize;
    const size = this.inner.size;
    const tile = (src: BoxValue): number[] => Array.from({ length: k * size }, (_, i) => src[i % size]!);
    this.space = new Box(tile(this.inner.low), tile(this.inner.high), {
      shape: [k, ...this.inner.shape],
      dtype: this.inner.dtype,
    });
    this.stack = this.space.alloc();
    this.padding = this.inner.alloc();
    const padding = args.paddingType ?? "reset";
    if (padding === "reset" || padding === "zero") this.paddingType = padding;
    else if (typeof padding === "object" && padding !== null && this.inner.contains(padding)) {
      this.paddingType = "custom";
      this.padding.set(Array.from(padding));
    } else {
      throw new ConfigError(
        "FrameStackObservation.paddingType",
        `allowed: "reset", "zero", or an observation in ${this.inner}; got ${describeValue(padding)}`,
      );
    }
  }

  override get observationSpace(): Box {
    return this.space;
  }

  override reset(opts?: ResetOptions): ResetResult<BoxValue> {
    const result = this.env.reset(opts);
    const obs = result.obs as ArrayLike<number>;
    const size = this.inner.size;
    if (this.paddingType === "reset") this.padding.set(Array.from(obs));
    for (let j = 0; j < this.stackSize - 1; j++) this.stack.set(this.padding, j * size);
    this.writeLast(obs);
    return { obs: this.stack.slice(), info: result.info };
  }

  override step(action: A): StepResult<BoxValue> {
    const result = this.env.step(action) as StepResult<unknown>;
    this.stack.copyWithin(0, this.inner.size);
    this.writeLast(result.obs as ArrayLike<number>);
    return { ...result, obs: this.stack.slice() };
  }

  private writeLast(obs: ArrayLike<number>): void {
    const offset = (this.stackSize - 1) * this.inner.size;
    for (let i = 0; i < this.inner.size; i++) this.stack[offset + i] = obs[i]!;
  }
}
