/**
 * The five MinAtar games (Young and Tian 2019, kenjyoung/MinAtar 1.0.15), registered as MinAtar's
 * Gymnasium wrapper registers them: `MinAtar/<Game>-v1` with the game's minimal action set and
 * `MinAtar/<Game>-v0` with all six actions; no step limit.
 */
import type { EnvRegistration } from "../registry.js";
import { MINATAR_GAMES, MinAtarEnv, type MinAtarGameName, type MinAtarKwargs } from "./minatar-env.js";

const DESCRIPTIONS: Record<MinAtarGameName, string> = {
  Asterix: "MinAtar: dodge enemies and collect gold that cross the rows.",
  Breakout: "MinAtar: bounce a ball off a paddle to break rows of bricks.",
  Freeway: "MinAtar: lead a chicken across eight lanes of traffic.",
  Seaquest: "MinAtar: shoot fish and subs, rescue divers, surface for oxygen.",
  SpaceInvaders: "MinAtar: shoot a marching block of aliens from a cannon.",
};

export function registerMinAtarEnvs(register: (entry: EnvRegistration) => void): void {
  for (const game of MINATAR_GAMES) {
    for (const [version, minimalActionSet] of [
      ["v1", true],
      ["v0", false],
    ] as const) {
      register({
        id: `MinAtar/${game}-${version}`,
        create: (kw) => new MinAtarEnv(game, kw as MinAtarKwargs, { minimalActionSet }),
        description: `${DESCRIPTIONS[game]} (${minimalActionSet ? "minimal action set" : "all 6 actions"})`,
      });
    }
  }
}

export {
  MINATAR_GAMES,
  MINATAR_OBS_TYPES,
  MinAtarEnv,
  type MinAtarEnvOptions,
  type MinAtarGameName,
  type MinAtarKwargs,
  type MinAtarObs,
  type MinAtarObsType,
} from "./minatar-env.js";
export { DEFAULT_CELL_SIZE, minatarPalette, renderObservation } from "./render.js";
