/**
 * Env step rates: `npx tsx bench/envs.ts [EnvId ...]` (default: every registered env).
 *
 * For each env: (a) the raw env (no wrappers), (b) through make() (TimeLimit + OrderEnforcing),
 * plus the two wrappers' costs apart (raw + TimeLimit; make() without the action check), and
 * (c) a SyncVectorEnv of 8 (env-steps/s), and a WorkerVectorEnv of 8 on 2 threads (set
 * BENCH_NO_WORKERS=1 to skip it). Actions are random, drawn from the seeded action space before the
 * timed loop; resets are included. Each figure is the median of 5 timed repeats, interleaved across
 * the variants so that load from other processes hits them alike, after a calibration run that also
 * warms up the JIT. Gymnasium's figures are quoted from docs/ANCHORS.md, not measured here.
 */
import type { Env } from "../src/core/env.js";
import { getRegistration, listEnvs, make } from "../src/envs/registry.js";
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
      const t0 = performance.now();
      v.run(v.steps!);
      v.rates.push((v.steps! * v.stepsPerCall) / ((performance.now() - t0) / 1000));
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

function main(): void {
  const ids = process.argv.slice(2).length ? process.argv.slice(2) : listEnvs();
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
  const results = new Map<string, { make: number; vec: number }>();
  for (const id of ids) {
    const { create, maxEpisodeSteps } = getRegistration(id);
    const single = (env: Env<unknown, unknown>): Variant => ({
      run: singleEnvRunner(env),
      stepsPerCall: 1,
      rates: [],
    });
    const sync = vectorRunner(id, "sync");
    const worker = withWorkers ? vectorRunner(id, "worker") : undefined;
    const variants = [
      single(create({})),
      single(maxEpisodeSteps ? new TimeLimit(create({}), maxEpisodeSteps) : create({})),
      single(make(id)),
      single(make(id, {}, { disableActionCheck: true })),
      { run: sync.run, stepsPerCall: NUM_ENVS, rates: [] },
      ...(worker ? [{ run: worker.run, stepsPerCall: NUM_ENVS, rates: [] }] : []),
    ];
    const [raw, timeLimited, viaMake, noCheck, vec, workerRate] = measure(variants) as number[];
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
    results.set(id, { make: viaMake!, vec: vec! });
  }
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

main();
