/**
 * The MinAtar section of bench/distill.ts (`npx tsx bench/distill.ts --only minatar`): the shipped
 * CNN teachers (models/minatar-<game>-<algo>.rldistill) distilled into small students, sticky
 * actions on (MinAtar's default 0.1), 100 final evaluation episodes per run.
 *
 *   --games Breakout,SpaceInvaders,...   games (default all five)
 *   --seeds 1,2,3                        seeds of every run
 *   --minatar-steps 100000               env steps per run
 *   --candidates "conv8x3,fc32;..."      students to try, largest first (default below)
 *   --compare-seeds 1,2                  seeds of the comparison (default --seeds)
 *   --compare Breakout                   the game of the method and collection comparison ("" skips)
 *   --skip-search                        only the comparison
 *   --skip-compare                       only the search
 *   --variants 3,4                       only these comparison rows (0-based: policy, policy + CE, attention, feature, ppo, teacher-, student-driven)
 *   --table-only                         print the comparison from finished run folders (with --reuse's rule), run nothing
 *   --reuse                              take finished run folders made with the same config (resume a bench)
 *   --lr 0.003 --train-ratio 0.25 --batch-size 128   replay settings of every run
 *   --lr-schedule 1 --buffer-size 100000              learning-rate factor schedule, replay capacity
 *   --final-episodes 100                 episodes of the final teacher / student / random evaluation
 *   --argmax-coef 1                      weight of the greedy-action cross-entropy beside the KL in
 *                                        the search's policy runs (the comparison's rows say their own)
 *   --tau 1                              KL temperature of the search's runs (a schedule string too);
 *                                        run folders get a -tau<value> suffix when it is not 1
 *   --greedy-collect                     teacher and student act greedily while the search's runs
 *                                        collect (as evaluation plays; default: both sample);
 *                                        run folders get a -greedy suffix
 *
 * 1. Smallest student per game: candidates from the largest down (one over 10% of the teacher's
 *    parameters is run and shown for reference, never chosen); every seed of a candidate must keep >= 95% of the teacher's return (retention,
 *    normalised by a random policy's return) and >= 95% action agreement on the states the student
 *    visits; the search stops at the first candidate that fails, and the smallest that passed is
 *    reported. A candidate is dropped at its first seed that misses a target (the rest are not run).
 * 2. Methods on one budget (the comparison game, the smallest passing student or the first
 *    candidate): policy-only KL, KL + attention transfer, KL + feature distillation (hints from the
 *    start, kept alongside), DistilledPPO at alpha = 0.7; agreement and retention at 20/40/60/80/100%
 *    of training (the run's checkpoint evaluations); then teacher- vs student-driven collection.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type DistillInput, resolveDistillConfig } from "../src/distill/config.js";
import { distill } from "../src/distill/distill.js";
import type { DistillSummary } from "../src/distill/run-dir.js";
import { formatCI95 } from "../src/eval/stats.js";

export interface MinatarBenchOptions {
  models: string;
  out: string;
  arg: (name: string, fallback: string) => string;
  flag: (name: string) => boolean;
}

const GAMES = ["Breakout", "SpaceInvaders", "Freeway", "Asterix", "Seaquest"];

/** Students tried, largest first: conv layers with the teacher's geometry, and MLPs over the frame. */
const CANDIDATES = [
  "conv8x3,fc32",
  "conv8x3,fc16",
  "conv4x3,fc16",
  "conv4x3,fc8",
  "conv2x3,fc8",
  "conv2x3,fc4",
];

const fmt = (v: number | null | undefined, d = 3) => (v === null || v === undefined ? "-" : v.toFixed(d));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const pct = (v: number | null | undefined) =>
  v === null || v === undefined ? "-" : `${(100 * v).toFixed(1)}%`;

function teacherOf(models: string, game: string): string | undefined {
  const files = existsSync(models) ? readdirSync(models) : [];
  const hit = files
    .filter((f) => f.toLowerCase().startsWith(`minatar-${game.toLowerCase()}-`) && f.endsWith(".rldistill"))
    .sort()[0];
  return hit ? join(models, hit) : undefined;
}

/**
 * The summary of a finished run in `input.out` made with exactly this config (--reuse), so an
 * interrupted bench picks up where it stopped; undefined when there is none.
 */
function finishedRun(input: DistillInput): DistillSummary | undefined {
  const dir = input.out!;
  const files = [join(dir, "config.json"), join(dir, "summary.json")];
  if (!files.every((f) => existsSync(f))) return undefined;
  const [config, summary] = files.map((f) => JSON.parse(readFileSync(f, "utf8")));
  if (JSON.stringify(config) !== JSON.stringify(resolveDistillConfig(input))) return undefined;
  const s = summary as DistillSummary;
  return s.interrupted || !s.student.eval ? undefined : s;
}

/** DistilledPPO collects its own rollouts: the replay settings of the other runs are not its fields. */
function withoutReplay(input: DistillInput): DistillInput {
  if (input.method !== "ppo") return input;
  const { trainRatio: _r, batchSize: _b, lrSchedule: _l, bufferSize: _s, ...rest } = input;
  return rest;
}

/** Both targets: >= 95% of the teacher's return (normalised by random play) and >= 95% agreement. */
const meets = (s: DistillSummary) => (s.retention ?? 0) >= 0.95 && (s.agreement ?? 0) >= 0.95;

/** Retention of a checkpoint's mean return, from the run's teacher and random returns. */
function retentionAt(s: DistillSummary, r: number): number {
  return (r - s.random.eval.mean_return) / (s.teacher.eval.mean_return - s.random.eval.mean_return);
}

export async function minatarSection(o: MinatarBenchOptions): Promise<void> {
  const games = o.arg("games", GAMES.join(",")).split(",");
  const seeds = o.arg("seeds", "1,2,3").split(",").map(Number);
  const steps = Number(o.arg("minatar-steps", "100000"));
  const candidates = o.arg("candidates", CANDIDATES.join(";")).split(";");
  const compare = o.arg("compare", "Breakout");
  const argmaxCoef = Number(o.arg("argmax-coef", "1"));
  const tau = o.arg("tau", "1");
  // A sampled teacher plays worse than the greedy one evaluation scores (MinAtar collection returns:
  // Breakout 14.8 against 24.4, Asterix 9.3 against 12.6), so sampled collection holds few states of
  // the later, harder parts of greedy play.
  const greedyCollect = o.flag("greedy-collect");
  const greedy: DistillInput = greedyCollect
    ? { teacherDeterministic: true, studentDeterministic: "true" }
    : {};
  // Replay settings of the Breakout learning test (src/distill/methods/learning.test.ts): twice the
  // default updates per transition at 3x the default rate. With the defaults (lr 1e-3, ratio 0.125,
  // batch 256) conv8x3,fc16 plateaued at 89-93% agreement over 100k steps (seed 1).
  const base: DistillInput = {
    steps,
    learningRate: Number(o.arg("lr", "0.003")),
    lrSchedule: o.arg("lr-schedule", "1"),
    trainRatio: Number(o.arg("train-ratio", "0.25")),
    batchSize: Number(o.arg("batch-size", "128")),
    bufferSize: Number(o.arg("buffer-size", "100000")),
    studentActivation: "relu",
    finalEpisodes: Number(o.arg("final-episodes", "100")),
    evalEpisodes: 10,
    similarityStates: 5000,
    video: false,
  };
  // Runs by config: the search's policy runs are the comparison's policy-only KL rows.
  const done = new Map<string, DistillSummary>();
  const run = async (cfg: DistillInput, name: string): Promise<DistillSummary> => {
    const key = JSON.stringify({ method: "policy", collector: "mixed", ...cfg });
    const seen = done.get(key);
    if (seen) return seen;
    const input: DistillInput = withoutReplay({ ...base, ...cfg, out: join(o.out, "minatar", name) });
    const prior = o.flag("reuse") ? finishedRun(input) : undefined;
    if (prior) {
      console.error(
        `  ${name}: reused (retention ${fmt(prior.retention)} agreement ${fmt(prior.agreement)})`,
      );
      done.set(key, prior);
      return prior;
    }
    const t0 = performance.now();
    const { summary } = await distill(input, { overwrite: true });
    console.error(
      `  ${name}: retention ${fmt(summary.retention)}${formatCI95(summary.retention_ci95)} agreement ${fmt(summary.agreement)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
    );
    done.set(key, summary);
    return summary;
  };

  const chosen: Record<string, string> = {};
  if (!o.flag("skip-search")) {
    const rows: string[] = [];
    const verdicts: string[] = [];
    for (const game of games) {
      const teacher = teacherOf(o.models, game);
      if (!teacher) {
        verdicts.push(`- ${game}: no teacher models/minatar-${game.toLowerCase()}-*.rldistill`);
        continue;
      }
      const env = `MinAtar/${game}-v1`;
      let smallest: { arch: string; share: number } | undefined;
      for (const arch of candidates) {
        const res: DistillSummary[] = [];
        for (const seed of seeds) {
          const s = await run(
            {
              teachers: [teacher],
              env,
              student: arch,
              seed,
              argmaxCoef,
              ...(tau === "1" ? {} : { tau }),
              ...greedy,
            },
            `${game}-${arch}${argmaxCoef > 0 ? `-ce${argmaxCoef}` : ""}${tau === "1" ? "" : `-tau${tau}`}${greedyCollect ? "-greedy" : ""}-s${seed}`,
          );
          res.push(s);
          if (!meets(s)) break; // one seed short of a target rules the candidate out
        }
        const share = res[0]!.student.params / res[0]!.teacher.params;
        for (const [i, s] of res.entries()) {
          rows.push(
            `| ${game} | ${arch} | ${seeds[i]} | ${s.student.params} / ${s.teacher.params} (${pct(share)}) | ` +
              `${s.teacher.eval.mean_return.toFixed(2)} | ${s.student.eval?.mean_return.toFixed(2) ?? "-"} | ${s.random.eval.mean_return.toFixed(2)} | ` +
              `${fmt(s.retention)} | ${pct(s.agreement)} | ${s.js_divergence?.toExponential(2) ?? "-"} | ${s.wall_seconds.toFixed(0)} |`,
          );
        }
        // A student over 10% cannot be the answer, but its row says what more capacity buys.
        if (share > 0.1) {
          verdicts.push(
            `- ${game}: ${arch} is ${pct(share)} of the teacher, over 10%: ${res.every(meets) ? "meets" : "misses"} the targets (shown for reference, not a candidate)`,
          );
          continue;
        }
        const pass = res.length === seeds.length && res.every(meets);
        if (!pass) break;
        smallest = { arch, share };
      }
      if (smallest) chosen[game] = smallest.arch;
      verdicts.push(
        smallest
          ? `- ${game}: smallest student meeting both targets on every seed: ${smallest.arch} (${pct(smallest.share)} of the teacher's parameters)`
          : `- ${game}: no candidate met retention >= 0.95 and agreement >= 95% on every seed`,
      );
    }
    console.log(
      `\n## MinAtar: students of the shipped CNN teachers (${steps} steps, sticky actions 0.1, ${base.finalEpisodes} final episodes, seeds ${seeds.join(",")})\n`,
    );
    console.log(
      "| game | student | seed | params (share) | teacher return | student return | random | retention | agreement | JS | s |",
    );
    console.log("|---|---|---|---|---|---|---|---|---|---|---|");
    for (const r of rows) console.log(r);
    console.log("");
    for (const v of verdicts) console.log(v);
  }

  if (compare === "" || o.flag("skip-compare")) return;
  const teacher = teacherOf(o.models, compare);
  if (!teacher) {
    console.log(`\n(no teacher for ${compare}: comparison skipped)`);
    return;
  }
  const env = `MinAtar/${compare}-v1`;
  const student = chosen[compare] ?? o.arg("compare-student", candidates[0]!);
  const compareSeeds = o.arg("compare-seeds", seeds.join(",")).split(",").map(Number);
  const variants: Array<{ label: string; cfg: DistillInput }> = [
    { label: "policy-only KL", cfg: { method: "policy", argmaxCoef: 0 } },
    { label: "KL + greedy-action CE (argmaxCoef 1)", cfg: { method: "policy", argmaxCoef: 1 } },
    { label: "KL + attention transfer", cfg: { method: "attention" } },
    { label: "KL + feature distillation", cfg: { method: "feature", featureStage: 0, featureCoef: 1 } },
    { label: "DistilledPPO, alpha 0.7", cfg: { method: "ppo", alpha: "0.7" } },
    { label: "policy KL, teacher-driven", cfg: { method: "policy", argmaxCoef: 0, collector: "teacher" } },
    {
      label: "policy KL, student-driven (DAgger)",
      cfg: { method: "policy", argmaxCoef: 0, collector: "student" },
    },
  ];
  // --variants 3,4: only these rows (0-based), e.g. to split the comparison over two processes.
  const only = o.arg("variants", "");
  const picked = only === "" ? variants : only.split(",").map((i) => variants[Number(i)]!);
  const tableOnly = o.flag("table-only");
  const lines: string[] = [];
  for (const v of picked) {
    const res: DistillSummary[] = [];
    const used: number[] = [];
    for (const seed of compareSeeds) {
      const name = `${compare}-${v.label.replace(/[^a-z0-9]+/gi, "-")}-s${seed}`;
      const cfg: DistillInput = { teachers: [teacher], env, student, seed, ...v.cfg };
      // --table-only: finished runs only (search folders count for policy-only KL), nothing is run.
      const s = tableOnly
        ? (finishedRun(withoutReplay({ ...base, ...cfg, out: join(o.out, "minatar", name) })) ??
          (v.cfg.method === "policy" && !v.cfg.collector
            ? finishedRun({
                ...base,
                ...cfg,
                out: join(
                  o.out,
                  "minatar",
                  `${compare}-${student}${v.cfg.argmaxCoef ? `-ce${v.cfg.argmaxCoef}` : ""}-s${seed}`,
                ),
              })
            : undefined))
        : await run(cfg, name);
      if (!s) continue;
      res.push(s);
      used.push(seed);
    }
    if (res.length === 0) {
      lines.push(`| ${v.label} | (not run) | | | | | |`);
      continue;
    }
    const at = (k: number) => {
      const cps = res.map((s) => s.checkpoints[k]).filter((c) => c !== undefined);
      if (cps.length === 0) return "-";
      const ag = mean(cps.map((c) => c.agreement ?? 0));
      const rt = mean(cps.map((c, i) => retentionAt(res[i]!, c.mean_return)));
      return `${pct(ag)} / ${fmt(rt, 2)}`;
    };
    lines.push(
      `| ${v.label}${used.length < compareSeeds.length ? ` (seed ${used.join(",")})` : ""} | ${[0, 1, 2, 3, 4].map(at).join(" | ")} | ${pct(mean(res.map((s) => s.agreement ?? 0)))} / ${fmt(mean(res.map((s) => s.retention ?? 0)), 2)} |`,
    );
  }
  console.log(
    `\n## MinAtar ${compare}: methods and collection on one budget (student ${student}, ${steps} steps, seeds ${compareSeeds.join(",")}, mean)\n`,
  );
  console.log(
    "Each cell: agreement / retention at that share of training (checkpoint evaluations, 10 episodes); final: 100 episodes.\n",
  );
  console.log("| variant | 20% | 40% | 60% | 80% | 100% | final |");
  console.log("|---|---|---|---|---|---|---|");
  for (const l of lines) console.log(l);
}
