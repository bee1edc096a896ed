/**
 * `rldistill report RUN_DIR...`: one self-contained HTML report (and a Markdown summary beside
 * it) of one or more run folders written by `train`, `distill` or `eval`.
 */
import { join } from "node:path";
import { ConfigError } from "../core/errors.js";
import { writeReport } from "../report/write.js";
import { type Command, type FlagSpecs, formatFlags, parseArgs } from "./args.js";

const flags: FlagSpecs = {
  out: { type: "string", help: "the HTML file to write", defaultText: "<first run>/report.html" },
  title: { type: "string", help: "page title", defaultText: "rldistill report" },
  help: { type: "boolean", help: "show this help" },
};

export const reportCommand: Command = {
  name: "report",
  summary: "write an HTML report (with charts) and a Markdown summary of run folders",
  usage: () =>
    `Usage: rldistill report RUN_DIR [RUN_DIR ...] [--out FILE.html]\n\nSeveral run folders are compared side by side.\n\n${formatFlags(flags)}`,
  async run(argv) {
    const { flags: f, positionals } = parseArgs(argv, flags);
    if (f.help) {
      console.log(this.usage());
      return 0;
    }
    if (!positionals.length) throw new ConfigError("RUN_DIR", "give at least one run folder");
    const out = (f.out as string | undefined) ?? join(positionals[0]!, "report.html");
    const written = writeReport(positionals, out, { title: f.title as string | undefined });
    console.log(`report:  ${written.html}\nsummary: ${written.markdown}`);
    return 0;
  },
};
