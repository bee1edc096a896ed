/**
 * A MinAtar game as a Gymnasium-style env, exact to MinAtar 1.0.15's Gymnasium wrapper
 * (`minatar/gym.py` over `minatar/environment.py`):
 *
 *   const env = make("MinAtar/Breakout-v1");          // or new MinAtarEnv("Breakout")
 *   let { obs } = env.reset({ seed: 0 });              // Uint8Array, (10, 10, 4) row-major, 0/1
 *   const { obs: next, reward, terminated } = env.step(1);
 *
 * - One `NumpyRandomState` per env (MinAtar's `Environment.random`), shared by the sticky-action
 *   draw and the game. `reset({ seed })` reseeds it as `RandomState(seed)`; `reset()` without a seed
 *   continues its stream, so seeded runs replay MinAtar's trajectories bit for bit.
 * - Sticky actions: each step draws `rand()` first (always, whatever the probability) and, if it
 *   is below `stickyActionProb`, repeats the previous action instead of the chosen one.
 *   The previous action carries over from one episode to the next (MinAtar never clears it). One
 *   deliberate difference: a SEEDED reset clears it (to NOOP, as in a new MinAtar env), so that
 *   `reset({ seed })` starts the same trajectory whatever the env did before (MinAtar's own env keeps
 *   the old action there, so its re-seeded runs depend on their history).
 * - `-v1` ids act with the game's minimal action set, `-v0` ids with all six actions
 *   (NOOP, LEFT, UP, RIGHT, DOWN, FIRE).
 * - Before any seeded reset the generator is `RandomState(0)` (MinAtar seeds from the OS instead).
 * - No step limit: MinAtar registers none (Freeway ends itself after 2,501 frames).
 */

import { ArrayBlocks } from "../../core/array-blocks.js";
import {
  checkResetOptions,
  EMPTY_INFO,
  type Env,
  type EnvSpec,
  type ResetOptions,
  type ResetResult,
  type RgbFrame,
  type StepResult,
} from "../../core/env.js";
import {
  ConfigError,
  checkBoolean,
  checkKnownKeys,
  checkNumber,
  describeValue,
  InvalidActionError,
  ResetNeededError,
} from "../../core/errors.js";
import { NumpyRandomState } from "../../core/numpy-random.js";
import { Box, Discrete, type ObsStorage } from "../../core/spaces.js";
import { Asterix } from "./asterix.js";
import { Breakout } from "./breakout.js";
import { Freeway } from "./freeway.js";
import { ACTION_NAMES, GRID, type MinAtarGame, type MinAtarGameFactory } from "./game.js";
import { minatarPalette, renderObservation } from "./render.js";
import { Seaquest } from "./seaquest.js";
import { SpaceInvaders } from "./space-invaders.js";

export const MINATAR_GAMES = ["Asterix", "Breakout", "Freeway", "Seaquest", "SpaceInvaders"] as const;
export type MinAtarGameName = (typeof MINATAR_GAMES)[number];

const FACTORIES: Record<MinAtarGameName, MinAtarGameFactory> = {
  Asterix: (random, ramping) => new Asterix(random, ramping),
  Breakout: (random, ramping) => new Breakout(random, ramping),
  Freeway: (random, ramping) => new Freeway(random, ramping),
  Seaquest: (random, ramping) => new Seaquest(random, ramping),
  SpaceInvaders: (random, ramping) => new SpaceInvaders(random, ramping),
};

export const MINATAR_OBS_TYPES = ["pixels", "state"] as const;
export type MinAtarObsType = (typeof MINATAR_OBS_TYPES)[number];

export interface MinAtarKwargs {
  /** Probability that a step repeats the previous action instead of the chosen one. Default 0.1 (MinAtar's). */
  stickyActionProb?: number;
  /** Let Asterix, Seaquest and SpaceInvaders speed up as the episode goes (MinAtar's `difficulty_ramping`). Default true. */
  difficultyRamping?: boolean;
  /**
   * `"pixels"` (default): `Box(0, 1, [10, 10, C], uint8)`, MinAtar's observation. `"state"`: the
   * game's positions, directions, timers and counters as a float32 vector (layout per game in
   * src/envs/minatar/README.md), with the previous action last.
   */
  obsType?: MinAtarObsType;
}

const KWARGS = ["stickyActionProb", "difficultyRamping", "obsType"] as const;

export interface MinAtarEnvOptions {
  /** Act with the game's minimal action set (the `-v1` ids) instead of all six actions (`-v0`). Default true. */
  minimalActionSet?: boolean;
}

export type MinAtarObs = Uint8Array | Float32Array;

export class MinAtarEnv implements Env<MinAtarObs, number> {
  readonly gameName: MinAtarGameName;
  readonly observationSpace: Box<Uint8Array> | Box<Float32Array>;
  readonly actionSpace: Discrete;
  spec?: EnvSpec;
  readonly stickyActionProb: number;
  readonly difficultyRamping: boolean;
  readonly obsType: MinAtarObsType;
  /** Full-set action (0-5) of each index of the action space. */
  readonly actionSet: readonly number[];
  /** Channel names of the pixel observation, in order. */
  readonly channels: readonly string[];
  /** Names of the state vector's entries (the game's, then `lastAction`). */
  readonly stateNames: readonly string[];
  /** The generator of the game and of the sticky actions (MinAtar's `Environment.random`). */
  readonly random = new NumpyRandomState(0);
  private readonly game: MinAtarGame;
  private readonly numChannels: number;
  /** Entries of a pixel observation (100 C). */
  private readonly pixelCount: number;
  private readonly gameStateSize: number;
  private readonly palette: Uint8Array;
  private readonly name: string;
  private readonly blocks: ArrayBlocks;
  private readonly minimalActionSet: boolean;
  private lastAction = 0;
  private hasState = false;

  constructor(gameName: MinAtarGameName, kwargs: MinAtarKwargs = {}, opts: MinAtarEnvOptions = {}) {
    if (!MINATAR_GAMES.includes(gameName)) {
      throw new ConfigError("game", `allowed: ${MINATAR_GAMES.join(", ")}; got ${describeValue(gameName)}`);
    }
    this.gameName = gameName;
    this.name = `MinAtar/${gameName}`;
    const kw = kwargs as Record<string, unknown>;
    checkKnownKeys(this.name, kw, KWARGS);
    this.stickyActionProb = checkNumber(`${this.name}.stickyActionProb`, kw["stickyActionProb"] ?? 0.1, {
      min: 0,
      max: 1,
    });
    this.difficultyRamping = checkBoolean(`${this.name}.difficultyRamping`, kw["difficultyRamping"] ?? true);
    const obsType = kw["obsType"] ?? "pixels";
    if (!MINATAR_OBS_TYPES.includes(obsType as MinAtarObsType)) {
      throw new ConfigError(
        `${this.name}.obsType`,
        `allowed: ${MINATAR_OBS_TYPES.map((t) => `"${t}"`).join(", ")}; got ${describeValue(obsType)}`,
      );
    }
    this.obsType = obsType as MinAtarObsType;

    this.game = FACTORIES[gameName](this.random, this.difficultyRamping);
    this.channels = this.game.channels;
    this.numChannels = this.channels.length;
    this.pixelCount = GRID * GRID * this.numChannels;
    const layout = this.game.stateLayout;
    this.gameStateSize = layout.size;
    this.stateNames = [...layout.names, "lastAction"];
    this.minimalActionSet = opts.minimalActionSet ?? true;
    this.actionSet = this.minimalActionSet ? this.game.minimalActions : [0, 1, 2, 3, 4, 5];
    this.actionSpace = new Discrete(this.actionSet.length);
    this.observationSpace =
      this.obsType === "pixels"
        ? new Box<Uint8Array>(0, 1, { shape: [GRID, GRID, this.numChannels], dtype: "uint8" })
        : new Box<Float32Array>([...layout.low, 0], [...layout.high, 5], { dtype: "float32" });
    this.palette = minatarPalette(this.numChannels);
    const obsBytes = this.obsType === "pixels" ? this.pixelCount : 4 * (this.gameStateSize + 1);
    this.blocks = new ArrayBlocks(obsBytes);
  }

  get unwrapped(): this {
    return this;
  }

  /** Names of the actions of the action space, e.g. ["NOOP", "LEFT", "RIGHT"] for Breakout-v1. */
  get actionNames(): string[] {
    return this.actionSet.map((a) => ACTION_NAMES[a]!);
  }

  reset(opts: ResetOptions = {}): ResetResult<MinAtarObs> {
    const seed = opts.seed;
    if (seed !== undefined) {
      if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
        throw new ConfigError(
          `${this.name}.reset.seed`,
          `expected an integer in [0, 2^32 - 1] (numpy's RandomState), got ${describeValue(seed)}`,
        );
      }
    }
    checkResetOptions(this.name, opts.options, []);
    if (seed !== undefined) {
      this.random.seed(seed);
      this.lastAction = 0;
    }
    this.game.reset();
    this.hasState = true;
    return { obs: this.observe(), info: {} };
  }

  step(action: number): StepResult<MinAtarObs> {
    const reward = this.advance(action);
    return {
      obs: this.observe(),
      reward,
      terminated: this.game.terminal,
      truncated: false,
      info: NO_INFO,
    };
  }

  /**
   * `step` with the observation written into `out[offset ..]` (a Uint8Array or Float32Array for
   * pixels, a Float32Array for state vectors): a vector env's batch row, so no new array per step.
   */
  stepInto(action: number, out: ObsStorage, offset: number): StepResult<null> {
    const reward = this.advance(action);
    if (this.obsType === "pixels") {
      out.fill(0, offset, offset + this.pixelCount);
      this.game.writeObservation(out as Uint8Array, offset);
    } else {
      this.game.writeState(out as Float32Array, offset);
      out[offset + this.gameStateSize] = this.lastAction;
    }
    return { obs: null, reward, terminated: this.game.terminal, truncated: false, info: NO_INFO };
  }

  /** One frame: the sticky-action draw, then the game's; returns the reward. */
  private advance(action: number): number {
    if (!this.hasState) throw new ResetNeededError(`${this.name}: step() called before reset()`);
    const n = this.actionSet.length;
    if (typeof action !== "number" || !Number.isInteger(action) || action < 0 || action >= n) {
      throw new InvalidActionError(
        `${this.name}: action ${describeValue(action)} is not in Discrete(${n}); allowed: ${this.actionNames
          .map((name, i) => `${i} (${name})`)
          .join(", ")}`,
      );
    }
    let full = this.actionSet[action]!;
    if (this.random.rand() < this.stickyActionProb) full = this.lastAction;
    this.lastAction = full;
    return this.game.act(full);
  }

  /** The current observation in pixel form, whatever `obsType` is (for cross-modal distillation). */
  pixels(out: Uint8Array = new Uint8Array(this.pixelCount)): Uint8Array {
    this.requireState("pixels()");
    out.fill(0);
    this.game.writeObservation(out, 0);
    return out;
  }

  /** The current observation in state-vector form, whatever `obsType` is. */
  stateVector(out: Float32Array = new Float32Array(this.gameStateSize + 1)): Float32Array {
    this.requireState("stateVector()");
    this.game.writeState(out, 0);
    out[this.gameStateSize] = this.lastAction;
    return out;
  }

  /**
   * An independent copy of this env as it stands (game state, generator position, last action):
   * stepping the copy never touches this env, and the copy steps exactly as this env would. For
   * counterfactual play, e.g. taking two actions from one state (bench/minatar-disagreements.ts).
   */
  clone(): MinAtarEnv {
    const copy = new MinAtarEnv(
      this.gameName,
      {
        stickyActionProb: this.stickyActionProb,
        difficultyRamping: this.difficultyRamping,
        obsType: this.obsType,
      },
      { minimalActionSet: this.minimalActionSet },
    );
    copy.random.setState(this.random.getState());
    // The games keep their state in numbers, typed arrays and arrays of plain records, so a
    // structured clone of every own field copies it; the generator stays the copy's own.
    const from = this.game as unknown as Record<string, unknown>;
    const to = copy.game as unknown as Record<string, unknown>;
    for (const key of Object.keys(from)) {
      if (from[key] !== this.random) to[key] = structuredClone(from[key]);
    }
    copy.lastAction = this.lastAction;
    copy.hasState = this.hasState;
    if (this.spec) copy.spec = this.spec;
    return copy;
  }

  /** The current grid drawn with the per-channel palette (src/envs/minatar/render.ts), 160 x 160 px. */
  render(): RgbFrame {
    return renderObservation(this.pixels(), this.numChannels, this.palette);
  }

  close(): void {}

  /** A fresh observation: a new array, never written again by the env (cut from `ArrayBlocks`). */
  private observe(): MinAtarObs {
    if (this.obsType === "pixels") {
      const obs = this.blocks.bytes();
      this.game.writeObservation(obs, 0);
      return obs;
    }
    const obs = this.blocks.floats();
    this.game.writeState(obs, 0);
    obs[this.gameStateSize] = this.lastAction;
    return obs;
  }

  private requireState(what: string): void {
    if (!this.hasState) throw new ResetNeededError(`${this.name}: ${what} called before reset()`);
  }
}

/** Module-local alias of the shared empty info (see game.ts: local bindings are faster in hot code). */
const NO_INFO = EMPTY_INFO;
