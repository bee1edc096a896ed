import { describe, expect, it } from "vitest";
import { softmaxRows } from "../../nn/distributions.js";
import { lineGaussianTeacher, lineTeacher } from "../testing/fakes.js";
import { EnsembleTeacher } from "./ensemble.js";

const obs = Float32Array.of(0.5, 1, -0.2, 1);

describe("EnsembleTeacher", () => {
  it("mean: averages probabilities (known answer)", async () => {
    const a = lineTeacher({ k: 1, name: "a" });
    const b = lineTeacher({ k: 4, name: "b" });
    const e = new EnsembleTeacher([a, b], "mean");
    const pa = softmaxRows(a.predictSync!(obs, 2).outputs, 2, 2);
    const pb = softmaxRows(b.predictSync!(obs, 2).outputs, 2, 2);
    const pe = softmaxRows((await e.predict(obs, 2)).outputs, 2, 2);
    for (let i = 0; i < 4; i++) expect(pe[i]).toBeCloseTo((pa[i]! + pb[i]!) / 2, 5);
    expect(e.params).toBe(a.params + b.params);
    expect(e.features).toEqual([]);
  });

  it("confidence: the surer member gets more weight than in the plain mean", () => {
    const sure = lineTeacher({ k: 20, name: "sure" });
    const unsure = lineTeacher({ k: -0.5, name: "unsure" });
    const mean = softmaxRows(new EnsembleTeacher([sure, unsure], "mean").predictSync!(obs, 2).outputs, 2, 2);
    const conf = softmaxRows(
      new EnsembleTeacher([sure, unsure], "confidence").predictSync!(obs, 2).outputs,
      2,
      2,
    );
    const pSure = softmaxRows(sure.predictSync!(obs, 2).outputs, 2, 2);
    expect(Math.abs(conf[0]! - pSure[0]!)).toBeLessThan(Math.abs(mean[0]! - pSure[0]!));
  });

  it("route: each row answered by the member of its task, features kept", async () => {
    const a = lineTeacher({ k: 1, name: "a" });
    const b = lineTeacher({ k: 4, name: "b" });
    const e = new EnsembleTeacher([a, b], "route");
    const out = await e.predict(obs, 2, { taskIds: Int32Array.of(1, 0), features: "all" });
    expect(out.outputs[0]).toBeCloseTo(b.predictSync!(obs.subarray(0, 2), 1).outputs[0]!, 6);
    expect(out.outputs[2]).toBeCloseTo(a.predictSync!(obs.subarray(2, 4), 1).outputs[0]!, 6);
    expect(out.features.fc0!.length).toBe(8);
    await expect(e.predict(obs, 2)).rejects.toThrow(/task id/);
    expect(() => e.predictSync!(obs, 2, { taskIds: Int32Array.of(0, 2) })).toThrow(/task id 2/);
  });

  it("Gaussian mean: moment-matched mixture", () => {
    const a = lineGaussianTeacher(0);
    const b = lineGaussianTeacher(Math.log(2));
    const out = new EnsembleTeacher([a, b], "mean").predictSync!(Float32Array.of(0, 1), 1);
    expect(out.outputs[0]).toBeCloseTo(0, 6);
    expect(Math.exp(out.logStd![0]!)).toBeCloseTo(Math.sqrt((1 + 4) / 2), 5);
  });

  it("rejects members with different spaces or kinds", () => {
    expect(() => new EnsembleTeacher([lineTeacher(), lineGaussianTeacher()])).toThrow(
      /ensemble members differ/,
    );
    expect(() => new EnsembleTeacher([])).toThrow(/at least one/);
    expect(() => new EnsembleTeacher([lineTeacher()], "vote" as "mean")).toThrow(
      /allowed: mean, confidence, route/,
    );
  });
});
