import { NO_REDUNDANCY, REDUNDANCY_CAPABILITY, type Redundancy } from '@syfala/proto';
import { describe, expect, it } from 'vitest';
import { NetworkError, SyfalaServer, type ServerSession } from '../../src/index.js';
import { FORMATS } from '../control/helpers.js';
import { connectTo, rawClient, startServer } from './fixtures.js';

/** A server granting up to `max` redundant periods, recording what each startIo saw. */
async function recordingServer(max?: number) {
  const seen: Redundancy[] = [];
  const server = await startServer({
    ...(max !== undefined && { maxRedundancy: max }),
    io: { startIo: (session: ServerSession) => void seen.push(session.redundancy) },
  });
  return { server, seen };
}

describe('redundancy negotiated over TCP control', () => {
  it('caps what the server sends, acknowledges what the client sends, and both sides agree', async () => {
    const { server, seen } = await recordingServer(1);
    const connected = await connectTo(server, 'tcp');
    expect(connected.offer.capabilities).toContain(REDUNDANCY_CAPABILITY);

    const streaming = await connected.startIo({
      redundancy: { serverToClient: 3, clientToServer: 2 },
    });
    expect(streaming.redundancy).toEqual({ serverToClient: 1, clientToServer: 2 });
    expect(seen).toEqual([{ serverToClient: 1, clientToServer: 2 }]);

    // A start without the field means none, for this I/O.
    const idle = await streaming.stopIo();
    const again = await idle.startIo();
    expect(again.redundancy).toEqual(NO_REDUNDANCY);
    expect(seen[1]).toEqual(NO_REDUNDANCY);
  });

  it('asks nothing of a server that does not offer it', async () => {
    const { server, seen } = await recordingServer();
    const connected = await connectTo(server, 'tcp');
    expect(connected.offer.capabilities).not.toContain(REDUNDANCY_CAPABILITY);
    const streaming = await connected.startIo({
      redundancy: { serverToClient: 2, clientToServer: 2 },
    });
    expect(streaming.redundancy).toEqual(NO_REDUNDANCY);
    expect(seen).toEqual([NO_REDUNDANCY]);
  });

  it('is 0 over UDP control, which cannot carry it', async () => {
    const { server, seen } = await recordingServer(3);
    const connected = await connectTo(server, 'udp');
    expect(connected.offer.capabilities).toEqual([]);
    const streaming = await connected.startIo({
      redundancy: { serverToClient: 1, clientToServer: 1 },
    });
    expect(streaming.redundancy).toEqual(NO_REDUNDANCY);
    expect(seen).toEqual([NO_REDUNDANCY]);
  });

  it('answers no redundancy to a request that did not ask for any', async () => {
    const { server } = await recordingServer(2);
    const peer = await rawClient(server, [REDUNDANCY_CAPABILITY]);
    peer.send({ type: 'start-io', requestId: 2 });
    expect(await peer.next('start-io-result')).toEqual({
      type: 'start-io-result',
      requestId: 2,
      outcome: 'ok',
      reason: '',
    });
  });

  it.each([
    ['the server did not offer it', undefined, [REDUNDANCY_CAPABILITY]],
    ['the client did not advertise it', 3, []],
  ])(
    'refuses a start-io carrying redundancy when %s, with Error UNSUPPORTED, and starts nothing',
    async (_why, max, capabilities) => {
      const { server, seen } = await recordingServer(max);
      const peer = await rawClient(server, capabilities);
      peer.send({
        type: 'start-io',
        requestId: 2,
        redundancy: { serverToClient: 1, clientToServer: 0 },
      });
      expect(await peer.next('error')).toMatchObject({
        requestId: 2,
        code: 'unsupported',
        message: expect.stringContaining(REDUNDANCY_CAPABILITY),
      });
      // The connection goes on, and nothing was started.
      peer.send({ type: 'start-io', requestId: 3 });
      expect(await peer.next('start-io-result')).toMatchObject({ requestId: 3, outcome: 'ok' });
      // TCP keeps order: the Error came first, and request 2 got no result of its own.
      expect(peer.frames.filter((f) => f.type === 'start-io-result')).toHaveLength(1);
      expect(seen).toEqual([NO_REDUNDANCY]);
    },
  );

  it('rejects a redundancy out of range before asking, leaving the state usable', async () => {
    const { server, seen } = await recordingServer(3);
    const connected = await connectTo(server, 'tcp');
    await expect(
      connected.startIo({ redundancy: { serverToClient: 4, clientToServer: 0 } }),
    ).rejects.toMatchObject({ name: 'NetworkError', code: 'BAD_OPTION' });
    const streaming = await connected.startIo({
      redundancy: { serverToClient: 3, clientToServer: 3 },
    });
    expect(streaming.redundancy).toEqual({ serverToClient: 3, clientToServer: 3 });
    expect(seen).toHaveLength(1);
  });

  it.each([-1, 1.5, 4])('refuses a server maxRedundancy of %d', async (maxRedundancy) => {
    await expect(
      SyfalaServer.listen({
        name: 'x',
        formats: FORMATS,
        host: '127.0.0.1',
        udpPort: 0,
        controlPort: 0,
        discovery: { group: false, mdns: false },
        maxRedundancy,
      }),
    ).rejects.toBeInstanceOf(NetworkError);
  });
});
