import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { ConfigError } from "../core/errors.js";
import { decodeGif } from "../envs/render/testing/decode-gif.js";
import { evalCommand } from "./eval.js";
import { reportCommand } from "./report.js";

const teacher = new URL("../../models/cartpole-ppo.rldistill", import.meta.url).pathname;
const student = new URL("../../models/cartpole-dqn.rldistill", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "rldistill-eval-video-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("rldistill eval --video", () => {
  it("writes teacher.gif and student.gif beside eval.json, and the report shows them", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      const args = ["--model", student, "--teacher", teacher, "--episodes", "1", "--no-latency-paths"];
      expect(await evalCommand.run([...args, "--latency-iterations", "50", "--out", dir, "--video"])).toBe(0);
      const index = JSON.parse(readFileSync(join(dir, "videos.json"), "utf8"));
      expect(Object.keys(index.videos)).toEqual(["teacher", "student"]);
      expect(index.seed).toBe(0);
      for (const name of ["teacher", "student"]) {
        const gif = decodeGif(readFileSync(join(dir, `${name}.gif`)));
        expect([gif.width, gif.height]).toEqual([600, 400]);
        expect(gif.frames.length).toBe(index.videos[name].frames);
      }
      const printed = log.mock.calls.map((c) => String(c[0])).join("\n");
      expect(printed).toMatch(/wrote .*teacher\.gif \(\d+ bytes\), .*student\.gif/);

      const out = join(dir, "report.html");
      expect(await reportCommand.run([dir, "--out", out])).toBe(0);
      const html = readFileSync(out, "utf8");
      expect(html.match(/<img src="data:image\/gif;base64,/g)).toHaveLength(2);
      expect(html).toContain('<section id="headline">');
    } finally {
      log.mockRestore();
    }
  });

  it("needs --out, and says so before evaluating anything", async () => {
    const run = evalCommand.run(["--model", teacher, "--video"]);
    await expect(run).rejects.toThrow(ConfigError);
    await expect(evalCommand.run(["--model", teacher, "--video"])).rejects.toThrow(/--video.*--out DIR/);
    expect(existsSync(join(dir, "model.gif"))).toBe(false);
  });

  it("--no-video is the default said out loud, and contradicts --video", async () => {
    await expect(
      evalCommand.run(["--model", teacher, "--video", "--no-video", "--out", dir]),
    ).rejects.toThrow(/--no-video: contradicts --video/);
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      expect(await evalCommand.run(["--help"])).toBe(0);
      expect(log.mock.calls.map((c) => String(c[0])).join("\n")).toMatch(/--no-video\s+write no GIFs/);
    } finally {
      log.mockRestore();
    }
  });
});
