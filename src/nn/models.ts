/**
 * `ActorCritic`, PPO's teacher model (actor and a separate critic, as CleanRL), and the network
 * bodies both teacher models build (`QNetwork`, DQN's, is q-network.ts). Both export to a
 * PolicySpec for fast acting, checkpoints and ONNX, and read/write their weights as plain arrays.
 */
import { ConfigError } from "../core/errors.js";
import type { Rng } from "../core/rng.js";
import type { Box, Discrete } from "../core/spaces.js";
import { type Tensor, tf, type Variable } from "./backend.js";
import { GAIN_HIDDEN, GAIN_POLICY, GAIN_VALUE } from "./init.js";
import {
  categoricalEntropyTensor,
  categoricalLogProbTensor,
  gaussianEntropyTensor,
  gaussianLogProbTensor,
} from "./ops.js";
import { type FloatArray, Params } from "./params.js";
import { Cnn, type ConvConfig, type ForwardResult, Mlp, Sequential } from "./sequential.js";
import type { Activation, ObsNormSpec, PolicySpec } from "./spec.js";

export type BodyConfig =
  | { kind: "mlp"; hidden?: number[]; activation?: Activation }
  | { kind: "cnn"; convs: ConvConfig[]; hidden?: number[]; activation?: Activation };

export type ActionConfig =
  | { kind: "discrete"; n: number }
  | { kind: "continuous"; size: number; low?: ArrayLike<number>; high?: ArrayLike<number> };

/** The action config of a Discrete or (flat) Box action space. */
export function actionConfigFromSpace(space: Discrete | Box): ActionConfig {
  if (space.type === "Discrete") return { kind: "discrete", n: space.n };
  return { kind: "continuous", size: space.size, low: space.low, high: space.high };
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A body plus an output layer (or, with outSize undefined, ending at the last hidden layer). */
export function buildNet(
  obsShape: number[],
  body: BodyConfig,
  outSize: number | undefined,
  outGain: number,
  name: string,
  rng: Rng,
  defaultHidden: number[],
  defaultActivation: Activation,
): Sequential {
  if (body.kind === "cnn") {
    if (obsShape.length !== 3)
      throw new ConfigError("obsShape", `a cnn body needs [h, w, c], got [${obsShape}]`);
    return new Cnn(
      {
        inShape: obsShape as [number, number, number],
        convs: body.convs,
        hidden: body.hidden ?? [128],
        outSize,
        activation: body.activation ?? "relu",
        outGain,
        name,
      },
      rng,
    );
  }
  if (body.kind !== "mlp")
    throw new ConfigError("body.kind", `unknown body ${JSON.stringify(body)}; allowed: mlp, cnn`);
  const hidden = body.hidden ?? defaultHidden;
  const activation = body.activation ?? defaultActivation;
  if (outSize === undefined) {
    if (hidden.length === 0)
      throw new ConfigError("body.hidden", "a dueling MLP needs at least one hidden layer");
    return new Mlp(
      {
        inSize: product(obsShape),
        hidden: hidden.slice(0, -1),
        outSize: hidden[hidden.length - 1]!,
        activation,
        outActivation: activation,
        outGain: GAIN_HIDDEN,
        name,
      },
      rng,
    );
  }
  return new Mlp({ inSize: product(obsShape), hidden, outSize, activation, outGain, name }, rng);
}

export function checkCount(field: string, n: unknown): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
    throw new ConfigError(field, `expected a positive integer, got ${JSON.stringify(n)}`);
  }
  return n;
}

export interface ActorCriticConfig {
  /** One observation, e.g. [4] or [10, 10, 4]. */
  obsShape: number[];
  action: ActionConfig;
  /** Default { kind: "mlp", hidden: [64, 64], activation: "tanh" } (CleanRL's PPO). */
  actor?: BodyConfig;
  /** Default: the actor's body (a separate network with the same shape). */
  critic?: BodyConfig;
  /** Continuous actions: initial log standard deviation. Default 0. */
  logStdInit?: number;
  /** Prefix of the variable names. Default "ac". */
  name?: string;
}

export interface EvaluateResult {
  logProb: Tensor;
  entropy: Tensor;
  value: Tensor;
}

export class ActorCritic {
  readonly config: ActorCriticConfig;
  readonly actor: Sequential;
  readonly critic: Sequential;
  /** Continuous actions only: state-independent log std, a trainable [size] variable. */
  readonly logStd?: Variable;

  /** Builds fresh networks (orthogonal init: policy head gain 0.01, value head 1). */
  constructor(config: ActorCriticConfig, rng: Rng);
  /** Wraps existing networks (used by fromSpec). */
  constructor(
    config: ActorCriticConfig,
    nets: { actor: Sequential; critic: Sequential; logStd?: Float32Array },
  );
  constructor(
    config: ActorCriticConfig,
    src: Rng | { actor: Sequential; critic: Sequential; logStd?: Float32Array },
  ) {
    this.config = config;
    const name = config.name ?? "ac";
    const outSize =
      config.action.kind === "discrete"
        ? checkCount("action.n", config.action.n)
        : checkCount("action.size", config.action.size);
    if (config.action.kind !== "discrete" && config.action.kind !== "continuous") {
      throw new ConfigError("action.kind", "allowed: discrete, continuous");
    }
    let logStd: Float32Array | undefined;
    if ("actor" in src) {
      this.actor = src.actor;
      this.critic = src.critic;
      logStd = src.logStd;
    } else {
      const actorBody = config.actor ?? { kind: "mlp" };
      this.actor = buildNet(
        config.obsShape,
        actorBody,
        outSize,
        GAIN_POLICY,
        `${name}/actor`,
        src,
        [64, 64],
        "tanh",
      );
      this.critic = buildNet(
        config.obsShape,
        config.critic ?? actorBody,
        1,
        GAIN_VALUE,
        `${name}/critic`,
        src,
        [64, 64],
        "tanh",
      );
    }
    if (config.action.kind === "continuous") {
      const init = logStd ?? new Float32Array(outSize).fill(config.logStdInit ?? 0);
      this.logStd = new Params(`${name}/policy`).add("logStd", init, [outSize]);
    }
  }

  /** Rebuilds an actor-critic from a spec with `valueLayers` (logits or mean output). */
  static fromSpec(spec: PolicySpec, name?: string): ActorCritic {
    if (!spec.valueLayers)
      throw new ConfigError("spec.valueLayers", "an actor-critic needs the critic's layers");
    if (spec.output === "q")
      throw new ConfigError("spec.output", "is q; allowed for an actor-critic: logits, mean");
    const action: ActionConfig =
      spec.output === "logits"
        ? { kind: "discrete", n: spec.actionSize }
        : { kind: "continuous", size: spec.actionSize, low: spec.actionLow, high: spec.actionHigh };
    const prefix = name ?? "ac";
    return new ActorCritic(
      { obsShape: spec.obsShape, action, name },
      {
        actor: new Sequential(spec.layers, `${prefix}/actor`),
        critic: new Sequential(spec.valueLayers, `${prefix}/critic`),
        logStd: spec.logStd,
      },
    );
  }

  get variables(): Variable[] {
    return [...this.actor.variables, ...(this.logStd ? [this.logStd] : []), ...this.critic.variables];
  }

  /** Actor forward: logits (discrete) or action means (continuous), with hidden activations. */
  actorForward(obs: Tensor): ForwardResult {
    return this.actor.forward(obs);
  }

  /** Critic's V(s), [batch]. */
  value(obs: Tensor): Tensor {
    return tf.reshape(this.critic.forward(obs).out, [-1]);
  }

  /** What PPO's loss needs for stored actions: log pi(a|s), entropy and V(s), each [batch]. */
  evaluate(obs: Tensor, actions: Tensor): EvaluateResult {
    const out = this.actor.forward(obs).out;
    const value = this.value(obs);
    if (this.logStd) {
      const batch = out.shape[0];
      return {
        logProb: gaussianLogProbTensor(out, this.logStd, actions),
        entropy: tf.mul(gaussianEntropyTensor(this.logStd), tf.ones([batch])),
        value,
      };
    }
    return { logProb: categoricalLogProbTensor(out, actions), entropy: categoricalEntropyTensor(out), value };
  }

  paramCount(): number {
    return this.variables.reduce((n, v) => n + v.size, 0);
  }

  toSpec(opts: { obsNorm?: ObsNormSpec } = {}): PolicySpec {
    const a = this.config.action;
    const spec: PolicySpec = {
      obsShape: this.config.obsShape.slice(),
      output: a.kind === "discrete" ? "logits" : "mean",
      actionSize: a.kind === "discrete" ? a.n : a.size,
      layers: this.actor.toSpec(),
      valueLayers: this.critic.toSpec(),
    };
    if (opts.obsNorm) spec.obsNorm = opts.obsNorm;
    if (this.logStd) spec.logStd = Float32Array.from(this.logStd.dataSync());
    if (a.kind === "continuous") {
      if (a.low) spec.actionLow = Float32Array.from(a.low);
      if (a.high) spec.actionHigh = Float32Array.from(a.high);
    }
    return spec;
  }

  /** Loads actor, critic and log std from a spec of the same architecture. */
  loadSpec(spec: PolicySpec): void {
    this.actor.loadWeights(spec.layers);
    if (!spec.valueLayers) throw new ConfigError("spec.valueLayers", "missing: cannot load the critic");
    this.critic.loadWeights(spec.valueLayers);
    if (this.logStd) {
      if (!spec.logStd || spec.logStd.length !== this.logStd.size) {
        throw new ConfigError("spec.logStd", `expected ${this.logStd.size} values`);
      }
      tf.tidy(() => this.logStd!.assign(tf.tensor1d(spec.logStd!)));
    }
  }

  /** All weights as plain arrays: "actor/fc0.weight", ..., "critic/...", "logStd". */
  getWeights(): Record<string, FloatArray> {
    const out: Record<string, FloatArray> = {};
    for (const [k, v] of Object.entries(this.actor.params.read())) out[`actor/${k}`] = v;
    for (const [k, v] of Object.entries(this.critic.params.read())) out[`critic/${k}`] = v;
    if (this.logStd)
      out.logStd = { data: Float32Array.from(this.logStd.dataSync()), shape: this.logStd.shape };
    return out;
  }

  setWeights(weights: Record<string, FloatArray>): void {
    this.actor.params.write(subset(weights, "actor/"), "weights.actor");
    this.critic.params.write(subset(weights, "critic/"), "weights.critic");
    if (this.logStd) {
      const ls = weights.logStd;
      if (!ls || ls.data.length !== this.logStd.size) {
        throw new ConfigError("weights.logStd", `expected ${this.logStd.size} values`);
      }
      tf.tidy(() => this.logStd!.assign(tf.tensor1d(ls.data)));
    }
  }

  dispose(): void {
    this.actor.dispose();
    this.critic.dispose();
    this.logStd?.dispose();
  }
}

export function subset(weights: Record<string, FloatArray>, prefix: string): Record<string, FloatArray> {
  const out: Record<string, FloatArray> = {};
  for (const [k, v] of Object.entries(weights)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}
