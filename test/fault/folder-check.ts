/**
 * What every fault test asserts about a run folder afterwards: every file in it loads (or is
 * absent), and nothing in it claims what did not happen.
 *
 *   expect(checkRunFolder(dir)).toEqual([]);                  // a run that ended (or was stopped)
 *   expect(checkRunFolder(dir, { killed: true })).toEqual([]); // SIGKILL: a stale lock and hidden
 *                                                              // partial files may remain
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { isTempFile } from "../../src/core/atomic-write.js";
import { LOCK_FILE, lockAlive, readLock } from "../../src/core/run-dir.js";
import { loadArtifact } from "../../src/nn/checkpoint.js";

function filesOf(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesOf(path));
    else out.push(path);
  }
  return out;
}

function jsonOf(path: string): Record<string, unknown> | null {
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>) : null;
}

function progressSteps(dir: string): number[] {
  const path = join(dir, "progress.jsonl");
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => (JSON.parse(l) as { step: number }).step);
}

/** Problems found (empty when the folder is sound). */
export function checkRunFolder(dir: string, opts: { killed?: boolean } = {}): string[] {
  const problems: string[] = [];
  if (!existsSync(dir)) return problems;
  for (const path of filesOf(dir)) {
    const name = relative(dir, path);
    const base = name.split("/").at(-1)!;
    try {
      if (base === LOCK_FILE) {
        const lock = readLock(path);
        if (!opts.killed) problems.push(`${name}: left behind by a run that ended`);
        else if (lock && lockAlive(lock)) problems.push(`${name}: held by a live process ${lock.pid}`);
        continue;
      }
      if (isTempFile(base) || base.startsWith(`.${LOCK_FILE}.`)) {
        if (!opts.killed) problems.push(`${name}: a partial file left by a run that was not killed`);
        continue;
      }
      const text = () => readFileSync(path, "utf8");
      if (base.endsWith(".jsonl")) {
        for (const l of text().split("\n")) if (l !== "") JSON.parse(l);
      } else if (base.endsWith(".json")) JSON.parse(text());
      else if (base.endsWith(".csv")) {
        const lines = text()
          .split("\n")
          .filter((l) => l !== "");
        const width = lines[0]?.split(",").length ?? 0;
        for (const l of lines)
          if (l.split(",").length !== width) throw new Error(`a row of ${l.split(",").length} cells`);
      } else if (base.endsWith(".rldistill")) loadArtifact(path);
      else if (base.endsWith(".html")) {
        if (!text().trimEnd().endsWith("</html>")) throw new Error("not a whole HTML file");
      } else if (base.endsWith(".gif")) {
        if (readFileSync(path).subarray(0, 6).toString("latin1") !== "GIF89a") throw new Error("not a GIF");
      } else if (base.endsWith(".md")) {
        if (text().trim() === "") throw new Error("empty");
      } else problems.push(`${name}: unexpected file`);
    } catch (err) {
      problems.push(`${name}: does not load (${(err as Error).message})`);
    }
  }
  problems.push(...claims(dir));
  return problems;
}

/** What summary.json and eval.json say must be backed by the files beside them. */
function claims(dir: string): string[] {
  const out: string[] = [];
  let summary: Record<string, unknown> | null;
  try {
    summary = jsonOf(join(dir, "summary.json"));
  } catch {
    return out; // reported above
  }
  const steps = progressSteps(dir);
  const lastLogged = steps.length ? Math.max(...steps) : 0;
  // A resume that replayed rows would step back (a round and its evaluation share a step).
  if (steps.some((s, i) => i > 0 && s < steps[i - 1]!))
    out.push("progress.jsonl steps go back: rows were replayed");
  if (summary && typeof summary.algo === "string") {
    const n = summary.num_timesteps as number;
    if (summary.interrupted && "eval" in summary)
      out.push("train summary: interrupted, yet a final evaluation");
    if (lastLogged > n) out.push(`train summary: ${n} steps, but progress.jsonl runs to ${lastLogged}`);
    const model = join(dir, "model.rldistill");
    if (existsSync(model)) {
      const saved = Number(loadArtifact(model).meta?.numTimesteps);
      if (saved !== n) out.push(`train summary: ${n} steps, but model.rldistill holds step ${saved}`);
    } else out.push("train summary without model.rldistill");
  }
  if (summary && typeof summary.method === "string") {
    const s = summary as {
      steps: number;
      interrupted: boolean;
      student: { eval: unknown };
      retention: unknown;
      agreement: unknown;
      checkpoints: Array<{ step: number }>;
    };
    if (s.interrupted && (s.student.eval !== null || s.retention !== null || s.agreement !== null))
      out.push("distill summary: interrupted, yet final figures for the student");
    if (!s.interrupted && s.student.eval === null) out.push("distill summary: finished without figures");
    const student = join(dir, "student.rldistill");
    if (!existsSync(student)) out.push("distill summary without student.rldistill");
    else {
      const step = Number(loadArtifact(student).meta?.step);
      if (step !== s.steps) out.push(`distill summary: ${s.steps} steps, but the student holds step ${step}`);
    }
    if (lastLogged > s.steps)
      out.push(`distill summary: ${s.steps} steps, but progress.jsonl runs to ${lastLogged}`);
    for (const c of s.checkpoints)
      if (c.step > s.steps || !steps.includes(c.step))
        out.push(`distill checkpoint at step ${c.step} not in the log`);
  }
  const ev = existsSync(join(dir, "eval.json")) ? jsonOf(join(dir, "eval.json")) : null;
  const robustness = ev?.robustness as {
    perturbations: Array<{ strengths: number[]; results: Record<string, unknown[]> }>;
  } | null;
  for (const p of robustness?.perturbations ?? [])
    for (const [name, points] of Object.entries(p.results))
      if (points.length !== p.strengths.length) out.push(`eval.json: robustness of ${name} is cut short`);
  if (existsSync(join(dir, "report.html")) && !summary && !ev)
    out.push("a report of a run with no summary or eval");
  return out;
}
