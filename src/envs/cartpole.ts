/**
 * CartPole-v1: balance a pole on a cart, exact to Gymnasium 1.4's `CartPoleEnv` (Barto, Sutton and
 * Anderson 1983; equations from https://coneural.org/florian/papers/05_cart_pole.pdf).
 *
 * The state is kept in float64 and observed as float32, as in Gymnasium, so that a trajectory
 * started from the same internal state matches Gymnasium's step for step.
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
import {
  checkBoolean,
  describeValue,
  InvalidActionError,
  numericKwargs,
  ResetNeededError,
} from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { Box, Discrete } from "../core/spaces.js";
import { drawCartPole } from "./render/classic.js";

export interface CartPoleKwargs {
  /** m/s^2. Default 9.8. */
  gravity?: number;
  /** kg. Default 1.0. */
  masscart?: number;
  /** kg. Default 0.1. */
  masspole?: number;
  /** Half the pole's length in m (Gymnasium's `length`). Default 0.5. */
  length?: number;
  /** Force of a push, N. Default 10. */
  forceMag?: number;
  /** Seconds per (explicit Euler) step. Default 0.02. */
  tau?: number;
  /** Gymnasium's `sutton_barto_reward`: 0 per step and -1 on failure instead of +1 per step. Default false. */
  suttonBartoReward?: boolean;
}

const NAME = "CartPole";
const KWARGS = ["gravity", "masscart", "masspole", "length", "forceMag", "tau", "suttonBartoReward"] as const;
const STATE_NAMES = ["x", "xDot", "theta", "thetaDot"] as const;
const RESET_OPTIONS = ["low", "high", "state"] as const;
const THETA_THRESHOLD = (12 * 2 * Math.PI) / 360;
const X_THRESHOLD = 2.4;

export class CartPoleEnv implements Env<Float32Array, number> {
  readonly observationSpace: Box<Float32Array>;
  readonly actionSpace = new Discrete(2);
  spec?: EnvSpec;

  readonly gravity: number;
  readonly masscart: number;
  readonly masspole: number;
  readonly length: number;
  readonly forceMag: number;
  readonly tau: number;
  readonly suttonBartoReward: boolean;
  private readonly totalMass: number;
  private readonly polemassLength: number;

  private readonly rng = new Rng(0);
  private x = 0;
  private xDot = 0;
  private theta = 0;
  private thetaDot = 0;
  private hasState = false;
  /** Gymnasium's `steps_beyond_terminated`, with -1 for its None (episode still running). */
  private stepsBeyondTerminated = -1;

  constructor(kwargs: CartPoleKwargs = {}) {
    const num = numericKwargs(NAME, kwargs, KWARGS);
    this.gravity = num("gravity", 9.8, { min: 0 });
    this.masscart = num("masscart", 1.0, { positive: true });
    this.masspole = num("masspole", 0.1, { positive: true });
    this.length = num("length", 0.5, { positive: true });
    this.forceMag = num("forceMag", 10.0, { min: 0 });
    this.tau = num("tau", 0.02, { positive: true });
    this.suttonBartoReward =
      kwargs.suttonBartoReward === undefined
        ? false
        : checkBoolean(`${NAME}.suttonBartoReward`, kwargs.suttonBartoReward);
    this.totalMass = this.masspole + this.masscart;
    this.polemassLength = this.masspole * this.length;
    // Twice the failure limits, so the observation on the failing step is still inside the space.
    const high = [X_THRESHOLD * 2, Number.POSITIVE_INFINITY, THETA_THRESHOLD * 2, Number.POSITIVE_INFINITY];
    this.observationSpace = new Box<Float32Array>(
      high.map((v) => -v),
      high,
      { dtype: "float32" },
    );
  }

  get unwrapped(): this {
    return this;
  }

  /**
   * Options: `state` ([x, xDot, theta, thetaDot]) starts there; otherwise every entry is drawn
   * uniformly from [`low`, `high`] (default [-0.05, 0.05]).
   */
  reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    applyResetSeed(NAME, this.rng, opts.seed);
    const options = checkResetOptions(NAME, opts.options, RESET_OPTIONS);
    const given = readStartState(NAME, options, STATE_NAMES);
    if (given) {
      [this.x, this.xDot, this.theta, this.thetaDot] = given as [number, number, number, number];
    } else {
      const { low, high } = readResetBounds(NAME, options, -0.05, 0.05);
      this.x = this.rng.uniform(low, high);
      this.xDot = this.rng.uniform(low, high);
      this.theta = this.rng.uniform(low, high);
      this.thetaDot = this.rng.uniform(low, high);
    }
    this.hasState = true;
    this.stepsBeyondTerminated = -1;
    return { obs: this.observe(), info: {} };
  }

  step(action: number): StepResult<Float32Array> {
    if (!this.hasState) throw new ResetNeededError(`${NAME}: step() called before reset()`);
    if (action !== 0 && action !== 1) {
      throw new InvalidActionError(`${NAME}: action ${describeValue(action)} is not in Discrete(2) (0 or 1)`);
    }
    const force = action === 1 ? this.forceMag : -this.forceMag;
    const costheta = Math.cos(this.theta);
    const sintheta = Math.sin(this.theta);
    // Operation order follows Gymnasium's expression tree so float64 results agree to the last bit.
    const temp = (force + this.polemassLength * (this.thetaDot * this.thetaDot) * sintheta) / this.totalMass;
    const thetaacc =
      (this.gravity * sintheta - costheta * temp) /
      (this.length * (4.0 / 3.0 - (this.masspole * (costheta * costheta)) / this.totalMass));
    const xacc = temp - (this.polemassLength * thetaacc * costheta) / this.totalMass;
    this.x = this.x + this.tau * this.xDot;
    this.xDot = this.xDot + this.tau * xacc;
    this.theta = this.theta + this.tau * this.thetaDot;
    this.thetaDot = this.thetaDot + this.tau * thetaacc;

    const terminated =
      this.x < -X_THRESHOLD ||
      this.x > X_THRESHOLD ||
      this.theta < -THETA_THRESHOLD ||
      this.theta > THETA_THRESHOLD;
    let reward: number;
    if (!terminated) {
      reward = this.suttonBartoReward ? 0.0 : 1.0;
    } else if (this.stepsBeyondTerminated < 0) {
      // The pole just fell: Gymnasium 1.x still pays +1 for this step.
      this.stepsBeyondTerminated = 0;
      reward = this.suttonBartoReward ? -1.0 : 1.0;
    } else {
      this.stepsBeyondTerminated++;
      reward = this.suttonBartoReward ? -1.0 : 0.0;
    }
    return { obs: this.observe(), reward, terminated, truncated: false, info: EMPTY_INFO };
  }

  /** [x, xDot, theta, thetaDot], as Gymnasium's `env.unwrapped.state`. */
  getState(): number[] {
    return [this.x, this.xDot, this.theta, this.thetaDot];
  }

  /** The cart and pole, 600 x 400, as Gymnasium draws them (see render/classic.ts). */
  render(): RgbFrame {
    if (!this.hasState) throw new ResetNeededError(`${NAME}: render() called before reset()`);
    return drawCartPole({ x: this.x, theta: this.theta, length: this.length, xThreshold: X_THRESHOLD });
  }

  close(): void {}

  private observe(): Float32Array {
    const obs = new Float32Array(4);
    obs[0] = this.x;
    obs[1] = this.xDot;
    obs[2] = this.theta;
    obs[3] = this.thetaDot;
    return obs;
  }
}
