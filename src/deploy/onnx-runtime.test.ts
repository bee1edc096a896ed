import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../core/errors.js";
import { exportOnnx } from "./onnx-export.js";
import { OnnxPolicy } from "./onnx-runtime.js";
import { randomCnnSpec, randomMlpSpec, randomObservations, referenceForward } from "./test-util.js";

describe("OnnxPolicy", () => {
  const spec = randomMlpSpec({
    obsSize: 4,
    hidden: [16, 8],
    actionSize: 2,
    obsNorm: true,
    value: true,
    seed: 21,
  });
  const bytes = exportOnnx(spec, { includeValue: true });

  it("returns every output for a batch, and named hidden activations on request", async () => {
    expect(OnnxPolicy.tensorNames(bytes)).toEqual(
      expect.arrayContaining(["obs_norm", "pi.0", "pi.0.pre", "pi.1", "vf.0", "logits", "value"]),
    );
    const policy = await OnnxPolicy.create(bytes, { intermediates: ["pi.0", "pi.1"] });
    expect(policy.inputName).toBe("obs");
    expect(policy.obsShape).toEqual([4]);
    expect(policy.outputNames).toEqual(["logits", "value"]);
    const obs = randomObservations(1, 5, 4);
    const out = await policy.run(obs, 5);
    expect(Object.keys(out).sort()).toEqual(["logits", "pi.0", "pi.1", "value"]);
    expect(out["pi.0"]!.dims).toEqual([5, 16]);
    expect(out["pi.1"]!.dims).toEqual([5, 8]);
    expect(out["value"]!.dims).toEqual([5, 1]);
    // The hidden activation is the tanh of the first layer: check it against a one-layer reference.
    const firstOnly = { ...spec, layers: [spec.layers[0]!], actionSize: 16 };
    const ref = referenceForward(firstOnly, obs.subarray(0, 4)).out;
    for (let i = 0; i < 16; i++) expect(out["pi.0"]!.data[i]).toBeCloseTo(ref[i]!, 5);
    await policy.release();
  });

  it("works for image inputs and reads the observation shape from the graph", async () => {
    const cnn = randomCnnSpec(3);
    const policy = await OnnxPolicy.create(exportOnnx(cnn), { intermediates: ["pi.2"] });
    expect(policy.obsShape).toEqual([8, 6, 3]);
    const out = await policy.run(randomObservations(2, 3, 8 * 6 * 3));
    expect(out["q_values"]!.dims).toEqual([3, 4]);
    expect(out["pi.2"]!.dims).toEqual([3, 4 * 3 * 4]); // the flattened features
    await policy.release();
  });

  it("names a missing intermediate and a badly sized batch", async () => {
    await expect(OnnxPolicy.create(bytes, { intermediates: ["pi.9"] })).rejects.toThrow(
      /intermediates: no tensor named "pi.9"/,
    );
    await expect(OnnxPolicy.create(bytes, { threds: 2 } as never)).rejects.toThrow(ConfigError);
    const policy = await OnnxPolicy.create(bytes);
    await expect(policy.run(new Float32Array(7))).rejects.toThrow(/observations: length 7 is not batch x 4/);
    await policy.release();
  });

  it("no deploy module imports onnxruntime-node statically (it is an optional dependency)", () => {
    const dir = new URL(".", import.meta.url).pathname;
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))) {
      const text = readFileSync(join(dir, file), "utf8");
      expect(text, file).not.toMatch(/^import (?!type)[^;]*from "onnxruntime-node"/m);
    }
  });
});
