/**
 * Performance-driven distillation weights: how much of the student's loss is distillation
 * (alpha in `combineLosses`), lowered as the student catches up with its teacher.
 *
 * - QDagger (Agarwal et al. 2022, "Reincarnating RL"): lambda = max(1 - G_student / G_teacher, 0)
 *   from evaluation returns. It assumes positive returns: with G_teacher <= 0 (Acrobot,
 *   MountainCar, Pendulum) the ratio is meaningless or flips sign. `normalizedQDaggerLambda`
 *   measures the student against a random-policy baseline G_random instead, as Atari's
 *   human-normalised score does (Mnih et al. 2015):
 *     score = (G_student - G_random) / (G_teacher - G_random),  lambda = clamp(1 - score, 0, 1).
 *   With G_random = 0 and positive returns it equals the plain form (clamped to 1).
 * - `DynamicDistillWeight` uses action agreement with the teacher instead of returns: cheaper to
 *   measure (no episodes needed) and defined for every reward scale.
 */
import { ConfigError, checkNumber } from "../core/errors.js";

/** QDagger's lambda exactly as published; it exceeds 1 if the student's return is negative. */
export function qdaggerLambda(studentReturn: number, teacherReturn: number): number {
  const gs = checkNumber("studentReturn", studentReturn);
  const gt = checkNumber("teacherReturn", teacherReturn);
  if (!(gt > 0)) {
    throw new ConfigError(
      "teacherReturn",
      `the plain QDagger lambda needs a positive teacher return, got ${gt}; give randomReturn to use normalizedQDaggerLambda`,
    );
  }
  return Math.max(1 - gs / gt, 0);
}

/** Student return normalised to 0 at the random policy and 1 at the teacher (may leave [0, 1]). */
export function normalizedScore(studentReturn: number, teacherReturn: number, randomReturn: number): number {
  const gs = checkNumber("studentReturn", studentReturn);
  const gt = checkNumber("teacherReturn", teacherReturn);
  const gr = checkNumber("randomReturn", randomReturn);
  if (!(gt > gr)) {
    throw new ConfigError(
      "teacherReturn",
      `must exceed randomReturn (${gr}) to normalise against it, got ${gt}`,
    );
  }
  return (gs - gr) / (gt - gr);
}

/** lambda = clamp(1 - normalizedScore, 0, 1): defined for returns of any sign. */
export function normalizedQDaggerLambda(
  studentReturn: number,
  teacherReturn: number,
  randomReturn: number,
): number {
  return Math.min(1, Math.max(0, 1 - normalizedScore(studentReturn, teacherReturn, randomReturn)));
}

/** What an evaluation reports; each weight reads the field it needs. */
export interface EvalSummary {
  /** Mean episodic return of the student. */
  meanReturn?: number;
  /** Fraction of states where the student's greedy action equals the teacher's, in [0, 1]. */
  agreement?: number;
}

/** A distillation weight updated from evaluation results. */
export interface DistillWeight {
  /** The current weight alpha in [0, 1]. */
  readonly value: number;
  /** Takes a new evaluation and returns the new weight. */
  update(result: EvalSummary): number;
}

export interface QDaggerWeightArgs {
  /** Teacher's mean evaluation return. */
  teacherReturn: number;
  /**
   * Random policy's mean return. When given, lambda is `normalizedQDaggerLambda` (any sign of
   * returns); when absent, the published form, which needs teacherReturn > 0.
   */
  randomReturn?: number;
  /** Weight before the first evaluation. Default 1 (the student knows nothing yet). */
  initial?: number;
  /** Lowest weight, >= 0: a little distillation keeps the student from drifting. Default 0. */
  floor?: number;
}

/** QDagger's lambda as a `DistillWeight`, clamped to [floor, 1]. */
export class QDaggerWeight implements DistillWeight {
  private current: number;
  private readonly teacherReturn: number;
  private readonly randomReturn: number | undefined;
  private readonly floor: number;

  constructor(args: QDaggerWeightArgs) {
    this.teacherReturn = checkNumber("teacherReturn", args.teacherReturn);
    this.randomReturn =
      args.randomReturn === undefined ? undefined : checkNumber("randomReturn", args.randomReturn);
    this.floor = checkNumber("floor", args.floor ?? 0, { min: 0, max: 1 });
    this.current = Math.max(this.floor, checkNumber("initial", args.initial ?? 1, { min: 0, max: 1 }));
    // Fail at construction, not at the first evaluation.
    if (this.randomReturn === undefined) qdaggerLambda(0, this.teacherReturn);
    else normalizedScore(0, this.teacherReturn, this.randomReturn);
  }

  get value(): number {
    return this.current;
  }

  update(result: EvalSummary): number {
    const g = checkNumber("meanReturn", result.meanReturn);
    const lambda =
      this.randomReturn === undefined
        ? qdaggerLambda(g, this.teacherReturn)
        : normalizedQDaggerLambda(g, this.teacherReturn, this.randomReturn);
    this.current = Math.max(this.floor, Math.min(1, lambda));
    return this.current;
  }
}

export interface DynamicDistillWeightArgs {
  /** Weight while agreement is at or below `startAgreement`. Default 1. */
  alpha0?: number;
  /** Weight once agreement reaches `targetAgreement`, in [0, alpha0]. Default 0.05. */
  floor?: number;
  /** Agreement at which the weight reaches the floor. Default 0.95. */
  targetAgreement?: number;
  /** Agreement below which the weight stays at alpha0 (e.g. chance, 1 / actions). Default 0. */
  startAgreement?: number;
  /** Exponential smoothing of agreement across evaluations, in [0, 1): 0 uses the latest. Default 0. */
  smoothing?: number;
}

/**
 * alpha = floor + (alpha0 - floor) * clamp((target - a) / (target - start), 0, 1), with a the
 * (optionally smoothed) agreement: alpha0 until agreement passes `startAgreement`, falling
 * linearly to `floor` at `targetAgreement`, non-increasing in agreement. The floor keeps some
 * distillation signal, so a student that already agrees on most states is still pulled back
 * towards the teacher on the rest (a design choice, not a published result). Updates are
 * evaluation-driven, as QDagger's lambda; unlike it, the weight can rise again if agreement falls.
 */
export class DynamicDistillWeight implements DistillWeight {
  readonly alpha0: number;
  readonly floor: number;
  readonly targetAgreement: number;
  readonly startAgreement: number;
  readonly smoothing: number;
  private smoothed: number | undefined;
  private current: number;

  constructor(args: DynamicDistillWeightArgs = {}) {
    this.alpha0 = checkNumber("alpha0", args.alpha0 ?? 1, { min: 0, max: 1 });
    this.floor = checkNumber("floor", args.floor ?? 0.05, { min: 0, max: this.alpha0 });
    this.targetAgreement = checkNumber("targetAgreement", args.targetAgreement ?? 0.95, { min: 0, max: 1 });
    this.startAgreement = checkNumber("startAgreement", args.startAgreement ?? 0, { min: 0 });
    if (!(this.startAgreement < this.targetAgreement)) {
      throw new ConfigError(
        "startAgreement",
        `must be below targetAgreement (${this.targetAgreement}), got ${this.startAgreement}`,
      );
    }
    this.smoothing = checkNumber("smoothing", args.smoothing ?? 0, { min: 0 });
    if (!(this.smoothing < 1)) throw new ConfigError("smoothing", `must be in [0, 1), got ${this.smoothing}`);
    this.current = this.alpha0;
  }

  get value(): number {
    return this.current;
  }

  /** The smoothed agreement the weight was last computed from (undefined before any update). */
  get agreement(): number | undefined {
    return this.smoothed;
  }

  /** The weight for a given agreement, without updating state. */
  weightAt(agreement: number): number {
    const a = checkNumber("agreement", agreement, { min: 0, max: 1 });
    const fraction = (this.targetAgreement - a) / (this.targetAgreement - this.startAgreement);
    return this.floor + (this.alpha0 - this.floor) * Math.min(1, Math.max(0, fraction));
  }

  update(result: EvalSummary): number {
    const a = checkNumber("agreement", result.agreement, { min: 0, max: 1 });
    this.smoothed =
      this.smoothed === undefined ? a : this.smoothing * this.smoothed + (1 - this.smoothing) * a;
    this.current = this.weightAt(this.smoothed);
    return this.current;
  }
}
