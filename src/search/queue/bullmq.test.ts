/**
 * The queue engine against a real redis-server (started here on a free loopback port, persistence
 * on), with the faults it must survive: malformed jobs, a worker killed mid-trial, a coordinator
 * killed and resumed, Redis restarted mid-search, workers of another version. Each time the search
 * must end with exactly the trials and winner of a plain in-process search: nothing finished is
 * lost and nothing is counted twice.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Job, Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InlineEngine } from "../queue/engine.js";
import { type SearchResult, search } from "../search.js";
import { LINE_ENV, LINE_WORLD_MODULE, TINY_SEARCH, writeLineTeacher } from "../testing/line-world.js";
import { BullmqEngine } from "./bullmq.js";
import { trialJob, versionKey } from "./redis.js";
import { requireRedisInCi, TestRedis } from "./testing/redis-server.js";
import { type QueueWorkerOptions, runQueueWorker } from "./worker.js";

const haveRedis = requireRedisInCi();
const MAIN = fileURLToPath(new URL("../../cli/main.ts", import.meta.url));
const LINE_WORLD_FILE = fileURLToPath(LINE_WORLD_MODULE);

const fingerprint = (r: SearchResult) =>
  r.summary.trials.map((t) => `${t.key} ${t.retention} ${t.agreement}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function cli(args: string[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

describe.skipIf(!haveRedis)("BullMQ engine on a real redis-server", () => {
  let redis: TestRedis;
  let dir: string;
  let teacher: string;
  let reference: SearchResult;
  let queues = 0;
  const cfg = () => ({ ...TINY_SEARCH, minSteps: 400, teacher, seed: 2, brackets: 1 });

  beforeAll(async () => {
    redis = await new TestRedis().start();
    dir = mkdtempSync(join(tmpdir(), "rldistill-queue-"));
    teacher = writeLineTeacher(dir);
    reference = await search({ ...cfg(), out: join(dir, "reference") }, { engine: new InlineEngine() });
    expect(reference.summary.winner).not.toBeNull();
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  const fresh = () => {
    const name = `q${++queues}`;
    return { name, engine: () => new BullmqEngine({ url: redis.url, queueName: name, pollMs: 100 }) };
  };
  const worker = (queueName: string, extra: Partial<QueueWorkerOptions> = {}) => {
    const stop = new AbortController();
    const done = runQueueWorker({
      url: redis.url,
      queueName,
      modules: [LINE_WORLD_MODULE],
      cacheDir: join(dir, `cache-${queueName}-${Math.random().toString(36).slice(2)}`),
      lockDuration: 1500,
      stalledInterval: 500,
      signal: stop.signal,
      ...extra,
    });
    return {
      done,
      stop: async () => {
        stop.abort();
        return done;
      },
    };
  };
  const expectOnce = (r: SearchResult, out: string) => {
    expect(fingerprint(r)).toEqual(fingerprint(reference));
    expect(r.summary.winner?.id).toBe(reference.summary.winner?.id);
    const keys = readdirSync(join(out, "trials")).filter((k) =>
      existsSync(join(out, "trials", k, "result.json")),
    );
    expect(keys.sort()).toEqual(reference.summary.trials.map((t) => t.key));
  };

  it("2 queue workers give the plain search's trials and winner; malformed jobs are refused", async () => {
    const q = fresh();
    const queue = new Queue(q.name, { connection: { host: "127.0.0.1", port: redis.port } });
    await queue.add("trial", { hello: 1 }, { jobId: "junk-1", attempts: 3 });
    await queue.add(
      "trial",
      { protocol: 1, version: "x", spec: { key: "nothex" } },
      { jobId: "junk-2", attempts: 3 },
    );
    const w1 = worker(q.name);
    const w2 = worker(q.name);
    const out = join(dir, "two");
    const engine = q.engine();
    const r = await search({ ...cfg(), out }, { engine });
    await engine.close();
    const [a, b] = [await w1.stop(), await w2.stop()];
    expectOnce(r, out);
    expect(a.processed + b.processed).toBe(reference.summary.trials.length);
    expect(a.processed).toBeGreaterThan(0);
    expect(b.processed).toBeGreaterThan(0);
    for (const id of ["junk-1", "junk-2"]) {
      const job = (await Job.fromId(queue, id))!;
      expect(await job.getState()).toBe("failed");
      expect(job.attemptsMade).toBe(1); // unrecoverable: not retried
      expect(job.failedReason).toMatch(/malformed trial payload: /);
    }
    expect((await Job.fromId(queue, "junk-2"))!.failedReason).toMatch(/trial.key: expected 24 hex digits/);
    expect(a.malformed + b.malformed).toBe(2);
    await queue.close();
  });

  it("a worker killed mid-trial: its job is retried by another worker, nothing is lost or doubled", async () => {
    const q = fresh();
    const victim = cli([
      "worker",
      "--queue",
      redis.url,
      "--queue-name",
      q.name,
      "--module",
      LINE_WORLD_FILE,
      "--lock-duration",
      "1500",
      "--stalled-interval",
      "500",
      "--name",
      "victim",
      "--quiet",
    ]);
    const queue = new Queue(q.name, { connection: { host: "127.0.0.1", port: redis.port } });
    const out = join(dir, "killed-worker");
    const engine = q.engine();
    const running = search({ ...cfg(), out }, { engine });
    let killedJob = "";
    await until("the victim to take a job", async () => {
      const active = await queue.getActive();
      const mine = active.find((j) => j.processedBy === "victim");
      if (mine) killedJob = mine.id!;
      return mine !== undefined;
    });
    const dead = new Promise((r) => victim.once("exit", r));
    victim.kill("SIGKILL");
    await dead;
    const rescuer = worker(q.name);
    const r = await running;
    await engine.close();
    await rescuer.stop();
    expectOnce(r, out);
    const job = (await Job.fromId(queue, killedJob))!;
    expect(await job.getState()).toBe("completed");
    expect(job.processedBy).not.toBe("victim");
    await queue.close();
  });

  it("a coordinator killed mid-search resumes from the run folder and the queue", async () => {
    const q = fresh();
    const w = worker(q.name);
    const out = join(dir, "killed-coordinator");
    const t = TINY_SEARCH;
    // biome-ignore format: flag pairs
    const coordinator = cli([
      "search", "--teacher", teacher, "--env", LINE_ENV, "--out", out, "--queue", redis.url, "--queue-name", q.name,
      "--module", LINE_WORLD_FILE, "--seed", "2", "--target", t.target, "--quiet", "--no-report",
      "--set", `maxSteps=${t.maxSteps}`, "--set", "minSteps=400", "--set", `eta=${t.eta}`, "--set", "brackets=1",
      "--set", "depths=1", "--set", `widths=${t.widths.join(",")}`, "--set", `trialEpisodes=${t.trialEpisodes}`,
      "--set", `similarityStates=${t.similarityStates}`, "--set", `confirmSeeds=${t.confirmSeeds}`,
      "--set", `confirmEpisodes=${t.confirmEpisodes}`,
      ...Object.entries(t.distill).flatMap(([k, v]) => ["--distill-set", `${k}=${v}`]),
    ]);
    const results = () =>
      existsSync(join(out, "trials"))
        ? readdirSync(join(out, "trials")).filter((k) => existsSync(join(out, "trials", k, "result.json")))
            .length
        : 0;
    await until("the coordinator to record 2 trials", () => results() >= 2);
    const dead = new Promise((r) => coordinator.once("exit", r));
    coordinator.kill("SIGKILL");
    await dead;
    const engine = q.engine();
    const r = await search({ out }, { engine, resume: true });
    await engine.close();
    await w.stop();
    expectOnce(r, out);
    expect(r.summary.reused).toBeGreaterThanOrEqual(2);
  });

  it("Redis restarted during a search (append-only persistence): the search goes on and ends the same", async () => {
    const q = fresh();
    const w = worker(q.name);
    const out = join(dir, "redis-restart");
    const engine = q.engine();
    let restarted: Promise<void> | undefined;
    const lines: string[] = [];
    const r = await search(
      { ...cfg(), out },
      {
        engine,
        print: (l) => {
          lines.push(l);
          if (l.startsWith("  mlp-") && !restarted) restarted = redis.restart();
        },
      },
    );
    await restarted;
    await engine.close();
    await w.stop();
    expectOnce(r, out);
  });

  it("a worker of another rldistill version is refused with a clear message, and loses no job", async () => {
    const q = fresh();
    const queue = new Queue(q.name, { connection: { host: "127.0.0.1", port: redis.port } });
    // A job queued by this version, picked by a worker claiming another: refused, handed back.
    const spec = reference.summary.trials[0]!;
    const {
      teachers: _t,
      out: _o,
      ...fullSpec
    } = JSON.parse(readFileSync(join(dir, "reference", "trials", spec.key, "config.json"), "utf8"));
    expect(fullSpec.steps).toBe(spec.steps);
    const engine = q.engine();
    await engine.provideTeacher(
      { hash: reference.summary.teacher.hash, name: "line-teacher.rldistill" },
      teacher,
    );
    await expect(
      runQueueWorker({ url: redis.url, queueName: q.name, version: "0.0.0-other" }),
    ).rejects.toThrow(
      new RegExp(
        `this worker is rldistill 0\\.0\\.0-other but the coordinator of queue "${q.name}" is rldistill \\d+\\.\\d+\\.\\d+.*run the same rldistill version`,
      ),
    );
    // Without the queue's version key (a worker started before any coordinator), the job check refuses.
    const connection = new (await import("ioredis")).Redis({ host: "127.0.0.1", port: redis.port });
    await connection.del(versionKey(q.name));
    const { makeTrial } = await import("../trial.js");
    const s = reference.summary;
    const trial = makeTrial({
      role: "search",
      candidate: spec.candidate,
      env: s.env,
      envKwargs: {},
      teacher: { hash: s.teacher.hash, name: "line-teacher.rldistill" },
      config: fullSpec,
    });
    expect(trial.key).toBe(spec.key);
    await queue.add("trial", trialJob(trial), {
      jobId: trial.key,
      attempts: 5,
      backoff: { type: "fixed", delay: 200 },
    });
    const stale = worker(q.name, { version: "0.0.0-other" });
    await expect(stale.done).rejects.toThrow(
      /this worker is rldistill 0\.0\.0-other but job .* is rldistill/,
    );
    const good = worker(q.name);
    await until("the refused job to be done by a worker of the right version", async () => {
      const job = await Job.fromId(queue, trial.key);
      return (await job?.getState()) === "completed";
    });
    await good.stop();
    const job = (await Job.fromId(queue, trial.key))!;
    expect(job.returnvalue.summary.retention).toBe(spec.retention);
    connection.disconnect();
    await engine.close();
    await queue.close();
  });
});
