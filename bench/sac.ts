/**
 * SAC update throughput: our SAC gradient step (SIMD kernels, no tape) against the same update in
 * PyTorch (bench/py/sac_update.py, CleanRL's sac_continuous_action.py rules, 1 thread), both with
 * Hopper-v5's shapes (obs 11, action 3), 256-256 networks, batch 256, measured in the same run.
 *
 *   npx tsx bench/sac.ts                  # 200 updates each
 *   npx tsx bench/sac.ts --steps 500 --hidden 64,64
 *   npx tsx bench/sac.ts --blas-dir DIR   # PyTorch on the libblas.so.3 in DIR (see below)
 *
 * The BLAS PyTorch uses matters (about 10x at 256-256): see bench/torch-sac.ts.
 *
 * What is measured: CPU time per gradient step (critic, actor and temperature steps and the
 * Polyak update). Ours runs inside SAC.learn on Hopper-v5 with every env step followed by one
 * update, so it includes one Hopper step per update (about 0.1 ms of the total); PyTorch's samples
 * random data (MuJoCo for Python does not install here). Not measured: returns (CleanRL's SAC on
 * MuJoCo cannot run here), multi-threaded PyTorch. CPU time, not wall time, because the 2 cores
 * are shared; the load average is printed.
 */
import { loadavg } from "node:os";
import { prepareEnv } from "../src/envs/registry.js";
import { SAC } from "../src/rl/sac.js";
import { timeTorchSacUpdate } from "./torch-sac.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const steps = Number(arg("steps", "200"));
const hidden = arg("hidden", "256,256").split(",").map(Number);
const batch = Number(arg("batch", "256"));
const blasDir = arg("blas-dir", "");
if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`--steps: expected a positive integer`);

await prepareEnv("Hopper-v5");
const warmup = 20;
const model = new SAC({
  env: "Hopper-v5",
  seed: 1,
  learningStarts: batch,
  batchSize: batch,
  hiddenSizes: hidden,
  logInterval: 1e9,
});
await model.learn({ totalTimesteps: batch + warmup });
const c0 = process.cpuUsage();
const t0 = performance.now();
await model.learn({ totalTimesteps: steps, resetNumTimesteps: false });
const cpu = process.cpuUsage(c0);
const oursCpu = (cpu.user + cpu.system) / 1000 / steps;
const oursWall = (performance.now() - t0) / steps;
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
console.log(
  `rldistill SAC ${hidden.join("-")} batch ${batch}: ${oursCpu.toFixed(2)} ms CPU / update (${oursWall.toFixed(1)} ms wall)`,
);

const t = timeTorchSacUpdate({ steps, batch, hidden, obs: 11, act: 3, blasDir: blasDir || undefined });
if (!t.ok) {
  console.log(`PyTorch: not measured (${t.reason})`);
} else {
  console.log(
    `PyTorch ${t.torch} (1 thread, BLAS ${t.blas}), same update: ${t.cpuMs.toFixed(2)} ms CPU / update (${t.wallMs.toFixed(1)} ms wall)`,
  );
  console.log(`ratio ours / PyTorch (CPU): ${(oursCpu / t.cpuMs).toFixed(2)}`);
}
console.log(
  `projected CPU time of 1M SAC steps (one update per step): ${((oursCpu * 1e6) / 3.6e6).toFixed(1)} h`,
);
