import { describe, expect, it } from "vitest";
import { ArtifactError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import type { PolicySpec } from "../nn/spec.js";
import { exportOnnx } from "./onnx-export.js";
import { importOnnx } from "./onnx-import.js";
import {
  DataType,
  encodeModel,
  floatTensor,
  int64Tensor,
  type OnnxNode,
  type OnnxTensor,
} from "./onnx-proto.js";
import { OnnxPolicy } from "./onnx-runtime.js";
import { dequantizeSpec, quantizeSpec } from "./quantize.js";
import { randomCnnSpec, randomMlpSpec, randomObservations, referenceForward } from "./test-util.js";

/** A model in the shapes torch.onnx.export writes: opset 13, input "input", no metadata. */
function torchModel(
  nodes: OnnxNode[],
  inits: OnnxTensor[],
  inputDims: number[],
  outputs = ["output"],
  inputName = "input",
): Uint8Array {
  return encodeModel({
    irVersion: 7,
    opsetImports: [{ domain: "", version: 13 }],
    producerName: "pytorch",
    producerVersion: "1.13.1",
    graph: {
      name: "torch_jit",
      nodes,
      initializers: inits,
      inputs: [{ name: inputName, elemType: DataType.FLOAT, shape: ["batch_size", ...inputDims] }],
      outputs: outputs.map((name) => ({ name, elemType: DataType.FLOAT, shape: ["batch_size", null] })),
    },
  });
}

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c]!;
  return out;
}

/** Max |onnxruntime - reference(imported spec)| over random observations (optionally transformed for the spec). */
async function agreement(
  bytes: Uint8Array,
  spec: PolicySpec,
  toSpecObs: (o: Float32Array) => Float32Array = (o) => o,
): Promise<number> {
  const size = spec.obsShape.reduce((a, b) => a * b, 1);
  const n = 32;
  const obs = randomObservations(3, n, size);
  const policy = await OnnxPolicy.create(bytes);
  const out = (await policy.run(obs, n))[policy.outputNames[0]!]!;
  await policy.release();
  let worst = 0;
  for (let b = 0; b < n; b++) {
    const ref = referenceForward(spec, toSpecObs(obs.subarray(b * size, (b + 1) * size)));
    for (let i = 0; i < spec.actionSize; i++)
      worst = Math.max(worst, Math.abs(out.data[b * spec.actionSize + i]! - ref.out[i]!));
  }
  return worst;
}

describe("importOnnx: round trips through our exporter", () => {
  it("MLP with normalisation, value head, continuous extras is exact", () => {
    const spec = randomMlpSpec({
      obsSize: 5,
      hidden: [16, 8],
      actionSize: 2,
      output: "mean",
      obsNorm: true,
      value: true,
      seed: 9,
    });
    expect(importOnnx(exportOnnx(spec, { includeValue: true }))).toEqual(spec);
  });

  it("CNN with same/valid padding, stride and value head is exact", () => {
    const spec = randomCnnSpec(11);
    expect(importOnnx(exportOnnx(spec, { includeValue: true }))).toEqual(spec);
  });

  it("int8 export imports as the dequantized spec, exactly", () => {
    const spec = randomCnnSpec(12);
    const q = quantizeSpec(spec);
    expect(importOnnx(exportOnnx(q, { includeValue: true }))).toEqual(dequantizeSpec(q));
  });

  it("without includeValue there are no valueLayers", () => {
    const spec = randomMlpSpec({ obsSize: 4, hidden: [8], actionSize: 2, value: true, seed: 1 });
    const { valueLayers: _, ...rest } = spec;
    expect(importOnnx(exportOnnx(spec))).toEqual(rest);
  });
});

describe("importOnnx: PyTorch-shaped graphs", () => {
  const rng = new Rng(5);
  const w1 = rng.fillNormal(new Float32Array(4 * 16), 0, 0.5); // [in][out]
  const b1 = rng.fillNormal(new Float32Array(16), 0, 0.1);
  const w2 = rng.fillNormal(new Float32Array(16 * 3), 0, 0.5);
  const b2 = rng.fillNormal(new Float32Array(3), 0, 0.1);

  it("Gemm transB=1 (torch.nn.Linear) + Relu + Identity, input named 'input'", async () => {
    const bytes = torchModel(
      [
        { opType: "Identity", inputs: ["input"], outputs: ["/Identity_output_0"], name: "/Identity" },
        {
          opType: "Gemm",
          inputs: ["/Identity_output_0", "fc1.weight", "fc1.bias"],
          outputs: ["/fc1/Gemm_output_0"],
          name: "/fc1/Gemm",
          attributes: [
            { name: "alpha", type: "float", f: 1 },
            { name: "beta", type: "float", f: 1 },
            { name: "transB", type: "int", i: 1 },
          ],
        },
        {
          opType: "Relu",
          inputs: ["/fc1/Gemm_output_0"],
          outputs: ["/relu/Relu_output_0"],
          name: "/relu/Relu",
        },
        {
          opType: "Gemm",
          inputs: ["/relu/Relu_output_0", "fc2.weight", "fc2.bias"],
          outputs: ["output"],
          name: "/fc2/Gemm",
          attributes: [{ name: "transB", type: "int", i: 1 }],
        },
      ],
      [
        floatTensor("fc1.weight", [16, 4], transpose(w1, 4, 16)),
        floatTensor("fc1.bias", [16], b1),
        floatTensor("fc2.weight", [3, 16], transpose(w2, 16, 3)),
        floatTensor("fc2.bias", [3], b2),
      ],
      [4],
    );
    const spec = importOnnx(bytes);
    expect(spec.obsShape).toEqual([4]);
    expect(spec.output).toBe("logits");
    expect(
      spec.layers.map((l) => (l.kind === "dense" ? `${l.inSize}x${l.outSize}:${l.activation}` : l.kind)),
    ).toEqual(["4x16:relu", "16x3:linear"]);
    const first = spec.layers[0]!;
    expect(first.kind === "dense" && Array.from(first.weight)).toEqual(Array.from(w1));
    expect(await agreement(bytes, spec)).toBeLessThan(1e-5);
    expect(importOnnx(bytes, { output: "q" }).output).toBe("q");
  });

  it("MatMul + Add (bias first or second), Tanh, float_data initializers, input named 'obs'", async () => {
    const bytes = torchModel(
      [
        { opType: "MatMul", inputs: ["obs", "onnx::MatMul_10"], outputs: ["/0/MatMul_output_0"] },
        { opType: "Add", inputs: ["0.bias", "/0/MatMul_output_0"], outputs: ["/0/Add_output_0"] },
        { opType: "Tanh", inputs: ["/0/Add_output_0"], outputs: ["/1/Tanh_output_0"] },
        {
          opType: "MatMul",
          inputs: ["/1/Tanh_output_0", "onnx::MatMul_11"],
          outputs: ["/2/MatMul_output_0"],
        },
        { opType: "Add", inputs: ["/2/MatMul_output_0", "2.bias"], outputs: ["logits"] },
      ],
      [
        { name: "onnx::MatMul_10", dims: [4, 16], dataType: DataType.FLOAT, floatData: w1 },
        { name: "0.bias", dims: [16], dataType: DataType.FLOAT, floatData: b1 },
        floatTensor("onnx::MatMul_11", [16, 3], w2),
        floatTensor("2.bias", [3], b2),
      ],
      [4],
      ["logits"],
      "obs",
    );
    const spec = importOnnx(bytes);
    const [l0, l1] = spec.layers;
    expect(l0?.kind === "dense" && l0.activation).toBe("tanh");
    expect(l0?.kind === "dense" && Array.from(l0.bias)).toEqual(Array.from(b1));
    expect(l1?.kind === "dense" && Array.from(l1.bias)).toEqual(Array.from(b2));
    expect(await agreement(bytes, spec)).toBeLessThan(1e-5);
  });

  it("NCHW Conv + Flatten (CHW order) + Gemm imports as a channels-last spec with allowNchwInput", async () => {
    const [c, h, w, oc, k] = [2, 5, 4, 3, 3];
    const convW = rng.fillNormal(new Float32Array(oc * c * k * k), 0, 0.4);
    const convB = rng.fillNormal(new Float32Array(oc), 0, 0.1);
    const flat = oc * (h - 2) * (w - 2);
    const fcW = rng.fillNormal(new Float32Array(2 * flat), 0, 0.3);
    const bytes = torchModel(
      [
        {
          opType: "Conv",
          inputs: ["input", "conv.weight", "conv.bias"],
          outputs: ["/conv/Conv_output_0"],
          attributes: [
            { name: "kernel_shape", type: "ints", ints: [k, k] },
            { name: "pads", type: "ints", ints: [0, 0, 0, 0] },
            { name: "strides", type: "ints", ints: [1, 1] },
            { name: "dilations", type: "ints", ints: [1, 1] },
            { name: "group", type: "int", i: 1 },
          ],
        },
        { opType: "Relu", inputs: ["/conv/Conv_output_0"], outputs: ["/Relu_output_0"] },
        { opType: "Reshape", inputs: ["/Relu_output_0", "shape"], outputs: ["/Reshape_output_0"] },
        {
          opType: "Gemm",
          inputs: ["/Reshape_output_0", "fc.weight"],
          outputs: ["q_values"],
          attributes: [{ name: "transB", type: "int", i: 1 }],
        },
      ],
      [
        floatTensor("conv.weight", [oc, c, k, k], convW),
        floatTensor("conv.bias", [oc], convB),
        int64Tensor("shape", [2], [-1, flat]),
        floatTensor("fc.weight", [2, flat], fcW),
      ],
      [c, h, w],
      ["q_values"],
    );
    expect(() => importOnnx(bytes, { allowNchwInput: false })).toThrow(/NCHW.*allowNchwInput/);
    const spec = importOnnx(bytes);
    expect(spec.obsShape).toEqual([h, w, c]);
    expect(spec.output).toBe("q");
    const chwToHwc = (o: Float32Array) => {
      const out = new Float32Array(o.length);
      for (let ci = 0; ci < c; ci++)
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) out[(y * w + x) * c + ci] = o[(ci * h + y) * w + x]!;
      return out;
    };
    expect(await agreement(bytes, spec, chwToHwc)).toBeLessThan(1e-5);
  });

  it("MatMul(x, Transpose(W)) with the weight in [out, in] (torch's dynamo exporter)", async () => {
    const bytes = torchModel(
      [
        {
          opType: "Transpose",
          inputs: ["fc1.weight"],
          outputs: ["t1"],
          attributes: [{ name: "perm", type: "ints", ints: [1, 0] }],
        },
        { opType: "MatMul", inputs: ["input", "t1"], outputs: ["mm1"] },
        { opType: "Add", inputs: ["mm1", "fc1.bias"], outputs: ["a1"] },
        { opType: "Relu", inputs: ["a1"], outputs: ["r1"] },
        { opType: "Transpose", inputs: ["fc2.weight"], outputs: ["t2"] },
        { opType: "MatMul", inputs: ["r1", "t2"], outputs: ["mm2"] },
        { opType: "Add", inputs: ["mm2", "fc2.bias"], outputs: ["output"] },
      ],
      [
        floatTensor("fc1.weight", [16, 4], transpose(w1, 4, 16)),
        floatTensor("fc1.bias", [16], b1),
        floatTensor("fc2.weight", [3, 16], transpose(w2, 16, 3)),
        floatTensor("fc2.bias", [3], b2),
      ],
      [4],
    );
    const spec = importOnnx(bytes);
    const first = spec.layers[0]!;
    expect(first.kind === "dense" && Array.from(first.weight)).toEqual(Array.from(w1));
    expect(await agreement(bytes, spec)).toBeLessThan(1e-5);
  });

  it("drops a final Softmax (the spec outputs the logits) and names an unsupported op", async () => {
    const bytes = torchModel(
      [
        {
          opType: "Gemm",
          inputs: ["input", "fc.weight"],
          outputs: ["/fc/Gemm_output_0"],
          name: "/fc/Gemm",
          attributes: [{ name: "transB", type: "int", i: 1 }],
        },
        {
          opType: "Softmax",
          inputs: ["/fc/Gemm_output_0"],
          outputs: ["output"],
          name: "/Softmax",
          attributes: [{ name: "axis", type: "int", i: 1 }],
        },
      ],
      [floatTensor("fc.weight", [3, 4], new Float32Array(12))],
      [4],
    );
    const spec = importOnnx(bytes);
    expect(spec.output).toBe("logits");
    expect(spec.layers).toHaveLength(1);
    const erf = torchModel(
      [
        { opType: "Erf", inputs: ["input"], outputs: ["e"], name: "/Erf" },
        {
          opType: "Gemm",
          inputs: ["e", "fc.weight"],
          outputs: ["output"],
          attributes: [{ name: "transB", type: "int", i: 1 }],
        },
      ],
      [floatTensor("fc.weight", [3, 4], new Float32Array(12))],
      [4],
    );
    expect(() => importOnnx(erf)).toThrow(ArtifactError);
    expect(() => importOnnx(erf)).toThrow(/unsupported ONNX op "Erf" \(Erf node "\/Erf"\); supported: Gemm/);
  });

  it("rejects non-sequential graphs and garbage bytes", () => {
    const bytes = torchModel(
      [
        { opType: "Relu", inputs: ["input"], outputs: ["a"] },
        { opType: "Add", inputs: ["input", "a"], outputs: ["output"] },
      ],
      [],
      [4],
    );
    expect(() => importOnnx(bytes)).toThrow(/combines 2 computed tensors/);
    expect(() => importOnnx(Uint8Array.of(1, 2, 3))).toThrow(ArtifactError);
  });
});
