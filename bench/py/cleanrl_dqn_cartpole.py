"""Paired baseline for bench/train.ts. CleanRL dqn.py's loop and defaults on CartPole-v1 (written for this measurement, not copied):
SyncVectorEnv of 1 with RecordEpisodeStatistics, Q-network 120-84 relu, Adam 2.5e-4, buffer 10k,
learning starts 10k, a gradient step (batch 128) every 10 steps, hard target update every 500,
epsilon 1 -> 0.05 over half the run. Prints one JSON line: steps, wall s, SPS, CPU s."""
import json, sys, time, random
import numpy as np, torch, torch.nn as nn, gymnasium as gym

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
torch.set_num_threads(1)
random.seed(seed); np.random.seed(seed); torch.manual_seed(seed)

def make():
    e = gym.make("CartPole-v1")
    return gym.wrappers.RecordEpisodeStatistics(e)

envs = gym.vector.SyncVectorEnv([make])
q = nn.Sequential(nn.Linear(4, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 2))
target = nn.Sequential(nn.Linear(4, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 2))
target.load_state_dict(q.state_dict())
opt = torch.optim.Adam(q.parameters(), lr=2.5e-4)
N = 10000
obs_b = np.zeros((N, 4), np.float32); next_b = np.zeros((N, 4), np.float32)
act_b = np.zeros((N, 1), np.int64); rew_b = np.zeros((N, 1), np.float32); done_b = np.zeros((N, 1), np.float32)
pos = 0; full = False
returns = []
obs, _ = envs.reset(seed=seed)
t0 = time.time(); c0 = time.process_time()
for step in range(steps):
    eps = max(0.05, 1.0 + (0.05 - 1.0) * step / (0.5 * steps))
    if random.random() < eps:
        actions = np.array([envs.single_action_space.sample()])
    else:
        with torch.no_grad():
            actions = torch.argmax(q(torch.as_tensor(obs)), dim=1).numpy()
    next_obs, rewards, term, trunc, infos = envs.step(actions)
    if "episode" in infos and infos["_episode"][0]:
        returns.append(float(infos["episode"]["r"][0]))
    real_next = next_obs.copy()
    if trunc[0] and "final_obs" in infos:
        real_next[0] = infos["final_obs"][0]
    obs_b[pos] = obs[0]; next_b[pos] = real_next[0]; act_b[pos] = actions[0]; rew_b[pos] = rewards[0]; done_b[pos] = term[0]
    pos = (pos + 1) % N; full = full or pos == 0
    obs = next_obs
    if step > 10000:
        if step % 10 == 0:
            idx = np.random.randint(0, N if full else pos, size=128)
            with torch.no_grad():
                tmax = target(torch.as_tensor(next_b[idx])).max(dim=1).values
                td = torch.as_tensor(rew_b[idx]).flatten() + 0.99 * tmax * (1 - torch.as_tensor(done_b[idx]).flatten())
            old = q(torch.as_tensor(obs_b[idx])).gather(1, torch.as_tensor(act_b[idx])).squeeze()
            loss = nn.functional.mse_loss(td, old)
            opt.zero_grad(); loss.backward(); opt.step()
        if step % 500 == 0:
            target.load_state_dict(q.state_dict())
wall = time.time() - t0; cpu = time.process_time() - c0
print(json.dumps({"impl": "cleanrl-style torch", "steps": steps, "wall_s": round(wall, 2), "sps": round(steps / wall), "cpu_sps": round(steps / cpu), "last20": round(float(np.mean(returns[-20:])), 1) if returns else None}))
