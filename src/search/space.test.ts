import { describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { Discrete } from "../core/spaces.js";
import { studentArch } from "../distill/config.js";
import { Student } from "../distill/student.js";
import { parseArch } from "../nn/arch.js";
import {
  autoKinds,
  type Candidate,
  candidateId,
  checkSpace,
  distillFields,
  measureCandidateLatency,
  type SearchSpace,
  type StudentIO,
  sampleCandidates,
  sizesOf,
  spaceSize,
} from "./space.js";

const cartpole: StudentIO = { obsShape: [4], actionSize: 2, output: "logits" };
const minatar: StudentIO = { obsShape: [10, 10, 4], actionSize: 3, output: "logits" };
const space: SearchSpace = {
  kinds: ["mlp"],
  depths: [1, 2],
  widths: [2, 4, 8],
  activations: ["tanh", "relu"],
  precisions: ["float32", "int8"],
};
const pixelSpace: SearchSpace = {
  kinds: ["mlp", "conv"],
  depths: [1, 2],
  widths: [4, 8],
  convDepths: [1],
  convChannels: [2, 4],
  convKernels: [3],
  activations: ["relu"],
  precisions: ["float32", "int8"],
};

describe("student space", () => {
  it("sizes: parameters, float32 and int8 bytes (known answers)", () => {
    const c = { kind: "mlp", hidden: [8], activation: "tanh" as const, precision: "float32" as const };
    // 4*8 + 8 + 8*2 + 2
    expect(sizesOf(c, cartpole)).toEqual({ params: 58, bytes: 232, flops: 2 * (32 + 16) });
    // int8: 48 weight bytes + 10 per-output-channel float32 scales + 10 float32 biases
    expect(sizesOf({ ...c, precision: "int8" }, cartpole).bytes).toBe(48 + 40 + 40);
    // Gaussian (Pendulum): 3*4 + 4 + 4*1 + 1 + log std 1; bytes add log std and action bounds.
    const pendulum: StudentIO = { obsShape: [3], actionSize: 1, output: "mean" };
    const g = sizesOf({ ...c, hidden: [4] }, pendulum);
    expect(g.params).toBe(22);
    expect(g.bytes).toBe(4 * 22 + 8);
    // Copied observation normalisation costs bytes, not parameters.
    const norm = { mean: new Float32Array(4), var: new Float32Array(4), epsilon: 1e-8, clip: 10 };
    expect(sizesOf(c, { ...cartpole, obsNorm: norm })).toMatchObject({ params: 58, bytes: 232 + 32 });
  });

  it("turns a candidate into distill() fields", () => {
    expect(distillFields({ kind: "mlp", hidden: [6, 3], activation: "relu", precision: "int8" })).toEqual({
      student: [6, 3],
      studentActivation: "relu",
      quantizeAware: true,
    });
    expect(candidateId({ kind: "mlp", hidden: [6, 3], activation: "relu", precision: "int8" })).toBe(
      "mlp-6x3-relu-int8",
    );
  });

  it("samples distinct candidates, the same for a seed", () => {
    expect(spaceSize(space)).toBe((3 + 9) * 2 * 2);
    const a = sampleCandidates(space, 20, new Rng(5)).map(candidateId);
    const b = sampleCandidates(space, 20, new Rng(5)).map(candidateId);
    const c = sampleCandidates(space, 20, new Rng(6)).map(candidateId);
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    expect(new Set(a).size).toBe(20);
    // Asking for more than the space holds gives the whole space once.
    expect(new Set(sampleCandidates(space, 100, new Rng(1)).map(candidateId)).size).toBe(48);
  });

  it("refuses kinds and values the env cannot use, saying why", () => {
    expect(() => checkSpace({ ...space, kinds: ["conv"] }, cartpole)).toThrow(
      /kinds: conv students cannot be searched here: observations of shape \[4\] are not images/,
    );
    expect(() =>
      checkSpace({ ...pixelSpace, convKernels: [3, 6] }, { ...cartpole, obsShape: [5, 10, 4] }),
    ).toThrow(/convKernels: 1 convolution\(s\) of kernel 6 \(valid padding\) leave nothing of a 5x10 image/);
    expect(() => checkSpace({ ...pixelSpace, convChannels: [] }, minatar)).toThrow(
      /convChannels: expected integers/,
    );
    expect(() => checkSpace({ ...space, kinds: ["rnn"] }, cartpole)).toThrow(
      /unknown student kind "rnn"; allowed: mlp, conv/,
    );
    expect(() => checkSpace({ ...space, precisions: ["int4" as never] }, cartpole)).toThrow(
      /precisions: "int4" is not allowed; allowed: float32, int8/,
    );
    expect(() => checkSpace({ ...space, widths: [] }, cartpole)).toThrow(/widths: expected integers >= 1/);
  });

  it("conv candidates: sizes, distill() fields and the student distill() builds from them agree", () => {
    const c: Candidate = {
      kind: "conv",
      convs: [{ channels: 4, kernelSize: 3 }],
      hidden: [16],
      activation: "relu",
      precision: "float32",
    };
    expect(candidateId(c)).toBe("conv4x3-fc16-relu-float32");
    // conv 4*(3*3*4) + 4; flatten 8*8*4 = 256; dense 256*16 + 16; head 16*3 + 3.
    const params = 148 + 4112 + 51;
    const sizes = sizesOf(c, minatar);
    expect(sizes.params).toBe(params);
    expect(sizes.bytes).toBe(4 * params);
    expect(sizes.flops).toBe(2 * (8 * 8 * 4 * 36 + 256 * 16 + 16 * 3));
    const fields = distillFields({ ...c, precision: "int8" });
    expect(fields).toEqual({
      student: [16],
      studentConvs: "conv4x3",
      studentActivation: "relu",
      quantizeAware: true,
    });
    // distill() reads these fields as the architecture string conv4x3,fc16 and builds this many parameters.
    const arch = parseArch(studentArch(fields as { student: number[]; studentConvs: string }));
    const built = new Student({
      obsSize: 400,
      obsShape: [10, 10, 4],
      actionSpace: new Discrete(3),
      hidden: arch.hidden,
      convs: arch.convs,
      activation: "relu",
      output: "logits",
      rng: new Rng(0),
    });
    expect(built.params).toBe(params);
    built.dispose();
    // An MLP over the same frames reads the 400 flattened inputs.
    expect(sizesOf({ ...c, kind: "mlp", convs: undefined }, minatar).params).toBe(400 * 16 + 16 + 51);
  });

  it("pixel envs: auto searches MLP and conv students, both sampled, conv fields drawn for conv only", () => {
    expect(autoKinds(minatar)).toEqual(["mlp", "conv"]);
    expect(autoKinds(cartpole)).toEqual(["mlp"]);
    checkSpace(pixelSpace, minatar);
    // dense archs (2 + 4) x conv archs (one conv of 2 channel counts x 1 kernel) for conv, + 6 for mlp.
    expect(spaceSize(pixelSpace)).toBe((6 * 2 + 6) * 2 * 1);
    const all = sampleCandidates(pixelSpace, 100, new Rng(3));
    expect(all.length).toBe(36);
    expect(new Set(all.map(candidateId)).size).toBe(36);
    for (const c of all) {
      if (c.kind === "conv") expect(c.convs!.length).toBe(1);
      else expect(c.convs).toBeUndefined();
    }
    expect(all.filter((c) => c.kind === "conv").length).toBe(24);
    expect(measureCandidateLatency(all.find((c) => c.kind === "conv")!, minatar)).toBeGreaterThan(0);
  });

  it("measures a latency (a positive figure; its value is machine-dependent)", () => {
    const us = measureCandidateLatency(
      { kind: "mlp", hidden: [8], activation: "tanh", precision: "float32" },
      cartpole,
    );
    expect(us).toBeGreaterThan(0);
    expect(us).toBeLessThan(1000);
  });
});
