import { describe, expect, it } from 'vitest';
import type { ServerEvent, SessionEnd, SyfalaServer } from '../../src/index.js';
import { tcpRelay, udpRelay, waitFor } from '../control/helpers.js';
import { connectTo, FAST_HEARTBEAT, startServer, TRANSPORTS } from './fixtures.js';

type Direction = 'toServer' | 'toClient';

/** A client connected through a relay that can silence either direction. */
async function throughRelay(server: SyfalaServer, transport: 'tcp' | 'udp') {
  const silenced = new Set<Direction>();
  const ports =
    transport === 'tcp'
      ? { controlPort: (await tcpRelay(server.controlPort, (d) => silenced.has(d))).port }
      : { udpPort: (await udpRelay(server.udpPort, (_, d) => silenced.has(d))).port };
  const connected = await connectTo(server, transport, { heartbeat: FAST_HEARTBEAT }, ports);
  return { connected, silence: (direction: Direction) => silenced.add(direction) };
}

async function serverEnd(server: SyfalaServer): Promise<SessionEnd> {
  return new Promise((resolve) => {
    server.events$.subscribe((event: ServerEvent) => {
      if (event.type === 'closed') resolve(event.end);
    });
  });
}

describe.each(TRANSPORTS)('heartbeats over %s control', (transport) => {
  it('keeps an idle session alive well past the timeout', async () => {
    const server = await startServer({ heartbeat: FAST_HEARTBEAT });
    const { connected } = await throughRelay(server, transport);
    await new Promise((resolve) => setTimeout(resolve, FAST_HEARTBEAT.timeoutMs * 3));
    expect(server.sessions[0]!.state).toBe('connected');
    const stats = connected.stats();
    expect(stats.heartbeatsReceived).toBeGreaterThan(5);
    expect(stats.heartbeatsSent).toBeGreaterThan(5);
  });

  it('ends the session on the client when the server goes silent, and tells the server', async () => {
    const released: string[] = [];
    const server = await startServer({
      heartbeat: FAST_HEARTBEAT,
      io: { stopIo: () => void released.push('stopIo') },
    });
    const { connected, silence } = await throughRelay(server, transport);
    const streaming = await connected.startIo();
    const onServer = serverEnd(server);
    const silentSince = performance.now();
    silence('toClient');

    const end = await streaming.ended;
    const elapsedMs = performance.now() - silentSince;
    expect(end).toMatchObject({ reason: 'timeout', by: 'local' });
    // Within the timeout, give or take a busy machine's scheduling.
    expect(elapsedMs).toBeGreaterThanOrEqual(FAST_HEARTBEAT.timeoutMs - FAST_HEARTBEAT.intervalMs);
    expect(elapsedMs).toBeLessThan(FAST_HEARTBEAT.timeoutMs + 1000);
    expect(await onServer).toMatchObject({ reason: 'timeout', by: 'peer' });
    await waitFor('the server to release the streaming session', () => released.length === 1);
    expect(server.sessions).toEqual([]);
  });

  it('ends the session on the server when the client goes silent, and tells the client', async () => {
    const server = await startServer({ heartbeat: FAST_HEARTBEAT });
    const { connected, silence } = await throughRelay(server, transport);
    const onServer = serverEnd(server);
    silence('toServer');

    expect(await onServer).toMatchObject({ reason: 'timeout', by: 'local' });
    expect(await connected.ended).toMatchObject({ reason: 'timeout', by: 'peer' });
  });

  it('ends both sides by their own timeout when the path goes dead both ways', async () => {
    const server = await startServer({ heartbeat: FAST_HEARTBEAT });
    const { connected, silence } = await throughRelay(server, transport);
    const onServer = serverEnd(server);
    silence('toServer');
    silence('toClient');

    expect(await onServer).toMatchObject({ reason: 'timeout', by: 'local' });
    expect(await connected.ended).toMatchObject({ reason: 'timeout', by: 'local' });
  });
});
