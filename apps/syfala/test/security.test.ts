import { describe, expect, it } from 'vitest';
import { ControlError, connect } from '@syfala/network';
import { LOOPBACK_SERVE, jsonLines, serve, syfala } from './cli-process.js';

/**
 * 500 ms of jitter buffer for the victim: its stream must lose nothing to the attack, and six
 * engineers' tests share these 2 cores, so it must lose nothing to a stalled process either.
 */
const LATENCY = ['--latency', '24000'];
const RESOLVE = ['--timeout', '300'];

describe("a client's audio is its own", () => {
  it(
    "refuses a session from the victim's host that names the victim's audio port; the victim streams on intact",
    { timeout: 30_000 },
    async () => {
      const server = syfala(['serve', ...LOOPBACK_SERVE, '--log', 'json']);
      const ports = await serve(server);
      const victim = syfala([
        'connect',
        `127.0.0.1:${ports.udpPort}`,
        ...RESOLVE,
        ...LATENCY,
        '--duration',
        '3',
        '--json',
      ]);
      const started = await server.logEvent('io-started', 10_000);
      const victimPort = Number(String(started['peer']).split(':')[1]);

      // The whole takeover, as an attacker on the same host would try it: a Hello naming the
      // victim's port, then start I/O so that the server streams with "it".
      const takeover = connect(
        { host: '127.0.0.1', ...ports },
        { clientName: 'attacker', udpAudioPort: victimPort },
      ).then(async (connected) => {
        const streaming = await connected.startIo();
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await (await streaming.stopIo()).disconnect();
      });
      const error = await takeover.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ControlError);
      expect(error).toMatchObject({ code: 'REFUSAL', disconnectReason: 'address-in-use' });

      expect(await victim.exited).toEqual({ code: 0, signal: null });
      expect(victim.stderr).toBe('');
      const lines = jsonLines(victim.stdout);
      const stats = lines.filter((line) => line['type'] === 'stats');
      expect(stats.length).toBeGreaterThanOrEqual(2);
      expect(stats.at(-1)).toMatchObject({ lostFrames: 0, late: 0, duplicate: 0 });
      const summary = lines.at(-1)!;
      expect(summary).toMatchObject({ type: 'summary' });
      expect(summary['ended']).toBeUndefined();
      const [stream] = summary['streams'] as { framesReceived: number; lostFrames: number }[];
      expect(stream!.lostFrames).toBe(0);
      expect(stream!.framesReceived).toBeGreaterThan(48_000);
      // The server never streamed with the attacker.
      const sessions = jsonLines(server.stderr).filter((l) => l['event'] === 'io-started');
      expect(sessions).toHaveLength(1);
    },
  );
});
