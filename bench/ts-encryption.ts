/**
 * What encrypted audio (docs/SECURITY.md) costs the TS data plane: the CPU of one AUDE sealed
 * and opened (Node's ChaCha20-Poly1305), and two engines streaming N f32 48 kHz channels one way
 * over loopback for a few seconds, 32-frame periods, clear and then encrypted, with CPU for the
 * whole process (both workers and the idle main thread) per second of audio.
 *
 *   bash scripts/pnpm.sh exec tsx bench/ts-encryption.ts [channels...]   (default 2 64)
 */
import { createSecretKey, randomBytes } from 'node:crypto';
import { AudioEngine, type AudioSecurity, type ReceivedStreamStats } from '@syfala/audio';
import { openAudio, sealAudio, sealAudioInPlace, type Format } from '@syfala/proto';

const RUN_MS = 4000;
const TARGET_LATENCY_FRAMES = 480;
const OPS = 20_000;

/** Microseconds per seal and per open of a `payloadBytes` run, and the Node heap it allocates. */
function perDatagram(payloadBytes: number): { sealUs: number; openUs: number } {
  const key = createSecretKey(randomBytes(32));
  const run = {
    streamIndex: 0,
    byteIndex: 0,
    copy: 0,
    keyId: 0,
    payload: randomBytes(payloadBytes),
  };
  const datagram = sealAudio(key, 'client-to-server', run);
  const scratch = new Uint8Array(datagram.length);
  const time = (fn: () => void): number => {
    for (let i = 0; i < 1000; i++) fn();
    const start = performance.now();
    for (let i = 0; i < OPS; i++) fn();
    return ((performance.now() - start) * 1000) / OPS;
  };
  return {
    sealUs: time(() => {
      scratch.set(datagram);
      sealAudioInPlace(key, 'client-to-server', 0, scratch, scratch.length);
    }),
    openUs: time(() => openAudio(key, 'client-to-server', datagram)),
  };
}

interface StreamRow {
  channels: number;
  encrypted: boolean;
  lostFrames: number;
  underruns: number;
  authFailed: number;
  /** Periods either card could not deliver on time. */
  xruns: number;
  /** CPU seconds per second of audio, whole process. */
  cpuLoad: number;
}

function securities(): [AudioSecurity, AudioSecurity] {
  const [c2s, s2c] = [randomBytes(32), randomBytes(32)];
  return [
    { sendDirection: 'client-to-server', sendSecret: c2s, receiveSecret: s2c, firstKeyId: 0 },
    { sendDirection: 'server-to-client', sendSecret: s2c, receiveSecret: c2s, firstKeyId: 0 },
  ];
}

async function stream(channels: number, encrypted: boolean): Promise<StreamRow> {
  const format: Format = { sampleType: 'f32', sampleRate: 48_000, channels, bufferFrames: 32 };
  const sender = await AudioEngine.start({ bind: { address: '127.0.0.1' } });
  const receiver = await AudioEngine.start({ bind: { address: '127.0.0.1' } });
  try {
    await sender.openDevice({
      backend: 'virtual',
      streams: { inputs: [format], outputs: [] },
      options: {},
    });
    await receiver.openDevice({
      backend: 'virtual',
      streams: { inputs: [], outputs: [format] },
      options: {},
    });
    const route = { device: 0, wire: 0, format };
    const common = { address: '127.0.0.1', targetLatencyFrames: TARGET_LATENCY_FRAMES };
    const [client, server] = securities();
    await receiver.addPeer({
      ...common,
      id: 'tx',
      port: sender.port,
      send: [],
      receive: [route],
      sending: false,
      ...(encrypted && { security: server }),
    });
    await sender.addPeer({
      ...common,
      id: 'rx',
      port: receiver.port,
      send: [route],
      receive: [],
      sending: true,
      ...(encrypted && { security: client }),
    });
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await new Promise((resolve) => setTimeout(resolve, RUN_MS));
    const stats = await receiver.stats();
    const peer = stats.peers[0]!;
    const cpu = process.cpuUsage(cpuStart);
    const seconds = (performance.now() - start) / 1000;
    const received = peer.received[0]! as ReceivedStreamStats;
    return {
      channels,
      encrypted,
      lostFrames: received.lostFrames,
      underruns: received.underruns,
      authFailed: peer.security?.authFailed ?? 0,
      xruns: (stats.device?.xruns ?? 0) + ((await sender.stats()).device?.xruns ?? 0),
      cpuLoad: (cpu.user + cpu.system) / 1e6 / seconds,
    };
  } finally {
    await Promise.all([sender.close(), receiver.close()]);
  }
}

const counts = process.argv.slice(2).map(Number);
console.log(`node ${process.version}; per datagram (µs), ${OPS} each:`);
for (const bytes of [256, 1352]) {
  const { sealUs, openUs } = perDatagram(bytes);
  console.log(`  ${bytes}-byte payload: seal ${sealUs.toFixed(1)}, open ${openUs.toFixed(1)}`);
}
console.log('channels | encrypted | lost frames | underruns | xruns | authFailed | CPU (s/s)');
for (const channels of counts.length > 0 ? counts : [2, 64]) {
  for (const encrypted of [false, true]) {
    const row = await stream(channels, encrypted);
    console.log(
      `${row.channels} | ${row.encrypted} | ${row.lostFrames} | ${row.underruns} | ${row.xruns} | ${row.authFailed} | ${row.cpuLoad.toFixed(3)}`,
    );
  }
}
