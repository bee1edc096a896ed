"""SAC gradient steps in PyTorch with CleanRL's sac_continuous_action.py update rules (our own
code): twin Q networks on [obs, action], Polyak targets (tau 0.005), a tanh-squashed Gaussian actor
with log std squashed into [-5, 2], automatic entropy tuning towards -|A|, one actor step per
critic step (SB3's schedule), 256-256 ReLU, batch 256, Adam 3e-4, 1 thread.

The replay is random data of Hopper-v5's shapes (MuJoCo for Python does not install here), so
this measures update throughput only. Prints one JSON line.

    python3 bench/py/sac_update.py --steps 200 --obs 11 --act 3
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from blas_info import mapped_blas


def mlp(i, o, h):
    return nn.Sequential(nn.Linear(i, h[0]), nn.ReLU(), nn.Linear(h[0], h[1]), nn.ReLU(), nn.Linear(h[1], o))


def sample_squashed(actor, o, A):
    """One draw of the tanh-squashed Gaussian policy (log std squashed into [-5, 2]) and its log
    probability with the tanh correction; shared with offpolicy_mujoco.py."""
    out = actor(o)
    mean, raw = out[:, :A], out[:, A:]
    log_std = -5 + 0.5 * 7 * (torch.tanh(raw) + 1)
    std = log_std.exp()
    u = mean + std * torch.randn_like(mean)
    y = torch.tanh(u)
    logp = (-0.5 * ((u - mean) / std) ** 2 - log_std - 0.5 * math.log(2 * math.pi)).sum(1)
    return y, logp - torch.log(1 - y.pow(2) + 1e-6).sum(1)


def polyak(pairs, tau=0.005):
    """Target <- (1 - tau) target + tau online, for each (online, target) pair of networks."""
    with torch.no_grad():
        for net, tgt in pairs:
            for p_, tp in zip(net.parameters(), tgt.parameters()):
                tp.mul_(1 - tau).add_(tau * p_)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--obs", type=int, default=11)
    p.add_argument("--act", type=int, default=3)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--hidden", type=int, nargs=2, default=[256, 256])
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    O, A, B = a.obs, a.act, a.batch
    actor = mlp(O, 2 * A, a.hidden)
    q1, q2 = mlp(O + A, 1, a.hidden), mlp(O + A, 1, a.hidden)
    q1t, q2t = mlp(O + A, 1, a.hidden), mlp(O + A, 1, a.hidden)
    q1t.load_state_dict(q1.state_dict())
    q2t.load_state_dict(q2.state_dict())
    q_opt = torch.optim.Adam(list(q1.parameters()) + list(q2.parameters()), lr=3e-4)
    a_opt = torch.optim.Adam(actor.parameters(), lr=3e-4)
    log_alpha = torch.zeros(1, requires_grad=True)
    al_opt = torch.optim.Adam([log_alpha], lr=3e-4)
    target_entropy = -float(A)
    N = 10_000
    obs, nobs = torch.randn(N, O), torch.randn(N, O)
    acts, rews, dones = torch.rand(N, A) * 2 - 1, torch.randn(N), (torch.rand(N) < 0.01).float()

    def step():
        idx = torch.randint(0, N, (B,))
        o, no, ac, r, d = obs[idx], nobs[idx], acts[idx], rews[idx], dones[idx]
        alpha = log_alpha.exp().item()
        with torch.no_grad():
            na, nlogp = sample_squashed(actor, no, A)
            x = torch.cat([no, na], 1)
            target = r + 0.99 * (1 - d) * (torch.min(q1t(x), q2t(x)).view(-1) - alpha * nlogp)
        x = torch.cat([o, ac], 1)
        q_loss = 0.5 * (F.mse_loss(q1(x).view(-1), target) + F.mse_loss(q2(x).view(-1), target))
        q_opt.zero_grad()
        q_loss.backward()
        q_opt.step()
        pa, logp = sample_squashed(actor, o, A)
        x = torch.cat([o, pa], 1)
        a_loss = (alpha * logp - torch.min(q1(x), q2(x)).view(-1)).mean()
        a_opt.zero_grad()
        a_loss.backward()
        a_opt.step()
        al_loss = (-log_alpha.exp() * (logp.detach() + target_entropy)).mean()
        al_opt.zero_grad()
        al_loss.backward()
        al_opt.step()
        polyak(((q1, q1t), (q2, q2t)))

    for _ in range(a.warmup):
        step()
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(a.steps):
        step()
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    print(json.dumps({"torch": torch.__version__, "blas": mapped_blas(), "steps": a.steps,
                      "cpu_ms_per_update": 1000 * cpu / a.steps, "wall_ms_per_update": 1000 * wall / a.steps}))


if __name__ == "__main__":
    main()
