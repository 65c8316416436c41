import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AUTH_NONCE_BYTES, deriveAudioSecrets, idToBytes, type AudioSecrets } from '@syfala/proto';
import { NetworkError } from '../errors.js';

/** Shortest pre-shared key accepted, in bytes (CONTROL.md §5: "at least 16 random bytes"). */
export const MIN_PSK_BYTES = 16;

/** A pre-shared key as configured: text (taken as its UTF-8 bytes) or raw bytes. */
export type PskInput = string | Uint8Array;

const CLIENT_LABEL = Buffer.from('syfala-control-v1 client', 'ascii');
const SERVER_LABEL = Buffer.from('syfala-control-v1 server', 'ascii');
/** An absent key share: the MACs then are exactly CONTROL.md §5's of old (SECURITY.md §2). */
const NO_SHARE = new Uint8Array(0);

/**
 * The HMAC-SHA256 computations of CONTROL.md §5 over one pre-shared key, covering the key shares
 * of encrypted audio (SECURITY.md §2), and the audio secrets it salts. The key stays in a
 * private field, so it never shows up when the object is logged or serialized.
 */
export class PresharedKey {
  readonly #key: Buffer;

  /** Throws NetworkError BAD_OPTION when the key is shorter than MIN_PSK_BYTES. */
  constructor(psk: PskInput) {
    const key = typeof psk === 'string' ? Buffer.from(psk, 'utf8') : Buffer.from(psk);
    if (key.length < MIN_PSK_BYTES) {
      throw new NetworkError(
        'BAD_OPTION',
        `psk: expected at least ${MIN_PSK_BYTES} bytes, got ${key.length}`,
      );
    }
    this.#key = key;
  }

  /**
   * HMAC-SHA256(psk, "syfala-control-v1 client" ‖ nonce ‖ clientNonce ‖ clientId bytes ‖
   * clientShare), the Hello's key share, empty when it has none.
   */
  clientMac(
    nonce: Uint8Array,
    clientNonce: Uint8Array,
    clientId: string,
    clientShare: Uint8Array = NO_SHARE,
  ): Uint8Array {
    const id = idToBytes(clientId, 'client id');
    return this.#mac(CLIENT_LABEL, nonce, clientNonce, id, clientShare);
  }

  /**
   * HMAC-SHA256(psk, "syfala-control-v1 server" ‖ nonce ‖ clientNonce ‖ endpointId bytes ‖
   * clientShare ‖ serverShare), the Hello's and the Welcome's key shares, empty when absent.
   */
  serverProof(
    nonce: Uint8Array,
    clientNonce: Uint8Array,
    endpointId: string,
    clientShare: Uint8Array = NO_SHARE,
    serverShare: Uint8Array = NO_SHARE,
  ): Uint8Array {
    const id = idToBytes(endpointId, 'endpoint id');
    return this.#mac(SERVER_LABEL, nonce, clientNonce, id, clientShare, serverShare);
  }

  /** deriveAudioSecrets salted with this key (SECURITY.md §2). */
  audioSecrets(sharedSecret: Uint8Array, transcript: Uint8Array): AudioSecrets {
    return deriveAudioSecrets(sharedSecret, this.#key, transcript);
  }

  #mac(...parts: Uint8Array[]): Uint8Array {
    const hmac = createHmac('sha256', this.#key);
    for (const part of parts) hmac.update(part);
    return new Uint8Array(hmac.digest());
  }
}

/** AUTH_NONCE_BYTES from the cryptographic random source. */
export function randomNonce(): Uint8Array {
  return new Uint8Array(randomBytes(AUTH_NONCE_BYTES));
}

/** Whether `received` equals `expected`, in time that does not depend on where they differ. */
export function macMatches(expected: Uint8Array, received: Uint8Array | undefined): boolean {
  // Lengths are public (fixed by the protocol), so comparing them first leaks nothing.
  return (
    received !== undefined &&
    received.length === expected.length &&
    timingSafeEqual(expected, received)
  );
}
