import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { connectUdpControl } from '../../src/control/udp-client.js';
import {
  ControlError,
  NetworkError,
  type RefusalReport,
  type ServerOptions,
  type Streaming,
} from '../../src/index.js';
import { FORMATS, rejection, sleep, waitFor } from '../control/helpers.js';
import { connectTo, startServer, TRANSPORTS } from './fixtures.js';

describe.each(TRANSPORTS)('one server, many clients, over %s control', (transport) => {
  it('serves 100 clients at once, each with its own session', { timeout: 60_000 }, async () => {
    let active = 0;
    let peak = 0;
    const server = await startServer({
      maxSessions: 100,
      maxSessionsPerAddress: 100,
      io: {
        startIo: () => void (peak = Math.max(peak, ++active)),
        stopIo: () => void active--,
      },
    });
    const clients = await Promise.all(
      // 100 hosts: each client from its own loopback address, as on a real network.
      Array.from({ length: 100 }, (_, i) =>
        connectTo(server, transport, {
          clientName: `client ${i}`,
          localAddress: `127.0.1.${i + 1}`,
        }),
      ),
    );
    expect(server.sessions.length).toBe(100);
    expect(new Set(server.sessions.map((s) => s.client.address)).size).toBe(100);
    if (transport === 'tcp') {
      expect(new Set(server.sessions.map((s) => s.client.clientName)).size).toBe(100);
    }
    const streaming: Streaming[] = await Promise.all(clients.map((client) => client.startIo()));
    expect(peak).toBe(100);
    const stopped = await Promise.all(streaming.map((s) => s.stopIo()));
    expect(active).toBe(0);
    await Promise.all(stopped.map((client) => client.disconnect()));
    await waitFor('every server session to close', () => server.sessions.length === 0);
    expect(server.stats().sessionsOpened).toBe(100);
  });

  it('refuses clients beyond the session limits with reason busy, and counts them', async () => {
    const server = await startServer({ maxSessions: 2 });
    await connectTo(server, transport);
    await connectTo(server, transport);
    const error = await rejection<ControlError>(connectTo(server, transport));

    expect(error).toBeInstanceOf(ControlError);
    expect(error.code).toBe('REFUSAL');
    expect(error.disconnectReason).toBe('busy');
    if (transport === 'tcp') expect(error.message).toMatch(/the server is full \(2 sessions\)/);
    expect(server.stats().refused.busy).toBe(1);
  });

  it('limits sessions per source address', async () => {
    const server = await startServer({ maxSessionsPerAddress: 1 });
    await connectTo(server, transport);
    const error = await rejection<ControlError>(connectTo(server, transport));
    expect(error.disconnectReason).toBe('busy');
    if (transport === 'tcp') expect(error.message).toMatch(/too many sessions from 127\.0\.0\.1/);
  });

  it('admits by the caller policy after the limits', async () => {
    const server = await startServer({
      admit: () => ({ admit: false, reason: 'format-unsupported', text: 'mono only here' }),
    });
    const error = await rejection<ControlError>(connectTo(server, transport));
    expect(error.disconnectReason).toBe('format-unsupported');
    expect(server.stats().refused['format-unsupported']).toBe(1);
  });

  it('keeps running sessions working through garbage datagrams and hostile TCP peers', async () => {
    const server = await startServer({ handshakeTimeoutMs: 300 });
    const connected = await connectTo(server, transport);

    const garbage = createSocket('udp4');
    await new Promise<void>((resolve) => garbage.bind(0, '127.0.0.1', resolve));
    for (let i = 0; i < 200; i++) {
      const bytes = Buffer.from(
        Array.from({ length: 1 + (i % 60) }, (_, j) => (i * 31 + j * 7) & 0xff),
      );
      garbage.send(bytes, server.udpPort, '127.0.0.1');
    }
    // A frame announcing 4 GB, and a peer that connects and says nothing.
    const huge = tcpConnect(server.controlPort, '127.0.0.1', () =>
      huge.write(Buffer.from([0xff, 0xff, 0xff, 0xff])),
    );
    const silent = tcpConnect(server.controlPort, '127.0.0.1');
    for (const socket of [huge, silent]) socket.on('error', () => {});

    const streaming = await connected.startIo();
    await waitFor('the garbage to be counted', () => server.stats().udp.datagramsReceived >= 200);
    await waitFor('the hostile TCP peers to be dealt with', () => {
      const tcp = server.stats().tcp!;
      return tcp.decodeErrors.TOO_LARGE === 1 && tcp.handshakeTimeouts === 1;
    });
    const stats = server.stats().udp;
    const rejected = Object.values(stats.decodeErrors).reduce((a, b) => a + b, 0);
    expect(rejected + stats.unknownPeer).toBeGreaterThanOrEqual(200);
    await streaming.stopIo();
    expect(server.sessions.length).toBe(1);

    garbage.close();
    huge.destroy();
    silent.destroy();
  });
});

describe("a session's audio address is its own", () => {
  /** A UDP socket on 127.0.0.1, closed when the test ends. */
  async function udpSocket() {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())));
    return socket;
  }

  it.each(TRANSPORTS)(
    'refuses a TCP Hello naming the audio port of a client over %s control, and counts it',
    async (victimTransport) => {
      const server = await startServer();
      const victim = await connectTo(server, victimTransport);
      await victim.startIo();
      const [held] = server.sessions;
      const error = await rejection<ControlError>(
        connectTo(server, 'tcp', { udpAudioPort: held!.client.udpAudioPort }),
      );
      expect(error).toBeInstanceOf(ControlError);
      expect(error.code).toBe('REFUSAL');
      expect(error.disconnectReason).toBe('address-in-use');
      expect(error.message).toContain(`receives audio at 127.0.0.1:${held!.client.udpAudioPort}`);
      expect(server.stats().refused['address-in-use']).toBe(1);
      expect(server.sessions).toEqual([held]);
      expect(held!.state).toBe('streaming');
    },
  );

  it('refuses a UDP client whose address a TCP session named for its audio', async () => {
    const server = await startServer();
    const spoofed = await udpSocket();
    await connectTo(server, 'tcp', { udpAudioPort: spoofed.address().port });
    const error = await rejection<ControlError>(
      connectUdpControl({ host: '127.0.0.1', port: server.udpPort, socket: spoofed }),
    );
    expect(error.disconnectReason).toBe('address-in-use');
    expect(server.stats().udp.refused['address-in-use']).toBe(1);
    expect(server.sessions).toHaveLength(1);
  });

  it('admits the address again once the session holding it has ended', async () => {
    const server = await startServer();
    const first = await connectTo(server, 'tcp');
    const port = server.sessions[0]!.client.udpAudioPort;
    await first.disconnect();
    await waitFor('the first session to close', () => server.sessions.length === 0);
    await connectTo(server, 'tcp', { udpAudioPort: port });
    expect(server.sessions.map((s) => s.client.udpAudioPort)).toEqual([port]);
  });
});

describe('half-open TCP handshakes from one source', () => {
  /**
   * Opens silent TCP control connections from 127.0.0.2, keeping up to `held` open and dropping
   * the oldest for each new one, until `stop` resolves (at most `maxOpened`). Resolves with the
   * number opened, once every socket is closed.
   */
  async function churn(
    port: number,
    stop: Promise<unknown>,
    { held, maxOpened }: { held: number; maxOpened: number },
  ): Promise<number> {
    const open = new Set<Socket>();
    let stopped = false;
    void stop.finally(() => (stopped = true));
    let opened = 0;
    for (; !stopped && opened < maxOpened; opened++) {
      if (open.size >= held) open.values().next().value!.destroy();
      const socket = tcpConnect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
      socket.on('error', () => {});
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      await sleep(2);
    }
    await Promise.all([...open].map((socket) => (socket.destroy(), once(socket, 'close'))));
    return opened;
  }

  it(
    'cannot keep clients from other sources out: every one connects while an attacker churns',
    { timeout: 60_000 },
    async () => {
      const server = await startServer();
      let clientsDone!: () => void;
      const done = new Promise<void>((resolve) => (clientsDone = resolve));
      // Bounded: 100 held at once (the global limit is 64), 4000 in all, 30 s at most.
      const attack = churn(server.controlPort, Promise.race([done, sleep(30_000)]), {
        held: 100,
        maxOpened: 4000,
      });
      await waitFor('the attacker to hold its handshakes', () => {
        return server.stats().tcp!.connectionsAccepted >= 200;
      });
      try {
        for (let i = 0; i < 10; i++) {
          const connected = await connectTo(server, 'tcp', { clientName: `real client ${i}` });
          await connected.disconnect();
        }
      } finally {
        clientsDone();
      }
      const opened = await attack;
      const tcp = server.stats().tcp!;
      expect(tcp.handshakesCompleted).toBe(10);
      expect(tcp.droppedTooManyPendingFromSource).toBeGreaterThan(0);
      expect(tcp.droppedTooManyPending).toBe(0);
      expect(opened).toBeGreaterThanOrEqual(200);
    },
  );
});

describe('refusals', () => {
  it('reports each one with its source on refusals$, and counts every one by reason', async () => {
    const psk = 'correct horse battery staple';
    const server = await startServer({
      psk,
      maxSessions: 1,
      maxPendingHandshakesPerSource: 1,
      handshakeTimeoutMs: 300,
    });
    const reports: RefusalReport[] = [];
    server.refusals$.subscribe((report) => reports.push(report));
    await rejection(connectTo(server, 'tcp', { psk: 'wrong key, same length!!!!!' }));
    await rejection(connectTo(server, 'udp'));
    await connectTo(server, 'tcp', { psk });
    await rejection(connectTo(server, 'tcp', { psk }));
    // Two silent connections from 127.0.0.2: one is dropped at once, the other times out.
    const silent = [0, 1].map(() => {
      const socket = tcpConnect({
        host: '127.0.0.1',
        port: server.controlPort,
        localAddress: '127.0.0.2',
      });
      socket.on('error', () => {});
      socket.resume();
      return socket;
    });
    await Promise.all(silent.map((socket) => once(socket, 'close')));

    expect(server.stats().refused).toEqual({ 'auth-failed': 2, busy: 2, timeout: 1 });
    expect(reports.map((r) => r.type === 'refused' && [r.transport, r.source, r.reason])).toEqual([
      ['tcp', '127.0.0.1', 'auth-failed'],
      ['udp', '127.0.0.1', 'auth-failed'],
      ['tcp', '127.0.0.1', 'busy'],
      ['tcp', '127.0.0.2', 'busy'],
      ['tcp', '127.0.0.2', 'timeout'],
    ]);
    expect(reports[2]).toMatchObject({ text: 'the server is full (1 sessions)' });
    expect(reports[3]).toMatchObject({
      text: 'closed unanswered: 1 handshakes in progress from 127.0.0.2',
    });
  });
});

describe('pre-shared key, through the server', () => {
  const psk = 'correct horse battery staple';

  it('admits a client with the right key and refuses a wrong one, counting it', async () => {
    const server = await startServer({ psk });
    const connected = await connectTo(server, 'tcp', { psk });
    await connected.startIo();

    const error = await rejection<ControlError>(
      connectTo(server, 'tcp', { psk: 'wrong key, same length!!!!!' }),
    );
    expect(error.code).toBe('AUTH_FAILED');
    expect(server.stats().tcp!.authFailures).toBe(1);
  });

  it('refuses UDP control when a key is required (UDP has no authentication)', async () => {
    const server = await startServer({ psk });
    const error = await rejection<ControlError>(connectTo(server, 'udp'));
    expect(error.code).toBe('AUTH_FAILED');
    expect(server.stats().udp.authFailures).toBe(1);
  });
});

describe('server options', () => {
  const format = FORMATS.inputs[0]!;
  it.each<[string, Partial<ServerOptions>, RegExp]>([
    // 129 × "é" is 129 UTF-16 units but 258 bytes: the limit is in bytes.
    [
      'a name the CONN offer cannot carry',
      { name: 'é'.repeat(129) },
      /^name: at most 255 UTF-8 bytes, got 258$/,
    ],
    ['an id that is not one', { id: 'studio' }, /^id: /],
    [
      'a stream with no channels',
      { formats: { inputs: [{ ...format, channels: 0 }], outputs: [] } },
      /^formats\.inputs\[0\]: channel count/,
    ],
    [
      'more streams than a direction holds',
      { formats: { inputs: Array(257).fill(format), outputs: [] } },
      /^formats\.inputs: at most 256 streams/,
    ],
    ['an audio port of 0', { audioPort: 0 }, /^audioPort: /],
    ['no sessions at all', { maxSessions: 0 }, /^maxSessions: /],
    [
      'no handshakes from a source',
      { maxPendingHandshakesPerSource: 0 },
      /^maxPendingHandshakesPerSource: /,
    ],
    ['a heartbeat of no time', { heartbeat: { intervalMs: 0 } }, /^heartbeat\.intervalMs: /],
  ])('refuses %s with NetworkError BAD_OPTION naming it', async (_what, options, message) => {
    const error = await rejection<NetworkError>(startServer(options));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.code).toBe('BAD_OPTION');
    expect(error.message).toMatch(message);
  });
});
