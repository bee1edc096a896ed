/**
 * Bad input to a bench script: one line naming the flag, exit code 2, instead of a stack trace.
 * (Thrown, a ConfigError would also print the wasm backend's whole source once the backend is
 * loaded: its uncaughtException hook rethrows.) Any other error is rethrown as it is.
 *
 *   const { refuse, checked } = refuser("minatar-offline");
 *   const arch = checked(() => parseArch(ARCH, "--arch"));
 *   if (bad) refuse(new ConfigError("--n", "an integer >= 1"));
 */
import { ConfigError } from "../src/core/errors.js";

export function refuser(script: string) {
  const refuse = (e: unknown): never => {
    if (!(e instanceof ConfigError)) throw e;
    console.error(`${script}: ${e.message}`);
    process.exit(2);
  };
  /** f(), with a ConfigError it throws refused. */
  const checked = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      return refuse(e);
    }
  };
  /** The same for an async f. */
  const checkedAsync = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      return refuse(e);
    }
  };
  return { refuse, checked, checkedAsync };
}
