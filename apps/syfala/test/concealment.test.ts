import { describe, expect, it } from 'vitest';
import { LOOPBACK_SERVE, serve, syfala } from './cli-process.js';

/** 100 ms of jitter buffer, as in cli.test.ts: the checks must not hang on scheduling. */
const LATENCY = ['--latency', '4800'];
const RESOLVE = ['--timeout', '300'];

describe('--concealment', () => {
  it('streams with either mode on each side', { timeout: 15_000 }, async () => {
    const server = syfala([
      'serve',
      ...LOOPBACK_SERVE,
      ...LATENCY,
      '--concealment',
      'silence',
      '--log',
      'json',
    ]);
    const { udpPort } = await serve(server);
    const client = syfala([
      'connect',
      `127.0.0.1:${udpPort}`,
      ...RESOLVE,
      ...LATENCY,
      '--concealment',
      'fade',
      '--duration',
      '1',
      '--json',
    ]);
    expect((await client.exited).code).toBe(0);
    expect(client.stderr).toBe('');
    const summary = await client.jsonLine('stdout', (line) => line['type'] === 'summary');
    expect(summary['streams']).toMatchObject([{ lostFrames: 0 }]);
  });

  it('refuses a mode it does not know, in one sentence, on connect and on serve', async () => {
    const client = syfala(['connect', '127.0.0.1:9', ...RESOLVE, '--concealment', 'repeat']);
    expect((await client.exited).code).toBe(1);
    expect(client.stderr).toBe(
      'syfala: --concealment must be one of fade, silence, got "repeat"\n',
    );
    const server = syfala(['serve', ...LOOPBACK_SERVE, '--concealment', 'loud']);
    expect((await server.exited).code).toBe(1);
    expect(server.stderr).toBe('syfala: --concealment must be one of fade, silence, got "loud"\n');
  });
});
