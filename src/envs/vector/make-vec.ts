import type { Env } from "../../core/env.js";
import { ConfigError, checkKnownKeys } from "../../core/errors.js";
import { type MakeOptions, make } from "../registry.js";
import { SyncVectorEnv } from "./sync-vector-env.js";
import type { VectorEnv } from "./vector-env.js";
import { WorkerVectorEnv } from "./worker-vector-env.js";

export interface MakeVecOptions {
  /** Passed to make() for every sub-env. */
  kwargs?: Record<string, unknown>;
  /** make() options (step limit, action checks). */
  makeOptions?: MakeOptions;
  /** Applied in order around each made sub-env (sync mode only): `(env, index) => wrapped`. */
  wrappers?: ReadonlyArray<(env: Env<unknown, unknown>, index: number) => Env<unknown, unknown>>;
  /** Seed of the first reset() when called without one (sub-env i gets seed + i). */
  seed?: number;
  /** "sync" (default): all sub-envs in this thread. "worker": in worker threads (`WorkerVectorEnv`). */
  mode?: "sync" | "worker";
  /** Worker mode: number of threads. */
  numWorkers?: number;
}

/** `numEnvs` copies of a registered env as one vector env (Gymnasium's `make_vec`). */
export function makeVec(id: string, numEnvs: number, opts: MakeVecOptions = {}): VectorEnv {
  checkKnownKeys("makeVec", opts, ["kwargs", "makeOptions", "wrappers", "seed", "mode", "numWorkers"]);
  const mode = opts.mode ?? "sync";
  if (mode === "worker") {
    if (opts.wrappers?.length) {
      throw new ConfigError(
        "makeVec.wrappers",
        'functions cannot cross into workers; with mode "worker" wrap inside a factory module',
      );
    }
    return new WorkerVectorEnv(numEnvs, {
      envId: id,
      kwargs: opts.kwargs,
      makeOptions: opts.makeOptions,
      seed: opts.seed,
      numWorkers: opts.numWorkers,
    });
  }
  if (mode !== "sync") throw new ConfigError("makeVec.mode", `allowed: sync, worker; got ${String(mode)}`);
  if (opts.numWorkers !== undefined)
    throw new ConfigError("makeVec.numWorkers", 'only applies to mode "worker"');
  const factory = (index: number): Env<unknown, unknown> => {
    let env = make(id, opts.kwargs ?? {}, opts.makeOptions);
    for (const wrap of opts.wrappers ?? []) env = wrap(env, index);
    return env;
  };
  return new SyncVectorEnv(factory, numEnvs, { seed: opts.seed });
}
