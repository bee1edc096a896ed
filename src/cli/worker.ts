/**
 * `rldistill worker --queue redis://HOST:PORT`: runs trials from a BullMQ queue (put there by
 * `rldistill search --queue` or `rldistill federated --queue`) until Ctrl-C. Start any number, on
 * any machine that reaches Redis; teachers come from --teacher files or from Redis.
 */
import { ConfigError } from "../core/errors.js";
import { onInterrupt } from "../core/interrupt.js";
import { type Command, type FlagSpecs, formatFlags, parseArgs } from "./args.js";

const flags: FlagSpecs = {
  queue: { type: "string", help: "redis://HOST:PORT[/DB] of the queue" },
  "queue-name": { type: "string", help: "BullMQ queue name", defaultText: "rldistill-trials" },
  concurrency: { type: "integer", help: "trials at once (one thread each)", defaultText: "1" },
  teacher: {
    type: "string",
    repeat: true,
    help: "a teacher file on this machine (else fetched from Redis by hash)",
  },
  "cache-dir": {
    type: "string",
    help: "folder for fetched teachers and trial scratch",
    defaultText: "<tmp>/rldistill-worker",
  },
  "lock-duration": { type: "integer", help: "ms a job's lock lasts without renewal", defaultText: "30000" },
  "stalled-interval": {
    type: "integer",
    help: "ms between checks for jobs of dead workers",
    defaultText: "30000",
  },
  module: {
    type: "string",
    repeat: true,
    help: "ES module each trial thread imports first (custom env registrations)",
  },
  name: { type: "string", help: "worker name in the job records", defaultText: "host:pid" },
  quiet: { type: "boolean", help: "print nothing but errors" },
  help: { type: "boolean", help: "show this help" },
};

export const workerCommand: Command = {
  name: "worker",
  summary: "run search and federated trials from a BullMQ queue on Redis",
  usage: () =>
    [
      "Usage: rldistill worker --queue redis://HOST:PORT [--concurrency N] [--teacher PATH ...]",
      "",
      "Takes trial jobs from the queue and runs them until Ctrl-C. A worker killed mid-trial loses",
      "nothing: its job's lock lapses and another worker runs it. A worker refuses to run next to a",
      "coordinator of another rldistill version.",
      "",
      formatFlags(flags),
    ].join("\n"),
  async run(argv) {
    const { flags: f, positionals } = parseArgs(argv, flags);
    if (f.help) {
      console.log(this.usage());
      return 0;
    }
    if (positionals.length) throw new ConfigError("worker", `unexpected argument "${positionals[0]}"`);
    if (f.queue === undefined) throw new ConfigError("--queue", "required: redis://HOST:PORT of the queue");
    const { runQueueWorker } = await import("../search/queue/worker.js");
    const print = f.quiet ? () => {} : (l: string) => console.log(l);
    const interrupt = onInterrupt({
      message:
        "interrupted: the worker stops; a trial it had not finished goes back to the queue (Ctrl-C again to quit at once)",
    });
    try {
      const r = await runQueueWorker({
        url: String(f.queue),
        queueName: f["queue-name"] as string | undefined,
        concurrency: f.concurrency as number | undefined,
        teachers: f.teacher as string[] | undefined,
        cacheDir: f["cache-dir"] as string | undefined,
        lockDuration: f["lock-duration"] as number | undefined,
        stalledInterval: f["stalled-interval"] as number | undefined,
        modules: f.module as string[] | undefined,
        name: f.name as string | undefined,
        print,
        signal: interrupt.signal,
      });
      print(`worker stopped: ${r.processed} trials run, ${r.malformed} malformed jobs refused`);
      return interrupt.signal.aborted ? 130 : 0;
    } finally {
      interrupt.dispose();
    }
  },
};
