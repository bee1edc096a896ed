/**
 * Which tensor of an ONNX policy graph is the policy, what it holds, and which is the value.
 *
 * Explicit choices win (`output`, `kind`, `value`, as `--teacher-output`, `--teacher-kind` and
 * `--teacher-value` give them). Otherwise, in order:
 * - rldistill's own export metadata;
 * - well-known output names (`logits`, `probs`, `q_values`, `action_mean`, `value`, ...);
 * - Stable-Baselines3's `OnnxableSB3Policy` recipe (`policy(obs, deterministic=True)` gives
 *   actions, values and log-probs): a discrete `actions` output is an ArgMax, so the tensor it
 *   reads (probabilities or Q-values) is taken instead; a continuous one is the mean, and the
 *   graph's `log_std` initializer its log standard deviation; the `[batch, 1]` output is the value;
 * - the one output whose width fits the action space (other outputs are left unused, and noted).
 * When several outputs remain, the error lists them with their shapes. A kind read from the graph
 * (Softmax -> probs, a `q_net` scope -> q, a continuous action space -> mean) is used; an unnamed
 * discrete output defaults to logits with a note saying how to choose otherwise.
 */
import { ArtifactError, ConfigError } from "../core/errors.js";
import { META } from "./onnx-export.js";
import { DataType, type OnnxModel, type OnnxNode, type OnnxValueInfo } from "./onnx-proto.js";

/** What the policy tensor holds. Probabilities are read as their logs (logits up to a constant). */
export type PolicyOutputKind = "logits" | "probs" | "q" | "mean";
export const POLICY_OUTPUT_KINDS: readonly PolicyOutputKind[] = ["logits", "probs", "q", "mean"];

export interface OutputChoiceOptions {
  /** The policy tensor (a graph output or any tensor a node computes). */
  output?: string;
  kind?: PolicyOutputKind;
  /** Gaussian policies: log std as a tensor/initializer name or a constant. */
  logStd?: string | number;
  /** The state-value tensor; "none" uses no value even where one is recognised. */
  value?: string;
  /** Number of actions or action dimensions, when known (narrows the candidates). */
  actionSize?: number;
  /** True for a Box action space, false for Discrete, undefined when unknown. */
  continuous?: boolean;
}

export interface OutputChoice {
  /** Tensor holding the policy output. */
  policy: string;
  kind: PolicyOutputKind;
  /** True when `policy` is not a graph output (it must be added as one to be read). */
  intermediate: boolean;
  value?: string;
  logStd?: string | number;
  /** How the choice was made where it was not explicit, for the user to check. */
  notes: string[];
}

const KIND_BY_NAME: Record<string, PolicyOutputKind> = {
  logits: "logits",
  action_logits: "logits",
  probs: "probs",
  action_probs: "probs",
  probabilities: "probs",
  q_values: "q",
  q: "q",
  action_mean: "mean",
  mean: "mean",
  mu: "mean",
};
const VALUE_NAMES = ["value", "values", "state_value"];
const KIND_BY_META: Record<string, PolicyOutputKind> = { logits: "logits", q: "q", mean: "mean" };

/** "[batch, 2]" from a value info's static shape. */
export function shapeText(v: OnnxValueInfo | undefined): string {
  if (!v?.shape) return "[?]";
  return `[${v.shape.map((d, i) => (typeof d === "number" ? String(d) : i === 0 ? "batch" : (d ?? "?"))).join(", ")}]`;
}

function producers(model: OnnxModel): Map<string, OnnxNode> {
  const m = new Map<string, OnnxNode>();
  for (const n of model.graph.nodes) for (const o of n.outputs) m.set(o, n);
  return m;
}

/** Every tensor name a node computes. */
export function computedTensors(model: OnnxModel): Set<string> {
  return new Set(model.graph.nodes.flatMap((n) => n.outputs.filter((o) => o !== "")));
}

/** Nodes and initializers `tensors` depend on (their ancestors in the graph). */
export function ancestors(
  model: OnnxModel,
  tensors: readonly string[],
): { nodes: Set<OnnxNode>; inits: Set<string> } {
  const prod = producers(model);
  const initNames = new Set(model.graph.initializers.map((t) => t.name));
  const nodes = new Set<OnnxNode>();
  const inits = new Set<string>();
  const stack = [...tensors];
  const seen = new Set<string>();
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    if (initNames.has(t)) inits.add(t);
    const n = prod.get(t);
    if (!n || nodes.has(n)) continue;
    nodes.add(n);
    for (const i of n.inputs) if (i !== "") stack.push(i);
  }
  return { nodes, inits };
}

/** Parameters the given tensors depend on (initializer elements), so a critic beside the actor is not counted. */
export function countParamsFor(model: OnnxModel, tensors: readonly string[]): number {
  const { inits } = ancestors(model, tensors);
  let n = 0;
  for (const t of model.graph.initializers) if (inits.has(t.name)) n += t.dims.reduce((a, b) => a * b, 1);
  return n;
}

function lastDim(v: OnnxValueInfo): number | undefined {
  const d = v.shape?.[v.shape.length - 1];
  return v.shape && v.shape.length >= 2 && typeof d === "number" ? d : undefined;
}

function describeOutputs(model: OnnxModel, prod: Map<string, OnnxNode>): string {
  return model.graph.outputs
    .map((o) => {
      const n = prod.get(o.name);
      const type =
        o.elemType === DataType.FLOAT ? "" : o.elemType === DataType.INT64 ? " int64" : ` type ${o.elemType}`;
      return `"${o.name}" ${shapeText(o)}${type}${n ? ` from ${n.opType}${n.name ? ` "${n.name}"` : ""}` : ""}`;
    })
    .join("; ");
}

/** The kind a tensor's producer or scope suggests, if any. */
function kindFromGraph(
  tensor: string,
  prod: Map<string, OnnxNode>,
  continuous?: boolean,
): PolicyOutputKind | undefined {
  const n = prod.get(tensor);
  if (n?.opType === "Softmax") return "probs";
  if (n?.opType === "LogSoftmax") return "logits";
  if (continuous === true) return "mean";
  const scope = `${n?.name ?? ""} ${tensor}`.toLowerCase();
  if (/q_net|qnet|q_network|qnetwork/.test(scope)) return "q";
  return undefined;
}

/** Follows Identity/Cast/Reshape/Flatten/Squeeze/Expand back from `t` to the tensor they copy. */
function throughCopies(t: string, prod: Map<string, OnnxNode>): string {
  let cur = t;
  for (let i = 0; i < 50; i++) {
    const n = prod.get(cur);
    if (
      !n ||
      !["Identity", "Cast", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Expand"].includes(n.opType)
    )
      return cur;
    cur = n.inputs[0]!;
  }
  return cur;
}

/** Stable-Baselines3's `policy(obs)`: (actions [batch(, k)], values [batch, 1], log_prob [batch]). */
function isSb3ActorCritic(outputs: readonly OnnxValueInfo[]): boolean {
  const [a, v, lp] = outputs;
  return (
    outputs.length === 3 &&
    a!.shape !== undefined &&
    v!.shape?.length === 2 &&
    lastDim(v!) === 1 &&
    lp!.shape?.length === 1
  );
}

/** Picks the policy tensor, its kind and the value tensor of an ONNX policy graph (see the file comment). */
export function chooseOutputs(
  model: OnnxModel,
  opts: OutputChoiceOptions = {},
  name = "ONNX model",
): OutputChoice {
  const prod = producers(model);
  const outputs = model.graph.outputs;
  const computed = computedTensors(model);
  const initNames = new Set(model.graph.initializers.map((t) => t.name));
  const notes: string[] = [];
  const listed = () => `outputs: ${describeOutputs(model, prod)}`;
  const known = (t: string, flag: string) => {
    if (!computed.has(t) && !outputs.some((o) => o.name === t))
      throw new ConfigError(flag, `${name} has no tensor "${t}"; ${listed()}`);
  };
  if (opts.kind !== undefined && !POLICY_OUTPUT_KINDS.includes(opts.kind))
    throw new ConfigError(
      "teacherKind",
      `"${opts.kind}" is not allowed; allowed: ${POLICY_OUTPUT_KINDS.join(", ")}`,
    );
  if (opts.value !== undefined && opts.value !== "none") known(opts.value, "teacherValue");
  if (typeof opts.logStd === "string" && !initNames.has(opts.logStd)) known(opts.logStd, "teacherKind");
  const meta = model.metadata ?? {};
  const isValue = (o: OnnxValueInfo) => o.name === opts.value || VALUE_NAMES.includes(o.name);

  let policy = opts.output;
  let kind = opts.kind;
  let value = opts.value === "none" ? undefined : opts.value;
  let logStd = opts.logStd;
  if (policy !== undefined) known(policy, "teacherOutput");

  if (policy === undefined) {
    // rldistill's own export says what its first non-value output is.
    const fromMeta = KIND_BY_META[meta[META.output] ?? ""];
    const named = outputs.find((o) => KIND_BY_NAME[o.name] !== undefined);
    const argmax = outputs.find((o) => prod.get(throughCopies(o.name, prod))?.opType === "ArgMax");
    const sb3 = isSb3ActorCritic(outputs);
    if (fromMeta) {
      policy = outputs.find((o) => !isValue(o))?.name;
      kind ??= fromMeta;
    } else if (named) {
      policy = named.name;
      kind ??= KIND_BY_NAME[named.name];
    } else if (sb3 && !argmax) {
      // Its deterministic actions are the mean, reshaped/expanded: read the action_net's output.
      policy = throughCopies(outputs[0]!.name, prod);
      notes.push(
        `outputs read as Stable-Baselines3's (actions, values, log_prob): the action mean is "${policy}"`,
      );
    } else if (argmax) {
      // OnnxableSB3Policy / a policy's predict(): the greedy action of what the ArgMax reads.
      const argNode = prod.get(throughCopies(argmax.name, prod))!;
      policy = argNode.inputs[0]!;
      notes.push(
        `output "${argmax.name}" holds greedy actions (ArgMax); distilling the tensor it reads, "${policy}"`,
      );
    } else {
      let candidates = outputs.filter((o) => !isValue(o) && o.elemType === DataType.FLOAT);
      if (opts.actionSize !== undefined) {
        const fits = candidates.filter((o) => lastDim(o) === opts.actionSize || lastDim(o) === undefined);
        if (fits.length >= 1 && fits.length < candidates.length) {
          for (const o of candidates.filter((c) => !fits.includes(c)))
            if (value === undefined)
              notes.push(
                `output "${o.name}" ${shapeText(o)} is not used (give --teacher-value ${o.name} if it is the state value)`,
              );
          candidates = fits;
        }
      }
      if (candidates.length !== 1) {
        throw new ConfigError(
          "teacherOutput",
          `${name} has ${candidates.length === 0 ? "no float output that fits the action space" : "several candidate policy outputs"}; ` +
            `choose one with --teacher-output NAME (and --teacher-kind logits|probs|q|mean). ${listed()}`,
        );
      }
      policy = candidates[0]!.name;
    }
  }
  if (policy === undefined) throw new ArtifactError(`${name}: no policy output; ${listed()}`);

  // SB3's actor-critic recipe: actions, values ([batch, 1]), log-probs ([batch]).
  if (value === undefined && opts.value !== "none") {
    const v = outputs.find((o) => o.name !== policy && isValue(o));
    const sb3 = isSb3ActorCritic(outputs) ? outputs[1] : undefined;
    value = v?.name ?? sb3?.name;
    if (!v && sb3)
      notes.push(`output "${sb3.name}" [batch, 1] read as the state value (Stable-Baselines3's values)`);
  }

  if (kind === undefined) {
    kind = kindFromGraph(throughCopies(policy, prod), prod, opts.continuous);
    if (kind === "q")
      notes.push(`"${policy}" read as Q-values (a q_net scope); --teacher-kind says otherwise`);
    if (kind === undefined) {
      kind = "logits";
      notes.push(
        `"${policy}" read as logits (its name does not say); use --teacher-kind q if these are Q-values, probs if probabilities`,
      );
    }
  }
  if (kind === "mean" && logStd === undefined) {
    if (meta[META.logStd] === undefined) {
      const ls = [...initNames].find((n) => n === "log_std" || n.endsWith(".log_std"));
      if (ls) {
        logStd = ls;
        notes.push(`log standard deviation read from the initializer "${ls}"`);
      }
    }
  }
  return { policy, kind, intermediate: !outputs.some((o) => o.name === policy), value, logStd, notes };
}

/** "q", "mean,logstd=log_std", "mean,logstd=-0.5" -> kind and log std (the --teacher-kind syntax). */
export function parseKindSpec(
  text: string,
  field = "teacherKind",
): { kind: PolicyOutputKind; logStd?: string | number } {
  const [head, ...rest] = text.split(",").map((s) => s.trim());
  if (!POLICY_OUTPUT_KINDS.includes(head as PolicyOutputKind))
    throw new ConfigError(
      field,
      `"${head}" is not allowed; allowed: ${POLICY_OUTPUT_KINDS.join(", ")} (mean may add ,logstd=NAME|VALUE)`,
    );
  const kind = head as PolicyOutputKind;
  let logStd: string | number | undefined;
  for (const part of rest) {
    const m = /^logstd=(.+)$/.exec(part);
    if (!m || kind !== "mean")
      throw new ConfigError(field, `"${part}" is not allowed; only mean takes logstd=NAME|VALUE`);
    const v = Number(m[1]);
    logStd = m[1]!.trim() !== "" && Number.isFinite(v) ? v : m[1]!;
  }
  return { kind, logStd };
}
