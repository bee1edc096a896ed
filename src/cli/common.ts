/**
 * What several commands share: reading a --config file, writing a run's report atomically into
 * its (still locked) folder.
 */
import { readFileSync, renameSync, rmSync } from "node:fs";
import { ConfigError, describeValue } from "../core/errors.js";
import type { RunFolder } from "../core/run-dir.js";
// Imported up front, not on first use: a run interrupted by Ctrl-C still writes its report, and
// by then a terminal's SIGINT has also reached any helper process of the module loader (tsx's
// esbuild service in a source checkout), so a module first loaded after Ctrl-C could fail to load.
import { writeReport } from "../report/write.js";

/** A --config JSON file as an object of config fields; errors name --config and the problem. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ConfigError(
      "--config",
      `cannot read "${path}": ${e.code === "ENOENT" ? "no such file" : e.message}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError("--config", `${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(
      "--config",
      `${path} must hold a JSON object of config fields, got ${describeValue(value)}`,
    );
  }
  return value as Record<string, unknown>;
}

/**
 * Writes report.html and report.md into a run folder, each through a temporary file and a rename
 * (a report cut short by Ctrl-C or a full disk leaves the previous one, or none).
 */
export async function writeRunReport(folder: RunFolder, title: string): Promise<string> {
  // One turn of the event loop first: the saves before this are synchronous, so a second Ctrl-C
  // pressed while they ran is seen here (and exits at once) instead of after the report.
  await new Promise((resolve) => setImmediate(resolve));
  folder.writeWith(
    "report.html",
    (tmp) => {
      const markdown = `${tmp.slice(0, -".html".length)}.md`;
      try {
        writeReport([folder.dir], tmp, { title });
        renameSync(markdown, folder.path("report.md"));
      } finally {
        rmSync(markdown, { force: true });
      }
    },
    ".html",
  );
  return folder.path("report.html");
}
