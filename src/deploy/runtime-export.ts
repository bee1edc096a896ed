/**
 * Writes a policy as a standalone bundle: `rldistill-policy.mjs` (the runtime, a few KB, no
 * dependencies; the readable source is runtime-source.ts, of which runtime-compact.ts keeps only
 * the sections the policy needs, compacted, with short local names),
 * `policy.json` (architecture, with byte ranges into the weight file) and `policy.bin`
 * (little-endian float32, or int8 weights with per-channel float32 scales).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError, checkKnownKeys } from "../core/errors.js";
import type { LayerSpec, PolicySpec } from "../nn/spec.js";
import { littleEndianBytes } from "./protobuf.js";
import {
  dequantizeSpec,
  isQuantizedSpec,
  type QuantizedLayerSpec,
  type QuantizedPolicySpec,
  quantizeSpec,
} from "./quantize.js";
import { ALL_RUNTIME_FEATURES, runtimeFeatures, runtimeModuleText } from "./runtime-compact.js";
import { RUNTIME_FORMAT, RUNTIME_VERSION, type RuntimeModule } from "./runtime-source.js";
import { checkSpec } from "./spec-shapes.js";

export const RUNTIME_FILES = {
  module: "rldistill-policy.mjs",
  json: "policy.json",
  bin: "policy.bin",
} as const;

export interface ExportRuntimeOptions {
  /** Weight storage: "float32" (default) or "int8" (symmetric per-channel; biases stay float32). */
  weights?: "float32" | "int8";
}

const OPTION_KEYS = ["weights"] as const;

interface ArrayRef {
  offset: number;
  length: number;
}

/** Concatenates arrays into one buffer, 4-byte aligned so float32 data can be read in place. */
class BinWriter {
  private chunks: Uint8Array[] = [];
  private size = 0;

  add(a: Float32Array | Int8Array): ArrayRef {
    const pad = (4 - (this.size % 4)) % 4;
    if (pad) this.push(new Uint8Array(pad));
    const ref = { offset: this.size, length: a.length };
    this.push(littleEndianBytes(a));
    return ref;
  }

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

function layerJson(bin: BinWriter, layer: LayerSpec | QuantizedLayerSpec): Record<string, unknown> {
  if (layer.kind === "flatten") return { kind: "flatten" };
  const { weight, bias, ...rest } = layer;
  const w =
    weight instanceof Float32Array
      ? { dtype: "float32", ...bin.add(weight) }
      : { dtype: "int8", ...bin.add(weight.data), scale: bin.add(weight.scale) };
  return { ...rest, weight: w, bias: bin.add(bias) };
}

/** Text of the full rldistill-policy.mjs (every feature): loads any bundle. */
export const RUNTIME_MODULE = runtimeModuleText(ALL_RUNTIME_FEATURES);

export interface RuntimeBundle {
  /** Text of rldistill-policy.mjs. */
  module: string;
  /** Text of policy.json. */
  json: string;
  /** Bytes of policy.bin. */
  bin: Uint8Array;
}

/** The three files of a standalone bundle, in memory. */
export function packRuntime(
  spec: PolicySpec | QuantizedPolicySpec,
  options: ExportRuntimeOptions = {},
): RuntimeBundle {
  checkKnownKeys("exportRuntime options", options, OPTION_KEYS);
  const mode = options.weights ?? (isQuantizedSpec(spec) ? "int8" : "float32");
  if (mode !== "float32" && mode !== "int8")
    throw new ConfigError("weights", `"${mode}" is not allowed; allowed: float32, int8`);
  if (isQuantizedSpec(spec) && mode === "float32") {
    throw new ConfigError(
      "weights",
      "the spec is already int8; export it with weights: int8 or pass the float spec",
    );
  }
  const float = isQuantizedSpec(spec) ? dequantizeSpec(spec) : spec;
  checkSpec(float);
  const stored: PolicySpec | QuantizedPolicySpec =
    mode === "int8" && !isQuantizedSpec(spec) ? quantizeSpec(spec) : spec;
  const bin = new BinWriter();
  const json: Record<string, unknown> = {
    format: RUNTIME_FORMAT,
    version: RUNTIME_VERSION,
    weights: RUNTIME_FILES.bin,
    quantization: mode,
    obsShape: stored.obsShape,
    output: stored.output,
    actionSize: stored.actionSize,
    layers: stored.layers.map((l) => layerJson(bin, l)),
  };
  if (stored.valueLayers) json.valueLayers = stored.valueLayers.map((l) => layerJson(bin, l));
  if (stored.obsNorm) {
    const n = stored.obsNorm;
    // JSON has no Infinity: null means "no clipping".
    const clip = Number.isFinite(n.clip) ? n.clip : null;
    json.obsNorm = { mean: bin.add(n.mean), var: bin.add(n.var), epsilon: n.epsilon, clip };
  }
  if (stored.logStd) json.logStd = bin.add(stored.logStd);
  if (stored.actionLow) json.actionLow = bin.add(stored.actionLow);
  if (stored.actionHigh) json.actionHigh = bin.add(stored.actionHigh);
  return {
    module: runtimeModuleText(runtimeFeatures(stored, mode)),
    json: JSON.stringify(json),
    bin: bin.finish(),
  };
}

/** Writes rldistill-policy.mjs, policy.json and policy.bin into `outDir` (created if missing). */
export async function exportRuntime(
  spec: PolicySpec | QuantizedPolicySpec,
  outDir: string,
  options: ExportRuntimeOptions = {},
): Promise<{ files: Array<{ name: string; path: string; bytes: number }> }> {
  const bundle = packRuntime(spec, options);
  await mkdir(outDir, { recursive: true });
  const contents: Array<[string, string | Uint8Array]> = [
    [RUNTIME_FILES.module, bundle.module],
    [RUNTIME_FILES.json, bundle.json],
    [RUNTIME_FILES.bin, bundle.bin],
  ];
  const files = [];
  for (const [name, data] of contents) {
    const path = join(outDir, name);
    await writeFile(path, data);
    files.push({ name, path, bytes: typeof data === "string" ? Buffer.byteLength(data) : data.length });
  }
  return { files };
}

let runtimePromise: Promise<RuntimeModule> | undefined;

/**
 * The runtime module itself, evaluated in this process (from a data: URL, no files), for using
 * an exported bundle from TypeScript: `(await runtimeModule()).fromBytes(json, bin)`.
 */
export function runtimeModule(): Promise<RuntimeModule> {
  runtimePromise ??= import(
    /* @vite-ignore */ `data:text/javascript;base64,${Buffer.from(RUNTIME_MODULE).toString("base64")}`
  ) as Promise<RuntimeModule>;
  return runtimePromise;
}
