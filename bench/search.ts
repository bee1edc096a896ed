/**
 * Architecture search benchmark (on demand, never in the test suite):
 *
 *   npx tsx bench/search.ts [--envs CartPole-v1,Acrobot-v1,Pendulum-v1] [--seed 1] [--brackets 2]
 *                           [--workers 2] [--out DIR] [--skip-smallest] [--skip-engines]
 *                           [--engine-env CartPole-v1] [--engine-steps 8000]
 *
 * 1. Smallest student: `search()` on each env with its shipped teacher (models/<env>-ppo), the env's
 *    default target (presets/search.json) and the distill preset's budget as the full budget; prints
 *    the confirmed winner, its share of the teacher's parameters, the trials and the wall time.
 * 2. Engines: one smaller search (--engine-env, --engine-steps) on 1 local worker thread, 2 local
 *    threads and 2 BullMQ queue workers (a redis-server started here on a loopback port); prints
 *    the wall time of each, its ratio to 1 thread, and whether trials and winner are identical.
 *
 * The machine is shared: the load average is printed with every figure. Run folders go to --out
 * (default runs/bench-search).
 */
import { loadavg } from "node:os";
import { join } from "node:path";
import { BullmqEngine } from "../src/search/queue/bullmq.js";
import { TestRedis } from "../src/search/queue/testing/redis-server.js";
import { ThreadEngine } from "../src/search/queue/threads.js";
import { runQueueWorker } from "../src/search/queue/worker.js";
import { type SearchResult, search } from "../src/search/search.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);
const ENVS = arg("envs", "CartPole-v1,Acrobot-v1,Pendulum-v1").split(",");
const SEED = Number(arg("seed", "1"));
const BRACKETS = Number(arg("brackets", "2"));
const WORKERS = Number(arg("workers", "2"));
const OUT = arg("out", "runs/bench-search");
const ENGINE_ENV = arg("engine-env", "CartPole-v1");
const ENGINE_STEPS = Number(arg("engine-steps", "8000"));
const stamp = `${Date.now()}`;

const TEACHERS: Record<string, string> = {
  "CartPole-v1": "models/cartpole-ppo.rldistill",
  "Acrobot-v1": "models/acrobot-ppo.rldistill",
  "Pendulum-v1": "models/pendulum-ppo.rldistill",
  "MountainCar-v0": "models/mountaincar-dqn.rldistill",
};
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" / ");

function row(cells: Array<string | number>): string {
  return `| ${cells.join(" | ")} |`;
}

async function smallest(): Promise<void> {
  console.log(
    `\n## Smallest student meeting the env's target (seed ${SEED}, ${BRACKETS} Hyperband brackets, ${WORKERS} threads)\n`,
  );
  console.log(
    row([
      "env",
      "target",
      "winner",
      "params",
      "teacher params",
      "share",
      "retention",
      "agreement",
      "trials",
      "wall (s)",
      "load 1/5/15",
    ]),
  );
  console.log(row(Array(11).fill("---")));
  for (const env of ENVS) {
    const teacher = TEACHERS[env];
    if (!teacher) throw new Error(`no shipped teacher for ${env}`);
    const engine = new ThreadEngine({ workers: WORKERS });
    const t0 = performance.now();
    const { summary: s } = await search(
      { env, teacher, seed: SEED, brackets: BRACKETS, out: join(OUT, `${env}-s${SEED}-${stamp}`) },
      { engine, print: (l) => console.error(l) },
    );
    await engine.close();
    const w = s.winner;
    console.log(
      row([
        env,
        s.target,
        w ? w.id : "none",
        w ? w.params : "-",
        s.teacher.params,
        w ? `1/${Math.round(1 / w.share)} (${(100 * w.share).toFixed(2)}%)` : "-",
        w?.retention?.toFixed(3) ?? "-",
        w?.agreement === null || w === null ? "-" : (100 * w.agreement!).toFixed(1) + "%",
        s.trials.length,
        ((performance.now() - t0) / 1000).toFixed(0),
        load(),
      ]),
    );
  }
}

async function engines(): Promise<void> {
  const cfg = {
    env: ENGINE_ENV,
    teacher: TEACHERS[ENGINE_ENV]!,
    seed: SEED,
    maxSteps: ENGINE_STEPS,
    brackets: 1,
    confirmSeeds: 2,
    confirmEpisodes: 30,
  };
  console.log(
    `\n## Wall time by engine (${ENGINE_ENV}, full budget ${ENGINE_STEPS} steps, 1 bracket, seed ${SEED})\n`,
  );
  console.log(row(["engine", "trials", "wall (s)", "vs 1 thread", "same trials and winner", "load 1/5/15"]));
  console.log(row(Array(6).fill("---")));
  let base: { wall: number; r: SearchResult } | undefined;
  const report = (name: string, wall: number, r: SearchResult) => {
    const fp = (x: SearchResult) =>
      x.summary.trials.map((t) => `${t.key}:${t.retention}:${t.agreement}`).join(",");
    base ??= { wall, r };
    const same = fp(r) === fp(base.r) && r.summary.winner?.id === base.r.summary.winner?.id;
    console.log(
      row([
        name,
        r.summary.trials.length,
        wall.toFixed(1),
        `${(wall / base.wall).toFixed(2)}x`,
        same ? "yes" : "NO",
        load(),
      ]),
    );
  };
  for (const n of [1, 2]) {
    const engine = new ThreadEngine({ workers: n });
    const t0 = performance.now();
    const r = await search({ ...cfg, out: join(OUT, `engines-threads${n}-${stamp}`) }, { engine });
    await engine.close();
    report(`${n} local thread${n > 1 ? "s" : ""}`, (performance.now() - t0) / 1000, r);
  }
  const redis = await new TestRedis().start();
  try {
    const stops = [new AbortController(), new AbortController()];
    const workers = stops.map((c, i) =>
      runQueueWorker({ url: redis.url, cacheDir: join(OUT, `cache-${i}-${stamp}`), signal: c.signal }),
    );
    const engine = new BullmqEngine({ url: redis.url });
    const t0 = performance.now();
    const r = await search({ ...cfg, out: join(OUT, `engines-queue2-${stamp}`) }, { engine });
    const wall = (performance.now() - t0) / 1000;
    await engine.close();
    for (const c of stops) c.abort();
    const done = await Promise.all(workers);
    report(
      `2 queue workers (BullMQ, redis-server on loopback; ${done.map((d) => d.processed).join(" + ")} trials)`,
      wall,
      r,
    );
  } finally {
    await redis.dispose();
  }
}

if (!flag("skip-smallest")) await smallest();
if (!flag("skip-engines")) await engines();
