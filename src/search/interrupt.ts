/**
 * Ctrl-C for long coordinators (search, federated, worker): the first SIGINT aborts the returned
 * signal (the run stops at once and saves what it has), a second one exits at once with 130.
 */
export interface Interrupt {
  signal: AbortSignal;
  remove: () => void;
}

export function installInterrupt(print: (line: string) => void): Interrupt {
  const controller = new AbortController();
  const handler = () => {
    if (controller.signal.aborted) process.exit(130);
    print("interrupted: stopping and saving (Ctrl-C again to quit at once)...");
    controller.abort();
  };
  process.on("SIGINT", handler);
  return { signal: controller.signal, remove: () => process.off("SIGINT", handler) };
}
