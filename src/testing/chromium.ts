/**
 * Chromium for the browser tests: Debian's /usr/bin/chromium through playwright-core, with a
 * fresh profile per run and no background network traffic. On CI a missing browser fails the run;
 * elsewhere the test is skipped with a warning.
 */
import { existsSync } from "node:fs";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** True when Chromium is installed; throws on CI when it is not, else warns that `test` is skipped. */
export function chromiumAvailable(test: string): boolean {
  const available = existsSync(CHROMIUM);
  if (!available && process.env["CI"]) {
    throw new Error(`${CHROMIUM} is missing: the browser test must run on CI (apt-get install chromium)`);
  }
  if (!available) console.warn(`WARNING: ${CHROMIUM} not found; skipping the ${test}`);
  return available;
}

/**
 * A headless Chromium context with its profile in `profileDir` (launchPersistentContext is
 * playwright's way to pass --user-data-dir).
 */
export function launchChromium(
  profileDir: string,
  opts: { viewport?: { width: number; height: number } } = {},
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, args: ARGS, ...opts });
}
