/**
 * Corrupt, truncated and wrong-version inputs, for every command that reads one: one line naming
 * the file and what is wrong, exit code 2, and no run folder started for a run that cannot begin.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";
import { checkRunFolder } from "./folder-check.js";

const root = mkdtempSync(join(tmpdir(), "rldistill-fault-in-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const GOOD = "models/cartpole-ppo.rldistill";
const bytes = readFileSync(GOOD);

/** The three damaged versions of a good file. */
function damaged(): Array<[string, string, RegExp]> {
  const flip = Buffer.from(bytes);
  flip[flip.length - 10] = flip[flip.length - 10]! ^ 0xff; // one byte of tensor data
  const version = Buffer.from(bytes);
  version.writeUInt32LE(99, 8); // format version 99, from a future rldistill
  const out: Array<[string, string, RegExp]> = [];
  for (const [name, data, re] of [
    ["corrupt", flip, /corrupt tensor data: CRC-32 mismatch/],
    [
      "truncated",
      bytes.subarray(0, bytes.length - 100),
      /truncated: the data needs \d+ bytes, the file has \d+/,
    ],
    [
      "future",
      version,
      /artifact format version 99; this rldistill \(.*\) reads up to \d+: upgrade rldistill/,
    ],
  ] as const) {
    const path = join(root, `${name}.rldistill`);
    writeFileSync(path, data);
    out.push([name, path, re]);
  }
  return out;
}

async function run(argv: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const e = vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  const o = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    return { code: await main(argv), err: err.join("\n") };
  } finally {
    e.mockRestore();
    o.mockRestore();
  }
}

function refused(r: { code: number; err: string }, file: string, re: RegExp): void {
  expect(r.code, r.err).toBe(2);
  expect(r.err.split("\n")).toHaveLength(1);
  expect(r.err).toMatch(re);
  expect(r.err.split(file).length - 1, r.err).toBe(1); // the file named, once
}

describe("damaged inputs are refused in one line", () => {
  it("eval, export and distill read a model or teacher", async () => {
    for (const [name, path, re] of damaged()) {
      refused(await run(["eval", "--model", path, "--episodes", "1", "--no-latency-paths"]), path, re);
      refused(
        await run(["export", "--model", path, "--format", "onnx", "--out", join(root, `${name}.onnx`)]),
        path,
        re,
      );
      expect(existsSync(join(root, `${name}.onnx`))).toBe(false);
      const out = join(root, `distill-${name}`);
      refused(await run(["distill", "--teacher", path, "--env", "CartPole-v1", "--out", out]), path, re);
      expect(existsSync(out)).toBe(false);
    }
  });

  it("--resume of a folder whose files are damaged", async () => {
    // A train folder whose only model is damaged, and one whose config.json is not JSON.
    for (const [name, path] of damaged()) {
      const dir = join(root, `resume-${name}`);
      mkdirSync(dir);
      writeFileSync(
        join(dir, "config.json"),
        JSON.stringify({ algo: "ppo", env: "CartPole-v1", seed: 0, timesteps: 100, config: {} }),
      );
      copyFileSync(path, join(dir, "model.rldistill"));
      const r = await run(["train", "--resume", dir]);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(
        /--resume: nothing to resume in .*: no loadable model\.rldistill or checkpoint \(model\.rldistill: /,
      );
      // The damaged model is left as it was (for the user to look at); nothing else was written.
      expect(checkRunFolder(dir)).toEqual([expect.stringMatching(/^model\.rldistill: does not load/)]);
    }
    const bad = join(root, "bad-config");
    mkdirSync(bad);
    writeFileSync(join(bad, "config.json"), "{ not json");
    const r = await run(["train", "--resume", bad]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--resume: cannot read .*bad-config\/config\.json: /);
    const d = await run(["distill", "--resume", bad]);
    expect(d.code).toBe(2);
    expect(d.err).toMatch(/bad-config\/config\.json/);
  });

  it("report of a folder whose summary is not JSON, or whose eval is of another env", async () => {
    const dir = join(root, "report");
    mkdirSync(dir);
    writeFileSync(join(dir, "summary.json"), '{"env": "CartPole-v1", "algo": "ppo"');
    const r = await run(["report", dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/summary\.json is not valid JSON/);
    writeFileSync(join(dir, "summary.json"), '{"env": "CartPole-v1", "algo": "ppo"}');
    writeFileSync(join(dir, "eval.json"), '{"env": "Acrobot-v1", "policies": {}}');
    const e = await run(["report", dir]);
    expect(e.code).toBe(2);
    expect(e.err).toMatch(/its run is on CartPole-v1 but its eval\.json evaluates Acrobot-v1/);
  });
});
