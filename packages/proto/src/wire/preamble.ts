import { DecodeError, ValueError } from '../errors.js';
import { MAGIC, MAX_DATAGRAM_BYTES, PREAMBLE_BYTES, PROTOCOL_VERSION } from './constants.js';
import { readU32, writeU32 } from './bytes.js';
import { VERSION_TAG_CODE } from './tags.js';

/**
 * Preamble, at the start of every datagram (PROTOCOL.md §4):
 *
 *   0      3        4                8
 *   +------+--------+----------------+
 *   | "SYF"| version| tag (4 ASCII)  |
 *   +------+--------+----------------+
 */
export function writePreamble(
  buf: Uint8Array,
  offset: number,
  tagCode: number,
  version = PROTOCOL_VERSION,
): void {
  buf[offset] = MAGIC[0]!;
  buf[offset + 1] = MAGIC[1]!;
  buf[offset + 2] = MAGIC[2]!;
  buf[offset + 3] = version;
  writeU32(buf, offset + 4, tagCode);
}

/**
 * Checks size, magic and version and returns the tag code. VERS is accepted in any version:
 * its layout is frozen so that peers of different versions can always tell each other so.
 */
export function readPreamble(buf: Uint8Array, offset: number, length: number): number {
  if (length < PREAMBLE_BYTES) {
    throw new DecodeError(
      'TRUNCATED',
      `preamble: expected at least ${PREAMBLE_BYTES} bytes, got ${length}`,
    );
  }
  if (length > MAX_DATAGRAM_BYTES) {
    throw new DecodeError(
      'TOO_LARGE',
      `datagram: at most ${MAX_DATAGRAM_BYTES} bytes, got ${length}`,
    );
  }
  if (buf[offset] !== MAGIC[0] || buf[offset + 1] !== MAGIC[1] || buf[offset + 2] !== MAGIC[2]) {
    throw new DecodeError(
      'BAD_MAGIC',
      `magic: expected 53 59 46 ("SYF"), got ${hex(buf.subarray(offset, offset + 3))}`,
    );
  }
  const tagCode = readU32(buf, offset + 4);
  const version = buf[offset + 3]!;
  if (version !== PROTOCOL_VERSION && tagCode !== VERSION_TAG_CODE) {
    throw new DecodeError(
      'BAD_VERSION',
      `version: this endpoint speaks ${PROTOCOL_VERSION}, got ${version}`,
    );
  }
  return tagCode;
}

/** The wire version byte of a datagram that passed the magic check (for answering with VERS). */
export function datagramVersion(buf: Uint8Array, offset = 0): number {
  return buf[offset + 3] ?? 0;
}

export function checkCapacity(buf: Uint8Array, offset: number, size: number): void {
  if (!Number.isInteger(offset) || offset < 0 || buf.length - offset < size) {
    throw new ValueError(
      'BUFFER_TOO_SMALL',
      `encode: need ${size} bytes at offset ${offset}, buffer has ${Math.max(0, buf.length - offset)}`,
    );
  }
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
