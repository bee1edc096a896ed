/**
 * MinAtar Space Invaders (minatar/environments/space_invaders.py, version 1.0.15), rules only.
 *
 * A cannon on the bottom row fires upward (one shot every 5 frames) at a 4 x 6 block of aliens that
 * marches sideways, stepping down a row and turning when it reaches an edge. A hit pays +1. The
 * alien nearest the cannon's column fires down every 10 frames. The block moves every
 * min(aliens left, move interval) frames, so it speeds up as it thins out. A cleared block is
 * replaced, and with difficulty ramping the move interval shrinks (12 down to 6). An alien or enemy
 * bullet on the cannon ends the episode. The game draws nothing from the generator.
 *
 * The three maps (aliens, friendly and enemy bullets) are 10 x 10 grids moved as MinAtar moves them
 * (`np.roll`, which wraps around; only an alien block already on the bottom row, a terminal case,
 * actually wraps).
 */
import type { NumpyRandomState } from "../../core/numpy-random.js";
import {
  cell,
  FIRE,
  GRID,
  LEFT,
  type MinAtarGame,
  NOOP,
  RIGHT,
  type StateLayout,
  slotGroups,
  stateLayout,
} from "./game.js";

const SHOT_COOL_DOWN = 5;
const ENEMY_MOVE_INTERVAL = 12;
const ENEMY_SHOT_INTERVAL = 10;
const MIN_MOVE_INTERVAL = 6;
const BLOCK_ROWS = 4;
const BLOCK_COLS = 6;
const BLOCK_COL0 = 2;
const CELLS = GRID * GRID;

const CANNON = 0;
const ALIEN = 1;
const ALIEN_LEFT = 2;
const ALIEN_RIGHT = 3;
const FRIENDLY_BULLET = 4;
const ENEMY_BULLET = 5;
const C = 6;

/** Friendly shots alive at once: one every 5 frames, 9 frames to leave the screen. */
const FRIENDLY_SLOTS = 2;
/** Enemy shots alive at once: one every 10 frames, at most 10 frames to leave the screen. */
const ENEMY_SLOTS = 1;

/**
 * State vector: cannon column, alien direction (-1 left, +1 right), move interval, the alien move
 * and shot timers, ramp index, the cannon's cool-down; the alien block as the grid position of its
 * top-left cell (`blockRow`, `blockCol`: the block moves as one piece) and which of its 4 x 6 aliens
 * are alive (row-major); then the bullets (present, column, row), topmost first.
 */
const LAYOUT: StateLayout = stateLayout([
  ["cannonX", 0, 9],
  ["alienDir", -1, 1],
  ["enemyMoveInterval", MIN_MOVE_INTERVAL, ENEMY_MOVE_INTERVAL],
  ["alienMoveTimer", 0, ENEMY_MOVE_INTERVAL],
  ["alienShotTimer", 0, ENEMY_SHOT_INTERVAL],
  ["rampIndex", 0, ENEMY_MOVE_INTERVAL - MIN_MOVE_INTERVAL],
  ["shotTimer", 0, SHOT_COOL_DOWN],
  ["blockRow", 0, 9],
  ["blockCol", 1 - BLOCK_COLS, 9],
  ["alive", 0, 1, BLOCK_ROWS * BLOCK_COLS],
  ...slotGroups("friendlyBullet", FRIENDLY_SLOTS, [
    ["present", 0, 1],
    ["x", 0, 9],
    ["y", 0, 9],
  ]),
  ...slotGroups("enemyBullet", ENEMY_SLOTS, [
    ["present", 0, 1],
    ["x", 0, 9],
    ["y", 0, 9],
  ]),
]);

export class SpaceInvaders implements MinAtarGame {
  readonly channels = [
    "cannon",
    "alien",
    "alien_left",
    "alien_right",
    "friendly_bullet",
    "enemy_bullet",
  ] as const;
  readonly minimalActions = [NOOP, LEFT, RIGHT, FIRE] as const;
  readonly stateLayout = LAYOUT;
  terminal = false;

  private readonly ramping: boolean;
  private pos = 5;
  /** 1 where an alien / a bullet is, row-major. */
  private readonly aliens = new Uint8Array(CELLS);
  private readonly friendly = new Uint8Array(CELLS);
  private readonly enemy = new Uint8Array(CELLS);
  private alienCount = 0;
  private alienDir = -1;
  /** Grid position of the block's top-left cell (kept for the state vector; MinAtar has only the map). */
  private blockRow = 0;
  private blockCol = BLOCK_COL0;
  private enemyMoveInterval = ENEMY_MOVE_INTERVAL;
  private alienMoveTimer = ENEMY_MOVE_INTERVAL;
  private alienShotTimer = ENEMY_SHOT_INTERVAL;
  private rampIndex = 0;
  private shotTimer = 0;

  constructor(_random: NumpyRandomState, ramping: boolean) {
    this.ramping = ramping;
  }

  reset(): void {
    this.pos = 5;
    this.friendly.fill(0);
    this.enemy.fill(0);
    this.fillBlock();
    this.alienDir = -1;
    this.enemyMoveInterval = ENEMY_MOVE_INTERVAL;
    this.alienMoveTimer = this.enemyMoveInterval;
    this.alienShotTimer = ENEMY_SHOT_INTERVAL;
    this.rampIndex = 0;
    this.shotTimer = 0;
    this.terminal = false;
  }

  act(action: number): number {
    if (this.terminal) return 0;
    const aliens = this.aliens;
    if (action === FIRE && this.shotTimer === 0) {
      this.friendly[9 * GRID + this.pos] = 1;
      this.shotTimer = SHOT_COOL_DOWN;
    } else if (action === LEFT) this.pos = Math.max(0, this.pos - 1);
    else if (action === RIGHT) this.pos = Math.min(9, this.pos + 1);

    // Friendly shots go up a row (the top row leaves), enemy shots down a row (the bottom row leaves).
    this.friendly.copyWithin(0, GRID, CELLS).fill(0, CELLS - GRID, CELLS);
    this.enemy.copyWithin(GRID, 0, CELLS - GRID).fill(0, 0, GRID);
    if (this.enemy[9 * GRID + this.pos]) this.terminal = true;

    if (aliens[9 * GRID + this.pos]) this.terminal = true;
    if (this.alienMoveTimer === 0) {
      this.alienMoveTimer = Math.min(this.alienCount, this.enemyMoveInterval);
      if ((this.alienDir < 0 && anyInColumn(aliens, 0)) || (this.alienDir > 0 && anyInColumn(aliens, 9))) {
        this.alienDir = -this.alienDir;
        if (anyInRow(aliens, 9)) this.terminal = true;
        rollDown(aliens);
        this.blockRow = (this.blockRow + 1) % GRID;
      } else {
        rollSideways(aliens, this.alienDir);
        this.blockCol += this.alienDir;
      }
      if (aliens[9 * GRID + this.pos]) this.terminal = true;
    }
    if (this.alienShotTimer === 0) {
      this.alienShotTimer = ENEMY_SHOT_INTERVAL;
      this.enemy[this.nearestAlien()] = 1;
    }

    let reward = 0;
    for (let k = 0; k < CELLS; k++) {
      if (aliens[k] && this.friendly[k]) {
        aliens[k] = 0;
        this.friendly[k] = 0;
        this.alienCount--;
        reward++;
      }
    }

    if (this.shotTimer > 0) this.shotTimer--;
    this.alienMoveTimer--;
    this.alienShotTimer--;
    if (this.alienCount === 0) {
      if (this.enemyMoveInterval > MIN_MOVE_INTERVAL && this.ramping) {
        this.enemyMoveInterval--;
        this.rampIndex++;
      }
      this.fillBlock();
    }
    return reward;
  }

  /**
   * Cell of the lowest alien in the column nearest the cannon (ties: the left column first, as
   * MinAtar's stable sort by distance). Only called while aliens remain.
   */
  private nearestAlien(): number {
    for (let d = 0; d < GRID; d++) {
      const left = this.lowestAlien(this.pos - d);
      if (left >= 0) return left;
      const right = d > 0 ? this.lowestAlien(this.pos + d) : -1;
      if (right >= 0) return right;
    }
    throw new Error("SpaceInvaders: no alien left to shoot");
  }

  /** Cell of the lowest alien in column `col`, or -1 (also for a column off the grid). */
  private lowestAlien(col: number): number {
    if (col < 0 || col > 9) return -1;
    for (let row = 9; row >= 0; row--) if (this.aliens[row * GRID + col]) return row * GRID + col;
    return -1;
  }

  private fillBlock(): void {
    this.aliens.fill(0);
    for (let r = 0; r < BLOCK_ROWS; r++) {
      this.aliens.fill(1, r * GRID + BLOCK_COL0, r * GRID + BLOCK_COL0 + BLOCK_COLS);
    }
    this.alienCount = BLOCK_ROWS * BLOCK_COLS;
    this.blockRow = 0;
    this.blockCol = BLOCK_COL0;
  }

  writeObservation(out: Uint8Array): void {
    out[cell(9, this.pos, CANNON, C)] = 1;
    const dirChannel = this.alienDir < 0 ? ALIEN_LEFT : ALIEN_RIGHT;
    for (let k = 0; k < CELLS; k++) {
      const base = k * C;
      if (this.aliens[k]) {
        out[base + ALIEN] = 1;
        out[base + dirChannel] = 1;
      }
      if (this.friendly[k]) out[base + FRIENDLY_BULLET] = 1;
      if (this.enemy[k]) out[base + ENEMY_BULLET] = 1;
    }
  }

  writeState(out: Float32Array, offset: number): void {
    let k = offset;
    out[k++] = this.pos;
    out[k++] = this.alienDir;
    out[k++] = this.enemyMoveInterval;
    out[k++] = this.alienMoveTimer;
    out[k++] = this.alienShotTimer;
    out[k++] = this.rampIndex;
    out[k++] = this.shotTimer;
    out[k++] = this.blockRow;
    out[k++] = this.blockCol;
    for (let r = 0; r < BLOCK_ROWS; r++) {
      for (let c = 0; c < BLOCK_COLS; c++) {
        const col = this.blockCol + c;
        const row = (this.blockRow + r) % GRID;
        out[k++] = col >= 0 && col <= 9 ? this.aliens[row * GRID + col]! : 0;
      }
    }
    k = writeBullets(out, k, this.friendly, FRIENDLY_SLOTS);
    writeBullets(out, k, this.enemy, ENEMY_SLOTS);
  }
}

function anyInColumn(map: Uint8Array, col: number): boolean {
  for (let row = 0; row < GRID; row++) if (map[row * GRID + col]) return true;
  return false;
}

function anyInRow(map: Uint8Array, row: number): boolean {
  for (let col = 0; col < GRID; col++) if (map[row * GRID + col]) return true;
  return false;
}

/** `np.roll(map, 1, axis=0)`: every row down one, the bottom row back to the top. */
function rollDown(map: Uint8Array): void {
  for (let col = 0; col < GRID; col++) {
    const bottom = map[CELLS - GRID + col]!;
    for (let row = GRID - 1; row > 0; row--) map[row * GRID + col] = map[(row - 1) * GRID + col]!;
    map[col] = bottom;
  }
}

/** `np.roll(map, dir, axis=1)` for dir = +1 or -1: every column over one, wrapping around. */
function rollSideways(map: Uint8Array, dir: number): void {
  for (let row = 0; row < GRID; row++) {
    const start = row * GRID;
    const end = start + GRID;
    if (dir > 0) {
      const last = map[end - 1]!;
      map.copyWithin(start + 1, start, end - 1);
      map[start] = last;
    } else {
      const first = map[start]!;
      map.copyWithin(start, start + 1, end);
      map[end - 1] = first;
    }
  }
}

/** Up to `slots` bullets of a map as (present, column, row), scanning from the top row. */
function writeBullets(out: Float32Array, k: number, map: Uint8Array, slots: number): number {
  let found = 0;
  for (let cellIndex = 0; cellIndex < CELLS && found < slots; cellIndex++) {
    if (!map[cellIndex]) continue;
    out[k++] = 1;
    out[k++] = cellIndex % GRID;
    out[k++] = Math.floor(cellIndex / GRID);
    found++;
  }
  for (; found < slots; found++) {
    out[k++] = 0;
    out[k++] = 0;
    out[k++] = 0;
  }
  return k;
}
