/**
 * InvertedPendulum-v5: keep a pole upright on a cart, as Gymnasium 1.x's `InvertedPendulumEnv`.
 *
 * Observation (4): [cart position, pole angle, cart velocity, pole angular velocity].
 * Reward: 1 per step while the pole stands, 0 on the step it falls. Terminated when |angle| > 0.2
 * rad or the observation is not finite. Reset: qpos and qvel uniform within +-`resetNoiseScale`.
 * dt = 0.02 s x 2 frames = 0.04 s; 1000 steps (the registration); reward threshold 950.
 *
 * Model (our MJCF; figures from Gymnasium's assets/inverted_pendulum.xml): a cart capsule
 * (radius 0.1, half-length 0.1) on a slider limited to [-1, 1] m, a pole capsule of radius 0.049
 * from the hinge to 0.6 m up (hinge limited to +-90 degrees), damping 1 on both joints, geoms that
 * never collide, inertia from the geoms (density 1000), a motor on the slider with gear 100 and
 * control in [-3, 3], RK4 at 0.02 s.
 */
import type { StepResult } from "../../core/env.js";
import { type PhysicsKwargs, readKwargs } from "./kwargs.js";
import { MujocoEnv } from "./mujoco-env.js";

export interface InvertedPendulumKwargs extends PhysicsKwargs {
  /** Half-width of the uniform noise on qpos and qvel at reset. Default 0.01. */
  resetNoiseScale?: number;
}

const XML = `
<mujoco model="rldistill inverted pendulum">
  <option timestep="0.02" integrator="RK4" gravity="0 0 -9.81"/>
  <default>
    <joint damping="1"/>
    <geom contype="0" friction="1 0.1 0.1" rgba="0.7 0.7 0 1"/>
  </default>
  <worldbody>
    <geom name="rail" type="capsule" size="0.02" fromto="1 0 0 -1 0 0" rgba="0.3 0.3 0.7 1"/>
    <body name="cart">
      <joint name="slider" type="slide" axis="1 0 0" range="-1 1"/>
      <geom name="cart" type="capsule" size="0.1" fromto="0.1 0 0 -0.1 0 0"/>
      <body name="pole">
        <joint name="hinge" type="hinge" axis="0 1 0" range="-90 90"/>
        <geom name="cpole" type="capsule" size="0.049" fromto="0 0 0 0.001 0 0.6" rgba="0 0.7 0.7 1"/>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="slide" joint="slider" gear="100" ctrlrange="-3 3"/>
  </actuator>
</mujoco>`;

export class InvertedPendulumEnv extends MujocoEnv {
  readonly resetNoiseScale: number;

  constructor(kwargs: InvertedPendulumKwargs = {}) {
    const kw = readKwargs("InvertedPendulum", kwargs, ["resetNoiseScale"]);
    super(
      {
        name: "InvertedPendulum",
        xml: XML,
        frameSkip: 2,
        obsSize: 4,
        view: { plane: "xz", width: 240, height: 160, pixelsPerMeter: 90, center: 0.25 },
      },
      kw,
    );
    this.resetNoiseScale = kw.num("resetNoiseScale", 0.01, { min: 0 });
  }

  protected stepWith(action: Float32Array): StepResult<Float32Array> {
    this.doSimulation(action);
    const obs = this.observe();
    // Judged on the float64 state, as Gymnasium judges its float64 observation.
    const state = this.getState();
    const terminated = !state.every(Number.isFinite) || Math.abs(state[1]!) > 0.2;
    const reward = terminated ? 0 : 1;
    return { obs, reward, terminated, truncated: false, info: { reward_survive: reward } };
  }

  protected observe(): Float32Array {
    return Float32Array.from([...this.qpos(), ...this.qvel()]);
  }

  protected resetModel(): void {
    const qpos = this.uniformAround(this.initQpos, this.resetNoiseScale);
    const qvel = this.uniformAround(this.initQvel, this.resetNoiseScale);
    this.setState(qpos, qvel);
  }
}
