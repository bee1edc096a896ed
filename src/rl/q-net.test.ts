import { describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { cnnLayers, mlpLayers } from "../nn/sequential.js";
import { QNet, qParamNames } from "./q-net.js";

/** Loss = sum(Q * C) for a fixed C: dLoss/dQ = C, checked against central differences in float64-ish float32. */
function checkGradients(net: QNet, values: Float32Array, x: Float32Array, batch: number, rng: Rng): void {
  const n = net.numActions;
  const c = Float32Array.from({ length: batch * n }, () => rng.normal());
  const loss = (v: Float32Array) => {
    net.setParams(v, 0);
    const q = net.forward(x, batch);
    let s = 0;
    for (let i = 0; i < q.length; i++) s += q[i]! * c[i]!;
    return s;
  };
  loss(values);
  const grad = new Float32Array(values.length);
  net.backward(c, grad, 0);
  const eps = 1e-2;
  for (let k = 0; k < 40; k++) {
    const i = rng.integer(values.length);
    const plus = values.slice();
    plus[i] = plus[i]! + eps;
    const minus = values.slice();
    minus[i] = minus[i]! - eps;
    const fd = (loss(plus) - loss(minus)) / (2 * eps);
    expect(grad[i]).toBeCloseTo(fd, 1);
  }
}

describe("QNet", () => {
  it("dueling heads on a conv trunk: Q = V + A - mean(A), gradients match central differences", () => {
    const rng = new Rng(1);
    const trunk = cnnLayers(
      { inShape: [5, 5, 2], convs: [{ channels: 3, kernelSize: 3 }], hidden: [6], activation: "tanh" },
      rng,
    );
    const heads = {
      value: mlpLayers({ inSize: 6, hidden: [], outSize: 1 }, rng)[0]!,
      advantage: mlpLayers({ inSize: 6, hidden: [], outSize: 4 }, rng)[0]!,
    };
    const net = new QNet(trunk, heads);
    const sizes = qParamNames(trunk, heads).map((p) => p.size);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(net.paramCount);
    const values = Float32Array.from({ length: net.paramCount }, () => 0.5 * rng.normal());
    const x = Float32Array.from({ length: 3 * 50 }, () => rng.normal());
    // Known answer: the mean over actions of Q is V (the advantages are centred).
    net.setParams(values, 0);
    const q = net.forward(x, 3).slice();
    const vOnly = new QNet(trunk, { ...heads, advantage: { ...heads.advantage } });
    vOnly.setParams(values, 0);
    const trunkOut = vOnly.trunk.forward(x, 3).slice();
    const vOffset = net.trunk.paramCount;
    for (let r = 0; r < 3; r++) {
      let v = values[vOffset + 6]!;
      for (let i = 0; i < 6; i++) v += trunkOut[r * 6 + i]! * values[vOffset + i]!;
      const mean = (q[r * 4]! + q[r * 4 + 1]! + q[r * 4 + 2]! + q[r * 4 + 3]!) / 4;
      expect(mean).toBeCloseTo(v, 5);
    }
    checkGradients(net, values, x, 3, rng);
  });

  it("a plain network is its trunk", () => {
    const rng = new Rng(2);
    const layers = mlpLayers({ inSize: 4, hidden: [8], outSize: 3, activation: "relu" }, rng);
    const net = new QNet(layers);
    const values = Float32Array.from({ length: net.paramCount }, () => 0.5 * rng.normal());
    const x = Float32Array.from({ length: 8 }, () => rng.normal());
    checkGradients(net, values, x, 2, rng);
    expect(qParamNames(layers).map((p) => p.name)).toEqual([
      "net/fc0.weight",
      "net/fc0.bias",
      "net/fc1.weight",
      "net/fc1.bias",
    ]);
  });
});
