/**
 * `rldistill export`: a saved policy (or an .onnx file) to an ONNX model or a standalone
 * JavaScript bundle, optionally with int8 weights. Loads only the deploy modules it needs (no tfjs).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { makeFolders, writeFileAtomic } from "../core/atomic-write.js";
import { checkPolicyFitsRecorded, type RecordedSpaces } from "../core/compat.js";
import { ConfigError } from "../core/errors.js";
import { exportOnnx } from "../deploy/onnx-export.js";
import { quantizeSpec, specSizes } from "../deploy/quantize.js";
import { exportRuntime } from "../deploy/runtime-export.js";
import { describeNetwork } from "../eval/describe.js";
import { loadPolicy, MAGIC } from "../nn/checkpoint.js";
import type { PolicySpec } from "../nn/spec.js";
import { type Command, type FlagSpecs, formatFlags, parseArgs, wantsHelp } from "./args.js";
import { readAnyModel } from "./import.js";

const flags: FlagSpecs = {
  model: {
    type: "string",
    help: "policy file saved by rldistill (or any artifact with a policy), or an .onnx model",
  },
  format: {
    type: "string",
    choices: ["onnx", "js"],
    help: "onnx: one .onnx file; js: a directory with rldistill-policy.mjs, policy.json, policy.bin",
  },
  out: { type: "string", help: "output file (onnx) or directory (js)" },
  quantize: {
    type: "string",
    choices: ["none", "int8"],
    help: "int8: symmetric per-channel int8 weights",
    defaultText: "none",
  },
  "include-value": {
    type: "boolean",
    help: 'keep the value head (ONNX output "value"; runtime forward().value)',
  },
  opset: { type: "integer", help: "ONNX opset, 13-17", defaultText: "13" },
  "input-type": {
    type: "string",
    choices: ["float32", "uint8"],
    help: "ONNX input element type: uint8 takes image frames (MinAtar) as they come, cast to float inside",
    defaultText: "float32",
  },
  json: { type: "boolean", help: "print a JSON summary" },
  help: { type: "boolean", help: "show this help (-h)" },
};

export interface ExportModelOptions {
  /** Policy file (rldistill artifact) or .onnx model. */
  model: string;
  format: "onnx" | "js";
  /** Output file (onnx) or directory (js). */
  out: string;
  /** Default "none". */
  quantize?: "none" | "int8";
  /** Default false. */
  includeValue?: boolean;
  /** ONNX opset, default 13. */
  opset?: number;
  /** ONNX input element type, default "float32"; "uint8" for image frames. */
  inputType?: "float32" | "uint8";
}

export interface ExportSummary {
  model: string;
  /** What was exported, e.g. "4-32-32-2 tanh, logits". */
  network: string;
  format: "onnx" | "js";
  quantize: "none" | "int8";
  files: Record<string, number>;
  parameterBytes: number;
}

/**
 * The policy of a file: a checkpoint (checked against the spaces it recorded when saved: students
 * record them), or ONNX / SB3 .zip recognised by content, as `rldistill import` reads them.
 */
function readSpec(model: string): PolicySpec {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(model));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ConfigError(
      "--model",
      `cannot read ${model}: ${e.code === "ENOENT" ? "no such file" : e.message}`,
    );
  }
  if (new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) === MAGIC) {
    const { spec, meta } = loadPolicy(model);
    checkPolicyFitsRecorded(spec, meta as RecordedSpaces, `--model ${model}`);
    return spec;
  }
  return readAnyModel(model).spec;
}

/** The library call behind the command. */
export async function exportModel(o: ExportModelOptions): Promise<ExportSummary> {
  const quantize = o.quantize ?? "none";
  if (existsSync(o.out) && statSync(o.out).isDirectory() !== (o.format === "js"))
    throw new ConfigError(
      "--out",
      o.format === "js"
        ? `${o.out} is a file; --format js writes a folder (rldistill-policy.mjs and its weights)`
        : `${o.out} is a folder; give the path of the .onnx file to write`,
    );
  const loaded = readSpec(o.model);
  const { valueLayers, ...withoutValue } = loaded;
  const spec: PolicySpec = o.includeValue ? loaded : withoutValue;
  if (o.includeValue && !valueLayers)
    throw new ConfigError("--include-value", `${o.model} has no value head`);
  const stored = quantize === "int8" ? quantizeSpec(spec) : spec;
  const files: Record<string, number> = {};
  if (o.format === "onnx") {
    const bytes = exportOnnx(stored, {
      includeValue: o.includeValue ?? false,
      opset: o.opset ?? 13,
      inputType: o.inputType ?? "float32",
    });
    makeFolders(dirname(o.out));
    writeFileAtomic(o.out, bytes);
    files[o.out] = bytes.length;
  } else {
    makeFolders(o.out);
    const r = await exportRuntime(stored, o.out, { weights: quantize === "int8" ? "int8" : "float32" });
    for (const file of r.files) files[file.path] = file.bytes;
  }
  return {
    model: o.model,
    network: describeNetwork(spec),
    format: o.format,
    quantize,
    files,
    parameterBytes: specSizes(stored).totalBytes,
  };
}

function required(f: Record<string, unknown>, name: string): string {
  const v = f[name];
  if (typeof v !== "string" || v === "") throw new ConfigError(`--${name}`, "is required");
  return v;
}

export const exportCommand: Command = {
  name: "export",
  summary: "export a policy to ONNX or a standalone JavaScript runtime (optionally int8)",
  usage: () =>
    [
      "Usage: rldistill export --model PATH --format onnx|js --out FILE_OR_DIR [--quantize int8] [--include-value]",
      "",
      'Writes an ONNX model (input "obs" [batch, ...obsShape]; outputs logits / q_values / action_mean, and value)',
      "or a dependency-free bundle: import { load } from './rldistill-policy.mjs'; (await load(dir)).act(obs).",
      "",
      formatFlags(flags),
    ].join("\n"),
  async run(argv) {
    if (wantsHelp(argv)) {
      console.log(this.usage());
      return 0;
    }
    const { flags: f, positionals } = parseArgs(argv, flags);
    if (positionals.length)
      throw new ConfigError(positionals[0]!, "unexpected argument; see rldistill export --help");
    const summary = await exportModel({
      model: required(f, "model"),
      format: required(f, "format") as "onnx" | "js",
      out: required(f, "out"),
      quantize: (f.quantize as "none" | "int8" | undefined) ?? "none",
      includeValue: f["include-value"] === true,
      opset: (f.opset as number | undefined) ?? 13,
      inputType: (f["input-type"] as "float32" | "uint8" | undefined) ?? "float32",
    });
    if (f.json) {
      console.log(JSON.stringify(summary, null, 2));
      return 0;
    }
    const weights = summary.quantize === "int8" ? "int8 weights" : "float32 weights";
    console.log(`built: ${summary.network}, ${weights}`);
    console.log(
      `exported ${summary.model} as ${summary.format} (${weights}, ${summary.parameterBytes} parameter bytes)`,
    );
    for (const [file, bytes] of Object.entries(summary.files)) console.log(`  ${file}  ${bytes} bytes`);
    return 0;
  },
};
