/**
 * A frozen ONNX model as a teacher, run by onnxruntime-node through src/deploy's `OnnxPolicy`
 * (an optional dependency: without it, loading fails with the install command).
 *
 * ONNX files carry no Gymnasium spaces, so they are given (normally the target env's, after the
 * input and output sizes were checked). Which tensor is the policy, what it holds (logits,
 * probabilities, Q-values, Gaussian means) and which tensor is the state value come from the
 * caller when given (`--teacher-output`, `--teacher-kind`, `--teacher-value`), else from
 * `chooseOutputs` (src/deploy/onnx-outputs.ts: export metadata, well-known names, Stable-
 * Baselines3's `OnnxableSB3Policy` outputs, the one output that fits the action space); how an
 * unnamed choice was made is kept in `notes`. Probabilities are turned into log-probabilities, so
 * the teacher's kind is then `logits`. Only the part of the graph that computes the policy is
 * counted in `params` (an exported critic is not). Hidden features are the outputs of the
 * activation nodes (Relu, Tanh, Elu, LeakyRelu) the policy depends on, named by tensor name.
 *
 * Observation normalisation given here (`obsNorm`, e.g. SB3 VecNormalize statistics) is applied
 * before the model runs; images the env gives channels-last are transposed to the model's NCHW.
 */
import { ArtifactError, ConfigError } from "../../core/errors.js";
import { type AnySpace, Box, flatSize } from "../../core/spaces.js";
import { META } from "../../deploy/onnx-export.js";
import {
  ancestors,
  chooseOutputs,
  countParamsFor,
  type PolicyOutputKind,
} from "../../deploy/onnx-outputs.js";
import { decodeModel, type OnnxModel, tensorFloats } from "../../deploy/onnx-proto.js";
import { OnnxPolicy } from "../../deploy/onnx-runtime.js";
import { safeLog } from "../../nn/distributions.js";
import type { ObsNormSpec } from "../../nn/spec.js";
import {
  actionSizeOf,
  checkBatch,
  type FeatureInfo,
  type PredictOptions,
  type Teacher,
  type TeacherBatch,
  type TeacherKind,
} from "../teacher.js";
import { normaliseObservations } from "./obs-norm.js";

export interface OnnxTeacherOptions {
  name: string;
  observationSpace: AnySpace;
  actionSpace: AnySpace;
  /** The policy tensor (a graph output or any computed tensor). */
  output?: string;
  /** What it holds. */
  kind?: PolicyOutputKind;
  /** Gaussian policies: log std as a tensor/initializer name or a constant. */
  logStd?: string | number;
  /** The state-value tensor, or "none". */
  value?: string;
  /** Normalisation applied to observations before the model (e.g. SB3 VecNormalize statistics). */
  obsNorm?: ObsNormSpec;
}

const HIDDEN_OPS = new Set(["Relu", "Tanh", "Elu", "LeakyRelu"]);

/** HWC image -> CHW, one observation. */
function hwcToChw(x: Float32Array, h: number, w: number, c: number, out: Float32Array, at: number): void {
  for (let y = 0; y < h; y++)
    for (let xx = 0; xx < w; xx++)
      for (let ch = 0; ch < c; ch++) out[at + (ch * h + y) * w + xx] = x[(y * w + xx) * c + ch]!;
}

export class OnnxTeacher implements Teacher {
  readonly name: string;
  readonly observationSpace: AnySpace;
  readonly actionSpace: AnySpace;
  readonly kind: TeacherKind;
  readonly obsSize: number;
  readonly actionSize: number;
  readonly params: number;
  readonly hasValue: boolean;
  readonly features: readonly FeatureInfo[];
  readonly obsNorm?: ObsNormSpec;
  readonly notes: readonly string[];
  /** What the chosen tensor holds (probs are served as their logs). */
  readonly outputKind: PolicyOutputKind;
  private readonly session: OnnxPolicy;
  private readonly policyTensor: string;
  private readonly valueTensor?: string;
  private readonly logStd?: Float32Array;
  private readonly logStdTensor?: string;
  /** [h, w, c] when channels-last observations must be transposed to the model's NCHW. */
  private readonly toChw?: [number, number, number];

  private constructor(init: {
    opts: OnnxTeacherOptions;
    session: OnnxPolicy;
    kind: PolicyOutputKind;
    policy: string;
    value?: string;
    params: number;
    features: FeatureInfo[];
    logStd?: Float32Array;
    logStdTensor?: string;
    toChw?: [number, number, number];
    notes: string[];
  }) {
    this.name = init.opts.name;
    this.observationSpace = init.opts.observationSpace;
    this.actionSpace = init.opts.actionSpace;
    this.obsSize = flatSize(init.opts.observationSpace);
    this.actionSize = actionSizeOf(init.opts.actionSpace);
    this.outputKind = init.kind;
    this.kind = init.kind === "mean" ? "gaussian" : init.kind === "q" ? "q" : "logits";
    this.session = init.session;
    this.policyTensor = init.policy;
    this.valueTensor = init.value;
    this.params = init.params;
    this.features = init.features;
    this.logStd = init.logStd;
    this.logStdTensor = init.logStdTensor;
    this.toChw = init.toChw;
    this.hasValue = init.value !== undefined;
    this.obsNorm = init.opts.obsNorm;
    this.notes = init.notes;
  }

  static async create(bytes: Uint8Array, opts: OnnxTeacherOptions): Promise<OnnxTeacher> {
    let model: OnnxModel;
    try {
      model = decodeModel(bytes);
    } catch (err) {
      throw new ArtifactError(`${opts.name}: not a readable ONNX model (${(err as Error).message})`);
    }
    const actionSize = actionSizeOf(opts.actionSpace);
    const continuous = opts.actionSpace.type === "Box";
    const choice = chooseOutputs(
      model,
      {
        output: opts.output,
        kind: opts.kind,
        logStd: opts.logStd,
        value: opts.value,
        actionSize,
        continuous,
      },
      opts.name,
    );
    if ((choice.kind === "mean") !== continuous) {
      throw new ConfigError(
        "teacherKind",
        `${opts.name}: "${choice.policy}" read as ${choice.kind}, which does not fit ${opts.actionSpace.toString()}` +
          (continuous ? " (use --teacher-kind mean)" : " (use --teacher-kind logits, probs or q)"),
      );
    }
    const initializers = new Map(model.graph.initializers.map((t) => [t.name, t]));
    let logStd: Float32Array | undefined;
    let logStdTensor: string | undefined;
    const meta = model.metadata ?? {};
    if (choice.kind === "mean") {
      if (typeof choice.logStd === "number") logStd = new Float32Array(actionSize).fill(choice.logStd);
      else if (choice.logStd !== undefined && initializers.has(choice.logStd))
        logStd = tensorFloats(initializers.get(choice.logStd)!);
      else if (choice.logStd !== undefined) logStdTensor = choice.logStd;
      else if (meta[META.logStd]) logStd = Float32Array.from(JSON.parse(meta[META.logStd]) as number[]);
      if (logStd && logStd.length !== actionSize)
        throw new ConfigError(
          "teacherKind",
          `${opts.name}: log std has ${logStd.length} values, the action space ${actionSize}`,
        );
    }
    const policyDeps = ancestors(model, [choice.policy]);
    const hidden = [...policyDeps.nodes].filter((n) => HIDDEN_OPS.has(n.opType)).map((n) => n.outputs[0]!);
    const order = new Map(model.graph.nodes.map((n, i) => [n.outputs[0]!, i]));
    hidden.sort((a, b) => order.get(a)! - order.get(b)!);
    const graphOutputs = new Set(model.graph.outputs.map((o) => o.name));
    const wanted = [choice.policy, choice.value, logStdTensor, ...hidden].filter(
      (t): t is string => t !== undefined && !graphOutputs.has(t),
    );
    const session = await OnnxPolicy.create(bytes, { intermediates: [...new Set(wanted)], name: opts.name });

    const obsSize = flatSize(opts.observationSpace);
    const modelObs = session.obsShape.reduce((a, b) => a * b, 1);
    if (modelObs !== obsSize) {
      throw new ConfigError(
        "teacher",
        `${opts.name} takes observations of shape [${session.obsShape.join(", ")}], the env gives ${opts.observationSpace.toString()}`,
      );
    }
    let toChw: [number, number, number] | undefined;
    const envShape = opts.observationSpace instanceof Box ? opts.observationSpace.shape : [];
    const [c, h, w] = session.obsShape;
    if (
      session.obsShape.length === 3 &&
      envShape.length === 3 &&
      envShape.join() === [h, w, c].join() &&
      c !== w
    )
      toChw = [h!, w!, c!];
    // A probe batch gives the output and feature widths (ONNX shapes may be symbolic).
    const probeN = 2;
    const probe = await session.run(new Float32Array(probeN * obsSize), probeN);
    const width = (t: string) => probe[t]!.data.length / probeN;
    if (width(choice.policy) !== actionSize) {
      throw new ConfigError(
        "teacher",
        `${opts.name}: "${choice.policy}" gives ${width(choice.policy)} values per observation, the env's action space is ` +
          `${opts.actionSpace.toString()}; choose the policy tensor with --teacher-output NAME`,
      );
    }
    if (choice.value !== undefined && width(choice.value) !== 1)
      throw new ConfigError(
        "teacherValue",
        `${opts.name}: "${choice.value}" gives ${width(choice.value)} values per observation, a state value gives 1`,
      );
    if (
      logStdTensor !== undefined &&
      ![1, actionSize].includes(width(logStdTensor)) &&
      probe[logStdTensor]!.data.length !== actionSize
    )
      throw new ConfigError(
        "teacherKind",
        `${opts.name}: log std "${logStdTensor}" does not have ${actionSize} values per observation`,
      );
    const features = hidden.map((name) => ({ name, size: width(name) }));
    const paramTensors = [choice.policy, ...(typeof choice.logStd === "string" ? [choice.logStd] : [])];
    return new OnnxTeacher({
      opts,
      session,
      kind: choice.kind,
      policy: choice.policy,
      value: choice.value,
      params: countParamsFor(model, paramTensors),
      features,
      logStd,
      logStdTensor,
      toChw,
      notes: choice.notes,
    });
  }

  async predict(obs: Float32Array, n: number, opts: PredictOptions = {}): Promise<TeacherBatch> {
    checkBatch(this, obs, n);
    const wanted = opts.features === "all" ? this.features.map((f) => f.name) : (opts.features ?? []);
    for (const name of wanted) {
      if (!this.features.some((f) => f.name === name)) {
        throw new ConfigError(
          "featureLayers",
          `${this.name} has no feature "${name}"; available: ${this.features.map((f) => f.name).join(", ") || "(none)"}`,
        );
      }
    }
    let x = this.obsNorm ? normaliseObservations(this.obsNorm, obs, n) : obs;
    if (this.toChw) {
      const [h, w, c] = this.toChw;
      const t = new Float32Array(x.length);
      for (let r = 0; r < n; r++) hwcToChw(x.subarray(r * this.obsSize), h, w, c, t, r * this.obsSize);
      x = t;
    }
    const out = await this.session.run(x, n);
    const k = this.actionSize;
    const raw = out[this.policyTensor]!.data;
    const outputs = this.outputKind === "probs" ? raw.map((p) => safeLog(p)) : Float32Array.from(raw);
    const batch: TeacherBatch = { kind: this.kind, n, actionSize: k, outputs, features: {} };
    for (const name of wanted) batch.features[name] = Float32Array.from(out[name]!.data);
    if (this.valueTensor) batch.values = Float32Array.from(out[this.valueTensor]!.data);
    if (this.kind === "gaussian") {
      const ls = new Float32Array(n * k);
      const src = this.logStdTensor ? out[this.logStdTensor]!.data : this.logStd;
      if (src && src.length === n * k) ls.set(src);
      else if (src)
        for (let r = 0; r < n; r++)
          for (let j = 0; j < k; j++) ls[r * k + j] = src[src.length === 1 ? 0 : j]!;
      if (src) batch.logStd = ls;
    }
    return batch;
  }

  dispose(): void {
    void this.session.release();
  }
}
