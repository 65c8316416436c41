import { DecodeError, ValueError } from '../errors.js';

const TWO_POW_32 = 0x1_0000_0000;
/** A u64 whose high word exceeds this is above Number.MAX_SAFE_INTEGER (2^53 − 1). */
const MAX_SAFE_HIGH_WORD = 0x1f_ffff;

export function readU32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

export function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}

/**
 * Reads a u64 as a JS number. Values must stay below 2^53 (PROTOCOL.md §4): at 100 MB/s a byte
 * index takes 2.8 years to get there, and numbers avoid a BigInt allocation per packet.
 */
export function readU64(b: Uint8Array, o: number, context: string): number {
  const high = readU32(b, o + 4);
  if (high > MAX_SAFE_HIGH_WORD) {
    throw new DecodeError(
      'BAD_FIELD',
      `${context}: must be below 2^53, got high word 0x${high.toString(16)}`,
    );
  }
  return high * TWO_POW_32 + readU32(b, o);
}

export function writeU64(b: Uint8Array, o: number, v: number): void {
  writeU32(b, o, v >>> 0);
  writeU32(b, o + 4, Math.floor(v / TWO_POW_32));
}

/** Bounds-checked cursor for the control messages; the audio path reads fixed offsets instead. */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #end: number;
  #offset: number;
  #view: DataView | undefined;

  constructor(bytes: Uint8Array, offset: number, end: number) {
    this.#bytes = bytes;
    this.#offset = offset;
    this.#end = end;
  }

  get remaining(): number {
    return this.#end - this.#offset;
  }

  #take(size: number, field: string): number {
    if (this.remaining < size) {
      throw new DecodeError(
        'TRUNCATED',
        `${field}: expected ${size} bytes at offset ${this.#offset}, got ${this.remaining}`,
      );
    }
    const at = this.#offset;
    this.#offset += size;
    return at;
  }

  u8(field: string): number {
    return this.#bytes[this.#take(1, field)]!;
  }

  u16(field: string): number {
    const o = this.#take(2, field);
    return this.#bytes[o]! | (this.#bytes[o + 1]! << 8);
  }

  u32(field: string): number {
    return readU32(this.#bytes, this.#take(4, field));
  }

  u64(field: string): number {
    return readU64(this.#bytes, this.#take(8, field), field);
  }

  f64(field: string): number {
    const o = this.#take(8, field);
    this.#view ??= new DataView(this.#bytes.buffer, this.#bytes.byteOffset, this.#bytes.byteLength);
    return this.#view.getFloat64(o, true);
  }

  /** A view of the next `size` bytes (no copy). */
  bytes(size: number, field: string): Uint8Array {
    const o = this.#take(size, field);
    return this.#bytes.subarray(o, o + size);
  }

  /** Rejects trailing bytes: every message has an exact length. */
  end(message: string): void {
    if (this.remaining !== 0) {
      throw new DecodeError(
        'LENGTH_MISMATCH',
        `${message}: ${this.remaining} bytes after the last field`,
      );
    }
  }
}

/** Cursor for encoding into a caller-owned buffer whose size was checked up front. */
export class ByteWriter {
  readonly #bytes: Uint8Array;
  #offset: number;
  #view: DataView | undefined;

  constructor(bytes: Uint8Array, offset: number) {
    this.#bytes = bytes;
    this.#offset = offset;
  }

  get offset(): number {
    return this.#offset;
  }

  u8(v: number): void {
    this.#bytes[this.#offset++] = v;
  }

  u16(v: number): void {
    this.#bytes[this.#offset++] = v;
    this.#bytes[this.#offset++] = v >>> 8;
  }

  u32(v: number): void {
    writeU32(this.#bytes, this.#offset, v);
    this.#offset += 4;
  }

  u64(v: number): void {
    writeU64(this.#bytes, this.#offset, v);
    this.#offset += 8;
  }

  f64(v: number): void {
    this.#view ??= new DataView(this.#bytes.buffer, this.#bytes.byteOffset, this.#bytes.byteLength);
    this.#view.setFloat64(this.#offset, v, true);
    this.#offset += 8;
  }

  bytes(v: Uint8Array): void {
    this.#bytes.set(v, this.#offset);
    this.#offset += v.length;
  }
}

/** Encode-side range check: a message with an out-of-range field is the caller's bug, not the peer's. */
export function checkUint(value: number, max: number, field: string, min = 0): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ValueError(
      'BAD_FIELD',
      `${field}: expected an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
}
