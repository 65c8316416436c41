import { DecodeError, ValueError } from '../errors.js';
import { decodeControlMessage, encodeControlMessage } from './codec.js';
import type { ControlMessage } from './messages.js';

/*
 * A control stream is a sequence of frames (docs/CONTROL.md §1):
 *
 *   0               4                                   4 + length
 *   +---------------+-----------------------------------+
 *   | length u32 LE | ControlFrame protobuf (length B)  |
 *   +---------------+-----------------------------------+
 *
 * length is 1..maxFrameBytes; it does not count the prefix itself.
 */

/** Bytes of the little-endian length prefix in front of every control frame. */
export const CONTROL_LENGTH_PREFIX_BYTES = 4;
/** Default largest ControlFrame a peer may send, in bytes, not counting the length prefix. */
export const MAX_CONTROL_FRAME_BYTES = 64 * 1024;

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

/**
 * `message` as one length-prefixed frame, ready to write to the stream.
 * Throws ValueError when a field is invalid or the frame would exceed `maxFrameBytes`.
 */
export function encodeControlFrame(
  message: ControlMessage,
  options: ControlFramingOptions = {},
): Uint8Array {
  const maxFrameBytes = maxFrameBytesOption(options);
  const body = encodeControlMessage(message);
  if (body.length > maxFrameBytes) {
    throw new ValueError(
      'BAD_FIELD',
      `control ${message.type}: encodes to ${body.length} bytes, above the ${maxFrameBytes}-byte frame maximum`,
    );
  }
  const frame = new Uint8Array(CONTROL_LENGTH_PREFIX_BYTES + body.length);
  new DataView(frame.buffer).setUint32(0, body.length, true);
  frame.set(body, CONTROL_LENGTH_PREFIX_BYTES);
  return frame;
}

/**
 * Splits a byte stream (TCP reads, cut anywhere) back into control messages.
 *
 * Each byte is copied at most once: a frame that arrives whole inside one chunk is decoded in
 * place, and a frame split across chunks is gathered into a buffer sized by its prefix.
 *
 * Any DecodeError is final: the stream has no resync point, so the decoder stays failed and every
 * later `push` or `end` throws a DecodeError with the same code (the first error is its cause).
 */
export class ControlFrameDecoder {
  readonly #maxFrameBytes: number;
  readonly #prefix = new Uint8Array(CONTROL_LENGTH_PREFIX_BYTES);
  #prefixFilled = 0;
  /** The frame being gathered, allocated once its prefix has been checked. */
  #body: Uint8Array | undefined;
  #bodyFilled = 0;
  #failure: DecodeError | undefined;

  constructor(options: ControlFramingOptions = {}) {
    this.#maxFrameBytes = maxFrameBytesOption(options);
  }

  /**
   * Feeds the next bytes of the stream and returns the messages they complete, in order.
   *
   * Throws DecodeError on a bad frame: TOO_LARGE as soon as a prefix announces more than
   * `maxFrameBytes` (before anything is buffered), BAD_FIELD for a zero length (a frame always
   * has a body) or a body that is not a valid control message, TRUNCATED for a body whose
   * protobuf runs short. Messages earlier in the same chunk are dropped with it: a bad frame
   * ends the connection (Disconnect PROTOCOL_ERROR), so nothing more from the peer is acted on.
   */
  push(chunk: Uint8Array): ControlMessage[] {
    this.#throwIfFailed();
    const messages: ControlMessage[] = [];
    try {
      let offset = 0;
      while (offset < chunk.length) {
        if (this.#body === undefined) {
          const take = Math.min(
            CONTROL_LENGTH_PREFIX_BYTES - this.#prefixFilled,
            chunk.length - offset,
          );
          this.#prefix.set(chunk.subarray(offset, offset + take), this.#prefixFilled);
          this.#prefixFilled += take;
          offset += take;
          if (this.#prefixFilled < CONTROL_LENGTH_PREFIX_BYTES) {
            break;
          }
          this.#prefixFilled = 0;
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
    } catch (error) {
      this.#fail(error);
    }
    return messages;
  }

  /** Call when the stream ends: throws DecodeError TRUNCATED if it ended inside a frame. */
  end(): void {
    this.#throwIfFailed();
    if (this.#body !== undefined || this.#prefixFilled > 0) {
      const have =
        this.#body === undefined
          ? this.#prefixFilled
          : CONTROL_LENGTH_PREFIX_BYTES + this.#bodyFilled;
      const want =
        this.#body === undefined
          ? CONTROL_LENGTH_PREFIX_BYTES
          : CONTROL_LENGTH_PREFIX_BYTES + this.#body.length;
      this.#fail(
        new DecodeError(
          'TRUNCATED',
          `control stream: ended inside a frame (${have} of ${want} bytes)`,
        ),
      );
    }
  }

  /** Reads the prefix just completed and rejects a length no valid frame can have. */
  #checkLength(): number {
    const length = new DataView(this.#prefix.buffer).getUint32(0, true);
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
