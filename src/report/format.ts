/**
 * Number formatting for report tables, the same in HTML and Markdown. Missing values print as an
 * en dash so a column lines up even where a run did not record the figure.
 */

export const MISSING = "–";

function group(intStr: string): string {
  return intStr.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** General-purpose: grouped integers, fewer decimals as magnitude grows, 3 significant digits below 1. */
export function fmt(x: number | undefined | null): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return MISSING;
  const a = Math.abs(x);
  const sign = x < 0 ? "-" : "";
  if (Number.isInteger(x) || a >= 1000) return sign + group(Math.round(a).toString());
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a === 0) return "0";
  return Number(x.toPrecision(3)).toString();
}

export function fmtMeanStd(mean: number | undefined, sd: number | undefined): string {
  if (mean === undefined) return MISSING;
  return sd === undefined ? fmt(mean) : `${fmt(mean)} ± ${fmt(sd)}`;
}

export function fmtPct(x: number | undefined | null): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return MISSING;
  return `${(100 * x).toFixed(1)}%`;
}

/** Binary units, as file sizes are usually shown. */
export function fmtBytes(x: number | undefined | null): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return MISSING;
  if (x < 1024) return `${Math.round(x)} B`;
  if (x < 1024 * 1024) return `${(x / 1024).toFixed(1)} KiB`;
  return `${(x / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Compact SI form for large counts (FLOPs): 8960 -> "8.96 k". */
export function fmtSI(x: number | undefined | null): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return MISSING;
  const units: [number, string][] = [
    [1e9, "G"],
    [1e6, "M"],
    [1e3, "k"],
  ];
  for (const [scale, unit] of units) {
    if (Math.abs(x) >= scale) return `${Number((x / scale).toPrecision(3))} ${unit}`;
  }
  return fmt(x);
}

/** A config value as one short line. */
export function fmtValue(v: unknown): string {
  if (v === undefined) return MISSING;
  if (typeof v === "string") return v;
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : MISSING;
  return JSON.stringify(v);
}
