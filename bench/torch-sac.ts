/**
 * The PyTorch side of the SAC benchmarks (bench/sac.ts, bench/train.ts): runs bench/py/sac_update.py,
 * the same gradient step in PyTorch with CleanRL's sac_continuous_action.py rules on random replay
 * data of the given shapes (Gymnasium's MuJoCo envs do not install in Python here, so only the
 * update loop is timed), one thread, and reads its JSON line.
 *
 * The BLAS matters: Debian's python3-torch calls whichever libblas.so.3 the system has, and with
 * only the reference BLAS (libblas3) its 256-256 update is about 10x slower than with OpenBLAS. The
 * result names the library PyTorch loaded. To measure against OpenBLAS without changing the
 * system's BLAS: `apt-get download libopenblas0-pthread && dpkg-deb -x libopenblas0-pthread_*.deb
 * ob`, then pass `blasDir: "ob/usr/lib/x86_64-linux-gnu/openblas-pthread"` (`--blas-dir` on the
 * command lines).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export interface TorchSacShapes {
  /** Gradient steps timed (after 20 warm-up steps). */
  steps: number;
  batch: number;
  /** Two hidden widths (the script builds two-hidden-layer MLPs, as CleanRL's). */
  hidden: readonly number[];
  obs: number;
  act: number;
  /** A folder holding the libblas.so.3 PyTorch should load (prepended to LD_LIBRARY_PATH). */
  blasDir?: string;
}

export type TorchSacTiming =
  | { ok: true; torch: string; blas: string; cpuMs: number; wallMs: number }
  | { ok: false; reason: string };

export function timeTorchSacUpdate(s: TorchSacShapes): TorchSacTiming {
  if (s.hidden.length !== 2)
    return { ok: false, reason: `needs two hidden widths, got ${s.hidden.join("-")}` };
  // Debian's python3-torch lives under the system interpreter (a pyenv shim may shadow it).
  const python = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  const args = [
    "--steps",
    s.steps,
    "--batch",
    s.batch,
    "--obs",
    s.obs,
    "--act",
    s.act,
    "--hidden",
    ...s.hidden,
  ];
  const run = runPythonJson<{
    torch: string;
    blas: string;
    cpu_ms_per_update: number;
    wall_ms_per_update: number;
  }>(python, "sac_update.py", args, s.blasDir);
  if (!run.ok) return run;
  const t = run.value;
  return { ok: true, torch: t.torch, blas: t.blas, cpuMs: t.cpu_ms_per_update, wallMs: t.wall_ms_per_update };
}

/**
 * The environment for a PyTorch baseline: one thread everywhere (torch.set_num_threads(1) does not
 * stop a BLAS library's own threads) and, with `blasDir`, that folder's libblas.so.3 first.
 */
export function torchEnv(blasDir?: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    OMP_NUM_THREADS: "1",
    OPENBLAS_NUM_THREADS: "1",
    MKL_NUM_THREADS: "1",
    ...(blasDir
      ? { LD_LIBRARY_PATH: [blasDir, process.env["LD_LIBRARY_PATH"]].filter(Boolean).join(":") }
      : {}),
  };
}

/**
 * Runs one of bench/py's baselines (`script` is relative to bench/py) under `torchEnv(blasDir)` and
 * parses the JSON line it prints last; a failed run gives its last line of stderr as the reason.
 */
export function runPythonJson<T>(
  python: string,
  script: string,
  args: readonly (string | number)[],
  blasDir?: string,
): { ok: true; value: T } | { ok: false; reason: string } {
  const py = spawnSync(python, [new URL(`./py/${script}`, import.meta.url).pathname, ...args.map(String)], {
    encoding: "utf8",
    env: torchEnv(blasDir),
  });
  if (py.status !== 0) {
    const why = (py.stderr || py.error?.message || "").trim().split("\n").pop();
    return { ok: false, reason: why || `exit status ${py.status}` };
  }
  return { ok: true, value: JSON.parse(py.stdout.trim().split("\n").pop()!) as T };
}

export interface TorchOffPolicyRun {
  algo: "sac" | "td3";
  env: string;
  steps: number;
  learningStarts: number;
  hidden: readonly number[];
  seed: number;
  /** An interpreter with torch and gymnasium[mujoco] (e.g. a venv made with --system-site-packages). */
  python?: string;
  blasDir?: string;
}

export type TorchOffPolicyResult =
  | {
      ok: true;
      torch: string;
      gymnasium: string;
      blas: string;
      sps: number;
      spsCpu: number;
      cpuMsPerLearningStep: number;
      last20Return: number | null;
    }
  | { ok: false; reason: string };

/**
 * CleanRL's SAC or TD3 loop on Gymnasium's MuJoCo env (bench/py/offpolicy_mujoco.py): env steps,
 * acting, replay and updates, timed as a whole and per learning step.
 */
export function runTorchOffPolicy(r: TorchOffPolicyRun): TorchOffPolicyResult {
  if (r.hidden.length !== 2)
    return { ok: false, reason: `needs two hidden widths, got ${r.hidden.join("-")}` };
  const args = [
    "--algo",
    r.algo,
    "--env",
    r.env,
    "--steps",
    r.steps,
    "--learning-starts",
    r.learningStarts,
    "--seed",
    r.seed,
    "--hidden",
    ...r.hidden,
  ];
  const python = r.python ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
  const run = runPythonJson<{
    torch: string;
    gymnasium: string;
    blas: string;
    sps: number;
    sps_cpu: number;
    cpu_ms_per_learning_step: number;
    last20_return: number | null;
  }>(python, "offpolicy_mujoco.py", args, r.blasDir);
  if (!run.ok) return run;
  const t = run.value;
  return {
    ok: true,
    torch: t.torch,
    gymnasium: t.gymnasium,
    blas: t.blas,
    sps: t.sps,
    spsCpu: t.sps_cpu,
    cpuMsPerLearningStep: t.cpu_ms_per_learning_step,
    last20Return: t.last20_return,
  };
}
