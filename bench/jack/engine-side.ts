/**
 * One side of impairment.ts's syfala bridge, in a process of its own: jackd2's libjack serves one
 * JACK server per process (a second client on another server reads the first one's graph), so
 * the two sides cannot share one process.
 *
 *   tsx bench/jack/engine-side.ts --server NAME --client NAME --peer-port PORT --latency FRAMES
 *        [--bind-port PORT] [--channels 2] [--period 64] [--drift-compensation] [--adaptive-latency]
 *        [--sealed client-to-server|server-to-client]
 *
 * A native JackEngine with one f32 stream each way, streaming with the peer at 127.0.0.1:PORT
 * (the relay). --sealed encrypts the audio (docs/SECURITY.md), sending the way given, with fixed
 * bench secrets both sides share. Prints {"event":"ready","inputPorts":[…],"outputPorts":[…]} once it streams, then
 * {"event":"stats","received":[…]} (cumulative) every second; SIGTERM closes it.
 */
import { parseArgs } from 'node:util';
import type { AudioSecurity } from '@syfala/audio';
import { JackEngine } from '@syfala/backend-jack';
import type { Format } from '@syfala/proto';

const STATS_EVERY_MS = 1000;

const { values } = parseArgs({
  options: {
    server: { type: 'string' },
    client: { type: 'string' },
    'peer-port': { type: 'string' },
    latency: { type: 'string' },
    'bind-port': { type: 'string', default: '0' },
    channels: { type: 'string', default: '2' },
    period: { type: 'string', default: '64' },
    'drift-compensation': { type: 'boolean', default: false },
    'adaptive-latency': { type: 'boolean', default: false },
    sealed: { type: 'string' },
  },
});
const { server, client } = values;
if (server === undefined || client === undefined || values['peer-port'] === undefined) {
  throw new Error('engine-side: --server, --client and --peer-port are required');
}

/** Fixed secrets, one per direction: a bench measures the cost, not the key exchange. */
function benchSecurity(sendDirection: string | undefined): AudioSecurity | undefined {
  if (sendDirection === undefined) return undefined;
  if (sendDirection !== 'client-to-server' && sendDirection !== 'server-to-client') {
    throw new Error(`engine-side: --sealed must be client-to-server or server-to-client`);
  }
  const clientToServer = new Uint8Array(32).fill(0xc2);
  const serverToClient = new Uint8Array(32).fill(0x2c);
  const client = sendDirection === 'client-to-server';
  return {
    sendDirection,
    sendSecret: client ? clientToServer : serverToClient,
    receiveSecret: client ? serverToClient : clientToServer,
    firstKeyId: 0,
  };
}
const security = benchSecurity(values.sealed);

const format: Format = {
  sampleType: 'f32',
  sampleRate: 48_000,
  channels: Number(values.channels),
  bufferFrames: Number(values.period),
};
const engine = await JackEngine.start({
  bind: { address: '127.0.0.1', port: Number(values['bind-port']) },
});
const info = await engine.openDevice(
  { inputs: [format], outputs: [format] },
  { server, clientName: client, autoConnect: false },
);
const route = { device: 0, wire: 0, format };
await engine.addPeer({
  id: 'peer',
  address: '127.0.0.1',
  port: Number(values['peer-port']),
  send: [route],
  receive: [route],
  targetLatencyFrames: Number(values.latency),
  sending: true,
  driftCompensation: values['drift-compensation'],
  adaptiveLatency: values['adaptive-latency'],
  ...(security && { security }),
});
const print = (line: object): void => void process.stdout.write(`${JSON.stringify(line)}\n`);
print({ event: 'ready', inputPorts: info.inputPorts, outputPorts: info.outputPorts });

const timer = setInterval(() => {
  void engine.stats().then((stats) =>
    print({
      event: 'stats',
      received: stats.peers[0]?.received,
      security: stats.peers[0]?.security,
    }),
  );
}, STATS_EVERY_MS);
process.once('SIGTERM', () => {
  clearInterval(timer);
  void engine.close().then(() => process.exit(0));
});
