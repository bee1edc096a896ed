import { describe, expect, it } from "vitest";
import { criticGuideObjective, policyObjective, spreadScaled } from "./objectives.js";
import type { Student } from "./student.js";
import type { TeacherCritic } from "./teachers/critic.js";

/** Q(s, a) = 5 + s0 * (a0 - 0.5 a1^2) on obs [s0] and actions [a0, a1]: dQ/da = s0 * [1, -a1]. */
const toyCritic: TeacherCritic = {
  params: 0,
  q1WithActionGrad(obs, actions, n) {
    const q = new Float32Array(n);
    const dQda = new Float32Array(2 * n);
    for (let b = 0; b < n; b++) {
      const [s, a0, a1] = [obs[b]!, actions[2 * b]!, actions[2 * b + 1]!];
      q[b] = 5 + s * (a0 - 0.5 * a1 * a1);
      dQda[2 * b] = s;
      dQda[2 * b + 1] = -s * a1;
    }
    return { q, dQda };
  },
};

describe("criticGuideObjective (TD3+BC's Q term with the teacher's critic)", () => {
  const box = { low: [-1, -1], high: [1, 1] };
  const obs = Float32Array.of(2, -1);
  // Row 1's first action is outside the box: clipped to 1, its gradient 0.
  const mean = Float32Array.of(0.5, 0.4, 1.5, -0.6);

  it("gives the hand-computed loss, lambda and gradient; zero outside the box", () => {
    // clip -> [[0.5, 0.4], [1, -0.6]]; Q = [5 + 2 (0.5 - 0.08), 5 - (1 - 0.18)] = [5.84, 4.18].
    const g = criticGuideObjective(toyCritic, obs, mean, 2, box, 2.5);
    const lambda = 2.5 / ((5.84 + 4.18) / 2);
    expect(g.metrics["train/critic_lambda"]).toBeCloseTo(lambda, 5);
    expect(g.metrics["train/critic_q"]).toBeCloseTo((5.84 + 4.18) / 2, 5);
    expect(g.loss).toBeCloseTo((-lambda * (5.84 + 4.18)) / 2, 5);
    // dLoss/dmu = -lambda / B * dQ/da inside the box.
    const expected = [(-lambda / 2) * 2, (-lambda / 2) * -2 * 0.4, 0, (-lambda / 2) * -1 * 0.6];
    for (let i = 0; i < 4; i++) expect(g.dOut[i]).toBeCloseTo(expected[i]!, 5);
  });

  it("weights rows as the registry losses do, and matches finite differences at fixed lambda", () => {
    const weights = Float32Array.of(0.5, 1.5);
    const g = criticGuideObjective(toyCritic, obs, mean, 2, box, 1, weights);
    const lambda = g.metrics["train/critic_lambda"]!;
    // The term at lambda frozen (lambda is a constant of the step, as in TD3+BC).
    const at = (m: Float32Array) => {
      const r = criticGuideObjective(toyCritic, obs, m, 2, box, 1, weights);
      return (r.loss / r.metrics["train/critic_lambda"]!) * lambda;
    };
    const h = 1e-3;
    for (let i = 0; i < 4; i++) {
      const up = Float32Array.from(mean);
      const down = Float32Array.from(mean);
      up[i] = up[i]! + h;
      down[i] = down[i]! - h;
      expect(g.dOut[i]).toBeCloseTo((at(up) - at(down)) / (2 * h), 3);
    }
    expect(g.dOut[0]).toBeCloseTo(((-lambda * 0.5) / 2) * 2, 5); // w_b / B with B = 2
  });
});

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
