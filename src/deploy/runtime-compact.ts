/**
 * The runtime module's text (runtime-export.ts writes it): `runtimeSource` keeps the sections of
 * runtime-source.ts a policy needs, `compactRuntime` drops comments and optional white space, and
 * `shortenNames` renames locals, so a small MLP bundle carries a few KB of code.
 */
import type { PolicySpec } from "../nn/spec.js";
import type { QuantizedPolicySpec } from "./quantize.js";
import { RUNTIME_MAX_INLINE, RUNTIME_SOURCE } from "./runtime-source.js";

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
