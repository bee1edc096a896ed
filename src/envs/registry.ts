/**
 * The env registry: `register()` an id with a factory, `make()` an env by id as in Gymnasium.
 *
 * `make(id, kwargs)` builds the raw env from kwargs (physical parameters, e.g.
 * `make("CartPole-v1", { length: 0.75 })`), then wraps it: `TimeLimit` (from the spec, or
 * `opts.maxEpisodeSteps`) and `OrderEnforcing` (reset before step, no step after the end, actions
 * checked against the action space).
 *
 * `renderMode` is read here, for every env, as Gymnasium's `render_mode`: `make(id, { renderMode:
 * "rgb_array" })` checks that the env can draw itself, and refuses an env that cannot. `render()`
 * works whenever the env can draw, whatever `renderMode` says: the mode only asks `make` to check
 * it up front, since a picture costs nothing until `render()` is called.
 */
import type { Env, EnvSpec } from "../core/env.js";
import { ConfigError, describeValue } from "../core/errors.js";
import { registerBuiltinEnvs } from "./builtin.js";
import { OrderEnforcing } from "./wrappers/order-enforcing.js";
import { TimeLimit } from "./wrappers/time-limit.js";

export interface EnvRegistration {
  id: string;
  /** Builds the raw (unwrapped) env; must reject unknown kwargs with a ConfigError. */
  create: (kwargs: Record<string, unknown>) => Env<unknown, unknown>;
  maxEpisodeSteps?: number;
  rewardThreshold?: number;
  /** One line for `rldistill envs`. */
  description?: string;
  /**
   * Loads what `create` needs and cannot load synchronously (the MuJoCo engine); `prepareEnv(id)`
   * runs it. Until it has run, `create` throws a ConfigError saying so.
   */
  prepare?: () => Promise<void>;
}

export interface MakeOptions {
  /** Overrides the registered step limit; `null` removes the TimeLimit. */
  maxEpisodeSteps?: number | null;
  /** Skip action validation in `OrderEnforcing` (the protocol checks stay). Default false. */
  disableActionCheck?: boolean;
}

/** Gymnasium's render modes that rldistill supports: `render()` returns an RgbFrame. */
export const RENDER_MODES = ["rgb_array"] as const;
export type RenderMode = (typeof RENDER_MODES)[number];

const registry = new Map<string, EnvRegistration>();

export function register(entry: EnvRegistration): void {
  if (!/^[A-Za-z0-9_/:-]+-v\d+$/.test(entry.id)) {
    throw new ConfigError("id", `"${entry.id}" must look like Name-vN (letters, digits, _ / : -)`);
  }
  if (registry.has(entry.id)) throw new ConfigError("id", `"${entry.id}" is already registered`);
  registry.set(entry.id, entry);
}

/**
 * Loads what an env needs before `make(id)` can build it synchronously (the MuJoCo engine for the
 * MuJoCo ids; nothing for the others). Call it once per process, at any async entry point.
 */
export async function prepareEnv(id: string): Promise<void> {
  await getRegistration(id).prepare?.();
}

/** Ids of every registered env, sorted. */
export function listEnvs(): string[] {
  return [...registry.keys()].sort();
}

export function getRegistration(id: string): EnvRegistration {
  const entry = registry.get(id);
  if (!entry) {
    const known = listEnvs();
    const base = id.replace(/-v\d+$/, "");
    const sameName = known.filter((k) => k.replace(/-v\d+$/, "") === base);
    const hint = sameName.length ? ` (did you mean ${sameName.join(" or ")}?)` : "";
    throw new ConfigError("env", `unknown env id "${id}"${hint}; known: ${known.join(", ")}`);
  }
  return entry;
}

export function make<O = unknown, A = unknown>(
  id: string,
  kwargs: Record<string, unknown> = {},
  opts: MakeOptions = {},
): Env<O, A> {
  const entry = getRegistration(id);
  const { renderMode, ...envKwargs } = kwargs;
  if (renderMode !== undefined && !RENDER_MODES.includes(renderMode as RenderMode)) {
    throw new ConfigError(
      "renderMode",
      `allowed: ${RENDER_MODES.map((m) => `"${m}"`).join(", ")} (or leave it out); got ${describeValue(renderMode)}`,
    );
  }
  const raw = entry.create(envKwargs);
  if (renderMode !== undefined && typeof raw.render !== "function") {
    throw new ConfigError("renderMode", `${id} cannot render (it has no render()); leave renderMode out`);
  }
  const maxSteps = opts.maxEpisodeSteps === undefined ? entry.maxEpisodeSteps : opts.maxEpisodeSteps;
  const spec: EnvSpec = {
    id,
    maxEpisodeSteps: maxSteps ?? undefined,
    rewardThreshold: entry.rewardThreshold,
    kwargs: { ...kwargs },
  };
  raw.spec = spec;
  let env: Env<unknown, unknown> = raw;
  if (maxSteps != null) env = new TimeLimit(env, maxSteps);
  env = new OrderEnforcing(env, { checkActions: !opts.disableActionCheck });
  env.spec = spec;
  return env as Env<O, A>;
}

registerBuiltinEnvs(register);
