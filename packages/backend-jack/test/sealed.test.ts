// Its own file, so its own process: jackd2's libjack serves a process one server.
//
// Encrypted audio between the native engine and a peer written here with Node's crypto alone
// (docs/SECURITY.md §2–§4: HKDF key per id, ChaCha20-Poly1305, the AUDE layout and nonce), an
// implementation independent of the C++ one. The engine's JACK outputs feed its inputs, so what
// the peer seals comes back sealed by the engine.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { AudioSecurity, PeerSpec } from '@syfala/audio';
import { sleep } from '@syfala/jack-rig';
import { deriveAudioKey, firstKeyIdOfRun } from '@syfala/proto';
import { hasJack, jackRig, openStereo, PERIOD, startEngine, stereo } from './fixture.js';

const WIRE = stereo(48000);
const FRAME_BYTES = 8;
const PERIOD_BYTES = PERIOD * FRAME_BYTES;
const CLIENT_TO_SERVER = 1;
const SERVER_TO_CLIENT = 2;
const HEADER_BYTES = 32;
const TAG_BYTES = 16;

/** Sample `frame` of channel `c`: in (0, 1), never 0 (silence), exact in f32. */
function signal(frame: number, c: number): number {
  return (1 + ((frame * 7 + c * 13) % 2000)) / 2048;
}

function nonce(stream: number, byteIndex: number, direction: number, copy: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt32LE(stream, 0);
  const index = Buffer.alloc(8);
  index.writeBigUInt64LE(BigInt(byteIndex));
  index.copy(out, 4, 0, 7);
  out[11] = (direction << 4) | copy;
  return out;
}

/** Keys by id, derived once. */
function keyRing(secret: Uint8Array): (id: number) => Uint8Array {
  const keys = new Map<number, Uint8Array>();
  return (id) => {
    let key = keys.get(id);
    if (key === undefined) keys.set(id, (key = deriveAudioKey(secret, id)));
    return key;
  };
}

function seal(key: Uint8Array, keyId: number, byteIndex: number, plaintext: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.write('SYF', 0, 'ascii');
  header[3] = 1;
  header.write('AUDE', 4, 'ascii');
  header.writeUInt32LE(0, 8);
  header.writeBigUInt64LE(BigInt(byteIndex), 12);
  header.writeUInt32LE(plaintext.length, 20);
  header.writeUInt32LE(keyId, 24);
  const cipher = createCipheriv(
    'chacha20-poly1305',
    key,
    nonce(0, byteIndex, CLIENT_TO_SERVER, 0),
    {
      authTagLength: TAG_BYTES,
    },
  );
  cipher.setAAD(header, { plaintextLength: plaintext.length });
  return Buffer.concat([header, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

interface Opened {
  readonly keyId: number;
  readonly byteIndex: number;
  readonly plaintext: Buffer;
}

/** Opens an AUDE from the engine; undefined when it is not one or fails its tag. */
function open(keyOf: (id: number) => Uint8Array, datagram: Buffer): Opened | undefined {
  if (datagram.toString('ascii', 4, 8) !== 'AUDE') return undefined;
  const byteIndex = Number(datagram.readBigUInt64LE(12));
  const byteCount = datagram.readUInt32LE(20);
  const keyId = datagram.readUInt32LE(24);
  const header = datagram.subarray(0, HEADER_BYTES);
  const decipher = createDecipheriv(
    'chacha20-poly1305',
    keyOf(keyId),
    nonce(datagram.readUInt32LE(8), byteIndex, SERVER_TO_CLIENT, datagram[28]!),
    { authTagLength: TAG_BYTES },
  );
  decipher.setAAD(header, { plaintextLength: byteCount });
  decipher.setAuthTag(datagram.subarray(HEADER_BYTES + byteCount));
  try {
    const text = decipher.update(datagram.subarray(HEADER_BYTES, HEADER_BYTES + byteCount));
    return { keyId, byteIndex, plaintext: Buffer.concat([text, decipher.final()]) };
  } catch {
    return undefined;
  }
}

function peerSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  onTestFinished(() => {
    socket.close();
  });
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => resolve(socket)));
}

describe.skipIf(!hasJack)(
  'encrypted audio between the native engine and a Node crypto peer',
  () => {
    it('streams sealed both ways bit for bit across key rotations; a forged datagram is counted', async () => {
      const server = await jackRig();
      const engine = await startEngine();
      await openStereo(engine, server.name, WIRE);
      await server.connect('he-engine:out1_1', 'he-engine:in1_1');
      await server.connect('he-engine:out1_2', 'he-engine:in1_2');
      const socket = await peerSocket();
      const clientToServer = new Uint8Array(32).fill(0x5a);
      const serverToClient = new Uint8Array(32).fill(0xa5);
      const firstKeyId = firstKeyIdOfRun(2);
      const rotateAfterDatagrams = 40;
      const security: AudioSecurity = {
        sendDirection: 'server-to-client',
        sendSecret: serverToClient,
        receiveSecret: clientToServer,
        firstKeyId,
        rotateAfterDatagrams,
      };
      const route = { device: 0, wire: 0, format: WIRE };
      const spec: PeerSpec = {
        id: 'node-peer',
        address: '127.0.0.1',
        port: socket.address().port,
        send: [route],
        receive: [route],
        targetLatencyFrames: 2048,
        sending: true,
        concealment: 'silence', // bit for bit: nothing concealed where the jitter buffer waits
        security,
      };
      const returned = new Map<number, Buffer>();
      const returnedKeys = new Set<number>();
      let failed = 0;
      const openFromEngine = keyRing(serverToClient);
      // Paced by the engine's clock (the dummy server's is not the wall clock): the 32 periods of
      // the target at once, then, once the signal plays, a period for each that comes back, so
      // nothing piles up for the jitter buffer to slip.
      const periods = 1500;
      const sealFor = keyRing(clientToServer);
      let sent = 0;
      let playing = false;
      let lastKeyId = firstKeyId;
      const sendPeriod = (): void => {
        const plaintext = Buffer.alloc(PERIOD_BYTES);
        for (let f = 0; f < PERIOD; f++) {
          for (let c = 0; c < 2; c++) {
            plaintext.writeFloatLE(signal(sent * PERIOD + f, c), f * FRAME_BYTES + c * 4);
          }
        }
        lastKeyId = firstKeyId + Math.floor(sent / rotateAfterDatagrams);
        socket.send(
          seal(sealFor(lastKeyId), lastKeyId, sent * PERIOD_BYTES, plaintext),
          engine.port,
        );
        sent++;
      };
      socket.on('message', (datagram) => {
        const opened = open(openFromEngine, datagram);
        if (opened === undefined) return void failed++;
        returned.set(opened.byteIndex, opened.plaintext);
        returnedKeys.add(opened.keyId);
        playing ||= opened.plaintext.some((byte) => byte !== 0);
        if (playing && sent < periods) sendPeriod();
      });
      await engine.addPeer(spec);
      while (sent < 32) sendPeriod();

      // What came back, silence left out, must be the signal from its first frame on.
      const signalReturned = (): number => {
        let frame = 0;
        for (const index of [...returned.keys()].sort((a, b) => a - b)) {
          const bytes = returned.get(index)!;
          for (let at = 0; at < bytes.length; at += FRAME_BYTES) {
            const left = bytes.readFloatLE(at);
            const right = bytes.readFloatLE(at + 4);
            if (left === 0 && right === 0) continue;
            if (left !== signal(frame, 0) || right !== signal(frame, 1)) return -frame;
            frame++;
          }
        }
        return frame;
      };
      for (let i = 0; i < 200 && signalReturned() < periods * PERIOD; i++) await sleep(50);
      expect(signalReturned()).toBe(periods * PERIOD);

      const forged = seal(
        sealFor(lastKeyId),
        lastKeyId,
        periods * PERIOD_BYTES,
        Buffer.alloc(PERIOD_BYTES),
      );
      forged[HEADER_BYTES + 3]! ^= 0x10;
      socket.send(forged, engine.port);
      const forgedCounted = async (): Promise<number> =>
        (await engine.stats()).peers[0]!.security?.authFailed ?? 0;
      for (let i = 0; i < 100 && (await forgedCounted()) === 0; i++) await sleep(20);

      const stats = (await engine.stats()).peers[0]!;
      expect(stats.security).toMatchObject({ authFailed: 1, replayed: 0, receiveKeyId: lastKeyId });
      expect(stats.received[0]!.lostBytes).toBe(0);
      expect(failed).toBe(0);
      // The engine rotated every 40 datagrams, one key after another.
      const keys = [...returnedKeys].sort((a, b) => a - b);
      expect(keys[0]).toBe(firstKeyId);
      expect(keys.at(-1)).toBe(stats.security!.sendKeyId);
      expect(keys.length).toBe(keys.at(-1)! - firstKeyId + 1);
      expect(keys.length).toBeGreaterThan(periods / rotateAfterDatagrams);
    });
  },
);
