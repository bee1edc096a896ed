"""Paired baseline for bench/train.ts's SAC and TD3 rows: a whole off-policy training loop in
PyTorch on Gymnasium's MuJoCo env, with the rules of CleanRL's sac_continuous_action.py and
td3_continuous_action.py (written for this measurement, not copied), so env steps, acting, replay
and updates are all timed, as CleanRL's charts/SPS counts them.

SAC: tanh-squashed Gaussian actor (log std squashed into [-5, 2]), twin Q and Polyak targets
(0.005), automatic entropy tuning towards -|A|, one actor and one alpha step per critic step.
TD3: deterministic tanh actor with Gaussian acting noise (0.1 of the half range), target policy
smoothing (0.2 clipped to 0.5), actor and targets every 2 critic steps. Both: uniform random
actions for --learning-starts steps, then one update per env step, batch 256, Adam 3e-4 (the
library's presets; CleanRL's SAC uses 1e-3 for the critics, which costs the same), ReLU MLPs,
replay 1M, 1 thread. Prints one JSON line.

    python3 bench/py/offpolicy_mujoco.py --algo td3 --env Hopper-v5 --steps 30000 --learning-starts 10000
"""
import argparse
import json
import time

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from blas_info import mapped_blas
from sac_update import mlp, polyak, sample_squashed


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--algo", choices=["sac", "td3"], default="sac")
    p.add_argument("--env", default="Hopper-v5")
    p.add_argument("--steps", type=int, default=30_000)
    p.add_argument("--learning-starts", type=int, default=10_000)
    p.add_argument("--hidden", type=int, nargs=2, default=[256, 256])
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if a.steps <= a.learning_starts:
        raise SystemExit(f"--steps ({a.steps}) must exceed --learning-starts ({a.learning_starts})")
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    env = gym.wrappers.RecordEpisodeStatistics(gym.make(a.env))
    env.action_space.seed(a.seed)
    O, A = env.observation_space.shape[0], env.action_space.shape[0]
    low, high = env.action_space.low, env.action_space.high
    half, mid = (high - low) / 2, (high + low) / 2

    cap = min(1_000_000, a.steps)
    obs_b = np.zeros((cap, O), np.float32)
    nobs_b = np.zeros((cap, O), np.float32)
    act_b = np.zeros((cap, A), np.float32)  # in [-1, 1]
    rew_b = np.zeros(cap, np.float32)
    done_b = np.zeros(cap, np.float32)

    q1, q2 = mlp(O + A, 1, a.hidden), mlp(O + A, 1, a.hidden)
    q1t, q2t = mlp(O + A, 1, a.hidden), mlp(O + A, 1, a.hidden)
    q1t.load_state_dict(q1.state_dict())
    q2t.load_state_dict(q2.state_dict())
    q_opt = torch.optim.Adam(list(q1.parameters()) + list(q2.parameters()), lr=3e-4)
    if a.algo == "sac":
        actor = mlp(O, 2 * A, a.hidden)
        log_alpha = torch.zeros(1, requires_grad=True)
        al_opt = torch.optim.Adam([log_alpha], lr=3e-4)
    else:
        actor = nn.Sequential(mlp(O, A, a.hidden), nn.Tanh())
        actor_t = nn.Sequential(mlp(O, A, a.hidden), nn.Tanh())
        actor_t.load_state_dict(actor.state_dict())
    a_opt = torch.optim.Adam(actor.parameters(), lr=3e-4)

    def update(n_updates, size):
        idx = torch.from_numpy(rng.integers(0, size, a.batch))
        o, no = torch.from_numpy(obs_b[idx]), torch.from_numpy(nobs_b[idx])
        ac, r, d = torch.from_numpy(act_b[idx]), torch.from_numpy(rew_b[idx]), torch.from_numpy(done_b[idx])
        with torch.no_grad():
            if a.algo == "sac":
                alpha = log_alpha.exp().item()
                na, nlogp = sample_squashed(actor, no, A)
                x = torch.cat([no, na], 1)
                target = r + 0.99 * (1 - d) * (torch.min(q1t(x), q2t(x)).view(-1) - alpha * nlogp)
            else:
                noise = (torch.randn_like(ac) * 0.2).clamp(-0.5, 0.5)
                na = (actor_t(no) + noise).clamp(-1, 1)
                x = torch.cat([no, na], 1)
                target = r + 0.99 * (1 - d) * torch.min(q1t(x), q2t(x)).view(-1)
        x = torch.cat([o, ac], 1)
        q_loss = F.mse_loss(q1(x).view(-1), target) + F.mse_loss(q2(x).view(-1), target)
        q_opt.zero_grad()
        q_loss.backward()
        q_opt.step()
        if a.algo == "sac":
            pa, logp = sample_squashed(actor, o, A)
            x = torch.cat([o, pa], 1)
            a_loss = (alpha * logp - torch.min(q1(x), q2(x)).view(-1)).mean()
            a_opt.zero_grad()
            a_loss.backward()
            a_opt.step()
            al_loss = (-log_alpha.exp() * (logp.detach() - A)).mean()
            al_opt.zero_grad()
            al_loss.backward()
            al_opt.step()
            polyak(((q1, q1t), (q2, q2t)))
        elif n_updates % 2 == 0:
            a_loss = -q1(torch.cat([o, actor(o)], 1)).mean()
            a_opt.zero_grad()
            a_loss.backward()
            a_opt.step()
            polyak(((actor, actor_t), (q1, q1t), (q2, q2t)))

    returns = []
    obs, _ = env.reset(seed=a.seed)
    t0, c0 = time.perf_counter(), time.process_time()
    c_learn = None
    for step in range(a.steps):
        if step == a.learning_starts:
            c_learn = time.process_time()
        if step < a.learning_starts:
            act = rng.uniform(-1, 1, A).astype(np.float32)
        else:
            with torch.no_grad():
                o = torch.as_tensor(obs, dtype=torch.float32).unsqueeze(0)
                if a.algo == "sac":
                    act = sample_squashed(actor, o, A)[0][0].numpy()
                else:
                    act = (actor(o)[0].numpy() + rng.normal(0, 0.1, A)).clip(-1, 1).astype(np.float32)
        nobs, r, term, trunc, info = env.step(act * half + mid)
        i = step % cap
        obs_b[i], nobs_b[i], act_b[i], rew_b[i], done_b[i] = obs, nobs, act, r, float(term)
        if "episode" in info:
            returns.append(float(info["episode"]["r"]))
        obs = nobs
        if term or trunc:
            obs, _ = env.reset()
        if step >= a.learning_starts:
            update(step - a.learning_starts, min(step + 1, cap))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    learn_cpu = time.process_time() - c_learn
    last = returns[-20:]
    print(json.dumps({
        "algo": a.algo, "env": a.env, "hidden": a.hidden, "steps": a.steps,
        "learning_starts": a.learning_starts, "torch": torch.__version__, "gymnasium": gym.__version__,
        "blas": mapped_blas(), "wall_s": wall, "cpu_s": cpu, "sps": a.steps / wall, "sps_cpu": a.steps / cpu,
        "cpu_ms_per_learning_step": 1000 * learn_cpu / (a.steps - a.learning_starts),
        "last20_return": sum(last) / len(last) if last else None,
    }))


if __name__ == "__main__":
    main()
