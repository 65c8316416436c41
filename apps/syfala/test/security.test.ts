import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { ControlError, REFUSAL_REPORT_BURST_PER_SOURCE, connect } from '@syfala/network';
import { LOOPBACK_SERVE, jsonLines, serve, syfala, type Cli } from './cli-process.js';

/**
 * 500 ms of jitter buffer for the victim: its stream must lose nothing to the attack, and six
 * engineers' tests share these 2 cores, so it must lose nothing to a stalled process either.
 */
const LATENCY = ['--latency', '24000'];
/** The unicast beacon's answer comes at once; a loaded machine may take a while to send it. */
const RESOLVE = ['--timeout', '3000'];

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
      expect(await server.logEvent('refused')).toMatchObject({
        source: '127.0.0.1',
        transport: 'tcp',
        reason: 'address-in-use',
        text: `another session receives audio at 127.0.0.1:${victimPort}`,
      });

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

/** 100 TCP connections at once from another host, 127.0.0.2: most are closed unanswered. */
async function flood(controlPort: number): Promise<void> {
  const sockets = Array.from({ length: 100 }, () => {
    const socket = tcpConnect({ host: '127.0.0.1', port: controlPort, localAddress: '127.0.0.2' });
    socket.on('error', () => {});
    // Reading, so the server's Disconnect and close are seen.
    socket.resume();
    return socket;
  });
  await Promise.all(sockets.map((socket) => once(socket, 'close')));
}

describe('refusals in the serve log', () => {
  const PSK = 'correct horse battery staple';
  const refusals = (server: Cli, event = 'refused'): Record<string, unknown>[] =>
    jsonLines(server.stderr).filter((line) => line['event'] === event);

  it(
    'logs each wrong key and busy refusal with its source, and folds a flood into a summary line',
    { timeout: 90_000 },
    async () => {
      const server = syfala([
        'serve',
        ...LOOPBACK_SERVE,
        '--psk',
        PSK,
        '--max-sessions',
        '1',
        '--log',
        'json',
      ]);
      const { udpPort, controlPort } = await serve(server);
      const endpoint = `127.0.0.1:${udpPort}`;

      const wrongKeys = Array.from({ length: 5 }, () =>
        syfala([
          'connect',
          endpoint,
          ...RESOLVE,
          '--psk',
          'wrong key, same length!!',
          '--duration',
          '1',
        ]),
      );
      for (const attempt of wrongKeys) expect((await attempt.exited).code).toBe(1);
      await vi.waitFor(() => expect(refusals(server)).toHaveLength(5), { timeout: 5000 });
      for (const line of refusals(server)) {
        expect(line).toMatchObject({
          source: '127.0.0.1',
          transport: 'tcp',
          reason: 'auth-failed',
          text: 'wrong key proof',
        });
        expect(line['peer']).toMatch(/^127\.0\.0\.1:\d+$/);
      }

      // One session is all this server takes: the next client is refused as busy.
      const holder = syfala(['connect', endpoint, ...RESOLVE, '--psk', PSK, '--duration', '30']);
      await server.logEvent('session-opened', 20_000);
      const busy = syfala(['connect', endpoint, ...RESOLVE, '--psk', PSK, '--duration', '1']);
      expect((await busy.exited).code).toBe(1);
      await vi.waitFor(() => expect(refusals(server)).toHaveLength(6), { timeout: 5000 });
      expect(refusals(server)[5]).toMatchObject({
        source: '127.0.0.1',
        reason: 'busy',
        text: 'the server is full (1 sessions)',
      });
      holder.child.kill('SIGINT');
      expect((await holder.exited).code).toBe(0);

      await flood(controlPort);
      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      const one = refusals(server).filter((line) => line['source'] === '127.0.0.2');
      // A burst one by one (a token more may have come back on a slow machine), then summaries.
      expect(one.length).toBeGreaterThanOrEqual(REFUSAL_REPORT_BURST_PER_SOURCE);
      expect(one.length).toBeLessThan(20);
      const folded = refusals(server, 'refused-folded');
      expect(folded.length).toBeGreaterThanOrEqual(1);
      for (const line of folded) expect(line).toMatchObject({ source: '127.0.0.2' });
      // Every one of the flood's refusals is in the log, one by one or in a summary.
      const foldedCount = folded.reduce((total, line) => total + (line['count'] as number), 0);
      expect(one.length + foldedCount).toBe(100);
    },
  );

  it('logs them as text for a person too', { timeout: 60_000 }, async () => {
    const server = syfala(['serve', ...LOOPBACK_SERVE, '--psk', PSK, '--log', 'text']);
    await vi.waitFor(() => expect(server.stderr).toMatch(/listening as/), { timeout: 20_000 });
    const udpPort = /UDP (\d+)/.exec(server.stderr)![1]!;
    const controlPort = Number(/TCP control (\d+)/.exec(server.stderr)![1]);
    const wrongKey = syfala([
      'connect',
      `127.0.0.1:${udpPort}`,
      ...RESOLVE,
      '--psk',
      'wrong key, same length!!',
    ]);
    expect((await wrongKey.exited).code).toBe(1);
    await flood(controlPort);
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stderr).toMatch(
      /refused 127\.0\.0\.1:\d+ \(TCP\): auth-failed, wrong key proof\n/,
    );
    expect(server.stderr).toMatch(
      /refused 127\.0\.0\.2:\d+ \(TCP\): busy, closed unanswered: 8 handshakes in progress from 127\.0\.0\.2\n/,
    );
    expect(server.stderr).toMatch(
      /refused \d+ more from 127\.0\.0\.2 \(busy \d+(, timeout \d+)?\): too many to log one by one\n/,
    );
  });
});
