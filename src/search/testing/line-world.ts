/**
 * LineWorld (src/distill/testing/fakes.ts) as a registered env, and its teacher as a file, so
 * searches in tests run trials of milliseconds. Importing this module registers "LineWorld-v0";
 * thread engines import it too (`modules: [LINE_WORLD_MODULE]`).
 */
import { join } from "node:path";
import { LineWorld, lineTeacherSpec } from "../../distill/testing/fakes.js";
import { getRegistration, register } from "../../envs/registry.js";
import { savePolicy } from "../../nn/checkpoint.js";

export const LINE_ENV = "LineWorld-v0";
export const LINE_WORLD_MODULE = new URL(import.meta.url).href;

function registered(): boolean {
  try {
    getRegistration(LINE_ENV);
    return true;
  } catch {
    return false;
  }
}

if (!registered()) register({ id: LINE_ENV, create: () => new LineWorld(), maxEpisodeSteps: 50 });

/** Writes the line-world teacher (2-4-2, 22 parameters) to `<dir>/line-teacher.rldistill`. */
export function writeLineTeacher(dir: string, k = 3): string {
  const file = join(dir, "line-teacher.rldistill");
  const env = new LineWorld();
  savePolicy(file, lineTeacherSpec({ k }), {
    env: LINE_ENV,
    observationSpace: env.observationSpace.toJSON(),
    actionSpace: env.actionSpace.toJSON(),
  });
  return file;
}

/** Tiny search settings on LineWorld: trials of a few hundred steps. */
export const TINY_SEARCH = {
  env: LINE_ENV,
  maxSteps: 800,
  minSteps: 200,
  eta: 2,
  depths: [1],
  widths: [1, 2, 4, 8],
  trialEpisodes: 4,
  similarityStates: 200,
  confirmSeeds: 2,
  confirmEpisodes: 8,
  target: "retention=0.8,agreement=0.9",
  distill: {
    numEnvs: 4,
    rolloutSteps: 25,
    batchSize: 64,
    learningRate: 3e-3,
    trainRatio: 0.25,
    evalEpisodes: 2,
  },
};
