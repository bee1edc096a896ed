/**
 * Under-fitting or over-fitting? Offline distillation of a MinAtar teacher into a fresh student on
 * a fixed, teacher-labelled dataset (src/distill/README.md, "Under-fitting or over-fitting?").
 *
 * The online runs (bench/distill.ts --only minatar) report agreement only on states the student
 * visits, never on the states it trained on. Here the data is fixed, so both can be measured:
 *
 *   1. Collect N training states, visited in equal shares by the greedy teacher, the sampled teacher
 *      and (with --student-run) an earlier student acting greedily, sticky actions on; every state
 *      labelled with the teacher's logits (the library's Collector, envs stepping in lockstep).
 *      Two held-out sets from other env seeds: the same mix, and the earlier student's own greedy
 *      states (the distribution the online runs judge agreement on).
 *   2. Train a fresh student (an architecture string, the Student of the policy method) for E epochs
 *      of shuffled batches with the policy method's tape-free step: the registry loss (KL by default)
 *      plus argmaxCoef x cross-entropy on the teacher's argmax (loss nll), global-norm clipping,
 *      Adam, lr x a schedule of progress over all updates.
 *   3. After each epoch: agreement (student argmax = teacher argmax) on a fixed subset of the
 *      training states and on both held-out sets, and the mean training loss; at the end, agreement
 *      per band of the teacher's top-two probability gap on each set.
 *
 *   npx tsx bench/minatar-offline.ts --game Seaquest --n 50000 --epochs 20 \
 *     --student-run /work/runs-pixels5/seaquest/minatar/Seaquest-conv16x3,conv16x3s2same,fc32-ce1-s1 \
 *     --out offline.json
 *
 *   --game Seaquest            MinAtar game (env MinAtar/<game>-v1, teacher models/minatar-<game>-ppo.rldistill)
 *   --teacher PATH             another teacher file
 *   --student-run DIR          a finished distill run whose student.rldistill adds its greedy states
 *   --n 50000                  training states
 *   --heldout 20000            states in each held-out set
 *   --arch conv16x3,conv16x3s2same,fc32   the fresh student (relu)
 *   --epochs 10 --batch 128 --lr 0.003 --lr-schedule 1   (a schedule string: factor by progress)
 *   --loss kl --argmax-coef 1 --max-grad-norm 1          (the online runs' settings)
 *   --train-subset 5000        training states agreement is measured on (the first of a fixed shuffle)
 *   --envs 16                  envs per collector (batched teacher labels)
 *   --seed 1                   one seed for collection, initialisation and shuffling
 *   --data FILE                cache of the labelled sets: read if it was made with the same
 *                              game, teacher, student run, n, heldout, envs and seed, else written
 *   --out FILE                 JSON of the curves
 *   --init FILE                start the student from a policy file of the same architecture
 *                              (e.g. bench/minatar-lowrank.ts --save) instead of fresh weights
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../src/core/atomic-write.js";
import { ConfigError } from "../src/core/errors.js";
import { onInterrupt, yieldIfDue } from "../src/core/interrupt.js";
import type { Policy } from "../src/core/policy.js";
import { Rng } from "../src/core/rng.js";
import { parseSchedule } from "../src/core/schedules.js";
import { spaceFromJSON } from "../src/core/spaces.js";
import { type ActingEnv, Collector } from "../src/distill/collect.js";
import { STUDENT_FILE } from "../src/distill/distill.js";
import { taskLoss } from "../src/distill/multitask/trainer.js";
import { policyObjective } from "../src/distill/objectives.js";
import { Student } from "../src/distill/student.js";
import type { Teacher } from "../src/distill/teacher.js";
import { loadTeacher } from "../src/distill/teachers/load.js";
import { SpecTeacher } from "../src/distill/teachers/spec-teacher.js";
import { make } from "../src/envs/index.js";
import { parseArch } from "../src/nn/arch.js";
import { initBackend } from "../src/nn/backend.js";
import { loadPolicy } from "../src/nn/checkpoint.js";
import { compileSpec } from "../src/nn/fast.js";
import { ArrayAdam } from "../src/nn/optim.js";
import { type LabelledSet, readCache, writeCache } from "./minatar-cache.js";
import { refuser } from "./refuse.js";

const bad = refuser("minatar-offline");
// Typed here so that a call narrows like a `never` function (TypeScript needs the annotation).
const refuse: (e: unknown) => never = bad.refuse;
const { checked } = bad;

const argv = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};
const int = (name: string, fallback: string, min: number): number => {
  const v = Number(arg(name, fallback));
  if (!(Number.isInteger(v) && v >= min))
    refuse(new ConfigError(`--${name}`, `an integer >= ${min}, got ${arg(name, fallback)}`));
  return v;
};
const num = (name: string, fallback: string, ok: (v: number) => boolean, allowed: string): number => {
  const v = Number(arg(name, fallback));
  if (!ok(v)) refuse(new ConfigError(`--${name}`, `${allowed}, got ${arg(name, fallback)}`));
  return v;
};

const GAME = arg("game", "Seaquest");
const ENV = `MinAtar/${GAME}-v1`;
const TEACHER = arg(
  "teacher",
  new URL(`../models/minatar-${GAME.toLowerCase()}-ppo.rldistill`, import.meta.url).pathname,
);
const STUDENT_RUN = arg("student-run", "");
const N = int("n", "50000", 1);
const HELDOUT = int("heldout", "20000", 1);
const ARCH = arg("arch", "conv16x3,conv16x3s2same,fc32");
const EPOCHS = int("epochs", "10", 1);
const BATCH = int("batch", "128", 1);
const LR = num("lr", "0.003", (v) => v > 0, "a learning rate > 0");
const LR_SCHEDULE = arg("lr-schedule", "1");
const LOSS = arg("loss", "kl");
const ARGMAX_COEF = num("argmax-coef", "1", (v) => v >= 0, "a weight >= 0");
const MAX_GRAD_NORM = num("max-grad-norm", "1", (v) => v > 0, "a norm > 0");
const SUBSET = Math.min(int("train-subset", "5000", 1), N);
const ENVS = int("envs", "16", 1);
const SEED = int("seed", "1", 0);
const DATA = arg("data", "");
const OUT = arg("out", "");
const INIT = arg("init", "");

if (!existsSync(TEACHER))
  refuse(new ConfigError("--teacher", `no file ${TEACHER} (or --game: one of the shipped MinAtar games)`));
if (INIT && !existsSync(INIT)) refuse(new ConfigError("--init", `no file ${INIT}`));
if (STUDENT_RUN && !existsSync(join(STUDENT_RUN, STUDENT_FILE)))
  refuse(new ConfigError("--student-run", `no ${STUDENT_FILE} in ${STUDENT_RUN}`));
const lrFactor = checked(() => parseSchedule(LR_SCHEDULE, "--lr-schedule"));
const arch = checked(() => parseArch(ARCH, "--arch"));
const objective = checked(() => policyObjective(LOSS, "logits"));

await initBackend();
const teacher: Teacher = await loadTeacher(TEACHER).catch(refuse);
if (teacher.kind !== "logits")
  refuse(new ConfigError("--teacher", `a discrete (logits) teacher expected, got ${teacher.kind}`));
const probe = make(ENV);
const obsShape = (probe.observationSpace as unknown as { shape: number[] }).shape;
const actionSpace = spaceFromJSON(probe.actionSpace.toJSON());
probe.close();
const d = teacher.obsSize;
const k = teacher.actionSize;
// A teacher or earlier student of another game would be fed frames of the wrong size: refuse it here.
const envObs = obsShape.reduce((a, b) => a * b, 1);
const envActions = (actionSpace as { n?: number }).n;
if (d !== envObs || k !== envActions)
  refuse(
    new ConfigError(
      "--teacher",
      `${TEACHER} takes ${d} inputs and gives ${k} actions; ${ENV} has ${envObs} (${obsShape.join("x")}) and ${envActions}`,
    ),
  );
const earlierSpec = STUDENT_RUN ? loadPolicy(join(STUDENT_RUN, STUDENT_FILE)).spec : undefined;
if (earlierSpec && (earlierSpec.obsShape.join("x") !== obsShape.join("x") || earlierSpec.actionSize !== k))
  refuse(
    new ConfigError(
      "--student-run",
      `its student takes ${earlierSpec.obsShape.join("x")} frames and gives ${earlierSpec.actionSize} actions; ${ENV} has ${obsShape.join("x")} and ${k}`,
    ),
  );
const earlier: Policy | undefined = earlierSpec ? compileSpec(earlierSpec) : undefined;

type Actor = "teacher-greedy" | "teacher-sampled" | "student-greedy";

/** n states visited by `actor` from envs seeded seedBase + e, labelled by the teacher. */
async function collect(
  actor: Actor,
  n: number,
  seedBase: number,
  into: LabelledSet,
  at: number,
): Promise<void> {
  const envs = Array.from({ length: ENVS }, () => make(ENV) as unknown as ActingEnv);
  const c = new Collector({
    envs,
    teacher,
    student: earlier,
    mode: actor === "student-greedy" ? "student" : "teacher",
    rng: new Rng(seedBase).spawn(1),
    seed: seedBase,
    teacherDeterministic: actor === "teacher-greedy",
    studentDeterministic: true,
  });
  let filled = 0;
  await c.collect(Math.ceil(n / ENVS), undefined, 1, (s) => {
    const m = Math.min(ENVS, n - filled);
    for (let r = 0; r < m; r++) into.obs.set(s.obs.subarray(r * d, (r + 1) * d), (at + filled + r) * d);
    into.logits.set(s.teacher.outputs.subarray(0, m * k), (at + filled) * k);
    filled += m;
  });
  for (const env of envs) env.close();
}

/** A set of n states in equal shares of the actors, envs seeded from seedBase (one block per actor). */
async function collectMix(actors: readonly Actor[], n: number, seedBase: number): Promise<LabelledSet> {
  const set: LabelledSet = { n, obs: new Uint8Array(n * d), logits: new Float32Array(n * k) };
  let at = 0;
  for (const [i, actor] of actors.entries()) {
    const m = i === actors.length - 1 ? n - at : Math.floor(n / actors.length);
    await collect(actor, m, seedBase + 1000 * i, set, at);
    at += m;
  }
  return set;
}

const MIX: Actor[] = earlier
  ? ["teacher-greedy", "teacher-sampled", "student-greedy"]
  : ["teacher-greedy", "teacher-sampled"];
const dataKey = JSON.stringify({ ENV, TEACHER, STUDENT_RUN, N, HELDOUT, ENVS, SEED, MIX });

/** The three sets, from the --data cache when it matches, else collected (and cached when asked). */
async function datasets(): Promise<{ train: LabelledSet; mixed: LabelledSet; own?: LabelledSet }> {
  const cached = DATA ? readCache(DATA, dataKey, d, k) : undefined;
  if (cached) {
    console.error(`data: read ${DATA}`);
    return { train: cached[0]!, mixed: cached[1]!, own: earlier ? cached[2] : undefined };
  }
  // Env seeds: training 10^6 * seed + ..., held-out sets 500,000 further on (disjoint streams).
  const base = 1_000_000 * SEED;
  const train = await collectMix(MIX, N, base);
  const mixed = await collectMix(MIX, HELDOUT, base + 500_000);
  const own = earlier ? await collectMix(["student-greedy"], HELDOUT, base + 700_000) : undefined;
  if (DATA) writeCache(DATA, dataKey, [train, mixed, ...(own ? [own] : [])]);
  return { train, mixed, own };
}

const argmax = (row: ArrayLike<number>, o: number): number => {
  let b = 0;
  for (let j = 1; j < k; j++) if (row[o + j]! > row[o + b]!) b = j;
  return b;
};
const BANDS = [0.1, 0.2, 0.4, Number.POSITIVE_INFINITY];
const LABELS = ["< 0.1", "0.1-0.2", "0.2-0.4", "> 0.4"];
/** Band of the teacher's top-two softmax gap per state. */
function bandsOf(set: LabelledSet, idx: Int32Array): Int8Array {
  const out = new Int8Array(idx.length);
  const p = new Float64Array(k);
  idx.forEach((s, i) => {
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < k; j++) max = Math.max(max, set.logits[s * k + j]!);
    let z = 0;
    for (let j = 0; j < k; j++) z += p[j] = Math.exp(set.logits[s * k + j]! - max);
    const sorted = Array.from(p, (v) => v / z).sort((a, b) => b - a);
    out[i] = BANDS.findIndex((e) => sorted[0]! - sorted[1]! < e);
  });
  return out;
}

const t0 = performance.now();
const secs = () => ((performance.now() - t0) / 1000).toFixed(0);
const { train, mixed, own } = await datasets().catch(refuse);
console.error(
  `data: ${N} training, ${HELDOUT} + ${own ? HELDOUT : 0} held-out states (${MIX.join(" / ")}), ${secs()} s`,
);

const student = new Student({
  obsSize: d,
  obsShape,
  actionSpace,
  hidden: arch.hidden,
  convs: arch.convs,
  activation: "relu",
  output: "logits",
  obsNorm: teacher.obsNorm ?? (teacher instanceof SpecTeacher ? teacher.spec.obsNorm : undefined),
  rng: new Rng(SEED).spawn(0),
});
if (INIT) {
  try {
    student.loadWeights(loadPolicy(INIT).spec.layers);
  } catch (e) {
    refuse(
      e instanceof ConfigError
        ? new ConfigError("--init", `${INIT} does not fit --arch ${ARCH}: ${e.message}`)
        : e,
    );
  }
}
const optimizer = new ArrayAdam([student.paramGroup()], { lr: LR });
const rng = new Rng(SEED).spawn(2);
const subset = rng.permutation(N).subarray(0, SUBSET);
const all = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
const sets = [
  { name: "train", set: train, idx: subset },
  { name: "heldout-mixed", set: mixed, idx: all(mixed.n) },
  ...(own ? [{ name: "heldout-student", set: own, idx: all(own.n) }] : []),
];
const bands = sets.map((s) => bandsOf(s.set, s.idx));

/** Per state of idx: 1 where the student's argmax is the teacher's. */
async function agreements(set: LabelledSet, idx: Int32Array): Promise<Uint8Array> {
  const out = new Uint8Array(idx.length);
  const chunk = 1024;
  const x = new Uint8Array(chunk * d);
  for (let i = 0; i < idx.length; i += chunk) {
    await yieldIfDue();
    const m = Math.min(chunk, idx.length - i);
    for (let r = 0; r < m; r++) x.set(set.obs.subarray(idx[i + r]! * d, (idx[i + r]! + 1) * d), r * d);
    const logits = student.forward(x.subarray(0, m * d), m).out;
    for (let r = 0; r < m; r++)
      out[i + r] = argmax(logits, r * k) === argmax(set.logits, idx[i + r]! * k) ? 1 : 0;
  }
  return out;
}
const mean = (a: Uint8Array) => a.reduce((s, v) => s + v, 0) / a.length;
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

const perEpoch = Math.ceil(N / BATCH);
const total = EPOCHS * perEpoch;
const curve: Array<{
  epoch: number;
  loss: number | null;
  agreement: Record<string, number>;
  seconds: number;
}> = [];
/** Per-state agreement of the latest report, one array per set (the band table reuses it). */
let latest: Uint8Array[] = [];
const report = async (epoch: number, loss: number | null) => {
  latest = [];
  for (const s of sets) latest.push(await agreements(s.set, s.idx));
  const agreement = Object.fromEntries(sets.map((s, i) => [s.name, mean(latest[i]!)]));
  curve.push({ epoch, loss, agreement, seconds: (performance.now() - t0) / 1000 });
  console.error(
    `epoch ${epoch}: ${sets.map((s) => `${s.name} ${pct(agreement[s.name]!)}`).join(", ")}${loss === null ? "" : `, loss ${loss.toFixed(4)}`}, lr ${optimizer.lr.toExponential(2)}, ${secs()} s`,
  );
};
console.error(
  `student ${ARCH}: ${student.params} parameters; teacher ${teacher.params ?? "?"}; ${perEpoch} updates per epoch`,
);
await report(0, null);
// Ctrl-C: the epoch in progress is dropped, the table and --out are written for the epochs done.
const stop = onInterrupt({ message: "interrupted: writing the curves of the finished epochs" });
const xb = new Uint8Array(BATCH * d);
const tb = new Float32Array(BATCH * k);
let updates = 0;
for (let epoch = 1; epoch <= EPOCHS && !stop.stopped; epoch++) {
  const order = rng.permutation(N);
  let lossSum = 0;
  for (let b = 0; b < perEpoch && !stop.stopped; b++) {
    await yieldIfDue();
    const n = Math.min(BATCH, N - b * BATCH);
    for (let r = 0; r < n; r++) {
      const s = order[b * BATCH + r]!;
      xb.set(train.obs.subarray(s * d, (s + 1) * d), r * d);
      tb.set(train.logits.subarray(s * k, (s + 1) * k), r * k);
    }
    optimizer.lr = LR * lrFactor(updates / total);
    // PolicyDistiller.step (src/distill/methods/policy.ts) for a logits teacher: the loss plus the
    // greedy-action term, composed by the multi-task trainer's taskLoss (unweighted, tau 1).
    const f = student.forward(xb.subarray(0, n * d), n);
    const pol = taskLoss(objective, f.out, tb.subarray(0, n * k), n, 1, ARGMAX_COEF);
    student.backward({ out: pol.dOut });
    optimizer.clipGradNorm(MAX_GRAD_NORM);
    optimizer.apply();
    student.paramsChanged();
    updates++;
    lossSum += pol.loss;
  }
  if (!stop.stopped) await report(epoch, lossSum / perEpoch);
}
stop.dispose();

// Agreement per band of the teacher's top-two gap, train subset against held-out sets.
const byBand = sets.map((_, i) => {
  const a = latest[i]!;
  return LABELS.map((_, b) => {
    let n = 0;
    let agree = 0;
    for (let j = 0; j < a.length; j++)
      if (bands[i]![j] === b) {
        n++;
        agree += a[j]!;
      }
    return { share: n / a.length, agreement: n ? agree / n : null };
  });
});
console.log(
  `\n${GAME}, ${ARCH} (${student.params} parameters), N ${N}, ${curve.length - 1}${stop.stopped ? ` of ${EPOCHS} (interrupted)` : ""} epochs of batch ${BATCH}, lr ${LR} x ${LR_SCHEDULE}, ${LOSS} + ${ARGMAX_COEF} CE\n`,
);
console.log(`| set | ${LABELS.map((l) => `gap ${l}`).join(" | ")} | all |`);
console.log(`|---|${LABELS.map(() => "---|").join("")}---|`);
const last = curve[curve.length - 1]!;
for (const [i, s] of sets.entries()) {
  const cells = byBand[i]!.map((c) => (c.agreement === null ? "-" : `${pct(c.agreement)} (${pct(c.share)})`));
  console.log(`| ${s.name} | ${cells.join(" | ")} | ${pct(last.agreement[s.name]!)} |`);
}
if (OUT) {
  const config = {
    game: GAME,
    teacher: TEACHER,
    studentRun: STUDENT_RUN,
    n: N,
    heldout: HELDOUT,
    arch: ARCH,
    init: INIT,
    params: student.params,
    epochs: EPOCHS,
    batch: BATCH,
    lr: LR,
    lrSchedule: LR_SCHEDULE,
    loss: LOSS,
    argmaxCoef: ARGMAX_COEF,
    maxGradNorm: MAX_GRAD_NORM,
    trainSubset: SUBSET,
    envs: ENVS,
    seed: SEED,
    mix: MIX,
  };
  const bandsOut = Object.fromEntries(
    sets.map((s, i) => [s.name, Object.fromEntries(LABELS.map((l, b) => [l, byBand[i]![b]]))]),
  );
  const result = {
    config,
    interrupted: stop.stopped,
    curve,
    bands: bandsOut,
    seconds: (performance.now() - t0) / 1000,
  };
  writeFileAtomic(OUT, `${JSON.stringify(result, null, 1)}\n`);
}
