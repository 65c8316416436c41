import {
  readStatsReport,
  type PeerSpec,
  type SinkFailure,
  type StatsReport,
  type StreamEngine,
} from '@syfala/audio';
import {
  SyfalaServer,
  type ServerDiscoveryOptions,
  type ServerSession,
  type PskInput,
} from '@syfala/network';
import { MAX_REDUNDANCY_PERIODS, type DisconnectReason, type StreamFormats } from '@syfala/proto';
import { startEngine, type DeviceChoice } from './engines.js';
import { defaultPlayout, peerPlayout, type Playout } from './playout.js';
import { atRate, serverRoutes } from '@syfala/remote';

export interface DaemonOptions {
  readonly name: string;
  readonly id?: string;
  readonly formats: StreamFormats;
  /** Address every socket binds to. Default 0.0.0.0. */
  readonly host?: string;
  readonly udpPort?: number;
  readonly controlPort?: number | false;
  /** The audio engine's UDP port. Default: a free one (announced in the Welcome). */
  readonly audioPort?: number;
  /** Largest audio datagram sent, as EngineOptions has it. Default 'auto'. */
  readonly datagramBudgetBytes?: number | 'auto';
  readonly psk?: PskInput;
  /** Encrypt every TCP-control client's audio that offers it (docs/SECURITY.md). Default true. */
  readonly encryption?: boolean;
  readonly maxSessions?: number;
  readonly discovery?: ServerDiscoveryOptions;
  /** The sound card: backend and its options (sources and sinks, or JACK ports). */
  readonly device: DeviceChoice;
  /**
   * Jitter-buffer target and drift compensation for every client's audio. Default: what suits
   * the backend (defaultPlayout: adaptive with drift compensation on JACK and CoreAudio, 480
   * frames fixed on the virtual card).
   */
  readonly playout?: Playout;
  /**
   * The rate the sound card runs at, when not the streams' (a JACK server at 44.1 kHz serving
   * 48 kHz streams): the engine resamples, which takes drift compensation.
   */
  readonly deviceSampleRate?: number;
  /** What plays where a client's audio is missing (PeerSpec.concealment). Default 'fade'. */
  readonly concealment?: ConcealmentMode;
  /**
   * Hears of a virtual card's WAV sink that stopped on a write failure (a full disk): its file
   * is finalised, and the card and every session go on without it. Without a listener, close()
   * rejects with it.
   */
  readonly onSinkFailed?: (failure: SinkFailure) => void;
}

export type ConcealmentMode = NonNullable<PeerSpec['concealment']>;
export const CONCEALMENT_MODES = ['fade', 'silence'] as const satisfies readonly ConcealmentMode[];

/** `syfala serve`: a device exposed as a Syfala server, streaming with every client that starts I/O. */
export class Daemon {
  readonly server: SyfalaServer;
  readonly engine: StreamEngine;
  readonly #views: WeakMap<ServerSession, StatsReport>;
  #closing: Promise<void> | undefined;

  private constructor(
    server: SyfalaServer,
    engine: StreamEngine,
    views: WeakMap<ServerSession, StatsReport>,
  ) {
    this.server = server;
    this.engine = engine;
    this.#views = views;
  }

  /**
   * The engine's last view of a session's client (what the daemon sent it and got from it), as
   * its Stats carry it: read each second while it streams and once as its I/O stops, so it
   * holds the session's totals once it has ended. Undefined before it first streamed.
   */
  localView(session: ServerSession): StatsReport | undefined {
    return this.#views.get(session);
  }

  static async start(options: DaemonOptions): Promise<Daemon> {
    const host = options.host ?? '0.0.0.0';
    const { engine, openDevice } = await startEngine(
      options.device,
      { address: host, port: options.audioPort ?? 0 },
      options.datagramBudgetBytes,
    );
    const views = new WeakMap<ServerSession, StatsReport>();
    // Read now (a stopping session removes its peer next), and kept for localView().
    const readView = async (session: ServerSession): Promise<StatsReport | undefined> => {
      const view = await readStatsReport(engine, peerId(session), 'server');
      if (view !== undefined) views.set(session, view);
      return view;
    };
    try {
      await openDevice(atRate(options.formats, options.deviceSampleRate), options.onSinkFailed);
      const routes = serverRoutes(options.formats);
      const playout = peerPlayout(
        options.playout ?? defaultPlayout(options.device.backend),
        engine.device!,
        routes.receive.map((route) => route.format),
      );
      const server = await SyfalaServer.listen({
        name: options.name,
        ...(options.id !== undefined && { id: options.id }),
        formats: options.formats,
        host,
        ...(options.udpPort !== undefined && { udpPort: options.udpPort }),
        ...(options.controlPort !== undefined && { controlPort: options.controlPort }),
        ...(options.psk !== undefined && { psk: options.psk }),
        ...(options.encryption !== undefined && { encryption: options.encryption }),
        ...(options.maxSessions !== undefined && { maxSessions: options.maxSessions }),
        ...(options.discovery !== undefined && { discovery: options.discovery }),
        audioPort: engine.port,
        // Both engines send redundancy (PROTOCOL.md §7.3): grant whatever a client asks.
        maxRedundancy: MAX_REDUNDANCY_PERIODS,
        io: {
          // The device clock already runs: adding the peer is all "ready now" takes.
          startIo: (session) => {
            const security = session.audioSecurity;
            session.setStatsProvider(() => readView(session));
            return engine.addPeer({
              id: peerId(session),
              address: session.client.address,
              port: session.client.udpAudioPort,
              ...routes,
              ...playout,
              ...(options.concealment !== undefined && { concealment: options.concealment }),
              sending: true,
              redundancy: session.redundancy.serverToClient,
              // This run's keys (docs/SECURITY.md), when the client's audio is encrypted.
              ...(security !== undefined && { security }),
            });
          },
          // The totals to the end, also when the client hung up without stopping I/O first.
          stopIo: (session) =>
            readView(session).then(
              () => engine.removePeer(peerId(session)),
              () => engine.removePeer(peerId(session)),
            ),
        },
      });
      return new Daemon(server, engine, views);
    } catch (error) {
      await engine.close();
      throw error;
    }
  }

  get events$(): SyfalaServer['events$'] {
    return this.server.events$;
  }

  /**
   * Disconnects every client (SyfalaServer.close: 'shutdown' unless told otherwise), then stops
   * the device and closes every socket.
   */
  close(reason?: DisconnectReason, text?: string): Promise<void> {
    this.#closing ??= this.server.close(reason, text).then(() => this.engine.close());
    return this.#closing;
  }
}

export function peerId(session: ServerSession): string {
  return `${session.client.address}:${session.client.udpAudioPort}`;
}
