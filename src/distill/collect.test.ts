import { describe, expect, it } from "vitest";
import type { Policy } from "../core/policy.js";
import { Rng } from "../core/rng.js";
import { DistillBuffer } from "./buffer.js";
import { Collector, type CollectorMode } from "./collect.js";
import { EnsembleTeacher } from "./teachers/ensemble.js";
import { LineWorld, lineTeacher } from "./testing/fakes.js";

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
