import { AudioError, describeSinkFailure, type EngineStats } from '@syfala/audio';
import { REDUNDANCY_CAPABILITY, type Redundancy } from '@syfala/proto';
import {
  connect,
  type ConnectTarget,
  type PskInput,
  type ServerOffer,
  type SessionEnd,
  type Streaming,
} from '@syfala/network';
import { atRate, clientDeviceStreams, clientRoutes } from './routes.js';
import type { ConcealmentMode } from './daemon.js';
import { startEngine, type DeviceChoice } from './engines.js';
import { defaultPlayout, peerPlayout, type Playout } from './playout.js';

const SERVER_PEER = 'server';

export interface StreamOptions {
  /** The client's sound card: virtual (sources for what it sends, sinks for what it receives) or JACK. */
  readonly device: DeviceChoice;
  readonly psk?: PskInput;
  /** Local address of the audio socket. Default: loopback for a loopback server, else any. */
  readonly localAddress?: string;
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
  /** Resolves when streaming should stop (a duration elapsed, Ctrl-C). */
  readonly until: (session: { ended: Promise<SessionEnd> }) => Promise<unknown>;
  /** Called about every `statsIntervalMs` while streaming. */
  readonly onStats?: (stats: EngineStats) => void;
  readonly statsIntervalMs?: number;
}

export interface StreamResult {
  readonly offer: ServerOffer;
  /** The redundancy in force while streaming (none when the server does not offer it). */
  readonly redundancy: Redundancy;
  /** The engine's counters just before streaming stopped. */
  readonly stats: EngineStats;
  /** Set when the session ended before `until` did (server gone, timeout). */
  readonly ended?: SessionEnd;
  /**
   * Set when this side failed while streaming, which ended the session: the sound card went
   * away (deviceLost), or a recording's file system refused a write (AudioError FILE_ERROR; the
   * file is finalised for what was written).
   */
  readonly failed?: Error;
}

/**
 * `syfala connect`: connects over TCP control, opens the client's device for the server's
 * formats, starts I/O and streams until `until` resolves, then stops, disconnects and closes the
 * device (flushing recordings). Receiving is set up before asking to start, so nothing the server
 * sends from byte 0 is missed; sending starts when the server has said ok.
 */
export async function streamWith(
  target: ConnectTarget,
  options: StreamOptions,
): Promise<StreamResult> {
  const loopback = /^127\./.test(target.host);
  const { engine, openDevice } = await startEngine(options.device, {
    address: options.localAddress ?? (loopback ? '127.0.0.1' : '0.0.0.0'),
  });
  let ticker: NodeJS.Timeout | undefined;
  try {
    const connected = await connect(target, {
      transport: 'tcp',
      udpAudioPort: engine.port,
      ...(options.psk !== undefined && { psk: options.psk }),
    });
    const { offer } = connected;
    const periods = options.redundancy ?? 0;
    // What this client sends is its own to announce, so it is known before asking (CONTROL.md §3).
    const sends = offer.capabilities.includes(REDUNDANCY_CAPABILITY) ? periods : 0;
    let streaming: Streaming;
    let recordingFailed = (_error: Error): void => undefined;
    const recordingFailure = new Promise<Error>((resolve) => (recordingFailed = resolve));
    try {
      const streams = atRate(clientDeviceStreams(offer.formats), options.deviceSampleRate);
      await openDevice(streams, (failure) =>
        recordingFailed(new AudioError('FILE_ERROR', describeSinkFailure(failure))),
      );
      const routes = clientRoutes(offer.formats);
      await engine.addPeer({
        id: SERVER_PEER,
        address: target.host,
        port: offer.udpAudioPort,
        ...routes,
        ...peerPlayout(
          options.playout ?? defaultPlayout(options.device.backend),
          engine.device!,
          routes.receive.map((route) => route.format),
        ),
        ...(options.concealment !== undefined && { concealment: options.concealment }),
        sending: false,
        redundancy: sends,
      });
      streaming = await connected.startIo(
        periods > 0 ? { redundancy: { serverToClient: periods, clientToServer: periods } } : {},
      );
    } catch (error) {
      // Leave nothing half open: the session would keep the process alive with its heartbeats.
      await connected.disconnect().catch(() => undefined);
      throw error;
    }
    engine.setSending(SERVER_PEER, true);
    if (options.onStats) {
      const report = options.onStats;
      // A dead engine rejects stats: deviceLost reports it, below.
      const tick = (): void => void engine.stats().then(report, () => undefined);
      ticker = setInterval(tick, options.statsIntervalMs ?? 1000);
    }
    // This side's failures end the session too: the sound card gone (JACK server stopped), or
    // a recording the disk refused (the card runs on; the session is stopped as usual).
    const ended = await Promise.race([
      options.until({ ended: streaming.ended }).then(() => undefined),
      streaming.ended,
      engine.deviceLost.then((error) => ({ failed: error, deviceLost: true })),
      recordingFailure.then((error) => ({ failed: error, deviceLost: false })),
    ]);
    clearInterval(ticker);
    const failure = ended !== undefined && 'failed' in ended ? ended : undefined;
    const sessionEnd = ended !== undefined && !('failed' in ended) ? ended : undefined;
    // Counted while the stream is live: once it stops, the jitter buffers run dry by design.
    const stats = await engine.stats();
    if (failure?.deviceLost === true) {
      // Nothing left to stop: tell the server why (CONTROL.md, Disconnect), then say it here.
      await streaming.disconnect('device-lost', failure.failed.message).catch(() => undefined);
    } else {
      engine.setSending(SERVER_PEER, false);
      if (sessionEnd === undefined) {
        const idle = await streaming.stopIo();
        await idle.disconnect();
      }
    }
    return {
      offer,
      redundancy: streaming.redundancy,
      stats,
      ...(failure !== undefined && { failed: failure.failed }),
      ...(sessionEnd !== undefined && { ended: sessionEnd }),
    };
  } finally {
    clearInterval(ticker);
    await engine.close();
  }
}
