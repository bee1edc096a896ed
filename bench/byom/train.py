"""
PyTorch teachers for the bring-your-own-model measurements (docs/byom.md), trained here by
behaviour cloning from the shipped teachers' labels (bench/byom/dataset.ts) and exported exactly
as Stable-Baselines3's docs and CleanRL do:

  ppo.onnx       SB3-shaped ActorCriticPolicy (64-64 tanh), OnnxableSB3Policy export (opset 17)
  ppo.zip        the same policy as an SB3 model archive (data JSON + policy.pth via torch.save)
  dqn.onnx       SB3-shaped DQNPolicy (64-64 ReLU) trained on the shipped DQN's Q-values; q_net export
  dqn.zip        the same as an SB3 archive
  actor.onnx     CleanRL ppo.py actor (nn.Sequential 64-64 tanh), torch.onnx.export(agent.actor)
  actor.pt       its state_dict

  /usr/bin/python3 bench/byom/train.py DATASET.json OUT_DIR [epochs]
"""
import json
import os
import sys

import torch as th
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "src", "distill", "teachers", "testing"))
import sb3_shaped as sb3  # noqa: E402


def fit(params, loss_fn, epochs, n, batch=256, lr=1e-3):
    opt = th.optim.Adam(params, lr=lr)
    g = th.Generator().manual_seed(0)
    for ep in range(epochs):
        perm = th.randperm(n, generator=g)
        total = 0.0
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            loss = loss_fn(idx)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        print(f"  epoch {ep + 1}: loss {total / n:.5f}", flush=True)


def main(dataset, out, epochs):
    th.manual_seed(0)
    d = json.load(open(dataset))
    x = th.tensor(d["obs"], dtype=th.float32)
    n = x.shape[0]
    teacher_probs = th.softmax(th.tensor(d["logits"]).reshape(n, 2), dim=1)
    value = th.tensor(d["value"]).reshape(n, 1)
    q = th.tensor(d["q"]).reshape(n, 2)
    os.makedirs(out, exist_ok=True)

    print("SB3-style PPO policy (behaviour cloning: cross-entropy on the teacher's probabilities + value MSE)")
    ppo = sb3.ActorCriticPolicy(4, 2, True)

    def ppo_loss(idx):
        f = ppo.features_extractor(x[idx])
        logp = th.log_softmax(ppo.action_net(ppo.mlp_extractor.policy_net(f)), dim=1)
        v = ppo.value_net(ppo.mlp_extractor.value_net(f))
        return -(teacher_probs[idx] * logp).sum(1).mean() + 0.5 * ((v - value[idx]) ** 2).mean() / 100.0

    fit(ppo.parameters(), ppo_loss, epochs, n)
    ppo.eval()
    sb3.export(ppo, "ppo", os.path.join(out, "ppo.onnx"), 4)
    sb3.write_zip(ppo, "ppo", os.path.join(out, "ppo.zip"), 4, 2)

    print("SB3-style DQN q_net (regression on the shipped DQN's Q-values, its action gaps weighted up)")
    dqn = sb3.DQNPolicy(4, 2)

    def dqn_loss(idx):
        # CartPole's Q-values are ~60-100 while the gap between the two actions is often < 1: plain
        # MSE learns the level and not the greedy action, so the advantages get their own term.
        pred, target = dqn.q_net(x[idx]), q[idx]
        adv = (pred - pred.mean(1, keepdim=True)) - (target - target.mean(1, keepdim=True))
        return ((pred - target) ** 2).mean() + 100.0 * (adv**2).mean()

    fit(dqn.q_net.parameters(), dqn_loss, epochs * 3, n)
    dqn.q_net_target.load_state_dict(dqn.q_net.state_dict())
    dqn.eval()
    sb3.export(dqn, "dqn", os.path.join(out, "dqn.onnx"), 4)
    sb3.write_zip(dqn, "dqn", os.path.join(out, "dqn.zip"), 4, 2)

    print("CleanRL actor (cross-entropy)")
    actor = sb3.cleanrl_actor(4, 2)
    fit(actor.parameters(), lambda idx: -(teacher_probs[idx] * th.log_softmax(actor(x[idx]), 1)).sum(1).mean(), epochs, n)
    actor.eval()
    th.save(actor.state_dict(), os.path.join(out, "actor.pt"))
    th.onnx.export(actor, th.randn(1, 4), os.path.join(out, "actor.onnx"), opset_version=17,
                   input_names=["input"], dynamic_axes={"input": {0: "batch"}})
    print(f"wrote {out}/ppo.onnx ppo.zip dqn.onnx dqn.zip actor.onnx actor.pt")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 10)
