/**
 * A teacher over a `PolicySpec`: the project's own checkpoints (PPO, DQN, SAC-style Gaussian
 * actors) and anything imported into a spec. Synchronous, so it can also act as a `Policy`.
 *
 * Feature names are those of src/nn's `Sequential`: `fc0`, `fc1`, ... (each hidden dense layer's
 * output after its activation; `conv0`, ... for convolutions), which `--set featureLayers=fc1` names.
 */
import { ConfigError } from "../../core/errors.js";
import { type AnySpace, flatSize } from "../../core/spaces.js";
import { type CompiledPolicy, compileSpec } from "../../nn/fast.js";
import type { PolicySpec } from "../../nn/spec.js";
import {
  actionSizeOf,
  checkBatch,
  type FeatureInfo,
  type PredictOptions,
  type Teacher,
  type TeacherBatch,
  type TeacherKind,
} from "../teacher.js";
import { countLayerParams, forwardLayers, hiddenInfo, normaliseObs } from "./spec-forward.js";

export interface SpecTeacherOptions {
  name: string;
  observationSpace: AnySpace;
  actionSpace: AnySpace;
}

const KIND: Record<PolicySpec["output"], TeacherKind> = { logits: "logits", q: "q", mean: "gaussian" };

/** Picks the requested features out of all hidden activations, naming unknown ones. */
export function selectFeatures(
  teacherName: string,
  all: readonly FeatureInfo[],
  hidden: readonly Float32Array[],
  wanted: PredictOptions["features"],
): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  if (!wanted) return out;
  const names = wanted === "all" ? all.map((f) => f.name) : wanted;
  for (const name of names) {
    const i = all.findIndex((f) => f.name === name);
    if (i < 0) {
      throw new ConfigError(
        "featureLayers",
        `${teacherName} has no feature "${name}"; available: ${all.map((f) => f.name).join(", ") || "(none)"}`,
      );
    }
    out[name] = hidden[i]!;
  }
  return out;
}

export class SpecTeacher implements Teacher {
  readonly name: string;
  readonly observationSpace: AnySpace;
  readonly actionSpace: AnySpace;
  readonly kind: TeacherKind;
  readonly obsSize: number;
  readonly actionSize: number;
  readonly params: number;
  readonly hasValue: boolean;
  readonly features: readonly FeatureInfo[];
  readonly spec: PolicySpec;
  private readonly compiled: CompiledPolicy;

  constructor(spec: PolicySpec, opts: SpecTeacherOptions) {
    this.spec = spec;
    this.name = opts.name;
    this.observationSpace = opts.observationSpace;
    this.actionSpace = opts.actionSpace;
    this.kind = KIND[spec.output];
    this.obsSize = flatSize(opts.observationSpace);
    this.actionSize = actionSizeOf(opts.actionSpace);
    const specObs = spec.obsShape.reduce((a, b) => a * b, 1);
    if (specObs !== this.obsSize || spec.actionSize !== this.actionSize) {
      throw new ConfigError(
        "teacher",
        `${opts.name}: network maps ${specObs} inputs to ${spec.actionSize} outputs, but its spaces are ` +
          `${opts.observationSpace.toString()} -> ${opts.actionSpace.toString()}`,
      );
    }
    if ((this.kind === "gaussian") !== (opts.actionSpace.type === "Box")) {
      throw new ConfigError(
        "teacher",
        `${opts.name}: output "${spec.output}" does not fit ${opts.actionSpace.toString()}`,
      );
    }
    this.params = countLayerParams(spec.layers) + (spec.logStd?.length ?? 0);
    this.hasValue = spec.valueLayers !== undefined && spec.valueLayers.length > 0;
    this.features = hiddenInfo(spec.layers);
    this.compiled = compileSpec(spec);
  }

  predictSync(obs: Float32Array, n: number, opts: PredictOptions = {}): TeacherBatch {
    checkBatch(this, obs, n);
    const wantsFeatures =
      opts.features !== undefined && (opts.features === "all" || opts.features.length > 0);
    let batch: TeacherBatch;
    if (!wantsFeatures) {
      // Outputs only: src/nn's compiled forward (preallocated buffers, float64 accumulation).
      batch = {
        kind: this.kind,
        n,
        actionSize: this.actionSize,
        outputs: this.compiled.forward(obs, n, new Float32Array(n * this.actionSize)),
        features: {},
      };
      if (this.compiled.value) batch.values = this.compiled.value(obs, n, new Float32Array(n));
    } else {
      const x = normaliseObs(this.spec, obs, n);
      const { output, hidden } = forwardLayers(this.spec.layers, x, n);
      batch = {
        kind: this.kind,
        n,
        actionSize: this.actionSize,
        outputs: output,
        features: selectFeatures(this.name, this.features, hidden, opts.features),
      };
      if (this.hasValue) batch.values = forwardLayers(this.spec.valueLayers!, x, n).output;
    }
    if (this.spec.logStd) {
      const k = this.actionSize;
      const ls = new Float32Array(n * k);
      for (let r = 0; r < n; r++) ls.set(this.spec.logStd, r * k);
      batch.logStd = ls;
    }
    return batch;
  }

  predict(obs: Float32Array, n: number, opts?: PredictOptions): Promise<TeacherBatch> {
    try {
      return Promise.resolve(this.predictSync(obs, n, opts));
    } catch (err) {
      return Promise.reject(err);
    }
  }
}
