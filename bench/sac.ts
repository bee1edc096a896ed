/**
 * SAC update throughput: our SAC gradient step (SIMD kernels, no tape) against the same update in
 * PyTorch (bench/py/sac_update.py, CleanRL's sac_continuous_action.py rules, 1 thread), both with
 * Hopper-v5's shapes (obs 11, action 3), 256-256 networks, batch 256, measured in the same run.
 *
 *   npx tsx bench/sac.ts                  # 200 updates each
 *   npx tsx bench/sac.ts --steps 500 --hidden 64,64
 *   npx tsx bench/sac.ts --blas-dir DIR   # PyTorch on the libblas.so.3 in DIR (see below)
 *
 * The BLAS matters: Debian's python3-torch calls whichever libblas.so.3 the system has, and with
 * only the reference BLAS (libblas3) its 256-256 update is about 12x slower than with OpenBLAS. The
 * PyTorch line names the library it loaded. To measure against OpenBLAS without changing the
 * system's BLAS: `apt-get download libopenblas0-pthread && dpkg-deb -x libopenblas0-pthread_*.deb
 * ob` and pass `--blas-dir ob/usr/lib/x86_64-linux-gnu/openblas-pthread`.
 *
 * What is measured: CPU time per gradient step (critic, actor and temperature steps and the
 * Polyak update). Ours runs inside SAC.learn on Hopper-v5 with every env step followed by one
 * update, so it includes one Hopper step per update (about 0.1 ms of the total); PyTorch's samples
 * random data (MuJoCo for Python does not install here). Not measured: returns (CleanRL's SAC on
 * MuJoCo cannot run here), multi-threaded PyTorch. CPU time, not wall time, because the 2 cores
 * are shared; the load average is printed.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { prepareEnv } from "../src/envs/registry.js";
import { SAC } from "../src/rl/sac.js";

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

// Debian's python3-torch lives under the system interpreter (a pyenv shim may shadow it).
const python = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
const py = spawnSync(
  python,
  [
    new URL("./py/sac_update.py", import.meta.url).pathname,
    "--steps",
    String(steps),
    "--batch",
    String(batch),
    "--hidden",
    ...hidden.map(String),
  ],
  {
    encoding: "utf8",
    // One thread everywhere: torch.set_num_threads(1) does not stop a BLAS library's own threads.
    env: {
      ...process.env,
      OMP_NUM_THREADS: "1",
      OPENBLAS_NUM_THREADS: "1",
      MKL_NUM_THREADS: "1",
      ...(blasDir
        ? { LD_LIBRARY_PATH: [blasDir, process.env["LD_LIBRARY_PATH"]].filter(Boolean).join(":") }
        : {}),
    },
  },
);
if (py.status !== 0) {
  console.log(`PyTorch: not measured (${(py.stderr || py.error?.message || "").trim().split("\n").pop()})`);
} else {
  const t = JSON.parse(py.stdout.trim().split("\n").pop()!) as {
    torch: string;
    blas: string;
    cpu_ms_per_update: number;
    wall_ms_per_update: number;
  };
  console.log(
    `PyTorch ${t.torch} (1 thread, BLAS ${t.blas}), same update: ${t.cpu_ms_per_update.toFixed(2)} ms CPU / update (${t.wall_ms_per_update.toFixed(1)} ms wall)`,
  );
  console.log(`ratio ours / PyTorch (CPU): ${(oursCpu / t.cpu_ms_per_update).toFixed(2)}`);
}
console.log(
  `projected CPU time of 1M SAC steps (one update per step): ${((oursCpu * 1e6) / 3.6e6).toFixed(1)} h`,
);
