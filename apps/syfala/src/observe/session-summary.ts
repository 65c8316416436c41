import type { EngineStats, PeerStats } from '@syfala/audio';
import type { PeerStatsReport, ServerSession, SessionStateName } from '@syfala/network';
import type { ControlStatsCounters, Format, StreamFormats } from '@syfala/proto';
import { peerId } from '../daemon.js';
import { missingFrames } from '../output.js';

/** Which way a stream flows, from the daemon's side: it receives the client's outputs. */
export type StreamWay = 'receive' | 'send';

/**
 * One stream of a session as one side measured it, in the units the engines and Stats frames
 * count in. Receive-side fields are absent where that side does not measure them.
 */
export interface StreamSummary {
  readonly direction: StreamWay;
  /** Index in its direction's list of formats, from 0. */
  readonly stream: number;
  readonly format: Format;
  /** UDP audio datagrams this side sent (direction 'send' locally) or received. */
  readonly packets: number;
  /**
   * Audio bytes: locally, payload bytes sent (redundant copies included) or stream bytes
   * received once each; in the peer's view, its Stats' bytes (headers included).
   */
  readonly bytes: number;
  readonly lostFrames?: number;
  /** Played but never arrived: lost frames and underrun silence once started (missingFrames). */
  readonly missingFrames?: number;
  readonly latePackets?: number;
  readonly duplicatePackets?: number;
  readonly underruns?: number;
  /** Dropped unplayed: the buffer held more than its target for a whole slip window (a slip). */
  readonly skippedFrames?: number;
  readonly concealedGaps?: number;
  readonly jitterUs?: number;
  readonly driftPpm?: number;
  readonly targetLatencyFrames?: number;
  readonly bufferedFrames?: number;
  /**
   * Per channel, the last 50 ms meter block's largest |sample| (linear, full scale 1): the
   * daemon's own streams only (Stats frames carry no levels).
   */
  readonly peak?: readonly number[];
}

/** What one side says about a session. */
export interface ViewSummary {
  readonly streams: readonly StreamSummary[];
  /** Encrypted audio: datagrams that failed authentication, and replays refused (SECURITY.md §4). */
  readonly authFailures?: number;
  readonly replays?: number;
  /** The peer's device xruns (its Stats); the daemon's own are the card's, not a session's. */
  readonly xruns?: number;
}

/** A session as the daemon sees it, and as its client says through Stats frames. */
export interface SessionSummary {
  readonly session: ServerSession;
  /** Its audio address, host:port: unique among sessions (the engine's peer id). */
  readonly id: string;
  readonly client: string;
  readonly state: SessionStateName;
  /** Absent while the session does not stream (no engine peer). */
  readonly local: ViewSummary | undefined;
  /** The latest Stats of the client; absent until it sends one. */
  readonly peer: ViewSummary | undefined;
}

/** Every open session with the engine's counters of its peer and its client's latest Stats. */
export function summarizeSessions(
  sessions: readonly ServerSession[],
  stats: EngineStats,
  formats: StreamFormats,
): SessionSummary[] {
  const peers = new Map(stats.peers.map((peer) => [peer.id, peer]));
  return sessions.map((session) => {
    const id = peerId(session);
    const engine = peers.get(id);
    const peer = session.peerStats();
    return {
      session,
      id,
      client: session.client.clientName,
      state: session.state,
      local: engine === undefined ? undefined : localView(engine, formats),
      peer: peer === undefined ? undefined : peerView(peer, formats),
    };
  });
}

/** Sums `key` over the streams one way (0 when none measures it). */
export function sumOf(
  view: ViewSummary | undefined,
  direction: StreamWay,
  key: keyof StreamSummary &
    (
      | 'packets'
      | 'bytes'
      | 'lostFrames'
      | 'missingFrames'
      | 'latePackets'
      | 'duplicatePackets'
      | 'underruns'
      | 'skippedFrames'
    ),
): number {
  return (view?.streams ?? [])
    .filter((stream) => stream.direction === direction)
    .reduce((total, stream) => total + (stream[key] ?? 0), 0);
}

/** The first stream a side receives: all of a client's streams share its clock and path. */
export function firstReceived(
  view: ViewSummary | undefined,
  receiver: 'local' | 'peer',
): StreamSummary | undefined {
  const direction: StreamWay = receiver === 'local' ? 'receive' : 'send';
  return view?.streams.find((stream) => stream.direction === direction);
}

function localView(peer: PeerStats, formats: StreamFormats): ViewSummary {
  // Received wire streams are the server's outputs; sent ones its inputs (PROTOCOL.md §6).
  const sent = peer.sent.map((stream) => ({
    direction: 'send' as const,
    stream: stream.wire,
    format: formats.inputs[stream.wire]!,
    packets: stream.datagrams,
    bytes: stream.bytes,
    peak: stream.peak,
  }));
  const received = peer.received.map((stream) => ({
    direction: 'receive' as const,
    stream: stream.wire,
    format: formats.outputs[stream.wire]!,
    packets: stream.datagrams,
    bytes: stream.receivedBytes,
    lostFrames: stream.lostFrames,
    missingFrames: missingFrames(stream),
    latePackets: stream.late,
    duplicatePackets: stream.duplicate,
    underruns: stream.underruns,
    skippedFrames: stream.skippedFrames,
    targetLatencyFrames: stream.targetLatencyFrames,
    bufferedFrames: stream.bufferedFrames,
    peak: stream.peak,
    ...defined({
      concealedGaps: stream.concealedGaps,
      jitterUs: stream.jitterUs,
      driftPpm: stream.driftPpm,
    }),
  }));
  return {
    streams: [...received, ...sent],
    ...(peer.security !== undefined && {
      authFailures: peer.security.authFailed,
      replays: peer.security.replayed,
    }),
  };
}

/**
 * The client's Stats as streams from the daemon's side: its INPUT streams (server → client) are
 * what the daemon sends and the client receives, its OUTPUT streams the reverse (CONTROL.md).
 */
function peerView(stats: PeerStatsReport, formats: StreamFormats): ViewSummary {
  const streams = stats.streams.flatMap(({ direction, streamIndex, counters }) => {
    const format = (direction === 'input' ? formats.inputs : formats.outputs)[streamIndex];
    if (format === undefined) return [];
    const c: ControlStatsCounters = counters;
    const receives = direction === 'input';
    return [
      {
        direction: receives ? ('send' as const) : ('receive' as const),
        stream: streamIndex,
        format,
        packets: (receives ? c.packetsReceived : c.packetsSent) ?? 0,
        bytes: (receives ? c.bytesReceived : c.bytesSent) ?? 0,
        ...(receives &&
          defined({
            lostFrames: c.lostFrames,
            latePackets: c.latePackets,
            duplicatePackets: c.duplicatePackets,
            underruns: c.underruns,
            skippedFrames: c.skippedFrames,
            jitterUs: c.jitterUs,
            driftPpm: c.driftPpm,
            targetLatencyFrames: c.latencyFrames,
            bufferedFrames: c.bufferFillFrames,
          })),
      },
    ];
  });
  return { streams, ...defined({ xruns: stats.session.xruns }) };
}

/** `fields` without its undefined values, so optional fields stay absent. */
function defined<T extends Record<string, unknown>>(
  fields: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

/** A received stream's gauges in seconds, the base unit of the metrics and the status page. */
export function gaugesInSeconds(stream: StreamSummary): {
  targetLatencySeconds?: number;
  bufferedSeconds?: number;
  jitterSeconds?: number;
} {
  const rate = stream.format.sampleRate;
  return defined({
    targetLatencySeconds:
      stream.targetLatencyFrames === undefined ? undefined : stream.targetLatencyFrames / rate,
    bufferedSeconds: stream.bufferedFrames === undefined ? undefined : stream.bufferedFrames / rate,
    jitterSeconds: stream.jitterUs === undefined ? undefined : stream.jitterUs / 1e6,
  });
}
