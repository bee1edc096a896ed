/**
 * Test helpers for src/deploy: seeded random specs, a deliberately plain float64 reference
 * forward written straight from the PolicySpec docs (independent of every fast path), and the
 * ONNX checker through Debian's python3-onnx.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { Rng } from "../core/rng.js";
import type { Activation, LayerSpec, PolicySpec } from "../nn/spec.js";
import { convGeometry } from "./spec-shapes.js";

function act(a: Activation, v: number): number {
  return a === "relu" ? Math.max(0, v) : a === "tanh" ? Math.tanh(v) : v;
}

function runLayers(layers: LayerSpec[], input: Float64Array): Float64Array {
  let x = input;
  for (const layer of layers) {
    if (layer.kind === "flatten") continue; // NHWC row-major is already our flat order
    if (layer.kind === "dense") {
      const y = new Float64Array(layer.outSize);
      for (let o = 0; o < layer.outSize; o++) {
        let s = layer.bias[o]!;
        for (let i = 0; i < layer.inSize; i++) s += x[i]! * layer.weight[i * layer.outSize + o]!;
        y[o] = act(layer.activation, s);
      }
      x = y;
      continue;
    }
    const [h, w, c] = layer.inShape;
    const k = layer.kernelSize;
    const oc = layer.outChannels;
    const g = convGeometry(layer);
    const y = new Float64Array(g.outH * g.outW * oc);
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++)
        for (let o = 0; o < oc; o++) {
          let s = layer.bias[o]!;
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) {
              const iy = oy * layer.stride + ky - g.padTop;
              const ix = ox * layer.stride + kx - g.padLeft;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              for (let ci = 0; ci < c; ci++)
                s += x[(iy * w + ix) * c + ci]! * layer.weight[((ky * k + kx) * c + ci) * oc + o]!;
            }
          y[(oy * g.outW + ox) * oc + o] = act(layer.activation, s);
        }
    x = y;
  }
  return x;
}

export interface ReferenceOutput {
  out: Float64Array;
  value?: number;
}

/** One observation through the spec, in float64. */
export function referenceForward(spec: PolicySpec, obs: Float32Array): ReferenceOutput {
  const x = Float64Array.from(obs);
  const n = spec.obsNorm;
  if (n) {
    // float32 at every step, as tfjs and ONNX (Sub, Add, Sqrt, Div, Clip on float tensors) do it.
    const f = Math.fround;
    const clip = f(n.clip);
    for (let i = 0; i < x.length; i++) {
      const sd = f(Math.sqrt(f(n.var[i]! + f(n.epsilon))));
      x[i] = Math.min(clip, Math.max(-clip, f(f(x[i]! - n.mean[i]!) / sd)));
    }
  }
  const result: ReferenceOutput = { out: runLayers(spec.layers, x) };
  if (spec.valueLayers) result.value = runLayers(spec.valueLayers, x)[0]!;
  return result;
}

/** Argmax (first maximum) for discrete outputs, clipped mean for continuous ones. */
export function referenceAction(spec: PolicySpec, obs: Float32Array): number | Float64Array {
  const { out } = referenceForward(spec, obs);
  if (spec.output === "mean") {
    return out.map((v, i) =>
      Math.min(spec.actionHigh?.[i] ?? Infinity, Math.max(spec.actionLow?.[i] ?? -Infinity, v)),
    );
  }
  let best = 0;
  for (let i = 1; i < out.length; i++) if (out[i]! > out[best]!) best = i;
  return best;
}

function glorot(rng: Rng, fanIn: number, fanOut: number, n: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return rng.fillUniform(new Float32Array(n), -limit, limit);
}

export function denseLayer(rng: Rng, inSize: number, outSize: number, activation: Activation): LayerSpec {
  return {
    kind: "dense",
    inSize,
    outSize,
    weight: glorot(rng, inSize, outSize, inSize * outSize),
    bias: rng.fillUniform(new Float32Array(outSize), -0.1, 0.1),
    activation,
  };
}

export interface RandomMlpOptions {
  obsSize: number;
  hidden: number[];
  actionSize: number;
  activation?: Activation;
  output?: PolicySpec["output"];
  obsNorm?: boolean;
  value?: boolean;
  seed?: number;
}

export function randomMlpSpec(o: RandomMlpOptions): PolicySpec {
  const rng = new Rng(o.seed ?? 0);
  const stack = (sizes: number[], out: number): LayerSpec[] => {
    const layers: LayerSpec[] = [];
    let prev = o.obsSize;
    for (const h of sizes) {
      layers.push(denseLayer(rng, prev, h, o.activation ?? "tanh"));
      prev = h;
    }
    layers.push(denseLayer(rng, prev, out, "linear"));
    return layers;
  };
  const spec: PolicySpec = {
    obsShape: [o.obsSize],
    output: o.output ?? "logits",
    actionSize: o.actionSize,
    layers: stack(o.hidden, o.actionSize),
  };
  if (o.value) spec.valueLayers = stack(o.hidden, 1);
  if (o.obsNorm) {
    spec.obsNorm = {
      mean: rng.fillUniform(new Float32Array(o.obsSize), -1, 1),
      var: rng.fillUniform(new Float32Array(o.obsSize), 0.1, 4),
      epsilon: 1e-8,
      clip: 2.5,
    };
  }
  if (spec.output === "mean") {
    spec.logStd = rng.fillUniform(new Float32Array(o.actionSize), -1, 0);
    spec.actionLow = new Float32Array(o.actionSize).fill(-0.5);
    spec.actionHigh = new Float32Array(o.actionSize).fill(0.5);
  }
  return spec;
}

/** MinAtar-sized CNN: [h, w, c] -> conv (same) -> conv (valid, stride 2) -> flatten -> dense -> actions. */
export function randomCnnSpec(
  seed = 0,
  obsShape: [number, number, number] = [8, 6, 3],
  actionSize = 4,
): PolicySpec {
  const rng = new Rng(seed);
  const [h, w, c] = obsShape;
  const c1 = 5;
  const c2 = 4;
  const conv1 = {
    kind: "conv2d" as const,
    inShape: obsShape,
    outChannels: c1,
    kernelSize: 3,
    stride: 1,
    padding: "same" as const,
  };
  const g2in: [number, number, number] = [h, w, c1];
  const conv2 = {
    kind: "conv2d" as const,
    inShape: g2in,
    outChannels: c2,
    kernelSize: 2,
    stride: 2,
    padding: "valid" as const,
  };
  const g2 = convGeometry(conv2);
  const flat = g2.outH * g2.outW * c2;
  const layers: LayerSpec[] = [
    {
      ...conv1,
      weight: glorot(rng, 9 * c, 9 * c1, 9 * c * c1),
      bias: rng.fillUniform(new Float32Array(c1), -0.1, 0.1),
      activation: "relu",
    },
    {
      ...conv2,
      weight: glorot(rng, 4 * c1, 4 * c2, 4 * c1 * c2),
      bias: rng.fillUniform(new Float32Array(c2), -0.1, 0.1),
      activation: "tanh",
    },
    { kind: "flatten" },
    denseLayer(rng, flat, 16, "relu"),
    denseLayer(rng, 16, actionSize, "linear"),
  ];
  return {
    obsShape: [h, w, c],
    output: "q",
    actionSize,
    layers,
    obsNorm: {
      mean: rng.fillUniform(new Float32Array(h * w * c), 0, 0.5),
      var: rng.fillUniform(new Float32Array(h * w * c), 0.5, 2),
      epsilon: 1e-8,
      clip: 5,
    },
    valueLayers: [
      {
        ...conv2,
        inShape: obsShape,
        outChannels: 2,
        weight: glorot(rng, 4 * c, 8, 4 * c * 2),
        bias: new Float32Array(2),
        activation: "relu",
      },
      { kind: "flatten" },
      denseLayer(rng, g2.outH * g2.outW * 2, 8, "tanh"),
      denseLayer(rng, 8, 1, "linear"),
    ],
  };
}

export function randomObservations(seed: number, count: number, size: number, scale = 2): Float32Array {
  return new Rng(seed).fillNormal(new Float32Array(count * size), 0, scale);
}

/**
 * Runs onnx.checker.check_model (full check) on a file with Debian's python3-onnx.
 * Returns null when the check ran and passed, an error string when it failed, or "unavailable".
 */
export function onnxChecker(
  path: string,
): { ok: true } | { ok: false; error: string } | { ok: "unavailable" } {
  const python = "/usr/bin/python3";
  if (!existsSync(python)) return { ok: "unavailable" };
  const probe = spawnSync(python, ["-c", "import onnx"], { encoding: "utf8" });
  if (probe.status !== 0) return { ok: "unavailable" };
  const r = spawnSync(
    python,
    ["-c", "import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True)", path],
    {
      encoding: "utf8",
    },
  );
  return r.status === 0 ? { ok: true } : { ok: false, error: r.stderr };
}

/** The rule for optional tools: fail on CI, warn visibly elsewhere. */
export function requireOrWarn(what: string, available: boolean): boolean {
  if (available) return true;
  if (process.env.CI) throw new Error(`${what} is required on CI but is not available`);
  console.warn(`WARNING: ${what} is not available; this check did not run`);
  return false;
}
