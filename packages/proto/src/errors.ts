/**
 * Every error the library throws on purpose is a `SyfalaError` with a stable string `code`,
 * so callers (and receive loops that count rejects) can switch on it without parsing messages.
 */
export class SyfalaError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Why a received datagram or frame was rejected. See docs/PROTOCOL.md §8. */
export type DecodeErrorCode =
  | 'TRUNCATED'
  | 'BAD_MAGIC'
  | 'BAD_VERSION'
  | 'UNKNOWN_TAG'
  | 'BAD_FIELD'
  | 'LENGTH_MISMATCH'
  | 'TOO_LARGE';

export const DECODE_ERROR_CODES: readonly DecodeErrorCode[] = [
  'TRUNCATED',
  'BAD_MAGIC',
  'BAD_VERSION',
  'UNKNOWN_TAG',
  'BAD_FIELD',
  'LENGTH_MISMATCH',
  'TOO_LARGE',
];

/** Received bytes that are not a valid message. The message names the field at fault. */
export class DecodeError extends SyfalaError<DecodeErrorCode> {}

/** A value handed to the library (a format, a message to encode) that breaks a protocol rule. */
export type ValueErrorCode =
  | 'BAD_SAMPLE_TYPE'
  | 'BAD_SAMPLE_RATE'
  | 'BAD_CHANNEL_COUNT'
  | 'BAD_BUFFER_SIZE'
  | 'BAD_FIELD'
  | 'BUFFER_TOO_SMALL';

export class ValueError extends SyfalaError<ValueErrorCode> {}
