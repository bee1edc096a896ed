/**
 * Small fake environments for tests (as Acme's `testing/fakes.py`): their outputs are easy to
 * predict, so wrapper, vector and checker tests can assert exact values without real physics.
 */
import type { Env, EnvSpec, Info, ResetOptions, ResetResult, RgbFrame, StepResult } from "../core/env.js";
import { checkKnownKeys, checkNumber } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { Box, Discrete } from "../core/spaces.js";

export interface CountingEnvArgs {
  /** Steps until `terminated`. Default 5. */
  episodeLength?: number;
  /** Size of the Discrete action space. Default 3. */
  nActions?: number;
}

/**
 * Observation `[t, u]`: `t` counts steps in the episode, `u` is a uniform draw from the env's
 * seeded generator (fresh at reset and at each step). Reward = the action index.
 * Terminates when `t` reaches `episodeLength`. Internal state `[t, u]`.
 */
export class CountingEnv implements Env<Float32Array, number> {
  readonly observationSpace: Box<Float32Array>;
  readonly actionSpace: Discrete;
  readonly episodeLength: number;
  /** Actions received, in order, since construction (lets tests see what wrappers passed on). */
  readonly received: number[] = [];
  closed = false;
  spec?: EnvSpec;
  private rng = new Rng(0);
  private t = 0;
  private u = 0;

  constructor(args: CountingEnvArgs = {}) {
    checkKnownKeys("CountingEnv", args, ["episodeLength", "nActions"]);
    this.episodeLength = checkNumber("episodeLength", args.episodeLength ?? 5, { integer: true, min: 1 });
    const nActions = checkNumber("nActions", args.nActions ?? 3, { integer: true, min: 1 });
    this.observationSpace = new Box<Float32Array>([0, 0], [1e6, 1]);
    this.actionSpace = new Discrete(nActions);
  }

  get unwrapped(): Env<unknown, unknown> {
    return this;
  }

  reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    if (opts.seed !== undefined) this.rng.reseed(opts.seed);
    const state = opts.options?.["state"] as number[] | undefined;
    if (state) {
      this.t = state[0]!;
      this.u = state[1]!;
    } else {
      this.t = 0;
      this.u = this.rng.random();
    }
    return { obs: this.obs(), info: {} };
  }

  step(action: number): StepResult<Float32Array> {
    this.received.push(action);
    this.t++;
    this.u = this.rng.random();
    const info: Info = { t: this.t };
    return {
      obs: this.obs(),
      reward: action,
      terminated: this.t >= this.episodeLength,
      truncated: false,
      info,
    };
  }

  getState(): number[] {
    return [this.t, this.u];
  }

  close(): void {
    this.closed = true;
  }

  private obs(): Float32Array {
    return Float32Array.of(this.t, this.u);
  }
}

export interface EchoEnvArgs {
  actDim?: number;
  low?: number;
  high?: number;
  /** Steps until `truncated` (this env never terminates). Default 10. */
  episodeLength?: number;
}

/**
 * Continuous actions in `Box(low, high, [actDim])`; the observation is the action it received,
 * so tests see exactly what action wrappers passed on. Reward = sum of the action.
 */
export class EchoEnv implements Env<Float32Array, Float32Array> {
  readonly observationSpace: Box<Float32Array>;
  readonly actionSpace: Box<Float32Array>;
  readonly episodeLength: number;
  spec?: EnvSpec;
  private t = 0;

  constructor(args: EchoEnvArgs = {}) {
    checkKnownKeys("EchoEnv", args, ["actDim", "low", "high", "episodeLength"]);
    const actDim = checkNumber("actDim", args.actDim ?? 2, { integer: true, min: 1 });
    this.episodeLength = checkNumber("episodeLength", args.episodeLength ?? 10, { integer: true, min: 1 });
    this.actionSpace = new Box<Float32Array>(args.low ?? -1, args.high ?? 1, { shape: [actDim] });
    this.observationSpace = new Box<Float32Array>(-Infinity, Infinity, { shape: [actDim] });
  }

  get unwrapped(): Env<unknown, unknown> {
    return this;
  }

  reset(): ResetResult<Float32Array> {
    this.t = 0;
    return { obs: new Float32Array(this.actionSpace.size), info: {} };
  }

  step(action: Float32Array): StepResult<Float32Array> {
    this.t++;
    let sum = 0;
    for (let i = 0; i < action.length; i++) sum += action[i]!;
    return {
      obs: Float32Array.from(action),
      reward: sum,
      terminated: false,
      truncated: this.t >= this.episodeLength,
      info: {},
    };
  }

  close(): void {}
}

/** Defects `BrokenEnv` can show, to prove that `checkEnv` catches each of them. */
export type BrokenEnvDefect =
  | "unseeded-reset"
  | "obs-out-of-space"
  | "reward-not-number"
  | "flags-not-boolean"
  | "state-not-restored"
  | "close-throws"
  | "render-short-data"
  | "render-float-data"
  | "render-size-changes";

/** A `CountingEnv` look-alike that breaks the env contract in the chosen ways. */
export class BrokenEnv implements Env<Float32Array, number> {
  readonly observationSpace = new Box<Float32Array>([0, 0], [1e6, 1]);
  readonly actionSpace = new Discrete(2);
  private readonly defects: Set<BrokenEnvDefect>;
  private readonly inner = new CountingEnv({ episodeLength: 8, nActions: 2 });
  private resets = 0;

  constructor(defects: readonly BrokenEnvDefect[]) {
    this.defects = new Set(defects);
  }

  get unwrapped(): Env<unknown, unknown> {
    return this;
  }

  reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    this.resets++;
    const seeded = this.defects.has("unseeded-reset") && opts.seed !== undefined;
    let innerOpts = seeded ? { ...opts, seed: opts.seed! + this.resets } : opts;
    if (this.defects.has("state-not-restored") && opts.options?.["state"]) innerOpts = { seed: opts.seed };
    return this.inner.reset(innerOpts);
  }

  step(action: number): StepResult<Float32Array> {
    const result = this.inner.step(action);
    if (this.defects.has("obs-out-of-space")) result.obs[1] = 2;
    if (this.defects.has("reward-not-number")) (result as { reward: unknown }).reward = String(result.reward);
    if (this.defects.has("flags-not-boolean")) (result as { terminated: unknown }).terminated = 0;
    return result;
  }

  getState(): number[] {
    return this.inner.getState();
  }

  /** A 2 x 1 picture of the state: the step count in red, the draw in green (each pixel). */
  render(): RgbFrame {
    const [t, u] = this.inner.getState() as [number, number];
    const width = this.defects.has("render-size-changes") && t > 2 ? 3 : 2;
    const pixel = [Math.min(255, 10 * t), Math.round(255 * u), 0];
    const bytes = Array.from({ length: width }, () => pixel).flat();
    if (this.defects.has("render-short-data")) bytes.pop();
    const data = this.defects.has("render-float-data") ? Float32Array.from(bytes) : Uint8Array.from(bytes);
    return { width, height: 1, data: data as Uint8Array };
  }

  close(): void {
    if (this.defects.has("close-throws")) throw new Error("close failed");
  }
}

/** Factory in the `WorkerVectorEnv` module-factory form: `(index, kwargs) => Env`. */
export function makeCountingEnv(_index: number, kwargs: Record<string, unknown>): CountingEnv {
  return new CountingEnv(kwargs as CountingEnvArgs);
}
