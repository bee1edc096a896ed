/**
 * MinAtar Breakout (minatar/environments/breakout.py, version 1.0.15), rules only.
 *
 * A paddle on the bottom row bounces a ball that moves along diagonals into three rows of bricks
 * (rows 1-3). Each brick broken pays +1; when the ball comes down to the paddle's row with no brick
 * left, the three rows are rebuilt. The ball bounces off walls and bricks; on the paddle's row it is
 * sent back up (straight back if the paddle was under its old column, the other diagonal if under
 * its new column); otherwise the episode ends. A trail cell marks the ball's previous position.
 * No difficulty ramp. The generator is drawn once per reset (the ball's start side).
 */
import type { NumpyRandomState } from "../../core/numpy-random.js";
import { ACTION, type MinAtarGame, type StateLayout, stateLayout } from "./game.js";

// Module-local copies of the shared constants (see game.ts: local ones are faster in per-frame code).
const { NOOP, LEFT, RIGHT } = ACTION;
const GRID = 10;

const PADDLE = 0;
const BALL = 1;
const TRAIL = 2;
const BRICK = 3;
const C = 4;
/** Index of (row, col, channel) in the (10, 10, C) row-major observation. */
const at = (row: number, col: number, channel: number): number => (row * GRID + col) * C + channel;
/** Bricks stand in rows 1-3: cells [FIRST_BRICK, END_BRICK) of the grid, row-major. */
const FIRST_BRICK = 1 * GRID;
const END_BRICK = 4 * GRID;
const BRICKS = END_BRICK - FIRST_BRICK;

/** Ball directions: 0 up-left, 1 up-right, 2 down-right, 3 down-left. */
const DX = [-1, 1, 1, -1] as const;
const DY = [-1, -1, 1, 1] as const;
/** Bounce off a side wall, off the ceiling or a brick, and the "other diagonal" paddle bounce. */
const FLIP_X = [1, 0, 3, 2] as const;
const FLIP_Y = [3, 2, 1, 0] as const;
const FLIP_BOTH = [2, 3, 0, 1] as const;

/**
 * State vector: paddle column, ball position and direction (0 up-left, 1 up-right, 2 down-right,
 * 3 down-left), the previous ball position (the trail), the `strike` flag (the ball hit a brick on
 * the last frame: the next brick it enters is not broken), then the 30 bricks of rows 1-3,
 * row-major (1 = standing).
 */
const LAYOUT: StateLayout = stateLayout([
  ["paddleX", 0, 9],
  ["ballX", 0, 9],
  ["ballY", 0, 9],
  ["ballDir", 0, 3],
  ["lastX", 0, 9],
  ["lastY", 0, 9],
  ["strike", 0, 1],
  ["brick", 0, 1, BRICKS],
]);

export class Breakout implements MinAtarGame {
  readonly channels = ["paddle", "ball", "trail", "brick"] as const;
  readonly minimalActions = [NOOP, LEFT, RIGHT] as const;
  readonly stateLayout = LAYOUT;
  terminal = false;

  private readonly random: NumpyRandomState;
  private ballX = 0;
  private ballY = 3;
  private ballDir = 2;
  private pos = 4;
  private lastX = 0;
  private lastY = 3;
  private strike = false;
  /** 1 where a brick stands, row-major over the whole grid (only rows 1-3 ever hold bricks). */
  private readonly bricks = new Uint8Array(GRID * GRID);
  private brickCount = 0;
  /** Rows 0-3 of the observation with only the brick channel set: copied in whole each step. */
  private readonly brickLayer = new Uint8Array(END_BRICK * C);

  constructor(random: NumpyRandomState, _ramping: boolean) {
    this.random = random;
  }

  reset(): void {
    this.ballY = 3;
    const fromRight = this.random.randint(2) === 1;
    this.ballX = fromRight ? 9 : 0;
    this.ballDir = fromRight ? 3 : 2;
    this.pos = 4;
    this.fillBricks();
    this.strike = false;
    this.lastX = this.ballX;
    this.lastY = this.ballY;
    this.terminal = false;
  }

  act(action: number): number {
    if (this.terminal) return 0;
    let reward = 0;
    if (action === LEFT) this.pos = Math.max(0, this.pos - 1);
    else if (action === RIGHT) this.pos = Math.min(9, this.pos + 1);

    this.lastX = this.ballX;
    this.lastY = this.ballY;
    let newX = this.ballX + DX[this.ballDir as 0]!;
    let newY = this.ballY + DY[this.ballDir as 0]!;
    let struck = false;
    if (newX < 0 || newX > 9) {
      newX = newX < 0 ? 0 : 9;
      this.ballDir = FLIP_X[this.ballDir as 0]!;
    }
    if (newY < 0) {
      newY = 0;
      this.ballDir = FLIP_Y[this.ballDir as 0]!;
    } else if (this.bricks[newY * GRID + newX] === 1) {
      struck = true;
      // A ball that broke a brick on the last frame passes through the next one.
      if (!this.strike) {
        reward += 1;
        this.strike = true;
        this.bricks[newY * GRID + newX] = 0;
        this.brickLayer[(newY * GRID + newX) * C + BRICK] = 0;
        this.brickCount--;
        newY = this.lastY;
        this.ballDir = FLIP_Y[this.ballDir as 0]!;
      }
    } else if (newY === 9) {
      if (this.brickCount === 0) this.fillBricks();
      if (this.ballX === this.pos) {
        this.ballDir = FLIP_Y[this.ballDir as 0]!;
        newY = this.lastY;
      } else if (newX === this.pos) {
        this.ballDir = FLIP_BOTH[this.ballDir as 0]!;
        newY = this.lastY;
      } else {
        this.terminal = true;
      }
    }
    if (!struck) this.strike = false;
    this.ballX = newX;
    this.ballY = newY;
    return reward;
  }

  private fillBricks(): void {
    this.bricks.fill(1, FIRST_BRICK, END_BRICK);
    for (let k = FIRST_BRICK; k < END_BRICK; k++) this.brickLayer[k * C + BRICK] = 1;
    this.brickCount = BRICKS;
  }

  writeObservation(out: Uint8Array, offset: number): void {
    // The bricks first: the layer covers rows 0-3 whole (zeros besides the brick channel).
    out.set(this.brickLayer, offset);
    out[offset + at(this.ballY, this.ballX, BALL)] = 1;
    out[offset + at(9, this.pos, PADDLE)] = 1;
    out[offset + at(this.lastY, this.lastX, TRAIL)] = 1;
  }

  writeState(out: Float32Array, offset: number): void {
    let k = offset;
    out[k++] = this.pos;
    out[k++] = this.ballX;
    out[k++] = this.ballY;
    out[k++] = this.ballDir;
    out[k++] = this.lastX;
    out[k++] = this.lastY;
    out[k++] = this.strike ? 1 : 0;
    for (let cellIndex = FIRST_BRICK; cellIndex < END_BRICK; cellIndex++) out[k++] = this.bricks[cellIndex]!;
  }
}
