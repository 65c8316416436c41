import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { ValueError } from '../errors.js';
import {
  createSealedAudioHeader,
  readSealedAudioHeader,
  writeSealedAudioHeader,
  type SealedAudioHeader,
} from '../wire/audio.js';
import { readU32, writeU32 } from '../wire/bytes.js';
import {
  AUDIO_AUTH_TAG_BYTES,
  MAX_AUDIO_COPY,
  SEALED_AUDIO_HEADER_BYTES,
} from '../wire/constants.js';
import { checkCapacity } from '../wire/preamble.js';

/*
 * Sealing and opening AUDE datagrams (docs/SECURITY.md §3): ChaCha20-Poly1305 from Node's crypto,
 * the 32-byte header as associated data, a nonce made of the header's own stream index, byte
 * index and copy and the sender's direction. Node allocates a cipher object and its output per
 * call; nothing else here does (bench/RESULTS.md has the cost per datagram).
 */

/** Which way a datagram travels; its nonces carry it, so the two directions never share one. */
export type AudioDirection = 'client-to-server' | 'server-to-client';
/** A 32-byte audio key (deriveAudioKey), or the same imported once with createSecretKey. */
export type AudioKey = Uint8Array | KeyObject;

export const AUDIO_NONCE_BYTES = 12;

const ALGORITHM = 'chacha20-poly1305';
const TAG_OPTIONS = { authTagLength: AUDIO_AUTH_TAG_BYTES } as const;
const DIRECTION_CODES: Readonly<Record<AudioDirection, number>> = {
  'client-to-server': 1,
  'server-to-client': 2,
};
/** Reused for every datagram: createCipheriv copies the nonce, and this thread runs one at a time. */
const nonce = Buffer.alloc(AUDIO_NONCE_BYTES);

/**
 * nonce = u32 streamIndex ‖ the low 7 bytes of u64 byteIndex ‖ u8 (direction << 4 | copy), all
 * little-endian. Never repeated under one key: a run's datagrams differ in stream, first byte or
 * copy, each direction has its own nonces (and secret), and byte indices stay below 2^53 < 2^56.
 */
export function audioNonce(
  direction: AudioDirection,
  streamIndex: number,
  byteIndex: number,
  copy: number,
): Uint8Array {
  const header = new Uint8Array(SEALED_AUDIO_HEADER_BYTES);
  writeSealedAudioHeader(header, 0, streamIndex, byteIndex, 1, 0, copy);
  return new Uint8Array(headerNonce(header, 0, direction));
}

/** One run of a stream to seal: the fields of an AUDE and its plaintext. */
export interface AudioRun {
  readonly streamIndex: number;
  readonly byteIndex: number;
  /** 0 to 3: how many periods back the first byte was first sent (SECURITY.md §3). */
  readonly copy: number;
  readonly keyId: number;
  readonly payload: Uint8Array;
}

/**
 * Seals `run` into an AUDE datagram written at `offset` of `out` (a new buffer when absent);
 * returns the datagram, a view of `out`. The payload may already sit where its ciphertext goes.
 */
export function sealAudio(
  key: AudioKey,
  direction: AudioDirection,
  run: AudioRun,
  out?: Uint8Array,
  offset = 0,
): Uint8Array {
  const { streamIndex, byteIndex, copy, keyId, payload } = run;
  const length = SEALED_AUDIO_HEADER_BYTES + payload.length + AUDIO_AUTH_TAG_BYTES;
  const buf = out ?? new Uint8Array(length);
  checkCapacity(buf, offset, length);
  const datagram = buf.subarray(offset, offset + length);
  writeSealedAudioHeader(datagram, 0, streamIndex, byteIndex, payload.length, keyId, copy);
  datagram.set(payload, SEALED_AUDIO_HEADER_BYTES);
  sealAudioInPlace(key, direction, keyId, datagram, length);
  return datagram;
}

/**
 * Seals the first `length` bytes of `datagram`, an AUDE whose header is written (its key id is
 * set here to `keyId`) and whose payload is still plaintext, with room for the tag after it:
 * what a sealed StreamPacketizer hands its sink. Encrypts the payload in place and writes the tag.
 */
export function sealAudioInPlace(
  key: AudioKey,
  direction: AudioDirection,
  keyId: number,
  datagram: Uint8Array,
  length: number,
): void {
  const byteCount = readU32(datagram, 20);
  const copy = datagram[28]!;
  if (
    length !== SEALED_AUDIO_HEADER_BYTES + byteCount + AUDIO_AUTH_TAG_BYTES ||
    datagram.length < length ||
    copy > MAX_AUDIO_COPY
  ) {
    throw new ValueError(
      'BAD_FIELD',
      `seal: a ${length}-byte datagram cannot hold a ${byteCount}-byte payload with copy ${copy}`,
    );
  }
  writeU32(datagram, 24, keyId);
  const cipher = createCipheriv(ALGORITHM, key, headerNonce(datagram, 0, direction), TAG_OPTIONS);
  cipher.setAAD(datagram.subarray(0, SEALED_AUDIO_HEADER_BYTES), { plaintextLength: byteCount });
  const end = SEALED_AUDIO_HEADER_BYTES + byteCount;
  datagram.set(
    cipher.update(datagram.subarray(SEALED_AUDIO_HEADER_BYTES, end)),
    SEALED_AUDIO_HEADER_BYTES,
  );
  cipher.final();
  datagram.set(cipher.getAuthTag(), end);
}

/**
 * Opens an AUDE sent in `direction` with `key` (the key of its key id): the plaintext, a new
 * buffer, or null when it is not authentic (any bit of header, ciphertext or tag changed, or
 * another key, direction or nonce). `header` is the datagram's, when already read; a datagram
 * that is no valid AUDE throws DecodeError.
 */
export function openAudio(
  key: AudioKey,
  direction: AudioDirection,
  datagram: Uint8Array,
  header: SealedAudioHeader = readSealedAudioHeader(datagram, createSealedAudioHeader()),
): Uint8Array | null {
  const start = header.payloadOffset;
  const end = start + header.byteCount;
  const decipher = createDecipheriv(
    ALGORITHM,
    key,
    headerNonce(datagram, start - SEALED_AUDIO_HEADER_BYTES, direction),
    TAG_OPTIONS,
  );
  decipher.setAAD(datagram.subarray(start - SEALED_AUDIO_HEADER_BYTES, start), {
    plaintextLength: header.byteCount,
  });
  decipher.setAuthTag(datagram.subarray(end, end + AUDIO_AUTH_TAG_BYTES));
  const plaintext = decipher.update(datagram.subarray(start, end));
  try {
    decipher.final();
  } catch {
    return null;
  }
  return plaintext;
}

/**
 * The nonce of the AUDE at `offset`, straight from its header bytes: stream index (8..12) and
 * the low 7 bytes of the byte index (12..19) are already little-endian there.
 */
function headerNonce(datagram: Uint8Array, offset: number, direction: AudioDirection): Buffer {
  for (let i = 0; i < AUDIO_NONCE_BYTES - 1; i++) nonce[i] = datagram[offset + 8 + i]!;
  nonce[AUDIO_NONCE_BYTES - 1] = directionCode(direction) | datagram[offset + 28]!;
  return nonce;
}

function directionCode(direction: AudioDirection): number {
  const code = Object.hasOwn(DIRECTION_CODES, direction) ? DIRECTION_CODES[direction] : undefined;
  if (code === undefined) {
    throw new ValueError(
      'BAD_FIELD',
      `audio direction: expected client-to-server or server-to-client, got ${String(direction)}`,
    );
  }
  return code << 4;
}
