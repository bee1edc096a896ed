/**
 * InvertedDoublePendulum-v5: balance two poles stacked on a cart, as Gymnasium 1.x's
 * `InvertedDoublePendulumEnv`.
 *
 * Observation (9): [cart x, sin(angle1), sin(angle2), cos(angle1), cos(angle2), cart velocity,
 * angular velocity 1, angular velocity 2 (velocities clipped to +-10), the cart's constraint force
 * clipped to +-10].
 * Reward: `healthyReward` (10) while the tip stands above y = 1 m, minus a distance penalty
 * 0.01 x_tip^2 + (y_tip - 2)^2 and a velocity penalty 1e-3 w1^2 + 5e-3 w2^2. Terminated when the
 * tip's height is <= 1 m. Reset: qpos uniform within +-`resetNoiseScale`, qvel Gaussian with std
 * `resetNoiseScale`. dt = 0.01 s x 5 frames = 0.05 s; 1000 steps; reward threshold 9100.
 *
 * Model (our MJCF; figures from Gymnasium's assets/inverted_double_pendulum.xml): a cart capsule
 * (radius 0.1, half-length 0.1) on a slider limited to [-1, 1] m (margin 0.01), two pole capsules of
 * radius 0.045 and length 0.6 on unlimited hinges, damping 0.05, geoms that never collide, a site
 * at the tip, a motor on the slider with gear 500 and control in [-1, 1], RK4 at 0.01 s, gravity
 * (1e-5, 0, -9.81) (the tiny x part breaks the symmetry of an upright start).
 */
import type { StepResult } from "../../core/env.js";
import { type PhysicsKwargs, readKwargs } from "./kwargs.js";
import { MujocoEnv } from "./mujoco-env.js";

export interface InvertedDoublePendulumKwargs extends PhysicsKwargs {
  /** Reward per step while the tip is above 1 m. Default 10. */
  healthyReward?: number;
  /** Scale of the reset noise (uniform on qpos, Gaussian std on qvel). Default 0.1. */
  resetNoiseScale?: number;
}

const XML = `
<mujoco model="rldistill inverted double pendulum">
  <option timestep="0.01" integrator="RK4" gravity="1e-5 0 -9.81"/>
  <default>
    <joint damping="0.05"/>
    <geom contype="0" friction="1 0.1 0.1" rgba="0.7 0.7 0 1"/>
  </default>
  <worldbody>
    <geom name="floor" type="plane" pos="0 0 -3" size="40 40 40" rgba="0.8 0.9 0.8 1"/>
    <geom name="rail" type="capsule" size="0.02" fromto="1 0 0 -1 0 0" rgba="0.3 0.3 0.7 1"/>
    <body name="cart">
      <joint name="slider" type="slide" axis="1 0 0" range="-1 1" margin="0.01"/>
      <geom name="cart" type="capsule" size="0.1" fromto="0.1 0 0 -0.1 0 0"/>
      <body name="pole">
        <joint name="hinge" type="hinge" axis="0 1 0"/>
        <geom name="cpole" type="capsule" size="0.045" fromto="0 0 0 0 0 0.6" rgba="0 0.7 0.7 1"/>
        <body name="pole2" pos="0 0 0.6">
          <joint name="hinge2" type="hinge" axis="0 1 0"/>
          <geom name="cpole2" type="capsule" size="0.045" fromto="0 0 0 0 0 0.6" rgba="0 0.7 0.7 1"/>
          <site name="tip" pos="0 0 0.6" size="0.01"/>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="slide" joint="slider" gear="500" ctrlrange="-1 1"/>
  </actuator>
</mujoco>`;

const clip10 = (v: number): number => Math.min(10, Math.max(-10, v));

export class InvertedDoublePendulumEnv extends MujocoEnv {
  readonly healthyReward: number;
  readonly resetNoiseScale: number;

  constructor(kwargs: InvertedDoublePendulumKwargs = {}) {
    const kw = readKwargs("InvertedDoublePendulum", kwargs, ["healthyReward", "resetNoiseScale"]);
    super(
      {
        name: "InvertedDoublePendulum",
        xml: XML,
        frameSkip: 5,
        obsSize: 9,
        view: { plane: "xz", width: 240, height: 200, pixelsPerMeter: 70, center: 0.6 },
      },
      kw,
    );
    this.healthyReward = kw.num("healthyReward", 10);
    this.resetNoiseScale = kw.num("resetNoiseScale", 0.1, { min: 0 });
  }

  protected stepWith(action: Float32Array): StepResult<Float32Array> {
    this.doSimulation(action);
    const tip = this.data.site_xpos as Float64Array;
    const x = tip[0]!;
    const y = tip[2]!;
    const obs = this.observe();
    const terminated = y <= 1;
    const qvel = this.qvel();
    const distPenalty = 0.01 * x * x + (y - 2) ** 2;
    const velPenalty = 1e-3 * qvel[1]! ** 2 + 5e-3 * qvel[2]! ** 2;
    const alive = terminated ? 0 : this.healthyReward;
    return {
      obs,
      reward: alive - distPenalty - velPenalty,
      terminated,
      truncated: false,
      info: { reward_survive: alive, distance_penalty: -distPenalty, velocity_penalty: -velPenalty },
    };
  }

  protected observe(): Float32Array {
    const q = this.qpos();
    const v = this.qvel();
    const constraint = this.data.qfrc_constraint as Float64Array;
    return Float32Array.from([
      q[0]!,
      Math.sin(q[1]!),
      Math.sin(q[2]!),
      Math.cos(q[1]!),
      Math.cos(q[2]!),
      clip10(v[0]!),
      clip10(v[1]!),
      clip10(v[2]!),
      clip10(constraint[0]!),
    ]);
  }

  protected resetModel(): void {
    const qpos = this.uniformAround(this.initQpos, this.resetNoiseScale);
    const qvel = this.normalAround(this.initQvel, this.resetNoiseScale);
    this.setState(qpos, qvel);
  }
}
