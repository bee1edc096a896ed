/**
 * `rldistill federated`: federated distillation of one shared student over clients that each hold a
 * private env variant and a local teacher (FedAvg of weights, or soft labels on the server's public
 * states: --mode); a thin shell over `federated()` (src/search/federated).
 * Trials run in local worker threads (`--workers N`) or on a BullMQ queue (`--queue`).
 */
import { join } from "node:path";
import { describeSchema, parseAssignment } from "../core/config.js";
import { ConfigError } from "../core/errors.js";
import { onInterrupt } from "../core/interrupt.js";
import { parseDistillAssignment } from "../distill/config.js";
import { FEDERATED_SCHEMA, type FederatedConfig, parseClient } from "../search/federated/config.js";
import { alignRows, type Command, type FlagSpecs, formatFlags, parseArgs } from "./args.js";
import { engineFromFlags } from "./engine-flags.js";

const flags: FlagSpecs = {
  env: { type: "string", help: "env id the clients run, e.g. CartPole-v1" },
  client: {
    type: "string",
    repeat: true,
    help: "one client: its make() kwargs, then @ and its teacher file (optional: else PPO trains one), e.g. length=0.4,masspole=0.2",
  },
  mode: {
    type: "string",
    choices: ["fedavg", "soft-labels"],
    help: "what clients send: weights (fedavg) or their teachers' soft labels on the server's public states",
    defaultText: "fedavg",
  },
  rounds: { type: "integer", help: "federated rounds", defaultText: "10" },
  "local-steps": { type: "integer", help: "env steps each client distils per round", defaultText: "4096" },
  student: { type: "string", help: "shared student's hidden widths, e.g. 16,16", defaultText: "16,16" },
  seed: { type: "integer", help: "seed", defaultText: "0" },
  out: { type: "string", help: "run folder", defaultText: "runs/federated-<env>-s<seed>" },
  resume: { type: "string", help: "continue the federated run in this folder" },
  workers: { type: "integer", help: "local worker threads (0 = this thread)", defaultText: "1" },
  queue: {
    type: "string",
    help: "redis://HOST:PORT: run client updates on a BullMQ queue (rldistill worker)",
  },
  "queue-name": { type: "string", help: "BullMQ queue name", defaultText: "rldistill-trials" },
  set: { type: "string", repeat: true, help: "any federated field, key=value (see below)" },
  "distill-set": {
    type: "string",
    repeat: true,
    help: "a distill config field of every local run, key=value",
  },
  module: { type: "string", repeat: true, help: "ES module to import first, here and in worker threads" },
  quiet: { type: "boolean", help: "print only the result" },
  "no-report": { type: "boolean", help: "do not write report.html / report.md" },
  help: { type: "boolean", help: "show this help" },
};

export function federatedConfigFromArgs(f: Record<string, unknown>): Partial<FederatedConfig> {
  const layer: Record<string, unknown> = {};
  for (const key of ["env", "mode", "rounds", "seed", "out"] as const)
    if (f[key] !== undefined) layer[key] = f[key];
  if (f["local-steps"] !== undefined) layer.localSteps = f["local-steps"];
  if (f.student !== undefined)
    layer.student = parseAssignment(FEDERATED_SCHEMA, `student=${String(f.student)}`, "--student")[1];
  layer.clients = ((f.client as string[] | undefined) ?? []).map((c) => parseClient(c));
  for (const a of (f.set as string[] | undefined) ?? []) {
    const [k, v] = parseAssignment(FEDERATED_SCHEMA, a, "federated");
    layer[k] = v;
  }
  const distill: Record<string, unknown> = {};
  for (const a of (f["distill-set"] as string[] | undefined) ?? []) {
    const [k, v] = parseDistillAssignment(a);
    distill[k] = v;
  }
  layer.distill = distill;
  return layer as Partial<FederatedConfig>;
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? "-" : v.toFixed(3));

export const federatedCommand: Command = {
  name: "federated",
  summary:
    "federated distillation (FedAvg or soft labels) of one student over clients with private env variants and teachers",
  usage: () =>
    [
      "Usage: rldistill federated --env ID --client KWARGS[@TEACHER] --client ... [--rounds N] [--local-steps N] [flags]",
      "       rldistill federated --resume DIR",
      "",
      "Each round the available clients start from the global student, distil locally on their own env",
      "variant with their own teacher, and send back only their weights and sample count; the server",
      "averages them weighted by samples. With --mode soft-labels the clients instead label the server's",
      "public states (drawn by the global student on the env's default parameters) with their teachers'",
      "action probabilities, and the server distils the global student on them. Reports every client's",
      "retention of the global student against its local teacher, beside a student distilled centrally on the pooled variants (same data budget).",
      "",
      formatFlags(flags),
      "",
      "Federated fields (--set key=value):",
      describeSchema(FEDERATED_SCHEMA),
    ].join("\n"),
  async run(argv) {
    const { flags: f, positionals } = parseArgs(argv, flags);
    if (f.help) {
      console.log(this.usage());
      return 0;
    }
    if (positionals.length) throw new ConfigError("federated", `unexpected argument "${positionals[0]}"`);
    const resume = f.resume !== undefined;
    const layer = resume ? { out: String(f.resume) } : federatedConfigFromArgs(f);
    const engine = await engineFromFlags(f);
    const print = f.quiet ? () => {} : (l: string) => console.log(l);
    const { federated } = await import("../search/federated/federated.js");
    // Loaded with the command, not after a Ctrl-C (a module imported after SIGINT can lose tsx's esbuild).
    const { writeReport } = await import("../report/write.js");
    const interrupt = onInterrupt({
      message: "interrupted: stopping and saving (Ctrl-C again to quit at once)...",
    });
    try {
      const { summary, runDir } = await federated(layer, { engine, resume, print, signal: interrupt.signal });
      if (summary.interrupted) {
        console.error(
          `interrupted: finished rounds are kept; continue with rldistill federated --resume ${runDir}`,
        );
        return 130;
      }
      const rows = [
        [
          "client",
          "kwargs",
          "teacher return",
          "federated return",
          "retention",
          "agreement",
          "centralised retention",
        ],
      ];
      for (const c of summary.clients)
        rows.push([
          String(c.client),
          JSON.stringify(c.envKwargs),
          c.federated.teacher_return.toFixed(1),
          c.federated.student_return.toFixed(1),
          pct(c.federated.retention),
          pct(c.federated.agreement),
          pct(c.centralised?.retention),
        ]);
      console.log(alignRows(rows).join("\n"));
      console.log(
        `mean retention (${summary.mode}): federated ${pct(summary.meanRetention.federated)}, centralised ${pct(summary.meanRetention.centralised)}` +
          (summary.ratio === null
            ? ""
            : `; federated keeps ${(100 * summary.ratio).toFixed(1)}% of centralised (goal >= 95%)`),
      );
      console.log(`run folder: ${runDir}`);
      if (f["no-report"] !== true) {
        const { html } = writeReport([runDir], join(runDir, "report.html"), {
          title: `rldistill federated: ${summary.env}`,
        });
        console.log(`report:     ${html}`);
      }
      return 0;
    } finally {
      interrupt.dispose();
      await engine.close();
    }
  },
};
