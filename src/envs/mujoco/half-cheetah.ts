/**
 * HalfCheetah-v5: run forward with a planar two-legged cat, as Gymnasium 1.x's `HalfCheetahEnv`.
 *
 * Observation (17; 18 with `excludeCurrentPositionsFromObservation: false`): qpos without the root
 * x (z, pitch, 6 joint angles), then qvel (9). Reward: `forwardRewardWeight` x dx/dt of the root
 * minus `ctrlCostWeight` |action|^2. Never terminates; 1000 steps; reward threshold 4800.
 * Reset: qpos uniform within +-`resetNoiseScale`, qvel Gaussian with std `resetNoiseScale`.
 * dt = 0.01 s x 5 frames = 0.05 s (Euler integrator).
 *
 * Model (our MJCF; figures from Gymnasium's assets/half_cheetah.xml): a torso capsule 1 m long and a
 * head, a back leg (thigh, shin, foot) and a front leg, every capsule of radius 0.046 with the
 * half-lengths, offsets and tilts in LIMBS below; hinge joints with their own stiffness, damping
 * and range; armature 0.1; friction 0.4; masses from the geoms rescaled to a total of 14 kg;
 * motors with gears 120/90/60 (back) and 120/60/30 (front), control in [-1, 1].
 */
import type { StepResult } from "../../core/env.js";
import { type PhysicsKwargs, readKwargs } from "./kwargs.js";
import { MujocoEnv } from "./mujoco-env.js";

export interface HalfCheetahKwargs extends PhysicsKwargs {
  /** Weight of the forward velocity. Default 1. */
  forwardRewardWeight?: number;
  /** Weight of the control cost |a|^2. Default 0.1. */
  ctrlCostWeight?: number;
  /** Scale of the reset noise (uniform on qpos, Gaussian std on qvel). Default 0.1. */
  resetNoiseScale?: number;
  /** Leave the root x out of the observation. Default true. */
  excludeCurrentPositionsFromObservation?: boolean;
}

/**
 * One limb: its body's offset from the parent body (x, z), its hinge (stiffness, damping, range in
 * rad, motor gear), and its capsule (centre x, z in the body frame, tilt about y in rad, half-length).
 */
interface Limb {
  name: string;
  offset: [number, number];
  stiffness: number;
  damping: number;
  range: [number, number];
  gear: number;
  centre: [number, number];
  tilt: number;
  half: number;
  shin?: boolean;
}

const BACK: Limb[] = [
  {
    name: "bthigh",
    offset: [-0.5, 0],
    stiffness: 240,
    damping: 6,
    range: [-0.52, 1.05],
    gear: 120,
    centre: [0.1, -0.13],
    tilt: -3.8,
    half: 0.145,
  },
  {
    name: "bshin",
    offset: [0.16, -0.25],
    stiffness: 180,
    damping: 4.5,
    range: [-0.785, 0.785],
    gear: 90,
    centre: [-0.14, -0.07],
    tilt: -2.03,
    half: 0.15,
    shin: true,
  },
  {
    name: "bfoot",
    offset: [-0.28, -0.14],
    stiffness: 120,
    damping: 3,
    range: [-0.4, 0.785],
    gear: 60,
    centre: [0.03, -0.097],
    tilt: -0.27,
    half: 0.094,
    shin: true,
  },
];
const FRONT: Limb[] = [
  {
    name: "fthigh",
    offset: [0.5, 0],
    stiffness: 180,
    damping: 4.5,
    range: [-1, 0.7],
    gear: 120,
    centre: [-0.07, -0.12],
    tilt: 0.52,
    half: 0.133,
  },
  {
    name: "fshin",
    offset: [-0.14, -0.24],
    stiffness: 120,
    damping: 3,
    range: [-1.2, 0.87],
    gear: 60,
    centre: [0.065, -0.09],
    tilt: -0.6,
    half: 0.106,
    shin: true,
  },
  {
    name: "ffoot",
    offset: [0.13, -0.18],
    stiffness: 60,
    damping: 1.5,
    range: [-0.5, 0.5],
    gear: 30,
    centre: [0.045, -0.07],
    tilt: -0.6,
    half: 0.07,
    shin: true,
  },
];

/**
 * End points of a capsule of half-length `half` centred at (x, z), its axis z tilted by `tilt` about
 * y. MuJoCo points a `fromto` geom's frame z from the second point to the first, so the first point
 * is the +z end: the geom frame (and the body's inertia frame) is then the published tilt itself,
 * not its 180-degree flip, which keeps the arithmetic identical to Gymnasium's model.
 */
function capsuleEnds([x, z]: [number, number], tilt: number, half: number): string {
  const dx = half * Math.sin(tilt);
  const dz = half * Math.cos(tilt);
  return `${x + dx} 0 ${z + dz} ${x - dx} 0 ${z - dz}`;
}

function chain(limbs: Limb[]): string {
  return limbs
    .map((l) => {
      const color = l.shin ? ` rgba="0.9 0.6 0.6 1"` : "";
      return `<body name="${l.name}" pos="${l.offset[0]} 0 ${l.offset[1]}">
        <joint name="${l.name}" type="hinge" axis="0 1 0" stiffness="${l.stiffness}" damping="${l.damping}" range="${l.range[0]} ${l.range[1]}"/>
        <geom name="${l.name}" type="capsule" size="0.046" fromto="${capsuleEnds(l.centre, l.tilt, l.half)}"${color}/>`;
    })
    .join("\n")
    .concat("</body>".repeat(limbs.length));
}

const XML = `
<mujoco model="rldistill half cheetah">
  <compiler angle="radian" settotalmass="14"/>
  <option timestep="0.01" gravity="0 0 -9.81"/>
  <default>
    <joint armature="0.1" damping="0.01" stiffness="8" solimplimit="0 0.8 0.03" solreflimit="0.02 1"/>
    <geom contype="1" conaffinity="0" condim="3" friction="0.4 0.1 0.1" solimp="0 0.8 0.01" solref="0.02 1" rgba="0.8 0.6 0.4 1"/>
  </default>
  <worldbody>
    <geom name="floor" type="plane" size="40 40 40" conaffinity="1" rgba="0.8 0.9 0.8 1"/>
    <body name="torso" pos="0 0 0.7">
      <joint name="rootx" type="slide" axis="1 0 0" armature="0" damping="0" stiffness="0"/>
      <joint name="rootz" type="slide" axis="0 0 1" armature="0" damping="0" stiffness="0"/>
      <joint name="rooty" type="hinge" axis="0 1 0" armature="0" damping="0" stiffness="0"/>
      <geom name="torso" type="capsule" size="0.046" fromto="-0.5 0 0 0.5 0 0"/>
      <geom name="head" type="capsule" size="0.046" fromto="${capsuleEnds([0.6, 0.1], 0.87, 0.15)}"/>
      ${chain(BACK)}
      ${chain(FRONT)}
    </body>
  </worldbody>
  <actuator>
    ${[...BACK, ...FRONT].map((l) => `<motor name="${l.name}" joint="${l.name}" gear="${l.gear}" ctrlrange="-1 1"/>`).join("\n    ")}
  </actuator>
</mujoco>`;

export class HalfCheetahEnv extends MujocoEnv {
  readonly forwardRewardWeight: number;
  readonly ctrlCostWeight: number;
  readonly resetNoiseScale: number;
  readonly excludeCurrentPositionsFromObservation: boolean;

  constructor(kwargs: HalfCheetahKwargs = {}) {
    const kw = readKwargs("HalfCheetah", kwargs, [
      "forwardRewardWeight",
      "ctrlCostWeight",
      "resetNoiseScale",
      "excludeCurrentPositionsFromObservation",
    ]);
    const exclude = kw.bool("excludeCurrentPositionsFromObservation", true);
    super(
      {
        name: "HalfCheetah",
        xml: XML,
        frameSkip: 5,
        obsSize: exclude ? 17 : 18,
        view: { plane: "xz", width: 320, height: 160, pixelsPerMeter: 80, center: 0.5, followBody: "torso" },
      },
      kw,
    );
    this.excludeCurrentPositionsFromObservation = exclude;
    this.forwardRewardWeight = kw.num("forwardRewardWeight", 1);
    this.ctrlCostWeight = kw.num("ctrlCostWeight", 0.1);
    this.resetNoiseScale = kw.num("resetNoiseScale", 0.1, { min: 0 });
  }

  protected stepWith(action: Float32Array): StepResult<Float32Array> {
    const before = this.qpos()[0]!;
    this.doSimulation(action);
    const after = this.qpos()[0]!;
    const xVelocity = (after - before) / this.dt;
    const forward = this.forwardRewardWeight * xVelocity;
    const ctrlCost = this.ctrlCostWeight * MujocoEnv.squaredNorm(action);
    return {
      obs: this.observe(),
      reward: forward - ctrlCost,
      terminated: false,
      truncated: false,
      info: { x_position: after, x_velocity: xVelocity, reward_forward: forward, reward_ctrl: -ctrlCost },
    };
  }

  protected observe(): Float32Array {
    const q = this.qpos();
    return Float32Array.from([
      ...(this.excludeCurrentPositionsFromObservation ? q.subarray(1) : q),
      ...this.qvel(),
    ]);
  }

  protected resetModel(): void {
    this.setState(
      this.uniformAround(this.initQpos, this.resetNoiseScale),
      this.normalAround(this.initQvel, this.resetNoiseScale),
    );
  }

  protected override resetInfo(): Record<string, unknown> {
    return { x_position: this.qpos()[0] };
  }
}
