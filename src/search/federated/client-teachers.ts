/** The clients' teachers of a federated run: given files, or local PPO teachers trained once. */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { ConfigError } from "../../core/errors.js";
import { loadPreset } from "../../core/presets.js";
import { SpecTeacher } from "../../distill/teachers/spec-teacher.js";
import { PPO, PPO_SCHEMA } from "../../rl/ppo.js";
import { loadTrialTeacher } from "../execute.js";
import type { TrialEngine } from "../queue/engine.js";
import type { SearchRunDir } from "../run-dir.js";
import { sha256, type TeacherRef } from "../trial.js";
import type { FederatedConfig } from "./config.js";

/**
 * Every client's teacher file (given, or a local PPO teacher trained once into the run folder),
 * its reference handed to the engine, and client 0's teacher loaded; checks that all teachers
 * normalise observations alike (FedAvg averages weights that read the same inputs).
 */
export async function clientTeachers(
  cfg: FederatedConfig,
  run: SearchRunDir,
  engine: TrialEngine,
  print: (l: string) => void,
): Promise<{
  teacherFiles: string[];
  refs: TeacherRef[];
  first: Awaited<ReturnType<typeof loadTrialTeacher>>;
}> {
  const K = cfg.clients.length;
  const teacherFiles: string[] = [];
  for (let i = 0; i < K; i++) teacherFiles.push(await localTeacher(cfg, run, i, print));
  const refs: TeacherRef[] = teacherFiles.map((f) => ({
    hash: sha256(readFileSync(f)),
    name: f.split("/").pop()!,
  }));
  for (let i = 0; i < K; i++) await engine.provideTeacher(refs[i]!, teacherFiles[i]!);
  const first = await loadTrialTeacher(teacherFiles[0]!, cfg.env, cfg.clients[0]!.envKwargs);
  const norm = (t: unknown) => JSON.stringify(t instanceof SpecTeacher ? (t.spec.obsNorm ?? null) : null);
  for (let i = 1; i < K; i++) {
    const t = await loadTrialTeacher(teacherFiles[i]!, cfg.env, cfg.clients[i]!.envKwargs);
    if (norm(t) !== norm(first))
      throw new ConfigError(
        `clients[${i}].teacher`,
        "normalises observations unlike client 0's teacher; federated averaging needs one input normalisation",
      );
    t.dispose?.();
  }
  return { teacherFiles, refs, first };
}

async function localTeacher(
  cfg: FederatedConfig,
  run: SearchRunDir,
  i: number,
  print: (l: string) => void,
): Promise<string> {
  const given = cfg.clients[i]!.teacher;
  if (given) return given;
  const file = run.path("teachers", `client-${i}.rldistill`);
  if (existsSync(file)) return file;
  mkdirSync(run.path("teachers"), { recursive: true });
  const preset = loadPreset("ppo", cfg.env, PPO_SCHEMA).config;
  print(
    `client ${i}: training a local PPO teacher on ${JSON.stringify(cfg.clients[i]!.envKwargs)} (${cfg.teacherSteps} steps)...`,
  );
  // One input normalisation for every client (FedAvg averages the weights that read it): none.
  const ppo = new PPO({
    ...preset,
    normalizeObs: false,
    env: cfg.env,
    envKwargs: cfg.clients[i]!.envKwargs,
    seed: cfg.seed * 100 + i,
  });
  await ppo.learn({ totalTimesteps: cfg.teacherSteps });
  const saved = await ppo.save(run.path("teachers", `client-${i}-tmp`));
  copyFileSync(saved, file);
  return file;
}
