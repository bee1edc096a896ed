/**
 * Running ONNX policies through onnxruntime-node, an optional dependency: it is loaded on first
 * use, so the library imports and works without it, and a missing install gives one clear error.
 * OnnxPolicy can also expose hidden activations (for feature distillation) by adding graph
 * outputs for named intermediate tensors before the session is created.
 */
import type * as Ort from "onnxruntime-node";
import { ArtifactError, ConfigError, checkKnownKeys, RlDistillError } from "../core/errors.js";
import { appendGraphOutputs, DataType, decodeModel, type OnnxModel } from "./onnx-proto.js";

let ortPromise: Promise<typeof Ort> | undefined;

/** onnxruntime-node, imported once; throws a RlDistillError with the install line when missing. */
export function loadOnnxRuntime(): Promise<typeof Ort> {
  // A variable module name keeps bundlers from trying to resolve the optional package.
  const name = "onnxruntime-node";
  ortPromise ??= (import(name) as Promise<typeof Ort>).catch((err: unknown) => {
    ortPromise = undefined;
    throw new RlDistillError(
      `onnxruntime-node is needed to run ONNX models but could not be loaded (${(err as Error).message}). ` +
        "Install it with: ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node",
    );
  });
  return ortPromise;
}

export interface OnnxPolicyOptions {
  /** Names of intermediate tensors to return as extra outputs (see `OnnxPolicy.tensorNames`). */
  intermediates?: string[];
  /** Intra-op threads for onnxruntime (default 1: actors run side by side on few cores). */
  threads?: number;
  /**
   * Let onnxruntime run int8-weight MatMuls with int8 activations too (its MatMulNBits
   * "accuracy level 4", the default in onnxruntime 1.30 at the extended optimization level).
   * Faster, but logits drift by ~1e-2 from the int8-weight model; default false: float compute,
   * matching `dequantizeSpec` to float rounding.
   */
  int8Activations?: boolean;
}

const OPTION_KEYS = ["intermediates", "threads", "int8Activations"] as const;

export interface OnnxOutput {
  data: Float32Array;
  dims: number[];
}

/** An ONNX policy network in onnxruntime: every output (and chosen hidden tensor) for a batch. */
export class OnnxPolicy {
  private constructor(
    private readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
    /** Graph input name, e.g. "obs" or "input". */
    readonly inputName: string,
    /** Shape of one observation (input shape without the batch dimension). */
    readonly obsShape: number[],
    /** The model's own outputs, in order (e.g. ["logits", "value"]). */
    readonly outputNames: string[],
    /** Intermediate tensors added as outputs. */
    readonly intermediates: string[],
  ) {}

  /** Names of every tensor computed by a node: the candidates for `intermediates`. */
  static tensorNames(bytes: Uint8Array): string[] {
    return decodeModel(bytes).graph.nodes.flatMap((n) => n.outputs.filter((o) => o !== ""));
  }

  static async create(bytes: Uint8Array, options: OnnxPolicyOptions = {}): Promise<OnnxPolicy> {
    checkKnownKeys("OnnxPolicy options", options, OPTION_KEYS);
    const model = decodeModel(bytes);
    const { inputName, obsShape } = describeInput(model);
    const outputNames = model.graph.outputs.map((o) => o.name);
    const intermediates = options.intermediates ?? [];
    const known = new Set(model.graph.nodes.flatMap((n) => n.outputs));
    for (const name of intermediates) {
      if (!known.has(name)) {
        const some = [...known].slice(0, 20).join(", ");
        throw new ConfigError("intermediates", `no tensor named "${name}" in the graph; some names: ${some}`);
      }
    }
    const extra = intermediates.filter((n) => !outputNames.includes(n));
    const withOutputs = extra.length
      ? appendGraphOutputs(
          bytes,
          extra.map((name) => ({ name, elemType: DataType.FLOAT })),
        )
      : bytes;
    const ort = await loadOnnxRuntime();
    const threads = options.threads ?? 1;
    const session = await ort.InferenceSession.create(withOutputs, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
      extra: { session: { qdq_matmulnbits_accuracy_level: options.int8Activations ? "4" : "0" } },
    });
    return new OnnxPolicy(ort, session, inputName, obsShape, outputNames, extra);
  }

  /** Runs a batch of observations laid out back to back ([batch, ...obsShape], row-major). */
  async run(observations: Float32Array, batchSize?: number): Promise<Record<string, OnnxOutput>> {
    const obsSize = this.obsShape.reduce((a, b) => a * b, 1);
    const batch = batchSize ?? observations.length / obsSize;
    if (!Number.isInteger(batch) || batch < 1 || batch * obsSize !== observations.length) {
      throw new ConfigError(
        "observations",
        `length ${observations.length} is not batch x ${obsSize} (obsShape [${this.obsShape.join(", ")}])`,
      );
    }
    const input = new this.ort.Tensor("float32", observations, [batch, ...this.obsShape]);
    const result = await this.session.run({ [this.inputName]: input });
    const out: Record<string, OnnxOutput> = {};
    for (const name of [...this.outputNames, ...this.intermediates]) {
      const t = result[name];
      if (!t) continue;
      out[name] = { data: t.data as Float32Array, dims: t.dims.map(Number) };
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export function describeInput(model: OnnxModel): { inputName: string; obsShape: number[] } {
  // Old exporters also list initializers as graph inputs; those are not fed.
  const inits = new Set(model.graph.initializers.map((t) => t.name));
  const inputs = model.graph.inputs.filter((i) => !inits.has(i.name));
  if (inputs.length !== 1) {
    throw new ArtifactError(
      `ONNX model: expected one observation input, found ${inputs.length} (${inputs.map((i) => i.name).join(", ")})`,
    );
  }
  const input = inputs[0]!;
  const shape = input.shape ?? [];
  const obsShape = shape.slice(1);
  if (shape.length < 2 || !obsShape.every((d): d is number => typeof d === "number" && d > 0)) {
    throw new ArtifactError(
      `ONNX input "${input.name}": shape [${shape.join(", ")}] must be [batch, ...fixed sizes]`,
    );
  }
  return { inputName: input.name, obsShape };
}
