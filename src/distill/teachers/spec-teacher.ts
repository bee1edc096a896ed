/**
 * A teacher over a `PolicySpec`: the project's own checkpoints (PPO, DQN, SAC-style Gaussian
 * actors) and anything imported into a spec. Synchronous, so it can also act as a `Policy`.
 *
 * Feature names are those of src/nn's `Sequential`: `fc0`, `fc1`, ... (each hidden dense layer's
 * output after its activation; `conv0`, ... for convolutions), which `--set featureLayers=fc1` names.
 *
 * Which engine runs the frozen network is chosen per call by `teacherBackend` (the rule and the
 * measurements behind it are there): the float32 SIMD kernels of src/nn (synchronous; small
 * batches and every `predictSync`) or onnxruntime-node (asynchronous, when installed, for batches
 * whose work outweighs its call overhead). Both compute in float32 and agree to about 1e-6; the
 * choice never changes which states are labelled, only the last bits of the labels.
 */
import { ConfigError } from "../../core/errors.js";
import { type AnySpace, flatSize } from "../../core/spaces.js";
import { exportOnnx } from "../../deploy/onnx-export.js";
import { chwToHwc } from "../../deploy/onnx-graph.js";
import { loadOnnxRuntime, OnnxPolicy } from "../../deploy/onnx-runtime.js";
import { KernelNet } from "../../nn/kernels/net.js";
import { countParams, hiddenActivations, planFlops } from "../../nn/kernels/plan.js";
import { compileObsNorm, type ObsNormalizer } from "../../nn/obs-norm.js";
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

export interface SpecTeacherOptions {
  name: string;
  observationSpace: AnySpace;
  actionSpace: AnySpace;
  /**
   * "auto" (default): `teacherBackend`'s rule; "simd": never onnxruntime; "onnx": onnxruntime for
   * every asynchronous batch (falls back to simd when it is not installed).
   */
  backend?: "auto" | "simd" | "onnx";
}

const KIND: Record<PolicySpec["output"], TeacherKind> = { logits: "logits", q: "q", mean: "gaussian" };

/**
 * The engine for a frozen network's batch: "onnx" when onnxruntime-node is there and the batch
 * has at least ONNX_MIN_FLOPS of work, else "simd".
 *
 * Measured (bench/nn.ts "teacher forward", CPU-time medians, Xeon 2 vCPU, Node 20, onnxruntime
 * 1.30 with 1 thread): onnxruntime costs about 9 us per call plus the work at about 130 GFLOP/s
 * (AVX-512 FMA); our SIMD kernels cost under 1 us plus the work at about 35 GFLOP/s (128-bit
 * lanes, no FMA in WebAssembly). They break even near 430k flops per batch. Observed crossovers:
 * 4-64-64-2 (9k flops a sample) between batch 16 (simd 7.6 us, onnx 10.6) and 64 (29.5 vs 17.2);
 * 4-256-256-2 (134k) between batch 1 (8.2 vs 12.6) and 4 (17.4 vs 14.1); the 10x10x4 CNN
 * (conv16 3x3, 128; 337k) between batch 1 (15.1 vs 17.3) and 4 (36.3 vs 23.0). At batch 256 onnx
 * is 2.6-4.8x faster (4-256-256-2: 264 vs 1,112 us; CNN: 662 vs 2,566 us). The float64 loops of
 * compileSpec (10x slower than simd from batch 1 on) stay for acting, where the standalone runtime
 * must reproduce them bit for bit.
 */
export const ONNX_MIN_FLOPS = 400_000;

export function teacherBackend(
  flopsPerSample: number,
  batch: number,
  onnxAvailable: boolean,
): "simd" | "onnx" {
  return onnxAvailable && flopsPerSample * batch >= ONNX_MIN_FLOPS ? "onnx" : "simd";
}

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
  /** Multiply-adds (x2) of one observation through the actor and, when present, the critic. */
  readonly flopsPerSample: number;
  private readonly backendChoice: "auto" | "simd" | "onnx";
  private readonly norm?: ObsNormalizer;
  private normBuf = new Float32Array(0);
  private actor?: KernelNet;
  private critic?: KernelNet;
  /**
   * onnxruntime sessions, outputs only and with every hidden feature as an extra output
   * (undefined: not tried yet; null: not installed). Returning hidden tensors costs copies and
   * blocks operator fusion, so labels without features use the first.
   */
  private onnx?: Promise<OnnxPolicy | null>;
  private onnxWithFeatures?: Promise<OnnxPolicy | null>;
  /** Per feature: its onnx tensor name and, for conv maps, the [channels, h, w] to turn NCHW into NHWC. */
  private readonly onnxFeatures: Map<string, { tensor: string; chw?: [number, number, number] }>;

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
    const backend = opts.backend ?? "auto";
    if (!["auto", "simd", "onnx"].includes(backend)) {
      throw new ConfigError(
        "backend",
        `${JSON.stringify(backend)} is not allowed; allowed: auto, simd, onnx`,
      );
    }
    this.backendChoice = backend;
    this.params = countParams(spec.layers) + (spec.logStd?.length ?? 0);
    this.hasValue = spec.valueLayers !== undefined && spec.valueLayers.length > 0;
    this.actor = new KernelNet(spec.layers, "spec.layers");
    if (this.actor.inSize !== specObs || this.actor.outSize !== spec.actionSize) {
      throw new ConfigError("spec.layers", `must map ${specObs} inputs to ${spec.actionSize} outputs`);
    }
    if (this.hasValue) {
      this.critic = new KernelNet(spec.valueLayers!, "spec.valueLayers");
      if (this.critic.inSize !== specObs || this.critic.outSize !== 1)
        throw new ConfigError("spec.valueLayers", `must map ${specObs} inputs to 1 output`);
    }
    const hidden = hiddenActivations(this.actor.plan);
    this.features = hidden.map((h) => ({ name: h.name, size: h.size, shape: h.shape }));
    this.onnxFeatures = new Map(
      this.actor.plan.steps
        .filter((st) => hidden.some((h) => h.name === st.name))
        .map((st) => [
          st.name,
          {
            // exportOnnx's name for layer i's output after its activation; conv maps are NCHW there.
            tensor: `pi.${st.index}`,
            chw:
              st.kind === "conv2d"
                ? ([st.outChannels, st.geometry.outH, st.geometry.outW] as [number, number, number])
                : undefined,
          },
        ]),
    );
    this.flopsPerSample = planFlops(this.actor.plan) + (this.critic ? planFlops(this.critic.plan) : 0);
    if (spec.obsNorm) this.norm = compileObsNorm(spec.obsNorm, specObs);
  }

  /** The observations as the network sees them (normalised into a reused buffer when the spec says so). */
  private input(obs: Float32Array, n: number): Float32Array {
    if (!this.norm) return obs;
    if (this.normBuf.length < n * this.obsSize) this.normBuf = new Float32Array(n * this.obsSize);
    this.norm(obs, this.normBuf, n * this.obsSize);
    return this.normBuf;
  }

  /** Labels on the SIMD kernels (synchronous, any batch). */
  predictSync(obs: Float32Array, n: number, opts: PredictOptions = {}): TeacherBatch {
    checkBatch(this, obs, n);
    const x = this.input(obs, n);
    const actor = this.actor!;
    const outputs = actor.forward(x, n).slice();
    const batch = this.batchOf(
      n,
      outputs,
      this.gather(opts, (name) => actor.activation(name).slice()),
    );
    if (this.critic) batch.values = this.critic.forward(x, n).slice();
    return batch;
  }

  /** Labels on onnxruntime when `teacherBackend` says it is faster for this batch, else `predictSync`. */
  async predict(obs: Float32Array, n: number, opts: PredictOptions = {}): Promise<TeacherBatch> {
    checkBatch(this, obs, n);
    const useOnnx =
      this.backendChoice === "onnx" ||
      (this.backendChoice === "auto" && teacherBackend(this.flopsPerSample, n, true) === "onnx");
    const session = useOnnx ? await this.onnxSession(opts.features !== undefined) : null;
    if (!session) return this.predictSync(obs, n, opts);
    const x = this.input(obs, n);
    const res = await session.run(x.length === n * this.obsSize ? x : x.slice(0, n * this.obsSize), n);
    const main = session.outputNames[0]!;
    const features = this.gather(opts, (name) => {
      const f = this.onnxFeatures.get(name)!;
      const data = res[f.tensor]!.data;
      if (!f.chw) return data;
      const [c, h, w] = f.chw;
      const size = c * h * w;
      const out = new Float32Array(data.length);
      for (let r = 0; r < n; r++)
        out.set(chwToHwc(data.subarray(r * size, (r + 1) * size), c, h, w), r * size);
      return out;
    });
    const batch = this.batchOf(n, res[main]!.data, features);
    if (this.hasValue) batch.values = res.value!.data;
    return batch;
  }

  /** An onnxruntime session (with the hidden features or not), built on first use; null when onnxruntime-node is not installed. */
  private onnxSession(withFeatures: boolean): Promise<OnnxPolicy | null> {
    const create = () =>
      loadOnnxRuntime().then(
        () =>
          OnnxPolicy.create(
            exportOnnx({ ...this.spec, obsNorm: undefined }, { includeValue: this.hasValue }),
            {
              intermediates: withFeatures ? [...this.onnxFeatures.values()].map((f) => f.tensor) : [],
            },
          ),
        () => null,
      );
    if (withFeatures) {
      this.onnxWithFeatures ??= create();
      return this.onnxWithFeatures;
    }
    this.onnx ??= create();
    return this.onnx;
  }

  /** The requested features (ConfigError naming an unknown one), read by `read` only when asked for. */
  private gather(opts: PredictOptions, read: (name: string) => Float32Array): Record<string, Float32Array> {
    if (!opts.features) return {};
    const names = opts.features === "all" ? this.features.map((f) => f.name) : opts.features;
    const hidden = this.features.map((f) => (names.includes(f.name) ? read(f.name) : new Float32Array(0)));
    return selectFeatures(this.name, this.features, hidden, names);
  }

  private batchOf(n: number, outputs: Float32Array, features: Record<string, Float32Array>): TeacherBatch {
    const batch: TeacherBatch = { kind: this.kind, n, actionSize: this.actionSize, outputs, features };
    if (this.spec.logStd) {
      const k = this.actionSize;
      const ls = new Float32Array(n * k);
      for (let r = 0; r < n; r++) ls.set(this.spec.logStd, r * k);
      batch.logStd = ls;
    }
    return batch;
  }

  async dispose(): Promise<void> {
    for (const session of [await this.onnx, await this.onnxWithFeatures]) await session?.release();
  }
}
