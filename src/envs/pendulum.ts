/**
 * Pendulum-v1: swing a pendulum up and hold it, exact to Gymnasium 1.4's `PendulumEnv`.
 *
 * The internal state is [theta, thetadot] (theta 0 is upright, not wrapped); the observation is
 * [cos theta, sin theta, thetadot]. The cost uses the angle normalised to [-pi, pi) and the clipped
 * torque; the velocity is clipped before it moves the angle (semi-implicit Euler).
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
  readResetNumber,
  readStartState,
  type StepResult,
} from "../core/env.js";
import { describeValue, InvalidActionError, numericKwargs, ResetNeededError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { Box } from "../core/spaces.js";
import { drawPendulum } from "./render/classic.js";

export interface PendulumKwargs {
  /** Gravity, m/s^2. Default 10. */
  g?: number;
  /** Mass, kg. Default 1. */
  m?: number;
  /** Length, m. Default 1. */
  l?: number;
  /** Angular velocity limit, rad/s (also the observation bound). Default 8. */
  maxSpeed?: number;
  /** Torque limit (also the action bound). Default 2. */
  maxTorque?: number;
  /** Seconds per step. Default 0.05. */
  dt?: number;
}

const NAME = "Pendulum";
const KWARGS = ["g", "m", "l", "maxSpeed", "maxTorque", "dt"] as const;
const STATE_NAMES = ["theta", "thetadot"] as const;
// Gymnasium's option names, so code written for it carries over.
const RESET_OPTIONS = ["x_init", "y_init", "state"] as const;
const DEFAULT_X = Math.PI;
const DEFAULT_Y = 1.0;
const TWO_PI = 2 * Math.PI;

export class PendulumEnv implements Env<Float32Array, Float32Array> {
  readonly observationSpace: Box<Float32Array>;
  readonly actionSpace: Box<Float32Array>;
  spec?: EnvSpec;

  readonly g: number;
  readonly m: number;
  readonly l: number;
  readonly maxSpeed: number;
  readonly maxTorque: number;
  readonly dt: number;

  private readonly rng = new Rng(0);
  private theta = 0;
  private thetadot = 0;
  private hasState = false;
  /** The clipped torque of the last step (Gymnasium's `last_u`), drawn by render(); null after reset. */
  private lastTorque: number | null = null;

  constructor(kwargs: PendulumKwargs = {}) {
    const num = numericKwargs(NAME, kwargs, KWARGS);
    this.g = num("g", 10.0, { min: 0 });
    this.m = num("m", 1.0, { positive: true });
    this.l = num("l", 1.0, { positive: true });
    this.maxSpeed = num("maxSpeed", 8, { positive: true });
    this.maxTorque = num("maxTorque", 2.0, { positive: true });
    this.dt = num("dt", 0.05, { positive: true });
    this.observationSpace = new Box<Float32Array>([-1, -1, -this.maxSpeed], [1, 1, this.maxSpeed], {
      dtype: "float32",
    });
    this.actionSpace = new Box<Float32Array>(-this.maxTorque, this.maxTorque, {
      shape: [1],
      dtype: "float32",
    });
  }

  get unwrapped(): this {
    return this;
  }

  /**
   * Options: `state` ([theta, thetadot]) starts there; otherwise theta is drawn uniformly from
   * [-`x_init`, `x_init`] (default pi) and thetadot from [-`y_init`, `y_init`] (default 1).
   */
  reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    applyResetSeed(NAME, this.rng, opts.seed);
    const options = checkResetOptions(NAME, opts.options, RESET_OPTIONS);
    const given = readStartState(NAME, options, STATE_NAMES);
    if (given) {
      [this.theta, this.thetadot] = given as [number, number];
    } else {
      const x = readResetNumber(NAME, options, "x_init", DEFAULT_X);
      const y = readResetNumber(NAME, options, "y_init", DEFAULT_Y);
      this.theta = this.rng.uniform(-x, x);
      this.thetadot = this.rng.uniform(-y, y);
    }
    this.hasState = true;
    this.lastTorque = null;
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
    const th = this.theta;
    const thdot = this.thetadot;
    const { g, m, l, dt } = this;
    const u = Math.min(Math.max(a, -this.maxTorque), this.maxTorque);
    const thNorm = angleNormalize(th);
    const costs = thNorm * thNorm + 0.1 * (thdot * thdot) + 0.001 * (u * u);

    let newthdot = thdot + (((3 * g) / (2 * l)) * Math.sin(th) + (3.0 / (m * (l * l))) * u) * dt;
    newthdot = Math.min(Math.max(newthdot, -this.maxSpeed), this.maxSpeed);
    this.theta = th + newthdot * dt;
    this.thetadot = newthdot;
    this.lastTorque = u;
    return { obs: this.observe(), reward: -costs, terminated: false, truncated: false, info: EMPTY_INFO };
  }

  /** [theta, thetadot], as Gymnasium's `env.unwrapped.state`. */
  getState(): number[] {
    return [this.theta, this.thetadot];
  }

  /** The rod, and the last torque as a curved arrow, 500 x 500, as Gymnasium draws them. */
  render(): RgbFrame {
    if (!this.hasState) throw new ResetNeededError(`${NAME}: render() called before reset()`);
    return drawPendulum({ theta: this.theta, lastTorque: this.lastTorque, maxTorque: this.maxTorque });
  }

  close(): void {}

  private observe(): Float32Array {
    const obs = new Float32Array(3);
    obs[0] = Math.cos(this.theta);
    obs[1] = Math.sin(this.theta);
    obs[2] = this.thetadot;
    return obs;
  }
}

/** Gymnasium's `((x + pi) % (2 pi)) - pi` with Python's modulo (the sign of the divisor). */
function angleNormalize(x: number): number {
  let r = (x + Math.PI) % TWO_PI;
  if (r < 0) r += TWO_PI;
  return r - Math.PI;
}
