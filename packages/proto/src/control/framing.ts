import protobuf from 'protobufjs';
import { DecodeError, ValueError } from '../errors.js';
import { decodeControlMessage, encodeControlMessage } from './codec.js';
import type { ControlMessage } from './messages.js';

/*
 * A control stream is a sequence of frames (docs/CONTROL.md §1), protobuf's "delimited" form as
 * protobufjs encodeDelimited/decodeDelimited and C++ SerializeDelimitedToOstream /
 * ParseDelimitedFromZeroCopyStream write and read it:
 *
 *   +----------------------+----------------------------------+
 *   | length, varint (1-5) | ControlFrame protobuf (length B) |
 *   +----------------------+----------------------------------+
 *
 * length is 1..maxFrameBytes; it does not count the prefix itself. Version 1 of the control
 * protocol framed with a 4-byte little-endian length instead; a stream that starts like one is
 * refused (CONTROL.md §1.1).
 */

/** Default largest ControlFrame a peer may send, in bytes, not counting the length prefix. */
export const MAX_CONTROL_FRAME_BYTES = 64 * 1024;
/** Bytes of control version 1's length prefix (a little-endian u32), recognised only to refuse it. */
const VERSION_1_PREFIX_BYTES = 4;

export interface ControlFramingOptions {
  /** Largest ControlFrame accepted or produced, in bytes, prefix excluded (default MAX_CONTROL_FRAME_BYTES). */
  readonly maxFrameBytes?: number;
}

function maxFrameBytesOption(options: ControlFramingOptions): number {
  const { maxFrameBytes = MAX_CONTROL_FRAME_BYTES } = options;
  if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 1 || maxFrameBytes > 0xffff_ffff) {
    throw new ValueError(
      'BAD_FIELD',
      `control framing: maxFrameBytes must be an integer from 1 to ${0xffff_ffff}, got ${String(maxFrameBytes)}`,
    );
  }
  return maxFrameBytes;
}

/** The ControlFrame protobuf of `message`, checked against the frame maximum. */
function encodeBody(message: ControlMessage, options: ControlFramingOptions): Uint8Array {
  const maxFrameBytes = maxFrameBytesOption(options);
  const body = encodeControlMessage(message);
  if (body.length > maxFrameBytes) {
    throw new ValueError(
      'BAD_FIELD',
      `control ${message.type}: encodes to ${body.length} bytes, above the ${maxFrameBytes}-byte frame maximum`,
    );
  }
  return body;
}

/**
 * `message` as one varint-delimited frame, ready to write to the stream.
 * Throws ValueError when a field is invalid or the frame would exceed `maxFrameBytes`.
 */
export function encodeControlFrame(
  message: ControlMessage,
  options: ControlFramingOptions = {},
): Uint8Array {
  // A length-delimited bytes value is exactly the delimited framing: varint length, then the body.
  const frame = protobuf.Writer.create().bytes(encodeBody(message, options)).finish();
  // A copy: protobufjs hands back a Node Buffer, often a slice of a shared pool.
  return new Uint8Array(frame);
}

/**
 * `message` framed as control version 1 framed it (4-byte little-endian length): only for the
 * Disconnect(VERSION_UNSUPPORTED) that tells a version-1 peer why it is refused (CONTROL.md §1.1).
 */
export function encodeVersion1ControlFrame(message: ControlMessage): Uint8Array {
  const body = encodeBody(message, {});
  const frame = new Uint8Array(VERSION_1_PREFIX_BYTES + body.length);
  new DataView(frame.buffer).setUint32(0, body.length, true);
  frame.set(body, VERSION_1_PREFIX_BYTES);
  return frame;
}

const bytes = (count: number): string => `${count} ${count === 1 ? 'byte' : 'bytes'}`;

/** Bytes of the varint of `value` (a uint32). */
function varintBytes(value: number): number {
  let bytes = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    bytes++;
  }
  return bytes;
}

/**
 * True when a stream's first 4 bytes can only be control version 1's prefix: a little-endian u32
 * from 1 to 65 535. No version-2 stream starts so, since its third and fourth bytes are never both
 * 0 (CONTROL.md §1.1).
 */
function isVersion1Start(head: Uint8Array): boolean {
  return head[2] === 0 && head[3] === 0 && (head[0] !== 0 || head[1] !== 0);
}

/**
 * Splits a byte stream (TCP reads, cut anywhere) back into control messages.
 *
 * Each byte of a body is copied at most once: a frame that arrives whole inside one chunk is
 * decoded in place, and a frame split across chunks is gathered into a buffer sized by its prefix.
 *
 * Any DecodeError is final: the stream has no resync point, so the decoder stays failed and every
 * later `push` or `end` throws a DecodeError with the same code (the first error is its cause).
 */
export class ControlFrameDecoder {
  readonly #maxFrameBytes: number;
  /** A prefix longer than the maximum's own varint announces more than the maximum. */
  readonly #maxPrefixBytes: number;
  /** The stream's first bytes, held until there are enough to tell a version-1 peer. */
  #head: Uint8Array | undefined = new Uint8Array(VERSION_1_PREFIX_BYTES);
  #headFilled = 0;
  readonly #prefix: Uint8Array;
  #prefixFilled = 0;
  /** The frame being gathered, allocated once its prefix has been checked. */
  #body: Uint8Array | undefined;
  #bodyFilled = 0;
  #failure: DecodeError | undefined;

  constructor(options: ControlFramingOptions = {}) {
    this.#maxFrameBytes = maxFrameBytesOption(options);
    this.#maxPrefixBytes = varintBytes(this.#maxFrameBytes);
    this.#prefix = new Uint8Array(this.#maxPrefixBytes);
  }

  /**
   * Feeds the next bytes of the stream and returns the messages they complete, in order.
   *
   * Throws DecodeError on a bad frame: BAD_VERSION for a stream that starts with a version-1
   * prefix; TOO_LARGE as soon as a prefix announces more than `maxFrameBytes` (before anything is
   * buffered); BAD_FIELD for a zero length (a frame always has a body) or a body that is not a
   * valid control message; TRUNCATED for a body whose protobuf runs short. Messages earlier in
   * the same chunk are dropped with it: a bad frame ends the connection (Disconnect), so nothing
   * more from the peer is acted on.
   */
  push(chunk: Uint8Array): ControlMessage[] {
    this.#throwIfFailed();
    const messages: ControlMessage[] = [];
    try {
      let rest = chunk;
      if (this.#head !== undefined) {
        const take = Math.min(VERSION_1_PREFIX_BYTES - this.#headFilled, chunk.length);
        this.#head.set(chunk.subarray(0, take), this.#headFilled);
        this.#headFilled += take;
        if (this.#headFilled < VERSION_1_PREFIX_BYTES) return messages;
        const head = this.#head;
        this.#head = undefined;
        this.#checkNotVersion1(head);
        this.#consume(head, messages);
        rest = chunk.subarray(take);
      }
      this.#consume(rest, messages);
    } catch (error) {
      this.#fail(error);
    }
    return messages;
  }

  /** Call when the stream ends: throws DecodeError TRUNCATED if it ended inside a frame. */
  end(): void {
    this.#throwIfFailed();
    const cut =
      this.#body !== undefined
        ? `${this.#bodyFilled} of the ${this.#body.length} bytes of a frame's body`
        : this.#prefixFilled > 0
          ? `${bytes(this.#prefixFilled)} of a length prefix`
          : this.#headFilled > 0 && this.#head !== undefined
            ? `${bytes(this.#headFilled)} of the first frame`
            : undefined;
    if (cut !== undefined) {
      this.#fail(new DecodeError('TRUNCATED', `control stream: ended after ${cut}`));
    }
  }

  #consume(chunk: Uint8Array, messages: ControlMessage[]): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#body === undefined) {
        const byte = chunk[offset++]!;
        this.#prefix[this.#prefixFilled++] = byte;
        if (byte & 0x80) {
          if (this.#prefixFilled === this.#maxPrefixBytes) this.#tooLongPrefix();
          continue;
        }
        // A fifth byte above 0x0f sets bits past 32, which protobufjs's uint32() would drop.
        if (this.#prefixFilled === 5 && byte > 0x0f) this.#tooLongPrefix();
        const length = this.#checkLength();
        if (chunk.length - offset >= length) {
          messages.push(decodeControlMessage(chunk.subarray(offset, offset + length)));
          offset += length;
        } else {
          this.#body = new Uint8Array(length);
          this.#bodyFilled = 0;
        }
      } else {
        const take = Math.min(this.#body.length - this.#bodyFilled, chunk.length - offset);
        this.#body.set(chunk.subarray(offset, offset + take), this.#bodyFilled);
        this.#bodyFilled += take;
        offset += take;
        if (this.#bodyFilled === this.#body.length) {
          const body = this.#body;
          this.#body = undefined;
          messages.push(decodeControlMessage(body));
        }
      }
    }
  }

  #checkNotVersion1(head: Uint8Array): void {
    if (!isVersion1Start(head)) return;
    const length = new DataView(head.buffer).getUint32(0, true);
    throw new DecodeError(
      'BAD_VERSION',
      `control stream: the peer frames with 4-byte little-endian lengths (control version 1; its first frame announces ${length} bytes); this side speaks version 2, varint lengths`,
    );
  }

  #tooLongPrefix(): never {
    throw new DecodeError(
      'TOO_LARGE',
      `control frame: a length prefix of ${this.#prefixFilled} or more varint bytes announces more than the ${this.#maxFrameBytes}-byte maximum`,
    );
  }

  /** Reads the prefix just completed and rejects a length no valid frame can have. */
  #checkLength(): number {
    const length = protobuf.Reader.create(this.#prefix.subarray(0, this.#prefixFilled)).uint32();
    this.#prefixFilled = 0;
    if (length === 0) {
      throw new DecodeError(
        'BAD_FIELD',
        'control frame: length prefix is 0; a frame always has a body',
      );
    }
    if (length > this.#maxFrameBytes) {
      throw new DecodeError(
        'TOO_LARGE',
        `control frame: length prefix announces ${length} bytes, above the ${this.#maxFrameBytes}-byte maximum`,
      );
    }
    return length;
  }

  #fail(error: unknown): never {
    // Only DecodeErrors can arise while decoding; anything else is a bug and must surface as is.
    if (error instanceof DecodeError) {
      this.#failure = error;
      this.#body = undefined;
    }
    throw error;
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) {
      throw new DecodeError(
        this.#failure.code,
        `control stream: decoder failed earlier (${this.#failure.message})`,
        { cause: this.#failure },
      );
    }
  }
}
