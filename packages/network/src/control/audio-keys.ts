import {
  KEY_IDS_PER_RUN,
  deriveAudioSecrets,
  firstKeyIdOfRun,
  handshakeTranscript,
  type AudioRunKeys,
  type AudioSecrets,
  type HandshakeContext,
  type Role,
} from '@syfala/proto';
import type { PresharedKey } from './auth.js';

/**
 * I/O runs one connection's key ids allow (SECURITY.md §3): its StartIoRequest number
 * MAX_IO_RUNS + 1 is refused ("key ids exhausted: reconnect").
 */
export const MAX_IO_RUNS = 2 ** 32 / KEY_IDS_PER_RUN;

/**
 * What one TCP control handshake agreed for encrypted audio (SECURITY.md §2): both directions'
 * secrets. They stay in a private field, so they never show up when the object is logged or
 * serialized; forRun() hands them to an engine.
 */
export class AudioKeys {
  /** Whether a pre-shared key salted the secrets: a man in the middle can't have them. */
  readonly authenticated: boolean;
  readonly #secrets: AudioSecrets;

  constructor(secrets: AudioSecrets, authenticated: boolean) {
    this.#secrets = secrets;
    this.authenticated = authenticated;
  }

  /**
   * The keys of I/O run `run` (0 for the connection's first StartIoRequest, + 1 for each later
   * one) for `side`: a client sends client → server. Throws ValueError for a run beyond
   * MAX_IO_RUNS - 1.
   */
  forRun(run: number, side: Role): AudioRunKeys {
    const { clientToServer, serverToClient } = this.#secrets;
    const firstKeyId = firstKeyIdOfRun(run);
    return side === 'client'
      ? {
          sendDirection: 'client-to-server',
          sendSecret: clientToServer,
          receiveSecret: serverToClient,
          firstKeyId,
        }
      : {
          sendDirection: 'server-to-client',
          sendSecret: serverToClient,
          receiveSecret: clientToServer,
          firstKeyId,
        };
  }
}

/**
 * The audio keys from a handshake's X25519 secret (KeyShare.sharedSecret): its transcript (both
 * identities, both shares, the Welcome's formats), HKDF salted with the pre-shared key if any.
 */
export function deriveAudioKeys(
  sharedSecret: Uint8Array,
  context: HandshakeContext,
  psk: PresharedKey | undefined,
): AudioKeys {
  const transcript = handshakeTranscript(context);
  const secrets =
    psk === undefined
      ? deriveAudioSecrets(sharedSecret, undefined, transcript)
      : psk.audioSecrets(sharedSecret, transcript);
  return new AudioKeys(secrets, psk !== undefined);
}
