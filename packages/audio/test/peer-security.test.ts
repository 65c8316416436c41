import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  SEALED_AUDIO_HEADER_BYTES,
  createSealedAudioHeader,
  deriveAudioKey,
  openAudio,
  readSealedAudioHeader,
  sealAudio,
  writeSealedAudioHeader,
} from '@syfala/proto';
import { PeerSecurity, ReplayWindow } from '../src/engine/peer-security.js';
import type { AudioSecurity } from '../src/index.js';

const c2s = randomBytes(32);
const s2c = randomBytes(32);
const FIRST = 3 * 65_536;
/** A server's view: it receives client-to-server datagrams. */
const server: AudioSecurity = {
  sendDirection: 'server-to-client',
  sendSecret: s2c,
  receiveSecret: c2s,
  firstKeyId: FIRST,
  rotateAfterDatagrams: 3,
};

/** An authentic client datagram of `byteCount` bytes at `byteIndex`, sealed with key `keyId`. */
function fromClient(keyId: number, byteIndex: number, byteCount = 64): Uint8Array {
  return sealAudio(deriveAudioKey(c2s, keyId), 'client-to-server', {
    streamIndex: 0,
    byteIndex,
    copy: 0,
    keyId,
    payload: new Uint8Array(byteCount).fill(keyId & 0xff),
  });
}

function receive(security: PeerSecurity, datagram: Uint8Array, replay: ReplayWindow) {
  const header = readSealedAudioHeader(datagram, createSealedAudioHeader());
  return security.open(datagram, header, replay);
}

describe('PeerSecurity', () => {
  it('seals with the first key id, and the next one after every rotateAfterDatagrams', () => {
    const security = new PeerSecurity(server);
    const keyIds: number[] = [];
    for (let i = 0; i < 7; i++) {
      const datagram = new Uint8Array(SEALED_AUDIO_HEADER_BYTES + 8 + 16);
      writeSealedAudioHeader(datagram, 0, 0, i * 8, 8, 0, 0);
      security.seal(datagram, datagram.length);
      const { keyId } = readSealedAudioHeader(datagram, createSealedAudioHeader());
      keyIds.push(keyId);
      expect(openAudio(deriveAudioKey(s2c, keyId), 'server-to-client', datagram)).not.toBeNull();
    }
    expect(keyIds).toEqual([FIRST, FIRST, FIRST, FIRST + 1, FIRST + 1, FIRST + 1, FIRST + 2]);
    expect(security.stats().sendKeyId).toBe(FIRST + 2);
  });

  it('opens key ids current − 1 to current + 1, never below the first, and follows the peer', () => {
    const security = new PeerSecurity(server);
    const replay = new ReplayWindow(1 << 20);
    expect(receive(security, fromClient(FIRST - 1, 0), replay)).toBeUndefined();
    expect(security.stats()).toMatchObject({ replayed: 1, authFailed: 0 });
    expect(receive(security, fromClient(FIRST + 2, 0), replay)).toBeUndefined();
    expect(security.stats()).toMatchObject({ replayed: 1, authFailed: 1, receiveKeyId: FIRST });

    expect(receive(security, fromClient(FIRST, 0), replay)).toEqual(Buffer.alloc(64, 0));
    expect(receive(security, fromClient(FIRST + 1, 64), replay)).toEqual(Buffer.alloc(64, 1));
    expect(security.stats().receiveKeyId).toBe(FIRST + 1);
    // Reordered around the rotation: the previous key still opens.
    expect(receive(security, fromClient(FIRST, 128), replay)).toEqual(Buffer.alloc(64, 0));
    expect(receive(security, fromClient(FIRST + 2, 192), replay)).toEqual(Buffer.alloc(64, 2));
    // Now two behind: a retired key, refused unopened.
    expect(receive(security, fromClient(FIRST, 256), replay)).toBeUndefined();
    expect(security.stats()).toEqual({
      authFailed: 1,
      replayed: 2,
      sendKeyId: FIRST,
      receiveKeyId: FIRST + 2,
    });
  });

  it('refuses what ends a window or more behind the newest authentic byte, before opening it', () => {
    const security = new PeerSecurity(server);
    const replay = new ReplayWindow(1000);
    const old = fromClient(FIRST, 0, 100);
    expect(receive(security, old, replay)).toBeDefined();
    expect(receive(security, fromClient(FIRST, 1_050, 50), replay)).toBeDefined();
    // Ends at 100 = newest end (1,100) − the window: never playable any more.
    expect(receive(security, old, replay)).toBeUndefined();
    // Ends at 101: still within it (the jitter buffer sorts out the duplicate).
    expect(receive(security, fromClient(FIRST, 1, 100), replay)).toBeDefined();
    // A forgery far ahead moves nothing: only authentic datagrams do.
    const forged = Uint8Array.from(fromClient(FIRST, 100_000, 100));
    forged[forged.length - 1]! ^= 1;
    expect(receive(security, forged, replay)).toBeUndefined();
    expect(receive(security, fromClient(FIRST, 200, 100), replay)).toBeDefined();
    expect(security.stats()).toMatchObject({ replayed: 1, authFailed: 1 });
  });

  it('counts a clear datagram from an encrypted peer as failing authentication', () => {
    const security = new PeerSecurity(server);
    security.refuseClear();
    expect(security.stats().authFailed).toBe(1);
  });

  it.each([
    [
      { sendDirection: 'up' },
      'security sendDirection: expected client-to-server or server-to-client, got up',
    ],
    [{ sendSecret: new Uint8Array(16) }, 'security sendSecret: expected 32 bytes, got 16 bytes'],
    [{ receiveSecret: 'secret' }, 'security receiveSecret: expected 32 bytes, got string'],
    [{ firstKeyId: -1 }, 'security firstKeyId: expected an integer from 0 to 4294967295, got -1'],
    [
      { rotateAfterDatagrams: 0 },
      'security rotateAfterDatagrams: expected a positive integer, got 0',
    ],
  ])('refuses %o in one sentence', (change, message) => {
    expect(() => new PeerSecurity({ ...server, ...change } as AudioSecurity)).toThrow(
      expect.objectContaining({ code: 'BAD_OPTION', message: `audio engine: ${message}` }),
    );
  });
});
