"""MinAtar 1.0.15's Python step rates, for bench/envs.ts's ratios (MINATAR_PYTHON=rates.json).

Each game as a user makes it, `gymnasium.make("MinAtar/<Game>-v1")` (PassiveEnvChecker and
OrderEnforcing around minatar/gym.py's BaseEnv: minimal action set, sticky actions 0.1), or with
`--direct` the bare BaseEnv (`env.unwrapped`, no gymnasium wrappers). Random actions drawn before
the timed loop, resets included; `--repeats` runs of `--steps` steps per game; the medians of
wall-clock and CPU-time (process_time) steps/s. Prints one JSON object:
{ "<Game>": { "median": wall steps/s, "cpu": steps per CPU second, "best": best wall }, ... }.

MinAtar is not on this machine's package index: point --minatar at a checkout of
kenjyoung/MinAtar (its environments need only NumPy; gymnasium from pip).

    python3 bench/py/minatar_envs.py --minatar ~/MinAtar > rates.json
"""
import argparse
import json
import logging
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--minatar", required=True, help="a checkout of kenjyoung/MinAtar (the folder holding minatar/)")
parser.add_argument("--steps", type=int, default=20000)
parser.add_argument("--repeats", type=int, default=5)
parser.add_argument("--direct", action="store_true", help="the bare BaseEnv, without gym.make's wrappers")
parser.add_argument("--games", default="Asterix,Breakout,Freeway,Seaquest,SpaceInvaders")
args = parser.parse_args()

logging.disable(logging.WARNING)  # "Cannot import seaborn": only rendering needs it
sys.path.insert(0, args.minatar)
import warnings  # noqa: E402

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402

import minatar.gym  # noqa: E402

warnings.filterwarnings("ignore")  # PassiveEnvChecker: MinAtar's observations are bool, its Box says uint8
minatar.gym.register_envs()  # what the installed package does through its gymnasium entry point

out = {}
for name in args.games.split(","):
    env = gym.make(f"MinAtar/{name}-v1")
    if args.direct:
        env = env.unwrapped
    actions = np.random.RandomState(0).randint(env.action_space.n, size=args.steps).tolist()
    env.reset(seed=0)
    wall, cpu = [], []
    for _ in range(args.repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        for a in actions:
            _, _, terminated, truncated, _ = env.step(a)
            if terminated or truncated:
                env.reset()
        wall.append(args.steps / (time.perf_counter() - t0))
        cpu.append(args.steps / (time.process_time() - c0))
    out[name] = {"median": float(np.median(wall)), "cpu": float(np.median(cpu)), "best": max(wall)}
    print(
        f"{name}{' (bare BaseEnv)' if args.direct else ''}: wall median {out[name]['median']:,.0f}, "
        f"per CPU second {out[name]['cpu']:,.0f} steps/s",
        file=sys.stderr,
        flush=True,
    )
print(json.dumps(out))
