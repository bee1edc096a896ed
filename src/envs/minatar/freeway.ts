/**
 * MinAtar Freeway (minatar/environments/freeway.py, version 1.0.15), rules only.
 *
 * A chicken in column 4 crosses eight lanes (rows 1-8) from the bottom row to the top; it may move
 * one row every 3 frames. Reaching row 0 pays +1, sends it back to row 9 and redraws every car's
 * speed and direction. Each lane has one car that moves one cell every |speed| + 1 frames
 * (speed 1-5, sign = direction) and wraps around the edges; a car on the chicken sends it back to
 * row 9. The speed shows as which of five trail channels lights the cell behind the car. The
 * episode ends after 2,501 frames. No difficulty ramp.
 *
 * Generator draws: 8 speeds (`randint(1, 6, 8)`) then 8 directions (`sign(rand(8) - 0.5)`) at every
 * reset and every crossing.
 */
import type { NumpyRandomState } from "../../core/numpy-random.js";
import { ACTION, type MinAtarGame, type StateLayout, stateLayout } from "./game.js";

// Module-local copies of the shared constants (see game.ts: local ones are faster in per-frame code).
const { NOOP, UP, DOWN } = ACTION;
const GRID = 10;

const PLAYER_SPEED = 3;
const TIME_LIMIT = 2500;
const CARS = 8;
const CHICKEN_X = 4;

const CHICKEN = 0;
const CAR = 1;
/** Trail channel of speed s (1-5) is SPEED1 + s - 1. */
const SPEED1 = 2;
const C = 7;
/** Index of (row, col, channel) in the (10, 10, C) row-major observation. */
const at = (row: number, col: number, channel: number): number => (row * GRID + col) * C + channel;

/**
 * State vector: the chicken's row, its move cool-down and the frames left (`terminateTimer`, the
 * episode ends when it goes below 0), then per lane 1-8 the car's column, its move timer (it moves
 * when the timer is 0) and its signed speed (+ right, - left; |speed| frames between moves).
 */
const LAYOUT: StateLayout = stateLayout([
  ["chickenY", 0, 9],
  ["moveTimer", 0, PLAYER_SPEED],
  ["terminateTimer", -1, TIME_LIMIT],
  ["carX", 0, 9, CARS],
  ["carTimer", 0, 5, CARS],
  ["carSpeed", -5, 5, CARS],
]);

export class Freeway implements MinAtarGame {
  readonly channels = ["chicken", "car", "speed1", "speed2", "speed3", "speed4", "speed5"] as const;
  readonly minimalActions = [NOOP, UP, DOWN] as const;
  readonly stateLayout = LAYOUT;
  terminal = false;

  private readonly random: NumpyRandomState;
  private pos = 9;
  private moveTimer = PLAYER_SPEED;
  private terminateTimer = TIME_LIMIT;
  /** Lane i (row i + 1): column, frames until the next move, signed speed. */
  private readonly carX = new Int32Array(CARS);
  private readonly carTimer = new Int32Array(CARS);
  private readonly carSpeed = new Int32Array(CARS);
  private readonly speeds = new Int32Array(CARS);
  private readonly directions = new Float64Array(CARS);

  constructor(random: NumpyRandomState, _ramping: boolean) {
    this.random = random;
  }

  reset(): void {
    this.randomizeCars(true);
    this.pos = 9;
    this.moveTimer = PLAYER_SPEED;
    this.terminateTimer = TIME_LIMIT;
    this.terminal = false;
  }

  act(action: number): number {
    if (this.terminal) return 0;
    let reward = 0;
    if (action === UP && this.moveTimer === 0) {
      this.moveTimer = PLAYER_SPEED;
      this.pos = Math.max(0, this.pos - 1);
    } else if (action === DOWN && this.moveTimer === 0) {
      this.moveTimer = PLAYER_SPEED;
      this.pos = Math.min(9, this.pos + 1);
    }
    if (this.pos === 0) {
      reward += 1;
      this.randomizeCars(false);
      this.pos = 9;
    }
    for (let i = 0; i < CARS; i++) {
      const lane = i + 1;
      if (this.carX[i] === CHICKEN_X && lane === this.pos) this.pos = 9;
      if (this.carTimer[i] === 0) {
        const speed = this.carSpeed[i]!;
        this.carTimer[i] = Math.abs(speed);
        let x = this.carX[i]! + (speed > 0 ? 1 : -1);
        if (x < 0) x = 9;
        else if (x > 9) x = 0;
        this.carX[i] = x;
        if (x === CHICKEN_X && lane === this.pos) this.pos = 9;
      } else {
        this.carTimer[i]!--;
      }
    }
    if (this.moveTimer > 0) this.moveTimer--;
    this.terminateTimer--;
    if (this.terminateTimer < 0) this.terminal = true;
    return reward;
  }

  /** New speeds and directions for every car; at a reset also puts every car in column 0. */
  private randomizeCars(initialize: boolean): void {
    this.random.randintArray(1, 6, CARS, this.speeds);
    this.random.randArray(CARS, this.directions);
    for (let i = 0; i < CARS; i++) {
      // MinAtar multiplies by np.sign(rand - 0.5): a draw of exactly 0.5 gives a speed of 0.
      const speed = this.speeds[i]! * Math.sign(this.directions[i]! - 0.5);
      this.carSpeed[i] = speed;
      this.carTimer[i] = Math.abs(speed);
      if (initialize) this.carX[i] = 0;
    }
  }

  writeObservation(out: Uint8Array, offset: number): void {
    out[offset + at(this.pos, CHICKEN_X, CHICKEN)] = 1;
    let trail = -1;
    for (let i = 0; i < CARS; i++) {
      const lane = i + 1;
      const x = this.carX[i]!;
      const speed = this.carSpeed[i]!;
      out[offset + at(lane, x, CAR)] = 1;
      let back = speed > 0 ? x - 1 : x + 1;
      if (back < 0) back = 9;
      else if (back > 9) back = 0;
      // A speed of 0 (a direction draw of exactly 0.5, probability 2^-53) keeps the previous lane's
      // trail channel, as MinAtar's loop variable does (MinAtar raises when it is lane 1: no trail).
      if (speed !== 0) trail = SPEED1 + Math.abs(speed) - 1;
      if (trail >= 0) out[offset + at(lane, back, trail)] = 1;
    }
  }

  writeState(out: Float32Array, offset: number): void {
    let k = offset;
    out[k++] = this.pos;
    out[k++] = this.moveTimer;
    out[k++] = this.terminateTimer;
    for (let i = 0; i < CARS; i++) out[k++] = this.carX[i]!;
    for (let i = 0; i < CARS; i++) out[k++] = this.carTimer[i]!;
    for (let i = 0; i < CARS; i++) out[k++] = this.carSpeed[i]!;
  }
}
