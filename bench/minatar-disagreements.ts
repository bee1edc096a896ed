/**
 * Where a MinAtar student disagrees with its teacher, and what a disagreement costs (the
 * SpaceInvaders analysis of src/distill/README.md). On the states the greedy student visits
 * (collectStates' walk: sticky actions on, seeded), per band of the teacher's top-two probability gap:
 *
 *   - agreement, and agreement counting actions with the same effect as one: from a copy of the env
 *     (MinAtarEnv.clone) each action is taken once on one generator stream whose first draw is no
 *     sticky repeat, and actions whose next game state, reward and end are equal form one class;
 *   - one-object changes of the frame: each occupied cell without the player (channel 0) cleared in
 *     every channel, one at a time; the share of those frames on which the teacher's argmax changes,
 *     and the share of those changes that land on the student's action;
 *   - the cost of each disagreement between actions of different effect: the teacher's action or
 *     the student's, then the greedy teacher for H frames, on M generator streams shared by the two
 *     branches (sticky draws and the game's own); the reward collected, teacher's branch minus the
 *     student's (an episode that ends collects nothing more).
 *
 *   RUN=<distill run folder> [STATES=5000] [SEED=777] [H=150] [M=4] npx tsx bench/minatar-disagreements.ts
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Rng } from "../src/core/rng.js";
import { STUDENT_FILE } from "../src/distill/distill.js";
import { loadTeacher } from "../src/distill/teachers/load.js";
import { make } from "../src/envs/index.js";
import type { MinAtarEnv } from "../src/envs/minatar/minatar-env.js";
import { loadPolicy } from "../src/nn/checkpoint.js";
import { softmaxRows } from "../src/nn/distributions.js";
import { compileSpec } from "../src/nn/fast.js";

const RUN = process.env.RUN ?? "";
const STATES = Number(process.env.STATES ?? 5000);
const SEED = Number(process.env.SEED ?? 777);
const H = Number(process.env.H ?? 150);
const M = Number(process.env.M ?? 4);
if (!RUN)
  throw new Error("RUN: the folder of a finished MinAtar distill run (config.json, student.rldistill)");
for (const [name, v] of Object.entries({ STATES, SEED, H, M })) {
  if (!(Number.isInteger(v) && v >= (name === "SEED" ? 0 : 1)))
    throw new Error(`${name}: a positive integer, got ${v}`);
}
/** A generator seed whose first draw (numpy's RandomState(0): 0.549) is above any sticky probability < 0.5. */
const NO_REPEAT_SEED = 0;
const BANDS = [0.1, 0.2, 0.4, Number.POSITIVE_INFINITY];
const LABELS = ["< 0.1", "0.1-0.2", "0.2-0.4", "> 0.4"];

const cfg = JSON.parse(readFileSync(join(RUN, "config.json"), "utf8")) as { env: string; teachers: string[] };
if (!cfg.env.startsWith("MinAtar/")) throw new Error(`RUN: a MinAtar run expected, got env ${cfg.env}`);
const teacher = await loadTeacher(cfg.teachers[0]!);
const student = compileSpec(loadPolicy(join(RUN, STUDENT_FILE)).spec);
const k = teacher.actionSize;
const argmax = (row: ArrayLike<number>): number => {
  let b = 0;
  for (let j = 1; j < row.length; j++) if (row[j]! > row[b]!) b = j;
  return b;
};
const studentAction = (x: Float32Array): number => {
  const d = student.distribution(x);
  if (d.kind !== "categorical") throw new Error("a categorical student expected");
  return argmax(d.probs);
};
/** Teacher probabilities of n frames, in chunks to bound memory. */
async function teacherProbs(x: Float32Array, n: number, size: number): Promise<Float32Array> {
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i += 4096) {
    const m = Math.min(4096, n - i);
    const logits = (await teacher.predict(x.subarray(i * size, (i + m) * size), m)).outputs;
    out.set(softmaxRows(logits, m, k), i * k);
  }
  return out;
}

// The walk of collectStates (src/eval/similarity.ts), keeping a copy of the env at every state.
const env = make<Uint8Array, number>(cfg.env);
const game = env.unwrapped as unknown as MinAtarEnv;
const rng = new Rng(SEED).spawn(1);
let obs = Float32Array.from(env.reset({ seed: SEED }).obs);
const size = obs.length;
const X = new Float32Array(STATES * size);
const snaps: MinAtarEnv[] = [];
for (let t = 0; t < STATES; t++) {
  X.set(obs, t * size);
  snaps.push(game.clone());
  const r = env.step(student.act(obs, { deterministic: true, rng }) as number);
  obs = Float32Array.from(r.terminated || r.truncated ? env.reset().obs : r.obs);
}
const P = await teacherProbs(X, STATES, size);
const band: number[] = [];
const tA: number[] = [];
const sA: number[] = [];
for (let s = 0; s < STATES; s++) {
  const row = P.subarray(s * k, (s + 1) * k);
  const sorted = Array.from(row).sort((a, b) => b - a);
  band.push(BANDS.findIndex((e) => sorted[0]! - sorted[1]! < e));
  tA.push(argmax(row));
  sA.push(studentAction(X.subarray(s * size, (s + 1) * size)));
}

/** Next game state, reward and end after action a (no sticky repeat): equal keys, equal effect. */
function effect(snap: MinAtarEnv, a: number): string {
  const c = snap.clone();
  c.random.seed(NO_REPEAT_SEED);
  const r = c.step(a);
  const v = c.stateVector();
  return `${r.reward}|${r.terminated}|${Array.from(v.subarray(0, v.length - 1)).join(",")}`;
}
const equivalent = (s: number) => tA[s] !== sA[s] && effect(snaps[s]!, tA[s]!) === effect(snaps[s]!, sA[s]!);

// One-object changes: every occupied cell without the player, cleared in all channels.
const C = size / 100;
const src: number[] = [];
const changed: Float32Array[] = [];
for (let s = 0; s < STATES; s++) {
  const x = X.subarray(s * size, (s + 1) * size);
  for (let cell = 0; cell < 100; cell++) {
    const o = cell * C;
    if (x[o]) continue;
    let occupied = false;
    for (let c = 1; c < C; c++) occupied ||= x[o + c] !== 0;
    if (!occupied) continue;
    const f = Float32Array.from(x);
    f.fill(0, o, o + C);
    src.push(s);
    changed.push(f);
  }
}
const Y = new Float32Array(changed.length * size);
for (const [i, f] of changed.entries()) Y.set(f, i * size);
const PY = await teacherProbs(Y, changed.length, size);

/** Reward over H frames after action a, teacher's greedy play after it, per generator stream. */
async function play(snap: MinAtarEnv, acts: number[]): Promise<number[]> {
  const lanes = acts.flatMap((a) =>
    Array.from({ length: M }, (_, m) => {
      const c = snap.clone();
      c.random.seed(1000 + m);
      const r = c.step(a);
      return { env: c, obs: r.obs as Uint8Array, ret: r.reward, done: r.terminated };
    }),
  );
  const batch = new Float32Array(lanes.length * size);
  for (let t = 0; t < H && lanes.some((l) => !l.done); t++) {
    for (const [i, l] of lanes.entries()) batch.set(l.obs, i * size);
    const logits = (await teacher.predict(batch, lanes.length)).outputs;
    lanes.forEach((l, i) => {
      if (l.done) return;
      const r = l.env.step(argmax(logits.subarray(i * k, (i + 1) * k)));
      l.obs = r.obs as Uint8Array;
      l.ret += r.reward;
      l.done = r.terminated;
    });
  }
  return lanes.map((l) => l.ret);
}

const rows = LABELS.map(() => ({
  n: 0,
  agree: 0,
  sameEffect: 0,
  frames: [0, 0],
  flips: [0, 0],
  toStudent: 0,
  costs: [] as number[],
}));
for (let s = 0; s < STATES; s++) {
  const row = rows[band[s]!]!;
  row.n++;
  if (tA[s] === sA[s]) row.agree++;
  else if (equivalent(s)) row.sameEffect++;
  else {
    const ret = await play(snaps[s]!, [tA[s]!, sA[s]!]);
    let d = 0;
    for (let m = 0; m < M; m++) d += ret[m]! - ret[M + m]!;
    row.costs.push(d / M);
  }
}
for (let i = 0; i < changed.length; i++) {
  const s = src[i]!;
  const row = rows[band[s]!]!;
  const ag = tA[s] === sA[s] ? 0 : 1;
  row.frames[ag]!++;
  const t = argmax(PY.subarray(i * k, (i + 1) * k));
  if (t !== tA[s]) {
    row.flips[ag]!++;
    if (ag === 1 && t === sA[s]) row.toStudent++;
  }
}

const pct = (a: number, b: number) => (b === 0 ? "-" : `${((100 * a) / b).toFixed(1)}%`);
console.log(`\n${RUN}: ${STATES} states from seed ${SEED}; costs over ${H} frames, ${M} streams\n`);
console.log(
  "| teacher's top-two gap | share of states | agreement | counting same-effect actions as one | disagreements of the same effect | teacher's argmax changes under a one-object change (agreed / disagreed states) | changes to the student's action | disagreements of different effect | their cost: reward, teacher's branch minus the student's (mean +- se; teacher's better / student's better / equal) |",
);
console.log("|---|---|---|---|---|---|---|---|---|");
let agreeAll = 0;
let sameAll = 0;
for (const [b, r] of rows.entries()) {
  agreeAll += r.agree;
  sameAll += r.agree + r.sameEffect;
  const n = r.costs.length;
  const mean = r.costs.reduce((a, c) => a + c, 0) / Math.max(1, n);
  const se = Math.sqrt(
    r.costs.reduce((a, c) => a + (c - mean) ** 2, 0) / Math.max(1, n - 1) / Math.max(1, n),
  );
  const better = r.costs.filter((c) => c > 0).length;
  const worse = r.costs.filter((c) => c < 0).length;
  console.log(
    `| ${LABELS[b]} | ${pct(r.n, STATES)} | ${pct(r.agree, r.n)} | ${pct(r.agree + r.sameEffect, r.n)} | ${r.sameEffect} of ${r.n - r.agree} | ` +
      `${pct(r.flips[0]!, r.frames[0]!)} / ${pct(r.flips[1]!, r.frames[1]!)} | ${pct(r.toStudent, r.flips[1]!)} | ${n} | ` +
      `${mean.toFixed(2)} +- ${se.toFixed(2)}; ${better} / ${worse} / ${n - better - worse} |`,
  );
}
console.log(
  `\nall: agreement ${pct(agreeAll, STATES)}, counting same-effect actions as one ${pct(sameAll, STATES)}`,
);
