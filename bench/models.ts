/**
 * Re-evaluates every shipped teacher in models/ as models/README.md states its "eval" column: the
 * greedy policy over 100 episodes, one eval env seeded with 2,000,000 + the training seed at its
 * first reset (the final evaluation of `rldistill train`, src/rl/run.ts), through the compiled
 * forward of the saved policy.
 *
 *   npx tsx bench/models.ts                    # every models/*.rldistill (about a minute)
 *   npx tsx bench/models.ts --seed 777         # another eval seed: how much the mean moves
 *   npx tsx bench/models.ts models/pendulum-ppo.rldistill
 *
 * Prints one markdown row per file: env, eval seed, mean +- std (population, as SB3), the
 * parameters (acting network + critic, as models/README.md counts them) and the file size in KiB.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { prepareEnv } from "../src/envs/registry.js";
import { evaluatePolicy } from "../src/eval/evaluate.js";
import { efficiencyOf } from "../src/eval/latency.js";
import { loadPolicy, recordedEnvId } from "../src/nn/checkpoint.js";
import { compileSpec } from "../src/nn/fast.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const seedArg = arg("seed");
const fixedSeed = seedArg === undefined ? undefined : Number(seedArg);
if (fixedSeed !== undefined && !(Number.isInteger(fixedSeed) && fixedSeed >= 0))
  throw new Error(`--seed: expected an integer >= 0, got ${seedArg}`);
const episodes = Number(arg("episodes") ?? "100");
const given = process.argv
  .slice(2)
  .filter((a, i, all) => !a.startsWith("--") && !all[i - 1]?.startsWith("--"));
const files = given.length
  ? given
  : readdirSync("models")
      .filter((f) => f.endsWith(".rldistill"))
      .sort()
      .map((f) => join("models", f));

console.log(`| file | env | eval seed | eval (${episodes} episodes) | params (actor + critic) | size |`);
console.log("|---|---|---|---|---|---|");
for (const file of files) {
  const { spec, artifact } = loadPolicy(file);
  const env = recordedEnvId(artifact);
  if (!env) throw new Error(`${file}: the artifact does not record its env`);
  await prepareEnv(env); // MuJoCo envs load their engine first
  const trainSeed = Number((artifact.config as { seed?: number } | undefined)?.seed ?? 0);
  const seed = fixedSeed ?? 2_000_000 + trainSeed;
  const r = evaluatePolicy(compileSpec(spec), env, { episodes, seed });
  const kib = Math.round(statSync(file).size / 1024);
  const e = efficiencyOf(spec);
  const params = `${e.params + e.valueParams} (${e.params} + ${e.valueParams})`;
  console.log(
    `| ${file} | ${env} | ${seed} | ${r.meanReturn.toFixed(2)} +- ${r.stdReturn.toFixed(2)} | ${params} | ${kib} KiB |`,
  );
}
