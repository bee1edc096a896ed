/**
 * The environments that ship with rldistill, with Gymnasium 1.4's registry values
 * (step limits and reward thresholds), and the MinAtar games as MinAtar 1.0.15 registers them.
 */

import { AcrobotEnv } from "./acrobot.js";
import { CartPoleEnv } from "./cartpole.js";
import { registerMinAtarEnvs } from "./minatar/index.js";
import { MountainCarEnv } from "./mountain-car.js";
import { MountainCarContinuousEnv } from "./mountain-car-continuous.js";
import { registerMujocoEnvs } from "./mujoco/register.js";
import { PendulumEnv } from "./pendulum.js";
import type { EnvRegistration } from "./registry.js";

export function registerBuiltinEnvs(register: (entry: EnvRegistration) => void): void {
  register({
    id: "CartPole-v1",
    create: (kw) => new CartPoleEnv(kw),
    maxEpisodeSteps: 500,
    rewardThreshold: 475,
    description: "Balance a pole on a moving cart (discrete: push left or right).",
  });
  register({
    id: "Acrobot-v1",
    create: (kw) => new AcrobotEnv(kw),
    maxEpisodeSteps: 500,
    rewardThreshold: -100,
    description: "Swing a two-link underactuated arm up past a line (discrete torque).",
  });
  register({
    id: "MountainCar-v0",
    create: (kw) => new MountainCarEnv(kw),
    maxEpisodeSteps: 200,
    rewardThreshold: -110,
    description: "Drive an underpowered car up a hill by rocking (discrete push).",
  });
  register({
    id: "MountainCarContinuous-v0",
    create: (kw) => new MountainCarContinuousEnv(kw),
    maxEpisodeSteps: 999,
    rewardThreshold: 90,
    description: "Mountain car with a continuous force and an energy penalty.",
  });
  register({
    id: "Pendulum-v1",
    create: (kw) => new PendulumEnv(kw),
    maxEpisodeSteps: 200,
    description: "Swing up and hold an inverted pendulum (continuous torque).",
  });
  registerMinAtarEnvs(register);
  registerMujocoEnvs(register);
}
