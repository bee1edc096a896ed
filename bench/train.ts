/**
 * Training throughput and outcome of PPO and DQN on CartPole-v1 with CleanRL's default
 * hyperparameters (the library defaults), next to CleanRL's own figures on this machine kind.
 *
 *   npx tsx bench/train.ts                      # both, 500k steps each (several minutes)
 *   npx tsx bench/train.ts --steps 50000 --algo ppo --seed 2
 *   MINATAR_SRC=DIR npx tsx bench/train.ts --minatar [--games Breakout,Freeway] [--steps 100000]
 *                                               # PPO on MinAtar with the presets, next to PyTorch (bench/train-minatar.ts)
 *
 * Prints env steps per second (SPS) over the whole run (training included, as CleanRL's
 * charts/SPS), the mean return of the last 20 training episodes (what ANCHORS.md quotes), and a
 * greedy evaluation over 20 episodes, and steps per CPU second of this process (training is
 * single-threaded, so on an idle machine the two agree; on a loaded one the CPU figure is the
 * steadier comparison with CleanRL's, which was measured on an idle machine). Run it alone:
 * other processes on the 2 cores skew the wall-clock SPS.
 */
import { evaluatePolicy } from "../src/eval/evaluate.js";
import type { Algorithm } from "../src/rl/algorithm.js";
import { DQN } from "../src/rl/dqn.js";
import { PPO } from "../src/rl/ppo.js";
import { minatarTraining } from "./train-minatar.js";

/** Quoted from /work/shared/docs/ANCHORS.md (CleanRL, PyTorch 1.13 CPU, 1 thread, 2 vCPU). */
const QUOTED: Record<string, Array<{ steps: number; sps: string; spsMid: number; ret: string }>> = {
  ppo: [
    { steps: 50_000, sps: "6,200-6,700", spsMid: 6450, ret: "162-232" },
    { steps: 500_000, sps: "6,873", spsMid: 6873, ret: "500.0" },
  ],
  dqn: [
    { steps: 50_000, sps: "5,350-5,760", spsMid: 5555, ret: "97-217" },
    { steps: 500_000, sps: "5,317", spsMid: 5317, ret: "494.5" },
  ],
};

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

if (process.argv.includes("--minatar")) {
  await minatarTraining(arg);
  process.exit(0);
}

const steps = Number(arg("steps", "500000"));
const seed = Number(arg("seed", "1"));
const algos = arg("algo", "ppo,dqn").split(",");
if (!(Number.isInteger(steps) && steps > 0))
  throw new Error(`--steps: expected a positive integer, got ${arg("steps", "")}`);

const rows: string[][] = [];
for (const algo of algos) {
  if (algo !== "ppo" && algo !== "dqn") throw new Error(`--algo: allowed ppo, dqn; got ${algo}`);
  const model: Algorithm<object> =
    algo === "ppo" ? new PPO({ env: "CartPole-v1", seed }) : new DQN({ env: "CartPole-v1", seed });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await model.learn({ totalTimesteps: steps });
  const wall = (performance.now() - t0) / 1000;
  const cpuUsed = process.cpuUsage(c0);
  const cpu = (cpuUsed.user + cpuUsed.system) / 1e6;
  model.close();
  const last = model.episodeReturns.slice(-20);
  const trainReturn = last.reduce((a, b) => a + b, 0) / last.length;
  const greedy = evaluatePolicy(model, "CartPole-v1", { episodes: 20, seed: 12345 });
  const sps = model.numTimesteps / wall;
  const cpuSps = model.numTimesteps / cpu;
  console.log(
    `${algo} CartPole-v1 ${model.numTimesteps} steps: ${Math.round(sps)} SPS (${Math.round(cpuSps)} per CPU second), ${wall.toFixed(1)} s, ` +
      `last-20 train return ${trainReturn.toFixed(1)}, greedy eval ${greedy.meanReturn.toFixed(1)} +- ${greedy.stdReturn.toFixed(1)}`,
  );
  const quoted = QUOTED[algo]!.reduce((best, q) =>
    Math.abs(q.steps - steps) < Math.abs(best.steps - steps) ? q : best,
  );
  rows.push([
    algo,
    String(model.numTimesteps),
    String(Math.round(sps)),
    `${(sps / quoted.spsMid).toFixed(2)}x`,
    `${Math.round(cpuSps)} (${(cpuSps / quoted.spsMid).toFixed(2)}x)`,
    trainReturn.toFixed(1),
    greedy.meanReturn.toFixed(1),
    `${quoted.sps} SPS, ${quoted.ret} at ${quoted.steps / 1000}k (quoted)`,
  ]);
}

console.log(
  "\n| algo | steps | rldistill SPS | SPS / CleanRL's | steps per CPU second (/ CleanRL's) | last-20 train return | greedy eval (20 ep) | CleanRL (ANCHORS.md, quoted) |",
);
console.log("|---|---|---|---|---|---|---|---|");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
