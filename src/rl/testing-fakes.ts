/**
 * Tiny envs for the rl tests, registered under "RlTest/..." ids so the algorithms make them by id
 * like any env. Their optimal values are known in closed form.
 */
import type { Env, ResetOptions, ResetResult, StepResult } from "../core/env.js";
import { Rng } from "../core/rng.js";
import { Box, Discrete } from "../core/spaces.js";
import { listEnvs, register } from "../envs/registry.js";

/**
 * Continuous: the observation is a target in [-1, 1], the reward 1 - |action - target|.
 * Never terminates; 8 steps per episode (time limit). Optimal policy: action = observation.
 */
export class TargetEnv implements Env<Float32Array, Float32Array> {
  readonly observationSpace = new Box<Float32Array>(-1, 1, { shape: [1] });
  readonly actionSpace = new Box<Float32Array>(-1, 1, { shape: [1] });
  private rng = new Rng(0);
  private target = 0;

  get unwrapped(): Env<unknown, unknown> {
    return this;
  }

  reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    if (opts.seed !== undefined) this.rng.reseed(opts.seed);
    this.target = this.rng.uniform(-1, 1);
    return { obs: Float32Array.of(this.target), info: {} };
  }

  step(action: Float32Array): StepResult<Float32Array> {
    const reward = 1 - Math.abs(action[0]! - this.target);
    this.target = this.rng.uniform(-1, 1);
    return { obs: Float32Array.of(this.target), reward, terminated: false, truncated: false, info: {} };
  }

  close(): void {}
}

/**
 * Discrete(2), constant observation [1], reward 1 per step whatever the action, never terminates;
 * the time limit cuts episodes after 5 steps. With truncations bootstrapped, V = Q = 1 / (1 - gamma);
 * treating them as terminations would give the mean of (1 - gamma^k) / (1 - gamma), k = 1..5.
 */
export class EndlessEnv implements Env<Float32Array, number> {
  readonly observationSpace = new Box<Float32Array>(0, 1, { shape: [1] });
  readonly actionSpace = new Discrete(2);

  get unwrapped(): Env<unknown, unknown> {
    return this;
  }

  reset(): ResetResult<Float32Array> {
    return { obs: Float32Array.of(1), info: {} };
  }

  step(): StepResult<Float32Array> {
    return { obs: Float32Array.of(1), reward: 1, terminated: false, truncated: false, info: {} };
  }

  close(): void {}
}

/**
 * An image task for convolutional networks: a 6 x 6 x 2 uint8 frame with one lit cell, in channel
 * 0 ("go left") or channel 1 ("go right"), at a random place; Discrete(2), reward 1 when the action
 * matches the lit channel, else 0; 8 steps per episode (time limit). Random actions earn 4, the
 * optimal policy 8. A network must read channels at any position: what a conv layer does well.
 */
export class PixelSideEnv implements Env<Uint8Array, number> {
  readonly observationSpace = new Box<Uint8Array>(0, 1, { shape: [6, 6, 2], dtype: "uint8" });
  readonly actionSpace = new Discrete(2);
  private rng = new Rng(0);
  private side = 0;

  get unwrapped(): Env<unknown, unknown> {
    return this;
  }

  private frame(): Uint8Array {
    const obs = new Uint8Array(72);
    this.side = this.rng.integer(2);
    obs[this.rng.integer(36) * 2 + this.side] = 1;
    return obs;
  }

  reset(opts: ResetOptions = {}): ResetResult<Uint8Array> {
    if (opts.seed !== undefined) this.rng.reseed(opts.seed);
    return { obs: this.frame(), info: {} };
  }

  step(action: number): StepResult<Uint8Array> {
    const reward = action === this.side ? 1 : 0;
    return { obs: this.frame(), reward, terminated: false, truncated: false, info: {} };
  }

  close(): void {}
}

/** Registers "RlTest/Target-v0", "RlTest/Endless-v0" and "RlTest/PixelSide-v0" (once per process). */
export function registerRlTestEnvs(): void {
  if (listEnvs().includes("RlTest/Target-v0")) return;
  register({ id: "RlTest/Target-v0", create: () => new TargetEnv(), maxEpisodeSteps: 8 });
  register({ id: "RlTest/Endless-v0", create: () => new EndlessEnv(), maxEpisodeSteps: 5 });
  register({ id: "RlTest/PixelSide-v0", create: () => new PixelSideEnv(), maxEpisodeSteps: 8 });
}
