/**
 * Reacher-v5: move a two-link arm's fingertip to a random target, as Gymnasium 1.x's `ReacherEnv`.
 *
 * Observation (10): [cos q0, cos q1, sin q0, sin q1, target x, target y, q0 velocity, q1 velocity,
 * fingertip - target (x, y)].
 * Reward: -`rewardDistWeight` |fingertip - target| (centres of mass, 3-D) - `rewardControlWeight`
 * |action|^2. Never terminates; 50 steps (the registration); reward threshold -3.75.
 * Reset: arm angles uniform within +-0.1 rad, velocities within +-0.005; the target uniform in the
 * disc of radius 0.2 (drawn in the square [-0.2, 0.2]^2 until inside), at rest.
 * dt = 0.01 s x 2 frames = 0.02 s.
 *
 * Model (our MJCF; figures from Gymnasium's assets/reacher.xml): two capsule links of length 0.1
 * and radius 0.01 on hinges about z (the second limited to +-3 rad), armature 1 and damping 1, a
 * fingertip sphere 0.11 m out from the second joint, a target body on two slides (x, y) limited to
 * +-0.27 m, motors with gear 200 and control in [-1, 1], RK4 at 0.01 s. Nothing collides.
 */
import type { StepResult } from "../../core/env.js";
import { type PhysicsKwargs, readKwargs } from "./kwargs.js";
import { MujocoEnv } from "./mujoco-env.js";

export interface ReacherKwargs extends PhysicsKwargs {
  /** Weight of the distance term. Default 1. */
  rewardDistWeight?: number;
  /** Weight of the control cost. Default 1. */
  rewardControlWeight?: number;
}

const XML = `
<mujoco model="rldistill reacher">
  <compiler angle="radian"/>
  <option timestep="0.01" integrator="RK4" gravity="0 0 -9.81"/>
  <default>
    <joint armature="1" damping="1"/>
    <geom contype="0" friction="1 0.1 0.1" rgba="0.7 0.7 0 1"/>
  </default>
  <worldbody>
    <geom name="ground" type="plane" size="1 1 10" conaffinity="0" rgba="0.9 0.9 0.9 1"/>
    <geom name="arena_s" conaffinity="0" type="capsule" size="0.02" fromto="-0.3 -0.3 0.01 0.3 -0.3 0.01" rgba="0.9 0.4 0.6 1"/>
    <geom name="arena_e" conaffinity="0" type="capsule" size="0.02" fromto="0.3 -0.3 0.01 0.3 0.3 0.01" rgba="0.9 0.4 0.6 1"/>
    <geom name="arena_n" conaffinity="0" type="capsule" size="0.02" fromto="-0.3 0.3 0.01 0.3 0.3 0.01" rgba="0.9 0.4 0.6 1"/>
    <geom name="arena_w" conaffinity="0" type="capsule" size="0.02" fromto="-0.3 -0.3 0.01 -0.3 0.3 0.01" rgba="0.9 0.4 0.6 1"/>
    <geom name="root" conaffinity="0" type="cylinder" size="0.011" fromto="0 0 0 0 0 0.02" rgba="0.9 0.4 0.6 1"/>
    <body name="body0" pos="0 0 0.01">
      <joint name="joint0" type="hinge" axis="0 0 1" limited="false"/>
      <geom name="link0" type="capsule" size="0.01" fromto="0 0 0 0.1 0 0" rgba="0 0.4 0.6 1"/>
      <body name="body1" pos="0.1 0 0">
        <joint name="joint1" type="hinge" axis="0 0 1" range="-3 3"/>
        <geom name="link1" type="capsule" size="0.01" fromto="0 0 0 0.1 0 0" rgba="0 0.4 0.6 1"/>
        <body name="fingertip" pos="0.11 0 0">
          <geom name="fingertip" type="sphere" size="0.01" rgba="0 0.8 0.6 1"/>
        </body>
      </body>
    </body>
    <body name="target" pos="0.1 -0.1 0.01">
      <joint name="target_x" type="slide" axis="1 0 0" range="-0.27 0.27" ref="0.1" armature="0" damping="0"/>
      <joint name="target_y" type="slide" axis="0 1 0" range="-0.27 0.27" ref="-0.1" armature="0" damping="0"/>
      <geom name="target" conaffinity="0" type="sphere" size="0.009" rgba="0.9 0.2 0.2 1"/>
    </body>
  </worldbody>
  <actuator>
    <motor joint="joint0" gear="200" ctrlrange="-1 1"/>
    <motor joint="joint1" gear="200" ctrlrange="-1 1"/>
  </actuator>
</mujoco>`;

export class ReacherEnv extends MujocoEnv {
  readonly rewardDistWeight: number;
  readonly rewardControlWeight: number;
  private readonly fingertip: number;
  private readonly target: number;

  constructor(kwargs: ReacherKwargs = {}) {
    const kw = readKwargs("Reacher", kwargs, ["rewardDistWeight", "rewardControlWeight"]);
    super(
      {
        name: "Reacher",
        xml: XML,
        frameSkip: 2,
        obsSize: 10,
        view: { plane: "xy", width: 200, height: 200, pixelsPerMeter: 300, center: 0 },
      },
      kw,
    );
    this.rewardDistWeight = kw.num("rewardDistWeight", 1);
    this.rewardControlWeight = kw.num("rewardControlWeight", 1);
    this.fingertip = this.bodyId("fingertip");
    this.target = this.bodyId("target");
  }

  protected stepWith(action: Float32Array): StepResult<Float32Array> {
    this.doSimulation(action);
    const obs = this.observe();
    const d = this.tipToTarget();
    const rewardDist = -Math.hypot(d[0], d[1], d[2]) * this.rewardDistWeight;
    const rewardCtrl = -MujocoEnv.squaredNorm(action) * this.rewardControlWeight;
    return {
      obs,
      reward: rewardDist + rewardCtrl,
      terminated: false,
      truncated: false,
      info: { reward_dist: rewardDist, reward_ctrl: rewardCtrl },
    };
  }

  protected observe(): Float32Array {
    const q = this.qpos();
    const v = this.qvel();
    const d = this.tipToTarget();
    return Float32Array.from([
      Math.cos(q[0]!),
      Math.cos(q[1]!),
      Math.sin(q[0]!),
      Math.sin(q[1]!),
      q[2]!,
      q[3]!,
      v[0]!,
      v[1]!,
      d[0],
      d[1],
    ]);
  }

  protected resetModel(): void {
    const qpos = this.uniformAround(this.initQpos, 0.1);
    let gx: number;
    let gy: number;
    do {
      gx = this.rng.uniform(-0.2, 0.2);
      gy = this.rng.uniform(-0.2, 0.2);
    } while (Math.hypot(gx, gy) >= 0.2);
    qpos[2] = gx;
    qpos[3] = gy;
    const qvel = this.uniformAround(this.initQvel, 0.005);
    qvel[2] = 0;
    qvel[3] = 0;
    this.setState(qpos, qvel);
  }

  /** Fingertip minus target, between the bodies' centres of mass (Gymnasium's `get_body_com`). */
  private tipToTarget(): [number, number, number] {
    const com = this.data.xipos as Float64Array;
    const f = 3 * this.fingertip;
    const t = 3 * this.target;
    return [com[f]! - com[t]!, com[f + 1]! - com[t + 1]!, com[f + 2]! - com[t + 2]!];
  }
}
