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
 * The three maps (aliens, friendly and enemy bullets) are kept as one 10-bit mask per row (bit c =
 * column c) and moved as MinAtar moves its 10 x 10 arrays (`np.roll`, which wraps around; only an
 * alien block already on the bottom row, a terminal case, actually wraps).
 */
import type { NumpyRandomState } from "../../core/numpy-random.js";
import { ACTION, type MinAtarGame, type StateLayout, slotGroups, stateLayout } from "./game.js";

// Module-local copies of the shared constants (see game.ts: local ones are faster in per-frame code).
const { NOOP, LEFT, RIGHT, FIRE } = ACTION;
const GRID = 10;

const SHOT_COOL_DOWN = 5;
const ENEMY_MOVE_INTERVAL = 12;
const ENEMY_SHOT_INTERVAL = 10;
const MIN_MOVE_INTERVAL = 6;
const BLOCK_ROWS = 4;
const BLOCK_COLS = 6;
const BLOCK_COL0 = 2;
/** A full row of the alien block: columns 2-7. */
const BLOCK_ROW_MASK = ((1 << BLOCK_COLS) - 1) << BLOCK_COL0;
const ROW_BITS = (1 << GRID) - 1;

const CANNON = 0;
const ALIEN = 1;
const ALIEN_LEFT = 2;
const ALIEN_RIGHT = 3;
const FRIENDLY_BULLET = 4;
const ENEMY_BULLET = 5;
const C = 6;
/** Index of (row, col, channel) in the (10, 10, C) row-major observation. */
const at = (row: number, col: number, channel: number): number => (row * GRID + col) * C + channel;

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
  /** One 10-bit mask per row (bit c = column c) of aliens, friendly and enemy bullets. */
  private readonly aliens = new Int32Array(GRID);
  private readonly friendly = new Int32Array(GRID);
  private readonly enemy = new Int32Array(GRID);
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
    const { aliens, friendly, enemy } = this;
    const cannon = 1 << this.pos;
    if (action === FIRE && this.shotTimer === 0) {
      friendly[9] = friendly[9]! | cannon;
      this.shotTimer = SHOT_COOL_DOWN;
    } else if (action === LEFT) this.pos = Math.max(0, this.pos - 1);
    else if (action === RIGHT) this.pos = Math.min(9, this.pos + 1);
    const at9 = 1 << this.pos;

    // Friendly shots go up a row (the top row leaves), enemy shots down a row (the bottom row leaves).
    friendly.copyWithin(0, 1);
    friendly[9] = 0;
    enemy.copyWithin(1, 0, 9);
    enemy[0] = 0;
    if (enemy[9]! & at9) this.terminal = true;

    if (aliens[9]! & at9) this.terminal = true;
    if (this.alienMoveTimer === 0) {
      this.alienMoveTimer = Math.min(this.alienCount, this.enemyMoveInterval);
      const columns = orOfRows(aliens);
      if ((this.alienDir < 0 && columns & 1) || (this.alienDir > 0 && columns & (1 << 9))) {
        this.alienDir = -this.alienDir;
        if (aliens[9]) this.terminal = true;
        const bottom = aliens[9]!;
        aliens.copyWithin(1, 0, 9);
        aliens[0] = bottom;
        this.blockRow = (this.blockRow + 1) % GRID;
      } else {
        for (let r = 0; r < GRID; r++) aliens[r] = rollRow(aliens[r]!, this.alienDir);
        this.blockCol += this.alienDir;
      }
      if (aliens[9]! & at9) this.terminal = true;
    }
    if (this.alienShotTimer === 0) {
      this.alienShotTimer = ENEMY_SHOT_INTERVAL;
      const shooter = this.nearestAlien();
      const row = Math.floor(shooter / GRID);
      enemy[row] = enemy[row]! | (1 << (shooter % GRID));
    }

    let reward = 0;
    for (let r = 0; r < GRID; r++) {
      const hit = aliens[r]! & friendly[r]!;
      if (hit === 0) continue;
      aliens[r] = aliens[r]! & ~hit;
      friendly[r] = friendly[r]! & ~hit;
      const n = popcount(hit);
      this.alienCount -= n;
      reward += n;
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
   * Cell (row * 10 + column) of the lowest alien in the column nearest the cannon (ties: the left
   * column first, as MinAtar's stable sort by distance). Only called while aliens remain.
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
    const bit = 1 << col;
    for (let row = 9; row >= 0; row--) if (this.aliens[row]! & bit) return row * GRID + col;
    return -1;
  }

  private fillBlock(): void {
    this.aliens.fill(0);
    this.aliens.fill(BLOCK_ROW_MASK, 0, BLOCK_ROWS);
    this.alienCount = BLOCK_ROWS * BLOCK_COLS;
    this.blockRow = 0;
    this.blockCol = BLOCK_COL0;
  }

  writeObservation(out: Uint8Array, offset: number): void {
    out[offset + at(9, this.pos, CANNON)] = 1;
    const dirChannel = this.alienDir < 0 ? ALIEN_LEFT : ALIEN_RIGHT;
    for (let row = 0; row < GRID; row++) {
      for (let bits = this.aliens[row]!; bits !== 0; bits &= bits - 1) {
        const base = offset + at(row, lowestBit(bits), 0);
        out[base + ALIEN] = 1;
        out[base + dirChannel] = 1;
      }
      for (let bits = this.friendly[row]!; bits !== 0; bits &= bits - 1) {
        out[offset + at(row, lowestBit(bits), FRIENDLY_BULLET)] = 1;
      }
      for (let bits = this.enemy[row]!; bits !== 0; bits &= bits - 1) {
        out[offset + at(row, lowestBit(bits), ENEMY_BULLET)] = 1;
      }
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
      const mask = this.aliens[(this.blockRow + r) % GRID]!;
      for (let c = 0; c < BLOCK_COLS; c++) {
        const col = this.blockCol + c;
        out[k++] = col >= 0 && col <= 9 ? (mask >> col) & 1 : 0;
      }
    }
    k = writeBullets(out, k, this.friendly, FRIENDLY_SLOTS);
    writeBullets(out, k, this.enemy, ENEMY_SLOTS);
  }
}

/** The columns that hold something in any row, as one mask. */
function orOfRows(rows: Int32Array): number {
  let m = 0;
  for (let r = 0; r < GRID; r++) m |= rows[r]!;
  return m;
}

/** `np.roll` of one row by dir = +1 (right) or -1 (left), wrapping around. */
function rollRow(mask: number, dir: number): number {
  return dir > 0 ? ((mask << 1) | (mask >> 9)) & ROW_BITS : ((mask >> 1) | ((mask & 1) << 9)) & ROW_BITS;
}

function lowestBit(bits: number): number {
  return 31 - Math.clz32(bits & -bits);
}

function popcount(bits: number): number {
  let n = 0;
  for (let b = bits; b !== 0; b &= b - 1) n++;
  return n;
}

/** Up to `slots` bullets of a map as (present, column, row), from the top row, left to right. */
function writeBullets(out: Float32Array, k: number, rows: Int32Array, slots: number): number {
  let found = 0;
  for (let row = 0; row < GRID && found < slots; row++) {
    for (let bits = rows[row]!; bits !== 0 && found < slots; bits &= bits - 1) {
      out[k++] = 1;
      out[k++] = lowestBit(bits);
      out[k++] = row;
      found++;
    }
  }
  for (; found < slots; found++) {
    out[k++] = 0;
    out[k++] = 0;
    out[k++] = 0;
  }
  return k;
}
