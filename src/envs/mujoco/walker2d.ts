/**
 * Walker2d-v5: walk forward on two legs in the plane, as Gymnasium 1.x's `Walker2dEnv` (see
 * planar-walker.ts for the observation, reward, health and reset rules).
 *
 * Observation 17 (18 with x). Healthy: z in (0.8, 2.0), pitch in (-1, 1). dt = 0.002 s x 4 frames
 * = 0.008 s (RK4); 1000 steps; no reward threshold.
 *
 * Model (our MJCF; figures from Gymnasium's assets/walker2d_v5.xml): the Hopper's torso, thigh and
 * leg capsules, with a shorter foot (radius 0.06, from x -0.2 to 0 at z 0.1), twice (right and
 * left leg on the same hip); armature 0.01 and damping 0.1 on the joints; density 1000; friction
 * 0.9 on the body, 1.9 on the feet (v5), 0.7 on the floor; motors with gear 100, control in
 * [-1, 1].
 */
import { readKwargs } from "./kwargs.js";
import { PLANAR_WALKER_KWARGS, PlanarWalkerEnv, type PlanarWalkerKwargs } from "./planar-walker.js";

export type Walker2dKwargs = PlanarWalkerKwargs;

function leg(suffix: string, color: string): string {
  return `<body name="thigh${suffix}" pos="0 0 -0.2">
        <joint name="thigh${suffix}_joint" type="hinge" axis="0 -1 0" range="-150 0"/>
        <geom name="thigh${suffix}_geom" type="capsule" size="0.05" fromto="0 0 0 0 0 -0.45" friction="0.9"${color}/>
        <body name="leg${suffix}" pos="0 0 -0.7">
          <joint name="leg${suffix}_joint" type="hinge" axis="0 -1 0" pos="0 0 0.25" range="-150 0"/>
          <geom name="leg${suffix}_geom" type="capsule" size="0.04" fromto="0 0 0.25 0 0 -0.25" friction="0.9"${color}/>
          <body name="foot${suffix}" pos="0.2 0 -0.35">
            <joint name="foot${suffix}_joint" type="hinge" axis="0 -1 0" pos="-0.2 0 0.1" range="-45 45"/>
            <geom name="foot${suffix}_geom" type="capsule" size="0.06" fromto="-0.2 0 0.1 0 0 0.1" friction="1.9"${color}/>
          </body>
        </body>
      </body>`;
}

const LEFT_COLOR = ` rgba="0.7 0.3 0.6 1"`;

const XML = `
<mujoco model="rldistill walker2d">
  <option timestep="0.002" integrator="RK4"/>
  <default>
    <joint armature="0.01" damping="0.1"/>
    <geom contype="1" conaffinity="0" condim="3" density="1000" friction="0.7 0.1 0.1" rgba="0.8 0.6 0.4 1"/>
    <motor ctrlrange="-1 1" gear="100"/>
  </default>
  <worldbody>
    <geom name="floor" type="plane" size="40 40 40" conaffinity="1" rgba="0.8 0.9 0.8 1"/>
    <body name="torso" pos="0 0 1.25">
      <joint name="rootx" type="slide" axis="1 0 0" pos="0 0 -1.25" armature="0" damping="0"/>
      <joint name="rootz" type="slide" axis="0 0 1" pos="0 0 -1.25" ref="1.25" armature="0" damping="0"/>
      <joint name="rooty" type="hinge" axis="0 1 0" armature="0" damping="0"/>
      <geom name="torso_geom" type="capsule" size="0.05" fromto="0 0 0.2 0 0 -0.2" friction="0.9"/>
      ${leg("", "")}
      ${leg("_left", LEFT_COLOR)}
    </body>
  </worldbody>
  <actuator>
    ${["thigh", "leg", "foot", "thigh_left", "leg_left", "foot_left"].map((j) => `<motor joint="${j}_joint"/>`).join("\n    ")}
  </actuator>
</mujoco>`;

export class Walker2dEnv extends PlanarWalkerEnv {
  constructor(kwargs: Walker2dKwargs = {}) {
    const kw = readKwargs("Walker2d", kwargs, PLANAR_WALKER_KWARGS);
    super(
      {
        name: "Walker2d",
        xml: XML,
        frameSkip: 4,
        nq: 9,
        view: { plane: "xz", width: 240, height: 200, pixelsPerMeter: 100, center: 0.8, followBody: "torso" },
      },
      kw,
      { healthyZRange: [0.8, 2.0], healthyAngleRange: [-1, 1] },
    );
  }
}
