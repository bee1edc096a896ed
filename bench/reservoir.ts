/**
 * The lifelong replay memory's draw cost: one replay batch (`sample`, 128 old-task rows over three
 * tasks, then `gather`) from a memory of N rows, as a training round calls it (many draws between
 * two collections: the per-task row index is built once) against the same draw after a row has
 * arrived (the index rebuilt by a scan of the whole memory, which every draw paid before the index
 * was kept between adds). Rows are 8 numbers wide: the scan's cost depends on the row count only.
 *
 *   npx tsx bench/reservoir.ts [--rows 100000,1000000] [--draws 200] [--repeats 5]
 *
 * Prints the median microseconds per draw of each path over the repeats and their ratio.
 */
import { ConfigError } from "../src/core/errors.js";
import { Rng } from "../src/core/rng.js";
import { ReservoirMemory } from "../src/distill/multitask/reservoir.js";
import { median } from "../src/eval/stats.js";
import { refuser } from "./refuse.js";

const { checked } = refuser("reservoir");
const argv = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? (argv[i + 1] ?? "") : dflt;
};
const positiveInt = (name: string, text: string) =>
  checked(() => {
    const v = Number(text);
    if (!(Number.isInteger(v) && v >= 1))
      throw new ConfigError(`--${name}`, `an integer >= 1, got "${text}"`);
    return v;
  });
const ROWS = arg("rows", "100000,1000000")
  .split(",")
  .map((s) => positiveInt("rows", s));
const DRAWS = positiveInt("draws", arg("draws", "200"));
const REPEATS = positiveInt("repeats", arg("repeats", "5"));

function filled(n: number): ReservoirMemory {
  const m = new ReservoirMemory({
    capacity: n + DRAWS * REPEATS,
    inputSize: 8,
    inputDtype: "uint8",
    width: 6,
  });
  const rng = new Rng(1);
  const chunk = 10_000;
  const input = new Uint8Array(chunk * 8);
  const out = new Float32Array(chunk * 6);
  // Four tasks in stages; task 3 plays the live task that replay leaves out.
  const perTask = Math.floor(n / 4);
  for (let t = 0; t < 4; t++)
    for (let done = 0; done < perTask; done += chunk)
      m.add(t, input, Math.min(chunk, perTask - done), out, 6, rng);
  return m;
}

console.log(`bench/reservoir.ts: ${DRAWS} draws of 128 rows per repeat, ${REPEATS} repeats`);
console.log("| rows | draw, index kept (us) | draw after a row arrives (us) | ratio |\n|---|---|---|---|");
for (const n of ROWS) {
  const m = filled(n);
  const rng = new Rng(2);
  const one = { input: new Uint8Array(8), out: new Float32Array(6) };
  const old = (t: number) => t !== 3;
  const kept: number[] = [];
  const rebuilt: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    // Interleaved, so both paths see the same machine load.
    let t0 = performance.now();
    for (let i = 0; i < DRAWS; i++) m.gather(m.sample(128, rng, old));
    kept.push(((performance.now() - t0) * 1000) / DRAWS);
    t0 = performance.now();
    for (let i = 0; i < DRAWS; i++) {
      m.add(3, one.input, 1, one.out, 6, rng);
      m.gather(m.sample(128, rng, old));
    }
    rebuilt.push(((performance.now() - t0) * 1000) / DRAWS);
  }
  const k = median(kept);
  const b = median(rebuilt);
  console.log(`| ${n} | ${k.toFixed(1)} | ${b.toFixed(1)} | ${(b / k).toFixed(1)}x |`);
}
