/**
 * MountainCar-v0: drive an underpowered car up the right hill by rocking, exact to Gymnasium 1.4's
 * `MountainCarEnv` (Moore 1990). Float64 state, float32 observations; the car stops dead when it
 * hits the left wall.
 */
import {
  applyResetSeed,
  checkResetOptions,
  EMPTY_INFO,
  type Env,
  type EnvSpec,
  type ResetOptions,
  type ResetResult,
  type RgbFrame,
  readResetBounds,
  readStartState,
  type StepResult,
} from "../core/env.js";
import { describeValue, InvalidActionError, numericKwargs, ResetNeededError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { Box, Discrete } from "../core/spaces.js";
import { drawMountainCar } from "./render/classic.js";

export interface MountainCarKwargs {
  /** Velocity change per step of a push (action 0 pushes left, 2 right). Default 0.001. */
  force?: number;
  /** Gravity term of the velocity update. Default 0.0025. */
  gravity?: number;
  /** Minimum velocity at the goal to terminate (Gymnasium's `goal_velocity`). Default 0. */
  goalVelocity?: number;
}

const NAME = "MountainCar";
const KWARGS = ["force", "gravity", "goalVelocity"] as const;
const STATE_NAMES = ["position", "velocity"] as const;
const RESET_OPTIONS = ["low", "high", "state"] as const;
export const MOUNTAIN_CAR_MIN_POSITION = -1.2;
export const MOUNTAIN_CAR_MAX_POSITION = 0.6;
export const MOUNTAIN_CAR_MAX_SPEED = 0.07;
const GOAL_POSITION = 0.5;

export class MountainCarEnv implements Env<Float32Array, number> {
  readonly observationSpace = new Box<Float32Array>(
    [MOUNTAIN_CAR_MIN_POSITION, -MOUNTAIN_CAR_MAX_SPEED],
    [MOUNTAIN_CAR_MAX_POSITION, MOUNTAIN_CAR_MAX_SPEED],
    { dtype: "float32" },
  );
  readonly actionSpace = new Discrete(3);
  spec?: EnvSpec;

  readonly force: number;
  readonly gravity: number;
  readonly goalVelocity: number;

  private readonly rng = new Rng(0);
  private position = 0;
  private velocity = 0;
  private hasState = false;

  constructor(kwargs: MountainCarKwargs = {}) {
    const num = numericKwargs(NAME, kwargs, KWARGS);
    this.force = num("force", 0.001, { min: 0 });
    this.gravity = num("gravity", 0.0025, { min: 0 });
    this.goalVelocity = num("goalVelocity", 0, {});
  }

  get unwrapped(): this {
    return this;
  }

  /**
   * Options: `state` ([position, velocity]) starts there; otherwise the position is drawn uniformly
   * from [`low`, `high`] (default [-0.6, -0.4]) with velocity 0.
   */
  reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    applyResetSeed(NAME, this.rng, opts.seed);
    const options = checkResetOptions(NAME, opts.options, RESET_OPTIONS);
    const given = readStartState(NAME, options, STATE_NAMES);
    if (given) {
      [this.position, this.velocity] = given as [number, number];
    } else {
      const { low, high } = readResetBounds(NAME, options, -0.6, -0.4);
      this.position = this.rng.uniform(low, high);
      this.velocity = 0;
    }
    this.hasState = true;
    return { obs: this.observe(), info: {} };
  }

  step(action: number): StepResult<Float32Array> {
    if (!this.hasState) throw new ResetNeededError(`${NAME}: step() called before reset()`);
    if (action !== 0 && action !== 1 && action !== 2) {
      throw new InvalidActionError(
        `${NAME}: action ${describeValue(action)} is not in Discrete(3) (0, 1 or 2)`,
      );
    }
    // Gymnasium's `velocity += a + b` adds the sum of both terms, not each in turn.
    let velocity = this.velocity + ((action - 1) * this.force + Math.cos(3 * this.position) * -this.gravity);
    velocity = Math.min(Math.max(velocity, -MOUNTAIN_CAR_MAX_SPEED), MOUNTAIN_CAR_MAX_SPEED);
    let position = this.position + velocity;
    position = Math.min(Math.max(position, MOUNTAIN_CAR_MIN_POSITION), MOUNTAIN_CAR_MAX_POSITION);
    if (position === MOUNTAIN_CAR_MIN_POSITION && velocity < 0) velocity = 0;
    this.position = position;
    this.velocity = velocity;
    const terminated = position >= GOAL_POSITION && velocity >= this.goalVelocity;
    return { obs: this.observe(), reward: -1.0, terminated, truncated: false, info: EMPTY_INFO };
  }

  /** [position, velocity], as Gymnasium's `env.unwrapped.state`. */
  getState(): number[] {
    return [this.position, this.velocity];
  }

  /** The hill, the car and the flag, 600 x 400, as Gymnasium draws them. */
  render(): RgbFrame {
    if (!this.hasState) throw new ResetNeededError(`${NAME}: render() called before reset()`);
    return drawMountainCar({
      position: this.position,
      goalPosition: GOAL_POSITION,
      minPosition: MOUNTAIN_CAR_MIN_POSITION,
      maxPosition: MOUNTAIN_CAR_MAX_POSITION,
    });
  }

  close(): void {}

  private observe(): Float32Array {
    const obs = new Float32Array(2);
    obs[0] = this.position;
    obs[1] = this.velocity;
    return obs;
  }
}
