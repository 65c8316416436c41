import { DecodeError } from '../errors.js';
import { readU32, readU64, writeU32, writeU64, checkUint } from './bytes.js';
import { AUDIO_HEADER_BYTES, MAX_AUDIO_PAYLOAD_BYTES } from './constants.js';
import { checkCapacity, readPreamble, writePreamble } from './preamble.js';
import { AUDIO_TAG_CODE, TAGS } from './tags.js';

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
  checkUint(streamIndex, MAX_U32, 'audio stream index');
  checkUint(byteIndex, Number.MAX_SAFE_INTEGER, 'audio byte index');
  checkUint(byteCount, MAX_AUDIO_PAYLOAD_BYTES, 'audio byte count', 1);
  checkCapacity(buf, offset, AUDIO_HEADER_BYTES);
  writePreamble(buf, offset, AUDIO_TAG_CODE);
  writeU32(buf, offset + 8, streamIndex);
  writeU64(buf, offset + 12, byteIndex);
  writeU32(buf, offset + 20, byteCount);
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
  const tagCode = readPreamble(buf, offset, length);
  if (tagCode !== AUDIO_TAG_CODE) {
    throw new DecodeError(
      'UNKNOWN_TAG',
      `audio: expected tag ${TAGS.audio.tag}, got 0x${tagCode.toString(16)}`,
    );
  }
  if (length < AUDIO_HEADER_BYTES) {
    throw new DecodeError(
      'TRUNCATED',
      `audio header: expected ${AUDIO_HEADER_BYTES} bytes, got ${length}`,
    );
  }
  const byteCount = readU32(buf, offset + 20);
  if (byteCount > MAX_AUDIO_PAYLOAD_BYTES) {
    throw new DecodeError(
      'TOO_LARGE',
      `audio byte count: at most ${MAX_AUDIO_PAYLOAD_BYTES}, got ${byteCount}`,
    );
  }
  if (byteCount === 0) {
    throw new DecodeError('BAD_FIELD', 'audio byte count: must be at least 1, got 0');
  }
  if (byteCount !== length - AUDIO_HEADER_BYTES) {
    throw new DecodeError(
      'LENGTH_MISMATCH',
      `audio byte count: declares ${byteCount} bytes, datagram carries ${length - AUDIO_HEADER_BYTES}`,
    );
  }
  out.streamIndex = readU32(buf, offset + 8);
  out.byteIndex = readU64(buf, offset + 12, 'audio byte index');
  out.byteCount = byteCount;
  out.payloadOffset = offset + AUDIO_HEADER_BYTES;
  return out;
}
