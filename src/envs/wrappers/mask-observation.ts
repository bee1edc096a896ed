import type { Env, ResetOptions, ResetResult, StepResult } from "../../core/env.js";
import { Wrapper } from "../../core/env.js";
import { ConfigError, checkKnownKeys, describeValue } from "../../core/errors.js";
import { Box, type BoxValue } from "../../core/spaces.js";
import { requireBox } from "./space-checks.js";

export interface MaskObservationArgs {
  /** Indices of the (flattened) observation to keep, in the order given. Give `keep` or `drop`. */
  keep?: readonly number[];
  /** Indices to remove; the others are kept in order. Give `keep` or `drop`. */
  drop?: readonly number[];
}

/**
 * Hides observation entries: the policy sees only the kept entries of the flattened Box
 * observation, as a 1-D Box of their bounds and dtype. A partially observed task from a fully
 * observed one, e.g. CartPole without its velocities:
 *
 *   const env = new FrameStackObservation(new MaskObservation(make("CartPole-v1"), { drop: [1, 3] }), { stackSize: 4 });
 *
 * (positions and angles only; stacking frames lets a policy recover the velocities.) A privileged
 * teacher that sees the full state can teach a student that sees this view (src/distill/multitask,
 * cross-modal distillation). Each returned observation is a fresh array.
 */
export class MaskObservation<A = unknown> extends Wrapper<BoxValue, A, unknown, A> {
  /** Indices of the inner observation that are kept, in output order. */
  readonly kept: readonly number[];
  private readonly space: Box;

  constructor(env: Env<unknown, A>, args: MaskObservationArgs) {
    super(env);
    checkKnownKeys("MaskObservation", args ?? {}, ["keep", "drop"]);
    const inner = requireBox(env.observationSpace, "MaskObservation.observationSpace");
    const size = inner.size;
    if ((args?.keep === undefined) === (args?.drop === undefined)) {
      throw new ConfigError(
        "MaskObservation",
        "give exactly one of keep or drop (indices of the observation)",
      );
    }
    const field = args.keep !== undefined ? "MaskObservation.keep" : "MaskObservation.drop";
    const given = checkIndices(field, (args.keep ?? args.drop)!, size);
    this.kept = args.keep !== undefined ? given : range(size).filter((i) => !given.includes(i));
    if (this.kept.length === 0) throw new ConfigError(field, `leaves no entry of the ${size} to observe`);
    this.space = new Box(
      this.kept.map((i) => inner.low[i]!),
      this.kept.map((i) => inner.high[i]!),
      { dtype: inner.dtype },
    );
  }

  override get observationSpace(): Box {
    return this.space;
  }

  /** The kept entries of a full observation, as this wrapper returns them. */
  observation(full: ArrayLike<number>): BoxValue {
    const out = this.space.alloc();
    this.kept.forEach((src, i) => {
      out[i] = full[src]!;
    });
    return out;
  }

  override reset(opts?: ResetOptions): ResetResult<BoxValue> {
    const r = this.env.reset(opts);
    return { obs: this.observation(r.obs as ArrayLike<number>), info: r.info };
  }

  override step(action: A): StepResult<BoxValue> {
    const r = this.env.step(action);
    return { ...r, obs: this.observation(r.obs as ArrayLike<number>) };
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function checkIndices(field: string, value: unknown, size: number): number[] {
  if (!Array.isArray(value))
    throw new ConfigError(field, `expected a list of indices, got ${describeValue(value)}`);
  const seen = new Set<number>();
  for (const v of value) {
    if (!(typeof v === "number" && Number.isInteger(v) && v >= 0 && v < size)) {
      throw new ConfigError(field, `${describeValue(v)} is not an index of the observation [0, ${size})`);
    }
    if (seen.has(v)) throw new ConfigError(field, `index ${v} is given twice`);
    seen.add(v);
  }
  return [...value] as number[];
}
