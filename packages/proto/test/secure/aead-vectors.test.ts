/**
 * vectors/aead.json, shared with the C++ tests, checked twice: against @syfala/proto, and against
 * Node's crypto primitives called directly from the layouts of docs/SECURITY.md, so that the
 * file is right and not only what the library happens to compute.
 */
import {
  createCipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  KeyShare,
  SAMPLE_TYPE_INFO,
  ValueError,
  audioNonce,
  createSealedAudioHeader,
  deriveAudioKey,
  deriveAudioSecrets,
  handshakeTranscript,
  openAudio,
  readSealedAudioHeader,
  sealAudio,
  transcriptFormats,
  type AudioDirection,
  type StreamFormats,
} from '../../src/index.js';

interface Sealed {
  name: string;
  direction: AudioDirection;
  key: string;
  streamIndex: number;
  byteIndex: number;
  copy: number;
  keyId: number;
  nonce: string;
  plaintext: string;
  datagram: string;
}

interface AeadVectors {
  x25519: {
    clientPrivate: string;
    clientShare: string;
    serverPrivate: string;
    serverShare: string;
    shared: string;
    lowOrderShares: string[];
  };
  transcript: {
    clientId: string;
    endpointId: string;
    clientShare: string;
    serverShare: string;
    formats: StreamFormats;
    formatsBytes: string;
    transcript: string;
  };
  secrets: { name: string; psk: string | null; clientToServer: string; serverToClient: string }[];
  keys: { name: string; secret: string; keyId: number; key: string }[];
  nonces: {
    direction: AudioDirection;
    streamIndex: number;
    byteIndex: number;
    copy: number;
    nonce: string;
  }[];
  sealed: Sealed[];
  tampered: { name: string; direction: AudioDirection; key: string; datagram: string }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../vectors/aead.json', import.meta.url), 'utf8'),
) as AeadVectors;

const bytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): Buffer => Buffer.from(s, 'ascii');
const DIRECTION_CODE = { 'client-to-server': 1, 'server-to-client': 2 } as const;

/** X25519 with Node's crypto alone, from raw 32-byte keys. */
function x25519(privateKey: string, peerShare: string): string {
  const d = Buffer.from(privateKey, 'hex').toString('base64url');
  const x = Buffer.from(peerShare, 'hex').toString('base64url');
  return diffieHellman({
    privateKey: createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d, x: '' }, format: 'jwk' }),
    publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' }),
  }).toString('hex');
}

describe('vectors/aead.json', () => {
  const { x25519: kx, transcript: tr } = vectors;

  describe('X25519', () => {
    it('gives the RFC 7748 §6.1 shares and shared secret', () => {
      expect(kx.shared).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
      expect(x25519(kx.clientPrivate, kx.serverShare)).toBe(kx.shared);
      expect(x25519(kx.serverPrivate, kx.clientShare)).toBe(kx.shared);
      const client = new KeyShare(bytes(kx.clientPrivate));
      const server = new KeyShare(bytes(kx.serverPrivate));
      expect(hex(client.share)).toBe(kx.clientShare);
      expect(hex(server.share)).toBe(kx.serverShare);
      expect(hex(client.sharedSecret(server.share))).toBe(kx.shared);
      expect(hex(server.sharedSecret(client.share))).toBe(kx.shared);
    });

    it.each(kx.lowOrderShares)('refuses the low-order share %s', (share) => {
      expect(() => new KeyShare(bytes(kx.clientPrivate)).sharedSecret(bytes(share))).toThrow(
        ValueError,
      );
    });
  });

  describe('transcript', () => {
    it('encodes the formats as SECURITY.md §2 lays them out', () => {
      const { inputs, outputs } = tr.formats;
      const all = [...inputs, ...outputs];
      const expected = Buffer.alloc(4 + 17 * all.length);
      const view = new DataView(expected.buffer);
      view.setUint16(0, inputs.length, true);
      view.setUint16(2, outputs.length, true);
      all.forEach((f, i) => {
        view.setUint8(4 + 17 * i, SAMPLE_TYPE_INFO[f.sampleType].code);
        view.setFloat64(5 + 17 * i, f.sampleRate, true);
        view.setUint32(13 + 17 * i, f.channels, true);
        view.setUint32(17 + 17 * i, f.bufferFrames, true);
      });
      expect(tr.formatsBytes).toBe(expected.toString('hex'));
      expect(hex(transcriptFormats(tr.formats))).toBe(tr.formatsBytes);
    });

    it('is SHA-256 over the label, both ids, both shares and the formats', () => {
      const id = (uuid: string): Buffer => Buffer.from(uuid.replaceAll('-', ''), 'hex');
      const direct = createHash('sha256')
        .update(ascii('syfala-audio-v1 transcript'))
        .update(id(tr.clientId))
        .update(id(tr.endpointId))
        .update(bytes(tr.clientShare))
        .update(bytes(tr.serverShare))
        .update(bytes(tr.formatsBytes))
        .digest('hex');
      expect(tr.transcript).toBe(direct);
      const context = {
        ...tr,
        clientShare: bytes(tr.clientShare),
        serverShare: bytes(tr.serverShare),
      };
      expect(hex(handshakeTranscript(context))).toBe(tr.transcript);
    });
  });

  it('covers secrets with and without a pre-shared key', () => {
    expect(vectors.secrets.map((s) => s.psk === null).sort()).toEqual([false, true]);
  });

  it.each(vectors.secrets)('derives the audio secrets $name', (vector) => {
    const salt = vector.psk === null ? Buffer.alloc(0) : bytes(vector.psk);
    const hkdf = (label: string): string =>
      Buffer.from(
        hkdfSync(
          'sha256',
          bytes(kx.shared),
          salt,
          Buffer.concat([ascii(label), bytes(tr.transcript)]),
          32,
        ),
      ).toString('hex');
    expect(vector.clientToServer).toBe(hkdf('syfala-audio-v1 c2s'));
    expect(vector.serverToClient).toBe(hkdf('syfala-audio-v1 s2c'));
    const secrets = deriveAudioSecrets(
      bytes(kx.shared),
      vector.psk === null ? undefined : bytes(vector.psk),
      bytes(tr.transcript),
    );
    expect(hex(secrets.clientToServer)).toBe(vector.clientToServer);
    expect(hex(secrets.serverToClient)).toBe(vector.serverToClient);
  });

  it('covers key ids 0, 1, 65536 and 2^32 - 1', () => {
    expect(new Set(vectors.keys.map((k) => k.keyId))).toEqual(new Set([0, 1, 65_536, 2 ** 32 - 1]));
  });

  it.each(vectors.keys)('derives the key of id $keyId, $name', (vector) => {
    const info = Buffer.alloc(23);
    ascii('syfala-audio-v1 key').copy(info);
    info.writeUInt32LE(vector.keyId, 19);
    const direct = hkdfSync('sha256', bytes(vector.secret), Buffer.alloc(0), info, 32);
    expect(vector.key).toBe(Buffer.from(direct).toString('hex'));
    expect(hex(deriveAudioKey(bytes(vector.secret), vector.keyId))).toBe(vector.key);
  });

  it('covers copies 0 to 3 in both directions, and a byte index near 2^53', () => {
    const seen = new Set(vectors.nonces.map((n) => `${n.direction} ${n.copy}`));
    expect(seen.size).toBe(8);
    expect(Math.max(...vectors.nonces.map((n) => n.byteIndex))).toBeGreaterThan(2 ** 52);
  });

  it.each(vectors.nonces)(
    'makes the nonce of stream $streamIndex, byte $byteIndex, copy $copy, $direction',
    (vector) => {
      const direct = Buffer.alloc(12);
      direct.writeUInt32LE(vector.streamIndex, 0);
      const byteIndex = Buffer.alloc(8);
      byteIndex.writeBigUInt64LE(BigInt(vector.byteIndex));
      byteIndex.copy(direct, 4, 0, 7);
      direct[11] = (DIRECTION_CODE[vector.direction] << 4) | vector.copy;
      expect(vector.nonce).toBe(direct.toString('hex'));
      const { direction, streamIndex, copy } = vector;
      expect(hex(audioNonce(direction, streamIndex, vector.byteIndex, copy))).toBe(vector.nonce);
    },
  );

  describe.each(vectors.sealed)('sealed: $name', (vector) => {
    const datagram = bytes(vector.datagram);

    it('is ChaCha20-Poly1305 over the payload, the 32-byte header as associated data', () => {
      const header = datagram.subarray(0, 32);
      const cipher = createCipheriv('chacha20-poly1305', bytes(vector.key), bytes(vector.nonce), {
        authTagLength: 16,
      });
      cipher.setAAD(header, { plaintextLength: vector.plaintext.length / 2 });
      const body = Buffer.concat([
        cipher.update(bytes(vector.plaintext)),
        cipher.final(),
        cipher.getAuthTag(),
      ]);
      expect(hex(datagram.subarray(32))).toBe(body.toString('hex'));
      const fields = readSealedAudioHeader(datagram, createSealedAudioHeader());
      expect(fields).toMatchObject({
        streamIndex: vector.streamIndex,
        byteIndex: vector.byteIndex,
        keyId: vector.keyId,
        copy: vector.copy,
        byteCount: vector.plaintext.length / 2,
      });
    });

    it('seals to the same bytes and opens to the plaintext', () => {
      const { direction, key } = vector;
      const run = { ...vector, payload: bytes(vector.plaintext) };
      expect(hex(sealAudio(bytes(key), direction, run))).toBe(vector.datagram);
      expect(hex(openAudio(bytes(key), direction, datagram)!)).toBe(vector.plaintext);
    });
  });

  it('covers a redundancy copy and a rotated key id', () => {
    expect(vectors.sealed.some((v) => v.copy > 0)).toBe(true);
    expect(vectors.sealed.some((v) => v.keyId % 65_536 > 0)).toBe(true);
  });

  it.each(vectors.tampered)('tampered: $name fails authentication', (vector) => {
    const datagram = bytes(vector.datagram);
    expect(() => readSealedAudioHeader(datagram, createSealedAudioHeader())).not.toThrow();
    expect(openAudio(bytes(vector.key), vector.direction, datagram)).toBeNull();
  });
});
