import { describe, expect, it } from "vitest";
import { policyObjective, spreadScaled } from "./objectives.js";
import type { Student } from "./student.js";

describe("relative temperature for Q teachers (tauMode spread)", () => {
  it("divides each state's Q-values by their standard deviation over actions", () => {
    // Row 0: std of (1, 3) is 1; row 1: std of (10, 10) is 0 (tied: stays finite).
    const out = spreadScaled(Float32Array.of(1, 3, 10, 10), 2, 2);
    expect(out[0]).toBeCloseTo(1, 5);
    expect(out[1]).toBeCloseTo(3, 5);
    expect(Number.isFinite(out[2]!)).toBe(true);
    // Scaling a state's Q-values leaves its target unchanged; a shift moves only the logits' level.
    const a = spreadScaled(Float32Array.of(0, 1, 5), 1, 3);
    const b = spreadScaled(Float32Array.of(0, 100, 500), 1, 3);
    for (let j = 0; j < 3; j++) expect(a[j]).toBeCloseTo(b[j]!, 4);
  });

  it("makes the KL target of a Q teacher independent of each state's value scale; logits teachers are unaffected", () => {
    const student = {} as Student;
    const out = Float32Array.of(0, 0, 0, 0, 0, 0);
    const small = Float32Array.of(0, 0.01, 0.05, 0, 0.01, 0.05);
    const large = Float32Array.of(0, 1, 5, 0, 10, 50);
    const spread = policyObjective("kl", "q", { tauMode: "spread" });
    const fixed = policyObjective("kl", "q", { tauMode: "fixed" });
    const t = (teacherOut: Float32Array) => ({ batch: 2, teacherOut });
    expect(spread(student, out, t(small), 1).loss).toBeCloseTo(spread(student, out, t(large), 1).loss, 4);
    expect(fixed(student, out, t(small), 1).loss).not.toBeCloseTo(fixed(student, out, t(large), 1).loss, 2);
    const logits = policyObjective("kl", "logits", { tauMode: "spread" });
    expect(logits(student, out, t(large), 1).loss).toBeCloseTo(fixed(student, out, t(large), 1).loss, 6);
  });
});
