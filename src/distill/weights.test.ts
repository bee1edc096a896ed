import { describe, expect, it } from "vitest";
import {
  DynamicDistillWeight,
  normalizedQDaggerLambda,
  normalizedScore,
  QDaggerWeight,
  qdaggerLambda,
} from "./weights.js";

describe("QDagger lambda", () => {
  it("plain form: max(1 - Gs / Gt, 0)", () => {
    expect(qdaggerLambda(100, 500)).toBeCloseTo(0.8, 12);
    expect(qdaggerLambda(500, 500)).toBe(0);
    expect(qdaggerLambda(600, 500)).toBe(0);
    expect(qdaggerLambda(-50, 500)).toBeCloseTo(1.1, 12); // as published: above 1 for negative returns
    expect(() => qdaggerLambda(-100, -80)).toThrow(
      /^teacherReturn: the plain QDagger lambda needs a positive/,
    );
    expect(() => qdaggerLambda(Number.NaN, 1)).toThrow(/^studentReturn/);
  });

  it("normalised form works for negative returns (Acrobot-like)", () => {
    // random -500, teacher -80, student -200: score = 300 / 420.
    expect(normalizedScore(-200, -80, -500)).toBeCloseTo(300 / 420, 12);
    expect(normalizedQDaggerLambda(-200, -80, -500)).toBeCloseTo(1 - 300 / 420, 12);
    expect(normalizedQDaggerLambda(-500, -80, -500)).toBe(1);
    expect(normalizedQDaggerLambda(-600, -80, -500)).toBe(1);
    expect(normalizedQDaggerLambda(-80, -80, -500)).toBe(0);
    expect(normalizedQDaggerLambda(-60, -80, -500)).toBe(0);
    expect(() => normalizedQDaggerLambda(0, -500, -80)).toThrow(/^teacherReturn: must exceed randomReturn/);
  });

  it("normalised form equals the plain one when the random baseline is 0", () => {
    for (const gs of [0, 50, 123.4, 499, 500]) {
      expect(normalizedQDaggerLambda(gs, 500, 0)).toBeCloseTo(qdaggerLambda(gs, 500), 12);
    }
  });

  it("QDaggerWeight: initial value, updates, floor and clamping", () => {
    const w = new QDaggerWeight({ teacherReturn: 500, floor: 0.1 });
    expect(w.value).toBe(1);
    expect(w.update({ meanReturn: 250 })).toBeCloseTo(0.5, 12);
    expect(w.update({ meanReturn: 500 })).toBe(0.1);
    expect(w.update({ meanReturn: -100 })).toBe(1);
    const n = new QDaggerWeight({ teacherReturn: -80, randomReturn: -500, initial: 0.5 });
    expect(n.value).toBe(0.5);
    expect(n.update({ meanReturn: -290 })).toBeCloseTo(0.5, 12);
    expect(() => new QDaggerWeight({ teacherReturn: -80 })).toThrow(/^teacherReturn/);
    expect(() => n.update({ agreement: 0.5 })).toThrow(/^meanReturn: expected a finite number/);
    expect(() => new QDaggerWeight({ teacherReturn: 1, floor: 2 })).toThrow(/^floor: must be <= 1/);
  });
});

describe("DynamicDistillWeight", () => {
  it("known answers: alpha0 at start, linear to the floor at the target", () => {
    const w = new DynamicDistillWeight({
      alpha0: 0.9,
      floor: 0.1,
      targetAgreement: 0.9,
      startAgreement: 0.5,
    });
    expect(w.value).toBe(0.9);
    expect(w.weightAt(0.2)).toBeCloseTo(0.9, 12);
    expect(w.weightAt(0.5)).toBeCloseTo(0.9, 12);
    expect(w.weightAt(0.7)).toBeCloseTo(0.5, 12);
    expect(w.weightAt(0.9)).toBeCloseTo(0.1, 12);
    expect(w.weightAt(1)).toBeCloseTo(0.1, 12);
    expect(w.update({ agreement: 0.8 })).toBeCloseTo(0.3, 12);
  });

  it("defaults: 1 at agreement 0, 0.05 at 0.95", () => {
    const w = new DynamicDistillWeight();
    expect(w.weightAt(0)).toBe(1);
    expect(w.weightAt(0.95)).toBeCloseTo(0.05, 12);
    expect(w.weightAt(0.475)).toBeCloseTo(0.525, 12);
  });

  it("non-increasing in agreement, never below the floor", () => {
    const w = new DynamicDistillWeight({ floor: 0.2, targetAgreement: 0.8, startAgreement: 0.25 });
    let last = Number.POSITIVE_INFINITY;
    for (let i = 0; i <= 100; i++) {
      const v = w.weightAt(i / 100);
      expect(v).toBeLessThanOrEqual(last);
      expect(v).toBeGreaterThanOrEqual(0.2);
      last = v;
    }
  });

  it("smoothing averages agreement across evaluations", () => {
    const w = new DynamicDistillWeight({ smoothing: 0.5, floor: 0, targetAgreement: 1 });
    w.update({ agreement: 0.2 });
    expect(w.agreement).toBe(0.2);
    w.update({ agreement: 0.6 });
    expect(w.agreement).toBeCloseTo(0.4, 12);
    expect(w.value).toBeCloseTo(0.6, 12);
  });

  it("validates its arguments by name", () => {
    expect(() => new DynamicDistillWeight({ floor: 0.5, alpha0: 0.3 })).toThrow(/^floor: must be <= 0\.3/);
    expect(() => new DynamicDistillWeight({ startAgreement: 0.9, targetAgreement: 0.9 })).toThrow(
      /^startAgreement: must be below targetAgreement/,
    );
    expect(() => new DynamicDistillWeight({ smoothing: 1 })).toThrow(/^smoothing: must be in \[0, 1\)/);
    expect(() => new DynamicDistillWeight().update({ meanReturn: 3 })).toThrow(
      /^agreement: expected a finite number/,
    );
    expect(() => new DynamicDistillWeight().update({ agreement: 1.5 })).toThrow(/^agreement: must be <= 1/);
  });
});
