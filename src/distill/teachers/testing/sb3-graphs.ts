/**
 * ONNX graphs in the exact shapes torch.onnx.export (torch 1.13) writes for the export recipes of
 * Stable-Baselines3's docs and CleanRL, built with the project's Python-free encoder: node names,
 * tensor names (auto-numbered outputs such as "57", "23", "13"), Cast + Flatten in front (SB3's
 * preprocessing and FlattenExtractor), Gemm transB=1, and the distribution tails. Checked against
 * real torch exports by src/distill/teachers/torch-export.test.ts (python3-torch); the weights come
 * from a PolicySpec (e.g. a shipped teacher), so the graphs are good policies.
 *
 * - `sb3PpoGraph`: OnnxableSB3Policy(PPO, Discrete): outputs actions (int64 "57", ArgMax of the
 *   Softmax of logits - logsumexp), values ("23", [batch, 1]) and log_prob ("52", [batch]).
 * - `sb3PpoBoxGraph`: OnnxableSB3Policy(PPO, Box): actions ("62", the mean), values ("25"),
 *   log_prob ("53"), with the `policy.log_std` initializer.
 * - `sb3DqnGraph`: `model.q_net` exported: Q-values "13" under a /q_net/ scope.
 * - `sb3SacGraph`: the SAC actor (deterministic): tanh(mu) "16".
 * - `cleanRlActorGraph`: CleanRL's `agent.actor` (nn.Sequential), output "5" (auto-named).
 */
import {
  DataType,
  encodeModel,
  floatTensor,
  int64Tensor,
  type OnnxNode,
  type OnnxTensor,
} from "../../../deploy/onnx-proto.js";
import type { DenseLayerSpec, PolicySpec } from "../../../nn/spec.js";

export interface GraphOptions {
  /** Input shape [1, obs] and opset 9, as older SB3 docs exported (no dynamic_axes). */
  fixedBatch?: boolean;
}

class GraphBuilder {
  nodes: OnnxNode[] = [];
  inits: OnnxTensor[] = [];
  constructor(readonly opset: number) {}
  /** Squeeze/Unsqueeze/ReduceSum: axes as an input from opset 13, as an attribute before. */
  axesOp(
    opType: string,
    name: string,
    x: string,
    axes: number[],
    output?: string,
    attributes: OnnxNode["attributes"] = [],
  ): string {
    if (this.opset >= 13)
      return this.node(opType, name, [x, this.const(`${name}/axes`, axes)], output, attributes);
    return this.node(opType, name, [x], output, [
      ...(attributes ?? []),
      { name: "axes", type: "ints", ints: axes },
    ]);
  }
  node(
    opType: string,
    name: string,
    inputs: string[],
    output?: string,
    attributes: OnnxNode["attributes"] = [],
  ): string {
    const out = output ?? `${name}_output_0`;
    this.nodes.push({ opType, name, inputs, outputs: [out], attributes });
    return out;
  }
  /** nn.Linear as torch writes it: Gemm(x, W[out, in], b) with transB=1. */
  linear(scope: string, param: string, x: string, l: DenseLayerSpec, output?: string): string {
    const w = new Float32Array(l.inSize * l.outSize);
    for (let i = 0; i < l.inSize; i++)
      for (let o = 0; o < l.outSize; o++) w[o * l.inSize + i] = l.weight[i * l.outSize + o]!;
    this.inits.push(
      floatTensor(`${param}.weight`, [l.outSize, l.inSize], w),
      floatTensor(`${param}.bias`, [l.outSize], l.bias),
    );
    return this.node("Gemm", `${scope}/Gemm`, [x, `${param}.weight`, `${param}.bias`], output, [
      { name: "alpha", type: "float", f: 1 },
      { name: "beta", type: "float", f: 1 },
      { name: "transB", type: "int", i: 1 },
    ]);
  }
  /** Linear + activation pairs of an nn.Sequential (indices 0, 2, 4, ...), as SB3's mlp_extractor. */
  mlp(
    scope: string,
    seq: string,
    param: string,
    x: string,
    layers: readonly DenseLayerSpec[],
    act: "Tanh" | "Relu",
  ): string {
    let h = x;
    layers.forEach((l, i) => {
      h = this.linear(`${scope}/${seq}.${2 * i}`, `${param}.${2 * i}`, h, l);
      h = this.node(act, `${scope}/${seq}.${2 * i + 1}/${act}`, [h]);
    });
    return h;
  }
  const(name: string, values: number[]): string {
    this.inits.push(int64Tensor(name, [values.length], values));
    return name;
  }
  finish(
    inputDims: number[],
    outputs: Array<{ name: string; elemType: number; shape: Array<number | string | null> }>,
    opts: GraphOptions,
  ): Uint8Array {
    return encodeModel({
      irVersion: opts.fixedBatch ? 4 : 8,
      opsetImports: [{ domain: "", version: this.opset }],
      producerName: "pytorch",
      producerVersion: "1.13.1",
      graph: {
        name: "torch_jit",
        nodes: this.nodes,
        initializers: this.inits,
        inputs: [
          { name: "input", elemType: DataType.FLOAT, shape: [opts.fixedBatch ? 1 : "batch", ...inputDims] },
        ],
        outputs: outputs.map((o) => ({
          ...o,
          shape: opts.fixedBatch ? o.shape.map((d) => (typeof d === "string" ? 1 : d)) : o.shape,
        })),
      },
    });
  }
}

function dense(spec: PolicySpec, which: "layers" | "valueLayers" = "layers"): DenseLayerSpec[] {
  const layers = (spec[which] ?? []).filter((l): l is DenseLayerSpec => l.kind === "dense");
  if (layers.length !== (spec[which] ?? []).length) throw new Error("an MLP spec is needed");
  return layers;
}

function act(l: DenseLayerSpec): "Tanh" | "Relu" {
  return l.activation === "relu" ? "Relu" : "Tanh";
}

/** SB3 preprocessing: obs.float() then the FlattenExtractor. */
function preprocess(g: GraphBuilder, scope: string): string {
  const cast = g.node("Cast", `${scope}/Cast`, ["input"], undefined, [
    { name: "to", type: "int", i: DataType.FLOAT },
  ]);
  return g.node("Flatten", `${scope}/features_extractor/flatten/Flatten`, [cast], undefined, [
    { name: "axis", type: "int", i: 1 },
  ]);
}

/** The policy_net / value_net trunks and the value head of an ActorCriticPolicy. */
function actorCritic(g: GraphBuilder, spec: PolicySpec, valueOut: string): string {
  const pi = dense(spec);
  const vf = dense(spec, "valueLayers");
  const x = preprocess(g, "/policy");
  const latentPi = g.mlp(
    "/policy/policy_net",
    "policy_net",
    "policy.mlp_extractor.policy_net",
    x,
    pi.slice(0, -1),
    act(pi[0]!),
  );
  const latentVf = g.mlp(
    "/policy/value_net",
    "value_net",
    "policy.mlp_extractor.value_net",
    x,
    vf.slice(0, -1),
    act(vf[0]!),
  );
  g.linear("/policy/value_net", "policy.value_net", latentVf, vf[vf.length - 1]!, valueOut);
  return g.linear("/policy/action_net", "policy.action_net", latentPi, pi[pi.length - 1]!);
}

/** OnnxableSB3Policy around a discrete PPO policy (`spec`: logits + valueLayers). */
export function sb3PpoGraph(spec: PolicySpec, opts: GraphOptions = {}): Uint8Array {
  const g = new GraphBuilder(opts.fixedBatch ? 9 : 17);
  const logits = actorCritic(g, spec, "23");
  const lse = g.node("ReduceLogSumExp", "/policy/ReduceLogSumExp", [logits], undefined, [
    { name: "axes", type: "ints", ints: [-1] },
    { name: "keepdims", type: "int", i: 1 },
  ]);
  const normalised = g.node("Sub", "/policy/Sub", [logits, lse]);
  const probs = g.node("Softmax", "/policy/Softmax", [normalised], undefined, [
    { name: "axis", type: "int", i: opts.fixedBatch ? 1 : -1 },
  ]);
  const argmax = g.node("ArgMax", "/policy/ArgMax", [probs], undefined, [
    { name: "axis", type: "int", i: 1 },
    { name: "keepdims", type: "int", i: 0 },
  ]);
  const actions = g.node("Cast", "/policy/Cast_1", [argmax], undefined, [
    { name: "to", type: "int", i: DataType.INT64 },
  ]);
  // log_prob of the greedy action = the row's largest normalised logit (torch gathers it instead).
  g.node("ReduceMax", "/policy/ReduceMax", [normalised], "52", [
    { name: "axes", type: "ints", ints: [1] },
    { name: "keepdims", type: "int", i: 0 },
  ]);
  g.node("Reshape", "/policy/Reshape", [actions, g.const("/policy/Constant_8_output_0", [-1])], "57");
  return g.finish(
    spec.obsShape,
    [
      { name: "57", elemType: DataType.INT64, shape: ["Reshape57_dim_0"] },
      { name: "23", elemType: DataType.FLOAT, shape: ["Gemm23_dim_0", 1] },
      { name: "52", elemType: DataType.FLOAT, shape: ["If52_dim_0"] },
    ],
    opts,
  );
}

/** OnnxableSB3Policy around a Gaussian PPO policy (`spec`: mean + logStd + valueLayers), without its obs normalisation. */
export function sb3PpoBoxGraph(spec: PolicySpec, opts: GraphOptions = {}): Uint8Array {
  const g = new GraphBuilder(opts.fixedBatch ? 9 : 17);
  const mean = actorCritic(g, spec, "25");
  g.inits.unshift(floatTensor("policy.log_std", [spec.actionSize], spec.logStd!));
  const shape = g.node("Shape", "/policy/Shape", [mean]);
  const expanded = g.node("Expand", "/policy/Expand", [mean, shape]);
  g.node(
    "Reshape",
    "/policy/Reshape",
    [expanded, g.const("/policy/Concat_output_0", [-1, spec.actionSize])],
    "62",
  );
  // log_prob of the mean under N(mean, exp(log_std)): -sum(log_std) - k/2 log(2 pi).
  const zero = g.node("Sub", "/policy/Sub", [expanded, expanded]);
  const lp = g.node("Sub", "/policy/Sub_1", [zero, "policy.log_std"]);
  g.axesOp("ReduceSum", "/policy/ReduceSum", lp, [1], "53", [{ name: "keepdims", type: "int", i: 0 }]);
  return g.finish(
    spec.obsShape,
    [
      { name: "62", elemType: DataType.FLOAT, shape: ["Reshape62_dim_0", "Reshape62_dim_1"] },
      { name: "25", elemType: DataType.FLOAT, shape: ["Gemm25_dim_0", 1] },
      { name: "53", elemType: DataType.FLOAT, shape: ["ReduceSum53_dim_0"] },
    ],
    opts,
  );
}

/** `torch.onnx.export(model.q_net, ...)` of an SB3 DQN (`spec`: Q-values, ReLU). */
export function sb3DqnGraph(spec: PolicySpec, opts: GraphOptions = {}): Uint8Array {
  const g = new GraphBuilder(opts.fixedBatch ? 9 : 17);
  const cast = g.node("Cast", "/Cast", ["input"], undefined, [
    { name: "to", type: "int", i: DataType.FLOAT },
  ]);
  const x = g.node("Flatten", "/features_extractor/flatten/Flatten", [cast], undefined, [
    { name: "axis", type: "int", i: 1 },
  ]);
  const layers = dense(spec);
  const h = g.mlp("/q_net", "q_net", "q_net", x, layers.slice(0, -1), act(layers[0]!));
  g.linear(
    `/q_net/q_net.${2 * (layers.length - 1)}`,
    `q_net.${2 * (layers.length - 1)}`,
    h,
    layers[layers.length - 1]!,
    "13",
  );
  return g.finish(
    spec.obsShape,
    [{ name: "13", elemType: DataType.FLOAT, shape: ["Gemm13_dim_0", spec.actionSize] }],
    opts,
  );
}

/** SB3 docs' SAC recipe: the deterministic actor, tanh(mu) ("16"); hidden activation as in `spec`. */
export function sb3SacGraph(spec: PolicySpec, opts: GraphOptions = {}): Uint8Array {
  const g = new GraphBuilder(opts.fixedBatch ? 9 : 17);
  const layers = dense(spec);
  const x = preprocess(g, "/actor");
  const h = g.mlp(
    "/actor/latent_pi",
    "latent_pi",
    "actor.latent_pi",
    x,
    layers.slice(0, -1),
    act(layers[0]!),
  );
  const mu = g.linear("/actor/mu", "actor.mu", h, layers[layers.length - 1]!);
  g.node("Tanh", "/actor/Tanh", [mu], "16");
  return g.finish(
    spec.obsShape,
    [{ name: "16", elemType: DataType.FLOAT, shape: ["Tanh16_dim_0", spec.actionSize] }],
    opts,
  );
}

/** `torch.onnx.export(agent.actor, ...)` of CleanRL's ppo.py actor (an nn.Sequential). */
export function cleanRlActorGraph(spec: PolicySpec, opts: GraphOptions = {}): Uint8Array {
  const g = new GraphBuilder(opts.fixedBatch ? 9 : 17);
  const layers = dense(spec);
  let h = "input";
  layers.forEach((l, i) => {
    const last = i === layers.length - 1;
    h = g.linear(`/${2 * i}`, `${2 * i}`, h, l, last ? "5" : undefined);
    if (!last) h = g.node(act(l), `/${2 * i + 1}/${act(l)}`, [h]);
  });
  return g.finish(
    spec.obsShape,
    [{ name: "5", elemType: DataType.FLOAT, shape: ["Gemm5_dim_0", spec.actionSize] }],
    opts,
  );
}
