import { describe, expect, it } from 'vitest';
import type { Format } from '@syfala/proto';
import type { ReceivedStreamStats } from '../src/index.js';
import { sleep, startEngine } from './engine-fixture.js';

const FORMAT: Format = { sampleType: 'f32', sampleRate: 48_000, channels: 2, bufferFrames: 32 };
const ROUTE = { device: 0, wire: 0, format: FORMAT };
/** Far below what the virtual card's bursts of periods (~1 ms wake-ups) need. */
const INITIAL_TARGET = 16;
/** The receiving side's peer, but for where the peer is and how the target is set. */
const RECEIVING = {
  id: 'sender',
  address: '127.0.0.1',
  send: [],
  receive: [ROUTE],
  sending: false,
};

describe('adaptive latency in the streaming engine', () => {
  it(
    'raises a target too small for the arrivals to one that covers their measured jitter',
    { timeout: 15_000 },
    async () => {
      const sender = await startEngine({ inputs: [FORMAT], outputs: [] });
      const receiver = await startEngine({ inputs: [], outputs: [FORMAT] });
      await receiver.addPeer({
        ...RECEIVING,
        port: sender.port,
        targetLatencyFrames: INITIAL_TARGET,
        driftCompensation: true,
        adaptiveLatency: true,
      });
      await sender.addPeer({
        id: 'receiver',
        address: '127.0.0.1',
        port: receiver.port,
        send: [ROUTE],
        receive: [],
        targetLatencyFrames: INITIAL_TARGET,
        sending: true,
      });
      await sleep(2000);
      const stats = (await receiver.stats()).peers[0]!.received[0]! as ReceivedStreamStats;
      expect(stats.jitterUs).toBeGreaterThan(0);
      const jitterFrames = (stats.jitterUs! * FORMAT.sampleRate) / 1e6;
      // The adapter's target: the jitter it measured plus a period and a margin, never less.
      expect(stats.targetLatencyFrames).toBeGreaterThan(INITIAL_TARGET);
      expect(stats.targetLatencyFrames).toBeGreaterThanOrEqual(Math.floor(jitterFrames));
      expect(stats.receivedBytes).toBeGreaterThan(0);
    },
  );

  it('refuses adaptive latency without drift compensation, and goes on working', async () => {
    const receiver = await startEngine({ inputs: [], outputs: [FORMAT] });
    await expect(
      receiver.addPeer({ ...RECEIVING, port: 9, targetLatencyFrames: 480, adaptiveLatency: true }),
    ).rejects.toMatchObject({
      code: 'BAD_OPTION',
      message: 'audio engine: adaptive latency needs drift compensation',
    });
    // The worker survived the refusal.
    await receiver.addPeer({ ...RECEIVING, port: 9, targetLatencyFrames: 480 });
    expect((await receiver.stats()).peers.map((peer) => peer.id)).toEqual(['sender']);
    // A refused replacement leaves the peer it would have replaced as it was.
    await expect(
      receiver.addPeer({ ...RECEIVING, port: 9, targetLatencyFrames: 96, adaptiveLatency: true }),
    ).rejects.toMatchObject({ code: 'BAD_OPTION' });
    const [peer] = (await receiver.stats()).peers;
    expect(peer).toMatchObject({ id: 'sender', received: [{ targetLatencyFrames: 480 }] });
  });
});
