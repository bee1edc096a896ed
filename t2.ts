import { search } from "./src/search/search.js";
import { rmSync } from "node:fs";
const workers = Number(process.argv[2] ?? 0);
const out = `/work/runs-search/t2-w${workers}`;
rmSync(out, { recursive: true, force: true });
const t = performance.now();
const r = await search({ env: "CartPole-v1", teacher: "models/cartpole-ppo.rldistill", out, seed: 1, maxSteps: 2048, minSteps: 512, eta: 2, brackets: 1, trialEpisodes: 3, similarityStates: 300, confirmSeeds: 2, confirmEpisodes: 5, depths: [1], widths: [2, 4, 8], target: "retention=0.5,agreement=0.8" }, { workers, print: console.log });
console.log(r.summary.winner, r.summary.trials.length, r.summary.executed, ((performance.now() - t) / 1000).toFixed(1), "s");
