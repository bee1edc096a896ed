/**
 * Targets, and how trials are ranked against them: pure functions of trial figures.
 *
 * A search minimises size subject to `retention >= r` and `agreement >= a`. Successive halving
 * needs one order per rung; we use non-dominated sorting on two objectives, size and shortfall
 * (how far a trial is from the target: the sum of the missing amounts, 0 when it meets it). A
 * trial that meets the target and is smallest dominates every bigger one that also meets it, so big
 * networks that already pass are not promoted over small ones that nearly do (which is where the
 * answer lies), and the smallest passing trial is always promoted.
 */
import { ConfigError } from "../core/errors.js";

export const TARGET_METRICS = ["retention", "agreement"] as const;
export type TargetMetric = (typeof TARGET_METRICS)[number];
export type Target = Partial<Record<TargetMetric, number>>;

/** What ranking needs from a finished trial. */
export interface Scored {
  key: string;
  size: number;
  retention: number | null;
  agreement: number | null;
}

/** "retention=0.99,agreement=0.97" -> { retention: 0.99, agreement: 0.97 }. */
export function parseTarget(text: string, field = "target"): Target {
  const out: Target = {};
  for (const part of text.split(",")) {
    if (part.trim() === "") continue;
    const m = /^\s*([a-z_]+)\s*=\s*([-+0-9.eE]+)\s*$/.exec(part);
    if (!m)
      throw new ConfigError(
        field,
        `expected metric=value pairs, e.g. retention=0.99,agreement=0.97; got "${text}"`,
      );
    const name = m[1]!;
    if (!(TARGET_METRICS as readonly string[]).includes(name))
      throw new ConfigError(field, `unknown metric "${name}"; allowed: ${TARGET_METRICS.join(", ")}`);
    const v = Number(m[2]);
    if (!Number.isFinite(v) || v < 0 || v > 2)
      throw new ConfigError(field, `${name} must be a number in [0, 2], got ${m[2]}`);
    out[name as TargetMetric] = v;
  }
  if (Object.keys(out).length === 0)
    throw new ConfigError(field, "give at least one metric, e.g. retention=0.99");
  return out;
}

export function formatTarget(t: Target): string {
  return TARGET_METRICS.filter((m) => t[m] !== undefined)
    .map((m) => `${m}=${t[m]}`)
    .join(",");
}

/**
 * Sum over the target's metrics of max(0, target - value). A metric the trial could not measure
 * (null) counts as fully missing, so it never passes by accident.
 */
export function shortfall(s: Pick<Scored, TargetMetric>, target: Target): number {
  let total = 0;
  for (const m of TARGET_METRICS) {
    const want = target[m];
    if (want === undefined) continue;
    const got = s[m];
    total += got === null || !Number.isFinite(got) ? want : Math.max(0, want - got);
  }
  return total;
}

export function meetsTarget(s: Pick<Scored, TargetMetric>, target: Target): boolean {
  return shortfall(s, target) === 0;
}

/** Non-dominated fronts (indices into `points`), first front first; both coordinates minimised. */
export function nonDominatedFronts(points: ReadonlyArray<readonly [number, number]>): number[][] {
  const dominates = (a: readonly [number, number], b: readonly [number, number]) =>
    a[0] <= b[0] && a[1] <= b[1] && (a[0] < b[0] || a[1] < b[1]);
  const left = new Set(points.map((_, i) => i));
  const fronts: number[][] = [];
  while (left.size) {
    const front = [...left].filter(
      (i) => ![...left].some((j) => j !== i && dominates(points[j]!, points[i]!)),
    );
    fronts.push(front);
    for (const i of front) left.delete(i);
  }
  return fronts;
}

/**
 * Trials in promotion order: by non-dominated front on (size, shortfall), then shortfall, then
 * size, then key (so equal figures still give one order on every machine).
 */
export function rankTrials<T extends Scored>(trials: readonly T[], target: Target): T[] {
  const pts = trials.map((t) => [t.size, shortfall(t, target)] as const);
  const frontOf = new Array<number>(trials.length);
  nonDominatedFronts(pts).forEach((f, fi) => {
    for (const i of f) frontOf[i] = fi;
  });
  const order = trials.map((_, i) => i);
  order.sort(
    (a, b) =>
      frontOf[a]! - frontOf[b]! ||
      pts[a]![1] - pts[b]![1] ||
      pts[a]![0] - pts[b]![0] ||
      (trials[a]!.key < trials[b]!.key ? -1 : trials[a]!.key > trials[b]!.key ? 1 : 0),
  );
  return order.map((i) => trials[i]!);
}

/**
 * The Pareto front of size (smaller is better) against one metric (larger is better): the trials
 * no other trial beats on both, by increasing size. Trials without the metric are left out.
 */
export function paretoFront<T extends Scored>(trials: readonly T[], metric: TargetMetric): T[] {
  const withMetric = trials.filter((t) => t[metric] !== null && Number.isFinite(t[metric]));
  const sorted = [...withMetric].sort(
    (a, b) => a.size - b.size || (b[metric] as number) - (a[metric] as number) || (a.key < b.key ? -1 : 1),
  );
  const front: T[] = [];
  let best = Number.NEGATIVE_INFINITY;
  for (const t of sorted) {
    const v = t[metric] as number;
    if (v > best) {
      front.push(t);
      best = v;
    }
  }
  return front;
}
