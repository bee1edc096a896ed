"""Paired baseline for bench/train.ts --sb3: Stable-Baselines3's PPO configured as rldistill's
CartPole 256-256 teacher preset (presets/ppo-cartpole-teacher.json), given on the command line:
--envs DummyVecEnv CartPole-v1 envs, --rollout steps per env (n_steps), --minibatches per epoch
(batch_size = envs * rollout / minibatches), --epochs (n_epochs), --lr annealed linearly to 0 (our
annealLr), clip 0.2 for the policy and the value (our clipVloss), entropy --ent, value 0.5, grad
norm 0.5, GAE 0.99/0.95, net_arch pi=vf=--hidden with tanh (SB3's MlpPolicy, orthogonal init),
Adam eps 1e-5, one torch thread, CPU.

Needs a Python where `import stable_baselines3` works (e.g. PYTHONPATH pointing at its source).
Times model.learn() alone (wall and process CPU) and prints one JSON line."""
import argparse
import json
import time

import gymnasium as gym
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import DummyVecEnv
import stable_baselines3
from blas_info import mapped_blas


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=30000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--envs", type=int, default=8)
    p.add_argument("--rollout", type=int, default=64)
    p.add_argument("--minibatches", type=int, default=2)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--ent", type=float, default=0.0)
    p.add_argument("--gamma", type=float, default=0.99)
    p.add_argument("--gae-lambda", type=float, default=0.95)
    p.add_argument("--clip", type=float, default=0.2)
    p.add_argument("--hidden", type=int, nargs="+", default=[256, 256])
    a = p.parse_args()
    torch.set_num_threads(1)
    env = make_vec_env("CartPole-v1", n_envs=a.envs, seed=a.seed, vec_env_cls=DummyVecEnv)
    lr = a.lr
    model = PPO(
        "MlpPolicy",
        env,
        learning_rate=lambda remaining: remaining * lr,
        n_steps=a.rollout,
        batch_size=a.envs * a.rollout // a.minibatches,
        n_epochs=a.epochs,
        gamma=a.gamma,
        gae_lambda=a.gae_lambda,
        clip_range=a.clip,
        clip_range_vf=a.clip,
        ent_coef=a.ent,
        vf_coef=0.5,
        max_grad_norm=0.5,
        policy_kwargs=dict(net_arch=dict(pi=a.hidden, vf=a.hidden), activation_fn=torch.nn.Tanh),
        seed=a.seed,
        device="cpu",
        verbose=0,
    )
    t0 = time.time()
    c0 = time.process_time()
    model.learn(total_timesteps=a.steps)
    wall = time.time() - t0
    cpu = time.process_time() - c0
    returns = [ep["r"] for ep in model.ep_info_buffer][-20:]
    print(
        json.dumps(
            {
                "steps": model.num_timesteps,
                "wall_s": wall,
                "cpu_s": cpu,
                "sps": model.num_timesteps / wall,
                "cpu_sps": model.num_timesteps / cpu,
                "last20_return": sum(returns) / max(1, len(returns)),
                "sb3": stable_baselines3.__version__,
                "torch": torch.__version__,
                "gymnasium": gym.__version__,
                "blas": mapped_blas(),
            }
        )
    )


if __name__ == "__main__":
    main()
