/**
 * A MinAtar run's report in Chromium, end to end: `rldistill distill` of the shipped Breakout
 * teacher (models/minatar-breakout-ppo.rldistill) into a small conv student on a tiny budget, then
 * its report.html opened in Debian's Chromium (src/testing/chromium.ts). Checks what a reader sees:
 * the teacher's and the student's episode GIFs load (natural size 160 x 160, MinAtar's 10 x 10 grid
 * at 16 px a cell), show the game (several colours on the first frame, not a blank image), are
 * enlarged with hard edges, and sit side by side; no console errors and no network requests.
 * Saves test-output/minatar-report.png to look at.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";
import { distillCommand } from "../../src/cli/distill.js";
import { chromiumAvailable, launchChromium } from "../../src/testing/chromium.js";

const available = chromiumAvailable("MinAtar report browser test");
const teacher = new URL("../../models/minatar-breakout-ppo.rldistill", import.meta.url).pathname;

const tmp = mkdtempSync(join(tmpdir(), "rldistill-minatar-report-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!available)("a MinAtar run's report in Chromium", () => {
  it("shows the teacher's and the student's Breakout GIFs side by side, loaded", async () => {
    const run = join(tmp, "breakout");
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      const args = ["--teacher", teacher, "--env", "MinAtar/Breakout-v1", "--student", "conv4x3,fc16"];
      const budget = ["--timesteps", "512", "--set", "evalEpisodes=1", "--set", "finalEpisodes=2"];
      const code = await distillCommand.run([
        ...args,
        ...budget,
        "--set",
        "similarityStates=100",
        "--out",
        run,
      ]);
      expect(code).toBe(0);
    } finally {
      log.mockRestore();
    }
    const index = JSON.parse(readFileSync(join(run, "videos.json"), "utf8"));
    expect(index.skipped).toBeNull();
    expect(Object.keys(index.videos)).toEqual(["teacher", "student"]);

    const context = await launchChromium(join(tmp, "profile"), { viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") problems.push(`console.${m.type()}: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
      page.on("request", (r) => {
        if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) requests.push(r.url());
      });
      await page.goto(pathToFileURL(join(run, "report.html")).href);
      await page.waitForFunction(() => [...document.images].every((i) => i.complete));

      // Every image of the page is one of the two GIFs; each decoded, and its first frame drawn
      // into a canvas shows the game: at least three colours (black background, paddle, bricks).
      const images = await page.$$eval("img", (els) =>
        els.map((el) => {
          const img = el as HTMLImageElement;
          const canvas = document.createElement("canvas");
          canvas.width = img.naturalWidth;
          canvas.height = img.naturalHeight;
          const ctx = canvas.getContext("2d")!;
          ctx.drawImage(img, 0, 0);
          const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
          const colours = new Set<number>();
          for (let i = 0; i < data.length; i += 4)
            colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
          return {
            alt: img.alt,
            src: img.src.slice(0, 22),
            natural: [img.naturalWidth, img.naturalHeight],
            shown: [img.clientWidth, img.clientHeight],
            rendering: getComputedStyle(img).imageRendering,
            colours: colours.size,
          };
        }),
      );
      expect(images.map(({ colours, ...rest }) => rest)).toEqual(
        ["teacher", "student"].map((name) => ({
          alt: `${name} episode`,
          src: "data:image/gif;base64,",
          natural: [160, 160],
          shown: [320, 320],
          rendering: "pixelated",
        })),
      );
      for (const img of images) expect(img.colours, img.alt).toBeGreaterThanOrEqual(3);

      // Side by side: same top, the student right of the teacher, both inside the viewport's width.
      const teacherBox = (await page.locator('figure[data-policy="teacher"]').boundingBox())!;
      const studentBox = (await page.locator('figure[data-policy="student"]').boundingBox())!;
      expect(Math.abs(teacherBox.y - studentBox.y)).toBeLessThan(2);
      expect(studentBox.x).toBeGreaterThanOrEqual(teacherBox.x + teacherBox.width);
      expect(studentBox.x + studentBox.width).toBeLessThanOrEqual(1280);
      expect(await page.locator("section").first().getAttribute("id")).toBe("headline");
      expect(problems).toEqual([]);
      expect(requests).toEqual([]);

      const out = resolve("test-output");
      mkdirSync(out, { recursive: true });
      await page.screenshot({ path: join(out, "minatar-report.png"), fullPage: true });
    } finally {
      await context.close();
    }
  });
});
