/** PROTOCOL.md §9: every side sends a heartbeat this often, whatever the I/O state. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 100;
/** PROTOCOL.md §9: silence this long from the peer ends the session with reason `timeout`. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 600;

export interface HeartbeatOptions {
  /** Milliseconds between heartbeats sent. */
  readonly intervalMs?: number;
  /** Milliseconds of silence from the peer after which the session ends. */
  readonly timeoutMs?: number;
}

/** The sender's monotonic clock in µs, for the heartbeat's `senderTimeUs` (far below 2^53). */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * Sends heartbeats on a fixed period and ends the session when the peer has been silent for the
 * timeout. Any valid message from the peer counts as a sign of life (`heard()`).
 */
export class Liveness {
  readonly #send: (sequence: number, senderTimeUs: number) => void;
  readonly #timedOut: () => void;
  readonly #interval: NodeJS.Timeout;
  readonly #watchdog: NodeJS.Timeout;
  #sequence = 0;

  constructor(
    options: HeartbeatOptions,
    send: (sequence: number, senderTimeUs: number) => void,
    timedOut: () => void,
  ) {
    const intervalMs = options.intervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    const timeoutMs = options.timeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
    this.#send = send;
    this.#timedOut = timedOut;
    // Timers don't hold the process open: the session's sockets decide that.
    this.#interval = setInterval(() => this.#beat(), intervalMs).unref();
    this.#watchdog = setTimeout(() => this.#timedOut(), timeoutMs).unref();
    this.#beat();
  }

  /** The peer said something: restart the silence clock. */
  heard(): void {
    this.#watchdog.refresh();
  }

  stop(): void {
    clearInterval(this.#interval);
    clearTimeout(this.#watchdog);
  }

  #beat(): void {
    this.#send(this.#sequence, monotonicMicros());
    this.#sequence = (this.#sequence + 1) >>> 0;
  }
}
