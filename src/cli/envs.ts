import { getRegistration, listEnvs, make, prepareEnv } from "../envs/registry.js";
import { type Command, type FlagSpecs, formatFlags, parseArgs } from "./args.js";

const flags: FlagSpecs = {
  json: { type: "boolean", help: "print JSON instead of a table" },
  help: { type: "boolean", help: "show this help" },
};

/** Every registered env with its spaces, step limit and reward threshold. */
export async function describeEnvs(): Promise<
  Array<{
    id: string;
    observationSpace: string;
    actionSpace: string;
    maxEpisodeSteps: number | null;
    rewardThreshold: number | null;
    description: string;
  }>
> {
  for (const id of listEnvs()) await prepareEnv(id);
  return listEnvs().map((id) => {
    const reg = getRegistration(id);
    const env = make(id);
    const row = {
      id,
      observationSpace: env.observationSpace.toString(),
      actionSpace: env.actionSpace.toString(),
      maxEpisodeSteps: reg.maxEpisodeSteps ?? null,
      rewardThreshold: reg.rewardThreshold ?? null,
      description: reg.description ?? "",
    };
    env.close();
    return row;
  });
}

export const envsCommand: Command = {
  name: "envs",
  summary: "list the registered environments with their spaces",
  usage: () =>
    `Usage: rldistill envs [--json]\n\nLists every registered environment.\n\n${formatFlags(flags)}`,
  async run(argv) {
    const { flags: f } = parseArgs(argv, flags);
    if (f.help) {
      console.log(this.usage());
      return 0;
    }
    const rows = await describeEnvs();
    if (f.json) {
      console.log(JSON.stringify(rows, null, 2));
      return 0;
    }
    for (const r of rows) {
      console.log(`${r.id}`);
      console.log(`  observation: ${r.observationSpace}`);
      console.log(`  action:      ${r.actionSpace}`);
      console.log(
        `  steps: ${r.maxEpisodeSteps ?? "no limit"}   solved at: ${r.rewardThreshold ?? "no threshold"}   ${r.description}`,
      );
    }
    return 0;
  },
};
