import { describe, expect, it } from 'vitest';
import { AUDIO_HEADER_BYTES } from '@syfala/proto';
import { statsReport, type PeerStats, type ReceivedStreamStats } from '../src/index.js';

/** A received stream's stats with everything 0 but what `counts` says. */
function received(wire: number, counts: Partial<ReceivedStreamStats>): ReceivedStreamStats {
  return {
    wire,
    receivedBytes: 0,
    datagrams: 0,
    lostBytes: 0,
    lostFrames: 0,
    late: 0,
    duplicate: 0,
    overlapTrimmed: 0,
    overrunDatagrams: 0,
    overrunBytes: 0,
    underruns: 0,
    primingFrames: 0,
    underrunFrames: 0,
    skippedFrames: 0,
    resyncs: 0,
    bufferedFrames: 0,
    targetLatencyFrames: 0,
    playheadByte: 0,
    highestByte: 0,
    jitterUs: 0,
    concealed: [],
    peak: [],
    ...counts,
  };
}

const PEER: PeerStats = {
  id: 'client',
  sent: [{ wire: 0, datagrams: 10, bytes: 1000, peak: [] }],
  received: [
    received(0, {
      datagrams: 4,
      receivedBytes: 400,
      lostFrames: 5,
      late: 1,
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
