import { onTestFinished } from 'vitest';
import { CONTROL_PROTOCOL_VERSION } from '@syfala/proto';
import { connect, SyfalaServer, type ConnectOptions, type ServerOptions } from '../../src/index.js';
import { CLIENT_ID, FORMATS, RawTcpPeer } from '../control/helpers.js';

export const TRANSPORTS = ['tcp', 'udp'] as const;

/** Heartbeats fast enough that timeouts show within a test, slow enough for a loaded 2-core machine. */
export const FAST_HEARTBEAT = { intervalMs: 50, timeoutMs: 400 };

/** A server on 127.0.0.1 with free ports and no multicast or mDNS, closed when the test ends. */
export async function startServer(options: Partial<ServerOptions> = {}): Promise<SyfalaServer> {
  const server = await SyfalaServer.listen({
    name: 'test server',
    formats: FORMATS,
    host: '127.0.0.1',
    udpPort: 0,
    controlPort: 0,
    discovery: { group: false, mdns: false },
    ...options,
  });
  onTestFinished(() => server.close());
  return server;
}

/** Connects to `server` over `transport`; the session is disconnected when the test ends. */
export async function connectTo(
  server: SyfalaServer,
  transport: 'tcp' | 'udp',
  options: ConnectOptions = {},
  ports: { udpPort?: number; controlPort?: number } = {},
) {
  const connected = await connect(
    {
      host: '127.0.0.1',
      udpPort: ports.udpPort ?? server.udpPort,
      controlPort: ports.controlPort ?? server.controlPort,
    },
    { transport, ...options },
  );
  onTestFinished(async () => {
    const ended = connected.ended;
    server.sessions.forEach((session) => void session.disconnect());
    await ended;
  });
  return connected;
}

/** Says Hello over raw frames, advertising `capabilities`, and returns the peer once welcomed. */
export async function rawClient(server: SyfalaServer, capabilities: string[]): Promise<RawTcpPeer> {
  const peer = await RawTcpPeer.connect(server.controlPort);
  peer.send({
    type: 'hello',
    requestId: 1,
    protocolVersion: CONTROL_PROTOCOL_VERSION,
    clientId: CLIENT_ID,
    clientName: 'raw',
    capabilities,
    udpAudioPort: 4464,
  });
  await peer.next('welcome');
  return peer;
}
