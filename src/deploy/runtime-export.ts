/**
 * Writes a policy as a standalone bundle: `rldistill-policy.mjs` (the runtime, a few KB, no
 * dependencies; the readable source is runtime-source.ts, of which `runtimeSource` keeps only
 * the sections the policy needs, compacted by `compactRuntime` and `shortenNames`),
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
import {
  RUNTIME_FORMAT,
  RUNTIME_MAX_INLINE,
  RUNTIME_SOURCE,
  RUNTIME_VERSION,
  type RuntimeModule,
} from "./runtime-source.js";
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

const IDENT = /[A-Za-z0-9_$]/;

/**
 * The runtime without comments, indentation or optional spaces and newlines. Not a general
 * minifier: it relies on what runtime-source.ts promises (no backquotes; no "//" inside a
 * regular expression), and keeps a newline wherever dropping it could change automatic semicolon
 * insertion. The runtime tests import the compacted module, in Node and in Chromium.
 */
export function compactRuntime(source: string): string {
  let out = "";
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i]!;
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && source[j] !== c) j += source[j] === "\\" ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
    } else if (c === "/" && source[i + 1] === "/") {
      while (i < n && source[i] !== "\n") i++;
    } else if (c === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
    } else if (/\s/.test(c)) {
      let newline = false;
      for (; i < n && /\s/.test(source[i]!); i++) if (source[i] === "\n") newline = true;
      // Comments after this run count as whitespace too.
      if (source.startsWith("//", i) || source.startsWith("/*", i)) {
        if (newline) out += "\n";
        continue;
      }
      const prev = out[out.length - 1] ?? "";
      const next = source[i] ?? "";
      if (prev === "" || prev === "\n") continue;
      // A newline after ")", "]" or "}" before a name is dropped: where it was a statement end
      // that ASI relied on, the joined code is a syntax error (the runtime tests would fail to
      // import it), never a different program; no other case can parse differently.
      const joins = ")]}".includes(prev) && IDENT.test(next);
      if (newline && !"{;,".includes(prev) && next !== "}" && !joins) out += "\n";
      else if ((IDENT.test(prev) && IDENT.test(next)) || (prev === next && (prev === "+" || prev === "-")))
        out += " ";
    } else {
      out += c;
      i++;
    }
  }
  return out.replace(/\n+/g, "\n").trim() + "\n";
}

/** Optional parts of the runtime (the "//#if NAME" sections of runtime-source.ts). */
export interface RuntimeFeatures {
  /** conv2d layers. */
  conv: boolean;
  /** int8 weights (expanded at load). */
  int8: boolean;
  /** Continuous actions (output "mean", clipped to actionLow / actionHigh). */
  continuous: boolean;
  /** A value head (forward() returns "value"). */
  value: boolean;
  /** Policy layers that cannot be specialised (conv, or over RUNTIME_MAX_INLINE weights): fast loops. */
  large: boolean;
}

export const ALL_RUNTIME_FEATURES: Readonly<RuntimeFeatures> = {
  conv: true,
  int8: true,
  continuous: true,
  value: true,
  large: true,
};

/** The features the bundle of `spec` needs, with weights stored as `weights`. */
export function runtimeFeatures(
  spec: PolicySpec | QuantizedPolicySpec,
  weights: "float32" | "int8",
): RuntimeFeatures {
  let total = 0;
  for (const l of spec.layers)
    total += l.kind === "dense" ? l.inSize * l.outSize : l.kind === "flatten" ? 0 : Infinity;
  return {
    conv: [...spec.layers, ...(spec.valueLayers ?? [])].some((l) => l.kind === "conv2d"),
    int8: weights === "int8",
    continuous: spec.output === "mean",
    value: spec.valueLayers !== undefined,
    large: total > RUNTIME_MAX_INLINE,
  };
}

const SECTION = /^\s*\/\/#(if|else|endif)\b[ \t]*(!?)([A-Za-z0-9_]*)\s*$/;

/**
 * The runtime source with only the sections `features` needs: lines between "//#if NAME" (or
 * "//#if !NAME") and "//#else" / "//#endif" are kept when the feature is (is not) wanted.
 * Sections do not nest; an unknown name or an unbalanced marker throws.
 */
export function runtimeSource(features: Readonly<RuntimeFeatures>, source: string = RUNTIME_SOURCE): string {
  const out: string[] = [];
  let keep: boolean | null = null; // null: outside any section
  for (const [n, line] of source.split("\n").entries()) {
    const m = SECTION.exec(line);
    if (!m) {
      if (keep !== false) out.push(line);
      continue;
    }
    const [, kind, not, name] = m;
    const where = `runtime source line ${n + 1}`;
    if (kind === "if") {
      if (keep !== null) throw new Error(`${where}: nested //#if`);
      if (!Object.hasOwn(ALL_RUNTIME_FEATURES, name!)) throw new Error(`${where}: unknown feature "${name}"`);
      keep = (features[name as keyof RuntimeFeatures] === true) !== (not === "!");
    } else if (keep === null || name) throw new Error(`${where}: //#${kind} without //#if`);
    else keep = kind === "else" ? !keep : null;
  }
  if (keep !== null) throw new Error("runtime source: //#if without //#endif");
  return out.join("\n");
}

/**
 * Local names of the runtime that the module writes shorter (see `shortenNames`). Each is only
 * ever a variable, parameter or non-exported function name in runtime-source.ts: never an object
 * key, a shorthand property, a method or an export (property accesses like `json.weights` are
 * left alone by the renamer, since they follow a ".").
 */
const LOCAL_NAMES = [
  "fail",
  "floats",
  "weights",
  "count",
  "prepare",
  "activate",
  "dense",
  "conv",
  "run",
  "num",
  "specialise",
  "MAX_INLINE",
  "errorBound",
  "certain",
  "OUTPUT_NAMES",
  "view",
  "what",
  "message",
  "channels",
  "length",
  "index",
  "approx",
  "lines",
  "vars",
  "total",
  "names",
  "loop",
  "obsSize",
  "layers",
  "valueLayers",
  "norm",
  "input",
  "check",
  "discrete",
  "certify",
  "bound",
  "compiled",
  "yFast",
  "exact",
  "xBuf",
  "readNode",
  "fetchBytes",
  "URL_MODULE",
  "isNode",
  "text",
  "isUrl",
  "jsonPath",
  "jsonUrl",
  "base",
  "bytes",
  "spec",
  "scale",
  "next",
  "low",
  "high",
  "ref",
  "out",
  "obs",
  "json",
  "bin",
  "source",
  "path",
  "url",
  "res",
  "fs",
  "best",
  "max",
  "sum",
  "at",
  "name",
];

const IDENT_START = /[A-Za-z_$]/;

/**
 * Renames whole identifier tokens of compacted runtime code: each of `names` that occurs becomes
 * a one- or two-character name that occurs nowhere in the code (most frequent first). Strings are
 * copied untouched, and so is a name right after "." (a property access; "..." is a spread).
 * Throws where a listed name is used as an object key ("{name:" or ",name:"), which renaming
 * would break. The keyword `const` becomes `let` (two bytes less; the runtime never assigns a
 * const, so that was its only effect).
 */
export function shortenNames(code: string, names: readonly string[]): string {
  const tokens: Array<{ text: string; ident: boolean }> = [];
  const n = code.length;
  for (let i = 0; i < n; ) {
    const c = code[i]!;
    let j = i + 1;
    if (c === '"' || c === "'") {
      while (j < n && code[j] !== c) j += code[j] === "\\" ? 2 : 1;
      j++;
    } else if (IDENT.test(c)) while (j < n && IDENT.test(code[j]!)) j++;
    tokens.push({ text: code.slice(i, j), ident: IDENT_START.test(c) });
    i = j;
  }
  const used = new Set(tokens.filter((t) => t.ident).map((t) => t.text));
  const wanted = new Set(names);
  const counts = new Map<string, number>();
  for (const [k, t] of tokens.entries()) {
    if (!t.ident || !wanted.has(t.text)) continue;
    const before = k > 0 ? tokens[k - 1]!.text : "";
    if (before === "." && !(k >= 3 && tokens[k - 2]!.text === "." && tokens[k - 3]!.text === ".")) continue;
    if ((before === "{" || before === ",") && tokens[k + 1]?.text === ":")
      throw new Error(`shortenNames: "${t.text}" is an object key in the runtime`);
    counts.set(t.text, (counts.get(t.text) ?? 0) + 1);
  }
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$";
  const fresh: string[] = [];
  for (const a of alphabet) if (!used.has(a)) fresh.push(a);
  for (const a of alphabet) for (const b of `${alphabet}0123456789`) if (!used.has(a + b)) fresh.push(a + b);
  const order = [...counts.entries()].sort((x, y) => y[1] * y[0].length - x[1] * x[0].length);
  const rename = new Map(order.map(([name], k) => [name, fresh[k]!]));
  let out = "";
  for (const [k, t] of tokens.entries()) {
    const before = k > 0 ? tokens[k - 1]!.text : "";
    const spread = k >= 3 && tokens[k - 2]!.text === "." && tokens[k - 3]!.text === ".";
    const local = t.ident && (before !== "." || spread);
    out += local && t.text === "const" ? "let" : local ? (rename.get(t.text) ?? t.text) : t.text;
  }
  return out;
}

const USAGE = '// by rldistill: import { load } from "./rldistill-policy.mjs"; (await load(dir)).act(obs)\n';

const modules = new Map<string, string>();

/**
 * Text of an exported rldistill-policy.mjs with the given features: a usage line, then the
 * selected runtime, compacted, with local names shortened.
 */
export function runtimeModuleText(features: Readonly<RuntimeFeatures> = ALL_RUNTIME_FEATURES): string {
  const key = (Object.keys(ALL_RUNTIME_FEATURES) as Array<keyof RuntimeFeatures>)
    .map((f) => +features[f])
    .join("");
  let text = modules.get(key);
  if (text === undefined) {
    text = USAGE + shortenNames(compactRuntime(runtimeSource(features)), LOCAL_NAMES);
    modules.set(key, text);
  }
  return text;
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
