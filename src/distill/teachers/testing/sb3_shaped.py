"""
PyTorch modules shaped exactly like Stable-Baselines3 2.x policies and CleanRL actors (same module
names, so the same state_dict keys and the same ONNX graphs), the export recipes of SB3's docs and
CleanRL, and an SB3-style .zip writer (`data` JSON + `policy.pth` through torch.save).

SB3 itself is not installable here; these classes copy its structure (not its code):
  ActorCriticPolicy: features_extractor (Flatten), mlp_extractor.{policy_net,value_net}
                     (Linear/Tanh pairs), action_net, value_net, log_std (Box actions)
  DQNPolicy:         q_net.{features_extractor, q_net (Linear/ReLU ..., Linear)}, q_net_target
  SAC Actor:         features_extractor, latent_pi (Linear/ReLU pairs), mu, log_std (Linear)
Used by the tests in src/distill/teachers (python3-torch) and by the byom guide's measurements.

Usage: python3 sb3_shaped.py export KIND OUT.onnx [--fixed-batch] [--obs N] [--act N] [--seed S] [--weights W.json]
       python3 sb3_shaped.py zip KIND OUT.zip [--obs N] [--act N] [--seed S] [--weights W.json]
       python3 sb3_shaped.py statedict OUT.pt [--obs N] [--act N] [--seed S] [--weights W.json] [--onnx OUT.onnx]
(statedict: CleanRL's actor; --onnx also exports it as CleanRL users do.) --weights: JSON
{"pi": [[W [in][out], b], ...], "vf": [...], "logStd": [...], "activation": "tanh"|"relu"}.
       python3 sb3_shaped.py batch JOBS.json   (a JSON list of the argument lists above; one torch import)
KIND: ppo (Discrete), ppo-box (Box), dqn, sac. Prints reference outputs as JSON on stdout.
"""
import io
import json
import sys
import zipfile

import torch as th
from torch import nn


class FlattenExtractor(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()

    def forward(self, x):
        return self.flatten(x)


def mlp(sizes, act):
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), act()]
    return nn.Sequential(*layers)


class MlpExtractor(nn.Module):
    def __init__(self, obs, arch, act):
        super().__init__()
        self.policy_net = mlp([obs] + arch, act)
        self.value_net = mlp([obs] + arch, act)


class ActorCriticPolicy(nn.Module):
    """SB3's ActorCriticPolicy (MlpPolicy), Categorical or diagonal Gaussian actions."""

    def __init__(self, obs, act, discrete, arch=(64, 64), act_fn=nn.Tanh, log_std_init=0.0):
        super().__init__()
        self.discrete = discrete
        self.features_extractor = FlattenExtractor()
        self.pi_features_extractor = self.features_extractor
        self.vf_features_extractor = self.features_extractor
        self.mlp_extractor = MlpExtractor(obs, list(arch), act_fn)
        if not discrete:
            self.log_std = nn.Parameter(th.ones(act) * log_std_init)
        self.action_net = nn.Linear(arch[-1], act)
        self.value_net = nn.Linear(arch[-1], 1)

    def forward(self, obs, deterministic=False):
        features = self.features_extractor(obs.float())
        latent_pi = self.mlp_extractor.policy_net(features)
        latent_vf = self.mlp_extractor.value_net(features)
        values = self.value_net(latent_vf)
        mean = self.action_net(latent_pi)
        if self.discrete:
            dist = th.distributions.Categorical(logits=mean)
            actions = th.argmax(dist.probs, dim=1) if deterministic else dist.sample()
        else:
            dist = th.distributions.Normal(mean, th.ones_like(mean) * self.log_std.exp())
            actions = mean if deterministic else dist.rsample()
        log_prob = dist.log_prob(actions)
        if not self.discrete:
            log_prob = log_prob.sum(dim=1)
        actions = actions.reshape((-1,) + (() if self.discrete else (mean.shape[1],)))
        return actions, values, log_prob


class QNetwork(nn.Module):
    def __init__(self, obs, act, arch=(64, 64)):
        super().__init__()
        self.features_extractor = FlattenExtractor()
        layers = []
        for a, b in zip([obs] + list(arch[:-1]), arch):
            layers += [nn.Linear(a, b), nn.ReLU()]
        layers.append(nn.Linear(arch[-1], act))
        self.q_net = nn.Sequential(*layers)

    def forward(self, obs):
        return self.q_net(self.features_extractor(obs.float()))


class DQNPolicy(nn.Module):
    def __init__(self, obs, act, arch=(64, 64)):
        super().__init__()
        self.q_net = QNetwork(obs, act, arch)
        self.q_net_target = QNetwork(obs, act, arch)
        self.q_net_target.load_state_dict(self.q_net.state_dict())

    def forward(self, obs, deterministic=True):
        return self.q_net(obs).argmax(dim=1).reshape(-1)


class SACActor(nn.Module):
    def __init__(self, obs, act, arch=(64, 64)):
        super().__init__()
        self.features_extractor = FlattenExtractor()
        self.latent_pi = mlp([obs] + list(arch), nn.ReLU)
        self.mu = nn.Linear(arch[-1], act)
        self.log_std = nn.Linear(arch[-1], act)

    def forward(self, obs, deterministic=True):
        mean = self.mu(self.latent_pi(self.features_extractor(obs.float())))
        return th.tanh(mean)  # deterministic: the squashed mean, in [-1, 1]


class SACPolicy(nn.Module):
    """SB3's SACPolicy: actor, critic (twin qf0/qf1 on [obs, action]) and critic_target."""

    def __init__(self, obs, act, arch=(64, 64)):
        super().__init__()
        self.actor = SACActor(obs, act, arch)
        self.critic = nn.Module()
        self.critic.qf0 = mlp([obs + act] + list(arch), nn.ReLU).append(nn.Linear(arch[-1], 1))
        self.critic.qf1 = mlp([obs + act] + list(arch), nn.ReLU).append(nn.Linear(arch[-1], 1))
        self.critic_target = nn.Module()
        self.critic_target.qf0 = mlp([obs + act] + list(arch), nn.ReLU).append(nn.Linear(arch[-1], 1))
        self.critic_target.qf1 = mlp([obs + act] + list(arch), nn.ReLU).append(nn.Linear(arch[-1], 1))

    def forward(self, obs, deterministic=True):
        return self.actor(obs, deterministic)


class OnnxableSB3Policy(nn.Module):
    """SB3 docs' export recipe for on-policy algorithms: actions, values, log_prob."""

    def __init__(self, policy):
        super().__init__()
        self.policy = policy

    def forward(self, observation):
        return self.policy(observation, deterministic=True)


class OnnxableSACActor(nn.Module):
    """SB3 docs' recipe for SAC/TD3: the deterministic actor (tanh-squashed, in [-1, 1])."""

    def __init__(self, actor):
        super().__init__()
        self.actor = actor

    def forward(self, observation):
        return self.actor(observation, deterministic=True)


def cleanrl_actor(obs, act, hidden=64):
    """CleanRL ppo.py's Agent.actor: layer_init(Linear) / Tanh, as an nn.Sequential."""
    return nn.Sequential(
        nn.Linear(obs, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, act)
    )


def build(kind, obs, act, seed, weights=None):
    """A fresh module, or one holding given weights: JSON {"pi": [[W as [in][out] rows, b], ...], "vf": [...]}."""
    th.manual_seed(seed)
    arch = (64, 64) if weights is None else tuple(len(b) for _, b in weights["pi"][:-1])
    act_fn = nn.ReLU if weights is not None and weights.get("activation") == "relu" else nn.Tanh
    if kind == "ppo":
        m = ActorCriticPolicy(obs, act, True, arch, act_fn)
    elif kind == "ppo-box":
        m = ActorCriticPolicy(obs, act, False, arch, act_fn, log_std_init=-0.5)
    elif kind == "dqn":
        m = DQNPolicy(obs, act, arch)
    elif kind == "sac":
        m = SACPolicy(obs, act, arch)
    else:
        raise SystemExit(f"unknown kind {kind}")
    if weights is not None:
        load_weights(m, kind, weights)
    return m


def _set(linear, wb):
    w, b = wb
    with th.no_grad():
        linear.weight.copy_(th.tensor(w, dtype=th.float32).t())
        linear.bias.copy_(th.tensor(b, dtype=th.float32))


def load_weights(m, kind, weights):
    pi = weights["pi"]
    if kind in ("ppo", "ppo-box"):
        hidden = [l for l in m.mlp_extractor.policy_net if isinstance(l, nn.Linear)]
        for lin, wb in zip(hidden + [m.action_net], pi):
            _set(lin, wb)
        vhidden = [l for l in m.mlp_extractor.value_net if isinstance(l, nn.Linear)]
        for lin, wb in zip(vhidden + [m.value_net], weights["vf"]):
            _set(lin, wb)
        if kind == "ppo-box":
            with th.no_grad():
                m.log_std.copy_(th.tensor(weights["logStd"]))
    elif kind == "dqn":
        for q in (m.q_net, m.q_net_target):
            for lin, wb in zip([l for l in q.q_net if isinstance(l, nn.Linear)], pi):
                _set(lin, wb)
    elif kind == "cleanrl":
        for lin, wb in zip([l for l in m if isinstance(l, nn.Linear)], pi):
            _set(lin, wb)
    else:
        for lin, wb in zip([l for l in m.actor.latent_pi if isinstance(l, nn.Linear)] + [m.actor.mu], pi):
            _set(lin, wb)


def export(policy, kind, path, obs, fixed_batch=False):
    """Exactly the exporters' calls: SB3 docs (opset 17, input 'input', dynamic batch unless fixed)."""
    if kind in ("ppo", "ppo-box"):
        module = OnnxableSB3Policy(policy)
    elif kind == "dqn":
        module = policy.q_net  # Q-values; SB3's policy() would only give the argmax
    else:
        module = OnnxableSACActor(policy.actor)  # SB3 docs: OnnxablePolicy(model.policy.actor)
    dummy = th.randn(1, obs)
    kwargs = {} if fixed_batch else {"dynamic_axes": {"input": {0: "batch"}}}
    th.onnx.export(module, dummy, path, opset_version=9 if fixed_batch else 17, input_names=["input"], **kwargs)
    return module


def sb3_data(kind, obs, act, bound=1.0, legacy=False):
    """The `data` JSON of an SB3 zip, as save_util.data_to_json writes it (the fields a reader needs).

    legacy: as SB3 1.x wrote it for gym 0.21 spaces (rl-baselines3-zoo's trained agents): the class
    is gym.spaces.box.Box and the shape is the string "[obs]" under `shape`, not a list under `_shape`."""
    discrete = kind in ("ppo", "dqn")
    module = {"ppo": "stable_baselines3.common.policies", "ppo-box": "stable_baselines3.common.policies",
              "dqn": "stable_baselines3.dqn.policies", "sac": "stable_baselines3.sac.policies"}[kind]
    cls = {"ppo": "ActorCriticPolicy", "ppo-box": "ActorCriticPolicy", "dqn": "DQNPolicy", "sac": "SACPolicy"}[kind]
    box_obs = {":type:": "<class 'gymnasium.spaces.box.Box'>", ":serialized:": "gAWV",
               "dtype": "float32", "_shape": [obs], "low": "[-inf]", "high": "[inf]",
               "low_repr": "-inf", "high_repr": "inf", "_np_random": None}
    if discrete:
        action_space = {":type:": "<class 'gymnasium.spaces.discrete.Discrete'>", ":serialized:": "gAWV",
                        "n": str(act), "start": "0", "_shape": [], "dtype": "int64", "_np_random": None}
    else:
        action_space = {":type:": "<class 'gymnasium.spaces.box.Box'>", ":serialized:": "gAWV",
                        "dtype": "float32", "_shape": [act], "low": f"[-{bound}]", "high": f"[{bound}]",
                        "low_repr": f"-{bound}", "high_repr": f"{bound}", "_np_random": None}
    if legacy:
        for space in (box_obs, action_space):
            space[":type:"] = space[":type:"].replace("gymnasium.", "gym.")
            shape = space.pop("_shape")
            if shape:
                space["shape"] = "[" + " ".join(str(n) for n in shape) + "]"
    return {
        "policy_class": {":type:": "<class 'abc.ABCMeta'>", ":serialized:": "gAWV", "__module__": module,
                         "__init__": f"<function {cls}.__init__ at 0x7f0000000000>"},
        "policy_kwargs": {},
        "observation_space": box_obs,
        "action_space": action_space,
        "n_envs": 1,
        "num_timesteps": 0,
    }


def write_zip(policy, kind, path, obs, act, bound=1.0, legacy=False):
    """SB3's save_to_zip_file: data (JSON), policy.pth (torch.save of the state_dict), versions."""
    buf = io.BytesIO()
    th.save(policy.state_dict(), buf)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("data", json.dumps(sb3_data(kind, obs, act, bound, legacy), indent=4))
        z.writestr("policy.pth", buf.getvalue())
        z.writestr("_stable_baselines3_version", "2.4.1")
        z.writestr("system_info.txt", "- OS: test\n- PyTorch: " + th.__version__ + "\n")


def reference(policy, kind, obs, seed, n=16):
    g = th.Generator().manual_seed(seed + 1)
    x = th.randn(n, obs, generator=g)
    with th.no_grad():
        if kind in ("ppo", "ppo-box"):
            f = policy.features_extractor(x)
            out = policy.action_net(policy.mlp_extractor.policy_net(f))
            val = policy.value_net(policy.mlp_extractor.value_net(f))
        elif kind == "dqn":
            out, val = policy.q_net(x), None
        elif kind == "sac":
            out, val = policy(x), None
        else:
            out, val = policy(x), None
    return {"obs": x.flatten().tolist(), "out": out.flatten().tolist(),
            "value": None if val is None else val.flatten().tolist()}


def main(argv):
    cmd, kind = argv[0], argv[1]
    fixed = "--fixed-batch" in argv
    legacy = "--legacy-gym" in argv
    rest = [a for a in argv[2:] if a not in ("--fixed-batch", "--legacy-gym")]
    if cmd == "statedict":
        out, opts = kind, dict(zip(rest[0::2], rest[1::2]))
    else:
        out, opts = rest[0], dict(zip(rest[1::2], rest[2::2]))
    obs, act, seed = int(opts.get("--obs", 4)), int(opts.get("--act", 2)), int(opts.get("--seed", 0))
    weights = json.load(open(opts["--weights"])) if "--weights" in opts else None
    if cmd == "statedict":
        th.manual_seed(seed)
        hidden = 64 if weights is None else len(weights["pi"][0][1])
        actor = cleanrl_actor(obs, act, hidden)
        if weights is not None:
            load_weights(actor, "cleanrl", weights)
        th.save(actor.state_dict(), out)
        if "--onnx" in opts:  # CleanRL: torch.onnx.export(agent.actor, ...)
            th.onnx.export(actor, th.randn(1, obs), opts["--onnx"], opset_version=17, input_names=["input"],
                           dynamic_axes={"input": {0: "batch"}})
        return reference(actor, "cleanrl", obs, seed)
    policy = build(kind, obs, act, seed, weights).eval()
    if cmd == "export":
        export(policy, kind, out, obs, fixed)
    elif cmd == "zip":
        # --bound B: a Box action space [-B, B]; SB3 rescales SAC's tanh output to it (unscale_action).
        bound = float(opts.get("--bound", 1.0))
        write_zip(policy, kind, out, obs, act, bound, legacy)
        ref = reference(policy, kind, obs, seed)
        if kind == "sac":
            ref["out"] = [bound * v for v in ref["out"]]
        return ref
    else:
        raise SystemExit(f"unknown command {cmd}")
    return reference(policy, kind, obs, seed)


if __name__ == "__main__":
    if sys.argv[1] == "batch":  # one torch import for many jobs: a JSON list of argument lists
        print(json.dumps([main(job) for job in json.load(open(sys.argv[2]))]))
    else:
        print(json.dumps(main(sys.argv[1:])))
