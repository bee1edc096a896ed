/** Registration of the MuJoCo envs, with Gymnasium 1.x's step limits and reward thresholds. */
import type { Env } from "../../core/env.js";
import type { EnvRegistration } from "../registry.js";
import { AntEnv } from "./ant.js";
import { HalfCheetahEnv } from "./half-cheetah.js";
import { HopperEnv } from "./hopper.js";
import { InvertedDoublePendulumEnv } from "./inverted-double-pendulum.js";
import { InvertedPendulumEnv } from "./inverted-pendulum.js";
import { ReacherEnv } from "./reacher.js";
import { loadMujoco } from "./runtime.js";
import { Walker2dEnv } from "./walker2d.js";

type Ctor = new (kw: Record<string, unknown>) => Env<unknown, unknown>;

const MUJOCO_ENVS: Array<[string, Ctor, number, number | undefined, string]> = [
  [
    "InvertedPendulum-v5",
    InvertedPendulumEnv,
    1000,
    950,
    "MuJoCo: keep a pole upright on a cart (continuous force).",
  ],
  [
    "InvertedDoublePendulum-v5",
    InvertedDoublePendulumEnv,
    1000,
    9100,
    "MuJoCo: balance two stacked poles on a cart.",
  ],
  ["Reacher-v5", ReacherEnv, 50, -3.75, "MuJoCo: bring a two-link arm's fingertip to a random target."],
  ["HalfCheetah-v5", HalfCheetahEnv, 1000, 4800, "MuJoCo: make a planar cheetah run forward."],
  ["Hopper-v5", HopperEnv, 1000, 3800, "MuJoCo: make a one-legged hopper hop forward without falling."],
  ["Walker2d-v5", Walker2dEnv, 1000, undefined, "MuJoCo: make a planar biped walk forward without falling."],
  ["Ant-v5", AntEnv, 1000, 6000, "MuJoCo: make a four-legged ant walk forward (+x)."],
];

export function registerMujocoEnvs(register: (entry: EnvRegistration) => void): void {
  for (const [id, Env, maxEpisodeSteps, rewardThreshold, description] of MUJOCO_ENVS) {
    register({
      id,
      create: (kw) => new Env(kw),
      maxEpisodeSteps,
      rewardThreshold,
      description,
      prepare: async () => {
        await loadMujoco();
      },
    });
  }
}
