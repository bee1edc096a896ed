/**
 * MountainCarContinuous-v0: mountain car with a continuous force and an energy penalty, exact to
 * Gymnasium 1.4's `Continuous_MountainCarEnv`.
 *
 * Quirks kept for parity: the state is rounded to float32 after every step (Gymnasium stores it as a
 * float32 array) but the termination test sees the float64 values before rounding; the force is the
 * action clipped to [-1, 1], while the energy penalty uses the action as given.
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
import { Box } from "../core/spaces.js";
import {
  MOUNTAIN_CAR_MAX_POSITION,
  MOUNTAIN_CAR_MAX_SPEED,
  MOUNTAIN_CAR_MIN_POSITION,
} from "./mountain-car.js";
import { drawMountainCar } from "./render/classic.js";

export interface MountainCarContinuousKwargs {
  /** Velocity change per step at full force. Default 0.0015. */
  power?: number;
  /** Minimum velocity at the goal to terminate (Gymnasium's `goal_velocity`). Default 0. */
  goalVelocity?: number;
}

const NAME = "MountainCarContinuous";
const KWARGS = ["power", "goalVelocity"] as const;
const STATE_NAMES = ["position", "velocity"] as const;
const RESET_OPTIONS = ["low", "high", "state"] as const;
const MIN_ACTION = -1.0;
const MAX_ACTION = 1.0;
// 0.45 here, not MountainCar's 0.5 (Arnaud de Broissia's version, kept by Gymnasium).
const GOAL_POSITION = 0.45;
const GRAVITY = 0.0025;

export class MountainCarContinuousEnv implements Env<Float32Array, Float32Array> {
  readonly observationSpace = new Box<Float32Array>(
    [MOUNTAIN_CAR_MIN_POSITION, -MOUNTAIN_CAR_MAX_SPEED],
    [MOUNTAIN_CAR_MAX_POSITION, MOUNTAIN_CAR_MAX_SPEED],
    { dtype: "float32" },
  );
  readonly actionSpace = new Box<Float32Array>(MIN_ACTION, MAX_ACTION, { shape: [1], dtype: "float32" });
  spec?: EnvSpec;

  readonly power: number;
  readonly goalVelocity: number;

  private readonly rng = new Rng(0);
  private position = 0;
  private velocity = 0;
  private hasState = false;

  constructor(kwargs: MountainCarContinuousKwargs = {}) {
    const num = numericKwargs(NAME, kwargs, KWARGS);
    this.power = num("power", 0.0015, { min: 0 });
    this.goalVelocity = num("goalVelocity", 0, {});
  }

  get unwrapped(): this {
    return this;
  }

  /**
   * Options: `state` ([position, velocity]) starts there; otherwise the position is drawn uniformly
   * from [`low`, `high`] (default [-0.6, -0.4]) with velocity 0. The start is not rounded to float32
   * (neither is Gymnasium's).
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

  step(action: Float32Array): StepResult<Float32Array> {
    if (!this.hasState) throw new ResetNeededError(`${NAME}: step() called before reset()`);
    const a = action?.[0];
    if (typeof a !== "number" || Number.isNaN(a)) {
      throw new InvalidActionError(
        `${NAME}: action ${describeValue(action)} must be a Float32Array of 1 number`,
      );
    }
    const force = Math.min(Math.max(a, MIN_ACTION), MAX_ACTION);
    let velocity = this.velocity + (force * this.power - GRAVITY * Math.cos(3 * this.position));
    if (velocity > MOUNTAIN_CAR_MAX_SPEED) velocity = MOUNTAIN_CAR_MAX_SPEED;
    if (velocity < -MOUNTAIN_CAR_MAX_SPEED) velocity = -MOUNTAIN_CAR_MAX_SPEED;
    let position = this.position + velocity;
    if (position > MOUNTAIN_CAR_MAX_POSITION) position = MOUNTAIN_CAR_MAX_POSITION;
    if (position < MOUNTAIN_CAR_MIN_POSITION) position = MOUNTAIN_CAR_MIN_POSITION;
    if (position === MOUNTAIN_CAR_MIN_POSITION && velocity < 0) velocity = 0;

    const terminated = position >= GOAL_POSITION && velocity >= this.goalVelocity;
    let reward = terminated ? 100.0 : 0;
    reward -= a * a * 0.1;
    this.position = Math.fround(position);
    this.velocity = Math.fround(velocity);
    return { obs: this.observe(), reward, terminated, truncated: false, info: EMPTY_INFO };
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
