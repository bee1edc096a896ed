/**
 * Env step rates: `npx tsx bench/envs.ts [EnvId ...]` (default: every registered env).
 *
 * For each env: (a) the raw env (no wrappers), (b) through make() (TimeLimit + OrderEnforcing),
 * plus the two wrappers' costs apart (raw + TimeLimit; make() without the action check), and
 * (c) a SyncVectorEnv of 8 (env-steps/s; sub-envs with `stepInto` write into its batch), and a
 * WorkerVectorEnv of 8 on 2 threads (set BENCH_NO_WORKERS=1 to skip it). Actions are random, drawn from the seeded action space before the
 * timed loop; resets are included. Each figure is the median of 5 timed repeats, interleaved across
 * the variants so that load from other processes hits them alike, after a calibration run that also
 * warms up the JIT. Gymnasium's figures are quoted from docs/ANCHORS.md, not measured here.
 *
 * MinAtar (the MinAtar/<Game>-v1 ids): make() and the SyncVectorEnv of 8 as multiples of MinAtar
 * 1.0.15's Python steps/s (goal: 20x). Give the Python figures measured in the same session as a
 * JSON file of steps/s per game (`MINATAR_PYTHON=rates.json`, e.g. {"Breakout": 150000, ...});
 * without it the figures of docs/ANCHORS.md are quoted, and the output says so.
 */

import { readFileSync } from "node:fs";
import type { Env } from "../src/core/env.js";
import { getRegistration, listEnvs, make, prepareEnv } from "../src/envs/registry.js";
import { makeVec } from "../src/envs/vector/make-vec.js";
import { WorkerVectorEnv } from "../src/envs/vector/worker-vector-env.js";
import { TimeLimit } from "../src/envs/wrappers/time-limit.js";

const REPEATS = 5;
const TARGET_SECONDS = 0.25;
const POOL = 4096; // pre-drawn actions, cycled
const NUM_ENVS = 8;
/** Quoted from ../shared/docs/ANCHORS.md (Gymnasium 1.4.0, this machine kind); not measured here. */
const GYMNASIUM_CARTPOLE_MAKE = 128_000;
const GYMNASIUM_CARTPOLE_VEC8 = 109_000;
/**
 * MinAtar 1.0.15 through its Gymnasium wrapper, steps/s, quoted from ../shared/docs/ANCHORS.md
 * (sticky actions 0.1, random actions with resets, best of 2 runs of 20k steps, loaded 2-core machine).
 */
const MINATAR_PYTHON_QUOTED: Record<string, number> = {
  Asterix: 146_000,
  Breakout: 149_000,
  Freeway: 59_000,
  Seaquest: 111_000,
  SpaceInvaders: 17_000,
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Variant {
  run: (steps: number) => void;
  /** Env steps per call of run's unit (NUM_ENVS for vector envs). */
  stepsPerCall: number;
  steps?: number;
  rates: number[];
  /** Steps per second of this process's CPU time (all its threads), per repeat. */
  cpuRates: number[];
}

/** Calibrates `steps` so one timed call takes about TARGET_SECONDS. */
function calibrate(v: Variant): void {
  let steps = 2000;
  for (;;) {
    const t0 = performance.now();
    v.run(steps);
    const dt = (performance.now() - t0) / 1000;
    if (dt > 0.05) {
      v.steps = Math.max(1000, Math.round((steps * TARGET_SECONDS) / dt));
      return;
    }
    steps *= 4;
  }
}

/**
 * Median steps/s of each variant. The repeats are interleaved (one of each variant per round) so
 * that load from other processes shifts all variants alike and the ratios stay meaningful.
 */
function measure(variants: Variant[]): number[] {
  for (const v of variants) calibrate(v);
  for (let r = 0; r < REPEATS; r++) {
    for (const v of variants) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      v.run(v.steps!);
      const wall = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(c0);
      v.rates.push((v.steps! * v.stepsPerCall) / wall);
      v.cpuRates.push((v.steps! * v.stepsPerCall) / ((cpu.user + cpu.system) / 1e6));
    }
  }
  return variants.map((v) => median(v.rates));
}

function singleEnvRunner(env: Env<unknown, unknown>): (steps: number) => void {
  env.actionSpace.seed(0);
  const actions = Array.from({ length: POOL }, () => env.actionSpace.sample());
  env.reset({ seed: 0 });
  return (steps) => {
    for (let t = 0; t < steps; t++) {
      const r = env.step(actions[t & (POOL - 1)]);
      if (r.terminated || r.truncated) env.reset();
    }
  };
}

function vectorRunner(
  id: string,
  mode: "sync" | "worker",
): { run: (steps: number) => void; close: () => void } {
  const venv =
    mode === "sync" ? makeVec(id, NUM_ENVS) : new WorkerVectorEnv(NUM_ENVS, { envId: id, numWorkers: 2 });
  const space = venv.singleActionSpace;
  space.seed(0);
  const batches = Array.from({ length: POOL / NUM_ENVS }, () => {
    const batch =
      space.type === "Discrete" ? new Int32Array(NUM_ENVS) : new Float32Array(NUM_ENVS * venv.actSize);
    for (let i = 0; i < NUM_ENVS; i++) {
      const a = space.sample();
      if (typeof a === "number") batch[i] = a;
      else batch.set(a as ArrayLike<number>, i * venv.actSize);
    }
    return batch;
  });
  venv.reset({ seed: 0 });
  const mask = batches.length - 1;
  return {
    run: (steps) => {
      for (let t = 0; t < steps; t++) venv.step(batches[t & mask]!);
    },
    close: () => venv.close(),
  };
}

function fmt(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(0)}k`;
}

/** Per game: median wall-clock steps/s and median steps per CPU second. */
type PythonRates = Record<string, { median: number; cpu: number }>;

/**
 * MinAtar's Python rates: measured in this session (MINATAR_PYTHON=file.json, per game
 * { median, cpu }) or quoted from ANCHORS.md (one wall-clock figure, a best of 2, used for both).
 */
function minatarPython(): { rates: PythonRates; source: string } {
  const file = process.env["MINATAR_PYTHON"];
  const both = (r: Record<string, number | { median: number; cpu: number }>): PythonRates =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [k, typeof v === "number" ? { median: v, cpu: v } : v]),
    );
  if (!file) {
    return { rates: both(MINATAR_PYTHON_QUOTED), source: "quoted from docs/ANCHORS.md, not measured here" };
  }
  return {
    rates: both(JSON.parse(readFileSync(file, "utf8"))),
    source: `measured in this session (${file})`,
  };
}

interface RateRow {
  make: number;
  vec: number;
  makeCpu: number;
  vecCpu: number;
}

/**
 * make() and SyncVectorEnv-of-8 rates against Python's: wall-clock medians against Python's, and
 * steps per CPU second against Python's (on a busy machine a process waits for a core a varying
 * share of the wall time; per CPU second, that wait does not count, on either side).
 */
function reportMinAtar(results: Map<string, RateRow>): void {
  const rows = [...results].filter(([id]) => /^MinAtar\/\w+-v1$/.test(id));
  if (rows.length === 0) return;
  const python = minatarPython();
  console.log(`\nMinAtar vs MinAtar 1.0.15 Python through its Gymnasium wrapper (${python.source}):`);
  console.log(
    "| game | Python wall / CPU | make() wall / CPU | x Python (wall / CPU) | SyncVec 8 wall / CPU | x Python (wall / CPU) |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const [id, r] of rows) {
    const game = id.replace(/^MinAtar\/|-v1$/g, "");
    const py = python.rates[game];
    if (!py) continue;
    const x = (a: number, b: number): string => `${(a / b).toFixed(1)}x`;
    console.log(
      `| ${game} | ${fmt(py.median)} / ${fmt(py.cpu)} | ${fmt(r.make)} / ${fmt(r.makeCpu)} | ${x(r.make, py.median)} / ${x(r.makeCpu, py.cpu)} | ${fmt(r.vec)} / ${fmt(r.vecCpu)} | ${x(r.vec, py.median)} / ${x(r.vecCpu, py.cpu)} |`,
    );
  }
  console.log("Goal: make() >= 20x Python.");
}

async function main(): Promise<void> {
  const ids = process.argv.slice(2).length ? process.argv.slice(2) : listEnvs();
  for (const id of ids) await prepareEnv(id);
  const withWorkers = !process.env["BENCH_NO_WORKERS"];
  console.log(
    `Node ${process.version}; median of ${REPEATS} x ~${TARGET_SECONDS}s; random actions; resets included`,
  );
  const header = [
    "env",
    "raw",
    "raw+TimeLimit",
    "make()",
    "make() no action check",
    "make()/raw",
    `SyncVec ${NUM_ENVS}`,
    ...(withWorkers ? [`WorkerVec ${NUM_ENVS} (2 thr)`] : []),
  ];
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map(() => "---").join("|")}|`);
  const results = new Map<string, RateRow>();
  for (const id of ids) {
    const { create, maxEpisodeSteps } = getRegistration(id);
    const single = (env: Env<unknown, unknown>): Variant => ({
      run: singleEnvRunner(env),
      stepsPerCall: 1,
      rates: [],
      cpuRates: [],
    });
    const sync = vectorRunner(id, "sync");
    const worker = withWorkers ? vectorRunner(id, "worker") : undefined;
    const variants = [
      single(create({})),
      single(maxEpisodeSteps ? new TimeLimit(create({}), maxEpisodeSteps) : create({})),
      single(make(id)),
      single(make(id, {}, { disableActionCheck: true })),
      { run: sync.run, stepsPerCall: NUM_ENVS, rates: [], cpuRates: [] },
      ...(worker ? [{ run: worker.run, stepsPerCall: NUM_ENVS, rates: [], cpuRates: [] }] : []),
    ];
    const [raw, timeLimited, viaMake, noCheck, vec, workerRate] = measure(variants) as number[];
    const cpu = (v: Variant): number => median(v.cpuRates);
    sync.close();
    worker?.close();
    const row = [
      id,
      fmt(raw!),
      fmt(timeLimited!),
      fmt(viaMake!),
      fmt(noCheck!),
      (viaMake! / raw!).toFixed(2),
      fmt(vec!),
    ];
    if (workerRate !== undefined) row.push(fmt(workerRate));
    console.log(`| ${row.join(" | ")} |`);
    results.set(id, { make: viaMake!, vec: vec!, makeCpu: cpu(variants[2]!), vecCpu: cpu(variants[4]!) });
  }
  reportMinAtar(results);
  const cp = results.get("CartPole-v1");
  if (cp) {
    console.log(
      `\nCartPole-v1 vs Gymnasium 1.4 (quoted from docs/ANCHORS.md, not measured here: ${fmt(GYMNASIUM_CARTPOLE_MAKE)} steps/s through make, ${fmt(GYMNASIUM_CARTPOLE_VEC8)} in a SyncVectorEnv of 8):`,
    );
    console.log(
      `  make(): ${(cp.make / GYMNASIUM_CARTPOLE_MAKE).toFixed(1)}x (goal >= 20x = ${fmt(20 * GYMNASIUM_CARTPOLE_MAKE)})`,
    );
    console.log(`  SyncVectorEnv of 8: ${(cp.vec / GYMNASIUM_CARTPOLE_VEC8).toFixed(1)}x`);
  }
}

await main();
