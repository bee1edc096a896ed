/**
 * Robustness suite: the same policies evaluated under perturbations of growing strength - noisy
 * observations, noisy or sticky actions, changed physics - side by side, so a student that only
 * matches its teacher at the nominal setting shows it.
 *
 *   const r = evaluateRobustness({ teacher, student }, "CartPole-v1", { episodes: 10, seed: 0 });
 *   // r.perturbations[k].results.student[j] = { strength, meanReturn, stdReturn }
 *
 * Every (perturbation, strength, policy) cell uses the same seed, so policies meet the same
 * initial states and the same noise draws (common random numbers): differences between policies
 * are not seed luck.
 */
import type { Env } from "../core/env.js";
import { ConfigError } from "../core/errors.js";
import { InterruptedError } from "../core/interrupt.js";
import type { Policy } from "../core/policy.js";
import { getRegistration, make } from "../envs/registry.js";
import { ActionNoise } from "../envs/wrappers/action-noise.js";
import { ObservationNoise } from "../envs/wrappers/observation-noise.js";
import { StickyAction } from "../envs/wrappers/sticky-action.js";
import { type EvalResult, evaluatePolicy, evaluatePolicyAsync } from "./evaluate.js";

export type PerturbationKind = "obs-noise" | "action-noise" | "sticky-action" | "kwarg";

export interface Perturbation {
  /** Short id, e.g. "obs-noise" or the kwarg name ("length"). */
  name: string;
  /** Human label with the unit of the strength, e.g. "Pole length (m)". */
  label: string;
  kind: PerturbationKind;
  /** For `kwarg`: the `make()` kwarg to set to each strength. */
  param?: string;
  /** Strengths to evaluate, ascending, including `nominal`. */
  strengths: number[];
  /** The unperturbed setting (0 for noise, the env default for physics). */
  nominal: number;
}

const NOISE = [0, 0.05, 0.1, 0.2, 0.4];
const FLIP_P = [0, 0.05, 0.1, 0.2, 0.3];
const STD_ACT = [0, 0.1, 0.25, 0.5, 1];
const STICKY = [0, 0.1, 0.25, 0.5, 0.75];

function physics(param: string, label: string, nominal: number, strengths: number[]): Perturbation {
  return { name: param, label, kind: "kwarg", param, strengths, nominal };
}

/** Physical parameters to vary per env id, with the env defaults as nominal. */
const PHYSICS: Record<string, Perturbation[]> = {
  "CartPole-v1": [
    physics("length", "Pole half-length (m)", 0.5, [0.25, 0.5, 0.75, 1, 1.5]),
    physics("masscart", "Cart mass (kg)", 1, [0.5, 1, 2, 3, 5]),
  ],
  "Acrobot-v1": [
    physics("linkMass1", "Link 1 mass (kg)", 1, [0.5, 1, 1.5, 2, 3]),
    physics("linkMass2", "Link 2 mass (kg)", 1, [0.5, 1, 1.5, 2, 3]),
  ],
  "MountainCar-v0": [physics("force", "Engine force", 0.001, [0.0006, 0.0008, 0.001, 0.0012, 0.0015])],
  "MountainCarContinuous-v0": [
    physics("power", "Engine power", 0.0015, [0.001, 0.00125, 0.0015, 0.00175, 0.002]),
  ],
  "Pendulum-v1": [
    physics("m", "Pendulum mass (kg)", 1, [0.5, 0.8, 1, 1.2, 1.5]),
    physics("l", "Pendulum length (m)", 1, [0.5, 0.8, 1, 1.2, 1.5]),
  ],
  ...Object.fromEntries(
    [
      "InvertedPendulum-v5",
      "InvertedDoublePendulum-v5",
      "Reacher-v5",
      "HalfCheetah-v5",
      "Hopper-v5",
      "Walker2d-v5",
      "Ant-v5",
    ].map((id) => [
      id,
      [
        physics("frictionScale", "Friction (x nominal)", 1, [0.5, 0.75, 1, 1.25, 1.5]),
        physics("massScale", "Body masses (x nominal)", 1, [0.5, 0.75, 1, 1.25, 1.5]),
      ],
    ]),
  ),
};

/** MountainCar observations are small (velocity within +-0.07): scale the sensor noise down. */
const OBS_NOISE: Record<string, number[]> = {
  "MountainCar-v0": [0, 0.005, 0.01, 0.02, 0.05],
  "MountainCarContinuous-v0": [0, 0.005, 0.01, 0.02, 0.05],
};

/** The default perturbation table of an env: sensor noise, actuator noise, sticky actions, physics. */
export function defaultPerturbations(envId: string): Perturbation[] {
  getRegistration(envId); // unknown ids fail here, naming the known ones
  const probe = make(envId);
  const box = probe.actionSpace.type === "Box";
  probe.close();
  return [
    {
      name: "obs-noise",
      label: "Observation noise (std)",
      kind: "obs-noise",
      strengths: OBS_NOISE[envId] ?? NOISE,
      nominal: 0,
    },
    box
      ? {
          name: "action-noise",
          label: "Action noise (std)",
          kind: "action-noise",
          strengths: STD_ACT,
          nominal: 0,
        }
      : {
          name: "action-noise",
          label: "Random action (probability)",
          kind: "action-noise",
          strengths: FLIP_P,
          nominal: 0,
        },
    {
      name: "sticky-action",
      label: "Sticky actions (probability)",
      kind: "sticky-action",
      strengths: STICKY,
      nominal: 0,
    },
    ...(PHYSICS[envId] ?? []).map((p) => ({ ...p, strengths: [...p.strengths] })),
  ];
}

export interface RobustnessPoint {
  strength: number;
  meanReturn: number;
  stdReturn: number;
}

export interface PerturbationResult extends Perturbation {
  /** Per policy name, one point per strength, in `strengths` order. */
  results: Record<string, RobustnessPoint[]>;
}

export interface RobustnessResult {
  env: string;
  episodes: number;
  seed: number;
  perturbations: PerturbationResult[];
  /** Set when Ctrl-C stopped the suite: `perturbations` holds the ones finished before it. */
  interrupted?: boolean;
}

export interface RobustnessOptions {
  /** Episodes per (perturbation, strength, policy). */
  episodes: number;
  /** Default 0. */
  seed?: number;
  /** The table to run, or names to pick from the default table. Default: the whole default table. */
  perturbations?: Perturbation[] | string[];
  numEnvs?: number;
  /** Default true. */
  deterministic?: boolean;
  /** Base kwargs for `make()`; physics perturbations override their own key. */
  kwargs?: Record<string, unknown>;
}

function resolveTable(envId: string, chosen: RobustnessOptions["perturbations"]): Perturbation[] {
  if (chosen === undefined) return defaultPerturbations(envId);
  if (chosen.every((c): c is string => typeof c === "string")) {
    const table = defaultPerturbations(envId);
    return chosen.map((name) => {
      const p = table.find((t) => t.name === name);
      if (!p)
        throw new ConfigError(
          "perturbations",
          `unknown "${name}" for ${envId}; allowed: ${table.map((t) => t.name).join(", ")}`,
        );
      return p;
    });
  }
  return chosen as Perturbation[];
}

/** Env settings for one strength of one perturbation: make kwargs and a wrapper. */
function setting(p: Perturbation, strength: number, seed: number, base: Record<string, unknown>) {
  if (p.kind === "kwarg") {
    if (!p.param) throw new ConfigError(`perturbations.${p.name}.param`, "required for kind kwarg");
    return { kwargs: { ...base, [p.param]: strength }, wrap: undefined };
  }
  if (strength === 0) return { kwargs: base, wrap: undefined };
  const wrap = (env: Env): Env => {
    switch (p.kind) {
      case "obs-noise":
        return new ObservationNoise(env, { std: strength, seed }) as Env;
      case "action-noise":
        return new ActionNoise(
          env,
          env.actionSpace.type === "Box" ? { std: strength, seed } : { p: strength, seed },
        ) as Env;
      case "sticky-action":
        return new StickyAction(env, { p: strength, seed }) as Env;
      default:
        throw new ConfigError(
          `perturbations.${p.name}.kind`,
          `allowed: obs-noise, action-noise, sticky-action, kwarg; got ${String(p.kind)}`,
        );
    }
  };
  return { kwargs: base, wrap };
}

/** One evaluation of the suite: a policy at one strength of one perturbation, with its env settings. */
interface Cell {
  perturbation: number;
  name: string;
  strength: number;
  /** Shared by every perturbation's nominal strength: evaluated once per policy. */
  nominalKey?: string;
  kwargs: Record<string, unknown>;
  wrap?: (env: Env) => Env;
}

/** The suite as a list of cells, in result order; checks the options first. */
function plan(policies: Record<string, Policy>, envId: string, opts: RobustnessOptions) {
  const names = Object.keys(policies);
  if (!names.length) throw new ConfigError("policies", "give at least one named policy");
  const seed = opts.seed ?? 0;
  const base = opts.kwargs ?? {};
  const table = resolveTable(envId, opts.perturbations);
  const cells: Cell[] = [];
  table.forEach((p, k) => {
    for (const name of names) {
      for (const strength of p.strengths) {
        // (Unless the base kwargs move this very parameter away from its default.)
        if (strength === p.nominal && !(p.param && p.param in base))
          cells.push({ perturbation: k, name, strength, nominalKey: name, kwargs: base });
        else cells.push({ perturbation: k, name, strength, ...setting(p, strength, seed, base) });
      }
    }
  });
  const evalOpts = (c: Cell) => ({
    episodes: opts.episodes,
    seed,
    numEnvs: opts.numEnvs,
    deterministic: opts.deterministic,
    kwargs: c.kwargs,
    wrap: c.wrap,
    bootstrapResamples: 1,
  });
  /** The result from the cells evaluated so far (all of them, or those before an interruption). */
  const assemble = (done: Array<{ cell: Cell; r: EvalResult }>, interrupted: boolean): RobustnessResult => {
    const perturbations: PerturbationResult[] = [];
    table.forEach((p, k) => {
      const mine = done.filter((d) => d.cell.perturbation === k);
      if (mine.length !== names.length * p.strengths.length) return; // only whole perturbations
      const results: Record<string, RobustnessPoint[]> = {};
      for (const name of names)
        results[name] = mine
          .filter((d) => d.cell.name === name)
          .map(({ cell, r }) => ({
            strength: cell.strength,
            meanReturn: r.meanReturn,
            stdReturn: r.stdReturn,
          }));
      perturbations.push({ ...p, results });
    });
    return {
      env: envId,
      episodes: opts.episodes,
      seed,
      perturbations,
      ...(interrupted ? { interrupted } : {}),
    };
  };
  return { cells, evalOpts, assemble };
}

/** Mean and std return of each policy at each strength of each perturbation. */
export function evaluateRobustness(
  policies: Record<string, Policy>,
  envId: string,
  opts: RobustnessOptions,
): RobustnessResult {
  const { cells, evalOpts, assemble } = plan(policies, envId, opts);
  const nominal = new Map<string, EvalResult>();
  const done = cells.map((cell) => {
    const cached = cell.nominalKey ? nominal.get(cell.nominalKey) : undefined;
    const r = cached ?? evaluatePolicy(policies[cell.name]!, envId, evalOpts(cell));
    if (cell.nominalKey) nominal.set(cell.nominalKey, r);
    return { cell, r };
  });
  return assemble(done, false);
}

/**
 * `evaluateRobustness` in a loop that yields every 5 ms (the suite runs thousands of episodes):
 * once `signal` is aborted (Ctrl-C) it stops and resolves to the perturbations finished so far,
 * with `interrupted: true`. Same results as the synchronous version otherwise.
 */
export async function evaluateRobustnessAsync(
  policies: Record<string, Policy>,
  envId: string,
  opts: RobustnessOptions & { signal?: AbortSignal },
): Promise<RobustnessResult> {
  const { cells, evalOpts, assemble } = plan(policies, envId, opts);
  const nominal = new Map<string, EvalResult>();
  const done: Array<{ cell: Cell; r: EvalResult }> = [];
  try {
    for (const cell of cells) {
      const cached = cell.nominalKey ? nominal.get(cell.nominalKey) : undefined;
      const r =
        cached ??
        (await evaluatePolicyAsync(policies[cell.name]!, envId, { ...evalOpts(cell), signal: opts.signal }));
      if (cell.nominalKey) nominal.set(cell.nominalKey, r);
      done.push({ cell, r });
    }
  } catch (err) {
    if (!(err instanceof InterruptedError)) throw err;
    return assemble(done, true);
  }
  return assemble(done, false);
}
