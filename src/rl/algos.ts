/** The trainable algorithms by name (what `--algo` chooses), with their config schemas and loaders. */

import type { ConfigSchema } from "../core/config.js";
import type { Algorithm } from "./algorithm.js";
import { DQN, DQN_SCHEMA } from "./dqn.js";
import { PPO, PPO_SCHEMA } from "./ppo.js";
import { SAC, SAC_SCHEMA } from "./sac.js";
import { TD3, TD3_SCHEMA } from "./td3.js";

export interface AlgoEntry {
  schema: ConfigSchema;
  /** `new PPO(opts)` / `new DQN(opts)`: common options plus config fields. */
  create(opts: Record<string, unknown>): Algorithm<object>;
  load(path: string): Algorithm<object>;
}

export const ALGORITHMS = {
  ppo: {
    schema: PPO_SCHEMA,
    create: (opts) => new PPO(opts as unknown as ConstructorParameters<typeof PPO>[0]),
    load: (path) => PPO.load(path),
  },
  dqn: {
    schema: DQN_SCHEMA,
    create: (opts) => new DQN(opts as unknown as ConstructorParameters<typeof DQN>[0]),
    load: (path) => DQN.load(path),
  },
  sac: {
    schema: SAC_SCHEMA,
    create: (opts) => new SAC(opts as unknown as ConstructorParameters<typeof SAC>[0]),
    load: (path) => SAC.load(path),
  },
  td3: {
    schema: TD3_SCHEMA,
    create: (opts) => new TD3(opts as unknown as ConstructorParameters<typeof TD3>[0]),
    load: (path) => TD3.load(path),
  },
} satisfies Record<string, AlgoEntry>;

export type AlgoName = keyof typeof ALGORITHMS;

export function isAlgoName(name: unknown): name is AlgoName {
  return typeof name === "string" && Object.hasOwn(ALGORITHMS, name);
}
