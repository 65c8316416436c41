import { describe, expect, it, onTestFinished } from 'vitest';
import { bytesPerFrame, type Format } from '@syfala/proto';
import {
  ImpairmentRelay,
  type ByteRange,
  type DirectionReport,
  type Impairments,
} from '@syfala/relay';
import type { AudioEngine, ReceivedStreamStats } from '../src/index.js';
import { byteCount, played, sleep, startEngine } from './engine-fixture.js';

// Issue #7's acceptance: through the relay at 1 % loss, 1 % reordering and ±2 ms jitter, the
// stream never stops, every lost range is concealed and the counters equal what the relay reports.

const FORMAT: Format = { sampleType: 'f32', sampleRate: 48_000, channels: 2, bufferFrames: 32 };
/** Each copy waits 2 ± 2 ms: neighbours overtake each other, and the delays spread over 4 ms. */
const JITTER = { baseMs: 2, uniformMs: 2 };
/**
 * What the machine adds to the relay's jitter, ms. The relay and both virtual cards run on Node's
 * 1 ms timers in three threads; on the shared 2-core test machine, busy compiling, the relay's
 * own report showed copies leaving up to 100 ms late. The target must cover that, or the test
 * measures the machine; how small a target holds is a bench's business (bench/jack/impairment.ts).
 */
const SCHEDULING_ALLOWANCE_MS = 100;
/** The delays' spread and the allowance, in whole periods, plus 2: a period is due before it plays. */
const TARGET_LATENCY_FRAMES =
  FORMAT.bufferFrames *
  (Math.ceil(
    ((2 * JITTER.uniformMs + SCHEDULING_ALLOWANCE_MS) * FORMAT.sampleRate) /
      1000 /
      FORMAT.bufferFrames,
  ) +
    2);
/** Three times the target: a copy held back this long always arrives after its bytes played. */
const TOO_LATE_MS = Math.ceil((3000 * TARGET_LATENCY_FRAMES) / FORMAT.sampleRate);
/** 1,500 datagrams a second each way: about 15 losses and 15 reorderings a second. */
const STREAMING_MS = 4000;
const SAMPLE_EVERY_MS = 250;
/** "Dozens" of each fate per direction. */
const MIN_EVENTS = 24;

const IMPAIRMENTS: { toTarget: Impairments; toSource: Impairments } = {
  // Held back one position: neighbours swap places, well within the buffer.
  toTarget: { loss: 0.01, jitter: JITTER, reorder: { probability: 0.01, positions: 1 } },
  // Held back past the buffer: concealed when due, then dropped as late when it comes.
  toSource: { loss: 0.01, jitter: JITTER, reorder: { probability: 0.01, delayMs: TOO_LATE_MS } },
};

async function receivedStats(engine: AudioEngine): Promise<ReceivedStreamStats> {
  return (await engine.stats()).peers[0]!.received[0]!;
}

async function sentDatagrams(engine: AudioEngine): Promise<number> {
  return (await engine.stats()).peers[0]!.sent[0]!.datagrams;
}

/**
 * One receiver against the relay's report of the direction it received through, once nothing is
 * in flight. `tooLate`: ranges the relay delivered after their turn.
 */
function expectAccounted(
  stats: ReceivedStreamStats,
  direction: DirectionReport,
  tooLate: readonly ByteRange[],
): void {
  const end = stats.playheadByte;
  const missing = [...direction.streams[0]!.undelivered, ...tooLate];
  const concealed = played(missing, end);
  expect(stats.concealed).toEqual(concealed);
  expect(stats.lostBytes).toBe(byteCount(concealed));
  expect(stats.lostFrames * bytesPerFrame(FORMAT)).toBe(stats.lostBytes);
  expect(stats.late).toBe(tooLate.filter(([, stop]) => stop <= end).length);
  // Every copy the relay sent was pushed, and every byte before the playhead played or concealed;
  // past it waits less than a period, and only once a slip (a stall on a loaded machine) has moved
  // the playhead off the periods' grid: the stream's tail, short of a whole period to play.
  expect(stats.datagrams).toBe(direction.sent);
  const waiting = stats.highestByte - end;
  expect(waiting).toBeLessThan(FORMAT.bufferFrames * bytesPerFrame(FORMAT));
  if (waiting > 0) expect(stats.skippedFrames).toBeGreaterThan(0);
  const missingWaiting = byteCount(played(missing, stats.highestByte)) - byteCount(concealed);
  expect(stats.receivedBytes + stats.lostBytes).toBe(stats.highestByte - missingWaiting);
  expect(stats).toMatchObject({ duplicate: 0, overlapTrimmed: 0, overrunDatagrams: 0 });
}

describe('streaming both ways through 1 % loss, 1 % reordering and ±2 ms jitter', () => {
  it(
    'never stops, conceals every lost range and counts exactly what the relay did',
    { timeout: 30_000 },
    async () => {
      const device = { inputs: [FORMAT], outputs: [FORMAT] };
      const [client, server] = await Promise.all([startEngine(device), startEngine(device)]);
      const relay = await ImpairmentRelay.start({
        target: { address: '127.0.0.1', port: server.port },
        impairments: IMPAIRMENTS,
        seed: 7,
      });
      onTestFinished(() => relay.close());
      const route = { device: 0, wire: 0, format: FORMAT };
      const peer = {
        id: 'relay',
        address: '127.0.0.1',
        port: relay.port,
        send: [route],
        receive: [route],
        targetLatencyFrames: TARGET_LATENCY_FRAMES,
      };
      // The relay answers the last source: the server sends once the client's audio has reached
      // it, so no reply is unroutable and both streams start at byte 0.
      await server.addPeer({ ...peer, sending: false });
      await client.addPeer({ ...peer, sending: true });
      while (relay.report().toTarget.received === 0) await sleep(5);
      await server.setSending('relay', true);

      // Once primed, both playheads move on between samples and nothing underruns.
      let previous = [0, 0];
      for (let t = 0; t < STREAMING_MS; t += SAMPLE_EVERY_MS) {
        await sleep(SAMPLE_EVERY_MS);
        const now = await Promise.all([receivedStats(server), receivedStats(client)]);
        expect(now.map((s) => s.underruns)).toEqual([0, 0]);
        if (t > 0) expect(now.map((s, i) => s.playheadByte > previous[i]!)).toEqual([true, true]);
        previous = now.map((s) => s.playheadByte);
      }

      // Stop and let everything in flight land: each receiver plays to the end of its stream
      // and underruns there, once.
      await Promise.all([client.setSending('relay', false), server.setSending('relay', false)]);
      do await sleep(TOO_LATE_MS);
      while (relay.report().toTarget.pending + relay.report().toSource.pending > 0);
      await sleep(TOO_LATE_MS);
      const [atServer, atClient] = await Promise.all([
        receivedStats(server),
        receivedStats(client),
      ]);
      const sent = await Promise.all([sentDatagrams(client), sentDatagrams(server)]);
      await relay.close(); // copies still held back by position are discarded: undelivered
      const { toTarget, toSource } = relay.report();

      // The relay saw every datagram (a stall can overflow its socket's buffer), routed them all,
      // and dealt dozens of each fate.
      expect([toTarget.audio, toSource.audio]).toEqual(sent);
      for (const direction of [toTarget, toSource]) {
        expect(direction.unroutable).toBe(0);
        expect(direction.streams[0]!.dropped.length).toBeGreaterThanOrEqual(MIN_EVENTS);
        expect(direction.streams[0]!.reordered.length).toBeGreaterThanOrEqual(MIN_EVENTS);
      }
      expect([atServer.underruns, atClient.underruns]).toEqual([1, 1]);
      expectAccounted(atServer, toTarget, []);
      expectAccounted(atClient, toSource, toSource.streams[0]!.reordered);
    },
  );
});
