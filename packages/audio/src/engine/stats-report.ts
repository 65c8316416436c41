import {
  AUDIO_AUTH_TAG_BYTES,
  AUDIO_HEADER_BYTES,
  SEALED_AUDIO_HEADER_BYTES,
  type ControlStats,
  type ControlStatsCounters,
  type ControlStreamStats,
  type StreamDirection,
} from '@syfala/proto';
import type { DeviceStats } from '../backend.js';
import type {
  PeerStats,
  ReceivedStreamStats,
  StreamEngine,
  StreamSendStats,
} from '../stream-engine.js';

/** What a side tells its peer in a Stats frame (CONTROL.md §Stats): its own view of their streams. */
export type StatsReport = Pick<ControlStats, 'session' | 'streams'>;

type Counters = { -readonly [K in keyof ControlStatsCounters]: ControlStatsCounters[K] };

/**
 * An engine's view of one peer as the Stats a session sends it (docs/OBSERVABILITY.md §1).
 * `side` is this side's role: directions are the server's (INPUT: server → client), and a stream's
 * index is its wire stream's. Bytes count headers, as on the wire; received bytes are those
 * kept, each once (duplicates and overruns excluded). `latencyFrames` is the jitter buffer's
 * target. The session sums the streams' counters, adds the device's xruns, and takes the largest
 * gauge (drift: the first received stream's).
 */
export function statsReport(
  peer: PeerStats,
  device: DeviceStats | undefined,
  side: 'client' | 'server',
): StatsReport {
  const header =
    peer.security === undefined
      ? AUDIO_HEADER_BYTES
      : SEALED_AUDIO_HEADER_BYTES + AUDIO_AUTH_TAG_BYTES;
  const [sentDirection, receivedDirection]: StreamDirection[] =
    side === 'server' ? ['input', 'output'] : ['output', 'input'];
  const streams: ControlStreamStats[] = [
    ...peer.sent.map((s) => stream(sentDirection!, s.wire, sentCounters(s, header))),
    ...peer.received.map((r) => stream(receivedDirection!, r.wire, receivedCounters(r, header))),
  ];
  const session: Counters = { xruns: device?.xruns ?? 0 };
  for (const { counters } of streams) {
    for (const [key, value] of Object.entries(counters) as [keyof Counters, number][]) {
      const gauge = GAUGES.has(key);
      if (key === 'driftPpm') session.driftPpm ??= value;
      else session[key] = gauge ? Math.max(session[key] ?? 0, value) : (session[key] ?? 0) + value;
    }
  }
  return { session, streams };
}

/**
 * statsReport of peer `id` as `engine` sees it now, undefined when it streams with no such peer:
 * a session's StatsProvider. The engine is asked at once, before any later removePeer.
 */
export async function readStatsReport(
  engine: Pick<StreamEngine, 'stats'>,
  id: string,
  side: 'client' | 'server',
): Promise<StatsReport | undefined> {
  const stats = await engine.stats();
  const peer = stats.peers.find((p) => p.id === id);
  return peer && statsReport(peer, stats.device, side);
}

const GAUGES = new Set<keyof Counters>([
  'latencyFrames',
  'bufferFillFrames',
  'jitterUs',
  'driftPpm',
]);

function stream(
  direction: StreamDirection,
  streamIndex: number,
  counters: ControlStatsCounters,
): ControlStreamStats {
  return { direction, streamIndex, counters };
}

function sentCounters(s: StreamSendStats, header: number): ControlStatsCounters {
  return { packetsSent: s.datagrams, bytesSent: s.bytes + s.datagrams * header };
}

function receivedCounters(r: ReceivedStreamStats, header: number): ControlStatsCounters {
  return {
    packetsReceived: r.datagrams,
    bytesReceived: r.receivedBytes + r.datagrams * header,
    lostFrames: r.lostFrames,
    latePackets: r.late,
    duplicatePackets: r.duplicate,
    underruns: r.underruns,
    overruns: r.overrunDatagrams,
    skippedFrames: r.skippedFrames,
    latencyFrames: r.targetLatencyFrames,
    bufferFillFrames: r.bufferedFrames,
    jitterUs: r.jitterUs,
    ...(r.driftPpm !== undefined && { driftPpm: r.driftPpm }),
  };
}
