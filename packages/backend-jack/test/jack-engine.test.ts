import { createSocket } from 'node:dgram';
import { describe, expect, it, onTestFinished } from 'vitest';
import { jackEnv, runCommand, sleep } from '@syfala/jack-rig';
import {
  AUDIO_HEADER_BYTES,
  DEFAULT_DATAGRAM_BUDGET_BYTES,
  makeFormat,
  MAX_DATAGRAM_BYTES,
} from '@syfala/proto';
import { JackEngine } from '../src/index.js';
import { hasJack, jackServer, openStereo, PERIOD, startEngine, stereo } from './fixture.js';

const STEREO = stereo(48000);

/** `jack_lsp -l`'s latency range of `port` in `mode`, e.g. [320, 320]. */
async function latencyOf(
  server: string,
  port: string,
  mode: 'capture' | 'playback',
): Promise<number[]> {
  const { stdout } = await runCommand('jack_lsp', ['-l', port], { env: jackEnv(server) });
  const range = new RegExp(`port ${mode} latency = \\[ (\\d+) (\\d+) \\]`).exec(stdout);
  return range ? [Number(range[1]), Number(range[2])] : [];
}

async function waitForLatency(
  server: string,
  port: string,
  mode: 'capture' | 'playback',
  frames: number,
): Promise<number[]> {
  let seen: number[] = [];
  for (let i = 0; i < 100; i++) {
    seen = await latencyOf(server, port, mode);
    if (seen[0] === frames && seen[1] === frames) break;
    await sleep(50);
  }
  return seen;
}

describe.skipIf(!hasJack)('JackEngine on a dummy JACK server', () => {
  it('reports the target latency plus a period on its ports, as jack_lsp -l shows', async () => {
    const server = await jackServer();
    const engine = await startEngine();
    await openStereo(engine, server, STEREO);
    const target = 256;
    await engine.addPeer({
      id: 'peer',
      address: '127.0.0.1',
      port: 9, // discard: nothing needs to arrive for the latency to be reported
      send: [{ device: 0, wire: 0, format: STEREO }],
      receive: [{ device: 0, wire: 0, format: STEREO }],
      targetLatencyFrames: target,
      sending: false,
    });
    const expected = target + PERIOD;
    // What the output ports play was captured that long ago; what the inputs take plays then.
    expect(await waitForLatency(server, 'he-engine:receive_2', 'capture', expected)).toEqual([
      expected,
      expected,
    ]);
    expect(await waitForLatency(server, 'he-engine:send_1', 'playback', expected)).toEqual([
      expected,
      expected,
    ]);
    engine.removePeer('peer');
    expect(await waitForLatency(server, 'he-engine:receive_1', 'capture', PERIOD)).toEqual([
      PERIOD,
      PERIOD,
    ]);
  });

  it.each([
    ['by default, the route to it', undefined, MAX_DATAGRAM_BYTES, 1, AUDIO_HEADER_BYTES + 64 * 64],
    [
      'when given 1,400 bytes',
      DEFAULT_DATAGRAM_BUDGET_BYTES,
      DEFAULT_DATAGRAM_BUDGET_BYTES,
      4,
      AUDIO_HEADER_BYTES + 21 * 64,
    ],
  ] as const)(
    'sends a peer over loopback datagrams as large as its budget allows: %s',
    async (_, datagramBudgetBytes, budget, perPeriod, largest) => {
      // 16 channels of f32, 64 bytes a frame: 4,096 bytes a period, in one datagram where
      // loopback's MTU is the limit; else in four of at most 21 frames (cut at frame boundaries).
      const server = await jackServer();
      const engine = await JackEngine.start({
        bind: { address: '127.0.0.1', port: 0 },
        ...(datagramBudgetBytes !== undefined && { datagramBudgetBytes }),
      });
      onTestFinished(() => engine.close());
      const format = makeFormat({
        sampleRate: 48000,
        channels: 16,
        sampleType: 'f32',
        bufferFrames: 0,
      });
      await engine.openDevice(
        { inputs: [format], outputs: [] },
        { server, clientName: 'he-engine', autoConnect: false },
      );
      const peer = createSocket('udp4');
      onTestFinished(() => void peer.close());
      await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', resolve));
      const sizes: number[] = [];
      peer.on('message', (datagram) => sizes.push(datagram.length));
      await engine.addPeer({
        id: 'peer',
        address: '127.0.0.1',
        port: peer.address().port,
        send: [{ device: 0, wire: 0, format }],
        receive: [],
        targetLatencyFrames: 256,
        sending: true,
      });
      for (let i = 0; i < 100 && sizes.length < 30; i++) await sleep(20);
      const periodBytes = PERIOD * 16 * 4;
      expect(sizes.length).toBeGreaterThanOrEqual(30);
      expect(Math.max(...sizes)).toBe(largest);
      const stats = (await engine.stats()).peers[0]!;
      // Loopback's MTU is 65,536: 'auto' takes the most a datagram can be.
      expect(stats.datagramBudgetBytes).toBe(budget);
      const sent = stats.sent[0]!;
      expect(sent.datagrams / (sent.bytes / periodBytes)).toBeCloseTo(perPeriod, 1);
    },
  );

  it.each([0, 24, 65_508, 1400.5, 'large'])(
    'refuses a datagram budget of %s in one sentence',
    async (datagramBudgetBytes) => {
      await expect(
        JackEngine.start({ datagramBudgetBytes: datagramBudgetBytes as number }),
      ).rejects.toThrow(
        "datagramBudgetBytes must be 'auto' or a whole datagram's bytes, 25 to 65507",
      );
    },
  );
});
