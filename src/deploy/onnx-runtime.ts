/**
 * Running ONNX policies through onnxruntime-node, an optional dependency: it is loaded on first
 * use, so the library imports and works without it, and a missing install gives one clear error.
 * OnnxPolicy can also expose hidden activations (for feature distillation) by adding graph
 * outputs for named intermediate tensors before the session is created.
 *
 * Models exported with a fixed batch of 1 (no `dynamic_axes`, as older Stable-Baselines3 docs
 * did) are run one row at a time; a fixed batch above 1 is refused at load with the fix. Any
 * onnxruntime failure becomes one line naming the model, the input and its shape.
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
  /** Names the model in errors (e.g. its file name). Default "ONNX model". */
  name?: string;
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

const OPTION_KEYS = ["name", "intermediates", "threads", "int8Activations"] as const;

export interface OnnxOutput {
  data: Float32Array;
  dims: number[];
}

/** An ONNX policy network in onnxruntime: every output (and chosen hidden tensor) for a batch. */
export class OnnxPolicy {
  private released = false;

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
    /** Model name used in errors. */
    readonly name: string,
    /** The batch size the graph fixes (1 for fixed-batch exports), or null when it is dynamic. */
    readonly fixedBatch: number | null,
    /** Element type the input takes: float32, or uint8 (image frames; see exportOnnx's inputType). */
    readonly inputType: "float32" | "uint8" = "float32",
  ) {}

  /** Names of every tensor computed by a node: the candidates for `intermediates`. */
  static tensorNames(bytes: Uint8Array): string[] {
    return decodeModel(bytes).graph.nodes.flatMap((n) => n.outputs.filter((o) => o !== ""));
  }

  static async create(bytes: Uint8Array, options: OnnxPolicyOptions = {}): Promise<OnnxPolicy> {
    checkKnownKeys("OnnxPolicy options", options, OPTION_KEYS);
    const name = options.name ?? "ONNX model";
    const model = decodeModel(bytes);
    const { inputName, obsShape, fixedBatch, inputType } = describeInput(model, name);
    if (fixedBatch !== null && fixedBatch !== 1) {
      throw new ArtifactError(
        `${name}: input "${inputName}" has a fixed batch of ${fixedBatch}; re-export it with a dynamic batch ` +
          `(torch.onnx.export(..., dynamic_axes={"${inputName}": {0: "batch"}})) or with a batch of 1`,
      );
    }
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
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(withOutputs, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: "all",
        extra: { session: { qdq_matmulnbits_accuracy_level: options.int8Activations ? "4" : "0" } },
      });
    } catch (err) {
      throw new ArtifactError(`${name}: onnxruntime cannot load the model: ${firstLine(err)}`);
    }
    return new OnnxPolicy(ort, session, inputName, obsShape, outputNames, extra, name, fixedBatch, inputType);
  }

  /** Runs a batch of observations laid out back to back ([batch, ...obsShape], row-major). */
  async run(
    observations: Float32Array | Uint8Array,
    batchSize?: number,
  ): Promise<Record<string, OnnxOutput>> {
    const obsSize = this.obsShape.reduce((a, b) => a * b, 1);
    const batch = batchSize ?? observations.length / obsSize;
    if (!Number.isInteger(batch) || batch < 1 || batch * obsSize !== observations.length) {
      throw new ConfigError(
        "observations",
        `length ${observations.length} is not batch x ${obsSize} (obsShape [${this.obsShape.join(", ")}])`,
      );
    }
    if (this.fixedBatch === 1 && batch > 1) return this.runRowByRow(observations, batch, obsSize);
    const input =
      this.inputType === "uint8"
        ? new this.ort.Tensor("uint8", this.asUint8(observations), [batch, ...this.obsShape])
        : new this.ort.Tensor(
            "float32",
            observations instanceof Float32Array ? observations : Float32Array.from(observations),
            [batch, ...this.obsShape],
          );
    let result: Ort.InferenceSession.ReturnType;
    try {
      result = await this.session.run({ [this.inputName]: input });
    } catch (err) {
      throw new RlDistillError(
        `${this.name}: onnxruntime failed on input "${this.inputName}" [${[batch, ...this.obsShape].join(", ")}]: ${firstLine(err)}`,
      );
    }
    const out: Record<string, OnnxOutput> = {};
    for (const name of [...this.outputNames, ...this.intermediates]) {
      const t = result[name];
      if (!t) {
        throw new RlDistillError(
          `${this.name}: onnxruntime returned no output "${name}" (it returned ${Object.keys(result).join(", ") || "nothing"})`,
        );
      }
      // Integer outputs (e.g. greedy actions from an ArgMax) are returned as float32 numbers too.
      const data =
        t.type === "float32"
          ? (t.data as Float32Array)
          : Float32Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
      out[name] = { data, dims: t.dims.map(Number) };
    }
    return out;
  }

  /** Observations for a uint8 input: as they are, or float values that must be integers in [0, 255]. */
  private asUint8(observations: Float32Array | Uint8Array): Uint8Array {
    if (observations instanceof Uint8Array) return observations;
    const out = new Uint8Array(observations.length);
    for (let i = 0; i < observations.length; i++) {
      const v = observations[i]!;
      if (!(Number.isInteger(v) && v >= 0 && v <= 255)) {
        throw new ConfigError(
          "observations",
          `${this.name} takes uint8 input; entry ${i} is ${v}, not an integer in [0, 255]`,
        );
      }
      out[i] = v;
    }
    return out;
  }

  /** A fixed-batch-1 graph: one row per call, outputs stacked along the batch. */
  private async runRowByRow(
    observations: Float32Array | Uint8Array,
    batch: number,
    obsSize: number,
  ): Promise<Record<string, OnnxOutput>> {
    const rows: Array<Record<string, OnnxOutput>> = [];
    for (let r = 0; r < batch; r++)
      rows.push(await this.run(observations.subarray(r * obsSize, (r + 1) * obsSize), 1));
    const out: Record<string, OnnxOutput> = {};
    for (const name of Object.keys(rows[0]!)) {
      const width = rows[0]![name]!.data.length;
      const data = new Float32Array(batch * width);
      rows.forEach((row, r) => {
        data.set(row[name]!.data, r * width);
      });
      out[name] = { data, dims: [batch, ...rows[0]![name]!.dims.slice(1)] };
    }
    return out;
  }

  /** Frees the session; idempotent (a teacher's dispose may reach a shared session twice). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }
}

/** The first line of an error's message (onnxruntime's carry stack-like detail after it). */
function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n")[0]!.trim();
}

/**
 * The one observation input: its name, the shape of one observation, and the batch the graph
 * fixes (a number) or null when the batch dimension is symbolic or unknown.
 */
export function describeInput(
  model: OnnxModel,
  name = "ONNX model",
): { inputName: string; obsShape: number[]; fixedBatch: number | null; inputType: "float32" | "uint8" } {
  // Old exporters also list initializers as graph inputs; those are not fed.
  const inits = new Set(model.graph.initializers.map((t) => t.name));
  const inputs = model.graph.inputs.filter((i) => !inits.has(i.name));
  if (inputs.length !== 1) {
    throw new ArtifactError(
      `${name}: expected one observation input, found ${inputs.length} (${inputs.map((i) => i.name).join(", ")})`,
    );
  }
  const input = inputs[0]!;
  const shape = input.shape ?? [];
  const obsShape = shape.slice(1);
  if (shape.length < 2 || !obsShape.every((d): d is number => typeof d === "number" && d > 0)) {
    throw new ArtifactError(
      `${name}: input "${input.name}" has shape [${shape.join(", ")}]; it must be [batch, ...fixed sizes]`,
    );
  }
  const b = shape[0];
  const inputType = input.elemType === DataType.UINT8 ? "uint8" : "float32";
  return {
    inputName: input.name,
    obsShape,
    fixedBatch: typeof b === "number" && b > 0 ? b : null,
    inputType,
  };
}
