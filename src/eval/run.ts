/**
 * `runEval`: everything `rldistill eval` measures, from plain options, so the CLI only loads the
 * policies and writes the result:
 *
 *   const file = runEval({ env: "CartPole-v1", policies: { teacher: tSpec, student: sSpec }, robustness: true });
 *   writeEvalFile("runs/distill-1", file);   // -> runs/distill-1/eval.json, read by writeReport
 *
 * Per policy: returns (SB3 evaluate_policy semantics), size and FLOPs (when a PolicySpec is
 * known) and act() latency. `runEvalAsync` also times each inference path (Float32Array forward,
 * tfjs, onnxruntime) at batch 1 and 64 when `latencyPaths` is set (see inference-paths.ts):
 *
 *   const file = await runEvalAsync({ env, policies, latencyPaths: true }); Between "teacher" and "student": agreement / JS / KL on the states the
 * chosen driver visits, and retention over a uniform-random baseline. Optionally the robustness
 * suite, teacher and student side by side.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../core/errors.js";
import type { DistributionPolicy, Policy } from "../core/policy.js";
import { make, prepareEnv } from "../envs/registry.js";
import { compileSpec } from "../nn/fast.js";
import type { PolicySpec } from "../nn/spec.js";
import { type EvalResult, evaluatePolicy, randomPolicyReturn, retention } from "./evaluate.js";
import {
  type InferencePathsOptions,
  type InferencePathsResult,
  measureInferencePaths,
} from "./inference-paths.js";
import { type Efficiency, efficiencyOf, type Latency, measureActLatencies } from "./latency.js";
import { evaluateRobustness, type Perturbation, type RobustnessResult } from "./robustness.js";
import {
  actionRangeOf,
  collectStates,
  mixturePolicy,
  policySimilarity,
  type Similarity,
  type StateBatch,
} from "./similarity.js";

/** A policy to evaluate: a PolicySpec (compiled to the fast synchronous forward), or a Policy. */
export type PolicyInput =
  | PolicySpec
  | {
      policy: Policy;
      /** Lets size and FLOPs be reported for a policy built elsewhere. */
      spec?: PolicySpec;
      /** Measured size of its int8 artifact, if there is one. */
      int8Bytes?: number;
    };

export interface RunEvalOptions {
  env: string;
  /** Named policies, evaluated in this order; "teacher" and "student" get compared. */
  policies: Record<string, PolicyInput>;
  /** Episodes per policy. Default 10. */
  episodes?: number;
  /** Default 0. */
  seed?: number;
  /** Envs side by side. Default 1. */
  numEnvs?: number;
  /** Greedy actions. Default true. */
  deterministic?: boolean;
  /** make() kwargs (physical parameters). */
  kwargs?: Record<string, unknown>;
  /** Names of the two policies compared. Defaults "teacher" and "student". */
  teacher?: string;
  student?: string;
  /** States for agreement/JS/KL. Default { steps: 2000, driver: "student" }; false to skip. */
  similarity?: false | { steps?: number; driver?: "teacher" | "student" | "mixed"; teacherProb?: number };
  /** act() timing on real observations. Default { warmup: 100, iterations: 1000 }; false to skip. */
  latency?: false | { warmup?: number; iterations?: number };
  /**
   * Latency of every inference path (float32-forward, tfjs, onnxruntime) per batch size, for the
   * policies with a PolicySpec; only `runEvalAsync` measures it (the paths set up asynchronously).
   * Default false; `true` means batches [1, 64], 100 warm-up and up to 1000 timed calls each.
   */
  latencyPaths?:
    | boolean
    | Pick<InferencePathsOptions, "batches" | "warmup" | "iterations" | "budgetMs" | "paths">;
  /** Random baseline for retention. Default true. */
  random?: boolean;
  /** The robustness suite. Default false (it runs many episodes). */
  robustness?: boolean | { episodes?: number; perturbations?: Perturbation[] | string[] };
}

export interface PolicyReport {
  eval: EvalResult;
  efficiency: Efficiency | null;
  latency: Latency | null;
  /** Per inference path and batch size (`latencyPaths`); null when not measured. */
  inference: InferencePathsResult | null;
}

/** The content of eval.json. */
export interface EvalFile {
  env: string;
  seed: number;
  episodes: number;
  policies: Record<string, PolicyReport>;
  random: EvalResult | null;
  /** (student - random) / (teacher - random) of the mean returns. */
  retention: number | null;
  similarity: (Similarity & { teacher: string; student: string; driver: string }) | null;
  robustness: RobustnessResult | null;
}

/** Observations collected for timing (from the first policy's own rollouts). */
const LATENCY_STATES = 256;

function isSpec(p: PolicyInput): p is PolicySpec {
  return "layers" in p && Array.isArray(p.layers);
}

interface Resolved {
  policy: Policy;
  spec: PolicySpec | undefined;
  efficiency: Efficiency | null;
}

function resolvePolicy(name: string, input: PolicyInput): Resolved {
  if (isSpec(input))
    return { policy: compileSpec(input), spec: input, efficiency: efficiencyOf(input, { int8: true }) };
  if (!input || typeof (input as { policy?: Policy }).policy?.act !== "function") {
    throw new ConfigError(
      `policies.${name}`,
      "expected a PolicySpec or { policy, spec? } with an act() method",
    );
  }
  const eff = input.spec ? efficiencyOf(input.spec, { int8: input.int8Bytes ?? true }) : null;
  return { policy: input.policy, spec: input.spec, efficiency: eff };
}

function isDistribution(p: Policy): p is DistributionPolicy {
  return typeof (p as Partial<DistributionPolicy>).distribution === "function";
}

/** Everything but the inference paths; synchronous. Fails on `latencyPaths` (use runEvalAsync). */
export function runEval(opts: RunEvalOptions): EvalFile {
  if (opts.latencyPaths)
    throw new ConfigError(
      "latencyPaths",
      "is measured by runEvalAsync (tfjs and onnxruntime set up asynchronously)",
    );
  return evaluateAll(opts).file;
}

/** The bounds of the env's continuous action space (for action agreement), or undefined. */
function envActionRange(id: string, kwargs: Record<string, unknown> = {}) {
  const env = make(id, kwargs);
  try {
    return actionRangeOf(env);
  } finally {
    env.close();
  }
}

/** runEval, plus `policies[name].inference` when `latencyPaths` is set. */
export async function runEvalAsync(opts: RunEvalOptions): Promise<EvalFile> {
  await prepareEnv(opts.env);
  const { file, resolved, states } = evaluateAll(opts);
  if (!opts.latencyPaths) return file;
  const timing = opts.latencyPaths === true ? {} : opts.latencyPaths;
  // The same observations for every policy, so teacher and student are timed on equal inputs.
  const obs =
    states?.obs ??
    collectStates(resolved[Object.keys(resolved)[0]!]!.policy, opts.env, {
      steps: LATENCY_STATES,
      seed: file.seed,
      kwargs: opts.kwargs,
    }).obs;
  for (const [name, r] of Object.entries(resolved)) {
    if (r.spec)
      file.policies[name]!.inference = await measureInferencePaths(r.spec, { ...timing, states: obs });
  }
  return file;
}

function evaluateAll(opts: RunEvalOptions): {
  file: EvalFile;
  resolved: Record<string, Resolved>;
  states: StateBatch | null;
} {
  const names = Object.keys(opts.policies);
  if (!names.length) throw new ConfigError("policies", "give at least one named policy");
  const seed = opts.seed ?? 0;
  const episodes = opts.episodes ?? 10;
  const resolved = Object.fromEntries(names.map((n) => [n, resolvePolicy(n, opts.policies[n]!)]));
  for (const [field, given] of [
    ["teacher", opts.teacher],
    ["student", opts.student],
  ] as const) {
    if (given !== undefined && !resolved[given])
      throw new ConfigError(field, `"${given}" is not one of the policies: ${names.join(", ")}`);
  }
  const evalOpts = {
    episodes,
    seed,
    numEnvs: opts.numEnvs,
    deterministic: opts.deterministic,
    kwargs: opts.kwargs,
  };

  const latencyStates =
    opts.latency === false
      ? null
      : collectStates(resolved[names[0]!]!.policy, opts.env, {
          steps: LATENCY_STATES,
          seed,
          kwargs: opts.kwargs,
        });
  // Every policy timed through act() on the same states, in turns (specs: the compiled forward).
  const latencies =
    latencyStates && opts.latency !== false
      ? measureActLatencies(
          Object.fromEntries(names.map((n) => [n, resolved[n]!.policy])),
          latencyStates.obs,
          latencyStates.obsSize,
          { warmup: opts.latency?.warmup ?? 100, iterations: opts.latency?.iterations ?? 1000 },
        )
      : null;
  const policies: Record<string, PolicyReport> = {};
  for (const name of names) {
    const { policy, efficiency } = resolved[name]!;
    policies[name] = {
      eval: evaluatePolicy(policy, opts.env, evalOpts),
      efficiency,
      latency: latencies?.[name] ?? null,
      inference: null,
    };
  }

  const tName = opts.teacher ?? "teacher";
  const sName = opts.student ?? "student";
  const teacher = resolved[tName]?.policy;
  const student = resolved[sName]?.policy;

  const random =
    opts.random === false ? null : randomPolicyReturn(opts.env, { episodes, seed, kwargs: opts.kwargs });
  const ret =
    random && teacher && student
      ? retention(policies[sName]!.eval.meanReturn, policies[tName]!.eval.meanReturn, random.meanReturn)
      : null;

  let similarity: EvalFile["similarity"] = null;
  if (opts.similarity !== false && teacher && student && isDistribution(teacher) && isDistribution(student)) {
    const sim = opts.similarity ?? {};
    const driverName = sim.driver ?? "student";
    const driver =
      driverName === "teacher"
        ? teacher
        : driverName === "student"
          ? student
          : driverName === "mixed"
            ? mixturePolicy(teacher, student, { teacherProb: sim.teacherProb ?? 0.5, seed })
            : undefined;
    if (!driver)
      throw new ConfigError(
        "similarity.driver",
        `allowed: teacher, student, mixed; got ${String(driverName)}`,
      );
    const states = collectStates(driver, opts.env, { steps: sim.steps ?? 2000, seed, kwargs: opts.kwargs });
    similarity = {
      ...policySimilarity(teacher, student, states, {
        seed,
        actionRange: envActionRange(opts.env, opts.kwargs),
      }),
      teacher: tName,
      student: sName,
      driver: driverName,
    };
  }

  let robustness: RobustnessResult | null = null;
  if (opts.robustness) {
    const r = opts.robustness === true ? {} : opts.robustness;
    const pols = Object.fromEntries(names.map((n) => [n, resolved[n]!.policy]));
    robustness = evaluateRobustness(pols, opts.env, {
      episodes: r.episodes ?? episodes,
      seed,
      perturbations: r.perturbations,
      numEnvs: opts.numEnvs,
      deterministic: opts.deterministic,
      kwargs: opts.kwargs,
    });
  }

  return {
    file: { env: opts.env, seed, episodes, policies, random, retention: ret, similarity, robustness },
    resolved,
    states: latencyStates,
  };
}

/** Writes eval.json into a run directory; returns its path. */
export function writeEvalFile(runDir: string, file: EvalFile): string {
  const path = join(runDir, "eval.json");
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  return path;
}
