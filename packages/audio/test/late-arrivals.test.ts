import { describe, expect, it, onTestFinished } from 'vitest';
import type { Format } from '@syfala/proto';
import { ImpairmentRelay } from '@syfala/relay';
import type { PeerSpec } from '../src/index.js';
import { sleep, startEngine } from './engine-fixture.js';

const FORMAT: Format = { sampleType: 'f32', sampleRate: 48_000, channels: 2, bufferFrames: 32 };
const ROUTE = { device: 0, wire: 0, format: FORMAT };
/** 10 ms: each 30 ms spike leaves a period due that has not arrived. */
const TARGET_LATENCY_FRAMES = 480;

/**
 * Streams 3 s through a relay that holds 2 % of the datagrams 30 ms (those alone: the ones behind
 * them come on time, so each spike is one period short, not the stall of a sender): the
 * receiver's counters at the end (`total`) and from 1 s on (`settled`: the cards' start-up, when a
 * loaded machine stalls their timers, left out).
 */
async function lateArrivals(receiving: Partial<PeerSpec>) {
  const sender = await startEngine({ inputs: [FORMAT], outputs: [] });
  const receiver = await startEngine({ inputs: [], outputs: [FORMAT] });
  const relay = await ImpairmentRelay.start({
    target: { address: '127.0.0.1', port: receiver.port },
    impairments: {
      toTarget: { jitter: { spikeProbability: 0.02, spikeMs: 30, keepOrder: false } },
    },
    seed: 14,
  });
  onTestFinished(() => relay.close());
  const peer = {
    address: '127.0.0.1',
    port: relay.port,
    targetLatencyFrames: TARGET_LATENCY_FRAMES,
  };
  await receiver.addPeer({
    ...peer,
    ...receiving,
    id: 'relay',
    send: [],
    receive: [ROUTE],
    sending: false,
  });
  await sender.addPeer({ ...peer, id: 'relay', send: [ROUTE], receive: [], sending: true });
  const received = async () => (await receiver.stats()).peers[0]!.received[0]!;
  await sleep(1000);
  const settled = await received();
  await sleep(2000);
  const end = await received();
  const since = (key: 'underruns' | 'underrunFrames' | 'lostFrames'): number =>
    end[key] - settled[key];
  return {
    total: end,
    settled: {
      underruns: since('underruns'),
      underrunFrames: since('underrunFrames'),
      lostFrames: since('lostFrames'),
    },
  };
}

describe('late arrivals in the streaming engine', () => {
  it(
    'with drift compensation, conceals an underrun and plays on: no priming again',
    { timeout: 15_000 },
    async () => {
      const stats = (await lateArrivals({ driftCompensation: true })).settled;
      expect(stats.underruns).toBeGreaterThan(0);
      // Played on, the part that was not there concealed: no silence of priming again.
      expect(stats.underrunFrames).toBe(0);
      expect(stats.lostFrames).toBeGreaterThan(0);
    },
  );

  it(
    'played bit for bit, primes again at an underrun: silence while the target refills',
    { timeout: 15_000 },
    async () => {
      const stats = (await lateArrivals({})).total;
      expect(stats.underruns).toBeGreaterThan(0);
      expect(stats.underrunFrames).toBeGreaterThan(0);
    },
  );
});
