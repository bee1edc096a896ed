import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../core/rng.js";
import { initBackend, type Scalar, tf } from "../backend.js";
import { Cnn, Mlp, type Sequential } from "../sequential.js";
import type { LayerSpec } from "../spec.js";
import { ExactStack } from "./exact.js";
import { KernelNet } from "./net.js";

beforeAll(async () => {
  await initBackend("wasm");
});

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < b.length; i++) e = Math.max(e, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return e;
}

/** The three backends of one definition on one batch: tfjs Sequential, float64 ExactStack, SIMD KernelNet. */
function forwards(net: Sequential, x: Float32Array, batch: number) {
  const layers = net.toSpec();
  const tfOut = tf.tidy(() => net.forward(tf.tensor2d(x, [batch, x.length / batch])).out.dataSync());
  const exact = new ExactStack(layers, "layers");
  exact.input(batch).set(x);
  const exactOut = exact.run(batch).slice(0, batch * net.outSize);
  const simd = new KernelNet(layers).forward(x, batch).slice();
  return { tfOut, exactOut, simd };
}

const NETS: Array<[string, (rng: Rng) => Sequential, number]> = [
  ["MLP 5-16-9-3 tanh", (rng) => new Mlp({ inSize: 5, hidden: [16, 9], outSize: 3 }, rng), 5],
  ["MLP 4-8-2 relu", (rng) => new Mlp({ inSize: 4, hidden: [8], outSize: 2, activation: "relu" }, rng), 4],
  [
    "CNN 6x5x3 conv4 3x3 same stride 2, conv5 2x2 valid, 7, 4",
    (rng) =>
      new Cnn(
        {
          inShape: [6, 5, 3],
          convs: [
            { channels: 4, kernelSize: 3, stride: 2, padding: "same" },
            { channels: 5, kernelSize: 2 },
          ],
          hidden: [7],
          outSize: 4,
          activation: "tanh",
        },
        rng,
      ),
    90,
  ],
  [
    "CNN 10x10x4 conv16 3x3 -> 32 -> 6 relu (MinAtar-sized)",
    (rng) =>
      new Cnn(
        { inShape: [10, 10, 4], convs: [{ channels: 16, kernelSize: 3 }], hidden: [32], outSize: 6 },
        rng,
      ),
    400,
  ],
];

describe("the one forward: tfjs, float64 and SIMD backends agree", () => {
  it.each(NETS)("%s", (_name, build, inSize) => {
    const rng = new Rng(4);
    const net = build(rng);
    const batch = 11;
    const x = rng.fillNormal(new Float32Array(batch * inSize));
    const { tfOut, exactOut, simd } = forwards(net, x, batch);
    expect(maxRel(exactOut, tfOut)).toBeLessThan(2e-5);
    expect(maxRel(simd, exactOut)).toBeLessThan(2e-5);
    net.dispose();
  });

  it("takes uint8 observations (MinAtar) as the same numbers", () => {
    const rng = new Rng(5);
    const net = new Cnn(
      { inShape: [4, 4, 2], convs: [{ channels: 3, kernelSize: 2 }], hidden: [], outSize: 2 },
      rng,
    );
    const bits = Uint8Array.from({ length: 3 * 32 }, () => (rng.random() < 0.3 ? 1 : 0));
    const k = new KernelNet(net.toSpec());
    const fromBits = k.forward(bits, 3).slice();
    expect(Array.from(k.forward(Float32Array.from(bits), 3))).toEqual(Array.from(fromBits));
    net.dispose();
  });
});

/** Loss = sum(out * r): dLoss/dOut = r. Gradients by the tape (tfjs, the project's gradients). */
function tapeGrads(net: Sequential, x: Float32Array, batch: number, r: Float32Array): Float32Array {
  return tf.tidy(() => {
    const { grads } = tf.variableGrads(() => {
      const out = net.forward(tf.tensor2d(x, [batch, x.length / batch])).out;
      return tf.sum(tf.mul(out, tf.tensor2d(r, out.shape))) as Scalar;
    }, net.variables);
    const flat = new Float32Array(net.paramCount());
    let at = 0;
    for (const v of net.variables) {
      flat.set(grads[v.name]!.dataSync() as Float32Array, at);
      at += v.size;
    }
    return flat;
  });
}

/** Central differences of sum(out * r) through the float64 forward, for chosen parameter indices. */
function finiteDiffs(
  layers: LayerSpec[],
  x: Float32Array,
  batch: number,
  r: Float32Array,
  idx: number[],
): number[] {
  const flatRefs: Array<[Float32Array, number]> = [];
  for (const l of layers) {
    if (l.kind === "flatten") continue;
    for (let i = 0; i < l.weight.length; i++) flatRefs.push([l.weight, i]);
    for (let i = 0; i < l.bias.length; i++) flatRefs.push([l.bias, i]);
  }
  const loss = () => {
    const s = new ExactStack(layers, "layers");
    s.input(batch).set(x);
    const out = s.run(batch);
    let sum = 0;
    for (let i = 0; i < r.length; i++) sum += out[i]! * r[i]!;
    return sum;
  };
  return idx.map((p) => {
    const [arr, i] = flatRefs[p]!;
    const v = arr[i]!;
    const h = 1e-3 * Math.max(1, Math.abs(v));
    arr[i] = v + h;
    const hi = arr[i]!;
    const up = loss();
    arr[i] = v - h;
    const lo = arr[i]!;
    const down = loss();
    arr[i] = v;
    return (up - down) / (hi - lo);
  });
}

describe("the one backward: gradients match the tape and finite differences", () => {
  it.each(NETS)("%s", (_name, build, inSize) => {
    const rng = new Rng(6);
    const net = build(rng);
    const batch = 9;
    const x = rng.fillNormal(new Float32Array(batch * inSize));
    const r = rng.fillNormal(new Float32Array(batch * net.outSize));
    const k = new KernelNet(net.toSpec());
    k.forward(x, batch);
    const grad = new Float32Array(k.paramCount);
    k.backward(r, grad, 0);
    const tape = tapeGrads(net, x, batch, r);
    expect(k.paramCount).toBe(net.paramCount());
    expect(maxRel(grad, tape)).toBeLessThan(1e-4);
    const idx = Array.from({ length: 12 }, () => rng.integer(k.paramCount));
    const fd = finiteDiffs(net.toSpec(), x, batch, r, idx);
    idx.forEach((p, j) => {
      expect(Math.abs(grad[p]! - fd[j]!)).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd[j]!)));
    });
    net.dispose();
  });

  it("takes extra gradient at a hidden layer and gives the input gradient", () => {
    const rng = new Rng(7);
    const net = new Cnn(
      {
        inShape: [5, 5, 2],
        convs: [{ channels: 3, kernelSize: 3, padding: "same" }],
        hidden: [6],
        outSize: 2,
        activation: "tanh",
      },
      rng,
    );
    const batch = 4;
    const x = rng.fillNormal(new Float32Array(batch * 50));
    const r = rng.fillNormal(new Float32Array(batch * 2));
    const rh = rng.fillNormal(new Float32Array(batch * 75));
    const k = new KernelNet(net.toSpec());
    k.forward(x, batch);
    const grad = new Float32Array(k.paramCount);
    k.backward(r, grad, 0, { hiddenGrads: { conv0: rh }, inputGrad: true });
    const xt = tf.tensor2d(x, [batch, 50]);
    const { grads, dx } = tf.tidy(() => {
      const f = () => {
        const res = net.forward(xt);
        return tf.add(
          tf.sum(tf.mul(res.out, tf.tensor2d(r, [batch, 2]))),
          tf.sum(tf.mul(tf.reshape(res.hidden.conv0!, [batch, 75]), tf.tensor2d(rh, [batch, 75]))),
        ) as Scalar;
      };
      const g = tf.variableGrads(f, net.variables).grads;
      const gx = tf.grad((xi: tf.Tensor) => {
        const res = net.forward(xi);
        return tf.add(
          tf.sum(tf.mul(res.out, tf.tensor2d(r, [batch, 2]))),
          tf.sum(tf.mul(tf.reshape(res.hidden.conv0!, [batch, 75]), tf.tensor2d(rh, [batch, 75]))),
        ) as Scalar;
      })(xt);
      return { grads: net.variables.flatMap((v) => Array.from(g[v.name]!.dataSync())), dx: gx.dataSync() };
    });
    expect(maxRel(grad, grads)).toBeLessThan(1e-4);
    expect(maxRel(k.inputGrad(), dx)).toBeLessThan(1e-4);
    // The input gradient alone: the same numbers, and the parameter gradient left untouched.
    const withParams = k.inputGrad().slice();
    const untouched = new Float32Array(k.paramCount).fill(7);
    k.backward(r, untouched, 0, { hiddenGrads: { conv0: rh }, inputGrad: true, paramGrads: false });
    expect(Array.from(k.inputGrad())).toEqual(Array.from(withParams));
    expect(untouched.every((v) => v === 7)).toBe(true);
    expect(() => k.backward(r, untouched, 0, { paramGrads: false })).toThrow(/paramGrads/);
    xt.dispose();
    net.dispose();
  });

  it("adds input before an activation and returns its gradient (a residual adapter's path)", () => {
    const rng = new Rng(8);
    const net = new Mlp({ inSize: 3, hidden: [5], outSize: 2 }, rng);
    const batch = 3;
    const x = rng.fillNormal(new Float32Array(batch * 3));
    const add = rng.fillNormal(new Float32Array(batch * 5));
    const r = rng.fillNormal(new Float32Array(batch * 2));
    const k = new KernelNet(net.toSpec());
    k.trackPreActivationGrad("fc0");
    const out = k.forward(x, batch, { addBeforeActivation: { fc0: add } }).slice();
    k.backward(r, new Float32Array(k.paramCount), 0);
    // Reference: the same sums by hand in float64.
    const [l0, l1] = net.toSpec() as unknown as [
      { weight: Float32Array; bias: Float32Array },
      { weight: Float32Array; bias: Float32Array },
    ];
    for (let b = 0; b < batch; b++) {
      const h: number[] = [];
      for (let j = 0; j < 5; j++) {
        let z = l0.bias[j]! + add[b * 5 + j]!;
        for (let i = 0; i < 3; i++) z += x[b * 3 + i]! * l0.weight[i * 5 + j]!;
        h.push(Math.tanh(z));
      }
      for (let o = 0; o < 2; o++) {
        let y = l1.bias[o]!;
        for (let j = 0; j < 5; j++) y += h[j]! * l1.weight[j * 2 + o]!;
        expect(out[b * 2 + o]).toBeCloseTo(y, 5);
      }
      for (let j = 0; j < 5; j++) {
        let dh = 0;
        for (let o = 0; o < 2; o++) dh += r[b * 2 + o]! * l1.weight[j * 2 + o]!;
        expect(k.preActivationGrad("fc0")[b * 5 + j]).toBeCloseTo(dh * (1 - h[j]! ** 2), 5);
      }
    }
    net.dispose();
  });
});

describe("sparse 0/1 inputs (MinAtar-like)", () => {
  it.each([
    ["MLP 64-16-3", (rng: Rng) => new Mlp({ inSize: 64, hidden: [16], outSize: 3 }, rng), 64],
    [
      "CNN 6x6x8 conv5 3x3 same -> 6 (72-wide patches)",
      (rng: Rng) =>
        new Cnn(
          {
            inShape: [6, 6, 8],
            convs: [{ channels: 5, kernelSize: 3, padding: "same" }],
            hidden: [],
            outSize: 6,
          },
          rng,
        ),
      288,
    ],
  ] as const)("%s: the sparse first layer gives the same outputs and gradients", (_name, build, inSize) => {
    const rng = new Rng(9);
    const net = build(rng);
    const batch = 13;
    const x = Float32Array.from({ length: batch * inSize }, () => (rng.random() < 0.06 ? 1 : 0));
    const r = rng.fillNormal(new Float32Array(batch * net.outSize));
    const k = new KernelNet(net.toSpec());
    const out = k.forward(x, batch).slice();
    expect(k.sparseInput).toBe(true);
    const exact = new ExactStack(net.toSpec(), "layers");
    exact.input(batch).set(x);
    expect(maxRel(out, exact.run(batch).slice(0, out.length))).toBeLessThan(2e-5);
    const grad = new Float32Array(k.paramCount);
    k.backward(r, grad, 0);
    expect(maxRel(grad, tapeGrads(net, x, batch, r))).toBeLessThan(1e-4);
    // Dense data takes the dense path.
    k.forward(rng.fillNormal(new Float32Array(batch * inSize)), batch);
    k.backward(r, grad, 0);
    expect(k.sparseInput).toBe(false);
    net.dispose();
  });
});

describe("known answers", () => {
  const conv = (padding: "valid" | "same", k: number): LayerSpec[] => [
    {
      kind: "conv2d",
      inShape: [3, 3, 1],
      outChannels: 1,
      kernelSize: k,
      stride: 1,
      padding,
      weight: new Float32Array(k * k).fill(1),
      bias: Float32Array.of(0),
      activation: "linear",
    },
    { kind: "flatten" },
  ];
  const x = Float32Array.from({ length: 9 }, (_, i) => i + 1);

  it("conv2d with valid and same padding: window sums of 1..9 (both kernels)", () => {
    // 3x3 single-channel input 1..9, kernel of ones: valid 2x2 -> sums of each 2x2 window; same 3x3 ->
    // the sum of the in-bounds 3x3 neighbourhood.
    for (const [padding, k, want] of [
      ["valid", 2, [12, 16, 24, 28]],
      ["same", 3, [12, 21, 16, 27, 45, 33, 24, 39, 28]],
    ] as const) {
      expect(Array.from(new KernelNet(conv(padding, k)).forward(x, 1))).toEqual(want);
      const exact = new ExactStack(conv(padding, k), "layers");
      exact.input(1).set(x);
      expect(Array.from(exact.run(1).subarray(0, want.length))).toEqual(want);
    }
  });

  it("names hidden activations as Sequential does", () => {
    const net = new KernelNet(
      new Cnn(
        { inShape: [4, 4, 1], convs: [{ channels: 2, kernelSize: 2 }], hidden: [3, 5], outSize: 2 },
        new Rng(1),
      ).toSpec(),
    );
    expect(net.plan.steps.map((s) => s.name)).toEqual(["conv0", "fc0", "fc1", "fc2"]);
    net.forward(new Float32Array(16), 1);
    expect(net.activation("fc1").length).toBe(5);
  });
});
