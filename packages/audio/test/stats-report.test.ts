import { describe, expect, it } from 'vitest';
import { AUDIO_HEADER_BYTES } from '@syfala/proto';
import { JitterBuffer } from '@syfala/dataplane';
import { statsReport, type PeerStats, type ReceivedStreamStats } from '../src/index.js';

/**
 * A received stream's stats: a new jitter buffer's (every counter 0, target 1 frame) but for what
 * `counts` says, so the test spells no field list of its own.
 */
function received(wire: number, counts: Partial<ReceivedStreamStats>): ReceivedStreamStats {
  const format = { sampleType: 'f32', sampleRate: 48_000, channels: 2, bufferFrames: 32 } as const;
  const fresh = new JitterBuffer({ format, capacityFrames: 64, targetLatencyFrames: 1 });
  return { wire, ...fresh.stats(), jitterUs: 0, concealed: [], peak: [], ...counts };
}

const PEER: PeerStats = {
  id: 'client',
  datagramBudgetBytes: 1400,
  sent: [{ wire: 0, datagrams: 10, bytes: 1000, peak: [] }],
  received: [
    received(0, {
      datagrams: 4,
      receivedBytes: 400,
      lostFrames: 5,
      late: 1,
      skippedFrames: 2288,
      targetLatencyFrames: 96,
    }),
    received(1, { datagrams: 6, receivedBytes: 600, lostFrames: 2, driftPpm: -3, jitterUs: 250 }),
  ],
};

describe('statsReport', () => {
  it('names directions from the server’s side, counts headers, sums counters and keeps the largest gauge', () => {
    const server = statsReport(PEER, { periods: 100, xruns: 2 }, 'server');
    expect(server.streams.map((s) => [s.direction, s.streamIndex])).toEqual([
      ['input', 0],
      ['output', 0],
      ['output', 1],
    ]);
    expect(server.streams[0]!.counters).toEqual({
      packetsSent: 10,
      bytesSent: 1000 + 10 * AUDIO_HEADER_BYTES,
    });
    expect(server.session).toEqual({
      xruns: 2,
      packetsSent: 10,
      bytesSent: 1000 + 10 * AUDIO_HEADER_BYTES,
      packetsReceived: 10,
      bytesReceived: 1000 + 10 * AUDIO_HEADER_BYTES,
      lostFrames: 7,
      latePackets: 1,
      duplicatePackets: 0,
      underruns: 0,
      overruns: 0,
      skippedFrames: 2288,
      latencyFrames: 96,
      bufferFillFrames: 0,
      jitterUs: 250,
      driftPpm: -3,
    });
    const client = statsReport(PEER, undefined, 'client');
    expect(client.streams.map((s) => s.direction)).toEqual(['output', 'input', 'input']);
    expect(client.session.xruns).toBe(0);
  });
});
