import { describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { archLayers, formatArch, parseArch, parseConvs, torchDefaultInit } from "./arch.js";
import { countParams } from "./kernels/plan.js";

describe("architecture strings", () => {
  it("parses MLPs, CNNs and the stride/padding options, and formats them back", () => {
    expect(parseArch("64,64")).toEqual({ convs: [], hidden: [64, 64] });
    expect(parseArch("fc64, FC32")).toEqual({ convs: [], hidden: [64, 32] });
    expect(parseArch("conv16x3,fc128")).toEqual({
      convs: [{ channels: 16, kernelSize: 3, stride: 1, padding: "valid" }],
      hidden: [128],
    });
    expect(parseArch("conv32x4s2same,conv8x3valid")).toEqual({
      convs: [
        { channels: 32, kernelSize: 4, stride: 2, padding: "same" },
        { channels: 8, kernelSize: 3, stride: 1, padding: "valid" },
      ],
      hidden: [],
    });
    for (const text of ["64,64", "conv16x3,fc128", "conv32x4s2same,conv8x3", "conv8x3"]) {
      expect(formatArch(parseArch(text))).toBe(text);
    }
    expect(parseConvs("")).toEqual([]);
    expect(parseConvs("conv4x3")).toEqual([{ channels: 4, kernelSize: 3, stride: 1, padding: "valid" }]);
  });

  it("rejects bad strings naming the field, the layer and the grammar", () => {
    expect(() => parseArch("", "student")).toThrow(/student: is empty; expected comma-separated layers/);
    expect(() => parseArch("conv0x3", "student")).toThrow(/student: layer 0 \("conv0x3"\): the filter count/);
    expect(() => parseArch("conv8x3s0")).toThrow(/arch: layer 0 \("conv8x3s0"\): the stride must be/);
    expect(() => parseArch("64,conv8x3")).toThrow(/convolutions come first/);
    expect(() => parseArch("64;64")).toThrow(/layer 0 \("64;64"\) is not understood/);
    expect(() => parseConvs("conv8x3,32", "convs")).toThrow(/convs: holds dense layers/);
  });

  it("builds MinAtar's baseline network (1 conv, 128 units) with its parameter count, MLPs over any shape, and trunks", () => {
    const rng = new Rng(1);
    const opts = { activation: "relu" as const, outGain: 1 };
    const cnn = archLayers(parseArch("conv16x3,fc128"), [10, 10, 4], { ...opts, outSize: 3 }, rng);
    expect(cnn.map((l) => l.kind)).toEqual(["conv2d", "flatten", "dense", "dense"]);
    // 3*3*4*16 + 16, 8*8*16*128 + 128, 128*3 + 3
    expect(countParams(cnn)).toBe(592 + 131_200 + 387);
    const mlp = archLayers(parseArch("32"), [10, 10, 4], { ...opts, outSize: 3 }, rng);
    expect(mlp.map((l) => (l.kind === "dense" ? [l.inSize, l.outSize] : l.kind))).toEqual([
      [400, 32],
      [32, 3],
    ]);
    const trunk = archLayers(parseArch("conv4x3,fc8"), [5, 5, 2], { ...opts, outSize: undefined }, rng);
    expect(trunk[trunk.length - 1]).toMatchObject({ kind: "dense", outSize: 8, activation: "relu" });
    expect(() => archLayers(parseArch("conv4x3"), [4], { ...opts, outSize: 2 }, rng)).toThrow(
      /image observations/,
    );
  });

  it("PyTorch's default init: uniform within 1/sqrt(fan-in), fan-in k*k*inC for convolutions; same seed, same draws", () => {
    const make = () => {
      const layers = archLayers(
        parseArch("conv4x3,fc8"),
        [5, 5, 2],
        { activation: "relu", outGain: 1, outSize: 2 },
        new Rng(0),
      );
      torchDefaultInit(layers, new Rng(9));
      return layers;
    };
    const layers = make();
    expect(make()).toEqual(layers);
    const conv = layers[0]!;
    if (conv.kind !== "conv2d") throw new Error("expected a conv layer");
    const bound = 1 / Math.sqrt(3 * 3 * 2);
    expect(Math.max(...conv.weight.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...conv.weight.map(Math.abs))).toBeGreaterThan(0.8 * bound);
    expect(Math.max(...conv.bias.map(Math.abs))).toBeLessThanOrEqual(bound);
  });
});
