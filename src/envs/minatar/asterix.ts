/**
 * MinAtar Asterix (minatar/environments/asterix.py, version 1.0.15), rules only.
 *
 * The player moves in the four directions on rows 1-8. Enemies and gold enter from the left or
 * right edge of a random free row (one per row) and cross it; touching gold pays +1, touching an
 * enemy ends the episode. A trail cell behind each enemy or gold shows its direction. With
 * difficulty ramping, every 101 frames the spawn interval shrinks (10 down to 1) and, on every
 * other ramp, the move interval too (5 down to 1).
 *
 * Order of a frame (it decides collisions): spawn if the spawn timer is 0, move the player, resolve
 * contacts, move the entities if the move timer is 0 and resolve contacts again, count the timers
 * down, ramp.
 */
import type { NumpyRandomState } from "../../core/numpy-random.js";
import { ACTION, type MinAtarGame, type StateLayout, slotGroups, stateLayout } from "./game.js";

// Module-local copies of the shared constants (see game.ts: local ones are faster in per-frame code).
const { NOOP, LEFT, UP, RIGHT, DOWN } = ACTION;
const GRID = 10;

const RAMP_INTERVAL = 100;
const INIT_SPAWN_SPEED = 10;
const INIT_MOVE_INTERVAL = 5;
const SLOTS = 8;

const PLAYER = 0;
const ENEMY = 1;
const TRAIL = 2;
const GOLD = 3;
const C = 4;
/** Index of (row, col, channel) in the (10, 10, C) row-major observation. */
const at = (row: number, col: number, channel: number): number => (row * GRID + col) * C + channel;

/**
 * State vector: the player, then one slot per row 1-8 (`present`, column `x`, `right` = moving
 * right, `gold` = gold rather than an enemy; zeros when the row is empty), then the timers.
 */
const LAYOUT: StateLayout = stateLayout([
  ["playerX", 0, 9],
  ["playerY", 1, 8],
  ...slotGroups("row", SLOTS, [
    ["present", 0, 1],
    ["x", 0, 9],
    ["right", 0, 1],
    ["gold", 0, 1],
  ]),
  ["spawnSpeed", 1, INIT_SPAWN_SPEED],
  ["spawnTimer", 0, INIT_SPAWN_SPEED],
  ["moveSpeed", 1, INIT_MOVE_INTERVAL],
  ["moveTimer", 0, INIT_MOVE_INTERVAL],
  ["rampTimer", -1, RAMP_INTERVAL],
  ["rampIndex", 0, 9],
]);

export class Asterix implements MinAtarGame {
  readonly channels = ["player", "enemy", "trail", "gold"] as const;
  readonly minimalActions = [NOOP, LEFT, UP, RIGHT, DOWN] as const;
  readonly stateLayout = LAYOUT;
  terminal = false;

  private readonly random: NumpyRandomState;
  private readonly ramping: boolean;
  private playerX = 5;
  private playerY = 5;
  /** Slot i holds the entity of row i + 1. */
  private readonly present = new Uint8Array(SLOTS);
  private readonly entX = new Int32Array(SLOTS);
  private readonly entRight = new Uint8Array(SLOTS);
  private readonly entGold = new Uint8Array(SLOTS);
  private readonly freeSlots = new Int32Array(SLOTS);
  private spawnSpeed = INIT_SPAWN_SPEED;
  private spawnTimer = INIT_SPAWN_SPEED;
  private moveSpeed = INIT_MOVE_INTERVAL;
  private moveTimer = INIT_MOVE_INTERVAL;
  private rampTimer = RAMP_INTERVAL;
  private rampIndex = 0;

  constructor(random: NumpyRandomState, ramping: boolean) {
    this.random = random;
    this.ramping = ramping;
  }

  reset(): void {
    this.playerX = 5;
    this.playerY = 5;
    this.present.fill(0);
    this.spawnSpeed = INIT_SPAWN_SPEED;
    this.spawnTimer = this.spawnSpeed;
    this.moveSpeed = INIT_MOVE_INTERVAL;
    this.moveTimer = this.moveSpeed;
    this.rampTimer = RAMP_INTERVAL;
    this.rampIndex = 0;
    this.terminal = false;
  }

  act(action: number): number {
    if (this.terminal) return 0;
    let reward = 0;
    if (this.spawnTimer === 0) {
      this.spawn();
      this.spawnTimer = this.spawnSpeed;
    }
    if (action === LEFT) this.playerX = Math.max(0, this.playerX - 1);
    else if (action === RIGHT) this.playerX = Math.min(9, this.playerX + 1);
    else if (action === UP) this.playerY = Math.max(1, this.playerY - 1);
    else if (action === DOWN) this.playerY = Math.min(8, this.playerY + 1);

    // Only the entity of the player's row can touch the player (one per row): slot playerY - 1.
    const mine = this.playerY - 1;
    if (this.present[mine]) reward += this.touch(mine);
    if (this.moveTimer === 0) {
      this.moveTimer = this.moveSpeed;
      for (let i = 0; i < SLOTS; i++) {
        if (!this.present[i]) continue;
        const x = this.entX[i]! + (this.entRight[i] ? 1 : -1);
        this.entX[i] = x;
        if (x < 0 || x > 9) this.present[i] = 0;
        else if (i === mine) reward += this.touch(i);
      }
    }
    this.spawnTimer--;
    this.moveTimer--;

    if (this.ramping && (this.spawnSpeed > 1 || this.moveSpeed > 1)) {
      if (this.rampTimer >= 0) this.rampTimer--;
      else {
        if (this.moveSpeed > 1 && this.rampIndex % 2) this.moveSpeed--;
        if (this.spawnSpeed > 1) this.spawnSpeed--;
        this.rampIndex++;
        this.rampTimer = RAMP_INTERVAL;
      }
    }
    return reward;
  }

  /** Contact of slot i with the player: gold is collected (+1), an enemy ends the episode. */
  private touch(i: number): number {
    if (this.entX[i] !== this.playerX || i + 1 !== this.playerY) return 0;
    if (this.entGold[i]) {
      this.present[i] = 0;
      return 1;
    }
    this.terminal = true;
    return 0;
  }

  /** Direction and kind are drawn even when every row is taken (then nothing spawns). */
  private spawn(): void {
    const right = this.random.rand() < 1 / 2;
    const gold = this.random.rand() < 1 / 3;
    let free = 0;
    for (let i = 0; i < SLOTS; i++) if (!this.present[i]) this.freeSlots[free++] = i;
    if (free === 0) return;
    const slot = this.freeSlots[this.random.randint(free)]!;
    this.present[slot] = 1;
    this.entX[slot] = right ? 0 : 9;
    this.entRight[slot] = right ? 1 : 0;
    this.entGold[slot] = gold ? 1 : 0;
  }

  writeObservation(out: Uint8Array, offset: number): void {
    out[offset + at(this.playerY, this.playerX, PLAYER)] = 1;
    for (let i = 0; i < SLOTS; i++) {
      if (!this.present[i]) continue;
      const x = this.entX[i]!;
      const row = i + 1;
      out[offset + at(row, x, this.entGold[i] ? GOLD : ENEMY)] = 1;
      const back = this.entRight[i] ? x - 1 : x + 1;
      if (back >= 0 && back <= 9) out[offset + at(row, back, TRAIL)] = 1;
    }
  }

  writeState(out: Float32Array, offset: number): void {
    let k = offset;
    out[k++] = this.playerX;
    out[k++] = this.playerY;
    for (let i = 0; i < SLOTS; i++) {
      const on = this.present[i]!;
      out[k++] = on;
      out[k++] = on ? this.entX[i]! : 0;
      out[k++] = on ? this.entRight[i]! : 0;
      out[k++] = on ? this.entGold[i]! : 0;
    }
    out[k++] = this.spawnSpeed;
    out[k++] = this.spawnTimer;
    out[k++] = this.moveSpeed;
    out[k++] = this.moveTimer;
    out[k++] = this.rampTimer;
    out[k++] = this.rampIndex;
  }
}
