/**
 * The engine behind `search` and `federated`, from their shared flags: `--module` (ES modules with
 * custom env registrations, imported here and in every worker), `--workers N` (local threads, the
 * default) or `--queue redis://...` with `--queue-name`.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { TrialEngine } from "../search/queue/engine.js";
import { engineFor } from "../search/queue/index.js";

export async function engineFromFlags(f: Record<string, unknown>): Promise<TrialEngine> {
  // Paths become file URLs, so that worker threads started elsewhere import the same files.
  const modules = ((f.module as string[] | undefined) ?? []).map((m) =>
    /^[a-z]+:/i.test(m) ? m : pathToFileURL(resolve(m)).href,
  );
  for (const m of modules) await import(m);
  return engineFor({
    modules,
    workers: f.workers as number | undefined,
    queue: f.queue as string | undefined,
    queueName: f["queue-name"] as string | undefined,
    print: (l) => console.error(l),
  });
}
