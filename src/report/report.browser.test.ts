/**
 * Opens a generated report in Chromium (Debian's /usr/bin/chromium through playwright-core) and
 * checks that every chart really rendered: an SVG with at least one data path, the point count
 * the chart script reported, and no console errors. Saves test-output/report.png to look at.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium } from "../testing/chromium.js";
import { writeDistillRun, writeTrainRun } from "./synthetic-runs.js";
import { writeReport } from "./write.js";

const available = chromiumAvailable("report browser test");

const tmp = mkdtempSync(join(tmpdir(), "rldistill-report-browser-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!available)("HTML report in Chromium", () => {
  it("renders every chart with data, without errors, and saves a screenshot", async () => {
    const runs = [
      writeTrainRun(join(tmp, "ppo-seed0")),
      writeTrainRun(join(tmp, "ppo-seed1"), { jitter: 1, seed: 1 }),
      writeDistillRun(join(tmp, "distill-16x16")),
    ];
    const { html } = writeReport(runs, join(tmp, "report.html"));
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
        if (!r.url().startsWith("file:")) requests.push(r.url());
      });
      await page.goto(pathToFileURL(html).href);
      await page.waitForFunction(
        () => document.querySelectorAll("[data-chart]:not([data-rendered])").length === 0,
      );

      const charts = await page.$$eval("[data-chart]", (els) =>
        els.map((el) => ({
          id: el.getAttribute("data-chart"),
          rendered: el.getAttribute("data-rendered"),
          points: Number(el.getAttribute("data-points")),
          svgs: el.querySelectorAll("svg").length,
          paths: [...el.querySelectorAll("path.series")].filter((p) => (p.getAttribute("d") ?? "").length > 2)
            .length,
        })),
      );
      // 4 training keys + 2 distill keys, 3 checkpoint charts, 3 robustness charts.
      expect(charts.length).toBe(13);
      for (const c of charts) {
        expect(c, `chart ${c.id}`).toMatchObject({ rendered: "true", svgs: 1 });
        expect(c.paths, `chart ${c.id} data paths`).toBeGreaterThanOrEqual(1);
        expect(c.points, `chart ${c.id} points`).toBeGreaterThan(0);
      }
      // The injected config string shows as text, not as a script.
      expect(await page.locator("td", { hasText: "<script>alert('x')</script>" }).count()).toBe(1);
      expect(problems).toEqual([]);
      expect(requests).toEqual([]);

      const out = resolve("test-output");
      mkdirSync(out, { recursive: true });
      await page.screenshot({ path: join(out, "report.png"), fullPage: true });
    } finally {
      await context.close();
    }
  });
});
