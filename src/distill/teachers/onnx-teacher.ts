/**
 * A frozen ONNX model as a teacher, run by onnxruntime-node through src/deploy's `OnnxPolicy`
 * (an optional dependency: without it, loading fails with the install command).
 *
 * ONNX files carry no Gymnasium spaces, so they are given (normally the target env's, after the
 * input and output sizes were checked). The output kind comes from rldistill's export metadata,
 * else from the output name (logits, q_values, action_mean), else `logits`. Hidden features are
 * the outputs of the graph's activation nodes (Relu, Tanh), named by their tensor names.
 */
import { ArtifactError, ConfigError } from "../../core/errors.js";
import { type AnySpace, flatSize } from "../../core/spaces.js";
import { META } from "../../deploy/onnx-export.js";
import { decodeModel, type OnnxModel } from "../../deploy/onnx-proto.js";
import { OnnxPolicy } from "../../deploy/onnx-runtime.js";
import {
  actionSizeOf,
  checkBatch,
  type FeatureInfo,
  type PredictOptions,
  type Teacher,
  type TeacherBatch,
  type TeacherKind,
} from "../teacher.js";

const KIND_BY_NAME: Record<string, TeacherKind> = {
  logits: "logits",
  q_values: "q",
  q: "q",
  action_mean: "gaussian",
  mean: "gaussian",
  actions: "gaussian",
};
const KIND_BY_META: Record<string, TeacherKind> = { logits: "logits", q: "q", mean: "gaussian" };

export interface OnnxTeacherOptions {
  name: string;
  observationSpace: AnySpace;
  actionSpace: AnySpace;
}

function countParams(model: OnnxModel): number {
  return model.graph.initializers.reduce((s, t) => s + t.dims.reduce((a, b) => a * b, 1), 0);
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
  private readonly session: OnnxPolicy;
  private readonly mainOutput: string;
  private readonly logStd?: Float32Array;

  private constructor(init: {
    opts: OnnxTeacherOptions;
    session: OnnxPolicy;
    kind: TeacherKind;
    mainOutput: string;
    params: number;
    features: FeatureInfo[];
    logStd?: Float32Array;
  }) {
    this.name = init.opts.name;
    this.observationSpace = init.opts.observationSpace;
    this.actionSpace = init.opts.actionSpace;
    this.obsSize = flatSize(init.opts.observationSpace);
    this.actionSize = actionSizeOf(init.opts.actionSpace);
    this.kind = init.kind;
    this.session = init.session;
    this.mainOutput = init.mainOutput;
    this.params = init.params;
    this.features = init.features;
    this.logStd = init.logStd;
    this.hasValue = init.session.outputNames.includes("value");
  }

  static async create(bytes: Uint8Array, opts: OnnxTeacherOptions): Promise<OnnxTeacher> {
    let model: OnnxModel;
    try {
      model = decodeModel(bytes);
    } catch (err) {
      throw new ArtifactError(`${opts.name}: not a readable ONNX model (${(err as Error).message})`);
    }
    const main = model.graph.outputs.find((o) => o.name !== "value");
    if (!main) throw new ArtifactError(`${opts.name}: the ONNX model has no policy output`);
    const meta = model.metadata ?? {};
    const kind = KIND_BY_META[meta[META.output] ?? ""] ?? KIND_BY_NAME[main.name] ?? "logits";
    const hidden = model.graph.nodes
      .filter((n) => n.opType === "Relu" || n.opType === "Tanh")
      .map((n) => n.outputs[0]!);
    const session = await OnnxPolicy.create(bytes, { intermediates: hidden });
    const obsSize = flatSize(opts.observationSpace);
    const modelObs = session.obsShape.reduce((a, b) => a * b, 1);
    if (modelObs !== obsSize) {
      throw new ConfigError(
        "teacher",
        `${opts.name} takes observations of shape [${session.obsShape.join(", ")}], the env gives ${opts.observationSpace.toString()}`,
      );
    }
    // One probe batch gives the output and feature widths (ONNX shapes may be symbolic).
    const probe = await session.run(new Float32Array(obsSize), 1);
    const outWidth = probe[main.name]!.data.length;
    if (outWidth !== actionSizeOf(opts.actionSpace)) {
      throw new ConfigError(
        "teacher",
        `${opts.name} outputs ${outWidth} values (${main.name}), the env's action space is ${opts.actionSpace.toString()}`,
      );
    }
    if ((kind === "gaussian") !== (opts.actionSpace.type === "Box")) {
      throw new ConfigError(
        "teacher",
        `${opts.name}: a ${kind} output does not fit ${opts.actionSpace.toString()}`,
      );
    }
    const features = hidden.map((name) => ({ name, size: probe[name]!.data.length }));
    let logStd: Float32Array | undefined;
    if (meta[META.logStd]) logStd = Float32Array.from(JSON.parse(meta[META.logStd]) as number[]);
    return new OnnxTeacher({
      opts,
      session,
      kind,
      mainOutput: main.name,
      params: countParams(model),
      features,
      logStd,
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
    const out = await this.session.run(obs, n);
    const batch: TeacherBatch = {
      kind: this.kind,
      n,
      actionSize: this.actionSize,
      outputs: Float32Array.from(out[this.mainOutput]!.data),
      features: {},
    };
    for (const name of wanted) batch.features[name] = Float32Array.from(out[name]!.data);
    if (out.value) batch.values = Float32Array.from(out.value.data);
    if (this.logStd) {
      const ls = new Float32Array(n * this.actionSize);
      for (let r = 0; r < n; r++) ls.set(this.logStd, r * this.actionSize);
      batch.logStd = ls;
    }
    return batch;
  }

  dispose(): void {
    void this.session.release();
  }
}
