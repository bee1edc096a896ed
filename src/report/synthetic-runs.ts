/**
 * Writes synthetic run directories - one `train` run and one `distill` run with an eval.json -
 * in the formats the commands write, for the report tests and for trying `writeReport` without
 * training anything. The numbers are made up but shaped like real runs.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

function write(dir: string, name: string, value: unknown): void {
  writeFileSync(join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
}

function jsonl(dir: string, rows: object[]): void {
  writeFileSync(join(dir, "progress.jsonl"), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
}

/** A PPO teacher run on CartPole; `jitter` shifts its curves so two runs can be told apart. */
export function writeTrainRun(dir: string, opts: { jitter?: number; seed?: number } = {}): string {
  const j = opts.jitter ?? 0;
  mkdirSync(dir, { recursive: true });
  const seed = opts.seed ?? 0;
  write(dir, "config.json", {
    algo: "ppo",
    env: "CartPole-v1",
    seed,
    timesteps: 50000,
    ppo: { lr: 0.00025, nSteps: 128, numEnvs: 4, clip: 0.2, hidden: [64, 64] },
  });
  write(dir, "summary.json", {
    algo: "ppo",
    env: "CartPole-v1",
    timesteps: 50000,
    seed,
    sps: 6123.4 - 100 * j,
    wall_s: 8.17 + j,
    params: 4610,
    eval: { mean_return: 500 - 12 * j, std_return: 0 + 4 * j, episodes: 10 },
  });
  const rows = [];
  for (let i = 1; i <= 25; i++) {
    const step = i * 2048;
    const p = i / 25;
    const row: Record<string, number> = {
      step,
      "rollout/ep_rew_mean": 20 + 470 * (1 - Math.exp(-4 * p)) - 15 * j * p,
      "train/loss": 0.8 * Math.exp(-3 * p) + 0.02 * Math.sin(i) + 0.05 * j,
      "train/entropy": 0.69 - 0.35 * p,
      "time/fps": 6000 + 40 * Math.cos(i) - 100 * j,
    };
    if (i % 5 === 0) row["eval/mean_return"] = Math.min(500, 60 + 440 * p - 10 * j);
    rows.push(row);
  }
  jsonl(dir, rows);
  return dir;
}

const STRENGTHS = {
  obs: [0, 0.05, 0.1, 0.2, 0.4],
  sticky: [0, 0.1, 0.25, 0.5],
  length: [0.25, 0.5, 0.75, 1, 1.5],
};

function curve(strengths: number[], base: number, drop: number, scale: number): object[] {
  return strengths.map((s, i) => ({
    strength: s,
    meanReturn: Math.max(9, base - drop * (s / scale) ** 1.5),
    stdReturn: 5 + 10 * i,
  }));
}

export interface SyntheticDistillOptions {
  /**
   * Episode GIFs to put in the folder by policy name (e.g. `{ teacher, student }`), listed in
   * videos.json as distill writes them. The bytes are written as given.
   */
  videos?: Record<string, Uint8Array>;
  /** Leave out eval.json, as a folder fresh from `distill` has none. Default false. */
  noEval?: boolean;
}

/**
 * A distillation run (teacher 64-64 -> student 16-16) with headline.json, eval.json incl.
 * robustness, and optionally episode GIFs.
 */
export function writeDistillRun(dir: string, opts: SyntheticDistillOptions = {}): string {
  mkdirSync(dir, { recursive: true });
  write(dir, "config.json", {
    env: "CartPole-v1",
    seed: 1,
    teacher: "runs/ppo-cartpole/model.json",
    student: { hidden: [16, 16] },
    loss: "kl",
    temperature: 0.01,
    collector: "student",
    note: "<script>alert('x')</script> & friends",
  });
  // The DistillSummary layout of src/distill/run-dir.ts.
  write(dir, "summary.json", {
    env: "CartPole-v1",
    method: "student-driven",
    seed: 1,
    steps: 40000,
    wall_seconds: 21.4,
    interrupted: false,
    teacher: {
      name: "ppo-cartpole.rldm",
      files: ["ppo-cartpole.rldm"],
      params: 4610,
      eval: { mean_return: 500, std_return: 0, iqm: 500, episodes: 10 },
    },
    student: {
      params: 386,
      hidden: [16, 16],
      file: "student.rldm",
      eval: { mean_return: 487.5, std_return: 21.3, iqm: 488.5, episodes: 10 },
    },
    random: { eval: { mean_return: 22.4, std_return: 11.9, iqm: 20.1, episodes: 10 } },
    agreement: 0.962,
    js_divergence: 0.0213,
    retention: 0.973,
    checkpoints: [0.2, 0.4, 0.6, 0.8, 1].map((p) => ({
      progress: p,
      step: p * 40000,
      mean_return: 500 * (1 - Math.exp(-5 * p)) - 5,
      std_return: 30 * (1 - p) + 5,
      agreement: 0.5 + 0.46 * (1 - Math.exp(-6 * p)),
      js_divergence: 0.3 * Math.exp(-5 * p) + 0.02,
    })),
  });
  // What distill logs: curves that tell something, and bookkeeping / constant ones to fold away.
  jsonl(
    dir,
    Array.from({ length: 40 }, (_, i) => ({
      step: (i + 1) * 1000,
      "distill/loss": 0.6 * Math.exp(-i / 8) + 0.01,
      "distill/agreement": 0.5 + 0.46 * (1 - Math.exp(-i / 6)),
      "rollout/buffer_size": Math.min(20_000, (i + 1) * 1000),
      "train/updates": (i + 1) * 125,
      "time/progress": (i + 1) / 40,
      "schedule/tau": 1,
      "schedule/beta": 1 - i / 39,
    })),
  );
  // The end-of-run measurement of src/distill/headline.ts.
  write(dir, "headline.json", {
    teacher: {
      params: 4610,
      flops_per_action: 8960,
      bytes_float32: 18440,
      bytes_int8: 5012,
      p50_us: 4.4,
      p99_us: 9.1,
    },
    student: {
      params: 386,
      flops_per_action: 704,
      bytes_float32: 1544,
      bytes_int8: 542,
      p50_us: 1.1,
      p99_us: 2.9,
    },
    size_ratio: 386 / 4610,
    speedup: 4.4 / 1.1,
    latency: {
      path: "compileSpec act(), batch 1, acting network only",
      warmup: 100,
      iterations: 1000,
      states: 256,
    },
    retention: 0.973,
    agreement: 0.962,
    teacher_return: 500,
    student_return: 487.5,
    seconds: 0.21,
  });
  if (opts.videos) {
    const videos: Record<string, object> = {};
    for (const [name, bytes] of Object.entries(opts.videos)) {
      writeFileSync(join(dir, `${name}.gif`), bytes);
      videos[name] = {
        file: `${name}.gif`,
        bytes: bytes.length,
        returns: [name === "teacher" ? 500 : 487],
        lengths: [name === "teacher" ? 500 : 487],
      };
    }
    write(dir, "videos.json", { seed: 201_000, videos, skipped: null });
  }
  if (opts.noEval) return dir;
  /** eval.json's `inference` (src/eval/inference-paths.ts); figures shaped like STACK.md's. */
  const inferenceOf = (scale: number, maxAbsDiff: number) => {
    const lat = (batch: number, p50: number) => ({
      p50Us: p50,
      p99Us: 2.5 * p50,
      meanUs: 1.2 * p50,
      perSampleUs: (1.2 * p50) / batch,
      iterations: 1000,
      batch,
    });
    const path = (name: string, b1: number, b64: number, backend?: string) => ({
      path: name,
      ...(backend ? { backend } : {}),
      latency: [lat(1, b1 * scale), lat(64, b64 * scale)],
      maxAbsDiff: name === "float32-forward" ? 0 : maxAbsDiff,
    });
    return {
      batches: [1, 64],
      warmup: 100,
      iterations: 1000,
      states: 256,
      checkBatch: 64,
      maxAbsDiff,
      paths: [path("float32-forward", 4.6, 304), path("tfjs", 28, 53, "wasm"), path("onnxruntime", 10, 18)],
    };
  };
  const evalOf = (mean: number, sd: number) => ({
    episodes: 10,
    meanReturn: mean,
    stdReturn: sd,
    iqm: mean + 1,
    ci95: [mean - sd / 2, Math.min(500, mean + sd / 2)],
    successRate: mean > 490 ? 1 : 0.8,
    meanLength: mean,
  });
  write(dir, "eval.json", {
    env: "CartPole-v1",
    seed: 1,
    episodes: 10,
    policies: {
      teacher: {
        eval: evalOf(500, 0),
        efficiency: { params: 4610, flopsPerAction: 8960, bytesFloat32: 18440, bytesInt8: 5012 },
        latency: { p50Us: 4.6, p99Us: 9.8, meanUs: 5.1 },
        inference: inferenceOf(1, 3.2e-7),
      },
      student: {
        eval: evalOf(487.5, 21.3),
        efficiency: { params: 386, flopsPerAction: 704, bytesFloat32: 1544, bytesInt8: 542 },
        latency: { p50Us: 1.2, p99Us: 3.1, meanUs: 1.4 },
        inference: inferenceOf(0.25, 1.1e-7),
      },
    },
    random: evalOf(22.4, 11.9),
    retention: 0.973,
    similarity: {
      teacher: "teacher",
      student: "student",
      agreement: 0.962,
      jsDivergence: 0.0213,
      klTeacherStudent: 0.05,
      states: 2000,
    },
    robustness: {
      env: "CartPole-v1",
      episodes: 5,
      seed: 1,
      perturbations: [
        {
          name: "obs-noise",
          label: "Observation noise (std)",
          nominal: 0,
          results: {
            teacher: curve(STRENGTHS.obs, 500, 300, 0.4),
            student: curve(STRENGTHS.obs, 487, 380, 0.4),
          },
        },
        {
          name: "sticky-action",
          label: "Sticky actions (probability)",
          nominal: 0,
          results: {
            teacher: curve(STRENGTHS.sticky, 500, 200, 0.5),
            student: curve(STRENGTHS.sticky, 487, 260, 0.5),
          },
        },
        {
          name: "length",
          label: "Pole length (m)",
          nominal: 0.5,
          results: {
            teacher: curve(STRENGTHS.length, 500, 60, 1.5),
            student: curve(STRENGTHS.length, 487, 150, 1.5),
          },
        },
      ],
    },
  });
  return dir;
}
