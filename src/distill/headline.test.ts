/**
 * The end-of-run measurement: a short CartPole distillation from the shipped PPO teacher writes
 * headline.json with every figure the report opens with, and teacher.gif / student.gif of the same
 * episode; `video: false` and an env that cannot render write no GIF and say why.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeGif } from "../envs/render/testing/decode-gif.js";
import type { PolicyVideos } from "../eval/record.js";
import type { DistillConfig } from "./config.js";
import { distill } from "./distill.js";
import { HEADLINE_FILE, type RunHeadline } from "./headline.js";
import { LineWorld, lineTeacher } from "./testing/fakes.js";

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), "rldistill-headline-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const cartpole: Partial<DistillConfig> = {
  teachers: ["models/cartpole-ppo.rldistill"],
  env: "CartPole-v1",
  student: [16, 16],
  steps: 1024,
  numEnvs: 4,
  evalEvery: 1,
  evalEpisodes: 1,
  finalEpisodes: 1,
  similarityStates: 200,
};

const read = (dir: string): RunHeadline => JSON.parse(readFileSync(join(dir, HEADLINE_FILE), "utf8"));
const readVideos = (dir: string): PolicyVideos => JSON.parse(readFileSync(join(dir, "videos.json"), "utf8"));

describe("headline.json at the end of a distillation run", () => {
  it("has sizes, FLOPs, bytes and same-path latency of both networks, and both GIFs", async () => {
    const out = tmp();
    const lines: string[] = [];
    const { summary } = await distill({ ...cartpole, out, seed: 2 }, { print: (l) => lines.push(l) });
    const h = read(out);
    for (const role of ["teacher", "student"] as const) {
      const c = h[role];
      for (const k of ["params", "flops_per_action", "bytes_float32", "bytes_int8", "p50_us"] as const)
        expect(c[k], `${role}.${k}`).toBeGreaterThan(0);
      expect(c.bytes_float32).toBe(4 * c.params);
      expect(c.bytes_int8!).toBeLessThan(c.bytes_float32!);
    }
    expect(h.teacher.params).toBe(summary.teacher.params);
    expect(h.student.params).toBe(summary.student.params);
    expect(h.size_ratio).toBeCloseTo(summary.student.params / summary.teacher.params, 12);
    expect(h.speedup).toBeCloseTo(h.teacher.p50_us! / h.student.p50_us!, 12);
    expect(h.latency.path).toMatch(/compileSpec act\(\), batch 1/);
    expect(h.retention).toBe(summary.retention);
    expect(h.agreement).toBe(summary.agreement);
    const v = readVideos(out);
    expect(v.skipped).toBeNull();
    expect(Object.keys(v.videos)).toEqual(["teacher", "student"]);
    for (const [name, v] of Object.entries(readVideos(out).videos)) {
      const bytes = readFileSync(join(out, v.file));
      expect(v.file).toBe(`${name}.gif`);
      expect(bytes.length).toBe(v.bytes);
      const gif = decodeGif(bytes);
      expect([gif.width, gif.height, gif.frames.length]).toEqual([600, 400, v.frames]);
      expect(v.frames).toBeLessThanOrEqual(100);
    }
    // The shipped teacher balances: its GIF is the first final-evaluation episode, 500 steps.
    expect(v.videos["teacher"]!.lengths).toEqual([500]);
    expect(lines.at(-1)).toMatch(/^headline: student \d+ vs \d+ parameters .*teacher\.gif .*student\.gif/);
  });

  it("video: false, or an env that cannot render, writes no GIF and says why", async () => {
    const off = tmp();
    await distill({ ...cartpole, steps: 512, out: off, video: false });
    expect(readVideos(off)).toMatchObject({ videos: {}, skipped: "video is off (video: false)" });
    expect(read(off).student.p50_us).toBeGreaterThan(0);
    expect(existsSync(join(off, "teacher.gif"))).toBe(false);

    const line = tmp();
    await distill(
      {
        env: "LineWorld-v0",
        steps: 400,
        numEnvs: 2,
        rolloutSteps: 20,
        student: [4],
        finalEpisodes: 2,
        similarityStates: 50,
        out: line,
      },
      { teacher: lineTeacher(), makeEnv: () => new LineWorld() },
    );
    expect(readVideos(line).videos).toEqual({});
    expect(readVideos(line).skipped).toMatch(/cannot render/);
    expect(read(line).teacher.p50_us).toBeGreaterThan(0);
  });
});
