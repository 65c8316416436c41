import type { EngineStats } from '@syfala/audio';
import type { Redundancy } from '@syfala/proto';
import type {
  ConnectTarget,
  PeerStatsReport,
  PskInput,
  ServerOffer,
  SessionEnd,
} from '@syfala/network';
import { openSession } from '@syfala/remote';
import type { ConcealmentMode } from './daemon.js';
import { startEngine, type DeviceChoice } from './engines.js';
import { defaultPlayout, type Playout } from './playout.js';

export interface StreamOptions {
  /** The client's sound card: virtual (sources for what it sends, sinks for what it receives) or JACK. */
  readonly device: DeviceChoice;
  readonly psk?: PskInput;
  /** Offer encrypted audio (docs/SECURITY.md). Default true. */
  readonly encryption?: boolean;
  /** Local address of the audio socket. Default: loopback for a loopback server, else any. */
  readonly localAddress?: string;
  /** Largest audio datagram sent, as EngineOptions has it. Default 'auto'. */
  readonly datagramBudgetBytes?: number | 'auto';
  /**
   * Jitter-buffer target and drift compensation for the server's audio. Default: what suits the
   * device's backend (defaultPlayout).
   */
  readonly playout?: Playout;
  /**
   * The rate the client's card runs at, when not the server's (a JACK server at 44.1 kHz, a
   * 48 kHz endpoint): the engine resamples, which takes drift compensation.
   */
  readonly deviceSampleRate?: number;
  /**
   * Redundant periods each way (PROTOCOL.md §7.3): asked of the server and sent to it, when it
   * offers redundancy. Default 0.
   */
  readonly redundancy?: number;
  /** What plays where the server's audio is missing (PeerSpec.concealment). Default 'fade'. */
  readonly concealment?: ConcealmentMode;
  /**
   * Resolves when streaming should stop (a duration elapsed, Ctrl-C); called once streaming,
   * with whether the audio is encrypted.
   */
  readonly until: (session: { ended: Promise<SessionEnd>; encrypted: boolean }) => Promise<unknown>;
  /** The name the server shows for this client. Default: the host name. */
  readonly clientName?: string;
  /**
   * Called about every `statsIntervalMs` while streaming, with the server's latest Stats (what
   * it gets from us), once one has come.
   */
  readonly onStats?: (stats: EngineStats, serverView: PeerStatsReport | undefined) => void;
  readonly statsIntervalMs?: number;
}

export interface StreamResult {
  readonly offer: ServerOffer;
  /** The redundancy in force while streaming (none when the server does not offer it). */
  readonly redundancy: Redundancy;
  /** Whether the audio was encrypted (both sides offered it). */
  readonly encrypted: boolean;
  /** The engine's counters just before streaming stopped. */
  readonly stats: EngineStats;
  /** The server's last Stats: what it got from us, to the end of I/O (absent if none came). */
  readonly serverView?: PeerStatsReport;
  /** Set when the session ended before `until` did (server gone, timeout). */
  readonly ended?: SessionEnd;
  /**
   * Set when this side failed while streaming, which ended the session: the sound card went
   * away (deviceLost), or a recording's file system refused a write (AudioError FILE_ERROR; the
   * file is finalised for what was written).
   */
  readonly failed?: Error;
  /** What closing the card could not free, in one sentence (StreamEngine.leftOpen). */
  readonly leftOpen?: string;
}

/**
 * `syfala connect`: opens a session with the server on the client's device (@syfala/remote's
 * openSession) and streams until `until` resolves, the session ends, or this side fails; then
 * stops, disconnects and closes the device (flushing recordings).
 */
export async function streamWith(
  target: ConnectTarget,
  options: StreamOptions,
): Promise<StreamResult> {
  const session = await openSession(target, {
    startEngine: (bind) => startEngine(options.device, bind, options.datagramBudgetBytes),
    playout: options.playout ?? defaultPlayout(options.device.backend),
    ...(options.psk !== undefined && { psk: options.psk }),
    ...(options.encryption !== undefined && { encryption: options.encryption }),
    ...(options.localAddress !== undefined && { localAddress: options.localAddress }),
    ...(options.deviceSampleRate !== undefined && { deviceSampleRate: options.deviceSampleRate }),
    ...(options.redundancy !== undefined && { redundancy: options.redundancy }),
    ...(options.concealment !== undefined && { concealment: options.concealment }),
    ...(options.clientName !== undefined && { clientName: options.clientName }),
  });
  let ticker: NodeJS.Timeout | undefined;
  let result: StreamResult;
  try {
    if (options.onStats) {
      const report = options.onStats;
      // A dead engine rejects stats: the session's outcome reports it, below.
      const tick = (): void =>
        void session.stats().then(
          (stats) => report(stats, session.peerStats()),
          () => undefined,
        );
      ticker = setInterval(tick, options.statsIntervalMs ?? 1000);
    }
    const outcome = await Promise.race([
      options
        .until({ ended: session.sessionEnd, encrypted: session.encrypted })
        .then(() => undefined),
      session.outcome,
    ]);
    clearInterval(ticker);
    // Counted while the stream is live: once it stops, the jitter buffers run dry by design.
    const stats = await session.stats();
    result = {
      offer: session.offer,
      redundancy: session.redundancy,
      encrypted: session.encrypted,
      stats,
      ...(outcome?.kind === 'failed' && { failed: outcome.error }),
      ...(outcome?.kind === 'ended' && { ended: outcome.end }),
    };
  } finally {
    clearInterval(ticker);
    await session.close();
  }
  // Read after close(): the server's final Stats arrive as I/O stops.
  const serverView = session.peerStats();
  const leftOpen = session.leftOpen;
  return {
    ...result,
    ...(serverView !== undefined && { serverView }),
    ...(leftOpen !== undefined && { leftOpen }),
  };
}
