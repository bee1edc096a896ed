/**
 * Ant-v5: walk forward (+x) with a four-legged body in 3-D, as Gymnasium 1.x's `AntEnv`.
 *
 * Observation (105 by default): qpos without the torso's x and y (13: z, orientation quaternion,
 * 8 joint angles), qvel (14), and the external contact forces `cfrc_ext` of every body but the
 * world (13 x 6 = 78), clipped to `contactForceRange`. `excludeCurrentPositionsFromObservation:
 * false` adds x, y (107); `includeCfrcExtInObservation: false` drops the forces (27).
 * Reward: `forwardRewardWeight` x dx/dt of the main body + `healthyReward` (while healthy)
 * - `ctrlCostWeight` |a|^2 - `contactCostWeight` |clipped cfrc_ext|^2. Healthy: the state is
 * finite and the torso z is in [0.2, 1.0] (closed). Reset: qpos uniform within
 * +-`resetNoiseScale`, qvel Gaussian with std `resetNoiseScale`. dt = 0.01 s x 5 frames = 0.05 s
 * (RK4); 1000 steps; reward threshold 6000.
 *
 * Model (our MJCF; figures from Gymnasium's assets/ant.xml): a torso sphere of radius 0.25 at
 * z 0.75 on a free joint, four legs at the diagonals, each an upper capsule of (0.2, 0.2) from the
 * torso, a hip hinge about z (+-30 degrees), a capsule of (0.2, 0.2), an ankle hinge about the
 * horizontal axis across the leg (30..70 degrees, signed per leg), and a lower capsule of (0.4, 0.4);
 * radius 0.08 everywhere, density 5, friction 1 0.5 0.5, margin 0.01; armature 1, damping 1;
 * motors with gear 150, control in [-1, 1].
 */
import type { StepResult } from "../../core/env.js";
import { type PhysicsKwargs, readKwargs } from "./kwargs.js";
import { MujocoEnv } from "./mujoco-env.js";

export interface AntKwargs extends PhysicsKwargs {
  forwardRewardWeight?: number;
  /** Default 0.5. */
  ctrlCostWeight?: number;
  /** Default 5e-4. */
  contactCostWeight?: number;
  /** Default 1. */
  healthyReward?: number;
  /** Body whose x velocity is rewarded: an id or a name. Default 1 (the torso). */
  mainBody?: number | string;
  /** Default true. */
  terminateWhenUnhealthy?: boolean;
  /** Closed range of the torso height. Default [0.2, 1.0]. */
  healthyZRange?: readonly [number | null, number | null];
  /** Clip of each contact force entry. Default [-1, 1]. */
  contactForceRange?: readonly [number | null, number | null];
  /** Default 0.1. */
  resetNoiseScale?: number;
  /** Default true. */
  excludeCurrentPositionsFromObservation?: boolean;
  /** Default true. */
  includeCfrcExtInObservation?: boolean;
}

/** The legs: name, direction (sx, sy) of the diagonal, hip and ankle joint names, ankle axis and range. */
const LEGS = [
  { body: "front_left_leg", aux: "aux_1", dir: [1, 1], n: 1, ankleAxis: "-1 1 0", ankleRange: "30 70" },
  { body: "front_right_leg", aux: "aux_2", dir: [-1, 1], n: 2, ankleAxis: "1 1 0", ankleRange: "-70 -30" },
  { body: "back_leg", aux: "aux_3", dir: [-1, -1], n: 3, ankleAxis: "-1 1 0", ankleRange: "-70 -30" },
  { body: "right_back_leg", aux: "aux_4", dir: [1, -1], n: 4, ankleAxis: "1 1 0", ankleRange: "30 70" },
] as const;

function legXml(l: (typeof LEGS)[number]): string {
  const [sx, sy] = l.dir;
  const seg = (k: number): string => `0 0 0 ${k * sx} ${k * sy} 0`;
  return `<body name="${l.body}">
        <geom name="aux_${l.n}_geom" type="capsule" fromto="${seg(0.2)}"/>
        <body name="${l.aux}" pos="${0.2 * sx} ${0.2 * sy} 0">
          <joint name="hip_${l.n}" type="hinge" axis="0 0 1" range="-30 30"/>
          <geom name="leg_${l.n}_geom" type="capsule" fromto="${seg(0.2)}"/>
          <body name="ankle_body_${l.n}" pos="${0.2 * sx} ${0.2 * sy} 0">
            <joint name="ankle_${l.n}" type="hinge" axis="${l.ankleAxis}" range="${l.ankleRange}"/>
            <geom name="ankle_${l.n}_geom" type="capsule" fromto="${seg(0.4)}"/>
          </body>
        </body>
      </body>`;
}

const XML = `
<mujoco model="rldistill ant">
  <option timestep="0.01" integrator="RK4"/>
  <default>
    <joint armature="1" damping="1"/>
    <geom contype="1" conaffinity="0" condim="3" density="5" friction="1 0.5 0.5" margin="0.01" size="0.08" rgba="0.8 0.6 0.4 1"/>
  </default>
  <worldbody>
    <geom name="floor" type="plane" size="40 40 40" conaffinity="1" rgba="0.8 0.9 0.8 1"/>
    <body name="torso" pos="0 0 0.75">
      <joint name="root" type="free" armature="0" damping="0" margin="0.01"/>
      <geom name="torso_geom" type="sphere" size="0.25"/>
      ${LEGS.map(legXml).join("\n      ")}
    </body>
  </worldbody>
  <actuator>
    ${[4, 1, 2, 3]
      .flatMap((n) => [`hip_${n}`, `ankle_${n}`])
      .map((j) => `<motor joint="${j}" gear="150" ctrlrange="-1 1"/>`)
      .join("\n    ")}
  </actuator>
</mujoco>`;

const ANT_KWARGS = [
  "forwardRewardWeight",
  "ctrlCostWeight",
  "contactCostWeight",
  "healthyReward",
  "mainBody",
  "terminateWhenUnhealthy",
  "healthyZRange",
  "contactForceRange",
  "resetNoiseScale",
  "excludeCurrentPositionsFromObservation",
  "includeCfrcExtInObservation",
];

export class AntEnv extends MujocoEnv {
  readonly forwardRewardWeight: number;
  readonly ctrlCostWeight: number;
  readonly contactCostWeight: number;
  readonly healthyReward: number;
  readonly terminateWhenUnhealthy: boolean;
  readonly healthyZRange: [number, number];
  readonly contactForceRange: [number, number];
  readonly resetNoiseScale: number;
  readonly excludeCurrentPositionsFromObservation: boolean;
  readonly includeCfrcExtInObservation: boolean;
  private readonly mainBody: number;

  constructor(kwargs: AntKwargs = {}) {
    const kw = readKwargs("Ant", kwargs, ANT_KWARGS);
    const exclude = kw.bool("excludeCurrentPositionsFromObservation", true);
    const cfrc = kw.bool("includeCfrcExtInObservation", true);
    super(
      {
        name: "Ant",
        xml: XML,
        frameSkip: 5,
        obsSize: 15 + 14 - (exclude ? 2 : 0) + (cfrc ? 13 * 6 : 0),
        view: { plane: "xy", width: 240, height: 240, pixelsPerMeter: 60, center: 0, followBody: "torso" },
      },
      kw,
    );
    this.excludeCurrentPositionsFromObservation = exclude;
    this.includeCfrcExtInObservation = cfrc;
    this.forwardRewardWeight = kw.num("forwardRewardWeight", 1);
    this.ctrlCostWeight = kw.num("ctrlCostWeight", 0.5);
    this.contactCostWeight = kw.num("contactCostWeight", 5e-4);
    this.healthyReward = kw.num("healthyReward", 1);
    this.terminateWhenUnhealthy = kw.bool("terminateWhenUnhealthy", true);
    this.healthyZRange = kw.range("healthyZRange", [0.2, 1.0]);
    this.contactForceRange = kw.range("contactForceRange", [-1, 1]);
    this.resetNoiseScale = kw.num("resetNoiseScale", 0.1, { min: 0 });
    const main = kw.raw("mainBody") ?? 1;
    this.mainBody =
      typeof main === "string"
        ? this.bodyId(main)
        : kw.int("mainBody", 1, { min: 1, max: this.model.nbody - 1 });
  }

  isHealthy(): boolean {
    const state = this.getState();
    const z = state[2]!;
    return state.every(Number.isFinite) && this.healthyZRange[0] <= z && z <= this.healthyZRange[1];
  }

  protected stepWith(action: Float32Array): StepResult<Float32Array> {
    const [x0, y0] = this.mainBodyXy();
    this.doSimulation(action);
    const [x1, y1] = this.mainBodyXy();
    const xVelocity = (x1 - x0) / this.dt;
    const yVelocity = (y1 - y0) / this.dt;
    const healthy = this.isHealthy();
    const forward = xVelocity * this.forwardRewardWeight;
    const survive = healthy ? this.healthyReward : 0;
    const ctrlCost = this.ctrlCostWeight * MujocoEnv.squaredNorm(action);
    const contactCost = this.contactCostWeight * MujocoEnv.squaredNorm(this.contactForces());
    const q = this.qpos();
    return {
      obs: this.observe(),
      reward: forward + survive - ctrlCost - contactCost,
      terminated: !healthy && this.terminateWhenUnhealthy,
      truncated: false,
      info: {
        x_position: q[0],
        y_position: q[1],
        distance_from_origin: Math.hypot(q[0]!, q[1]!),
        x_velocity: xVelocity,
        y_velocity: yVelocity,
        reward_forward: forward,
        reward_ctrl: -ctrlCost,
        reward_contact: -contactCost,
        reward_survive: survive,
      },
    };
  }

  /** `cfrc_ext` of every body (the world included, as Gymnasium's cost), clipped to the range. */
  contactForces(): Float64Array {
    const [lo, hi] = this.contactForceRange;
    return (this.data.cfrc_ext as Float64Array).map((v) => Math.min(hi, Math.max(lo, v)));
  }

  protected observe(): Float32Array {
    const q = this.qpos();
    const parts: ArrayLike<number>[] = [
      this.excludeCurrentPositionsFromObservation ? q.subarray(2) : q,
      this.qvel(),
    ];
    if (this.includeCfrcExtInObservation) parts.push(this.contactForces().subarray(6));
    const out = new Float32Array(this.observationSpace.size);
    let k = 0;
    for (const p of parts) for (let i = 0; i < p.length; i++) out[k++] = p[i]!;
    return out;
  }

  protected resetModel(): void {
    this.setState(
      this.uniformAround(this.initQpos, this.resetNoiseScale),
      this.normalAround(this.initQvel, this.resetNoiseScale),
    );
  }

  protected override resetInfo(): Record<string, unknown> {
    const q = this.qpos();
    return { x_position: q[0], y_position: q[1], distance_from_origin: Math.hypot(q[0]!, q[1]!) };
  }

  private mainBodyXy(): [number, number] {
    const xpos = this.data.xpos as Float64Array;
    return [xpos[3 * this.mainBody]!, xpos[3 * this.mainBody + 1]!];
  }
}
