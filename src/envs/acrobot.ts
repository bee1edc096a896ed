/**
 * Acrobot-v1: swing a two-link arm, actuated at the elbow only, above a line. Exact to Gymnasium
 * 1.4's `AcrobotEnv` with its default "book" dynamics (Sutton and Barto 2018; Sutton 1996),
 * integrated with one RK4 step of 0.2 s.
 *
 * Quirks kept on purpose for parity: the random start is rounded to float32 (Gymnasium draws it as
 * float32), later states are float64; angles are wrapped into [-pi, pi] and velocities clipped after
 * the integration step, not inside it.
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
import { drawAcrobot } from "./render/classic.js";

export interface AcrobotKwargs {
  /** m. Default 1. */
  linkLength1?: number;
  /** m (enters only the drawing in the book dynamics, as in Gymnasium). Default 1. */
  linkLength2?: number;
  /** kg. Default 1. */
  linkMass1?: number;
  /** kg. Default 1. */
  linkMass2?: number;
  /** Position of link 1's centre of mass, m. Default 0.5. */
  linkComPos1?: number;
  /** Position of link 2's centre of mass, m. Default 0.5. */
  linkComPos2?: number;
  /** Moment of inertia of both links. Default 1. */
  linkMoi?: number;
  /** Uniform noise in [-max, max] added to the torque each step (drawn from the env's Rng). Default 0. */
  torqueNoiseMax?: number;
}

const NAME = "Acrobot";
const KWARGS = [
  "linkLength1",
  "linkLength2",
  "linkMass1",
  "linkMass2",
  "linkComPos1",
  "linkComPos2",
  "linkMoi",
  "torqueNoiseMax",
] as const;
const STATE_NAMES = ["theta1", "theta2", "dtheta1", "dtheta2"] as const;
const RESET_OPTIONS = ["low", "high", "state"] as const;
const DT = 0.2;
const G = 9.8;
const MAX_VEL_1 = 4 * Math.PI;
const MAX_VEL_2 = 9 * Math.PI;
const AVAIL_TORQUE = [-1.0, 0.0, 1.0] as const;

export class AcrobotEnv implements Env<Float32Array, number> {
  readonly observationSpace: Box<Float32Array>;
  readonly actionSpace = new Discrete(3);
  spec?: EnvSpec;

  readonly linkLength1: number;
  readonly linkLength2: number;
  readonly linkMass1: number;
  readonly linkMass2: number;
  readonly linkComPos1: number;
  readonly linkComPos2: number;
  readonly linkMoi: number;
  readonly torqueNoiseMax: number;

  private readonly rng = new Rng(0);
  /** [theta1, theta2, dtheta1, dtheta2]. */
  private readonly s = new Float64Array(4);
  // RK4 scratch, allocated once so that step() allocates only its result.
  private readonly k1 = new Float64Array(4);
  private readonly k2 = new Float64Array(4);
  private readonly k3 = new Float64Array(4);
  private readonly k4 = new Float64Array(4);
  private readonly y = new Float64Array(4);
  private hasState = false;

  constructor(kwargs: AcrobotKwargs = {}) {
    const num = numericKwargs(NAME, kwargs, KWARGS);
    this.linkLength1 = num("linkLength1", 1.0, { positive: true });
    this.linkLength2 = num("linkLength2", 1.0, { positive: true });
    this.linkMass1 = num("linkMass1", 1.0, { positive: true });
    this.linkMass2 = num("linkMass2", 1.0, { positive: true });
    this.linkComPos1 = num("linkComPos1", 0.5, { min: 0 });
    this.linkComPos2 = num("linkComPos2", 0.5, { min: 0 });
    this.linkMoi = num("linkMoi", 1.0, { positive: true });
    this.torqueNoiseMax = num("torqueNoiseMax", 0.0, { min: 0 });
    const high = [1, 1, 1, 1, MAX_VEL_1, MAX_VEL_2];
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
   * Options: `state` ([theta1, theta2, dtheta1, dtheta2]) starts there; otherwise every entry is
   * drawn uniformly from [`low`, `high`] (default [-0.1, 0.1]) and rounded to float32.
   */
  reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    applyResetSeed(NAME, this.rng, opts.seed);
    const options = checkResetOptions(NAME, opts.options, RESET_OPTIONS);
    const given = readStartState(NAME, options, STATE_NAMES);
    if (given) {
      this.s.set(given);
    } else {
      const { low, high } = readResetBounds(NAME, options, -0.1, 0.1);
      for (let i = 0; i < 4; i++) this.s[i] = Math.fround(this.rng.uniform(low, high));
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
    let torque: number = AVAIL_TORQUE[action];
    if (this.torqueNoiseMax > 0) torque += this.rng.uniform(-this.torqueNoiseMax, this.torqueNoiseMax);

    // One RK4 step over [0, DT], written out as in Gymnasium's rk4() (same evaluation order).
    const { s, k1, k2, k3, k4, y } = this;
    const dt2 = DT / 2.0;
    this.derivs(s, torque, k1);
    for (let i = 0; i < 4; i++) y[i] = s[i]! + dt2 * k1[i]!;
    this.derivs(y, torque, k2);
    for (let i = 0; i < 4; i++) y[i] = s[i]! + dt2 * k2[i]!;
    this.derivs(y, torque, k3);
    for (let i = 0; i < 4; i++) y[i] = s[i]! + DT * k3[i]!;
    this.derivs(y, torque, k4);
    for (let i = 0; i < 4; i++) s[i] = s[i]! + (DT / 6.0) * (k1[i]! + 2 * k2[i]! + 2 * k3[i]! + k4[i]!);

    s[0] = wrap(s[0]!, -Math.PI, Math.PI);
    s[1] = wrap(s[1]!, -Math.PI, Math.PI);
    s[2] = Math.min(Math.max(s[2]!, -MAX_VEL_1), MAX_VEL_1);
    s[3] = Math.min(Math.max(s[3]!, -MAX_VEL_2), MAX_VEL_2);
    const terminated = -Math.cos(s[0]!) - Math.cos(s[1]! + s[0]!) > 1.0;
    return {
      obs: this.observe(),
      reward: terminated ? 0.0 : -1.0,
      terminated,
      truncated: false,
      info: EMPTY_INFO,
    };
  }

  /** [theta1, theta2, dtheta1, dtheta2], as Gymnasium's `env.unwrapped.state`. */
  getState(): number[] {
    return Array.from(this.s);
  }

  /** The two-link arm and the line its tip must cross, 500 x 500, as Gymnasium draws them. */
  render(): RgbFrame {
    if (!this.hasState) throw new ResetNeededError(`${NAME}: render() called before reset()`);
    return drawAcrobot({
      theta1: this.s[0]!,
      theta2: this.s[1]!,
      linkLength1: this.linkLength1,
      linkLength2: this.linkLength2,
    });
  }

  close(): void {}

  /** Time derivative of `x` under torque `a` (Gymnasium's `_dsdt`, book variant), written into `out`. */
  private derivs(x: Float64Array, a: number, out: Float64Array): void {
    const m1 = this.linkMass1;
    const m2 = this.linkMass2;
    const l1 = this.linkLength1;
    const lc1 = this.linkComPos1;
    const lc2 = this.linkComPos2;
    const I1 = this.linkMoi;
    const I2 = this.linkMoi;
    const theta1 = x[0]!;
    const theta2 = x[1]!;
    const dtheta1 = x[2]!;
    const dtheta2 = x[3]!;
    const cos2 = Math.cos(theta2);
    const sin2 = Math.sin(theta2);
    // Squares are taken first, as Python's `x**2`, to keep the same rounding.
    const lc1sq = lc1 * lc1;
    const lc2sq = lc2 * lc2;
    const d1 = m1 * lc1sq + m2 * (l1 * l1 + lc2sq + 2 * l1 * lc2 * cos2) + I1 + I2;
    const d2 = m2 * (lc2sq + l1 * lc2 * cos2) + I2;
    const phi2 = m2 * lc2 * G * Math.cos(theta1 + theta2 - Math.PI / 2.0);
    const phi1 =
      -m2 * l1 * lc2 * (dtheta2 * dtheta2) * sin2 -
      2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin2 +
      (m1 * lc1 + m2 * l1) * G * Math.cos(theta1 - Math.PI / 2) +
      phi2;
    const ddtheta2 =
      (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * sin2 - phi2) /
      (m2 * lc2sq + I2 - (d2 * d2) / d1);
    const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    out[0] = dtheta1;
    out[1] = dtheta2;
    out[2] = ddtheta1;
    out[3] = ddtheta2;
  }

  private observe(): Float32Array {
    const s = this.s;
    const obs = new Float32Array(6);
    obs[0] = Math.cos(s[0]!);
    obs[1] = Math.sin(s[0]!);
    obs[2] = Math.cos(s[1]!);
    obs[3] = Math.sin(s[1]!);
    obs[4] = s[2]!;
    obs[5] = s[3]!;
    return obs;
  }
}

/** Gymnasium's `wrap()`: shifts x by whole periods until m <= x <= M. */
function wrap(x: number, m: number, M: number): number {
  const diff = M - m;
  while (x > M) x = x - diff;
  while (x < m) x = x + diff;
  return x;
}
