/**
 * Collection for cross-modal distillation: envs step in lockstep as the student's env; at every
 * step the teacher labels its own view of each state (one batched call) and the student's view
 * is stored with the label. Who acts is the collector mode's choice (teacher, student or mixed with
 * probability beta), as in src/distill/collect.ts; the teacher acts on its view, the student on
 * its own.
 */
import { ConfigError } from "../../core/errors.js";
import type { Action, Policy } from "../../core/policy.js";
import type { Rng } from "../../core/rng.js";
import { argmaxRows } from "../../nn/distributions.js";
import type { DistillBuffer } from "../buffer.js";
import type { CollectorMode } from "../collect.js";
import { type Teacher, teacherActions } from "../teacher.js";
import type { PairedEnv, ViewPair } from "./views.js";

export interface PairedStats {
  steps: number;
  episodeReturns: number[];
  teacherActed: number;
}

export class PairedCollector {
  readonly envs: PairedEnv[];
  student: Policy | undefined;
  private readonly teacher: Teacher;
  private readonly mode: CollectorMode;
  private readonly rng: Rng;
  private readonly deterministic: boolean;
  private current: Float32Array[];
  private readonly epReturn: Float64Array;

  constructor(opts: {
    pair: ViewPair;
    numEnvs: number;
    teacher: Teacher;
    mode: CollectorMode;
    rng: Rng;
    seed: number;
    teacherDeterministic?: boolean;
  }) {
    this.envs = Array.from({ length: opts.numEnvs }, (_, k) => opts.pair.makePaired(k));
    this.teacher = opts.teacher;
    this.mode = opts.mode;
    this.rng = opts.rng;
    this.deterministic = opts.teacherDeterministic ?? false;
    this.current = this.envs.map((env, k) => Float32Array.from(env.reset({ seed: opts.seed + k }).obs));
    this.epReturn = new Float64Array(this.envs.length);
  }

  /**
   * Steps every env `stepsPerEnv` times, storing (student view, teacher label) in `buffer`; `mode`
   * overrides the collector's (the first round of a run, before there is a student, is the teacher's).
   */
  async collect(
    stepsPerEnv: number,
    buffer: DistillBuffer,
    beta: number,
    mode: CollectorMode = this.mode,
  ): Promise<PairedStats> {
    const m = this.envs.length;
    const t = this.teacher;
    const stats: PairedStats = { steps: 0, episodeReturns: [], teacherActed: 0 };
    if (mode !== "teacher" && !this.student)
      throw new ConfigError("collector", `"${mode}" collection needs a student policy`);
    let byTeacher = 0;
    const sSize = this.current[0]!.length;
    for (let step = 0; step < stepsPerEnv; step++) {
      const tObs = new Float32Array(m * t.obsSize);
      const sObs = new Float32Array(m * sSize);
      this.envs.forEach((env, k) => {
        tObs.set(env.teacherObs(), k * t.obsSize);
        sObs.set(this.current[k]!, k * sSize);
      });
      const labels = await t.predict(tObs, m);
      const acts =
        mode === "student"
          ? undefined
          : teacherActions(labels, t.actionSpace, { deterministic: this.deterministic, rng: this.rng });
      buffer.add({ obs: sObs, teacher: labels });
      for (let k = 0; k < m; k++) {
        const teacherActs = mode === "teacher" || (mode === "mixed" && this.rng.random() < beta);
        const a: Action = teacherActs
          ? acts![k]!
          : this.student!.act(this.current[k]!, { deterministic: false, rng: this.rng });
        if (teacherActs) byTeacher++;
        const r = this.envs[k]!.step(a);
        this.epReturn[k] = this.epReturn[k]! + r.reward;
        if (r.terminated || r.truncated) {
          stats.episodeReturns.push(this.epReturn[k]!);
          this.epReturn[k] = 0;
          this.current[k] = Float32Array.from(this.envs[k]!.reset().obs);
        } else this.current[k] = Float32Array.from(r.obs);
      }
      stats.steps += m;
    }
    stats.teacherActed = byTeacher / Math.max(1, stats.steps);
    return stats;
  }

  close(): void {
    for (const env of this.envs) env.close();
  }
}

/**
 * Greedy-action agreement of the student with the teacher on `states` states the greedy student
 * visits, each judged by the teacher on its own view of that state.
 */
export async function pairedAgreement(
  teacher: Teacher,
  student: Policy,
  pair: ViewPair,
  states: number,
  seed: number,
): Promise<number | null> {
  if (teacher.kind === "gaussian") return null;
  const env = pair.makePaired(0);
  const tObs = new Float32Array(states * teacher.obsSize);
  const chosen = new Int32Array(states);
  let obs = Float32Array.from(env.reset({ seed }).obs);
  for (let i = 0; i < states; i++) {
    tObs.set(env.teacherObs(), i * teacher.obsSize);
    const a = student.act(obs, { deterministic: true }) as number;
    chosen[i] = a;
    const r = env.step(a);
    obs = Float32Array.from(r.terminated || r.truncated ? env.reset().obs : r.obs);
  }
  env.close();
  const labels = await teacher.predict(tObs, states);
  const greedy = argmaxRows(labels.outputs, states, labels.actionSize);
  let agree = 0;
  for (let i = 0; i < states; i++) if (greedy[i] === chosen[i]) agree++;
  return agree / states;
}
