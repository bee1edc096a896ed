"""Records Gymnasium's own MuJoCo envs for src/envs/mujoco/conformance.test.ts.

For each env: a few short episodes from `env.reset(seed=k)` (Gymnasium's reset noise), driven by
uniform random float32 actions from a seeded numpy generator. Each step stores the action and what
Gymnasium returned (observation, reward, terminated, truncated, the scalar info entries) plus the full state
`[qpos, qvel]` after the step, so the test can both replay the whole episode from its start state
and check every step on its own from the recorded state before it (which keeps the comparison
tight where chaotic contact dynamics would make a long open-loop replay drift).

It also stores the compiled model's physical figures (masses, inertias, body and geom placement,
sizes, frictions, joint ranges, damping, armature, actuator gears and ranges, the solver options):
the test compares them with our compiled MJCF, so a wrong number is named directly.

Output: one gzipped JSON per env, `<out>/<EnvId>.json.gz`. Numbers are written with 17 (float64)
or 9 (float32 observations) significant digits.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install gymnasium mujoco imageio
    /tmp/venv/bin/python bench/py/record_mujoco_conformance.py --out src/envs/mujoco/fixtures
"""
import argparse
import gzip
import json
import os

import gymnasium as gym
import mujoco
import numpy as np

# id -> runs of (Gymnasium kwargs, episodes, max steps per episode, zero the contact margins).
# Random full-range actions topple the walkers within ~30 steps, so they also get a run that does
# not terminate (lying and kicking on the floor: many contacts). Hopper and Ant declare a contact
# margin (0.001 and 0.01 m), and MuJoCo 3.3.8 (mujoco-js) and recent Python releases resolve
# contacts inside that margin differently (measured: one step from the same state differs by up to
# 0.6 (Hopper) and 2.1 (Ant) in qpos/qvel; with the margins zeroed on both sides, by 1e-14), so
# their runs are recorded with `geom_margin` zeroed and the test zeroes ours too; the margin
# values themselves are compared among the model figures. Ant's 105-entry observation is kept short.
PLAN = {
    "Walker2d-v5": [({}, 3, 200, False), ({"terminate_when_unhealthy": False}, 1, 300, False)],
    "Hopper-v5": [({}, 3, 200, True), ({"terminate_when_unhealthy": False}, 1, 300, True)],
    "HalfCheetah-v5": [({}, 3, 150, False)],
    "Ant-v5": [({}, 2, 80, True)],
    "InvertedPendulum-v5": [({}, 3, 100, False)],
    "InvertedDoublePendulum-v5": [({}, 3, 100, False)],
    "Reacher-v5": [({}, 2, 60, False)],  # 60 > 50: the TimeLimit's truncation is recorded too
}

# Model fields compared by the test (per-element arrays of the compiled mjModel).
MODEL_FIELDS = [
    "body_mass",
    "body_inertia",
    "body_pos",
    "body_quat",
    "body_ipos",
    "body_iquat",
    "geom_type",
    "geom_size",
    "geom_pos",
    "geom_quat",
    "geom_friction",
    "geom_contype",
    "geom_conaffinity",
    "geom_condim",
    "geom_solref",
    "geom_solimp",
    "geom_margin",
    "geom_gap",
    "jnt_type",
    "jnt_pos",
    "jnt_axis",
    "jnt_range",
    "jnt_limited",
    "jnt_stiffness",
    "qpos0",
    "qpos_spring",
    "dof_damping",
    "dof_armature",
    "dof_frictionloss",
    "actuator_gear",
    "actuator_ctrlrange",
    "actuator_ctrllimited",
    "actuator_forcerange",
    "actuator_forcelimited",
    "actuator_gainprm",
    "actuator_biasprm",
    "actuator_trntype",
    "actuator_dyntype",
]
OPTION_FIELDS = ["timestep", "gravity", "integrator", "solver", "iterations", "tolerance", "cone", "impratio", "jacobian"]


def f64(xs):
    return [float(x) for x in np.asarray(xs, dtype=np.float64).ravel()]


def f32(xs):
    # The shortest decimal that reads back as the same float32.
    return [float(np.format_float_positional(np.float32(x), unique=True)) for x in np.asarray(xs).ravel()]


def model_figures(model):
    out = {name: f64(getattr(model, name)) for name in MODEL_FIELDS}
    opt = model.opt
    out["opt"] = {name: f64(np.atleast_1d(getattr(opt, name))) for name in OPTION_FIELDS}
    out["counts"] = {k: int(getattr(model, k)) for k in ["nq", "nv", "nu", "nbody", "ngeom", "njnt"]}
    return out


def record_run(env_id, kwargs, episodes, max_steps, zero_margin, seed):
    env = gym.make(env_id, **kwargs)
    data = env.unwrapped.data
    if zero_margin:
        env.unwrapped.model.geom_margin[:] = 0
    rng = np.random.default_rng(seed)
    low, high = env.action_space.low, env.action_space.high
    run = {"kwargs": kwargs, "zeroMargin": zero_margin, "episodes": []}
    for ep in range(episodes):
        obs, _ = env.reset(seed=seed + ep)
        episode = {
            "qpos": f64(data.qpos),
            "qvel": f64(data.qvel),
            "obs": f32(obs),
            "actions": [],
            "observations": [],
            "rewards": [],
            "terminated": [],
            "truncated": [],
            "states": [],
            "infos": [],
        }
        for _ in range(max_steps):
            action = rng.uniform(low, high).astype(np.float32)
            obs, reward, terminated, truncated, info = env.step(action)
            episode["actions"].append(f32(action))
            episode["observations"].append(f32(obs))
            episode["rewards"].append(float(reward))
            episode["terminated"].append(bool(terminated))
            episode["truncated"].append(bool(truncated))
            episode["states"].append(f64(np.concatenate([data.qpos, data.qvel])))
            # The scalar info entries (reward terms, positions, velocities); TimeLimit's flag aside.
            scalars = {k: float(v) for k, v in info.items() if np.ndim(v) == 0 and k != "TimeLimit.truncated"}
            episode["infos"].append(scalars)
            if terminated or truncated:
                break
        run["episodes"].append(episode)
    env.close()
    return run


def record(env_id, seed):
    env = gym.make(env_id)
    out = {"id": env_id, "model": model_figures(env.unwrapped.model), "runs": []}
    env.close()
    for i, (kwargs, episodes, steps, zero_margin) in enumerate(PLAN[env_id]):
        out["runs"].append(record_run(env_id, kwargs, episodes, steps, zero_margin, seed + 100 * i))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--envs", default=",".join(PLAN))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for env_id in args.envs.split(","):
        rec = record(env_id, args.seed)
        rec["versions"] = {"gymnasium": gym.__version__, "mujoco": mujoco.__version__}
        path = os.path.join(args.out, f"{env_id}.json.gz")
        with gzip.open(path, "wt", compresslevel=9) as f:
            json.dump(rec, f, separators=(",", ":"))
        lengths = [[len(e["actions"]) for e in run["episodes"]] for run in rec["runs"]]
        print(f"{env_id}: episodes of {lengths} steps -> {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
