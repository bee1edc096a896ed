/**
 * How long each long command takes from Ctrl-C (SIGINT to its process group) to its exit, saving
 * included: the claim "stops within one second" rests on these figures.
 *
 *   npx tsx bench/interrupt.ts            # REPEATS=5 per command by default
 *
 * Each run starts the command in a child process (plain node with tsx as a loader), waits for the
 * line that says the work began, then a fixed delay, sends SIGINT and times the exit. Prints the
 * median and the largest time per command, the exit codes, and the machine's load.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { startCli } from "../src/testing/cli-child.js";

const REPEATS = Number(process.env.REPEATS ?? 5);
const DELAY_MS = Number(process.env.DELAY_MS ?? 1500);
const TEACHER = "models/cartpole-ppo.rldistill";

const commands: Record<string, (out: string) => string[]> = {
  "train ppo": (out) => [
    "train",
    "--algo",
    "ppo",
    "--env",
    "CartPole-v1",
    "--timesteps",
    "10000000",
    "--out",
    out,
    "--quiet",
  ],
  "train dqn": (out) => [
    "train",
    "--algo",
    "dqn",
    "--env",
    "CartPole-v1",
    "--timesteps",
    "10000000",
    "--out",
    out,
    "--quiet",
  ],
  "distill policy": (out) => [
    "distill",
    "--teacher",
    TEACHER,
    "--env",
    "CartPole-v1",
    "--timesteps",
    "10000000",
    "--out",
    out,
  ],
  "distill ppo": (out) => [
    "distill",
    "--teacher",
    TEACHER,
    "--env",
    "CartPole-v1",
    "--method",
    "ppo",
    "--timesteps",
    "10000000",
    "--out",
    out,
  ],
  quickstart: (out) => ["quickstart", "--timesteps", "10000000", "--out", out],
  "eval --robustness": (out) => [
    "eval",
    "--model",
    TEACHER,
    "--robustness",
    "--robustness-episodes",
    "50",
    "--no-latency-paths",
    "--out",
    out,
  ],
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const root = mkdtempSync(join(tmpdir(), "rldistill-bench-int-"));
console.log(
  `SIGINT ${DELAY_MS} ms after the work began, ${REPEATS} runs each; load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
console.log("command              median ms   max ms   exit codes");
for (const [name, args] of Object.entries(commands)) {
  const times: number[] = [];
  const codes: Array<number | null> = [];
  for (let i = 0; i < REPEATS; i++) {
    const run = startCli(args(join(root, `${name.replace(/\W+/g, "-")}-${i}`)));
    await run.waitFor(() => /^(built:|evaluating )/m.test(run.stdout()), 120_000);
    await new Promise((r) => setTimeout(r, DELAY_MS));
    run.interrupt();
    const r = await run.done;
    times.push(r.msToExit!);
    codes.push(r.code);
  }
  console.log(
    `${name.padEnd(20)} ${median(times).toFixed(0).padStart(9)} ${Math.max(...times)
      .toFixed(0)
      .padStart(8)}   ${codes.join(" ")}`,
  );
}
console.log(
  `load after: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
rmSync(root, { recursive: true, force: true });
