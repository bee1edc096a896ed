import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LOCK_FILE, type LockInfo, openRunFolder, RunLockedError, readLock } from "./run-dir.js";

const root = mkdtempSync(join(tmpdir(), "rldistill-rundir-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The pid of a process that has exited (so a lock naming it is stale). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(r.stdout.toString());
}

function lockOf(pid: number, host = hostname()): LockInfo {
  return {
    pid,
    host,
    command: "rldistill train (old)",
    started: "2020-01-01T00:00:00.000Z",
    id: "feedfacecafebeef",
  };
}

describe("run folders: lock", () => {
  it("takes the lock, refuses a second run into the folder, releases", () => {
    const dir = join(root, "a");
    const run = openRunFolder(dir, { command: "first" });
    const lock = readLock(join(dir, LOCK_FILE))!;
    expect(lock).toMatchObject({ pid: process.pid, host: hostname(), command: "first" });
    expect(() => openRunFolder(dir, { mode: "add" })).toThrow(RunLockedError);
    expect(() => openRunFolder(dir, { mode: "add" })).toThrow(
      /in use by another run of this process \(first/,
    );
    run.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    run.release(); // idempotent
    openRunFolder(dir, { mode: "add" }).release();
  });

  it("a lock of a live process elsewhere is refused, naming its pid", async () => {
    const dir = join(root, "live");
    mkdirSync(dir);
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 20000)"], { stdio: "ignore" });
    try {
      writeFileSync(join(dir, LOCK_FILE), JSON.stringify(lockOf(child.pid!)));
      expect(() => openRunFolder(dir, { mode: "add" })).toThrow(
        new RegExp(`in use by pid ${child.pid} on ${hostname()} \\(rldistill train \\(old\\)`),
      );
    } finally {
      child.kill("SIGKILL");
    }
    await new Promise((r) => child.on("close", r));
  });

  it("a stale lock (process gone) is removed and reported", () => {
    const dir = join(root, "stale");
    mkdirSync(dir);
    const pid = deadPid();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(lockOf(pid)));
    const run = openRunFolder(dir, { mode: "add", command: "second" });
    expect(run.notes.join("\n")).toMatch(new RegExp(`removed a stale lock of pid ${pid} .*no longer runs`));
    expect(readLock(join(dir, LOCK_FILE))).toMatchObject({ pid: process.pid, command: "second" });
    run.release();
  });

  it("a lock from another host cannot be checked: refused, with how to clear it", () => {
    const dir = join(root, "remote");
    mkdirSync(dir);
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(lockOf(1, "some-other-host")));
    expect(() => openRunFolder(dir, { mode: "add" })).toThrow(/pid 1 on some-other-host.*delete .*run\.lock/);
  });

  it("a foreign run.lock is not taken over", () => {
    const dir = join(root, "foreign");
    mkdirSync(dir);
    writeFileSync(join(dir, LOCK_FILE), "mine");
    expect(() => openRunFolder(dir, { mode: "add" })).toThrow(/not an rldistill lock/);
  });
});

describe("run folders: contract", () => {
  it("new: refuses a folder with files, naming --resume and --overwrite", () => {
    const dir = join(root, "full");
    mkdirSync(dir);
    writeFileSync(join(dir, "config.json"), "{}");
    expect(() => openRunFolder(dir)).toThrow(
      /--out: .*full already holds files \(config\.json\); pass --resume .* or --overwrite/,
    );
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    openRunFolder(join(root, "fresh")).release();
    mkdirSync(join(root, "empty"));
    openRunFolder(join(root, "empty")).release();
  });

  it("overwrite empties a run folder, and refuses one that holds other files", () => {
    const dir = join(root, "over");
    mkdirSync(join(dir, "checkpoints"), { recursive: true });
    for (const f of ["config.json", "summary.json", "eval.json", "best_model.rldistill", "checkpoints/x"])
      writeFileSync(join(dir, f), "old");
    const run = openRunFolder(dir, { mode: "overwrite" });
    expect(readdirSync(dir)).toEqual([LOCK_FILE]);
    run.release();
    const notes = join(root, "notes");
    mkdirSync(notes);
    writeFileSync(join(notes, "thesis.tex"), "precious");
    expect(() => openRunFolder(notes, { mode: "overwrite" })).toThrow(/not an rldistill run \(thesis\.tex\)/);
    expect(readFileSync(join(notes, "thesis.tex"), "utf8")).toBe("precious");
  });

  it("resume needs a run; a file is not a folder", () => {
    expect(() => openRunFolder(join(root, "none"), { mode: "resume" })).toThrow(
      /--resume: .* no run to resume/,
    );
    writeFileSync(join(root, "file"), "x");
    expect(() => openRunFolder(join(root, "file"))).toThrow(/--out: .*file is a file, not a folder/);
  });

  it("removes partial files left by a killed writer, and writes atomically", () => {
    const dir = join(root, "partial");
    mkdirSync(dir);
    writeFileSync(join(dir, "config.json"), "{}");
    writeFileSync(join(dir, ".summary.json.tmp-999-3"), '{"half');
    const run = openRunFolder(dir, { mode: "resume" });
    expect(run.notes.join()).toMatch(/removed 1 partial file.*\.summary\.json\.tmp-999-3/);
    run.writeJson("summary.json", { ok: true });
    expect(JSON.parse(readFileSync(run.path("summary.json"), "utf8"))).toEqual({ ok: true });
    expect(readdirSync(dir).sort()).toEqual(["config.json", LOCK_FILE, "summary.json"]);
    run.release();
  });

  it("a lock is released when the process exits without releasing it", () => {
    const dir = join(root, "exit");
    const code = [
      `const { openRunFolder } = await import(${JSON.stringify(new URL("./run-dir.ts", import.meta.url).href)});`,
      `openRunFolder(${JSON.stringify(dir)}, { command: "child" });`,
      "process.exit(3);",
    ].join("\n");
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
      cwd: join(import.meta.dirname, "../.."),
    });
    expect(r.status).toBe(3);
    expect(readdirSync(dir)).toEqual([]);
  });
});
