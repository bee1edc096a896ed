/** The trainable algorithms by name (what `--algo` chooses), with their config schemas and loaders. */

import type { ConfigSchema } from "../core/config.js";
import { ConfigError, describeValue } from "../core/errors.js";
import { type LoadedArtifact, loadArtifact } from "../nn/checkpoint.js";
import { agentFilePath } from "./agent-file.js";
import type { Algorithm } from "./algorithm.js";
import { DQN, DQN_SCHEMA } from "./dqn.js";
import { PPO, PPO_SCHEMA } from "./ppo.js";
import { SAC, SAC_SCHEMA } from "./sac.js";
import { TD3, TD3_SCHEMA } from "./td3.js";

export interface AlgoEntry {
  schema: ConfigSchema;
  /** `new PPO(opts)` / `new DQN(opts)`: common options plus config fields. */
  create(opts: Record<string, unknown>): Algorithm<object>;
  /** A saved agent; `overrides` change training fields (not the networks), as SB3's custom_objects. */
  load(path: string, overrides?: Record<string, unknown>): Algorithm<object>;
}

export const ALGORITHMS = {
  ppo: {
    schema: PPO_SCHEMA,
    create: (opts) => new PPO(opts as unknown as ConstructorParameters<typeof PPO>[0]),
    load: (path, overrides = {}) => PPO.load(path, overrides),
  },
  dqn: {
    schema: DQN_SCHEMA,
    create: (opts) => new DQN(opts as unknown as ConstructorParameters<typeof DQN>[0]),
    load: (path, overrides = {}) => DQN.load(path, overrides),
  },
  sac: {
    schema: SAC_SCHEMA,
    create: (opts) => new SAC(opts as unknown as ConstructorParameters<typeof SAC>[0]),
    load: (path, overrides = {}) => SAC.load(path, overrides),
  },
  td3: {
    schema: TD3_SCHEMA,
    create: (opts) => new TD3(opts as unknown as ConstructorParameters<typeof TD3>[0]),
    load: (path, overrides = {}) => TD3.load(path, overrides),
  },
} satisfies Record<string, AlgoEntry>;

export type AlgoName = keyof typeof ALGORITHMS;

export function isAlgoName(name: unknown): name is AlgoName {
  return typeof name === "string" && Object.hasOwn(ALGORITHMS, name);
}

/** A saved agent file and its algorithm (from the artifact kind, e.g. "ppo-agent"); errors name `field`. */
export function readSavedAgent(path: string, field: string): { algo: AlgoName; artifact: LoadedArtifact } {
  let artifact: LoadedArtifact;
  try {
    artifact = loadArtifact(agentFilePath(path));
  } catch (err) {
    throw new ConfigError(field, (err as Error).message);
  }
  const algo = artifact.kind.replace(/-agent$/, "");
  if (!artifact.kind.endsWith("-agent") || !isAlgoName(algo))
    throw new ConfigError(
      field,
      `${path} is a ${describeValue(artifact.kind)} artifact, not a saved agent of ${Object.keys(ALGORITHMS).join(", ")}`,
    );
  return { algo, artifact };
}
