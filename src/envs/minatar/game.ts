/**
 * The rules of one MinAtar game, below the Gymnasium-style env (`MinAtarEnv` adds sticky actions,
 * the action set, observation modes and rendering).
 *
 * Each game keeps its state in plain numbers and preallocated typed arrays, draws all of its
 * randomness from the `NumpyRandomState` it is given (the env's, shared with the sticky-action
 * draw), in the same order as MinAtar 1.0.15's Python, and writes its observation into a buffer the
 * env provides: no allocation per step.
 *
 * Speed note for the game files: they copy the action ids into module-local constants and index
 * cells with a module-local `at()`: calling an imported function in a per-frame loop measured 2.3x
 * slower than calling a module-local one (Node 20, ESM, with or without tsx).
 */
import type { NumpyRandomState } from "../../core/numpy-random.js";

/** MinAtar's full action set, in its order (`['n','l','u','r','d','f']`). */
export const ACTION = { NOOP: 0, LEFT: 1, UP: 2, RIGHT: 3, DOWN: 4, FIRE: 5 } as const;
export const ACTION_NAMES = ["NOOP", "LEFT", "UP", "RIGHT", "DOWN", "FIRE"] as const;

/** Side of the square grid every game is played on. */
export const GRID = 10;

export interface MinAtarGame {
  /** Channel names of the observation, in MinAtar's order (channel c is plane c of the last axis). */
  readonly channels: readonly string[];
  /** MinAtar's `minimal_action_set()`: indices into the full action set. */
  readonly minimalActions: readonly number[];
  /** The state vector's layout (`obsType: "state"`), one entry per float. */
  readonly stateLayout: StateLayout;
  /** True once the episode ended; `act` then does nothing and returns 0, as MinAtar. */
  readonly terminal: boolean;
  /** Starts a new episode (Breakout and Freeway draw from the generator here). */
  reset(): void;
  /** One frame with an action of the full set (0-5); returns the reward. */
  act(action: number): number;
  /**
   * Sets the active cells of the (10, 10, C) observation, row-major, in `out` from index `offset`
   * on (zeroed by the caller; a vector env's batch row when the offset is not 0).
   */
  writeObservation(out: Uint8Array, offset: number): void;
  /** Writes the state vector (`stateLayout.size` floats) into `out` from index `offset`. */
  writeState(out: Float32Array, offset: number): void;
}

export type MinAtarGameFactory = (random: NumpyRandomState, ramping: boolean) => MinAtarGame;

/** Names and bounds of the entries of a game's state vector. */
export interface StateLayout {
  readonly names: readonly string[];
  readonly low: readonly number[];
  readonly high: readonly number[];
  readonly size: number;
}

/**
 * Builds a layout from groups: `[name, low, high]` for one entry, or `[name, low, high, count]` for
 * `count` entries named `name[0]`, `name[1]`, ... (e.g. one per car).
 */
export function stateLayout(
  groups: ReadonlyArray<readonly [string, number, number] | readonly [string, number, number, number]>,
): StateLayout {
  const names: string[] = [];
  const low: number[] = [];
  const high: number[] = [];
  for (const [name, lo, hi, count] of groups) {
    if (count === undefined) {
      names.push(name);
      low.push(lo);
      high.push(hi);
    } else {
      for (let i = 0; i < count; i++) {
        names.push(`${name}[${i}]`);
        low.push(lo);
        high.push(hi);
      }
    }
  }
  return { names, low, high, size: names.length };
}

/**
 * Groups of entries repeated per slot: `slots("enemy", 8, [["present", 0, 1], ["x", 0, 9]])` gives
 * `enemy[0].present, enemy[0].x, enemy[1].present, ...`.
 */
export function slotGroups(
  prefix: string,
  count: number,
  fields: ReadonlyArray<readonly [string, number, number]>,
): Array<readonly [string, number, number]> {
  const out: Array<readonly [string, number, number]> = [];
  for (let i = 0; i < count; i++)
    for (const [f, lo, hi] of fields) out.push([`${prefix}[${i}].${f}`, lo, hi]);
  return out;
}
