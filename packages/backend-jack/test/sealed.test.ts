// Its own file, so its own process: jackd2's libjack serves a process one server.
//
// Encrypted audio between the native engine and a peer on a plain socket that seals and opens
// with the TypeScript codec (@syfala/proto's sealAudio and openAudio, Node's crypto): two
// implementations of docs/SECURITY.md §2–§4. The engine's JACK outputs feed its inputs, so what
// the peer seals comes back sealed by the engine.
import { createSocket, type Socket } from 'node:dgram';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { AudioSecurity, PeerSpec } from '@syfala/audio';
import { sleep } from '@syfala/jack-rig';
import {
  deriveAudioKey,
  firstKeyIdOfRun,
  openAudio,
  readSealedAudioHeader,
  createSealedAudioHeader,
  sealAudio,
  AUDIO_AUTH_TAG_BYTES,
} from '@syfala/proto';
import { hasJack, jackRig, openStereo, PERIOD, startEngine, stereo } from './fixture.js';

const WIRE = stereo(48000);
const FRAME_BYTES = 8;
const PERIOD_BYTES = PERIOD * FRAME_BYTES;

/** Sample `frame` of channel `c`: in (0, 1), never 0 (silence), exact in f32. */
function signal(frame: number, c: number): number {
  return (1 + ((frame * 7 + c * 13) % 2000)) / 2048;
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

interface Opened {
  readonly keyId: number;
  readonly byteIndex: number;
  readonly plaintext: Uint8Array;
}

/** Opens an AUDE from the engine; undefined when it is not one or fails its tag. */
function open(keyOf: (id: number) => Uint8Array, datagram: Uint8Array): Opened | undefined {
  const header = createSealedAudioHeader();
  try {
    readSealedAudioHeader(datagram, header);
  } catch {
    return undefined;
  }
  const plaintext = openAudio(keyOf(header.keyId), 'server-to-client', datagram, header);
  return plaintext === null
    ? undefined
    : { keyId: header.keyId, byteIndex: header.byteIndex, plaintext };
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
      await server.connect('he-engine:receive_1', 'he-engine:send_1');
      await server.connect('he-engine:receive_2', 'he-engine:send_2');
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
      /** The AUDE of `payload` at `byteIndex` under `keyId`, as the client side seals it. */
      const seal = (keyId: number, byteIndex: number, payload: Uint8Array): Uint8Array =>
        sealAudio(sealFor(keyId), 'client-to-server', {
          streamIndex: 0,
          byteIndex,
          copy: 0,
          keyId,
          payload,
        });
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
        socket.send(seal(lastKeyId, sent * PERIOD_BYTES, plaintext), engine.port);
        sent++;
      };
      socket.on('message', (datagram) => {
        const opened = open(openFromEngine, datagram);
        if (opened === undefined) return void failed++;
        returned.set(opened.byteIndex, Buffer.from(opened.plaintext));
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

      const forged = seal(lastKeyId, periods * PERIOD_BYTES, new Uint8Array(PERIOD_BYTES));
      forged[forged.length - AUDIO_AUTH_TAG_BYTES]! ^= 0x10; // its tag
      socket.send(forged, engine.port);
      const forgedCounted = async (): Promise<number> =>
        (await engine.stats()).peers[0]!.security?.authFailed ?? 0;
      for (let i = 0; i < 100 && (await forgedCounted()) === 0; i++) await sleep(20);

      const stats = (await engine.stats()).peers[0]!;
      expect(stats.security).toMatchObject({ authFailed: 1, replayed: 0, receiveKeyId: lastKeyId });
      expect(stats.received[0]!.lostBytes).toBe(0);
      expect(failed).toBe(0);
      // The engine rotated every 40 datagrams, one key after another. It goes on sending while
      // its stats travel: the datagram sealed with the key it reports may still be on its way.
      const sendKeyId = stats.security!.sendKeyId;
      for (let i = 0; i < 100 && !returnedKeys.has(sendKeyId); i++) await sleep(10);
      const keys = [...returnedKeys].sort((a, b) => a - b);
      expect(keys[0]).toBe(firstKeyId);
      expect(keys).toContain(sendKeyId);
      expect(keys.length).toBe(keys.at(-1)! - firstKeyId + 1);
      expect(keys.length).toBeGreaterThan(periods / rotateAfterDatagrams);
    });
  },
);
