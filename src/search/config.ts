/**
 * The one flat config of an architecture search (`rldistill search`, `search()`), defaults written
 * once in `SEARCH_SCHEMA`. Layers, later winning: defaults < presets/search.json[env] < given.
 * Distillation settings of every trial (method, loss, collector, ...) come from the distill preset
 * of the env, overridden by `distill` (CLI: `--distill-set key=value`).
 *
 * How many workers run the trials is not part of the config: it changes the wall time, never the
 * result, so a search resumed with other workers (or a queue) is the same search.
 */
import { type ConfigOf, type ConfigSchema, resolveConfig } from "../core/config.js";
import { ConfigError } from "../core/errors.js";
import { loadPreset } from "../core/presets.js";
import { parseTarget, type Target } from "./rank.js";
import {
  ACTIVATIONS,
  autoKinds,
  OBJECTIVES,
  PRECISIONS,
  type SearchSpace,
  STUDENT_KINDS,
  type StudentIO,
} from "./space.js";

export const SEARCH_SCHEMA = {
  env: { type: "string", default: "", help: "env id to distil on" },
  teacher: { type: "string", default: "", help: "teacher checkpoint (.rldistill) or ONNX file" },
  out: { type: "string", default: "", help: "run folder; default runs/search-<env>-s<seed>" },
  seed: { type: "integer", default: 0, min: 0, help: "seed of candidate sampling and of every trial" },
  objective: {
    type: "string",
    default: "params",
    choices: OBJECTIVES,
    help: "size to minimise: params (acting parameters), bytes (deployed weights: int8 counts 1 per weight) or latency (p50 of one action on this machine, measured once per candidate)",
  },
  target: {
    type: "string",
    default: "retention=0.99,agreement=0.97",
    help: "what the student must keep: retention ((G_s - G_random) / (G_t - G_random)) and greedy-action agreement (discrete actions only); per-env defaults in presets/search.json",
  },
  kinds: {
    type: "string",
    default: "auto",
    help: `student kinds, comma separated (${Object.keys(STUDENT_KINDS).join(", ")}); auto = mlp and conv on image observations, mlp on vectors`,
  },
  depths: {
    type: "integer[]",
    default: [1, 2],
    min: 1,
    minLength: 1,
    help: "numbers of hidden layers to try",
  },
  widths: {
    type: "integer[]",
    default: [2, 4, 8, 16, 32, 64],
    min: 1,
    minLength: 1,
    help: "hidden widths to try (each layer draws one)",
  },
  convDepths: {
    type: "integer[]",
    default: [1],
    min: 1,
    minLength: 1,
    help: "conv students: numbers of convolutions (stride 1, valid) before the dense layers",
  },
  convChannels: {
    type: "integer[]",
    default: [2, 4, 8, 16],
    min: 1,
    minLength: 1,
    help: "conv students: filter counts to try (each convolution draws one)",
  },
  convKernels: {
    type: "integer[]",
    default: [3],
    min: 1,
    minLength: 1,
    help: "conv students: kernel sizes to try",
  },
  activations: {
    type: "string",
    default: "tanh,relu",
    help: `hidden activations to try (${ACTIVATIONS.join(", ")})`,
  },
  precisions: {
    type: "string",
    default: "float32,int8",
    help: `weight precisions to try (${PRECISIONS.join(", ")}); int8 students train quantization-aware (distill's quantizeAware)`,
  },
  maxSteps: {
    type: "integer",
    default: 0,
    min: 0,
    help: "full distillation budget of a trial (env steps); 0 = the env's distill preset",
  },
  minSteps: {
    type: "integer",
    default: 0,
    min: 0,
    help: "smallest budget a trial gets; 0 = maxSteps / eta^3",
  },
  eta: {
    type: "integer",
    default: 3,
    min: 2,
    help: "successive halving keeps 1/eta of each rung and gives it eta times the budget",
  },
  brackets: {
    type: "integer",
    default: 0,
    min: 0,
    help: "Hyperband brackets to run, most exploratory first; 0 = all (Hyperband), 1 = one successive-halving bracket",
  },
  trialEpisodes: { type: "integer", default: 20, min: 1, help: "episodes of each trial's final evaluation" },
  similarityStates: {
    type: "integer",
    default: 2000,
    min: 1,
    help: "states on which each trial's agreement is measured",
  },
  confirmSeeds: { type: "integer", default: 3, min: 1, help: "seeds of the winner's confirmation runs" },
  confirmEpisodes: {
    type: "integer",
    default: 100,
    min: 1,
    help: "episodes of each confirmation evaluation",
  },
  confirmCandidates: {
    type: "integer",
    default: 3,
    min: 1,
    help: "passing candidates to confirm, smallest first, before giving up",
  },
} as const satisfies ConfigSchema;

export type SearchHyper = ConfigOf<typeof SEARCH_SCHEMA>;

export interface SearchConfig extends SearchHyper {
  /** Distill config fields for every trial (over the env's distill preset). */
  distill: Record<string, unknown>;
  /** make() kwargs of the env. */
  envKwargs: Record<string, number>;
}

export function listOf(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

export function resolveSearchConfig(given: Partial<SearchConfig>): SearchConfig {
  const { distill = {}, envKwargs = {}, ...rest } = given;
  const env = typeof rest.env === "string" ? rest.env : "";
  const preset = env ? loadPreset("search", env, SEARCH_SCHEMA).config : {};
  const hyper = resolveConfig(SEARCH_SCHEMA, { ...preset, ...rest }, "search");
  if (hyper.env === "") throw new ConfigError("env", "required: the env id to search on (--env CartPole-v1)");
  if (hyper.teacher === "") throw new ConfigError("teacher", "required: the teacher file (--teacher PATH)");
  if (hyper.out === "") hyper.out = `runs/search-${hyper.env}-s${hyper.seed}`;
  if (typeof distill !== "object" || distill === null || Array.isArray(distill))
    throw new ConfigError("distill", "expected an object of distill config fields");
  for (const k of ["teachers", "out", "env", "seed", "steps", "student"])
    if (k in distill) throw new ConfigError(`distill.${k}`, "is set by the search itself; remove it");
  for (const [k, v] of Object.entries(envKwargs))
    if (typeof v !== "number" || !Number.isFinite(v))
      throw new ConfigError(`envKwargs.${k}`, `expected a finite number, got ${String(v)}`);
  parseTarget(hyper.target);
  if (hyper.minSteps > 0 && hyper.maxSteps > 0 && hyper.minSteps > hyper.maxSteps)
    throw new ConfigError("minSteps", `must be <= maxSteps (${hyper.maxSteps}), got ${hyper.minSteps}`);
  return { ...hyper, distill: { ...distill }, envKwargs: { ...envKwargs } };
}

/** The space of a config; `kinds: "auto"` is resolved against the env's observations. */
export function spaceOf(cfg: SearchConfig, io: StudentIO): SearchSpace {
  return {
    kinds: cfg.kinds.trim() === "auto" ? autoKinds(io) : listOf(cfg.kinds),
    depths: [...cfg.depths],
    widths: [...cfg.widths],
    convDepths: [...cfg.convDepths],
    convChannels: [...cfg.convChannels],
    convKernels: [...cfg.convKernels],
    activations: listOf(cfg.activations) as SearchSpace["activations"],
    precisions: listOf(cfg.precisions) as SearchSpace["precisions"],
  };
}

export function targetOf(cfg: SearchConfig): Target {
  return parseTarget(cfg.target);
}
