/**
 * Architecture search benchmark (on demand, never in the test suite):
 *
 *   npx tsx bench/search.ts [--envs CartPole-v1,Acrobot-v1,Pendulum-v1] [--seed 1] [--brackets 2]
 *                           [--workers 2] [--out DIR] [--skip-smallest] [--skip-engines]
 *                           [--engine-env CartPole-v1] [--engine-steps 8000] [--engine-min-steps 0]
 *                           [--skip-federated] [--fed-env CartPole-v1|Acrobot-v1] [--fed-mode fedavg|soft-labels]
 *                           [--fed-rounds 10] [--fed-local-steps 4096] [--fed-teacher-steps 60000]
 *
 * 1. Smallest student: `search()` on each env with its shipped teacher (models/<env>-ppo), the env's
 *    default target (presets/search.json) and the distill preset's budget as the full budget; prints
 *    the confirmed winner, its share of the teacher's parameters, the trials and the wall time.
 * 2. Engines: one smaller search (--engine-env, --engine-steps) on 1 local worker thread, 2 local
 *    threads and 2 BullMQ queue workers (a redis-server started here on a loopback port); prints
 *    the wall time of each, its ratio to 1 thread, and whether trials and winner are identical.
 *
 * 3. Federated: CartPole-v1 clients with different pole lengths and masses, or Acrobot-v1 clients with
 *    different link masses (--fed-env; local PPO teachers trained here), FedAvg or soft labels
 *    (--fed-mode) over --fed-rounds rounds against centralised distillation on the pooled variants;
 *    prints the per-client table and the federated / centralised ratio of mean retention.
 *
 * The machine is shared: the load average is printed with every figure. Run folders go to --out
 * (default runs/bench-search).
 *
 * Measured (2-core machine shared with other engineers' jobs, Node 20.20, load averages in the rows):
 *
 * `npx tsx bench/search.ts --skip-engines --skip-federated --brackets 1 --workers 1` (full budget =
 * the distill preset's 50k steps; the most exploratory Hyperband bracket only: 27 candidates at 1.85k
 * steps, 9 at 5.6k, 3 at 16.7k, 1 at 50k, then 3 confirmation seeds x 100 episodes):
 *
 * | env | target | confirmed winner | params | share of teacher | retention | agreement | trials | wall (s) | load |
 * | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
 * | CartPole-v1 | retention=0.99,agreement=0.97 | mlp-32x4-tanh-int8 | 302 | 1/224 (of 67,586) | 1.000 | 99.8% | 43 | 1497 | 14-17 |
 * | Acrobot-v1 | retention=0.99,agreement=0.97 | mlp-2-tanh-int8 | 23 | 1/2972 (of 68,355) | 1.007 | 99.4% | 43 | 287 | 10-16 |
 * | Pendulum-v1 | retention=0.99 | mlp-4x8-tanh-int8 | 66 | 1/1016 (of 67,074) | 0.993 | - | 43 | 226 | 9-14 |
 *
 * The default search (all 4 Hyperband brackets, 69-73 trials) through the CLI, 2 threads, seed 1:
 * `rldistill search --teacher models/<env>-ppo.rldistill --env <env> --workers 2 --seed 1` (load 9-11):
 *
 * | env | confirmed winner | params | share of teacher | retention | agreement | trials | wall (s) |
 * | --- | --- | --- | --- | --- | --- | --- | --- |
 * | CartPole-v1 | mlp-2-tanh-int8 | 16 | 1/4224 | 1.000 | 99.3% | 71 | 188 |
 * | Acrobot-v1 | mlp-2-relu-int8 | 23 | 1/2972 | 1.005 | 99.5% | 69 | 221 |
 * | Pendulum-v1 | mlp-4x8-tanh-int8 | 66 | 1/1016 | 0.992 | - | 73 | 262 |
 *
 * (Pendulum's smallest passing full-budget trial, mlp-8x2-relu-int8 with 54 parameters, failed its
 * confirmation: mean retention 0.9897 < 0.99 over 3 seeds x 100 episodes; the next one passed.)
 *
 * MinAtar/Breakout-v1, MLP against conv students (`kinds` auto on image observations), teacher
 * models/minatar-breakout-ppo.rldistill (MinAtar baseline CNN, 132,179 parameters, 23.2 over 100
 * episodes), target retention=0.9,agreement=0.9 (presets/search.json: a 20-episode mean of this
 * teacher moves by +-13%, and its greedy action is often a tie), seed 1, 4 brackets, 2 threads:
 * `rldistill search --teacher models/minatar-breakout-ppo.rldistill --env MinAtar/Breakout-v1 --seed 1
 * --workers 2 --max-steps 49152 --set trialEpisodes=30 --distill-set learningRate=0.003
 * --distill-set trainRatio=0.25` (1,820..49,152 steps, 770k steps in all; load 9-25):
 *
 * | confirmed winner | params | share of teacher | retention | agreement | trials | wall (s) |
 * | --- | --- | --- | --- | --- | --- | --- |
 * | conv4x3-fc16-tanh-float32 | 4,311 | 1/31 (3.3%) | 0.929 | 92.2% | 71 | 3158 |
 *
 * Confirmation over 3 seeds x 100 episodes: student 20.7 / 23.3 / 20.6 against the teacher's 23.9 /
 * 23.7 / 21.7 (random 0.4); agreement 92.0 / 93.1 / 91.4%. Full-budget trials by size (params,
 * retention, agreement over 30 episodes): conv8x3-fc4-fc32-relu 2,607 (0.00, 59%: a dead student),
 * conv4x3-fc16-relu 4,311 (0.80, 92%), conv4x3-fc16-tanh 4,311 (1.00, 93%), mlp-16-tanh 6,467 (0.99,
 * 93%), mlp-32x4-relu 12,979 (1.10, 95%), mlp-32x16-relu 13,411 (0.95, 94%), conv8x3-fc32-fc8-tanh-int8
 * 17,003 (1.08, 93%), conv8x3-fc32-fc32-relu-int8 17,867 (0.98, 94%). The smallest MLP that met the
 * target (mlp-16-tanh, reading the 400 frame values directly) needs 1.5x the conv winner's
 * parameters. No student reached the classic-control target (agreement 0.97) at these budgets: the
 * best agreement of any trial was 95.0%.
 *
 * `npx tsx bench/search.ts --skip-smallest --skip-federated --engine-steps 6000 --engine-min-steps 667`
 * (CartPole-v1, 15 trials): 1 thread 123.6 s; 2 threads 94.7 s (0.77x); 2 BullMQ workers on a
 * loopback redis-server 84.4 s (0.68x; 9 + 6 trials); identical trials and winner on all three
 * (load 7-8). An earlier run with 42 trials (--engine-steps 8000) under load 16-19: 612 s, 434 s
 * (0.71x), 806 s (1.32x, overlapping a full test-suite run); identical trials and winner.
 *
 * `npx tsx bench/search.ts --skip-smallest --skip-engines --workers 2` (3 CartPole-v1 clients with
 * local PPO teachers of 60k steps, 10 rounds x 4096 local steps, 16-16 student):
 *
 * | client | kwargs | teacher return | federated retention | agreement | centralised retention | agreement |
 * | --- | --- | --- | --- | --- | --- | --- |
 * | 0 | length 0.3, masspole 0.1 | 392.0 | 0.952 | 0.986 | 0.965 | 0.979 |
 * | 1 | length 0.5, masspole 0.2 | 381.5 | 1.113 | 0.939 | 1.056 | 0.956 |
 * | 2 | length 0.8, masspole 0.05 | 397.4 | 1.073 | 0.829 | 1.050 | 0.858 |
 *
 * Mean retention: federated 1.046, centralised 1.024: federated / centralised = 1.022 (goal >= 0.95);
 * 618 s, load 9-13.
 *
 * Soft labels (`--mode soft-labels`: the clients label the server's 2,048 public states per round
 * with their teachers; the server distils on all rounds' states, 5 epochs; centralised baseline with
 * the same 61,440 labelled samples as env steps), the same three CartPole-v1 teachers (the FedAvg
 * run's, passed as files), seed 1, 10 rounds, 16-16 student, 1 thread:
 * `rldistill federated --env CartPole-v1 --mode soft-labels --seed 1 --rounds 10 --student 16,16
 * --client length=0.3,masspole=0.1@T0 --client length=0.5,masspole=0.2@T1 --client length=0.8,masspole=0.05@T2`
 * (95 s, load 20-25):
 *
 * | client | kwargs | teacher return | soft-label retention | agreement | centralised retention |
 * | --- | --- | --- | --- | --- | --- |
 * | 0 | length 0.3, masspole 0.1 | 392.0 | 0.973 | 0.984 | 0.917 |
 * | 1 | length 0.5, masspole 0.2 | 381.5 | 1.100 | 0.947 | 1.075 |
 * | 2 | length 0.8, masspole 0.05 | 397.4 | 1.072 | 0.829 | 1.070 |
 *
 * Mean retention: soft labels 1.048, centralised 1.021: 102.7% of centralised (goal >= 95%).
 *
 * Acrobot-v1 clients with different link masses (linkMass2 0.6; defaults; linkMass1 1.4 and
 * linkMass2 1.2), local PPO teachers of 80k steps trained by the FedAvg run (`--set
 * teacherSteps=80000`), then the soft-label run on the same teacher files; seed 1, 10 rounds, 16-16:
 * `rldistill federated --env Acrobot-v1 --mode fedavg --seed 1 --rounds 10 --student 16,16 --set
 * teacherSteps=80000 --client linkMass2=0.6 --client linkMass1=1.0 --client linkMass1=1.4,linkMass2=1.2`,
 * then `--mode soft-labels` with `--client <kwargs>@<fedavg out>/teachers/client-<i>.rldistill`
 * (`bench/search.ts --skip-smallest --skip-engines --fed-env Acrobot-v1 [--fed-mode soft-labels]
 * --fed-teacher-steps 80000` runs the same, training its own teachers):
 *
 * | client | kwargs | teacher return | FedAvg retention | agreement | its centralised | soft-label retention | agreement | its centralised |
 * | --- | --- | --- | --- | --- | --- | --- | --- | --- |
 * | 0 | linkMass2 0.6 | -65.2 | 0.984 | 0.924 | 1.002 | 0.983 | 0.933 | 0.984 |
 * | 1 | defaults | -84.8 | 1.005 | 0.976 | 1.010 | 1.005 | 0.977 | 1.001 |
 * | 2 | linkMass1 1.4, linkMass2 1.2 | -93.8 | 0.969 | 0.938 | 0.989 | 0.969 | 0.919 | 0.991 |
 *
 * Mean retention: FedAvg 0.986 vs centralised 1.000 (122,880 steps): 98.6%; soft labels 0.986 vs
 * centralised 0.992 (61,440 steps): 99.3% (goal >= 95%). Wall: FedAvg 692 s including the three
 * teachers, soft labels 51 s (load 20-24).
 */
import { loadavg } from "node:os";
import { join } from "node:path";
import type { SearchConfig } from "../src/search/config.js";
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
const ENGINE_MIN_STEPS = Number(arg("engine-min-steps", "0"));
const stamp = `${Date.now()}`;

const TEACHERS: Record<string, string> = {
  "CartPole-v1": "models/cartpole-ppo.rldistill",
  "Acrobot-v1": "models/acrobot-ppo.rldistill",
  "Pendulum-v1": "models/pendulum-ppo.rldistill",
  "MountainCar-v0": "models/mountaincar-dqn.rldistill",
  "MinAtar/Breakout-v1": "models/minatar-breakout-ppo.rldistill",
};

/** Settings of the smallest-student search beyond the env's presets (the exact CLI flags in the notes). */
const SEARCH_EXTRA: Record<string, Partial<SearchConfig>> = {
  // Pixel students learn slower per step than the distill defaults assume: lr 3e-3 and twice the
  // updates per step; 30 trial episodes against Breakout's noisy returns.
  "MinAtar/Breakout-v1": {
    maxSteps: 49152,
    trialEpisodes: 30,
    distill: { learningRate: 0.003, trainRatio: 0.25 },
  },
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
      {
        env,
        teacher,
        seed: SEED,
        brackets: BRACKETS,
        ...SEARCH_EXTRA[env],
        out: join(OUT, `${env.replace("/", "-")}-s${SEED}-${stamp}`),
      },
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
    minSteps: ENGINE_MIN_STEPS,
    brackets: 1,
    confirmSeeds: 2,
    confirmEpisodes: 30,
  };
  console.log(
    `\n## Wall time by engine (${ENGINE_ENV}, budgets ${ENGINE_MIN_STEPS || "max/27"}..${ENGINE_STEPS} steps, 1 bracket, seed ${SEED})\n`,
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

async function federatedBench(): Promise<void> {
  const { federated } = await import("../src/search/federated/federated.js");
  const rounds = Number(arg("fed-rounds", "10"));
  const env = arg("fed-env", "CartPole-v1");
  const mode = arg("fed-mode", "fedavg") as "fedavg" | "soft-labels";
  const variants: Record<string, Array<Record<string, number>>> = {
    "CartPole-v1": [
      { length: 0.3, masspole: 0.1 },
      { length: 0.5, masspole: 0.2 },
      { length: 0.8, masspole: 0.05 },
    ],
    "Acrobot-v1": [{ linkMass2: 0.6 }, { linkMass1: 1.0 }, { linkMass1: 1.4, linkMass2: 1.2 }],
  };
  const clients = variants[env];
  if (!clients)
    throw new Error(`--fed-env: no client variants for ${env}; use ${Object.keys(variants).join(" or ")}`);
  const engine = new ThreadEngine({ workers: WORKERS });
  const t0 = performance.now();
  const { summary: s } = await federated(
    {
      env,
      mode,
      seed: SEED,
      rounds,
      localSteps: Number(arg("fed-local-steps", "4096")),
      student: [16, 16],
      teacherSteps: Number(arg("fed-teacher-steps", "60000")),
      clients: clients.map((envKwargs) => ({ envKwargs })),
      out: join(OUT, `federated-${env}-${mode}-s${SEED}-${stamp}`),
    },
    { engine, print: (l) => console.error(l) },
  );
  await engine.close();
  console.log(
    `\n## Federated (${mode}, ${rounds} rounds, 3 ${env} clients, 16-16 student) vs centralised on the pooled variants\n`,
  );
  console.log(
    row([
      "client",
      "kwargs",
      "local teacher return",
      "federated return",
      "federated retention",
      "agreement",
      "centralised retention",
      "centralised agreement",
    ]),
  );
  console.log(row(Array(8).fill("---")));
  for (const c of s.clients)
    console.log(
      row([
        c.client,
        JSON.stringify(c.envKwargs),
        c.federated.teacher_return.toFixed(1),
        c.federated.student_return.toFixed(1),
        c.federated.retention?.toFixed(3) ?? "-",
        c.federated.agreement?.toFixed(3) ?? "-",
        c.centralised?.retention?.toFixed(3) ?? "-",
        c.centralised?.agreement?.toFixed(3) ?? "-",
      ]),
    );
  console.log(
    `\nmean retention: federated ${s.meanRetention.federated?.toFixed(3) ?? "-"}, centralised ${s.meanRetention.centralised?.toFixed(3) ?? "-"}; ratio ${s.ratio?.toFixed(3) ?? "-"} (goal >= 0.95); ${((performance.now() - t0) / 1000).toFixed(0)} s, load ${load()}`,
  );
}

if (!flag("skip-smallest")) await smallest();
if (!flag("skip-engines")) await engines();
if (!flag("skip-federated")) await federatedBench();
