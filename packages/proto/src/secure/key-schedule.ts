import {
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
} from 'node:crypto';
import { idToBytes } from '../common.js';
import { ValueError } from '../errors.js';
import { SAMPLE_TYPE_INFO, type StreamFormats } from '../format.js';
import type { AudioDirection } from './audio-aead.js';

/*
 * The key schedule of encrypted audio (docs/SECURITY.md §2): an X25519 exchange on TCP control,
 * HKDF-SHA256 over its shared secret salted with the pre-shared key, and one ChaCha20-Poly1305
 * key per direction and key id. Node's crypto does every primitive; nothing here is hand-made.
 */

/** Bytes of an X25519 public key (a key share) and of its shared secret (RFC 7748). */
export const KEY_SHARE_BYTES = 32;
/** Bytes of a direction's audio secret and of every audio key derived from it. */
export const AUDIO_KEY_BYTES = 32;
/** Key ids one I/O run owns: run r starts at r × KEY_IDS_PER_RUN (SECURITY.md §3). */
export const KEY_IDS_PER_RUN = 2 ** 16;
/** A sender moves to the next key id after sealing this many datagrams with one key. */
export const ROTATE_AFTER_DATAGRAMS = 2 ** 24;

const TRANSCRIPT_LABEL = Buffer.from('syfala-audio-v1 transcript', 'ascii');
const C2S_LABEL = Buffer.from('syfala-audio-v1 c2s', 'ascii');
const S2C_LABEL = Buffer.from('syfala-audio-v1 s2c', 'ascii');
const KEY_LABEL = Buffer.from('syfala-audio-v1 key', 'ascii');
const EMPTY = new Uint8Array(0);

/** One side's ephemeral X25519 key pair for one connection. */
export class KeyShare {
  /** The public key sent to the peer (Hello.key_share or Welcome.key_share). */
  readonly share: Uint8Array;
  readonly #privateKey: KeyObject;

  /**
   * A fresh key pair from the cryptographic random source; `privateKey` (32 bytes) only to
   * reproduce test vectors.
   */
  constructor(privateKey?: Uint8Array) {
    if (privateKey === undefined) {
      this.#privateKey = generateKeyPairSync('x25519').privateKey;
    } else {
      checkLength(privateKey, KEY_SHARE_BYTES, 'X25519 private key');
      this.#privateKey = createPrivateKey({
        key: { kty: 'OKP', crv: 'X25519', d: base64url(privateKey), x: '' },
        format: 'jwk',
      });
    }
    const jwk = createPublicKey(this.#privateKey).export({ format: 'jwk' });
    this.share = new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'));
  }

  /**
   * X25519(own private key, peer's share). Throws ValueError for a share of the wrong length or
   * one that gives the all-zero secret (a low-order point: the peer would know the secret).
   */
  sharedSecret(peerShare: Uint8Array): Uint8Array {
    checkLength(peerShare, KEY_SHARE_BYTES, 'key share');
    const publicKey = createPublicKey({
      key: { kty: 'OKP', crv: 'X25519', x: base64url(peerShare) },
      format: 'jwk',
    });
    let secret: Uint8Array;
    try {
      secret = new Uint8Array(diffieHellman({ privateKey: this.#privateKey, publicKey }));
    } catch {
      throw new ValueError('BAD_FIELD', 'key share: a low-order point, refused');
    }
    if (secret.every((byte) => byte === 0)) {
      throw new ValueError('BAD_FIELD', 'key share: a low-order point, refused');
    }
    return secret;
  }
}

/** What the handshake fixed, bound into every audio key (SECURITY.md §2). */
export interface HandshakeContext {
  readonly clientId: string;
  readonly endpointId: string;
  readonly clientShare: Uint8Array;
  readonly serverShare: Uint8Array;
  /** The Welcome's formats. */
  readonly formats: StreamFormats;
}

/**
 * SHA-256 of "syfala-audio-v1 transcript" ‖ client id ‖ endpoint id ‖ client share ‖ server
 * share ‖ formats, with the formats as u16 input count ‖ u16 output count ‖ per format (inputs,
 * then outputs) u8 sample type code ‖ f64 rate ‖ u32 channels ‖ u32 buffer frames, all
 * little-endian: a fixed layout, so implementations need no protobuf to agree on it.
 */
export function handshakeTranscript(context: HandshakeContext): Uint8Array {
  checkLength(context.clientShare, KEY_SHARE_BYTES, 'client key share');
  checkLength(context.serverShare, KEY_SHARE_BYTES, 'server key share');
  return new Uint8Array(
    createHash('sha256')
      .update(TRANSCRIPT_LABEL)
      .update(idToBytes(context.clientId, 'client id'))
      .update(idToBytes(context.endpointId, 'endpoint id'))
      .update(context.clientShare)
      .update(context.serverShare)
      .update(transcriptFormats(context.formats))
      .digest(),
  );
}

/** The formats as the transcript binds them (handshakeTranscript); exported for test vectors. */
export function transcriptFormats({ inputs, outputs }: StreamFormats): Uint8Array {
  const all = [...inputs, ...outputs];
  const formats = Buffer.alloc(4 + all.length * 17);
  formats.writeUInt16LE(inputs.length, 0);
  formats.writeUInt16LE(outputs.length, 2);
  all.forEach((format, i) => {
    const at = 4 + i * 17;
    formats.writeUInt8(SAMPLE_TYPE_INFO[format.sampleType].code, at);
    formats.writeDoubleLE(format.sampleRate, at + 1);
    formats.writeUInt32LE(format.channels, at + 9);
    formats.writeUInt32LE(format.bufferFrames, at + 13);
  });
  return new Uint8Array(formats);
}

/** The two directions' audio secrets of one connection. */
export interface AudioSecrets {
  readonly clientToServer: Uint8Array;
  readonly serverToClient: Uint8Array;
}

/**
 * secret_d = HKDF-SHA256(ikm = X25519 secret, salt = pre-shared key or empty,
 * info = "syfala-audio-v1 c2s" or "… s2c" ‖ transcript, 32 bytes). The key salts the
 * extraction, so a peer without it derives other secrets even with the right shares.
 */
export function deriveAudioSecrets(
  sharedSecret: Uint8Array,
  psk: Uint8Array | undefined,
  transcript: Uint8Array,
): AudioSecrets {
  checkLength(sharedSecret, KEY_SHARE_BYTES, 'shared secret');
  const salt = psk ?? EMPTY;
  const derive = (label: Uint8Array): Uint8Array =>
    new Uint8Array(
      hkdfSync('sha256', sharedSecret, salt, Buffer.concat([label, transcript]), AUDIO_KEY_BYTES),
    );
  return { clientToServer: derive(C2S_LABEL), serverToClient: derive(S2C_LABEL) };
}

/**
 * key(secret, id) = HKDF-SHA256(ikm = a direction's secret, salt = empty,
 * info = "syfala-audio-v1 key" ‖ u32 LE id, 32 bytes): the ChaCha20-Poly1305 key of key id `id`.
 */
export function deriveAudioKey(secret: Uint8Array, keyId: number): Uint8Array {
  checkLength(secret, AUDIO_KEY_BYTES, 'audio secret');
  if (!Number.isInteger(keyId) || keyId < 0 || keyId > 0xffff_ffff) {
    throw new ValueError(
      'BAD_FIELD',
      `key id: expected an integer from 0 to 2^32 - 1, got ${keyId}`,
    );
  }
  const info = Buffer.alloc(KEY_LABEL.length + 4);
  KEY_LABEL.copy(info);
  info.writeUInt32LE(keyId, KEY_LABEL.length);
  return new Uint8Array(hkdfSync('sha256', secret, EMPTY, info, AUDIO_KEY_BYTES));
}

/** The audio keys of one I/O run with a peer, as a session hands them to its engine. */
export interface AudioRunKeys {
  /** Which way this side sends (SECURITY.md §3: its nonces carry it). */
  readonly sendDirection: AudioDirection;
  /** The 32-byte secret of the direction this side sends. */
  readonly sendSecret: Uint8Array;
  /** The 32-byte secret of the direction this side receives. */
  readonly receiveSecret: Uint8Array;
  /** The run's first key id, the same both ways (firstKeyIdOfRun). */
  readonly firstKeyId: number;
}

/** The first key id of I/O run `run` (0 for a session's first StartIoRequest, then +1 each). */
export function firstKeyIdOfRun(run: number): number {
  if (!Number.isInteger(run) || run < 0 || run >= 2 ** 32 / KEY_IDS_PER_RUN) {
    throw new ValueError(
      'BAD_FIELD',
      `I/O run: expected an integer from 0 to ${2 ** 32 / KEY_IDS_PER_RUN - 1}, got ${run}`,
    );
  }
  return run * KEY_IDS_PER_RUN;
}

function checkLength(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    const got = bytes instanceof Uint8Array ? `${bytes.length} bytes` : typeof bytes;
    throw new ValueError('BAD_FIELD', `${what}: expected ${length} bytes, got ${got}`);
  }
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}
