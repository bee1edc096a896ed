"""Paired baseline for bench/train.ts. CleanRL ppo.py's loop and defaults on CartPole-v1 (written for this measurement, not copied):
4 envs x 128 steps, 64-64 tanh actor and critic (orthogonal init), Adam 2.5e-4 (eps 1e-5) annealed,
GAE 0.99/0.95, 4 epochs x 4 minibatches, clip 0.2, entropy 0.01, value 0.5 (clipped), grad norm 0.5.
Prints one JSON line: steps, wall s, SPS, SPS per CPU second."""
import json, sys, time
import numpy as np, torch, torch.nn as nn, gymnasium as gym

total = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
torch.set_num_threads(1); np.random.seed(seed); torch.manual_seed(seed)
N, T = 4, 128
envs = gym.vector.SyncVectorEnv([lambda: gym.wrappers.RecordEpisodeStatistics(gym.make("CartPole-v1")) for _ in range(N)])

def lin(i, o, std=np.sqrt(2)):
    l = nn.Linear(i, o); nn.init.orthogonal_(l.weight, std); nn.init.constant_(l.bias, 0.0); return l
critic = nn.Sequential(lin(4, 64), nn.Tanh(), lin(64, 64), nn.Tanh(), lin(64, 1, 1.0))
actor = nn.Sequential(lin(4, 64), nn.Tanh(), lin(64, 64), nn.Tanh(), lin(64, 2, 0.01))
params = list(critic.parameters()) + list(actor.parameters())
opt = torch.optim.Adam(params, lr=2.5e-4, eps=1e-5)
obs_b = torch.zeros((T, N, 4)); act_b = torch.zeros((T, N)); logp_b = torch.zeros((T, N))
rew_b = torch.zeros((T, N)); done_b = torch.zeros((T, N)); val_b = torch.zeros((T, N))
obs, _ = envs.reset(seed=seed); obs = torch.as_tensor(obs, dtype=torch.float32); done = torch.zeros(N)
iters = total // (N * T); step = 0; returns = []
t0 = time.time(); c0 = time.process_time()
for it in range(iters):
    for g in opt.param_groups: g["lr"] = (1.0 - it / iters) * 2.5e-4
    for t in range(T):
        step += N; obs_b[t] = obs; done_b[t] = done
        with torch.no_grad():
            logits = actor(obs); dist = torch.distributions.Categorical(logits=logits)
            a = dist.sample(); val_b[t] = critic(obs).flatten(); logp_b[t] = dist.log_prob(a)
        act_b[t] = a
        nobs, r, term, trunc, info = envs.step(a.numpy())
        if "episode" in info:
            for k in np.nonzero(info["_episode"])[0]: returns.append(float(info["episode"]["r"][k]))
        rew_b[t] = torch.as_tensor(r, dtype=torch.float32)
        obs = torch.as_tensor(nobs, dtype=torch.float32); done = torch.as_tensor(np.logical_or(term, trunc), dtype=torch.float32)
    with torch.no_grad():
        nv = critic(obs).flatten(); adv = torch.zeros_like(rew_b); last = 0
        for t in reversed(range(T)):
            nnt = 1.0 - (done if t == T - 1 else done_b[t + 1]); nval = nv if t == T - 1 else val_b[t + 1]
            delta = rew_b[t] + 0.99 * nval * nnt - val_b[t]
            last = delta + 0.99 * 0.95 * nnt * last; adv[t] = last
        ret = adv + val_b
    bo, ba, bl, badv, bret, bv = obs_b.reshape(-1, 4), act_b.reshape(-1), logp_b.reshape(-1), adv.reshape(-1), ret.reshape(-1), val_b.reshape(-1)
    idx = np.arange(N * T); mb = N * T // 4
    for ep in range(4):
        np.random.shuffle(idx)
        for s in range(0, N * T, mb):
            m = idx[s:s + mb]
            dist = torch.distributions.Categorical(logits=actor(bo[m])); nl = dist.log_prob(ba[m].long())
            ratio = (nl - bl[m]).exp(); a_ = badv[m]; a_ = (a_ - a_.mean()) / (a_.std() + 1e-8)
            pg = torch.max(-a_ * ratio, -a_ * torch.clamp(ratio, 0.8, 1.2)).mean()
            v = critic(bo[m]).flatten(); vc = bv[m] + torch.clamp(v - bv[m], -0.2, 0.2)
            vl = 0.5 * torch.max((v - bret[m]) ** 2, (vc - bret[m]) ** 2).mean()
            loss = pg - 0.01 * dist.entropy().mean() + 0.5 * vl
            opt.zero_grad(); loss.backward(); nn.utils.clip_grad_norm_(params, 0.5); opt.step()
wall = time.time() - t0; cpu = time.process_time() - c0
print(json.dumps({"impl": "cleanrl-style torch ppo", "steps": step, "wall_s": round(wall, 2), "sps": round(step / wall), "cpu_sps": round(step / cpu), "last20": round(float(np.mean(returns[-20:])), 1) if returns else None}))
