/**
 * A jackd's xruns, counted from what it prints (jackd2 1.9.21, dummy driver): the bench tells a
 * bridge's glitches from the server's own with them.
 */

/** Xruns a server has reported so far. */
export interface JackXruns {
  /**
   * Cycles that began before the last one's graph had finished: some client had not run
   * ("JackAudioDriver::ProcessGraphAsyncMaster: Process error", one line a cycle).
   */
  graphLate: number;
  /**
   * Cycles the driver itself woke late: the server's own time lost
   * ("JackTimedDriver::Process XRun").
   */
  driverLate: number;
}

const GRAPH_LATE = /ProcessGraphAsync\w*: Process error/;
const DRIVER_LATE = /JackTimedDriver::Process XRun/;

/** Counts the xrun lines of one jackd's output, fed line by line. */
export class JackXrunLog {
  #counts: JackXruns = { graphLate: 0, driverLate: 0 };

  line(text: string): void {
    if (GRAPH_LATE.test(text)) this.#counts.graphLate++;
    else if (DRIVER_LATE.test(text)) this.#counts.driverLate++;
  }

  /** The counts so far (a copy). */
  get counts(): JackXruns {
    return { ...this.#counts };
  }
}

/** What happened between two readings of the counts (null if either is). */
export function xrunsBetween(start: JackXruns | null, end: JackXruns | null): JackXruns | null {
  if (start === null || end === null) return null;
  return {
    graphLate: end.graphLate - start.graphLate,
    driverLate: end.driverLate - start.driverLate,
  };
}
