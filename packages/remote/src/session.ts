import {
  AudioError,
  describeSinkFailure,
  readStatsReport,
  type DeviceStreams,
  type EngineStats,
  type SinkFailure,
  type StreamEngine,
} from '@syfala/audio';
import { REDUNDANCY_CAPABILITY, type Redundancy, type StreamFormats } from '@syfala/proto';
import {
  connect,
  type ConnectTarget,
  type PeerStatsReport,
  type PskInput,
  type ServerOffer,
  type SessionEnd,
  type Streaming,
} from '@syfala/network';
import type { ConcealmentMode } from '@syfala/dataplane';
import { peerPlayout, type Playout } from './playout.js';
import { atRate, clientDeviceStreams, clientRoutes } from './routes.js';

const SERVER_PEER = 'server';

/** An engine whose socket is bound (its port goes in the handshake) and whose device opens later. */
export interface StartedEngine {
  readonly engine: StreamEngine;
  /**
   * Opens the device for these streams (known once the formats are agreed). `onSinkFailed`
   * hears of a virtual card's WAV sink that stopped on a write failure (native cards have none).
   */
  openDevice(streams: DeviceStreams, onSinkFailed?: (failure: SinkFailure) => void): Promise<void>;
  /** Settles if the device's processor throws (an engine that runs one: AudioEngine). */
  readonly processorFailed?: Promise<Error>;
}

export interface SessionOptions {
  /** Starts the engine that drives this side's sound card, its audio socket bound there. */
  readonly startEngine: (bind: { readonly address: string }) => Promise<StartedEngine>;
  /** Jitter-buffer target and drift compensation for the server's audio. */
  readonly playout: Playout;
  readonly psk?: PskInput;
  /**
   * Offer encrypted audio (docs/SECURITY.md): the session's `encrypted` says whether the server
   * took it. Default true; false for clear audio (measurement, or an old server that requires a
   * pre-shared key).
   */
  readonly encryption?: boolean;
  /** Local address of the audio socket. Default: loopback for a loopback server, else any. */
  readonly localAddress?: string;
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
  /** The name the server shows for this client (Hello `clientName`). Default: the host name. */
  readonly clientName?: string;
}

/** How a session stopped: close() was called, the session ended on its own, or this side failed. */
export type SessionOutcome =
  | { readonly kind: 'closed' }
  /** The server ended it, or it timed out: SessionEnd says who and why. */
  | { readonly kind: 'ended'; readonly end: SessionEnd }
  /**
   * This side failed, which ends the session: the sound card went away (engine.deviceLost), a
   * recording's file system refused a write (AudioError FILE_ERROR; the file keeps what was
   * written), or the app's processor threw (AudioError PROCESSOR_FAILED).
   */
  | { readonly kind: 'failed'; readonly error: Error };

/** A streaming session with a server, this side's card open and running. */
export interface RemoteSession {
  readonly offer: ServerOffer;
  /** The server's formats: its inputs are what this side receives, its outputs what it sends. */
  readonly formats: StreamFormats;
  /** The redundancy in force (none when the server does not offer it). */
  readonly redundancy: Redundancy;
  /**
   * Whether the audio is encrypted both ways (docs/SECURITY.md): both sides offered it. With a
   * pre-shared key, its keys are bound to that key.
   */
  readonly encrypted: boolean;
  /** When and how the control session ended, whoever ended it (close() too). */
  readonly sessionEnd: Promise<SessionEnd>;
  /**
   * Settles once, with the first of: the session ending on its own, this side failing, close().
   * It never rejects. A session that ended or failed still needs close() to release the card.
   */
  readonly outcome: Promise<SessionOutcome>;
  /** The engine's counters (they keep the last values once the stream has stopped). */
  stats(): Promise<EngineStats>;
  /**
   * The server's latest Stats: what it gets from this client, as it measures it (its final ones
   * arrive as close() stops I/O). Undefined until the first, a second after I/O started.
   */
  peerStats(): PeerStatsReport | undefined;
  /** After close(): what the card's engine could not free, in one sentence (StreamEngine.leftOpen). */
  readonly leftOpen: string | undefined;
  /**
   * Stops sending, stops I/O and disconnects (telling the server 'device-lost' when the card
   * went away), then closes the card, flushing recordings. Idempotent. Rejects only when a
   * recording could not be finalised (AudioError FILE_ERROR).
   */
  close(): Promise<void>;
}

/**
 * Connects over TCP control, opens this side's card for the server's formats, adds the server as
 * the engine's peer and starts I/O. Receiving is set up before asking to start, so nothing the
 * server sends from byte 0 is missed; sending starts when the server has said ok. A failure on
 * the way leaves nothing open.
 */
export async function openSession(
  target: ConnectTarget,
  options: SessionOptions,
): Promise<RemoteSession> {
  const loopback = /^127\./.test(target.host);
  const started = await options.startEngine({
    address: options.localAddress ?? (loopback ? '127.0.0.1' : '0.0.0.0'),
  });
  const { engine } = started;
  try {
    const connected = await connect(target, {
      transport: 'tcp',
      udpAudioPort: engine.port,
      ...(options.psk !== undefined && { psk: options.psk }),
      ...(options.encryption !== undefined && { encryption: options.encryption }),
      ...(options.clientName !== undefined && { clientName: options.clientName }),
    });
    const { offer } = connected;
    connected.setStatsProvider(() => readStatsReport(engine, SERVER_PEER, 'client'));
    const periods = options.redundancy ?? 0;
    // What this client sends is its own to announce, so it is known before asking (CONTROL.md §3).
    const sends = offer.capabilities.includes(REDUNDANCY_CAPABILITY) ? periods : 0;
    let recordingFailed = (_error: Error): void => undefined;
    const recordingFailure = new Promise<Error>((resolve) => (recordingFailed = resolve));
    let streaming: Streaming;
    try {
      const streams = atRate(clientDeviceStreams(offer.formats), options.deviceSampleRate);
      await started.openDevice(streams, (failure) =>
        recordingFailed(new AudioError('FILE_ERROR', describeSinkFailure(failure))),
      );
      const routes = clientRoutes(offer.formats);
      const peer = {
        id: SERVER_PEER,
        address: target.host,
        port: offer.udpAudioPort,
        ...routes,
        ...peerPlayout(
          options.playout,
          engine.device!,
          routes.receive.map((route) => route.format),
        ),
        ...(options.concealment !== undefined && { concealment: options.concealment }),
        sending: false,
        redundancy: sends,
      };
      let added = false;
      streaming = await connected.startIo({
        ...(periods > 0 && { redundancy: { serverToClient: periods, clientToServer: periods } }),
        // Before each request, with the keys of the run it starts (a retried Failure starts
        // another): receiving is ready from the server's first byte.
        prepare: async (security) => {
          if (added) engine.removePeer(SERVER_PEER);
          await engine.addPeer({ ...peer, ...(security !== undefined && { security }) });
          added = true;
        },
      });
      // Awaited: openRemoteStream's caller writes as soon as it resolves, and a period the
      // engine's thread made before it had this would go unsent (the first block lost).
      await engine.setSending(SERVER_PEER, true);
    } catch (error) {
      // Leave nothing half open: the session would keep the process alive with its heartbeats.
      await connected.disconnect().catch(() => undefined);
      throw error;
    }
    return new Session(started, streaming, offer, [
      engine.deviceLost.then((error) => ({ error, deviceLost: true })),
      recordingFailure.then((error) => ({ error, deviceLost: false })),
      ...(started.processorFailed
        ? [started.processorFailed.then((error) => ({ error, deviceLost: false }))]
        : []),
    ]);
  } catch (error) {
    await engine.close().catch(() => undefined);
    throw error;
  }
}

class Session implements RemoteSession {
  readonly offer: ServerOffer;
  readonly outcome: Promise<SessionOutcome>;
  readonly #engine: StreamEngine;
  readonly #streaming: Streaming;
  #settle: (outcome: SessionOutcome) => void = () => undefined;
  /** Set when the card went away: nothing left to stop, and the server is told why. */
  #lost: Error | undefined;
  #ended = false;
  #closing: Promise<void> | undefined;
  #lastStats: EngineStats | undefined;

  constructor(
    started: StartedEngine,
    streaming: Streaming,
    offer: ServerOffer,
    failures: readonly Promise<{ error: Error; deviceLost: boolean }>[],
  ) {
    this.#engine = started.engine;
    this.#streaming = streaming;
    this.offer = offer;
    this.outcome = new Promise((resolve) => (this.#settle = resolve));
    void streaming.ended.then((end) => {
      this.#ended = true;
      this.#settle({ kind: 'ended', end });
    });
    for (const failure of failures) {
      void failure.then(({ error, deviceLost }) => {
        if (deviceLost) this.#lost ??= error;
        this.#settle({ kind: 'failed', error });
      });
    }
  }

  get formats(): StreamFormats {
    return this.offer.formats;
  }

  get sessionEnd(): Promise<SessionEnd> {
    return this.#streaming.ended;
  }

  get redundancy(): Redundancy {
    return this.#streaming.redundancy;
  }

  get encrypted(): boolean {
    return this.#streaming.encrypted;
  }

  get leftOpen(): string | undefined {
    return this.#engine.leftOpen;
  }

  peerStats(): PeerStatsReport | undefined {
    return this.#streaming.peerStats();
  }

  async stats(): Promise<EngineStats> {
    if (this.#closing !== undefined && this.#lastStats !== undefined) return this.#lastStats;
    return (this.#lastStats = await this.#engine.stats());
  }

  close(): Promise<void> {
    this.#closing ??= this.#stop();
    return this.#closing;
  }

  async #stop(): Promise<void> {
    this.#settle({ kind: 'closed' });
    try {
      // Counted while the stream is live: once it stops, the jitter buffers run dry by design.
      this.#lastStats = await this.#engine.stats().catch(() => this.#lastStats);
      if (this.#lost !== undefined) {
        // Nothing left to stop: tell the server why (CONTROL.md, Disconnect).
        await this.#streaming.disconnect('device-lost', this.#lost.message).catch(() => undefined);
      } else {
        // An engine that died sends nothing already: the server must still hear the stop.
        await this.#engine.setSending(SERVER_PEER, false).catch(() => undefined);
        if (!this.#ended) {
          const idle = await this.#streaming.stopIo();
          await idle.disconnect();
        }
      }
    } finally {
      await this.#engine.close();
    }
  }
}
