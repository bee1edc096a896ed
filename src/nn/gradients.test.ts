/**
 * Gradient checks: every layer and loss the project differentiates, on wasm against the cpu
 * backend (same formulas, different kernels: 1e-4 relative) and against central finite
 * differences of the wasm forward (float32, so a loose 1e-2 relative error in norm).
 */
import { afterAll, describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { type BackendName, initBackend, type Scalar, type Tensor, tf, type Variable } from "./backend.js";
import {
  categoricalEntropyTensor,
  categoricalLogProbTensor,
  conv2d,
  dense,
  gaussianEntropyTensor,
  gaussianLogProbTensor,
  huber,
  maximum,
  minimum,
  mse,
  tanh,
} from "./ops.js";
import { cnnLayers, mlpLayers, Sequential } from "./sequential.js";
import type { LayerSpec } from "./spec.js";

afterAll(async () => {
  await initBackend("wasm");
});

interface Input {
  data: Float32Array;
  shape: number[];
}

/** Variables to differentiate and a loss over them, built afresh on each backend. */
type Case = () => { vars: Variable[]; loss: () => Scalar; dispose: () => void };

function normal(rng: Rng, shape: number[], std = 1): Input {
  const n = shape.reduce((a, b) => a * b, 1);
  return { data: rng.fillNormal(new Float32Array(n), 0, std), shape };
}

/** A case over plain inputs (turned into variables so finite differences can nudge them). */
function simple(inputs: Input[], loss: (xs: Variable[]) => Scalar): Case {
  return () => {
    const vars = inputs.map((i) => tf.variable(tf.tensor(i.data, i.shape), true));
    return { vars, loss: () => loss(vars), dispose: () => tf.dispose(vars) };
  };
}

interface Fd {
  picks: number[];
  estimates: number[];
}

async function gradients(backend: BackendName, c: Case): Promise<{ grads: Float32Array[]; fd: Fd[] }> {
  await initBackend(backend);
  const { vars, loss, dispose } = c();
  const grads = tf.tidy(() =>
    tf
      .grads(() => loss())(vars)
      .map((g) => Float32Array.from(g.dataSync())),
  );
  const fd: Fd[] = [];
  if (backend === "wasm") {
    const rng = new Rng(99);
    const f = () => tf.tidy(() => loss().dataSync()[0]!);
    for (const v of vars) {
      const values = Float32Array.from(v.dataSync());
      const picks = Array.from({ length: Math.min(12, values.length) }, () => rng.integer(values.length));
      const estimates = picks.map((k) => {
        const orig = values[k]!;
        const at = (value: number) => {
          values[k] = value;
          v.assign(tf.tensor(values, v.shape));
          return f();
        };
        const slope = (h: number) => {
          const up = at(orig + h);
          const down = at(orig - h);
          at(orig);
          return (up - down) / (Math.fround(orig + h) - Math.fround(orig - h));
        };
        const h = 3e-3 * Math.max(1, Math.abs(orig));
        const coarse = slope(h);
        const fine = slope(h / 3);
        // Two step sizes that disagree mean a relu/clip kink lies within h: no valid estimate.
        return Math.abs(coarse - fine) > 0.05 * Math.max(Math.abs(coarse), Math.abs(fine), 1e-2)
          ? Number.NaN
          : coarse;
      });
      fd.push({ picks, estimates });
    }
  }
  dispose();
  return { grads, fd };
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

async function check(c: Case): Promise<void> {
  const cpu = await gradients("cpu", c);
  const wasm = await gradients("wasm", c);
  let vsCpu = 0;
  let num = 0;
  let den = 0;
  let total = 0;
  let used = 0;
  wasm.grads.forEach((g, j) => {
    const ref = cpu.grads[j]!;
    expect(g.length).toBe(ref.length);
    const scale = Math.max(1e-3, maxAbs(ref));
    for (let i = 0; i < g.length; i++) vsCpu = Math.max(vsCpu, Math.abs(g[i]! - ref[i]!) / scale);
    const { picks, estimates } = wasm.fd[j]!;
    picks.forEach((k, i) => {
      total += 1;
      if (Number.isNaN(estimates[i]!)) return;
      used += 1;
      num += (g[k]! - estimates[i]!) ** 2;
      den += g[k]! ** 2;
    });
  });
  const vsFd = Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-6);
  expect(vsCpu).toBeLessThan(1e-4);
  expect(vsFd).toBeLessThan(1e-2);
  expect(used).toBeGreaterThanOrEqual(0.75 * total);
  // A vanishing gradient would pass both comparisons trivially.
  expect(Math.sqrt(den)).toBeGreaterThan(1e-3);
}

/** sum(y * r) for a fixed random r: every output element gets a distinct upstream gradient. */
function weightedSum(y: Tensor, r: Input): Scalar {
  return tf.sum(tf.mul(y, tf.tensor(r.data, y.shape))) as Scalar;
}

/** A Sequential's weights and its input, differentiated together. */
function sequentialCase(layers: LayerSpec[], x: Input, rng: Rng): Case {
  const outSize = layers.reduce((n, l) => (l.kind === "dense" ? l.outSize : n), 0);
  const r = normal(rng, [x.shape[0]!, outSize]);
  return () => {
    const net = new Sequential(layers);
    const xv = tf.variable(tf.tensor(x.data, x.shape), true);
    return {
      vars: [xv, ...net.variables],
      loss: () => weightedSum(net.forward(xv).out, r),
      dispose: () => {
        net.dispose();
        xv.dispose();
      },
    };
  };
}

describe("gradients: wasm vs cpu vs finite differences", () => {
  const rng = new Rng(2024);

  for (const act of ["linear", "tanh", "relu"] as const) {
    // 40 x 32 outputs: above the size where `tanh` switches from the Tanh kernel to the sigmoid form.
    it(`dense (${act})`, async () => {
      const r = normal(rng, [40, 32]);
      await check(
        simple([normal(rng, [40, 4]), normal(rng, [4, 32], 0.5), normal(rng, [32], 0.1)], ([x, w, b]) =>
          weightedSum(dense(x!, w!, b!, act), r),
        ),
      );
    });
  }

  for (const act of ["tanh", "relu"] as const) {
    it(`MLP 4-16-16-3 (${act}) through Sequential, weights and input`, async () => {
      const layers = mlpLayers({ inSize: 4, hidden: [16, 16], outSize: 3, activation: act }, rng);
      await check(sequentialCase(layers, normal(rng, [5, 4]), rng));
    });
  }

  it("conv2d im2col (valid, then same with stride 2) + dense, through Sequential", async () => {
    const layers = cnnLayers(
      {
        inShape: [6, 6, 3],
        convs: [
          { channels: 4, kernelSize: 3 },
          { channels: 3, kernelSize: 2, stride: 2, padding: "same" },
        ],
        hidden: [8],
        outSize: 3,
        activation: "tanh",
      },
      rng,
    );
    await check(sequentialCase(layers, normal(rng, [2, 6, 6, 3]), rng));
  });

  it("categorical log-prob and entropy", async () => {
    const actions = [0, 2, 1, 2, 3, 0];
    const r1 = normal(rng, [6]);
    const r2 = normal(rng, [6]);
    await check(
      simple([normal(rng, [6, 4], 2)], ([logits]) => {
        const lp = categoricalLogProbTensor(logits!, tf.tensor1d(actions, "int32"));
        return tf.add(weightedSum(lp, r1), weightedSum(categoricalEntropyTensor(logits!), r2)) as Scalar;
      }),
    );
  });

  it("diagonal Gaussian log-prob and entropy", async () => {
    const actions = normal(rng, [5, 2]);
    const r = normal(rng, [5]);
    await check(
      simple([normal(rng, [5, 2]), { data: Float32Array.of(-0.5, 0.3), shape: [2] }], ([mean, logStd]) => {
        const lp = gaussianLogProbTensor(mean!, logStd!, tf.tensor(actions.data, actions.shape));
        return tf.add(weightedSum(lp, r), tf.mul(3, gaussianEntropyTensor(logStd!))) as Scalar;
      }),
    );
  });

  it("Huber (both regimes) and MSE", async () => {
    const target = {
      data: Float32Array.from({ length: 8 }, (_, i) => (i % 2 ? 3 : -0.2) * (i - 4)),
      shape: [8],
    };
    await check(
      simple([normal(rng, [8], 0.3)], ([pred]) => {
        const t = tf.tensor(target.data, target.shape);
        return tf.add(huber(pred!, t), tf.mul(0.5, mse(pred!, t))) as Scalar;
      }),
    );
  });

  it("PPO clipped surrogate (exp, minimum, clipByValue) and where(greater(x, 0)) inside a gradient", async () => {
    const adv = normal(rng, [10]);
    const old = normal(rng, [10], 0.2);
    await check(
      simple([normal(rng, [10], 0.2)], ([logp]) => {
        const ratio = tf.exp(tf.sub(logp!, tf.tensor(old.data)));
        const a = tf.tensor(adv.data);
        const surrogate = tf.minimum(tf.mul(ratio, a), tf.mul(tf.clipByValue(ratio, 0.9, 1.1), a));
        const leaky = tf.where(tf.greater(logp!, 0), logp!, tf.mul(0.1, logp!));
        return tf.add(tf.neg(tf.mean(surrogate)), tf.sum(tf.square(leaky))) as Scalar;
      }),
    );
  });

  it("fast minimum/maximum (relu forms) and tf.maximum", async () => {
    const a = normal(rng, [12]);
    // Away from ties: finite differences straddle the kink there (ties are checked below).
    const b = { data: Float32Array.from(a.data, (v, i) => v + (i % 2 ? 0.5 : -0.5)), shape: [12] };
    const r = normal(rng, [12]);
    await check(
      simple([a, b], ([x, y]) => {
        const m = tf.add(tf.mul(2, minimum(x!, y!)), tf.mul(3, maximum(x!, y!)));
        return tf.add(weightedSum(m, r), tf.sum(tf.maximum(x!, tf.mul(0.5, y!)))) as Scalar;
      }),
    );
  });

  it("softmax KL with temperature (the distillation loss shape)", async () => {
    const teacher = normal(rng, [4, 5], 2);
    await check(
      simple([normal(rng, [4, 5], 2)], ([student]) => {
        const p = tf.softmax(tf.div(tf.tensor(teacher.data, teacher.shape), 2));
        const logq = tf.logSoftmax(tf.div(student!, 2));
        return tf.mul(4, tf.mean(tf.sum(tf.mul(p, tf.sub(tf.log(p), logq)), -1))) as Scalar;
      }),
    );
  });
});

describe("forward checks", () => {
  it("conv2d im2col equals tf.conv2d (cpu backend) for valid and same padding, strides 1 and 2", async () => {
    const rng = new Rng(5);
    const x = normal(rng, [2, 7, 7, 3]);
    const w = normal(rng, [3, 3, 3, 4]);
    const b = normal(rng, [4]);
    await initBackend("cpu");
    for (const padding of ["valid", "same"] as const) {
      for (const stride of [1, 2]) {
        const diff = tf.tidy(() => {
          const xt = tf.tensor4d(x.data, x.shape as [number, number, number, number]);
          const wt = tf.tensor4d(w.data, w.shape as [number, number, number, number]);
          const ref = tf.add(tf.conv2d(xt, wt, stride, padding), tf.tensor1d(b.data));
          return tf
            .max(tf.abs(tf.sub(conv2d(xt, wt, tf.tensor1d(b.data), stride, padding), ref)))
            .dataSync()[0]!;
        });
        expect(diff).toBeLessThan(1e-5);
      }
    }
  });

  it("fast tanh, minimum and maximum agree with tf.tanh, tf.minimum and tf.maximum", async () => {
    await initBackend("wasm");
    const rng = new Rng(6);
    const x = normal(rng, [64, 32], 3);
    const y = normal(rng, [64, 32], 3);
    const [dt, dmin, dmax] = tf.tidy(() => {
      const a = tf.tensor(x.data, x.shape);
      const b = tf.tensor(y.data, y.shape);
      const diff = (p: Tensor, q: Tensor) => tf.max(tf.abs(tf.sub(p, q))).dataSync()[0]!;
      return [
        diff(tanh(a), tf.tanh(a)),
        diff(minimum(a, b), tf.minimum(a, b)),
        diff(maximum(a, b), tf.maximum(a, b)),
      ];
    });
    expect(dt).toBeLessThan(3e-7);
    expect(dmin).toBeLessThan(1e-6);
    expect(dmax).toBeLessThan(1e-6);
  });

  it("fast minimum/maximum route gradients at ties exactly as tf.minimum/tf.maximum (to a)", async () => {
    await initBackend("wasm");
    const grads = (f: (a: Tensor, b: Tensor) => Tensor) =>
      tf.tidy(() =>
        tf
          .grads((a: Tensor, b: Tensor) => tf.sum(f(a, b)))([tf.tensor1d([1, 2, 5]), tf.tensor1d([1, 3, 4])])
          .map((g) => Array.from(g.dataSync())),
      );
    expect(grads(minimum)).toEqual(grads(tf.minimum));
    expect(grads(maximum)).toEqual(grads(tf.maximum));
    expect(grads(minimum)).toEqual([
      [1, 1, 0],
      [0, 0, 1],
    ]);
  });

  it("categorical log-probs stay finite and exact for extreme logits", async () => {
    await initBackend("wasm");
    const lp = tf.tidy(() =>
      Array.from(
        categoricalLogProbTensor(
          tf.tensor2d([[1000, 0, -1000]], [1, 3]),
          tf.tensor1d([1], "int32"),
        ).dataSync(),
      ),
    );
    expect(lp[0]).toBeCloseTo(-1000, 3);
    const ent = tf.tidy(() => categoricalEntropyTensor(tf.tensor2d([[1e4, -1e4, 0]], [1, 3])).dataSync()[0]!);
    expect(Math.abs(ent)).toBe(0);
  });

  it("an op outside the differentiable set fails loudly, not silently", async () => {
    await initBackend("wasm");
    const x = tf.variable(tf.tensor1d([1, 2, 3]));
    expect(() => tf.grads(() => tf.sum(tf.cumsum(x)))([x])).toThrow(/gradient function not found for Cumsum/);
    x.dispose();
  });
});
