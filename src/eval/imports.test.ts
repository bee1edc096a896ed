/**
 * Layering of src/eval (cli -> distill -> rl -> eval -> deploy -> nn/envs/report -> core): no
 * import runs back up, and deploy is imported only for the optional inference paths (ONNX export
 * and onnxruntime timing in inference-paths.ts). Sizes and efficiency figures are computed here
 * without deploy's quantization code; latency.test.ts checks them against deploy's actual bytes.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const dir = fileURLToPath(new URL(".", import.meta.url));
const sources = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter(
  (f) => f.endsWith(".ts") && !f.endsWith(".test.ts"),
);

/** The module specifiers a source file imports or re-exports (static and dynamic). */
function importsOf(file: string): string[] {
  const text = readFileSync(`${dir}/${file}`, "utf8");
  const found: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s[^;]*?from\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g))
    found.push((m[1] ?? m[2])!);
  return found;
}

describe("src/eval imports", () => {
  it("sees every source file of the area", () => {
    expect(sources).toContain("latency.ts");
    expect(sources).toContain("inference-paths.ts");
    expect(importsOf("inference-paths.ts")).toContain("../deploy/onnx-export.js");
  });

  it("nothing from the layers above; deploy only for the optional inference paths", () => {
    const offending: string[] = [];
    for (const file of sources) {
      for (const spec of importsOf(file)) {
        const area = /^\.\.\/([a-z-]+)\//.exec(spec)?.[1];
        if (area === "cli" || area === "distill" || area === "rl") offending.push(`${file} -> ${spec}`);
        if (area === "deploy" && file !== "inference-paths.ts") offending.push(`${file} -> ${spec}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
