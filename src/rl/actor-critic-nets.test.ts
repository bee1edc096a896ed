import { describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { cnnLayers } from "../nn/sequential.js";
import { ActorCriticNets } from "./actor-critic-nets.js";

function layers(outSize: number, rng: Rng) {
  return cnnLayers(
    { inShape: [4, 4, 2], convs: [{ channels: 3, kernelSize: 3 }], hidden: [5], outSize, activation: "tanh" },
    rng,
  );
}

describe("ActorCriticNets", () => {
  for (const shared of [true, false]) {
    it(`${shared ? "shared trunk" : "separate networks"}: gradients of sum(out C) + sum(V D) + logStd . E match central differences`, () => {
      const rng = new Rng(shared ? 1 : 2);
      const actor = layers(3, rng);
      const critic = layers(1, rng);
      const ac = new ActorCriticNets(actor, critic, Float32Array.of(0.1, -0.2, 0.3), { shared });
      for (let i = 0; i < ac.values.length; i++) ac.values[i] = 0.4 * rng.normal();
      ac.paramsChanged();
      const batch = 3;
      const x = Float32Array.from({ length: batch * 32 }, () => rng.normal());
      const C = Float32Array.from({ length: batch * 3 }, () => rng.normal());
      const D = Float32Array.from({ length: batch }, () => rng.normal());
      const E = Float32Array.of(0.5, -1, 2);
      const loss = () => {
        ac.paramsChanged();
        const { out, value } = ac.forward(x, batch);
        let s = 0;
        for (let i = 0; i < out.length; i++) s += out[i]! * C[i]!;
        for (let i = 0; i < batch; i++) s += value[i]! * D[i]!;
        for (let i = 0; i < 3; i++) s += ac.logStd[i]! * E[i]!;
        return s;
      };
      loss();
      ac.backward(C, E, D);
      const grad = ac.grad.slice();
      const eps = 1e-2;
      for (let k = 0; k < 60; k++) {
        const i = rng.integer(ac.values.length);
        const keep = ac.values[i]!;
        ac.values[i] = keep + eps;
        const plus = loss();
        ac.values[i] = keep - eps;
        const minus = loss();
        ac.values[i] = keep;
        expect(grad[i]).toBeCloseTo((plus - minus) / (2 * eps), 1);
      }
      // The exported specs: a shared trunk appears in both, with the same weights.
      const out = ac.layers();
      expect(out.actor.length).toBe(actor.length);
      expect(out.critic.length).toBe(critic.length);
      if (shared) expect(out.critic[0]).toEqual(out.actor[0]);
      else expect(out.critic[0]).not.toEqual(out.actor[0]);
    });
  }
});
