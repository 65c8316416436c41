import { createSecretKey, type KeyObject } from 'node:crypto';
import {
  ROTATE_AFTER_DATAGRAMS,
  deriveAudioKey,
  openAudio,
  sealAudioInPlace,
  type AudioDirection,
  type SealedAudioHeader,
} from '@syfala/proto';
import { AudioError } from '../errors.js';
import type { AudioSecurity, PeerSecurityStats } from '../stream-engine.js';

const MAX_KEY_ID = 0xffff_ffff;
const SECRET_BYTES = 32;
const DIRECTIONS: readonly AudioDirection[] = ['client-to-server', 'server-to-client'];

/**
 * Per received stream: the end of the newest authentic datagram (SECURITY.md §4, step 3). A
 * datagram ending at or before `newestEnd − windowBytes` is a replay, refused before it is
 * opened; the window is at least the jitter buffer's capacity, whose older bytes never play.
 */
export class ReplayWindow {
  readonly #windowBytes: number;
  #newestEnd = 0;

  constructor(windowBytes: number) {
    this.#windowBytes = windowBytes;
  }

  isStale(byteIndex: number, byteCount: number): boolean {
    return byteIndex + byteCount <= this.#newestEnd - this.#windowBytes;
  }

  /** An authentic datagram of `[byteIndex, byteIndex + byteCount)` arrived. */
  authentic(byteIndex: number, byteCount: number): void {
    if (byteIndex + byteCount > this.#newestEnd) this.#newestEnd = byteIndex + byteCount;
  }
}

/**
 * The keys of one peer's I/O run and what they refused (docs/SECURITY.md §3–§4): seals what the
 * engine sends, rotating after `rotateAfterDatagrams` datagrams over all streams, and opens what
 * it receives, with the key ids from the current one − 1 (not below the run's first) to + 1.
 * A key is derived once, when first needed, and kept while its id is in use.
 */
export class PeerSecurity {
  readonly #sendDirection: AudioDirection;
  readonly #receiveDirection: AudioDirection;
  readonly #sendSecret: Uint8Array;
  readonly #receiveSecret: Uint8Array;
  readonly #firstKeyId: number;
  readonly #rotateAfter: number;
  #sendKeyId: number;
  #sendKey: KeyObject;
  #sealedWithKey = 0;
  /** Receive keys of ids current − 1, current and current + 1, derived when first needed. */
  #receiveKeyId: number;
  #receiveKeys: (KeyObject | undefined)[] = [undefined, undefined, undefined];
  #authFailed = 0;
  #replayed = 0;

  constructor(security: AudioSecurity) {
    checkSecurity(security);
    this.#sendDirection = security.sendDirection;
    this.#receiveDirection = DIRECTIONS.find((d) => d !== security.sendDirection)!;
    this.#sendSecret = security.sendSecret;
    this.#receiveSecret = security.receiveSecret;
    this.#firstKeyId = security.firstKeyId;
    this.#rotateAfter = security.rotateAfterDatagrams ?? ROTATE_AFTER_DATAGRAMS;
    this.#sendKeyId = security.firstKeyId;
    this.#sendKey = this.#key(this.#sendSecret, this.#sendKeyId);
    this.#receiveKeyId = security.firstKeyId;
  }

  /** Seals a datagram a sealed packetizer laid out, with the current send key. */
  seal(datagram: Uint8Array, length: number): void {
    if (this.#sealedWithKey === this.#rotateAfter) {
      this.#sendKey = this.#key(this.#sendSecret, ++this.#sendKeyId);
      this.#sealedWithKey = 0;
    }
    sealAudioInPlace(this.#sendKey, this.#sendDirection, this.#sendKeyId, datagram, length);
    this.#sealedWithKey++;
  }

  /**
   * Steps 2 to 4 of SECURITY.md §4 for a decoded AUDE: the plaintext, or undefined when the
   * datagram is refused (and counted). An authentic one of the next key id moves to that id.
   */
  open(
    datagram: Uint8Array,
    header: SealedAudioHeader,
    replay: ReplayWindow,
  ): Uint8Array | undefined {
    const slot = header.keyId - this.#receiveKeyId + 1;
    if (slot < 0 || header.keyId < this.#firstKeyId) {
      this.#replayed++;
      return undefined;
    }
    if (slot > 2) {
      this.#authFailed++;
      return undefined;
    }
    if (replay.isStale(header.byteIndex, header.byteCount)) {
      this.#replayed++;
      return undefined;
    }
    const key = (this.#receiveKeys[slot] ??= this.#key(this.#receiveSecret, header.keyId));
    const plaintext = openAudio(key, this.#receiveDirection, datagram, header);
    if (plaintext === null) {
      this.#authFailed++;
      return undefined;
    }
    replay.authentic(header.byteIndex, header.byteCount);
    if (slot === 2) {
      this.#receiveKeyId++;
      this.#receiveKeys = [this.#receiveKeys[1], this.#receiveKeys[2], undefined];
    }
    return plaintext;
  }

  /** A clear AUDI from this peer: never played (SECURITY.md §4, step 1). */
  refuseClear(): void {
    this.#authFailed++;
  }

  stats(): PeerSecurityStats {
    return {
      authFailed: this.#authFailed,
      replayed: this.#replayed,
      sendKeyId: this.#sendKeyId,
      receiveKeyId: this.#receiveKeyId,
    };
  }

  #key(secret: Uint8Array, keyId: number): KeyObject {
    return createSecretKey(deriveAudioKey(secret, keyId));
  }
}

/** Refuses security settings the engine cannot run with, naming the value. */
function checkSecurity(security: AudioSecurity): void {
  const bad = (message: string): AudioError =>
    new AudioError('BAD_OPTION', `audio engine: security ${message}`);
  if (!DIRECTIONS.includes(security.sendDirection)) {
    throw bad(
      `sendDirection: expected ${DIRECTIONS.join(' or ')}, got ${String(security.sendDirection)}`,
    );
  }
  for (const name of ['sendSecret', 'receiveSecret'] as const) {
    const secret = security[name] as unknown;
    if (!(secret instanceof Uint8Array) || secret.length !== SECRET_BYTES) {
      const got = secret instanceof Uint8Array ? `${secret.length} bytes` : typeof secret;
      throw bad(`${name}: expected ${SECRET_BYTES} bytes, got ${got}`);
    }
  }
  const { firstKeyId, rotateAfterDatagrams } = security;
  if (!Number.isInteger(firstKeyId) || firstKeyId < 0 || firstKeyId > MAX_KEY_ID) {
    throw bad(`firstKeyId: expected an integer from 0 to ${MAX_KEY_ID}, got ${String(firstKeyId)}`);
  }
  if (
    rotateAfterDatagrams !== undefined &&
    !(Number.isSafeInteger(rotateAfterDatagrams) && rotateAfterDatagrams > 0)
  ) {
    throw bad(
      `rotateAfterDatagrams: expected a positive integer, got ${String(rotateAfterDatagrams)}`,
    );
  }
}
