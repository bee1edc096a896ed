/**
 * The top-level error handler and "validate everything before any work", through `main()`: every
 * expected failure is one line on stderr, without a stack trace, with exit code 2, and leaves no
 * run folder behind when it is a bad input.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { isTempFile, setWriteFault } from "../core/atomic-write.js";
import { cartPoleTeacherSpec } from "../distill/testing/fakes.js";
import { loadArtifact, loadPolicy, savePolicy } from "../nn/checkpoint.js";
import { main, printable, reportError } from "./main.js";

const dir = mkdtempSync(join(tmpdir(), "rldistill-errors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => setWriteFault(null));
const cartpole = new URL("../../models/cartpole-ppo.rldistill", import.meta.url).pathname;
const dqnTeacher = new URL("../../models/cartpole-dqn.rldistill", import.meta.url).pathname;
const tiny = join(dir, "tiny-teacher.rldistill");
savePolicy(tiny, cartPoleTeacherSpec(), { env: "CartPole-v1" });

/** Runs main() with console output captured; returns the exit code and the stderr lines. */
async function run(argv: string[]): Promise<{ code: number; err: string[]; out: string[] }> {
  const err: string[] = [];
  const out: string[] = [];
  const e = vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  const o = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  try {
    return { code: await main(argv), err, out };
  } finally {
    e.mockRestore();
    o.mockRestore();
  }
}

function oneLine(r: { code: number; err: string[] }, re: RegExp): void {
  expect(r.code, r.err.join("\n")).toBe(2);
  expect(r.err.length).toBe(1);
  expect(r.err[0]).toMatch(re);
  expect(r.err[0]).not.toMatch(/\n|\s+at /);
}

const distillArgs = (out: string, ...more: string[]) => [
  "distill",
  "--teacher",
  tiny,
  "--env",
  "CartPole-v1",
  "--student",
  "4",
  "--timesteps",
  "300",
  "--out",
  out,
  "--quiet",
  "--no-report",
  "--set",
  "finalEpisodes=1",
  "--set",
  "evalEpisodes=1",
  "--set",
  "similarityStates=20",
  ...more,
];

describe("one line, exit code 2, for every expected failure", () => {
  it("bad values are refused before any work, leaving no run folder", async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ["--method", "ppo", "--alpha", "2"],
        /^rldistill distill: alpha: "2" takes values from 2 to 2 .*allowed: a weight in \[0, 1\]/,
      ],
      [["--method", "ppo", "--alpha", "-1"], /alpha: "-1" takes values from -1/],
      [["--tau", "-1"], /^rldistill distill: tau: "-1" .*allowed: a temperature > 0/],
      [["--set", "ppoEpochs=3"], /distill\.ppoEpochs: is a field of method ppo, not of policy/],
      [["--set", "student=0,4"], /distill\.student: expected a list of integers >= 1/],
    ];
    for (const [more, re] of cases) {
      const out = join(dir, `bad-${more.join("")}`);
      oneLine(await run(distillArgs(out, ...more)), re);
      expect(existsSync(out)).toBe(false);
    }
    // A method that does not fit the teacher is refused before the teacher is evaluated.
    const out = join(dir, "bad-method");
    const r = await run([
      "distill",
      "--teacher",
      dqnTeacher,
      "--env",
      "CartPole-v1",
      "--method",
      "ppo",
      "--out",
      out,
    ]);
    oneLine(r, /method: ppo needs a policy teacher \(logits or Gaussian\); .* gives Q-values/);
    expect(existsSync(out)).toBe(false);
  });

  it("eval of a CartPole student on Acrobot is refused, naming both shapes", async () => {
    oneLine(
      await run([
        "eval",
        "--model",
        cartpole,
        "--env",
        "Acrobot-v1",
        "--episodes",
        "1",
        "--no-latency-paths",
      ]),
      /^rldistill eval: --model .*cartpole-ppo\.rldistill: observes shape \[4\] but Acrobot-v1 gives Box\(.*\(6,\), float32\) \(shape \[6\]\); allowed: an env whose observations have shape \[4\]$/,
    );
    oneLine(
      await run(["eval", "--model", cartpole, "--teacher", join(dir, "nope.rldistill"), "--episodes", "1"]),
      /--teacher: cannot read .*nope\.rldistill: no such file$/,
    );
  });

  it("a random-bytes file and a truncated file: readable, and the path said once", async () => {
    const junk = join(dir, "junk.rldistill");
    writeFileSync(
      junk,
      Uint8Array.from({ length: 200 }, (_, i) => (i * 73 + 11) % 256),
    );
    for (const cmd of [
      ["eval", "--model", junk],
      ["export", "--model", junk, "--format", "onnx", "--out", join(dir, "x.onnx")],
      distillArgs(join(dir, "j")).map((a) => (a === tiny ? junk : a)),
    ]) {
      const r = await run(cmd);
      oneLine(r, /junk\.rldistill: not (an rldistill artifact|a recognised model file)/);
      // Printable: no control or undecodable bytes reach the terminal.
      expect([...r.err[0]!].every((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) < 0x7f)).toBe(true);
    }
    // The checkpoint reader itself shows unprintable bytes as hex.
    expect(() => loadArtifact(junk)).toThrow(
      /not an rldistill artifact: starts with bytes 0b 54 9d e6 2f 78 c1 0a, expected "RLDISTIL"/,
    );
    const cut = join(dir, "cut.rldistill");
    writeFileSync(cut, readFileSync(cartpole).subarray(0, 2000));
    for (const cmd of [
      ["eval", "--model", cut],
      distillArgs(join(dir, "c")).map((a) => (a === tiny ? cut : a)),
    ]) {
      const r = await run(cmd);
      oneLine(r, /truncated: the header needs \d+ bytes, the file has 2000/);
      expect(r.err[0]!.split("cut.rldistill").length - 1).toBe(1);
    }
  });

  it("file system failures: a file in the path, an existing file as --out, no permission, a full disk", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    oneLine(
      await run(distillArgs(join(file, "sub"))),
      /cannot mkdir .*a-file\/sub: a path component is not a folder \(ENOTDIR\)$/,
    );
    oneLine(await run(distillArgs(file)), /--out: .*a-file is a file, not a folder/);

    setWriteFault({ code: "EACCES", match: "config.json" });
    oneLine(
      await run(distillArgs(join(dir, "denied"))),
      /cannot write .*denied\/config\.json: permission denied \(EACCES\)$/,
    );

    // The disk fills up just as the summary is written: one line, and every file left loads.
    const full = join(dir, "full");
    setWriteFault({ code: "ENOSPC", match: "summary.json" });
    oneLine(
      await run(distillArgs(full)),
      /cannot write .*full\/summary\.json: no space left on device \(ENOSPC\)$/,
    );
    expect(loadPolicy(join(full, "student.rldistill")).meta.step).toBeGreaterThanOrEqual(300);
    const names = readdirSync(full);
    expect(names).not.toContain("summary.json");
    expect(names).not.toContain("run.lock");
    expect(names.filter(isTempFile)).toEqual([]);
    for (const line of readFileSync(join(full, "progress.jsonl"), "utf8").trim().split("\n"))
      JSON.parse(line);
  });

  it("an unexpected error keeps its stack trace and exit code 1", () => {
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      expect(reportError("train", new TypeError("boom"))).toBe(1);
      const printed = err.mock.calls.map((c) => String(c[0])).join("\n");
      expect(printed).toMatch(/unexpected error \(a bug/);
      expect(printed).toMatch(/TypeError: boom\n\s+at /);
    } finally {
      err.mockRestore();
    }
    expect(printable("a\u0000b\u001b[31m\ufffd")).toBe("a\\x00b\\x1b[31m?");
  });
});
