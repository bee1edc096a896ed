/**
 * Source text of `rldistill-policy.mjs`, the dependency-free runtime that `exportRuntime` writes
 * beside `policy.json` and `policy.bin` (compacted by `compactRuntime`: comments and indentation
 * removed). It is kept as a string (so it ships inside the built library without extra files)
 * and tested as real code: the tests write it out and import it in Node and in Chromium. It must
 * therefore stay plain modern JavaScript with no imports, no backquotes and no "$" + "{".
 *
 * Sections: code between a line "//#if NAME" and "//#endif" (optionally split by "//#else"; no
 * nesting) is only kept when the exported policy needs feature NAME (conv, int8, continuous,
 * value: a value head, large: a network too big for specialise(), which wants the fast loops);
 * `runtimeSource` in runtime-compact.ts selects them, so an MLP bundle carries no conv code.
 *
 * Numerics: observation normalisation is float32 step by step (as tfjs, ONNX and nn/fast.ts do
 * it); activations are float64 and each dot product sums in input order from 0 and adds the bias
 * last, exactly like `compileSpec` in nn/fast.ts, so outputs and actions match it to the last bit;
 * int8 weights are expanded at load to fround(q * scale), the same float32 values
 * `dequantizeSpec` gives, so int8 policies act identically to their simulation.
 *
 * Speed (act, batch 1): small dense networks are compiled at load into one straight-line function
 * (weights as literals: no loops, no array reads for them), through `new Function`; where eval is
 * forbidden (a Content-Security-Policy without 'unsafe-eval') the loops are used, same results.
 * For discrete actions of tanh networks, act() first runs a fast rational tanh (error <= 1e-6),
 * then returns its argmax only when the winning margin exceeds a bound, computed at load, on how
 * far the outputs can be from the exact ones (the tanh error propagated through |W|, plus float64
 * rounding, plus float32 ties); otherwise it runs the exact forward. The action is therefore always
 * the exact one; Math.tanh (about 10 ns a call) was two thirds of the time of a 32-32 student.
 */
import { FORWARD_SOURCE } from "./runtime-source-forward.js";

/** The policy object `load` resolves to (for typed use from TypeScript). */
export interface RuntimePolicy {
  readonly obsShape: number[];
  readonly output: "logits" | "q" | "mean";
  readonly actionSize: number;
  /** Raw outputs for one observation: logits / q_values / action_mean, plus value when present. */
  forward(observation: ArrayLike<number>): Record<string, Float32Array>;
  /** argmax for discrete outputs; the mean clipped to [actionLow, actionHigh] for continuous ones. */
  act(observation: ArrayLike<number>): number | Float32Array;
}

export interface RuntimeModule {
  FORMAT: string;
  VERSION: number;
  /** Largest |tanhApprox(x) - Math.tanh(x)| the certified fast path assumes. */
  TANH_ERROR: number;
  /** The fast rational tanh of act()'s certified path (exposed for tests). */
  tanhApprox(x: number): number;
  load(source: string | URL | { json: unknown; bin: ArrayBuffer | Uint8Array }): Promise<RuntimePolicy>;
  fromBytes(json: unknown, bin: ArrayBuffer | Uint8Array): RuntimePolicy;
}

export const RUNTIME_FORMAT = "rldistill-policy";
export const RUNTIME_VERSION = 1;
/** MAX_INLINE of the runtime: larger dense stacks (or any conv) run through the loops. */
export const RUNTIME_MAX_INLINE = 8192;

const PARSING_SOURCE = String.raw`// rldistill-policy.mjs: a standalone policy runtime written by rldistill. No dependencies.
//   import { load } from "./rldistill-policy.mjs";
//   const policy = await load(new URL(".", import.meta.url)); // or a directory path (Node), a URL, or { json, bin }
//   const action = policy.act(obs);                    // synchronous after load
export const FORMAT = "rldistill-policy";
export const VERSION = 1;

function fail(message) {
  throw new Error("rldistill-policy: " + message);
}

function floats(view, ref, what, length) {
  if (!ref || ref.offset + 4 * ref.length > view.byteLength) fail(what + " lies outside policy.bin");
  if (length !== undefined && ref.length !== length) fail(what + " needs " + length + " entries");
  const out = new Float32Array(ref.length);
  for (let i = 0; i < ref.length; i++) out[i] = view.getFloat32(ref.offset + 4 * i, true);
  return out;
}

function weights(view, ref, channels, length, what) {
  if (ref.dtype === "float32") return floats(view, ref, what, length);
//#if int8
  if (ref.dtype === "int8") {
    if (ref.offset + ref.length > view.byteLength) fail(what + " lies outside policy.bin");
    if (ref.length !== length) fail(what + " needs " + length + " entries");
    const scale = floats(view, ref.scale, what + ".scale", channels);
    const out = new Float32Array(ref.length);
    for (let i = 0; i < ref.length; i++) out[i] = view.getInt8(ref.offset + i) * scale[i % channels];
    return out;
  }
//#endif
  fail(what + ".dtype " + JSON.stringify(ref.dtype) + " is not supported by this runtime");
}

function count(v, what) {
  if (!Number.isInteger(v) || v < 1) fail(what + " must be a positive integer, got " + JSON.stringify(v));
  return v;
}

// Each layer owns its output buffer: acting allocates nothing (calls are synchronous, so a
// buffer is never in use twice at once; forward() copies results out).
function prepare(view, spec, what) {
  return spec.map((l, index) => {
    const at = what + "[" + index + "]";
    if (l.kind === "flatten") return l;
    const act = l.activation;
    if (act !== "linear" && act !== "relu" && act !== "tanh") fail(at + ".activation " + JSON.stringify(act) + " is not allowed; allowed: linear, relu, tanh");
    if (l.kind === "dense") {
      const n = count(l.inSize, at + ".inSize"), m = count(l.outSize, at + ".outSize");
      const w = weights(view, l.weight, m, n * m, at + ".weight");
      // Stored [in][out]; transposed to [out][in] so each dot product reads memory in order.
      const wT = new Float64Array(n * m);
      for (let i = 0; i < n; i++) for (let o = 0; o < m; o++) wT[o * n + i] = w[i * m + o];
      return { kind: "dense", act, n, m, wT, b: Float64Array.from(floats(view, l.bias, at + ".bias", m)), y: new Float64Array(m) };
    }
//#if conv
    if (l.kind !== "conv2d") fail(at + ".kind " + JSON.stringify(l.kind) + " is not allowed; allowed: dense, conv2d, flatten");
    const h = l.inShape[0], wd = l.inShape[1], c = l.inShape[2], k = l.kernelSize, st = l.stride, oc = l.outChannels;
    const g = { outH: Math.floor((h - k) / st) + 1, outW: Math.floor((wd - k) / st) + 1, top: 0, left: 0 };
    if (l.padding === "same") {
      // TensorFlow's rule: the odd padding pixel goes after (bottom/right).
      g.outH = Math.ceil(h / st);
      g.outW = Math.ceil(wd / st);
      g.top = Math.floor(Math.max((g.outH - 1) * st + k - h, 0) / 2);
      g.left = Math.floor(Math.max((g.outW - 1) * st + k - wd, 0) / 2);
    }
    const w = Float64Array.from(weights(view, l.weight, oc, k * k * c * oc, at + ".weight"));
    return { ...l, ...g, act, w, b: floats(view, l.bias, at + ".bias", oc), y: new Float64Array(g.outH * g.outW * oc) };
//#else
    fail(at + ".kind " + JSON.stringify(l.kind) + " is not supported by this runtime");
//#endif
  });
}

`;

const API_SOURCE = String.raw`const OUTPUT_NAMES = { logits: "logits", q: "q_values", mean: "action_mean" };

/** Builds a policy from the parsed (or raw) policy.json and the bytes of policy.bin. Synchronous. */
export function fromBytes(json, bin) {
  const spec = typeof json === "string" ? JSON.parse(json) : json instanceof Uint8Array ? JSON.parse(new TextDecoder().decode(json)) : json;
  if (!spec || spec.format !== FORMAT) fail("policy.json: format is not " + JSON.stringify(FORMAT));
  if (spec.version !== VERSION) fail("policy.json: version " + spec.version + " is not supported; this runtime reads version " + VERSION);
  const bytes = bin instanceof Uint8Array ? bin : new Uint8Array(bin);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const obsSize = spec.obsShape.reduce((a, b) => a * count(b, "obsShape"), 1);
  const layers = prepare(view, spec.layers, "layers");
//#if value
  const valueLayers = spec.valueLayers ? prepare(view, spec.valueLayers, "valueLayers") : null;
//#else
  if (spec.valueLayers) fail("policy.json: valueLayers are not supported by this runtime");
//#endif
  // Normalisation in float32 step by step, as tfjs (training), rldistill's fast forward and
  // ONNX compute it: the clip can amplify a rounding difference into a different action.
  const f = Math.fround;
  let norm = null;
  if (spec.obsNorm) {
    const v = floats(view, spec.obsNorm.var, "obsNorm.var", obsSize);
    norm = {
      mean: floats(view, spec.obsNorm.mean, "obsNorm.mean", obsSize),
      sd: v.map((x) => Math.sqrt(f(x + f(spec.obsNorm.epsilon)))),
      clip: spec.obsNorm.clip === null ? Infinity : f(spec.obsNorm.clip),
    };
  }
//#if continuous
  const low = spec.actionLow ? floats(view, spec.actionLow, "actionLow") : null;
  const high = spec.actionHigh ? floats(view, spec.actionHigh, "actionHigh") : null;
//#endif
  const name = OUTPUT_NAMES[spec.output];
  if (!name) fail("policy.json: output " + JSON.stringify(spec.output) + " is not allowed; allowed: logits, q, mean");
  const discrete = spec.output !== "mean";
//#if !continuous
  if (!discrete) fail("policy.json: output mean is not supported by this runtime");
//#endif

  const xBuf = new Float64Array(obsSize);
  function input(obs) {
    const x = xBuf;
    if (norm) {
      const mean = norm.mean, sd = norm.sd, c = norm.clip;
      for (let i = 0; i < obsSize; i++) {
        const z = f(f(obs[i] - mean[i]) / sd[i]);
        x[i] = z < -c ? -c : z > c ? c : z;
      }
    } else for (let i = 0; i < obsSize; i++) x[i] = obs[i];
    return x;
  }
  function check(obs) {
    if (!obs || obs.length !== obsSize) fail("observation: expected " + obsSize + " numbers, got " + (obs ? obs.length : obs));
  }

  const certify = discrete && layers.every((l, i) => l.kind === "dense" && (l.act === "tanh" || i === layers.length - 1)) && layers.some((l) => l.act === "tanh");
  const bound = certify ? errorBound(layers) : 0;
  const compiled = specialise(layers, norm, obsSize, certify);
  const yFast = new Float64Array(spec.actionSize);
  // The exact policy outputs (a buffer reused by the next call).
  function exact(obs) {
    if (compiled && !certify) {
      compiled(obs, yFast);
      return yFast;
    }
    return run(layers, input(obs), false);
  }

  return {
    obsShape: spec.obsShape.slice(),
    output: spec.output,
    actionSize: spec.actionSize,
    forward(obs) {
      check(obs);
      const out = { [name]: Float32Array.from(exact(obs)) };
//#if value
      if (valueLayers) out.value = Float32Array.from(run(valueLayers, input(obs), false));
//#endif
      return out;
    },
    act(obs) {
      check(obs);
      if (certify) {
        let y = yFast;
        if (compiled) compiled(obs, y);
        else y = run(layers, input(obs), true);
        const a = certain(y, bound);
        if (a >= 0) return a;
      }
      const y = exact(obs);
//#if continuous
      if (!discrete) {
        const a = new Float32Array(y.length);
        for (let i = 0; i < y.length; i++) a[i] = Math.min(high ? high[i] : Infinity, Math.max(low ? low[i] : -Infinity, y[i]));
        return a;
      }
//#endif
      // argmax of the float32 outputs, first maximum, as compileSpec's act.
      let best = 0, top = f(y[0]);
      for (let i = 1; i < y.length; i++) {
        const v = f(y[i]);
        if (v > top) {
          top = v;
          best = i;
        }
      }
      return best;
    },
  };
}

// Variables, not literals, keep browser bundlers from trying to resolve Node's modules.
const FS = "node:fs/promises";
const URL_MODULE = "node:url";

async function readNode(path) {
  const fs = await import(FS);
  return new Uint8Array(await fs.readFile(path));
}

async function fetchBytes(url) {
  const res = await fetch(url);
  if (!res.ok) fail("fetching " + url + " failed: HTTP " + res.status);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * Loads a policy from a directory (Node: a path or file: URL; anywhere: an http(s) URL, relative
 * URLs resolve against the page), a URL of policy.json itself, or { json, bin } bytes.
 */
export async function load(source) {
  if (source && typeof source === "object" && !(source instanceof URL) && "json" in source) return fromBytes(source.json, source.bin);
  const isNode = typeof process !== "undefined" && !!(process.versions && process.versions.node);
  let text = String(source);
  // A scheme of two or more letters makes a URL; "C:" is a Windows drive, not a scheme.
  const isUrl = source instanceof URL || /^[a-z][a-z0-9+.-]+:/i.test(text) || !isNode;
  if (isNode && (text.startsWith("file:") || !isUrl)) {
    if (text.startsWith("file:")) text = (await import(URL_MODULE)).fileURLToPath(text);
    const jsonPath = text.endsWith(".json") ? text : text.replace(/[\/\\]?$/, "/") + "policy.json";
    const json = JSON.parse(new TextDecoder().decode(await readNode(jsonPath)));
    return fromBytes(json, await readNode(jsonPath.replace(/[^/\\]*$/, "") + json.weights));
  }
  const base = typeof location !== "undefined" ? location.href : undefined;
  const jsonUrl = new URL(text.endsWith(".json") ? text : text.replace(/\/?$/, "/") + "policy.json", base);
  const json = JSON.parse(new TextDecoder().decode(await fetchBytes(jsonUrl)));
  return fromBytes(json, await fetchBytes(new URL(json.weights, jsonUrl)));
}
`;

/**
 * The runtime's source: bundle parsing and checks (below), the forward (runtime-source-forward.ts: tanh,
 * dense and conv loops, specialisation, the certified fast path), then `fromBytes` and `load` (below).
 */
export const RUNTIME_SOURCE: string = PARSING_SOURCE + FORWARD_SOURCE + API_SOURCE;
