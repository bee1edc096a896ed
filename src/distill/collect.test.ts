import { describe, expect, it } from "vitest";
import type { Policy } from "../core/policy.js";
import { Rng } from "../core/rng.js";
import { Box, Discrete } from "../core/spaces.js";
import { DistillBuffer } from "./buffer.js";
import { Collector, type CollectorMode, checkCollectNoise } from "./collect.js";
import { EnsembleTeacher } from "./teachers/ensemble.js";
import { LineWorld, lineGaussianTeacher, lineTeacher } from "./testing/fakes.js";

/** A student that always pushes right: it drifts off the line, unlike the teacher. */
const alwaysRight: Policy = { act: () => 1 };

async function run(mode: CollectorMode, seed = 0, beta = 1) {
  const teacher = lineTeacher();
  const buffer = new DistillBuffer({ capacity: 1000, obsSize: 2, actionSize: 2, transitions: true });
  const c = new Collector({
    envs: [new LineWorld(), new LineWorld()],
    teacher,
    student: alwaysRight,
    mode,
    rng: new Rng(seed),
    seed,
  });
  const stats = await c.collect(100, buffer, beta);
  return { stats, buffer };
}

describe("Collector", () => {
  it("teacher-driven: the teacher acts and labels; episodes run to the time limit", async () => {
    const { stats, buffer } = await run("teacher");
    expect(stats.steps).toBe(200);
    expect(buffer.size).toBe(200);
    expect(stats.teacherActed).toBe(1);
    expect(stats.episodeLengths.every((l) => l === 50)).toBe(true);
    expect(Math.min(...stats.episodeReturns)).toBeGreaterThan(40);
  });

  it("student-driven (DAgger): the student acts, the teacher still labels every state", async () => {
    const { stats, buffer } = await run("student");
    expect(stats.teacherActed).toBe(0);
    const s = buffer.gather(Int32Array.from({ length: buffer.size }, (_, i) => i));
    // Student pushes right: all actions 1; the teacher says "left" wherever x > 0.
    expect(s.actions!.every((a) => a === 1)).toBe(true);
    let disagree = 0;
    for (let i = 0; i < s.n; i++)
      if (s.obs[2 * i]! > 0.05 && s.teacherOut[2 * i]! > s.teacherOut[2 * i + 1]!) disagree++;
    expect(disagree).toBeGreaterThan(50);
    expect(stats.episodeLengths.some((l) => l < 50)).toBe(true); // drifts off the line and terminates
  });

  it("mixed: the teacher acts with probability beta", async () => {
    const { stats } = await run("mixed", 0, 0.3);
    expect(stats.teacherActed).toBeGreaterThan(0.22);
    expect(stats.teacherActed).toBeLessThan(0.38);
  });

  it("is deterministic for a seed", async () => {
    const a = await run("mixed", 5, 0.5);
    const b = await run("mixed", 5, 0.5);
    const c = await run("mixed", 6, 0.5);
    const all = (x: typeof a) =>
      Array.from(x.buffer.gather(Int32Array.from({ length: 200 }, (_, i) => i)).obs);
    expect(all(a)).toEqual(all(b));
    expect(all(a)).not.toEqual(all(c));
  });

  it("multi-task: each env's states are labelled by the teacher of its task", async () => {
    const a = lineTeacher({ k: 1, name: "a" });
    const b = lineTeacher({ k: 5, name: "b" });
    const buffer = new DistillBuffer({ capacity: 100, obsSize: 2, actionSize: 2 });
    const c = new Collector({
      envs: [new LineWorld(), new LineWorld()],
      teacher: new EnsembleTeacher([a, b], "route"),
      mode: "teacher",
      rng: new Rng(0),
      seed: 0,
      taskIds: [0, 1],
    });
    await c.collect(10, buffer);
    const s = buffer.gather(Int32Array.from({ length: 20 }, (_, i) => i));
    for (let i = 0; i < 20; i++) {
      const ref = (s.taskIds[i] === 0 ? a : b).predictSync(s.obs.subarray(2 * i, 2 * i + 2), 1).outputs;
      expect(s.teacherOut[2 * i]).toBeCloseTo(ref[0]!, 6);
    }
    expect(Array.from(s.taskIds.subarray(0, 4))).toEqual([0, 1, 0, 1]);
  });

  it("needs a student outside teacher mode", () => {
    expect(
      () =>
        new Collector({
          envs: [new LineWorld()],
          teacher: lineTeacher(),
          mode: "student",
          rng: new Rng(0),
          seed: 0,
        }),
    ).toThrow(/needs a student/);
  });
});

describe("Collector action noise (DART)", () => {
  async function noisy(seed: number, noise: number, mode: CollectorMode = "teacher") {
    const teacher = lineGaussianTeacher();
    const buffer = new DistillBuffer({ capacity: 1000, obsSize: 2, actionSize: 1, transitions: true });
    const c = new Collector({
      envs: [new LineWorld({ continuous: true }), new LineWorld({ continuous: true })],
      teacher,
      // A student that pushes right at half strength, so its noisy actions are told from the teacher's.
      student: { act: () => Float32Array.of(0.5) },
      mode,
      rng: new Rng(seed),
      seed,
      teacherDeterministic: true,
    });
    const stats = await c.collect(60, buffer, 1, undefined, noise);
    const s = buffer.gather(Int32Array.from({ length: buffer.size }, (_, i) => i));
    return { stats, s, teacher };
  }

  it("executes the actor's action plus the seeded noise, clipped to the box; stores the teacher's un-noised mean", async () => {
    const noise = 0.4;
    const { s, teacher } = await noisy(3, noise);
    // A greedy teacher in teacher mode draws nothing else: the collector's generator gives exactly
    // one normal per step, env and action dimension (the box is [-1, 1], half-range 1).
    const rng = new Rng(3);
    const labels = await teacher.predict(s.obs, s.n);
    let clipped = 0;
    for (let i = 0; i < s.n; i++) {
      const mean = labels.outputs[i]!;
      expect(s.teacherOut[i]).toBeCloseTo(mean, 5); // the target is the teacher's, never the noisy action
      const raw = Math.fround(Math.min(Math.max(mean, -1), 1)) + noise * rng.normal();
      const expected = Math.min(Math.max(raw, -1), 1);
      if (raw !== expected) clipped++;
      expect(s.actions![i]).toBeCloseTo(expected, 5);
      expect(Math.abs(s.actions![i]!)).toBeLessThanOrEqual(1);
    }
    expect(clipped).toBeGreaterThan(0); // the known answer covers the clip, too
    const dev = Array.from(s.actions!, (a, i) => a - s.teacherOut[i]!);
    const sd = Math.sqrt(dev.reduce((a, d) => a + d * d, 0) / dev.length);
    expect(sd).toBeGreaterThan(0.25);
    expect(sd).toBeLessThan(0.45);
  });

  it("perturbs the student when it acts, and leaves the state labels to the teacher", async () => {
    const { s } = await noisy(4, 0.2, "student");
    const dev = Array.from(s.actions!, (a) => a - 0.5);
    expect(dev.some((d) => Math.abs(d) > 0.05)).toBe(true);
    const mean = dev.reduce((a, d) => a + d, 0) / dev.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    // The teacher pushes towards 0: where the student has pushed x well right, it says left.
    for (let i = 0; i < s.n; i++) if (s.obs[2 * i]! > 0.3) expect(s.teacherOut[i]).toBeLessThan(0);
  });

  it("is deterministic for a seed, and noise 0 changes nothing", async () => {
    const a = await noisy(7, 0.3);
    const b = await noisy(7, 0.3);
    const c = await noisy(8, 0.3);
    expect(Array.from(a.s.actions!)).toEqual(Array.from(b.s.actions!));
    expect(Array.from(a.s.obs)).toEqual(Array.from(b.s.obs));
    expect(Array.from(a.s.actions!)).not.toEqual(Array.from(c.s.actions!));
    const quiet = await noisy(7, 0);
    // Without noise the executed action is the teacher's mean clipped to the box.
    for (let i = 0; i < quiet.s.n; i++)
      expect(quiet.s.actions![i]).toBeCloseTo(Math.min(Math.max(quiet.s.teacherOut[i]!, -1), 1), 5);
  });

  it("refuses noise on a discrete action space or an unbounded box, naming the field", async () => {
    const c = new Collector({
      envs: [new LineWorld()],
      teacher: lineTeacher(),
      mode: "teacher",
      rng: new Rng(0),
      seed: 0,
    });
    await expect(c.collect(5, undefined, 1, undefined, 0.1)).rejects.toThrow(
      /collectNoise: applies to continuous \(Box\) action spaces only; this env's actions are Discrete: allowed: 0/,
    );
    expect(() => checkCollectNoise(new Box(-Infinity, 1, { shape: [2] }), 0.1)).toThrow(
      /collectNoise: needs finite action bounds.*dimension 0/,
    );
    expect(() => checkCollectNoise(new Discrete(2), 0)).not.toThrow();
  });
});

describe("Collector early restarts (resetProb)", () => {
  /** LineWorld that counts its resets and never hits its time limit. */
  class CountingLine extends LineWorld {
    resets = 0;
    override reset(opts = {}) {
      this.resets++;
      return super.reset(opts);
    }
  }

  async function restarting(seed: number, resetProb: number) {
    const envs = [new CountingLine(), new CountingLine()];
    for (const e of envs) e.maxSteps = 1e9;
    const buffer = new DistillBuffer({ capacity: 1000, obsSize: 2, actionSize: 2, transitions: true });
    const c = new Collector({
      envs,
      teacher: lineTeacher(),
      mode: "teacher",
      rng: new Rng(seed),
      seed,
      teacherDeterministic: true,
      resetProb,
    });
    let truncations = 0;
    const stats = await c.collect(200, buffer, 1, (step) => {
      for (const t of step.truncated) truncations += t;
    });
    return { envs, stats, buffer, truncations };
  }

  it("cuts a running episode exactly when the seeded draw falls under resetProb", async () => {
    const { envs, stats, buffer, truncations } = await restarting(5, 0.05);
    // The greedy teacher keeps x near 0 (no termination) and draws nothing: one draw per env step.
    const rng = new Rng(5);
    let cuts = 0;
    for (let i = 0; i < 400; i++) if (rng.random() < 0.05) cuts++;
    expect(cuts).toBeGreaterThan(8);
    expect(envs[0]!.resets + envs[1]!.resets).toBe(2 + cuts);
    expect(stats.episodeLengths).toEqual([]); // cut episodes are not reported as finished
    expect(buffer.size).toBe(400);
    const s = buffer.gather(Int32Array.from({ length: 400 }, (_, i) => i));
    expect(s.terminated!.every((t) => t === 0)).toBe(true); // a cut is a truncation
    expect(truncations).toBe(cuts); // and is reported as one to onStep
  });

  it("is deterministic, and 0 never resets", async () => {
    const a = await restarting(9, 0.1);
    const b = await restarting(9, 0.1);
    expect(a.envs.map((e) => e.resets)).toEqual(b.envs.map((e) => e.resets));
    const none = await restarting(9, 0);
    expect(none.envs.map((e) => e.resets)).toEqual([1, 1]);
  });

  it("refuses a probability outside [0, 1)", () => {
    expect(
      () =>
        new Collector({
          envs: [new LineWorld()],
          teacher: lineTeacher(),
          mode: "teacher",
          rng: new Rng(0),
          seed: 0,
          resetProb: 1,
        }),
    ).toThrow(/collectResetProb: must be in \[0, 1\)/);
  });
});
