/**
 * Two views of one env step, for cross-modal distillation: the teacher sees one view, the student
 * another, of the same state (the env is stepped once).
 *
 * Views:
 * - `full`: the env's observation as registered;
 * - `pixels` / `state`: a MinAtar game's image (uint8 [10, 10, C]) or state vector (the env's
 *   `pixels()` / `stateVector()`; src/envs/minatar/README.md), whichever mode the env runs in;
 * - `keep:0,2` / `drop:1,3`: a partial view, some entries of the full observation
 *   (MaskObservation), e.g. CartPole without its velocities;
 * and the student's view may stack its last k frames (`frameStack`, FrameStackObservation), which
 * lets a partially observed student recover what one frame hides (velocities).
 *
 *   const pair = new ViewPair("CartPole-v1", { teacher: "full", student: "drop:1,3", frameStack: 4 });
 *   const env = pair.makePaired(0);          // steps as the student's env ...
 *   env.reset({ seed: 1 }); env.teacherObs(); // ... and gives the teacher's view of the same state
 *   pair.makeStudentEnv(0); pair.makeTeacherEnv(0);   // each view alone (evaluation, RL baselines)
 */
import type { Env, ResetOptions, ResetResult, StepResult } from "../../core/env.js";
import { Wrapper } from "../../core/env.js";
import { ConfigError } from "../../core/errors.js";
import type { Action } from "../../core/policy.js";
import type { Box } from "../../core/spaces.js";
import type { MinAtarEnv } from "../../envs/minatar/minatar-env.js";
import { getRegistration, make, register } from "../../envs/registry.js";
import { FrameStackObservation } from "../../envs/wrappers/frame-stack-observation.js";
import { MaskObservation } from "../../envs/wrappers/mask-observation.js";

export type View =
  | { kind: "full" }
  | { kind: "pixels" }
  | { kind: "state" }
  | { kind: "keep"; indices: number[] }
  | { kind: "drop"; indices: number[] };

/** "full" | "pixels" | "state" | "keep:0,2" | "drop:1,3". */
export function parseView(text: string, field: string): View {
  const t = typeof text === "string" ? text.trim() : "";
  if (t === "full" || t === "pixels" || t === "state") return { kind: t };
  const m = /^(keep|drop):(\d+(?:,\d+)*)$/.exec(t);
  if (m) return { kind: m[1] as "keep" | "drop", indices: m[2]!.split(",").map(Number) };
  throw new ConfigError(
    field,
    `expected full, pixels, state, keep:I,J,... or drop:I,J,..., got "${String(text)}"`,
  );
}

export function formatView(v: View): string {
  return v.kind === "keep" || v.kind === "drop" ? `${v.kind}:${v.indices.join(",")}` : v.kind;
}

function isMinAtar(env: string): boolean {
  return env.startsWith("MinAtar/");
}

/** Records the last observation of the env it wraps (the full view under masks and stacks). */
class ObservationTap<A> extends Wrapper<unknown, A, unknown, A> {
  last: ArrayLike<number> = new Float32Array(0);
  override reset(opts?: ResetOptions): ResetResult<unknown> {
    const r = this.env.reset(opts);
    this.last = r.obs as ArrayLike<number>;
    return r;
  }
  override step(action: A): StepResult<unknown> {
    const r = this.env.step(action);
    this.last = r.obs as ArrayLike<number>;
    return r;
  }
}

/** The student's env with the teacher's view of its current state. */
export interface PairedEnv extends Env<Float32Array, Action> {
  /** The teacher's observation of the state the student's last observation came from. */
  teacherObs(): Float32Array;
}

export interface ViewPairOptions {
  teacher: string | View;
  student: string | View;
  /** Frames the student stacks (1 = none). */
  frameStack?: number;
  /** Caps episodes (0 = the env's own limit; MinAtar registers none). */
  maxEpisodeSteps?: number;
}

export class ViewPair {
  readonly env: string;
  readonly teacher: View;
  readonly student: View;
  readonly frameStack: number;
  readonly maxEpisodeSteps: number;

  constructor(env: string, opts: ViewPairOptions) {
    getRegistration(env);
    this.env = env;
    this.teacher = typeof opts.teacher === "string" ? parseView(opts.teacher, "teacherView") : opts.teacher;
    this.student = typeof opts.student === "string" ? parseView(opts.student, "studentView") : opts.student;
    this.frameStack = opts.frameStack ?? 1;
    this.maxEpisodeSteps = opts.maxEpisodeSteps ?? 0;
    if (!(Number.isInteger(this.frameStack) && this.frameStack >= 1))
      throw new ConfigError("frameStack", `must be an integer >= 1, got ${this.frameStack}`);
    for (const [field, v] of [
      ["teacherView", this.teacher],
      ["studentView", this.student],
    ] as const) {
      if ((v.kind === "pixels" || v.kind === "state") && !isMinAtar(env))
        throw new ConfigError(field, `"${v.kind}" is a MinAtar view; ${env} has full and keep:/drop: views`);
    }
    // Fail early on bad indices (and on anything else the wrappers refuse).
    this.makePaired(0).close();
  }

  /** The registered env in the mode that serves the student's view (MinAtar: its obsType). */
  private base(): Env<unknown, Action> {
    const kwargs =
      isMinAtar(this.env) && (this.student.kind === "pixels" || this.student.kind === "state")
        ? { obsType: this.student.kind }
        : {};
    const opts = this.maxEpisodeSteps > 0 ? { maxEpisodeSteps: this.maxEpisodeSteps } : {};
    return make(this.env, kwargs, opts) as Env<unknown, Action>;
  }

  private mask(env: Env<unknown, Action>, v: View): Env<unknown, Action> {
    if (v.kind === "keep")
      return new MaskObservation(env, { keep: v.indices }) as unknown as Env<unknown, Action>;
    if (v.kind === "drop")
      return new MaskObservation(env, { drop: v.indices }) as unknown as Env<unknown, Action>;
    return env;
  }

  private stack(env: Env<unknown, Action>): Env<unknown, Action> {
    return this.frameStack > 1
      ? (new FrameStackObservation(env, { stackSize: this.frameStack }) as unknown as Env<unknown, Action>)
      : env;
  }

  /** The student's view alone (evaluation of the student, RL from scratch on its modality). */
  makeStudentEnv = (_index = 0): Env => this.stack(this.mask(this.base(), this.student)) as Env;

  /** The teacher's view alone (the teacher's own evaluation). */
  makeTeacherEnv = (_index = 0): Env => {
    const kwargs =
      isMinAtar(this.env) && (this.teacher.kind === "pixels" || this.teacher.kind === "state")
        ? { obsType: this.teacher.kind }
        : {};
    const opts = this.maxEpisodeSteps > 0 ? { maxEpisodeSteps: this.maxEpisodeSteps } : {};
    return this.mask(make(this.env, kwargs, opts) as Env<unknown, Action>, this.teacher) as Env;
  };

  /** The student's env that also gives the teacher's view of each state. */
  makePaired = (_index = 0): PairedEnv => {
    const tap = new ObservationTap(this.base());
    const env = this.stack(this.mask(tap, this.student)) as unknown as PairedEnv;
    const teacherMask =
      this.teacher.kind === "keep" || this.teacher.kind === "drop"
        ? (this.mask(tap, this.teacher) as unknown as MaskObservation)
        : undefined;
    const game = () => tap.unwrapped as unknown as MinAtarEnv;
    const view = this.teacher;
    env.teacherObs = () => {
      if (view.kind === "pixels") return Float32Array.from(game().pixels());
      if (view.kind === "state") return game().stateVector();
      if (teacherMask) return Float32Array.from(teacherMask.observation(tap.last));
      return Float32Array.from(tap.last);
    };
    return env;
  };

  /** A registered env id (and kwargs) for the student's view, so RL code that makes envs by id can train on it. */
  studentEnvId(): { id: string; kwargs: Record<string, unknown> } {
    const plain =
      this.student.kind === "full" || this.student.kind === "pixels" || this.student.kind === "state";
    if (plain && this.frameStack === 1 && this.maxEpisodeSteps === 0)
      return {
        id: this.env,
        kwargs: isMinAtar(this.env) && this.student.kind !== "full" ? { obsType: this.student.kind } : {},
      };
    const tag = [
      formatView(this.student).replace(/[:,]/g, "-"),
      `stack-${this.frameStack}`,
      this.maxEpisodeSteps ? `cap-${this.maxEpisodeSteps}` : "",
    ]
      .filter(Boolean)
      .join(":");
    const id = `View/${this.env}:${tag}-v0`;
    try {
      getRegistration(id);
    } catch {
      const entry = getRegistration(this.env);
      register({
        id,
        create: (kw) => {
          if (Object.keys(kw).length) throw new ConfigError(id, "takes no kwargs");
          return this.makeStudentEnv() as Env<unknown, unknown>;
        },
        rewardThreshold: entry.rewardThreshold,
        description: `${this.env}, the student's view ${formatView(this.student)} with ${this.frameStack} frames`,
      });
    }
    return { id, kwargs: {} };
  }

  /** Observation spaces of the two views. */
  spaces(): { teacher: Box; student: Box } {
    const t = this.makeTeacherEnv();
    const s = this.makeStudentEnv();
    try {
      return { teacher: t.observationSpace as unknown as Box, student: s.observationSpace as unknown as Box };
    } finally {
      t.close();
      s.close();
    }
  }

  describe(): string {
    return `teacher sees ${formatView(this.teacher)}, student sees ${formatView(this.student)}${this.frameStack > 1 ? ` (last ${this.frameStack} frames)` : ""}`;
  }
}
