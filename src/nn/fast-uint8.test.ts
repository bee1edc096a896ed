import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { initBackend } from "./backend.js";
import { compileSpec } from "./fast.js";
import { Cnn } from "./sequential.js";
import type { PolicySpec } from "./spec.js";

beforeAll(async () => {
  await initBackend("wasm");
});

/** A MinAtar-sized batch of 0/1 planes, as uint8 and as the same values in float32. */
function planes(rng: Rng, batch: number): { bytes: Uint8Array; floats: Float32Array } {
  const bytes = new Uint8Array(batch * 400);
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.random() < 0.1 ? 1 : 0;
  return { bytes, floats: Float32Array.from(bytes) };
}

describe("compileSpec takes uint8 observations (images stored as bytes)", () => {
  it("gives exactly the float32 results for the same values: forward, value, act, distribution", () => {
    const rng = new Rng(11);
    const cnn = (outSize: number) =>
      new Cnn({ inShape: [10, 10, 4], convs: [{ channels: 8, kernelSize: 3 }], hidden: [16], outSize }, rng);
    const actor = cnn(3);
    const critic = cnn(1);
    const spec: PolicySpec = {
      obsShape: [10, 10, 4],
      output: "logits",
      actionSize: 3,
      layers: actor.toSpec(),
      valueLayers: critic.toSpec(),
      obsNorm: {
        mean: new Float32Array(400).fill(0.1),
        var: new Float32Array(400).fill(0.09),
        epsilon: 1e-8,
        clip: 5,
      },
    };
    for (const s of [spec, { ...spec, obsNorm: undefined }]) {
      const policy = compileSpec(s);
      const { bytes, floats } = planes(rng, 5);
      expect(policy.forward(bytes, 5, new Float32Array(15))).toEqual(
        policy.forward(floats, 5, new Float32Array(15)),
      );
      expect(policy.value!(bytes, 5, new Float32Array(5))).toEqual(
        policy.value!(floats, 5, new Float32Array(5)),
      );
      const one = bytes.subarray(0, 400);
      expect(policy.act(one)).toBe(policy.act(floats.subarray(0, 400)));
      expect(policy.distribution(one)).toEqual(policy.distribution(floats.subarray(0, 400)));
      expect(() => policy.forward(one, 2)).toThrow(/obs: has 400 numbers, 2 observations need 800/);
    }
    actor.dispose();
    critic.dispose();
  });
});
