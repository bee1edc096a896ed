/**
 * The inside of a `ThreadEngine` thread: receives teachers and trials, runs each trial with
 * `executeTrial`, posts the outcome. One trial at a time (the engine sends the next when this one
 * is done).
 */
import { parentPort, threadId, workerData } from "node:worker_threads";
import { executeTrial, workerName } from "../execute.js";
import { TeacherCache } from "./engine.js";
import type { FromThread, ToThread } from "./threads.js";

const port = parentPort!;
const teachers = new TeacherCache();
// Env registrations and the like, before any trial (each message waits for them).
const ready = Promise.all(((workerData?.modules as string[] | undefined) ?? []).map((m) => import(m)));

port.on("message", async (m: ToThread) => {
  if (m.type === "teacher") {
    teachers.setPath(m.hash, m.path);
    return;
  }
  let reply: FromThread;
  try {
    await ready;
    const outcome = await executeTrial(m.spec, m.dir, teachers.source, {
      worker: `${workerName()}:t${threadId}`,
    });
    reply = { type: "done", id: m.id, outcome };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    reply = { type: "error", id: m.id, error: { name: err.name, message: err.message } };
  }
  port.postMessage(reply);
});
