import { describe, expect, it } from "vitest";
import { type ConfigSchema, defaultsOf, parseAssignment, resolveConfig } from "./config.js";
import { ConfigError } from "./errors.js";

const schema = {
  learningRate: { type: "number", default: 2.5e-4, min: 0, exclusiveMin: true, help: "Adam step size" },
  numEnvs: { type: "integer", default: 4, min: 1, help: "parallel envs" },
  targetKl: { type: "number", default: null, nullable: true, min: 0, help: "early stop" },
  annealLr: { type: "boolean", default: true, help: "linear decay" },
  activation: { type: "string", default: "tanh", choices: ["tanh", "relu"], help: "hidden activation" },
  hiddenSizes: { type: "integer[]", default: [64, 64], min: 1, minLength: 1, help: "hidden layers" },
} satisfies ConfigSchema;

describe("resolveConfig", () => {
  it("fills defaults and copies arrays", () => {
    const a = defaultsOf(schema);
    a.hiddenSizes.push(1);
    expect(resolveConfig(schema, {}, "ppo")).toEqual({
      learningRate: 2.5e-4,
      numEnvs: 4,
      targetKl: null,
      annealLr: true,
      activation: "tanh",
      hiddenSizes: [64, 64],
    });
    expect(resolveConfig(schema, { numEnvs: 8, targetKl: undefined }, "ppo")).toMatchObject({
      numEnvs: 8,
      targetKl: null,
    });
  });

  it("names the field and what is allowed", () => {
    const bad: Array<[object, RegExp]> = [
      [{ numEnv: 3 }, /^ppo\.numEnv: unknown option; allowed: learningRate, numEnvs, /],
      [{ numEnvs: 2.5 }, /^ppo\.numEnvs: expected an integer >= 1, got 2\.5$/],
      [{ numEnvs: 0 }, /^ppo\.numEnvs: expected an integer >= 1, got 0$/],
      [{ learningRate: 0 }, /^ppo\.learningRate: expected a number > 0, got 0$/],
      [{ learningRate: "fast" }, /expected a number > 0, got "fast"/],
      [{ annealLr: 1 }, /^ppo\.annealLr: expected true or false, got 1$/],
      [{ activation: "gelu" }, /^ppo\.activation: expected one of tanh, relu, got "gelu"$/],
      [{ hiddenSizes: [64, 0] }, /^ppo\.hiddenSizes: expected a list of integers >= 1/],
      [{ hiddenSizes: [] }, /^ppo\.hiddenSizes: expected a list/],
      [{ numEnvs: null }, /^ppo\.numEnvs: expected an integer >= 1, got null$/],
    ];
    for (const [given, re] of bad) {
      let err: unknown;
      try {
        resolveConfig(schema, given, "ppo");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(re);
    }
  });
});

describe("parseAssignment", () => {
  it("parses typed values from key=value", () => {
    expect(parseAssignment(schema, "learningRate=3e-4", "ppo")).toEqual(["learningRate", 3e-4]);
    expect(parseAssignment(schema, "numEnvs=1_0", "ppo")).toEqual(["numEnvs", 10]);
    expect(parseAssignment(schema, "targetKl=null", "ppo")).toEqual(["targetKl", null]);
    expect(parseAssignment(schema, "annealLr=false", "ppo")).toEqual(["annealLr", false]);
    expect(parseAssignment(schema, "activation=relu", "ppo")).toEqual(["activation", "relu"]);
    expect(parseAssignment(schema, "hiddenSizes=256,256", "ppo")).toEqual(["hiddenSizes", [256, 256]]);
    expect(parseAssignment(schema, "hiddenSizes=[32, 16]", "ppo")).toEqual(["hiddenSizes", [32, 16]]);
  });

  it("rejects unknown keys, bad values and missing '='", () => {
    expect(() => parseAssignment(schema, "lr=1", "ppo")).toThrow(
      /^ppo\.lr: unknown option; allowed: learningRate/,
    );
    expect(() => parseAssignment(schema, "numEnvs=four", "ppo")).toThrow(
      /ppo\.numEnvs: expected an integer >= 1, got "four"/,
    );
    expect(() => parseAssignment(schema, "annealLr=yes", "ppo")).toThrow(/expected true or false, got "yes"/);
    expect(() => parseAssignment(schema, "hiddenSizes=64,,64", "ppo")).toThrow(
      /hiddenSizes: expected a list/,
    );
    expect(() => parseAssignment(schema, "numEnvs", "ppo")).toThrow(/--set: expected key=value/);
    expect(() => parseAssignment(schema, "numEnvs=", "ppo")).toThrow(/expected an integer/);
  });
});
