import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../core/rng.js";
import { initBackend, type Scalar, tf } from "../backend.js";
import { QNetwork } from "../q-network.js";
import type { DenseLayerSpec } from "../spec.js";
import { KernelQNetwork } from "./q-network.js";

beforeAll(async () => {
  await initBackend("cpu");
});

describe("KernelQNetwork", () => {
  it.each([false, true])(
    "dueling %s: Q-values and gradients equal the tfjs QNetwork's under the tape",
    (dueling) => {
      const rng = new Rng(12);
      const tape = new QNetwork(
        { obsShape: [5], numActions: 3, dueling, body: { kind: "mlp", hidden: [8, 6], activation: "relu" } },
        rng,
      );
      // The tape model's weights, in its variables' order, as trunk and heads.
      const w = tape.getWeights();
      const dense = (
        prefix: string,
        inSize: number,
        outSize: number,
        activation: "relu" | "linear",
      ): DenseLayerSpec => ({
        kind: "dense",
        inSize,
        outSize,
        weight: w[`${prefix}.weight`]!.data,
        bias: w[`${prefix}.bias`]!.data,
        activation,
      });
      const trunk = [dense("net/fc0", 5, 8, "relu"), dense("net/fc1", 8, 6, "relu")];
      if (!dueling) trunk.push(dense("net/fc2", 6, 3, "linear"));
      const k = new KernelQNetwork(
        dueling
          ? {
              trunk,
              value: dense("value/fc0", 6, 1, "linear"),
              advantage: dense("advantage/fc0", 6, 3, "linear"),
            }
          : { trunk },
      );
      const flat = Float32Array.from(Object.values(w).flatMap((v) => Array.from(v.data)));
      k.setParams(flat, 0);
      expect(k.paramCount).toBe(flat.length);
      expect(k.sizes).toEqual(tape.variables.map((v) => v.size));
      const B = 7;
      const obs = rng.fillNormal(new Float32Array(B * 5));
      const r = rng.fillNormal(new Float32Array(B * 3));
      const q = k.forward(obs, B).slice();
      const grad = new Float32Array(flat.length);
      k.backward(r, grad, 0);
      const { qTape, gTape } = tf.tidy(() => {
        const x = tf.tensor2d(obs, [B, 5]);
        const { grads } = tf.variableGrads(
          () => tf.sum(tf.mul(tape.q(x), tf.tensor2d(r, [B, 3]))) as Scalar,
          tape.variables,
        );
        return {
          qTape: Array.from(tape.q(x).dataSync()),
          gTape: tape.variables.flatMap((v) => Array.from(grads[v.name]!.dataSync())),
        };
      });
      for (let i = 0; i < q.length; i++) expect(q[i]).toBeCloseTo(qTape[i]!, 5);
      for (let i = 0; i < grad.length; i++) expect(grad[i]).toBeCloseTo(gTape[i]!, 4);
      tape.dispose();
    },
  );
});
