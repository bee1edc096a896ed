/**
 * The MinAtar section of bench/train.ts (`npx tsx bench/train.ts --minatar`): PPO with each game's
 * preset (presets/ppo.json: MinAtar's baseline CNN, one shared trunk) for --steps, its env steps per
 * second of wall time and of CPU time, next to a CleanRL-style PyTorch PPO doing the same work per
 * step on MinAtar's own Python environments (bench/py/ppo_minatar.py), run in the same session
 * right after each of ours. The PyTorch side needs MINATAR_SRC (a directory holding MinAtar
 * 1.0.15's `minatar` package; it is not installed here) and a Python with torch (PYTHON, default
 * /usr/bin/python3); Debian's torch uses the BLAS its alternatives point to (the reference BLAS
 * unless OpenBLAS is installed), and the script says which.
 */
import { execFileSync } from "node:child_process";
import { loadPreset } from "../src/core/presets.js";
import { PPO, PPO_SCHEMA, type PpoConfig } from "../src/rl/ppo.js";

export async function minatarTraining(arg: (name: string, fallback: string) => string): Promise<void> {
  const games = arg("games", "Breakout,SpaceInvaders,Freeway,Asterix,Seaquest").split(",");
  const steps = Number(arg("steps", "100000"));
  const seed = Number(arg("seed", "1"));
  const python = process.env.PYTHON ?? "/usr/bin/python3";
  const rows: string[][] = [];
  for (const game of games) {
    const env = `MinAtar/${game}-v1`;
    const preset = loadPreset("ppo", env, PPO_SCHEMA).config as Partial<PpoConfig>;
    const model = new PPO({ env, seed, ...preset });
    const c = model.config;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await model.learn({ totalTimesteps: steps });
    const wall = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(c0);
    const cpu = (used.user + used.system) / 1e6;
    model.close();
    const ours = { sps: model.numTimesteps / wall, cpuSps: model.numTimesteps / cpu };
    let torch = "-";
    if (process.env.MINATAR_SRC) {
      const pyGame = game.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
      const out = execFileSync(
        python,
        [
          "bench/py/ppo_minatar.py",
          ...["--game", pyGame, "--steps", String(steps), "--envs", String(c.numEnvs)],
          ...["--rollout", String(c.numSteps), "--minibatches", String(c.numMinibatches)],
          ...["--epochs", String(c.updateEpochs), "--lr", String(c.learningRate), "--ent", String(c.entCoef)],
          ...["--clip", String(c.clipCoef), "--seed", String(seed)],
        ],
        {
          encoding: "utf8",
          env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
          stdio: ["ignore", "pipe", "ignore"],
        },
      );
      const r = JSON.parse(out.trim().split("\n").pop()!);
      const cpuSps = r.steps / r.cpu_s;
      torch = `${Math.round(r.sps)} SPS, ${Math.round(cpuSps)} per CPU s (${r.blas} BLAS); ours / theirs ${(ours.sps / r.sps).toFixed(2)}x wall, ${(ours.cpuSps / cpuSps).toFixed(2)}x CPU`;
    }
    console.error(`  ${game}: ${Math.round(ours.sps)} SPS, ${Math.round(ours.cpuSps)} per CPU second`);
    rows.push([
      game,
      String(model.numTimesteps),
      `${c.convs} + ${c.hiddenSizes.join("-")}${c.sharedTrunk ? ", shared trunk" : ""}, ${c.numEnvs} envs x ${c.numSteps}, ${c.updateEpochs} x ${c.numMinibatches}`,
      String(Math.round(ours.sps)),
      String(Math.round(ours.cpuSps)),
      torch,
    ]);
  }
  console.log(`\n## MinAtar: PPO training speed with the presets (${steps} steps, seed ${seed})\n`);
  console.log(
    "| game | steps | network, rollout, epochs x minibatches | rldistill SPS | rldistill steps per CPU s | CleanRL-style PyTorch on MinAtar's Python envs (same session) |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
}
