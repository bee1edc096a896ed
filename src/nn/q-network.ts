/**
 * `QNetwork`, DQN's teacher model on tfjs (optionally dueling): exports to a PolicySpec for fast
 * acting, checkpoints and ONNX, and reads/writes its weights as plain arrays.
 */
import { ConfigError } from "../core/errors.js";
import type { Rng } from "../core/rng.js";
import { type Tensor, type Tensor2D, tf, type Variable } from "./backend.js";
import { GAIN_HIDDEN, GAIN_VALUE } from "./init.js";
import { type BodyConfig, buildNet, checkCount, subset } from "./models.js";
import type { FloatArray } from "./params.js";
import { type ForwardResult, Mlp, Sequential } from "./sequential.js";
import type { DenseLayerSpec, ObsNormSpec, PolicySpec } from "./spec.js";

export interface QNetworkConfig {
  obsShape: number[];
  numActions: number;
  /** Default { kind: "mlp", hidden: [120, 84], activation: "relu" } (CleanRL's DQN). */
  body?: BodyConfig;
  /**
   * Dueling heads (Wang et al. 2016) as two linear layers on the last hidden layer:
   * Q = V + A - mean(A). Being linear, they fold into one dense layer in `toSpec`.
   */
  dueling?: boolean;
  name?: string;
}

export class QNetwork {
  readonly config: QNetworkConfig;
  /** Non-dueling: the whole network. Dueling: the trunk up to the last hidden layer. */
  readonly net: Sequential;
  private readonly valueHead?: Sequential;
  private readonly advantageHead?: Sequential;

  constructor(config: QNetworkConfig, rng: Rng);
  constructor(config: QNetworkConfig, net: Sequential);
  constructor(config: QNetworkConfig, src: Rng | Sequential) {
    this.config = config;
    const n = checkCount("numActions", config.numActions);
    const name = config.name ?? "q";
    const body = config.body ?? { kind: "mlp" };
    if (src instanceof Sequential) {
      if (config.dueling) throw new ConfigError("dueling", "a network built from a spec is already folded");
      this.net = src;
    } else if (config.dueling) {
      this.net = buildNet(
        config.obsShape,
        body,
        undefined,
        GAIN_HIDDEN,
        `${name}/trunk`,
        src,
        [120, 84],
        "relu",
      );
      const h = this.net.outSize;
      this.valueHead = new Mlp({ inSize: h, hidden: [], outSize: 1, name: `${name}/value` }, src);
      this.advantageHead = new Mlp({ inSize: h, hidden: [], outSize: n, name: `${name}/advantage` }, src);
    } else {
      this.net = buildNet(config.obsShape, body, n, GAIN_VALUE, name, src, [120, 84], "relu");
    }
  }

  /** Rebuilds a (folded, non-dueling) Q-network from a spec with output "q". */
  static fromSpec(spec: PolicySpec, name?: string): QNetwork {
    if (spec.output !== "q") throw new ConfigError("spec.output", `is ${spec.output}; a Q-network needs q`);
    return new QNetwork(
      { obsShape: spec.obsShape, numActions: spec.actionSize, name },
      new Sequential(spec.layers, name ?? "q"),
    );
  }

  get variables(): Variable[] {
    return [
      ...this.net.variables,
      ...(this.valueHead?.variables ?? []),
      ...(this.advantageHead?.variables ?? []),
    ];
  }

  /** Q-values [batch, numActions] with the hidden activations (dueling: the trunk's, by layer name). */
  forward(obs: Tensor): ForwardResult {
    const res = this.net.forward(obs);
    if (!this.valueHead || !this.advantageHead) return res;
    const names = this.net.layerNames();
    const hidden = { ...res.hidden, [names[names.length - 1]!]: res.out };
    const v = this.valueHead.forward(res.out).out;
    const a = this.advantageHead.forward(res.out).out;
    const q = tf.add(v, tf.sub(a, tf.mean(a, -1, true))) as Tensor2D;
    return { out: q, hidden };
  }

  q(obs: Tensor): Tensor2D {
    return this.forward(obs).out;
  }

  /** Hard target update: this <- other (same config). */
  copyWeightsFrom(other: QNetwork): void {
    this.softUpdateFrom(other, 1);
  }

  /** Polyak target update: this <- tau * other + (1 - tau) * this. */
  softUpdateFrom(other: QNetwork, tau: number): void {
    this.net.params.blendFrom(other.net.params, tau);
    if (this.valueHead && other.valueHead) this.valueHead.params.blendFrom(other.valueHead.params, tau);
    if (this.advantageHead && other.advantageHead)
      this.advantageHead.params.blendFrom(other.advantageHead.params, tau);
    if (!this.valueHead !== !other.valueHead) throw new ConfigError("dueling", "both networks must agree");
  }

  paramCount(): number {
    return this.variables.reduce((n, v) => n + v.size, 0);
  }

  /** Policy spec with output "q"; dueling heads folded (exactly, in float64) into one dense layer. */
  toSpec(opts: { obsNorm?: ObsNormSpec } = {}): PolicySpec {
    const layers = this.net.toSpec();
    if (this.valueHead && this.advantageHead) {
      layers.push(
        foldDueling(
          this.valueHead.toSpec()[0] as DenseLayerSpec,
          this.advantageHead.toSpec()[0] as DenseLayerSpec,
        ),
      );
    }
    const spec: PolicySpec = {
      obsShape: this.config.obsShape.slice(),
      output: "q",
      actionSize: this.config.numActions,
      layers,
    };
    if (opts.obsNorm) spec.obsNorm = opts.obsNorm;
    return spec;
  }

  /** Weights as plain arrays: "net/...", and for dueling "value/..." and "advantage/...". */
  getWeights(): Record<string, FloatArray> {
    const out: Record<string, FloatArray> = {};
    const parts: [string, Sequential | undefined][] = [
      ["net/", this.net],
      ["value/", this.valueHead],
      ["advantage/", this.advantageHead],
    ];
    for (const [prefix, s] of parts) {
      if (s) for (const [k, v] of Object.entries(s.params.read())) out[prefix + k] = v;
    }
    return out;
  }

  setWeights(weights: Record<string, FloatArray>): void {
    this.net.params.write(subset(weights, "net/"), "weights.net");
    this.valueHead?.params.write(subset(weights, "value/"), "weights.value");
    this.advantageHead?.params.write(subset(weights, "advantage/"), "weights.advantage");
  }

  dispose(): void {
    this.net.dispose();
    this.valueHead?.dispose();
    this.advantageHead?.dispose();
  }
}

/**
 * Q_j = h.(w_v + w_aj - mean_k w_ak) + (b_v + b_aj - mean_k b_ak): the dueling combination is
 * linear in h, so one dense layer computes it. `value` has one output, `adv` one per action.
 */
export function foldDueling(value: DenseLayerSpec, adv: DenseLayerSpec): DenseLayerSpec {
  const h = adv.inSize;
  const n = adv.outSize;
  const weight = new Float32Array(h * n);
  for (let i = 0; i < h; i++) {
    let mean = 0;
    for (let j = 0; j < n; j++) mean += adv.weight[i * n + j]!;
    mean /= n;
    for (let j = 0; j < n; j++) weight[i * n + j] = value.weight[i]! + adv.weight[i * n + j]! - mean;
  }
  let meanB = 0;
  for (let j = 0; j < n; j++) meanB += adv.bias[j]!;
  meanB /= n;
  const bias = new Float32Array(n);
  for (let j = 0; j < n; j++) bias[j] = value.bias[0]! + adv.bias[j]! - meanB;
  return { kind: "dense", inSize: h, outSize: n, weight, bias, activation: "linear" };
}
