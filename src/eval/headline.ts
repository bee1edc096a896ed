/**
 * The headline of a teacher -> student comparison, cheap enough to measure at the end of every
 * distillation run: size (parameters, FLOPs, float32 and int8 bytes) and act() latency of both
 * networks, and the ratios a reader looks for first.
 *
 *   const h = measureHeadline(teacherSpec, studentSpec, "CartPole-v1");
 *   h.size_ratio;   // student / teacher parameters
 *   h.speedup;      // teacher p50 / student p50
 *
 * Both networks are timed through the same path: the synchronous compiled forward of the acting
 * network (`compileSpec(spec).act`, batch 1, no critic), on the same observations (visited by the
 * greedy student), taking turns (`measureActLatencies`), so the ratio is the networks' and not
 * their wrappers'. A teacher known only by its parameter count (an ONNX file, an ensemble) has no
 * such path: its latency and FLOPs stay null rather than being timed another way.
 */
import { ConfigError } from "../core/errors.js";
import { type CompiledPolicy, compileSpec } from "../nn/fast.js";
import type { PolicySpec } from "../nn/spec.js";
import type { EnvSource } from "./evaluate.js";
import { efficiencyOf, type Latency, measureActLatencies } from "./latency.js";
import { collectStates } from "./similarity.js";

export interface HeadlineOptions {
  /** Untimed calls per network. Default 100. */
  warmup?: number;
  /** Timed calls per network. Default 1000. */
  iterations?: number;
  /** Observations the calls cycle through. Default 256. */
  states?: number;
  /** Seed of the episode the observations come from. Default 0. */
  seed?: number;
  /** make() kwargs, when the env is an id. */
  kwargs?: Record<string, unknown>;
}

export interface PolicyCost {
  /** Parameters of the acting network. */
  params: number;
  flops_per_action: number | null;
  bytes_float32: number | null;
  /** Estimated int8 size (weights 1 byte, scales and biases float32; see efficiencyOf). */
  bytes_int8: number | null;
  /** Median and 99th-percentile act() latency, microseconds; null when not timed. */
  p50_us: number | null;
  p99_us: number | null;
}

/** headline.json's measured part (a distillation run adds retention, agreement and videos). */
export interface Headline {
  teacher: PolicyCost;
  student: PolicyCost;
  /** Student parameters / teacher parameters. */
  size_ratio: number;
  /** Teacher p50 / student p50; null when the teacher was not timed. */
  speedup: number | null;
  latency: { path: string; warmup: number; iterations: number; states: number };
}

export const HEADLINE_LATENCY_PATH = "compileSpec act(), batch 1, acting network only";

function costOf(spec: PolicySpec, lat: Latency): PolicyCost {
  const e = efficiencyOf(spec, { int8: true });
  return {
    params: e.params,
    flops_per_action: e.flopsPerAction,
    bytes_float32: e.bytesFloat32,
    bytes_int8: e.bytesInt8,
    p50_us: lat.p50Us,
    p99_us: lat.p99Us,
  };
}

/**
 * Measures the headline. `teacher` is the teacher's PolicySpec, or `{ params }` for a teacher that
 * has none (then only the size ratio is known).
 */
export function measureHeadline(
  teacher: PolicySpec | { params: number },
  student: PolicySpec,
  env: EnvSource,
  opts: HeadlineOptions = {},
): Headline {
  const warmup = opts.warmup ?? 100;
  const iterations = opts.iterations ?? 1000;
  const count = opts.states ?? 256;
  if (!(Number.isInteger(count) && count >= 1))
    throw new ConfigError("states", `must be an integer >= 1, got ${count}`);
  const teacherSpec = "layers" in teacher ? teacher : null;
  const teacherParams = "layers" in teacher ? 0 : teacher.params;
  const studentPolicy = compileSpec(student);
  const probe = typeof env === "string" ? env : env(0);
  const states = collectStates(studentPolicy, probe, {
    steps: count,
    seed: opts.seed ?? 0,
    kwargs: opts.kwargs,
  });
  if (typeof probe !== "string") probe.close();
  const policies: Record<string, CompiledPolicy> = { student: studentPolicy };
  if (teacherSpec) policies.teacher = compileSpec(teacherSpec);
  const lat = measureActLatencies(policies, states.obs, states.obsSize, { warmup, iterations });
  const s = costOf(student, lat.student!);
  const t: PolicyCost = teacherSpec
    ? costOf(teacherSpec, lat.teacher!)
    : {
        params: teacherParams,
        flops_per_action: null,
        bytes_float32: 4 * teacherParams,
        bytes_int8: null,
        p50_us: null,
        p99_us: null,
      };
  return {
    teacher: t,
    student: s,
    size_ratio: s.params / t.params,
    speedup: t.p50_us === null ? null : t.p50_us / s.p50_us!,
    latency: { path: HEADLINE_LATENCY_PATH, warmup, iterations, states: count },
  };
}
