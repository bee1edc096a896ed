/**
 * Training throughput and outcome of PPO and DQN on CartPole-v1 with CleanRL's default
 * hyperparameters (the library defaults), next to CleanRL's own figures on this machine kind; and
 * of SAC on Hopper-v5 (presets/sac.json: 256-256, 10k random steps) next to the same update in
 * PyTorch.
 *
 *   npx tsx bench/train.ts                      # ppo and dqn, 500k steps each (several minutes)
 *   npx tsx bench/train.ts --steps 50000 --algo ppo --seed 2
 *   npx tsx bench/train.ts --algo sac           # 30k steps of Hopper-v5 (20k updates; 10 min or more)
 *   npx tsx bench/train.ts --algo sac --sac-env Walker2d-v5 --sac-hidden 64,64 --blas-dir DIR
 *   MINATAR_SRC=DIR npx tsx bench/train.ts --minatar [--games Breakout,Freeway] [--steps 100000]
 *                                               # PPO on MinAtar with the presets, next to PyTorch (bench/train-minatar.ts)
 *   PYTHONPATH=SB3_SRC npx tsx bench/train.ts --sb3 --python PY [--steps 30000] [--pairs 3] [--blas-dir DIR]
 *                                               # the 256-256 CartPole preset next to SB3's PPO (bench/train-sb3.ts)
 *
 * The SAC row's PyTorch side is CleanRL's sac_continuous_action.py update rules timed on random
 * replay data of the env's shapes (bench/py/sac_update.py via bench/torch-sac.ts): Gymnasium's
 * MuJoCo envs are not installed in Python here, so PyTorch's env steps, acting and returns are
 * not measured, and its figure is the update alone. Ours is the CPU time per env step of the
 * learning phase (acting, one Hopper step, replay, one update), so the ratio leans towards
 * PyTorch. `--blas-dir` points PyTorch at an OpenBLAS (see bench/torch-sac.ts; Debian's default
 * reference BLAS is about 10x slower at 256-256).
 *
 * Prints env steps per second (SPS) over the whole run (training included, as CleanRL's
 * charts/SPS), the mean return of the last 20 training episodes (what ANCHORS.md quotes), and a
 * greedy evaluation over 20 episodes, and steps per CPU second of this process (training is
 * single-threaded, so on an idle machine the two agree; on a loaded one the CPU figure is the
 * steadier comparison with CleanRL's, which was measured on an idle machine). Run it alone:
 * other processes on the 2 cores skew the wall-clock SPS.
 */
import { loadPreset } from "../src/core/presets.js";
import { prepareEnv } from "../src/envs/registry.js";
import { evaluatePolicy } from "../src/eval/evaluate.js";
import type { Algorithm } from "../src/rl/algorithm.js";
import { DQN } from "../src/rl/dqn.js";
import { PPO } from "../src/rl/ppo.js";
import { SAC, SAC_SCHEMA } from "../src/rl/sac.js";
import { timeTorchSacUpdate } from "./torch-sac.js";
import { minatarTraining } from "./train-minatar.js";
import { sb3Training } from "./train-sb3.js";

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

if (process.argv.includes("--sb3")) {
  await sb3Training(arg);
  process.exit(0);
}
if (process.argv.includes("--minatar")) {
  await minatarTraining(arg);
  process.exit(0);
}

const stepsArg = arg("steps", "");
const seed = Number(arg("seed", "1"));
const algos = arg("algo", "ppo,dqn").split(",");
for (const algo of algos)
  if (!["ppo", "dqn", "sac"].includes(algo)) throw new Error(`--algo: allowed ppo, dqn, sac; got ${algo}`);
if (stepsArg && !(Number.isInteger(Number(stepsArg)) && Number(stepsArg) > 0))
  throw new Error(`--steps: expected a positive integer, got ${stepsArg}`);

const rows: string[][] = [];
const sacRows: string[][] = [];
for (const algo of algos) {
  if (algo === "sac") {
    sacRows.push(await sacRow(stepsArg ? Number(stepsArg) : 30_000));
    continue;
  }
  const steps = stepsArg ? Number(stepsArg) : 500_000;
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

if (rows.length > 0) {
  console.log(
    "\n| algo | steps | rldistill SPS | SPS / CleanRL's | steps per CPU second (/ CleanRL's) | last-20 train return | greedy eval (20 ep) | CleanRL (ANCHORS.md, quoted) |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
}
if (sacRows.length > 0) {
  console.log(
    "\n| algo | env, networks | steps | rldistill SPS | steps per CPU second | CPU ms per learning step (ours) | PyTorch CPU ms per update alone (BLAS) | ours / PyTorch | last-20 train return | greedy eval (20 ep) |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  for (const r of sacRows) console.log(`| ${r.join(" | ")} |`);
}

/**
 * SAC with the env's preset: the random-action phase and the learning phase timed apart, then the
 * same update in PyTorch (update alone, random data) on the env's shapes.
 */
async function sacRow(steps: number): Promise<string[]> {
  const env = arg("sac-env", "Hopper-v5");
  await prepareEnv(env);
  const preset = loadPreset("sac", env, SAC_SCHEMA).config;
  const hiddenArg = arg("sac-hidden", "");
  const hiddenSizes = hiddenArg ? hiddenArg.split(",").map(Number) : undefined;
  const model = new SAC({ env, seed, ...preset, ...(hiddenSizes ? { hiddenSizes } : {}) });
  const { learningStarts, batchSize, hiddenSizes: hidden } = model.config;
  if (steps <= learningStarts)
    throw new Error(`--steps: SAC on ${env} needs more than its ${learningStarts} random steps`);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await model.learn({ totalTimesteps: learningStarts });
  const c1 = process.cpuUsage();
  await model.learn({ totalTimesteps: steps - learningStarts, resetNumTimesteps: false });
  const wall = (performance.now() - t0) / 1000;
  const c2 = process.cpuUsage();
  const cpuSeconds = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) =>
    (b.user - a.user + b.system - a.system) / 1e6;
  const cpu = cpuSeconds(c0, c2);
  const learnMs = (cpuSeconds(c1, c2) * 1000) / (steps - learningStarts);
  model.close();
  const last = model.episodeReturns.slice(-20);
  const trainReturn = last.reduce((a, b) => a + b, 0) / last.length;
  const greedy = evaluatePolicy(model, env, { episodes: 20, seed: 12345 });
  const torch = timeTorchSacUpdate({
    steps: 200,
    batch: batchSize,
    hidden,
    obs: model.spaces.obsSize,
    act: model.spaces.actionSize,
    blasDir: arg("blas-dir", "") || undefined,
  });
  const sps = model.numTimesteps / wall;
  console.log(
    `sac ${env} ${hidden.join("-")} ${model.numTimesteps} steps (${learningStarts} random): ${Math.round(sps)} SPS ` +
      `(${Math.round(model.numTimesteps / cpu)} per CPU second), ${wall.toFixed(1)} s; learning phase ${learnMs.toFixed(2)} ms CPU per step; ` +
      `last-20 train return ${trainReturn.toFixed(1)}, greedy eval ${greedy.meanReturn.toFixed(1)} +- ${greedy.stdReturn.toFixed(1)}`,
  );
  console.log(
    torch.ok
      ? `PyTorch ${torch.torch} (1 thread, BLAS ${torch.blas}), the update alone: ${torch.cpuMs.toFixed(2)} ms CPU`
      : `PyTorch: not measured (${torch.reason})`,
  );
  const blasName = torch.ok ? (torch.blas.includes("openblas") ? "OpenBLAS" : torch.blas) : "";
  return [
    "sac",
    `${env}, ${hidden.join("-")}`,
    String(model.numTimesteps),
    String(Math.round(sps)),
    String(Math.round(model.numTimesteps / cpu)),
    learnMs.toFixed(2),
    torch.ok ? `${torch.cpuMs.toFixed(2)} (${blasName})` : `not measured: ${torch.reason}`,
    torch.ok ? (learnMs / torch.cpuMs).toFixed(2) : "-",
    trainReturn.toFixed(1),
    greedy.meanReturn.toFixed(1),
  ];
}
