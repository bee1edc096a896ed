/**
 * The env-side facts PPO and DQN need, read once from the env's spaces: observation size and
 * shape, whether actions are discrete, how many, and the bounds of a Box.
 */
import { ConfigError } from "../core/errors.js";
import {
  type AnySpace,
  Box,
  Discrete,
  flatSize,
  type ObsStorageDtype,
  obsStorageDtypeOf,
} from "../core/spaces.js";

/** Env-side facts the algorithms need, from the action and observation spaces. */
export interface SpaceInfo {
  obsShape: number[];
  obsSize: number;
  /** Element type of the env's observations as stored (uint8 for a uint8 Box). */
  obsDtype: ObsStorageDtype;
  discrete: boolean;
  /** Number of actions (discrete) or action dimensions (continuous). */
  actionSize: number;
  actionLow?: Float32Array;
  actionHigh?: Float32Array;
}

export function describeSpaces(observationSpace: AnySpace, actionSpace: AnySpace, envId: string): SpaceInfo {
  if (!(observationSpace instanceof Box)) {
    throw new ConfigError(
      "env",
      `${envId}: observation space ${observationSpace.toString()} is not supported; need a Box`,
    );
  }
  const info: SpaceInfo = {
    obsShape: [...observationSpace.shape],
    obsSize: flatSize(observationSpace),
    obsDtype: obsStorageDtypeOf(observationSpace),
    discrete: actionSpace instanceof Discrete,
    actionSize: 0,
  };
  if (actionSpace instanceof Discrete) {
    if (actionSpace.start !== 0)
      throw new ConfigError("env", `${envId}: Discrete action spaces must start at 0`);
    info.actionSize = actionSpace.n;
  } else if (actionSpace instanceof Box) {
    info.actionSize = actionSpace.size;
    info.actionLow = Float32Array.from(actionSpace.low);
    info.actionHigh = Float32Array.from(actionSpace.high);
  } else {
    throw new ConfigError(
      "env",
      `${envId}: action space ${actionSpace.toString()} is not supported; need Discrete or Box`,
    );
  }
  return info;
}
