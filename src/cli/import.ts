/**
 * `rldistill import MODEL --out FILE.rldistill`: converts a model trained elsewhere (ONNX from
 * torch.onnx.export or Stable-Baselines3's recipes, a Stable-Baselines3 .zip, a PyTorch
 * state_dict with --arch) into an rldistill policy checkpoint, which then works everywhere a
 * checkpoint does (distill --teacher, eval, export, the runtime). The format is recognised by
 * content. A thin shell over `importOnnx` (src/deploy) and `readModelSpec` (src/distill/teachers).
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { ConfigError } from "../core/errors.js";
import { importOnnx } from "../deploy/onnx-import.js";
import { parseKindSpec } from "../deploy/onnx-outputs.js";
import { detectModelFormat, readModelSpec } from "../distill/teachers/load.js";
import { make, prepareEnv } from "../envs/registry.js";
import { savePolicy } from "../nn/checkpoint.js";
import type { PolicySpec } from "../nn/spec.js";
import { type Command, type FlagSpecs, formatFlags, parseArgs } from "./args.js";

const flags: FlagSpecs = {
  out: { type: "string", help: "the checkpoint to write (.rldistill)" },
  env: { type: "string", help: "env id the model acts in (recorded; checks the sizes)" },
  output: {
    type: "string",
    help: "ONNX: the tensor holding the policy",
    defaultText: "recognised from the graph",
  },
  kind: { type: "string", help: "what it holds: logits | probs | q | mean[,logstd=NAME|VALUE]" },
  value: { type: "string", help: "ONNX: the state-value tensor, or none" },
  arch: {
    type: "string",
    help: "PyTorch state_dict: [PREFIX:]ACTIVATION of its nn.Sequential, e.g. actor:tanh",
  },
  help: { type: "boolean", help: "show this help" },
};

export interface ReadAnyModelOptions {
  output?: string;
  kind?: string;
  value?: string;
  arch?: string;
  /** The env's action count / dimension (picks the policy among several ONNX outputs). */
  actionSize?: number;
  continuous?: boolean;
}

/** Any supported model file as a PolicySpec, with notes on what was inferred. */
export function readAnyModel(
  path: string,
  o: ReadAnyModelOptions = {},
): { spec: PolicySpec; notes: string[]; format: string } {
  const bytes = new Uint8Array(readFileSync(path));
  const format = detectModelFormat(bytes);
  if (format === "onnx") {
    const kind = o.kind ? parseKindSpec(o.kind, "--kind") : undefined;
    const spec = importOnnx(bytes, {
      output: kind?.kind,
      outputName: o.output,
      valueName: o.value,
      logStd: kind?.logStd,
      actionSize: o.actionSize,
    });
    return { spec, notes: [], format };
  }
  for (const [k, v] of Object.entries({ output: o.output, value: o.value }))
    if (v !== undefined)
      throw new ConfigError(`--${k}`, `applies to ONNX models; ${basename(path)} is not one`);
  const { spec, notes, family } = readModelSpec(path, { arch: o.arch, continuous: o.continuous });
  if (o.kind) {
    const { kind, logStd } = parseKindSpec(o.kind, "--kind");
    if (kind === "probs") throw new ConfigError("--kind", "probs applies to ONNX outputs only");
    spec.output = kind;
    if (typeof logStd === "number") spec.logStd = new Float32Array(spec.actionSize).fill(logStd);
  }
  return { spec, notes, format: family };
}

export const importCommand: Command = {
  name: "import",
  summary: "convert an ONNX model, Stable-Baselines3 .zip or PyTorch state_dict into an rldistill checkpoint",
  usage: () =>
    [
      "Usage: rldistill import MODEL --out FILE.rldistill [--env ID] [--kind q] [--output NAME] [--value NAME] [--arch actor:tanh]",
      "",
      "MODEL is recognised by its content: ONNX (torch.onnx.export, SB3's OnnxableSB3Policy), a Stable-Baselines3",
      "model .zip (PPO/A2C, DQN, SAC, TD3 MLP policies), or a torch.save state_dict (CleanRL) with --arch.",
      "See docs/byom.md.",
      "",
      formatFlags(flags),
    ].join("\n"),
  async run(argv) {
    const { flags: f, positionals } = parseArgs(argv, flags);
    if (f.help) {
      console.log(this.usage());
      return 0;
    }
    if (positionals.length !== 1)
      throw new ConfigError("MODEL", "give exactly one model file: rldistill import MODEL --out FILE");
    if (typeof f.out !== "string") throw new ConfigError("--out", "required: the checkpoint to write");
    let actionSize: number | undefined;
    let continuous: boolean | undefined;
    let meta: Record<string, unknown> = {};
    if (typeof f.env === "string") {
      await prepareEnv(f.env); // engines that load asynchronously (MuJoCo) before the first make()
      const env = make(f.env);
      const a = env.actionSpace.toJSON() as { type: string; n?: number; shape?: number[] };
      continuous = a.type === "Box";
      actionSize = continuous ? (a.shape ?? [1]).reduce((x, y) => x * y, 1) : a.n;
      meta = {
        env: f.env,
        observationSpace: env.observationSpace.toJSON(),
        actionSpace: env.actionSpace.toJSON(),
      };
      env.close();
    }
    const model = positionals[0]!;
    const { spec, notes, format } = readAnyModel(model, {
      output: f.output as string | undefined,
      kind: f.kind as string | undefined,
      value: f.value as string | undefined,
      arch: f.arch as string | undefined,
      actionSize,
      continuous,
    });
    if (actionSize !== undefined && spec.actionSize !== actionSize)
      throw new ConfigError("--env", `${model} has ${spec.actionSize} outputs, ${f.env} takes ${actionSize}`);
    savePolicy(f.out, spec, { ...meta, kind: "imported", source: basename(model), format });
    for (const n of notes) console.log(`note: ${n}`);
    const layers = spec.layers.map((l) =>
      l.kind === "dense" ? `${l.outSize}${l.activation === "linear" ? "" : `:${l.activation}`}` : l.kind,
    );
    console.log(
      `imported ${model} (${format}): ${spec.obsShape.join("x")} -> ${layers.join(" ")} (${spec.output})` +
        `${spec.valueLayers ? " + value head" : ""}${spec.obsNorm ? " + obs normalisation" : ""}; wrote ${f.out}`,
    );
    return 0;
  },
};
