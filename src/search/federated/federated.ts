/**
 * `federated()`: federated distillation (McMahan et al. 2017, FedAvg) of one shared student over K
 * clients, each holding a private env variant and a local teacher; the library call behind
 * `rldistill federated`.
 *
 *   const { summary } = await federated({
 *     env: "CartPole-v1", rounds: 10, localSteps: 4096,
 *     clients: [{ envKwargs: { length: 0.4 } }, { envKwargs: { length: 0.6, masspole: 0.2 } }, ...],
 *   }, { workers: 2 });
 *   summary.clients;   // per client: retention and agreement of the global and of the centralised student
 *
 * A round: the available clients (not dropped out) are sampled (seeded); each starts from the global
 * weights and distils locally (a `federated` trial on any engine: threads or a queue); only its new
 * weights and its sample count come back (`ClientMessage`). The server averages the weights,
 * weighted by samples. A client whose update misses the round's deadline is skipped; the round goes
 * on with the others. After the rounds, the global student is evaluated on every client against its
 * local teacher, as is the baseline: one student distilled centrally on the pooled variants (every
 * training env labelled by its own variant's teacher) with the same total data budget.
 *
 * `mode: "soft-labels"` exchanges soft labels instead of weights (soft-labels.ts): the clients label
 * the server's public states with their teachers and the server distils the global student on them.
 *
 * Rounds are recorded in the run folder (rounds/round-<r>.json with the global weights); a resumed
 * run continues after the last recorded round, and client updates already computed are reused (trial
 * keys include the global weights they started from).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../core/errors.js";
import { Rng } from "../../core/rng.js";
import { type AnySpace, spaceFromJSON } from "../../core/spaces.js";
import { resolveDistillConfig } from "../../distill/config.js";
import { Student } from "../../distill/student.js";
import { SpecTeacher } from "../../distill/teachers/spec-teacher.js";
import { initBackend } from "../../nn/backend.js";
import { libraryVersion, loadPolicy } from "../../nn/checkpoint.js";
import type { Activation } from "../../nn/spec.js";
import { weightsOf } from "../execute.js";
import { InlineEngine, TrialAborted, type TrialEngine } from "../queue/engine.js";
import { ThreadEngine } from "../queue/threads.js";
import { readJson, SearchRunDir, writeAtomic, writeJsonAtomic } from "../run-dir.js";
import type { Candidate } from "../space.js";
import {
  type ClientMessage,
  type EvaluationFigures,
  type LabelMessage,
  makeTrial,
  type StudentWeights,
  type TrialConfig,
  type TrialOutcome,
  type TrialSpec,
} from "../trial.js";
import { clientTeachers } from "./client-teachers.js";
import { type FederatedConfig, parseDropouts, resolveFederatedConfig } from "./config.js";
import { fedAvg } from "./fedavg.js";
import {
  addPublic,
  averageLabels,
  collectPublicStates,
  type PublicSet,
  trainOnLabels,
} from "./soft-labels.js";

export { fedAvg } from "./fedavg.js";

export interface FederatedOptions {
  engine?: TrialEngine;
  /** Threads of the default engine (0: this thread). Default 1. */
  workers?: number;
  resume?: boolean;
  print?: (line: string) => void;
  signal?: AbortSignal;
}

export interface RoundRecord {
  round: number;
  sampled: number[];
  returned: number[];
  /** Sampled clients that missed the deadline. */
  stragglers: number[];
  /** Clients absent this round (dropped out). */
  absent: number[];
  samples: number;
  global: StudentWeights;
}

export interface ClientFigures {
  client: number;
  envKwargs: Record<string, number>;
  teacher: string;
  federated: EvaluationFigures;
  centralised: EvaluationFigures | null;
}

export interface FederatedSummary {
  kind: "federated";
  version: string;
  env: string;
  mode: FederatedConfig["mode"];
  student: { hidden: number[]; params: number };
  rounds: Array<Omit<RoundRecord, "global">>;
  clients: ClientFigures[];
  /** Mean over clients of the federated student's retention, and of the centralised one's. */
  meanRetention: { federated: number | null; centralised: number | null };
  /** federated / centralised mean retention (goal >= 0.95). */
  ratio: number | null;
  interrupted: boolean;
  wall_seconds: number;
  engine: string;
}

const mean = (xs: Array<number | null>) =>
  xs.length === 0 || xs.some((x) => x === null)
    ? null
    : xs.reduce<number>((a, b) => a + (b as number), 0) / xs.length;

export async function federated(
  given: Partial<FederatedConfig>,
  opts: FederatedOptions = {},
): Promise<{ summary: FederatedSummary; runDir: string }> {
  const t0 = performance.now();
  const print = opts.print ?? (() => {});
  let cfg: FederatedConfig;
  if (opts.resume) {
    if (!given.out) throw new ConfigError("resume", "give the run folder to continue");
    const stored = readJson<{ config: FederatedConfig }>(join(given.out, "federated.json"));
    if (!stored) throw new ConfigError("resume", `${given.out} holds no federated.json: nothing to resume`);
    cfg = resolveFederatedConfig({ ...stored.config, out: given.out });
  } else {
    cfg = resolveFederatedConfig(given);
    if (existsSync(join(cfg.out, "federated.json")))
      throw new ConfigError(
        "out",
        `${cfg.out} already holds a federated run: continue it with --resume, or choose another --out`,
      );
  }
  const run = new SearchRunDir(cfg.out, "rldistill federated");
  for (const n of run.notes) print(n);
  const engine =
    opts.engine ??
    (opts.workers === 0 ? new InlineEngine() : new ThreadEngine({ workers: opts.workers ?? 1 }));
  const onAbort = () => void engine.close();
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    run.writeJson("federated.json", { version: libraryVersion(), config: cfg });
    const K = cfg.clients.length;
    const dropouts = parseDropouts(cfg.dropouts, K, cfg.rounds);
    const { teacherFiles, refs, first: t0Teacher } = await clientTeachers(cfg, run, engine, print);
    const candidate: Candidate = {
      kind: "mlp",
      hidden: [...cfg.student],
      activation: cfg.studentActivation as "tanh",
      precision: "float32",
    };
    const base = resolveDistillConfig({
      evalEvery: 1,
      evalEpisodes: 1,
      finalEpisodes: 1,
      similarityStates: 1,
      ...cfg.distill,
      env: cfg.env,
      teachers: [teacherFiles[0]!],
      student: [...cfg.student],
      studentActivation: cfg.studentActivation,
      method: "policy",
    });
    const configFor = (steps: number, seed: number, extra: Partial<TrialConfig> = {}): TrialConfig => {
      const { teachers: _t, out: _o, ...c } = resolveDistillConfig({ ...base, steps, seed, ...extra });
      return c as TrialConfig;
    };
    // The common initialisation (seeded), as distill() would draw it for this student.
    await initBackend();
    const init = new Student({
      obsSize: t0Teacher.obsSize,
      actionSpace: spaceFromJSON(t0Teacher.actionSpace.toJSON()) as AnySpace,
      hidden: cfg.student,
      activation: cfg.studentActivation as "tanh",
      output: t0Teacher.kind === "gaussian" ? "mean" : "logits",
      rng: new Rng(cfg.seed).spawn(0),
    });
    const initWeights = weightsOf(init.toSpec());
    const params = init.params;
    const soft = cfg.mode === "soft-labels";
    if (soft && t0Teacher.kind === "gaussian")
      throw new ConfigError(
        "mode",
        "soft-labels needs discrete actions (a label is a distribution over actions)",
      );
    const shape = {
      obsSize: t0Teacher.obsSize,
      obsShape: [t0Teacher.obsSize],
      actionSpace: init.actionSpace,
      hidden: [...cfg.student],
      activation: cfg.studentActivation as Activation,
      obsNorm: t0Teacher instanceof SpecTeacher ? t0Teacher.spec.obsNorm : undefined,
    };
    const publicSet: PublicSet = {
      obsSize: shape.obsSize,
      actionSize: init.actionSize,
      states: [],
      labels: [],
    };
    const publicFile = (r: number) => join("rounds", `public-${r}.json`);
    init.dispose();
    t0Teacher.dispose?.();

    const outcome = async (spec: TrialSpec): Promise<TrialOutcome> => {
      const file = run.path("trials", spec.key, "outcome.json");
      const done = readJson<TrialOutcome>(file);
      if (done) return done;
      const dir = run.trialDir(spec.key);
      mkdirSync(dir, { recursive: true });
      const out = await engine.run(spec, dir);
      if (out.studentBase64)
        writeAtomic(join(dir, "student.rldistill"), Buffer.from(out.studentBase64, "base64"));
      writeJsonAtomic(file, { ...out, studentBase64: undefined });
      return out;
    };
    const trial = (
      role: TrialSpec["role"],
      client: number,
      config: TrialConfig,
      initW?: StudentWeights,
      tasks?: TrialSpec["tasks"],
      states?: number[],
    ) =>
      makeTrial({
        role,
        candidate,
        env: cfg.env,
        envKwargs: cfg.clients[client]!.envKwargs,
        teacher: refs[client]!,
        config,
        init: initW,
        tasks,
        ...(states ? { states } : {}),
      });

    // -- rounds ------------------------------------------------------------------------------------
    let global = initWeights;
    const rounds: RoundRecord[] = [];
    for (let r = 1; r <= cfg.rounds; r++) {
      const recorded = run.readJson<RoundRecord>(join("rounds", `round-${r}.json`));
      if (recorded) {
        rounds.push(recorded);
        global = recorded.global;
        if (soft) addPublic(publicSet, run.readJson<PublicSet>(publicFile(r))!);
        continue;
      }
      const absent = [...Array(K).keys()].filter((k) => dropouts.get(k)?.has(r));
      const available = [...Array(K).keys()].filter((k) => !absent.includes(k));
      const m =
        cfg.clientsPerRound === 0 ? available.length : Math.min(cfg.clientsPerRound, available.length);
      const order = new Rng(cfg.seed).spawn(r).permutation(available.length);
      const sampled = Array.from(order.subarray(0, m), (j) => available[j]!).sort((a, b) => a - b);
      // Soft labels: the server's states of this round, from the public env and a public seed.
      const states = soft
        ? await collectPublicStates({
            env: cfg.env,
            global,
            shape,
            n: cfg.publicStates,
            seed: cfg.seed * 1000 + r,
            signal: opts.signal,
          })
        : undefined;
      const specs = sampled.map((k) =>
        soft
          ? trial("label", k, configFor(1, cfg.seed), undefined, undefined, states)
          : trial("federated", k, configFor(cfg.localSteps, cfg.seed * 1000 + r * K + k), global),
      );
      const late = Symbol("late");
      const deadline =
        cfg.deadline > 0
          ? new Promise<typeof late>((res) => setTimeout(() => res(late), cfg.deadline * 1000).unref())
          : undefined;
      const answers = await Promise.all(
        specs.map((s) => (deadline ? Promise.race([outcome(s), deadline]) : outcome(s))),
      );
      const returned: number[] = [];
      const stragglers: number[] = [];
      const updates: Array<ClientMessage | LabelMessage> = [];
      answers.forEach((a, i) => {
        if (a === late || !a.message) stragglers.push(sampled[i]!);
        else {
          returned.push(sampled[i]!);
          updates.push(a.message);
        }
      });
      if (updates.length && !soft) global = fedAvg(updates as ClientMessage[]);
      if (updates.length && soft) {
        const labelled: PublicSet = {
          ...publicSet,
          states: states!,
          labels: averageLabels(updates as LabelMessage[], cfg.publicStates, publicSet.actionSize),
        };
        mkdirSync(run.path("rounds"), { recursive: true });
        run.writeJson(publicFile(r), labelled);
        addPublic(publicSet, labelled);
        global = await trainOnLabels({
          global,
          shape,
          data: publicSet,
          epochs: cfg.serverEpochs,
          batchSize: base.batchSize,
          learningRate: base.learningRate,
          seed: cfg.seed * 1000 + r,
          signal: opts.signal,
        });
      }
      const rec: RoundRecord = {
        round: r,
        sampled,
        returned,
        stragglers,
        absent,
        samples: updates.reduce((t, u) => t + u.samples, 0),
        global,
      };
      mkdirSync(run.path("rounds"), { recursive: true });
      run.writeJson(join("rounds", `round-${r}.json`), rec);
      rounds.push(rec);
      print(
        `round ${r}: clients ${returned.join(", ") || "none"} averaged (${rec.samples} samples)` +
          (stragglers.length ? `; missed the deadline: ${stragglers.join(", ")}` : "") +
          (absent.length ? `; absent: ${absent.join(", ")}` : ""),
      );
    }

    // -- centralised baseline and evaluations ------------------------------------------------------
    const evalConfig = configFor(1, cfg.seed, {
      finalEpisodes: cfg.evalEpisodes,
      similarityStates: cfg.similarityStates,
    });
    const evaluateOn = async (w: StudentWeights) =>
      Promise.all(
        cfg.clients.map(async (_, k) => (await outcome(trial("evaluate", k, evalConfig, w))).evaluation!),
      );
    const fed = await evaluateOn(global);
    let central: EvaluationFigures[] | null = null;
    if (cfg.centralised) {
      const budget = rounds.reduce((t, r) => t + r.samples, 0) || cfg.rounds * K * cfg.localSteps;
      const tasks = cfg.clients.map((c, k) => ({ envKwargs: c.envKwargs, teacher: refs[k]! }));
      const steps = Math.max(1, budget);
      const numEnvs = Math.ceil(base.numEnvs / K) * K; // every variant the same share of the envs
      const spec = trial(
        "centralised",
        0,
        configFor(steps, cfg.seed * 1000 + 999, { numEnvs }),
        initWeights,
        tasks,
      );
      await outcome(spec);
      const { spec: student } = loadPolicy(run.path("trials", spec.key, "student.rldistill"));
      central = await evaluateOn(weightsOf(student));
      print(`centralised student: ${steps} steps on the pooled variants`);
    }
    writeJsonAtomic(run.path("global.json"), global);
    const clients: ClientFigures[] = cfg.clients.map((c, k) => ({
      client: k,
      envKwargs: c.envKwargs,
      teacher: refs[k]!.name,
      federated: fed[k]!,
      centralised: central?.[k] ?? null,
    }));
    const mf = mean(fed.map((f) => f.retention));
    const mc = central ? mean(central.map((f) => f.retention)) : null;
    const summary: FederatedSummary = {
      kind: "federated",
      version: libraryVersion(),
      env: cfg.env,
      student: { hidden: cfg.student, params },
      rounds: rounds.map(({ global: _g, ...r }) => r),
      clients,
      mode: cfg.mode,
      meanRetention: { federated: mf, centralised: mc },
      ratio: mf !== null && mc !== null && mc !== 0 ? mf / mc : null,
      interrupted: false,
      wall_seconds: (performance.now() - t0) / 1000,
      engine: engine.description,
    };
    run.writeJson("summary.json", summary);
    return { summary, runDir: run.dir };
  } catch (e) {
    if (e instanceof TrialAborted || opts.signal?.aborted) {
      const summary = { kind: "federated", interrupted: true } as FederatedSummary;
      return { summary, runDir: run.dir };
    }
    throw e;
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
    if (!opts.engine) await engine.close();
    run.release();
  }
}
