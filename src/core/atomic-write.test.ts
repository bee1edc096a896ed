import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  appendLine,
  isTempFile,
  makeFolders,
  removeTempFiles,
  setWriteFault,
  tempPathFor,
  writeFileAtomic,
  writeJsonAtomic,
  writeViaTemp,
} from "./atomic-write.js";

const dir = mkdtempSync(join(tmpdir(), "rldistill-atomic-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => setWriteFault(null));

describe("atomic writes", () => {
  it("write the whole file, leaving no temporary file", () => {
    const p = join(dir, "a.json");
    writeJsonAtomic(p, { a: 1 });
    writeFileAtomic(p, "second");
    expect(readFileSync(p, "utf8")).toBe("second");
    writeViaTemp(join(dir, "b.bin"), (tmp) => writeFileSync(tmp, Uint8Array.of(1, 2, 3)));
    expect([...readFileSync(join(dir, "b.bin"))]).toEqual([1, 2, 3]);
    expect(readdirSync(dir).filter(isTempFile)).toEqual([]);
  });

  it("a failing write (full disk) keeps the previous file and removes the temporary one", () => {
    const p = join(dir, "summary.json");
    writeFileAtomic(p, "old");
    setWriteFault({ code: "ENOSPC", match: "summary.json" });
    expect(() => writeFileAtomic(p, "new")).toThrow(/ENOSPC: no space left on device/);
    expect(readFileSync(p, "utf8")).toBe("old");
    writeFileAtomic(join(dir, "other.json"), "unaffected");
    expect(() => writeViaTemp(p, (tmp) => writeFileSync(tmp, "half"))).toThrow(
      expect.objectContaining({ code: "ENOSPC" }),
    );
    expect(readdirSync(dir).filter(isTempFile)).toEqual([]);
  });

  it("the fault can spare the first writes, and applies to appends", () => {
    const log = join(dir, "progress.jsonl");
    setWriteFault({ code: "EIO", match: "progress", after: 2 });
    appendLine(log, '{"step":1}');
    appendLine(log, '{"step":2}');
    expect(() => appendLine(log, '{"step":3}')).toThrow(/EIO/);
    expect(readFileSync(log, "utf8")).toBe('{"step":1}\n{"step":2}\n');
  });

  it("temporary names are recognised and leftovers removed", () => {
    const t = tempPathFor(join(dir, "model.rldistill"));
    expect(t).toMatch(/\.model\.rldistill\.tmp-\d+-\d+\.rldistill$/);
    writeFileSync(t, "partial");
    expect(removeTempFiles(dir)).toEqual([t.split("/").at(-1)]);
    expect(isTempFile("model.rldistill")).toBe(false);
  });

  it("makeFolders creates parents, and fails (does not spin) where mkdir cannot work", () => {
    makeFolders(join(dir, "a/b/c"));
    makeFolders(join(dir, "a/b/c")); // already there: nothing to do
    expect(readdirSync(join(dir, "a/b"))).toEqual(["c"]);
    writeFileSync(join(dir, "f"), "x");
    expect(() => makeFolders(join(dir, "f/sub"))).toThrow(expect.objectContaining({ code: "ENOTDIR" }));
    // /proc answers ENOENT under a parent that exists: Node's recursive mkdirSync loops forever there.
    expect(() => makeFolders("/proc/rldistill-no/such")).toThrow(
      expect.objectContaining({ code: "ENOENT", path: "/proc/rldistill-no" }),
    );
  });
});
