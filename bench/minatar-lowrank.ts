/**
 * How much of a MinAtar teacher survives a low-rank dense layer? (src/distill/README.md,
 * "Under-fitting or over-fitting?"). A probe, no training.
 *
 * The teacher's parameters sit in one dense layer (MinAtar's network: 1,024 conv features -> 128,
 * 131k of its ~133k). Replacing that layer's weight W [I, O] by a rank-r product (I -> r linear,
 * r -> O with the layer's activation) gives a network of the teacher's shape at a fraction of its
 * size, and its agreement with the teacher, before any training, says how much of the layer's
 * width the teacher's decisions use. Two truncations:
 *
 *   - data PCA: z = xW + b projected on the top-r principal directions V_r of z over the cache's
 *     training states (centred at their mean m): z' = m + V_r V_r^T (z - m), the best rank-r
 *     reconstruction of the pre-activations the teacher actually produces;
 *   - weight SVD: W's own top-r right singular vectors (uncentred), blind to the data.
 *
 * Agreement is the truncated network's argmax against the teacher's stored logits on the cache's
 * held-out sets (the same sets and measure as bench/minatar-offline.ts).
 *
 *   npx tsx bench/minatar-lowrank.ts --data si200k.bin [--ranks 4,8,10,16,32,64] [--fit-states 20000] [--out F.json]
 *
 *   --data FILE        a cache written by bench/minatar-offline.ts --data (its FILE.json names the
 *                      game, the teacher and the set sizes)
 *   --ranks LIST       ranks to try (integers from 1 to the layer's output width)
 *   --fit-states N     training states the principal directions are fitted on (the first N)
 *   --out FILE         JSON of the table
 *   --save R:FILE      also write the data-PCA rank-R network as a policy file, in a form an
 *                      all-relu student can start from (minatar-offline --init FILE --arch
 *                      conv16x3,fc<2R>,fc128): the linear rank-R layer u = xWV as relu(u), relu(-u)
 *                      (2R units) and the next layer's weights as [V^T; -V^T], exact since
 *                      relu(u) - relu(-u) = u
 */
import { existsSync } from "node:fs";
import { writeFileAtomic } from "../src/core/atomic-write.js";
import { ConfigError } from "../src/core/errors.js";
import { onInterrupt, yieldIfDue } from "../src/core/interrupt.js";
import { loadPolicy, savePolicy } from "../src/nn/checkpoint.js";
import { compileSpec } from "../src/nn/fast.js";
import type { DenseLayerSpec, PolicySpec } from "../src/nn/spec.js";
import { type LabelledSet, readCache, readCacheKey } from "./minatar-cache.js";
import { refuser } from "./refuse.js";

const bad = refuser("minatar-lowrank");
// Typed here so that a call narrows like a `never` function (TypeScript needs the annotation).
const refuse: (e: unknown) => never = bad.refuse;
const { checked } = bad;

const argv = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};
const DATA = arg("data", "");
const OUT = arg("out", "");
const key = DATA ? checked(() => readCacheKey(DATA)) : undefined;
if (!key)
  refuse(
    new ConfigError(
      "--data",
      `a cache written by bench/minatar-offline.ts --data (FILE and FILE.json), got '${DATA}'`,
    ),
  );
if (!existsSync(key.TEACHER))
  refuse(new ConfigError("--data", `its teacher ${key.TEACHER} no longer exists`));
const FIT = Number(arg("fit-states", "20000"));
if (!(Number.isInteger(FIT) && FIT >= 1 && FIT <= key.N))
  refuse(
    new ConfigError(
      "--fit-states",
      `an integer from 1 to the cache's ${key.N} training states, got ${arg("fit-states", "20000")}`,
    ),
  );

const spec = loadPolicy(key.TEACHER).spec;
const d = spec.obsShape.reduce((a, b) => a * b, 1);
const k = spec.actionSize;
// The layer to truncate: the dense layer with the most weights.
let at = -1;
spec.layers.forEach((l, i) => {
  const best = at < 0 ? 0 : (spec.layers[at] as DenseLayerSpec).weight.length;
  if (l.kind === "dense" && l.weight.length > best) at = i;
});
if (at < 0) refuse(new ConfigError("--data", `its teacher ${key.TEACHER} has no dense layer`));
const big = spec.layers[at] as DenseLayerSpec;
const I = big.inSize;
const O = big.outSize;
const RANKS = arg("ranks", "4,8,10,12,16,24,32,64").split(",").map(Number);
if (!RANKS.every((r) => Number.isInteger(r) && r >= 1 && r <= O))
  refuse(
    new ConfigError(
      "--ranks",
      `integers from 1 to ${O} (the layer's width), got ${arg("ranks", "4,8,10,12,16,24,32,64")}`,
    ),
  );

const SAVE = arg("save", "");
const saveRank = SAVE ? Number(SAVE.split(":")[0]) : 0;
const saveFile = SAVE.slice(SAVE.indexOf(":") + 1);
if (SAVE && !(Number.isInteger(saveRank) && saveRank >= 1 && saveRank <= O && SAVE.includes(":") && saveFile))
  refuse(new ConfigError("--save", `RANK:FILE with a rank from 1 to ${O}, got '${SAVE}'`));

const sets = checked(() => readCache(DATA, JSON.stringify(key), d, k));
if (!sets) refuse(new ConfigError("--data", `${DATA} could not be read`));
const heldout: Array<{ name: string; set: LabelledSet }> = [
  { name: "heldout-mixed", set: sets[1]! },
  ...(key.STUDENT_RUN ? [{ name: "heldout-student", set: sets[2]! }] : []),
];
const stop = onInterrupt({ message: "interrupted: the table so far" });
const CHUNK = 500;

/** Symmetric eigen-decomposition (cyclic Jacobi); eigenvalues descending, vectors as columns of vecs [n, n]. */
function symmetricEigen(a0: Float64Array, n: number): { values: number[]; vecs: Float64Array } {
  const a = Float64Array.from(a0);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const rotate = (m: Float64Array, p: number, q: number, c: number, s: number, rows: boolean) => {
    for (let r = 0; r < n; r++) {
      const ip = rows ? p * n + r : r * n + p;
      const iq = rows ? q * n + r : r * n + q;
      const x = m[ip]!;
      const y = m[iq]!;
      m[ip] = c * x - s * y;
      m[iq] = s * x + c * y;
    }
  };
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i * n + i]! ** 2;
      for (let j = i + 1; j < n; j++) off += a[i * n + j]! ** 2;
    }
    if (off <= 1e-24 * diag) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        rotate(a, p, q, c, t * c, false);
        rotate(a, p, q, c, t * c, true);
        rotate(v, p, q, c, t * c, false);
      }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[y * n + y]! - a[x * n + x]!);
  const vecs = new Float64Array(n * n);
  order.forEach((src, c) => {
    for (let i = 0; i < n; i++) vecs[i * n + c] = v[i * n + src]!;
  });
  return { values: order.map((i) => a[i * n + i]!), vecs };
}

// Pre-activations z = xW + b of the layer over the first FIT training states: mean and covariance.
const upTo: PolicySpec = {
  ...spec,
  output: "logits",
  actionSize: O,
  layers: [...spec.layers.slice(0, at), { ...big, activation: "linear" }],
  valueLayers: undefined,
};
const pre = compileSpec(upTo);
const mean = new Float64Array(O);
const cov = new Float64Array(O * O);
for (let s = 0; s < FIT && !stop.stopped; s += CHUNK) {
  await yieldIfDue();
  const m = Math.min(CHUNK, FIT - s);
  const z = pre.forward(sets[0]!.obs.subarray(s * d, (s + m) * d), m);
  for (let r = 0; r < m; r++)
    for (let i = 0; i < O; i++) {
      const zi = z[r * O + i]!;
      mean[i] += zi;
      for (let j = i; j < O; j++) cov[i * O + j] += zi * z[r * O + j]!;
    }
}
for (let i = 0; i < O; i++) mean[i] /= FIT;
for (let i = 0; i < O; i++)
  for (let j = i; j < O; j++) cov[j * O + i] = cov[i * O + j] = cov[i * O + j]! / FIT - mean[i]! * mean[j]!;
const byData = symmetricEigen(cov, O);
const wtw = new Float64Array(O * O);
for (let a = 0; a < I; a++)
  for (let i = 0; i < O; i++) {
    const wi = big.weight[a * O + i]!;
    for (let j = 0; j < O; j++) wtw[i * O + j] += wi * big.weight[a * O + j]!;
  }
const byWeight = symmetricEigen(wtw, O);

/** The teacher with the layer as I -> r (linear) -> O: z' = c + V_r V_r^T (xW + b - c). */
function truncated(vecs: Float64Array, r: number, centre: Float64Array): PolicySpec {
  const v = (i: number, c: number) => vecs[i * O + c]!;
  const w1 = new Float32Array(I * r);
  for (let a = 0; a < I; a++)
    for (let c = 0; c < r; c++) {
      let s = 0;
      for (let i = 0; i < O; i++) s += big.weight[a * O + i]! * v(i, c);
      w1[a * r + c] = s;
    }
  const w2 = new Float32Array(r * O);
  for (let c = 0; c < r; c++) for (let i = 0; i < O; i++) w2[c * O + i] = v(i, c);
  // The bias of the second layer carries b and the centre: c + V_r V_r^T (b - c).
  const proj = new Float64Array(r);
  for (let c = 0; c < r; c++) for (let j = 0; j < O; j++) proj[c] += v(j, c) * (big.bias[j]! - centre[j]!);
  const b2 = new Float32Array(O);
  for (let i = 0; i < O; i++) {
    let s = centre[i]!;
    for (let c = 0; c < r; c++) s += v(i, c) * proj[c]!;
    b2[i] = s;
  }
  const first: DenseLayerSpec = {
    kind: "dense",
    inSize: I,
    outSize: r,
    weight: w1,
    bias: new Float32Array(r),
    activation: "linear",
  };
  const second: DenseLayerSpec = {
    kind: "dense",
    inSize: r,
    outSize: O,
    weight: w2,
    bias: b2,
    activation: big.activation,
  };
  return { ...spec, layers: [...spec.layers.slice(0, at), first, second, ...spec.layers.slice(at + 1)] };
}

const argmax = (row: ArrayLike<number>, o: number): number => {
  let b = 0;
  for (let j = 1; j < k; j++) if (row[o + j]! > row[o + b]!) b = j;
  return b;
};
async function agreement(net: PolicySpec, set: LabelledSet): Promise<number> {
  const policy = compileSpec(net);
  let same = 0;
  for (let s = 0; s < set.n && !stop.stopped; s += CHUNK) {
    await yieldIfDue();
    const m = Math.min(CHUNK, set.n - s);
    const y = policy.forward(set.obs.subarray(s * d, (s + m) * d), m);
    for (let r = 0; r < m; r++) if (argmax(y, r * k) === argmax(set.logits, (s + r) * k)) same++;
  }
  return same / set.n;
}
const paramsOf = (net: PolicySpec) =>
  net.layers.reduce((a, l) => a + (l.kind === "flatten" ? 0 : l.weight.length + l.bias.length), 0);
const teacherParams = paramsOf(spec);
const total = byData.values.reduce((a, b) => a + Math.max(b, 0), 0);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

console.log(
  `${key.ENV}: teacher ${key.TEACHER} (${teacherParams} parameters), layer ${at} dense ${I} -> ${O}; directions fitted on ${FIT} training states\n`,
);
console.log(
  `| rank | parameters (share) | pre-activation variance kept | ${heldout.map((h) => `data PCA, ${h.name}`).join(" | ")} | ${heldout.map((h) => `weight SVD, ${h.name}`).join(" | ")} |`,
);
console.log(`|---|---|---|${heldout.map(() => "---|---|").join("")}`);
const rows: Array<Record<string, number | string>> = [];
const zero = new Float64Array(O);
for (const r of RANKS) {
  if (stop.stopped) break;
  const byPca = truncated(byData.vecs, r, mean);
  const bySvd = truncated(byWeight.vecs, r, zero);
  const row: Record<string, number | string> = {
    rank: r,
    params: paramsOf(byPca),
    share: paramsOf(byPca) / teacherParams,
    varianceKept: byData.values.slice(0, r).reduce((a, b) => a + Math.max(b, 0), 0) / total,
  };
  for (const h of heldout) row[`pca/${h.name}`] = await agreement(byPca, h.set);
  for (const h of heldout) row[`svd/${h.name}`] = await agreement(bySvd, h.set);
  if (stop.stopped) break; // a rank cut short is not reported
  rows.push(row);
  const cells = [...heldout.map((h) => row[`pca/${h.name}`]), ...heldout.map((h) => row[`svd/${h.name}`])];
  console.log(
    `| ${r} | ${row.params} (${pct(row.share as number)}) | ${pct(row.varianceKept as number)} | ${cells.map((c) => pct(c as number)).join(" | ")} |`,
  );
}
stop.dispose();
if (SAVE && !stop.stopped) {
  // The rank-R pair as relu(u), relu(-u) -> [V^T; -V^T]: the same function with relu hidden layers.
  const pca = truncated(byData.vecs, saveRank, mean);
  const first = pca.layers[at] as DenseLayerSpec;
  const second = pca.layers[at + 1] as DenseLayerSpec;
  const r = saveRank;
  const w1 = new Float32Array(I * 2 * r);
  for (let a = 0; a < I; a++)
    for (let c = 0; c < r; c++) {
      w1[a * 2 * r + c] = first.weight[a * r + c]!;
      w1[a * 2 * r + r + c] = -first.weight[a * r + c]!;
    }
  const w2 = new Float32Array(2 * r * O);
  w2.set(second.weight, 0);
  for (let i = 0; i < r * O; i++) w2[r * O + i] = -second.weight[i]!;
  const doubled: PolicySpec = {
    ...pca,
    layers: [
      ...pca.layers.slice(0, at),
      { ...first, outSize: 2 * r, weight: w1, bias: new Float32Array(2 * r), activation: "relu" },
      { ...second, inSize: 2 * r, weight: w2 },
      ...pca.layers.slice(at + 2),
    ],
  };
  const check = await Promise.all(heldout.map((h) => agreement(doubled, h.set)));
  savePolicy(saveFile, doubled, {
    source: `rank-${r} data-PCA truncation of ${key.TEACHER} (bench/minatar-lowrank.ts)`,
  });
  console.log(
    `\nsaved ${saveFile}: rank ${r} as ${2 * r} relu units, ${paramsOf(doubled)} parameters, agreement ${check.map(pct).join(" / ")}`,
  );
}
if (OUT)
  writeFileAtomic(
    OUT,
    `${JSON.stringify({ data: DATA, key, layer: at, fitStates: FIT, teacherParams, interrupted: stop.stopped, rows }, null, 1)}\n`,
  );
