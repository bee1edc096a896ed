import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadPolicy } from "../nn/checkpoint.js";
import type { DistillConfig } from "./config.js";
import { distill } from "./distill.js";
import { LineWorld, lineTeacher } from "./testing/fakes.js";

const root = mkdtempSync(join(tmpdir(), "rldistill-resume-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const small: Partial<DistillConfig> = {
  env: "LineWorld-v0",
  steps: 2000,
  numEnvs: 4,
  rolloutSteps: 25,
  student: [8],
  evalEvery: 0.25,
  evalEpisodes: 2,
  finalEpisodes: 4,
  similarityStates: 200,
  trainRatio: 0.25,
  batchSize: 64,
  learningRate: 3e-3,
};
const fakes = () => ({ teacher: lineTeacher(), makeEnv: () => new LineWorld() });
const json = (path: string) => JSON.parse(readFileSync(path, "utf8"));
const loggedSteps = (dir: string) =>
  readFileSync(join(dir, "progress.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l).step as number);

function errorOf(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error("expected an error");
    },
    (e: Error) => e,
  );
}

describe("distill --resume: exact bookkeeping, warm learner", () => {
  it("continues an interrupted run: settings back, logs cut to the student's step, time cumulative", async () => {
    const out = join(root, "run");
    let rounds = 0;
    const first = await distill({ ...small, out }, { ...fakes(), shouldStop: () => rounds++ >= 9 });
    expect(first.summary.interrupted).toBe(true);
    // The student on disk is the one of the stop (saved with its step), even between evaluations.
    const step = Number(loadPolicy(join(out, "student.rldistill")).meta.step);
    expect(step).toBe(first.summary.steps);
    // Rows past the student (as a SIGKILL between a dump and the next save would leave) are cut.
    writeFileSync(
      join(out, "progress.jsonl"),
      `${readFileSync(join(out, "progress.jsonl"), "utf8")}{"step":999999}\n`,
    );
    const lines: string[] = [];
    const second = await distill(
      { out, evalEpisodes: 3 },
      { ...fakes(), resume: true, print: (l) => lines.push(l) },
    );
    expect(lines.join("\n")).toMatch(/note: progress\.jsonl: removed 1 row\(s\) after step \d+/);
    expect(lines.join("\n")).toMatch(
      new RegExp(`note: resuming from student\\.rldistill at step ${step} of 2000 \\(warm:`),
    );
    expect(second.summary).toMatchObject({ interrupted: false, resumed_from_step: step });
    expect(second.summary.steps).toBeGreaterThanOrEqual(2000);
    expect(second.summary.wall_seconds).toBeGreaterThan(first.summary.wall_seconds);
    expect(second.summary.checkpoints.map((c) => c.progress)).toEqual([0.25, 0.5, 0.75, 1]);
    const steps = loggedSteps(out);
    // Never back: a resume that replayed rows would step back (a round and its evaluation share a step).
    expect(steps.every((s, i) => i === 0 || s >= steps[i - 1]!)).toBe(true);
    expect(steps.at(-1)).toBe(second.summary.steps);
    const config = json(join(out, "config.json"));
    expect(config.evalEpisodes).toBe(3);
    expect(config.resumes).toEqual([
      { from_step: step, changed: { evalEpisodes: [2, 3] }, restarted: expect.stringMatching(/optimizer/) },
    ]);
    expect(second.summary.agreement).toBeGreaterThan(0.8);
  });

  it("refuses a finished run unless more steps are asked for, and a change it cannot apply", async () => {
    const out = join(root, "done");
    await distill({ ...small, steps: 800, evalEvery: 0.5, out }, fakes());
    expect((await errorOf(distill({ out }, { ...fakes(), resume: true }))).message).toMatch(
      /--resume: .*done has finished its 800 steps; to train further pass --timesteps N with N > \d+/,
    );
    expect((await errorOf(distill({ out, student: [16] }, { ...fakes(), resume: true }))).message).toMatch(
      /distill\.student: a resumed run keeps its student \(\[8\]\); to use \[16\] start a new run \(--overwrite\)/,
    );
    const more = await distill({ out, steps: 1600 }, { ...fakes(), resume: true });
    expect(more.summary.steps).toBeGreaterThanOrEqual(1600);
    expect(json(join(out, "config.json")).resumes[0].changed).toEqual({ steps: [800, 1600] });
  });

  it("nothing to resume: says why", async () => {
    const out = join(root, "empty");
    let rounds = 0;
    await expect(
      distill({ ...small, out }, { ...fakes(), shouldStop: () => rounds++ >= 0 }),
    ).resolves.toBeDefined();
    rmSync(join(out, "student.rldistill"));
    expect((await errorOf(distill({ out }, { ...fakes(), resume: true }))).message).toMatch(
      /nothing to resume in .*empty: no student\.rldistill \(the run stopped before its first save\); start again with --overwrite/,
    );
    expect(
      (await errorOf(distill({ out: join(root, "none") }, { ...fakes(), resume: true }))).message,
    ).toMatch(/--resume: .*none holds no run to resume \(no config\.json\)/);
  });
});
