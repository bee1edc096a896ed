/**
 * The MuJoCo physics engine (the npm package `mujoco-js`: MuJoCo 3.3.8 compiled to WebAssembly),
 * loaded once per process.
 *
 * Its module is created asynchronously (an Emscripten factory), while `make()` and the env contract
 * are synchronous, so a MuJoCo env can only be built after `await loadMujoco()` (or
 * `await prepareEnv(id)`, which does it for the ids that need it). The CLI, `trainRun`, `distill()`
 * and the vector-env workers call it; code that calls `make("Hopper-v5")` directly must too. The
 * engine is loaded lazily so that the rest of the library does not pay for its 11 MB.
 */
import type { MainModule, MjData, MjModel } from "mujoco-js";
import { ConfigError } from "../../core/errors.js";

export type { MainModule, MjData, MjModel };

let runtime: MainModule | undefined;
let loading: Promise<MainModule> | undefined;
let fileCounter = 0;

/** Loads the engine (about 0.2 s the first time); later calls return the same module. */
export function loadMujoco(): Promise<MainModule> {
  if (runtime) return Promise.resolve(runtime);
  loading ??= import("mujoco-js").then(async ({ default: factory }) => {
    const mod = await factory();
    (mod as unknown as { FS: { mkdir(path: string): void } }).FS.mkdir(MODEL_DIR);
    runtime = mod;
    return mod;
  });
  return loading;
}

/** True once `loadMujoco()` has finished. */
export function isMujocoLoaded(): boolean {
  return runtime !== undefined;
}

/** The loaded engine; throws a message saying what to call when it is not loaded yet. */
export function mujocoRuntime(envName: string): MainModule {
  if (!runtime) {
    throw new ConfigError(
      envName,
      "needs the MuJoCo engine, which loads asynchronously: call `await prepareEnv(id)` (or " +
        "`await loadMujoco()`) once before make(); the CLI, trainRun and distill do it for you",
    );
  }
  return runtime;
}

const MODEL_DIR = "/rldistill-models";

/**
 * Compiles an MJCF document. MuJoCo reads models from files, so the text goes through the engine's
 * in-memory file system and is removed again once compiled.
 */
export function compileMjcf(mj: MainModule, envName: string, xml: string): MjModel {
  const fs = (mj as unknown as { FS: { writeFile(p: string, d: string): void; unlink(p: string): void } }).FS;
  const path = `${MODEL_DIR}/${envName}-${fileCounter++}.xml`;
  fs.writeFile(path, xml);
  try {
    const model = mj.MjModel.loadFromXML(path);
    if (!model) throw new Error("loadFromXML returned nothing");
    return model;
  } catch (e) {
    throw new ConfigError(
      envName,
      `MuJoCo could not compile the model: ${e instanceof Error ? e.message : String(e)}`,
    );
  } finally {
    fs.unlink(path);
  }
}
