import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exportOnnx } from "../../deploy/onnx-export.js";
import { LineWorld, lineGaussianSpec, lineTeacher, lineTeacherSpec } from "../testing/fakes.js";
import { loadTeacher } from "./load.js";

const dir = mkdtempSync(join(tmpdir(), "rldistill-onnx-teacher-"));
const obs = Float32Array.of(0.3, 1, -1.2, 1, 0, 1);

describe("OnnxTeacher (onnxruntime-node)", () => {
  it("gives the same outputs, value and hidden features as the checkpoint teacher", async () => {
    const file = join(dir, "line.onnx");
    writeFileSync(file, exportOnnx(lineTeacherSpec({ value: true }), { includeValue: true }));
    const t = await loadTeacher(file, { env: new LineWorld() });
    const ref = lineTeacher({ value: true }).predictSync(obs, 3, { features: "all" });
    expect(t.kind).toBe("logits");
    expect(t.hasValue).toBe(true);
    expect(t.predictSync).toBeUndefined();
    expect(t.features.length).toBe(1);
    expect(t.features[0]!.size).toBe(4);
    const out = await t.predict(obs, 3, { features: "all" });
    for (let i = 0; i < 6; i++) expect(out.outputs[i]).toBeCloseTo(ref.outputs[i]!, 5);
    for (let i = 0; i < 3; i++) expect(out.values![i]).toBeCloseTo(ref.values![i]!, 5);
    const feature = Object.values(out.features)[0]!;
    for (let i = 0; i < 12; i++) expect(feature[i]).toBeCloseTo(ref.features.fc0![i]!, 5);
    await expect(t.predict(obs, 3, { features: ["nope"] })).rejects.toThrow(/no feature "nope"/);
    t.dispose?.();
  });

  it("reads the Gaussian kind and log std from the export metadata, and checks sizes", async () => {
    const file = join(dir, "gauss.onnx");
    writeFileSync(file, exportOnnx(lineGaussianSpec(-0.5)));
    const t = await loadTeacher(file, { env: new LineWorld({ continuous: true }) });
    expect(t.kind).toBe("gaussian");
    const out = await t.predict(obs, 3);
    expect(Array.from(out.logStd!)).toEqual([-0.5, -0.5, -0.5]);
    await expect(loadTeacher(file, { env: new LineWorld() })).rejects.toThrow(/does not fit Discrete\(2\)/);
  });

  it("names an unreadable ONNX file", async () => {
    const file = join(dir, "junk.onnx");
    writeFileSync(file, "not onnx at all");
    await expect(loadTeacher(file, { env: new LineWorld() })).rejects.toThrow(/junk.onnx/);
  });
});
