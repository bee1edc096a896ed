/**
 * `search()`: the smallest student that still behaves like the teacher, the library call behind
 * `rldistill search`.
 *
 *   const { summary, runDir } = await search({
 *     env: "CartPole-v1", teacher: "models/cartpole-ppo.rldistill", objective: "params",
 *     target: "retention=0.99,agreement=0.97", seed: 1,
 *   }, { workers: 2 });
 *   summary.winner;  // { id: "mlp-4-tanh-float32", params: 30, share: 0.00044, retention, agreement }
 *
 * How it goes:
 *  1. Candidates are sampled (seeded) from the space (space.ts); their sizes are known before training.
 *  2. Hyperband (schedule.ts): each bracket trains its candidates on a short budget, keeps the best
 *     1/eta by non-dominated rank on (size, shortfall from the target) (rank.ts), and gives those
 *     eta times the budget, up to the full budget. A rung is promoted only once all its trials have
 *     finished, so the schedule depends on results alone, never on which worker was fastest.
 *  3. Among full-budget trials that meet the target, the smallest is confirmed: `confirmSeeds`
 *     fresh runs evaluated over `confirmEpisodes` episodes; the mean must meet the target, else the
 *     next smallest is tried. The confirmed student is copied to <out>/student.rldistill.
 *
 * Trials are idempotent and keyed by a hash of their content (trial.ts); finished ones live in the
 * run folder (run-dir.ts), so `resume: true` after Ctrl-C or a crash runs only what is missing.
 */
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import type { Box } from "../core/spaces.js";
import { resolveDistillConfig } from "../distill/config.js";
import { SpecTeacher } from "../distill/teachers/spec-teacher.js";
import { libraryVersion } from "../nn/checkpoint.js";
import { resolveSearchConfig, type SearchConfig, spaceOf, targetOf } from "./config.js";
import { loadTrialTeacher } from "./execute.js";
import { InlineEngine, TrialAborted, type TrialEngine } from "./queue/engine.js";
import { ThreadEngine } from "./queue/threads.js";
import { formatTarget, meetsTarget, paretoFront, rankTrials, type Target } from "./rank.js";
import { readJson, SearchRunDir } from "./run-dir.js";
import { type TrialRecord, TrialRunner } from "./runner.js";
import { hyperbandPlan, planSteps } from "./schedule.js";
import {
  type Candidate,
  candidateId,
  checkSpace,
  distillFields,
  measureCandidateLatency,
  type StudentIO,
  sampleCandidates,
  sizesOf,
} from "./space.js";
import { makeTrial, sha256, type TrialConfig, type TrialSpec } from "./trial.js";

export interface SearchOptions {
  /** Where trials run. Default: `workers` threads (0: this thread). */
  engine?: TrialEngine;
  /** Threads of the default engine. Default 1. */
  workers?: number;
  /** Continue the search in `out` (its search.json wins over `config`, except nothing). */
  resume?: boolean;
  print?: (line: string) => void;
  /** Aborting stops the search at once; finished trials are kept for `resume`. */
  signal?: AbortSignal;
}

export interface Confirmation {
  id: string;
  keys: string[];
  retention: number | null;
  agreement: number | null;
  passed: boolean;
}

export interface SearchSummary {
  kind: "search";
  version: string;
  env: string;
  envKwargs: Record<string, number>;
  teacher: { file: string; hash: string; params: number };
  objective: SearchConfig["objective"];
  target: string;
  plan: {
    maxSteps: number;
    minSteps: number;
    eta: number;
    brackets: ReturnType<typeof hyperbandPlan>;
    steps: number;
  };
  brackets: Array<{ s: number; rungs: Array<{ steps: number; keys: string[] }> }>;
  trials: TrialRecord[];
  /** Full-budget search trials on the Pareto front of size against each metric, by size. */
  pareto: { retention: string[]; agreement: string[] };
  confirmations: Confirmation[];
  winner: null | {
    id: string;
    candidate: Candidate;
    size: number;
    params: number;
    bytes: number;
    /** Student parameters / teacher parameters. */
    share: number;
    retention: number | null;
    agreement: number | null;
    student: string;
  };
  /** Trials run by this session, and answered from the run folder. */
  executed: number;
  reused: number;
  wall_seconds: number;
  interrupted: boolean;
  engine: string;
}

export interface SearchResult {
  config: SearchConfig;
  summary: SearchSummary;
  runDir: string;
}

interface Stored {
  version: string;
  config: SearchConfig;
  teacherHash: string;
}

const mean = (xs: Array<number | null>): number | null =>
  xs.some((x) => x === null) ? null : xs.reduce<number>((a, b) => a + (b as number), 0) / xs.length;

export async function search(given: Partial<SearchConfig>, opts: SearchOptions = {}): Promise<SearchResult> {
  const t0 = performance.now();
  const print = opts.print ?? (() => {});
  let cfg: SearchConfig;
  let stored: Stored | undefined;
  if (opts.resume) {
    // A resumed search is the search in the folder: its config, whatever else was given.
    if (!given.out) throw new ConfigError("resume", "give the run folder of the search to continue");
    stored = readJson<Stored>(join(given.out, "search.json"));
    if (!stored) throw new ConfigError("resume", `${given.out} holds no search.json: nothing to resume`);
    cfg = resolveSearchConfig({ ...stored.config, out: given.out });
  } else {
    cfg = resolveSearchConfig(given);
    if (existsSync(join(cfg.out, "search.json")))
      throw new ConfigError(
        "out",
        `${cfg.out} already holds a search: continue it with --resume, or choose another --out`,
      );
  }
  const run = new SearchRunDir(cfg.out, "rldistill search");
  for (const n of run.notes) print(n);
  const engine =
    opts.engine ??
    (opts.workers === 0 ? new InlineEngine() : new ThreadEngine({ workers: opts.workers ?? 1 }));
  const onAbort = () => void engine.close();
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    // -- teacher, env and space, all checked before any work --------------------------------------
    const teacherBytes = readFileSync(cfg.teacher);
    const teacherHash = sha256(teacherBytes);
    if (stored && stored.teacherHash !== teacherHash)
      throw new ConfigError(
        "teacher",
        `${cfg.teacher} changed since the search started (hash differs); resume with the same file`,
      );
    const teacher = await loadTrialTeacher(cfg.teacher, cfg.env, cfg.envKwargs);
    const io: StudentIO = {
      obsShape: [...((teacher.observationSpace as Box).shape ?? [teacher.obsSize])],
      actionSize: teacher.actionSize,
      output: teacher.kind === "gaussian" ? "mean" : "logits",
      obsNorm: teacher instanceof SpecTeacher ? teacher.spec.obsNorm : undefined,
    };
    const teacherParams = teacher.params;
    teacher.dispose?.();
    const target = targetOf(cfg);
    if (target.agreement !== undefined && io.output === "mean")
      throw new ConfigError(
        "target",
        `agreement is measured for discrete actions only; ${cfg.env} has continuous actions (use retention=...)`,
      );
    const space = checkSpace(spaceOf(cfg, io), io);
    const teacherRef = { hash: teacherHash, name: cfg.teacher.split("/").pop()! };
    const base = resolveDistillConfig({
      evalEvery: 1,
      ...cfg.distill,
      env: cfg.env,
      teachers: [cfg.teacher],
      finalEpisodes: cfg.trialEpisodes,
      similarityStates: cfg.similarityStates,
    });
    const maxSteps = cfg.maxSteps || base.steps;
    const minSteps = cfg.minSteps || Math.max(1, Math.floor(maxSteps / cfg.eta ** 3));
    const plan = hyperbandPlan(maxSteps, minSteps, cfg.eta, cfg.brackets);
    run.writeJson("search.json", { version: libraryVersion(), config: cfg, teacherHash } satisfies Stored);
    await engine.provideTeacher(teacherRef, cfg.teacher);

    const trialOf = (
      c: Candidate,
      steps: number,
      seed: number,
      role: TrialSpec["role"],
      episodes?: number,
    ): TrialSpec => {
      const full = resolveDistillConfig({
        ...base,
        ...distillFields(c),
        steps,
        seed,
        ...(episodes
          ? { finalEpisodes: episodes, similarityStates: Math.max(cfg.similarityStates, 5000) }
          : {}),
      });
      const { teachers: _t, out: _o, ...config } = full;
      return makeTrial({
        role,
        candidate: c,
        env: cfg.env,
        envKwargs: cfg.envKwargs,
        teacher: teacherRef,
        config: config as TrialConfig,
      });
    };
    const latency = run.readJson<Record<string, number>>("latency.json") ?? {};
    const sizes = (c: Candidate): TrialRecord["sizes"] => {
      const s: TrialRecord["sizes"] = sizesOf(c, io);
      if (cfg.objective === "latency") {
        latency[candidateId(c)] ??= measureCandidateLatency(c, io);
        s.latencyUs = latency[candidateId(c)];
      }
      return s;
    };
    const sizeOf = (r: TrialRecord) =>
      cfg.objective === "params"
        ? r.sizes.params
        : cfg.objective === "bytes"
          ? r.sizes.bytes
          : r.sizes.latencyUs!;

    print(
      `search on ${cfg.env}: teacher ${teacherRef.name} (${teacherParams} parameters), minimise ${cfg.objective} subject to ${formatTarget(target)}; ` +
        `${plan.length} bracket(s), budgets ${minSteps}..${maxSteps} steps (eta ${cfg.eta}), ${planSteps(plan)} steps in all; ${engine.description}`,
    );
    const runner = new TrialRunner(run, engine, (r, fresh) => {
      if (!fresh) return;
      print(
        `  ${r.role === "confirm" ? "confirm " : ""}${r.id.padEnd(26)} ${String(r.steps).padStart(7)} steps  retention ${fmt(r.retention)}  agreement ${fmt(r.agreement)}  ` +
          `${cfg.objective} ${sizeOf(r).toFixed(cfg.objective === "latency" ? 2 : 0)}  ${r.wall_seconds.toFixed(1)} s`,
      );
    });
    const state: SearchSummary["brackets"] = plan.map((b) => ({ s: b.s, rungs: [] }));
    const saveState = () => run.writeJson("state.json", { brackets: state });
    const root = new Rng(cfg.seed);
    const bracketRngs = plan.map((b) => root.spawn(b.s));

    // -- Hyperband: brackets run side by side, each waits for its whole rung before promoting -------
    const runBracket = async (bi: number) => {
      const b = plan[bi]!;
      let alive = sampleCandidates(space, b.rungs[0]!.n, bracketRngs[bi]!);
      for (let i = 0; i < b.rungs.length; i++) {
        const specs = alive.map((c) => trialOf(c, b.rungs[i]!.steps, cfg.seed, "search"));
        const recs = await Promise.all(specs.map((s) => runner.get(s, sizes(s.candidate))));
        state[bi]!.rungs[i] = { steps: b.rungs[i]!.steps, keys: specs.map((s) => s.key) };
        saveState();
        const next = b.rungs[i + 1];
        if (next)
          alive = rankTrials(
            recs.map((r) => ({ ...r, size: sizeOf(r) })),
            target,
          )
            .slice(0, next.n)
            .map((r) => r.candidate);
      }
    };
    let interrupted = false;
    const confirmations: Confirmation[] = [];
    let winner: SearchSummary["winner"] = null;
    try {
      await Promise.all(plan.map((_, bi) => runBracket(bi)));
      // -- confirmation of the smallest passing candidates --------------------------------------------
      const finals = [...runner.results.values()].filter(
        (r) => r.role === "search" && r.steps === maxSteps && r.seed === cfg.seed,
      );
      const passing = rankTrials(
        finals.filter((r) => meetsTarget(r, target)).map((r) => ({ ...r, size: sizeOf(r) })),
        target,
      );
      const seen = new Set<string>();
      for (const p of passing) {
        if (seen.has(p.id) || seen.size >= cfg.confirmCandidates) continue;
        seen.add(p.id);
        const seeds = Array.from({ length: cfg.confirmSeeds }, (_, k) => cfg.seed + k);
        const specs = seeds.map((s) => trialOf(p.candidate, maxSteps, s, "confirm", cfg.confirmEpisodes));
        const recs = await Promise.all(specs.map((s) => runner.get(s, sizes(s.candidate))));
        const m = {
          retention: mean(recs.map((r) => r.retention)),
          agreement: mean(recs.map((r) => r.agreement)),
        };
        const passed = meetsTarget(m, target);
        confirmations.push({ id: p.id, keys: specs.map((s) => s.key), ...m, passed });
        print(
          `confirmation of ${p.id} over ${seeds.length} seeds x ${cfg.confirmEpisodes} episodes: retention ${fmt(m.retention)}, agreement ${fmt(m.agreement)}: ${passed ? "passed" : "failed"}`,
        );
        if (passed) {
          copyFileSync(run.path("trials", specs[0]!.key, "student.rldistill"), run.path("student.rldistill"));
          winner = {
            id: p.id,
            candidate: p.candidate,
            size: sizeOf(p),
            params: p.sizes.params,
            bytes: p.sizes.bytes,
            share: p.sizes.params / teacherParams,
            ...m,
            student: "student.rldistill",
          };
          break;
        }
      }
    } catch (e) {
      if (!(e instanceof TrialAborted) && !opts.signal?.aborted) throw e;
      interrupted = true;
    }
    if (cfg.objective === "latency") run.writeJson("latency.json", latency);
    const trials = [...runner.results.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
    const finals = trials
      .filter((r) => r.role === "search" && r.steps === maxSteps)
      .map((r) => ({ ...r, size: sizeOf(r) }));
    const summary: SearchSummary = {
      kind: "search",
      version: libraryVersion(),
      env: cfg.env,
      envKwargs: cfg.envKwargs,
      teacher: { file: cfg.teacher, hash: teacherHash, params: teacherParams },
      objective: cfg.objective,
      target: formatTarget(target),
      plan: { maxSteps, minSteps, eta: cfg.eta, brackets: plan, steps: planSteps(plan) },
      brackets: state,
      trials,
      pareto: {
        retention: paretoFront(finals, "retention").map((r) => r.key),
        agreement: paretoFront(finals, "agreement").map((r) => r.key),
      },
      confirmations,
      winner,
      executed: runner.executed,
      reused: runner.reused,
      wall_seconds: (performance.now() - t0) / 1000,
      interrupted,
      engine: engine.description,
    };
    saveState();
    run.writeJson("summary.json", summary);
    if (!interrupted && !winner) print("no candidate met the target at the full budget and in confirmation");
    return { config: cfg, summary, runDir: run.dir };
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
    if (!opts.engine) await engine.close();
    run.release();
  }
}

function fmt(v: number | null): string {
  return v === null ? "  -  " : v.toFixed(3);
}

export type { Target };
