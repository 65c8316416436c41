import { waitForSignal } from '../../signals.js';

/** What ended streaming: Ctrl-C or a kill, --duration, or the caller's own end (stdout gone). */
export type StopCause = NodeJS.Signals | 'duration' | 'other';

/** When a session should stop, from the moment it is made to its dispose(). */
export interface SessionStop {
  /**
   * Call once streaming starts: starts --duration's clock, and resolves at the first of a
   * signal, the duration, or `other`.
   */
  until(): Promise<StopCause>;
  /** Stops listening for signals and clears the clock, whether or not anything came. */
  dispose(): void;
}

/**
 * Ctrl-C (SIGINT) and SIGTERM are caught from now on, so that they stop the session cleanly (a
 * second one, while stopping, ends the process at once); `durationMs` counts from until().
 */
export function sessionStop(options: {
  readonly durationMs?: number | undefined;
  readonly other?: Promise<unknown> | undefined;
}): SessionStop {
  const signal = waitForSignal(['SIGINT', 'SIGTERM']);
  let timer: NodeJS.Timeout | undefined;
  return {
    until: () => {
      const { durationMs, other } = options;
      const stops: Promise<StopCause>[] = [signal.received];
      if (other !== undefined) stops.push(other.then(() => 'other'));
      if (durationMs !== undefined) {
        stops.push(new Promise((resolve) => (timer = setTimeout(resolve, durationMs, 'duration'))));
      }
      return Promise.race(stops);
    },
    dispose: () => {
      clearTimeout(timer);
      signal.dispose();
    },
  };
}
