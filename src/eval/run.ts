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
 *
 * Every PolicySpec is checked against the env's spaces before any episode. `runEvalAsync` runs in
 * loops that yield every 5 ms; once `signal` is aborted (Ctrl-C) it stops and resolves to what it
 * measured so far, with `interrupted: true` (unmeasured parts are null, a robustness suite keeps
 * its finished perturbations). The inference-path module (which loads src/deploy for onnxruntime)
 * is imported only when `latencyPaths` asks for it.
 */
import { join } from "node:path";
import { writeJsonAtomic } from "../core/atomic-write.js";
import { checkPolicyFitsEnv } from "../core/compat.js";
import { ConfigError } from "../core/errors.js";
import { checkInterrupt, InterruptedError } from "../core/interrupt.js";
import type { DistributionPolicy, Policy } from "../core/policy.js";
import { make, prepareEnv } from "../envs/registry.js";
import { compileSpec } from "../nn/fast.js";
import type { PolicySpec } from "../nn/spec.js";
import {
  type EvalResult,
  type EvaluateOptions,
  evaluatePolicy,
  evaluatePolicyAsync,
  randomPolicy,
  randomPolicyReturn,
  retention,
  retentionCI,
} from "./evaluate.js";
import type { InferencePathsOptions, InferencePathsResult } from "./inference-paths.js";
import { type Efficiency, efficiencyOf, type Latency, measureActLatencies } from "./latency.js";
import {
  evaluateRobustness,
  evaluateRobustnessAsync,
  type Perturbation,
  type RobustnessResult,
} from "./robustness.js";
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
  /** `runEvalAsync` only: aborted = stop and return what was measured, `interrupted: true`. */
  signal?: AbortSignal;
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
  /** The policies evaluated (an interrupted run lists those finished). */
  policies: Record<string, PolicyReport>;
  random: EvalResult | null;
  /** (student - random) / (teacher - random) of the mean returns. */
  retention: number | null;
  /** Its 95% bootstrap interval over the three policies' episodes (see `retentionCI`). */
  retentionCI95: [number, number] | null;
  similarity: (Similarity & { teacher: string; student: string; driver: string }) | null;
  robustness: RobustnessResult | null;
  /** True when Ctrl-C stopped the evaluation: what was not measured is null or absent. */
  interrupted?: boolean;
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

/** The bounds of the env's continuous action space (for action agreement), or undefined. */
function envActionRange(id: string, kwargs: Record<string, unknown> = {}) {
  const env = make(id, kwargs);
  try {
    return actionRangeOf(env);
  } finally {
    env.close();
  }
}

/** Everything checked before any episode: names, options, and each spec against the env's spaces. */
function prepare(opts: RunEvalOptions) {
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
  const probe = make(opts.env, opts.kwargs ?? {});
  try {
    for (const n of names)
      if (resolved[n]!.spec) checkPolicyFitsEnv(resolved[n]!.spec!, probe, `policies.${n}`);
  } finally {
    probe.close();
  }
  const tName = opts.teacher ?? "teacher";
  const sName = opts.student ?? "student";
  const teacher = resolved[tName]?.policy;
  const student = resolved[sName]?.policy;
  let driver: Policy | undefined;
  const sim = opts.similarity === false ? undefined : (opts.similarity ?? {});
  const compare = sim && teacher && student && isDistribution(teacher) && isDistribution(student);
  if (compare) {
    const d = sim.driver ?? "student";
    driver =
      d === "teacher"
        ? teacher
        : d === "student"
          ? student
          : d === "mixed"
            ? mixturePolicy(teacher, student, { teacherProb: sim.teacherProb ?? 0.5, seed })
            : undefined;
    if (!driver)
      throw new ConfigError("similarity.driver", `allowed: teacher, student, mixed; got ${String(d)}`);
  }
  const evalOpts: EvaluateOptions = {
    episodes,
    seed,
    numEnvs: opts.numEnvs,
    deterministic: opts.deterministic,
    kwargs: opts.kwargs,
  };
  const robustness = opts.robustness
    ? {
        r: opts.robustness === true ? {} : opts.robustness,
        policies: Object.fromEntries(names.map((n) => [n, resolved[n]!.policy])),
      }
    : undefined;
  const file: EvalFile = {
    env: opts.env,
    seed,
    episodes,
    policies: {},
    random: null,
    retention: null,
    retentionCI95: null,
    similarity: null,
    robustness: null,
  };
  return { names, seed, episodes, resolved, tName, sName, driver, sim, evalOpts, robustness, file };
}

type Prepared = ReturnType<typeof prepare>;

function latencyStatesOf(p: Prepared, opts: RunEvalOptions): StateBatch | null {
  if (opts.latency === false) return null;
  return collectStates(p.resolved[p.names[0]!]!.policy, opts.env, {
    steps: LATENCY_STATES,
    seed: p.seed,
    kwargs: opts.kwargs,
  });
}

/** Every policy timed through act() on the same states, in turns (specs: the compiled forward). */
function latenciesOf(
  p: Prepared,
  states: StateBatch | null,
  opts: RunEvalOptions,
): Record<string, Latency> | null {
  if (!states || opts.latency === false) return null;
  return measureActLatencies(
    Object.fromEntries(p.names.map((n) => [n, p.resolved[n]!.policy])),
    states.obs,
    states.obsSize,
    { warmup: opts.latency?.warmup ?? 100, iterations: opts.latency?.iterations ?? 1000 },
  );
}

/** Retention and the teacher/student comparison, once both policies' returns are known. */
function compare(p: Prepared, opts: RunEvalOptions): void {
  const { file } = p;
  const t = file.policies[p.tName];
  const s = file.policies[p.sName];
  if (file.random && t && s) {
    file.retention = retention(s.eval.meanReturn, t.eval.meanReturn, file.random.meanReturn);
    file.retentionCI95 = retentionCI(s.eval.returns, t.eval.returns, file.random.returns, { seed: p.seed });
  }
  if (p.driver) {
    const teacher = p.resolved[p.tName]!.policy as DistributionPolicy;
    const student = p.resolved[p.sName]!.policy as DistributionPolicy;
    const states = collectStates(p.driver, opts.env, {
      steps: p.sim?.steps ?? 2000,
      seed: p.seed,
      kwargs: opts.kwargs,
    });
    file.similarity = {
      ...policySimilarity(teacher, student, states, {
        seed: p.seed,
        actionRange: envActionRange(opts.env, opts.kwargs),
      }),
      teacher: p.tName,
      student: p.sName,
      driver: p.sim?.driver ?? "student",
    };
  }
}

function robustnessOptions(p: Prepared, opts: RunEvalOptions) {
  const r = p.robustness!.r;
  return {
    episodes: r.episodes ?? p.episodes,
    seed: p.seed,
    perturbations: r.perturbations,
    numEnvs: opts.numEnvs,
    deterministic: opts.deterministic,
    kwargs: opts.kwargs,
  };
}

/** Everything but the inference paths; synchronous. Fails on `latencyPaths` (use runEvalAsync). */
export function runEval(opts: RunEvalOptions): EvalFile {
  if (opts.latencyPaths)
    throw new ConfigError(
      "latencyPaths",
      "is measured by runEvalAsync (tfjs and onnxruntime set up asynchronously)",
    );
  const p = prepare(opts);
  const latencies = latenciesOf(p, latencyStatesOf(p, opts), opts);
  for (const name of p.names) {
    const { policy, efficiency } = p.resolved[name]!;
    const latency = latencies?.[name] ?? null;
    p.file.policies[name] = {
      eval: evaluatePolicy(policy, opts.env, p.evalOpts),
      efficiency,
      latency,
      inference: null,
    };
  }
  if (opts.random !== false)
    p.file.random = randomPolicyReturn(opts.env, { episodes: p.episodes, seed: p.seed, kwargs: opts.kwargs });
  compare(p, opts);
  if (p.robustness)
    p.file.robustness = evaluateRobustness(p.robustness.policies, opts.env, robustnessOptions(p, opts));
  return p.file;
}

/**
 * runEval, plus `policies[name].inference` when `latencyPaths` is set, in loops that yield to the
 * event loop and stop at an aborted `signal` (the file then says `interrupted: true`).
 */
export async function runEvalAsync(opts: RunEvalOptions): Promise<EvalFile> {
  await prepareEnv(opts.env);
  const p = prepare(opts);
  const { file } = p;
  const signal = opts.signal;
  try {
    const states = latencyStatesOf(p, opts);
    const latencies = latenciesOf(p, states, opts);
    for (const name of p.names) {
      await checkInterrupt(signal);
      const { policy, efficiency } = p.resolved[name]!;
      const latency = latencies?.[name] ?? null;
      const ev = await evaluatePolicyAsync(policy, opts.env, { ...p.evalOpts, signal });
      file.policies[name] = { eval: ev, efficiency, latency, inference: null };
    }
    if (opts.random !== false) {
      const probe = make(opts.env, opts.kwargs ?? {});
      const random = randomPolicy(probe.actionSpace, p.seed);
      probe.close();
      file.random = await evaluatePolicyAsync(random, opts.env, {
        episodes: p.episodes,
        seed: p.seed,
        kwargs: opts.kwargs,
        deterministic: false,
        signal,
      });
    }
    await checkInterrupt(signal);
    compare(p, opts);
    if (p.robustness) {
      file.robustness = await evaluateRobustnessAsync(p.robustness.policies, opts.env, {
        ...robustnessOptions(p, opts),
        signal,
      });
      if (file.robustness.interrupted) throw new InterruptedError();
    }
    if (opts.latencyPaths) {
      const timing = opts.latencyPaths === true ? {} : opts.latencyPaths;
      const { measureInferencePaths } = await import("./inference-paths.js");
      // The same observations for every policy, so teacher and student are timed on equal inputs.
      const obs =
        states?.obs ??
        collectStates(p.resolved[p.names[0]!]!.policy, opts.env, {
          steps: LATENCY_STATES,
          seed: p.seed,
          kwargs: opts.kwargs,
        }).obs;
      for (const [name, r] of Object.entries(p.resolved)) {
        await checkInterrupt(signal);
        if (r.spec)
          file.policies[name]!.inference = await measureInferencePaths(r.spec, { ...timing, states: obs });
      }
    }
  } catch (err) {
    if (!(err instanceof InterruptedError)) throw err;
    file.interrupted = true;
  }
  return file;
}

/** Writes eval.json (atomically) into a run directory; returns its path. */
export function writeEvalFile(runDir: string, file: EvalFile): string {
  const path = join(runDir, "eval.json");
  writeJsonAtomic(path, file);
  return path;
}
