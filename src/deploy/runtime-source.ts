/**
 * Source text of `rldistill-policy.mjs`, the dependency-free runtime that `exportRuntime` writes
 * beside `policy.json` and `policy.bin`. It is kept as a string (so it ships inside the built
 * library without extra files) and tested as real code: the tests write it out and import it in
 * Node and in Chromium. It must therefore stay plain modern JavaScript with no imports.
 *
 * Numerics: observation normalisation is float32 step by step (as tfjs, ONNX and nn/fast.ts do
 * it); activations are float64 and each dot product sums in input order, exactly like
 * `compileSpec` in nn/fast.ts, so actions and outputs match it to the last bit; int8 weights are expanded at load to fround(q * scale), the same
 * float32 values `dequantizeSpec` gives, so int8 policies act identically to their simulation.
 */

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
  load(source: string | URL | { json: unknown; bin: ArrayBuffer | Uint8Array }): Promise<RuntimePolicy>;
  fromBytes(json: unknown, bin: ArrayBuffer | Uint8Array): RuntimePolicy;
}

export const RUNTIME_FORMAT = "rldistill-policy";
export const RUNTIME_VERSION = 1;

export const RUNTIME_SOURCE = String.raw`// rldistill-policy.mjs: a standalone policy runtime written by rldistill. No dependencies.
//   import { load } from "./rldistill-policy.mjs";
//   const policy = await load(new URL(".", import.meta.url)); // or a directory path (Node), a URL, or { json, bin }
//   const action = policy.act(observation);                    // synchronous after load
export const FORMAT = "rldistill-policy";
export const VERSION = 1;

function fail(message) {
  throw new Error("rldistill-policy: " + message);
}

function floats(view, ref, what) {
  if (!ref || ref.offset + 4 * ref.length > view.byteLength) fail(what + " lies outside policy.bin");
  const out = new Float32Array(ref.length);
  for (let i = 0; i < ref.length; i++) out[i] = view.getFloat32(ref.offset + 4 * i, true);
  return out;
}

function weights(view, ref, channels, what) {
  if (ref.dtype === "float32") return floats(view, ref, what);
  if (ref.dtype !== "int8") fail(what + ".dtype " + JSON.stringify(ref.dtype) + " is not allowed; allowed: float32, int8");
  if (ref.offset + ref.length > view.byteLength) fail(what + " lies outside policy.bin");
  const scale = floats(view, ref.scale, what + ".scale");
  if (scale.length !== channels) fail(what + ".scale needs " + channels + " entries");
  const out = new Float32Array(ref.length);
  for (let i = 0; i < ref.length; i++) out[i] = view.getInt8(ref.offset + i) * scale[i % channels];
  return out;
}

// Each layer owns its output buffer: acting allocates nothing (calls are synchronous, so a
// buffer is never in use twice at once; forward() copies results out).
function prepare(view, spec, what) {
  return spec.map((l, index) => {
    const at = what + "[" + index + "]";
    if (l.kind === "flatten") return l;
    if (l.kind === "dense") {
      const w = weights(view, l.weight, l.outSize, at + ".weight");
      // Stored [in][out]; transposed to [out][in] so each dot product reads memory in order.
      const wT = new Float64Array(w.length);
      for (let i = 0; i < l.inSize; i++) for (let o = 0; o < l.outSize; o++) wT[o * l.inSize + i] = w[i * l.outSize + o];
      return { ...l, wT, b: floats(view, l.bias, at + ".bias"), y: new Float64Array(l.outSize) };
    }
    if (l.kind !== "conv2d") fail(at + ".kind " + JSON.stringify(l.kind) + " is not allowed; allowed: dense, conv2d, flatten");
    const h = l.inShape[0], wd = l.inShape[1], k = l.kernelSize, st = l.stride;
    const g = { outH: Math.floor((h - k) / st) + 1, outW: Math.floor((wd - k) / st) + 1, top: 0, left: 0 };
    if (l.padding === "same") {
      // TensorFlow's rule: the odd padding pixel goes after (bottom/right).
      g.outH = Math.ceil(h / st);
      g.outW = Math.ceil(wd / st);
      g.top = Math.floor(Math.max((g.outH - 1) * st + k - h, 0) / 2);
      g.left = Math.floor(Math.max((g.outW - 1) * st + k - wd, 0) / 2);
    }
    const w = Float64Array.from(weights(view, l.weight, l.outChannels, at + ".weight"));
    return { ...l, ...g, w, b: floats(view, l.bias, at + ".bias"), y: new Float64Array(g.outH * g.outW * l.outChannels) };
  });
}

function activate(kind, y) {
  if (kind === "relu") for (let i = 0; i < y.length; i++) y[i] = y[i] < 0 ? 0 : y[i]; // NaN stays NaN, as in the reference
  else if (kind === "tanh") for (let i = 0; i < y.length; i++) y[i] = Math.tanh(y[i]);
}

function dense(l, x) {
  const n = l.inSize, m = l.outSize, w = l.wT, b = l.b, y = l.y;
  for (let o = 0; o < m; o++) {
    let s = b[o];
    const row = o * n;
    for (let i = 0; i < n; i++) s += x[i] * w[row + i];
    y[o] = s;
  }
  return y;
}

function conv(l, x) {
  const h = l.inShape[0], wd = l.inShape[1], c = l.inShape[2], k = l.kernelSize, st = l.stride, oc = l.outChannels;
  const y = l.y, w = l.w;
  for (let oy = 0; oy < l.outH; oy++)
    for (let ox = 0; ox < l.outW; ox++)
      for (let o = 0; o < oc; o++) {
        let s = l.b[o];
        for (let ky = 0; ky < k; ky++) {
          const iy = oy * st + ky - l.top;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < k; kx++) {
            const ix = ox * st + kx - l.left;
            if (ix < 0 || ix >= wd) continue;
            const xi = (iy * wd + ix) * c, wi = (ky * k + kx) * c;
            for (let ci = 0; ci < c; ci++) s += x[xi + ci] * w[(wi + ci) * oc + o];
          }
        }
        y[(oy * l.outW + ox) * oc + o] = s;
      }
  return y;
}

function run(layers, x) {
  for (const l of layers) {
    if (l.kind === "flatten") continue; // channels-last row-major is already the flat order
    x = l.kind === "dense" ? dense(l, x) : conv(l, x);
    activate(l.activation, x);
  }
  return x;
}

const OUTPUT_NAMES = { logits: "logits", q: "q_values", mean: "action_mean" };

/** Builds a policy from the parsed (or raw) policy.json and the bytes of policy.bin. Synchronous. */
export function fromBytes(json, bin) {
  const spec = typeof json === "string" ? JSON.parse(json) : json instanceof Uint8Array ? JSON.parse(new TextDecoder().decode(json)) : json;
  if (!spec || spec.format !== FORMAT) fail("policy.json: format is not " + JSON.stringify(FORMAT));
  if (spec.version !== VERSION) fail("policy.json: version " + spec.version + " is not supported; this runtime reads version " + VERSION);
  const bytes = bin instanceof Uint8Array ? bin : new Uint8Array(bin);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const obsSize = spec.obsShape.reduce((a, b) => a * b, 1);
  const layers = prepare(view, spec.layers, "layers");
  const valueLayers = spec.valueLayers ? prepare(view, spec.valueLayers, "valueLayers") : null;
  const opt = (ref, what) => (ref ? floats(view, ref, what) : null);
  // Normalisation in float32 step by step, as tfjs (training), rldistill's fast forward and
  // ONNX compute it: the clip can amplify a rounding difference into a different action.
  const f = Math.fround;
  let norm = null;
  if (spec.obsNorm) {
    const v = floats(view, spec.obsNorm.var, "obsNorm.var");
    norm = {
      mean: floats(view, spec.obsNorm.mean, "obsNorm.mean"),
      sd: v.map((x) => Math.sqrt(f(x + f(spec.obsNorm.epsilon)))),
      clip: spec.obsNorm.clip === null ? Infinity : f(spec.obsNorm.clip),
    };
  }
  const low = opt(spec.actionLow, "actionLow");
  const high = opt(spec.actionHigh, "actionHigh");
  const name = OUTPUT_NAMES[spec.output];
  if (!name) fail("policy.json: output " + JSON.stringify(spec.output) + " is not allowed; allowed: logits, q, mean");

  const xBuf = new Float64Array(obsSize);
  function input(observation) {
    if (!observation || observation.length !== obsSize) fail("observation: expected " + obsSize + " numbers, got " + (observation ? observation.length : observation));
    const x = xBuf;
    for (let i = 0; i < obsSize; i++) {
      const v = observation[i];
      x[i] = norm ? Math.min(Math.max(f(f(v - norm.mean[i]) / norm.sd[i]), -norm.clip), norm.clip) : v;
    }
    return x;
  }

  return {
    obsShape: spec.obsShape.slice(),
    output: spec.output,
    actionSize: spec.actionSize,
    forward(observation) {
      const x = input(observation);
      const out = { [name]: Float32Array.from(run(layers, x)) };
      if (valueLayers) out.value = Float32Array.from(run(valueLayers, x));
      return out;
    },
    act(observation) {
      const y = run(layers, input(observation));
      if (spec.output === "mean") {
        const a = new Float32Array(y.length);
        for (let i = 0; i < y.length; i++) a[i] = Math.min(high ? high[i] : Infinity, Math.max(low ? low[i] : -Infinity, y[i]));
        return a;
      }
      let best = 0;
      for (let i = 1; i < y.length; i++) if (y[i] > y[best]) best = i;
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
