/**
 * Training logs as Stable-Baselines3 writes them: `record(key, value)` any number of times, then
 * `dump(step)` sends one row to every writer and clears the row. Keys are namespaced
 * (`rollout/ep_rew_mean`, `train/policy_loss`, `time/fps`, `eval/mean_reward`).
 *
 *   const logger = new Logger([new ConsoleWriter(), new JsonlWriter("run/progress.jsonl")]);
 *   logger.record("train/loss", 0.5);
 *   logger.dump(2048);
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, extname } from "node:path";
import { appendLine, writeFileAtomic } from "./atomic-write.js";

export type LogValue = number | string;
export type LogRow = Record<string, LogValue>;

export interface LogWriter {
  write(step: number, row: LogRow): void;
  close(): void;
}

export class Logger {
  readonly writers: LogWriter[];
  private row: LogRow = {};
  private sums = new Map<string, { sum: number; n: number }>();
  /** The last dumped row (with its step), for summaries and tests. */
  last: LogRow & { step?: number } = {};

  constructor(writers: LogWriter[] = []) {
    this.writers = writers;
  }

  record(key: string, value: LogValue): void {
    this.row[key] = value;
  }

  /** Records the mean of every value given for `key` before the next dump. */
  recordMean(key: string, value: number): void {
    const s = this.sums.get(key) ?? { sum: 0, n: 0 };
    s.sum += value;
    s.n++;
    this.sums.set(key, s);
  }

  dump(step: number): void {
    for (const [key, s] of this.sums) this.row[key] = s.sum / s.n;
    this.sums.clear();
    if (Object.keys(this.row).length === 0) return;
    const row = this.row;
    for (const w of this.writers) w.write(step, row);
    this.last = { step, ...row };
    this.row = {};
  }

  close(): void {
    for (const w of this.writers) w.close();
  }
}

function formatValue(v: LogValue): string {
  if (typeof v === "string") return v;
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}

/** SB3-style table grouped by namespace, to stdout (or any line sink). */
export class ConsoleWriter implements LogWriter {
  private readonly print: (line: string) => void;
  constructor(print: (line: string) => void = (l) => console.log(l)) {
    this.print = print;
  }

  write(step: number, row: LogRow): void {
    const entries: Array<[string, string]> = [["time/total_timesteps", String(step)]];
    for (const [k, v] of Object.entries(row))
      if (k !== "time/total_timesteps") entries.push([k, formatValue(v)]);
    entries.sort(([a], [b]) => a.localeCompare(b));
    const lines: Array<[string, string]> = [];
    let group = "";
    for (const [k, v] of entries) {
      const slash = k.indexOf("/");
      const g = slash >= 0 ? k.slice(0, slash) : "";
      if (g !== group) {
        lines.push([`${g}/`, ""]);
        group = g;
      }
      lines.push([`    ${slash >= 0 ? k.slice(slash + 1) : k}`, v]);
    }
    const kw = Math.max(...lines.map(([k]) => k.length));
    const vw = Math.max(...lines.map(([, v]) => v.length));
    const rule = "-".repeat(kw + vw + 7);
    this.print(rule);
    for (const [k, v] of lines) this.print(`| ${k.padEnd(kw)} | ${v.padEnd(vw)} |`);
    this.print(rule);
  }

  close(): void {}
}

/**
 * One JSON object per dump, with its `step`, appended to a file (`progress.jsonl`), one write per
 * row (a killed run leaves whole rows).
 */
export class JsonlWriter implements LogWriter {
  readonly path: string;
  constructor(path: string, opts: { append?: boolean } = {}) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    if (!opts.append || !existsSync(path)) writeFileAtomic(path, "");
  }

  write(step: number, row: LogRow): void {
    appendLine(this.path, JSON.stringify({ step, ...row }));
  }

  close(): void {}
}

function csvCell(v: LogValue | undefined): string {
  if (v === undefined) return "";
  if (typeof v === "number") return String(v);
  return /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/**
 * `progress.csv` with a `step` column then one column per key. A key that appears later adds a
 * column: the file is rewritten with the wider header (rows are few, one per dump).
 */
export class CsvWriter implements LogWriter {
  readonly path: string;
  private keys: string[] = ["step"];
  private rows: LogRow[] = [];

  constructor(path: string, opts: { append?: boolean } = {}) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    if (opts.append && existsSync(path)) {
      const lines = readFileSync(path, "utf8")
        .split("\n")
        .filter((l) => l.length > 0);
      if (lines.length > 0) {
        this.keys = parseCsvLine(lines[0]!);
        for (const line of lines.slice(1)) {
          const cells = parseCsvLine(line);
          const row: LogRow = {};
          this.keys.forEach((k, j) => {
            const c = cells[j] ?? "";
            if (c !== "") row[k] = Number.isNaN(Number(c)) ? c : Number(c);
          });
          this.rows.push(row);
        }
      }
    } else writeFileAtomic(path, "");
  }

  write(step: number, row: LogRow): void {
    const full: LogRow = { step, ...row };
    const newKeys = Object.keys(full).filter((k) => !this.keys.includes(k));
    this.rows.push(full);
    if (newKeys.length > 0 || this.rows.length === 1) {
      this.keys.push(...newKeys);
      const text = [
        this.keys.join(","),
        ...this.rows.map((r) => this.keys.map((k) => csvCell(r[k])).join(",")),
      ];
      writeFileAtomic(this.path, `${text.join("\n")}\n`);
    } else {
      appendLine(this.path, this.keys.map((k) => csvCell(full[k])).join(","));
    }
  }

  close(): void {}
}

/**
 * Cuts a progress log (`.jsonl`, or `.csv` with a `step` column) back to the rows with
 * step <= `maxStep`, and drops a last line cut short by a killed writer: a resumed run continues
 * the log from the step it restored, so the curve never runs past the model. Atomic; returns the
 * number of rows removed. A missing file is left missing.
 */
export function truncateProgress(path: string, maxStep: number): number {
  if (!existsSync(path)) return 0;
  const lines = readFileSync(path, "utf8").split("\n");
  if (lines.at(-1) === "") lines.pop();
  const csv = extname(path).toLowerCase() === ".csv";
  const header = csv ? lines.shift() : undefined;
  const col = header === undefined ? -1 : parseCsvLine(header).indexOf("step");
  const stepOf = (line: string): number | undefined => {
    if (csv) {
      const v = Number(parseCsvLine(line)[col]);
      return col >= 0 && line !== "" && Number.isFinite(v) ? v : undefined;
    }
    try {
      const v = (JSON.parse(line) as { step?: unknown }).step;
      return typeof v === "number" ? v : undefined;
    } catch {
      return undefined;
    }
  };
  const kept = lines.filter((l) => {
    const step = stepOf(l);
    return step !== undefined && step <= maxStep;
  });
  const out = header === undefined ? kept : [header, ...kept];
  writeFileAtomic(path, out.length ? `${out.join("\n")}\n` : "");
  return lines.length - kept.length;
}
