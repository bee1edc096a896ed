/**
 * Seaquest's entity records (MinAtar's lists, removed by value like Python's `list.remove`) and its
 * state vector: the layout (names and bounds of each entry) and the fixed slots each list is
 * written into. The rules that move the entities are seaquest.ts.
 */
import { type StateLayout, slotGroups, stateLayout } from "./game.js";

/**
 * One entity, as MinAtar's lists hold it: bullets are [x, y, right], fish and divers
 * [x, y, right, moveTimer], enemy subs [x, y, right, moveTimer, shotTimer].
 */
export interface Entity {
  x: number;
  y: number;
  right: boolean;
  timer: number;
  shotTimer: number;
}

/** Fields MinAtar's records hold, for value equality: 3 for bullets, 4 fish/divers, 5 subs. */
export const BULLET_FIELDS = 3;
export const MOVER_FIELDS = 4;
export const SUB_FIELDS = 5;

function sameRecord(a: Entity, b: Entity, fields: number): boolean {
  return (
    a.x === b.x &&
    a.y === b.y &&
    a.right === b.right &&
    (fields < 4 || a.timer === b.timer) &&
    (fields < 5 || a.shotTimer === b.shotTimer)
  );
}

/** Python's `list.remove(e)`: removes the first element EQUAL to `e` (not necessarily `e` itself). */
export function removeEqual(list: Entity[], e: Entity, fields: number): void {
  for (let i = 0; i < list.length; i++) {
    if (sameRecord(list[i]!, e, fields)) {
      list.splice(i, 1);
      return;
    }
  }
  throw new Error("Seaquest: removing an entity that is not in its list");
}

export function entity(x: number, y: number, right: boolean, timer: number, shotTimer: number): Entity {
  return { x, y, right, timer, shotTimer };
}

/** The first entity at (x, y), in list order (the Python `for x in list` scan). */
export function findAt(list: readonly Entity[], x: number, y: number): Entity | undefined {
  for (const e of list) if (e.x === x && e.y === y) return e;
  return undefined;
}

export function headingOtherWay(list: readonly Entity[], y: number, right: boolean): boolean {
  for (const e of list) if (e.y === y && e.right !== right) return true;
  return false;
}

/** Slots of each list in the state vector (measured maxima with a margin; see the README). */
export const SEAQUEST_SLOTS = {
  friendlyBullets: 2,
  enemyBullets: 16,
  fish: 20,
  subs: 16,
  divers: 4,
} as const;

/** The rules' numbers the state bounds come from (seaquest.ts holds them; see its constants). */
export interface SeaquestLimits {
  MAX_OXYGEN: number;
  MAX_DIVERS: number;
  SHOT_COOL_DOWN: number;
  INIT_SPAWN_SPEED: number;
  DIVER_SPAWN_SPEED: number;
  RAMP_MOVE_MIN: number;
  INIT_MOVE_INTERVAL: number;
  ENEMY_SHOT_INTERVAL: number;
  DIVER_MOVE_INTERVAL: number;
}

/**
 * State vector: the player and the counters, then per list a count (its true length) and a fixed
 * number of slots, oldest entity first (MinAtar's list order); slots past the count are all zeros, and
 * entities past the slots (not seen in any measured episode) are left out.
 */
export function seaquestLayout(limits: SeaquestLimits): StateLayout {
  const {
    MAX_OXYGEN,
    MAX_DIVERS,
    SHOT_COOL_DOWN,
    INIT_SPAWN_SPEED,
    DIVER_SPAWN_SPEED,
    RAMP_MOVE_MIN,
    INIT_MOVE_INTERVAL,
    ENEMY_SHOT_INTERVAL,
    DIVER_MOVE_INTERVAL,
  } = limits;
  return stateLayout([
    ["subX", 0, 9],
    ["subY", 0, 8],
    ["subRight", 0, 1],
    ["oxygen", -1, MAX_OXYGEN],
    // Below 0 after surfacing with 6 divers (MinAtar's quirk), and lower at each surfacing after that.
    ["diverCount", Number.NEGATIVE_INFINITY, MAX_DIVERS],
    ["shotTimer", 0, SHOT_COOL_DOWN],
    ["enemySpawnSpeed", 1, INIT_SPAWN_SPEED],
    ["enemySpawnTimer", 0, INIT_SPAWN_SPEED],
    ["diverSpawnTimer", 0, DIVER_SPAWN_SPEED],
    ["moveSpeed", RAMP_MOVE_MIN, INIT_MOVE_INTERVAL],
    ["rampIndex", 0, 19],
    ["surface", 0, 1],
    ["friendlyBulletCount", 0, Number.POSITIVE_INFINITY],
    ...slotGroups("friendlyBullet", SEAQUEST_SLOTS.friendlyBullets, [
      ["present", 0, 1],
      ["x", 0, 9],
      ["y", 0, 8],
      ["right", 0, 1],
    ]),
    ["enemyBulletCount", 0, Number.POSITIVE_INFINITY],
    ...slotGroups("enemyBullet", SEAQUEST_SLOTS.enemyBullets, [
      ["present", 0, 1],
      ["x", 0, 9],
      ["y", 0, 8],
      ["right", 0, 1],
    ]),
    ["fishCount", 0, Number.POSITIVE_INFINITY],
    ...slotGroups("fish", SEAQUEST_SLOTS.fish, [
      ["present", 0, 1],
      ["x", 0, 9],
      ["y", 0, 8],
      ["right", 0, 1],
      ["moveTimer", 0, INIT_MOVE_INTERVAL],
    ]),
    ["subCount", 0, Number.POSITIVE_INFINITY],
    ...slotGroups("enemySub", SEAQUEST_SLOTS.subs, [
      ["present", 0, 1],
      ["x", 0, 9],
      ["y", 0, 8],
      ["right", 0, 1],
      ["moveTimer", 0, INIT_MOVE_INTERVAL],
      ["shotTimer", 0, ENEMY_SHOT_INTERVAL],
    ]),
    ["diverListCount", 0, Number.POSITIVE_INFINITY],
    ...slotGroups("diver", SEAQUEST_SLOTS.divers, [
      ["present", 0, 1],
      ["x", 0, 9],
      ["y", 0, 8],
      ["right", 0, 1],
      ["moveTimer", 0, DIVER_MOVE_INTERVAL],
    ]),
  ]);
}

/** The list's length, then `slots` records of `1 + fields - 1` floats (present, x, y, right, timers). */
export function writeSlots(
  out: Float32Array,
  k: number,
  list: readonly Entity[],
  slots: number,
  fields: number,
): number {
  out[k++] = list.length;
  for (let s = 0; s < slots; s++) {
    const e = s < list.length ? list[s] : undefined;
    out[k++] = e ? 1 : 0;
    out[k++] = e ? e.x : 0;
    out[k++] = e ? e.y : 0;
    out[k++] = e?.right ? 1 : 0;
    if (fields >= 4) out[k++] = e ? e.timer : 0;
    if (fields >= 5) out[k++] = e ? e.shotTimer : 0;
  }
  return k;
}
