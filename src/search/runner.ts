/**
 * `TrialRunner`: the coordinator's side of trials. It runs each trial key at most once per run
 * folder: a key with a result.json is answered from disk (a resumed search), a key already in
 * flight shares that run (two brackets sampled the same candidate), anything else goes to the
 * engine. A result is committed (student, summary, then result.json, atomically) before anyone
 * sees it, so what a search has seen is exactly what survives a crash.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DistillSummary } from "../distill/run-dir.js";
import type { TrialEngine } from "./queue/engine.js";
import { type SearchRunDir, writeAtomic, writeJsonAtomic } from "./run-dir.js";
import { type Candidate, type CandidateSizes, candidateId } from "./space.js";
import type { TrialOutcome, TrialSpec } from "./trial.js";

/** A finished trial as the search keeps it (result.json). */
export interface TrialRecord {
  key: string;
  role: TrialSpec["role"];
  candidate: Candidate;
  id: string;
  seed: number;
  steps: number;
  sizes: CandidateSizes & { latencyUs?: number };
  retention: number | null;
  agreement: number | null;
  js_divergence: number;
  student_return: number;
  teacher_return: number;
  random_return: number;
  episodes: number;
  worker: string;
  wall_seconds: number;
}

export function recordOf(spec: TrialSpec, sizes: TrialRecord["sizes"], out: TrialOutcome): TrialRecord {
  const s: DistillSummary | undefined = out.summary;
  if (!s) throw new Error(`trial ${spec.key}: no distill summary in the outcome`);
  return {
    key: spec.key,
    role: spec.role,
    candidate: spec.candidate,
    id: candidateId(spec.candidate),
    seed: spec.config.seed,
    steps: spec.config.steps,
    sizes,
    retention: s.retention,
    agreement: s.agreement,
    // Only finished trials get here (an interrupted one is a TrialAborted): every figure was measured.
    js_divergence: s.js_divergence!,
    student_return: s.student.eval!.mean_return,
    teacher_return: s.teacher.eval.mean_return,
    random_return: s.random.eval.mean_return,
    episodes: s.student.eval!.episodes,
    worker: out.worker,
    wall_seconds: out.wallSeconds,
  };
}

export class TrialRunner {
  readonly results: Map<string, TrialRecord>;
  private readonly inFlight = new Map<string, Promise<TrialRecord>>();
  /** Trials this session ran (not answered from disk). */
  executed = 0;
  /** Trials answered from disk (finished before a resume). */
  reused = 0;

  constructor(
    private readonly run: SearchRunDir,
    private readonly engine: TrialEngine,
    private readonly onRecord: (r: TrialRecord, fresh: boolean) => void = () => {},
  ) {
    this.results = run.readResults<TrialRecord>();
  }

  get(spec: TrialSpec, sizes: TrialRecord["sizes"]): Promise<TrialRecord> {
    const done = this.results.get(spec.key);
    if (done) {
      this.reused++;
      this.onRecord(done, false);
      return Promise.resolve(done);
    }
    let p = this.inFlight.get(spec.key);
    if (!p) {
      p = this.execute(spec, sizes).finally(() => this.inFlight.delete(spec.key));
      this.inFlight.set(spec.key, p);
    }
    return p;
  }

  private async execute(spec: TrialSpec, sizes: TrialRecord["sizes"]): Promise<TrialRecord> {
    const dir = this.run.trialDir(spec.key);
    mkdirSync(dir, { recursive: true });
    const out = await this.engine.run(spec, dir);
    // Another coordinator process may have committed it meanwhile (a duplicate): keep the first.
    const already = this.results.get(spec.key);
    if (already) return already;
    if (out.studentBase64 !== undefined) {
      writeAtomic(join(dir, "student.rldistill"), Buffer.from(out.studentBase64, "base64"));
      if (out.summary) writeJsonAtomic(join(dir, "summary.json"), out.summary);
      if (!existsSync(join(dir, "config.json")))
        writeFileSync(join(dir, "config.json"), `${JSON.stringify(spec.config, null, 2)}\n`);
    }
    const record = recordOf(spec, sizes, out);
    writeJsonAtomic(join(dir, "result.json"), record);
    this.results.set(spec.key, record);
    this.executed++;
    this.onRecord(record, true);
    return record;
  }
}
