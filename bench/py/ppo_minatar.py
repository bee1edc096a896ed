"""PPO on MinAtar in PyTorch, written the way CleanRL's ppo_atari.py is (our own code): N envs
stepped in a Python loop, a shared trunk (one 3x3 conv with 16 filters, 128 ReLU units, MinAtar's
baseline network) with policy and value heads, GAE, clipped surrogate and value loss, entropy
bonus, per-minibatch advantage normalisation, global-norm clipping 0.5, Adam with eps 1e-5 and
the learning rate annealed to 0, 1 torch thread. Hyperparameters match presets/ppo.json's MinAtar
entries (pass them as flags) so the two runs do the same work per step.

MinAtar's Python environments are not installed here: point MINATAR_SRC at a directory that holds
the `minatar` package of MinAtar 1.0.15 (numpy only; its gymnasium wrapper is not used: the
environment class is stepped directly with the minimal action set and sticky actions 0.1, as
MinAtar's wrapper does). Prints one JSON line: steps, wall seconds, SPS, the time split between
acting (forward + env) and updates, and the mean return of the last 20 episodes.

    MINATAR_SRC=/path/to/MinAtar /usr/bin/python3 bench/py/ppo_minatar.py --game breakout --steps 50000
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
from blas_info import mapped_blas


def make_env(game, seed):
    sys.path.insert(0, os.environ["MINATAR_SRC"])
    from minatar import Environment  # noqa: E402 (found through MINATAR_SRC)

    env = Environment(game, sticky_action_prob=0.1)
    env.seed(seed)
    env.reset()
    return env


class Net(nn.Module):
    def __init__(self, channels, actions):
        super().__init__()
        self.trunk = nn.Sequential(
            nn.Conv2d(channels, 16, 3), nn.ReLU(), nn.Flatten(), nn.Linear(16 * 8 * 8, 128), nn.ReLU()
        )
        self.pi = nn.Linear(128, actions)
        self.v = nn.Linear(128, 1)

    def forward(self, x):
        h = self.trunk(x.permute(0, 3, 1, 2))
        return self.pi(h), self.v(h).squeeze(-1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--game", default="breakout")
    p.add_argument("--steps", type=int, default=50_000)
    p.add_argument("--envs", type=int, default=16)
    p.add_argument("--rollout", type=int, default=128)
    p.add_argument("--minibatches", type=int, default=8)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--ent", type=float, default=0.01)
    p.add_argument("--clip", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    envs = [make_env(a.game, a.seed + i) for i in range(a.envs)]
    action_set = envs[0].minimal_action_set()
    shape = envs[0].state_shape()
    net = Net(shape[2], len(action_set))
    opt = torch.optim.Adam(net.parameters(), lr=a.lr, eps=1e-5)
    N, T = a.envs, a.rollout
    obs_buf = torch.zeros((T, N) + tuple(shape))
    act_buf = torch.zeros((T, N), dtype=torch.long)
    logp_buf, rew_buf, done_buf, val_buf = (torch.zeros((T, N)) for _ in range(4))
    obs = torch.tensor(np.stack([e.state() for e in envs]), dtype=torch.float32)
    ep_ret = np.zeros(N)
    returns = []
    iterations = a.steps // (N * T)
    t_act = t_update = 0.0
    start = time.perf_counter()
    cpu0 = time.process_time()
    for it in range(iterations):
        for g in opt.param_groups:
            g["lr"] = a.lr * (1 - it / iterations)
        t0 = time.perf_counter()
        for t in range(T):
            with torch.no_grad():
                logits, v = net(obs)
            dist = torch.distributions.Categorical(logits=logits)
            act = dist.sample()
            obs_buf[t], act_buf[t], logp_buf[t], val_buf[t] = obs, act, dist.log_prob(act), v
            nxt = []
            for i, e in enumerate(envs):
                r, done = e.act(action_set[act[i].item()])
                ep_ret[i] += r
                rew_buf[t, i] = r
                done_buf[t, i] = float(done)
                if done:
                    returns.append(ep_ret[i])
                    ep_ret[i] = 0
                    e.reset()
                nxt.append(e.state())
            obs = torch.tensor(np.stack(nxt), dtype=torch.float32)
        with torch.no_grad():
            _, last_v = net(obs)
            adv = torch.zeros((T, N))
            gae = torch.zeros(N)
            for t in reversed(range(T)):
                nv = last_v if t == T - 1 else val_buf[t + 1]
                nonterminal = 1 - done_buf[t]
                delta = rew_buf[t] + 0.99 * nv * nonterminal - val_buf[t]
                gae = delta + 0.99 * 0.95 * nonterminal * gae
                adv[t] = gae
            ret = adv + val_buf
        t1 = time.perf_counter()
        b_obs = obs_buf.reshape((-1,) + tuple(shape))
        b_act, b_logp, b_adv = act_buf.reshape(-1), logp_buf.reshape(-1), adv.reshape(-1)
        b_ret, b_val = ret.reshape(-1), val_buf.reshape(-1)
        mb = N * T // a.minibatches
        for _ in range(a.epochs):
            perm = torch.randperm(N * T)
            for k in range(a.minibatches):
                idx = perm[k * mb : (k + 1) * mb]
                logits, v = net(b_obs[idx])
                dist = torch.distributions.Categorical(logits=logits)
                ratio = (dist.log_prob(b_act[idx]) - b_logp[idx]).exp()
                A = b_adv[idx]
                A = (A - A.mean()) / (A.std() + 1e-8)
                pg = torch.max(-A * ratio, -A * ratio.clamp(1 - a.clip, 1 + a.clip)).mean()
                v_clip = b_val[idx] + (v - b_val[idx]).clamp(-a.clip, a.clip)
                vl = 0.5 * torch.max((v - b_ret[idx]) ** 2, (v_clip - b_ret[idx]) ** 2).mean()
                loss = pg - a.ent * dist.entropy().mean() + 0.5 * vl
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(net.parameters(), 0.5)
                opt.step()
        t_act += t1 - t0
        t_update += time.perf_counter() - t1
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    steps = iterations * N * T
    last = returns[-20:]
    print(
        json.dumps(
            {
                "game": a.game,
                "steps": steps,
                "wall_s": wall,
                "sps": steps / wall,
                "cpu_s": cpu,
                "blas": mapped_blas(),
                "act_s": t_act,
                "update_s": t_update,
                "last20_return": float(np.mean(last)) if last else None,
            }
        )
    )


if __name__ == "__main__":
    main()
