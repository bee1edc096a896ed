/**
 * How a worker thread's bootstrap imports its entry module, shared by the vector env's workers
 * (src/envs/vector) and the search's trial threads (src/search/queue).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * The JavaScript expression (a promise) that imports `<name>.js` beside `moduleUrl` in the built
 * package, or `<name>.ts` when running from sources (vitest, tsx). From sources it first registers
 * tsx (a devDependency) in the worker itself: on Node 20, `--import tsx` in a worker's execArgv
 * does not make the worker's imports of .ts files work.
 */
export function workerEntryImport(moduleUrl: string, name: string): string {
  const fromSource = moduleUrl.endsWith(".ts");
  const entry = JSON.stringify(new URL(`./${name}${fromSource ? ".ts" : ".js"}`, moduleUrl).href);
  if (!fromSource) return `import(${entry})`;
  const tsxApi = JSON.stringify(pathToFileURL(tsxEsmApiPath()).href);
  return `import(${tsxApi}).then((tsx) => { tsx.register(); return import(${entry}); })`;
}

/** tsx's ESM API file (its "import" export; require.resolve would give the CommonJS one). */
function tsxEsmApiPath(): string {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve("tsx/package.json");
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as {
    exports: Record<string, { import: { default: string } }>;
  };
  return join(dirname(pkgPath), pkg.exports["./esm/api"]!.import.default);
}
