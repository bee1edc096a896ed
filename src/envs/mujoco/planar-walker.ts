/**
 * What Hopper-v5 and Walker2d-v5 share (Gymnasium 1.x's `HopperEnv` and `Walker2dEnv`): a planar
 * body on root joints (x slide, z slide, pitch hinge), rewarded for forward speed and for staying
 * healthy, terminated when it falls.
 *
 * Observation: qpos without the root x (unless `excludeCurrentPositionsFromObservation: false`),
 * then qvel clipped to +-10. Reward: `forwardRewardWeight` dx/dt + `healthyReward` (while healthy)
 * - `ctrlCostWeight` |action|^2. Healthy: `healthyZRange[0] < z < healthyZRange[1]`, the pitch
 * inside `healthyAngleRange` (both open intervals), and, for the Hopper, every entry of
 * `[...qpos, ...qvel]` after x and z inside `healthyStateRange`. Reset: qpos and qvel uniform within
 * +-`resetNoiseScale` of the reference pose and rest.
 */
import type { StepResult } from "../../core/env.js";
import type { KwargReader, PhysicsKwargs } from "./kwargs.js";
import { MujocoEnv, type MujocoEnvSetup } from "./mujoco-env.js";

export interface PlanarWalkerKwargs extends PhysicsKwargs {
  /** Weight of the forward velocity. Default 1. */
  forwardRewardWeight?: number;
  /** Weight of the control cost |a|^2. Default 1e-3. */
  ctrlCostWeight?: number;
  /** Reward per step while healthy. Default 1. */
  healthyReward?: number;
  /** End the episode when unhealthy. Default true. */
  terminateWhenUnhealthy?: boolean;
  /** Open range of the torso height z; `null` for an open end. */
  healthyZRange?: readonly [number | null, number | null];
  /** Open range of the torso pitch, rad. */
  healthyAngleRange?: readonly [number | null, number | null];
  /** Half-width of the uniform reset noise on qpos and qvel. Default 5e-3. */
  resetNoiseScale?: number;
  /** Leave the root x out of the observation. Default true. */
  excludeCurrentPositionsFromObservation?: boolean;
}

export const PLANAR_WALKER_KWARGS = [
  "forwardRewardWeight",
  "ctrlCostWeight",
  "healthyReward",
  "terminateWhenUnhealthy",
  "healthyZRange",
  "healthyAngleRange",
  "resetNoiseScale",
  "excludeCurrentPositionsFromObservation",
] as const;

export interface PlanarWalkerDefaults {
  healthyZRange: [number, number];
  healthyAngleRange: [number, number];
  /** Hopper only: the range of every state entry after x and z. */
  healthyStateRange?: [number, number];
}

const clip10 = (v: number): number => Math.min(10, Math.max(-10, v));

export abstract class PlanarWalkerEnv extends MujocoEnv {
  readonly forwardRewardWeight: number;
  readonly ctrlCostWeight: number;
  readonly healthyReward: number;
  readonly terminateWhenUnhealthy: boolean;
  readonly healthyZRange: [number, number];
  readonly healthyAngleRange: [number, number];
  readonly healthyStateRange: [number, number] | undefined;
  readonly resetNoiseScale: number;
  readonly excludeCurrentPositionsFromObservation: boolean;

  constructor(
    setup: Omit<MujocoEnvSetup, "obsSize"> & { nq: number },
    kw: KwargReader,
    defaults: PlanarWalkerDefaults,
  ) {
    const exclude = kw.bool("excludeCurrentPositionsFromObservation", true);
    super({ ...setup, obsSize: 2 * setup.nq - (exclude ? 1 : 0) }, kw);
    this.excludeCurrentPositionsFromObservation = exclude;
    this.forwardRewardWeight = kw.num("forwardRewardWeight", 1);
    this.ctrlCostWeight = kw.num("ctrlCostWeight", 1e-3);
    this.healthyReward = kw.num("healthyReward", 1);
    this.terminateWhenUnhealthy = kw.bool("terminateWhenUnhealthy", true);
    this.healthyZRange = kw.range("healthyZRange", defaults.healthyZRange);
    this.healthyAngleRange = kw.range("healthyAngleRange", defaults.healthyAngleRange);
    this.healthyStateRange =
      defaults.healthyStateRange && kw.range("healthyStateRange", defaults.healthyStateRange);
    this.resetNoiseScale = kw.num("resetNoiseScale", 5e-3, { min: 0 });
  }

  /** Gymnasium's `is_healthy`, on the current state. */
  isHealthy(): boolean {
    const q = this.qpos();
    const inside = (v: number, [lo, hi]: [number, number]): boolean => lo < v && v < hi;
    if (!inside(q[1]!, this.healthyZRange) || !inside(q[2]!, this.healthyAngleRange)) return false;
    const range = this.healthyStateRange;
    if (range) {
      const state = this.getState();
      for (let i = 2; i < state.length; i++) if (!inside(state[i]!, range)) return false;
    }
    return true;
  }

  protected stepWith(action: Float32Array): StepResult<Float32Array> {
    const before = this.qpos()[0]!;
    this.doSimulation(action);
    const after = this.qpos()[0]!;
    const xVelocity = (after - before) / this.dt;
    const healthy = this.isHealthy();
    const forward = this.forwardRewardWeight * xVelocity;
    const survive = healthy ? this.healthyReward : 0;
    const ctrlCost = this.ctrlCostWeight * MujocoEnv.squaredNorm(action);
    return {
      obs: this.observe(),
      reward: forward + survive - ctrlCost,
      terminated: !healthy && this.terminateWhenUnhealthy,
      truncated: false,
      info: {
        x_position: after,
        z_distance_from_origin: this.qpos()[1]! - this.initQpos[1]!,
        x_velocity: xVelocity,
        reward_forward: forward,
        reward_ctrl: -ctrlCost,
        reward_survive: survive,
      },
    };
  }

  protected observe(): Float32Array {
    const q = this.qpos();
    const position = this.excludeCurrentPositionsFromObservation ? q.subarray(1) : q;
    return Float32Array.from([...position, ...Array.from(this.qvel(), clip10)]);
  }

  protected resetModel(): void {
    this.setState(
      this.uniformAround(this.initQpos, this.resetNoiseScale),
      this.uniformAround(this.initQvel, this.resetNoiseScale),
    );
  }

  protected override resetInfo(): Record<string, unknown> {
    return { x_position: this.qpos()[0], z_distance_from_origin: this.qpos()[1]! - this.initQpos[1]! };
  }
}
