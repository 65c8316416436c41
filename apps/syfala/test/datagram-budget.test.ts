import { describe, expect, it } from 'vitest';
import { syfala } from './cli-process.js';
import { serveWithMetrics, statusOf } from './observe.js';
import { sleep } from './fixtures.js';

/** 100 ms of jitter buffer, as in cli.test.ts: the checks must not hang on scheduling. */
const LATENCY = ['--latency', '4800'];
/** 8 channels of f32 in 256-frame periods: 8,192 bytes a period each way. */
const STREAMS = ['--inputs', 'f32/48000/8/256', '--outputs', 'f32/48000/8/256'];
const PERIOD_BYTES = 8192;

describe('syfala serve and connect --datagram-budget', () => {
  it(
    'each side cuts what it sends to its own budget, and takes whatever size the other sends',
    { timeout: 20_000 },
    async () => {
      const { base, udpPort } = await serveWithMetrics([
        ...STREAMS,
        ...LATENCY,
        '--datagram-budget',
        '9000',
      ]);
      const client = syfala([
        'connect',
        `127.0.0.1:${udpPort}`,
        '--timeout',
        '300',
        ...LATENCY,
        '--datagram-budget',
        '3000',
        '--duration',
        '3',
        '--json',
      ]);
      const streams = async () => (await statusOf(base)).sessions[0]?.local?.streams ?? [];
      for (let i = 0; i < 100; i++) {
        const counted = await streams();
        if (counted.length === 2 && counted.every((s) => s.packets >= 100)) break;
        await sleep(50);
      }
      const counted = await streams();
      const perDatagram = (direction: 'send' | 'receive'): number => {
        const stream = counted.find((s) => s.direction === direction)!;
        expect(stream.packets).toBeGreaterThanOrEqual(100);
        return stream.bytes / stream.packets;
      };
      // The server's 9,000 bytes hold a sealed period (8,192 + 48): one datagram a period. The
      // client's 3,000 hold 92 frames of 32 bytes (2,944 + 48): three datagrams a period.
      expect(perDatagram('send')).toBeCloseTo(PERIOD_BYTES, -1);
      expect(perDatagram('receive')).toBeCloseTo(PERIOD_BYTES / 3, -1);
      expect((await client.exited).code).toBe(0);
    },
  );
});
