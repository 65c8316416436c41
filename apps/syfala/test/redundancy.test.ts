import { describe, expect, it } from 'vitest';
import { LOOPBACK_SERVE, serve, syfala } from './cli-process.js';

/** 100 ms of jitter buffer, as in cli.test.ts: the checks must not hang on scheduling. */
const LATENCY = ['--latency', '4800'];
const RESOLVE = ['--timeout', '300'];

describe('syfala connect --redundancy', () => {
  it('asks the server for it and sends it, as both sides report', { timeout: 15_000 }, async () => {
    const server = syfala(['serve', ...LOOPBACK_SERVE, ...LATENCY, '--log', 'json']);
    const { udpPort } = await serve(server);
    const client = syfala([
      'connect',
      `127.0.0.1:${udpPort}`,
      ...RESOLVE,
      ...LATENCY,
      '--redundancy',
      '2',
      '--duration',
      '1',
      '--json',
    ]);
    expect(await server.logEvent('io-started')).toMatchObject({
      redundancy: { serverToClient: 2, clientToServer: 2 },
    });
    expect((await client.exited).code).toBe(0);
    expect(client.stderr).toBe('');
    const summary = await client.jsonLine('stdout', (line) => line['type'] === 'summary');
    expect(summary['redundancy']).toEqual({ serverToClient: 2, clientToServer: 2 });
    expect(summary['streams']).toMatchObject([{ lostFrames: 0 }]);
  });

  it('refuses a count above 3 before looking for the endpoint', async () => {
    const client = syfala(['connect', '127.0.0.1:9', ...RESOLVE, '--redundancy', '4']);
    expect((await client.exited).code).toBe(1);
    expect(client.stderr).toBe('syfala: --redundancy must be an integer from 0 to 3, got "4"\n');
  });
});
