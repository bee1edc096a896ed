/**
 * The SB3 section of bench/train.ts (`npx tsx bench/train.ts --sb3 --python PATH`): PPO on
 * CartPole-v1 with the 256-256 teacher preset (presets/ppo-cartpole-teacher.json: 8 envs x 64
 * steps, 2 minibatches, 10 epochs, tanh, learning rate annealed), against Stable-Baselines3's PPO
 * configured the same way (bench/py/sb3_ppo_cartpole.py: same n_steps, batch, epochs, net_arch
 * pi = vf = 256-256, clipped value loss, one torch thread), in pairs run one after the other in the
 * same session. Both sides time `learn()` alone: env steps, acting, GAE and the updates.
 *
 *   PYTHONPATH=<dir holding stable_baselines3> npx tsx bench/train.ts --sb3 --python venv/bin/python \
 *     [--steps 30000] [--pairs 3] [--seed 1] [--blas-dir DIR]
 *
 * Without --python the baseline is skipped (ours is still measured). `--blas-dir` puts a folder
 * holding libblas.so.3 first on PyTorch's LD_LIBRARY_PATH (Debian's torch uses whichever BLAS the
 * loader finds; the result names the one it mapped). Prints each pair, then medians and the
 * ratio ours / SB3 of wall-clock SPS and of steps per CPU second (the steadier figure on a shared
 * machine), with the load average.
 */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { PPO, type PpoConfig } from "../src/rl/ppo.js";
import { runPythonJson } from "./torch-sac.js";

interface Side {
  sps: number;
  cpuSps: number;
  lastReturn: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function ours(config: Partial<PpoConfig>, steps: number, seed: number): Promise<Side> {
  const model = new PPO({ env: "CartPole-v1", seed, ...config });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await model.learn({ totalTimesteps: steps });
  const wall = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(c0);
  model.close();
  const last = model.episodeReturns.slice(-20);
  return {
    sps: model.numTimesteps / wall,
    cpuSps: model.numTimesteps / ((used.user + used.system) / 1e6),
    lastReturn: last.reduce((a, b) => a + b, 0) / Math.max(1, last.length),
  };
}

function sb3(
  python: string,
  c: PpoConfig,
  steps: number,
  seed: number,
  blasDir: string,
): (Side & { versions: string; blas: string }) | { error: string } {
  const args = [
    ...["--steps", steps, "--seed", seed, "--envs", c.numEnvs, "--rollout", c.numSteps],
    ...["--minibatches", c.numMinibatches, "--epochs", c.updateEpochs, "--lr", c.learningRate],
    ...["--ent", c.entCoef, "--gamma", c.gamma, "--gae-lambda", c.gaeLambda, "--clip", c.clipCoef],
    ...["--hidden", ...c.hiddenSizes],
  ].map(String);
  const run = runPythonJson<{
    sps: number;
    cpu_sps: number;
    last20_return: number;
    sb3: string;
    torch: string;
    gymnasium: string;
    blas: string;
  }>(python, "sb3_ppo_cartpole.py", args, blasDir || undefined);
  if (!run.ok) return { error: run.reason };
  const r = run.value;
  return {
    sps: r.sps,
    cpuSps: r.cpu_sps,
    lastReturn: r.last20_return,
    versions: `SB3 ${r.sb3}, torch ${r.torch}, gymnasium ${r.gymnasium}`,
    blas: r.blas,
  };
}

export async function sb3Training(arg: (name: string, fallback: string) => string): Promise<void> {
  const steps = Number(arg("steps", "30000"));
  const pairs = Number(arg("pairs", "3"));
  const seed = Number(arg("seed", "1"));
  const python = arg("python", "");
  const blasDir = arg("blas-dir", "");
  if (!(Number.isInteger(steps) && steps > 0))
    throw new Error(`--steps: expected a positive integer, got ${steps}`);
  if (!(Number.isInteger(pairs) && pairs > 0))
    throw new Error(`--pairs: expected a positive integer, got ${pairs}`);
  const preset = JSON.parse(
    readFileSync(new URL("../presets/ppo-cartpole-teacher.json", import.meta.url), "utf8"),
  ) as Partial<PpoConfig>;
  const config = new PPO({ env: "CartPole-v1", ...preset }).config;
  if (!python) console.log("no --python: the SB3 baseline is skipped, only ours is measured");
  const rows: { ours: Side; theirs: Side | null }[] = [];
  let versions = "";
  let blas = "";
  for (let p = 0; p < pairs; p++) {
    const o = await ours(preset, steps, seed + p);
    let theirs: Side | null = null;
    if (python) {
      const t = sb3(python, config, steps, seed + p, blasDir);
      if ("error" in t) throw new Error(`SB3 baseline failed (${python}): ${t.error}`);
      theirs = t;
      versions = t.versions;
      blas = t.blas;
    }
    rows.push({ ours: o, theirs });
    const load = loadavg()[0]!.toFixed(1);
    console.log(
      `pair ${p + 1}: ours ${Math.round(o.sps)} SPS (${Math.round(o.cpuSps)} per CPU s, last-20 return ${o.lastReturn.toFixed(1)})` +
        (theirs
          ? `; SB3 ${Math.round(theirs.sps)} SPS (${Math.round(theirs.cpuSps)} per CPU s, last-20 return ${theirs.lastReturn.toFixed(1)}); ` +
            `ratio ${(o.sps / theirs.sps).toFixed(2)}x wall, ${(o.cpuSps / theirs.cpuSps).toFixed(2)}x CPU`
          : "") +
        `; load ${load}`,
    );
  }
  const med = (f: (r: (typeof rows)[number]) => number) => median(rows.map(f));
  const c = config;
  const setup = `CartPole-v1, ${c.hiddenSizes.join("-")} tanh, ${c.numEnvs} envs x ${c.numSteps}, ${c.updateEpochs} epochs x ${c.numMinibatches} minibatches, ${steps} steps`;
  console.log(
    "\n| preset | pairs | rldistill SPS (median) | per CPU s | SB3 SPS (median) | per CPU s | ours / SB3 wall (median of pairs) | ours / SB3 CPU | SB3 side |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  const has = rows.every((r) => r.theirs);
  console.log(
    `| ppo-cartpole-teacher (${setup}) | ${rows.length} | ${Math.round(med((r) => r.ours.sps))} | ${Math.round(med((r) => r.ours.cpuSps))} | ` +
      (has
        ? `${Math.round(med((r) => r.theirs!.sps))} | ${Math.round(med((r) => r.theirs!.cpuSps))} | ` +
          `${med((r) => r.ours.sps / r.theirs!.sps).toFixed(2)}x | ${med((r) => r.ours.cpuSps / r.theirs!.cpuSps).toFixed(2)}x | ${versions}, BLAS ${blas} |`
        : "- | - | - | - | not measured (no --python) |"),
  );
}
