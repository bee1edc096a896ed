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
 *   npx tsx bench/train.ts --algo sac,td3 --steps 20000 --learning-starts 10000 --python VENV/bin/python
 *   MINATAR_SRC=DIR npx tsx bench/train.ts --minatar [--games Breakout,Freeway] [--steps 100000]
 *                                               # PPO on MinAtar with the presets, next to PyTorch (bench/train-minatar.ts)
 *   PYTHONPATH=SB3_SRC npx tsx bench/train.ts --sb3 --python PY [--steps 30000] [--pairs 3] [--blas-dir DIR]
 *                                               # the 256-256 CartPole preset next to SB3's PPO (bench/train-sb3.ts)
 *
 * The SAC and TD3 rows (presets/sac.json, presets/td3.json; `--learning-starts` overrides the
 * random phase so the two rows compare) are measured against the same loop in PyTorch with the
 * rules of CleanRL's sac_continuous_action.py / td3_continuous_action.py on Gymnasium's MuJoCo env
 * (bench/py/offpolicy_mujoco.py: env steps, acting, replay and updates), run by `--python` (an
 * interpreter with torch and gymnasium[mujoco], e.g. a venv made with --system-site-packages; the
 * default /usr/bin/python3 has torch only). Without Gymnasium's MuJoCo, SAC falls back to
 * CleanRL's update alone on random replay data (bench/py/sac_update.py via bench/torch-sac.ts) and
 * TD3 has no PyTorch figure. `--blas-dir` points PyTorch at an OpenBLAS (see bench/torch-sac.ts;
 * Debian's default reference BLAS is about 10x slower at 256-256). Ours is the CPU time per env
 * step of the learning phase (acting, one env step, replay, one update), and so is PyTorch's.
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
import { TD3, TD3_SCHEMA } from "../src/rl/td3.js";
import { runTorchOffPolicy, timeTorchSacUpdate } from "./torch-sac.js";
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
  if (!["ppo", "dqn", "sac", "td3"].includes(algo))
    throw new Error(`--algo: allowed ppo, dqn, sac, td3; got ${algo}`);
const learningStartsArg = arg("learning-starts", "");
if (learningStartsArg && !(Number.isInteger(Number(learningStartsArg)) && Number(learningStartsArg) >= 0))
  throw new Error(`--learning-starts: expected an integer >= 0, got ${learningStartsArg}`);
if (stepsArg && !(Number.isInteger(Number(stepsArg)) && Number(stepsArg) > 0))
  throw new Error(`--steps: expected a positive integer, got ${stepsArg}`);

const rows: string[][] = [];
const sacRows: string[][] = [];
for (const algo of algos) {
  if (algo === "sac" || algo === "td3") {
    sacRows.push(await offPolicyRow(algo, stepsArg ? Number(stepsArg) : 30_000));
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
    "\n| algo | env, networks | steps (random) | rldistill SPS | steps per CPU second | CPU ms per learning step (ours) | PyTorch CPU ms per learning step (what, BLAS) | ours / PyTorch | PyTorch SPS (per CPU second) | last-20 train return (PyTorch's) | greedy eval (20 ep) |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of sacRows) console.log(`| ${r.join(" | ")} |`);
}

/**
 * SAC or TD3 with the env's preset: the random-action phase and the learning phase timed apart,
 * then the same loop in PyTorch on Gymnasium's env (or, for SAC without it, the update alone).
 */
async function offPolicyRow(algo: "sac" | "td3", steps: number): Promise<string[]> {
  const env = arg("sac-env", "Hopper-v5");
  await prepareEnv(env);
  const preset = loadPreset(algo, env, algo === "sac" ? SAC_SCHEMA : TD3_SCHEMA).config;
  const hiddenArg = arg("sac-hidden", "");
  const opts = {
    env,
    seed,
    ...preset,
    ...(hiddenArg ? { hiddenSizes: hiddenArg.split(",").map(Number) } : {}),
    ...(learningStartsArg ? { learningStarts: Number(learningStartsArg) } : {}),
  };
  const model = algo === "sac" ? new SAC(opts) : new TD3(opts);
  const { learningStarts, batchSize, hiddenSizes: hidden } = model.config;
  if (steps <= learningStarts)
    throw new Error(`--steps: ${algo} on ${env} needs more than its ${learningStarts} random steps`);
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
  const sps = model.numTimesteps / wall;
  console.log(
    `${algo} ${env} ${hidden.join("-")} ${model.numTimesteps} steps (${learningStarts} random): ${Math.round(sps)} SPS ` +
      `(${Math.round(model.numTimesteps / cpu)} per CPU second), ${wall.toFixed(1)} s; learning phase ${learnMs.toFixed(2)} ms CPU per step; ` +
      `last-20 train return ${trainReturn.toFixed(1)}, greedy eval ${greedy.meanReturn.toFixed(1)} +- ${greedy.stdReturn.toFixed(1)}`,
  );
  const blasDir = arg("blas-dir", "") || undefined;
  const python = arg("python", "") || undefined;
  const blasName = (b: string) => (b.includes("openblas") ? "OpenBLAS" : b);
  const ours = [
    algo,
    `${env}, ${hidden.join("-")}`,
    `${model.numTimesteps} (${learningStarts})`,
    String(Math.round(sps)),
    String(Math.round(model.numTimesteps / cpu)),
    learnMs.toFixed(2),
  ];
  const loop = runTorchOffPolicy({ algo, env, steps, learningStarts, hidden, seed, python, blasDir });
  if (loop.ok) {
    console.log(
      `PyTorch ${loop.torch} + Gymnasium ${loop.gymnasium} (1 thread, BLAS ${loop.blas}), the whole loop: ` +
        `${Math.round(loop.sps)} SPS (${Math.round(loop.spsCpu)} per CPU second), ${loop.cpuMsPerLearningStep.toFixed(2)} ms CPU per learning step, ` +
        `last-20 train return ${loop.last20Return?.toFixed(1) ?? "-"}`,
    );
    return [
      ...ours,
      `${loop.cpuMsPerLearningStep.toFixed(2)} (whole loop, ${blasName(loop.blas)})`,
      (learnMs / loop.cpuMsPerLearningStep).toFixed(2),
      `${Math.round(loop.sps)} (${Math.round(loop.spsCpu)})`,
      `${trainReturn.toFixed(1)} (${loop.last20Return?.toFixed(1) ?? "-"})`,
      greedy.meanReturn.toFixed(1),
    ];
  }
  console.log(`PyTorch with Gymnasium's ${env}: not run (${loop.reason})`);
  // Without Gymnasium's MuJoCo in Python, SAC's update alone on random data of the env's shapes.
  const torch =
    algo === "sac"
      ? timeTorchSacUpdate({
          steps: 200,
          batch: batchSize,
          hidden,
          obs: model.spaces.obsSize,
          act: model.spaces.actionSize,
          blasDir,
        })
      : ({ ok: false, reason: `no update-only script for td3; ${loop.reason}` } as const);
  console.log(
    torch.ok
      ? `PyTorch ${torch.torch} (1 thread, BLAS ${torch.blas}), the update alone: ${torch.cpuMs.toFixed(2)} ms CPU`
      : `PyTorch: not measured (${torch.reason})`,
  );
  return [
    ...ours,
    torch.ok
      ? `${torch.cpuMs.toFixed(2)} (update alone, ${blasName(torch.blas)})`
      : `not measured: ${torch.reason}`,
    torch.ok ? (learnMs / torch.cpuMs).toFixed(2) : "-",
    "-",
    `${trainReturn.toFixed(1)} (-)`,
    greedy.meanReturn.toFixed(1),
  ];
}
