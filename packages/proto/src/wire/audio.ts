import { DecodeError } from '../errors.js';
import { readU32, readU64, writeU32, writeU64, checkUint } from './bytes.js';
import {
  AUDIO_AUTH_TAG_BYTES,
  AUDIO_HEADER_BYTES,
  MAX_AUDIO_COPY,
  MAX_AUDIO_PAYLOAD_BYTES,
  MAX_SEALED_AUDIO_PAYLOAD_BYTES,
  SEALED_AUDIO_HEADER_BYTES,
} from './constants.js';
import { checkCapacity, readPreamble, writePreamble } from './preamble.js';
import { AUDIO_TAG_CODE, SEALED_AUDIO_TAG_CODE, TAGS } from './tags.js';

/**
 * The audio path's own reader and writer: fixed offsets, no allocation per packet.
 *
 *   0          8              12                      20             24
 *   +----------+--------------+-----------------------+--------------+---------------
 *   | preamble | stream index | byte index            | byte count   | payload ...
 *   | "AUDI"   | u32 LE       | u64 LE (< 2^53)       | u32 LE       | byte count bytes
 *   +----------+--------------+-----------------------+--------------+---------------
 */
export interface AudioHeader {
  streamIndex: number;
  byteIndex: number;
  byteCount: number;
  /** Where the payload starts in the buffer that was read. */
  payloadOffset: number;
}

export function createAudioHeader(): AudioHeader {
  return { streamIndex: 0, byteIndex: 0, byteCount: 0, payloadOffset: 0 };
}

const MAX_U32 = 0xffff_ffff;

/** AUDI and AUDE: their tag, sizes, and the name their errors go by. */
interface AudioLayout {
  readonly tagCode: number;
  readonly tag: string;
  readonly what: string;
  readonly headerBytes: number;
  readonly trailerBytes: number;
  readonly maxByteCount: number;
}

const AUDIO: AudioLayout = {
  tagCode: AUDIO_TAG_CODE,
  tag: TAGS.audio.tag,
  what: 'audio',
  headerBytes: AUDIO_HEADER_BYTES,
  trailerBytes: 0,
  maxByteCount: MAX_AUDIO_PAYLOAD_BYTES,
};
const SEALED: AudioLayout = {
  tagCode: SEALED_AUDIO_TAG_CODE,
  tag: TAGS['sealed-audio'].tag,
  what: 'sealed audio',
  headerBytes: SEALED_AUDIO_HEADER_BYTES,
  trailerBytes: AUDIO_AUTH_TAG_BYTES,
  maxByteCount: MAX_SEALED_AUDIO_PAYLOAD_BYTES,
};

/** The first 24 bytes both layouts share, after their fields are checked against `layout`. */
function writeRunHeader(
  layout: AudioLayout,
  buf: Uint8Array,
  offset: number,
  streamIndex: number,
  byteIndex: number,
  byteCount: number,
): void {
  checkUint(streamIndex, MAX_U32, `${layout.what} stream index`);
  checkUint(byteIndex, Number.MAX_SAFE_INTEGER, `${layout.what} byte index`);
  checkUint(byteCount, layout.maxByteCount, `${layout.what} byte count`, 1);
  checkCapacity(buf, offset, layout.headerBytes);
  writePreamble(buf, offset, layout.tagCode);
  writeU32(buf, offset + 8, streamIndex);
  writeU64(buf, offset + 12, byteIndex);
  writeU32(buf, offset + 20, byteCount);
}

/**
 * Writes the 24-byte header at `offset`; the caller puts `byteCount` payload bytes right after it.
 * Returns the header size.
 */
export function writeAudioHeader(
  buf: Uint8Array,
  offset: number,
  streamIndex: number,
  byteIndex: number,
  byteCount: number,
): number {
  writeRunHeader(AUDIO, buf, offset, streamIndex, byteIndex, byteCount);
  return AUDIO_HEADER_BYTES;
}

/**
 * Validates an audio datagram of `length` bytes at `offset` and fills `out`; the payload stays
 * in `buf` at `out.payloadOffset`. Throws DecodeError for anything that is not a valid AUDI.
 */
export function readAudioHeader(
  buf: Uint8Array,
  out: AudioHeader,
  offset = 0,
  length = buf.length - offset,
): AudioHeader {
  const byteCount = readByteCount(AUDIO, buf, offset, length);
  if (byteCount !== length - AUDIO_HEADER_BYTES) throw lengthMismatch(AUDIO, byteCount, length);
  out.streamIndex = readU32(buf, offset + 8);
  out.byteIndex = readU64(buf, offset + 12, 'audio byte index');
  out.byteCount = byteCount;
  out.payloadOffset = offset + AUDIO_HEADER_BYTES;
  return out;
}

/**
 * AUDE, the sealed audio datagram (docs/SECURITY.md §3): AUDI's header, then the key id, the
 * redundancy copy and three zero bytes. The 32 header bytes are the AEAD's associated data.
 *
 *   0          24       28     29          32                         32 + byte count
 *   +----------+--------+------+-----------+--------------------------+-------------+
 *   | as AUDI  | key id | copy | 0 0 0     | ciphertext               | tag         |
 *   | ("AUDE") | u32 LE | u8   | reserved  | byte count bytes         | 16 bytes    |
 *   +----------+--------+------+-----------+--------------------------+-------------+
 *
 * The byte count is the plaintext's (and the ciphertext's) length.
 */
export interface SealedAudioHeader extends AudioHeader {
  keyId: number;
  copy: number;
}

export function createSealedAudioHeader(): SealedAudioHeader {
  return { ...createAudioHeader(), keyId: 0, copy: 0 };
}

/**
 * Writes AUDE's 32-byte header at `offset`; the caller puts `byteCount` bytes of ciphertext and
 * the 16-byte tag right after it (sealAudio does all of it). Returns the header size.
 */
export function writeSealedAudioHeader(
  buf: Uint8Array,
  offset: number,
  streamIndex: number,
  byteIndex: number,
  byteCount: number,
  keyId: number,
  copy: number,
): number {
  checkUint(keyId, MAX_U32, 'sealed audio key id');
  checkUint(copy, MAX_AUDIO_COPY, 'sealed audio copy');
  writeRunHeader(SEALED, buf, offset, streamIndex, byteIndex, byteCount);
  writeU32(buf, offset + 24, keyId);
  buf[offset + 28] = copy;
  buf[offset + 29] = 0;
  buf[offset + 30] = 0;
  buf[offset + 31] = 0;
  return SEALED_AUDIO_HEADER_BYTES;
}

/**
 * Validates an AUDE of `length` bytes at `offset` and fills `out`: the ciphertext starts at
 * `out.payloadOffset` and is `out.byteCount` bytes long, its tag follows. Throws DecodeError for
 * anything that is not a valid AUDE; says nothing of whether it is authentic (openAudio does).
 */
export function readSealedAudioHeader(
  buf: Uint8Array,
  out: SealedAudioHeader,
  offset = 0,
  length = buf.length - offset,
): SealedAudioHeader {
  const byteCount = readByteCount(SEALED, buf, offset, length);
  const byteIndex = readU64(buf, offset + 12, 'sealed audio byte index');
  const copy = buf[offset + 28]!;
  if (copy > MAX_AUDIO_COPY) {
    throw new DecodeError('BAD_FIELD', `sealed audio copy: at most ${MAX_AUDIO_COPY}, got ${copy}`);
  }
  if ((buf[offset + 29]! | buf[offset + 30]! | buf[offset + 31]!) !== 0) {
    throw new DecodeError('BAD_FIELD', 'sealed audio reserved bytes: must be zero');
  }
  if (byteCount + AUDIO_AUTH_TAG_BYTES !== length - SEALED_AUDIO_HEADER_BYTES) {
    throw lengthMismatch(SEALED, byteCount, length);
  }
  out.streamIndex = readU32(buf, offset + 8);
  out.byteIndex = byteIndex;
  out.byteCount = byteCount;
  out.keyId = readU32(buf, offset + 24);
  out.copy = copy;
  out.payloadOffset = offset + SEALED_AUDIO_HEADER_BYTES;
  return out;
}

/**
 * The tag, then the header's byte count, checked in PROTOCOL.md §8's order: the header is there,
 * the count is within its limit and not 0. The caller checks it against the length after its
 * other fields.
 */
function readByteCount(
  layout: AudioLayout,
  buf: Uint8Array,
  offset: number,
  length: number,
): number {
  const tagCode = readPreamble(buf, offset, length);
  if (tagCode !== layout.tagCode) {
    throw new DecodeError(
      'UNKNOWN_TAG',
      `audio: expected tag ${layout.tag}, got 0x${tagCode.toString(16)}`,
    );
  }
  if (length < layout.headerBytes) {
    throw new DecodeError(
      'TRUNCATED',
      `${layout.what} header: expected ${layout.headerBytes} bytes, got ${length}`,
    );
  }
  const byteCount = readU32(buf, offset + 20);
  if (byteCount > layout.maxByteCount) {
    throw new DecodeError(
      'TOO_LARGE',
      `${layout.what} byte count: at most ${layout.maxByteCount}, got ${byteCount}`,
    );
  }
  if (byteCount === 0) {
    throw new DecodeError('BAD_FIELD', `${layout.what} byte count: must be at least 1, got 0`);
  }
  return byteCount;
}

function lengthMismatch(layout: AudioLayout, byteCount: number, length: number): DecodeError {
  const carried = length - layout.headerBytes - layout.trailerBytes;
  return new DecodeError(
    'LENGTH_MISMATCH',
    `${layout.what} byte count: declares ${byteCount} bytes, datagram carries ${carried}`,
  );
}
