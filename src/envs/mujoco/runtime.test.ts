import { expect, test } from "vitest";
import { make, prepareEnv } from "../registry.js";
import { isMujocoLoaded } from "./runtime.js";

// Its own file: vitest gives each file a fresh module graph, so the engine is not loaded yet here.
test("make() before the engine is loaded says what to call; prepareEnv loads it", async () => {
  expect(isMujocoLoaded()).toBe(false);
  expect(() => make("Hopper-v5")).toThrow(/Hopper.*await prepareEnv\(id\)/);
  await prepareEnv("CartPole-v1"); // nothing to load for classic control
  expect(isMujocoLoaded()).toBe(false);
  await prepareEnv("Hopper-v5");
  expect(isMujocoLoaded()).toBe(true);
  make("Hopper-v5").close();
});
