/**
 * The end-of-run measurement of a distillation, so every run folder carries the figures a report
 * opens with (no "-" for want of a separate `rldistill eval`):
 *
 *   <out>/headline.json   sizes, FLOPs, float32 / int8 bytes and act() p50 of teacher and student
 *                         (same inference path, see src/eval/headline.ts), size ratio, speed-up,
 *                         retention, agreement, and the GIFs below
 *   <out>/teacher.gif     one greedy episode of each, same seed (the first final-evaluation
 *   <out>/student.gif     episode), when the env can render and `video` is on
 *
 * It is kept short: about 0.1-0.3 s on CartPole (1,000 timed calls per network, two recorded
 * episodes of at most 100 frames each).
 */
import type { Policy } from "../core/policy.js";
import type { EnvSource } from "../eval/evaluate.js";
import { type Headline, measureHeadline } from "../eval/headline.js";
import { type PolicyVideos, writePolicyVideos } from "../eval/record.js";
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
  videos: PolicyVideos["videos"];
  /** Why there are no GIFs (`video: false`, an env that cannot render), else null. */
  videos_skipped: string | null;
  /** Time this step took. */
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
export function writeRunHeadline(run: RunDir, input: HeadlineInputs): RunHeadline {
  const t0 = performance.now();
  const { teacher, student, env, seed, summary } = input;
  const teacherSpec = teacher instanceof SpecTeacher ? teacher.spec : null;
  const measured = measureHeadline(teacherSpec ?? { params: teacher.params }, student, env, { seed });
  let videos: PolicyVideos = { videos: {}, skipped: "video is off (video: false)" };
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
    if (!teacherActs && !videos.skipped)
      videos.skipped = `${teacher.name} cannot act synchronously, so only student.gif was written`;
  }
  const headline: RunHeadline = {
    ...measured,
    retention: summary.retention,
    agreement: summary.agreement,
    teacher_return: summary.teacher.eval.mean_return,
    student_return: summary.student.eval.mean_return,
    videos: videos.videos,
    videos_skipped: videos.skipped,
    seconds: (performance.now() - t0) / 1000,
  };
  run.writeJson(HEADLINE_FILE, headline);
  return headline;
}

/** One console line: size, speed and where the GIFs went. */
export function formatHeadline(h: RunHeadline): string {
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  const parts = [`student ${h.student.params} vs ${h.teacher.params} parameters (${pct(h.size_ratio)})`];
  if (h.speedup !== null)
    parts.push(
      `act() p50 ${h.student.p50_us!.toFixed(2)} vs ${h.teacher.p50_us!.toFixed(2)} us (${h.speedup.toFixed(1)}x faster)`,
    );
  if (h.student.bytes_int8 !== null) parts.push(`int8 student ${h.student.bytes_int8} bytes`);
  const gifs = Object.values(h.videos);
  if (gifs.length)
    parts.push(`${gifs.map((v) => `${v.file} (${(v.bytes / 1024).toFixed(0)} KiB)`).join(", ")}`);
  else if (h.videos_skipped) parts.push(`no GIFs: ${h.videos_skipped}`);
  return `headline: ${parts.join("; ")} [${h.seconds.toFixed(2)} s]`;
}
