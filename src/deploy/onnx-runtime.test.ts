import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../core/errors.js";
import { exportOnnx } from "./onnx-export.js";
import { DataType, encodeModel, int64Tensor } from "./onnx-proto.js";
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
    await policy.release(); // a second release is a no-op (onnxruntime throws "Session already disposed")
  });

  it("names a missing output in one line (instead of returning without it)", async () => {
    const policy = await OnnxPolicy.create(bytes, { name: "student.onnx" });
    (policy.outputNames as string[]).push("ghost");
    await expect(policy.run(randomObservations(1, 2, 4), 2)).rejects.toThrow(
      /^student.onnx: onnxruntime returned no output "ghost" \(it returned logits, value\)$/,
    );
    await policy.release();
  });

  it("turns an onnxruntime failure into one line naming the model and the input", async () => {
    // A graph that reshapes to a fixed batch of 1 fails at run time for batch 8.
    const fixed = encodeModel({
      irVersion: 8,
      opsetImports: [{ domain: "", version: 13 }],
      graph: {
        name: "g",
        nodes: [{ opType: "Reshape", inputs: ["obs", "shape"], outputs: ["out"] }],
        initializers: [int64Tensor("shape", [2], [1, 4])],
        inputs: [{ name: "obs", elemType: DataType.FLOAT, shape: ["batch", 4] }],
        outputs: [{ name: "out", elemType: DataType.FLOAT, shape: [1, 4] }],
      },
    });
    const policy = await OnnxPolicy.create(fixed, { name: "teacher.onnx" });
    const err = await policy.run(new Float32Array(32), 8).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^teacher.onnx: onnxruntime failed on input "obs" \[8, 4\]: /);
    expect((err as Error).message).not.toContain("\n");
    await policy.release();
  });

  it("runs a fixed-batch-1 graph one row at a time; refuses a fixed batch above 1 with the fix", async () => {
    const graph = (batch: number) =>
      encodeModel({
        irVersion: 8,
        opsetImports: [{ domain: "", version: 13 }],
        graph: {
          name: "g",
          nodes: [{ opType: "Relu", inputs: ["obs"], outputs: ["out"] }],
          initializers: [],
          inputs: [{ name: "obs", elemType: DataType.FLOAT, shape: [batch, 3] }],
          outputs: [{ name: "out", elemType: DataType.FLOAT, shape: [batch, 3] }],
        },
      });
    const one = await OnnxPolicy.create(graph(1));
    expect(one.fixedBatch).toBe(1);
    const x = Float32Array.of(-1, 2, -3, 4, -5, 6);
    const out = await one.run(x, 2);
    expect(Array.from(out.out!.data)).toEqual([0, 2, 0, 4, 0, 6]);
    expect(out.out!.dims).toEqual([2, 3]);
    await one.release();
    await expect(OnnxPolicy.create(graph(8), { name: "m.onnx" })).rejects.toThrow(
      /m.onnx: input "obs" has a fixed batch of 8; re-export it with a dynamic batch/,
    );
  });

  it("no deploy module imports onnxruntime-node statically (it is an optional dependency)", () => {
    const dir = new URL(".", import.meta.url).pathname;
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))) {
      const text = readFileSync(join(dir, file), "utf8");
      expect(text, file).not.toMatch(/^import (?!type)[^;]*from "onnxruntime-node"/m);
    }
  });
});
