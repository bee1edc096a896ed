/**
 * The end-of-run measurement of a distillation, so every run folder carries the figures a report
 * opens with (no "-" for want of a separate `rldistill eval`):
 *
 *   <out>/headline.json   sizes, FLOPs, float32 / int8 bytes and act() p50 of teacher and student
 *                         (same inference path, see src/eval/headline.ts), size ratio, speed-up,
 *                         retention, agreement
 *   <out>/teacher.gif     one greedy episode of each, same seed (the first final-evaluation
 *   <out>/student.gif     episode), when the env can render and `video` is on
 *   <out>/videos.json     what the GIFs show (returns, lengths, frames, bytes), or why there are none
 *
 * It is kept short: about 0.1-0.3 s on CartPole (1,000 timed calls per network, two recorded
 * episodes of at most 100 frames each).
 */
import type { Policy } from "../core/policy.js";
import type { EnvSource } from "../eval/evaluate.js";
import { type Headline, measureHeadline } from "../eval/headline.js";
import { type PolicyVideos, writePolicyVideos, writeVideosIndex } from "../eval/record.js";
import { compileSpec } from "../nn/fast.js";
import type { PolicySpec } from "../nn/spec.js";
import type { DistillSummary, RunDir } from "./run-dir.js";
import { type Teacher, teacherPolicy } from "./teacher.js";
import { SpecTeacher } from "./teachers/spec-teacher.js";

export const HEADLINE_FILE = "headline.json";

/** headline.json. */
export interface RunHeadline extends Headline {
  retention: number | null;
  agreement: number | null;
  teacher_return: number;
  student_return: number;
  /** Time this step took (GIFs included). */
  seconds: number;
}

export interface HeadlineInputs {
  teacher: Teacher;
  student: PolicySpec;
  env: EnvSource;
  /** Seed of the recorded episodes and of the timing states (the final evaluation's). */
  seed: number;
  summary: DistillSummary;
  /** Record teacher.gif and student.gif. */
  video: boolean;
}

/** Measures and writes headline.json (and the GIFs) into the run folder; returns what it wrote. */
export function writeRunHeadline(
  run: RunDir,
  input: HeadlineInputs,
): { headline: RunHeadline; videos: PolicyVideos } {
  const t0 = performance.now();
  const { teacher, student, env, seed, summary } = input;
  const teacherSpec = teacher instanceof SpecTeacher ? teacher.spec : null;
  const measured = measureHeadline(teacherSpec ?? { params: teacher.params }, student, env, { seed });
  let videos: PolicyVideos = { seed, videos: {}, skipped: "video is off (video: false)" };
  if (input.video) {
    const teacherActs: Policy | null = teacherSpec
      ? compileSpec(teacherSpec)
      : teacher.predictSync
        ? teacherPolicy(teacher)
        : null;
    const policies: Record<string, Policy> = teacherActs
      ? { teacher: teacherActs, student: compileSpec(student) }
      : { student: compileSpec(student) };
    videos = writePolicyVideos(policies, env, run.dir, { seed });
    if (!teacherActs && !videos.skipped) {
      videos.skipped = `${teacher.name} cannot act synchronously, so only student.gif was written`;
      writeVideosIndex(run.dir, videos);
    }
  } else writeVideosIndex(run.dir, videos);
  const headline: RunHeadline = {
    ...measured,
    retention: summary.retention,
    agreement: summary.agreement,
    teacher_return: summary.teacher.eval.mean_return,
    student_return: summary.student.eval!.mean_return, // written only for a finished (evaluated) student
    seconds: (performance.now() - t0) / 1000,
  };
  run.writeJson(HEADLINE_FILE, headline);
  return { headline, videos };
}

/** One console line: size, speed and where the GIFs went. */
export function formatHeadline(h: RunHeadline, v: PolicyVideos): string {
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  const parts = [`student ${h.student.params} vs ${h.teacher.params} parameters (${pct(h.size_ratio)})`];
  if (h.speedup !== null)
    parts.push(
      `act() p50 ${h.student.p50_us!.toFixed(2)} vs ${h.teacher.p50_us!.toFixed(2)} us (${h.speedup.toFixed(1)}x faster)`,
    );
  if (h.student.bytes_int8 !== null) parts.push(`int8 student ${h.student.bytes_int8} bytes`);
  const gifs = Object.values(v.videos);
  if (gifs.length) parts.push(gifs.map((g) => `${g.file} (${(g.bytes / 1024).toFixed(0)} KiB)`).join(", "));
  if (v.skipped) parts.push(`GIFs: ${v.skipped}`);
  return `headline: ${parts.join("; ")} [${h.seconds.toFixed(2)} s]`;
}
