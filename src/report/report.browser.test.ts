/**
 * Opens a generated report in Chromium (Debian's /usr/bin/chromium through playwright-core) and
 * checks what a reader sees: every chart rendered (an SVG with data paths, the point count the
 * chart script reported), folded charts too; the episode GIFs loaded (naturalWidth > 0), teacher
 * and student side by side; two compared runs drawn apart (colour, dash, width); no console
 * errors and no network requests. Saves test-output/report.png to look at.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { Policy } from "../core/policy.js";
import { recordEpisodes } from "../eval/record.js";
import { chromiumAvailable, launchChromium } from "../testing/chromium.js";
import { loadRuns } from "./load.js";
import { buildModel } from "./model.js";
import { writeDistillRun, writeTrainRun } from "./synthetic-runs.js";
import { writeReport } from "./write.js";

const available = chromiumAvailable("report browser test");

const tmp = mkdtempSync(join(tmpdir(), "rldistill-report-browser-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const balance: Policy = {
  act: (o: Float32Array) => (o[2]! + 0.5 * o[3]! + 0.01 * o[0]! + 0.1 * o[1]! > 0 ? 1 : 0),
};
const wobbly: Policy = { act: (o: Float32Array) => (o[2]! + 0.1 * o[3]! > 0 ? 1 : 0) };

describe.skipIf(!available)("HTML report in Chromium", () => {
  it("renders every chart and both GIFs side by side, keeps runs apart, without errors or requests", async () => {
    const runs = [
      writeTrainRun(join(tmp, "ppo-seed0")),
      writeTrainRun(join(tmp, "ppo-seed1"), { jitter: 1, seed: 1 }),
      writeDistillRun(join(tmp, "distill-16x16"), {
        videos: {
          teacher: recordEpisodes(balance, "CartPole-v1", { seed: 0, maxFrames: 40 }).gif,
          student: recordEpisodes(wobbly, "CartPole-v1", { seed: 0, maxFrames: 40 }).gif,
        },
      }),
    ];
    const expectedCharts = (() => {
      let n = 0;
      const count = (blocks: ReturnType<typeof buildModel>["sections"][number]["blocks"]): void => {
        for (const b of blocks) {
          if (b.kind === "charts") n += b.charts.length;
          if (b.kind === "details") count(b.blocks);
        }
      };
      for (const s of buildModel(loadRuns(runs)).sections) count(s.blocks);
      return n;
    })();
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
        if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) requests.push(r.url());
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
          svgs: el.querySelectorAll("svg.chart-svg").length,
          paths: [...el.querySelectorAll("path.series")].filter((p) => (p.getAttribute("d") ?? "").length > 2)
            .length,
          folded: el.closest("details") !== null,
        })),
      );
      // 4 train keys + 2 distill keys + a schedule, 3 checkpoint and 3 robustness charts, and
      // 4 bookkeeping charts folded under "All metrics".
      expect(expectedCharts).toBe(17);
      expect(charts.length).toBe(expectedCharts);
      expect(charts.filter((c) => c.folded).length).toBe(4);
      for (const c of charts) {
        expect(c, `chart ${c.id}`).toMatchObject({ rendered: "true", svgs: 1 });
        expect(c.paths, `chart ${c.id} data paths`).toBeGreaterThanOrEqual(1);
        expect(c.points, `chart ${c.id} points`).toBeGreaterThan(0);
      }

      // The GIFs load, and sit side by side: same top, the student right of the teacher.
      await page.waitForFunction(() => [...document.images].every((i) => i.complete));
      const images = await page.$$eval("img", (els) =>
        els.map((i) => ({
          alt: i.alt,
          natural: (i as HTMLImageElement).naturalWidth,
          src: i.src.slice(0, 22),
        })),
      );
      expect(images).toEqual([
        { alt: "teacher episode", natural: 600, src: "data:image/gif;base64," },
        { alt: "student episode", natural: 600, src: "data:image/gif;base64," },
      ]);
      const teacher = (await page.locator('figure[data-policy="teacher"]').boundingBox())!;
      const student = (await page.locator('figure[data-policy="student"]').boundingBox())!;
      expect(Math.abs(teacher.y - student.y)).toBeLessThan(2);
      expect(student.x).toBeGreaterThanOrEqual(teacher.x + teacher.width);
      expect(teacher.width).toBeGreaterThan(300);
      // The headline panel comes first and has its five figures.
      expect(await page.locator("section").first().getAttribute("id")).toBe("headline");
      expect(await page.locator(".headline .figure").count()).toBe(5);

      // Two compared runs stay apart: colours, dashes and widths differ, the first drawn wider.
      const returns = await page.$$eval("[data-chart]", (els) =>
        els
          .filter((el) => el.closest(".card")?.querySelector("h4")?.textContent === "rollout/ep_rew_mean")
          .flatMap((el) =>
            [...el.querySelectorAll("path.series")].map((p) => ({
              stroke: p.getAttribute("stroke"),
              dash: p.getAttribute("stroke-dasharray"),
              width: Number(p.getAttribute("stroke-width")),
              name: p.getAttribute("data-series"),
            })),
          ),
      );
      expect(returns.map((r) => r.name)).toEqual(["ppo-seed0", "ppo-seed1"]);
      expect(returns[0]!.stroke).not.toBe(returns[1]!.stroke);
      expect(returns[0]!.dash).toBeNull();
      expect(returns[1]!.dash).not.toBeNull();
      expect(returns[0]!.width).toBeGreaterThan(returns[1]!.width);
      expect(
        await page.locator(".card", { hasText: "rollout/ep_rew_mean" }).locator(".runs-of").textContent(),
      ).toBe("runs: ppo-seed0, ppo-seed1");

      // Opening "All metrics" redraws its charts at their real width.
      await page.locator("details.fold > summary").click();
      await page.waitForFunction(() => {
        const svg = document.querySelector("details.fold [data-chart] svg");
        return (
          svg !== null && Number(svg.getAttribute("width")) > 300 && Number(svg.getAttribute("width")) !== 560
        );
      });

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
