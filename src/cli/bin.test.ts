import { accessSync, constants, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

// `npm ci` builds dist/ (the `prepare` script). npx runs the package's bin by its path once npm's
// view of node_modules is stale (after a test run writes its cache there), so the built entry must
// carry its own execute bit: without it, `npx rldistill` fails with "Permission denied".
describe("the rldistill bin", () => {
  it("is the built CLI entry, with a node shebang and the execute bit", () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as { bin: Record<string, string> };
    const entry = `${root}${pkg.bin.rldistill}`;
    expect(readFileSync(entry, "utf8").startsWith("#!/usr/bin/env node")).toBe(true);
    expect(() => accessSync(entry, constants.X_OK)).not.toThrow();
  });
});
