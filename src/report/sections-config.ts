/** The resolved-config section of a report: every run's config flattened, keys that differ between runs highlighted. */
import { fmtValue } from "./format.js";
import { isObject, type JsonObject, type RunData } from "./load.js";
import type { Block, Section, Table } from "./model.js";

/** Nested keys joined with dots; arrays kept whole (they are values, e.g. layer sizes). */
export function flatten(
  obj: JsonObject,
  prefix = "",
  out: Map<string, unknown> = new Map(),
): Map<string, unknown> {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isObject(v) && Object.keys(v).length) flatten(v, key, out);
    else out.set(key, v);
  }
  return out;
}

export function configSection(runs: RunData[]): Section | null {
  const withConfig = runs.filter((r) => r.config);
  if (!withConfig.length) return null;
  const flats = runs.map((r) => (r.config ? flatten(r.config) : new Map<string, unknown>()));
  const keys = [...new Set(flats.flatMap((f) => [...f.keys()]))].sort();
  const rows = keys.map((k) => [k, ...flats.map((f) => fmtValue(f.get(k)))]);
  const highlight = runs.length > 1 ? rows.map((r) => new Set(r.slice(1)).size > 1) : undefined;
  const t: Table = {
    columns: ["Key", ...(runs.length > 1 ? runs.map((r) => r.name) : ["Value"])],
    numeric: [false, ...runs.map(() => false)],
    rows,
    highlight,
  };
  const blocks: Block[] = [{ kind: "table", table: t, collapsed: keys.length > 40 }];
  if (highlight?.some(Boolean))
    blocks.unshift({ kind: "note", text: "Highlighted keys differ between runs." });
  return { id: "config", title: "Resolved config", blocks };
}
