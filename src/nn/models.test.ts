import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { initBackend, tf } from "./backend.js";
import { sampleCategorical, softmaxProbs } from "./distributions.js";
import { orthogonal, orthogonalDense, orthogonalize } from "./init.js";
import { ActorCritic } from "./models.js";
import { gaussianLogProbTensor } from "./ops.js";
import { QNetwork } from "./q-network.js";
import { Cnn, Mlp, Sequential } from "./sequential.js";
import type { DenseLayerSpec } from "./spec.js";

beforeAll(async () => {
  await initBackend("wasm");
});

function gram(m: Float64Array | Float32Array, rows: number, cols: number, overRows: boolean): number[][] {
  const n = overRows ? rows : cols;
  const out = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      let s = 0;
      const len = overRows ? cols : rows;
      for (let k = 0; k < len; k++)
        s += overRows ? m[a * cols + k]! * m[b * cols + k]! : m[k * cols + a]! * m[k * cols + b]!;
      out[a]![b] = s;
    }
  }
  return out;
}

function expectIdentity(g: number[][], scale: number, tol: number): void {
  g.forEach((row, i) => {
    row.forEach((v, j) => {
      expect(Math.abs(v - (i === j ? scale : 0))).toBeLessThan(tol);
    });
  });
}

describe("orthogonal init", () => {
  it("matches numpy's QR with PyTorch's sign fix on known matrices", () => {
    // q, r = np.linalg.qr(A if rows >= cols else A.T); q *= np.sign(np.diag(r)); q.T if rows < cols
    const tall = orthogonalize(Float64Array.of(2, -1, 1, 3, -2, 0.5), 3, 2, 1);
    const want = [
      0.6666666666666667, -0.31234752377721214, 0.33333333333333337, 0.9370425713316364, -0.6666666666666667,
      0.1561737618886061,
    ];
    want.forEach((w, i) => {
      expect(tall[i]).toBeCloseTo(w, 12);
    });
    const wide = orthogonalize(Float64Array.of(1, 2, -1, 0.5, -3, 2), 2, 3, 2);
    const want2 = [
      0.40824829046386313, 0.8164965809277261, -0.4082482904638631, 0.8890008890013338, -0.254000254000381,
      0.38100038100057143,
    ];
    want2.forEach((w, i) => {
      expect(wide[i]).toBeCloseTo(2 * w, 12);
    });
  });

  it("gives orthonormal rows or columns scaled by the gain, in tfjs's [in][out] layout", () => {
    const rng = new Rng(0);
    expectIdentity(gram(orthogonal(64, 8, 1, rng), 64, 8, false), 1, 1e-12);
    expectIdentity(gram(orthogonal(8, 64, Math.SQRT2, rng), 8, 64, true), 2, 1e-12);
    // 4 inputs -> 64 outputs: PyTorch's [64][4] has orthonormal columns, so our [4][64] rows are.
    expectIdentity(gram(orthogonalDense(4, 64, 1, rng), 4, 64, true), 1, 1e-6);
  });
});

describe("Sequential, Mlp, Cnn", () => {
  const rng = new Rng(11);

  it("names layers and hidden activations, counts parameters and flops", () => {
    const mlp = new Mlp({ inSize: 4, hidden: [64, 64], outSize: 2 }, rng);
    expect(mlp.layerNames()).toEqual(["fc0", "fc1", "fc2"]);
    expect(mlp.params.names()).toContain("fc1.bias");
    expect(mlp.paramCount()).toBe(4 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2);
    expect(mlp.flopsPerForward()).toBe(2 * (4 * 64 + 64 * 64 + 64 * 2) + 64 + 64);
    const { out, hidden } = tf.tidy(() => {
      const r = mlp.forward(tf.zeros([3, 4]));
      return {
        out: r.out.shape,
        hidden: Object.fromEntries(Object.entries(r.hidden).map(([k, v]) => [k, v.shape])),
      };
    });
    expect(out).toEqual([3, 2]);
    expect(hidden).toEqual({ fc0: [3, 64], fc1: [3, 64] });
    mlp.dispose();

    const cnn = new Cnn(
      { inShape: [10, 10, 4], convs: [{ channels: 16, kernelSize: 3 }], hidden: [128], outSize: 6 },
      rng,
    );
    expect(cnn.hiddenShapes()).toEqual({ conv0: [8, 8, 16], fc0: [128] });
    expect(cnn.paramCount()).toBe(3 * 3 * 4 * 16 + 16 + 1024 * 128 + 128 + 128 * 6 + 6);
    expect(cnn.flopsPerForward()).toBe(2 * 36 * 16 * 64 + 1024 + 2 * 1024 * 128 + 128 + 2 * 128 * 6);
    cnn.dispose();
  });

  it("round-trips through LayerSpec: same outputs from a rebuilt network", () => {
    const cnn = new Cnn(
      { inShape: [6, 6, 2], convs: [{ channels: 3, kernelSize: 2, stride: 2 }], hidden: [8], outSize: 3 },
      rng,
    );
    const copy = Sequential.fromSpec(cnn.toSpec());
    const x = tf.tensor2d(rng.fillNormal(new Float32Array(2 * 72)), [2, 72]);
    const [a, b] = tf.tidy(() => [cnn.forward(x).out.dataSync(), copy.forward(x).out.dataSync()]);
    expect(Array.from(b!)).toEqual(Array.from(a!));
    x.dispose();
    cnn.dispose();
    copy.dispose();
  });

  it("names the offending field in bad configs and mismatched weights", () => {
    expect(() => new Mlp({ inSize: 4, hidden: [0], outSize: 2 }, rng)).toThrow(/hidden\[0\]/);
    expect(() => new Mlp({ inSize: 4, hidden: [8], outSize: 2, activation: "gelu" as "relu" }, rng)).toThrow(
      /activation.*allowed: linear, relu, tanh/,
    );
    expect(
      () =>
        new Cnn({ inShape: [3, 3, 1], convs: [{ channels: 2, kernelSize: 5 }], hidden: [], outSize: 2 }, rng),
    ).toThrow(/convs\[0\].kernelSize/);
    const a = new Mlp({ inSize: 4, hidden: [8], outSize: 2 }, rng);
    const b = new Mlp({ inSize: 4, hidden: [9], outSize: 2 }, rng);
    expect(() => a.loadWeights(b.toSpec())).toThrow(/layers\[0\].outSize/);
    a.dispose();
    b.dispose();
  });
});

describe("ActorCritic and QNetwork", () => {
  const rng = new Rng(12);

  it("inits the policy head with gain 0.01 and round-trips through a PolicySpec", () => {
    const ac = new ActorCritic({ obsShape: [4], action: { kind: "discrete", n: 2 } }, rng);
    const spec = ac.toSpec();
    const head = spec.layers[2] as DenseLayerSpec;
    expect(Math.max(...Array.from(head.weight, Math.abs))).toBeLessThan(0.011);
    expect(spec.valueLayers).toHaveLength(3);
    const back = ActorCritic.fromSpec(spec);
    const x = tf.tensor2d(rng.fillNormal(new Float32Array(20)), [5, 4]);
    const acts = tf.tensor1d([0, 1, 1, 0, 1], "int32");
    const [a, b] = [ac, back].map((m) =>
      tf.tidy(() => {
        const e = m.evaluate(x, acts);
        return [...e.logProb.dataSync(), ...e.value.dataSync(), ...e.entropy.dataSync()];
      }),
    );
    expect(b).toEqual(a);
    tf.dispose([x, acts]);
    ac.dispose();
    back.dispose();
  });

  it("folds dueling heads into one dense layer exactly (to float32 rounding)", () => {
    const q = new QNetwork(
      { obsShape: [4], numActions: 5, dueling: true, body: { kind: "mlp", hidden: [32, 16] } },
      rng,
    );
    const folded = QNetwork.fromSpec(q.toSpec());
    expect(folded.net.layerNames()).toEqual(["fc0", "fc1", "fc2"]);
    const x = tf.tensor2d(rng.fillNormal(new Float32Array(40), 0, 3), [10, 4]);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(q.q(x), folded.q(x)))).dataSync()[0]!);
    expect(diff).toBeLessThan(1e-5);
    expect(Object.keys(tf.tidy(() => q.forward(x).hidden))).toEqual(["fc0", "fc1"]);
    x.dispose();
    q.dispose();
    folded.dispose();
  });

  it("copies and Polyak-averages target networks", () => {
    const cfg = { obsShape: [3], numActions: 2 };
    const online = new QNetwork(cfg, rng);
    const target = new QNetwork(cfg, rng);
    const before = target.getWeights()["net/fc0.weight"]!.data;
    const src = online.getWeights()["net/fc0.weight"]!.data;
    target.softUpdateFrom(online, 0.25);
    const mid = target.getWeights()["net/fc0.weight"]!.data;
    expect(mid[3]).toBeCloseTo(0.25 * src[3]! + 0.75 * before[3]!, 6);
    target.copyWeightsFrom(online);
    expect(target.getWeights()).toEqual(online.getWeights());
    online.dispose();
    target.dispose();
  });
});

describe("distributions", () => {
  it("samples categorical actions with the softmax frequencies", () => {
    const rng = new Rng(4);
    const logits = Float32Array.of(0, 1, -1, 2);
    const p = softmaxProbs(logits);
    const counts = [0, 0, 0, 0];
    const n = 20000;
    for (let i = 0; i < n; i++) counts[sampleCategorical(logits, rng)]! += 1;
    counts.forEach((c, i) => {
      expect(Math.abs(c / n - p[i]!)).toBeLessThan(0.015);
    });
    expect(sampleCategorical(Float32Array.of(-1e30, 5, -1e30), rng)).toBe(1);
  });

  it("gives the standard normal density for the Gaussian log-prob", () => {
    const lp = tf.tidy(
      () =>
        gaussianLogProbTensor(
          tf.tensor2d([[0, 1]]),
          tf.tensor1d([0, Math.log(2)]),
          tf.tensor2d([[0, 3]]),
        ).dataSync()[0]!,
    );
    // log N(0 | 0, 1) + log N(3 | 1, 2) = -0.5 log(2 pi) - (0.5 log(2 pi) + log 2 + 0.5)
    expect(lp).toBeCloseTo(-Math.log(2 * Math.PI) - Math.log(2) - 0.5, 5);
  });
});
