/**
 * Fakes for distillation tests: a tiny seeded line-world env (discrete or continuous), and
 * teachers over hand-made `PolicySpec`s that solve it, so tests need no trained model.
 *
 * LineWorld: obs [x, 1] with x in [-2, 2]; the discrete action pushes x by -0.1 or +0.1 (the
 * continuous one by 0.1 * a, a in [-1, 1]) plus a little seeded noise; reward 1 while |x| < 0.5;
 * terminated when |x| > 1.5; truncated after 50 steps. The optimal policy pushes x towards 0.
 */
import type { Env, ResetOptions, ResetResult, StepResult } from "../../core/env.js";
import { Rng } from "../../core/rng.js";
import { Box, Discrete, type Space } from "../../core/spaces.js";
import type { LayerSpec, PolicySpec } from "../../nn/spec.js";
import { SpecTeacher } from "../teachers/spec-teacher.js";

export class LineWorld implements Env<Float32Array, number | Float32Array> {
  readonly box = new Box([-2, 0], [2, 1]);
  readonly space: Discrete | Box;
  readonly continuous: boolean;
  private rng = new Rng(0);
  private x = 0;
  private t = 0;
  maxSteps = 50;

  constructor(opts: { continuous?: boolean } = {}) {
    this.continuous = opts.continuous ?? false;
    this.space = this.continuous ? new Box(-1, 1, { shape: [1] }) : new Discrete(2);
  }

  get observationSpace(): Space<Float32Array> {
    return this.box as unknown as Space<Float32Array>;
  }

  get actionSpace(): Space<number | Float32Array> {
    return this.space as Space<number | Float32Array>;
  }

  get unwrapped(): Env<unknown, unknown> {
    return this as unknown as Env<unknown, unknown>;
  }

  private obs(): Float32Array {
    return Float32Array.of(this.x, 1);
  }

  reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    if (opts.seed !== undefined) this.rng.reseed(opts.seed);
    this.x = this.rng.uniform(-0.4, 0.4);
    this.t = 0;
    return { obs: this.obs(), info: {} };
  }

  step(action: number | Float32Array): StepResult<Float32Array> {
    const push = typeof action === "number" ? (action === 1 ? 1 : -1) : Math.max(-1, Math.min(1, action[0]!));
    this.x += 0.1 * push + this.rng.uniform(-0.03, 0.03);
    this.t++;
    const terminated = Math.abs(this.x) > 1.5;
    this.x = Math.max(-2, Math.min(2, this.x));
    return {
      obs: this.obs(),
      reward: Math.abs(this.x) < 0.5 ? 1 : 0,
      terminated,
      truncated: !terminated && this.t >= this.maxSteps,
      info: {},
    };
  }

  close(): void {}
}

function dense(
  inSize: number,
  outSize: number,
  w: number[],
  b: number[],
  act: "relu" | "tanh" | "linear",
): LayerSpec {
  return {
    kind: "dense",
    inSize,
    outSize,
    weight: Float32Array.from(w),
    bias: Float32Array.from(b),
    activation: act,
  };
}

/** A 2-4-2 tanh network whose logits favour pushing x back to 0 (sharpness `k`). */
export function lineTeacherSpec(
  opts: { output?: "logits" | "q"; k?: number; value?: boolean } = {},
): PolicySpec {
  const k = opts.k ?? 3;
  // hidden = tanh([x, -x, 0.5x, 0.1]); logits = [k*(h0-h1), -k*(h0-h1)] -> left when x > 0.
  const h = dense(2, 4, [1, -1, 0.5, 0, 0, 0, 0, 0.1], [0, 0, 0, 0], "tanh");
  const out = dense(4, 2, [k, -k, -k, k, 0, 0, 0, 0], [0, 0], "linear");
  const spec: PolicySpec = {
    obsShape: [2],
    output: opts.output ?? "logits",
    actionSize: 2,
    layers: [h, out],
  };
  if (opts.value) spec.valueLayers = [dense(2, 1, [-2, 0], [1], "linear")];
  return spec;
}

/** A continuous 2-4-1 teacher: mean = -tanh-ish(k x), state-independent log std. */
export function lineGaussianSpec(logStd = -1): PolicySpec {
  const h = dense(2, 4, [1, -1, 0.5, 0, 0, 0, 0, 0.1], [0, 0, 0, 0], "tanh");
  const out = dense(4, 1, [-2, 2, 0, 0], [0], "linear");
  return {
    obsShape: [2],
    output: "mean",
    actionSize: 1,
    layers: [h, out],
    logStd: Float32Array.of(logStd),
    actionLow: Float32Array.of(-1),
    actionHigh: Float32Array.of(1),
  };
}

export function lineTeacher(
  opts: Parameters<typeof lineTeacherSpec>[0] & { name?: string } = {},
): SpecTeacher {
  const env = new LineWorld();
  return new SpecTeacher(lineTeacherSpec(opts), {
    name: opts.name ?? "line-teacher",
    observationSpace: env.box,
    actionSpace: env.space,
  });
}

export function lineGaussianTeacher(logStd = -1): SpecTeacher {
  const env = new LineWorld({ continuous: true });
  return new SpecTeacher(lineGaussianSpec(logStd), {
    name: "line-gaussian",
    observationSpace: env.box,
    actionSpace: env.space,
  });
}

/**
 * A hand-made CartPole-v1 controller as a 4-4-2 tanh network: push towards where the pole falls,
 * s = 0.05 x + 0.1 x_dot + theta + 0.5 theta_dot, logits = [-k s, k s]. It balances for the full
 * 500 steps from most starts, so CLI tests get a real-env teacher without training one.
 */
export function cartPoleTeacherSpec(k = 20): PolicySpec {
  const h = dense(4, 4, [0.05, 0, 0, 0, 0.1, 0, 0, 0, 1, 0, 0, 0, 0.5, 0, 0, 0], [0, 0, 0, 0], "tanh");
  const out = dense(4, 2, [-k, k, 0, 0, 0, 0, 0, 0], [0, 0], "linear");
  return { obsShape: [4], output: "logits", actionSize: 2, layers: [h, out] };
}
