/**
 * Hopper-v5: hop forward on one leg, as Gymnasium 1.x's `HopperEnv` (see planar-walker.ts for the
 * observation, reward, health and reset rules).
 *
 * Observation 11 (12 with x). Healthy: z > 0.7, pitch in (-0.2, 0.2), every state entry after x and
 * z in (-100, 100). dt = 0.002 s x 4 frames = 0.008 s (RK4); 1000 steps; reward threshold 3800.
 *
 * Model (our MJCF; figures from Gymnasium's assets/hopper.xml): torso capsule (radius 0.05, from
 * z 1.05 to 1.45), thigh (0.05, 1.05 to 0.6), leg (0.04, 0.6 to 0.1), and a foot capsule (0.06)
 * from x -0.13 to 0.26 at z 0.1; hip, knee and ankle hinges (ranges -150..0, -150..0, -45..45 deg),
 * armature 1 and damping 1 on them; density 1000; friction 0.9 (foot 2.0); soft contacts
 * (condim 1, margin 0.001, solimp 0.8 0.8 0.01, solref 0.02 1); motors with gear 200, control in
 * [-1, 1].
 */
import { readKwargs } from "./kwargs.js";
import { PLANAR_WALKER_KWARGS, PlanarWalkerEnv, type PlanarWalkerKwargs } from "./planar-walker.js";

export interface HopperKwargs extends PlanarWalkerKwargs {
  /** Open range of every entry of [...qpos, ...qvel] after x and z. Default [-100, 100]. */
  healthyStateRange?: readonly [number | null, number | null];
}

const XML = `
<mujoco model="rldistill hopper">
  <option timestep="0.002" integrator="RK4"/>
  <default>
    <joint armature="1" damping="1"/>
    <geom contype="1" conaffinity="1" condim="1" margin="0.001" solimp="0.8 0.8 0.01" solref="0.02 1" friction="0.9" rgba="0.8 0.6 0.4 1"/>
    <motor ctrlrange="-1 1" gear="200"/>
  </default>
  <worldbody>
    <geom name="floor" type="plane" size="20 20 0.125" condim="3" friction="1" rgba="0.8 0.9 0.8 1"/>
    <body name="torso" pos="0 0 1.25">
      <joint name="rootx" type="slide" axis="1 0 0" pos="0 0 -1.25" armature="0" damping="0"/>
      <joint name="rootz" type="slide" axis="0 0 1" pos="0 0 -1.25" ref="1.25" armature="0" damping="0"/>
      <joint name="rooty" type="hinge" axis="0 1 0" armature="0" damping="0"/>
      <geom name="torso_geom" type="capsule" size="0.05" fromto="0 0 0.2 0 0 -0.2"/>
      <body name="thigh" pos="0 0 -0.2">
        <joint name="thigh_joint" type="hinge" axis="0 -1 0" range="-150 0"/>
        <geom name="thigh_geom" type="capsule" size="0.05" fromto="0 0 0 0 0 -0.45"/>
        <body name="leg" pos="0 0 -0.7">
          <joint name="leg_joint" type="hinge" axis="0 -1 0" pos="0 0 0.25" range="-150 0"/>
          <geom name="leg_geom" type="capsule" size="0.04" fromto="0 0 0.25 0 0 -0.25"/>
          <body name="foot" pos="0.13 0 -0.35">
            <joint name="foot_joint" type="hinge" axis="0 -1 0" pos="-0.13 0 0.1" range="-45 45"/>
            <geom name="foot_geom" type="capsule" size="0.06" fromto="-0.26 0 0.1 0.13 0 0.1" friction="2"/>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor joint="thigh_joint"/>
    <motor joint="leg_joint"/>
    <motor joint="foot_joint"/>
  </actuator>
</mujoco>`;

export class HopperEnv extends PlanarWalkerEnv {
  constructor(kwargs: HopperKwargs = {}) {
    const kw = readKwargs("Hopper", kwargs, [...PLANAR_WALKER_KWARGS, "healthyStateRange"]);
    super(
      {
        name: "Hopper",
        xml: XML,
        frameSkip: 4,
        nq: 6,
        view: { plane: "xz", width: 240, height: 200, pixelsPerMeter: 100, center: 0.8, followBody: "torso" },
      },
      kw,
      {
        healthyZRange: [0.7, Number.POSITIVE_INFINITY],
        healthyAngleRange: [-0.2, 0.2],
        healthyStateRange: [-100, 100],
      },
    );
  }
}
