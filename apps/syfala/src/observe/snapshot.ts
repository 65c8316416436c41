import type { EngineStats } from '@syfala/audio';
import type { ServerStats } from '@syfala/network';
import type { Daemon } from '../daemon.js';
import { summarizeSessions, type SessionSummary } from './session-summary.js';

/** The daemon's state at one moment: what a scrape, a status request or a history sample reads. */
export interface DaemonSnapshot {
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly server: ServerStats;
  readonly engine: EngineStats;
  readonly sessions: readonly SessionSummary[];
}

/**
 * Reads the daemon's state; requests that arrive while a read is under way share it, so many
 * status pages polling at once ask the engine once.
 */
export class Snapshots {
  readonly #daemon: Daemon;
  #pending: Promise<DaemonSnapshot> | undefined;

  constructor(daemon: Daemon) {
    this.#daemon = daemon;
  }

  take(): Promise<DaemonSnapshot> {
    this.#pending ??= this.#read().finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  async #read(): Promise<DaemonSnapshot> {
    const { server, engine } = this.#daemon;
    const stats = await engine.stats();
    return {
      time: Date.now(),
      server: server.stats(),
      engine: stats,
      // The sessions open once the engine has answered, with its counters of their peers.
      sessions: summarizeSessions(server.sessions, stats, server.formats),
    };
  }
}
