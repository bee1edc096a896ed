import { describe, expect, it, vi } from "vitest";
import { RlDistillError } from "../core/errors.js";

// Simulates an install without the optional onnxruntime-node package.
vi.mock("onnxruntime-node", () => {
  throw new Error("Cannot find package 'onnxruntime-node'");
});

describe("without onnxruntime-node", () => {
  it("the deploy modules import, export works, and running ONNX fails with the install line", async () => {
    const { exportOnnx } = await import("./onnx-export.js");
    const { OnnxPolicy } = await import("./onnx-runtime.js");
    const { randomMlpSpec } = await import("./test-util.js");
    const bytes = exportOnnx(randomMlpSpec({ obsSize: 3, hidden: [4], actionSize: 2 }));
    const attempt = OnnxPolicy.create(bytes);
    await expect(attempt).rejects.toThrow(RlDistillError);
    await expect(OnnxPolicy.create(bytes)).rejects.toThrow(
      /ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node/,
    );
  });
});
