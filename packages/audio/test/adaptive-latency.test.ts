import { describe, expect, it, onTestFinished } from 'vitest';
import { JITTER_WINDOW_SECONDS } from '@syfala/dataplane';
import { ImpairmentRelay } from '@syfala/relay';
import type { Format } from '@syfala/proto';
import type { ReceivedStreamStats } from '../src/index.js';
import { sleep, startEngine } from './engine-fixture.js';

const FORMAT: Format = { sampleType: 'f32', sampleRate: 48_000, channels: 2, bufferFrames: 32 };
const ROUTE = { device: 0, wire: 0, format: FORMAT };
/** Far below what the virtual card's bursts of periods (~1 ms wake-ups) need. */
const INITIAL_TARGET = 16;
/** The engine's bound on an adaptive target: half of its jitter buffer's capacity (0.25 s). */
const MAX_TARGET_FRAMES = FORMAT.sampleRate / 8;
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
    "settles on a target that covers the link's jitter, measured as the relay makes it, then leaves few arrivals late",
    { timeout: 30_000 },
    async () => {
      const sender = await startEngine({ inputs: [FORMAT], outputs: [] });
      const receiver = await startEngine({ inputs: [], outputs: [FORMAT] });
      // Every datagram is held 5 to 45 ms (uniform; reordered, as netem does): 40 ms of arrival
      // jitter, well above what the two virtual cards' 1 ms timers add on a quiet machine.
      const relay = await ImpairmentRelay.start({
        target: { address: '127.0.0.1', port: receiver.port },
        impairments: { toTarget: { jitter: { baseMs: 25, uniformMs: 20 } } },
        seed: 7,
      });
      onTestFinished(() => relay.close());
      const viaRelay = {
        address: '127.0.0.1',
        port: relay.port,
        targetLatencyFrames: INITIAL_TARGET,
      };
      await receiver.addPeer({
        ...RECEIVING,
        ...viaRelay,
        driftCompensation: true,
        adaptiveLatency: true,
      });
      await sender.addPeer({
        ...viaRelay,
        id: 'receiver',
        send: [ROUTE],
        receive: [],
        sending: true,
      });

      const received = async (): Promise<ReceivedStreamStats> =>
        (await receiver.stats()).peers[0]!.received[0]!;
      // Settled: the adapter's window has filled, then the target held for a whole second (it
      // grows at once and shrinks slowly).
      await sleep(JITTER_WINDOW_SECONDS * 1000);
      let settled = await received();
      for (let heldSince = Date.now(); Date.now() - heldSince < 1000;) {
        await sleep(100);
        const now = await received();
        if (now.targetLatencyFrames !== settled.targetLatencyFrames) heldSince = Date.now();
        settled = now;
      }
      const jitterFrames = (settled.jitterUs * FORMAT.sampleRate) / 1e6;
      const relayJitterFrames = (40 * FORMAT.sampleRate) / 1000;
      // The adapter measured the relay's spread: its worst 3 of 16 quarter-second blocks are left
      // out, so a little less is possible. (No upper bound: the cards' timers add their own
      // lateness, tens of ms on a loaded machine.)
      expect(jitterFrames).toBeGreaterThan(0.75 * relayJitterFrames);
      // …and the target covers it with a period to spare (its rule: jitter + period + safety),
      // up to its bound, half the buffer's capacity (a stall of over 100 ms on a loaded machine).
      expect(settled.targetLatencyFrames).toBeGreaterThanOrEqual(
        Math.min(Math.floor(jitterFrames) + FORMAT.bufferFrames, MAX_TARGET_FRAMES),
      );
      // From then on the arrivals are covered: a datagram late for its period is rare (the
      // adapter leaves the worst 3 of its 16 blocks out: a stall now and then is concealed,
      // not paid for in latency on every period). The initial 16 frames would leave most late.
      await sleep(1500);
      const after = await received();
      const datagrams = after.datagrams - settled.datagrams;
      expect(datagrams).toBeGreaterThan(500);
      expect(after.late - settled.late).toBeLessThan(datagrams * 0.03);
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
