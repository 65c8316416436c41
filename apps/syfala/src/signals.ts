/** A wait for the first of some signals, handled once. */
export interface SignalWait {
  /** Resolves with the first signal received. */
  readonly received: Promise<NodeJS.Signals>;
  /** Stops listening (call it when done, whether or not a signal came). */
  dispose(): void;
}

/**
 * Listens for `signals` until the first arrives, then stops listening: a second Ctrl-C while
 * shutting down gets Node's default handling and ends the process at once.
 */
export function waitForSignal(signals: readonly NodeJS.Signals[]): SignalWait {
  let dispose = (): void => {};
  const received = new Promise<NodeJS.Signals>((resolve) => {
    const handler = (signal: NodeJS.Signals): void => {
      dispose();
      resolve(signal);
    };
    for (const signal of signals) process.on(signal, handler);
    dispose = () => {
      for (const signal of signals) process.off(signal, handler);
    };
  });
  return { received, dispose };
}
