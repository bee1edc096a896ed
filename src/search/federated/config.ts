/**
 * The one flat config of a federated distillation run (`rldistill federated`, `federated()`).
 * Clients are env variants (make() kwargs) with a local teacher each (a file, or trained here with
 * PPO on the variant when none is given).
 */
import { type ConfigOf, type ConfigSchema, resolveConfig } from "../../core/config.js";
import { ConfigError } from "../../core/errors.js";

export const FEDERATED_MODES = ["fedavg", "soft-labels"] as const;

export const FEDERATED_SCHEMA = {
  env: { type: "string", default: "", help: "env id every client runs (each with its own kwargs)" },
  out: { type: "string", default: "", help: "run folder; default runs/federated-<env>-s<seed>" },
  seed: {
    type: "integer",
    default: 0,
    min: 0,
    help: "seed of client sampling, initialisation and every local run",
  },
  student: {
    type: "integer[]",
    default: [16, 16],
    min: 1,
    minLength: 1,
    help: "the shared student's hidden widths",
  },
  studentActivation: {
    type: "string",
    default: "tanh",
    choices: ["tanh", "relu"],
    help: "its hidden activation",
  },
  mode: {
    type: "string",
    default: "fedavg",
    choices: FEDERATED_MODES,
    help: "what clients send: fedavg = their locally distilled student weights (averaged by samples); soft-labels = their teachers' action probabilities on the server's public states, on which the server distils the global student",
  },
  rounds: { type: "integer", default: 10, min: 1, help: "federated rounds" },
  clientsPerRound: {
    type: "integer",
    default: 0,
    min: 0,
    help: "clients sampled per round (0 = every available one)",
  },
  localSteps: {
    type: "integer",
    default: 4096,
    min: 1,
    help: "fedavg: env steps each sampled client distils per round",
  },
  deadline: {
    type: "number",
    default: 0,
    min: 0,
    help: "seconds a round waits for its clients; a client that misses it is skipped for the round (0 = wait)",
  },
  dropouts: {
    type: "string",
    default: "",
    help: "clients absent for some rounds, e.g. 1:3-5 (client 1 misses rounds 3 to 5 and rejoins at 6); ; separates clients",
  },
  teacherSteps: {
    type: "integer",
    default: 60_000,
    min: 1,
    help: "PPO steps of a local teacher trained here (no teacher given)",
  },
  publicStates: {
    type: "integer",
    default: 2048,
    min: 1,
    help: "soft-labels: states the server draws per round (the global student on the env's default parameters, public seed) for the clients to label",
  },
  serverEpochs: {
    type: "integer",
    default: 5,
    min: 1,
    help: "soft-labels: passes of the server's distillation over the labelled states of all rounds so far (Adam with the distill settings' learningRate and batchSize)",
  },
  evalEpisodes: { type: "integer", default: 30, min: 1, help: "episodes of each final evaluation" },
  similarityStates: { type: "integer", default: 2000, min: 1, help: "states of each agreement measure" },
  centralised: {
    type: "boolean",
    default: true,
    help: "also distil one student centrally on the pooled clients (the baseline)",
  },
} as const satisfies ConfigSchema;

export interface ClientConfig {
  /** make() kwargs of this client's env variant. */
  envKwargs: Record<string, number>;
  /** Its local teacher file; trained with PPO into the run folder when absent. */
  teacher?: string;
}

export interface FederatedConfig extends ConfigOf<typeof FEDERATED_SCHEMA> {
  clients: ClientConfig[];
  /** distill config fields of every local run. */
  distill: Record<string, unknown>;
}

/** "length=0.4,masspole=0.2@teacher.rldistill" -> a client. */
export function parseClient(text: string, field = "--client"): ClientConfig {
  const [kw, teacher] = text.split("@");
  const envKwargs: Record<string, number> = {};
  for (const part of (kw ?? "").split(",")) {
    if (part.trim() === "") continue;
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([-+0-9.eE]+)\s*$/.exec(part);
    if (!m || !Number.isFinite(Number(m[2])))
      throw new ConfigError(
        field,
        `expected kwarg=number pairs (then @teacher file, optional), got "${text}"`,
      );
    envKwargs[m[1]!] = Number(m[2]);
  }
  return teacher ? { envKwargs, teacher } : { envKwargs };
}

/** "1:3-5;2:4-4" -> client -> set of absent rounds. */
export function parseDropouts(text: string, clients: number, rounds: number): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  for (const part of text.split(";")) {
    if (part.trim() === "") continue;
    const m = /^\s*(\d+)\s*:\s*(\d+)\s*-\s*(\d+)\s*$/.exec(part);
    if (!m) throw new ConfigError("dropouts", `expected client:from-to (e.g. 1:3-5), got "${part}"`);
    const [c, a, b] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (c >= clients)
      throw new ConfigError("dropouts", `client ${c} does not exist (clients 0..${clients - 1})`);
    if (!(a >= 1 && a <= b && b <= rounds))
      throw new ConfigError("dropouts", `rounds ${a}-${b} must lie within 1..${rounds}, from <= to`);
    const set = out.get(c) ?? new Set<number>();
    for (let r = a; r <= b; r++) set.add(r);
    out.set(c, set);
  }
  return out;
}

export function resolveFederatedConfig(given: Partial<FederatedConfig>): FederatedConfig {
  const { clients = [], distill = {}, ...rest } = given;
  const hyper = resolveConfig(FEDERATED_SCHEMA, rest, "federated");
  if (hyper.env === "")
    throw new ConfigError("env", "required: the env id the clients run (--env CartPole-v1)");
  if (!Array.isArray(clients) || clients.length < 2)
    throw new ConfigError(
      "clients",
      "give at least two clients (--client kwarg=value,...[@teacher.rldistill])",
    );
  for (const [i, c] of clients.entries())
    for (const [k, v] of Object.entries(c.envKwargs ?? {}))
      if (typeof v !== "number" || !Number.isFinite(v))
        throw new ConfigError(`clients[${i}].envKwargs.${k}`, `expected a finite number, got ${String(v)}`);
  for (const k of ["teachers", "out", "env", "seed", "steps", "student", "studentActivation", "method"])
    if (k in distill) throw new ConfigError(`distill.${k}`, "is set by the federated run itself; remove it");
  if (hyper.clientsPerRound > clients.length)
    throw new ConfigError(
      "clientsPerRound",
      `is ${hyper.clientsPerRound}, there are ${clients.length} clients`,
    );
  parseDropouts(hyper.dropouts, clients.length, hyper.rounds);
  if (hyper.out === "") hyper.out = `runs/federated-${hyper.env}-s${hyper.seed}`;
  return {
    ...hyper,
    clients: clients.map((c) => ({ ...c, envKwargs: { ...c.envKwargs } })),
    distill: { ...distill },
  };
}
