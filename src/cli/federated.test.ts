import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseClient } from "../search/federated/config.js";
import { LINE_ENV, writeLineTeacher } from "../search/testing/line-world.js";
import { federatedConfigFromArgs } from "./federated.js";
import { main } from "./main.js";

async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    return { code: await main(args), out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe("rldistill federated", () => {
  it("parses clients and flags", () => {
    expect(parseClient("length=0.4,masspole=0.2@t.rldistill")).toEqual({
      envKwargs: { length: 0.4, masspole: 0.2 },
      teacher: "t.rldistill",
    });
    expect(parseClient("@t.rldistill")).toEqual({ envKwargs: {}, teacher: "t.rldistill" });
    expect(() => parseClient("length=long")).toThrow(/--client: expected kwarg=number pairs/);
    const layer = federatedConfigFromArgs({
      env: "CartPole-v1",
      client: ["length=0.3", "length=0.7"],
      "local-steps": 99,
      student: "8,8",
    });
    expect(layer).toMatchObject({
      env: "CartPole-v1",
      localSteps: 99,
      student: [8, 8],
      clients: [{ envKwargs: { length: 0.3 } }, { envKwargs: { length: 0.7 } }],
    });
  });

  it("runs rounds on two clients and prints the per-client table", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rldistill-cli-fed-"));
    const a = writeLineTeacher(dir, 3);
    mkdirSync(join(dir, "b"));
    const b = writeLineTeacher(join(dir, "b"), 6);
    // biome-ignore format: flag pairs
    const r = await runCli([
      "federated", "--env", LINE_ENV, "--client", `@${a}`, "--client", `@${b}`, "--rounds", "2", "--local-steps", "400",
      "--student", "4", "--workers", "0", "--out", join(dir, "f"), "--quiet", "--set", "evalEpisodes=4", "--set", "similarityStates=100",
      "--distill-set", "numEnvs=4", "--distill-set", "rolloutSteps=25", "--distill-set", "batchSize=64", "--distill-set", "learningRate=0.003",
    ]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/client\s+kwargs\s+teacher return/);
    expect(r.out).toMatch(/mean retention \(fedavg\): federated \d\.\d{3}, centralised \d\.\d{3}/);
    const html = readFileSync(join(dir, "f", "report.html"), "utf8");
    expect(html).toContain("Federated distillation: f");
    expect(html).toContain("Global student on each client");
    expect(html).toContain("FedAvg over 2 clients");
  });

  it("--mode soft-labels: the clients label the server's states", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rldistill-cli-fed-soft-"));
    const a = writeLineTeacher(dir, 3);
    // biome-ignore format: flag pairs
    const r = await runCli([
      "federated", "--env", LINE_ENV, "--mode", "soft-labels", "--client", `@${a}`, "--client", `@${a}`, "--rounds", "2",
      "--student", "4", "--workers", "0", "--out", join(dir, "f"), "--quiet", "--set", "evalEpisodes=4", "--set", "similarityStates=100",
      "--set", "publicStates=200", "--set", "centralised=false", "--distill-set", "batchSize=32", "--distill-set", "learningRate=0.01",
    ]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/mean retention \(soft-labels\): federated \d\.\d{3}/);
    expect(existsSync(join(dir, "f", "rounds", "public-2.json"))).toBe(true);
    expect(readFileSync(join(dir, "f", "report.html"), "utf8")).toContain("public states over 2 clients");
    const bad = await runCli([
      "federated",
      "--env",
      LINE_ENV,
      "--mode",
      "weights",
      "--client",
      `@${a}`,
      "--client",
      `@${a}`,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--mode/);
  });
});
