import { firstValueFrom } from 'rxjs';
import { STATS_CAPABILITY, type ControlStatsCounters } from '@syfala/proto';
import { describe, expect, it } from 'vitest';
import type { ServerSession, StatsReport } from '../../src/index.js';
import { connectTo, rawClient, startServer } from './fixtures.js';

/** A provider whose counters grow with each read, as an engine's do; `reads` are what it gave. */
function counting(lostPerRead: number) {
  const reads: StatsReport[] = [];
  const provider = (): StatsReport => {
    const session: ControlStatsCounters = { lostFrames: lostPerRead * (reads.length + 1) };
    const report: StatsReport = {
      session,
      streams: [{ direction: 'output', streamIndex: 0, counters: session }],
    };
    reads.push(report);
    return report;
  };
  return { provider, reads };
}

describe('Stats both ways over TCP control', () => {
  it('each side sends its view while I/O runs and the final one as it stops; the peer keeps the latest', async () => {
    const server = counting(7);
    const client = counting(3);
    let clientViewAtStop: StatsReport | undefined;
    const tcp = await startServer({
      io: {
        startIo: (session: ServerSession) => session.setStatsProvider(server.provider),
        stopIo: (session: ServerSession) => void (clientViewAtStop = session.peerStats()),
      },
    });
    const connected = await connectTo(tcp, 'tcp');
    expect(connected.offer.capabilities).toContain(STATS_CAPABILITY);
    connected.setStatsProvider(client.provider);
    const session = (): ServerSession => tcp.sessions[0]!;

    const streaming = await connected.startIo();
    const fromServer = await firstValueFrom(streaming.peerStats$);
    expect(fromServer).toMatchObject(server.reads[0]!);
    expect(fromServer.senderTimeUs).toBeGreaterThan(0);
    const fromClient = await firstValueFrom(session().peerStats$);
    expect(fromClient).toMatchObject(client.reads[0]!);

    await streaming.stopIo();
    // The last reads went out as I/O stopped, before the stop's request and its answer.
    expect(clientViewAtStop).toMatchObject(client.reads.at(-1)!);
    expect(streaming.peerStats()).toMatchObject(server.reads.at(-1)!);
    expect(streaming.peerStats()?.session.lostFrames).toBe(7 * server.reads.length);
  });

  it('sends the final Stats before Disconnect when a streaming client hangs up', async () => {
    const client = counting(5);
    const tcp = await startServer();
    const connected = await connectTo(tcp, 'tcp');
    connected.setStatsProvider(client.provider);
    const streaming = await connected.startIo();
    const session = tcp.sessions[0]!;
    const ended = session.ended;
    await streaming.disconnect();
    await ended;
    expect(client.reads).toHaveLength(1);
    expect(session.peerStats()).toMatchObject(client.reads[0]!);
  });

  it('answers Stats from a client that did not list "stats" with Error UNEXPECTED_MESSAGE', async () => {
    const tcp = await startServer();
    const peer = await rawClient(tcp, []);
    peer.send({ type: 'stats', requestId: 0, senderTimeUs: 1, session: {}, streams: [] });
    expect(await peer.next('error')).toMatchObject({ code: 'unexpected-message' });
    expect(tcp.sessions[0]!.peerStats()).toBeUndefined();
  });
});
