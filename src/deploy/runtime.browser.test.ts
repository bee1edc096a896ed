/**
 * The exported runtime in a real browser: the bundle is served from a loopback HTTP server on an
 * ephemeral port, Chromium (Debian's, through playwright-core) imports rldistill-policy.mjs and
 * loads the policy by URL, and its actions must equal Node's on the same observations.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { PolicySpec } from "../nn/spec.js";
import { chromiumAvailable, launchChromium } from "../testing/chromium.js";
import { exportRuntime, RUNTIME_FILES } from "./runtime-export.js";
import type { RuntimeModule } from "./runtime-source.js";
import { randomCnnSpec, randomMlpSpec, randomObservations } from "./test-util.js";

const available = chromiumAvailable("runtime browser test");

const tmp = mkdtempSync(join(tmpdir(), "rldistill-runtime-browser-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const TYPES: Record<string, string> = {
  mjs: "text/javascript",
  json: "application/json",
  bin: "application/octet-stream",
  html: "text/html",
};

function serve(root: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)));
    if (!path.startsWith(root) || !existsSync(path) || path.endsWith("/")) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.split(".").pop()!] ?? "application/octet-stream" });
    res.end(readFileSync(path));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const cases: Array<[string, PolicySpec, "float32" | "int8"]> = [
  [
    "mlp-tanh",
    randomMlpSpec({ obsSize: 4, hidden: [32, 32], actionSize: 2, obsNorm: true, seed: 1 }),
    "float32",
  ],
  [
    "mlp-relu-int8",
    randomMlpSpec({ obsSize: 6, hidden: [64, 64], actionSize: 3, activation: "relu", seed: 2 }),
    "int8",
  ],
  ["cnn", randomCnnSpec(3), "float32"],
  ["cnn-int8", randomCnnSpec(4), "int8"],
  [
    "continuous",
    randomMlpSpec({ obsSize: 5, hidden: [16], actionSize: 2, output: "mean", obsNorm: true, seed: 4 }),
    "float32",
  ],
];

describe.skipIf(!available)("standalone runtime in Chromium", () => {
  it("loads each policy by URL and acts exactly as in Node", async () => {
    for (const [name, spec, weights] of cases) await exportRuntime(spec, join(tmp, name), { weights });
    const server = await serve(tmp);
    const port = (server.address() as AddressInfo).port;
    const context = await launchChromium(join(tmp, ".profile"));
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${port}/${cases[0]![0]}/${RUNTIME_FILES.json}`);
      for (const [name, spec] of cases) {
        const size = spec.obsShape.reduce((a, b) => a * b, 1);
        const obs = randomObservations(20, 200, size);
        const rows = Array.from({ length: 200 }, (_, b) =>
          Array.from(obs.subarray(b * size, (b + 1) * size)),
        );
        // A string, not a function: vitest would rewrite a function's import() for Node.
        const script = `(async () => {
          const mod = await import("/${name}/${RUNTIME_FILES.module}");
          const policy = await mod.load("/${name}/"); // a relative URL, resolved against the page
          return ${JSON.stringify(rows)}.map((r) => {
            const a = policy.act(Float32Array.from(r));
            return typeof a === "number" ? a : Array.from(a);
          });
        })()`;
        const inBrowser = (await page.evaluate(script)) as Array<number | number[]>;
        const mod = (await import(
          pathToFileURL(join(tmp, name, RUNTIME_FILES.module)).href
        )) as RuntimeModule;
        const policy = await mod.load(join(tmp, name));
        const inNode = rows.map((r) => {
          const a = policy.act(Float32Array.from(r));
          return typeof a === "number" ? a : Array.from(a);
        });
        expect(inBrowser, name).toEqual(inNode);
        // Guard against a degenerate policy that always picks the same action.
        if (spec.output !== "mean") expect(new Set(inNode).size, name).toBeGreaterThan(1);
      }
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await new Promise((r) => server.close(r));
    }
  });
});
