/**
 * Encrypted audio between two real TS engines (docs/SECURITY.md), through a UDP relay each takes
 * for its peer: the relay is on the path, so what it injects comes from the peer's address and
 * port, as a spoofing attacker's would. The keys come from the real key schedule.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  KeyShare,
  SEALED_AUDIO_HEADER_BYTES,
  SEALED_AUDIO_TAG_CODE,
  createSealedAudioHeader,
  deriveAudioSecrets,
  encode,
  firstKeyIdOfRun,
  handshakeTranscript,
  readSealedAudioHeader,
  writeSealedAudioHeader,
  type AudioSecrets,
  type Format,
} from '@syfala/proto';
import { AudioEngine, readWavFile, type AudioSecurity, type PeerStats } from '../src/index.js';
import { NoiseGenerator } from '../src/virtual/sources.js';
import { sleep } from './engine-fixture.js';
import { tempFiles } from './temp-files.js';

const FORMAT: Format = { sampleType: 'f32', sampleRate: 48_000, channels: 2, bufferFrames: 32 };
/** Half a second: what other work stalls these threads for on a loaded 2-core machine. */
const TARGET_LATENCY_FRAMES = 24_000;
const NOISE_DBFS = -6;
const STREAM_MS = 3000;
/** Frames that must play as sent: the streaming time less the latency and a second to start. */
const EXACT_FRAMES = (STREAM_MS / 1000 - 1) * 48_000 - TARGET_LATENCY_FRAMES;
/**
 * Times the recording may leave the source for a while: the slips and underruns a loaded machine
 * causes whatever the encryption. Each forged datagram played would add one.
 */
const MAX_RESUMED = 4;
/** One datagram a period (32 frames and 2 periods of history fit): a key every 60 ms. */
const ROTATE_AFTER = 90;
const REDUNDANCY = 2;
const PERIOD_BYTES = 32 * 8;
const tempFile = tempFiles('encrypted');

/** Both directions' secrets of one handshake, with a pre-shared key, as a session derives them. */
function handshakeSecrets(): AudioSecrets {
  const client = new KeyShare();
  const server = new KeyShare();
  const transcript = handshakeTranscript({
    clientId: '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f0',
    endpointId: '5f1a0c3e-9b2d-4e6f-8a71-c0ffee000001',
    clientShare: client.share,
    serverShare: server.share,
    formats: { inputs: [FORMAT], outputs: [FORMAT] },
  });
  return deriveAudioSecrets(client.sharedSecret(server.share), randomBytes(32), transcript);
}

function security(secrets: AudioSecrets, side: 'client' | 'server', run: number): AudioSecurity {
  const client = side === 'client';
  return {
    sendDirection: client ? 'client-to-server' : 'server-to-client',
    sendSecret: client ? secrets.clientToServer : secrets.serverToClient,
    receiveSecret: client ? secrets.serverToClient : secrets.clientToServer,
    firstKeyId: firstKeyIdOfRun(run),
    rotateAfterDatagrams: ROTATE_AFTER,
  };
}

/**
 * The first `frames` frames of the virtual card's noise source of `seed`, as its generator makes
 * them: computed, not read from a file, so no disk read can stall the source under load.
 */
function noise(seed: number, frames: number): Float32Array {
  const samples = new Float32Array(frames * FORMAT.channels);
  new NoiseGenerator(FORMAT.channels, NOISE_DBFS, seed).render(samples, frames);
  return samples;
}

/** A card whose input is the noise of `seed` and whose output is recorded into a new file. */
async function startEngine(seed: number, recording: string): Promise<AudioEngine> {
  const engine = await AudioEngine.start({ bind: { address: '127.0.0.1' } });
  onTestFinished(() => engine.close().catch(() => undefined));
  await engine.openDevice({
    backend: 'virtual',
    streams: { inputs: [FORMAT], outputs: [FORMAT] },
    options: {
      sources: [{ kind: 'noise', seed, levelDbfs: NOISE_DBFS }],
      sinks: [{ kind: 'wav', path: recording }],
    },
  });
  return engine;
}

/** Frames in a row that must match for the comparison to pick the source up again. */
const RUN_FRAMES = 8;

/**
 * Follows the recording through the source's noise of `seed`, frame by frame from its first
 * non-silent one (the source's first frame): `exact` counts the frames that are the source's,
 * sample for sample and in order. Where they stop being so, it finds the recording's next run
 * of RUN_FRAMES source frames further on in the noise (a slip skips ahead, an underrun plays
 * silence, concealment or a crossfade that are not the source's) and counts a `resumed`.
 * Anything injected into the stream would need one resumption each.
 */
function followSource(recording: Float32Array, seed: number): { exact: number; resumed: number } {
  const channels = FORMAT.channels;
  const frames = recording.length / channels;
  // A slip skips ahead of the frames recorded: room for several seconds of them.
  const source = noise(seed, frames + 4 * 48_000);
  const sameFrame = (r: number, s: number): boolean =>
    recording[r * channels] === source[s * channels] &&
    recording[r * channels + 1] === source[s * channels + 1];
  const sameRun = (r: number, s: number): boolean => {
    for (let k = 0; k < RUN_FRAMES; k++) if (!sameFrame(r + k, s + k)) return false;
    return true;
  };
  /** Source frames by their first sample, to find where a run of the recording comes from. */
  const at = new Map<number, number>();
  for (let s = source.length / channels - 1; s >= 0; s--) at.set(source[s * channels]!, s);
  let r = Math.floor(recording.findIndex((sample) => sample !== 0) / channels);
  let s = 0;
  let exact = 0;
  let resumed = 0;
  while (r >= 0 && r < frames) {
    if (sameFrame(r, s)) {
      exact++;
      r++;
      s++;
      continue;
    }
    let next = r;
    while (next + RUN_FRAMES <= frames) {
      const candidate = at.get(recording[next * channels]!);
      if (candidate !== undefined && candidate >= s && sameRun(next, candidate)) break;
      next++;
    }
    if (next + RUN_FRAMES > frames) break;
    resumed++;
    s = at.get(recording[next * channels]!)!;
    r = next;
  }
  return { exact, resumed };
}

/** A UDP socket on 127.0.0.1 that forwards between two engines (each has it as its peer). */
async function relay(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  // The test's own thread forwards: a stall of it must not overflow the default buffer.
  socket.setRecvBufferSize(4 * 1024 * 1024);
  onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return socket;
}

function forward(socket: Socket, client: AudioEngine, server: AudioEngine): void {
  socket.on('message', (datagram, from) => {
    const to = from.port === client.port ? server.port : client.port;
    socket.send(datagram, to, '127.0.0.1');
  });
}

async function addPeers(
  socket: Socket,
  client: AudioEngine,
  server: AudioEngine,
  secrets: AudioSecrets,
  run: number,
): Promise<void> {
  const route = { device: 0, wire: 0, format: FORMAT };
  const peer = {
    id: 'relay',
    address: '127.0.0.1',
    port: socket.address().port,
    send: [route],
    receive: [route],
    targetLatencyFrames: TARGET_LATENCY_FRAMES,
    redundancy: REDUNDANCY,
    sending: true,
  };
  await server.addPeer({ ...peer, security: security(secrets, 'server', run) });
  await client.addPeer({ ...peer, security: security(secrets, 'client', run) });
}

const isSealed = (datagram: Buffer): boolean => datagram.readUInt32LE(4) === SEALED_AUDIO_TAG_CODE;

describe('encrypted audio between two engines', () => {
  it(
    'is bit-exact both ways across key rotations, with redundancy 2',
    { timeout: 30_000 },
    async () => {
      const [atClient, atServer] = [tempFile('at-client'), tempFile('at-server')];
      const client = await startEngine(1, atClient);
      const server = await startEngine(2, atServer);
      const socket = await relay();
      let clear = 0;
      socket.on('message', (datagram) => {
        if (!isSealed(datagram)) clear++;
      });
      forward(socket, client, server);
      await addPeers(socket, client, server, handshakeSecrets(), 3);

      await sleep(STREAM_MS);
      const peers = await Promise.all(
        [client, server].map(async (e): Promise<PeerStats> => (await e.stats()).peers[0]!),
      );
      await Promise.all([client.close(), server.close()]);

      expect(clear).toBe(0);
      for (const peer of peers) {
        expect(peer.security).toMatchObject({ authFailed: 0, replayed: 0 });
        // Rotated many times, from this run's first key id, and the receiver followed.
        expect(peer.security!.sendKeyId - firstKeyIdOfRun(3)).toBeGreaterThan(10);
        expect(peer.security!.receiveKeyId - firstKeyIdOfRun(3)).toBeGreaterThan(10);
      }
      const recordedAtServer = (await readWavFile(atServer)).samples;
      const recordedAtClient = (await readWavFile(atClient)).samples;
      for (const [recording, seed] of [
        [recordedAtServer, 1],
        [recordedAtClient, 2],
      ] as const) {
        const { exact, resumed } = followSource(recording, seed);
        expect(exact).toBeGreaterThan(EXACT_FRAMES);
        expect(resumed).toBeLessThanOrEqual(MAX_RESUMED);
      }
    },
  );

  it(
    'plays nothing an on-path attacker injects or replays, and counts every one',
    { timeout: 30_000 },
    async () => {
      const secrets = handshakeSecrets();
      const socket = await relay();
      // Run 0 of the connection: a client engine streams to the relay, which records it all.
      const earlierRun: Buffer[] = [];
      const first = await startEngine(3, tempFile('run0-at-client'));
      socket.on('message', (datagram, from) => {
        if (from.port === first.port) earlierRun.push(datagram);
      });
      await first.addPeer({
        id: 'relay',
        address: '127.0.0.1',
        port: socket.address().port,
        send: [{ device: 0, wire: 0, format: FORMAT }],
        receive: [],
        targetLatencyFrames: TARGET_LATENCY_FRAMES,
        sending: true,
        security: security(secrets, 'client', 0),
      });
      while (earlierRun.length < 100) await sleep(10);
      await first.close();
      socket.removeAllListeners('message');

      // Run 1, with the attacker forwarding and, after each 10th client datagram, injecting.
      const atServer = tempFile('at-server');
      const client = await startEngine(4, tempFile('at-client'));
      const server = await startEngine(5, atServer);
      const seen: Buffer[] = [];
      const injected = { forgedTag: 0, clear: 0, futureKeyId: 0, earlierRun: 0, farBehind: 0 };
      const header = createSealedAudioHeader();
      // Forged audio for the period after next, which has not arrived yet: were it taken, it
      // would be played, and the authentic bytes dropped later as duplicates.
      const ahead = (): number => header.byteIndex + header.byteCount + 2 * PERIOD_BYTES;
      const attacks: ((d: Buffer) => Buffer)[] = [
        // A valid header of this run's key, random ciphertext and tag.
        () => {
          const forged = randomBytes(SEALED_AUDIO_HEADER_BYTES + PERIOD_BYTES + 16);
          writeSealedAudioHeader(forged, 0, 0, ahead(), PERIOD_BYTES, header.keyId, 0);
          return forged;
        },
        // In the clear.
        () =>
          Buffer.from(
            encode({
              type: 'audio',
              streamIndex: 0,
              byteIndex: ahead(),
              payload: randomBytes(PERIOD_BYTES),
            }),
          ),
        // An authentic datagram whose key id is moved two ahead.
        (d) => {
          const moved = Buffer.from(d);
          moved.writeUInt32LE(header.keyId + 2, 24);
          return moved;
        },
        () => earlierRun[seen.length % earlierRun.length]!,
        // Authentic, from this run, hundreds of datagrams (and several keys) back.
        () => seen[seen.length - 400]!,
      ];
      const kinds = Object.keys(injected) as (keyof typeof injected)[];
      let attacking = true;
      socket.on('message', (datagram, from) => {
        if (from.port !== client.port) {
          socket.send(datagram, client.port, '127.0.0.1');
          return;
        }
        socket.send(datagram, server.port, '127.0.0.1');
        seen.push(datagram);
        if (!attacking || seen.length < 500 || seen.length % 10 !== 0) return;
        readSealedAudioHeader(datagram, header);
        const kind = (seen.length / 10) % attacks.length;
        socket.send(attacks[kind]!(datagram), server.port, '127.0.0.1');
        injected[kinds[kind]!]++;
        // And a replay of the datagram just forwarded: authentic, a duplicate of what arrived.
        socket.send(datagram, server.port, '127.0.0.1');
      });
      await addPeers(socket, client, server, secrets, 1);

      await sleep(STREAM_MS);
      // The counts are compared once everything injected has been received.
      attacking = false;
      await sleep(200);
      const forged = injected.forgedTag + injected.clear + injected.futureKeyId;
      const replays = injected.earlierRun + injected.farBehind;
      const serverPeer = (await server.stats()).peers[0]!;
      await Promise.all([client.close(), server.close()]);

      expect(Math.min(...Object.values(injected))).toBeGreaterThan(10);
      expect(serverPeer.security).toMatchObject({ authFailed: forged, replayed: replays });
      const recorded = (await readWavFile(atServer)).samples;
      const { exact, resumed } = followSource(recorded, 4);
      expect(exact).toBeGreaterThan(EXACT_FRAMES);
      expect(resumed).toBeLessThanOrEqual(MAX_RESUMED);
    },
  );
});
