/**
 * `rldistill report RUN_DIR...`: one self-contained HTML report (and a Markdown summary beside
 * it) of one or more run folders written by `train`, `distill` or `eval`.
 */
import { existsSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeViaTemp } from "../core/atomic-write.js";
import { ConfigError } from "../core/errors.js";
import { writeReport } from "../report/write.js";
import { type Command, type FlagSpecs, formatFlags, parseArgs, wantsHelp } from "./args.js";

const flags: FlagSpecs = {
  out: { type: "string", help: "the HTML file to write", defaultText: "<first run>/report.html" },
  title: { type: "string", help: "page title", defaultText: "rldistill report" },
  help: { type: "boolean", help: "show this help (-h)" },
};

function envOf(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const env = (JSON.parse(readFileSync(path, "utf8")) as { env?: unknown }).env;
    return typeof env === "string" ? env : undefined;
  } catch {
    return undefined; // the report's loader names an unreadable file itself
  }
}

/**
 * A run folder whose files describe different envs (an eval.json of Acrobot beside a CartPole
 * run) would make the report contradict itself: refused, naming both.
 */
export function checkRunFolder(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new ConfigError("RUN_DIR", `${dir} is not a folder`);
  const run = envOf(join(dir, "summary.json")) ?? envOf(join(dir, "config.json"));
  const evaluated = envOf(join(dir, "eval.json"));
  if (run !== undefined && evaluated !== undefined && run !== evaluated)
    throw new ConfigError(
      "RUN_DIR",
      `${dir}: its run is on ${run} but its eval.json evaluates ${evaluated}; re-run eval on ${run} or move eval.json`,
    );
}

function usage(): string {
  return `Usage: rldistill report RUN_DIR [RUN_DIR ...] [--out FILE.html]\n\nSeveral run folders are compared side by side.\n\n${formatFlags(flags)}`;
}

export const reportCommand: Command = {
  name: "report",
  summary: "write an HTML report (with charts) and a Markdown summary of run folders",
  usage,
  async run(argv) {
    if (wantsHelp(argv)) {
      console.log(usage());
      return 0;
    }
    const { flags: f, positionals } = parseArgs(argv, flags);
    if (!positionals.length) throw new ConfigError("RUN_DIR", "give at least one run folder");
    for (const dir of positionals) checkRunFolder(dir);
    const out = (f.out as string | undefined) ?? join(positionals[0]!, "report.html");
    if (!/\.html?$/i.test(out)) throw new ConfigError("--out", `must end in .html, got ${out}`);
    let markdown = "";
    // Through temporary files renamed into place: a report cut short leaves the previous one.
    writeViaTemp(
      out,
      (tmp) => {
        const written = writeReport(positionals, tmp, { title: f.title as string | undefined });
        markdown = out.replace(/\.html?$/i, ".md");
        try {
          renameSync(written.markdown, markdown);
        } finally {
          rmSync(written.markdown, { force: true });
        }
      },
      ".html",
    );
    console.log(`report:  ${out}\nsummary: ${markdown}`);
    return 0;
  },
};
