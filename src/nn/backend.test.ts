import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../core/errors.js";
import { activeBackend, defaultBackend, initBackend, tf } from "./backend.js";

const saved = process.env.RLDISTILL_BACKEND;
afterEach(async () => {
  if (saved === undefined) delete process.env.RLDISTILL_BACKEND;
  else process.env.RLDISTILL_BACKEND = saved;
  await initBackend("wasm");
});

describe("initBackend", () => {
  it("defaults to wasm, honours RLDISTILL_BACKEND, and rejects unknown names by field", async () => {
    delete process.env.RLDISTILL_BACKEND;
    expect(defaultBackend()).toBe("wasm");
    process.env.RLDISTILL_BACKEND = "cpu";
    expect(await initBackend()).toBe("cpu");
    expect(activeBackend()).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
    process.env.RLDISTILL_BACKEND = "webgl";
    expect(() => defaultBackend()).toThrow(ConfigError);
    expect(() => defaultBackend()).toThrow(/RLDISTILL_BACKEND: unknown backend "webgl"; allowed: wasm, cpu/);
    await expect(initBackend("gpu" as "cpu")).rejects.toThrow(/backend: unknown backend "gpu"/);
  });

  it("is idempotent and loads the wasm binary from node_modules", async () => {
    expect(await initBackend("wasm")).toBe("wasm");
    expect(await initBackend("wasm")).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    const y = tf.tidy(() => Array.from(tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).dataSync()));
    expect(y).toEqual([3, 3, 3, 3]);
  });
});
