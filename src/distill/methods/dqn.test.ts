import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../core/rng.js";
import { initBackend, type Scalar, type Tensor, tf } from "../../nn/backend.js";
import { getLoss } from "../losses/registry.js";
import { dualTargetTerms } from "./dqn.js";

beforeAll(async () => {
  await initBackend("cpu");
});

describe("the dqn method's dual target", () => {
  it("advantage and state-value terms and their gradient with respect to Q equal the tape's", () => {
    const rng = new Rng(5);
    const n = 6;
    const k = 3;
    const q = rng.fillNormal(new Float32Array(n * k), 0, 2);
    const t = rng.fillNormal(new Float32Array(n * k), 0, 2);
    const weights = Float32Array.from({ length: n }, () => 0.3 + rng.random());
    const coefs = { advantageCoef: 0.7, stateValueCoef: 0.4 };
    const dq = new Float32Array(n * k);
    const metrics: Record<string, number> = {};
    const loss = dualTargetTerms(q, t, n, k, coefs, dq, metrics, weights);
    const { tapeLoss, tapeGrad } = tf.tidy(() => {
      const f = (x: Tensor) => {
        const tt = tf.tensor2d(t, [n, k]);
        const w = tf.tensor1d(weights);
        const centre = (z: Tensor) => tf.sub(z, tf.mean(z, -1, true));
        const mse = getLoss("value-mse").fn;
        const adv = mse({ studentValues: centre(x), teacherValues: centre(tt), weights: w }).loss;
        const v = mse({ studentValues: tf.mean(x, -1), teacherValues: tf.mean(tt, -1), weights: w }).loss;
        return tf.add(tf.mul(adv, coefs.advantageCoef), tf.mul(v, coefs.stateValueCoef)) as Scalar;
      };
      const x = tf.tensor2d(q, [n, k]);
      return { tapeLoss: f(x).dataSync()[0]!, tapeGrad: Array.from(tf.grad(f)(x).dataSync()) };
    });
    expect(loss).toBeCloseTo(tapeLoss, 5);
    for (let i = 0; i < dq.length; i++) expect(dq[i]).toBeCloseTo(tapeGrad[i]!, 5);
    expect(Object.keys(metrics).sort()).toEqual(["train/advantage_mse", "train/value_mse"]);
  });
});
