/**
 * `checkEnv(env)`: checks that an env keeps the contract of src/core/env.ts, as Gymnasium's
 * `check_env`: spaces, reset and step return types, observations in the observation space,
 * determinism under a seed, the internal-state round trip, rendering (for envs with `render()`:
 * an RGB frame of uint8, width x height x 3, the same size at every step, the same picture for
 * the same seeded state), and close.
 *
 *   checkEnv(make("MyEnv-v0"), { seed: 0 });            // throws listing every problem
 *   const problems = checkEnv(env, { throwOnProblems: false });
 *
 * The env is stepped, reset and finally closed: pass a fresh env.
 */
import type { Env, ResetResult, StepResult } from "../core/env.js";
import { checkKnownKeys, checkNumber, describeValue, RlDistillError } from "../core/errors.js";
import { Box, Discrete, MultiDiscrete, type Space } from "../core/spaces.js";

export interface CheckEnvOptions {
  /** Seed of the resets and of the action sampler. Default 0. */
  seed?: number;
  /** Steps of each trajectory compared for determinism. Default 200. */
  steps?: number;
  /** Throw an RlDistillError listing every problem (default), or return the list. */
  throwOnProblems?: boolean;
  /**
   * Check that `reset({ options: { state: getState() } })` gives the observation the state was taken
   * at (where the env has a state). Default true; turn off under wrappers that randomise
   * observations (`ObservationNoise`), whose fresh noise differs by design.
   */
  checkState?: boolean;
}

type AnyEnv = Env<unknown, unknown>;

interface Trajectory {
  obs: number[][];
  rewards: unknown[];
  flags: unknown[];
}

export function checkEnv(env: AnyEnv, opts: CheckEnvOptions = {}): string[] {
  checkKnownKeys("checkEnv", opts, ["seed", "steps", "throwOnProblems", "checkState"]);
  const seed = checkNumber("checkEnv.seed", opts.seed ?? 0, { integer: true });
  const steps = checkNumber("checkEnv.steps", opts.steps ?? 200, { integer: true, min: 1 });
  const name = env.spec?.id ?? env.unwrapped?.constructor?.name ?? "env";
  const problems: string[] = [];
  const attempt = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      problems.push(`${what} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
  };

  const spacesOk = checkSpaces(env, problems);
  if (spacesOk) {
    attempt("reset", () => checkReset(env, seed, problems));
    attempt("trajectory", () => checkDeterminism(env, seed, steps, problems));
    if ((opts.checkState ?? true) && typeof env.unwrapped?.getState === "function") {
      attempt("state round trip", () => checkStateRoundTrip(env, seed, problems));
    }
    if (typeof env.unwrapped?.render === "function")
      attempt("render()", () => checkRender(env, seed, problems));
  }
  attempt("close()", () => env.close());
  attempt("a second close()", () => env.close());

  if (problems.length && (opts.throwOnProblems ?? true)) {
    throw new RlDistillError(`checkEnv(${name}): ${problems.length} problem(s):\n- ${problems.join("\n- ")}`);
  }
  return problems;
}

function isSpace(x: unknown): x is Space<unknown> {
  return x instanceof Box || x instanceof Discrete || x instanceof MultiDiscrete;
}

function checkSpaces(env: AnyEnv, problems: string[]): boolean {
  let ok = true;
  for (const key of ["observationSpace", "actionSpace"] as const) {
    const space = env[key];
    if (!isSpace(space)) {
      problems.push(`${key} is not a Box, Discrete or MultiDiscrete instance: ${describeValue(space)}`);
      ok = false;
      continue;
    }
    const sample = space.sample();
    if (!space.contains(sample))
      problems.push(`${key}.sample() returned ${describeValue(sample)}, not in ${space}`);
  }
  return ok;
}

/** Problems with one observation: not in the space, or not the typed array the dtype promises. */
function obsProblem(space: Space<unknown>, obs: unknown): string | undefined {
  if (!space.contains(obs)) return `observation ${describeValue(obs)} is not in ${space}`;
  if (space instanceof Box) {
    const want =
      space.dtype === "float32" ? Float32Array : space.dtype === "uint8" ? Uint8Array : Float64Array;
    if (!(obs instanceof want))
      return `observation is a ${describeValue(obs?.constructor?.name)}, ${space} needs a ${want.name}`;
  }
  return undefined;
}

function isInfo(x: unknown): boolean {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function checkResetResult(env: AnyEnv, result: ResetResult<unknown>, call: string, problems: string[]): void {
  if (!isInfo(result) || !("obs" in result)) {
    problems.push(`${call} must return { obs, info }, got ${describeValue(result)}`);
    return;
  }
  const p = obsProblem(env.observationSpace, result.obs);
  if (p) problems.push(`${call}: ${p}`);
  if (!isInfo(result.info))
    problems.push(`${call}: info must be an object, got ${describeValue(result.info)}`);
}

function checkReset(env: AnyEnv, seed: number, problems: string[]): void {
  const first = env.reset({ seed });
  checkResetResult(env, first, `reset({ seed: ${seed} })`, problems);
  const firstObs = flat(first.obs);
  const unseeded = env.reset();
  checkResetResult(env, unseeded, "reset()", problems);
  const again = flat(env.reset({ seed }).obs);
  if (!sameNumbers(firstObs, again)) {
    problems.push(
      `reset({ seed: ${seed} }) twice gave different observations: ${describeValue(firstObs)} then ${describeValue(again)}`,
    );
  }
}

/** The step's problems of type; only the first of each kind is reported. */
function checkStepResult(env: AnyEnv, r: StepResult<unknown>, seen: Set<string>, problems: string[]): void {
  const report = (kind: string, message: string): void => {
    if (seen.has(kind)) return;
    seen.add(kind);
    problems.push(message);
  };
  if (!isInfo(r)) {
    report(
      "result",
      `step() must return { obs, reward, terminated, truncated, info }, got ${describeValue(r)}`,
    );
    return;
  }
  const p = obsProblem(env.observationSpace, r.obs);
  if (p) report("obs", `step(): ${p}`);
  if (typeof r.reward !== "number" || Number.isNaN(r.reward)) {
    report("reward", `step(): reward must be a number, got ${describeValue(r.reward)}`);
  }
  for (const flag of ["terminated", "truncated"] as const) {
    if (typeof r[flag] !== "boolean")
      report(flag, `step(): ${flag} must be a boolean, got ${describeValue(r[flag])}`);
  }
  if (!isInfo(r.info)) report("info", `step(): info must be an object, got ${describeValue(r.info)}`);
}

function rollout(env: AnyEnv, seed: number, steps: number, problems?: string[]): Trajectory {
  const traj: Trajectory = { obs: [flat(env.reset({ seed }).obs)], rewards: [], flags: [] };
  env.actionSpace.seed(seed);
  const seen = new Set<string>();
  for (let t = 0; t < steps; t++) {
    const r = env.step(env.actionSpace.sample());
    if (problems) checkStepResult(env, r, seen, problems);
    traj.obs.push(flat(r.obs));
    traj.rewards.push(r.reward);
    traj.flags.push(`${r.terminated}/${r.truncated}`);
    if (r.terminated || r.truncated) traj.obs.push(flat(env.reset().obs));
  }
  return traj;
}

function checkDeterminism(env: AnyEnv, seed: number, steps: number, problems: string[]): void {
  const a = rollout(env, seed, steps, problems);
  const b = rollout(env, seed, steps);
  const firstObs = a.obs.findIndex((o, i) => !sameNumbers(o, b.obs[i] ?? []));
  const firstReward = a.rewards.findIndex((r, i) => !Object.is(r, b.rewards[i]));
  const firstFlag = a.flags.findIndex((f, i) => f !== b.flags[i]);
  if (firstObs >= 0 || firstReward >= 0 || firstFlag >= 0) {
    const at = Math.min(...[firstObs, firstReward, firstFlag].filter((i) => i >= 0));
    problems.push(
      `two runs with reset({ seed: ${seed} }) and actionSpace.seed(${seed}) diverged (first difference near step ${at}): the env must draw randomness only from its seeded generator`,
    );
  }
}

function checkStateRoundTrip(env: AnyEnv, seed: number, problems: string[]): void {
  let { obs } = env.reset({ seed });
  let state = env.getState!();
  env.actionSpace.seed(seed + 1);
  // A few steps in, but never past the end of the episode: a terminal state need not be restorable.
  for (let t = 0; t < 5; t++) {
    const r = env.step(env.actionSpace.sample());
    if (r.terminated || r.truncated) break;
    obs = r.obs;
    state = env.getState!();
  }
  if (
    !Array.isArray(state) ||
    state.length === 0 ||
    !state.every((v) => typeof v === "number" && Number.isFinite(v))
  ) {
    problems.push(`getState() must return a non-empty array of finite numbers, got ${describeValue(state)}`);
    return;
  }
  const expected = flat(obs);
  const restored = env.reset({ options: { state: [...state] } });
  const got = flat(restored.obs);
  if (!closeNumbers(expected, got)) {
    problems.push(
      `reset({ options: { state: getState() } }) gave observation ${describeValue(got)}, expected ${describeValue(expected)}`,
    );
  }
  const after = env.getState!();
  if (!closeNumbers(state, after)) {
    problems.push(
      `getState() after reset({ options: { state } }) is ${describeValue(after)}, expected ${describeValue(state)}`,
    );
  }
}

/** What is wrong with one rendered frame (not an RgbFrame of uint8 RGB bytes), else undefined. */
function frameProblem(frame: unknown): string | undefined {
  if (!isInfo(frame)) return `must return { width, height, data }, got ${describeValue(frame)}`;
  const { width, height, data } = frame as { width?: unknown; height?: unknown; data?: unknown };
  if (!(typeof width === "number" && Number.isInteger(width) && width > 0))
    return `width must be a positive integer, got ${describeValue(width)}`;
  if (!(typeof height === "number" && Number.isInteger(height) && height > 0))
    return `height must be a positive integer, got ${describeValue(height)}`;
  if (!(data instanceof Uint8Array)) {
    const kind = (data as object | null | undefined)?.constructor?.name ?? data;
    return `data must be a Uint8Array of RGB bytes, got ${describeValue(kind)}`;
  }
  if (data.length !== width * height * 3)
    return `data has ${data.length} bytes, width x height x 3 = ${width} x ${height} x 3 = ${width * height * 3}`;
  return undefined;
}

/**
 * render() after a seeded reset and along a few steps: every frame valid and of the first frame's
 * size (a video needs one size), and the seeded start drawn the same twice.
 */
function checkRender(env: AnyEnv, seed: number, problems: string[]): void {
  env.reset({ seed });
  const first = env.render!();
  const bad = frameProblem(first);
  if (bad) {
    problems.push(`render() after reset({ seed: ${seed} }): ${bad}`);
    return;
  }
  const firstBytes = first.data.slice();
  env.actionSpace.seed(seed);
  for (let t = 1; t <= 10; t++) {
    const r = env.step(env.actionSpace.sample());
    if (r.terminated || r.truncated) env.reset();
    const frame = env.render!();
    const problem = frameProblem(frame);
    if (problem) {
      problems.push(`render() at step ${t}: ${problem}`);
      return;
    }
    if (frame.width !== first.width || frame.height !== first.height) {
      problems.push(
        `render() changed size: ${first.width} x ${first.height} after reset, ${frame.width} x ${frame.height} at step ${t} (a video needs one size)`,
      );
      return;
    }
  }
  env.reset({ seed });
  const again = env.render!();
  if (!frameProblem(again) && !sameBytes(firstBytes, again.data))
    problems.push(`render() drew reset({ seed: ${seed} })'s state differently the second time`);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function flat(x: unknown): number[] {
  if (typeof x === "number") return [x];
  if (Array.isArray(x) || ArrayBuffer.isView(x)) return Array.from(x as ArrayLike<number>);
  return [Number.NaN];
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

/** Equal up to float32 rounding: a state may be stored as float32 while its observation is derived from it. */
function closeNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) <= 1e-6 * Math.max(1, Math.abs(v)));
}
