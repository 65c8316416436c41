// syfala's native engine in a Node process that holds nothing else: engine-host.cpp's twin, to
// tell what a Node host costs the JACK graph from what the CLI's other work costs (bench/RESULTS.md,
// issue #14, twenty-fifth session). By hand, not a test, after `pnpm exec tsc -b`:
//
//   node --use-largepages=on bench/jack/engine-host-node.mjs SERVER CLIENT-NAME LOCAL-UDP-PORT PEER-UDP-PORT
//
// One per side, on 127.0.0.1; each sends 2 f32 channels to the other with the CLI's defaults for
// JACK (drift compensation, `auto` latency from 128 frames, fade concealment), in the clear, and
// reads the engine's stats once a second as the CLI does. SEALED=client or SEALED=server seals
// both ways as that side of a session would (fixed secrets: a bench, not a secure link; the other
// side names the other role). Stops on SIGINT.
import { clearInterval, setInterval } from 'node:timers';
import { loadNativeAddon } from '../../packages/native-engine/dist/index.js';

const [server, clientName, localPort, peerPort] = process.argv.slice(2);
if (peerPort === undefined) {
  console.error('usage: engine-host-node SERVER CLIENT-NAME LOCAL-UDP-PORT PEER-UDP-PORT');
  process.exit(2);
}
const addon = loadNativeAddon((error) => error);
const engine = new addon.Engine({
  address: '127.0.0.1',
  port: Number(localPort),
  datagramBudgetBytes: 'auto',
});
engine.openJack(
  { server, clientName, inputs: [2], outputs: [2], sampleRate: 48000, autoConnect: false },
  () => undefined,
);
const secrets = { 'client-to-server': 1, 'server-to-client': 2 };
const sealedAs = process.env.SEALED;
const sendDirection = sealedAs === 'client' ? 'client-to-server' : 'server-to-client';
const receiveDirection = sealedAs === 'client' ? 'server-to-client' : 'client-to-server';
const security = {
  sendDirection,
  sendSecret: new Uint8Array(32).fill(secrets[sendDirection]),
  receiveSecret: new Uint8Array(32).fill(secrets[receiveDirection]),
  firstKeyId: 0,
};
const format = { sampleRate: 48000, channels: 2, bufferFrames: 0, sampleType: 'f32' };
engine.addPeer({
  id: 'peer',
  address: '127.0.0.1',
  port: Number(peerPort),
  send: [{ device: 0, wire: 0, format }],
  receive: [{ device: 0, wire: 0, format }],
  targetLatencyFrames: 128,
  driftCompensation: true,
  adaptiveLatency: true,
  concealment: 'fade',
  sending: true,
  ...(sealedAs !== undefined && { security }),
});
const polling = setInterval(() => engine.stats(), 1000);
process.on('SIGINT', () => {
  clearInterval(polling);
  const [received] = engine.stats().peers[0].received;
  console.error(
    `received ${received.receivedBytes} bytes, underruns ${received.underruns}, lost ${received.lostFrames} frames`,
  );
  engine.close();
});
