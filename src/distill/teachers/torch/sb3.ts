/**
 * Stable-Baselines3 model archives (`model.save("ppo_cartpole")` -> ppo_cartpole.zip) and plain
 * PyTorch state_dicts (CleanRL) as PolicySpecs, without Python.
 *
 * An SB3 zip holds `data` (JSON: the policy class, policy_kwargs, spaces) and `policy.pth` (the
 * policy's state_dict, read by state-dict.ts without running pickle code). Supported policies:
 * - ActorCriticPolicy (PPO, A2C; MlpPolicy): `mlp_extractor.policy_net` + `action_net` (logits, or
 *   the Gaussian mean with `log_std`), and `mlp_extractor.value_net` + `value_net` as the value;
 * - DQNPolicy: `q_net.q_net` (Q-values); the target network is not used;
 * - SACPolicy / TD3Policy: the deterministic actor, tanh(mu) rescaled to the action bounds (SAC's
 *   state-dependent log std is not kept: the teacher is its mean action).
 * The hidden activation is policy_kwargs' `activation_fn`, else SB3's default (Tanh for
 * actor-critic, ReLU for DQN, SAC and TD3). Policies whose features extractor has weights (CNNs,
 * custom extractors) are refused with the ONNX route to take instead.
 */
import { ArtifactError, ConfigError } from "../../../core/errors.js";
import type { Activation, DenseLayerSpec, LayerSpec, PolicySpec } from "../../../nn/spec.js";
import { denseFromTorch, linearStack, type TorchArch } from "./sequential.js";
import { readStateDict, type StateDict } from "./state-dict.js";
import { ZipArchive } from "./zip.js";

export interface TorchSpec {
  spec: PolicySpec;
  /** What was inferred, for the user to check. */
  notes: string[];
  /** "ppo/a2c (ActorCriticPolicy)", "dqn", "sac", "td3", "state_dict". */
  family: string;
}

type Json = Record<string, unknown>;

/** True when a zip archive looks like an SB3 model (it has `data` and `policy.pth`). */
export function isSb3Archive(zip: ZipArchive): boolean {
  return zip.has("data") && zip.has("policy.pth");
}

function numbersIn(text: unknown): number[] {
  if (typeof text !== "string") return [];
  return (text.match(/-?inf|-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?/gi) ?? []).map((t) =>
    t.toLowerCase().endsWith("inf") ? (t.startsWith("-") ? -Infinity : Infinity) : Number(t),
  );
}

function activationFrom(
  kwargs: unknown,
  fallback: Activation,
  label: string,
): { act: Activation; said: boolean } {
  const fn = (kwargs as Json | undefined)?.activation_fn;
  if (typeof fn !== "string") return { act: fallback, said: false };
  if (/LeakyReLU|ELU|SiLU|GELU|Sigmoid/.test(fn))
    throw new ArtifactError(
      `${label}: activation_fn ${fn} is not a PolicySpec activation (relu, tanh); export the policy to ONNX instead (docs/byom.md)`,
    );
  if (/ReLU/.test(fn)) return { act: "relu", said: true };
  if (/Tanh/.test(fn)) return { act: "tanh", said: true };
  throw new ArtifactError(`${label}: unknown activation_fn ${fn}`);
}

/**
 * A Box space's shape: SB3 2.x (gymnasium) records it as a list under `_shape`; SB3 1.x on gym 0.21
 * (e.g. rl-baselines3-zoo's trained agents) as a string like "[17]" under `shape`.
 */
function spaceShape(space: Json): number[] | undefined {
  if (Array.isArray(space._shape)) return space._shape as number[];
  if (Array.isArray(space.shape)) return space.shape as number[];
  if (typeof space.shape === "string" && /^[[(][\d\s,]*[\])]$/.test(space.shape.trim()))
    return numbersIn(space.shape);
  return undefined;
}

function actionBounds(space: Json, k: number): { low: Float32Array; high: Float32Array } | undefined {
  const low = numbersIn(space.low ?? space.low_repr);
  const high = numbersIn(space.high ?? space.high_repr);
  if (low.length === 0 || high.length === 0) return undefined;
  const fill = (v: number[]) => Float32Array.from({ length: k }, (_, i) => v[v.length === 1 ? 0 : i]!);
  return { low: fill(low), high: fill(high) };
}

/** tanh(mu) in [-1, 1] -> low + (tanh + 1) / 2 (high - low), as SB3's unscale_action, as a diagonal layer. */
function rescaleLayer(low: Float32Array, high: Float32Array): DenseLayerSpec | undefined {
  const k = low.length;
  if (low.every((v) => v === -1) && high.every((v) => v === 1)) return undefined;
  if ([...low, ...high].some((v) => !Number.isFinite(v))) return undefined;
  const weight = new Float32Array(k * k);
  const bias = new Float32Array(k);
  for (let j = 0; j < k; j++) {
    weight[j * k + j] = (high[j]! - low[j]!) / 2;
    bias[j] = (high[j]! + low[j]!) / 2;
  }
  return { kind: "dense", inSize: k, outSize: k, weight, bias, activation: "linear" };
}

function withLast(layers: DenseLayerSpec[], last: DenseLayerSpec): DenseLayerSpec[] {
  return [...layers, last];
}

function linear(sd: StateDict, name: string, act: Activation, label: string): DenseLayerSpec {
  const w = sd.get(`${name}.weight`);
  if (!w) throw new ArtifactError(`${label}: no "${name}.weight" in the state_dict`);
  return denseFromTorch(w, sd.get(`${name}.bias`), act, name);
}

function hasPrefix(sd: StateDict, prefix: string): boolean {
  return [...sd.keys()].some((k) => k.startsWith(prefix));
}

/** Hidden Linear layers under `prefix`, or none when the net_arch is empty. */
function hidden(sd: StateDict, prefix: string, act: Activation, label: string): DenseLayerSpec[] {
  return hasPrefix(sd, `${prefix}.`) ? linearStack(sd, prefix, act, label) : [];
}

/** An SB3 model archive as a PolicySpec. */
export function sb3ArchiveSpec(bytes: Uint8Array, label: string): TorchSpec {
  const zip = new ZipArchive(bytes, label);
  if (!isSb3Archive(zip))
    throw new ArtifactError(
      `${label}: a zip without "data" and "policy.pth"; not a Stable-Baselines3 model (entries: ${zip.names().join(", ")})`,
    );
  let data: Json;
  const text = new TextDecoder().decode(zip.read("data"));
  try {
    data = JSON.parse(text) as Json;
  } catch {
    try {
      data = JSON.parse(text.replace(/\b(-?Infinity|NaN)\b/g, "null")) as Json;
    } catch (err) {
      throw new ArtifactError(`${label}: its "data" entry is not JSON (${(err as Error).message})`);
    }
  }
  const sd = readStateDict(zip.read("policy.pth"), `${label}/policy.pth`);
  const policyClass = (data.policy_class ?? {}) as Json;
  const module = String(policyClass.__module__ ?? "");
  const cls = /<function (\w+)\.__init__/.exec(String(policyClass.__init__ ?? ""))?.[1] ?? "";
  const obsSpace = (data.observation_space ?? {}) as Json;
  const actSpace = (data.action_space ?? {}) as Json;
  const actType = String(actSpace[":type:"] ?? "");
  const discrete = /Discrete/.test(actType);
  if (!discrete && !/Box/.test(actType))
    throw new ArtifactError(
      `${label}: action space ${actType || "(not recorded)"}; only Discrete and Box are supported`,
    );
  const obsShape = spaceShape(obsSpace);
  if (!obsShape || !/Box/.test(String(obsSpace[":type:"] ?? "")))
    throw new ArtifactError(
      `${label}: observation space ${String(obsSpace[":type:"] ?? "(not recorded)")}; only Box observations are supported`,
    );
  const obsSize = obsShape.reduce((a, b) => a * b, 1);
  const notes: string[] = [];
  for (const extractor of [
    "features_extractor.",
    "pi_features_extractor.",
    "q_net.features_extractor.",
    "actor.features_extractor.",
  ])
    if (hasPrefix(sd, extractor))
      throw new ArtifactError(
        `${label}: its features extractor has weights (a CNN or custom extractor); export the policy to ONNX and use that file (docs/byom.md)`,
      );

  const family =
    hasPrefix(sd, "mlp_extractor.") || hasPrefix(sd, "action_net.")
      ? "actor-critic"
      : hasPrefix(sd, "q_net.q_net.")
        ? "dqn"
        : hasPrefix(sd, "actor.latent_pi.")
          ? "sac"
          : hasPrefix(sd, "actor.mu.")
            ? "td3"
            : "";
  if (!family)
    throw new ArtifactError(
      `${label}: policy ${module}.${cls} is not one of ActorCriticPolicy, DQNPolicy, SACPolicy, TD3Policy (keys: ${[...sd.keys()].slice(0, 8).join(", ")})`,
    );
  const { act, said } = activationFrom(
    data.policy_kwargs,
    family === "actor-critic" ? "tanh" : "relu",
    label,
  );
  if (!said)
    notes.push(`hidden activation ${act} (SB3's default for ${family}; policy_kwargs does not name one)`);
  const k = discrete ? Number(actSpace.n) : (spaceShape(actSpace) ?? []).reduce((a, b) => a * b, 1);
  if (!(k > 0)) throw new ArtifactError(`${label}: cannot read the action space's size`);
  const bounds = discrete ? undefined : actionBounds(actSpace, k);

  let layers: LayerSpec[];
  let output: PolicySpec["output"];
  let valueLayers: LayerSpec[] | undefined;
  let logStd: Float32Array | undefined;
  if (family === "actor-critic") {
    layers = withLast(
      hidden(sd, "mlp_extractor.policy_net", act, label),
      linear(sd, "action_net", "linear", label),
    );
    output = discrete ? "logits" : "mean";
    if (hasPrefix(sd, "value_net."))
      valueLayers = withLast(
        hidden(sd, "mlp_extractor.value_net", act, label),
        linear(sd, "value_net", "linear", label),
      );
    if (!discrete) {
      const ls = sd.get("log_std");
      if (!ls)
        throw new ArtifactError(
          `${label}: a Gaussian ActorCriticPolicy without "log_std" (gSDE policies are not supported)`,
        );
      logStd = Float32Array.from(ls.data);
    }
  } else if (family === "dqn") {
    if (!discrete) throw new ArtifactError(`${label}: a DQN policy needs a Discrete action space`);
    const all = linearStack(sd, "q_net.q_net", act, label);
    all[all.length - 1]!.activation = "linear";
    layers = all;
    output = "q";
    notes.push("q_net used; q_net_target is not part of the teacher");
  } else {
    if (discrete)
      throw new ArtifactError(`${label}: a ${family.toUpperCase()} actor needs a Box action space`);
    const all =
      family === "sac"
        ? withLast(hidden(sd, "actor.latent_pi", act, label), linear(sd, "actor.mu", "tanh", label))
        : linearStack(sd, "actor.mu", act, label);
    all[all.length - 1]!.activation = "tanh";
    const rescale = bounds && rescaleLayer(bounds.low, bounds.high);
    layers = rescale ? [...all, rescale] : all;
    output = "mean";
    notes.push(
      `${family.toUpperCase()}: the deterministic actor tanh(mu)${rescale ? " rescaled to the action bounds" : ""}` +
        (family === "sac" ? "; its state-dependent log std is not kept" : ""),
    );
  }
  const first = layers[0] as DenseLayerSpec;
  if (first.inSize !== obsSize)
    throw new ArtifactError(
      `${label}: the first layer takes ${first.inSize} inputs, the observation space has ${obsSize}`,
    );
  const spec: PolicySpec = { obsShape: [obsSize], output, actionSize: k, layers };
  if (valueLayers) spec.valueLayers = valueLayers;
  if (logStd) spec.logStd = logStd;
  if (bounds && family === "actor-critic") {
    spec.actionLow = bounds.low;
    spec.actionHigh = bounds.high;
  }
  return { spec, notes, family };
}

/**
 * A plain state_dict (`torch.save(actor.state_dict(), path)`, CleanRL) with its architecture
 * description as a PolicySpec. `output` is what the last layer gives; a Gaussian actor's log std is
 * `<prefix without _mean>_logstd` (CleanRL) or `log_std`; a `critic` Sequential beside it is the value.
 */
export function stateDictSpec(
  bytes: Uint8Array,
  arch: TorchArch,
  output: PolicySpec["output"],
  label: string,
): TorchSpec {
  const sd = readStateDict(bytes, label);
  const layers = linearStack(sd, arch.prefix, arch.activation, label);
  layers[layers.length - 1]!.activation = "linear";
  const last = layers[layers.length - 1]!;
  const spec: PolicySpec = { obsShape: [layers[0]!.inSize], output, actionSize: last.outSize, layers };
  const notes: string[] = [];
  if (output === "mean") {
    const base = arch.prefix.replace(/_mean$/, "");
    const key = [`${base}_logstd`, "actor_logstd", "log_std"].find((k2) => sd.has(k2));
    if (key) {
      spec.logStd = Float32Array.from(sd.get(key)!.data);
      if (spec.logStd.length !== last.outSize)
        throw new ConfigError(
          "teacherArch",
          `${label}: "${key}" has ${spec.logStd.length} values for ${last.outSize} actions`,
        );
      notes.push(`log std from "${key}"`);
    }
  }
  if (arch.prefix !== "critic" && hasPrefix(sd, "critic.")) {
    const v = linearStack(sd, "critic", arch.activation, label);
    v[v.length - 1]!.activation = "linear";
    if (v[0]!.inSize === spec.obsShape[0] && v[v.length - 1]!.outSize === 1) {
      spec.valueLayers = v;
      notes.push('state value from the "critic" Sequential');
    }
  }
  return { spec, notes, family: "state_dict" };
}
