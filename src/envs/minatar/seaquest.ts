/**
 * MinAtar Seaquest (minatar/environments/seaquest.py, version 1.0.15), rules only.
 *
 * The player's submarine (two cells, front and back) moves on rows 0-8 and fires torpedoes
 * forward. Enemy fish and enemy subs (which shoot) cross rows 1-8; a torpedo hit pays +1. Divers
 * cross too; touching one picks it up (at most 6). Oxygen (200) drains below the surface. Coming up
 * to row 0 with at least one diver refills the oxygen and drops one diver, or, with 6, pays one
 * point per tenth of the oxygen left and drops them all; each surfacing ramps the difficulty (enemy
 * spawn interval 20 down to 1, and on every other ramp the enemy move interval 5 down to 2).
 * Contact with an enemy or enemy bullet, running out of oxygen, or surfacing with no diver ends
 * the episode.
 *
 * MinAtar keeps its entities in Python lists and edits them while iterating over them in reverse,
 * removing by VALUE (`list.remove(x)` drops the first equal element). This file keeps the same
 * lists (arrays of small records, in the same order) and the same semantics, so that the rare
 * cases where the order or equal records matter come out as in Python. A quirk kept on purpose:
 * surfacing with 6 divers leaves the diver count at -1 (MinAtar sets it to 0, then drops one).
 */
import type { NumpyRandomState } from "../../core/numpy-random.js";
import { ACTION, type MinAtarGame } from "./game.js";
import {
  BULLET_FIELDS,
  type Entity,
  entity,
  findAt,
  headingOtherWay,
  MOVER_FIELDS,
  removeEqual,
  SEAQUEST_SLOTS,
  SUB_FIELDS,
  seaquestLayout,
  writeSlots,
} from "./seaquest-state.js";

export { SEAQUEST_SLOTS } from "./seaquest-state.js";

// Module-local copies of the shared constants (see game.ts: local ones are faster in per-frame code).
const { NOOP, LEFT, UP, RIGHT, DOWN, FIRE } = ACTION;
const GRID = 10;

const RAMP_MOVE_MIN = 2;
const MAX_OXYGEN = 200;
const INIT_SPAWN_SPEED = 20;
const DIVER_SPAWN_SPEED = 30;
const INIT_MOVE_INTERVAL = 5;
const SHOT_COOL_DOWN = 5;
const ENEMY_SHOT_INTERVAL = 10;
const DIVER_MOVE_INTERVAL = 5;
const MAX_DIVERS = 6;

const SUB_FRONT = 0;
const SUB_BACK = 1;
const FRIENDLY_BULLET = 2;
const TRAIL = 3;
const ENEMY_BULLET = 4;
const ENEMY_FISH = 5;
const ENEMY_SUB = 6;
const OXYGEN_GAUGE = 7;
const DIVER_GAUGE = 8;
const DIVER = 9;
const C = 10;
/** Index of (row, col, channel) in the (10, 10, C) row-major observation. */
const at = (row: number, col: number, channel: number): number => (row * GRID + col) * C + channel;

const LAYOUT = seaquestLayout({
  MAX_OXYGEN,
  MAX_DIVERS,
  SHOT_COOL_DOWN,
  INIT_SPAWN_SPEED,
  DIVER_SPAWN_SPEED,
  RAMP_MOVE_MIN,
  INIT_MOVE_INTERVAL,
  ENEMY_SHOT_INTERVAL,
  DIVER_MOVE_INTERVAL,
});

export class Seaquest implements MinAtarGame {
  readonly channels = [
    "sub_front",
    "sub_back",
    "friendly_bullet",
    "trail",
    "enemy_bullet",
    "enemy_fish",
    "enemy_sub",
    "oxygen_guage",
    "diver_guage",
    "diver",
  ] as const;
  readonly minimalActions = [NOOP, LEFT, UP, RIGHT, DOWN, FIRE] as const;
  readonly stateLayout = LAYOUT;
  terminal = false;

  private readonly random: NumpyRandomState;
  private readonly ramping: boolean;
  private oxygen = MAX_OXYGEN;
  private diverCount = 0;
  private subX = 5;
  private subY = 0;
  private subRight = false;
  private readonly friendlyBullets: Entity[] = [];
  private readonly enemyBullets: Entity[] = [];
  private readonly fish: Entity[] = [];
  private readonly subs: Entity[] = [];
  private readonly divers: Entity[] = [];
  private enemySpawnSpeed = INIT_SPAWN_SPEED;
  private enemySpawnTimer = INIT_SPAWN_SPEED;
  private diverSpawnTimer = DIVER_SPAWN_SPEED;
  private moveSpeed = INIT_MOVE_INTERVAL;
  private rampIndex = 0;
  private shotTimer = 0;
  private surface = true;

  constructor(random: NumpyRandomState, ramping: boolean) {
    this.random = random;
    this.ramping = ramping;
  }

  reset(): void {
    this.oxygen = MAX_OXYGEN;
    this.diverCount = 0;
    this.subX = 5;
    this.subY = 0;
    this.subRight = false;
    this.friendlyBullets.length = 0;
    this.enemyBullets.length = 0;
    this.fish.length = 0;
    this.subs.length = 0;
    this.divers.length = 0;
    this.enemySpawnSpeed = INIT_SPAWN_SPEED;
    this.enemySpawnTimer = this.enemySpawnSpeed;
    this.diverSpawnTimer = DIVER_SPAWN_SPEED;
    this.moveSpeed = INIT_MOVE_INTERVAL;
    this.rampIndex = 0;
    this.shotTimer = 0;
    this.surface = true;
    this.terminal = false;
  }

  act(action: number): number {
    if (this.terminal) return 0;
    let reward = 0;
    if (this.enemySpawnTimer === 0) {
      this.spawnEnemy();
      this.enemySpawnTimer = this.enemySpawnSpeed;
    }
    if (this.diverSpawnTimer === 0) {
      this.spawnDiver();
      this.diverSpawnTimer = DIVER_SPAWN_SPEED;
    }
    if (action === FIRE && this.shotTimer === 0) {
      this.friendlyBullets.push(entity(this.subX, this.subY, this.subRight, 0, 0));
      this.shotTimer = SHOT_COOL_DOWN;
    } else if (action === LEFT) {
      this.subX = Math.max(0, this.subX - 1);
      this.subRight = false;
    } else if (action === RIGHT) {
      this.subX = Math.min(9, this.subX + 1);
      this.subRight = true;
    } else if (action === UP) {
      this.subY = Math.max(0, this.subY - 1);
    } else if (action === DOWN) {
      this.subY = Math.min(8, this.subY + 1);
    }

    reward += this.moveFriendlyBullets();
    this.moveDivers();
    reward += this.moveEnemies(this.subs, SUB_FIELDS);
    this.moveEnemyBullets();
    reward += this.moveEnemies(this.fish, MOVER_FIELDS);

    if (this.enemySpawnTimer > 0) this.enemySpawnTimer--;
    if (this.diverSpawnTimer > 0) this.diverSpawnTimer--;
    if (this.shotTimer > 0) this.shotTimer--;
    if (this.oxygen <= 0) this.terminal = true;
    if (this.subY > 0) {
      this.oxygen--;
      this.surface = false;
    } else if (!this.surface) {
      if (this.diverCount === 0) this.terminal = true;
      else reward += this.surfaceSub();
    }
    return reward;
  }

  /*
   * The loops below walk a list from its end as Python's `reversed(list)` does while the list
   * shrinks: index i counts down from the initial last index, and the walk stops as soon as i is
   * past the end of the (shortened) list.
   */

  private moveFriendlyBullets(): number {
    let reward = 0;
    const bullets = this.friendlyBullets;
    for (let i = bullets.length - 1; i >= 0 && i < bullets.length; i--) {
      const b = bullets[i]!;
      b.x += b.right ? 1 : -1;
      if (b.x < 0 || b.x > 9) {
        removeEqual(bullets, b, BULLET_FIELDS);
        continue;
      }
      const fish = findAt(this.fish, b.x, b.y);
      if (fish) {
        removeEqual(this.fish, fish, MOVER_FIELDS);
        removeEqual(bullets, b, BULLET_FIELDS);
        reward++;
        continue;
      }
      const sub = findAt(this.subs, b.x, b.y);
      if (sub) {
        removeEqual(this.subs, sub, SUB_FIELDS);
        removeEqual(bullets, b, BULLET_FIELDS);
        reward++;
      }
    }
    return reward;
  }

  private moveDivers(): void {
    const divers = this.divers;
    for (let i = divers.length - 1; i >= 0 && i < divers.length; i--) {
      const d = divers[i]!;
      if (this.atSub(d) && this.diverCount < MAX_DIVERS) {
        removeEqual(divers, d, MOVER_FIELDS);
        this.diverCount++;
      } else if (d.timer === 0) {
        d.timer = DIVER_MOVE_INTERVAL;
        d.x += d.right ? 1 : -1;
        if (d.x < 0 || d.x > 9) removeEqual(divers, d, MOVER_FIELDS);
        else if (this.atSub(d) && this.diverCount < MAX_DIVERS) {
          removeEqual(divers, d, MOVER_FIELDS);
          this.diverCount++;
        }
      } else {
        d.timer--;
      }
    }
  }

  /** Enemy subs (`fields` 5: they also shoot) or fish (`fields` 4). Returns the reward of torpedo hits. */
  private moveEnemies(list: Entity[], fields: number): number {
    let reward = 0;
    const shoots = fields === SUB_FIELDS;
    for (let i = list.length - 1; i >= 0 && i < list.length; i--) {
      const e = list[i]!;
      if (this.atSub(e)) this.terminal = true;
      if (e.timer === 0) {
        e.timer = this.moveSpeed;
        e.x += e.right ? 1 : -1;
        if (e.x < 0 || e.x > 9) removeEqual(list, e, fields);
        else if (this.atSub(e)) this.terminal = true;
        else {
          const bullet = findAt(this.friendlyBullets, e.x, e.y);
          if (bullet) {
            removeEqual(list, e, fields);
            removeEqual(this.friendlyBullets, bullet, BULLET_FIELDS);
            reward++;
          }
        }
      } else {
        e.timer--;
      }
      // A sub that just left the screen or was hit still fires this frame, as in MinAtar.
      if (shoots) {
        if (e.shotTimer === 0) {
          e.shotTimer = ENEMY_SHOT_INTERVAL;
          this.enemyBullets.push(entity(e.x, e.y, e.right, 0, 0));
        } else {
          e.shotTimer--;
        }
      }
    }
    return reward;
  }

  private moveEnemyBullets(): void {
    const bullets = this.enemyBullets;
    for (let i = bullets.length - 1; i >= 0 && i < bullets.length; i--) {
      const b = bullets[i]!;
      if (this.atSub(b)) this.terminal = true;
      b.x += b.right ? 1 : -1;
      if (b.x < 0 || b.x > 9) removeEqual(bullets, b, BULLET_FIELDS);
      else if (this.atSub(b)) this.terminal = true;
    }
  }

  private atSub(e: Entity): boolean {
    return e.x === this.subX && e.y === this.subY;
  }

  /** Surfacing with divers: refill oxygen, drop divers, pay for a full load, ramp the difficulty. */
  private surfaceSub(): number {
    this.surface = true;
    let reward = 0;
    if (this.diverCount === MAX_DIVERS) {
      this.diverCount = 0;
      reward = Math.floor((this.oxygen * 10) / MAX_OXYGEN);
    }
    this.oxygen = MAX_OXYGEN;
    this.diverCount--;
    if (this.ramping && (this.enemySpawnSpeed > 1 || this.moveSpeed > RAMP_MOVE_MIN)) {
      if (this.moveSpeed > RAMP_MOVE_MIN && this.rampIndex % 2) this.moveSpeed--;
      if (this.enemySpawnSpeed > 1) this.enemySpawnSpeed--;
      this.rampIndex++;
    }
    return reward;
  }

  /** A fish or sub in a random row and side, unless that row holds an enemy going the other way. */
  private spawnEnemy(): void {
    const right = this.random.rand() < 1 / 2;
    const isSub = this.random.rand() < 1 / 3;
    const x = right ? 0 : 9;
    const y = this.random.randint(1, 9);
    if (headingOtherWay(this.subs, y, right) || headingOtherWay(this.fish, y, right)) return;
    if (isSub) this.subs.push(entity(x, y, right, this.moveSpeed, ENEMY_SHOT_INTERVAL));
    else this.fish.push(entity(x, y, right, this.moveSpeed, 0));
  }

  private spawnDiver(): void {
    const right = this.random.rand() < 1 / 2;
    const y = this.random.randint(1, 9);
    this.divers.push(entity(right ? 0 : 9, y, right, DIVER_MOVE_INTERVAL, 0));
  }

  writeObservation(out: Uint8Array, offset: number): void {
    out[offset + at(this.subY, this.subX, SUB_FRONT)] = 1;
    out[offset + at(this.subY, this.subRight ? this.subX - 1 : this.subX + 1, SUB_BACK)] = 1;
    const oxygenCells = Math.floor((Math.max(0, this.oxygen) * 10) / MAX_OXYGEN);
    for (let col = 0; col < oxygenCells; col++) out[offset + at(9, col, OXYGEN_GAUGE)] = 1;
    // numpy's slice [9 - count : 9]: empty when the count is 0 or below (see the quirk above).
    for (let col = Math.max(0, 9 - this.diverCount); col < 9; col++)
      out[offset + at(9, col, DIVER_GAUGE)] = 1;
    for (const b of this.friendlyBullets) out[offset + at(b.y, b.x, FRIENDLY_BULLET)] = 1;
    for (const b of this.enemyBullets) out[offset + at(b.y, b.x, ENEMY_BULLET)] = 1;
    drawWithTrail(out, offset, this.fish, ENEMY_FISH);
    drawWithTrail(out, offset, this.subs, ENEMY_SUB);
    drawWithTrail(out, offset, this.divers, DIVER);
  }

  writeState(out: Float32Array, offset: number): void {
    let k = offset;
    out[k++] = this.subX;
    out[k++] = this.subY;
    out[k++] = this.subRight ? 1 : 0;
    out[k++] = this.oxygen;
    out[k++] = this.diverCount;
    out[k++] = this.shotTimer;
    out[k++] = this.enemySpawnSpeed;
    out[k++] = this.enemySpawnTimer;
    out[k++] = this.diverSpawnTimer;
    out[k++] = this.moveSpeed;
    out[k++] = this.rampIndex;
    out[k++] = this.surface ? 1 : 0;
    k = writeSlots(out, k, this.friendlyBullets, SEAQUEST_SLOTS.friendlyBullets, BULLET_FIELDS);
    k = writeSlots(out, k, this.enemyBullets, SEAQUEST_SLOTS.enemyBullets, BULLET_FIELDS);
    k = writeSlots(out, k, this.fish, SEAQUEST_SLOTS.fish, MOVER_FIELDS);
    k = writeSlots(out, k, this.subs, SEAQUEST_SLOTS.subs, SUB_FIELDS);
    writeSlots(out, k, this.divers, SEAQUEST_SLOTS.divers, MOVER_FIELDS);
  }
}

function drawWithTrail(out: Uint8Array, offset: number, list: readonly Entity[], channel: number): void {
  for (const e of list) {
    out[offset + at(e.y, e.x, channel)] = 1;
    const back = e.right ? e.x - 1 : e.x + 1;
    if (back >= 0 && back <= 9) out[offset + at(e.y, back, TRAIL)] = 1;
  }
}
