/**
 * Evaluation glue for distillation runs, over src/eval: returns of teacher, student and random
 * policies, and how alike the student acts, measured on the states the greedy student visits
 * (those are the states the deployed student meets; Czarnecki et al. 2019 argue the state
 * distribution matters, and teacher states would flatter a student that drifts).
 */
import type { Env } from "../core/env.js";
import { checkInterrupt, InterruptedError } from "../core/interrupt.js";
import type { Action, DistributionPolicy } from "../core/policy.js";
import { Rng } from "../core/rng.js";
import { categoricalJS, gaussianJS } from "../eval/divergence.js";
import { type EvalResult, evaluatePolicyAsync, randomPolicy } from "../eval/evaluate.js";
import { collectStates } from "../eval/similarity.js";
import { bootstrapCI, iqm, mean, std } from "../eval/stats.js";
import { argmaxRows, softmaxRows } from "../nn/distributions.js";
import type { EvalFigures } from "./run-dir.js";
import { type Teacher, type TeacherBatch, teacherActions, teacherPolicy } from "./teacher.js";

export type EnvFactory = (index: number) => Env;

export function figures(r: Pick<EvalResult, "meanReturn" | "stdReturn" | "iqm" | "returns">): EvalFigures {
  return { mean_return: r.meanReturn, std_return: r.stdReturn, iqm: r.iqm, episodes: r.returns.length };
}

/**
 * Greedy returns of a policy over `episodes` episodes from `seed` (SB3's evaluate_policy
 * semantics). The loop yields every 5 ms and stops with an InterruptedError once `signal` is
 * aborted (Ctrl-C), so evaluations never hold back a stop.
 */
export function evaluateReturns(
  policy: DistributionPolicy | { act: DistributionPolicy["act"] },
  makeEnv: EnvFactory,
  episodes: number,
  seed: number,
  signal?: AbortSignal,
): Promise<EvalResult> {
  return evaluatePolicyAsync(policy, makeEnv, { episodes, seed, bootstrapResamples: 200, signal });
}

/** Uniform random actions: the zero point of retention. */
export function evaluateRandom(
  makeEnv: EnvFactory,
  episodes: number,
  seed: number,
  signal?: AbortSignal,
): Promise<EvalResult> {
  const probe = makeEnv(0);
  const policy = randomPolicy(probe.actionSpace, seed);
  probe.close();
  return evaluatePolicyAsync(policy, makeEnv, {
    episodes,
    seed,
    deterministic: false,
    bootstrapResamples: 200,
    signal,
  });
}

/**
 * Greedy returns of a teacher: through `evaluateReturns` when it can act synchronously, else
 * (ONNX) with the same per-env seeding in an asynchronous loop.
 */
export async function evaluateTeacher(
  teacher: Teacher,
  makeEnv: EnvFactory,
  episodes: number,
  seed: number,
  signal?: AbortSignal,
): Promise<EvalResult> {
  if (teacher.predictSync) return evaluateReturns(teacherPolicy(teacher), makeEnv, episodes, seed, signal);
  const returns: number[] = [];
  const lengths: number[] = [];
  for (let e = 0; e < episodes; e++) {
    const env = makeEnv(0) as Env<Float32Array, Action>;
    let obs = Float32Array.from(env.reset({ seed: seed + e }).obs);
    let total = 0;
    let steps = 0;
    for (;;) {
      const out = await teacher.predict(obs, 1);
      const r = env.step(teacherActions(out, teacher.actionSpace)[0]!);
      await checkInterrupt(signal);
      total += r.reward;
      steps++;
      if (r.terminated || r.truncated) break;
      obs = Float32Array.from(r.obs);
    }
    env.close();
    returns.push(total);
    lengths.push(steps);
  }
  return {
    env: null,
    episodes,
    returns,
    lengths,
    meanReturn: mean(returns),
    stdReturn: std(returns),
    iqm: iqm(returns),
    ci95: bootstrapCI(returns, { seed, resamples: 200 }),
    successRate: null,
    rewardThreshold: null,
    meanLength: mean(lengths),
    seed,
    deterministic: true,
  };
}

/**
 * The teacher's outputs for n observations, asked in chunks of SIMILARITY_CHUNK rows with a turn of
 * the event loop between them: one call on 5000 states of a 256-256 teacher takes ~0.4 s, too long
 * to hold back Ctrl-C. Rows are independent, so the result equals one call's.
 */
async function predictInChunks(
  teacher: Teacher,
  obs: Float32Array,
  n: number,
  obsSize: number,
  signal?: AbortSignal,
): Promise<TeacherBatch> {
  if (n <= SIMILARITY_CHUNK) return teacher.predict(obs, n);
  const k = teacher.actionSize;
  const outputs = new Float32Array(n * k);
  let logStd: Float32Array | undefined;
  let kind: TeacherBatch["kind"] = teacher.kind;
  for (let start = 0; start < n; start += SIMILARITY_CHUNK) {
    await checkInterrupt(signal);
    const m = Math.min(SIMILARITY_CHUNK, n - start);
    const part = await teacher.predict(obs.subarray(start * obsSize, (start + m) * obsSize), m);
    kind = part.kind;
    outputs.set(part.outputs, start * k);
    if (part.logStd) {
      logStd ??= new Float32Array(n * k);
      logStd.set(part.logStd, start * k);
    }
  }
  return { kind, n, actionSize: k, outputs, logStd, features: {} };
}

const SIMILARITY_CHUNK = 512;

export interface SimilarityFigures {
  /** Greedy-action agreement (discrete), null for continuous actions. */
  agreement: number | null;
  /** Mean Jensen-Shannon divergence (natural log) between teacher and student action distributions. */
  js_divergence: number;
  states: number;
}

/**
 * Agreement and JS divergence of `student` against `teacher` on `states` states visited by the
 * greedy student from `seed`. The teacher labels all states in one batched call.
 */
export async function measureSimilarity(
  teacher: Teacher,
  student: DistributionPolicy,
  makeEnv: EnvFactory,
  states: number,
  seed: number,
  signal?: AbortSignal,
): Promise<SimilarityFigures> {
  const env = makeEnv(0);
  const batch = collectStates(student, env, { steps: states, seed });
  env.close();
  const n = batch.count;
  const k = teacher.actionSize;
  const out = await predictInChunks(teacher, batch.obs, n, batch.obsSize, signal);
  const rng = new Rng(seed);
  let js = 0;
  let agree = 0;
  if (out.kind === "gaussian") {
    for (let r = 0; r < n; r++) {
      const d = student.distribution(batch.obs.subarray(r * batch.obsSize, (r + 1) * batch.obsSize));
      if (d.kind !== "gaussian") throw new TypeError("a Gaussian teacher needs a Gaussian student");
      const mu = out.outputs.subarray(r * k, (r + 1) * k);
      const sd = Array.from({ length: k }, (_, j) => Math.exp(out.logStd?.[r * k + j] ?? 0));
      js += gaussianJS(mu, sd, d.mean, d.std, rng, 64);
    }
    return { agreement: null, js_divergence: js / n, states: n };
  }
  const p = softmaxRows(out.outputs, n, k);
  const greedy = argmaxRows(out.outputs, n, k);
  for (let r = 0; r < n; r++) {
    const d = student.distribution(batch.obs.subarray(r * batch.obsSize, (r + 1) * batch.obsSize));
    if (d.kind !== "categorical") throw new TypeError("a discrete teacher needs a categorical student");
    js += categoricalJS(p.subarray(r * k, (r + 1) * k), d.probs);
    let best = 0;
    for (let j = 1; j < k; j++) if (d.probs[j]! > d.probs[best]!) best = j;
    if (best === greedy[r]) agree++;
  }
  return { agreement: agree / n, js_divergence: js / n, states: n };
}

/**
 * The finished student's return and its similarity to the teacher, from `seed`. An interrupted
 * evaluation is abandoned: `interrupted` is true and its figures are not claimed (null).
 */
export async function finalStudentFigures(
  teacher: Teacher,
  policy: DistributionPolicy,
  makeEnv: EnvFactory,
  cfg: { finalEpisodes: number; similarityStates: number },
  seed: number,
  signal?: AbortSignal,
): Promise<{ interrupted: boolean; studentEval: EvalResult | null; sim: SimilarityFigures | null }> {
  try {
    const studentEval = await evaluateReturns(policy, makeEnv, cfg.finalEpisodes, seed, signal);
    const sim = await measureSimilarity(teacher, policy, makeEnv, cfg.similarityStates, seed, signal);
    return { interrupted: false, studentEval, sim };
  } catch (err) {
    if (!(err instanceof InterruptedError)) throw err;
    return { interrupted: true, studentEval: null, sim: null };
  }
}
